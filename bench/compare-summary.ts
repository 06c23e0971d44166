// The engine comparison's numbers from its rounds (issue 28): pure functions, no processes, so
// the selection logic is tested on synthetic numbers (test/bench/compare-summary.test.ts).
//
// Every runner (our native and wasm engines at each thread count, every PyTorch configuration)
// ran once per round; a round's numbers share the machine's load. Per round:
//   - PyTorch's best = the fastest PyTorch configuration of that round, at any thread count;
//   - PyTorch's best at t threads = the fastest configuration with t threads (t = 1: "per core");
//   - ratios: our native step at t threads / PyTorch's best (and / the best at t threads, the
//     per-core ratio for t = 1), native / wasm at the same t.
// The reported ratio is the median over rounds of the within-round ratios, so slow drifts in load
// cancel; it can differ from the ratio of the two medians. Taking PyTorch's fastest configuration
// per round lets noise favour PyTorch only.

import type { RuleName } from './options.ts';
import { round, summarize } from './stats.ts';

export type Engine = 'native' | 'wasm' | 'pytorch';

/** What the summary needs to know of a runner. */
/** `build`: another native build's folder (bench --native-dir), run beside this checkout's; it stays out of the ratios to PyTorch. */
export interface RunnerMeta { key: string; engine: Engine; threads: number; label: string; build?: string }

/** One runner's fastest pick in a round. */
export interface Pick { key: string; ms: number }

export interface RoundSummary {
  /** The fastest PyTorch configuration of the round (any thread count). */
  pytorchBest: Pick | null;
  /** The fastest PyTorch configuration with t threads, per t. */
  pytorchBestAt: Record<string, Pick | null>;
  /** native at t threads / pytorchBest, per our thread count t. */
  vsPytorchBest: Record<string, number | null>;
  /** native at t threads / pytorchBestAt[t]; t = 1 is the per-core ratio. */
  vsPytorchSameThreads: Record<string, number | null>;
  nativeVsWasm: Record<string, number | null>;
}

export interface RuleComparison {
  rule: RuleName;
  /** Per runner: median of all its measured steps (ms). */
  ms: Record<string, number>;
  /** Per runner: per-round medians (ms); null where the runner did not run that round. */
  roundsMs: Record<string, (number | null)[]>;
  rounds: RoundSummary[];
  /** Median over rounds of the round's fastest PyTorch step; the configuration that was fastest
   *  in most rounds (ties: the lower median); and how many rounds each configuration won. */
  pytorchBest: { ms: number | null; key: string | null; wins: Record<string, number> };
  /** The same among the configurations with t threads, per t. */
  pytorchBestAt: Record<string, { ms: number | null; key: string | null; wins: Record<string, number> }>;
  /** Medians over rounds of the RoundSummary ratios, per our thread count. */
  vsPytorchBest: Record<string, number | null>;
  vsPytorchSameThreads: Record<string, number | null>;
  /** Our 1-thread step / PyTorch's fastest 1-thread configuration (= vsPytorchSameThreads['1']). */
  perCore: number | null;
  nativeVsWasm: Record<string, number | null>;
}

const medianOrNull = (xs: (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x != null && Number.isFinite(x));
  return v.length ? summarize(v).median : null;
};
const ratio = (a: number | null | undefined, b: number | null | undefined) => a != null && b != null && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null;

function fastest(keys: string[], roundsMs: Record<string, (number | null)[]>, k: number): Pick | null {
  let best: Pick | null = null;
  for (const key of keys) {
    const ms = roundsMs[key]?.[k];
    if (ms != null && Number.isFinite(ms) && (best == null || ms < best.ms)) best = { key, ms };
  }
  return best;
}

function winner(picks: (Pick | null)[], ms: Record<string, number>): { ms: number | null; key: string | null; wins: Record<string, number> } {
  const wins: Record<string, number> = {};
  for (const p of picks) if (p) wins[p.key] = (wins[p.key] ?? 0) + 1;
  const key = Object.keys(wins).sort((a, b) => wins[b] - wins[a] || (ms[a] ?? Infinity) - (ms[b] ?? Infinity))[0] ?? null;
  const m = medianOrNull(picks.map(p => p?.ms ?? null));
  return { ms: m == null ? null : round(m), key, wins };
}

/**
 * One rule's comparison from every runner's samples (all measured steps) and per-round medians
 * (index = round; null or a missing entry where the runner had failed by then).
 */
