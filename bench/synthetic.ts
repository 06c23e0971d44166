// Synthetic images for the bench children: uint8 noise, as the loaders store images, and random
// labels. The kernels' cost does not depend on the pixel values.

import { Rng } from '../src/rng.ts';
import type { ImageSet } from '../src/data/types.ts';

export function syntheticImages(shape: [number, number, number], classes: number, n: number, seed: number): ImageSet {
  const r = new Rng(seed);
  const images = new Uint8Array(n * shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < images.length; i++) images[i] = r.uint32() >>> 24;
  const labels = Uint8Array.from({ length: n }, () => r.int(classes));
  return { images, labels, n, shape };
}
