// Optional biases (off in the paper and the presets): zero at the start without touching the
// weight stream, learned by the same rule (Δb applied by update() on every backend, the fused
// native path included), saved with the weights, resumed exactly, and one flag away in the CLI.
// That Δb = −α·∂E/∂b is checked with autodiff in derivation.test.ts.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Network, type LayerSpec } from '../../src/network.ts';
import { trainStep } from '../../src/step.ts';
import { getRule } from '../../src/rules/index.ts';
import { Rng } from '../../src/rng.ts';
import { runExperiment, protocolLabel } from '../../src/train.ts';
import { resolvePreset, ConfigError } from '../../src/presets.ts';
import { collectOverrides } from '../../src/cli/options.ts';
import { loadCheckpoint } from '../../src/checkpoint.ts';
import { quadrantDataset } from '../helpers.ts';
import { BACKENDS_UNDER_TEST, useBackend } from './backends.ts';
import { tempDir } from '../tmp-dir.ts';

const LAYERS: LayerSpec[] = [
  { type: 'conv2d', filters: 3, kernelSize: 3 }, { type: 'loccon2d', filters: 2, kernelSize: 2, strides: 2 },
  { type: 'dense', units: 12 },
];
const net = (bias: boolean, seed = 5) => new Network({ inputShape: [7, 7, 1], layers: LAYERS, numClasses: 4, init: 0.3, bias, seed });
const images = (B: number, seed: number) => tf.tensor4d(new Rng(seed).uniformArray(B * 49, 0, 1), [B, 7, 7, 1]);

describe('biases on cpu', () => {
  before(async () => { await useBackend('cpu'); });

  test('shapes (conv: per filter; loccon: per position and filter; dense: per unit), zero start, same W as without', () => {
    const a = net(true), b = net(false);
    try {
      assert.deepEqual(a.biasedLayers().map(l => l.b!.shape), [[3], [2, 2, 2], [12], [4]]);
      for (const l of a.biasedLayers()) assert.ok(l.b!.dataSync().every(v => v === 0), `${l.name}: b starts at 0`);
      assert.deepEqual(b.biasedLayers(), []);
      const wa = a.getWeights(), wb = b.getWeights();
      for (const name of Object.keys(wb)) assert.deepEqual(wa[name].W, wb[name].W, `${name}: W does not depend on the bias option`);
      assert.equal(a.paramCount() - b.paramCount(), 3 + 8 + 12 + 4);
      assert.match(a.summary(), /biases; parameters: /);
    } finally { a.dispose(); b.dispose(); }
  });

  test('setWeights: a missing or an unexpected b is an error naming the layer', () => {
    const a = net(true), b = net(false);
    try {
      const withB = a.getWeights(), without = b.getWeights();
      assert.throws(() => a.setWeights(without), /biases b of layer 'conv2d1' missing/);
      assert.throws(() => b.setWeights(withB), /layer 'conv2d1' include biases b, but the network has none/);
      withB.dense3.b = new Float32Array(3);
      assert.throws(() => a.setWeights(withB), /b of layer 'dense3' has 3 values, expected 12/);
    } finally { a.dispose(); b.dispose(); }
  });
});

