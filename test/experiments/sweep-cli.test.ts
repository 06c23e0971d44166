// `npx deepagrel sweep` as a user types it: the launcher registers tsx in-process, so the worker
// processes must get the loader some other way (they once failed with "Unknown file extension .ts").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunFile } from '../../src/results/reader.ts';

const bin = fileURLToPath(new URL('../../bin/deepagrel.js', import.meta.url));

test('sweep through bin/deepagrel.js runs its jobs, then skips them as finished', { timeout: 180_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepagrel-sweep-'));
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
