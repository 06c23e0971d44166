// Seeded random numbers for every random choice in the workbook (init, shuffling, dropout,
// action selection, augmentation). Our own generator, not tf.random*, so that the same seed gives
// the same numbers on every backend, and the state can be saved in a checkpoint and restored.
//
// Generator: sfc32 (small fast counting), 128-bit state, seeded through splitmix32.

export interface RngState { s: [number, number, number, number] }

/** The coin threshold for a keep probability: a 16-bit coin c keeps its unit when c < threshold. */
export function maskThreshold(keep: number): number { return Math.round(keep * 65536); }

/** Chris Wellons' triple32 integer hash (a full-avalanche 32-bit mixer). */
function triple32(x: number): number {
  x ^= x >>> 17; x = Math.imul(x, 0xed5ad4bb);
  x ^= x >>> 11; x = Math.imul(x, 0xac4c1b51);
  x ^= x >>> 15; x = Math.imul(x, 0x31848bab);
  x ^= x >>> 14;
  return x >>> 0;
}

/** The 32-bit draw for pair j (elements 2j, 2j+1) of the dropout mask with key (k0, k1): counter
 *  based, so any element can be computed on its own. Same formula in native/src/dropout-mask.cc
 *  and the WGSL shader of backend/webgpu-dropout.ts. */
export function maskDraw(k0: number, k1: number, j: number): number {
  return triple32((triple32((j + k0) >>> 0) ^ k1) >>> 0);
}

/** Seeds are integers 0…2³²−1: the generator's seed is 32 bits wide, so within that range every
 *  seed is its own stream, and nothing outside it is taken (2³² or 1e30 would fold onto seed 0). */
export const MAX_SEED = 2 ** 32 - 1;

/** Why `seed` is not a seed ("seed must be …, got …"), or null when it is one. */
export function seedProblem(seed: unknown, what = 'seed'): string | null {
  if (typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED) return null;
  return `${what} must be an integer from 0 to ${MAX_SEED}, got ${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}`;
}

export class Rng {
  private a: number; private b: number; private c: number; private d: number;

  constructor(seed: number | RngState) {
    if (typeof seed === 'number') {
      const bad = seedProblem(seed);
      if (bad) throw new RangeError(bad);
      let x = (seed ^ 0x9e3779b9) >>> 0;
      const next = () => {              // splitmix32: spreads a small seed over 128 bits
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
        return (z ^ (z >>> 16)) >>> 0;
      };
      this.a = next(); this.b = next(); this.c = next(); this.d = next();
      for (let i = 0; i < 12; i++) this.uint32();
    } else {
      [this.a, this.b, this.c, this.d] = seed.s;
    }
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number { return this.uint32() / 4294967296; }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.next(); }

  /** Integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }

  /** Fill a new Float32Array with uniform values in [lo, hi). */
  uniformArray(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    const w = hi - lo;
    for (let i = 0; i < n; i++) out[i] = lo + w * (this.uint32() / 4294967296);
    return out;
  }

  /** The key of the next dropout mask: two draws from this stream. The mask itself is a pure
   *  function of the key (maskDraw), so it can be made wherever it is used — here, in C++ threads
   *  or in a GPU shader — with the same numbers, and a checkpoint only needs this stream's state. */
  maskKey(): [number, number] { return [this.uint32(), this.uint32()]; }

  /** Dropout mask: `scale` with probability keep, else 0. Each 32-bit draw gives two 16-bit coins
   *  (keep is resolved to 1/65536, plenty for a dropout rate). Backends with a DeepagrelBernoulliMask
   *  kernel (src/ops.ts) compute the same mask from the same key: native in C++ threads, webgpu in
   *  a shader (backend/webgpu-dropout.ts). */
  bernoulliMask(n: number, keep: number, scale: number): Float32Array {
    const out = new Float32Array(n);
    const threshold = maskThreshold(keep);
    const [k0, k1] = this.maskKey();
    for (let i = 0; i < n; i += 2) {
      const t = maskDraw(k0, k1, i >>> 1);
      if ((t & 0xffff) < threshold) out[i] = scale;
      if (i + 1 < n && (t >>> 16) < threshold) out[i + 1] = scale;
    }
    return out;
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: any }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i]; arr[i] = arr[j]; arr[j] = t;
    }
    return arr;
  }

  /** An independent child generator (e.g. one stream for dropout, one for actions). */
  fork(): Rng { return new Rng({ s: [this.uint32(), this.uint32(), this.uint32(), this.uint32()] }); }

  /** The four state words, as unsigned 32-bit integers (the generator keeps `a` as a signed int at times; same bits). */
  state(): RngState { return { s: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0] }; }

  setState(st: RngState): void { [this.a, this.b, this.c, this.d] = st.s; }
}
