// Child process of the engine comparison (bench/compare.ts): one engine (our 'native' or 'wasm'
// backend) × one net × one thread count, kept alive so the parent can interleave rounds of all
// engines. Same protocol as bench/pytorch_step.py: a ready line (with the step's FLOPs,
// src/flops.ts), then {steps} → per-rule ms and the process's CPU and wall ms over them,
// {evalImages} → images/s, {quit}.

import * as readline from 'node:readline';
import { ARCHS, MARK, type ArchName, type RuleName } from './options.ts';
import { syntheticImages } from './synthetic.ts';

export interface CompareSpec { arch: ArchName; threads: number; backend: string; rules: RuleName[]; batchSize: number; warmup: number }

export async function runCompareChild(spec: CompareSpec): Promise<void> {
  const { initBackend, tf } = await import('../src/backend.ts');
  const { Network } = await import('../src/network.ts');
  const { getRule } = await import('../src/rules/index.ts');
  const { trainStep, DivergenceError } = await import('../src/step.ts');
  const { Rng } = await import('../src/rng.ts');
  const { resolvePreset } = await import('../src/presets.ts');
  const { evaluate } = await import('../src/train.ts');
  const { toFloat32, labelsOf } = await import('../src/data/batches.ts');
  const { countStepFlops } = await import('../src/flops.ts');

  const info = await initBackend({ backend: spec.backend as 'native', threads: spec.threads });
  const arch = ARCHS[spec.arch];
  const shape = [...arch.shape] as [number, number, number];
  const B = spec.batchSize;
  const synthetic = (n: number, seed: number) => syntheticImages(shape, arch.classes, n, seed);
  const data = synthetic(B, 1);
  const idx = Uint32Array.from({ length: B }, (_, i) => i);
  const build = (rule: RuleName, seed: number) => {
    const cfg = resolvePreset(`${arch.preset}-${rule}`);
    return { cfg, net: new Network({ inputShape: shape, layers: cfg.layers, numClasses: arch.classes, init: cfg.init, seed }) };
  };
  const runners = spec.rules.map((rule, k) => ({ rule, ...build(rule, 1 + k), ruleObj: getRule(rule), rng: new Rng(100 + k) }));
  // One batch, as PyTorch's side uses one: the kernels' cost does not depend on the values.
  const x = tf.tensor4d(toFloat32(data, idx), [B, ...shape]);
  const y = labelsOf(data, idx);
  // `await`: the step as the training loop runs it (trainStep may return a promise).
  const step = async (r: typeof runners[number]): Promise<number> => {
    for (let tries = 0; ; tries++) {
      const t = performance.now();
      try {
        await trainStep(r.net, r.ruleObj, x, y, r.cfg, r.rng);
        return performance.now() - t;
      } catch (e) {
        // A diverged net (one batch, the paper's large α) is rebuilt; the step is not counted.
        if (!(e instanceof DivergenceError) || tries > 3) throw e;
        r.net.dispose();
        Object.assign(r, build(r.rule, 1000 + tries));
      }
    }
  };
  for (let i = 0; i < Math.max(1, spec.warmup); i++) for (const r of runners) await step(r);
  const say = (o: object) => process.stdout.write(`${MARK}${JSON.stringify(o)}\n`);
  say({ ready: true, threads: info.threads, backend: info.name, kernels: info.kernels, versions: info.versions, flops: countStepFlops(runners[0].net, B).total });

  for await (const line of readline.createInterface({ input: process.stdin })) {
    const msg = JSON.parse(line) as { steps?: number; evalImages?: number; quit?: boolean };
    if (msg.quit) break;
    if (msg.evalImages) {
      const val = synthetic(msg.evalImages, 8);
      await evaluate(runners[0].net, synthetic(500, 7));   // warm-up at the batch-500 shapes
      const t = performance.now();
      await evaluate(runners[0].net, val);
      say({ imagesPerSec: msg.evalImages / ((performance.now() - t) / 1000) });
      continue;
    }
    const ms: Record<string, number[]> = Object.fromEntries(runners.map(r => [r.rule, []]));
    const cpu0 = process.cpuUsage(), wall0 = performance.now();
    for (let i = 0; i < (msg.steps ?? 1); i++) for (const r of runners) ms[r.rule].push(await step(r));
    const cpu = process.cpuUsage(cpu0);
    say({ ms, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wall0 });
  }
  process.exit(0);
}
