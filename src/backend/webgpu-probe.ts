// The probe 'auto' runs before it takes an integrated, unknown or software WebGPU adapter
// (backend.ts): the median time of a few training steps of a small paper-shaped net (MNIST conv,
// narrower, batch 32) on the backend now selected, after warm-up steps (shader compilation, the
// first allocations). It runs the engine's own step, so it measures what training would.
// `limitMs`: stop as soon as one timed step takes longer (the answer is clear by then: slower).

import * as tf from '@tensorflow/tfjs';

export const PROBE = {
  net: 'conv 16 3×3, conv 16 3×3 stride 2, dense 256 on 28×28×1 (MNIST conv, narrower)',
  batch: 32, warmup: 2, steps: 5,
} as const;

export interface ProbeResult {
  /** The net and batch the probe trains. */
  net: string;
  batch: number;
  /** Median ms per training step on the WebGPU adapter and on the CPU path (`cpuBackend`). */
  webgpuMs: number;
  cpuMs: number;
  cpuBackend: string;
  /** Timed steps on each (fewer on webgpu when one step was over the limit). */
  steps: { webgpu: number; cpu: number };
}

/** Median ms per training step on the backend now selected, and how many steps were timed. */
export async function probeStepMs(limitMs = Infinity): Promise<{ ms: number; steps: number }> {
  // The engine, loaded only when a probe runs (backend selection does not otherwise need it).
  const { Network } = await import('../network.ts');
  const { trainStep } = await import('../step.ts');
  const { deepagrel } = await import('../rules/deepagrel.ts');
  const { Rng } = await import('../rng.ts');
  const net = new Network({
    inputShape: [28, 28, 1], numClasses: 10, init: 0.05, seed: 1,
    layers: [{ type: 'conv2d', filters: 16, kernelSize: 3 }, { type: 'conv2d', filters: 16, kernelSize: 3, strides: 2 }, { type: 'dense', units: 256 }],
  });
  const data = new Rng(2), rng = new Rng(3), B = PROBE.batch;
  const times: number[] = [];
  try {
    for (let i = 0; i < PROBE.warmup + PROBE.steps; i++) {
      const x = tf.tensor4d(data.uniformArray(B * 784, 0, 1), [B, 28, 28, 1]);
      const labels = Int32Array.from({ length: B }, (_, k) => (i + k) % 10);
      const t = performance.now();
      try { await trainStep(net, deepagrel, x, labels, { lr: 0.05, epsilon: 0.1, beta: 1 }, rng); } finally { x.dispose(); }
      const ms = performance.now() - t;
      if (i < PROBE.warmup) continue;
      times.push(ms);
      if (ms > limitMs) break;
    }
  } finally {
    net.dispose();
  }
  times.sort((a, b) => a - b);
  return { ms: +times[Math.floor((times.length - 1) / 2)].toFixed(2), steps: times.length };
}