for (const backend of BACKENDS_UNDER_TEST) {
  test(`update() applies W += ΔW and b += Δb, with biases moving away from 0 (${backend})`, async () => {
    await useBackend(backend);
    const n = net(true);
    const rule = getRule('deepagrel');
    const x = images(8, 3);
    try {
      // Give the biases a first step, then compare the second step's update with the deltas.
      await trainStep(n, rule, x, new Int32Array(8).map((_, i) => i % 4), { lr: 0.5, epsilon: 0.2, beta: 1 }, new Rng(9));
      const before = await n.weights();
      const q = n.forward(x, true);
      const qv = await q.data() as Float32Array; q.dispose();
      const actions = new Int32Array(8).map((_, i) => (i * 3) % 4);
      const out = rule.signal(qv, 4, actions, new Int32Array(8).map((_, i) => i % 4));
      tf.tidy(() => n.feedback(tf.tensor2d(out.signal, [8, 4])));
      const deltas = [n.weightDeltas(0.5), n.biasDeltas(0.5)];
      const [dW, db] = await Promise.all(deltas.map(ts => Promise.all(ts.map(t => t.data() as Promise<Float32Array>))));
      tf.dispose(deltas.flat());
      n.update(0.5);
      const after = await n.weights();
      n.weightedLayers().forEach((l, i) => {
        const w0 = before[l.name], w1 = after[l.name];
        for (let j = 0; j < w0.W.length; j += 7) assert.ok(Math.abs(w1.W[j] - (w0.W[j] + dW[i][j])) < 1e-6, `${l.name} W[${j}]`);
        let moved = 0;
        for (let j = 0; j < w0.b!.length; j++) {
          assert.ok(Math.abs(w1.b![j] - (w0.b![j] + db[i][j])) < 1e-6, `${l.name} b[${j}]: ${w1.b![j]} ≠ ${w0.b![j]} + ${db[i][j]}`);
          if (w1.b![j] !== 0) moved++;
        }
        assert.ok(moved > 0, `${l.name}: biases never left 0`);
      });
    } finally { x.dispose(); n.dispose(); }
  });
}

describe('biases in runs', () => {
  before(async () => { await useBackend('cpu'); });
  const tmp = () => tempDir('deepagrel-bias-');
  const tiny = (bias?: boolean) => resolvePreset('mnist-fc-deepagrel', { layers: [{ type: 'dense', units: 16 }, { type: 'dropout', rate: 0.2 }],
    init: 0.3, lr: 0.5, epsilon: 0.2, batchSize: 16, valSize: 40, maxEpochs: 4, patience: 10, ...(bias === undefined ? {} : { bias }) });

  test('the option: false stays absent (old configs, hashes and labels unchanged), true is labelled, junk is refused', () => {
    assert.ok(!('bias' in tiny(false)) && !('bias' in tiny()));
    assert.equal(protocolLabel(resolvePreset('mnist-conv-deepagrel', { bias: false })), 'paper');
    assert.equal(protocolLabel(resolvePreset('mnist-conv-deepagrel', { bias: true })), 'bias=true');
    assert.throws(() => resolvePreset('mnist-conv-deepagrel', { bias: 'yes' as any }), (e: Error) => e instanceof ConfigError && /bias must be true or false/.test(e.message));
    assert.deepEqual(collectOverrides({ bias: 'true' }), { bias: true });
  });

  test('a run with biases checkpoints them and resumes to the same records as an uninterrupted run', async () => {
    const ds = quadrantDataset(200, 100);
    const dirA = tmp(), dirB = tmp();
    const common = (dir: string) => ({ seed: 7, dataset: ds, experiment: 'bias', resultsRoot: path.join(dir, 'results'), checkpointRoot: path.join(dir, 'ck') });
    const full = await runExperiment(tiny(true), common(dirA));
    const part = await runExperiment(tiny(true), { ...common(dirB), haltAfterEpochs: 2 });
    part.network?.dispose();
    const ck = loadCheckpoint(path.join(dirB, 'ck', 'bias', 'mnist-fc-deepagrel-s7.ckpt'));
    assert.equal(ck.weights.output.b?.length, 4, 'the output layer\'s biases are in the checkpoint');
    assert.ok(ck.weights.dense1.b!.some(v => v !== 0), 'and they have learned');
    const resumed = await runExperiment(tiny(true), common(dirB));
    const strip = (r: any) => r.epochs.map(({ wallTimeSec, samplesPerSec, ...rest }: any) => rest);
    assert.deepEqual(strip(resumed.record), strip(full.record));
    assert.equal(resumed.record!.end!.testAccuracy, full.record!.end!.testAccuracy);
    assert.equal(full.record!.header.config.bias, true);
    assert.deepEqual(resumed.network!.getWeights(), full.network!.getWeights());
    full.network?.dispose(); resumed.network?.dispose();
  });
});
