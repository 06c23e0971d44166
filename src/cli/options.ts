// Command-line options shared by `train` and `sweep`: each maps onto one ExperimentConfig field.

import type { ExperimentConfig } from '../presets.ts';
import { MAX_SEED } from '../rng.ts';
import { FEEDBACK_MODES, type FeedbackMode } from '../feedback/modes.ts';

type Parse = (v: string, flag: string) => unknown;

export class UsageError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

// Plain decimal notation only: Number() also takes "0x10", "0b11" and "  ", which nobody means as α.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const num: Parse = (v, flag) => {
  const x = Number(v);
  if (!DECIMAL.test(v.trim()) || !Number.isFinite(x)) throw new UsageError(`--${flag} expects a number, got ${JSON.stringify(v)} (plain decimal, e.g. 0.01 or 1e-3)`);
  return x;
};
// Counts are written in digits: "1e12", "0x10", "" and "3.0" are not what anybody types for an epoch cap.
const DIGITS = /^\d+$/;
const int: Parse = (v, flag) => {
  if (!DIGITS.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`--${flag} expects an integer, got ${JSON.stringify(v)} (digits, e.g. 30)`);
  return Number(v);
};
const str: Parse = v => v;
const bool: Parse = (v, flag) => {
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new UsageError(`--${flag} expects true or false, got ${JSON.stringify(v)}`);
};

/** An integer flag in [min, max], in digits (parseArgs gives strings): undefined when absent, else one message naming the flag. */
export function intFlag(values: Record<string, unknown>, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = values[flag];
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!(typeof v === 'string' && DIGITS.test(v) && x >= min && x <= max))
    throw new UsageError(`--${flag} expects an integer ${max < Number.MAX_SAFE_INTEGER ? `from ${min} to ${max}` : `≥ ${min}`}, got ${JSON.stringify(v)}`);
  return x;
}

/** A duration in seconds, ≥ 0 (decimals allowed, e.g. 0.5). */
export function secondsFlag(values: Record<string, unknown>, flag: string): number | undefined {
  const v = values[flag];
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!(typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) && Number.isFinite(x)))
    throw new UsageError(`--${flag} expects seconds, a number ≥ 0 (e.g. 300; 0 = off), got ${JSON.stringify(v)}`);
  return x;
}

/** A seed flag: an integer 0…2³²−1 in digits (every seed its own stream; see Rng), like each seed of --seeds. */
export function seedFlag(values: Record<string, unknown>, flag = 'seed'): number | undefined {
  return intFlag(values, flag, 0, MAX_SEED);
}

/** flag → [config field, parser, help]. */
export const OVERRIDES: Record<string, [keyof ExperimentConfig, Parse, string]> = {
  lr: ['lr', num, 'learning rate α'],
  epochs: ['maxEpochs', int, 'maximum number of epochs (cap)'],
  patience: ['patience', int, 'early stopping: epochs without a better validation accuracy'],
  epsilon: ['epsilon', num, 'exploration rate ε of the max-Boltzmann controller'],
  beta: ['beta', num, 'inverse temperature β of the Boltzmann part'],
  'batch-size': ['batchSize', int, 'trials per batch'],
  init: ['init', num, 'initial weights uniform in [-init, init]'],
  feedback: ['feedback', str, 'feedback: symmetric (paper) | sign-symmetric | kolen-pollack | reciprocal | fixed-random | direct'],
  'weight-decay': ['weightDecay', num, 'L2 decay λ on W and W\' (kolen-pollack: default 0.01)'],
  'per-class': ['perClass', int, 'train on the first N images of each class only (0 = all)'],
  'test-limit': ['testLimit', int, 'evaluate on the first N test images only (0 = all)'],
  'val-size': ['valSize', int, 'training images held out for validation'],
  augment: ['augment', bool, 'random zoom/shift/flip: true | false'],
  'augment-factor': ['augmentFactor', int, 'times each image is seen per epoch'],
  'label-mode': ['labelMode', str, 'CIFAR-100 labels: fine | coarse'],
  'input-scale': ['inputScale', num, 'pixel values are in [0, input-scale] (default 1)'],
  'input-norm': ['inputNorm', str, 'none | per-channel: standardize pixels with the training split\'s mean and sd (default none)'],
  bias: ['bias', bool, 'a learned bias per unit, zero at the start: true | false (default false, as the paper\'s equations)'],
};

