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

test('status: a checkpoint inside an epoch shows how far into it (+batch/batches) and counts that part as done; before the first epoch ends its pace gives the time left', async () => {
  const { saveCheckpoint } = await import('../../src/checkpoint.ts');
  const root = tempRoot();
  const ckpt = tempRoot();
  const config = { lr: 1, batchSize: 100, patience: 20, maxEpochs: 300, augmentFactor: 10 };
  const datasetInfo = { source: 'x', exact: false, nTrain: 49000, nVal: 1000, nTest: 10000 };
  writeRun(root, header({ preset: 'cifar10-conv-aug-deepagrel', seed: 1, config, datasetInfo }), [0.3, 0.4], null);   // 1 s per epoch
  writeRun(root, header({ preset: 'cifar10-conv-aug-deepagrel', seed: 2, config, datasetInfo }), [], null);
  const rng = { s: [1, 2, 3, 4] as [number, number, number, number] };
  const state = (epoch: number, batch: number, trainSec: number) => ({ runId: 'r', epoch, bestEpoch: epoch, bestValAccuracy: 0.4, actionRng: rng, dropoutRng: rng,
    configHash: 'h', partial: { batch, n: batch * 100, reward: 0, correct: 0, loss: 0, trainSec } });
  saveCheckpoint(path.join(ckpt, 'table1', 'cifar10-conv-aug-deepagrel-s1.ckpt'), { state: state(2, 1225, 0.25), weights: { d: { W: new Float32Array(3) } }, best: null });
  saveCheckpoint(path.join(ckpt, 'table1', 'cifar10-conv-aug-deepagrel-s2.ckpt'), { state: state(0, 2450, 300), weights: { d: { W: new Float32Array(3) } }, best: null });
  const rows = statusRows([root], ckpt);
  const s1 = rows.find(r => r.runId === 'cifar10-conv-aug-deepagrel-s1')!, s2 = rows.find(r => r.runId === 'cifar10-conv-aug-deepagrel-s2')!;
  assert.deepEqual(s1.inEpoch, { batch: 1225, batches: 4900 });
  assert.deepEqual(s1.remainingSec, [20 - 0.25, 298 - 0.25]);        // best at 2: could stop after 22; a quarter of epoch 3 done
  assert.deepEqual(s2.inEpoch, { batch: 2450, batches: 4900 });
  assert.equal(s2.secPerEpoch, 600);                                  // half an epoch in 300 s
  assert.deepEqual(s2.remainingSec, [19.5 * 600, 299.5 * 600]);
  const text = renderStatus(rows);
  assert.match(text, /2\/300 \+1225\/4900/);
  assert.match(text, /"epoch 12\/300 \+2100\/4900": 12 epochs finished/);
});
