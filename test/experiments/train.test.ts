// The training loop: early stopping, records, resumption equal to an uninterrupted run,
// divergence handling, memory, and presets that build the paper's networks.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EarlyStopping } from '../../src/early-stopping.ts';
import { runExperiment, protocolLabel } from '../../src/train.ts';
import { PRESETS, resolvePreset, matchPresets, type ExperimentConfig } from '../../src/presets.ts';
import { Network } from '../../src/network.ts';
import { PAPER_TABLE1, presetName } from '../../src/results/paper-table1.ts';
import { readRunFile } from '../../src/results/reader.ts';
import { loadCheckpoint, saveCheckpoint, MASK_GENERATOR } from '../../src/checkpoint.ts';
import { quadrantDataset } from '../helpers.ts';
import { useBackend } from '../engine/backends.ts';
import { tempDir } from '../tmp-dir.ts';

before(async () => { await useBackend('cpu'); });

const tmp = () => tempDir('deepagrel-train-');

test('early stopping fires exactly `patience` epochs after the last improvement', () => {
  // Best 0.7 at epoch 4, equalled (not beaten) at 6 and 8, beaten at 9; then 5 flat epochs.
  const acc = [0.5, 0.6, 0.6, 0.7, 0.65, 0.7, 0.69, 0.7, 0.71, 0.5, 0.5, 0.5, 0.5, 0.5, 0.9];
  const es = new EarlyStopping(5);
  let stoppedAt = 0;
  for (let e = 1; e <= acc.length; e++) { es.observe(e, acc[e - 1]); if (es.shouldStop(e)) { stoppedAt = e; break; } }
  assert.equal(es.bestEpoch, 9);          // 0.71; ties (0.7 again) are not improvements
  assert.equal(stoppedAt, 14);           // before the 0.9 at epoch 15 is ever seen
  const es2 = new EarlyStopping(2);
  [0.5, 0.5, 0.5].forEach((v, i) => es2.observe(i + 1, v));
  assert.equal(es2.bestEpoch, 1);
  assert.ok(es2.shouldStop(3) && !es2.shouldStop(2));
});

const tiny = (over: Partial<ExperimentConfig> = {}): ExperimentConfig => ({
  ...resolvePreset('mnist-fc-deepagrel', { layers: [{ type: 'dense', units: 16 }, { type: 'dropout', rate: 0.2 }], init: 0.3, lr: 0.5, epsilon: 0.2,
    batchSize: 16, valSize: 40, maxEpochs: 4, patience: 10, ...over }),
});
const strip = (r: any) => r.epochs.map(({ wallTimeSec, samplesPerSec, ...rest }: any) => rest);

test('a checkpoint from a version with the old dropout-mask generator resumes, and says its masks change from there', async () => {
  const ds = quadrantDataset(200, 100);
  const dir = tmp();
  const common = { seed: 7, dataset: ds, experiment: 'old-masks', resultsRoot: path.join(dir, 'results'), checkpointRoot: path.join(dir, 'ck') };
  (await runExperiment(tiny(), { ...common, haltAfterEpochs: 2 })).network?.dispose();
  const file = path.join(dir, 'ck', 'old-masks', 'mnist-fc-deepagrel-s7.ckpt');
  const ck = loadCheckpoint(file);
  assert.equal(ck.state.maskGenerator, MASK_GENERATOR, 'new checkpoints name their mask generator');
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => { warnings.push(m); };
  try {
    // A checkpoint of this version resumes without a word.
    (await runExperiment(tiny(), { ...common, experiment: 'same-masks', haltAfterEpochs: 1 })).network?.dispose();
    const again = await runExperiment(tiny(), { ...common, experiment: 'same-masks', haltAfterEpochs: 1 });
    again.network?.dispose();
    assert.equal(again.record!.epochs.length, 2, 'resumed after epoch 1');
    assert.deepEqual(warnings, []);
    delete ck.state.maskGenerator;                      // what an older version wrote
    saveCheckpoint(file, ck);
    const resumed = await runExperiment(tiny(), common);
    resumed.network?.dispose();
    assert.equal(resumed.record!.end?.epochs, 4);
  } finally { console.warn = warn; }
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /made by a version that drew dropout masks differently \(sequential sfc32\); resuming with counter-v1 masks/);
});

