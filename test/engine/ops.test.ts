// The engine's own ops (src/ops.ts) and the boundary they draw: the layers, rules, network, step
// and action selection import nothing from src/backend/ (directly or through anything they import),
// and an op runs the kernel the active backend registered under its name, else its generic form —
// whatever the backend is called.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend.ts';
import { ADD_PRODUCT_IN_PLACE, BERNOULLI_MASK, addProductInPlace, dropoutMask, type BernoulliMaskAttrs } from '../../src/ops.ts';
import { Rng } from '../../src/rng.ts';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** Every module of src/ that `file` loads, following relative imports (static and dynamic). */
function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = fs.readFileSync(file, 'utf8');
  // import … from './x', import './x' (for its effects), export … from './x', import('./x')
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?(?:from\s*)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2];
    const target = path.resolve(path.dirname(file), spec);
    if (fs.existsSync(target)) closure(target, seen);
  }
  return seen;
}

test('the engine imports nothing from src/backend/: layers, rules, network, step, action (and all they import)', () => {
  const roots = [
    ...['layers', 'rules'].flatMap(d => fs.readdirSync(path.join(SRC, d)).filter(f => f.endsWith('.ts')).map(f => path.join(SRC, d, f))),
    ...['network.ts', 'step.ts', 'action.ts'].map(f => path.join(SRC, f)),
  ];
  assert.ok(roots.length >= 10);
  const loaded = new Set<string>();
  for (const r of roots) for (const f of closure(r)) loaded.add(f);
  const backend = [...loaded].filter(f => f.startsWith(path.join(SRC, 'backend') + path.sep) || f === path.join(SRC, 'backend.ts'));
  assert.deepEqual(backend.map(f => path.relative(SRC, f)), [], 'engine modules that reach into the backends');
  for (const f of roots) assert.doesNotMatch(fs.readFileSync(f, 'utf8'), /getBackend\(|backendInfo\(|\.backendName/, `${path.relative(SRC, f)} asks which backend runs`);
});

test('an op runs the kernel registered for the active backend under its name, else its generic form', async () => {
  await initBackend({ backend: 'cpu' });
  // No registration on cpu: the generic forms.
  assert.equal(tf.getKernel(BERNOULLI_MASK, 'cpu'), undefined);
  const generic = dropoutMask(new Rng(3), [4, 50], 0.7);
  assert.deepEqual(await generic.data(), new Rng(3).bernoulliMask(200, 0.7, 1 / 0.7));
  generic.dispose();
  // A registration under the name is what counts, not the backend's name.
  const seen: BernoulliMaskAttrs[] = [];
  tf.registerKernel({
    kernelName: BERNOULLI_MASK, backendName: 'cpu',
    kernelFunc: ({ backend, attrs }) => {
      seen.push(attrs as unknown as BernoulliMaskAttrs);
      const { shape, scale } = attrs as unknown as BernoulliMaskAttrs;
      const n = shape.reduce((a, b) => a * b, 1);
      return (backend as unknown as { makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo }).makeTensorInfo(shape, 'float32', new Float32Array(n).fill(scale));
    },
  });
  try {
    const rng = new Rng(5), ref = new Rng(5);
    const m = dropoutMask(rng, [3, 2], 0.5);
    assert.deepEqual(m.shape, [3, 2]);
    assert.deepEqual([...await m.data()], [2, 2, 2, 2, 2, 2]);
    m.dispose();
    const [k0, k1] = ref.maskKey();
    assert.deepEqual(seen, [{ shape: [3, 2], key0: k0, key1: k1, threshold: 32768, scale: 2 }], 'the kernel gets the mask key, not the generator');
    assert.deepEqual(rng.state(), ref.state(), 'one key drawn, as in the generic form');
  } finally {
    tf.unregisterKernel(BERNOULLI_MASK, 'cpu');
  }
});

test('addProductInPlace: the generic form is ΔW = scale·preᵀ·post, then W + ΔW − decay·W; a registered kernel writes in place', async () => {
  await initBackend({ backend: 'cpu' });
  const W = tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
  const a = tf.tensor2d([[1, 2]]), b = tf.tensor2d([[10, 20]]);
  assert.equal(addProductInPlace(W, a, b, 0.5, 0), false);
  assert.deepEqual([...await W.data()], [6, 12, 13, 24]);
  assert.equal(addProductInPlace(W, a, b, 0.5, 0.5), false);
  const f = Math.fround;
  assert.deepEqual([...await W.data()], [f(6 + 5) - 3, f(12 + 10) - 6, f(13 + 10) - 6.5, f(24 + 20) - 12]);
  let calls = 0;
  tf.registerKernel({
    kernelName: ADD_PRODUCT_IN_PLACE, backendName: 'cpu',
    kernelFunc: ({ inputs, backend }) => {
      calls++;
      const { dataId, shape, dtype } = inputs.w!;
      (backend as unknown as { incRef(id: object): void }).incRef(dataId);
      return { dataId, shape, dtype };
    },
  });
  try {
    const tensors = tf.memory().numTensors;
    assert.equal(addProductInPlace(W, a, b, 0.5, 0), true);
    assert.equal(calls, 1);
    assert.equal(tf.memory().numTensors, tensors, 'the op gives back the reference the kernel added');
    const held = W.reshape([4]);
    assert.equal(addProductInPlace(W, a, b, 0.5, 0), false, 'never in place while another tensor shares W\'s buffer');
    assert.equal(calls, 1);
    held.dispose();
  } finally {
    tf.unregisterKernel(ADD_PRODUCT_IN_PLACE, 'cpu');
  }
  tf.dispose([W, a, b]);
});
