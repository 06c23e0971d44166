// Training-speed benchmark (issue 6): `npm run bench`. A script, not a test. What it measures and
// what limits each number: BENCHMARKS.md.
//
//   npm run bench                                   # full run (< 10 min on 2 cores)
//   npm run bench -- --quick                        # ~1-2 min: MNIST conv + CIFAR conv, fewer steps
//   npm run bench -- --archs mnist-conv,cifar-conv --threads 1,2 --steps 10 --no-sweep
//   npm run bench -- --help
//
// For each paper architecture × thread count, one child process (the wasm thread count is fixed
// per process) builds one network per rule on synthetic uint8 images of the dataset's shape and
// times, after warm-up and with the two rules interleaved step by step (so drift in machine load
// hits both alike):
//   - trainStep() itself (forward + action + rule + feedback + update; batch built beforehand):
//     median, quartiles, min/max of ms per step → samples/s, effective GFLOP/s (src/flops.ts);
//   - the same step split into stages (data, forward, action+rule, feedback, update), each
//     stage timed on its own (wasm kernels run synchronously, so wall time per call is the cost);
//   - one step under tf.profile: ms per kernel, and the time spent outside kernels;
//   - validation: evaluate() (src/train.ts) on synthetic images, images/s;
//   - peak RSS of the process (process.resourceUsage().maxRSS).
// Then sweep throughput: 1 and then 2 concurrent single-thread worker processes (as `deepagrel
// sweep` runs them) each train the sweep net for a fixed window after warming up and a common
// start signal; throughput = total steps/s, and the 2/1 ratio.
// The parent prints one markdown table (+ sweep, targets, kernel profile) and writes it with all
// samples as JSON: results/bench/bench-<timestamp>.json and results/bench/latest.json.

import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// ---------------------------------------------------------------------------------------------
// Architectures (Table 1 rows without augmentation; CIFAR-10 class count) and options

const ARCHS = {
  'mnist-fc': { preset: 'mnist-fc', shape: [28, 28, 1], classes: 10 },
  'mnist-conv': { preset: 'mnist-conv', shape: [28, 28, 1], classes: 10 },
  'mnist-loccon': { preset: 'mnist-loccon', shape: [28, 28, 1], classes: 10 },
  'cifar-conv': { preset: 'cifar10-conv', shape: [32, 32, 3], classes: 10 },
  'cifar-loccon': { preset: 'cifar10-loccon', shape: [32, 32, 3], classes: 10 },
} as const satisfies Record<string, { preset: string; shape: [number, number, number]; classes: number }>;
type ArchName = keyof typeof ARCHS;
const ARCH_NAMES = Object.keys(ARCHS) as ArchName[];
const RULE_NAMES = ['deepagrel', 'ebp'] as const;
type RuleName = typeof RULE_NAMES[number];

const MARK = '@@BENCH@@';            // child → parent: result line on stdout
const READY = '@@READY@@';           // sweep child: warmed up, waiting for "go" on stdin
const STAGES = ['data', 'forward', 'action', 'feedback', 'update'] as const;
type Stage = typeof STAGES[number];

const HELP = `npm run bench -- [options]
  --quick                 MNIST conv + CIFAR conv only, 4 steps, short sweep (~1-2 min)
  --archs a,b             of: ${ARCH_NAMES.join(', ')} (default all)
  --rules a,b             of: ${RULE_NAMES.join(', ')} (default both)
  --threads 1,2           wasm thread counts, one child process each (default 1,2)
  --steps N               measured steps per rule and config (default 10; fewer if over --budget)
  --warmup N              warm-up steps per rule (default 2; at least 1 is run)
  --budget S              seconds of measured steps per (net, threads) process (default 45)
  --max-minutes M         shrink the per-process budgets to finish in about M minutes (default 9)
  --val-images N          images for the validation throughput (default 2000)
  --sweep-seconds S       measuring window of the sweep throughput test (default 15)
  --sweep-arch a          net trained by the sweep workers (default mnist-conv, rule deepagrel)
  --no-sweep              skip the sweep throughput test
  --no-profile            skip the tf.profile kernel breakdown
  --backend b             wasm | cpu | tensorflow | auto (default: DEEPAGREL_BACKEND or auto)
  --out DIR               where the JSON goes (default results/bench; --out '' writes nothing)`;

interface Options {
  archs: ArchName[]; rules: RuleName[]; threads: number[]; steps: number; warmup: number; budgetSec: number;
  valImages: number; sweepSeconds: number; maxMinutes: number; sweepArch: ArchName; sweep: boolean; profile: boolean;
  backend?: string; out: string; quick: boolean; batchSize: number;
}

function list<T extends string>(v: string, allowed: readonly T[], what: string): T[] {
  const out = v.split(',').map(s => s.trim()).filter(Boolean);
  for (const x of out) if (!allowed.includes(x as T)) throw new Error(`unknown ${what} '${x}'; allowed: ${allowed.join(', ')}`);
  if (out.length === 0) throw new Error(`--${what}s needs at least one value`);
  return out as T[];
}

