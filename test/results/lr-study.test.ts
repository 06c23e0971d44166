// The learning-rate study (issue 15): the grid sweep's jobs and run names, the study's numbers and
// pick from hand-made records, its figures, and the whole path as a user runs it (sweep --lr a,b
// on a tiny budget, then `deepagrel lr-study`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sweepJobs, jobRunId } from '../../src/cli/sweep.ts';
import { parseLrGrid } from '../../src/cli/options.ts';
import { readRuns, readRunFile } from '../../src/results/reader.ts';
import { lrStudy, lrStudyMarkdown, lrSummaryFigure, lrCurvesFigure } from '../../src/results/lr-study.ts';
import { checkGrid } from '../../src/notebook/lr-grid.ts';
import { end, header, tempRoot, writeRun } from './fixtures.ts';

const bin = fileURLToPath(new URL('../../bin/deepagrel.js', import.meta.url));

test('sweep --lr a,b,c: one job per preset × α × seed, named <preset>-lr<α>-s<seed> (α in shortest form), seeds innermost', () => {
  const jobs = sweepJobs('mnist-conv-ebp', '1-2', undefined, parseLrGrid('0.003, 0.010,1e-1'));
  assert.deepEqual(jobs.map(jobRunId), ['mnist-conv-ebp-lr0.003-s1', 'mnist-conv-ebp-lr0.003-s2', 'mnist-conv-ebp-lr0.01-s1',
    'mnist-conv-ebp-lr0.01-s2', 'mnist-conv-ebp-lr0.1-s1', 'mnist-conv-ebp-lr0.1-s2']);
  assert.deepEqual(sweepJobs('mnist-conv-ebp', '1').map(jobRunId), ['mnist-conv-ebp-s1'], 'no --lr: the old names');
  // One α: named by it only where it is not the preset's own (a paper-α run keeps the paper's name).
  assert.deepEqual(sweepJobs('mnist-conv-*', '1', undefined, parseLrGrid('0.01')).map(jobRunId), ['mnist-conv-deepagrel-lr0.01-s1', 'mnist-conv-ebp-s1']);
  assert.throws(() => parseLrGrid('0.1,,0.3'), /--lr expects a number or a list/);
  assert.throws(() => parseLrGrid('0.1,0.10'), /lists a value twice/);
  assert.throws(() => parseLrGrid('0.1,0'), /must be > 0, got 0/);
  assert.throws(() => parseLrGrid('0.1,fast'), /--lr expects a number, got "fast"/);
  const dry = spawnSync(process.execPath, [bin, 'sweep', '--presets', 'mnist-fc-ebp', '--lr', '0.1,0.3', '--dry-run'], { encoding: 'utf8' });
  assert.match(dry.stdout, /^2 job\(s\) into results\/lr-study:/, 'a grid goes to results/lr-study/ by default');
  const one = spawnSync(process.execPath, [bin, 'sweep', '--presets', 'mnist-fc-ebp', '--lr', '0.3', '--dry-run'], { encoding: 'utf8' });
  assert.match(one.stdout, /^1 job\(s\) into results\/table1:\nmnist-fc-ebp α=0\.3 seed 1 → mnist-fc-ebp-lr0\.3-s1/);
});

// Hand-made study: EBP conv at three α, three seeds; α = 0.1 best on validation (not on test),
// α = 0.3 has a diverged seed, the paper's α = 0.01 sits at chance.
const root = tempRoot();
const budget = 'maxEpochs=10, perClass=1000';
const cases: [number, number, number | null, 'converged' | 'max-epochs' | 'diverged'][][] = [
  [[0.01, 1, 0.10, 'max-epochs'], [0.01, 2, 0.12, 'max-epochs'], [0.01, 3, 0.11, 'max-epochs']],
  [[0.1, 1, 0.95, 'max-epochs'], [0.1, 2, 0.97, 'max-epochs'], [0.1, 3, 0.96, 'max-epochs']],
  [[0.3, 1, 0.98, 'max-epochs'], [0.3, 2, null, 'diverged'], [0.3, 3, 0.99, 'max-epochs']],
];
for (const [lr, seed, val, status] of cases.flat()) {
  const e = end(10, val === null ? null : 0.5 + (0.3 - lr), status);   // test accuracy falls with α: the pick must not use it
  e.bestValAccuracy = val ?? 0;
  writeRun(root, header({ preset: 'mnist-conv-ebp', seed, runId: `mnist-conv-ebp-lr${lr}-s${seed}`, config: { lr, maxEpochs: 10 },
    protocol: `lr=${lr}, ${budget}` }), [0.1, val ?? NaN], e);
}
writeRun(root, header({ preset: 'mnist-fc-ebp', seed: 1 }), [0.5], end(1, 0.5));   // one α only: not a study

