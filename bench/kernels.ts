// Kernel benchmark for the wasm backend: the MNIST conv net's hot ops at batch 100.
//
//   npx tsx bench/kernels.ts                 # 1 and 2 threads (each in its own process)
//   npx tsx bench/kernels.ts --threads=2     # just one configuration
//   npx tsx bench/kernels.ts --stock         # also time the stock tfjs-wasm kernels (slow)
//
// Net: x[100,28,28,1] -conv 3x3x32 valid-> [100,26,26,32] -conv 3x3x32 stride 2 same->
// [100,13,13,32] = 5408 -dense-> 1000 -dense-> 10. Inputs are cloned before every timed run
// (untimed), as in training where weights and activations are new tensors each step: XNNPACK
// caches packed weights per tensor, so reusing one tensor would flatter the numbers.
// Prints median and min of 10 runs after 2 warm-ups, in ms. The machine may be shared: trust min.
// Linux autogroup scheduling gives each session a fair share regardless of `nice`, so while another
// session keeps one core busy the 2-thread run gets ~1 core and shows no gain; measure when idle.

import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { initBackend, tf } from '../src/backend.ts';
import { registerWasmKernels, unregisterWasmKernels } from '../src/backend/wasm-kernels.ts';
import { setMatMulStrategy } from '../src/backend/wasm-matmul.ts';
import { setBackpropFilterMethod } from '../src/backend/wasm-conv-backprop-filter.ts';

const args = process.argv.slice(2);
const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const withStock = args.includes('--stock');
const RUNS = 10, WARMUP = 2;

if (arg('threads') == null) {
  // Parent: one child process per thread count (the wasm thread count is fixed per process).
  for (const threads of [1, 2]) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), `--threads=${threads}`, ...args],
      { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  process.exit(0);
}

const info = await initBackend({ backend: 'wasm', threads: Number(arg('threads')) });
const load = os.loadavg()[0];
console.log(`\nwasm, ${info.threads} thread(s), simd=${info.simd}, tfjs ${info.versions['tfjs-core']}, ` +
  `load average ${load.toFixed(2)} on ${os.availableParallelism()} cores${load > 0.5 ? '  (machine busy: numbers inflated, threads especially)' : ''}`);

function rand(shape: number[], seed: number): tf.Tensor {
  let s = seed >>> 0;
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; v[i] = s / 2 ** 32 - 0.5; }
  return tf.tensor(v, shape);
}

function bench(label: string, inputs: tf.Tensor[], run: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], runs = RUNS): number {
  const times: number[] = [];
  for (let i = 0; i < runs + WARMUP; i++) {
    const fresh = inputs.map((t) => t.clone());
    const t0 = performance.now();
    const out = run(...fresh);
    const ms = performance.now() - t0;            // wasm kernels are synchronous
    tf.dispose(out); tf.dispose(fresh);
    if (i >= WARMUP) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const med = times[times.length >> 1];
  console.log(`  ${label.padEnd(58)} ${med.toFixed(1).padStart(7)} ${times[0].toFixed(1).padStart(7)}`);
  return med;
}

const x = rand([100, 28, 28, 1], 1);
const w1 = rand([3, 3, 1, 32], 2), w2 = rand([3, 3, 32, 32], 3);
const h1 = rand([100, 26, 26, 32], 4), dy1 = rand([100, 26, 26, 32], 5), dy2 = rand([100, 13, 13, 32], 6);
const pre = rand([100, 5408], 7), W = rand([5408, 1000], 8), local = rand([100, 1000], 9);
const conv = (a: tf.Tensor, f: tf.Tensor, s: number, pad: 'valid' | 'same') => tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, s, pad);
const dW = (a: tf.Tensor, dy: tf.Tensor, s: number, pad: 'valid' | 'same', filterShape: number[]) =>
  tf.engine().runKernel('Conv2DBackpropFilter', { x: a, dy }, { strides: s, pad, dataFormat: 'NHWC', filterShape }) as tf.Tensor;
