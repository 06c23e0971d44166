// Small file systems for the disk-full tests: a tmpfs of the given size where this process may mount
// one (root), else a loop-mounted ext2 image; otherwise a reason to skip. Unmounted by `dispose`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Volume { dir: string; dispose(): void }

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });

export function smallVolume(kib: number, readOnly = false): Volume | string {
  if (process.getuid?.() !== 0) return 'mounting a small file system needs root (run the tests as root, or in CI)';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepagrel-vol-'));
  const opts = `size=${kib}k${readOnly ? ',ro' : ''}`;
  const tmpfs = sh('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
  if (tmpfs.status === 0) return { dir, dispose: () => { sh('umount', [dir]); fs.rmSync(dir, { recursive: true, force: true }); } };
  const img = `${dir}.img`;
  fs.writeFileSync(img, Buffer.alloc(kib * 1024));
  const mk = sh('mkfs.ext2', ['-q', '-F', '-m', '0', img]);
  const loop = mk.status === 0 ? sh('mount', ['-o', `loop${readOnly ? ',ro' : ''}`, img, dir]) : mk;
  if (loop.status === 0) return { dir, dispose: () => { sh('umount', [dir]); fs.rmSync(dir, { recursive: true, force: true }); fs.rmSync(img, { force: true }); } };
  fs.rmSync(dir, { recursive: true, force: true }); fs.rmSync(img, { force: true });
  return `cannot mount a small file system here (tmpfs: ${tmpfs.stderr.trim() || tmpfs.status}; loop: ${loop.stderr.trim() || loop.status})`;
}

/** Fill the volume to the last byte; returns the filler file, to delete to free the space again. */
export function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try { for (;;) fs.writeSync(fd, chunk); } catch (e: any) { if (e?.code !== 'ENOSPC') throw e; } finally { fs.closeSync(fd); }
  // What is left of a partial page: bytes one at a time.
  const fd2 = fs.openSync(file, 'a');
  try { for (;;) fs.writeSync(fd2, chunk, 0, 1); } catch (e: any) { if (e?.code !== 'ENOSPC') throw e; } finally { fs.closeSync(fd2); }
  return file;
}
