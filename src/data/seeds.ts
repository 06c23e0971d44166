// Derived seeds: one user seed feeds several independent random streams (validation split, epoch
// shuffles, augmentation of each batch). Deriving each stream from (seed, purpose, epoch, batch)
// instead of drawing them in sequence makes any epoch or batch reproducible on its own, so a run
// resumed mid-way needs no saved generator state.

/** Purposes, so that e.g. the split and the epoch-0 shuffle never share a stream. */
export const STREAM = { validation: 1, shuffle: 2, augment: 3 } as const;

function fmix32(h: number): number {                  // murmur3 finaliser: good avalanche
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A uint32 seed from integer parts; different part lists give unrelated seeds. */
export function deriveSeed(...parts: number[]): number {
  let h = 0x6a09e667;
  for (const p of parts) {
    if (!Number.isInteger(p)) throw new Error(`deriveSeed: parts must be integers, got ${p}`);
    // Split into two 32-bit halves so seeds above 2^32 are not folded together.
    h = fmix32((h ^ (p >>> 0)) + 0x9e3779b9);
    h = fmix32((h ^ Math.floor(p / 4294967296)) + 0x7f4a7c15);
  }
  return h;
}
