// Child process: one sweep worker (single-threaded, as `deepagrel sweep` runs its workers). Warms
// up, reports READY, waits for "go" on stdin so all workers' windows overlap, then counts steps.

import * as readline from 'node:readline';
import { ARCHS, READY, type ArchName } from './options.ts';
import { cpuShare, round } from './stats.ts';

export interface SweepSpec { arch: ArchName; seconds: number; seed: number; backend?: string; batchSize: number }
export interface SweepChildResult { backend: string; steps: number; seconds: number; stepsPerSec: number; threads: number; cpuPerWall: number }

export async function runSweepChild(spec: SweepSpec): Promise<SweepChildResult> {
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
  const step = async () => {   // as the training loop: build the batch, step (awaited), free it
    const idx = Uint32Array.from({ length: B }, (_, i) => (cursor + i) % n);
    cursor = (cursor + B) % n;
    const x = tf.tensor4d(toFloat32(set, idx), [B, ...shape], 'float32');
    try { await trainStep(net, rule, x, labelsOf(set, idx), cfg, r); } catch (e) {
      if (!(e instanceof DivergenceError)) throw e;
      net.dispose();
      net = new Network({ inputShape: shape, layers: cfg.layers, numClasses: arch.classes, init: cfg.init, seed: spec.seed + 1 });
    } finally { x.dispose(); }
  };
  for (let i = 0; i < 2; i++) await step();
  process.stdout.write(`${READY}\n`);
  await new Promise<void>(resolve => readline.createInterface({ input: process.stdin }).once('line', () => resolve()));
  const t0 = performance.now(), cpu0 = process.cpuUsage();
  let steps = 0;
  while (performance.now() - t0 < spec.seconds * 1000) { await step(); steps++; }
  const seconds = (performance.now() - t0) / 1000;
  const cpuPerWall = cpuShare(cpu0, t0);
  net.dispose();
  return { backend: info.name, steps, seconds: round(seconds, 3), stepsPerSec: round(steps / seconds, 3), threads: info.threads, cpuPerWall };
}

