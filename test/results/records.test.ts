import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configDifferences, experimentMatches, NOT_TABLE1, readRunFile, readRuns, runDifferences, runStatus, withDataNote } from '../../src/results/reader.ts';
import { RunWriter, runFilePath } from '../../src/results/writer.ts';
import { resolvePreset } from '../../src/presets.ts';
import { end, epoch, header, tempRoot, writeRun } from './fixtures.ts';

const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

test('a run file is results/<experiment>/<runId>.jsonl: header, epochs, end', () => {
  const root = tempRoot();
  const h = header({ preset: 'mnist-conv-deepagrel', seed: 3 });
  const file = writeRun(root, h, [0.2, 0.4], end(2, 0.9));
  assert.equal(file, path.join(root, 'table1', 'mnist-conv-deepagrel-s3.jsonl'));
  assert.equal(file, runFilePath(h, root));
  assert.deepEqual(lines(file).map((l) => l.type), ['header', 'epoch', 'epoch', 'end']);
  const [run] = readRuns(root);
  assert.deepEqual(run.header, h);
  assert.deepEqual(run.epochs.map((e) => e.trainRewardRate), [0.2, 0.4]);
  assert.equal(run.end?.testAccuracy, 0.9);
  assert.equal(run.file, file);
});

test('runStatus: missing, unfinished, finished', () => {
  const root = tempRoot();
  const h = header({ preset: 'mnist-fc-ebp', seed: 1 });
  const file = runFilePath(h, root);
  assert.equal(runStatus(file), 'missing');
  const w = RunWriter.create(h, { root });
  w.appendEpoch(epoch(1));
  assert.equal(runStatus(file), 'unfinished');
  w.end(end(1, 0.5));
  assert.equal(runStatus(file), 'finished');
});

test('the writer refuses out-of-order epochs, lines after the end, and replacing a file', () => {
  const root = tempRoot();
  const h = header({ preset: 'mnist-fc-ebp', seed: 1 });
  const w = RunWriter.create(h, { root });
  assert.throws(() => w.appendEpoch(epoch(2)), /expected 1/);
  w.appendEpoch(epoch(1));
  w.end(end(1, 0.5));
  assert.throws(() => w.appendEpoch(epoch(2)), /has ended/);
  assert.throws(() => RunWriter.create(h, { root }), /already exists/);
  RunWriter.create(h, { root, overwrite: true });
  assert.equal(readRunFile(w.file).epochs.length, 0);
});

test('resume keeps exactly the epochs up to the checkpoint, and the file re-reads', () => {
  const root = tempRoot();
  const h = header({ preset: 'cifar10-conv-deepagrel', seed: 2 });
  const file = writeRun(root, h, [0.1, 0.2, 0.3, 0.4, 0.5], null);

  const resumedOn = { ...h.backend, name: 'native', threads: 1 };
  const w = RunWriter.resume({ ...h, startedAt: '2024-03-01T00:00:00.000Z', backend: resumedOn, git: { commit: 'abc123', dirty: false } }, 3, { root });
  assert.equal(w.epochsWritten, 3);
  let run = readRunFile(file);
  assert.deepEqual(run.epochs.map((e) => e.epoch), [1, 2, 3]);
  assert.deepEqual(run.epochs.map((e) => e.trainRewardRate), [0.1, 0.2, 0.3]);
  assert.equal(run.header.startedAt, h.startedAt, 'the original start time is kept');
  assert.equal(run.header.resumedAt?.length, 1);
  assert.deepEqual(run.header.backend, h.backend, 'the start\'s backend is kept');
  assert.deepEqual(run.header.resumes?.map(r => [r.at, r.afterEpoch, r.backend, r.git?.commit]), [[run.header.resumedAt![0], 3, resumedOn, 'abc123']],
    'when (after which epoch) and on what the resume ran is recorded');
  assert.deepEqual(fs.readdirSync(path.dirname(file)), [path.basename(file)], 'no temp file left behind');

  w.appendEpoch(epoch(4, 0.45));
  w.end(end(4, 0.6));
  run = readRunFile(file);
  assert.deepEqual(run.epochs.map((e) => e.trainRewardRate), [0.1, 0.2, 0.3, 0.45]);
  assert.equal(run.end?.status, 'converged');
});

test('resume from epoch 0 keeps only the header; open() creates or resumes', () => {
  const root = tempRoot();
  const h = header({ preset: 'mnist-fc-deepagrel', seed: 7 });
  const first = RunWriter.open(h, { root });
  first.appendEpoch(epoch(1));
  first.appendEpoch(epoch(2));
  const again = RunWriter.open(h, { root, checkpointEpoch: 0 });
  assert.equal(again.epochsWritten, 0);
  assert.equal(readRunFile(again.file).epochs.length, 0);
});

