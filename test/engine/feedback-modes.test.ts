// The feedback-weight modes beyond the paper: symmetric, reciprocal (learned), fixed-random.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Network, type NetworkConfig } from '../../src/network.ts';
import { trainStep } from '../../src/step.ts';
import { deepagrel } from '../../src/rules/deepagrel.ts';
import { Rng } from '../../src/rng.ts';
import { quadrantTask } from '../helpers.ts';
import { useBackend } from './backends.ts';

before(async () => { await useBackend('cpu'); });

const base: NetworkConfig = { inputShape: [4, 4, 1], layers: [{ type: 'conv2d', filters: 3, kernelSize: 2 }, { type: 'dense', units: 12 }], numClasses: 4, init: 0.3, seed: 4 };

async function train(net: Network, steps: number) {
  const { x, y } = quadrantTask(steps * 8, 4, 4, 1, 1);
  const rng = new Rng(2);
  for (let s = 0; s < steps; s++) {
    const xb = tf.tensor4d(x.subarray(s * 128, (s + 1) * 128), [8, 4, 4, 1]);
    await trainStep(net, deepagrel, xb, y.subarray(s * 8, (s + 1) * 8), { lr: 0.2, epsilon: 0.1, beta: 1 }, rng);
    xb.dispose();
  }
}

test('symmetric: one array for W and W′ trains bit-for-bit like two copies that start equal and get the same updates', async () => {
  // The paper's reciprocity as two separate arrays: reciprocal mode with W′ set to a copy of W.
  const sym = new Network({ ...base, feedback: 'symmetric' });
  const two = new Network({ ...base, feedback: 'reciprocal' });
  two.setWeights(Object.fromEntries(Object.entries(sym.getWeights()).map(([k, v]) => [k, { W: v.W, Wfb: v.W.slice() }])));
  await train(sym, 10);
  await train(two, 10);
  const a = sym.getWeights(), b = two.getWeights();
  for (const name of Object.keys(a)) {
    assert.ok(b[name].Wfb && b[name].Wfb !== b[name].W, 'the reference keeps two arrays');
    assert.deepEqual(b[name].W, a[name].W, `${name}: W differs from the two-copy reference`);
    assert.deepEqual(b[name].Wfb, a[name].W, `${name}: W′ of the reference drifted from W`);
    assert.equal(a[name].Wfb, undefined, `${name}: symmetric mode stores one array`);
  }
  for (const [name, deg] of Object.entries(await two.alignmentDeg())) assert.equal(deg, 0, `${name}: two equal arrays must be 0° apart`);
  sym.dispose(); two.dispose();
});

test('reciprocal: W\' starts unrelated, learns by the same rule, and weight decay aligns it with W', async () => {
  const net = new Network({ ...base, feedback: 'reciprocal', weightDecay: 0.05 });
  const start = await net.alignmentDeg();
  for (const deg of Object.values(start)) assert.ok(deg > 60, `independent random W' should be near 90°, got ${deg}`);
  const fb0 = net.weightedLayers().map(l => l.Wfb!.dataSync().slice());
  await train(net, 200);
  const end = await net.alignmentDeg();
  net.weightedLayers().forEach((l, i) => assert.notDeepEqual(l.Wfb!.dataSync(), fb0[i], `${l.name}: W' should learn`));
  for (const [name, deg] of Object.entries(end)) assert.ok(deg < start[name] - 10, `${name}: alignment ${start[name].toFixed(1)}° → ${deg.toFixed(1)}° should shrink`);
  net.dispose();
});

test('fixed-random: W\' never changes while W learns', async () => {
  const net = new Network({ ...base, feedback: 'fixed-random' });
  const fb0 = net.weightedLayers().map(l => l.Wfb!.dataSync().slice());
  const w0 = net.weightedLayers().map(l => l.W!.dataSync().slice());
  await train(net, 20);
  net.weightedLayers().forEach((l, i) => {
    assert.deepEqual(l.Wfb!.dataSync(), fb0[i]);
    assert.notDeepEqual(l.W!.dataSync(), w0[i]);
  });
  net.dispose();
});

test('weights/setWeights round-trip restores W and W\' exactly; getWeights reads the same synchronously', async () => {
  const a = new Network({ ...base, feedback: 'reciprocal' });
  await train(a, 5);
  const b = new Network({ ...base, feedback: 'reciprocal', seed: 99 });
  b.setWeights(await a.weights());
  assert.deepEqual(await b.weights(), await a.weights());
  assert.deepEqual(b.getWeights(), await a.weights());
  assert.throws(() => b.setWeights({}), /weights for layer 'conv2d1' missing/);
  a.dispose(); b.dispose();
});