test('resume after a kill at epoch 2 of 4 gives the same records as an uninterrupted run', async () => {
  const ds = quadrantDataset(200, 100);
  const dirA = tmp(), dirB = tmp();
  const common = (dir: string) => ({ seed: 7, dataset: ds, experiment: 'resume', resultsRoot: path.join(dir, 'results'), checkpointRoot: path.join(dir, 'ck') });
  const full = await runExperiment(tiny(), common(dirA));
  full.network?.dispose();
  const part = await runExperiment(tiny(), { ...common(dirB), haltAfterEpochs: 2 });
  part.network?.dispose();
  assert.equal(part.record!.epochs.length, 2);
  assert.equal(part.record!.end, undefined);
  assert.ok(fs.existsSync(path.join(dirB, 'ck', 'resume', 'mnist-fc-deepagrel-s7.ckpt')));
  const resumed = await runExperiment(tiny(), common(dirB));
  resumed.network?.dispose();
  assert.deepEqual(strip(resumed.record), strip(full.record));
  assert.equal(resumed.record!.end!.testAccuracy, full.record!.end!.testAccuracy);
  assert.equal(resumed.record!.header.resumedAt?.length, 1);
  const epochSec = resumed.record!.epochs.reduce((sum, e) => sum + e.wallTimeSec, 0);
  assert.ok(resumed.record!.end!.totalTimeSec >= epochSec, `total time ${resumed.record!.end!.totalTimeSec} s counts the epochs before the resume too (${epochSec} s)`);
  assert.ok(!fs.existsSync(path.join(dirB, 'ck', 'resume', 'mnist-fc-deepagrel-s7.ckpt')), 'checkpoint removed after the run ends');
  // A finished run is skipped when asked again.
  const again = await runExperiment(tiny(), common(dirB));
  assert.equal(again.skipped, true);
  // Resuming with a changed configuration is refused with a clear message.
  const dirC = tmp();
  (await runExperiment(tiny(), { ...common(dirC), haltAfterEpochs: 1 })).network?.dispose();
  await assert.rejects(runExperiment(tiny({ epsilon: 0.1 }), common(dirC)), /different configuration or seed/);
});

test('records: header with config/seed/backend/versions, one line per epoch, end with best-val test accuracy', async () => {
  const dir = tmp();
  const res = await runExperiment(tiny({ maxEpochs: 6 }), { seed: 3, dataset: quadrantDataset(200, 100), experiment: 'rec', resultsRoot: dir, checkpointRoot: dir });
  res.network?.dispose();
  const r = readRunFile(path.join(dir, 'rec', 'mnist-fc-deepagrel-s3.jsonl'));
  assert.equal(r.header.seed, 3);
  assert.equal(r.header.config.lr, 0.5);
  assert.match(r.header.protocol, /init=0.3/);
  assert.ok(r.header.backend.name && r.header.versions.tfjs);
  assert.equal(r.epochs.length, r.end!.epochs);
  const best = Math.max(...r.epochs.map(e => e.valAccuracy));
  assert.equal(r.end!.bestValAccuracy, best);
  assert.equal(r.epochs[r.end!.bestEpoch - 1].valAccuracy, best);
  assert.ok(r.end!.testAccuracy! > 0.9, `the tiny net should learn the quadrant task, test ${r.end!.testAccuracy}`);
  for (const e of r.epochs) for (const k of ['trainRewardRate', 'trainAccuracy', 'meanDelta2', 'valAccuracy', 'wallTimeSec', 'samplesPerSec'] as const)
    assert.ok(Number.isFinite(e[k]), `${k} should be a number`);
});

test('divergence (NaN Q-values) stops the run and records it as not converged', async () => {
  const dir = tmp();
  const res = await runExperiment(tiny({ lr: 1e30, init: 1 }), { seed: 1, dataset: quadrantDataset(100, 50), experiment: 'div', resultsRoot: dir, checkpointRoot: dir });
  res.network?.dispose();
  assert.equal(res.record!.end!.status, 'diverged');
  assert.equal(res.record!.end!.testAccuracy, null);
  assert.match(res.record!.end!.message!, /diverged/);
});

test('tensor count is flat over epochs of the training loop', async () => {
  const counts: number[] = [];
  const res = await runExperiment(tiny({ maxEpochs: 4 }), { seed: 2, dataset: quadrantDataset(100, 50), record: false,
    events: { onEpoch: () => { counts.push(tf.memory().numTensors); } } });
  res.network?.dispose();
  assert.equal(counts.length, 4);
  assert.deepEqual(counts.slice(1), [counts[0], counts[0], counts[0]]);
});

/** α per Table 1 row, read off the paper's Table 1 (a second transcription, independent of src/). */
const PAPER_ALPHA: Record<string, number> = {
  'mnist-fc-deepagrel': 0.5, 'mnist-fc-ebp': 0.1, 'mnist-conv-deepagrel': 1, 'mnist-conv-ebp': 0.01,
  'mnist-loccon-deepagrel': 1, 'mnist-loccon-ebp': 0.01,
  ...Object.fromEntries(['cifar10', 'cifar100'].flatMap(d => ['conv', 'loccon', 'conv-aug', 'loccon-aug'].flatMap(a => [
    [`${d}-${a}-deepagrel`, 1], [`${d}-${a}-ebp`, 0.001]]))),
};

