// The FP32 peak the bench quotes GFLOP/s against (bench/peak.ts): the arithmetic on a fake clock,
// the merge of two runs, and a tiny real sgemm through the native addon (where it is built).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestPeak, gemmFlops, measurePeak, peakByThreads, type GemmLike } from '../../bench/peak.ts';
import { loadNativeAddon } from '../../src/backend/native-addon.ts';

test('GFLOP/s = 2n³ over the best call, per thread count (fake addon and clock)', () => {
  let clock = 0;
  const calls: string[] = [];
  let threads = 0;
  const fake: GemmLike = {
    setThreads(n) { threads = n; calls.push(`threads ${n}`); },
    gemmAccumulate(_a, _b, c, M, N, K, tA, tB, alpha, beta) {
      assert.deepEqual([M, N, K, tA, tB, alpha, beta], [64, 64, 64, false, false, 1, 0]);
      assert.equal(c.length, 64 * 64);
      calls.push('gemm');
      clock += [4, 2, 3][calls.filter(x => x === 'gemm').length % 3] / threads;   // ms
    },
  };
  const r = measurePeak(fake, { threads: [1, 2], n: 64, reps: 3 }, () => clock);
  assert.equal(gemmFlops(64), 524_288);
  assert.equal(r.length, 2);
  assert.equal(r[0].threads, 1);
  assert.equal(r[0].samplesMs.length, 3);
  assert.equal(r[0].bestMs, 2);
  assert.equal(r[0].gflopPerSec, 0.3);                 // 524288 FLOP / 2 ms = 0.262 GFLOP/s → 0.3
  assert.equal(r[1].bestMs, 1);
  assert.equal(r[1].gflopPerSec, 0.5);
  assert.deepEqual(calls.slice(0, 5), ['threads 1', 'gemm', 'gemm', 'gemm', 'gemm']);   // one untimed call first
});

test('two runs merge to the better per thread count', () => {
  const p = (threads: number, g: number) => ({ threads, n: 8, reps: 1, gflopPerSec: g, bestMs: 1, samplesMs: [1] });
  const best = bestPeak([p(1, 90), p(2, 150)], [p(2, 170), p(1, 80)]);
  assert.deepEqual(best.map(x => [x.threads, x.gflopPerSec]), [[1, 90], [2, 170]]);
  assert.deepEqual(peakByThreads(best), { 1: 90, 2: 170 });
});

const addon = loadNativeAddon();
test('a tiny sgemm through the native addon: the product is right and the rate is positive', { skip: addon ? false : 'no native addon here' }, () => {
  const n = 48;
  const r = measurePeak(addon!, { threads: [1], n, reps: 2 });
  assert.ok(r[0].gflopPerSec > 0 && Number.isFinite(r[0].gflopPerSec), JSON.stringify(r));
  assert.ok(r[0].bestMs > 0);
  // the same product by hand, with the inputs measurePeak builds
  const a = new Float32Array(n * n), b = new Float32Array(n * n), c = new Float32Array(n * n);
  for (let i = 0; i < a.length; i++) { a[i] = ((i * 7919) % 1000) / 1000 - 0.5; b[i] = ((i * 104729) % 1000) / 1000 - 0.5; }
  addon!.gemmAccumulate(a, b, c, n, n, n, false, false, 1, 0);
  let ref = 0;
  for (let k = 0; k < n; k++) ref += a[3 * n + k] * b[k * n + 5];
  assert.ok(Math.abs(c[3 * n + 5] - ref) < 1e-4, `${c[3 * n + 5]} vs ${ref}`);
});
