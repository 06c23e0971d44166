// The native backend as a user meets it: what `deepagrel backend` says with and without the addon,
// a forced native backend that cannot load, thread control, dropout masks identical to the JS
// generator, switching backends in one process, and the provenance a run records.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend, tf } from '../../src/backend.ts';
import { routeCounts } from '../../src/backend/wasm-kernels.ts';
import { Rng } from '../../src/rng.ts';
import { BERNOULLI_MASK, dropoutMask } from '../../src/ops.ts';
import { nativeSkip, tinyRunHeader } from '../helpers.ts';

const CLI = fileURLToPath(new URL('../../bin/deepagrel.js', import.meta.url));
const cli = (args: string[], env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, DEEPAGREL_BACKEND: '', ...env }, timeout: 120_000 });

describe('without the addon (a machine without oneDNN)', () => {
  const absent = { DEEPAGREL_NATIVE_ADDON: path.join(os.tmpdir(), 'no-such-addon.node') };
  test('auto falls back to wasm, and `deepagrel backend` says why native is off and how to get it', () => {
    const r = cli(['backend'], absent);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^backend {2}wasm$/m);
    const lines = r.stdout.split('\n').filter(l => l.startsWith('skipped  native:'));
    assert.equal(lines.length, 1, r.stdout);
    assert.match(lines[0], /the native addon is not built .*no-such-addon\.node.*apt install libdnnl-dev.*brew install onednn.*npm run build:native/);
  });
  test('forcing DEEPAGREL_BACKEND=native is one clear error naming the fix', () => {
    const r = cli(['backend'], { ...absent, DEEPAGREL_BACKEND: 'native' });
    assert.equal(r.status, 1);
    const err = r.stderr.trim().split('\n');
    assert.equal(err.length, 1, r.stderr);
    assert.match(err[0], /backend 'native' requested but the native addon is not built .*apt install libdnnl-dev.*or use DEEPAGREL_BACKEND=wasm/);
  });
});

describe('native backend', { skip: nativeSkip() }, () => {
  test('`deepagrel backend` reports oneDNN, its version, instruction set and threads', () => {
    const r = cli(['backend', '--threads', '1'], {});
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^backend {2}native$/m);
    assert.match(r.stdout, /^kernels {2}oneDNN \d+\.\d+\.\d+ \(\w+, OpenMP\): BatchMatMul, Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter/m);
    assert.match(r.stdout, /^threads {2}1$/m);
  });

  test('threads: all cores by default, any count on request, changeable in one process', async () => {
    assert.equal((await initBackend({ backend: 'native' })).threads, Math.min(256, os.availableParallelism()));
    assert.equal((await initBackend({ backend: 'native', threads: 1 })).threads, 1);
    assert.equal((await initBackend({ backend: 'native', threads: 3 })).threads, 3);
    await assert.rejects(initBackend({ backend: 'native', threads: 0 }), /threads must be an integer from 1 to 256/);
  });

  test('switching native → wasm → native in one process: the kernels follow', async () => {
    const a = tf.tensor2d(new Rng(1).uniformArray(64 * 48, -1, 1), [64, 48]);
    const run = () => tf.tidy(() => tf.matMul(a, a, false, true).dataSync());
    await initBackend({ backend: 'native' });
    const n0 = routeCounts.BatchMatMul.native;
    const nat = run();
    assert.equal(routeCounts.BatchMatMul.native, n0 + 1);
    await initBackend({ backend: 'wasm' });
    const was = run();
    assert.equal(routeCounts.BatchMatMul.native, n0 + 1, 'wasm must not route to the native kernel');
    await initBackend({ backend: 'native' });
    run();
    assert.equal(routeCounts.BatchMatMul.native, n0 + 2);
    let diff = 0;
    for (let i = 0; i < nat.length; i++) diff = Math.max(diff, Math.abs(nat[i] - was[i]));
    assert.ok(diff < 1e-4, `native vs wasm ${diff}`);
    a.dispose();
  });

  test('dropout masks from the addon (its DeepagrelBernoulliMask kernel) equal the JS generator\'s, number for number, and leave the same state', async () => {
    /** The mask the dropoutMask op makes on this backend, and the kernels that ran. */
    const viaOp = async (rng: Rng, n: number, keep: number) => {
      let mask: tf.Tensor | undefined;
      const p = await tf.profile(() => { mask = dropoutMask(rng, [n], keep); return mask; });
      const values = await mask!.data() as Float32Array;
      mask!.dispose();
      return { values, kernels: p.kernels.map(k => k.name) };
    };
    await initBackend({ backend: 'wasm' });
    assert.ok(!(await viaOp(new Rng(1), 4096, 0.5)).kernels.includes(BERNOULLI_MASK), 'wasm: the generic form (JS), no kernel');
    await initBackend({ backend: 'native' });
    // Large masks too: at n = 540,801 a coin lands exactly on the threshold ~8 times, so an
    // off-by-one in the comparison shows.
    for (const [n, keep] of [[5, 0.5], [4096, 0.2], [4097, 0.7], [540_801, 0.2], [100_000, 0.999]] as const) {
      const a = new Rng(n), b = new Rng(n);
      const viaAddon = await viaOp(a, n, keep);
      assert.ok(viaAddon.kernels.includes(BERNOULLI_MASK), `native makes the mask with its kernel: ${viaAddon.kernels}`);
      const viaJs = b.bernoulliMask(n, keep, 1 / keep);
      assert.deepEqual(viaAddon.values, viaJs, `n=${n} keep=${keep}`);
      assert.deepEqual(a.state(), b.state());
      if (n > 5) assert.ok(viaJs.some(v => v === 0) && viaJs.some(v => v !== 0));
    }
    await initBackend({ backend: 'wasm' });
  });

  test('a run records backend, kernels, library and version, threads', async () => {
    await initBackend({ backend: 'native', threads: 2 });
    const h = await tinyRunHeader('prov');
    assert.equal(h.backend.name, 'native');
    assert.equal(h.backend.threads, 2);
    assert.equal(h.backend.library?.library, 'oneDNN');
    assert.match(h.backend.library?.version ?? '', /^\d+\.\d+\.\d+$/);
    assert.match(h.backend.kernels ?? '', /^oneDNN/);
    assert.equal(h.versions.oneDNN, h.backend.library?.version);
  });
});

test('an addon built for another interface (left over from an older checkout) is refused with the rebuild command', async () => {
  const { abiProblem, NATIVE_ABI, loadNativeAddon } = await import('../../src/backend/native-addon.ts');
  assert.equal(abiProblem({ abi: NATIVE_ABI }, 'x.node'), undefined);
  assert.match(abiProblem({}, 'x.node') ?? '', new RegExp(`x\\.node was built for another version of the workbook \\(interface 1, this code needs ${NATIVE_ABI}\\); rebuild it: npm run build:native`));
  assert.match(abiProblem({ abi: NATIVE_ABI + 1 }, 'x.node') ?? '', new RegExp(`interface ${NATIVE_ABI + 1}`));
  const addon = loadNativeAddon();
  if (addon) assert.equal(addon.info().abi, NATIVE_ABI, 'this checkout\'s build speaks this code\'s interface');
});
