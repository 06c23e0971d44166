// The symbolic check of notebook 01: mathjs's derivatives of the scalar chain network equal the
// paper's eqs (6), (7), (10); a wrong equation would be caught; the gate silences lower updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as math from 'mathjs';
import {
  CHAIN_LOSS, chainCheckMarkdown, chainCheckPassed, chainForward, chainLoss, chainRuleCheck, expandPaperSymbols, paperTex, paperUpdates, symbolicallyEqual,
} from '../../src/notebook/symbolic.ts';

test('every weight: symbolic identity, and mathjs, finite differences and the paper agree at sample points', () => {
  const c = chainRuleCheck({ samples: 150, seed: 3 });
  assert.deepEqual(c.rows.map((r) => [r.weight, r.paperEq]), [['w', '6'], ['v', '7'], ['u', '10']]);
  for (const r of c.rows) {
    assert.ok(r.identity && r.identityAtPoints, `${r.weight}: not an identity`);
    assert.ok(r.relErrorSymbolic < 1e-12, `${r.weight}: ${r.relErrorSymbolic}`);
    assert.ok(r.relErrorFiniteDiff < 1e-6, `${r.weight}: ${r.relErrorFiniteDiff}`);
  }
  assert.ok(c.silentSamples > 20 && c.silentSamples < 130, `silent samples ${c.silentSamples}: both cases must be covered`);
  assert.ok(chainCheckPassed(c));
});

test('symbolicallyEqual tells equal from different expressions (a dropped gate is caught)', () => {
  const d = math.derivative(CHAIN_LOSS, 'v').toString();
  assert.deepEqual(symbolicallyEqual(d, '-(r - w*g2*v*g1*u*x) * g1*u*x * g2 * w'), { simplified: true, atPoints: true });
  const noGate = symbolicallyEqual(d, '-(r - w*g2*v*g1*u*x) * g1*u*x * w');   // eq (7) without g²
  assert.equal(noGate.atPoints, false);
  assert.equal(noGate.simplified, false);
  // simplify alone does not expand powers: the random-point test is what decides such cases.
  assert.deepEqual(symbolicallyEqual('(a+b)^2', 'a^2 + 2*a*b + b^2'), { simplified: false, atPoints: true });
});

test('the paper\'s symbols expand to the network variables', () => {
  assert.ok(symbolicallyEqual(expandPaperSymbols(math.parse('delta * y2')).toString(), '(r - w*g2*v*g1*u*x) * g2*v*g1*u*x').atPoints);
  assert.equal(paperTex(math.parse('-delta * y1 * g2')), String.raw`- \delta\cdot y^{(1)}\cdot g^{(2)}`);
});

test('gating at a point: a silent first unit silences the updates of u and v, not the forward loss', () => {
  const p = { x: 0.8, u: -1, v: 1.5, w: 0.7, r: 1 };
  const f = chainForward(p);
  assert.equal(f.g1, 0);
  assert.equal(f.y2, 0);
  assert.deepEqual(paperUpdates(p, 0.5), { w: 0, v: 0, u: 0 });   // y² = 0: even w does not change
  assert.equal(chainLoss(p), 0.5);
  const on = { ...p, u: 1 };
  const g = chainForward(on), d = paperUpdates(on, 0.5);
  assert.equal(g.g1 * g.g2, 1);
  assert.ok(Math.abs(d.u - 0.5 * g.delta * on.x * on.v * on.w) < 1e-15);
});

test('the markdown shows the derivation next to eqs 6, 7 and 10, with LaTeX', () => {
  const md = chainCheckMarkdown(chainRuleCheck({ samples: 20 }));
  for (const eq of ['(6)', '(7)', '(10)']) assert.ok(md.includes(`paper, eq. ${eq}:`), eq);
  assert.match(md, /\\frac\{\\partial E\}\{\\partial w\} = .* = - \\delta\\cdot y\^\{\(2\)\}\$\$/);
  assert.match(md, /\\Delta u_\{i,j\} = \\alpha \\cdot \\delta \\cdot x_i/);
  assert.equal((md.match(/: ✓;/g) ?? []).length, 3);
});
