// Temporary folders for tests, removed when the test file's process exits (node --test runs each
// file in a process of its own), so that repeated `npm test` runs do not fill the temp folder.
// DEEPAGREL_KEEP_TEST_DIRS=1 keeps them, to look at what a failing test left.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (made.push(dir) === 1 && !process.env.DEEPAGREL_KEEP_TEST_DIRS) {
    process.on('exit', () => {
      for (const d of made) {
        try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* e.g. a read-only folder a test made: leave it */ }
      }
    });
  }
  return dir;
}