function posInt(v: string | undefined, flag: string, dflt: number, min = 1): number {
  if (v == null) return dflt;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new Error(`--${flag} expects an integer ≥ ${min}, got '${v}'`);
  return x;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv, allowPositionals: false, options: {
      quick: { type: 'boolean' }, archs: { type: 'string' }, rules: { type: 'string' }, threads: { type: 'string' },
      steps: { type: 'string' }, warmup: { type: 'string' }, budget: { type: 'string' }, 'max-minutes': { type: 'string' }, 'val-images': { type: 'string' },
      'sweep-seconds': { type: 'string' }, 'sweep-arch': { type: 'string' }, 'no-sweep': { type: 'boolean' },
      'no-profile': { type: 'boolean' }, backend: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { console.log(HELP); process.exit(0); }
  const quick = values.quick ?? false;
  const threads = (values.threads ?? '1,2').split(',').map(s => posInt(s.trim(), 'threads', 1));
  if (threads.some(t => t > 8)) throw new Error('--threads: at most 8');
  return {
    quick,
    archs: values.archs ? list(values.archs, ARCH_NAMES, 'arch') : quick ? ['mnist-conv', 'cifar-conv'] : ARCH_NAMES,
    rules: values.rules ? list(values.rules, RULE_NAMES, 'rule') : [...RULE_NAMES],
    threads: [...new Set(threads)],
    steps: posInt(values.steps, 'steps', quick ? 4 : 10),
    warmup: posInt(values.warmup, 'warmup', 2, 0),
    budgetSec: posInt(values.budget, 'budget', quick ? 15 : 45),
    valImages: posInt(values['val-images'], 'val-images', quick ? 500 : 2000),
    maxMinutes: posInt(values['max-minutes'], 'max-minutes', 9),
    sweepSeconds: posInt(values['sweep-seconds'], 'sweep-seconds', quick ? 6 : 15),
    sweepArch: values['sweep-arch'] ? list(values['sweep-arch'], ARCH_NAMES, 'arch')[0] : 'mnist-conv',
    sweep: !values['no-sweep'],
    profile: !values['no-profile'],
    backend: values.backend,
    out: values.out ?? 'results/bench',
    batchSize: 100,
  };
}

// ---------------------------------------------------------------------------------------------
// Statistics

function quantile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = (sorted.length - 1) * p, lo = Math.floor(i), hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

interface Summary { median: number; p25: number; p75: number; min: number; max: number; n: number }
function summarize(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p25: quantile(s, 0.25), p75: quantile(s, 0.75), min: s[0], max: s[s.length - 1], n: s.length };
}

const round = (x: number, d = 2) => Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x;

/** CPU time of this process (all threads) per wall-clock time since (cpu0, wall0). */
function cpuShare(cpu0: NodeJS.CpuUsage, wall0: number): number {
  const c = process.cpuUsage(cpu0);
  return round((c.user + c.system) / 1000 / (performance.now() - wall0));
}

// ---------------------------------------------------------------------------------------------
// Child: one (architecture, thread count) process

interface StepSpec { arch: ArchName; threads: number; rules: RuleName[]; steps: number; warmup: number; budgetSec: number; valImages: number; profile: boolean; backend?: string; batchSize: number }

interface KernelRow { kernel: string; ms: number; calls: number }
interface ProfileResult { steps: number; wallMs: number; kernelMs: number; outsideKernelsMs: number; byKernel: KernelRow[]; byKernelAndShape: KernelRow[] }

interface RuleResult {
  rule: RuleName;
  preset: string;
  steps: number;
  stepMs: Summary & { samples: number[] };
  stages: Record<Stage, Summary> & { stepTotal: Summary };
  profile?: ProfileResult;
  divergedResets: number;
}

interface ChildResult {
  arch: ArchName;
  backend: { name: string; threads: number; simd: boolean; versions: Record<string, string> };
  flops: import('../src/flops.ts').StepFlops;
  rules: RuleResult[];
  validation: { images: number; batchSize: number; ms: number; imagesPerSec: number; gflopPerSec: number };
  /** Process CPU time / wall time over the measured steps (1 thread: < 0.9 = waited for a core). */
  cpuPerWall: number;
  peakRssMB: number;
  loadavg: { start: number; end: number };
  wallSec: number;
}

