// Benchmark options: the paper architectures it can time, the command line, the child protocol.

import { parseArgs } from 'node:util';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { ENGINES, type CompareOptions, type Engine } from './compare.ts';

// Architectures (Table 1 rows without augmentation; CIFAR-10 class count)
export const ARCHS = {
  'mnist-fc': { preset: 'mnist-fc', shape: [28, 28, 1], classes: 10 },
  'mnist-conv': { preset: 'mnist-conv', shape: [28, 28, 1], classes: 10 },
  'mnist-loccon': { preset: 'mnist-loccon', shape: [28, 28, 1], classes: 10 },
  'cifar-conv': { preset: 'cifar10-conv', shape: [32, 32, 3], classes: 10 },
  'cifar-loccon': { preset: 'cifar10-loccon', shape: [32, 32, 3], classes: 10 },
} as const satisfies Record<string, { preset: string; shape: [number, number, number]; classes: number }>;
export type ArchName = keyof typeof ARCHS;
export const ARCH_NAMES = Object.keys(ARCHS) as ArchName[];
export const RULE_NAMES = ['deepagrel', 'ebp'] as const;
export type RuleName = typeof RULE_NAMES[number];

export const MARK = '@@BENCH@@';            // child → parent: result line on stdout
export const READY = '@@READY@@';           // sweep child: warmed up, waiting for "go" on stdin
export const STAGES = ['data', 'forward', 'action', 'feedback', 'update'] as const;
export type Stage = typeof STAGES[number];

export const HELP = `npm run bench -- [options]
  --quick                 MNIST conv + CIFAR conv only, 4 steps, short sweep (~1-2 min)
  --archs a,b             of: ${ARCH_NAMES.join(', ')} (default all)
  --rules a,b             of: ${RULE_NAMES.join(', ')} (default both)
  --threads 1,2           wasm thread counts, one child process each (default 1,2)
  --steps N               measured steps per rule and config (default 10; fewer if over --budget)
  --warmup N              warm-up steps per rule (default 2; at least 1 is run)
  --budget S              seconds of measured steps per (net, threads) process (default 45)
  --max-minutes M         shrink the per-process budgets to finish in about M minutes (default 10)
  --val-images N          images for the validation throughput (default 2000)
  --sweep-seconds S       measuring window of the sweep throughput test (default 15)
  --sweep-arch a          net trained by the sweep workers (default mnist-conv, rule deepagrel)
  --no-sweep              skip the sweep throughput test
  --no-profile            skip the tf.profile kernel breakdown
  --backend b             backend of the detailed table: native | wasm | webgpu | cpu | tensorflow | auto
                          (webgpu: the adapter is printed in the header and kept in the JSON)
                          (default: DEEPAGREL_BACKEND or auto)
  --compare-archs a,b     nets of the engine comparison (default mnist-fc,mnist-conv,cifar-conv)
  --engines a,b           of: native, wasm, pytorch (default all; pytorch when python3 imports torch)
  --rounds N              comparison rounds, engines in rotating order (default 3)
  --compare-steps N       steps per rule, engine and round (default 5)
  --python PATH[,PATH]    more Pythons with torch (repeatable); always tried: /usr/bin/python3 (else
                          python3) and .cache/torch-venv/bin/python; each that imports torch runs
  --pytorch-threads 1,2   PyTorch's thread counts (default 1, powers of 2 below the cores, the cores,
                          and --threads): PyTorch's best is the fastest of all its configurations
  --no-pytorch-spin       skip PyTorch's short-spin (GOMP_SPINCOUNT=30000) variants above 1 thread
  --native-dir DIR        another native build's folder (its build/, e.g. against oneDNN 3) run beside
                          this checkout's at each thread count (repeatable); ratios printed per round
  --no-compare            skip the engine comparison
  --out DIR               where the JSON goes (default results/bench; --out '' writes nothing)`;

export interface Options {
  archs: ArchName[]; rules: RuleName[]; threads: number[]; steps: number; warmup: number; budgetSec: number;
  valImages: number; sweepSeconds: number; maxMinutes: number; sweepArch: ArchName; sweep: boolean; profile: boolean;
  backend?: string; out: string; quick: boolean; batchSize: number;
  compare: CompareOptions | null;
}

export function list<T extends string>(v: string, allowed: readonly T[], what: string): T[] {
  const out = v.split(',').map(s => s.trim()).filter(Boolean);
  for (const x of out) if (!allowed.includes(x as T)) throw new Error(`unknown ${what} '${x}'; allowed: ${allowed.join(', ')}`);
  if (out.length === 0) throw new Error(`--${what}s needs at least one value`);
  return out as T[];
}

