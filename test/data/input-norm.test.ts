// inputNorm 'per-channel': pixels standardized with the run's own training split's per-channel mean
// and standard deviation. The stats must come from the training split only, be the ones recorded,
// and be applied the same way in training, validation, test and `deepagrel evaluate`; the default
// must leave every earlier run's config (checkpoint hash, protocol label) as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { applyInput, channelStats, inputTransform } from '../../src/data/input-norm.ts';
import { ConfigError, PRESETS, resolvePreset } from '../../src/presets.ts';
import { collectOverrides } from '../../src/cli/options.ts';
import { configHash, protocolLabel, runExperiment, runSets } from '../../src/train.ts';
import { evaluateRun } from '../../src/evaluate.ts';
import { initBackend } from '../../src/backend.ts';
import { runDifferences } from '../../src/results/reader.ts';
import type { Dataset, ImageSet } from '../../src/data/types.ts';
import { quadrantDataset } from '../helpers.ts';
import { tempDir } from '../tmp-dir.ts';

const set = (pixels: number[], shape: [number, number, number]): ImageSet =>
  ({ images: Uint8Array.from(pixels), labels: new Uint8Array(pixels.length / (shape[0] * shape[1] * shape[2])), n: pixels.length / (shape[0] * shape[1] * shape[2]), shape });

test('channelStats: mean and population sd of each channel of NHWC pixels in [0, 1]; a flat channel is refused', () => {
  // Two 1x2 images, 3 channels: channel 0 = 0, 255, 0, 255; channel 1 = 51, 51, 102, 51; channel 2 = 255, 0, 0, 0.
  const s = channelStats(set([0, 51, 255, 255, 51, 0, 0, 102, 0, 255, 51, 0], [1, 2, 3]));
  const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-12, `${a} vs ${b}`));
  close(s.mean, [0.5, 0.25, 0.25]);
  close(s.std, [0.5, Math.sqrt(0.0075), Math.sqrt(0.1875)]);   // E[x²] − mean²: (3·0.04 + 0.16)/4 − 0.0625; 1/4 − 0.0625
  assert.throws(() => channelStats(set([7, 1, 7, 2], [1, 1, 2])), /cannot standardize channel 0: every training pixel has the same value/);
});

test('applyInput: (x − mean) / sd per channel, then × inputScale; the identity returns x itself', () => {
  const x = tf.tensor4d([0, 0.5, 1, 1, 0.25, 0], [2, 1, 1, 3]);
  const t = { scale: 2, stats: { mean: [0.5, 0.25, 0.5], std: [0.5, 0.25, 0.25] } };
  const y = applyInput(x, t);
  assert.deepEqual([...y.dataSync()].map(v => Math.round(v * 1e6) / 1e6), [-2, 2, 4, 2, 0, -4]);
  assert.equal(applyInput(x, { scale: 1 }), x);
  assert.deepEqual([...applyInput(x, { scale: 3 }).dataSync()].map(v => Math.round(v * 1e6) / 1e6), [0, 1.5, 3, 3, 0.75, 0]);
  assert.equal(inputTransform({ inputScale: 1 }, set([1, 2], [1, 1, 1])).stats, undefined);
});

test('inputNorm: none is the presets\' config itself (same checkpoint hash, label "paper"); per-channel is a labelled difference; bad values are refused', () => {
  const base = PRESETS['cifar10-conv-deepagrel'];
  const none = resolvePreset('cifar10-conv-deepagrel', collectOverrides({ 'input-norm': 'none' }));
  assert.ok(!('inputNorm' in none), 'an explicit none stays absent');
  assert.equal(configHash(none, 1), configHash(base, 1));
  assert.equal(protocolLabel(none), 'paper');
  const std = resolvePreset('cifar10-conv-deepagrel', collectOverrides({ 'input-norm': 'per-channel' }));
  assert.equal(std.inputNorm, 'per-channel');
  assert.notEqual(configHash(std, 1), configHash(base, 1));
  assert.equal(protocolLabel(std, false), 'inputNorm=per-channel, data not bit-exact');
  assert.throws(() => resolvePreset('cifar10-conv-deepagrel', { inputNorm: 'zscore' as never }),
    (e: Error) => e instanceof ConfigError && /inputNorm must be one of none, per-channel, got "zscore"/.test(e.message));
});

/** The quadrant task in 3 channels that differ in mean and spread (so per-channel stats matter). */
function colourQuadrants(nTrain: number, nTest: number): Dataset {
  const ds = quadrantDataset(nTrain, nTest);
  const colour = (s: ImageSet): ImageSet => {
    const out = new Uint8Array(s.images.length * 3);
    s.images.forEach((v, i) => { out[3 * i] = v; out[3 * i + 1] = 100 + (v >> 2); out[3 * i + 2] = 255 - (v >> 1); });
    return { ...s, images: out, shape: [s.shape[0], s.shape[1], 3] };
  };
  return { ...ds, train: colour(ds.train), test: colour(ds.test) };
}

test('a run with inputNorm per-channel records its training split\'s stats; evaluate standardizes the same way; it is no stand-in for an unstandardized run', async () => {
  await initBackend({ backend: 'cpu' });
  const dir = tempDir('deepagrel-inputnorm-');
  try {
    const ds = colourQuadrants(120, 40);
    const cfg = (inputNorm?: string) => resolvePreset('mnist-fc-deepagrel', {
      layers: [{ type: 'dense', units: 16 }], init: 0.05, lr: 0.1, batchSize: 16, valSize: 24, maxEpochs: 3, patience: 2,
      ...collectOverrides(inputNorm ? { 'input-norm': inputNorm } : {}) });
    const common = { dataset: ds, experiment: 'e', resultsRoot: dir, checkpointRoot: dir, keepWeights: true };
    const res = await runExperiment(cfg('per-channel'), { seed: 2, ...common });
    res.network?.dispose();
    const run = res.record!;
    assert.notEqual(run.end?.status, 'diverged', run.end?.message);
    const { train } = runSets(cfg('per-channel'), ds, 2);
    assert.deepEqual(run.header.inputStats, channelStats(train), 'the stats of the training split (not of all training images)');
    assert.notDeepEqual(channelStats(ds.train), channelStats(train));
    assert.match(run.header.protocol, /, inputNorm=per-channel$/);

    const e = await evaluateRun(run.file, { checkpointRoot: dir, dataset: ds, sets: ['val', 'test'] });
    assert.equal(e.sets[0].accuracy, run.end!.bestValAccuracy);
    assert.equal(e.sets[1].accuracy, run.end!.testAccuracy);

    // Asked for without standardization, the finished standardized run is another setting.
    assert.deepEqual(runDifferences(run.header, { ...cfg() }), ['inputNorm: "per-channel" → undefined']);
    await assert.rejects(runExperiment(cfg(), { seed: 2, ...common }), /a finished run made with other settings \(stored → asked for: inputNorm: "per-channel" → undefined\)/);
    // ... and the other way round: an unstandardized record is no stand-in for a standardized run.
    const plain = await runExperiment(cfg(), { seed: 2, ...common, experiment: 'plain' });
    plain.network?.dispose();
    assert.equal(plain.record!.header.inputStats, undefined);
    // Same seed, same first weights and batches: training itself saw other inputs (not only validation).
    assert.notEqual(plain.record!.epochs[0].meanDelta2, run.epochs[0].meanDelta2);
    assert.notEqual(plain.record!.epochs[0].trainAccuracy, run.epochs[0].trainAccuracy);
    assert.deepEqual(runDifferences(plain.record!.header, { ...cfg('per-channel') }), ['inputNorm: undefined → "per-channel"']);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
