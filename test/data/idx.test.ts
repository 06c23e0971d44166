import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../../src/data/errors.ts';
import { gunzipIfNeeded } from '../../src/data/gzip.ts';
import { encodeIdx, parseIdx, parseIdxImages, parseIdxLabels } from '../../src/data/idx.ts';
import { gzipSync, randomBytes, tempDir, writeIdxDataset } from './synth.ts';

test('IDX images and labels parse back exactly, raw and gzipped', async (t) => {
  for (const gz of [false, true]) {
    const dir = tempDir(t);
    const { train } = writeIdxDataset(dir, { nTrain: 30, nTest: 5, gz });
    const read = async (name: string) => {
      const path = join(dir, gz ? `${name}.gz` : name);
      return gunzipIfNeeded(path, new Uint8Array(readFileSync(path)));
    };
    const img = parseIdxImages('x', await read('train-images-idx3-ubyte'), [28, 28]);
    assert.equal(img.n, 30);
    assert.deepEqual([img.h, img.w], [28, 28]);
    assert.deepEqual(img.pixels, train.images);
    assert.deepEqual(parseIdxLabels('y', await read('train-labels-idx1-ubyte'), 10), train.labels);
  }
});

test('IDX header: dims and magic', () => {
  const data = randomBytes(2 * 3 * 4, 5);
  const parsed = parseIdx('f', encodeIdx([2, 3, 4], data));
  assert.deepEqual(parsed.dims, [2, 3, 4]);
  assert.deepEqual(parsed.data, data);
});

function throwsData(fn: () => unknown, ...patterns: RegExp[]) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DataError, `expected DataError, got ${err}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

test('bad IDX files: each error names the file, the expectation and what was found', () => {
  const good = encodeIdx([3, 28, 28], randomBytes(3 * 784, 1));
  // wrong magic
  const badMagic = good.slice(); badMagic[0] = 0x12;
  throwsData(() => parseIdx('imgs.idx', badMagic), /imgs\.idx/, /magic/, /expected.*0x00000803/, /found 0x12/);
  // truncated data
  throwsData(() => parseIdx('imgs.idx', good.subarray(0, good.length - 100)), /imgs\.idx: truncated IDX file/, /expected 2368 bytes for dims \[3, 28, 28\]/, /found 2268 bytes/);
  // truncated header
  throwsData(() => parseIdx('h.idx', good.subarray(0, 10)), /h\.idx/, /truncated IDX header/, /expected 16 header bytes/);
  throwsData(() => parseIdx('e.idx', new Uint8Array(0)), /e\.idx/, /found 0 bytes/);
  // longer than the dims say
  const long = new Uint8Array(good.length + 7); long.set(good);
  throwsData(() => parseIdx('l.idx', long), /longer than its header/, /found 2375 bytes/);
  // wrong type code
  const float = good.slice(); float[2] = 0x0d;
  throwsData(() => parseIdx('t.idx', float), /unsupported IDX data type/, /found 0xd/);
  // labels file given where images are expected, and vice versa
  throwsData(() => parseIdxImages('lab.idx', encodeIdx([4], new Uint8Array(4))), /lab\.idx/, /0x00000803/, /found 0x00000801/);
  throwsData(() => parseIdxLabels('img.idx', good, 10), /img\.idx/, /0x00000801/, /found 0x00000803/);
  // wrong image size
  throwsData(() => parseIdxImages('s.idx', encodeIdx([1, 32, 32], new Uint8Array(1024)), [28, 28]), /expected 28x28 images; found 32x32/);
  // label out of range
  throwsData(() => parseIdxLabels('lab.idx', encodeIdx([3], Uint8Array.from([1, 10, 2])), 10), /lab\.idx: label out of range at record 1/, /expected a label in 0\.\.9/, /found 10/);
});

test('bad gzip: not gzip despite .gz, and a cut gzip stream', async (t) => {
  const dir = tempDir(t);
  const raw = encodeIdx([5], new Uint8Array(5));
  await assert.rejects(gunzipIfNeeded(join(dir, 'a.gz'), raw), /a\.gz: not a gzip file; expected gzip magic bytes 1f 8b; found 00 00/);
  const gz = gzipSync(encodeIdx([1000, 28, 28], randomBytes(784000, 3)));
  const cut = gz.subarray(0, gz.length >> 1);
  writeFileSync(join(dir, 'cut.gz'), cut);
  await assert.rejects(gunzipIfNeeded(join(dir, 'cut.gz'), cut), (err: unknown) => {
    assert.ok(err instanceof DataError);
    assert.match(err.message, /cut\.gz: corrupt or truncated gzip data; expected a complete gzip stream; found \d+ bytes/);
    return true;
  });
  // raw content passes through untouched whatever the name
  assert.equal(await gunzipIfNeeded('plain', raw), raw);
});
