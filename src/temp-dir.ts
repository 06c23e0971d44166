// Temporary folders that go away with the process: one registry and one exit hook for every
// caller (QUICK-mode notebook runs, the tests), so nothing is left in the temp folder.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const made: string[] = [];

/** A fresh folder under the OS temp folder, removed (with its contents) when the process exits. */
export function tempDirRemovedAtExit(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (made.push(dir) === 1) {
    process.on('exit', () => {
      for (const d of made) {
        try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* e.g. a read-only folder: leave it */ }
      }
    });
  }
  return dir;
}
