// Phase 2, action selection. Max-Boltzmann controller (Wiering & Schmidhuber 1997; paper eq 5):
// with probability 1 − ε the output with the highest Q-value wins, otherwise the winner is drawn
// from softmax(β·q). Greedy (ε = 0) at test time. Runs in JS on the [B, n] Q-values: tiny work,
// and our own seeded generator makes the choices identical on every backend.

import type { Rng } from './rng.ts';

export interface ActionOptions {
  /** Exploration probability ε ∈ [0, 1]. */
  epsilon: number;
  /** Inverse temperature β > 0 of the Boltzmann distribution (paper: 1). */
  beta: number;
}

export function checkActionOptions(o: ActionOptions): void {
  if (!(o.epsilon >= 0 && o.epsilon <= 1)) throw new Error(`epsilon (exploration rate) must be in [0, 1], got ${o.epsilon}`);
  if (!(o.beta > 0 && Number.isFinite(o.beta))) throw new Error(`beta (inverse temperature) must be a finite number > 0, got ${o.beta}`);
}

/** Index of the largest of q[off .. off+n) (first one on ties). */
export function argmax(q: ArrayLike<number>, off: number, n: number): number {
  let best = 0, bestV = q[off];
  for (let l = 1; l < n; l++) if (q[off + l] > bestV) { bestV = q[off + l]; best = l; }
  return best;
}

/** Greedy choice for every row of q (flat [B, n]). */
export function greedy(q: ArrayLike<number>, n: number): Int32Array {
  const B = q.length / n;
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) out[b] = argmax(q, b * n, n);
  return out;
}

/** Sample from softmax(β·q) over q[off .. off+n), numerically stable. */
export function boltzmann(q: ArrayLike<number>, off: number, n: number, beta: number, rng: Rng): number {
  let m = -Infinity;
  for (let l = 0; l < n; l++) m = Math.max(m, beta * q[off + l]);
  let z = 0;
  for (let l = 0; l < n; l++) z += Math.exp(beta * q[off + l] - m);
  let u = rng.next() * z;
  for (let l = 0; l < n; l++) {
    u -= Math.exp(beta * q[off + l] - m);
    if (u < 0) return l;
  }
  return n - 1;
}

/** One action per trial: max-Boltzmann over each row of q (flat [B, n]). */
export function selectAction(q: ArrayLike<number>, n: number, opts: ActionOptions, rng: Rng): Int32Array {
  checkActionOptions(opts);
  const B = q.length / n;
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    // Always draw the exploration coin, so the random stream does not depend on ε's value path.
    const explore = rng.next() < opts.epsilon;
    out[b] = explore ? boltzmann(q, b * n, n, opts.beta, rng) : argmax(q, b * n, n);
  }
  return out;
}
