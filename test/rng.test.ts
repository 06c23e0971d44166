// The seeded generator behind every random choice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/rng.ts';

test('same seed, same stream; different seeds differ; state round-trips', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xa = Array.from({ length: 5 }, () => a.uint32());
  assert.deepEqual(xa, Array.from({ length: 5 }, () => b.uint32()));
  assert.notDeepEqual(xa, Array.from({ length: 5 }, () => c.uint32()));
  const s = a.state();
  const next = [a.next(), a.next()];
  const d = new Rng(0); d.setState(s);
  assert.deepEqual([d.next(), d.next()], next);
  assert.throws(() => new Rng(NaN), /seed must be a finite number/);
});

test('uniform ranges, integer draws, shuffles are permutations', () => {
  const r = new Rng(1);
  const u = r.uniformArray(10000, -0.02, 0.02);
  assert.ok(u.every(v => v >= -0.02 && v < 0.02));
  assert.ok(Math.abs(u.reduce((s, v) => s + v, 0) / u.length) < 0.001);
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) counts[r.int(3)]++;
  assert.ok(counts.every(k => k > 900 && k < 1100), `int(3) counts ${counts}`);
  const p = r.shuffle(Uint32Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.notDeepEqual([...p], Array.from({ length: 100 }, (_, i) => i));
});

test('dropout masks: the kept fraction matches, values are 0 or the scale, and the stream advances', () => {
  const r = new Rng(9);
  for (const keep of [0.2, 0.5, 0.7]) {
    const m = r.bernoulliMask(100001, keep, 1 / keep);
    const kept = m.filter(v => v !== 0);
    assert.ok(Math.abs(kept.length / m.length - keep) < 0.01, `keep ${keep}: got ${kept.length / m.length}`);
    assert.ok(kept.every(v => v === Math.fround(1 / keep)));
  }
  const x = new Rng(1), y = new Rng(1);
  assert.deepEqual(x.bernoulliMask(11, 0.5, 2), y.bernoulliMask(11, 0.5, 2));
  assert.notDeepEqual(x.bernoulliMask(64, 0.5, 2), new Rng(1).bernoulliMask(64, 0.5, 2));
});
