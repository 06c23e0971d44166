// Appendix A, executable: for a network in symmetric-feedback mode, compare the updates the
// engine makes (DeepAGREL's four-factor rule, or EBP through the same feedback machinery) with
// −α × the autodiff gradient (tf.grads) of the rule's loss on the same batch, same selected
// actions and same dropout masks:
//   DeepAGREL: E = mean over trials of ½(r − q_s)²   (only the selected output s)
//   EBP:       E = mean softmax cross-entropy over all outputs
// Used by the tests (relative error ≤ 1e-5, on every backend) and by notebook 01. Reads asynchronously
// (await t.data()), so it runs on WebGPU too.

import * as tf from '@tensorflow/tfjs';
import { Network, type LayerSpec } from './network.ts';
import { Rng } from './rng.ts';
import { selectAction } from './action.ts';
import type { Rule } from './rules/rule.ts';

export interface DerivationCase { name: string; inputShape: number[]; layers: LayerSpec[]; bias?: boolean }

/** Networks of depth 2–5 covering every layer type (small, so autodiff on cpu is instant). */
export const DERIVATION_CASES: DerivationCase[] = [
  { name: 'dense (depth 2)', inputShape: [12], layers: [{ type: 'dense', units: 16 }] },
  { name: 'dense (depth 4)', inputShape: [12], layers: [{ type: 'dense', units: 20 }, { type: 'dense', units: 16 }, { type: 'dense', units: 12 }] },
  { name: 'conv (depth 3, stride 2 same)', inputShape: [9, 9, 2], layers: [{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'conv2d', filters: 5, kernelSize: 3, strides: 2, padding: 'same' }] },
  { name: 'conv + dense (depth 4)', inputShape: [8, 8, 1], layers: [{ type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same' }, { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2 }, { type: 'dense', units: 10 }] },
  { name: 'loccon (depth 3)', inputShape: [7, 7, 2], layers: [{ type: 'loccon2d', filters: 3, kernelSize: 3 }, { type: 'loccon2d', filters: 4, kernelSize: 2, strides: 2, padding: 'same' }] },
  { name: 'loccon in the middle (depth 4)', inputShape: [8, 8, 1], layers: [{ type: 'conv2d', filters: 3, kernelSize: 3 }, { type: 'loccon2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same' }, { type: 'dense', units: 9 }] },
  { name: 'paper shape with dropout (depth 5)', inputShape: [10, 10, 1], layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same' },
    { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 12 }, { type: 'dense', units: 8 }, { type: 'dropout', rate: 0.3 }] },
  // Biases (optional, off in the paper): Δb must be −α·∂E/∂b for every layer type, too.
  { name: 'dense with biases (depth 3)', inputShape: [12], bias: true, layers: [{ type: 'dense', units: 16 }, { type: 'dense', units: 10 }] },
  { name: 'conv + loccon + dense with biases and dropout (depth 5)', inputShape: [9, 9, 2], bias: true, layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'loccon2d', filters: 3, kernelSize: 3, strides: 2, padding: 'same' },
    { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 10 }, { type: 'dropout', rate: 0.3 }] },
];

export interface LayerComparison {
  layer: string;            // e.g. "conv2d1", or "conv2d1.b" for its biases
  kind: string;
  relativeError: number;    // max |ΔW − (−α∇E)| / max |α∇E|
  maxUpdate: number;        // max |ΔW| (guards against a vacuous match of two zero arrays)
}

/** max |a − b| / max |b|. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return den === 0 ? num : num / den;
}

function rpeLoss(q: tf.Tensor2D, actions: Int32Array, reward: Float32Array): tf.Scalar {
  const qs = tf.sum(tf.mul(q, tf.oneHot(tf.tensor1d(actions, 'int32'), q.shape[1])), 1);
  return tf.mean(tf.mul(0.5, tf.square(tf.sub(tf.tensor1d(reward), qs))));
}

function crossEntropy(q: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), q.shape[1]), q) as tf.Scalar;
}

/**
 * One batch through the engine and through autodiff, nothing applied: the forward pass in
 * training, actions from `choose` (given the Q-values), the rule's signal through the feedback
 * phase, then the engine's ΔW for learning rate `lr` (and Δb, with `withBiases`) beside −lr × the
 * autodiff gradient of the rule's loss for the same actions and dropout masks (Dropout.call reuses
 * the masks of the forward pass). Both lists: weighted layers, then biased ones. The caller
 * disposes both and calls net.release().
 */
