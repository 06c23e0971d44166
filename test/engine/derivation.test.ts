// The paper's Appendix A, executable: DeepAGREL's four-factor updates (symmetric feedback) equal
// −α × the autodiff gradient of ½(r − q_s)² for the selected actions, averaged over the batch, and
// EBP's updates equal −α × the gradient of the softmax cross-entropy. For every layer type, in
// networks of depth 2–5, on every backend we can load here.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Network, type LayerSpec } from '../../src/network.ts';
import { Rng } from '../../src/rng.ts';
import { selectAction } from '../../src/action.ts';
import { deepagrel } from '../../src/rules/deepagrel.ts';
import { ebp } from '../../src/rules/ebp.ts';
import type { Rule } from '../../src/rules/rule.ts';
import { relErr, randomImages, randomLabels } from '../helpers.ts';
import { BACKENDS_UNDER_TEST, useBackend } from './backends.ts';

const NETS: Record<string, { input: number[]; layers: LayerSpec[] }> = {
  'dense (depth 2)': { input: [12], layers: [{ type: 'dense', units: 16 }] },
  'dense (depth 4)': { input: [12], layers: [{ type: 'dense', units: 20 }, { type: 'dense', units: 16 }, { type: 'dense', units: 12 }] },
  'conv (depth 3, stride 2 same)': { input: [9, 9, 2], layers: [{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'conv2d', filters: 5, kernelSize: 3, strides: 2, padding: 'same' }] },
  'conv + dense (depth 4)': { input: [8, 8, 1], layers: [{ type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same' }, { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2 }, { type: 'dense', units: 10 }] },
  'loccon (depth 3)': { input: [7, 7, 2], layers: [{ type: 'loccon2d', filters: 3, kernelSize: 3 }, { type: 'loccon2d', filters: 4, kernelSize: 2, strides: 2, padding: 'same' }] },
  'loccon in the middle (depth 4)': { input: [8, 8, 1], layers: [{ type: 'conv2d', filters: 3, kernelSize: 3 }, { type: 'loccon2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same' }, { type: 'dense', units: 9 }] },
  'paper shape with dropout (depth 5)': { input: [10, 10, 1], layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same' },
    { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 12 }, { type: 'dense', units: 8 }, { type: 'dropout', rate: 0.3 }] },
};

/** ½(r − q_s)² averaged over the batch, for fixed actions and rewards. */
function rpeLoss(q: tf.Tensor2D, actions: Int32Array, reward: Float32Array): tf.Scalar {
  const n = q.shape[1];
  const mask = tf.oneHot(tf.tensor1d(actions, 'int32'), n);
  const qs = tf.sum(tf.mul(q, mask), 1);
  return tf.mean(tf.mul(0.5, tf.square(tf.sub(tf.tensor1d(reward), qs))));
}

function crossEntropy(q: tf.Tensor2D, labels: Int32Array): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), q.shape[1]), q) as tf.Scalar;
}

function check(rule: Rule, spec: { input: number[]; layers: LayerSpec[] }, seed: number): number[] {
  const B = 6, n = 5, lr = 0.3;
  const net = new Network({ inputShape: spec.input, layers: spec.layers, numClasses: n, init: 0.4, seed });
  try {
    const x = randomImages(B, spec.input, seed + 1);
    const labels = randomLabels(B, n, seed + 2);
    const q = net.forward(x, true);
    const qv = q.dataSync();
    const actions = rule.selectsActions ? selectAction(qv, n, { epsilon: 0.5, beta: 1 }, new Rng(seed + 3)) : new Int32Array(B);
    const out = rule.signal(qv, n, actions, labels);
    tf.tidy(() => net.feedback(tf.tensor2d(out.signal, [B, n])));
    const deltas = net.weightDeltas(lr);
    // Autodiff of the same function (same weights, same dropout masks) on the rule's loss.
    const weights = net.weightedLayers().map(l => l.W!);
    const grads = tf.grads((...ws: tf.Tensor[]) => {
      const qq = net.call(x, ws);
      return rule.name === 'deepagrel' ? rpeLoss(qq, actions, out.reward) : crossEntropy(qq, labels);
    })(weights);
    const errs = deltas.map((d, i) => relErr(d.dataSync(), grads[i].mul(-lr).dataSync()));
    // Guard against a vacuous pass: some update must be non-zero in every weighted layer.
    deltas.forEach((d, i) => assert.ok(tf.max(tf.abs(d)).dataSync()[0] > 0, `layer ${i} got an all-zero update`));
    tf.dispose([x, q, ...deltas, ...grads]);
    net.release();
    return errs;
  } finally { net.dispose(); }
}

for (const backend of BACKENDS_UNDER_TEST) {
  describe(`Appendix A on ${backend}`, () => {
    before(async () => { await useBackend(backend); });
    for (const [name, spec] of Object.entries(NETS)) {
      for (const rule of [deepagrel, ebp]) {
        test(`${rule.name} update = −α·∇ (${name})`, () => {
          const errs = check(rule, spec, 11);
          for (const [i, e] of errs.entries()) assert.ok(e <= 1e-5, `layer ${i}: relative error ${e.toExponential(2)} > 1e-5`);
        });
      }
    }
  });
}