async function runStepChild(spec: StepSpec): Promise<ChildResult> {
  const t0 = performance.now();
  const load0 = os.loadavg()[0];
  const { initBackend, tf } = await import('../src/backend.ts');
  const { Network } = await import('../src/network.ts');
  const { getRule } = await import('../src/rules/index.ts');
  const { trainStep, DivergenceError } = await import('../src/step.ts');
  const { greedy, selectAction } = await import('../src/action.ts');
  const { Rng } = await import('../src/rng.ts');
  const { resolvePreset } = await import('../src/presets.ts');
  const { countStepFlops } = await import('../src/flops.ts');
  const { evaluate } = await import('../src/train.ts');
  const { toFloat32, labelsOf } = await import('../src/data/batches.ts');
  type ImageSet = import('../src/data/types.ts').ImageSet;

  const info = await initBackend({ backend: spec.backend as any, threads: spec.threads });
  const arch = ARCHS[spec.arch];
  const shape = [...arch.shape] as [number, number, number];
  const B = spec.batchSize;
  const log = (s: string) => process.stderr.write(`  [${spec.arch} ${info.threads}t] ${s}\n`);

  // Synthetic images (uint8 noise, as stored by the loaders) and labels: the kernels' cost does
  // not depend on the pixel values.
  const synthetic = (n: number, seed: number): ImageSet => {
    const r = new Rng(seed);
    const per = shape[0] * shape[1] * shape[2];
    const images = new Uint8Array(n * per);
    for (let i = 0; i < images.length; i++) images[i] = r.uint32() >>> 24;
    const labels = Uint8Array.from({ length: n }, () => r.int(arch.classes));
    return { images, labels, n, shape };
  };
  const train = synthetic(1000, 1);
  let cursor = 0;
  const nextIndices = () => {
    const idx = Uint32Array.from({ length: B }, (_, i) => (cursor + i) % train.n);
    cursor = (cursor + B) % train.n;
    return idx;
  };
  const makeBatch = (idx: Uint32Array) => ({ x: tf.tensor4d(toFloat32(train, idx), [idx.length, ...shape], 'float32'), y: labelsOf(train, idx) });

  interface Runner {
    rule: RuleName; preset: string; net: InstanceType<typeof Network>; ruleObj: ReturnType<typeof getRule>;
    cfg: ReturnType<typeof resolvePreset>; rng: InstanceType<typeof Rng>; resets: number;
    plain: number[]; staged: Record<Stage, number[]>;
  }
  const build = (rule: RuleName, seed: number) => {
    const cfg = resolvePreset(`${arch.preset}-${rule}`);
    return { cfg, net: new Network({ inputShape: shape, layers: cfg.layers, numClasses: arch.classes, init: cfg.init, feedback: cfg.feedback, weightDecay: cfg.weightDecay, seed }) };
  };
  const runners: Runner[] = spec.rules.map((rule, k) => {
    const { cfg, net } = build(rule, 1 + k);
    return { rule, preset: cfg.preset, net, cfg, ruleObj: getRule(rule), rng: new Rng(100 + k), resets: 0, plain: [], staged: Object.fromEntries(STAGES.map(s => [s, []])) as unknown as Record<Stage, number[]> };
  });
  const flops = countStepFlops(runners[0].net, B);

  /** A diverged net (random labels, the paper's large α) is rebuilt; the step is not counted. */
  const guarded = (r: Runner, body: () => number | null): number | null => {
    try { return body(); } catch (e) {
      if (!(e instanceof DivergenceError)) throw e;
      r.net.dispose();
      r.net = build(r.rule, 1000 + r.resets).net;
      r.resets++;
      return null;
    }
  };

  /** trainStep as the training loop calls it; the batch is built before the clock starts. */
  const plainStep = (r: Runner): number | null => {
    const b = makeBatch(nextIndices());
    try {
      return guarded(r, () => {
        const t = performance.now();
        trainStep(r.net, r.ruleObj, b.x, b.y, r.cfg, r.rng);
        return performance.now() - t;
      });
    } finally { b.x.dispose(); }
  };

  /** The same step, stage by stage (mirrors src/step.ts; wasm ops are synchronous, so each
   *  stage's wall time is its cost; the forward stage ends with the Q-value read, as in trainStep). */
  const stagedStep = (r: Runner): Record<Stage, number> | null => {
    let out: Record<Stage, number> | null = null;
    guarded(r, () => {
      const n = arch.classes, net = r.net;
      const t0 = performance.now();
      const idx = nextIndices();
      const x = tf.tensor4d(toFloat32(train, idx), [idx.length, ...shape], 'float32');
      const y = labelsOf(train, idx);
      const t1 = performance.now();
      try {
        const q = net.forward(x, true);
        const qv = q.dataSync();
        q.dispose();
        const t2 = performance.now();
        for (let i = 0; i < qv.length; i++) if (!Number.isFinite(qv[i])) { net.release(); throw new DivergenceError('non-finite Q'); }
        const best = greedy(qv, n);
        const actions = r.ruleObj.selectsActions ? selectAction(qv, n, r.cfg, r.rng) : best;
        const { signal } = r.ruleObj.signal(qv, n, actions, y);
        const s = tf.tensor2d(signal, [actions.length, n]);
        const t3 = performance.now();
        net.feedback(s);
        s.dispose();
        const t4 = performance.now();
        net.update(r.cfg.lr);
        const t5 = performance.now();
        out = { data: t1 - t0, forward: t2 - t1, action: t3 - t2, feedback: t4 - t3, update: t5 - t4 };
      } finally { x.dispose(); }
      return 0;
    });
    return out;
  };

  // Warm-up (also estimates the step time for the budget).
  let estimate = 0;
  for (let i = 0; i < Math.max(1, spec.warmup); i++) {
    estimate = 0;
    for (const r of runners) estimate += plainStep(r) ?? 0;
  }
  const perRound = 2 * estimate;                          // one plain + one staged step per rule
  const steps = Math.max(Math.min(3, spec.steps), Math.min(spec.steps, Math.floor((spec.budgetSec * 1000) / Math.max(perRound, 1))));
  log(`warm-up step ${(estimate / runners.length).toFixed(0)} ms/rule; measuring ${steps} steps per rule${steps < spec.steps ? ` (budget ${spec.budgetSec} s)` : ''}`);

  // Measured rounds, the rules interleaved step by step. Diverged steps are retried.
  const cpu0 = process.cpuUsage(), wall0 = performance.now();
  for (let i = 0; i < steps; i++) {
    for (const r of runners) {
      for (let tries = 0; tries < 3; tries++) { const ms = plainStep(r); if (ms != null) { r.plain.push(ms); break; } }
      for (let tries = 0; tries < 3; tries++) {
        const st = stagedStep(r);
        if (st) { for (const s of STAGES) r.staged[s].push(st[s]); break; }
      }
    }
  }
  const cpuPerWall = cpuShare(cpu0, wall0);

  // Kernel profile: tf.profile over whole trainSteps (profiling adds a little bookkeeping per kernel).
  const profiles = new Map<RuleName, ProfileResult>();
  if (spec.profile) {
    const PROFILE_STEPS = 2;
    for (const r of runners) {
      const byName = new Map<string, KernelRow>(), byShape = new Map<string, KernelRow>();
      let wall = 0, kernels = 0, done = 0;
      for (let i = 0; i < PROFILE_STEPS; i++) {
        const b = makeBatch(nextIndices());
        let ms = 0;
        const p = await tf.profile(() => { guarded(r, () => { const t = performance.now(); trainStep(r.net, r.ruleObj, b.x, b.y, r.cfg, r.rng); ms = performance.now() - t; return ms; }); });
        b.x.dispose();
        if (ms === 0) continue;
        done++; wall += ms;
        for (const k of p.kernels) {
          const t = k.kernelTimeMs as number;
          kernels += t;
          const add = (m: Map<string, KernelRow>, key: string) => { const row = m.get(key) ?? { kernel: key, ms: 0, calls: 0 }; row.ms += t; row.calls++; m.set(key, row); };
          add(byName, k.name);
          add(byShape, `${k.name} ${k.inputShapes.map(s => `[${s ?? ''}]`).join('·')}`);
        }
      }
      const top = (m: Map<string, KernelRow>, n: number) => [...m.values()].sort((a, b) => b.ms - a.ms).slice(0, n)
        .map(x => ({ kernel: x.kernel, ms: round(x.ms / done), calls: round(x.calls / done, 1) }));
      if (done > 0) profiles.set(r.rule, {
        steps: done, wallMs: round(wall / done), kernelMs: round(kernels / done), outsideKernelsMs: round((wall - kernels) / done),
        byKernel: top(byName, 8), byKernelAndShape: top(byShape, 8),
      });
    }
  }

  // Validation throughput (test-time forward passes through evaluate(), batch 500).
  const net = runners[0].net;
  evaluate(net, synthetic(Math.min(500, spec.valImages), 7));          // warm-up, incl. the batch-500 shapes
  const val = synthetic(spec.valImages, 8);
  const tv = performance.now();
  evaluate(net, val);
  const valMs = performance.now() - tv;
  const fwdPerImage = flops.forward / B;

  const rules: RuleResult[] = runners.map(r => ({
    rule: r.rule, preset: r.preset, steps: r.plain.length,
    stepMs: { ...summarize(r.plain), samples: r.plain.map(x => round(x)) },
    stages: {
      ...(Object.fromEntries(STAGES.map(s => [s, summarize(r.staged[s])])) as Record<Stage, Summary>),
      stepTotal: summarize(r.staged.data.map((_, i) => STAGES.filter(s => s !== 'data').reduce((a, s) => a + r.staged[s][i], 0))),
    },
    profile: profiles.get(r.rule),
    divergedResets: r.resets,
  }));
  for (const r of runners) r.net.dispose();
  return {
    arch: spec.arch,
    backend: { name: info.name, threads: info.threads, simd: info.simd, versions: info.versions },
    flops, rules,
    validation: { images: spec.valImages, batchSize: 500, ms: round(valMs), imagesPerSec: round(spec.valImages / (valMs / 1000), 1), gflopPerSec: round(fwdPerImage * spec.valImages / (valMs / 1000) / 1e9) },
    cpuPerWall,
    peakRssMB: round(process.resourceUsage().maxRSS / 1024, 0),
    loadavg: { start: round(load0), end: round(os.loadavg()[0]) },
    wallSec: round((performance.now() - t0) / 1000, 1),
  };
}

