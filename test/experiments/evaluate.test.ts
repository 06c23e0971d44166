// `deepagrel evaluate`: a run's weights on its own images in test mode. The validation and test
// accuracy it measures for the best-validation weights must be the record's own numbers (same
// images, same weights, same backend), or it evaluates something else than what was trained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExperiment } from '../../src/train.ts';
import { evaluateRun, renderEvaluation } from '../../src/evaluate.ts';
import { resolvePreset } from '../../src/presets.ts';
import { initBackend } from '../../src/backend.ts';
import { quadrantDataset } from '../helpers.ts';
import { tempDir } from '../tmp-dir.ts';

const bin = fileURLToPath(new URL('../../bin/deepagrel.js', import.meta.url));
// Dropout on, so the record's training accuracy (dropout on) and test mode differ in kind.
const cfg = () => resolvePreset('mnist-fc-deepagrel', { layers: [{ type: 'dense', units: 16 }, { type: 'dropout', rate: 0.5 }],
  init: 0.3, lr: 0.5, batchSize: 16, valSize: 24, maxEpochs: 4, patience: 2 });

test('evaluate reproduces the record\'s validation and test accuracy from the weights a finished run kept', async () => {
  await initBackend({ backend: 'cpu' });
  const dir = tempDir('deepagrel-eval-');
  const ds = quadrantDataset(120, 40);
  const common = { dataset: ds, experiment: 'e', resultsRoot: dir, checkpointRoot: dir };
  const res = await runExperiment(cfg(), { seed: 3, ...common, keepWeights: true });
  res.network?.dispose();
  const run = res.record!;
  assert.ok(run.end && run.end.testAccuracy !== null);
  const kept = path.join(dir, 'e', 'mnist-fc-deepagrel-s3.final.ckpt');
  assert.ok(fs.existsSync(kept), 'the finished run kept its weights');
  assert.ok(!fs.existsSync(path.join(dir, 'e', 'mnist-fc-deepagrel-s3.ckpt')), 'its resume checkpoint is gone as usual');

  const e = await evaluateRun(run.file, { checkpointRoot: dir, dataset: ds });
  assert.equal(e.checkpoint, kept);
  assert.equal(e.epoch, run.end.bestEpoch);
  const by = Object.fromEntries(e.sets.map(s => [s.set, s]));
  assert.deepEqual(e.sets.map(s => s.set), ['train', 'val', 'test']);
  assert.equal(by.train.n, run.header.datasetInfo!.nTrain);
  assert.equal(by.val.accuracy, run.end.bestValAccuracy);
  assert.equal(by.val.recorded, run.end.bestValAccuracy);
  assert.equal(by.test.accuracy, run.end.testAccuracy);
  assert.equal(by.test.recorded, run.end.testAccuracy);
  assert.equal(by.train.recorded, run.epochs[run.end.bestEpoch - 1].trainAccuracy);
  assert.match(renderEvaluation(e), /best-validation weights, from epoch \d+ \(\d+ trained, run finished\), cpu backend/);

  // The last weights are those of the last epoch: their validation accuracy is that epoch's.
  const last = await evaluateRun(run.file, { checkpointRoot: dir, dataset: ds, weights: 'last', sets: ['val'] });
  assert.equal(last.epoch, run.end.epochs);
  assert.equal(last.sets[0].accuracy, run.epochs.at(-1)!.valAccuracy);

  // Other images than the run's are refused, not evaluated.
  await assert.rejects(evaluateRun(run.file, { checkpointRoot: dir, dataset: quadrantDataset(100, 40) }), /nTrain: 96 → 76\); give the same --data-dir/);

  // A re-run of the finished run (a sweep skipping it) cleans up leftovers but keeps the weights.
  const again = await runExperiment(cfg(), { seed: 3, ...common });
  assert.ok(again.skipped);
  assert.ok(fs.existsSync(kept));
  // Started over under the same name: the kept weights belonged to the replaced record, so they go,
  // and the new (unfinished) run is evaluated from its own checkpoint.
  const over = await runExperiment(cfg(), { seed: 3, ...common, resume: false, haltAfterEpochs: 1 });
  over.network?.dispose();
  assert.ok(!fs.existsSync(kept), 'a run started over drops the weights kept for the record it replaced');
  const fresh = await evaluateRun(over.record!.file, { checkpointRoot: dir, dataset: ds, weights: 'last', sets: ['val'] });
  assert.equal(fresh.epochsTrained, 1);
  assert.equal(fresh.sets[0].accuracy, over.record!.epochs[0].valAccuracy);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('evaluate: an unfinished run from its checkpoint; a finished run without kept weights and foreign weights are refused clearly', async () => {
  await initBackend({ backend: 'cpu' });
  const dir = tempDir('deepagrel-eval-');
  const ds = quadrantDataset(120, 40);
  const common = { dataset: ds, experiment: 'e', resultsRoot: dir, checkpointRoot: dir };
  const halted = await runExperiment(cfg(), { seed: 4, ...common, haltAfterEpochs: 2 });
  halted.network?.dispose();
  const e = await evaluateRun(halted.record!.file, { checkpointRoot: dir, dataset: ds, weights: 'last' });
  assert.equal(e.finished, false);
  assert.equal(e.epoch, 2);
  assert.equal(e.sets.find(s => s.set === 'val')!.accuracy, halted.record!.epochs[1].valAccuracy);
  assert.equal(e.sets.find(s => s.set === 'test')!.recorded, null, 'no test accuracy in the record yet');

  // Started over and stopped inside its first epoch: the checkpoint there is the old start's, not this record's.
  await assert.rejects(runExperiment(cfg(), { seed: 4, ...common, resume: false, signal: AbortSignal.abort() }), /stopped in epoch 1/);
  await assert.rejects(evaluateRun(halted.record!.file, { checkpointRoot: dir, dataset: ds }), /after epoch 2, but .* has 0 epoch\(s\): a checkpoint from an earlier start/);

  const done = await runExperiment(cfg(), { seed: 5, ...common });
  done.network?.dispose();
  await assert.rejects(evaluateRun(done.record!.file, { checkpointRoot: dir, dataset: ds }),
    /mnist-fc-deepagrel-s5\.jsonl: no weights of this run under .*--keep-weights/);

  // Seed 4's checkpoint under seed 5's name: trained with another seed, so not seed 5's weights.
  fs.copyFileSync(path.join(dir, 'e', 'mnist-fc-deepagrel-s4.ckpt'), path.join(dir, 'e', 'mnist-fc-deepagrel-s5.final.ckpt'));
  await assert.rejects(evaluateRun(done.record!.file, { checkpointRoot: dir, dataset: ds }), /trained with another configuration or seed/);
  await assert.rejects(evaluateRun(path.join(dir, 'e', 'nope.jsonl'), { checkpointRoot: dir, dataset: ds }), /nope\.jsonl: no such run record/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('sweep --keep-weights, then deepagrel evaluate on real MNIST from the command line', { timeout: 180_000 }, () => {
  const dir = tempDir('deepagrel-eval-cli-');
  const common = ['--per-class', '10', '--val-size', '100', '--test-limit', '100', '--batch-size', '50', '--epochs', '1', '--experiment', 's',
    '--backend', 'cpu', '--results', path.join(dir, 'results'), '--checkpoints', path.join(dir, 'ck')];
  const sweep = spawnSync(process.execPath, [bin, 'sweep', '--presets', 'mnist-fc-ebp', '--seeds', '2', '--workers', '1', '--keep-weights', ...common], { encoding: 'utf8' });
  assert.equal(sweep.status, 0, sweep.stdout + sweep.stderr);
  assert.ok(fs.existsSync(path.join(dir, 'ck', 's', 'mnist-fc-ebp-s2.final.ckpt')));
  const runFile = path.join(dir, 'results', 's', 'mnist-fc-ebp-s2.jsonl');
  const ev = (...extra: string[]) => spawnSync(process.execPath, [bin, 'evaluate', '--run', runFile, '--checkpoints', path.join(dir, 'ck'), '--backend', 'cpu', ...extra], { encoding: 'utf8' });
  const out = ev('--json');
  assert.equal(out.status, 0, out.stdout + out.stderr);
  const e = JSON.parse(out.stdout);
  assert.deepEqual(e.sets.map((s: any) => [s.set, s.n]), [['train', 100], ['val', 100], ['test', 100]]);
  for (const s of e.sets.filter((x: any) => x.set !== 'train')) assert.equal(s.accuracy, s.recorded);
  const saved = path.join(dir, 'evaluations', 'e.json');
  const text = ev('--sets', 'test', '--out', saved);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /test\s+100\s+\d+\.\d\d\s+\d+\.\d\d/);
  // Results are data: what was evaluated, the numbers, and where they were made.
  const rec = JSON.parse(fs.readFileSync(saved, 'utf8'));
  assert.deepEqual([rec.preset, rec.seed, rec.weights, rec.sets.map((s: any) => s.set)], ['mnist-fc-ebp', 2, 'best', ['test']]);
  assert.equal(rec.sets[0].accuracy, e.sets[2].accuracy);
  assert.equal(rec.provenance.backend.name, 'cpu');
  assert.ok(rec.provenance.versions['tfjs-core'] && rec.provenance.at, JSON.stringify(rec.provenance));
  const bad = ev('--weights', 'first');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--weights must be best or last, got "first"/);
  const badSet = ev('--sets', 'train,dev');
  assert.equal(badSet.status, 2);
  assert.match(badSet.stderr, /--sets takes train, val, test .* got "dev"/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('killed right after its end line, a --keep-weights run has kept its weights (clean-up of the finished run must not lose them)', async () => {
  const dir = tempDir('deepagrel-eval-kill-');
  const child = fileURLToPath(new URL('./keep-weights-child.ts', import.meta.url));
  const out = spawnSync(process.execPath, ['--import', 'tsx', child, dir, '6'], { encoding: 'utf8', env: { ...process.env, DEEPAGREL_KILL_AT: 'record:end-written:1' } });
  assert.equal(out.signal, 'SIGKILL', out.stderr);
  const runFile = path.join(dir, 'e', 'mnist-fc-deepagrel-s6.jsonl');
  const run = (await import('../../src/results/reader.ts')).readRunFile(runFile);
  assert.ok(run.end, 'the end line was written before the kill');
  // The next sweep or train sees a finished run and cleans up its checkpoint; the kept weights stay.
  const { cleanUpFinishedRun } = await import('../../src/checkpoint.ts');
  cleanUpFinishedRun(dir, 'e', 'mnist-fc-deepagrel-s6');
  assert.ok(!fs.existsSync(path.join(dir, 'e', 'mnist-fc-deepagrel-s6.ckpt')));
  await initBackend({ backend: 'cpu' });
  const e = await evaluateRun(runFile, { checkpointRoot: dir, dataset: quadrantDataset(120, 40), sets: ['test'] });
  assert.equal(e.sets[0].accuracy, run.end!.testAccuracy);
  fs.rmSync(dir, { recursive: true, force: true });
});
