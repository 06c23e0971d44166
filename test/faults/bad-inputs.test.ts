// Defects 8, 9 and 10 of issue 16: bad inputs that hung, exited 1 like a crash, gave an errno
// without the file, or were silently accepted. Each must give one clear message naming the thing
// and what was expected, and exit code 2 — within seconds (the hangs run in a child with a timeout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../tmp-dir.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const dir = tempDir('deepagrel-bad-');
const aFile = path.join(dir, 'a-file');
fs.writeFileSync(aFile, 'x');
const TRAIN = ['train', '--preset', 'mnist-fc-deepagrel', '--backend', 'cpu', '--epochs', '1', '--results', path.join(dir, 'r'), '--checkpoints', path.join(dir, 'c')];

// [what, argv, expected message]
const BAD: [string, string[], RegExp][] = [
  ['--results under /proc (hung in recursive mkdir)', [...TRAIN, '--results', '/proc/deepagrel/results'], /--results \/proc\/deepagrel\/results: cannot create folder \/proc\/deepagrel: \/proc does not accept new folders/],
  ['--checkpoints under /proc (hung)', [...TRAIN, '--checkpoints', '/proc/deepagrel/ck'], /--checkpoints \/proc\/deepagrel\/ck: cannot create folder/],
  ['--results is a file', [...TRAIN, '--results', aFile], /--results .*a-file: .*a-file exists but is not a folder/],
  ['--checkpoints below a file', [...TRAIN, '--checkpoints', path.join(aFile, 'ck')], /--checkpoints .*a-file\/ck: .*a-file exists but is not a folder/],
  ['a billion seeds (hung, O(n²))', ['sweep', '--presets', 'mnist-*', '--seeds', '1-99999999999', '--dry-run'], /--seeds 1-99999999999 gives more than 100000 seeds; split the sweep/],
  ['a seed beyond 32 bits', ['sweep', '--presets', 'mnist-*', '--seeds', '99999999999999999999', '--dry-run'], /--seeds: seed 99999999999999999999 is too large/],
  ['--val-size larger than the data (exited 1)', [...TRAIN, '--val-size', '100000'], /valSize 100000 must be less than the 60000 training images of mnist/],
  ['--batch-size larger than an epoch (silently the whole set)', [...TRAIN, '--per-class', '10', '--val-size', '100', '--batch-size', '100000'], /batchSize 100000 is larger than an epoch \(100 training images\)/],
  ['--lr 1e-320 (0 in float32)', [...TRAIN, '--lr', '1e-320'], /lr must be representable in float32/],
  ['--lr 1e39 (Infinity in float32)', [...TRAIN, '--lr', '1e39'], /lr must be representable in float32/],
  ['--lr 0x10 (hex)', [...TRAIN, '--lr', '0x10'], /--lr expects a number, got "0x10"/],
  ['--lr 0b11 (binary)', [...TRAIN, '--lr', '0b11'], /--lr expects a number, got "0b11"/],
  ['--epsilon "" (empty)', [...TRAIN, '--epsilon', ''], /--epsilon expects a number, got ""/],
];

test(`${BAD.length} bad inputs: each one clear message and exit 2, none hangs`, { timeout: 300_000 }, t => {
  let clear = 0;
  for (const [what, argv, message] of BAD) {
    const r = spawnSync(process.execPath, [...process.execArgv, cli, ...argv], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(r.signal, 'SIGTERM', `${what}: still running after 60 s (hangs)`);
    assert.equal(r.status, 2, `${what}: exit code ${r.status}\n${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${what}: one message, got\n${r.stderr}`);
    assert.match(lines[0], message, what);
    clear++;
  }
  t.diagnostic(`bad inputs with a clear error: ${clear} of ${BAD.length}`);
});
