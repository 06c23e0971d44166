// `npx deepagrel sweep` as a user types it: the launcher registers tsx in-process, so the worker
// processes must get the loader some other way (they once failed with "Unknown file extension .ts").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunFile } from '../../src/results/reader.ts';
import { tempDir } from '../tmp-dir.ts';

const bin = fileURLToPath(new URL('../../bin/deepagrel.js', import.meta.url));

test('sweep through bin/deepagrel.js runs its jobs, then skips them as finished', { timeout: 180_000 }, () => {
  const dir = tempDir('deepagrel-sweep-');
  const args = ['sweep', '--presets', 'mnist-fc-deepagrel', '--seeds', '7', '--workers', '1', '--per-class', '10', '--val-size', '100',
    '--test-limit', '100', '--batch-size', '50', '--epochs', '1', '--experiment', 's', '--backend', 'cpu',
    '--results', path.join(dir, 'results'), '--checkpoints', path.join(dir, 'ck')];
  // No tsx in execArgv: exactly what `npx deepagrel` gives the parent.
  const first = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  assert.equal(first.status, 0, first.stdout + first.stderr);
  assert.match(first.stdout, /sweep: 1 finished, 0 skipped, 0 running elsewhere, 0 failed/);
  const run = readRunFile(path.join(dir, 'results', 's', 'mnist-fc-deepagrel-s7.jsonl'));
  assert.equal(run.epochs.length, 1);
  const acc = run.end?.testAccuracy;
  assert.ok(typeof acc === 'number' && acc >= 0 && acc <= 1, `test accuracy ${acc}`);

  const again = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /1 already finished, 0 to run/);
});

test('a finished run made with other settings is refused by sweep and train, never passed off as done', { timeout: 180_000 }, () => {
  const dir = tempDir('deepagrel-sweep-cfg-');
  const common = ['--per-class', '10', '--val-size', '100', '--test-limit', '100', '--batch-size', '50', '--experiment', 's', '--backend', 'cpu',
    '--results', path.join(dir, 'results'), '--checkpoints', path.join(dir, 'ck')];
  const sweep = (...extra: string[]) => spawnSync(process.execPath, [bin, 'sweep', '--presets', 'mnist-fc-deepagrel', '--seeds', '7', '--workers', '1', ...common, ...extra], { encoding: 'utf8' });
  const first = sweep('--epochs', '1');
  assert.equal(first.status, 0, first.stdout + first.stderr);
  const file = path.join(dir, 'results', 's', 'mnist-fc-deepagrel-s7.jsonl');
  const before = fs.readFileSync(file, 'utf8');

  // Another epoch cap, same run name: the finished 1-epoch run must not count as the 2-epoch one.
  const other = sweep('--epochs', '2');
  assert.equal(other.status, 2, other.stdout + other.stderr);
  assert.match(other.stderr, /1 finished run\(s\) were made with other settings/);
  assert.match(other.stderr, /mnist-fc-deepagrel-s7\.jsonl: maxEpochs: 1 → 2/);
  assert.match(other.stderr, /Nothing was run/);
  assert.equal(fs.readFileSync(file, 'utf8'), before);
  // Same config under another --protocol label: refused too (a table groups runs by that label).
  const label = sweep('--epochs', '1', '--protocol', 'another label');
  assert.equal(label.status, 2, label.stdout + label.stderr);
  assert.match(label.stderr, /mnist-fc-deepagrel-s7\.jsonl: protocol: ".*" → "another label"/);

  const train = (...extra: string[]) => spawnSync(process.execPath, [bin, 'train', '--preset', 'mnist-fc-deepagrel', '--seed', '7', ...common, ...extra], { encoding: 'utf8' });
  const refused = train('--epochs', '2');
  assert.equal(refused.status, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /a finished run made with other settings \(stored → asked for: maxEpochs: 1 → 2\); nothing was trained/);
  assert.equal(fs.readFileSync(file, 'utf8'), before);

  // Another α is another run (named as sweeps and notebooks name it), trained beside the paper-α one.
  const lr = train('--epochs', '1', '--lr', '0.25');
  assert.equal(lr.status, 0, lr.stdout + lr.stderr);
  const lrRun = readRunFile(path.join(dir, 'results', 's', 'mnist-fc-deepagrel-lr0.25-s7.jsonl'));
  assert.equal(lrRun.header.config.lr, 0.25);
  assert.equal(fs.readFileSync(file, 'utf8'), before);
});
