// The weight-transport modes (issue 32; src/feedback/): sign-symmetric, Kolen–Pollack and direct
// (DFA) feedback, for both rules. Each reduces to a known mode where it should, DFA's update is
// checked against a hand computation, every mode trains every layer type, and the alignment to the
// true gradient is 0° for symmetric feedback and changes nothing in training.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Network, type NetworkConfig } from '../../src/network.ts';
import { trainStepSync } from '../../src/step.ts';
import { deepagrel } from '../../src/rules/deepagrel.ts';
import { ebp } from '../../src/rules/ebp.ts';
import { Rng } from '../../src/rng.ts';
import { DERIVATION_CASES } from '../../src/derivation.ts';
import { FEEDBACK_MODES, FEEDBACK, KOLEN_POLLACK_DECAY, type FeedbackMode } from '../../src/feedback/modes.ts';
import { gradientAlignmentDeg } from '../../src/feedback/alignment.ts';
import { resolvePreset } from '../../src/presets.ts';
import { quadrantTask } from '../helpers.ts';
import { useBackend } from './backends.ts';

before(async () => { await useBackend('cpu'); });

const base: NetworkConfig = { inputShape: [4, 4, 1], layers: [{ type: 'conv2d', filters: 3, kernelSize: 2 }, { type: 'dense', units: 12 }], numClasses: 4, init: 0.3, seed: 4 };
const { x: X, y: Y } = quadrantTask(400, 4, 4, 1, 1);
const batch = (s: number) => ({ x: tf.tensor4d(X.subarray(s * 128, (s + 1) * 128), [8, 4, 4, 1]), y: Y.subarray(s * 8, (s + 1) * 8) });
const opts = { lr: 0.2, epsilon: 0.1, beta: 1 };

