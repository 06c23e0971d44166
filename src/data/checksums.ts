// Official checksums and the rules for when they apply.
//
// Rule: a checksum is enforced (mismatch = DataError) when the file claims to be the official file,
// i.e. it has an official name AND (for IDX files) its content has the official size. A file with an
// official name but another size is taken as a user-made subset in the official layout: it is
// validated structurally and marked 'unverified'. Downloads are always checked (see download.ts).
//
// CIFAR publishes an MD5 only for the .tar.gz archives, not for the .bin files inside. For the
// extracted CIFAR-10 .bin files we check "fingerprints" instead: MD5s of slices of the official files
// (first 1,000 records of data_batch_1.bin and test_batch.bin; all labels of each training batch).
// A mismatch does not fail the load (a rebuilt copy in the official layout is legitimate), it marks
// the dataset as not exact.

import { createHash } from 'node:crypto';
import { DataError } from './errors.ts';
import type { DatasetName, Verification } from './types.ts';

export function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** One official IDX file, keyed by its raw (uncompressed) name. */
export interface IdxChecksum {
  gzMd5: string;
  /** MD5 of the uncompressed file, when published (MNIST yes, Fashion-MNIST no). */
  rawMd5?: string;
  rawSize: number;
}

const MNIST_SIZES = {
  'train-images-idx3-ubyte': 16 + 60000 * 784,
  'train-labels-idx1-ubyte': 8 + 60000,
  't10k-images-idx3-ubyte': 16 + 10000 * 784,
  't10k-labels-idx1-ubyte': 8 + 10000,
} as const;

