// The paper's protocol: 1,000 training images, drawn at random, are held out for validation and
// never trained on; the test set is left untouched. Plus per-class subsets for quick runs.

import { Rng } from '../rng.ts';
import { DataError } from './errors.ts';
import { STREAM, deriveSeed } from './seeds.ts';
import type { ImageSet } from './types.ts';

/** A new set holding the given images, in the given order (uint8 copy). */
export function takeIndices(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const per = set.shape[0] * set.shape[1] * set.shape[2];
  const images = new Uint8Array(indices.length * per);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    images.set(set.images.subarray(k * per, (k + 1) * per), i * per);
    labels[i] = set.labels[k];
  }
  return { images, labels, n: indices.length, shape: [...set.shape] };
}

/** Seeded random hold-out of `nVal` images. Both parts keep the original order of the images. */
export function splitValidation(train: ImageSet, nVal: number, seed: number): { train: ImageSet; val: ImageSet } {
  if (!Number.isInteger(nVal) || nVal < 0 || nVal >= train.n) {
    throw new DataError('bad validation size', { expected: `an integer in 0..${train.n - 1}`, found: String(nVal) });
  }
  const order = new Rng(deriveSeed(seed, STREAM.validation)).shuffle(Uint32Array.from({ length: train.n }, (_, i) => i));
  const val = order.slice(0, nVal).sort();
  const rest = order.slice(nVal).sort();
  return { train: takeIndices(train, rest), val: takeIndices(train, val) };
}

/**
 * The first `perClass` images of each class, in file order (deterministic, no seed needed; the
 * official files are already shuffled). A class with fewer images keeps all it has.
 */
export function subsetPerClass(set: ImageSet, perClass: number, numClasses: number): ImageSet {
  if (!Number.isInteger(perClass) || perClass < 1) {
    throw new DataError('bad subset size', { expected: 'a positive integer per class', found: String(perClass) });
  }
  const taken = new Array<number>(numClasses).fill(0);
  const keep: number[] = [];
  for (let i = 0; i < set.n; i++) {
    const c = set.labels[i];
    if (taken[c] < perClass) { taken[c]++; keep.push(i); }
  }
  return takeIndices(set, keep);
}

/** Images per class (for checks and run records). */
export function classCounts(set: ImageSet, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < set.n; i++) counts[set.labels[i]]++;
  return counts;
}
