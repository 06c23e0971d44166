// Test helpers shared by the engine tests.
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/rng.ts';
import { nativeUnavailableReason } from '../src/backend/native-addon.ts';
import { tempDir } from './tmp-dir.ts';

export function randomImages(B: number, shape: number[], seed: number): tf.Tensor {
  const n = B * shape.reduce((p, d) => p * d, 1);
  return tf.tensor(new Rng(seed).uniformArray(n, 0, 1), [B, ...shape]);
}

/**
 * A seeded synthetic 4-class image problem: each class lights one quadrant of an h×w image
 * (plus uniform noise), so every layer type can learn it quickly.
 */
export function quadrantTask(n: number, h: number, w: number, c: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = new Rng(seed);
  const x = new Float32Array(n * h * w * c), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = r.int(4); y[i] = k;
    const r0 = k < 2 ? 0 : h / 2, c0 = k % 2 === 0 ? 0 : w / 2;
    for (let a = 0; a < h; a++) for (let b = 0; b < w; b++) for (let ch = 0; ch < c; ch++) {
      const inQuad = a >= r0 && a < r0 + h / 2 && b >= c0 && b < c0 + w / 2;
      x[((i * h + a) * w + b) * c + ch] = 0.5 * r.next() + (inQuad ? 0.5 : 0);
    }
  }
  return { x, y };
}

/** The quadrant task as an in-memory Dataset (uint8 images), for training-loop tests. */
export function quadrantDataset(nTrain: number, nTest: number, side = 8, seed = 1): import('../src/data/types.ts').Dataset {
  const toSet = (n: number, s: number) => {
    const { x, y } = quadrantTask(n, side, side, 1, s);
    return { images: Uint8Array.from(x, v => Math.round(255 * Math.min(1, v))), labels: Uint8Array.from(y), n, shape: [side, side, 1] as [number, number, number] };
  };
  return { name: 'mnist', train: toSet(nTrain, seed), test: toSet(nTest, seed + 1000), numClasses: 4, classNames: ['a', 'b', 'c', 'd'],
    source: 'synthetic quadrant task', sourceKind: 'data-dir', exact: true, verification: 'unverified', files: [] };
}

/**
 * One epoch of a tiny MNIST-FC-shaped run on the quadrant task, on whatever backend is current, in
 * a temporary folder (removed after); returns the run's header line (what provenance tests read).
 */
export async function tinyRunHeader(experiment: string): Promise<import('../src/results/schema.ts').RunHeader> {
  const fs = await import('node:fs');
  const { runExperiment } = await import('../src/train.ts');
  const { resolvePreset } = await import('../src/presets.ts');
  const dir = tempDir(`deepagrel-${experiment}-`);
  try {
    const cfg = resolvePreset('mnist-fc-deepagrel', { layers: [{ type: 'dense', units: 8 }], init: 0.3, lr: 0.5, batchSize: 16, valSize: 16, maxEpochs: 1 });
    const res = await runExperiment(cfg, { seed: 1, dataset: quadrantDataset(48, 16), experiment, resultsRoot: dir, checkpointRoot: dir });
    res.network?.dispose();
    return res.record!.header;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** false when the native addon loads; else why not (a test skip), or an error where CI requires it. */
export function nativeSkip(): string | false {
  const why = nativeUnavailableReason();
  if (!why) return false;
  if (process.env.DEEPAGREL_REQUIRE_NATIVE === '1') throw new Error(`DEEPAGREL_REQUIRE_NATIVE=1 but ${why}`);
  return `native kernels not available: ${why}`;
}