test('lrStudy: per α the mean and sd of the best validation accuracy; the pick is by validation, never a diverged α', () => {
  const study = lrStudy(readRuns(root));
  assert.deepEqual(study.cells.map(c => [c.preset, c.lr, c.budget]), [0.01, 0.1, 0.3].map(lr => ['mnist-conv-ebp', lr, budget]));
  const a = study.cells[1];
  assert.ok(Math.abs(a.valMean! - 0.96) < 1e-9 && Math.abs(a.valSd! - 0.01) < 1e-9, `${a.valMean} ${a.valSd}`);
  assert.deepEqual(a.seeds, [1, 2, 3]);
  assert.equal(study.cells[2].diverged, 1);
  assert.deepEqual(study.cells[2].status, ['finished', 'diverged', 'finished']);
  assert.equal(study.cells[2].valMean, 0.985, 'the diverged seed is left out of the mean');
  assert.equal(study.picks.length, 1);
  assert.equal(study.picks[0].lr, 0.1);
  assert.equal(study.picks[0].paperLr, 0.01);
  const md = lrStudyMarkdown(study);
  assert.match(md, /\|mnist-conv-ebp\|maxEpochs=10, perClass=1000\|0\.01 \(paper\)\|0\.01\|3\|11\.00 \(1\.00\)\|/);
  assert.match(md, /\|0\.3\|0\.01\|3\|98\.50 \(0\.71\)\|.*\|1\/3\|/);
  assert.match(md, /\*\*mnist-conv-ebp\*\* \(maxEpochs=10, perClass=1000\): α = 0\.1 \(paper: 0\.01\); highest mean validation accuracy \(96\.00 over 3 seeds\)/);
});

test('lrStudy: no pick while a seed is unfinished', () => {
  const r2 = tempRoot();
  for (const lr of [0.01, 0.1]) writeRun(r2, header({ preset: 'mnist-conv-ebp', seed: 1, runId: `x-lr${lr}-s1`, config: { lr }, protocol: `lr=${lr}` }),
    [0.2, 0.3], lr === 0.1 ? null : end(2, 0.3));
  const study = lrStudy(readRuns(r2));
  assert.equal(study.cells[1].unfinished, 1);
  assert.equal(study.cells[1].valMean, 0.3, 'an unfinished run counts with its best epoch so far');
  assert.equal(study.picks[0].lr, undefined);
  assert.match(study.picks[0].reason, /1 of 2 α still have unfinished/);
});

test('figures: accuracy vs α on a log axis with every seed and the paper α ringed; curves per α per preset', () => {
  const runs = readRuns(root);
  const fig = lrSummaryFigure(lrStudy(runs)) as { data: any[]; layout: any };
  assert.equal(fig.layout.xaxis.type, 'log');
  const mean = fig.data.find(t => t.name === 'mnist-conv-ebp');
  assert.deepEqual(mean.x, [0.01, 0.1, 0.3]);
  const seeds = fig.data.find(t => t.name === 'mnist-conv-ebp: seeds');
  assert.equal(seeds.x.length, 9);
  assert.deepEqual(seeds.marker.symbol.filter((s: string) => s === 'x').length, 1, 'the diverged seed is a cross');
  const ring = fig.data.find(t => t.name === 'paper α');
  assert.deepEqual(ring.x, [0.01]);
  const curves = lrCurvesFigure(runs) as { data: any[]; layout: any };
  assert.deepEqual(curves.data.map(t => t.name), ['α = 0.01', 'α = 0.1', 'α = 0.3']);
  assert.equal(curves.data[0].line.width > curves.data[1].line.width, true, "the paper's α is drawn thicker");
  assert.throws(() => lrSummaryFigure(lrStudy(runs), { presets: ['mnist-fc-ebp'] }), /no preset with runs at two or more α/);
});