function step(net: Network, s: number, rng: Rng, rule = deepagrel) {
  const b = batch(s);
  trainStepSync(net, rule, b.x, b.y, opts, rng);
  b.x.dispose();
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: lengths`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  assert.ok(m <= tol, `${what}: max difference ${m} > ${tol}`);
};

test('kolen-pollack with W′₀ = W trains step for step like symmetric feedback with the same decay', () => {
  const λ = 0.05;
  const sym = new Network({ ...base, feedback: 'symmetric', weightDecay: λ });
  const kp = new Network({ ...base, feedback: 'kolen-pollack', weightDecay: λ });
  kp.setWeights(Object.fromEntries(Object.entries(sym.getWeights()).map(([k, v]) => [k, { W: v.W, Wfb: v.W.slice() }])));
  const r1 = new Rng(2), r2 = new Rng(2);
  for (let s = 0; s < 12; s++) {
    step(sym, s, r1); step(kp, s, r2);
    const a = sym.getWeights(), b = kp.getWeights();
    for (const name of Object.keys(a)) {
      close(b[name].W, a[name].W, 1e-6, `step ${s + 1}, ${name}: W`);
      close(b[name].Wfb!, a[name].W, 1e-6, `step ${s + 1}, ${name}: W′`);
    }
  }
  sym.dispose(); kp.dispose();
});

test('kolen-pollack from a random W′: W − W′ shrinks by exactly (1 − αλ) per update; the preset default λ applies', () => {
  const λ = 0.05;
  const net = new Network({ ...base, feedback: 'kolen-pollack', weightDecay: λ });
  const diff = () => net.weightedLayers().map(l => tf.tidy(() => tf.sub(l.W!, l.Wfb!).dataSync().slice()));
  const d0 = diff();
  step(net, 0, new Rng(2));
  diff().forEach((d, i) => close(d, d0[i].map(v => v * (1 - opts.lr * λ)), 1e-6, `${net.weightedLayers()[i].name}: W − W′`));
  net.dispose();
  assert.equal(resolvePreset('mnist-fc-deepagrel', { feedback: 'kolen-pollack' }).weightDecay, KOLEN_POLLACK_DECAY);
  assert.equal(resolvePreset('mnist-fc-deepagrel', { feedback: 'kolen-pollack', weightDecay: 0.2 }).weightDecay, 0.2, 'a λ of the user\'s wins');
  assert.equal(resolvePreset('mnist-fc-deepagrel', { feedback: 'reciprocal' }).weightDecay, 0, 'reciprocal keeps the configured decay');
});

test('sign-symmetric: W′ = sign(W)·mean|W| and follows W; with every |W| equal it is W, so the first step equals symmetric feedback', () => {
  const sym = new Network({ ...base, feedback: 'symmetric' });
  const sg = new Network({ ...base, feedback: 'sign-symmetric' });
  // |W| = c everywhere: sign(W)·mean|W| = W.
  const c = 0.2;
  const flat = Object.fromEntries(Object.entries(sym.getWeights()).map(([k, v]) => [k, { W: v.W.map(w => (w >= 0 ? c : -c)) }]));
  sym.setWeights(flat);
  sg.setWeights(Object.fromEntries(Object.entries(flat).map(([k, v]) => [k, { W: v.W, Wfb: v.W.slice() }])));
  const b = batch(0);
  const deltas = (net: Network) => {
    const q = net.forward(b.x, true);
    const qv = q.dataSync(); q.dispose();
    const actions = Int32Array.from({ length: 8 }, (_, i) => i % 4);
    const out = deepagrel.signal(qv, 4, actions, b.y);
    tf.tidy(() => net.feedback(tf.tensor2d(out.signal, [8, 4])));
    const d = net.weightDeltas(0.2).map(t => { const v = t.dataSync().slice(); t.dispose(); return v; });
    net.release();
    return d;
  };
  const a = deltas(sym), g = deltas(sg);
  a.forEach((d, i) => close(g[i], d, 1e-7, `layer ${i}: ΔW`));
  assert.ok(a[0].some(v => v !== 0), 'the bottom layer learns (not a vacuous match)');
  // After updates W′ follows W: sign(W)·mean|W| of the new W, never a stale copy.
  const rng = new Rng(3);
  for (let s = 0; s < 3; s++) step(sg, s, rng);
  for (const l of sg.weightedLayers()) {
    const W = l.W!.dataSync() as Float32Array, Wfb = l.Wfb!.dataSync() as Float32Array;
    const m = W.reduce((p, v) => p + Math.abs(v), 0) / W.length;
    close(Wfb, W.map(v => Math.sign(v) * m), 1e-6, `${l.name}: W′ = sign(W)·mean|W|`);
  }
  b.x.dispose(); sym.dispose(); sg.dispose();
});

test('direct (DFA): each hidden layer learns from signal·Bₗ, by hand on a tiny net; dropout silences the units it dropped', () => {
  for (const withDropout of [false, true]) {
    const layers: NetworkConfig['layers'] = withDropout
      ? [{ type: 'dense', units: 4 }, { type: 'dense', units: 3 }, { type: 'dropout', rate: 0.5 }]
      : [{ type: 'dense', units: 4 }, { type: 'dense', units: 3 }];
    const net = new Network({ inputShape: [3], layers, numClasses: 2, init: 0.5, seed: 7, feedback: 'direct' });
    const [L1, L2] = net.weightedLayers();
    const B = net.direct!.matrices(net.layers);
    assert.deepEqual(Object.keys(B), ['dense1', 'dense2'], 'one B per hidden weighted layer');
    assert.deepEqual(B.dense1.shape, [2, 4], 'B₁ maps the outputs onto dense2\'s input');
    assert.deepEqual(B.dense2.shape, [2, 3], 'B₂ maps the outputs onto the output layer\'s input');
    const xs = [[0.3, -0.2, 0.9], [1.0, 0.5, -0.4], [0.2, 0.8, 0.1]];
    const x = tf.tensor2d(xs);
    const q = net.forward(x, true);
    const qv = q.dataSync(); q.dispose();
    const actions = Int32Array.from([1, 0, 1]), labels = [1, 1, 0];
    const { signal } = deepagrel.signal(qv, 2, actions, labels);     // δ at the selected output only
    tf.tidy(() => net.feedback(tf.tensor2d(signal, [3, 2])));
    const lr = 0.1;
    const got = net.weightDeltas(lr).map(t => { const v = t.arraySync() as number[][]; t.dispose(); return v; });
    const mask = withDropout ? ((net.layers.find(l => l.kind === 'dropout') as unknown as { mask: tf.Tensor }).mask.arraySync() as number[][]) : null;
    net.release();
    // By hand, with plain arrays.
    const W1 = L1.W!.arraySync() as number[][], W2 = L2.W!.arraySync() as number[][];
    const B1 = B.dense1.arraySync() as number[][], B2 = B.dense2.arraySync() as number[][];
    const mm = (a: number[][], b: number[][]) => a.map(r => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
    const relu = (a: number[][]) => a.map(r => r.map(v => Math.max(0, v)));
    const h1 = relu(mm(xs, W1)), h2 = relu(mm(h1, W2));
    const e = [0, 1, 2].map(b => [signal[2 * b], signal[2 * b + 1]]);
    for (let b = 0; b < 3; b++) assert.equal(e[b].filter(v => v !== 0).length <= 1, true, 'DeepAGREL: one output sends');
    const post2 = mm(e, B2).map((r, b) => r.map((v, j) => (h2[b][j] > 0 ? 1 : 0) * (mask ? mask[b][j] : 1) * v));
    const post1 = mm(e, B1).map((r, b) => r.map((v, j) => (h1[b][j] > 0 ? 1 : 0) * v));
    const outer = (pre: number[][], post: number[][]) => pre[0].map((_, p) => post[0].map((_, m) => lr / 3 * pre.reduce((s, r, b) => s + r[p] * post[b][m], 0)));
    const want = [outer(xs, post1), outer(h1, post2), outer(h2.map((r, b) => r.map((v, j) => v * (mask ? mask[b][j] : 1))), e)];
    want.forEach((w, i) => close(got[i].flat(), w.flat(), 1e-6, `${withDropout ? 'with dropout, ' : ''}layer ${i + 1}: ΔW`));
    if (mask) assert.ok(mask.flat().some(v => v === 0), 'the dropout mask dropped a unit (else the case shows nothing)');
    assert.ok(got[0].flat().some(v => v !== 0), 'the bottom layer learns');
    x.dispose(); net.dispose();
  }
});

test('direct: the projections come from the seed (a resumed run rebuilds the same Bₗ) and leave W as the symmetric net\'s', () => {
  const cfg: NetworkConfig = { ...base, layers: [{ type: 'conv2d', filters: 3, kernelSize: 2 }, { type: 'dense', units: 12 }], feedback: 'direct' };
  const a = new Network(cfg), b = new Network(cfg), c = new Network({ ...cfg, seed: 5 }), s = new Network({ ...cfg, feedback: 'symmetric' });
  const m = (n: Network) => Object.values(n.direct!.matrices(n.layers)).map(t => t.dataSync().slice());
  assert.deepEqual(m(a), m(b));
  assert.notDeepEqual(m(a), m(c));
  assert.deepEqual(a.getWeights(), s.getWeights(), 'direct draws its Bₗ after every W');
  for (const n of [a, b, c, s]) n.dispose();
});

for (const rule of [deepagrel, ebp]) {
  test(`${rule.name}: every feedback mode trains every layer type (dense, conv, locally connected, dropout) and each layer's W changes`, () => {
    for (const mode of FEEDBACK_MODES) for (const c of DERIVATION_CASES.filter(d => d.name.includes('depth 4') || d.name.includes('dropout'))) {
      const net = new Network({ inputShape: c.inputShape, layers: c.layers, numClasses: 4, init: 0.3, bias: c.bias ?? false, seed: 3, feedback: mode, weightDecay: mode === 'kolen-pollack' ? 0.01 : 0 });
      const n = c.inputShape.reduce((p, d) => p * d, 1), r = new Rng(9);
      const x = tf.tensor(r.uniformArray(8 * n, 0, 1), [8, ...c.inputShape]);
      const before = net.weightedLayers().map(l => l.W!.dataSync().slice());
      const fb0 = net.weightedLayers().map(l => l.Wfb!.dataSync().slice());
      for (let s = 0; s < 3; s++) trainStepSync(net, rule, x, Int32Array.from({ length: 8 }, (_, i) => i % 4), opts, r);
      net.weightedLayers().forEach((l, i) => {
        const W = l.W!.dataSync();
        assert.ok(W.every(Number.isFinite), `${mode}, ${c.name}, ${l.name}: finite`);
        assert.notDeepEqual(W, before[i], `${mode}, ${c.name}, ${l.name}: W learns`);
        const kind = FEEDBACK[mode].weights;
        if (kind === 'frozen') assert.deepEqual(l.Wfb!.dataSync(), fb0[i], `${mode}: W′ frozen`);
        if (kind === 'learned' || kind === 'sign') assert.notDeepEqual(l.Wfb!.dataSync(), fb0[i], `${mode}: W′ changes with W`);
        if (kind === 'shared' || kind === 'none') assert.equal(l.Wfb, l.W, `${mode}: no W′ array of its own`);
      });
      x.dispose(); net.dispose();
    }
  });
}

