import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { readRuns } from '../../src/results/reader.ts';
import { formatAlpha, meanSd, renderTable1, table1, table1Rows } from '../../src/results/table1.ts';
import { end, header, tempRoot, writeRun } from './fixtures.ts';

const REDUCED = 'reduced: max 30 epochs, 5k train';   // the comma forces CSV quoting

/** Known numbers: epochs 50/60/70 → 60 (10); test accuracy 97/98/99 % → 98.00 (1.00). */
function fixtureRuns() {
  const root = tempRoot();
  const da = 'mnist-conv-deepagrel';
  writeRun(root, header({ preset: da, seed: 1 }), [0.5], end(50, 0.97));
  writeRun(root, header({ preset: da, seed: 2 }), [0.5], end(60, 0.98, 'max-epochs'));
  writeRun(root, header({ preset: da, seed: 3 }), [0.5], end(70, 0.99));
  writeRun(root, header({ preset: da, seed: 4 }), [0.5], end(12, null, 'diverged'));
  writeRun(root, header({ preset: da, seed: 5 }), [0.5, 0.6], null);              // still running
  writeRun(root, header({ preset: 'mnist-conv-ebp', seed: 1, config: { lr: 0.01 } }), [0.5], end(33, 0.99));
  for (const [seed, epochs, acc] of [[1, 4, 0.5], [2, 6, 0.6]]) {
    writeRun(root, header({ preset: 'cifar10-conv-aug-ebp', seed, protocol: REDUCED, config: { alpha: 1e-3 } }),
      [0.3], end(epochs, acc));
  }
  writeRun(root, header({ preset: 'cifar100-conv-deepagrel', seed: 1 }), [0.1], end(200, 0.35));
  writeRun(root, header({ preset: 'svhn-conv-ebp', seed: 1, config: {} }), [0.1], end(10, 0.9));
  writeRun(root, header({ preset: 'svhn-conv-deepagrel', seed: 1 }), [0.1], end(3, null, 'diverged'));
  return readRuns(root);
}

