// One Table 1 setting in notebooks 02–04: presets, quick shrinkage, data availability, reading
// finished runs (or none), and training a tiny version with live curves into a temporary folder.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRESETS } from '../../src/presets.ts';
import { dataStatus, paperRows, quickOverrides, rowPresets, rowTitle, tableRow, type RowOptions } from '../../src/notebook/table-row.ts';
import { runRoots } from '../../src/notebook/params.ts';
import { end, header, tempRoot, writeRun } from '../results/fixtures.ts';
import { quadrantDataset } from '../helpers.ts';
import { useBackend } from '../engine/backends.ts';
import { recorder } from './helpers.ts';

before(async () => { await useBackend('cpu'); });

test('rowPresets: both rules of a Table 1 setting, DeepAGREL first; unknown settings are errors', () => {
  assert.deepEqual(rowPresets({ dataset: 'cifar10', arch: 'loccon', augment: true }), ['cifar10-loccon-aug-deepagrel', 'cifar10-loccon-aug-ebp']);
  assert.throws(() => rowPresets({ dataset: 'mnist', arch: 'fc', augment: true }), /Table 1 has no row mnist-fc-aug-deepagrel/);
  assert.equal(rowTitle({ dataset: 'cifar100', arch: 'conv', augment: false }), 'CIFAR100 — Conv network, no augmentation');
});

test('quickOverrides shrink data and epochs, keep the architecture and α; augmentation ×2 instead of ×10', () => {
  const fc = quickOverrides(PRESETS['mnist-fc-deepagrel']);
  assert.deepEqual(fc, { perClass: 50, maxEpochs: 3, patience: 3, valSize: 200, testLimit: 500 });
  const aug = quickOverrides(PRESETS['cifar10-conv-aug-ebp']);
  assert.equal(aug.augmentFactor, 2);
  assert.equal(aug.perClass, 30);
  for (const k of ['layers', 'lr', 'init', 'rule'] as const) assert.ok(!(k in aug));
});

test('dataStatus: MNIST ships with the package; CIFAR without a data folder or a wrong one is a note, never a throw', () => {
  const saved = process.env.DEEPAGREL_DATA;
  delete process.env.DEEPAGREL_DATA;
  try {
    assert.equal(dataStatus('mnist').available, true);
    const none = dataStatus('cifar100', undefined);
    // (a project cache with CIFAR-100 would make it available; this machine has none)
    if (!none.available) assert.match(none.note!, /^CIFAR100 is not available here: no data folder given/);
    const wrong = dataStatus('cifar10', tempRoot());
    assert.equal(wrong.available, false);
    assert.match(wrong.note!, /^CIFAR10 is not available here: .*no complete CIFAR-10 data in the data directory/);
    assert.match(dataStatus('cifar10', path.join(tempRoot(), 'missing')).note!, /data directory does not exist/);
  } finally {
    if (saved !== undefined) process.env.DEEPAGREL_DATA = saved;
  }
});

const base = (over: Partial<RowOptions>): RowOptions => ({
  quick: false, train: false, seeds: [1], resultsDir: tempRoot(), roots: runRoots(true, 'test'), log: null, ...over,
});

test('no runs yet: a note naming the sweep command, the paper\'s numbers as the table, no figure', async () => {
  const { sink, outputs } = recorder();
  const row = await tableRow({ dataset: 'cifar10', arch: 'conv', augment: false }, base({ sink }));
  assert.equal(row.runs.length, 0);
  assert.equal(row.curves, null);
  assert.equal(outputs.length, 0);
  assert.match(row.notes[0], /^No runs of cifar10-conv-deepagrel \/ cifar10-conv-ebp in .* yet: train them with `npx deepagrel sweep --presets cifar10-conv-deepagrel,cifar10-conv-ebp --seeds 1-10`/);
  assert.match(row.tableHtml, /cifar10-conv-deepagrel.*73\.54 \(1\.35\).*none yet/s);
  assert.match(row.tableMarkdown, /\|cifar10-conv-ebp\|1e-03\|83 \(21\)\|71\.25 \(1\.08\)\|none yet\|/);
});

