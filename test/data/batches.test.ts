import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/rng.ts';
import { augmentBatch, drawTransform, transformImage, IDENTITY, augmentationPreset } from '../../src/data/augment.ts';
import { batchesPerEpoch, epochArrays, epochBatches, epochOrder, toFloat32 } from '../../src/data/batches.ts';
import { classCounts, splitValidation, subsetPerClass } from '../../src/data/split.ts';
import { deriveSeed } from '../../src/data/seeds.ts';
import type { ImageSet } from '../../src/data/types.ts';
import { labelsFor, randomBytes } from './synth.ts';

function makeSet(n: number, shape: [number, number, number], seed = 1, k = 10): ImageSet {
  return { images: randomBytes(n * shape[0] * shape[1] * shape[2], seed), labels: labelsFor(n, k, seed + 1), n, shape };
}

test('splitValidation: seeded, disjoint, complete, order kept', () => {
  const set = makeSet(200, [4, 4, 1]);
  // Tag each image with its index in its first pixel so we can trace it.
  for (let i = 0; i < 200; i++) set.images[i * 16] = i;
  const a = splitValidation(set, 50, 7);
  const b = splitValidation(set, 50, 7);
  const c = splitValidation(set, 50, 8);
  const ids = (s: ImageSet) => Array.from({ length: s.n }, (_, i) => s.images[i * 16]);
  assert.deepEqual(ids(a.val), ids(b.val));
  assert.notDeepEqual(ids(a.val), ids(c.val));
  assert.equal(a.val.n, 50); assert.equal(a.train.n, 150);
  const all = [...ids(a.train), ...ids(a.val)].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 200 }, (_, i) => i));
  assert.deepEqual(ids(a.val), [...ids(a.val)].sort((x, y) => x - y));
  for (let i = 0; i < a.val.n; i++) assert.equal(a.val.labels[i], set.labels[ids(a.val)[i]]);
  assert.throws(() => splitValidation(set, 200, 1), /bad validation size/);
});

test('subsetPerClass: first N of each class in file order', () => {
  const set = makeSet(100, [2, 2, 1]);
  const sub = subsetPerClass(set, 3, 10);
  assert.equal(sub.n, 30);
  assert.deepEqual(classCounts(sub, 10), new Array(10).fill(3));
  const firstOf0 = Array.from(set.labels).map((l, i) => [l, i]).filter(([l]) => l === 0).slice(0, 3).map(([, i]) => i);
  const got = Array.from(sub.labels).map((l, i) => [l, i]).filter(([l]) => l === 0).map(([, i]) => i);
  got.forEach((j, r) => assert.deepEqual(sub.images.subarray(j * 4, j * 4 + 4), set.images.subarray(firstOf0[r] * 4, firstOf0[r] * 4 + 4)));
  assert.equal(subsetPerClass(set, 1000, 10).n, 100);      // fewer available: keep all
});

test('epochOrder: a permutation fixed by (seed, epoch); factor repeats each image', () => {
  const o = epochOrder(50, 1, 0);
  assert.deepEqual(Array.from(o).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(o, epochOrder(50, 1, 0));
  assert.notDeepEqual(o, epochOrder(50, 1, 1));
  assert.notDeepEqual(o, epochOrder(50, 2, 0));
  const k3 = epochOrder(10, 1, 0, 3);
  assert.equal(k3.length, 30);
  assert.deepEqual(Array.from(k3).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => Math.floor(i / 3)));
  assert.deepEqual(Array.from(epochOrder(4, 1, 0, 1, false)), [0, 1, 2, 3]);
  assert.notEqual(deriveSeed(1, 2), deriveSeed(2, 1));
});

test('batches: last partial batch included, values x/255, labels match, tensors [b,h,w,c]', () => {
  const set = makeSet(23, [3, 3, 2]);
  const batches = [...epochArrays(set, { batchSize: 10, seed: 1, epoch: 0 })];
  assert.deepEqual(batches.map((b) => b.indices.length), [10, 10, 3]);
  assert.equal(batchesPerEpoch(23, 10), 3);
  const seen = batches.flatMap((b) => Array.from(b.indices)).sort((a, b) => a - b);
  assert.deepEqual(seen, Array.from({ length: 23 }, (_, i) => i));
  const b = batches[2];
  for (let i = 0; i < b.indices.length; i++) {
    assert.equal(b.y[i], set.labels[b.indices[i]]);
    for (let p = 0; p < 18; p++) assert.equal(b.x[i * 18 + p], Math.fround(set.images[b.indices[i] * 18 + p] / 255));
  }
  const tensors = [...epochBatches(set, { batchSize: 10, seed: 1, epoch: 0 })];
  assert.deepEqual(tensors.map((t) => t.x.shape), [[10, 3, 3, 2], [10, 3, 3, 2], [3, 3, 3, 2]]);
  assert.equal(tensors[0].x.dtype, 'float32');
  assert.deepEqual(tensors[2].x.dataSync(), b.x);
  tensors.forEach((t) => t.x.dispose());
  assert.equal(tf.memory().numTensors, 0);
});