export async function engineAndGradient(net: Network, rule: Rule, x: tf.Tensor, labels: ArrayLike<number>, choose: (q: Float32Array) => Int32Array,
  lr: number, withBiases = false): Promise<{ engine: tf.Tensor[]; gradient: tf.Tensor[] }> {
  const n = net.config.numClasses;
  const q = net.forward(x, true);
  let qv: Float32Array;
  try { qv = await q.data() as Float32Array; } finally { q.dispose(); }
  const actions = choose(qv);
  const out = rule.signal(qv, n, actions, labels);
  tf.tidy(() => net.feedback(tf.tensor2d(out.signal, [actions.length, n])));
  const engine = [...net.weightDeltas(lr), ...(withBiases ? net.biasDeltas(lr) : [])];
  const weighted = net.weightedLayers(), biased = withBiases ? net.biasedLayers() : [], nW = weighted.length;
  const ys = Int32Array.from(labels);
  const gradient = tf.tidy(() => tf.grads((...ps: tf.Tensor[]) => {
    const qq = net.call(x, ps.slice(0, nW), [...ps.slice(nW), ...(withBiases ? [] : net.biasedLayers().map(l => l.b!))]);
    return rule.selectsActions ? rpeLoss(qq, actions, out.reward) : crossEntropy(qq, ys);
  })([...weighted.map(l => l.W!), ...biased.map(l => l.b!)]).map(g => tf.mul(g, -lr)));
  return { engine, gradient };
}

/** Compare one batch's engine updates with autodiff, layer by layer. */
export async function compareWithAutodiff(rule: Rule, c: DerivationCase, seed = 11, opts: { batch?: number; classes?: number; lr?: number } = {}): Promise<LayerComparison[]> {
  const B = opts.batch ?? 6, n = opts.classes ?? 5, lr = opts.lr ?? 0.3;
  const net = new Network({ inputShape: c.inputShape, layers: c.layers, numClasses: n, init: 0.4, bias: c.bias ?? false, seed });
  const rng = new Rng((seed + 1) >>> 0);
  // Biases start at zero; give them values so a bias left out of the forward pass shows.
  const biased = net.biasedLayers();
  for (const l of biased) tf.tidy(() => l.b!.assign(tf.tensor(rng.uniformArray(l.b!.size, -0.2, 0.2), l.b!.shape)));
  const x = tf.tensor(rng.uniformArray(B * c.inputShape.reduce((p, d) => p * d, 1), 0, 1), [B, ...c.inputShape]);
  const labels = Int32Array.from({ length: B }, () => rng.int(n));
  try {
    // Half the trials explore, so non-greedy actions are covered too.
    const choose = (qv: Float32Array) => rule.selectsActions ? selectAction(qv, n, { epsilon: 0.5, beta: 1 }, rng) : new Int32Array(B);
    const { engine: deltas, gradient: scaled } = await engineAndGradient(net, rule, x, labels, choose, lr, true);
    const weighted = net.weightedLayers();
    const names = [...weighted.map(l => [l.name, l.kind]), ...biased.map(l => [`${l.name}.b`, l.kind])];
    const [expected, got] = await Promise.all([scaled, deltas].map(ts => Promise.all(ts.map(t => t.data() as Promise<Float32Array>))));
    const rows = deltas.map((_, i) => ({
      layer: names[i][0], kind: names[i][1], relativeError: relativeError(got[i], expected[i]), maxUpdate: got[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0),
    }));
    tf.dispose([...deltas, ...scaled]);
    net.release();
    return rows;
  } finally { x.dispose(); net.dispose(); }
}
