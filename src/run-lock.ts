// One process per run: a lock file beside the checkpoint, so two sweeps (or two shards started by
// mistake with overlapping jobs) never train the same run at once. The lock names host and pid; a
// lock left by a dead process on this host is stale and taken over. Locks from other hosts are
// honoured until they are older than `staleAfterMs` (their owner refreshes them every epoch).
//
// Race-free with many contenders (array tasks restarted together after a node crash):
// - a lock appears complete or not at all (written to a private file, then hard-linked into place,
//   which fails if a lock exists), so nobody reads a half-written lock and calls it stale;
// - a stale lock is removed only by the one process that wins `<lock>.takeover-<hash of its
//   content>` and still finds that same content; everyone else re-reads and finds the new owner.
//   The takeover marker is itself such a lock, so a process killed while holding it is taken over too.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { makeDir } from './safe-fs.ts';
import { killPoint } from './fault-points.ts';

export class RunLockedError extends Error {
  constructor(readonly file: string, readonly owner: string) {
    super(`${file}: this run is being trained by ${owner}; wait for it, or delete the lock file if that process is gone`);
    this.name = 'RunLockedError';
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e: any) { return e?.code === 'EPERM'; }
}

export class RunLock {
  private constructor(readonly file: string) {}

  static acquire(file: string, staleAfterMs = 6 * 3600_000): RunLock {
    makeDir(path.dirname(file));
    const me = JSON.stringify({ host: os.hostname(), pid: process.pid, since: new Date().toISOString() });
    for (let attempt = 0; attempt < 20; attempt++) {
      if (place(file, me)) return new RunLock(file);
      const seen = readLock(file);
      if (seen === null) continue;                            // released meanwhile: try again
      const owner = RunLock.holder(file, staleAfterMs);
      if (owner) throw new RunLockedError(file, owner);
      takeOverStale(file, seen, staleAfterMs);
    }
    throw new RunLockedError(file, 'another process (lock contended)');
  }

  /** Who holds the lock ("pid 123 on host"), or null when there is no lock or it is stale. */
  static holder(file: string, staleAfterMs = 6 * 3600_000): string | null {
    let owner: { host?: string; pid?: number }, mtimeMs: number;
    try {
      mtimeMs = fs.statSync(file).mtimeMs;
      owner = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch { return null; }   // gone, or unreadable (locks are written whole, so this is damage): nobody (alive) holds it
    const sameHost = owner.host === os.hostname();
    const stale = sameHost ? !(owner.pid && alive(owner.pid)) : Date.now() - mtimeMs > staleAfterMs;
    return stale ? null : `pid ${owner.pid} on ${owner.host}`;
  }

  /** Mark the lock as fresh (once per epoch). */
  touch(): void { const t = new Date(); try { fs.utimesSync(this.file, t, t); } catch { /* released */ } }

  release(): void { fs.rmSync(this.file, { force: true }); }
}

/** Create the lock with its full content, atomically; false if a lock is already there. */
function place(file: string, content: string): boolean {
  removeDeadTemps(file);
  const tmp = `${file}.new-${os.hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, content);
  try { fs.linkSync(tmp, file); killPoint('lock:placed'); return true; } catch (e: any) {
    if (e?.code === 'EEXIST') return false;
    throw e;
  } finally { fs.rmSync(tmp, { force: true }); }
}

/** `<lock>.new-<host>-<pid>-*` files of processes on this host that died between writing and placing a lock. */
function removeDeadTemps(file: string): void {
  const dir = path.dirname(file), prefix = `${path.basename(file)}.new-${os.hostname()}-`;
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return; }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) fs.rmSync(path.join(dir, n), { force: true });
  }
}

function pause(ms: number): void { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); }

function readLock(file: string): string | null {
  try { return fs.readFileSync(file, 'utf8'); } catch (e: any) { if (e?.code === 'ENOENT') return null; throw e; }
}

/** Remove the stale lock whose content is `seen`, if this process wins the right to; else do nothing. */
function takeOverStale(file: string, seen: string, staleAfterMs: number): void {
  const marker = `${file}.takeover-${createHash('sha256').update(seen).digest('hex').slice(0, 12)}`;
  let guard: RunLock;
  try { guard = RunLock.acquire(marker, staleAfterMs); } catch (e) {
    if (e instanceof RunLockedError) { pause(5); return; }    // someone else is taking it over: look again shortly
    throw e;
  }
  try {
    if (readLock(file) === seen) fs.rmSync(file, { force: true });   // still the same stale lock
  } finally { guard.release(); }
}
