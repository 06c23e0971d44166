import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAPER_TABLE1, paperRowIndex, presetName } from '../../src/results/paper-table1.ts';

test('22 rows: 6 MNIST, 8 CIFAR10, 8 CIFAR100; each setting once', () => {
  assert.equal(PAPER_TABLE1.length, 22);
  const count = (d: string) => PAPER_TABLE1.filter((r) => r.dataset === d).length;
  assert.deepEqual([count('mnist'), count('cifar10'), count('cifar100')], [6, 8, 8]);
  assert.equal(new Set(PAPER_TABLE1.map(presetName)).size, 22);
});

test('preset names follow the convention', () => {
  assert.equal(presetName(PAPER_TABLE1[0]), 'mnist-fc-deepagrel');
  assert.equal(presetName({ dataset: 'cifar10', arch: 'conv', augment: true, rule: 'ebp' }), 'cifar10-conv-aug-ebp');
});

test('the second CIFAR block is the augmented one, and it is more accurate', () => {
  for (const r of PAPER_TABLE1.filter((x) => x.augment)) {
    const plain = PAPER_TABLE1[paperRowIndex({ ...r, augment: false })];
    assert.ok(r.accMean > plain.accMean, `${presetName(r)} beats ${presetName(plain)}`);
  }
  assert.equal(PAPER_TABLE1.filter((r) => r.augment).length, 8);
});

test('spot checks, and the one "*" row', () => {
  const row = (p: string) => PAPER_TABLE1.find((r) => presetName(r) === p)!;
  assert.deepEqual(row('mnist-conv-deepagrel'), { dataset: 'mnist', arch: 'conv', augment: false, rule: 'deepagrel',
    hidden: '21632-5408-1000-500', alpha: 1, epochsMean: 59, epochsSd: 21, accMean: 99.16, accSd: 0.16 });
  assert.equal(row('cifar100-loccon-aug-ebp').epochsMean, 46);
  assert.equal(row('cifar10-conv-aug-deepagrel').accMean, 79.97);
  assert.deepEqual(PAPER_TABLE1.filter((r) => r.convergedNote).map(presetName), ['cifar100-conv-deepagrel']);
  assert.equal(paperRowIndex({ dataset: 'mnist', arch: 'conv', augment: true, rule: 'ebp' }), -1);
});
