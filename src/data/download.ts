// Download one file into the cache, safely:
// - bytes go to "<final>.part-<pid>", the MD5 is computed while streaming, and only a complete file
//   with the expected MD5 is renamed to its final name (rename is atomic on one file system);
// - on any failure (HTTP error, connection cut, bad checksum, Ctrl-C) the part file is removed,
//   so a final name never holds a partial or wrong file; part files of dead processes (kill -9)
//   are removed by the next download of the same file.
// Plain node:http/https (follows redirects) so it works without extra dependencies.

import * as http from 'node:http';
import * as https from 'node:https';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DataError } from './errors.ts';

export interface DownloadProgress { file: string; received: number; total?: number; done: boolean }
export type ProgressCallback = (p: DownloadProgress) => void;

export interface DownloadOptions {
  /** Expected MD5 of the whole file; a mismatch fails the download. */
  md5: string;
  /** Progress reports; without it a bar is drawn on stderr when stderr is a terminal. */
  onProgress?: ProgressCallback;
  /** Abort when no data arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Appended to error messages: where the user can put the file by hand. */
  hint?: string;
}

const MAX_REDIRECTS = 5;

// Part files being written, removed if the process is interrupted.
const pendingParts = new Set<string>();
function removePendingParts(): void {
  for (const p of pendingParts) { try { unlinkSync(p); } catch { /* already gone */ } }
  pendingParts.clear();
}
function onSignal(signal: NodeJS.Signals): void {
  removePendingParts();
  untrackAll();
  process.kill(process.pid, signal);                      // re-raise: default handling resumes
}
function track(part: string): void {
  if (pendingParts.size === 0) {
    process.on('SIGINT', onSignal); process.on('SIGTERM', onSignal); process.on('exit', removePendingParts);
  }
  pendingParts.add(part);
}
function untrack(part: string): void {
  pendingParts.delete(part);
  if (pendingParts.size === 0) untrackAll();
}
function untrackAll(): void {
  process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); process.off('exit', removePendingParts);
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Remove part files of `dest` left by processes that no longer run (a crash, kill -9). */
function removeStaleParts(dest: string): void {
  const dir = dirname(dest);
  const prefix = `${basename(dest)}.part-`;
  for (const f of readdirSync(dir)) {
    const pid = Number(f.slice(prefix.length));
    if (f.startsWith(prefix) && Number.isInteger(pid) && pid !== process.pid && !alive(pid)) {
      try { unlinkSync(join(dir, f)); } catch { /* raced with someone else */ }
    }
  }
}

/** GET with redirects; resolves with the final 200 response. */
function get(url: string, idleTimeoutMs: number, hint: string | undefined, redirects = 0): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const req = client.get(url, { headers: { 'user-agent': 'deepagrel-workbook' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) {
          reject(new DataError('too many redirects', { file: url, expected: `at most ${MAX_REDIRECTS}`, found: 'more', hint }));
          return;
        }
        const next = new URL(res.headers.location, url).toString();
        get(next, idleTimeoutMs, hint, redirects + 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new DataError('download failed', { file: url, expected: 'HTTP 200', found: `HTTP ${status}`, hint }));
        return;
      }
      resolve(res);
    });
    req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`no data for ${idleTimeoutMs / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      reject(new DataError('download failed', { file: url, expected: 'a reachable server', found: err.code ?? err.message, hint }));
    });
  });
}

export async function downloadFile(url: string, dest: string, opts: DownloadOptions): Promise<void> {
  const name = basename(dest);
  const idle = opts.idleTimeoutMs ?? 60_000;
  const report = opts.onProgress ?? (process.stderr.isTTY ? progressBar(process.stderr) : undefined);
  mkdirSync(dirname(dest), { recursive: true });
  removeStaleParts(dest);
  const part = `${dest}.part-${process.pid}`;
  track(part);
  try {
    const res = await get(url, idle, opts.hint);
    const total = Number(res.headers['content-length']) || undefined;
    const hash = createHash('md5');
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(part);
      const fail = (err: Error) => { res.destroy(); out.destroy(); reject(err); };
      res.setTimeout(idle, () => fail(new Error(`no data for ${idle / 1000} s`)));
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        received += chunk.length;
        report?.({ file: name, received, total, done: false });
        if (!out.write(chunk)) { res.pause(); out.once('drain', () => res.resume()); }
      });
      res.on('error', fail);                              // includes "aborted" when the server cuts
      res.on('end', () => {
        if (!res.complete) { fail(new Error('connection closed early')); return; }
        out.end();
      });
      out.on('error', fail);
      out.on('finish', resolve);
    }).catch((err: Error) => {
      throw err instanceof DataError ? err : new DataError('download interrupted', {
        file: url, expected: total ? `${total} bytes` : 'a complete response', found: `${received} bytes (${err.message})`, hint: opts.hint,
      });
    });
    if (total !== undefined && received !== total) {
      throw new DataError('download incomplete', { file: url, expected: `${total} bytes`, found: `${received} bytes`, hint: opts.hint });
    }
    const found = hash.digest('hex');
    if (found !== opts.md5) {
      throw new DataError('downloaded file checksum mismatch', { file: url, expected: `MD5 ${opts.md5}`, found: `MD5 ${found}`, hint: opts.hint });
    }
    renameSync(part, dest);
    report?.({ file: name, received, total, done: true });
  } finally {
    try { unlinkSync(part); } catch { /* renamed or never created */ }
    untrack(part);
  }
}

/** A one-line progress bar redrawn in place (at most every 100 ms). */
export function progressBar(stream: NodeJS.WriteStream): ProgressCallback {
  let last = 0;
  return ({ file, received, total, done }) => {
    const now = Date.now();
    if (!done && now - last < 100) return;
    last = now;
    const mb = (b: number) => (b / 1e6).toFixed(1);
    let line: string;
    if (total) {
      const frac = Math.min(1, received / total);
      const width = 30;
      const filled = Math.round(frac * width);
      line = `${file} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mb(received)}/${mb(total)} MB`;
    } else {
      line = `${file} ${mb(received)} MB`;
    }
    stream.write(`\r${line}\x1b[K${done ? '\n' : ''}`);
  };
}