// ---------------------------------------------------------------------------------------------
// Child: one sweep worker (single-threaded, as `deepagrel sweep` runs its workers)

interface SweepSpec { arch: ArchName; seconds: number; seed: number; backend?: string; batchSize: number }
interface SweepChildResult { steps: number; seconds: number; stepsPerSec: number; threads: number; cpuPerWall: number }

async function runSweepChild(spec: SweepSpec): Promise<SweepChildResult> {
  const { initBackend, tf } = await import('../src/backend.ts');
  const { Network } = await import('../src/network.ts');
  const { getRule } = await import('../src/rules/index.ts');
  const { trainStep, DivergenceError } = await import('../src/step.ts');
  const { Rng } = await import('../src/rng.ts');
  const { resolvePreset } = await import('../src/presets.ts');
  const { toFloat32, labelsOf } = await import('../src/data/batches.ts');
  const info = await initBackend({ backend: spec.backend as any });
  const arch = ARCHS[spec.arch];
  const shape = [...arch.shape] as [number, number, number];
  const cfg = resolvePreset(`${arch.preset}-deepagrel`);
  const r = new Rng(spec.seed);
  const per = shape[0] * shape[1] * shape[2], n = 1000, B = spec.batchSize;
  const set = { images: Uint8Array.from({ length: n * per }, () => r.uint32() >>> 24), labels: Uint8Array.from({ length: n }, () => r.int(arch.classes)), n, shape };
  const rule = getRule('deepagrel');
  let net = new Network({ inputShape: shape, layers: cfg.layers, numClasses: arch.classes, init: cfg.init, seed: spec.seed });
  let cursor = 0;
  const step = () => {   // as the training loop: build the batch, step, free it
    const idx = Uint32Array.from({ length: B }, (_, i) => (cursor + i) % n);
    cursor = (cursor + B) % n;
    const x = tf.tensor4d(toFloat32(set, idx), [B, ...shape], 'float32');
    try { trainStep(net, rule, x, labelsOf(set, idx), cfg, r); } catch (e) {
      if (!(e instanceof DivergenceError)) throw e;
      net.dispose();
      net = new Network({ inputShape: shape, layers: cfg.layers, numClasses: arch.classes, init: cfg.init, seed: spec.seed + 1 });
    } finally { x.dispose(); }
  };
  for (let i = 0; i < 2; i++) step();
  process.stdout.write(`${READY}\n`);
  await new Promise<void>(resolve => readline.createInterface({ input: process.stdin }).once('line', () => resolve()));
  const t0 = performance.now(), cpu0 = process.cpuUsage();
  let steps = 0;
  while (performance.now() - t0 < spec.seconds * 1000) { step(); steps++; }
  const seconds = (performance.now() - t0) / 1000;
  const cpuPerWall = cpuShare(cpu0, t0);
  net.dispose();
  return { steps, seconds: round(seconds, 3), stepsPerSec: round(steps / seconds, 3), threads: info.threads, cpuPerWall };
}