test('gradient alignment: 0° in symmetric mode on every layer, clearly not 0 for random feedback, and measuring changes nothing', async () => {
  const cfg: NetworkConfig = { inputShape: [10, 10, 1], layers: DERIVATION_CASES.find(c => c.name.startsWith('paper shape'))!.layers, numClasses: 4, init: 0.3, seed: 2 };
  const r = new Rng(5);
  const x = tf.tensor(r.uniformArray(16 * 100, 0, 1), [16, 10, 10, 1]);
  const labels = Int32Array.from({ length: 16 }, (_, i) => i % 4);
  for (const rule of [deepagrel, ebp]) {
    const sym = new Network({ ...cfg, feedback: 'symmetric' });
    for (const [layer, deg] of Object.entries(await gradientAlignmentDeg(sym, rule, x, labels, opts, 1))) assert.ok(deg < 0.05, `${rule.name}, symmetric, ${layer}: ${deg}° from the gradient`);
    sym.dispose();
    for (const mode of ['fixed-random', 'direct'] as FeedbackMode[]) {
      const net = new Network({ ...cfg, feedback: mode });
      const deg = await gradientAlignmentDeg(net, rule, x, labels, opts, 1);
      assert.ok(deg.output < 0.05, `${rule.name}, ${mode}: the output layer gets the true signal (${deg.output}°)`);
      assert.ok(deg.conv2d1 > 20, `${rule.name}, ${mode}: the bottom layer's update is ${deg.conv2d1}° from the gradient, expected far`);
      net.dispose();
    }
  }
  // Training with a measurement between steps = training without (dropout stream and weights untouched).
  const a = new Network({ ...cfg, feedback: 'direct' }), b = new Network({ ...cfg, feedback: 'direct' });
  const ra = new Rng(8), rb = new Rng(8);
  for (let s = 0; s < 3; s++) {
    await gradientAlignmentDeg(a, deepagrel, x, labels, opts, s);
    trainStepSync(a, deepagrel, x, labels, opts, ra);
    trainStepSync(b, deepagrel, x, labels, opts, rb);
  }
  assert.deepEqual(a.getWeights(), b.getWeights());
  x.dispose(); a.dispose(); b.dispose();
});