test('every Table 1 row is a preset, and each builds the paper\'s network (hidden units as in Table 1)', () => {
  assert.equal(Object.keys(PRESETS).length, PAPER_TABLE1.length);
  for (const row of PAPER_TABLE1) {
    const p = PRESETS[presetName(row)];
    assert.ok(p, presetName(row));
    assert.equal(p.lr, PAPER_ALPHA[presetName(row)], `${presetName(row)}: α`);
    const input = row.dataset === 'mnist' ? [28, 28, 1] : [32, 32, 3];
    const net = new Network({ inputShape: input, layers: p.layers, numClasses: row.dataset === 'cifar100' ? 100 : 10, init: p.init, seed: 1 });
    const hidden = net.weightedLayers().slice(0, -1).map(l => l.outputShape.reduce((a, b) => a * b, 1)).join('-');
    assert.equal(hidden, row.hidden, presetName(row));
    net.dispose();
  }
});

test('preset overrides are checked: unknown fields and out-of-range values name the problem', () => {
  assert.throws(() => resolvePreset('mnist-conv-deepagrel', { lr: -1 }), /lr must be a finite number > 0, got -1/);
  assert.throws(() => resolvePreset('mnist-conv-deepagrel', { epsilon: 2 }), /epsilon must be in \[0, 1\], got 2/);
  assert.throws(() => resolvePreset('mnist-conv-deepagrel', { learningRate: 1 } as any), /unknown experiment option "learningRate"/);
  assert.throws(() => resolvePreset('mnist-mlp-deepagrel'), /unknown preset "mnist-mlp-deepagrel"; available: mnist-fc-deepagrel/);
  assert.deepEqual(matchPresets('cifar10-conv-*'), ['cifar10-conv-deepagrel', 'cifar10-conv-ebp', 'cifar10-conv-aug-deepagrel', 'cifar10-conv-aug-ebp']);
  assert.throws(() => matchPresets('imagenet-*'), /no preset matches "imagenet-\*"/);
});

test('protocol label: "paper", the overridden fields, and data that is not bit-exact', () => {
  const cfg = resolvePreset('cifar10-conv-deepagrel');
  assert.equal(protocolLabel(cfg), 'paper');
  assert.equal(protocolLabel(resolvePreset('cifar10-conv-deepagrel', { maxEpochs: 20 })), 'maxEpochs=20');
  // A lossy copy of CIFAR-10 must not be averaged with runs on the official files.
  assert.equal(protocolLabel(cfg, false), 'data not bit-exact');
  assert.equal(protocolLabel(resolvePreset('cifar10-conv-deepagrel', { maxEpochs: 20 }), false), 'maxEpochs=20, data not bit-exact');
});

test('a label given with --protocol keeps the data note of a re-encoded copy (such runs never share a row with official-data runs)', async () => {
  const dir = tmp();
  const cfg = resolvePreset('mnist-fc-deepagrel', { layers: [{ type: 'dense', units: 8 }], init: 0.3, batchSize: 16, valSize: 16, maxEpochs: 1 });
  const run = async (exact: boolean, seed: number) => {
    const res = await runExperiment(cfg, { seed, dataset: { ...quadrantDataset(48, 16), exact }, experiment: 'p', resultsRoot: dir, checkpointRoot: dir, protocol: 'my label' });
    res.network?.dispose();
    return JSON.parse(fs.readFileSync(res.record!.file, 'utf8').split('\n')[0]).protocol;
  };
  assert.equal(await run(false, 1), 'my label, data not bit-exact');
  assert.equal(await run(true, 2), 'my label');
  // Asked again with the same label, the finished lossy run is that run (not "other settings").
  const again = await runExperiment(cfg, { seed: 1, dataset: { ...quadrantDataset(48, 16), exact: false }, experiment: 'p', resultsRoot: dir, checkpointRoot: dir, protocol: 'my label' });
  assert.ok(again.skipped);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a run at another α than its preset\'s, or with other feedback, is named so by default: never the paper run\'s file', async () => {
  const ds = quadrantDataset(120, 60);
  const dir = tmp();
  const names: string[] = [];
  for (const over of [{}, { lr: 0.3 }, { feedback: 'sign-symmetric' as const }, { lr: 0.3, feedback: 'direct' as const }]) {
    const res = await runExperiment(tiny({ maxEpochs: 1, ...over }), { seed: 2, dataset: ds, experiment: 'names', resultsRoot: dir, checkpointRoot: path.join(dir, 'ck') });
    res.network?.dispose();
    names.push(path.basename(res.record!.file));
  }
  assert.deepEqual(names, ['mnist-fc-deepagrel-s2.jsonl', 'mnist-fc-deepagrel-lr0.3-s2.jsonl', 'mnist-fc-deepagrel-sign-symmetric-s2.jsonl',
    'mnist-fc-deepagrel-direct-lr0.3-s2.jsonl']);
});
