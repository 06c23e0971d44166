import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../src/data/errors.ts';
import { concatSets, parseCifarBin, parseClassNames } from '../../src/data/cifar.ts';
import { readTar } from '../../src/data/tar.ts';
import { cifarRecords, enc, makeTar, randomBytes } from './synth.ts';

test('CIFAR-10 records: R,G,B planes become NHWC, labels kept', () => {
  const rec = cifarRecords('cifar10', 12, 7);
  const set = parseCifarBin('b.bin', rec.bytes, 'cifar10');
  assert.equal(set.n, 12);
  assert.deepEqual(set.shape, [32, 32, 3]);
  assert.deepEqual(set.images, rec.nhwc);
  assert.deepEqual(set.labels, rec.fine);
  // one pixel by hand: image 3, row 5, column 9, green = plane 1 at 5*32+9
  assert.equal(set.images[3 * 3072 + (5 * 32 + 9) * 3 + 1], rec.bytes[3 * 3073 + 1 + 1024 + 5 * 32 + 9]);
});

test('CIFAR-100 records: fine labels by default, coarse on request', () => {
  const rec = cifarRecords('cifar100', 25, 9);
  const fine = parseCifarBin('train.bin', rec.bytes, 'cifar100');
  const coarse = parseCifarBin('train.bin', rec.bytes, 'cifar100', 'coarse');
  assert.deepEqual(fine.images, rec.nhwc);
  assert.deepEqual(fine.labels, rec.fine);
  assert.deepEqual(coarse.labels, rec.coarse);
  assert.deepEqual(coarse.images, rec.nhwc);
});

test('bad CIFAR files name the file, the expected layout and what was found', () => {
  const rec = cifarRecords('cifar10', 3, 1);
  assert.throws(() => parseCifarBin('cut.bin', rec.bytes.subarray(0, 3073 * 2 + 100), 'cifar10'),
    (e: unknown) => e instanceof DataError && /cut\.bin: CIFAR file size is not a whole number of records; expected a multiple of 3073 bytes .*; found 6246 bytes = 2 records \+ 100 bytes/.test(e.message));
  assert.throws(() => parseCifarBin('empty.bin', new Uint8Array(0), 'cifar10'), /empty\.bin: empty CIFAR file/);
  // CIFAR-100 file read as CIFAR-10: sizes do not divide
  assert.throws(() => parseCifarBin('t.bin', cifarRecords('cifar100', 3, 1).bytes, 'cifar10'), /multiple of 3073 bytes/);
  const bad = rec.bytes.slice(); bad[3073] = 10;
  assert.throws(() => parseCifarBin('lab.bin', bad, 'cifar10'), /lab\.bin: label out of range at record 1; expected a label in 0\.\.9; found 10/);
  const bad100 = cifarRecords('cifar100', 2, 1).bytes.slice(); bad100[3074] = 20;
  assert.throws(() => parseCifarBin('c.bin', bad100, 'cifar100'), /c\.bin: coarse label out of range at record 1; expected a coarse label in 0\.\.19; found 20/);
  bad100[3074] = 0; bad100[1] = 100;
  assert.throws(() => parseCifarBin('c.bin', bad100, 'cifar100'), /fine label out of range at record 0.*found 100/);
});

test('class names: blank lines ignored, count checked', () => {
  assert.deepEqual(parseClassNames('m', 'a\nb\r\nc\n\n\n', 3), ['a', 'b', 'c']);
  assert.throws(() => parseClassNames('batches.meta.txt', 'a\nb\n', 10), /batches\.meta\.txt: wrong number of class names; expected 10 names, one per line; found 2/);
});

test('concatSets keeps order', () => {
  const a = parseCifarBin('a', cifarRecords('cifar10', 2, 1).bytes, 'cifar10');
  const b = parseCifarBin('b', cifarRecords('cifar10', 3, 2).bytes, 'cifar10');
  const ab = concatSets([a, b]);
  assert.equal(ab.n, 5);
  assert.deepEqual(ab.images.subarray(2 * 3072), b.images);
  assert.deepEqual(Array.from(ab.labels), [...a.labels, ...b.labels]);
});

test('tar reader: regular files by path, directories skipped, GNU long names', () => {
  const data = randomBytes(1500, 4);
  const long = 'cifar-10-batches-bin/' + 'n'.repeat(110) + '.bin';
  const tar = makeTar([
    { name: 'cifar-10-batches-bin/', data: new Uint8Array() },
    { name: 'cifar-10-batches-bin/data_batch_1.bin', data },
    { name: 'cifar-10-batches-bin/batches.meta.txt', data: enc('x\n') },
    { name: long, data: enc('long') },
  ]);
  const files = readTar('t.tar', tar);
  assert.deepEqual([...files.keys()], ['cifar-10-batches-bin/data_batch_1.bin', 'cifar-10-batches-bin/batches.meta.txt', long]);
  assert.deepEqual(files.get('cifar-10-batches-bin/data_batch_1.bin'), data);
});

test('tar reader: truncated archive and corrupt header are clear errors', () => {
  const tar = makeTar([{ name: 'a.bin', data: randomBytes(5000, 1) }]);
  assert.throws(() => readTar('cut.tar', tar.subarray(0, 2048)), /cut\.tar: truncated tar archive; expected 5000 bytes of data for entry "a\.bin"; found 1536/);
  const corrupt = tar.slice(); corrupt[10] ^= 0xff;
  assert.throws(() => readTar('bad.tar', corrupt), /bad\.tar: bad tar header checksum at byte 0; expected a valid tar \(ustar\) header/);
  assert.throws(() => readTar('odd.tar', tar.subarray(0, 512 + 5120 + 100)), /odd\.tar: truncated tar archive; expected whole 512-byte blocks; found 100 trailing bytes/);
});