export function posInt(v: string | undefined, flag: string, dflt: number, min = 1): number {
  if (v == null) return dflt;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new Error(`--${flag} expects an integer ≥ ${min}, got '${v}'`);
  return x;
}

/** PyTorch's thread counts: 1, the powers of 2 below `cores`, `cores`, and ours. */
export function defaultPytorchThreads(cores: number, ours: number[]): number[] {
  const ts = [1, ...ours, Math.max(1, cores)];
  for (let t = 2; t < cores; t *= 2) ts.push(t);
  return [...new Set(ts)].sort((a, b) => a - b);
}

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv, allowPositionals: false, options: {
      quick: { type: 'boolean' }, archs: { type: 'string' }, rules: { type: 'string' }, threads: { type: 'string' },
      steps: { type: 'string' }, warmup: { type: 'string' }, budget: { type: 'string' }, 'max-minutes': { type: 'string' }, 'val-images': { type: 'string' },
      'sweep-seconds': { type: 'string' }, 'sweep-arch': { type: 'string' }, 'no-sweep': { type: 'boolean' },
      'no-profile': { type: 'boolean' }, backend: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      'compare-archs': { type: 'string' }, engines: { type: 'string' }, rounds: { type: 'string' }, 'compare-steps': { type: 'string' },
      python: { type: 'string', multiple: true }, 'no-compare': { type: 'boolean' },
      'pytorch-threads': { type: 'string' }, 'no-pytorch-spin': { type: 'boolean' }, 'native-dir': { type: 'string', multiple: true },
    },
  });
  if (values.help) { console.log(HELP); process.exit(0); }
  const quick = values.quick ?? false;
  const threads = (values.threads ?? '1,2').split(',').map(s => posInt(s.trim(), 'threads', 1));
  if (threads.some(t => t > 256)) throw new Error('--threads: at most 256');
  const rules = values.rules ? list(values.rules, RULE_NAMES, 'rule') : [...RULE_NAMES];
  const compare: CompareOptions | null = values['no-compare'] ? null : {
    archs: values['compare-archs'] ? list(values['compare-archs'], ARCH_NAMES, 'arch') : quick ? ['mnist-conv'] : ['mnist-fc', 'mnist-conv', 'cifar-conv'],
    threads: [...new Set(threads)], rules,
    pytorchThreads: values['pytorch-threads'] ? [...new Set(values['pytorch-threads'].split(',').map(s => posInt(s.trim(), 'pytorch-threads', 1)))].sort((a, b) => a - b)
      : defaultPytorchThreads(os.availableParallelism(), threads),
    spin: !values['no-pytorch-spin'],
    engines: values.engines ? list(values.engines, ENGINES as Engine[], 'engine') : [...ENGINES],
    rounds: posInt(values.rounds, 'rounds', quick ? 2 : 3),
    steps: posInt(values['compare-steps'], 'compare-steps', quick ? 3 : 5),
    evalImages: quick ? 1000 : 2000, batchSize: 100,
    pythons: (values.python ?? []).flatMap(p => p.split(',')).map(p => p.trim()).filter(Boolean),
    nativeDirs: (values['native-dir'] ?? []).map(d => {
      const dir = path.resolve(d);
      if (!fs.existsSync(path.join(dir, 'build', 'Release', 'deepagrel_native.node'))) throw new Error(`--native-dir ${d}: expected a built native folder (${path.join(dir, 'build', 'Release', 'deepagrel_native.node')} is missing)`);
      return dir;
    }),
  };
  return {
    quick,
    archs: values.archs ? list(values.archs, ARCH_NAMES, 'arch') : quick ? ['mnist-conv', 'cifar-conv'] : ARCH_NAMES,
    rules,
    threads: [...new Set(threads)],
    steps: posInt(values.steps, 'steps', quick ? 4 : 10),
    warmup: posInt(values.warmup, 'warmup', 2, 0),
    budgetSec: posInt(values.budget, 'budget', quick ? 15 : 45),
    valImages: posInt(values['val-images'], 'val-images', quick ? 500 : 2000),
    maxMinutes: posInt(values['max-minutes'], 'max-minutes', 10),
    sweepSeconds: posInt(values['sweep-seconds'], 'sweep-seconds', quick ? 6 : 15),
    sweepArch: values['sweep-arch'] ? list(values['sweep-arch'], ARCH_NAMES, 'arch')[0] : 'mnist-conv',
    sweep: !values['no-sweep'],
    profile: !values['no-profile'],
    backend: values.backend,
    out: values.out ?? 'results/bench',
    batchSize: 100,
    compare,
  };
}