// ---------------------------------------------------------------------------------------------
// Parent

const SCRIPT = fileURLToPath(import.meta.url);

function spawnChild(kind: 'step' | 'sweep', spec: object, env: NodeJS.ProcessEnv, tag: string) {
  const child = spawn(process.execPath, [...process.execArgv, SCRIPT, '--worker', kind, JSON.stringify(spec)],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let result: unknown;
  const stderrTail: string[] = [];
  let onReady: (() => void) | undefined;
  const ready = new Promise<void>(resolve => { onReady = resolve; });
  readline.createInterface({ input: child.stdout }).on('line', line => {
    if (line.startsWith(MARK)) result = JSON.parse(line.slice(MARK.length));
    else if (line === READY) onReady!();
    else if (line.trim()) process.stderr.write(`  [${tag}] ${line}\n`);
  });
  readline.createInterface({ input: child.stderr }).on('line', line => {
    stderrTail.push(line); if (stderrTail.length > 30) stderrTail.shift();
    if (line.startsWith('  [')) process.stderr.write(line + '\n');          // our own progress lines
  });
  const done = new Promise<unknown>((resolve, reject) => {
    child.on('close', code => {
      if (code === 0 && result !== undefined) resolve(result);
      else reject(new Error(`${tag}: child exited with code ${code}\n${stderrTail.join('\n')}`));
    });
  });
  return { child, ready, done };
}

interface SweepResult {
  arch: ArchName; rule: 'deepagrel'; seconds: number;
  runs: { workers: number; stepsPerSec: number; stepsPerCpuSec: number; perWorker: SweepChildResult[] }[];
  /** Throughput of 2 workers / 1 worker (the target). */
  ratio: number;
  /** Steps per CPU-second, 2 workers / 1 worker: the scaling of the code itself, whatever CPU the
   *  machine had left; on an idle machine ratio ≈ 2 × this when each worker gets a whole core. */
  perCpuRatio: number;
  samplesPerSecPerWorker1: number;
}

async function measureSweep(o: Options): Promise<SweepResult> {
  const runs: SweepResult['runs'] = [];
  for (const workers of [1, 2]) {
    process.stderr.write(`sweep throughput: ${workers} worker(s) × ${o.sweepArch}, 1 thread each, ${o.sweepSeconds} s window\n`);
    const kids = Array.from({ length: workers }, (_, k) => spawnChild('sweep',
      { arch: o.sweepArch, seconds: o.sweepSeconds, seed: 11 + k, backend: o.backend, batchSize: o.batchSize } satisfies SweepSpec,
      { DEEPAGREL_WASM_THREADS: '1' }, `sweep ${k + 1}/${workers}`));
    // Everyone warmed up, then a common start: the windows overlap completely.
    await Promise.race([Promise.all(kids.map(k => k.ready)), Promise.all(kids.map(k => k.done))]);
    for (const k of kids) k.child.stdin.end('go\n');
    const per = await Promise.all(kids.map(k => k.done)) as SweepChildResult[];
    const stepsPerSec = per.reduce((a, p) => a + p.stepsPerSec, 0);
    const cpu = per.reduce((a, p) => a + p.cpuPerWall, 0);
    runs.push({ workers, stepsPerSec: round(stepsPerSec, 3), stepsPerCpuSec: round(stepsPerSec / cpu, 3), perWorker: per });
  }
  return { arch: o.sweepArch, rule: 'deepagrel', seconds: o.sweepSeconds, runs, ratio: round(runs[1].stepsPerSec / runs[0].stepsPerSec, 3),
    perCpuRatio: round(runs[1].stepsPerCpuSec / runs[0].stepsPerCpuSec, 3), samplesPerSecPerWorker1: round(runs[0].stepsPerSec * o.batchSize, 1) };
}

interface ConfigRow {
  arch: ArchName; rule: RuleName; preset: string; threads: number; backend: string;
  gflop: number; steps: number; msMedian: number; msP25: number; msP75: number; msMin: number; msMax: number; samplesMs: number[];
  samplesPerSec: number; gflopPerSec: number;
  stagesMs: Record<Stage, number> & { stepTotal: number };
  profile?: ProfileResult;
  /** Per process (both rules' nets in it). */
  validation: ChildResult['validation'];
  cpuPerWall: number;
  peakRssMB: number;
  flops: ChildResult['flops'];
  loadavg: ChildResult['loadavg'];
  divergedResets: number;
}

function toRows(c: ChildResult): ConfigRow[] {
  return c.rules.map(r => ({
    arch: c.arch, rule: r.rule, preset: r.preset, threads: c.backend.threads, backend: c.backend.name,
    gflop: round(c.flops.total / 1e9, 3), steps: r.steps,
    msMedian: round(r.stepMs.median), msP25: round(r.stepMs.p25), msP75: round(r.stepMs.p75), msMin: round(r.stepMs.min), msMax: round(r.stepMs.max), samplesMs: r.stepMs.samples,
    samplesPerSec: round(c.flops.batchSize / (r.stepMs.median / 1000), 1),
    gflopPerSec: round(c.flops.total / 1e9 / (r.stepMs.median / 1000)),
    stagesMs: { ...(Object.fromEntries(STAGES.map(s => [s, round(r.stages[s].median)])) as Record<Stage, number>), stepTotal: round(r.stages.stepTotal.median) },
    profile: r.profile, validation: c.validation, cpuPerWall: c.cpuPerWall, peakRssMB: c.peakRssMB, flops: c.flops, loadavg: c.loadavg, divergedResets: r.divergedResets,
  }));
}

interface Target { name: string; value: number | null; limit: number; unit: string; pass: boolean | null; text: string }

function checkTargets(rows: ConfigRow[], sweep: SweepResult | undefined): Target[] {
  const find = (arch: ArchName, rule: RuleName, threads: number) => rows.find(r => r.arch === arch && r.rule === rule && r.threads === threads && r.backend === 'wasm');
  const out: Target[] = [];
  const le = (name: string, value: number | null | undefined, limit: number, unit: string, detail = ''): void => {
    if (value == null || !Number.isFinite(value)) { out.push({ name, value: null, limit, unit, pass: null, text: `–  ${name}: not measured in this run` }); return; }
    const pass = value <= limit;
    const miss = pass ? '' : `, misses by ${unit === '×' ? round(value - limit, 3) + '×' : round(value - limit, 1) + ' ' + unit} (${round((value / limit - 1) * 100, 1)}%)`;
    out.push({ name, value: round(value, 3), limit, unit, pass, text: `${pass ? '✓' : '✗'}  ${name}: ${round(value, unit === '×' ? 3 : 1)}${unit === '×' ? '×' : ' ' + unit} (≤ ${limit}${unit === '×' ? '×' : ' ' + unit})${miss}${detail}` });
  };
  le('MNIST conv DeepAGREL step, 2 threads', find('mnist-conv', 'deepagrel', 2)?.msMedian, 100, 'ms');
  le('MNIST conv DeepAGREL step, 1 thread', find('mnist-conv', 'deepagrel', 1)?.msMedian, 180, 'ms');
  le('CIFAR conv DeepAGREL step, 2 threads', find('cifar-conv', 'deepagrel', 2)?.msMedian, 150, 'ms');
  for (const a of ARCH_NAMES) for (const t of [...new Set(rows.map(r => r.threads))].sort()) {
    const d = find(a, 'deepagrel', t), e = find(a, 'ebp', t);
    if (d && e) {
      // Median of the per-round ratios: the rules ran interleaved, so a round's pair saw the same load.
      const n = Math.min(d.samplesMs.length, e.samplesMs.length);
      const paired = summarize(Array.from({ length: n }, (_, i) => d.samplesMs[i] / e.samplesMs[i])).median;
      le(`${a} ${t}t DeepAGREL/EBP step (paired median ratio)`, paired, 1.05, '×', `  [medians ${d.msMedian} vs ${e.msMedian} ms]`);
    }
  }
  if (sweep) {
    const v = sweep.ratio, pass = v >= 1.8;
    out.push({ name: '2 vs 1 sweep workers throughput', value: v, limit: 1.8, unit: '×', pass,
      text: `${pass ? '✓' : '✗'}  2 sweep workers vs 1: ${v}× (≥ 1.8×)${pass ? '' : `, misses by ${round(1.8 - v, 2)}×`}  [${sweep.runs[0].stepsPerSec} → ${sweep.runs[1].stepsPerSec} steps/s]` });
  }
  return out;
}

function table(rows: ConfigRow[]): string {
  const f = (x: number, d = 1) => Number.isFinite(x) ? x.toFixed(d) : '–';
  const head = ['net', 'rule', 'thr', 'GFLOP/step', 'ms/step median', 'p25–p75', 'min–max', 'samples/s', 'GFLOP/s',
    'data', 'forward', 'action', 'feedback', 'update', 'val img/s', 'peak RSS MB', 'CPU/wall'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => i < 2 ? '---' : '--:').join('|')}|`];
  for (const r of rows) {
    const s = r.stagesMs;
    lines.push(`| ${[r.arch, r.rule, r.threads, f(r.gflop, 2), f(r.msMedian), `${f(r.msP25, 0)}–${f(r.msP75, 0)}`, `${f(r.msMin, 0)}–${f(r.msMax, 0)}`,
      f(r.samplesPerSec, 0), f(r.gflopPerSec, 1), f(s.data), f(s.forward), f(s.action), f(s.feedback), f(s.update),
      f(r.validation.imagesPerSec, 0), f(r.peakRssMB, 0), f(r.cpuPerWall, 2)].join(' | ')} |`);
  }
  return lines.join('\n');
}

function profileLines(rows: ConfigRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (!r.profile) continue;
    const p = r.profile;
    const top = p.byKernel.slice(0, 6).map(k => `${k.kernel} ${k.ms.toFixed(1)}${k.calls > 1 ? ` (×${k.calls})` : ''}`).join(', ');
    out.push(`- ${r.arch} ${r.rule} ${r.threads}t: ${p.wallMs.toFixed(0)} ms = kernels ${p.kernelMs.toFixed(0)} [${top}] + ${p.outsideKernelsMs.toFixed(0)} outside kernels`);
    if (r.rule === 'deepagrel') out.push(`    hottest: ${p.byKernelAndShape.slice(0, 5).map(k => `${k.kernel} ${k.ms.toFixed(1)}`).join('; ')}`);
  }
  return out;
}

/** Hardware threads per core from /proc/cpuinfo (siblings / cpu cores); null where unknown. */
function cpuThreadsPerCore(): number | null {
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const siblings = Number(/^siblings\s*:\s*(\d+)/m.exec(info)?.[1]), cores = Number(/^cpu cores\s*:\s*(\d+)/m.exec(info)?.[1]);
    return siblings > 0 && cores > 0 ? siblings / cores : null;
  } catch { return null; }
}

function gitInfo(): { commit: string; dirty: boolean } | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
    return { commit, dirty };
  } catch { return undefined; }
}

async function parent(o: Options): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const load0 = os.loadavg();
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const threadsPerCore = cpuThreadsPerCore();
  process.stderr.write(`bench: ${o.archs.join(', ')} × ${o.rules.join('/')} × threads ${o.threads.join(',')}; ${o.steps} steps (+${o.warmup} warm-up), batch ${o.batchSize}` +
    `; load average ${load0[0].toFixed(2)} on ${os.availableParallelism()} cores${load0[0] > 0.5 ? ' (machine busy: numbers inflated, 2 threads/2 workers especially)' : ''}\n`);

  const children: ChildResult[] = [];
  const failures: string[] = [];
  // Time cap: the sweep test needs its two windows plus start-up; each step process ~15 s besides
  // its measured steps (start-up, warm-up, profile, validation).
  const sweepReserve = o.sweep ? 2 * (o.sweepSeconds + 10) : 0;
  let left = o.archs.length * o.threads.length;
  for (const arch of o.archs) {
    for (const threads of o.threads) {
      const remaining = o.maxMinutes * 60 - (performance.now() - t0) / 1000 - sweepReserve;
      const budgetSec = Math.max(3, Math.min(o.budgetSec, Math.floor(remaining / left - 15)));
      left--;
      const spec: StepSpec = { arch, threads, rules: o.rules, steps: o.steps, warmup: o.warmup, budgetSec, valImages: o.valImages, profile: o.profile, backend: o.backend, batchSize: o.batchSize };
      process.stderr.write(`${arch}, ${threads} thread(s)...${budgetSec < o.budgetSec ? ` (budget ${budgetSec} s to stay within ${o.maxMinutes} min)` : ''}\n`);
      let c: ChildResult;
      try {
        c = await spawnChild('step', spec, { DEEPAGREL_WASM_THREADS: String(threads) }, `${arch} ${threads}t`).done as ChildResult;
      } catch (e) {
        failures.push(`${arch} ${threads}t: ${(e as Error).message.split('\n').slice(-3).join(' | ')}`);
        process.stderr.write(`  FAILED: ${(e as Error).message}\n`);
        continue;
      }
      children.push(c);
      process.stderr.write(`  ${c.rules.map(r => `${r.rule} ${r.stepMs.median.toFixed(1)} ms`).join(', ')}; ${c.wallSec} s\n`);
      if (c.backend.name !== 'wasm') { process.stderr.write(`  backend ${c.backend.name}: thread count is not ours to set, skipping the other counts\n`); break; }
    }
  }
  const rows = children.flatMap(toRows);
  let sweep: SweepResult | undefined;
  if (o.sweep) {
    try { sweep = await measureSweep(o); } catch (e) {
      failures.push(`sweep: ${(e as Error).message.split('\n').slice(-3).join(' | ')}`);
      process.stderr.write(`  FAILED: ${(e as Error).message}\n`);
    }
  }
  const targets = checkTargets(rows, sweep);
  const load1 = os.loadavg();
  const durationSec = round((performance.now() - t0) / 1000, 1);
  const b = children[0]?.backend;

  const header = `DeepAGREL training step benchmark — ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC\n` +
    `backend ${b?.name ?? '?'} (simd ${b?.simd}), ${Object.entries(b?.versions ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}, node ${process.versions.node}\n` +
    `${cpu}, ${os.availableParallelism()} cores${threadsPerCore ? ` (${threadsPerCore} hardware thread(s) per core)` : ''}; load average ${load0[0].toFixed(2)} at start, ${load1[0].toFixed(2)} at end` +
    `${Math.max(load0[0], load1[0]) > 0.5 ? ' — the machine was busy: times are inflated' : ''}\n` +
    `batch ${o.batchSize}, synthetic images; step = trainStep (forward + action + rule + feedback + update), ${o.warmup} warm-up then up to ${o.steps} steps per rule, rules interleaved`;
  const sweepLine = sweep
    ? `Sweep throughput (${sweep.arch} DeepAGREL, 1 wasm thread per worker, ${sweep.seconds} s window): 1 worker ${sweep.runs[0].stepsPerSec} steps/s, ` +
      `2 workers ${sweep.runs[1].stepsPerSec} steps/s (${sweep.runs[1].perWorker.map(p => p.stepsPerSec).join(' + ')}) → ${sweep.ratio}×; ` +
      `CPU/wall per worker ${sweep.runs.map(r => r.perWorker.map(p => p.cpuPerWall).join(' + ')).join(' → ')}; ` +
      `steps per CPU-second ${sweep.runs[0].stepsPerCpuSec} → ${sweep.runs[1].stepsPerCpuSec} (${sweep.perCpuRatio}×: with a free core per worker, expect ≈ ${round(2 * sweep.perCpuRatio, 2)}×)`
    : `Sweep throughput: not measured${o.sweep ? ' (failed)' : ' (--no-sweep)'}`;
  const md = [
    header, '',
    table(rows), '',
    'Times in ms (medians). data / forward / action / feedback / update: the step split into stages (data = batch from uint8 + tensor, not part of ms/step). ' +
    'val img/s: evaluate() at batch 500. val img/s, peak RSS and CPU/wall (process CPU time over wall time while measuring; ' +
    '1 thread: below ~0.95 the process waited for a core) are per process, i.e. shared by both rules\' rows.', '',
    sweepLine, '',
    'Targets:', ...targets.map(t => `  ${t.text}`), '',
    ...(o.profile ? ['Kernel profile (tf.profile, one trainStep, ms per step):', ...profileLines(rows)] : []),
    ...(failures.length ? ['', 'FAILED:', ...failures.map(f => `  ${f}`)] : []),
    '', `Bench wall time ${durationSec} s.`,
  ].join('\n');
  console.log('\n' + md);

  if (o.out) {
    const json = {
      kind: 'deepagrel-bench', schema: 1, date: started.toISOString(), durationSec, argv: process.argv.slice(2),
      machine: { cpu, cores: os.availableParallelism(), threadsPerCore, memGB: round(os.totalmem() / 2 ** 30, 1), platform: `${os.platform()} ${os.release()} ${os.arch()}`, loadavgStart: load0.map(x => round(x)), loadavgEnd: load1.map(x => round(x)) },
      backend: b ? { name: b.name, simd: b.simd, threads: [...new Set(children.map(c => c.backend.threads))] } : null,
      versions: { node: process.versions.node, v8: process.versions.v8, ...(b?.versions ?? {}), workbook: JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version },
      git: gitInfo(),
      settings: { archs: o.archs, rules: o.rules, threads: o.threads, steps: o.steps, warmup: o.warmup, budgetSec: o.budgetSec, maxMinutes: o.maxMinutes, batchSize: o.batchSize, valImages: o.valImages, sweepSeconds: o.sweepSeconds, sweepArch: o.sweepArch, quick: o.quick },
      configs: rows, sweep: sweep ?? null, targets, failures, table: md,
    };
    fs.mkdirSync(o.out, { recursive: true });
    const stamp = started.toISOString().replace(/[:]/g, '').replace(/\..*/, '');
    const file = path.join(o.out, `bench-${stamp}${o.quick ? '-quick' : ''}.json`);
    const text = JSON.stringify(json, null, 1) + '\n';
    fs.writeFileSync(file, text);
    fs.writeFileSync(path.join(o.out, 'latest.json'), text);
    console.log(`\nwrote ${file} and ${path.join(o.out, 'latest.json')}`);
  }
  if (failures.length) process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
if (argv[0] === '--worker') {
  const spec = JSON.parse(argv[2]);
  const result = argv[1] === 'sweep' ? await runSweepChild(spec) : await runStepChild(spec);
  // exit once the line is out (wasm pthread workers are unref'd; wait for nothing else)
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`, () => process.exit(0));
} else {
  try {
    await parent(parseOptions(argv));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    process.exit(1);
  }
}
