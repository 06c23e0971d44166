// Notebook 05's choice of runs for Figure 3: the paper's setting when present, else the closest one,
// never two protocols at once, and always something figure3() accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseFigure3 } from '../../src/notebook/figure3-choice.ts';
import { figure3 } from '../../src/results/figure3.ts';
import { readRuns } from '../../src/results/reader.ts';
import type { RunHeader } from '../../src/results/schema.ts';
import { end, header, tempRoot, writeRun } from '../results/fixtures.ts';

function runs(specs: Array<Partial<RunHeader> & { preset: string; seed: number; running?: boolean }>) {
  const root = tempRoot();
  for (const { running, ...h } of specs) writeRun(root, header(h), [0.3, 0.5, 0.6], running ? null : end(3, 0.6));
  return readRuns(root);
}

test('no runs: nothing to choose', () => {
  assert.equal(chooseFigure3([]), null);
});

test('the paper\'s setting wins: CIFAR10 + CIFAR100 conv, no augmentation, full protocol; no notes', () => {
  const all = runs([
    { preset: 'cifar10-conv-deepagrel', seed: 1 }, { preset: 'cifar10-conv-ebp', seed: 1 },
    { preset: 'cifar100-conv-deepagrel', seed: 1 }, { preset: 'cifar100-conv-ebp', seed: 1 },
    { preset: 'mnist-conv-deepagrel', seed: 1 }, { preset: 'mnist-conv-ebp', seed: 1 },          // conv, but not in the figure
    { preset: 'cifar10-conv-aug-ebp', seed: 1 },
    { preset: 'cifar10-conv-deepagrel', seed: 2, protocol: 'maxEpochs=30' },
  ]);
  const c = chooseFigure3(all)!;
  assert.equal(c.paperLike, true);
  assert.deepEqual(c.options, { arch: 'conv', augment: false, protocol: 'paper', datasets: ['cifar10', 'cifar100'] });
  assert.equal(c.runs.length, 4);
  assert.equal(c.notes.length, 2);
  assert.equal(c.notes[0], 'Not drawn (the paper\'s figure has CIFAR only): MNIST runs of the same setting.');
  assert.match(c.notes[1], /^Other settings in the results \(not drawn\): /);
  assert.match(c.notes[1], /CIFAR10 conv aug "paper" \(1 run\)/);
  assert.match(c.notes[1], /CIFAR10 conv "maxEpochs=30" \(1 run\)/);
  const fig = figure3(c.runs, c.options);
  assert.equal(fig.layout.xaxis2 !== undefined, true);
});

test('CIFAR10 only: one panel, with a note', () => {
  const c = chooseFigure3(runs([{ preset: 'cifar10-conv-deepagrel', seed: 1 }, { preset: 'cifar10-conv-ebp', seed: 1 }]))!;
  assert.deepEqual(c.options.datasets, ['cifar10']);
  assert.deepEqual(c.notes, ['No CIFAR100 conv runs in the results: only the CIFAR10 panel.']);
});

test('no CIFAR: falls back to what is there (MNIST FC of the reference sweep), reduced protocol, running runs — all said', () => {
  const all = runs([
    { preset: 'mnist-fc-deepagrel', seed: 1, protocol: 'maxEpochs=30', running: true },
    { preset: 'mnist-fc-ebp', seed: 1, protocol: 'maxEpochs=30' },
  ]);
  const c = chooseFigure3(all)!;
  assert.equal(c.paperLike, false);
  assert.deepEqual(c.options, { arch: 'fc', augment: false, protocol: 'maxEpochs=30', datasets: ['mnist'] });
  assert.match(c.notes[0], /^No CIFAR conv runs without augmentation in the results .*: showing MNIST, Full network, no augmentation instead\.$/);
  assert.ok(c.notes.includes('Protocol "maxEpochs=30" (reduced), not the paper\'s full protocol.'));
  assert.ok(c.notes.includes('1 of these runs is still running: its curve ends at the last finished epoch.'));
  assert.doesNotThrow(() => figure3(c.runs, c.options));
});

test('fallback prefers the full protocol, then both rules, then conv over fc', () => {
  const c = chooseFigure3(runs([
    { preset: 'mnist-fc-deepagrel', seed: 1, protocol: 'perClass=10' }, { preset: 'mnist-fc-ebp', seed: 1, protocol: 'perClass=10' },
    { preset: 'mnist-loccon-deepagrel', seed: 1 },                                   // full protocol, one rule
    { preset: 'mnist-conv-deepagrel', seed: 1 }, { preset: 'mnist-conv-ebp', seed: 1 },
  ]))!;
  assert.deepEqual([c.options.arch, c.options.protocol], ['conv', 'paper']);
  const one = chooseFigure3(runs([{ preset: 'mnist-fc-ebp', seed: 1 }]))!;
  assert.ok(one.notes.includes('Only EBP runs for this setting so far: one curve per panel.'));
});

test('between two reduced CIFAR protocols, the one trained on more images is drawn', () => {
  const info = (nTrain: number) => ({ datasetInfo: { source: 'x', exact: nTrain < 10000, nTrain, nVal: 1000, nTest: 1000 } });
  const all = runs([
    // Read first (results/exact-subset/ sorts before results/lossy/), so order alone would pick it.
    { preset: 'cifar10-conv-deepagrel', seed: 1, protocol: 'exact 5k subset', experiment: 'exact-subset', ...info(3000) },
    { preset: 'cifar10-conv-ebp', seed: 1, protocol: 'exact 5k subset', experiment: 'exact-subset', ...info(3000) },
    { preset: 'cifar10-conv-deepagrel', seed: 1, protocol: 'lossy copy', experiment: 'lossy', ...info(45000) },
    { preset: 'cifar10-conv-ebp', seed: 1, protocol: 'lossy copy', experiment: 'lossy', ...info(45000) },
  ]);
  const c = chooseFigure3(all)!;
  assert.equal(c.options.protocol, 'lossy copy, data not bit-exact');
  assert.equal(c.runs.length, 2);
  assert.match(c.notes.at(-1)!, /Other settings in the results \(not drawn\): CIFAR10 conv "exact 5k subset" \(2 runs\)/);
});
