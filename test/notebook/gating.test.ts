// Fig. 2 in numbers: silent units pass no feedback and do not learn; active units do.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gatingFigure, gatingTrial, gatingViolations, sampleOf } from '../../src/notebook/gating.ts';
import { Rng } from '../../src/rng.ts';
import { quadrantDataset } from '../helpers.ts';
import { useBackend } from '../engine/backends.ts';

before(async () => { await useBackend('cpu'); });

const input = (seed: number) => ({ x: new Rng(seed).uniformArray(64, 0, 1), shape: [8, 8, 1], label: 3 });

test('silent units: zero feedback and zero plasticity; active units: feedback = arriving, plasticity > 0', async () => {
  for (const seed of [1, 2, 3]) {
    const t = await gatingTrial({ ...input(seed), layers: [{ type: 'dense', units: 24 }, { type: 'dense', units: 12 }], seed, init: 0.3 });
    const v = gatingViolations(t);
    assert.equal(v.leaks, 0);
    assert.ok(v.silent > 0 && v.active > 0, `seed ${seed}: ${JSON.stringify(v)}`);
    assert.equal(t.drive.length, 24);
    assert.ok(Math.abs(t.delta) > 0);
    t.drive.forEach((a, m) => {
      assert.equal(t.gate[m], a > 0 ? 1 : 0);
      if (a > 0) {
        assert.equal(t.feedback[m], t.feedbackIn[m]);
        assert.equal(t.plasticity[m] > 0, t.feedbackIn[m] !== 0, `unit ${m}`);
      } else {
        assert.equal(t.feedback[m], 0);
        assert.equal(t.plasticity[m], 0);
      }
    });
    assert.ok(t.feedbackIn.some((f, m) => t.gate[m] === 0 && f !== 0), 'feedback arrives at silent units too (and stops there)');
    // Plasticity = α·|δ|·max_p y_p·|fb_m| for the first hidden layer (y_p = the input pixels).
    const xmax = Math.max(...input(seed).x);
    t.drive.forEach((a, m) => { if (a > 0) assert.ok(Math.abs(t.plasticity[m] - 0.5 * Math.abs(t.delta) * xmax * Math.abs(t.feedback[m])) < 1e-6); });
  }
});

test('the second hidden layer can be shown too; only hidden dense layers are accepted; no tensors leak', async () => {
  const before = tf.memory().numTensors;
  const t = await gatingTrial({ ...input(4), layers: [{ type: 'dense', units: 16 }, { type: 'dense', units: 10 }], layer: 'dense2', seed: 4, init: 0.3 });
  assert.equal(t.layer, 'dense2');
  assert.equal(t.drive.length, 10);
  assert.equal(gatingViolations(t).leaks, 0);
  await assert.rejects(gatingTrial({ ...input(4), layer: 'output' }), /'output' is not a hidden dense layer; layers: flatten1 \(flatten\), dense1/);
  // (Network init currently leaves its initial weight tensors behind, one per weight array: uniformWeights in src/layers/layer.ts.)
  assert.ok(tf.memory().numTensors - before <= 3 + 3, `${tf.memory().numTensors - before} tensors left`);
});

test('sampleOf scales an image to [0, 1]; the figure has four panels, units sorted by drive', async () => {
  const ds = quadrantDataset(10, 2);
  const s = sampleOf(ds.train, 3);
  assert.deepEqual(s.shape, [8, 8, 1]);
  assert.equal(s.label, ds.train.labels[3]);
  assert.ok(s.x.every((v) => v >= 0 && v <= 1));
  assert.throws(() => sampleOf(ds.train, 10), /sample index must be an integer in \[0, 10\)/);
  const t = await gatingTrial({ ...s, layers: [{ type: 'dense', units: 12 }], numClasses: 4, init: 0.3 });
  const fig = gatingFigure(t);
  assert.equal(fig.data.length, 4);
  const drive = fig.data[0].y as number[];
  assert.deepEqual(drive, [...drive].sort((a, b) => a - b));
  assert.match((fig.layout.title as { text: string }).text, /^Fig\. 2 in numbers: layer dense1, one trial \(label \d, action \d, reward [01], δ = /);
});
