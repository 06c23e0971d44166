// Which code produced a record: the git commit and whether tracked files differed from it. Run
// records and benchmark reports both carry this, so a number can be traced back to its source.

import { execFileSync } from 'node:child_process';

export interface GitInfo { commit: string; dirty: boolean }

/** Commit of the repository at `cwd` and whether tracked files are modified; undefined outside git. */
export function gitInfo(cwd = process.cwd()): GitInfo | undefined {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  try {
    // Untracked files (logs, scratch notes) do not change the code that ran, so they are not "dirty".
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch { return undefined; }
}
