// The pixel-scale reading of RESULTS.md, as properties of the engine: a bias-free ReLU net is
// positively homogeneous (input ×s → every activity ×s), and while Q ≈ 0 a DeepAGREL step's ΔW of
// the first layer (pre × gate × feedback × δ, δ ≈ r) grows by the same factor s.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { firstSteps, renderFirstSteps } from '../../src/first-steps.ts';
import { resolvePreset, type ExperimentConfig } from '../../src/presets.ts';
import { quadrantDataset } from '../helpers.ts';
import { useBackend } from './backends.ts';

before(async () => { await useBackend('cpu'); });

const layers = [{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'dense', units: 16 }] as ExperimentConfig['layers'];
const cfg = (rule: 'deepagrel' | 'ebp'): ExperimentConfig =>
  ({ ...resolvePreset(`mnist-conv-${rule}`), layers, init: 0.02, batchSize: 20, epsilon: 0 });   // ε = 0: same (greedy) actions at every scale

test('first steps: activity scales with the input; DeepAGREL first-layer ΔW too; EBP steps at its own α', () => {
  const ds = quadrantDataset(60, 4);
  const configs = [cfg('deepagrel'), cfg('ebp')];
  const [one, ten] = [1, 10].map(inputScale => firstSteps(configs, ds.train, ds.numClasses, { inputScale, seed: 3, batches: 2 }));
  assert.deepEqual(one.layers.map(l => l.layer), ['conv2d1', 'dense2', 'output']);
  one.layers.forEach((l, i) => {
    const r = ten.layers[i].activity / l.activity;
    assert.ok(Math.abs(r / 10 - 1) < 1e-3, `${l.layer}: activity ratio ${r}, expected 10`);
    assert.equal(ten.layers[i].meanAbsW, l.meanAbsW);
  });
  // Activity shrinks layer by layer at ±0.02 init (the slow start).
  assert.ok(one.layers[2].activity < one.layers[0].activity / 10);
  const dW = ten.layers[0].relUpdate.deepagrel / one.layers[0].relUpdate.deepagrel;
  assert.ok(Math.abs(dW / 10 - 1) < 0.01, `DeepAGREL conv ΔW ratio ${dW}, expected ≈ 10`);
  for (const l of one.layers) assert.ok(l.relUpdate.ebp > 0 && l.relUpdate.deepagrel > 0, `${l.layer} must learn under both rules`);
  const md = renderFirstSteps([one], ['deepagrel', 'ebp'], { deepagrel: 1, ebp: 0.01 });
  assert.match(md, /\| conv2d1 \| [0-9.e+-]+ \| [0-9.e+-]+ \| [0-9.e+-]+ \| [0-9.e+-]+ \| [0-9.e+-]+ \|/);
  assert.match(md, /EBP \(α=0.01\)/);
});
