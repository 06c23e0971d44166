// DeepAGREL learns (not only matches gradients): a seeded synthetic 4-class task reaches > 95%
// greedy accuracy on held-out samples within a fixed number of updates, for every layer type, on
// every backend under test (cpu, wasm, native); same seed + same backend = same numbers, and
// across backends the weights after the same steps agree within float tolerance.
// Also: no tensor leaks over steps, and bad hyper-parameters get errors naming value and range.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Network, type LayerSpec } from '../../src/network.ts';
import { trainStep } from '../../src/step.ts';
import { greedy } from '../../src/action.ts';
import { deepagrel } from '../../src/rules/deepagrel.ts';
import { ebp } from '../../src/rules/ebp.ts';
import { getRule } from '../../src/rules/index.ts';
import { Rng } from '../../src/rng.ts';
import { quadrantTask } from '../helpers.ts';
import { BACKENDS_UNDER_TEST, useBackend } from './backends.ts';

before(async () => { await useBackend('cpu'); });

const H = 8, B = 16, STEPS = 150;
const CASES: Record<string, LayerSpec[]> = {
  dense: [{ type: 'dense', units: 32 }, { type: 'dense', units: 16 }],
  conv2d: [{ type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same' }, { type: 'dense', units: 16 }],
  loccon2d: [{ type: 'loccon2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same' }, { type: 'dense', units: 16 }],
  dropout: [{ type: 'dense', units: 32 }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 16 }],
};

async function accuracy(net: Network, x: Float32Array, y: Int32Array): Promise<number> {
  const q = tf.tidy(() => net.forward(tf.tensor4d(x, [y.length, H, H, 1])));
  const a = greedy(await q.data() as Float32Array, 4); q.dispose();
  return a.reduce((c, v, i) => c + (v === y[i] ? 1 : 0), 0) / y.length;
}

async function trainOn(layers: LayerSpec[], rule = deepagrel, steps = STEPS) {
  const net = new Network({ inputShape: [H, H, 1], layers, numClasses: 4, init: 0.3, seed: 1 });
  const { x, y } = quadrantTask(steps * B, H, H, 1, 2);
  const rng = new Rng(3);
  let reward = 0;
  for (let s = 0; s < steps; s++) {
    const xb = tf.tensor4d(x.subarray(s * B * H * H, (s + 1) * B * H * H), [B, H, H, 1]);
    reward = (await trainStep(net, rule, xb, y.subarray(s * B, (s + 1) * B), { lr: 0.5, epsilon: 0.2, beta: 1 }, rng)).reward;
    xb.dispose();
  }
  return { net, lastReward: reward };
}

for (const backend of BACKENDS_UNDER_TEST) {
  for (const [kind, layers] of Object.entries(CASES)) {
    test(`${backend}: DeepAGREL learns the 4-class task with a ${kind} layer (> 95% in ${STEPS} updates)`, async () => {
      await useBackend(backend);
      const { net } = await trainOn(layers);
      const test = quadrantTask(400, H, H, 1, 77);
      const acc = await accuracy(net, test.x, test.y);
      assert.ok(acc > 0.95, `${kind}: greedy accuracy ${acc}`);
      net.dispose();
    });
  }

  test(`${backend}: EBP learns the same task on the same engine`, async () => {
    await useBackend(backend);
    const { net } = await trainOn(CASES.dense, ebp);
    const t = quadrantTask(400, H, H, 1, 77);
    assert.ok(await accuracy(net, t.x, t.y) > 0.95);
    net.dispose();
  });

  test(`${backend}: same seed, same numbers`, async () => {
    await useBackend(backend);
    const a = (await trainOn(CASES.dropout, deepagrel, 20)).net, b = (await trainOn(CASES.dropout, deepagrel, 20)).net;
    assert.deepEqual(await a.weights(), await b.weights());
    a.dispose(); b.dispose();
  });
}

test('across backends: the same 20 steps (conv, loccon, dropout) give the same weights within float tolerance', async () => {
  const layers: LayerSpec[] = [CASES.conv2d[0], CASES.loccon2d[0], ...CASES.dropout];
  let reference: { backend: string; w: Awaited<ReturnType<Network['weights']>> } | undefined;
  for (const backend of BACKENDS_UNDER_TEST) {
    await useBackend(backend);
    const { net } = await trainOn(layers, deepagrel, 20);
    const w = await net.weights();
    net.dispose();
    if (!reference) { reference = { backend, w }; continue; }
    for (const [name, { W }] of Object.entries(w)) {
      const R = reference.w[name].W;
      let diff = 0, scale = 0;
      for (let i = 0; i < W.length; i++) { diff = Math.max(diff, Math.abs(W[i] - R[i])); scale = Math.max(scale, Math.abs(R[i])); }
      assert.ok(diff <= 1e-4 * scale, `${backend} vs ${reference.backend}, ${name}: max |ΔW| ${diff.toExponential(2)} of ${scale.toFixed(3)}`);
    }
  }
});

test('batch size 1 (per-trial learning) works', async () => {
  await useBackend('cpu');
  const net = new Network({ inputShape: [H, H, 1], layers: CASES.dense, numClasses: 4, init: 0.3, seed: 1 });
  const { x, y } = quadrantTask(1500, H, H, 1, 5);
  const rng = new Rng(3);
  for (let s = 0; s < 1500; s++) {
    const xb = tf.tensor4d(x.subarray(s * H * H, (s + 1) * H * H), [1, H, H, 1]);
    await trainStep(net, deepagrel, xb, y.subarray(s, s + 1), { lr: 0.1, epsilon: 0.2, beta: 1 }, rng);
    xb.dispose();
  }
  const t = quadrantTask(400, H, H, 1, 77);
  assert.ok(await accuracy(net, t.x, t.y) > 0.95);
  net.dispose();
});

test('tf.memory().numTensors is the same after 1 and after 50 training steps', async () => {
  await useBackend('cpu');
  const net = new Network({ inputShape: [H, H, 1], layers: [...CASES.loccon2d, { type: 'conv2d' as const, filters: 2, kernelSize: 1 }].slice(0, 1).concat(CASES.conv2d, CASES.dropout), numClasses: 4, init: 0.1, seed: 1 });
  const { x, y } = quadrantTask(B, H, H, 1, 2);
  const xb = tf.tensor4d(x, [B, H, H, 1]);
  const rng = new Rng(1);
  await trainStep(net, deepagrel, xb, y, { lr: 0.1, epsilon: 0.1, beta: 1 }, rng);
  const after1 = tf.memory().numTensors;
  for (let s = 0; s < 49; s++) await trainStep(net, s % 2 ? deepagrel : ebp, xb, y, { lr: 0.1, epsilon: 0.1, beta: 1 }, rng);
  assert.equal(tf.memory().numTensors, after1);
  xb.dispose(); net.dispose();
});

test('bad hyper-parameters: errors name the value and the allowed range', async () => {
  await useBackend('cpu');
  const ok = { inputShape: [H, H, 1], layers: CASES.dense, numClasses: 4, init: 0.1, seed: 1 };
  const net = new Network(ok);
  const xb = tf.zeros([2, H, H, 1]);
  const y = Int32Array.of(0, 1);
  const step = (o: object) => () => trainStep(net, deepagrel, xb, y, { lr: 0.1, epsilon: 0.1, beta: 1, ...o }, new Rng(1));
  await assert.rejects(step({ lr: 0 }), /lr \(learning rate α\) must be a finite number > 0, got 0/);
  await assert.rejects(step({ lr: -1 }), /got -1/);
  await assert.rejects(step({ epsilon: 1.5 }), /epsilon .* must be in \[0, 1\], got 1.5/);
  await assert.rejects(step({ epsilon: -0.1 }), /epsilon/);
  await assert.rejects(step({ beta: 0 }), /beta .* > 0, got 0/);
  assert.throws(() => new Network({ ...ok, layers: [{ type: 'dropout', rate: 1 }] }), /dropout rate must be in \[0, 1\), got 1/);
  assert.throws(() => new Network({ ...ok, layers: [{ type: 'dropout', rate: -0.2 }] }), /got -0.2/);
  assert.throws(() => new Network({ ...ok, layers: [{ type: 'maxpool' } as any] }), /unknown layer type "maxpool"; allowed: dense, conv2d, loccon2d, dropout, flatten/);
  assert.throws(() => getRule('hebb'), /unknown learning rule "hebb"; allowed: deepagrel, ebp/);
  assert.throws(() => new Network({ ...ok, feedback: 'mirror' as any }), /feedback mode must be one of symmetric, sign-symmetric, kolen-pollack, reciprocal, fixed-random, direct, got "mirror"/);
  assert.throws(() => new Network({ ...ok, init: 0 }), /init .* must be > 0, got 0/);
  assert.throws(() => new Network({ ...ok, layers: [{ type: 'dense', units: 0 }] }), /units must be a positive integer, got 0/);
  const wrong = tf.zeros([2, 28, 28, 1]);
  assert.throws(() => net.forward(wrong), /input shape \[28,28,1\] .* does not match the network's input shape \[8,8,1\]/);
  tf.dispose([xb, wrong]); net.dispose();
});
