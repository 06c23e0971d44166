// Child process for lock-race.test.ts: waits for "go <time> <spacing>" on stdin, then at each
// trial's instant tries to take lock <dir>/<trial>.lock and prints "<trial> ok" or "<trial> locked".
import * as path from 'node:path';
import { RunLock, RunLockedError } from '../../src/run-lock.ts';

const [dir, trialsArg] = process.argv.slice(2);
const trials = Number(trialsArg);
process.stdout.write('ready\n');
process.stdin.once('data', buf => {
  const [, at, spacing] = buf.toString().trim().split(' ').map(Number);
  const lines: string[] = [];
  for (let t = 0; t < trials; t++) {
    while (Date.now() < at + t * spacing) { /* spin: all contenders start within microseconds */ }
    try { RunLock.acquire(path.join(dir, `${t}.lock`)); lines.push(`${t} ok`); }
    catch (e) { lines.push(`${t} ${e instanceof RunLockedError ? 'locked' : `error ${(e as Error).message}`}`); }
  }
  process.stdout.write(lines.join('\n') + '\n');
  process.exit(0);     // locks stay behind, held by a pid that is now dead
});
