// Signals during native kernels. oneDNN's generated GEMM kernels point rsp into the heap while they
// run (oneDNN issue #4845), so a signal handled inside one corrupts the heap: before the addon
// blocked signals around its kernels, `node --cpu-prof` on the native backend aborted with
// "corrupted size vs. prev_size" within a few hundred products, every time. A training process
// gets such signals for real: Ctrl-C and Jupyter's interrupt (SIGINT), SLURM's SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeSkip } from '../helpers.ts';
import { tempDir } from '../tmp-dir.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Products in every orientation the engine uses, a conv layer's three kernels and the fused
// update, repeated; each result must equal the first one bit for bit.
const CHILD = `
const { loadNativeAddon } = await import(${JSON.stringify(path.join(ROOT, 'src/backend/native-addon.ts'))});
const addon = loadNativeAddon();
addon.setThreads(2);
let usr2 = 0;
process.on('SIGUSR2', () => { usr2++; });
process.send?.('ready');
const rnd = n => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
const M = 100, N = 1500, K = 784;
const a = rnd(M * K), w = rnd(K * N), post = rnd(M * N);
const conv = [100, 26, 26, 32, 13, 13, 32, 3, 3, 2, 2, 0, 0, 1, 1], x = rnd(100 * 26 * 26 * 32), f = rnd(3 * 3 * 32 * 32), dy = rnd(100 * 13 * 13 * 32);
const runs = [
  () => { const c = new Float32Array(M * N); addon.matmul(a, w, c, 1, 1, M, N, K, false, false); return c; },
  () => { const c = new Float32Array(M * K); addon.matmul(post, w, c, 1, 1, M, K, N, false, true); return c; },
  () => { const c = new Float32Array(K * N); addon.matmul(a, post, c, 1, 1, K, N, M, true, false); return c; },
  () => { const c = w.slice(); addon.gemmAccumulate(a, post, c, K, N, M, true, false, 0.01, 1); return c; },
  () => { const y = new Float32Array(100 * 13 * 13 * 32); addon.convForward(conv, x, f, y); return y; },
  () => { const dx = new Float32Array(x.length); addon.convBackwardData(conv, dy, f, dx); return dx; },
  () => { const dw = new Float32Array(f.length); addon.convBackwardWeights(conv, x, dy, dw); return dw; },
];
const first = runs.map(r => r());
let differ = 0;
const t0 = Date.now();
for (let i = 0; Date.now() - t0 < 6000 || i < 20; i++) {
  await new Promise(resolve => setImmediate(resolve));   // let the SIGUSR2 handler count
  const k = i % runs.length, out = runs[k]();
  if (!out.every((v, j) => v === first[k][j])) differ++;
}
console.log(JSON.stringify({ differ, usr2 }));
// Exit only once the parent has stopped the storm (at exit Node puts the default action back,
// and a SIGUSR2 then would end the process).
process.send('done');
process.once('message', () => process.disconnect());
`;

test('signals arriving during native kernels (the profiler\'s SIGPROF, a storm of SIGUSR2) corrupt nothing', { skip: nativeSkip() }, async () => {
  const profDir = tempDir('deepagrel-prof-');
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', '--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', profDir,
      '--input-type=module', '-e', CHILD], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let out = '', err = '';
    child.stdout!.on('data', d => { out += d; });
    child.stderr!.on('data', d => { err += d; });
    // Once the child's handler is in place, signal it as fast as a shell loop can.
    let storm: ReturnType<typeof spawn> | undefined;
    child.on('message', async m => {
      if (m === 'ready') storm = spawn('sh', ['-c', `while kill -USR2 ${child.pid} 2>/dev/null; do :; done`], { stdio: 'ignore' });
      if (m === 'done') {
        if (storm && storm.exitCode === null && storm.signalCode === null) {
          const ended = new Promise(resolve => storm!.once('exit', resolve));
          storm.kill('SIGKILL');
          await ended;
        }
        child.send('exit');
      }
    });
    const [code, signal] = await new Promise<[number | null, string | null]>(resolve => child.on('exit', (c, s) => resolve([c, s])));
    storm?.kill('SIGKILL');
    assert.deepEqual([code, signal], [0, null], `child died: ${err.slice(-2000)}`);
    const r = JSON.parse(out.trim().split('\n').pop()!) as { differ: number; usr2: number };
    assert.equal(r.differ, 0, 'every repeat equals the first result');
    assert.ok(r.usr2 > 100, `the storm reached the child (${r.usr2} signals handled)`);
  } finally {
    fs.rmSync(profDir, { recursive: true, force: true });
  }
});
