// What each rule sends into the feedback network, and the action selection, as unit tests with
// numbers worked out by hand. (The derivation check takes the reward from the rule under test, so a
// rule that always paid r = 1 would still pass it; these would not.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepagrel } from '../../src/rules/deepagrel.ts';
import { ebp } from '../../src/rules/ebp.ts';
import { selectAction } from '../../src/action.ts';
import { Rng } from '../../src/rng.ts';

const q = Float32Array.of(0.2, 0.7, 0.1, /* trial 2 */ -0.5, 0.3, 0.9);
const n = 3;
const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('DeepAGREL: a right choice gives r = 1 and δ = 1 − q_s at the chosen unit only', () => {
  const { signal, reward, loss } = deepagrel.signal(q, n, Int32Array.of(1, 2), Int32Array.of(1, 2));
  assert.deepEqual([...reward], [1, 1]);
  close(signal[1], 1 - 0.7); close(signal[5], 1 - 0.9);
  for (const i of [0, 2, 3, 4]) assert.equal(signal[i], 0, `unit ${i} was not chosen and must stay silent`);
  close(loss[0], 0.5 * 0.3 ** 2); close(loss[1], 0.5 * 0.1 ** 2);
});

test('DeepAGREL: a wrong choice gives r = 0 and δ = −q_s at the chosen unit only', () => {
  const { signal, reward, loss } = deepagrel.signal(q, n, Int32Array.of(0, 1), Int32Array.of(1, 2));
  assert.deepEqual([...reward], [0, 0]);
  close(signal[0], -0.2); close(signal[4], -0.3);
  for (const i of [1, 2, 3, 5]) assert.equal(signal[i], 0);
  close(loss[0], 0.5 * 0.2 ** 2); close(loss[1], 0.5 * 0.3 ** 2);
});

test('EBP: the signal is t − softmax(q) at every output; loss is the cross-entropy; reward is the greedy choice\'s', () => {
  const labels = Int32Array.of(1, 0);
  const { signal, reward, loss } = ebp.signal(q, n, Int32Array.of(1, 2), labels);
  for (let b = 0; b < 2; b++) {
    const row = [...q.subarray(b * n, b * n + n)];
    const z = row.reduce((s, v) => s + Math.exp(v), 0);
    row.forEach((v, l) => close(signal[b * n + l], (l === labels[b] ? 1 : 0) - Math.exp(v) / z));
    close(loss[b], -Math.log(Math.exp(row[labels[b]]) / z), 1e-5);
    close(signal.subarray(b * n, b * n + n).reduce((s, v) => s + v, 0), 0);   // t and p both sum to 1
  }
  assert.deepEqual([...reward], [1, 0]);
});

test('max-Boltzmann: P(a) = (1 − ε)·[a = argmax q] + ε·softmax(βq)_a', () => {
  const qs = Float32Array.of(0.5, 1.5, 0.0, 1.0);
  for (const [epsilon, beta] of [[0.3, 1], [1, 2], [0, 1], [0.5, 0.25]]) {
    const rng = new Rng(7);
    const N = 40000;
    const counts = [0, 0, 0, 0];
    // One call over N identical rows: the same code path training takes.
    const many = new Float32Array(N * 4);
    for (let i = 0; i < N; i++) many.set(qs, i * 4);
    for (const a of selectAction(many, 4, { epsilon, beta }, rng)) counts[a]++;
    const z = [...qs].reduce((s, v) => s + Math.exp(beta * v), 0);
    const expected = [...qs].map((v, a) => (1 - epsilon) * (a === 1 ? 1 : 0) + epsilon * Math.exp(beta * v) / z);
    counts.forEach((c, a) => {
      const p = expected[a], sd = Math.sqrt(p * (1 - p) / N);
      assert.ok(Math.abs(c / N - p) <= 5 * sd + 1e-9, `ε=${epsilon} β=${beta} action ${a}: ${(c / N).toFixed(4)} vs ${p.toFixed(4)}`);
    });
  }
});
