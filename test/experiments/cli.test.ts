// Command-line parsing helpers: seeds, shards, overrides; and the CLI's error messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSeeds, parseShard, shardJobs, collectOverrides } from '../../src/cli/options.ts';
import { sweepJobs } from '../../src/cli/sweep.ts';

test('--shard i/n partitions the job list exactly (every job once, in order)', () => {
  const jobs = sweepJobs('mnist-*', '1-10');
  assert.equal(jobs.length, 60);
  for (const n of [1, 2, 3, 7, 60, 61]) {
    const parts = Array.from({ length: n }, (_, i) => shardJobs(jobs, { index: i + 1, count: n }));
    const all = parts.flat().map(j => `${j.preset}/${j.seed}`).sort();
    assert.deepEqual(all, jobs.map(j => `${j.preset}/${j.seed}`).sort(), `n=${n}`);
    assert.ok(Math.max(...parts.map(p => p.length)) - Math.min(...parts.map(p => p.length)) <= 1, `shards balanced for n=${n}`);
  }
  assert.deepEqual(sweepJobs('mnist-fc-*', '1-3', '2/2').map(j => `${j.preset}/${j.seed}`), ['mnist-fc-deepagrel/2', 'mnist-fc-ebp/1', 'mnist-fc-ebp/3']);
});

test('seed lists, shard specs and overrides: bad values name the flag', () => {
  assert.deepEqual(parseSeeds('1-3,7,2'), [1, 2, 3, 7]);
  assert.throws(() => parseSeeds('3-1'), /empty/);
  assert.throws(() => parseSeeds('a'), /--seeds expects/);
  assert.deepEqual(parseShard('3/4'), { index: 3, count: 4 });
  assert.throws(() => parseShard('5/4'), /--shard expects i\/n/);
  assert.throws(() => parseShard('0/4'), /--shard/);
  assert.deepEqual(collectOverrides({ lr: '0.5', epochs: '30', augment: 'true' }), { lr: 0.5, maxEpochs: 30, augment: true });
  assert.throws(() => collectOverrides({ lr: 'fast' }), /--lr expects a number, got "fast"/);
  assert.throws(() => collectOverrides({ epochs: '2.5' }), /--epochs expects an integer/);
});
