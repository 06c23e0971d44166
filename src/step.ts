// One training step = the five phases of Fig. 1 on a batch of trials:
//   forward → selectAction → rule.signal (reward, δ) → feedback → update.

import * as tf from '@tensorflow/tfjs';
import type { Network } from './network.ts';
import type { Rule } from './rules/rule.ts';
import type { Rng } from './rng.ts';
import { type ActionOptions, checkActionOptions, greedy, selectAction } from './action.ts';

export interface StepOptions extends ActionOptions {
  /** Learning rate α > 0. */
  lr: number;
}

export interface StepMetrics {
  n: number;              // trials in the batch
  reward: number;         // summed reward of the actions taken (exploration included)
  greedyCorrect: number;  // trials where the greedy choice was right (before this update)
  loss: number;           // summed per-trial loss (½δ² or cross-entropy)
}

/** Q-values went NaN/Inf: the run diverged (the paper counts such seeds as not converged). */
export class DivergenceError extends Error {
  constructor(message: string) { super(message); this.name = 'DivergenceError'; }
}

export function checkStepOptions(o: StepOptions): void {
  if (!(o.lr > 0 && Number.isFinite(o.lr))) throw new Error(`lr (learning rate α) must be a finite number > 0, got ${o.lr}`);
  checkActionOptions(o);
}

/**
 * One training step. The Q-values are read with `await q.data()`: on a GPU the read waits for the
 * device without holding the event loop (Ctrl-C, Jupyter's interrupt, live curves and I/O go on
 * meanwhile), and nothing else runs inside the step's synchronous parts.
 */
export async function trainStep(net: Network, rule: Rule, x: tf.Tensor, labels: ArrayLike<number>, opts: StepOptions, rng: Rng): Promise<StepMetrics> {
  checkStepOptions(opts);
  const q = net.forward(x, true);                       // 1. forward pass (keeps pre, gates)
  let qv: Float32Array;
  try { qv = await q.data() as Float32Array; } catch (e) { net.release(); throw e; } finally { q.dispose(); }
  return afterForward(net, rule, qv, labels, opts, rng);
}

/** trainStep with a synchronous read (dataSync), for callers that cannot await: CPU backends only
 *  (WebGPU has no synchronous read under Node). */
export function trainStepSync(net: Network, rule: Rule, x: tf.Tensor, labels: ArrayLike<number>, opts: StepOptions, rng: Rng): StepMetrics {
  checkStepOptions(opts);
  const q = net.forward(x, true);
  let qv: Float32Array;
  try { qv = q.dataSync() as Float32Array; } catch (e) { net.release(); throw e; } finally { q.dispose(); }
  return afterForward(net, rule, qv, labels, opts, rng);
}

/** Phases 2–5 once the Q-values are on the host. */
function afterForward(net: Network, rule: Rule, qv: Float32Array, labels: ArrayLike<number>, opts: StepOptions, rng: Rng): StepMetrics {
  const n = net.config.numClasses;
  for (let i = 0; i < qv.length; i++) if (!Number.isFinite(qv[i])) {
    net.release();
    throw new DivergenceError(`Q-value ${qv[i]} (trial ${Math.floor(i / n)}, output ${i % n}): the network diverged; try a smaller learning rate than ${opts.lr}`);
  }
  const best = greedy(qv, n);
  const actions = rule.selectsActions ? selectAction(qv, n, opts, rng) : best;   // 2. action selection
  const { signal, reward, loss } = rule.signal(qv, n, actions, labels);         // 4. reward, δ
  const s = tf.tensor2d(signal, [actions.length, n]);
  net.feedback(s);                                      // 3. feedback from the selected output
  s.dispose();
  net.update(opts.lr);                                  // 5. plasticity (four-factor rule)

  let r = 0, c = 0, l = 0;
  for (let b = 0; b < actions.length; b++) { r += reward[b]; l += loss[b]; if (best[b] === labels[b]) c++; }
  return { n: actions.length, reward: r, greedyCorrect: c, loss: l };
}
