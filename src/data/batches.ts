// Epoch iteration: seeded shuffle, mini-batches converted uint8 → float32 on the fly, optional
// augmentation, an augmentation factor k (each image k times per epoch, each time with a fresh
// transform), and the last partial batch included.
//
// Resuming: the order of an epoch comes from (seed, epoch) and the augmentation of a batch from
// (seed, epoch, batch index) — see seeds.ts — so `startBatch` reproduces the rest of an epoch
// exactly with no saved state.

import * as tf from '@tensorflow/tfjs';
import { Rng } from '../rng.ts';
import { augmentBatch, type AugmentOptions } from './augment.ts';
import { STREAM, deriveSeed } from './seeds.ts';
import type { ImageSet } from './types.ts';

export interface EpochOptions {
  /** Images per batch (paper: 100). The last batch may be smaller. */
  batchSize: number;
  seed: number;
  /** Epoch number (0-based); with the seed it fixes the order and the augmentation. */
  epoch: number;
  /** Default true; false gives file order (for evaluation). */
  shuffle?: boolean;
  /** Augmentation settings; omitted or null = none. */
  augment?: AugmentOptions | null;
  /** Each image appears `factor` times per epoch (paper: 10 with augmentation). Default 1. */
  factor?: number;
  /** Skip the batches before this one (resume mid-epoch). */
  startBatch?: number;
}

export interface ArrayBatch {
  /** Float32 NHWC in [0, 1]. */
  x: Float32Array;
  y: Int32Array;
  /** Image indices into the set, in batch order. */
  indices: Uint32Array;
  /** This batch's number within the epoch, and the number of batches in the epoch. */
  batch: number;
  batches: number;
}

export interface TensorBatch extends Omit<ArrayBatch, 'x'> {
  /** [b, h, w, c] float32; the caller disposes it. */
  x: tf.Tensor4D;
}

export function batchesPerEpoch(n: number, batchSize: number, factor = 1): number {
  return Math.ceil((n * factor) / batchSize);
}

/**
 * The image order of one epoch: each of the n images `factor` times, shuffled by (seed, epoch).
 */
export function epochOrder(n: number, seed: number, epoch: number, factor = 1, shuffle = true): Uint32Array {
  const order = new Uint32Array(n * factor);
  for (let i = 0; i < order.length; i++) order[i] = i % n;
  return shuffle ? new Rng(deriveSeed(seed, STREAM.shuffle, epoch)).shuffle(order) : order;
}

const TO_FLOAT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** uint8 → float32 in [0, 1] for the given images, NHWC (the training hot path: a table lookup). */
export function toFloat32(set: ImageSet, indices: ArrayLike<number>, out?: Float32Array): Float32Array {
  const per = set.shape[0] * set.shape[1] * set.shape[2];
  const x = out ?? new Float32Array(indices.length * per);
  const src = set.images;
  for (let i = 0; i < indices.length; i++) {
    let s = indices[i] * per;
    let d = i * per;
    const end = d + per;
    while (d < end) x[d++] = TO_FLOAT[src[s++]];
  }
  return x;
}

export function labelsOf(set: ImageSet, indices: ArrayLike<number>): Int32Array {
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) y[i] = set.labels[indices[i]];
  return y;
}

function checkOptions(set: ImageSet, opts: EpochOptions): void {
  const { batchSize, factor = 1, startBatch = 0 } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`factor must be a positive integer, got ${factor}`);
  if (!Number.isInteger(opts.epoch) || opts.epoch < 0) throw new RangeError(`epoch must be a non-negative integer, got ${opts.epoch}`);
  if (!Number.isInteger(startBatch) || startBatch < 0) throw new RangeError(`startBatch must be a non-negative integer, got ${startBatch}`);
  if (set.n === 0) throw new RangeError('cannot iterate over an empty image set');
}

/** One epoch of batches as plain arrays (no tf; handy for workers and tests). */
export function* epochArrays(set: ImageSet, opts: EpochOptions): Generator<ArrayBatch> {
  checkOptions(set, opts);
  const { batchSize, seed, epoch, factor = 1, startBatch = 0 } = opts;
  const order = epochOrder(set.n, seed, epoch, factor, opts.shuffle ?? true);
  const batches = Math.ceil(order.length / batchSize);
  for (let b = startBatch; b < batches; b++) {
    const indices = order.subarray(b * batchSize, Math.min(order.length, (b + 1) * batchSize));
    const x = opts.augment
      ? augmentBatch(set, indices, new Rng(deriveSeed(seed, STREAM.augment, epoch, b)), opts.augment)
      : toFloat32(set, indices);
    yield { x, y: labelsOf(set, indices), indices, batch: b, batches };
  }
}

/** One epoch of batches as tensors: x is [b, h, w, c] float32 in [0, 1]; dispose it after use. */
export function* epochBatches(set: ImageSet, opts: EpochOptions): Generator<TensorBatch> {
  const [h, w, c] = set.shape;
  for (const batch of epochArrays(set, opts)) {
    yield { ...batch, x: tf.tensor4d(batch.x, [batch.indices.length, h, w, c], 'float32') };
  }
}

/** A whole set in file order as tensor batches (no shuffle, no augmentation), for evaluation. */
export function* evalBatches(set: ImageSet, batchSize: number): Generator<TensorBatch> {
  yield* epochBatches(set, { batchSize, seed: 0, epoch: 0, shuffle: false });
}
