// File-system steps that must either finish or say what went wrong, by file name: writes that
// check every byte went out (a full disk makes write() short, then ENOSPC), folder creation that
// cannot hang (Node's recursive mkdir loops forever under /proc), and a writability probe so a bad
// --results / --checkpoints folder is reported before any training time is spent.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** A folder given by the user cannot be used (a bad option value: the CLI exits 2). */
export class PathError extends Error {
  constructor(message: string) { super(message); this.name = 'PathError'; }
}

/** Longest experiment or run name: the files made from it (<run>.ckpt.lock.new-<host>-<pid>-…) stay under 255 bytes. */
export const MAX_NAME = 100;

/** Why `name` cannot be one folder or file name inside the results or checkpoint root, or null.
 *  One safe path segment: letters, digits, . _ + - = , @ — not empty, not starting with a dot or a
 *  dash (no "..", no hidden ".jsonl", no option look-alike), no / or \ (nothing outside the root). */
export function nameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name === '') return 'is empty; give a name';
  if (name.length > MAX_NAME) return `is ${name.length} characters long; at most ${MAX_NAME}`;
  if (!/^[A-Za-z0-9_][A-Za-z0-9._+=,@-]*$/.test(name))
    return 'must be one folder or file name: letters, digits and . _ + - = , @, starting with a letter, digit or _ (no / or \\, no leading dot)';
  return null;
}

/** Throws a PathError (the CLI exits 2) unless `name` is one safe path segment; `what` names the option, e.g. "--run-id". */
export function checkName(name: unknown, what: string): void {
  const bad = nameProblem(name);
  if (bad) throw new PathError(`${what} ${JSON.stringify(name)} ${bad}`);
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device', EDQUOT: 'disk quota exceeded', EROFS: 'read-only file system',
  EACCES: 'permission denied', EPERM: 'operation not permitted', ENOTDIR: 'a part of the path is not a folder',
  EIO: 'input/output error', ENAMETOOLONG: 'name too long',
};

/** "no space left on the device (ENOSPC)" for a Node file-system error. */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code ? `${REASONS[code] ?? (e as Error).message} (${code})` : String((e as Error)?.message ?? e);
}

/** An error naming the file and what was being done, keeping the errno code for callers. */
export function fsError(e: unknown, doing: string, file: string): Error {
  const err = new Error(`${file}: cannot ${doing}: ${fsReason(e)}`) as NodeJS.ErrnoException;
  err.code = (e as NodeJS.ErrnoException)?.code;
  return err;
}

/** Write all of `data` at the fd's position; a short write is retried, so it either completes or throws. */
export function writeFully(fd: number, data: Uint8Array | string): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  let off = 0;
  while (off < buf.byteLength) {
    const n = fs.writeSync(fd, buf, off, buf.byteLength - off);
    if (n <= 0) { const e = new Error('write made no progress') as NodeJS.ErrnoException; e.code = 'ENOSPC'; throw e; }
    off += n;
  }
}

/** mkdir -p, one level at a time, with one clear message when a level cannot be made. */
export function makeDir(dir: string): void {
  const full = path.resolve(dir);
  const parts: string[] = [];
  for (let p = full; ; p = path.dirname(p)) { parts.unshift(p); if (path.dirname(p) === p) break; }
  for (const p of parts) {
    let st: fs.Stats | undefined;
    try { st = fs.statSync(p); } catch (e: any) { if (e?.code !== 'ENOENT') throw new PathError(`${dir}: cannot use folder ${p}: ${fsReason(e)}`); }
    if (st) {
      if (!st.isDirectory()) throw new PathError(`${dir}: ${p} exists but is not a folder`);
      continue;
    }
    try { fs.mkdirSync(p); } catch (e: any) {
      if (e?.code === 'EEXIST' && fs.statSync(p).isDirectory()) continue;
      // ENOENT from mkdir on an existing parent: a pseudo file system (/proc, /sys) that takes no new folders.
      const why = e?.code === 'ENOENT' ? `${path.dirname(p)} does not accept new folders (ENOENT)` : fsReason(e);
      throw new PathError(`${dir}: cannot create folder ${p}: ${why}`);
    }
  }
}

// A full or failing disk is not a bad option: those stay ordinary errors (exit 1).
const NOT_USAGE = new Set(['ENOSPC', 'EDQUOT', 'EIO']);

/** Make `dir` and check a file can be created in it; `what` names the option, e.g. "--results". */
export function ensureWritableDir(dir: string, what: string): void {
  try { makeDir(dir); } catch (e: any) { throw new PathError(`${what} ${e.message}`); }
  // One fixed name, so a process killed right here leaves nothing that piles up.
  const probe = path.join(dir, '.deepagrel-write-test');
  try { fs.writeFileSync(probe, 'x'); } catch (e: any) {
    const msg = `${what} ${dir}: cannot write there: ${fsReason(e)}`;
    throw NOT_USAGE.has(e?.code) ? Object.assign(new Error(msg), { code: e.code }) : new PathError(msg);
  }
  fs.rmSync(probe, { force: true });
}
