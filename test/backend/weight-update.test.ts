// The fused dense update (src/ops.ts addProductInPlace; the native backend's kernel
// DeepagrelAddProductInPlace, backend/native-ops.ts): on native it writes W ← keep·W + scale·preᵀ·post
// into W's own buffer in one sgemm. These tests hold it to the generic form (ΔW, then W + ΔW, which
// the wasm backend takes), check that it really ran where it should and not where it must not
// (reciprocal W', a buffer someone else holds), and that it leaks nothing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/backend.ts';
import { Network } from '../../src/network.ts';
import type { FeedbackMode } from '../../src/layers/layer.ts';
import { ADD_PRODUCT_IN_PLACE, addProductInPlace } from '../../src/ops.ts';
import { Rng } from '../../src/rng.ts';
import { nativeSkip, randomImages } from '../helpers.ts';

const layers = [{ type: 'flatten' as const }, { type: 'dense' as const, units: 40 }, { type: 'dropout' as const, rate: 0.3 }, { type: 'dense' as const, units: 30 }];

/** Weights (W and W' where separate) after `steps` forward/feedback/update rounds, and the kernels that ran. */
async function train(backend: 'native' | 'wasm', feedback: FeedbackMode, weightDecay: number, steps = 3) {
  await initBackend({ backend });
  const net = new Network({ inputShape: [6, 6, 1], layers, numClasses: 4, init: 0.3, feedback, weightDecay, seed: 7 });
  const kernels = new Set<string>();
  for (let s = 0; s < steps; s++) {
    const x = randomImages(16, [6, 6, 1], 100 + s);
    const signal = tf.tensor2d(new Rng(200 + s).uniformArray(16 * 4, -1, 1), [16, 4]);
    const p = await tf.profile(() => { net.forward(x, true).dispose(); net.feedback(signal); net.update(0.05); });
    for (const k of p.kernels) kernels.add(k.name);
    x.dispose(); signal.dispose();
  }
  const w = net.getWeights();
  net.dispose();
  return { w, kernels };
}

/** A variable that is the sole owner of its buffer (as the layers' weights are). */
function variable(values: number[][]): tf.Variable {
  const t = tf.tensor2d(values);
  const v = tf.variable(t);
  t.dispose();
  return v;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return d / m;
}

describe('fused dense update', { skip: nativeSkip() }, () => {
  for (const [mode, decay] of [['symmetric', 0], ['symmetric', 0.01], ['fixed-random', 0]] as const) {
    test(`${mode}${decay ? ', weight decay' : ''}: runs on native and equals the general path (wasm)`, async () => {
      const nat = await train('native', mode, decay);
      const was = await train('wasm', mode, decay);
      assert.ok(nat.kernels.has(ADD_PRODUCT_IN_PLACE), `native ran: ${[...nat.kernels]}`);
      assert.ok(!was.kernels.has(ADD_PRODUCT_IN_PLACE), 'wasm takes the general path');
      for (const name of Object.keys(was.w)) {
        assert.ok(maxRelDiff(nat.w[name].W, was.w[name].W) < 1e-5, `${name} W`);
        assert.equal(nat.w[name].Wfb === undefined, was.w[name].Wfb === undefined);
        if (was.w[name].Wfb) assert.deepEqual(nat.w[name].Wfb, was.w[name].Wfb, `${name} W' (frozen) unchanged`);
      }
    });
  }

  test('reciprocal W\' learns by the same ΔW: the general path, never the fused one', async () => {
    const nat = await train('native', 'reciprocal', 0);
    const was = await train('wasm', 'reciprocal', 0);
    assert.ok(!nat.kernels.has(ADD_PRODUCT_IN_PLACE));
    for (const name of Object.keys(was.w)) assert.ok(maxRelDiff(nat.w[name].Wfb!, was.w[name].Wfb!) < 1e-5, `${name} W'`);
  });

  test('never writes under another tensor: a held view of W keeps its values and W still learns', async () => {
    await initBackend({ backend: 'native' });
    const W = variable([[1, 2], [3, 4]]);
    const a = tf.tensor2d([[1, 2]]), b = tf.tensor2d([[10, 20]]);   // B = 1: aᵀ·b = [[10, 20], [20, 40]]
    const view = W.reshape([4]);
    assert.equal(addProductInPlace(W, a, b, 0.5, 0), false, 'the generic form while a view shares the buffer');
    assert.deepEqual([...view.dataSync()], [1, 2, 3, 4]);
    assert.deepEqual([...W.dataSync()], [1 + 5, 2 + 10, 3 + 10, 4 + 20]);
    view.dispose();
    const before = tf.memory();
    assert.equal(addProductInPlace(W, a, b, 0.5, 0.1), true, 'in place once W owns its buffer');
    assert.deepEqual([...W.dataSync()], [0.9 * 6 + 5, 0.9 * 12 + 10, 0.9 * 13 + 10, 0.9 * 24 + 20].map(Math.fround));
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors, 'no tensor left behind');
    assert.equal(after.numBytes, before.numBytes);
    W.dispose(); a.dispose(); b.dispose();
  });

  test('update() before forward/feedback is one clear error, on native as on every backend', async () => {
    await initBackend({ backend: 'native' });
    const net = new Network({ inputShape: [6, 6, 1], layers, numClasses: 4, init: 0.3, feedback: 'symmetric', weightDecay: 0, seed: 7 });
    assert.throws(() => net.weightedLayers()[0].update(0.1), /dense.*: update\(\) needs forward\(training\) and feedback\(\) first/);
    net.dispose();
  });

  test('the generic form off native and for shapes the kernel does not cover; the numbers of ΔW then W + ΔW', async () => {
    await initBackend({ backend: 'wasm' });
    const W = variable([[0, 0], [0, 0]]), a = tf.ones([1, 2]), b = tf.ones([1, 2]);
    assert.equal(addProductInPlace(W, a, b, 1, 0), false);
    assert.deepEqual([...W.dataSync()], [1, 1, 1, 1]);
    await initBackend({ backend: 'native' });
    assert.throws(() => addProductInPlace(W, a, tf.ones([1, 3]), 1, 0), /matMul|inner|shape/i, 'post has the wrong width: the generic form says so');
    assert.throws(() => addProductInPlace(W, tf.ones([2, 2]), b, 1, 0), /matMul|inner|shape/i, 'batch sizes differ');
    assert.deepEqual([...W.dataSync()], [1, 1, 1, 1]);
    W.dispose(); a.dispose(); b.dispose();
  });

  test('tf.clone on native shares the buffer, and the update leaves the clone as it was', async () => {
    await initBackend({ backend: 'native' });
    const W = variable([[1, 2], [3, 4]]);
    const snapshot = tf.clone(W);
    const a = tf.tensor2d([[1, 1]]), b = tf.tensor2d([[1, 1]]);
    assert.equal(addProductInPlace(W, a, b, 1, 0), false, 'the clone holds the buffer');
    const plus1 = tf.add(W, 1);
    W.assign(plus1);
    assert.equal(addProductInPlace(W, a, b, 1, 0), false, 'the tensor W was assigned from holds the buffer too');
    plus1.dispose();
    assert.deepEqual([...snapshot.dataSync()], [1, 2, 3, 4]);
    assert.deepEqual([...W.dataSync()], [4, 5, 6, 7]);
    snapshot.dispose();
    assert.equal(addProductInPlace(W, a, b, 1, 0), true, 'sole owner again after assign');
    assert.deepEqual([...W.dataSync()], [5, 6, 7, 8]);
    W.dispose(); a.dispose(); b.dispose();
  });
});