test('resume: startBatch reproduces the rest of an epoch exactly, augmentation included', () => {
  const set = makeSet(40, [8, 8, 3]);
  const opts = { batchSize: 7, seed: 3, epoch: 2, augment: { zoom: 0.2, shift: 2, flip: true }, factor: 2 };
  const full = [...epochArrays(set, opts)];
  const resumed = [...epochArrays(set, { ...opts, startBatch: 5 })];
  assert.equal(full.length, Math.ceil(80 / 7));
  assert.deepEqual(resumed.map((b) => b.batch), full.slice(5).map((b) => b.batch));
  resumed.forEach((b, i) => { assert.deepEqual(b.x, full[5 + i].x); assert.deepEqual(b.indices, full[5 + i].indices); });
});

test('augmentation factor k: each image k times per epoch, with different transforms', () => {
  const set = makeSet(5, [6, 6, 1]);
  const batches = [...epochArrays(set, { batchSize: 4, seed: 1, epoch: 0, factor: 3, augment: { shift: 2 } })];
  const all = batches.flatMap((b) => Array.from(b.indices));
  assert.equal(all.length, 15);
  for (let k = 0; k < 5; k++) assert.equal(all.filter((i) => i === k).length, 3);
  // The copies of image 0 differ from each other (fresh random shifts).
  const copies: Float32Array[] = [];
  for (const b of batches) b.indices.forEach((idx, i) => { if (idx === 0) copies.push(b.x.subarray(i * 36, (i + 1) * 36)); });
  assert.notDeepEqual(copies[0], copies[1]);
});

test('augmentation: zero shift/zoom is the identity, flip is the left-right mirror', () => {
  const set = makeSet(4, [5, 7, 3], 9);
  const indices = [0, 1, 2, 3];
  const plain = toFloat32(set, indices);
  const identity = augmentBatch(set, indices, new Rng(1), { zoom: 0, shift: 0, flip: false });
  assert.deepEqual(identity, plain);
  for (const fill of ['edge', 'zero'] as const) {
    const out = new Float32Array(5 * 7 * 3);
    transformImage(set, 2, IDENTITY, fill, out, 0);
    assert.deepEqual(out, plain.subarray(2 * 105, 3 * 105));
  }
  const flipped = new Float32Array(105);
  transformImage(set, 1, { ...IDENTITY, flip: true }, 'zero', flipped, 0);
  const [h, w, c] = set.shape;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    assert.equal(flipped[(y * w + x) * c + k], plain[105 + (y * w + (w - 1 - x)) * c + k]);
  }
});

test('augmentation: integer shift moves content, zero fill outside, zoom keeps the centre', () => {
  const set: ImageSet = { images: new Uint8Array(25), labels: new Uint8Array(1), n: 1, shape: [5, 5, 1] };
  set.images[2 * 5 + 2] = 255;                                   // one white pixel at the centre
  const out = new Float32Array(25);
  transformImage(set, 0, { scale: 1, dx: 1, dy: -2, flip: false }, 'zero', out, 0);
  assert.equal(out[0 * 5 + 3], 1);                               // moved right 1, up 2
  assert.equal(out.reduce((a, b) => a + b, 0), 1);
  transformImage(set, 0, { scale: 2, dx: 0, dy: 0, flip: false }, 'zero', out, 0);
  assert.equal(out[12], 1);                                     // centre stays the centre
  assert.ok(out[11] > 0 && out[11] < 1);                         // zoomed in: spread to neighbours
});

test('augmentation is seeded: same seed same batch, other seed other batch', () => {
  const set = makeSet(16, [8, 8, 3]);
  const opts = { batchSize: 16, epoch: 0, augment: augmentationPreset('cifar10') };
  const a = [...epochArrays(set, { ...opts, seed: 5 })][0];
  const b = [...epochArrays(set, { ...opts, seed: 5 })][0];
  const c = [...epochArrays(set, { ...opts, seed: 6 })][0];
  assert.deepEqual(a.x, b.x);
  assert.notDeepEqual(a.x, c.x);
  const t1 = drawTransform(new Rng(1), { zoom: 0.1, shift: 3, flip: true });
  assert.ok(t1.scale >= 0.9 && t1.scale <= 1.1 && Math.abs(t1.dx) <= 3 && Math.abs(t1.dy) <= 3);
  assert.equal(augmentationPreset('mnist').flip, false, 'mirrored digits are not digits');
});
