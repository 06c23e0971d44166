// What the network sees of a pixel. Pixels arrive in [0, 1]; a run may standardize them per
// channel with its own training images' mean and standard deviation (Keras's featurewise_center +
// featurewise_std_normalization, torchvision's Normalize), then multiply by `inputScale`.
// The paper says neither (PROTOCOL.md); the default is neither.

import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from './types.ts';

export type InputNorm = 'none' | 'per-channel';
export const INPUT_NORMS: readonly InputNorm[] = ['none', 'per-channel'];

/** Per-channel mean and standard deviation (population) of a set's pixels in [0, 1]. */
export interface ChannelStats { mean: number[]; std: number[] }

export function channelStats(set: ImageSet): ChannelStats {
  const C = set.shape[2];
  const sum = new Float64Array(C), sq = new Float64Array(C), count = new Float64Array(C);
  const px = set.images;
  for (let i = 0; i < px.length; i++) { const c = i % C, v = px[i] / 255; sum[c] += v; sq[c] += v * v; count[c]++; }
  const mean = [...sum].map((s, c) => s / count[c]);
  const std = [...sq].map((q, c) => Math.sqrt(Math.max(0, q / count[c] - mean[c] * mean[c])));
  const flat = std.findIndex(s => !(s > 1e-6));
  if (flat >= 0) throw new Error(`cannot standardize channel ${flat}: every training pixel has the same value (standard deviation 0)`);
  return { mean, std };
}

/** How a run turns a batch of [0, 1] pixels (NHWC) into network input. */
export interface InputTransform { scale: number; stats?: ChannelStats }

/** The transform a run's settings name; `train` is the run's own training split (never validation or test). */
export function inputTransform(cfg: { inputScale: number; inputNorm?: InputNorm }, train: ImageSet): InputTransform {
  return cfg.inputNorm === 'per-channel' ? { scale: cfg.inputScale, stats: channelStats(train) } : { scale: cfg.inputScale };
}

/** x (NHWC, pixels in [0, 1]) as the network sees it; x itself when the transform is the identity. */
export function applyInput(x: tf.Tensor, t: InputTransform): tf.Tensor {
  if (!t.stats && t.scale === 1) return x;
  return tf.tidy(() => {
    let y = x;
    if (t.stats) y = tf.div(tf.sub(y, tf.tensor1d(t.stats.mean)), tf.tensor1d(t.stats.std));   // broadcasts over channels (last axis)
    return t.scale === 1 ? y : tf.mul(y, t.scale);
  });
}
