// Defect 10 of issue 16: a run that another sweep finished after this sweep listed its jobs was
// counted "finished" as well as nothing being "skipped" (5 + 4 = 9 for 8 runs). The counts must
// add up to the jobs. Two listings of the same job play the other sweep: the first trains it, the
// second finds it finished.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runSweep } from '../../src/cli/sweep.ts';
import { tempDir } from '../tmp-dir.ts';

test('sweep summary: a run finished meanwhile counts as skipped, and the counts add up to the jobs', { timeout: 120_000 }, async () => {
  const dir = tempDir('deepagrel-sum-');
  const job = { preset: 'mnist-fc-deepagrel', seed: 3 };
  const log: string[] = [];
  const r = await runSweep({ jobs: [job, job], workers: 1, experiment: 's', resultsRoot: path.join(dir, 'r'), log: l => log.push(l),
    trainArgs: ['--per-class', '10', '--val-size', '100', '--test-limit', '100', '--batch-size', '50', '--epochs', '1', '--backend', 'cpu', '--threads', '1', '--checkpoints', path.join(dir, 'c')] });
  assert.deepEqual([r.done, r.skipped, r.locked, r.failed.length], [1, 1, 0, 0], log.join('\n'));
  assert.match(log.at(-1)!, /^sweep: 1 finished, 1 skipped, 0 running elsewhere, 0 failed$/);
  assert.match(log[0], /to run on 1 worker\(s\), 1 thread\(s\) each$/, 'the first line says the threads the workers get (--threads)');
});