test('a trailing partial line is tolerated on read and dropped on resume', () => {
  const root = tempRoot();
  const h = header({ preset: 'mnist-conv-ebp', seed: 1 });
  const file = writeRun(root, h, [0.1, 0.2, 0.3], null);
  fs.appendFileSync(file, '{"type":"epoch","epoch":4,"trainRew');   // killed mid-write

  assert.equal(readRunFile(file).epochs.length, 3);
  assert.equal(runStatus(file), 'unfinished');
  RunWriter.resume(h, 3, { root });
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.endsWith('}\n'));
  assert.equal(text.split('\n').length, 5, 'header + 3 epochs + final empty string');
  assert.equal(readRunFile(file).epochs.length, 3);
});

test('resume refuses a different run, naming the file and the field', () => {
  const root = tempRoot();
  const h = header({ preset: 'cifar100-conv-deepagrel', seed: 4 });
  const file = writeRun(root, h, [0.1], null);
  const lrChanged = { ...h, config: { ...h.config, lr: 0.5 } };
  assert.throws(() => RunWriter.resume(lrChanged, 1, { root }),
    (e: Error) => e.message.includes(file) && /field config\.lr differs \(file: 1, this run: 0\.5\)/.test(e.message));
  assert.throws(() => RunWriter.resume({ ...h, protocol: 'reduced: max 30 epochs' }, 1, { root }), /field protocol differs/);
  const extraKey = { ...h, config: { ...h.config, dropout: 0.8 } };
  assert.throws(() => RunWriter.resume(extraKey, 1, { root }), /config\.dropout differs \(file: \(missing\), this run: 0\.8\)/);
  // Another machine or library version is the same run.
  RunWriter.resume({ ...h, backend: { name: 'wasm', threads: 8 }, versions: { tfjs: '4.22.0' } }, 1, { root });
});

test('resume refuses a finished run and a checkpoint beyond the file', () => {
  const root = tempRoot();
  const h = header({ preset: 'mnist-fc-ebp', seed: 1 });
  writeRun(root, h, [0.1, 0.2], null);
  assert.throws(() => RunWriter.resume(h, 3, { root }), /epoch 3: the file has epochs 1\.\.2/);
  RunWriter.resume(h, 2, { root }).end(end(2, 0.9));
  assert.throws(() => RunWriter.resume(h, 2, { root }), /already ended \(converged\)/);
});

test('bad lines are errors naming the file and line', () => {
  const root = tempRoot();
  const file = writeRun(root, header({ preset: 'mnist-fc-ebp', seed: 1 }), [0.1, 0.2], null);
  const good = fs.readFileSync(file, 'utf8').split('\n');

  fs.writeFileSync(file, [good[0], good[1], '{not json', good[2], ''].join('\n'));
  assert.throws(() => readRunFile(file), (e: Error) => e.message === `${file}:3: invalid JSON`);

  fs.writeFileSync(file, [good[0], '{"type":"epock","epoch":1}', ''].join('\n'));
  assert.throws(() => readRuns(root), (e: Error) => e.message.startsWith(`${file}:2: unknown line type "epock"`));

  fs.writeFileSync(file, [good[0], good[2], ''].join('\n'));
  assert.throws(() => runStatus(file), /:2: epoch 2 where epoch 1 was expected/);
});

test('readRuns reads *.jsonl recursively from several dirs, in path order', () => {
  const root = tempRoot();
  writeRun(path.join(root, 'a'), header({ preset: 'mnist-fc-ebp', seed: 2 }), [0.1], end(1, 0.5));
  writeRun(path.join(root, 'a'), header({ preset: 'mnist-fc-ebp', seed: 1 }), [0.1], end(1, 0.5));
  writeRun(path.join(root, 'b', 'deeper'), header({ preset: 'mnist-fc-deepagrel', seed: 1, experiment: 'x' }), [], null);
  fs.writeFileSync(path.join(root, 'a', 'notes.txt'), 'not a run');
  const runs = readRuns([path.join(root, 'a'), path.join(root, 'b')]);
  assert.deepEqual(runs.map((r) => r.header.runId), ['mnist-fc-ebp-s1', 'mnist-fc-ebp-s2', 'mnist-fc-deepagrel-s1']);
  assert.equal(readRuns(root).length, 3);
  assert.throws(() => readRuns(path.join(root, 'nope')), /does not exist/);
});