/** parseArgs option declarations for the override flags. */
export function overrideOptions(): Record<string, { type: 'string' }> {
  return Object.fromEntries(Object.keys(OVERRIDES).map(k => [k, { type: 'string' as const }]));
}

/** Config overrides from parsed values (only the flags that were given). */
export function collectOverrides(values: Record<string, unknown>): Partial<ExperimentConfig> {
  const out: Record<string, unknown> = {};
  for (const [flag, [field, parse]] of Object.entries(OVERRIDES)) {
    const v = values[flag];
    if (typeof v === 'string') out[field] = parse(v, flag);
  }
  return out as Partial<ExperimentConfig>;
}

/** The override flags back as argv (to hand them to sweep workers). */
export function overridesToArgs(values: Record<string, unknown>): string[] {
  return Object.keys(OVERRIDES).flatMap(flag => typeof values[flag] === 'string' ? [`--${flag}`, values[flag] as string] : []);
}

export function overrideHelp(): string {
  return Object.entries(OVERRIDES).map(([flag, [, , help]]) => `  --${flag.padEnd(16)} ${help}`).join('\n');
}

/** Most seeds one sweep takes: a sweep lists its jobs up front, and a typo like 1-99999999999 must not hang. */
export const MAX_SEEDS = 100_000;

/** "1-10", "3", "1,4,7" or "1-3,8" → [1..]. */
export function parseSeeds(spec: string): number[] {
  const seen = new Set<number>();
  for (const part of spec.split(',').map(s => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new UsageError(`--seeds expects e.g. 1-10 or 1,3,5; got ${JSON.stringify(spec)}`);
    const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new UsageError(`--seeds range ${part} is empty (end before start)`);
    if (b - a + 1 + seen.size > MAX_SEEDS) throw new UsageError(`--seeds ${spec} gives more than ${MAX_SEEDS} seeds; split the sweep`);
    if (!Number.isSafeInteger(b) || b > MAX_SEED) throw new UsageError(`--seeds: seed ${m[2] ?? m[1]} is too large (seeds are integers from 0 to ${MAX_SEED})`);
    for (let s = a; s <= b; s++) seen.add(s);
  }
  if (seen.size === 0) throw new UsageError(`--seeds is empty`);
  return [...seen];
}

/** `--lr` of a sweep: one α or a grid "0.003,0.01,0.03" (plain decimals). Each value comes back in
 *  its shortest form (1e-1 and 0.10 → "0.1"), which names the runs, so one α is always one name. */
export function parseLrGrid(spec: string): string[] {
  const values = spec.split(',').map(s => s.trim());
  for (const v of values) {
    if (v === '') throw new UsageError(`--lr expects a number or a list like 0.003,0.01,0.03; got ${JSON.stringify(spec)}`);
    const x = num(v, 'lr') as number;
    if (!(x > 0)) throw new UsageError(`--lr values must be > 0, got ${v}`);
  }
  if (new Set(values.map(Number)).size !== values.length) throw new UsageError(`--lr ${spec} lists a value twice`);
  return values.map(v => String(Number(v)));
}

/** --feedback of a sweep: one mode or a list, each once. */
export function parseFeedbackList(spec: string): FeedbackMode[] {
  const values = spec.split(',').map(s => s.trim());
  for (const v of values) if (!FEEDBACK_MODES.includes(v as FeedbackMode))
    throw new UsageError(`--feedback expects a mode or a list of modes from ${FEEDBACK_MODES.join(', ')}; got ${JSON.stringify(v)}`);
  if (new Set(values).size !== values.length) throw new UsageError(`--feedback ${spec} lists a mode twice`);
  return values as FeedbackMode[];
}

/** "i/n" (1-based) → {index, count}. */
export function parseShard(spec: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard expects i/n with 1 ≤ i ≤ n (e.g. 2/4), got ${JSON.stringify(spec)}`);
  return { index, count };
}

/** The jobs of shard i/n: every n-th job starting at the i-th, so shards partition the list exactly. */
export function shardJobs<T>(jobs: T[], shard: { index: number; count: number }): T[] {
  return jobs.filter((_, k) => k % shard.count === shard.index - 1);
}
