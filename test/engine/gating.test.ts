// Fig. 2 and eq 6: only the selected output sends feedback, and a unit below threshold
// (a ≤ 0) passes no feedback down and its incoming synapses do not change.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Network } from '../../src/network.ts';
import { deepagrel } from '../../src/rules/deepagrel.ts';
import { randomImages } from '../helpers.ts';
import { useBackend } from './backends.ts';

before(async () => { await useBackend('cpu'); });

const n = 4;
function oneTrial(net: Network, x: tf.Tensor, action: number, label: number) {
  const qv = net.forward(x, true).dataSync();
  const { signal } = deepagrel.signal(qv, n, Int32Array.of(action), Int32Array.of(label));
  tf.tidy(() => net.feedback(tf.tensor2d(signal, [1, n])));
  const deltas = net.weightDeltas(0.1).map(d => { const v = d.arraySync(); d.dispose(); return v; });
  net.release();
  return { qv, signal, deltas };
}

test('feedback from unselected outputs is exactly zero', () => {
  const net = new Network({ inputShape: [6], layers: [{ type: 'dense', units: 8 }, { type: 'dense', units: 7 }], numClasses: n, init: 0.5, seed: 2 });
  const x = randomImages(1, [6], 3);
  const { signal, deltas } = oneTrial(net, x, 2, 1);
  assert.deepEqual([...signal].map((v, l) => l === 2 ? v !== 0 : v === 0), [true, true, true, true]);
  const out = deltas[2] as number[][];            // ΔW of the output layer, [7, n]
  for (const row of out) row.forEach((v, l) => { if (l !== 2) assert.equal(v, 0, `output ${l} was not selected but its weights changed`); });
  assert.ok(out.some(row => row[2] !== 0), 'the selected output should learn');
  net.dispose(); x.dispose();
});

test('a unit with a ≤ 0 passes no feedback and its incoming weights do not change', () => {
  const net = new Network({ inputShape: [6], layers: [{ type: 'dense', units: 8 }, { type: 'dense', units: 7 }], numClasses: n, init: 0.5, seed: 5 });
  const x = randomImages(1, [6], 7);
  const [l1, l2] = net.weightedLayers();
  // Which second-layer units are silent for this input?
  const h1 = tf.relu(tf.matMul(x as tf.Tensor2D, l1.W as tf.Tensor2D));
  const a2 = tf.matMul(h1, l2.W as tf.Tensor2D).dataSync();
  const silent = [...a2].map((v, j) => v <= 0 ? j : -1).filter(j => j >= 0);
  const active = [...a2].map((v, j) => v > 0 ? j : -1).filter(j => j >= 0);
  assert.ok(silent.length > 0 && active.length > 0, 'the seed should give silent and active units');
  const before = oneTrial(net, x, 1, 1);
  const d2 = before.deltas[1] as number[][];      // [8, 7]
  for (const j of silent) for (const row of d2) assert.equal(row[j], 0, `silent unit ${j}: incoming weight changed`);
  assert.ok(active.some(j => d2.some(row => row[j] !== 0)), 'active units should learn');
  // Make a silent unit's feedback weights huge (and it stays silent: its input weights only get
  // more negative contributions): the layer below must receive exactly the same feedback.
  const j = silent[0];
  const W2 = l2.W!.arraySync() as number[][];
  const h1v = h1.dataSync();
  W2.forEach((row, i) => { row[j] = h1v[i] > 0 ? -100 : 100; });
  l2.W!.assign(tf.tensor2d(W2));
  const after = oneTrial(net, x, 1, 1);
  assert.deepEqual(after.qv, before.qv, 'forward output must not change while the unit stays silent');
  assert.deepEqual(after.deltas[0], before.deltas[0], 'feedback below a silent unit must not depend on its weights');
  tf.dispose([h1, x]); net.dispose();
});

test('dropped units (dropout) pass no feedback: their incoming weights do not change', () => {
  const net = new Network({ inputShape: [5], layers: [{ type: 'dense', units: 40 }, { type: 'dropout', rate: 0.5 }], numClasses: n, init: 0.5, seed: 9 });
  const x = randomImages(1, [5], 1);
  const dropoutMask = () => (net.layers[1] as any).mask.dataSync() as Float32Array;
  net.forward(x, true).dispose();
  const mask = Float32Array.from(dropoutMask());
  const qv = net.call(x, net.weightedLayers().map(l => l.W!)).dataSync();
  const { signal } = deepagrel.signal(qv, n, Int32Array.of(0), Int32Array.of(0));
  tf.tidy(() => net.feedback(tf.tensor2d(signal, [1, n])));
  const d1 = net.weightDeltas(0.1)[0].arraySync() as number[][];
  net.release();
  let dropped = 0;
  mask.forEach((m, j) => { if (m === 0) { dropped++; for (const row of d1) assert.equal(row[j], 0); } else assert.equal(m, 2); });
  assert.ok(dropped > 5 && dropped < 35, `about half of 40 units should be dropped, got ${dropped}`);
  net.dispose(); x.dispose();
});