test('configDifferences: every stored field that differs; a field a record predates counts at its default', () => {
  const d = { inputScale: 1 };
  assert.deepEqual(configDifferences({ lr: 0.5, maxEpochs: 10, layers: [{ units: 3 }] }, { lr: 0.3, maxEpochs: 10, layers: [{ units: 3 }], inputScale: 1 }, d),
    ['lr: 0.5 → 0.3']);
  // An old record without inputScale ran at scale 1: it is no stand-in for a run at 255.
  assert.deepEqual(configDifferences({ lr: 0.5 }, { lr: 0.5, inputScale: 255 }, d), ['inputScale: 1 → 255']);
  assert.deepEqual(configDifferences({ layers: [{ units: 3 }], perClass: 1000 }, { layers: [{ units: 4 }], inputScale: 1 }, d),
    ['layers: [{"units":3}] → [{"units":4}]', 'perClass: 1000 → undefined']);
  // By default, the presets' defaults: a current full config compares equal to itself.
  const cfg = { ...resolvePreset('mnist-fc-deepagrel', {}) } as Record<string, unknown>;
  assert.deepEqual(configDifferences(cfg, cfg), []);
  const { inputScale: _, ...old } = cfg;
  assert.deepEqual(configDifferences(old, cfg), []);
  assert.deepEqual(configDifferences(old, { ...cfg, inputScale: 255 }), ['inputScale: 1 → 255']);
});

test('experimentMatches: names and prefixes; every lr-study-<name> is left out of Table 1', () => {
  assert.ok(experimentMatches('lr-study', NOT_TABLE1));
  assert.ok(experimentMatches('input-norm-screen', NOT_TABLE1), 'a 6-epoch screen is no Table 1 row');
  assert.ok(experimentMatches('jpeg-effect-lossy', NOT_TABLE1) && experimentMatches('jpeg-effect-exact', NOT_TABLE1), 'the 4,000-image JPEG pairs are no Table 1 rows');
  assert.ok(experimentMatches('lr-study-cifar10-full', NOT_TABLE1));
  assert.ok(!experimentMatches('lr-studies', NOT_TABLE1));
  assert.ok(!experimentMatches('protocol', NOT_TABLE1));
  assert.ok(!experimentMatches('quickstart-2', ['quickstart']));
});

test('a run on a re-encoded copy always carries the data note in its protocol, also under a label given with --protocol', () => {
  const root = tempRoot();
  const info = (exact: boolean) => ({ source: exact ? 'official' : 'cifar-10-jpeg75', exact, nTrain: 10, nVal: 1, nTest: 5 });
  const lossy = writeRun(root, header({ preset: 'cifar10-conv-ebp', seed: 1, protocol: 'EBP α tuned (α=0.1, pick), maxEpochs=300', datasetInfo: info(false) }), [0.2], end(1, 0.3));
  const exact = writeRun(root, header({ preset: 'cifar10-conv-ebp', seed: 2, protocol: 'EBP α tuned (α=0.1, pick), maxEpochs=300', datasetInfo: info(true) }), [0.2], end(1, 0.3));
  const noted = writeRun(root, header({ preset: 'cifar10-conv-ebp', seed: 3, protocol: 'maxEpochs=300, data not bit-exact', datasetInfo: info(false) }), [0.2], end(1, 0.3));
  assert.equal(readRunFile(lossy).header.protocol, 'EBP α tuned (α=0.1, pick), maxEpochs=300, data not bit-exact');
  assert.equal(readRunFile(exact).header.protocol, 'EBP α tuned (α=0.1, pick), maxEpochs=300');
  assert.equal(readRunFile(noted).header.protocol, 'maxEpochs=300, data not bit-exact');
  // The note is training's, not the user's: the same --protocol asks for the same run.
  const h = readRunFile(lossy).header;
  const protocolDiff = (asked: string) => runDifferences(h, h.config, asked).filter((d) => d.startsWith('protocol:'));
  assert.deepEqual(protocolDiff('EBP α tuned (α=0.1, pick), maxEpochs=300'), []);
  assert.deepEqual(protocolDiff('EBP α tuned (α=0.3, pick), maxEpochs=300'),
    ['protocol: "EBP α tuned (α=0.1, pick), maxEpochs=300, data not bit-exact" → "EBP α tuned (α=0.3, pick), maxEpochs=300"']);
  assert.equal(withDataNote('x', true), 'x');
  assert.equal(withDataNote('x', false), 'x, data not bit-exact');
});
