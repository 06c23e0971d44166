// Defect 4 of issue 16: with α = 1e30 on MNIST FC the Q-values stay finite while a hidden layer is
// all NaN; the run used to end "max-epochs" at chance level. NaN/Inf anywhere in the weights must
// end the run as diverged, naming the layer, after the epoch where it happened. Issue 30, item 10:
// and `train` exits non-zero (5) for it, which a sweep counts as a failed job — also on a later
// sweep that finds the diverged record already there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunFile } from '../../src/results/reader.ts';
import { runSweep, EXIT_DIVERGED } from '../../src/cli/sweep.ts';
import { tempDir } from '../tmp-dir.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

test('--lr 1e30 on MNIST FC: NaN hidden weights with finite Q-values end the run as diverged, with the cause', { timeout: 120_000 }, async () => {
  const dir = tempDir('deepagrel-div-');
  const r = spawnSync(process.execPath, [...process.execArgv, cli, 'train', '--preset', 'mnist-fc-deepagrel', '--seed', '1', '--lr', '1e30',
    '--per-class', '20', '--val-size', '200', '--test-limit', '300', '--batch-size', '50', '--epochs', '2', '--backend', 'wasm',
    '--experiment', 'div', '--results', path.join(dir, 'r'), '--checkpoints', path.join(dir, 'c')], { encoding: 'utf8' });
  assert.equal(r.status, EXIT_DIVERGED, r.stderr);
  assert.equal(EXIT_DIVERGED, 5);
  assert.match(r.stderr.trim().split('\n').at(-1)!, /^deepagrel train: .*mnist-fc-deepagrel-lr1e\+30-s1\.jsonl: the run diverged \(W'? of layer .* holds .*\); its record is kept; a smaller --lr is another run$/);
  const run = readRunFile(path.join(dir, 'r', 'div', 'mnist-fc-deepagrel-lr1e+30-s1.jsonl'))   // another α than the preset's: its own run name;
  assert.equal(run.end?.status, 'diverged', `ended ${run.end?.status} at test accuracy ${run.end?.testAccuracy}`);
  assert.equal(run.end?.testAccuracy, null);
  assert.match(run.end?.message ?? '', /^W'? of layer '\w+' holds (NaN|-?Infinity) \(\d+ of \d+ values\) after epoch 1: the network diverged; try a smaller learning rate than 1e\+30$/);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'c', 'div')), [], 'checkpoint and lock cleaned up');

  // A sweep over it: failed, with the reason, on every sweep (the record stays as it is).
  const before = fs.readFileSync(path.join(dir, 'r', 'div', 'mnist-fc-deepagrel-lr1e+30-s1.jsonl'), 'utf8');
  const log: string[] = [];
  const s = await runSweep({ jobs: [{ preset: 'mnist-fc-deepagrel', seed: 1, lr: '1e+30', lrInName: true }], workers: 1, experiment: 'div',
    resultsRoot: path.join(dir, 'r'), checkpointRoot: path.join(dir, 'c'), trainArgs: [], log: l => log.push(l) });
  assert.deepEqual([s.done, s.skipped, s.failed.length, s.diverged.length], [0, 0, 1, 1], log.join('\n'));
  assert.match(log.at(-1)!, /^sweep: 0 finished, 0 skipped, 0 running elsewhere, 1 failed \(1 diverged: mnist-fc-deepagrel-lr1e\+30-s1; their records are kept, a smaller α is another run\)$/);
  assert.equal(fs.readFileSync(path.join(dir, 'r', 'div', 'mnist-fc-deepagrel-lr1e+30-s1.jsonl'), 'utf8'), before);
});

test('a sweep whose worker diverges counts the job as failed (diverged), not finished', { timeout: 120_000 }, async () => {
  const dir = tempDir('deepagrel-div-sweep-');
  const log: string[] = [];
  const s = await runSweep({ jobs: [{ preset: 'mnist-fc-deepagrel', seed: 2, lr: '1e+30', lrInName: true }], workers: 1, experiment: 'div', resultsRoot: path.join(dir, 'r'),
    trainArgs: ['--per-class', '20', '--val-size', '200', '--test-limit', '300', '--batch-size', '50', '--epochs', '2', '--backend', 'wasm', '--threads', '1', '--checkpoints', path.join(dir, 'c')],
    log: l => log.push(l) });
  assert.deepEqual([s.done, s.skipped, s.failed.length, s.diverged.length], [0, 0, 1, 1], log.join('\n'));
  assert.match(log.join('\n'), /the run diverged/, "the worker's reason is relayed");
  assert.match(log.at(-1)!, /, 1 failed \(1 diverged: mnist-fc-deepagrel-lr1e\+30-s2;/);
  assert.equal(readRunFile(path.join(dir, 'r', 'div', 'mnist-fc-deepagrel-lr1e+30-s2.jsonl')).end?.status, 'diverged');
});
