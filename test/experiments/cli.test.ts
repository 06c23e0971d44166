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

test('the CLI: bad commands, presets, options and values give one message and exit code 2', async () => {
  const { main } = await import('../../src/cli.ts');
  const errors: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => { errors.push(a.join(' ')); };
  try {
    assert.equal(await main(['fly']), 2);
    assert.match(errors.at(-1)!, /unknown command "fly"; commands: train, sweep/);
    assert.equal(await main(['train', '--preset', 'mnist-mlp-deepagrel']), 2);
    assert.match(errors.at(-1)!, /deepagrel train: unknown preset "mnist-mlp-deepagrel"/);
    assert.equal(await main(['train', '--preset', 'mnist-fc-deepagrel', '--lr=0']), 2);
    assert.match(errors.at(-1)!, /lr must be a finite number > 0, got 0/);
    assert.equal(await main(['train', '--preset', 'mnist-fc-deepagrel', '--colour', 'red']), 2);
    assert.match(errors.at(-1)!, /Unknown option '--colour'/);
    assert.equal(await main(['sweep', '--presets', 'mnist-*', '--seeds', '3-1']), 2);
    assert.match(errors.at(-1)!, /--seeds range 3-1 is empty/);
    assert.equal(await main(['table', '--format', 'xls']), 2);
    assert.match(errors.at(-1)!, /--format must be one of md, csv, html, latex, json, got "xls"/);
    assert.equal(await main(['table', '--results', '/no/such/dir']), 2);
    assert.match(errors.at(-1)!, /--results \/no\/such\/dir: no such folder/);
  } finally { console.error = orig; }
});
