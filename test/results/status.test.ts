// `deepagrel status`: states from the records and the run locks, and the time left of unfinished runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { statusRows, renderStatus } from '../../src/cli/status.ts';
import { RunLock } from '../../src/run-lock.ts';
import { end, header, tempRoot, writeRun } from './fixtures.ts';

test('status: finished, training (lock held by a live process) and stopped runs, with time left', () => {
  const root = tempRoot();
  const ckpt = tempRoot();
  const config = { lr: 1, batchSize: 100, patience: 3, maxEpochs: 10 };
  writeRun(root, header({ preset: 'mnist-fc-ebp', seed: 1, config }), [0.5, 0.6], end(2, 0.61, 'converged'));
  // Best validation at epoch 2 of 4 done: early stopping could fire after epoch 2 + 3 = 5, the cap is 10.
  writeRun(root, header({ preset: 'mnist-fc-deepagrel', seed: 1, config }), [0.3, 0.7, 0.6, 0.65], null);
  writeRun(root, header({ preset: 'mnist-fc-deepagrel', seed: 2, config }), [0.2], null);
  const lock = RunLock.acquire(path.join(ckpt, 'table1', 'mnist-fc-deepagrel-s1.ckpt.lock'));
  try {
    const rows = statusRows([root], ckpt);
    const by = (id: string) => rows.find(r => r.runId === id)!;
    assert.equal(by('mnist-fc-ebp-s1').state, 'converged');
    assert.equal(by('mnist-fc-ebp-s1').testAccuracy, 0.61);
    assert.equal(by('mnist-fc-ebp-s1').remainingSec, null);
    const training = by('mnist-fc-deepagrel-s1');
    assert.equal(training.state, 'training');
    assert.match(training.holder!, new RegExp(`pid ${process.pid} `));
    assert.deepEqual([training.epochs, training.maxEpochs, training.bestEpoch, training.bestValAccuracy], [4, 10, 2, 0.7]);
    assert.deepEqual(training.remainingSec, [1 * 1, 6 * 1]);   // fixture epochs take 1 s each
    assert.equal(by('mnist-fc-deepagrel-s2').state, 'stopped');
    const text = renderStatus(rows);
    assert.match(text, /3 runs: 1 training, 1 stopped, 1 converged\./);
    assert.match(text, /"stopped": unfinished/);
  } finally { lock.release(); }
  // Lock released (the process ended): the run is resumable, not training.
  assert.equal(statusRows([root], ckpt).find(r => r.runId === 'mnist-fc-deepagrel-s1')!.state, 'stopped');
});