const runs = fixtureRuns();
const rows = table1Rows(runs);
const byPreset = (p: string) => rows.find((r) => r.preset === p)!;
const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${a} ≈ ${b}`);

test('one row per preset, in the paper order, unknown presets last', () => {
  assert.deepEqual(rows.map((r) => r.preset),
    ['mnist-conv-deepagrel', 'mnist-conv-ebp', 'cifar10-conv-aug-ebp', 'cifar100-conv-deepagrel',
      'svhn-conv-deepagrel', 'svhn-conv-ebp']);
  assert.equal(table1(runs).numRows(), 6);
});

test('mean and sample sd over converged runs; diverged → "* n/N"; unfinished not in the means', () => {
  const r = byPreset('mnist-conv-deepagrel');
  assert.equal(r.nSeeds, 4);
  assert.equal(r.nConverged, 3);
  assert.equal(r.nRunning, 1);
  close(r.epochsMean, 60);
  close(r.epochsSd, 10);
  close(r.accMean, 98);
  close(r.accSd, 1);
  assert.equal(r.note, '* 3/4');
  assert.equal(r.alpha, 1);
});

test('a single run has no sd; α falls back to config.alpha, else null', () => {
  const one = byPreset('mnist-conv-ebp');
  assert.equal(one.epochsSd, null);
  assert.equal(meanSd(one.epochsMean, one.epochsSd, 0), '33 (–)');
  assert.equal(one.note, '');
  assert.equal(byPreset('cifar10-conv-aug-ebp').alpha, 1e-3);
  assert.equal(byPreset('cifar10-conv-aug-ebp').protocol, REDUCED);
  assert.equal(byPreset('svhn-conv-ebp').alpha, null);
});

test('the paper columns come from Table 1 of the paper', () => {
  const r = byPreset('mnist-conv-deepagrel');
  assert.deepEqual([r.paperEpochsMean, r.paperEpochsSd, r.paperAccMean, r.paperAccSd, r.paperAlpha], [59, 21, 99.16, 0.16, 1]);
  assert.equal(byPreset('cifar100-conv-deepagrel').paperNote, '*');
  assert.equal(byPreset('cifar10-conv-aug-ebp').paperAccMean, 78.39);
  assert.equal(byPreset('svhn-conv-ebp').paperAccMean, null);
});

test('markdown shows formatted cells', () => {
  const md = renderTable1(runs, 'md');
  assert.ok(md.startsWith('|Preset|Dataset|Rule|'));
  for (const s of ['60 (10)', '98.00 (1.00) * 3/4', '4 + 1 running', '59 (21)', '99.16 (0.16)', '1e+00', '1e-02',
    '5.0 (1.4)', '55.00 (7.07)', '34.90 (1.49)*', '|– * 0/1|', 'Error-BP', 'CIFAR10', 'yes']) {
    assert.ok(md.includes(s), `markdown contains ${s}`);
  }
});

test('CSV has the raw numbers, quotes where needed and parses back', () => {
  const csv = renderTable1(runs, 'csv');
  assert.ok(csv.includes(`"${REDUCED}"`));
  const back = aq.fromCSV(csv).objects() as Array<Record<string, unknown>>;
  assert.equal(back.length, 6);
  const r = back.find((x) => x.preset === 'mnist-conv-deepagrel')!;
  assert.equal(r.epochsMean, 60);
  assert.equal(r.note, '* 3/4');
  assert.equal(r.paperAccMean, 99.16);
  assert.equal(back.find((x) => x.preset === 'cifar10-conv-aug-ebp')!.protocol, REDUCED);
});

test('HTML, LaTeX and JSON render', () => {
  const html = renderTable1(runs, 'html');
  assert.match(html, /^<table style="[^"]+">/);
  assert.ok(html.includes('98.00 (1.00) * 3/4') && html.includes('</table>'));

  const tex = renderTable1(runs, 'latex');
  for (const s of ['\\begin{tabular}{', '\\toprule', '\\midrule', '\\bottomrule', '$\\alpha$', 'Accuracy [\\%]',
    '33 (--)', '60 (10) & 98.00 (1.00) * 3/4']) {
    assert.ok(tex.includes(s), `latex contains ${s}`);
  }
  assert.equal(tex.match(/\\midrule/g)!.length, 1 + 3, 'header rule + one between each of the 4 datasets');

  const json = JSON.parse(renderTable1(runs, 'json'));
  assert.equal(json[0].epochsMean, 60);
  assert.equal(json[1].epochsSd, null);
});

test('formatAlpha uses the paper notation', () => {
  assert.deepEqual([0.5, 1, 1e-3, 2.5e-4].map(formatAlpha), ['5e-01', '1e+00', '1e-03', '2.5e-04']);
});

test('no runs → empty table', () => {
  assert.deepEqual(table1Rows([]), []);
  assert.ok(renderTable1([], 'md').startsWith('|Preset|'));
});

test('allRows: every row of the paper in its order, a row without runs saying why and how to run it; others after', async () => {
  const { PAPER_TABLE1, presetName } = await import('../../src/results/paper-table1.ts');
  const all = table1Rows(runs, { allRows: true });
  // The paper's 22 rows, each once (the runs' rows take their places), then the presets it does not have.
  const paperPresets = PAPER_TABLE1.map(presetName);
  assert.deepEqual(all.map(r => r.preset), [...paperPresets, 'svhn-conv-deepagrel', 'svhn-conv-ebp']);
  const notRun = all.filter(r => r.protocol.startsWith('not run'));
  assert.equal(notRun.length, PAPER_TABLE1.length - 4);   // 4 paper rows have runs in the fixture
  const c100 = all.find(r => r.preset === 'cifar100-loccon-ebp')!;
  assert.equal(c100.nSeeds, 0);
  assert.equal(c100.accMean, null);
  assert.equal(c100.paperAccMean, 32.73);
  assert.match(c100.protocol, /^not run: no CIFAR-100 copy is reachable here \(npx deepagrel sweep --presets cifar100-loccon-ebp .*--data-dir <CIFAR-100 folder>\)$/);
  assert.match(all.find(r => r.preset === 'cifar10-loccon-aug-deepagrel')!.protocol, /^not run yet: an augmented run takes ~10–13 core-hours here, resumable across sessions \(npx deepagrel sweep --presets cifar10-loccon-aug-deepagrel /);
  assert.equal(all.find(r => r.preset === 'cifar100-conv-deepagrel')!.protocol, 'paper', 'a row with runs is not "not run"');
  assert.match(renderTable1(runs, 'md', { allRows: true }), /\|cifar10-loccon-ebp\|CIFAR10\|Error-BP\|LocCon\|no\|–\|–\|–\|–\|145 \(16\)\|64\.65 \(1\.16\)\|not run yet/);
  assert.deepEqual(table1Rows(runs).map(r => r.preset), rows.map(r => r.preset), 'without allRows: only rows with runs');
});
