// One process per run: a lock file beside the checkpoint, so two sweeps (or two shards started by
// mistake with overlapping jobs) never train the same run at once. The lock names host and pid; a
// lock left by a dead process on this host is stale and taken over. Locks from other hosts are
// honoured until they are older than `staleAfterMs` (their owner refreshes them every epoch).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

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
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const me = JSON.stringify({ host: os.hostname(), pid: process.pid, since: new Date().toISOString() });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, me, { flag: 'wx' });
        return new RunLock(file);
      } catch (e: any) {
        if (e?.code !== 'EEXIST') throw e;
        const owner = RunLock.holder(file, staleAfterMs);
        if (owner) throw new RunLockedError(file, owner);
        fs.rmSync(file, { force: true });
      }
    }
    throw new RunLockedError(file, 'another process (lock contended)');
  }

  /** Who holds the lock ("pid 123 on host"), or null when there is no lock or it is stale. */
  static holder(file: string, staleAfterMs = 6 * 3600_000): string | null {
    let owner: { host?: string; pid?: number }, mtimeMs: number;
    try {
      mtimeMs = fs.statSync(file).mtimeMs;
      owner = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch { return null; }   // gone, or unreadable: nobody (alive) holds it
    const sameHost = owner.host === os.hostname();
    const stale = sameHost ? !(owner.pid && alive(owner.pid)) : Date.now() - mtimeMs > staleAfterMs;
    return stale ? null : `pid ${owner.pid} on ${owner.host}`;
  }

  /** Mark the lock as fresh (once per epoch). */
  touch(): void { const t = new Date(); try { fs.utimesSync(this.file, t, t); } catch { /* released */ } }

  release(): void { fs.rmSync(this.file, { force: true }); }
}
