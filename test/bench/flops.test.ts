// FLOP counting (src/flops.ts): a small net counted by hand, and the paper's MNIST conv net
// against the figure (2.7 TFLOP per epoch of 590 steps ≈ 4.6 GFLOP per step).

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend.ts';
import { Network } from '../../src/network.ts';
import { countStepFlops } from '../../src/flops.ts';
import { PRESETS } from '../../src/presets.ts';

before(async () => { await initBackend({ backend: 'cpu' }); });

test('a small net, counted by hand', () => {
  // [6,6,1] -conv 3x3x2 valid-> [4,4,2] -dropout- -loccon 3x3x3 valid-> [2,2,3] -flatten- -dense 5-> -output 4->
  const net = new Network({
    inputShape: [6, 6, 1], numClasses: 4, init: 0.1, seed: 1,
    layers: [
      { type: 'conv2d', filters: 2, kernelSize: 3 },
      { type: 'dropout', rate: 0.5 },
      { type: 'loccon2d', filters: 3, kernelSize: 3 },
      { type: 'dense', units: 5 },
    ],
  });
  const B = 2;
  const conv = 2 * B * (4 * 4) * (3 * 3 * 1 * 2);      // 1152
  const loccon = 2 * B * (2 * 2) * (3 * 3 * 2) * 3;    // P=4, K=18, O=3: 864
  const dense = 2 * B * 12 * 5;                        // 240
  const out = 2 * B * 5 * 4;                           // 80
  const f = countStepFlops(net, B);
  assert.equal(f.forward, conv + loccon + dense + out);
  assert.equal(f.feedback, loccon + dense + out);     // the conv (bottom learner) sends nothing down
  assert.equal(f.update, conv + loccon + dense + out);
  assert.equal(f.total, f.forward + f.feedback + f.update);
  assert.deepEqual(f.layers.map(l => l.name), ['conv2d1', 'loccon2d3', 'dense4', 'output']);
  // loccon patches: identity conv 2·B·P·K·K forward, and its transpose for the feedback
  assert.equal(f.overhead, 2 * (2 * B * 4 * 18 * 18));
  net.dispose();
});

test('the bottom learner sends no feedback, whatever its kind; fixed-random counts the same', () => {
  const make = (feedback: 'symmetric' | 'fixed-random') => new Network({
    inputShape: [5, 5, 1], numClasses: 3, init: 0.1, seed: 2, feedback,
    layers: [{ type: 'loccon2d', filters: 2, kernelSize: 3 }, { type: 'dense', units: 4 }],
  });
  const a = make('symmetric'), b = make('fixed-random');
  const f = countStepFlops(a, 10);
  assert.equal(f.layers[0].feedback, 0);
  assert.equal(f.layers[0].overhead, 2 * 10 * 9 * 9 * 9);          // extraction only
  assert.equal(f.feedback, 2 * 10 * 18 * 4 + 2 * 10 * 4 * 3);
  assert.deepEqual(countStepFlops(b, 10), f);
  assert.throws(() => countStepFlops(a, 0), /positive integer/);
  a.dispose(); b.dispose();
});

test('MNIST conv net: ≈ 4.6 GFLOP per step of 100, ≈ 2.7 TFLOP per epoch', () => {
  const cfg = PRESETS['mnist-conv-deepagrel'];
  const net = new Network({ inputShape: [28, 28, 1], layers: cfg.layers, numClasses: 10, init: cfg.init, seed: 1 });
  const f = countStepFlops(net, 100);
  // conv1 38.9M, conv2 311.5M, dense 1081.6M, dense 100M, output 1M per product
  const products = 38_937_600 + 311_500_800 + 1_081_600_000 + 100_000_000 + 1_000_000;
  assert.equal(f.forward, products);
  assert.equal(f.feedback, products - 38_937_600);
  assert.equal(f.update, products);
  assert.ok(Math.abs(f.total / 4.6e9 - 1) < 0.02, `step ${f.total / 1e9} GFLOP`);
  const epoch = f.total * 590;                     // 59,000 training images after the validation split
  assert.ok(Math.abs(epoch / 2.7e12 - 1) < 0.02, `epoch ${epoch / 1e12} TFLOP`);
  assert.equal(f.overhead, 0);
  net.dispose();
});