const dX = (dy: tf.Tensor, f: tf.Tensor, shape: number[], s: number, pad: 'valid' | 'same') =>
  tf.conv2dTranspose(dy as tf.Tensor4D, f as tf.Tensor4D, shape as [number, number, number, number], s, pad);

console.log(`  ${'op'.padEnd(58)} ${'median'.padStart(7)} ${'min'.padStart(7)}`);
bench('conv1 forward    [100,28,28,1] * [3,3,1,32] valid', [x, w1], (a, f) => conv(a, f, 1, 'valid'));
bench('conv2 forward    [100,26,26,32] * [3,3,32,32] s2 same', [h1, w2], (a, f) => conv(a, f, 2, 'same'));
for (const m of ['auto', 'dilated', 'patches'] as const) {
  setBackpropFilterMethod(m);
  bench(`conv1 dW (${m})`, [x, dy1], (a, d) => dW(a, d, 1, 'valid', [3, 3, 1, 32]));
  bench(`conv2 dW (${m})`, [h1, dy2], (a, d) => dW(a, d, 2, 'same', [3, 3, 32, 32]));
}
setBackpropFilterMethod('auto');
bench('conv1 dx         (not needed for training: input layer)', [dy1, w1], (d, f) => dX(d, f, [100, 28, 28, 1], 1, 'valid'));
bench('conv2 dx', [dy2, w2], (d, f) => dX(d, f, [100, 26, 26, 32], 2, 'same'));
for (const s of ['auto', 'direct', 'swapped'] as const) {
  setMatMulStrategy(s);
  bench(`matMul [100,5408]x[5408,1000]          (${s})`, [pre, W], (a, b) => tf.matMul(a, b));
  bench(`matMul pre^T.local  (${s}) transposeA`, [pre, local], (a, b) => tf.matMul(a, b, true, false));
  bench(`matMul local.W^T    (${s}) transposeB`, [local, W], (a, b) => tf.matMul(a, b, false, true));
}
setMatMulStrategy('auto');

// One backprop step of the whole net (forward + all weight gradients + dx of conv2),
// the FLOP-equivalent of a DeepAGREL training step (~4.6 GFLOP).
const w3 = W, w4 = rand([1000, 10], 10), r = rand([100, 10], 11);
const step = (xx: tf.Tensor, a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
  const f = (p: tf.Tensor, q: tf.Tensor, u: tf.Tensor, v: tf.Tensor) => {
    const c1 = tf.relu(conv(xx, p, 1, 'valid'));
    const c2 = tf.relu(conv(c1, q, 2, 'same'));
    const hid = tf.relu(tf.matMul(c2.reshape([100, 5408]), u));
    return tf.sum(tf.mul(tf.matMul(hid, v), r));
  };
  return tf.grads(f)([a, b, c, d]);
};
const stepMs = bench('whole step: forward + tf.grads (conv, conv, dense, dense)', [x, w1, w2, w3, w4], step);
console.log(`  -> ${(4.6e9 / stepMs / 1e6).toFixed(1)} GFLOP/s effective (target: <= 180 ms @1 thread, <= 100 ms @2)`);

if (withStock) {
  unregisterWasmKernels();
  console.log('  stock tfjs-wasm kernels (1 run):');
  bench('stock conv2 dx', [dy2, w2], (d, f) => dX(d, f, [100, 26, 26, 32], 2, 'same'), 1);
  bench('stock matMul [100,5408]x[5408,1000]', [pre, W], (a, b) => tf.matMul(a, b), 1);
  bench('stock matMul transposeA', [pre, local], (a, b) => tf.matMul(a, b, true, false), 1);
  bench('stock matMul transposeB', [local, W], (a, b) => tf.matMul(a, b, false, true), 1);
  registerWasmKernels();
}