test('as a user runs it: sweep --lr 0.05,0.5 on a tiny budget, then deepagrel lr-study prints the table and the pick', { timeout: 180_000 }, () => {
  const dir = tempRoot();
  const results = path.join(dir, 'results');
  const s = spawnSync(process.execPath, [bin, 'sweep', '--presets', 'mnist-fc-deepagrel', '--seeds', '1', '--lr', '0.05,0.5', '--workers', '2',
    '--per-class', '10', '--val-size', '100', '--test-limit', '100', '--batch-size', '50', '--epochs', '2', '--experiment', 'lr',
    '--backend', 'cpu', '--results', results, '--checkpoints', path.join(dir, 'ck')], { encoding: 'utf8' });
  assert.equal(s.status, 0, s.stdout + s.stderr);
  assert.match(s.stdout, /\[mnist-fc-deepagrel α=0\.05 s1\] /);
  assert.match(s.stdout, /sweep: 2 finished, 0 skipped/);
  for (const lr of [0.05, 0.5]) {
    const run = readRunFile(path.join(results, 'lr', `mnist-fc-deepagrel-lr${lr}-s1.jsonl`));
    assert.equal(run.header.config.lr, lr);
    assert.equal(run.header.protocol.includes('lr=0.05'), lr === 0.05, run.header.protocol);   // 0.5 is the preset's α
    assert.match(run.header.protocol, /maxEpochs=2/);
    assert.equal(run.epochs.length, 2);
  }
  const t = spawnSync(process.execPath, [bin, 'lr-study', '--results', path.join(results, 'lr')], { encoding: 'utf8' });
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /\|mnist-fc-deepagrel\|.*\|0\.05\|0\.5\|1\|/);
  assert.match(t.stdout, /\|0\.5 \(paper\)\|0\.5\|1\|/);
  assert.match(t.stdout, /\*\*mnist-fc-deepagrel\*\* .*: α = (0\.05|0\.5) \(paper: 0\.5\); highest mean validation accuracy/);
  const none = spawnSync(process.execPath, [bin, 'lr-study', '--results', path.join(results, 'lr'), '--presets', 'mnist-conv-ebp'], { encoding: 'utf8' });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no learning-rate grid in .* for mnist-conv-ebp/);
});

test("notebook 08's grid cell: a bad entry is one message naming it", () => {
  assert.throws(() => checkGrid({ 'mnist-conv-epb': [0.1] }), /GRID: no preset "mnist-conv-epb"; presets: mnist-fc-deepagrel/);
  assert.throws(() => checkGrid({ 'mnist-conv-ebp': [] }), /GRID\['mnist-conv-ebp'\] must be a list of learning rates/);
  assert.throws(() => checkGrid({ 'mnist-conv-ebp': [0.1, -1] }), /learning rates must be numbers > 0, got -1/);
  assert.throws(() => checkGrid({ 'mnist-conv-ebp': [0.1, 0.1] }), /lists a learning rate twice/);
  checkGrid({ 'mnist-conv-ebp': [0.01, 0.1] });
});

test('deepagrel table / figure3 without --results leave the study runs out; with --results they read what they are given', () => {
  const dir = tempRoot();
  writeRun(path.join(dir, 'results'), header({ preset: 'mnist-conv-ebp', seed: 1, experiment: 'lr-study', runId: 'a-lr0.3-s1', protocol: 'lr=0.3, maxEpochs=10' }), [0.5], end(1, 0.5));
  writeRun(path.join(dir, 'results'), header({ preset: 'mnist-conv-ebp', seed: 1, experiment: 'protocol', protocol: 'maxEpochs=300' }), [0.5], end(1, 0.5));
  const table = (...args: string[]) => spawnSync(process.execPath, [bin, 'table', '--format', 'csv', ...args], { encoding: 'utf8', cwd: dir });
  const plain = table();
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /maxEpochs=300/);
  assert.doesNotMatch(plain.stdout, /lr=0\.3/);
  const given = table('--results', path.join(dir, 'results', 'lr-study'));
  assert.match(given.stdout, /lr=0\.3, maxEpochs=10/);
});

test('lrStudy: two records of one seed (trained under two names) count once, the finished one', () => {
  const r5 = tempRoot();
  const h = (lr: number, runId: string) => header({ preset: 'mnist-fc-ebp', seed: 1, runId, config: { lr }, protocol: `lr=${lr}` });
  writeRun(r5, h(0.01, 'a-lr0.01-s1'), [0.2], end(1, 0.2));
  writeRun(r5, h(0.1, 'a-lr0.1-s1'), [0.3], null);               // unfinished copy
  writeRun(r5, h(0.1, 'a-lr1e-1-s1'), [0.6], end(1, 0.6));       // the same α, typed differently
  const cell = lrStudy(readRuns(r5)).cells.find(c => c.lr === 0.1)!;
  assert.deepEqual(cell.seeds, [1]);
  assert.deepEqual(cell.status, ['finished']);
  assert.equal(cell.valMean, 0.6);
});
