// Feedback travels through W′, the feedback weights (Fig. 1), not through W: for every weighted
// layer kind and feedback mode, what a layer sends down equals the transpose of its forward map
// with W′ (a vector-Jacobian product of call(x, W′)), and differs from the one with W whenever
// the two differ. In symmetric mode W′ is W itself (one array).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Dense } from '../../src/layers/dense.ts';
import { Conv2D } from '../../src/layers/conv2d.ts';
import { LocallyConnected2D } from '../../src/layers/locally-connected2d.ts';
import type { FeedbackMode, WeightedLayer } from '../../src/layers/layer.ts';
import { Rng } from '../../src/rng.ts';
import { BACKENDS_UNDER_TEST, useBackend } from './backends.ts';

const make: Record<string, (mode: FeedbackMode) => WeightedLayer> = {
  dense: mode => new Dense('d', [12], 5, 'linear', { init: 0.5, feedback: mode, weightDecay: 0, rng: new Rng(1) }),
  conv2d: mode => new Conv2D('c', [6, 6, 2], 3, 3, 2, 'same', 'linear', { init: 0.5, feedback: mode, weightDecay: 0, rng: new Rng(2) }),
  loccon2d: mode => new LocallyConnected2D('l', [5, 5, 2], 3, 2, 1, 'valid', 'linear', { init: 0.5, feedback: mode, weightDecay: 0, rng: new Rng(3) }),
};

const maxAbs = (t: tf.Tensor) => tf.max(tf.abs(t));

for (const backend of BACKENDS_UNDER_TEST) {
  for (const [kind, build] of Object.entries(make)) {
    for (const mode of ['symmetric', 'reciprocal', 'fixed-random'] as FeedbackMode[]) {
      test(`${backend}: ${kind} sends feedback through W′ (${mode})`, async () => {
        await useBackend(backend);
        const layer = build(mode);
        const r = new Rng(9);
        // max |vjp through W′|, max |sent − vjp through W′|, max |sent − vjp through W|
        const stats = tf.tidy(() => {
          const x = tf.tensor(r.uniformArray(4 * layer.inputShape.reduce((p, d) => p * d, 1), -1, 1), [4, ...layer.inputShape]);
          const fb = tf.tensor(r.uniformArray(4 * layer.outputShape.reduce((p, d) => p * d, 1), -1, 1), [4, ...layer.outputShape]);
          layer.forward(x, true);
          const sent = layer.feedback(fb, true)!;
          const vjp = (V: tf.Tensor) => tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.call(xx, V), fb)))(x);
          return tf.stack([maxAbs(vjp(layer.Wfb)), maxAbs(tf.sub(sent, vjp(layer.Wfb))), maxAbs(tf.sub(sent, vjp(layer.W)))]);
        });
        const [scale, viaWfb, viaW] = await stats.data();
        stats.dispose();
        layer.release();
        assert.ok(viaWfb <= 1e-5 * scale, `${kind} ${mode}: feedback is not W′ᵀ·(g ⊙ fb)`);
        if (mode === 'symmetric') assert.equal(layer.Wfb, layer.W, 'symmetric mode keeps one array for W and W′');
        else assert.ok(viaW > 0.05 * scale, `${kind} ${mode}: feedback matches Wᵀ·(g ⊙ fb) — it went through W`);
        layer.dispose();
      });
    }
  }
}