export const IDX_CHECKSUMS: Record<'mnist' | 'fashion-mnist', Record<string, IdxChecksum>> = {
  mnist: {
    'train-images-idx3-ubyte': { gzMd5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873', rawMd5: '6bbc9ace898e44ae57da46a324031adb', rawSize: MNIST_SIZES['train-images-idx3-ubyte'] },
    'train-labels-idx1-ubyte': { gzMd5: 'd53e105ee54ea40749a09fcbcd1e9432', rawMd5: 'a25bea736e30d166cdddb491f175f624', rawSize: MNIST_SIZES['train-labels-idx1-ubyte'] },
    't10k-images-idx3-ubyte': { gzMd5: '9fb629c4189551a2d022fa330f9573f3', rawMd5: '2646ac647ad5339dbf082846283269ea', rawSize: MNIST_SIZES['t10k-images-idx3-ubyte'] },
    't10k-labels-idx1-ubyte': { gzMd5: 'ec29112dd5afa0611ce80d1b7f02629c', rawMd5: '27ae3e4e09519cfbb04c329615203637', rawSize: MNIST_SIZES['t10k-labels-idx1-ubyte'] },
  },
  'fashion-mnist': {
    'train-images-idx3-ubyte': { gzMd5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d', rawSize: MNIST_SIZES['train-images-idx3-ubyte'] },
    'train-labels-idx1-ubyte': { gzMd5: '25c81989df183df01b3e8a0aad5dffbe', rawSize: MNIST_SIZES['train-labels-idx1-ubyte'] },
    't10k-images-idx3-ubyte': { gzMd5: 'bef4ecab320f06d8554ea6380940ec79', rawSize: MNIST_SIZES['t10k-images-idx3-ubyte'] },
    't10k-labels-idx1-ubyte': { gzMd5: 'bb300cfdad3c16e7a12a480ee83cd310', rawSize: MNIST_SIZES['t10k-labels-idx1-ubyte'] },
  },
};

/** MD5s of the official CIFAR archives (the only CIFAR checksums Toronto publishes). */
export const ARCHIVE_CHECKSUMS: Record<'cifar10' | 'cifar100', { file: string; md5: string }> = {
  cifar10: { file: 'cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530' },
  cifar100: { file: 'cifar-100-binary.tar.gz', md5: '03b5dce01913d631647c71ecec9e9cb8' },
};

/**
 * Slices of the official CIFAR-10 binary files (computed from a bit-exact copy of the official
 * records). `records`: MD5 of the first `count` whole records (label + pixels);
 * `labels`: MD5 of all 10,000 label bytes of a training batch, in file order.
 */
export const CIFAR10_FINGERPRINTS = {
  records: {
    data_batch_1: { count: 1000, md5: '6672568c6f9da0ae2d58cd800deb0f83' },
    test_batch: { count: 1000, md5: '371f65da31ad652f5e24b3699a3e6515' },
  } as Record<string, { count: number; md5: string }>,
  labels: {
    data_batch_1: '30f55b79f7954f592721267e37ffcbcf',
    data_batch_2: 'bdca50851f742064551c3fa947e975d6',
    data_batch_3: '23228d18cd9f4c032bb8cfa72996e3ef',
    data_batch_4: '61be7314d261d42101f429408af67a28',
    data_batch_5: '8ca6bc10f4bd0e81fba552f724423842',
  } as Record<string, string>,
};

/** Extra or replacement MD5s by file name (as stored), e.g. for mirrors or tests. Always enforced. */
export type ChecksumOverrides = Record<string, string>;

export interface CheckResult { md5: string; verification: Verification; note?: string }

function mismatch(file: string, expected: string, found: string, what: string): DataError {
  return new DataError(`${what} checksum mismatch (file corrupt or not the official file)`, {
    file, expected: `MD5 ${expected}`, found: `MD5 ${found}`,
    hint: 'Delete the file and download it again, or replace it with the official file.',
  });
}

/**
 * Check one IDX file. `stored` is the file as on disk, `raw` the uncompressed content,
 * `storedName` the file's base name (with .gz if compressed).
 */
export function checkIdx(
  dataset: 'mnist' | 'fashion-mnist', path: string, storedName: string,
  stored: Uint8Array, raw: Uint8Array, overrides: ChecksumOverrides = {},
): CheckResult {
  const storedMd5 = md5(stored);
  const override = overrides[storedName];
  if (override !== undefined) {
    if (override !== storedMd5) throw mismatch(path, override, storedMd5, 'file');
    return { md5: storedMd5, verification: 'md5' };
  }
  const rawName = storedName.replace(/\.gz$/, '');
  const official = IDX_CHECKSUMS[dataset][rawName];
  if (!official) return { md5: storedMd5, verification: 'unverified', note: 'not an official file name' };
  if (raw.length !== official.rawSize) {
    return { md5: storedMd5, verification: 'unverified', note: `subset (${raw.length} bytes, official ${official.rawSize})` };
  }
  // Prefer the content checksum: it does not depend on how the file was compressed.
  if (official.rawMd5) {
    const rawMd5 = stored === raw ? storedMd5 : md5(raw);
    if (rawMd5 !== official.rawMd5) throw mismatch(path, official.rawMd5, rawMd5, 'uncompressed content');
    return { md5: storedMd5, verification: 'md5' };
  }
  if (stored !== raw) {
    if (storedMd5 !== official.gzMd5) throw mismatch(path, official.gzMd5, storedMd5, 'file');
    return { md5: storedMd5, verification: 'md5' };
  }
  return { md5: storedMd5, verification: 'unverified', note: 'no published MD5 for the uncompressed file' };
}

/** Check a CIFAR archive: enforced for the official name or an override, else unverified. */
export function checkArchive(
  dataset: 'cifar10' | 'cifar100', path: string, storedName: string,
  bytes: Uint8Array, overrides: ChecksumOverrides = {},
): CheckResult {
  const found = md5(bytes);
  const official = ARCHIVE_CHECKSUMS[dataset];
  const expected = overrides[storedName] ?? (storedName === official.file ? official.md5 : undefined);
  if (expected === undefined) return { md5: found, verification: 'unverified', note: 'not the official archive name' };
  if (expected !== found) throw mismatch(path, expected, found, 'archive');
  return { md5: found, verification: 'md5' };
}

/**
 * Compare an extracted CIFAR-10 .bin file with the official fingerprints. `batch` is the official
 * base name it claims to be ('data_batch_3', 'test_batch'), from its file name.
 */
export function checkCifar10Bin(batch: string, bytes: Uint8Array, recordSize: number): CheckResult {
  const found = md5(bytes);
  const n = bytes.length / recordSize;
  const checked: string[] = [];
  const records = CIFAR10_FINGERPRINTS.records[batch];
  if (records && n >= records.count) {
    if (md5(bytes.subarray(0, records.count * recordSize)) !== records.md5) {
      return { md5: found, verification: 'differs', note: `first ${records.count} records differ from the official ${batch}.bin` };
    }
    checked.push(`first ${records.count} records`);
  }
  const labels = CIFAR10_FINGERPRINTS.labels[batch];
  if (labels && n === 10000) {
    const labelBytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) labelBytes[i] = bytes[i * recordSize];
    if (md5(labelBytes) !== labels) {
      return { md5: found, verification: 'differs', note: `labels differ from the official ${batch}.bin` };
    }
    checked.push('all labels');
  }
  if (checked.length === 0) return { md5: found, verification: 'unverified', note: 'no official fingerprint applies' };
  return { md5: found, verification: 'fingerprint', note: `matches official ${batch}.bin: ${checked.join(', ')}` };
}
