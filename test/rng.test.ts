// The seeded generator behind every random choice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, maskDraw, maskThreshold } from '../src/rng.ts';

test('same seed, same stream; different seeds differ; state round-trips', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xa = Array.from({ length: 5 }, () => a.uint32());
  assert.deepEqual(xa, Array.from({ length: 5 }, () => b.uint32()));
  assert.notDeepEqual(xa, Array.from({ length: 5 }, () => c.uint32()));
  const s = a.state();
  const next = [a.next(), a.next()];
  const d = new Rng(0); d.setState(s);
  assert.deepEqual([d.next(), d.next()], next);
  assert.throws(() => new Rng(NaN), /seed must be an integer from 0 to 4294967295, got NaN/);
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

test('dropout masks are counter based: a mask is a pure function of its key, which takes exactly two draws', () => {
  // Known answers pin the formula that JS, C++ (native/src/dropout-mask.cc) and WGSL
  // (src/backend/webgpu-dropout.ts) share: triple32(triple32(j + k0) ^ k1).
  assert.equal(maskDraw(0, 0, 0), 0);
  assert.equal(maskDraw(0, 0, 1), 0x23411413);          // (from an independent Python implementation)
  assert.equal(maskDraw(0x9e3779b9, 0x7f4a7c15, 12345), 0x0c4b2946);
  assert.equal(maskDraw(0xffffffff, 0x12345678, 1), maskDraw(0, 0x12345678, 0), 'j + k0 wraps mod 2^32');
  const r = new Rng(9), s = new Rng(9);
  const [k0, k1] = r.maskKey();
  const m = s.bernoulliMask(1001, 0.3, 1 / 0.3);
  assert.deepEqual(r.state(), s.state(), 'a mask advances the stream by the two draws of its key');
  const t = maskThreshold(0.3);
  for (const i of [0, 1, 2, 999, 1000]) {
    const draw = maskDraw(k0, k1, i >> 1);
    const coin = i % 2 ? draw >>> 16 : draw & 0xffff;
    assert.equal(m[i], coin < t ? Math.fround(1 / 0.3) : 0, `element ${i}`);
  }
  // Neighbouring elements and pairs are independent: P(both kept) ≈ keep².
  const big = new Rng(4).bernoulliMask(200_000, 0.5, 2);
  let both = 0, pairs = 0;
  for (let i = 0; i + 1 < big.length; i++) { if (big[i] && big[i + 1]) both++; pairs++; }
  assert.ok(Math.abs(both / pairs - 0.25) < 0.005, `P(both kept) ${both / pairs}`);
});
