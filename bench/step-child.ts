// Child process: one (architecture, thread count). Builds one network per rule on synthetic uint8
// images and times trainStep (rules interleaved), its stages, one profiled step and validation.
// src/ is imported lazily so the parent process never loads TensorFlow.js.

import * as os from 'node:os';
import { ARCHS, STAGES, type ArchName, type RuleName, type Stage } from './options.ts';
import { cpuShare, round, summarize, type Summary } from './stats.ts';
import { syntheticImages } from './synthetic.ts';

export interface StepSpec { arch: ArchName; threads: number; rules: RuleName[]; steps: number; warmup: number; budgetSec: number; valImages: number; profile: boolean; backend?: string; batchSize: number }

export interface KernelRow { kernel: string; ms: number; calls: number }
export interface ProfileResult { steps: number; wallMs: number; kernelMs: number; outsideKernelsMs: number; byKernel: KernelRow[]; byKernelAndShape: KernelRow[] }

export interface RuleResult {
  rule: RuleName;
  preset: string;
  steps: number;
  stepMs: Summary & { samples: number[] };
  stages: Record<Stage, Summary> & { stepTotal: Summary };
  profile?: ProfileResult;
  divergedResets: number;
}

export interface ChildResult {
  arch: ArchName;
  backend: { name: string; threads: number; simd: boolean; versions: Record<string, string>; kernels?: string; library?: import('../src/backend/native-addon.ts').NativeLibraryInfo; adapter?: import('../src/backend/webgpu.ts').AdapterInfo };
  flops: import('../src/flops.ts').StepFlops;
  rules: RuleResult[];
  validation: { images: number; batchSize: number; ms: number; imagesPerSec: number; gflopPerSec: number };
  /** Process CPU time / wall time over the measured steps (1 thread: < 0.9 = waited for a core). */
  cpuPerWall: number;
  peakRssMB: number;
  loadavg: { start: number; end: number };
  wallSec: number;
}

export async function runStepChild(spec: StepSpec): Promise<ChildResult> {
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

  const info = await initBackend({ backend: spec.backend as any, threads: spec.threads });
  const arch = ARCHS[spec.arch];
  const shape = [...arch.shape] as [number, number, number];
  const B = spec.batchSize;
  const log = (s: string) => process.stderr.write(`  [${spec.arch} ${info.threads}t] ${s}\n`);

  const synthetic = (n: number, seed: number) => syntheticImages(shape, arch.classes, n, seed);
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

  const guardedAsync = async (r: Runner, body: () => Promise<number>): Promise<number | null> => {
    try { return await body(); } catch (e) { return guarded(r, () => { throw e; }); }
  };

  /** trainStep as the training loop calls it (awaited: it may return a promise); the batch is
   *  built before the clock starts. */
  const plainStep = async (r: Runner): Promise<number | null> => {
    const b = makeBatch(nextIndices());
    try {
      return await guardedAsync(r, async () => {
        const t = performance.now();
        await trainStep(r.net, r.ruleObj, b.x, b.y, r.cfg, r.rng);
        return performance.now() - t;
      });
    } finally { b.x.dispose(); }
  };

  /** The same step, stage by stage (mirrors src/step.ts; wasm ops are synchronous, so each
   *  stage's wall time is its cost; the forward stage ends with the Q-value read, awaited as in
   *  trainStep, so it works on webgpu too). */
  const stagedStep = async (r: Runner): Promise<Record<Stage, number> | null> => {
    let out: Record<Stage, number> | null = null;
    await guardedAsync(r, async () => {
      const n = arch.classes, net = r.net;
      const t0 = performance.now();
      const idx = nextIndices();
      const x = tf.tensor4d(toFloat32(train, idx), [idx.length, ...shape], 'float32');
      const y = labelsOf(train, idx);
      const t1 = performance.now();
      try {
        const q = net.forward(x, true);
        const qv = await q.data();
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
    for (const r of runners) estimate += (await plainStep(r)) ?? 0;
  }
  const perRound = 2 * estimate;                          // one plain + one staged step per rule
  const steps = Math.max(Math.min(3, spec.steps), Math.min(spec.steps, Math.floor((spec.budgetSec * 1000) / Math.max(perRound, 1))));
  log(`warm-up step ${(estimate / runners.length).toFixed(0)} ms/rule; measuring ${steps} steps per rule${steps < spec.steps ? ` (budget ${spec.budgetSec} s)` : ''}`);

  // Measured rounds, the rules interleaved step by step. Diverged steps are retried.
  const cpu0 = process.cpuUsage(), wall0 = performance.now();
  for (let i = 0; i < steps; i++) {
    for (const r of runners) {
      for (let tries = 0; tries < 3; tries++) { const ms = await plainStep(r); if (ms != null) { r.plain.push(ms); break; } }
      for (let tries = 0; tries < 3; tries++) {
        const st = await stagedStep(r);
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
        const p = await tf.profile(async () => { await guardedAsync(r, async () => { const t = performance.now(); await trainStep(r.net, r.ruleObj, b.x, b.y, r.cfg, r.rng); ms = performance.now() - t; return ms; }); });
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
  await evaluate(net, synthetic(Math.min(500, spec.valImages), 7));    // warm-up, incl. the batch-500 shapes
  const val = synthetic(spec.valImages, 8);
  const tv = performance.now();
  await evaluate(net, val);
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
    backend: { name: info.name, threads: info.threads, simd: info.simd, versions: info.versions, kernels: info.kernels, library: info.library, adapter: info.adapter },
    flops, rules,
    validation: { images: spec.valImages, batchSize: 500, ms: round(valMs), imagesPerSec: round(spec.valImages / (valMs / 1000), 1), gflopPerSec: round(fwdPerImage * spec.valImages / (valMs / 1000) / 1e9) },
    cpuPerWall,
    peakRssMB: round(process.resourceUsage().maxRSS / 1024, 0),
    loadavg: { start: round(load0), end: round(os.loadavg()[0]) },
    wallSec: round((performance.now() - t0) / 1000, 1),
  };
}