export function summarizeRule(rule: RuleName, runners: RunnerMeta[], samples: Record<string, number[]>, roundsMs: Record<string, (number | null)[]>, nRounds: number): RuleComparison {
  const torch = runners.filter(r => r.engine === 'pytorch');
  const torchThreads = [...new Set(torch.map(r => r.threads))].sort((a, b) => a - b);
  const ours = (engine: Engine) => new Map(runners.filter(r => r.engine === engine && !r.build).map(r => [r.threads, r.key]));
  const native = ours('native'), wasm = ours('wasm');
  const ms: Record<string, number> = {};
  for (const r of runners) if (samples[r.key]?.length) ms[r.key] = round(summarize(samples[r.key]).median);

  const rounds: RoundSummary[] = [];
  for (let k = 0; k < nRounds; k++) {
    const at = (key: string | undefined) => key == null ? null : roundsMs[key]?.[k] ?? null;
    const pytorchBest = fastest(torch.map(r => r.key), roundsMs, k);
    const pytorchBestAt = Object.fromEntries(torchThreads.map(t => [String(t), fastest(torch.filter(r => r.threads === t).map(r => r.key), roundsMs, k)]));
    const vsPytorchBest: Record<string, number | null> = {}, vsPytorchSameThreads: Record<string, number | null> = {}, nativeVsWasm: Record<string, number | null> = {};
    for (const [t, key] of native) {
      vsPytorchBest[t] = ratio(at(key), pytorchBest?.ms);
      vsPytorchSameThreads[t] = ratio(at(key), pytorchBestAt[String(t)]?.ms);
      nativeVsWasm[t] = ratio(at(key), at(wasm.get(t)));
    }
    rounds.push({ pytorchBest, pytorchBestAt, vsPytorchBest, vsPytorchSameThreads, nativeVsWasm });
  }
  const med = (f: (r: RoundSummary) => number | null) => { const m = medianOrNull(rounds.map(f)); return m == null ? null : round(m, 3); };
  const perThread = (f: (r: RoundSummary, t: string) => number | null) => Object.fromEntries([...native.keys()].map(t => [String(t), med(r => f(r, String(t)))]));
  const vsPytorchSameThreads = perThread((r, t) => r.vsPytorchSameThreads[t]);
  return {
    rule, ms,
    roundsMs: Object.fromEntries(runners.map(r => [r.key, Array.from({ length: nRounds }, (_, k) => { const x = roundsMs[r.key]?.[k]; return x == null ? null : round(x); })])),
    rounds: rounds.map(r => ({ ...r,
      vsPytorchBest: mapValues(r.vsPytorchBest, x => x == null ? null : round(x, 3)),
      vsPytorchSameThreads: mapValues(r.vsPytorchSameThreads, x => x == null ? null : round(x, 3)),
      nativeVsWasm: mapValues(r.nativeVsWasm, x => x == null ? null : round(x, 3)),
      pytorchBest: r.pytorchBest && { key: r.pytorchBest.key, ms: round(r.pytorchBest.ms) },
      pytorchBestAt: mapValues(r.pytorchBestAt, p => p && { key: p.key, ms: round(p.ms) }),
    })),
    pytorchBest: winner(rounds.map(r => r.pytorchBest), ms),
    pytorchBestAt: Object.fromEntries(torchThreads.map(t => [String(t), winner(rounds.map(r => r.pytorchBestAt[String(t)]), ms)])),
    vsPytorchBest: perThread((r, t) => r.vsPytorchBest[t]),
    vsPytorchSameThreads,
    perCore: vsPytorchSameThreads['1'] ?? null,
    nativeVsWasm: perThread((r, t) => r.nativeVsWasm[t]),
  };
}

function mapValues<T, U>(o: Record<string, T>, f: (x: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** Achieved arithmetic throughput and its share of the measured sgemm peak. */
export interface Throughput { gflopPerSec: number; threads: number; ofPeak: number | null; ofMachinePeak: number | null }

export interface GflopFigures {
  gflopPerStep: number;
  /** Our native step at t threads, per t: share of the peak at t threads and of the machine's (all threads). */
  native: Record<string, Throughput | null>;
  /** PyTorch's best (median of the per-round fastest) at the thread count of the configuration that won most rounds. */
  pytorchBest: Throughput | null;
  /** PyTorch's fastest 1-thread configuration: share of the 1-thread peak. */
  pytorchBest1t: Throughput | null;
}

/**
 * GFLOP/s of the step (FLOPs per step, src/flops.ts, over the median step time) and as a fraction
 * of `peak` (GFLOP/s of a large sgemm per thread count); the machine's peak is the one at the most
 * threads measured.
 */
export function gflopFigures(rc: RuleComparison, runners: RunnerMeta[], flopsPerStep: number, peak: Record<string, number>): GflopFigures {
  const peakThreads = Object.keys(peak).map(Number).filter(t => peak[t] > 0);
  const machine = peakThreads.length ? peak[Math.max(...peakThreads)] : null;
  const fig = (ms: number | null | undefined, threads: number): Throughput | null => {
    if (ms == null || !(ms > 0)) return null;
    const g = flopsPerStep / 1e9 / (ms / 1000);
    const p = peak[threads];
    return { gflopPerSec: round(g, 1), threads, ofPeak: p ? round(g / p, 3) : null, ofMachinePeak: machine ? round(g / machine, 3) : null };
  };
  const threadsOf = (key: string | null) => runners.find(r => r.key === key)?.threads ?? 0;
  return {
    gflopPerStep: round(flopsPerStep / 1e9, 3),
    native: Object.fromEntries(runners.filter(r => r.engine === 'native' && !r.build).map(r => [String(r.threads), fig(rc.ms[r.key], r.threads)])),
    pytorchBest: fig(rc.pytorchBest.ms, threadsOf(rc.pytorchBest.key)),
    pytorchBest1t: rc.pytorchBestAt['1'] ? fig(rc.pytorchBestAt['1'].ms, 1) : null,
  };
}
