// Small synthetic datasets in the official layouts, written by the tests themselves.

import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Rng } from '../../src/rng.ts';
import { encodeIdx } from '../../src/data/idx.ts';

export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'deepagrel-data-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function randomBytes(n: number, seed: number, max = 256): Uint8Array {
  const rng = new Rng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(max);
  return out;
}

/** Labels 0..k-1 cycling then shuffled, so every class is present. */
export function labelsFor(n: number, k: number, seed: number): Uint8Array {
  return new Rng(seed).shuffle(Uint8Array.from({ length: n }, (_, i) => i % k));
}

export interface IdxSplit { images: Uint8Array; labels: Uint8Array; n: number }

/** Write the four MNIST-layout files; returns what they hold (images are 28x28). */
export function writeIdxDataset(dir: string, opts: { nTrain: number; nTest: number; gz: boolean; seed?: number }): { train: IdxSplit; test: IdxSplit } {
  mkdirSync(dir, { recursive: true });
  const seed = opts.seed ?? 1;
  const make = (n: number, s: number): IdxSplit => ({ images: randomBytes(n * 784, s), labels: labelsFor(n, 10, s + 1), n });
  const train = make(opts.nTrain, seed);
  const test = make(opts.nTest, seed + 10);
  const put = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, opts.gz ? `${name}.gz` : name), opts.gz ? gzipSync(bytes) : bytes);
  put('train-images-idx3-ubyte', encodeIdx([train.n, 28, 28], train.images));
  put('train-labels-idx1-ubyte', encodeIdx([train.n], train.labels));
  put('t10k-images-idx3-ubyte', encodeIdx([test.n, 28, 28], test.images));
  put('t10k-labels-idx1-ubyte', encodeIdx([test.n], test.labels));
  return { train, test };
}

/** CIFAR records and the NHWC images/labels they should parse to. */
export function cifarRecords(variant: 'cifar10' | 'cifar100', n: number, seed: number) {
  const labelBytes = variant === 'cifar10' ? 1 : 2;
  const size = labelBytes + 3072;
  const bytes = new Uint8Array(n * size);
  const planes = randomBytes(n * 3072, seed);
  const coarse = labelsFor(n, 20, seed + 1);
  const fine = labelsFor(n, variant === 'cifar10' ? 10 : 100, seed + 2);
  const nhwc = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++) {
    if (variant === 'cifar10') bytes[i * size] = fine[i];
    else { bytes[i * size] = coarse[i]; bytes[i * size + 1] = fine[i]; }
    bytes.set(planes.subarray(i * 3072, (i + 1) * 3072), i * size + labelBytes);
    for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) nhwc[i * 3072 + p * 3 + c] = planes[i * 3072 + c * 1024 + p];
    }
  }
  return { bytes, nhwc, fine, coarse, n };
}

/** A ustar archive of regular files (names up to 100 chars; enough for the official layout). */
export function makeTar(entries: { name: string; data: Uint8Array }[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const enc = new TextEncoder();
  const field = (h: Uint8Array, off: number, len: number, text: string) => h.set(enc.encode(text).subarray(0, len), off);
  const addHeader = (name: string, size: number, type: string) => {
    const h = new Uint8Array(512);
    field(h, 0, 100, name);
    field(h, 100, 8, '0000644\0');
    field(h, 108, 8, '0000000\0');
    field(h, 116, 8, '0000000\0');
    field(h, 124, 12, size.toString(8).padStart(11, '0') + '\0');
    field(h, 136, 12, '00000000000\0');
    field(h, 156, 1, type);
    field(h, 257, 6, 'ustar\0');
    field(h, 263, 2, '00');
    h.fill(0x20, 148, 156);
    const sum = h.reduce((a, b) => a + b, 0);
    field(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
    blocks.push(h);
  };
  const addData = (data: Uint8Array) => {
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    blocks.push(padded);
  };
  for (const { name, data } of entries) {
    if (name.length > 100) {                    // GNU long name, as GNU tar writes it
      const longName = enc.encode(name + '\0');
      addHeader('././@LongLink', longName.length, 'L');
      addData(longName);
    }
    if (name.endsWith('/')) { addHeader(name, 0, '5'); continue; }
    addHeader(name.slice(0, 100), data.length, '0');
    addData(data);
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((s, b) => s + b.length, 0));
  let at = 0;
  for (const b of blocks) { out.set(b, at); at += b.length; }
  return out;
}

export const enc = (s: string) => new TextEncoder().encode(s);
export { gzipSync };
