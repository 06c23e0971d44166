// The machine's FP32 peak as the bench measures it (issue 28): a large square sgemm through our
// native addon (oneDNN's sgemm, `gemmAccumulate` with β = 0), best of a few calls, at each thread
// count. GFLOP/s figures of the comparison are quoted as fractions of it. This is the attainable
// peak of a tuned kernel on this machine, not the nominal FMA rate (that needs the clock, which a VM
// does not tell reliably); the bench runs it before and after the comparison and keeps the better.

import { round } from './stats.ts';

export interface PeakSpec { threads: number[]; n: number; reps: number }
export interface PeakAtThreads { threads: number; n: number; reps: number; gflopPerSec: number; bestMs: number; samplesMs: number[] }
export interface PeakResult { library: string; isa?: string; results: PeakAtThreads[] }

/** The part of the native addon this needs (a fake in the tests). */
export interface GemmLike {
  setThreads(n: number): void;
  gemmAccumulate(a: Float32Array, b: Float32Array, c: Float32Array, M: number, N: number, K: number,
                 transA: boolean, transB: boolean, alpha: number, beta: number): void;
}

/** FLOPs of an n×n×n product: n³ multiply-adds, 2 FLOP each. */
export const gemmFlops = (n: number) => 2 * n ** 3;

/**
 * Times C = A·B (n×n, FP32) `reps` times after one untimed call, per thread count; the best call
 * gives GFLOP/s. `now` is injectable for the tests.
 */
export function measurePeak(g: GemmLike, spec: PeakSpec, now: () => number = () => performance.now()): PeakAtThreads[] {
  const { n, reps } = spec;
  const a = new Float32Array(n * n), b = new Float32Array(n * n), c = new Float32Array(n * n);
  for (let i = 0; i < a.length; i++) { a[i] = ((i * 7919) % 1000) / 1000 - 0.5; b[i] = ((i * 104729) % 1000) / 1000 - 0.5; }
  const out: PeakAtThreads[] = [];
  for (const threads of spec.threads) {
    g.setThreads(threads);
    g.gemmAccumulate(a, b, c, n, n, n, false, false, 1, 0);        // warm-up: threads, packing buffers
    const samples: number[] = [];
    for (let r = 0; r < Math.max(1, reps); r++) {
      const t = now();
      g.gemmAccumulate(a, b, c, n, n, n, false, false, 1, 0);
      samples.push(now() - t);
    }
    const best = Math.min(...samples);
    out.push({ threads, n, reps: samples.length, gflopPerSec: round(gemmFlops(n) / 1e9 / (best / 1000), 1), bestMs: round(best, 3), samplesMs: samples.map(x => round(x, 3)) });
  }
  return out;
}

/** Merges two measurements of the same thread counts: the better per thread count. */
export function bestPeak(...runs: PeakAtThreads[][]): PeakAtThreads[] {
  const by = new Map<number, PeakAtThreads>();
  for (const run of runs) for (const p of run) {
    const old = by.get(p.threads);
    if (!old || p.gflopPerSec > old.gflopPerSec) by.set(p.threads, p);
  }
  return [...by.values()].sort((x, y) => x.threads - y.threads);
}

/** GFLOP/s per thread count, as the comparison's fractions want it. */
export const peakByThreads = (ps: PeakAtThreads[]): Record<string, number> => Object.fromEntries(ps.map(p => [String(p.threads), p.gflopPerSec]));

/** Child process (`bench.ts --worker peak`): loads the addon and measures. */
export async function runPeakChild(spec: PeakSpec): Promise<PeakResult> {
  const { loadNativeAddon, nativeUnavailableReason } = await import('../src/backend/native-addon.ts');
  const addon = loadNativeAddon();
  if (!addon) throw new Error(`no native addon: ${nativeUnavailableReason()}`);
  const info = addon.info();
  return { library: `${info.library} ${info.version} (${info.runtime})`, isa: info.isa, results: measurePeak(addon, spec) };
}
