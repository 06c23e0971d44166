// Data augmentation as in the paper ("zooming, shifting, reflections", 10x): a random zoom, a random
// shift and a random left–right mirror per image, drawn from our seeded Rng (src/rng.ts), computed
// in plain JS on the uint8 images while converting them to float32. Same seed → same batch on every
// backend, since no tf op is involved.
//
// What "reflection" means here: the paper speaks of "vertical reflections". We read that as
// reflection about the vertical axis, i.e. a left–right (horizontal) flip: x → W−1−x. Reasons:
// (1) it is the standard CIFAR augmentation (Krizhevsky 2012 and the Keras ImageDataGenerator
// option `horizontal_flip` such papers use); (2) an up–down flip makes CIFAR images unnatural
// (sky below, upside-down animals and vehicles), which nobody uses for CIFAR; (3) a mirror image
// "about a vertical line" is a common way to say left–right mirror. We never flip up–down.
// Mirrored digits are not digits, so the MNIST preset has no flip; nothing is augmented unless the
// caller asks for it.
//
// Geometry (all about the image centre c = ((W−1)/2, (H−1)/2)): output pixel (x, y) takes the source
// value at u = (x − c_x − dx)/s + c_x, v = (y − c_y − dy)/s + c_y, mirrored first (u → W−1−u) when
// flipped. s > 1 zooms in, dx > 0 moves the content right, dy > 0 down. Bilinear interpolation;
// outside the image either the nearest edge pixel ('edge', as Keras' default fill_mode='nearest')
// or black ('zero'). s = 1, dx = dy = 0 reproduces the image exactly.

import type { Rng } from '../rng.ts';
import type { DatasetName, ImageSet } from './types.ts';

export interface AugmentOptions {
  /** Zoom factor drawn uniformly from [1 − zoom, 1 + zoom] (0 = none). */
  zoom?: number;
  /** Shift in pixels, x and y each drawn uniformly from [−shift, shift] (0 = none). */
  shift?: number;
  /** Left–right mirror with probability 1/2 (see the note on "reflection" above). */
  flip?: boolean;
  /** Value outside the source image. Default 'edge'. */
  fill?: 'edge' | 'zero';
}

export interface Transform { scale: number; dx: number; dy: number; flip: boolean }

export const IDENTITY: Transform = { scale: 1, dx: 0, dy: 0, flip: false };

/** Suggested settings per dataset (used only when augmentation is switched on). */
export function augmentationPreset(name: DatasetName): AugmentOptions {
  switch (name) {
    case 'mnist': return { zoom: 0.1, shift: 2, flip: false, fill: 'zero' };
    case 'fashion-mnist': return { zoom: 0.1, shift: 2, flip: true, fill: 'zero' };
    case 'cifar10':
    case 'cifar100': return { zoom: 0.1, shift: 3, flip: true, fill: 'edge' };
  }
}

/** Draw one image's transform. Always consumes 4 numbers, so streams stay aligned across options. */
export function drawTransform(rng: Rng, opts: AugmentOptions): Transform {
  const z = opts.zoom ?? 0;
  const s = opts.shift ?? 0;
  const a = rng.next(), b = rng.next(), c = rng.next(), d = rng.next();
  return {
    scale: 1 + z * (2 * a - 1),
    dx: s * (2 * b - 1),
    dy: s * (2 * c - 1),
    flip: (opts.flip ?? false) && d < 0.5,
  };
}

/**
 * For each output column (or row): the two source columns to blend (-1 = outside, reads 0) and the
 * weight of the second. Computed once per image so the pixel loop has no bounds logic.
 */
function sampling(size: number, centre: number, shift: number, inv: number, mirror: boolean, edge: boolean) {
  const a = new Int32Array(size), b = new Int32Array(size), f = new Float64Array(size);
  const place = (i: number) => (i >= 0 && i < size ? i : edge ? Math.min(size - 1, Math.max(0, i)) : -1);
  for (let o = 0; o < size; o++) {
    let u = (o - centre - shift) * inv + centre;
    if (mirror) u = size - 1 - u;
    const i0 = Math.floor(u);
    a[o] = place(i0); b[o] = place(i0 + 1); f[o] = u - i0;
  }
  return { a, b, f };
}

/**
 * Resample image `index` of `set` with transform `t` into `out` (float32 in [0,1]) at `outOffset`.
 */
export function transformImage(set: ImageSet, index: number, t: Transform, fill: 'edge' | 'zero', out: Float32Array, outOffset: number): void {
  const [h, w, ch] = set.shape;
  const src = set.images;
  const base = index * h * w * ch;
  const inv = 1 / t.scale;
  const edge = fill === 'edge';
  const cols = sampling(w, (w - 1) / 2, t.dx, inv, t.flip, edge);
  const rows = sampling(h, (h - 1) / 2, t.dy, inv, false, edge);
  // Byte offsets of the source rows/columns to blend; -1 = outside the image (reads 0).
  const rowOff = (r: number) => (r < 0 ? -1 : base + r * w * ch);
  const colOff = (c: number) => (c < 0 ? -1 : c * ch);
  let o = outOffset;
  for (let y = 0; y < h; y++) {
    const r0 = rowOff(rows.a[y]), r1 = rowOff(rows.b[y]), fy = rows.f[y];
    for (let x = 0; x < w; x++) {
      const c0 = colOff(cols.a[x]), c1 = colOff(cols.b[x]), fx = cols.f[x];
      const i00 = r0 < 0 || c0 < 0 ? -1 : r0 + c0, i01 = r0 < 0 || c1 < 0 ? -1 : r0 + c1;
      const i10 = r1 < 0 || c0 < 0 ? -1 : r1 + c0, i11 = r1 < 0 || c1 < 0 ? -1 : r1 + c1;
      for (let k = 0; k < ch; k++) {
        const p00 = i00 < 0 ? 0 : src[i00 + k], p01 = i01 < 0 ? 0 : src[i01 + k];
        const p10 = i10 < 0 ? 0 : src[i10 + k], p11 = i11 < 0 ? 0 : src[i11 + k];
        const top = p00 + fx * (p01 - p00);
        const bottom = p10 + fx * (p11 - p10);
        out[o++] = (top + fy * (bottom - top)) / 255;   // same rounding as toFloat32 (v/255)
      }
    }
  }
}

/** Augment and convert a batch: one fresh transform per image, drawn in batch order. */
export function augmentBatch(set: ImageSet, indices: ArrayLike<number>, rng: Rng, opts: AugmentOptions, out?: Float32Array): Float32Array {
  const per = set.shape[0] * set.shape[1] * set.shape[2];
  const x = out ?? new Float32Array(indices.length * per);
  const fill = opts.fill ?? 'edge';
  for (let i = 0; i < indices.length; i++) {
    transformImage(set, indices[i], drawTransform(rng, opts), fill, x, i * per);
  }
  return x;
}