test('finished runs in results/: curves shown, this part of Table 1 only, quickstart runs left out', async () => {
  const dir = tempRoot();
  writeRun(dir, header({ preset: 'mnist-conv-deepagrel', seed: 1 }), [0.5, 0.9, 0.95], end(3, 0.95));
  writeRun(dir, header({ preset: 'mnist-conv-ebp', seed: 1 }), [0.8, 0.97], end(2, 0.97));
  writeRun(dir, header({ preset: 'mnist-fc-ebp', seed: 1 }), [0.8], end(1, 0.8));                     // another row
  writeRun(dir, header({ preset: 'mnist-conv-ebp', seed: 2, experiment: 'quickstart' }), [0.1], end(1, 0.1));
  const { sink, figures } = recorder();
  const row = await tableRow({ dataset: 'mnist', arch: 'conv', augment: false }, base({ resultsDir: dir, sink }));
  assert.deepEqual(row.runs.map((r) => r.header.runId), ['mnist-conv-deepagrel-s1', 'mnist-conv-ebp-s1']);
  assert.equal(row.trained, false);
  assert.equal(figures().length, 1);
  assert.match(String(figures()[0].bundle['text/plain']), /"MNIST — Conv network, no augmentation: validation accuracy": 2 trace/);   // one run per preset: two mean lines, no bands
  assert.match(row.tableMarkdown, /mnist-conv-deepagrel.*95\.00.*99\.16 \(0\.16\)/);
  assert.doesNotMatch(row.tableMarkdown, /mnist-fc-ebp/);
  assert.match(row.notes[0], /^2 runs \(2 finished\) of mnist-conv-deepagrel, mnist-conv-ebp/);
});

test('QUICK + TRAIN: both rules trained tiny into the temporary folder, live figure becomes the final one', async () => {
  const roots = runRoots(true, 'row');
  const { sink, figures } = recorder();
  const row = await tableRow({ dataset: 'mnist', arch: 'fc', augment: false }, base({
    quick: true, train: true, roots, sink, dataset: quadrantDataset(400, 40),
    overrides: { layers: [{ type: 'dense', units: 8 }], valSize: 40, testLimit: 0 },
  }));
  assert.equal(row.trained, true);
  assert.deepEqual(row.runs.map((r) => [r.header.preset, r.header.experiment, r.epochs.length]), [['mnist-fc-deepagrel', 'quick', 3], ['mnist-fc-ebp', 'quick', 3]]);
  assert.ok(row.runs.every((r) => r.file.startsWith(roots.resultsRoot) && fs.existsSync(r.file)));
  assert.match(row.runs[0].header.protocol, /perClass=50/);
  const figs = figures();
  assert.ok(figs.slice(1).every((o) => o.target?.update && o.target.displayId === figs[0].target!.displayId), 'one output, updated in place');
  assert.match(String(figs.at(-1)!.bundle['text/plain']), /"QUICK mode: MNIST — Full network, no augmentation: validation accuracy"/);
  assert.match(row.notes.at(-1)!, /^QUICK mode: trained 2 tiny run\(s\)/);
  assert.match(row.tableHtml, /mnist-fc-ebp/);
});

test('QUICK + TRAIN without the data: no download, results-only with a note', async () => {
  const { sink } = recorder();
  const row = await tableRow({ dataset: 'cifar10', arch: 'conv', augment: true }, base({ quick: true, train: true, dataDir: tempRoot(), sink }));
  assert.equal(row.trained, false);
  assert.match(row.notes[0], /^CIFAR10 is not available here: .* QUICK mode does not download: showing finished runs from results\/ only\.$/);
  assert.match(row.notes[1], /^No runs of cifar10-conv-aug-deepagrel/);
});

test('paperRows: the paper\'s numbers for any presets, including the * of non-converged seeds', () => {
  const rows = paperRows(['cifar100-conv-deepagrel']).objects() as Array<Record<string, string>>;
  assert.equal(rows[0]['Paper accuracy [%]'], '34.90 (1.49)*');
  assert.equal(rows[0]['Paper epochs'], '230 (30)');
});
