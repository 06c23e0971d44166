// One process per run: a second trainer of the same run is refused; a dead owner's lock is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunLock, RunLockedError } from '../../src/run-lock.ts';
import { tempDir } from '../tmp-dir.ts';

test('a held lock refuses a second owner; release frees it; a dead pid\'s lock is stale', () => {
  const file = path.join(tempDir('deepagrel-lock-'), 'run.ckpt.lock');
  const a = RunLock.acquire(file);
  assert.throws(() => RunLock.acquire(file), (e: unknown) => e instanceof RunLockedError && /being trained by pid \d+/.test((e as Error).message));
  a.release();
  assert.equal(fs.existsSync(file), false);
  // A lock left by a process that no longer exists (on this host) is taken over.
  fs.writeFileSync(file, JSON.stringify({ host: os.hostname(), pid: 2 ** 22 + 12345 }));
  const b = RunLock.acquire(file);
  assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`"pid":${process.pid}`));
  b.release();
  // Another host's fresh lock is honoured; an old one is stale.
  fs.writeFileSync(file, JSON.stringify({ host: 'elsewhere', pid: 1 }));
  assert.throws(() => RunLock.acquire(file), RunLockedError);
  const old = new Date(Date.now() - 7 * 3600_000);
  fs.utimesSync(file, old, old);
  RunLock.acquire(file).release();
});
