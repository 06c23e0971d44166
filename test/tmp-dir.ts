// Temporary folders for tests, removed when the test file's process exits (node --test runs each
// file in a process of its own), so that repeated `npm test` runs do not fill the temp folder.
// DEEPAGREL_KEEP_TEST_DIRS=1 keeps them, to look at what a failing test left.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tempDirRemovedAtExit } from '../src/temp-dir.ts';

export function tempDir(prefix: string): string {
  return process.env.DEEPAGREL_KEEP_TEST_DIRS ? fs.mkdtempSync(path.join(os.tmpdir(), prefix)) : tempDirRemovedAtExit(prefix);
}
