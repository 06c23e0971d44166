// Defect 4 of issue 16: with α = 1e30 on MNIST FC the Q-values stay finite while a hidden layer is
// all NaN; the run used to end "max-epochs" at chance level. NaN/Inf anywhere in the weights must
// end the run as diverged, naming the layer, after the epoch where it happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunFile } from '../../src/results/reader.ts';
import { tempDir } from '../tmp-dir.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

test('--lr 1e30 on MNIST FC: NaN hidden weights with finite Q-values end the run as diverged, with the cause', { timeout: 120_000 }, () => {
  const dir = tempDir('deepagrel-div-');
  const r = spawnSync(process.execPath, [...process.execArgv, cli, 'train', '--preset', 'mnist-fc-deepagrel', '--seed', '1', '--lr', '1e30',
    '--per-class', '20', '--val-size', '200', '--test-limit', '300', '--batch-size', '50', '--epochs', '2', '--backend', 'wasm',
    '--experiment', 'div', '--results', path.join(dir, 'r'), '--checkpoints', path.join(dir, 'c')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const run = readRunFile(path.join(dir, 'r', 'div', 'mnist-fc-deepagrel-lr1e+30-s1.jsonl'))   // another α than the preset's: its own run name;
  assert.equal(run.end?.status, 'diverged', `ended ${run.end?.status} at test accuracy ${run.end?.testAccuracy}`);
  assert.equal(run.end?.testAccuracy, null);
  assert.match(run.end?.message ?? '', /^W'? of layer '\w+' holds (NaN|-?Infinity) \(\d+ of \d+ values\) after epoch 1: the network diverged; try a smaller learning rate than 1e\+30$/);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'c', 'div')), [], 'checkpoint and lock cleaned up');
});
