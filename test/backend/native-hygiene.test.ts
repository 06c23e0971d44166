// Issue 29, addon hygiene: every error path of the native kernels ends in a clear error and leaks
// nothing. Sizes whose product overflows 64 bits are refused (a wrapped size would pass the length
// checks); a kernel that throws gives its already allocated output back to the wasm heap; the
// primitive cache is bounded (least recently used out first) and safe to use from Node workers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { initBackend, tf } from '../../src/backend.ts';
import { loadNativeAddon, type NativeAddon } from '../../src/backend/native-addon.ts';
import { setNativeKernels } from '../../src/backend/wasm-kernels.ts';
import { Rng } from '../../src/rng.ts';
import { nativeSkip } from '../helpers.ts';

describe('native addon hygiene', { skip: nativeSkip() }, () => {
  const addon = () => loadNativeAddon()!;
  const f = (n: number) => new Float32Array(n);

  test('sizes whose product overflows 64 bits: one RangeError naming the kernel, never a wrapped size', () => {
    const big = 2 ** 32;   // 2³²·2³² = 2⁶⁴ wraps to 0, which every buffer "has"
    assert.throws(() => addon().matmul(f(1), f(1), f(1), big, 1, big, 1, 1, false, false),
      (e: Error) => e instanceof RangeError && /^matmul a: the size \(a product of the dimensions\) overflows 64 bits$/.test(e.message));
    assert.throws(() => addon().gemmAccumulate(f(1), f(1), f(1), big, 1, big, false, false, 1, 0),
      /gemmAccumulate a: the size .* overflows 64 bits/);
    assert.throws(() => addon().convForward([65536, 65536, 65536, 65536, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0], f(1), f(1), f(1)),
      /convForward input: the size .* overflows 64 bits/);
    assert.throws(() => addon().convBackwardWeights([1, 1, 1, 65536, 1, 1, 65536, 65536, 65536, 1, 1, 0, 0, 0, 0], f(1), f(1), f(1)),
      /convBackwardWeights filter: the size .* overflows 64 bits/);
    assert.throws(() => addon().transpose102(f(1), f(1), 2 ** 22, 2 ** 22, 2 ** 22), /transpose102: the size .* overflows 64 bits/);
  });

  test('a kernel that throws gives its output back to the heap (no leak), and the error goes on', async () => {
    await initBackend({ backend: 'native', threads: 1 });
    const real = addon();
    const failing: NativeAddon = Object.assign(Object.create(real) as NativeAddon, {
      matmul: () => { throw new Error('matmul: oneDNN error (simulated)'); },
      convForward: () => { throw new Error('convForward: oneDNN error (simulated)'); },
      binary: () => { throw new Error('binary: oneDNN error (simulated)'); },
    });
    const a = tf.tensor3d(new Rng(1).uniformArray(2 * 64 * 64, -1, 1), [2, 64, 64]);
    const x = tf.tensor4d(new Rng(2).uniformArray(2 * 12 * 12 * 3, -1, 1), [2, 12, 12, 3]);
    const w = tf.tensor4d(new Rng(3).uniformArray(3 * 3 * 3 * 4, -1, 1), [3, 3, 3, 4]);
    const v = tf.tensor1d(new Rng(4).uniformArray(1 << 17, -1, 1));
    const before = tf.memory().numTensors, bytes = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    setNativeKernels(failing);
    try {
      for (const [op, what] of [[() => tf.matMul(a, a), /matmul: oneDNN error/], [() => tf.conv2d(x, w, 1, 'same'), /convForward: oneDNN error/],
        [() => tf.add(v, v), /binary: oneDNN error/]] as const) {
        for (let i = 0; i < 3; i++) assert.throws(op, what);
      }
    } finally {
      setNativeKernels(real);
    }
    assert.equal(tf.memory().numTensors, before);
    assert.equal((tf.backend() as unknown as { numDataIds(): number }).numDataIds(), bytes, 'every failed call gave its output back');
    tf.dispose([a, x, w, v]);
  });

  test('the primitive cache is bounded: least recently used out first, results unchanged', () => {
    const n = addon();
    const limit0 = n.info().cacheLimit!;
    assert.equal(limit0, 256);
    try {
      n.setCacheLimit(3);
      assert.ok(n.info().cacheEntries! <= 3);
      // Batched products (the locally connected layers' path) each make a primitive per shape.
      for (let k = 1; k <= 8; k++) {
        const A = new Rng(k).uniformArray(2 * 3 * k, -1, 1), B = new Rng(k + 50).uniformArray(2 * k * 4, -1, 1);
        const C = f(2 * 3 * 4);
        n.matmul(A, B, C, 2, 2, 3, 4, k, false, false);
        for (let b = 0; b < 2; b++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) {
          let s = 0;
          for (let t = 0; t < k; t++) s += A[b * 3 * k + i * k + t] * B[b * k * 4 + t * 4 + j];
          assert.ok(Math.abs(C[b * 12 + i * 4 + j] - s) < 1e-5);
        }
        assert.equal(n.info().cacheEntries, Math.min(k, 3));
      }
      assert.throws(() => n.setCacheLimit(0), /setCacheLimit\(n\): n must be from 1 to 1000000/);
    } finally {
      n.setCacheLimit(limit0);
    }
  });

  test('two Node workers run the same conv shapes at once, each its own filter: the same numbers as one thread', async () => {
    const file = loadNativeAddonPath();
    const shape = [4, 14, 14, 8, 14, 14, 16, 3, 3, 1, 1, 1, 1, 1, 1];
    const x = Float32Array.from(new Rng(5).uniformArray(4 * 14 * 14 * 8, -1, 1));
    addon().setThreads(1);   // as the workers: the same split of the work, so the same sums
    // Different filters per worker: a buffer or stream shared between the two calls shows up as
    // the other worker's numbers.
    const jobs = [6, 7].map(seed => {
      const w = Float32Array.from(new Rng(seed).uniformArray(3 * 3 * 8 * 16, -1, 1));
      const want = f(4 * 14 * 14 * 16);
      addon().convForward(shape, x, w, want);
      return { w, want };
    });
    const code = `
      const { parentPort, workerData: d } = require('node:worker_threads');
      const a = require(d.file);
      a.setThreads(1);
      let same = 0;
      for (let i = 0; i < d.rounds; i++) {
        const y = new Float32Array(d.want.length);
        a.convForward(d.shape, d.x, d.w, y);
        const dx = new Float32Array(d.x.length);
        a.convBackwardData(d.shape, y, d.w, dx);   // a second kind in the cache, interleaved
        if (y.every((v, j) => v === d.want[j])) same++;
      }
      parentPort.postMessage(same);`;
    const rounds = 60;
    const results = await Promise.all(jobs.map(({ w, want }) => new Promise<number>((resolve, reject) => {
      const wk = new Worker(code, { eval: true, workerData: { file, shape, x, w, want, rounds } });
      wk.once('message', resolve);
      wk.once('error', reject);
    })));
    assert.deepEqual(results, [rounds, rounds]);
  });
});

function loadNativeAddonPath(): string {
  return process.env.DEEPAGREL_NATIVE_ADDON?.trim() ||
    new URL('../../native/build/Release/deepagrel_native.node', import.meta.url).pathname;
}
