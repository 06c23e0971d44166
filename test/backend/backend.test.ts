// Backend selection (src/backend.ts). The multi-threaded wasm checks run in child processes:
// the wasm thread count is fixed per process.

import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { backendInfo, initBackend, tf } from '../../src/backend.ts';
import { nativeUnavailableReason } from '../../src/backend/native-addon.ts';
import { gpuDeviceNodes } from '../../src/backend/webgpu.ts';

const saved = { backend: process.env.DEEPAGREL_BACKEND, threads: process.env.DEEPAGREL_WASM_THREADS };
afterEach(() => {
  for (const [key, value] of [['DEEPAGREL_BACKEND', saved.backend], ['DEEPAGREL_WASM_THREADS', saved.threads]] as const) {
    if (value == null) delete process.env[key]; else process.env[key] = value;
  }
});

describe('initBackend', () => {
  test('DEEPAGREL_BACKEND=cpu picks cpu', async () => {
    process.env.DEEPAGREL_BACKEND = 'cpu';
    const info = await initBackend();
    assert.equal(info.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal(backendInfo(), info);
  });

  test('the option wins over the environment', async () => {
    process.env.DEEPAGREL_BACKEND = 'cpu';
    const info = await initBackend({ backend: 'wasm' });
    assert.equal(info.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });

  test("auto: without tfjs-node(-gpu), native where the addon is built, else wasm; the reasons are kept", {
    skip: gpuDeviceNodes().length > 0 ? `this machine has a GPU device (${gpuDeviceNodes().join(', ')}): auto may take webgpu` : false,
  }, async () => {
    delete process.env.DEEPAGREL_BACKEND;
    const t0 = performance.now();
    const info = await initBackend();
    const nativeOff = nativeUnavailableReason();
    assert.equal(info.name, nativeOff ? 'wasm' : 'native');
    assert.equal(info.threads, nativeOff ? 1 : Math.min(256, os.availableParallelism()));
    assert.equal(info.simd, true);
    assert.equal(info.versions['tfjs-core'], '4.22.0');
    assert.equal(info.versions['tfjs-backend-wasm'], '4.22.0');
    // webgpu is skipped here: no GPU device node (a software adapter is never taken by auto).
    assert.deepEqual(info.skipped?.map(s => s.backend), nativeOff ? ['tensorflow', 'webgpu', 'native'] : ['tensorflow', 'webgpu']);
    assert.match(info.skipped![1].reason, /no GPU device here|only a software adapter/);
    assert.match(info.skipped![0].reason, /@tensorflow\/tfjs-node-gpu: not installed; @tensorflow\/tfjs-node: not installed \(an opt-in: npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
    assert.equal(tf.getBackend(), 'wasm', "native runs on the wasm backend's heap");
    assert.ok(performance.now() - t0 < 5000, 'fallback should be fast');
  });

  test('same request twice is cheap and returns the same info; a different one switches', async () => {
    const a = await initBackend({ backend: 'wasm' });
    assert.equal(await initBackend({ backend: 'wasm' }), a);
    assert.equal((await initBackend({ backend: 'cpu' })).name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.equal((await initBackend({ backend: 'wasm' })).name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });

  test("requesting 'tensorflow' here throws one error naming the package to install", async () => {
    await assert.rejects(initBackend({ backend: 'tensorflow' }), (e: Error) => {
      assert.match(e.message, /backend 'tensorflow' requested/);
      assert.match(e.message, /npm install @tensorflow\/tfjs-node/);
      assert.match(e.message, /@tensorflow\/tfjs-node-gpu/);
      return true;
    });
    process.env.DEEPAGREL_BACKEND = 'tensorflow';
    await assert.rejects(initBackend(), /npm install @tensorflow\/tfjs-node/);
  });

  test('unknown names are rejected with the list of allowed ones', async () => {
    await assert.rejects(initBackend({ backend: 'metal' as 'cpu' }), /unknown backend 'metal' .*tensorflow, webgpu, native, wasm, cpu, auto/);
    process.env.DEEPAGREL_BACKEND = 'gpu';
    await assert.rejects(initBackend(), /unknown backend 'gpu' \(from DEEPAGREL_BACKEND\)/);
  });

  test('bad thread counts are rejected; a different count after wasm started is an error', async () => {
    await assert.rejects(initBackend({ backend: 'wasm', threads: 0 }), /threads must be an integer from 1 to 256/);
    process.env.DEEPAGREL_THREADS = '1.5';
    await assert.rejects(initBackend({ backend: 'wasm' }), /DEEPAGREL_THREADS must be an integer from 1 to 256, got '1.5'/);
    delete process.env.DEEPAGREL_THREADS;
    process.env.DEEPAGREL_WASM_THREADS = 'two';
    await assert.rejects(initBackend({ backend: 'wasm' }), /DEEPAGREL_WASM_THREADS must be an integer/);
    delete process.env.DEEPAGREL_WASM_THREADS;
    await initBackend({ backend: 'wasm' });
    await assert.rejects(initBackend({ backend: 'wasm', threads: 2 }), /already running with 1 thread\(s\)/);
  });
});

describe('multi-threaded wasm', () => {
  // Child script: init from the environment, run a product big enough for XNNPACK to split, and
  // print what it got. The process must then exit on its own (busy pthreads are unref'd).
  const script = `
    import { initBackend, tf } from './src/backend.ts';
    const info = await initBackend();
    const a = tf.tensor(Float32Array.from({ length: 256 * 300 }, (_, i) => Math.sin(i)), [256, 300]);
    const b = tf.tensor(Float32Array.from({ length: 300 * 200 }, (_, i) => Math.cos(i)), [300, 200]);
    const c = tf.matMul(a, b).dataSync();
    console.log(JSON.stringify({ name: info.name, threads: info.threads, sum: c.reduce((s, v) => s + v, 0) }));
  `;
  const run = (threads: string) => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 60_000, encoding: 'utf8',
    env: { ...process.env, DEEPAGREL_BACKEND: 'wasm', DEEPAGREL_WASM_THREADS: threads },
  }));

  test('DEEPAGREL_WASM_THREADS=2 starts 2 XNNPACK threads, same results, and the process exits', () => {
    const one = run('1'), two = run('2');
    assert.deepEqual([one.name, one.threads], ['wasm', 1]);
    assert.deepEqual([two.name, two.threads], ['wasm', 2]);
    assert.ok(Math.abs(one.sum - two.sum) <= 1e-3 * Math.abs(one.sum), `${one.sum} vs ${two.sum}`);
  });
});
