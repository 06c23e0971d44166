// The wasm replacement kernels (src/backend/wasm-*.ts) and the native kernels (oneDNN,
// src/backend/native-kernels.ts) against the cpu backend's reference kernels, on seeded random
// inputs: relative error max|got − cpu| / max|cpu| ≤ 1e-5. The native block also checks that the
// native route really ran (routeCounts), and is skipped with a message where the addon is not
// built — unless DEEPAGREL_REQUIRE_NATIVE=1 (CI), where that is a failure.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/backend.ts';
import { Rng } from '../../src/rng.ts';
import { setBackpropFilterMethod, type BackpropFilterMethod } from '../../src/backend/wasm-conv-backprop-filter.ts';
import { setMatMulStrategy, type MatMulStrategy } from '../../src/backend/wasm-matmul.ts';
import { routeCounts } from '../../src/backend/wasm-kernels.ts';
import { nativeSkip } from '../helpers.ts';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number;
const TOL = 1e-5;

before(async () => {
  await initBackend({ backend: 'cpu' });
  await initBackend({ backend: 'wasm' });
});

function randomArray(shape: number[], seed: number): Float32Array {
  return new Rng(seed).uniformArray(shape.reduce((p, d) => p * d, 1), -1, 1);
}

/** Run `f` on `backend` with fresh tensors made from `inputs`; returns the output values. */
type Backend = 'cpu' | 'wasm' | 'native';
async function runOn(backend: Backend, inputs: { values: Float32Array; shape: number[] }[],
                     f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<{ values: Float32Array[]; shapes: number[][] }> {
  await initBackend({ backend });
  return tf.tidy(() => {
    const out = f(...inputs.map((i) => tf.tensor(i.values, i.shape)));
    const outs = Array.isArray(out) ? out : [out];
    return { values: outs.map((o) => o.dataSync() as Float32Array), shapes: outs.map((o) => o.shape) };
  });
}

function relError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / (scale || 1);
}

/** Same op on `backend` (wasm unless said) and cpu; asserts shapes equal and relative error ≤ TOL. */
async function compare(label: string, shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
                       reference?: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], backend: Backend = 'wasm'): Promise<void> {
  const inputs = shapes.map((shape, i) => ({ values: randomArray(shape, 1000 + i * 17 + label.length), shape }));
  const got = await runOn(backend, inputs, f);
  const want = await runOn('cpu', inputs, reference ?? f);
  assert.equal(got.values.length, want.values.length);
  want.values.forEach((w, i) => {
    assert.deepEqual(got.shapes[i], want.shapes[i], `${label}: output ${i} shape`);
    const err = relError(got.values[i], w);
    assert.ok(err <= TOL, `${label}: output ${i} relative error ${err.toExponential(2)} > ${TOL}`);
  });
}

const conv = (x: tf.Tensor, w: tf.Tensor, s: number | [number, number], pad: Pad) =>
  tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad as 'same');
const outShape = (x: Shape4, w: Shape4, s: number | [number, number], pad: Pad): number[] =>
  tf.backend_util.computeConv2DInfo(x, w, s, 1, pad).outShape;
const backpropFilter = (x: tf.Tensor, dy: tf.Tensor, w: Shape4, s: number | [number, number], pad: Pad) =>
  tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s, pad, dataFormat: 'NHWC', filterShape: w }) as tf.Tensor;
const backpropInput = (dy: tf.Tensor, w: tf.Tensor, x: Shape4, s: number | [number, number], pad: Pad) =>
  tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, x, s, pad as 'same');

/**
 * dW computed on cpu without tfjs-cpu's Conv2DBackpropFilter kernel (a scalar loop through
 * TensorBuffer.get that takes 43 s for MNIST conv2 at batch 100): one matMul per kernel tap,
 * dW[kh,kw] = x_tapᵀ · dy, x_tap = the strided window of the zero-padded input.
 */
function backpropFilterByTaps(x: tf.Tensor, dy: tf.Tensor, w: Shape4, s: number | [number, number], pad: Pad): tf.Tensor {
  const c = tf.backend_util.computeConv2DInfo(x.shape as Shape4, w, s, 1, pad);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: Cin, outHeight: oh, outWidth: ow, outChannels: Cout } = c;
  const { strideHeight: sh, strideWidth: sw, filterHeight: KH, filterWidth: KW } = c;
  const { top, left } = c.padInfo;
  const xp = tf.pad(x, [[0, 0], [top, Math.max(0, (oh - 1) * sh + KH - H - top)], [left, Math.max(0, (ow - 1) * sw + KW - W - left)], [0, 0]]);
  const taps: tf.Tensor[] = [];
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const tap = tf.stridedSlice(xp, [0, kh, kw, 0], [B, kh + (oh - 1) * sh + 1, kw + (ow - 1) * sw + 1, Cin], [1, sh, sw, 1]);
      taps.push(tf.matMul(tf.reshape(tap, [-1, Cin]), tf.reshape(dy, [-1, Cout]), true, false));
    }
  }
  return tf.reshape(tf.stack(taps), w);
}

// [input, filter, stride, padding]: odd/even sizes, cin 1 and 3, stride 1/2 (and 3, and unequal),
// 'same'/'valid'/numeric padding, and the layer shapes this project trains (MNIST, CIFAR).
const convCases: [Shape4, Shape4, number | [number, number], Pad][] = [
  [[2, 9, 9, 1], [3, 3, 1, 4], 1, 'valid'],
  [[2, 10, 10, 3], [3, 3, 3, 4], 1, 'same'],
  [[3, 9, 9, 3], [3, 3, 3, 5], 2, 'valid'],
  [[3, 10, 10, 3], [3, 3, 3, 5], 2, 'valid'],
  [[2, 9, 9, 1], [3, 3, 1, 4], 2, 'same'],
  [[2, 10, 11, 3], [3, 3, 3, 4], 2, 'same'],
  [[2, 11, 10, 2], [2, 2, 2, 3], 3, 'same'],
  [[2, 11, 12, 2], [5, 3, 2, 3], [2, 3], 'valid'],
  [[2, 8, 8, 3], [3, 3, 3, 2], 2, 1],
  [[2, 7, 7, 2], [1, 1, 2, 3], 2, 'valid'],
  [[1, 28, 28, 1], [3, 3, 1, 32], 1, 'valid'],     // MNIST conv1, batch 1
  [[7, 26, 26, 32], [3, 3, 32, 32], 2, 'same'],    // MNIST conv2, batch 7
  [[100, 26, 26, 32], [3, 3, 32, 32], 2, 'same'],  // MNIST conv2, batch 100
  [[7, 32, 32, 3], [3, 3, 3, 32], 1, 'valid'],     // CIFAR conv1
  [[1, 30, 30, 32], [3, 3, 32, 32], 2, 'same'],    // CIFAR conv2
];
const name = ([x, w, s, pad]: (typeof convCases)[number]) => `x[${x}] w[${w}] stride ${s} pad ${pad}`;

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  test('reference by taps equals the cpu kernel', async () => {
    for (const c of convCases.slice(0, 10)) {
      const [x, w, s, pad] = c;
      const inputs = [x, outShape(x, w, s, pad)].map((shape, i) => ({ values: randomArray(shape, 7 + i), shape }));
      const kernel = await runOn('cpu', inputs, (xx, dy) => backpropFilter(xx, dy, w, s, pad));
      const taps = await runOn('cpu', inputs, (xx, dy) => backpropFilterByTaps(xx, dy, w, s, pad));
      assert.ok(relError(taps.values[0], kernel.values[0]) <= TOL, name(c));
    }
  });
  for (const method of ['dilated', 'patches'] as BackpropFilterMethod[]) {
    test(`method '${method}'`, async () => {
      setBackpropFilterMethod(method);
      try {
        for (const c of convCases) {
          const [x, w, s, pad] = c;
          if (method === 'patches' && w[0] * w[1] * w[2] > 32) continue;   // 'auto' never picks it there
          await compare(`dW ${method} ${name(c)}`, [x, outShape(x, w, s, pad)], (xx, dy) => backpropFilter(xx, dy, w, s, pad),
            (xx, dy) => backpropFilterByTaps(xx, dy, w, s, pad));
        }
      } finally {
        setBackpropFilterMethod('auto');
      }
    });
  }
  test('MNIST conv1 at batch 100 (auto)', async () => {
    const x: Shape4 = [100, 28, 28, 1], w: Shape4 = [3, 3, 1, 32];
    await compare('dW mnist conv1 b100', [x, outShape(x, w, 1, 'valid')], (xx, dy) => backpropFilter(xx, dy, w, 1, 'valid'),
      (xx, dy) => backpropFilterByTaps(xx, dy, w, 1, 'valid'));
  });
});

describe('Conv2DBackpropInput on wasm matches cpu', () => {
  test('all shapes', async () => {
    for (const c of convCases) {
      const [x, w, s, pad] = c;
      await compare(`dx ${name(c)}`, [outShape(x, w, s, pad), w], (dy, ww) => backpropInput(dy, ww, x, s, pad));
    }
  });
});

const flags: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
const operands = (a: number[], b: number[], ta: boolean, tb: boolean) => {
  const sw = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);
  return [sw(a, ta), sw(b, tb)];
};
// [a, b] before transposition: small (stock loops), tall/wide (both orientations), batched.
const matMulCases: [number[], number[]][] = [
  [[5, 7], [7, 3]], [[64, 300], [300, 200]], [[200, 40], [40, 300]], [[1, 300], [300, 70]],
  [[3, 40, 50], [3, 50, 60]], [[4, 40, 50], [50, 60]], [[40, 50], [4, 50, 60]], [[4, 40, 50], [1, 50, 60]],
  [[2, 3, 6, 7], [2, 3, 7, 5]],
];

async function compareMatMuls(backend: Backend): Promise<void> {
  for (const [a, b] of matMulCases) {
    for (const [ta, tb] of flags) {
      const [sa, sb] = operands(a, b, ta, tb);
      await compare(`${backend} matMul [${sa}]x[${sb}] ${ta} ${tb}`, [sa, sb], (x, y) => tf.matMul(x, y, ta, tb), undefined, backend);
    }
  }
  // tfjs-cpu broadcasts batch dims by index modulo (wrong for [2,1] vs [1,3]); compare with
  // explicit tiling, which is what TF (tfjs-node) computes.
  const [sa, sb] = [[2, 1, 40, 50], [1, 3, 50, 60]];
  await compare(`${backend} matMul broadcast`, [sa, sb], (x, y) => tf.matMul(x, y),
    (x, y) => tf.matMul(tf.tile(x, [1, 3, 1, 1]), tf.tile(y, [2, 1, 1, 1])), backend);
}

describe('BatchMatMul on wasm matches cpu', () => {
  for (const strategy of ['auto', 'direct', 'swapped'] as MatMulStrategy[]) {
    test(`every transpose combination, strategy '${strategy}'`, async () => {
      setMatMulStrategy(strategy);
      try {
        await compareMatMuls('wasm');
      } finally {
        setMatMulStrategy('auto');
      }
    });
  }
});

describe('native kernels (oneDNN) match cpu', { skip: nativeSkip() }, () => {
  const ran = (kernel: string) => routeCounts[kernel]?.native ?? 0;
  test('BatchMatMul: every transpose combination, batched and broadcast', async () => {
    const before = ran('BatchMatMul');
    await compareMatMuls('native');
    assert.ok(ran('BatchMatMul') - before >= matMulCases.length * flags.length, 'the native matMul did not run');
  });
  test('Conv2D forward, all shapes', async () => {
    const before = ran('Conv2D');
    for (const c of convCases) {
      const [x, w, s, pad] = c;
      await compare(`native conv ${name(c)}`, [x, w], (xx, ww) => conv(xx, ww, s, pad), undefined, 'native');
    }
    assert.equal(ran('Conv2D') - before, convCases.length, 'every conv ran natively');
  });
  test('Conv2DBackpropFilter (dW), all shapes', async () => {
    const before = ran('Conv2DBackpropFilter');
    for (const c of convCases) {
      const [x, w, s, pad] = c;
      await compare(`native dW ${name(c)}`, [x, outShape(x, w, s, pad)], (xx, dy) => backpropFilter(xx, dy, w, s, pad),
        (xx, dy) => backpropFilterByTaps(xx, dy, w, s, pad), 'native');
    }
    assert.equal(ran('Conv2DBackpropFilter') - before, convCases.length);
  });
  test('Conv2DBackpropInput (dx, conv2dTranspose), all shapes', async () => {
    const before = ran('Conv2DBackpropInput');
    for (const c of convCases) {
      const [x, w, s, pad] = c;
      await compare(`native dx ${name(c)}`, [outShape(x, w, s, pad), w], (dy, ww) => backpropInput(dy, ww, x, s, pad), undefined, 'native');
    }
    assert.equal(ran('Conv2DBackpropInput') - before, convCases.length);
  });
  test('tf.grads of conv2d (stride 2) + matMul', async () => {
    const f = (x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, r: tf.Tensor) => tf.grads((xx: tf.Tensor, a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(tf.reshape(tf.relu(conv(xx, a, 2, 'same')), [4, 288]), b), r)))([x, w1, w2]);
    await compare('native grads conv+matMul', [[4, 11, 11, 3], [3, 3, 3, 8], [288, 10], [4, 10]], f, undefined, 'native');
  });
  test('elementwise Add, Sub, Multiply (same shape, scalar either side), Relu, Step, Transpose, Identity on large tensors: identical to wasm', async () => {
    const shape = [300, 400];
    const KERNELS = ['Add', 'Sub', 'Multiply', 'Relu', 'Step', 'Transpose', 'Identity'];
    const before = KERNELS.map(ran);
    const ops: [string, (x: tf.Tensor, y: tf.Tensor) => tf.Tensor][] = [
      ['add', (x, y) => tf.add(x, y)], ['sub', (x, y) => tf.sub(x, y)], ['mul', (x, y) => tf.mul(x, y)],
      ['scalar·x', x => tf.mul(tf.scalar(0.37), x)], ['x − scalar', x => tf.sub(x, tf.scalar(0.2))], ['x + [[s]]', x => tf.add(x, tf.tensor2d([[0.5]]))],
      ['relu', x => tf.relu(x)], ['step', x => tf.step(x, 0)], ['step α', x => tf.step(x, 0.25)],
      ['NaN', x => tf.step(tf.relu(tf.div(tf.mul(x, 0), tf.mul(x, 0))), 0)],
      ['transpose [1,0,2]', x => tf.transpose(tf.reshape(x, [300, 16, 25]), [1, 0, 2])],
      ['transpose [1,0,2], rows of 1', x => tf.transpose(tf.reshape(x, [400, 300, 1]), [1, 0, 2])],
      ['transpose [0,2,1] (wasm)', x => tf.transpose(tf.reshape(x, [300, 16, 25]), [0, 2, 1])],
      ['clone (shares the buffer)', x => tf.add(tf.clone(x), 0)],
    ];
    for (const [label, f] of ops) {
      const inputs = [shape, shape].map((sh, i) => ({ values: randomArray(sh, 31 + i), shape: sh }));
      const nat = await runOn('native', inputs, f), was = await runOn('wasm', inputs, f);
      assert.deepEqual(nat.shapes, was.shapes, label);
      assert.deepEqual(nat.values, was.values, `${label}: native differs from wasm`);
    }
    const after = KERNELS.map(ran);
    after.forEach((n, i) => assert.ok(n > before[i], `native ${KERNELS[i]} did not run`));
  });
  test('no leaks: tensor and heap counts stay flat', async () => {
    await initBackend({ backend: 'native' });
    const x = tf.tensor(randomArray([3, 10, 10, 3], 1), [3, 10, 10, 3]);
    const w = tf.tensor(randomArray([3, 3, 3, 4], 2), [3, 3, 3, 4]);
    const dy = tf.tensor(randomArray([3, 5, 5, 4], 3), [3, 5, 5, 4]);
    const a = tf.tensor(randomArray([3, 60, 70], 4), [3, 60, 70]);
    const calls = [() => conv(x, w, 2, 'same'), () => backpropFilter(x, dy, [3, 3, 3, 4], 2, 'same'),
      () => backpropInput(dy, w, [3, 10, 10, 3], 2, 'same'), () => tf.matMul(a, a, false, true), () => tf.matMul(tf.reshape(a, [180, 70]), a.reshape([180, 70]), true, false)];
    tf.env().set('IS_TEST', true);
    try {
      for (const call of calls) {
        tf.tidy(() => { call(); });
        const tensors = tf.memory().numTensors, ids = tf.engine().backend.numDataIds();
        for (let i = 0; i < 5; i++) tf.tidy(() => { call(); });
        assert.equal(tf.memory().numTensors, tensors);
        assert.equal(tf.engine().backend.numDataIds(), ids);
      }
    } finally {
      tf.env().set('IS_TEST', false);
      tf.dispose([x, w, dy, a]);
    }
  });
});

describe('gradients on wasm match cpu', () => {
  test('tf.grads of conv2d (stride 2) + matMul', async () => {
    const f = (x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, r: tf.Tensor) => tf.grads((xx: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => {
      const h = tf.relu(conv(xx, a, 2, 'same'));                       // [4, 6, 6, 8]
      return tf.sum(tf.mul(tf.matMul(tf.reshape(h, [4, 288]), b), r));
    })([x, w1, w2]);
    await compare('grads conv+matMul', [[4, 11, 11, 3], [3, 3, 3, 8], [288, 10], [4, 10]], f);
  });
});

describe('no leaks', () => {
  test('repeated calls of each replacement kernel keep tensor and heap counts flat', async () => {
    await initBackend({ backend: 'wasm' });
    const x = tf.tensor(randomArray([3, 10, 10, 3], 1), [3, 10, 10, 3]);
    const w = tf.tensor(randomArray([3, 3, 3, 4], 2), [3, 3, 3, 4]);
    const dy = tf.tensor(randomArray([3, 5, 5, 4], 3), [3, 5, 5, 4]);
    const a = tf.tensor(randomArray([3, 60, 70], 4), [3, 60, 70]);
    const b = tf.tensor(randomArray([3, 80, 70], 5), [3, 80, 70]);
    const calls: [string, () => tf.Tensor][] = [
      ['Conv2DBackpropFilter dilated', () => { setBackpropFilterMethod('dilated'); return backpropFilter(x, dy, [3, 3, 3, 4], 2, 'same'); }],
      ['Conv2DBackpropFilter patches', () => { setBackpropFilterMethod('patches'); return backpropFilter(x, dy, [3, 3, 3, 4], 2, 'same'); }],
      ['Conv2DBackpropInput', () => backpropInput(dy, w, [3, 10, 10, 3], 2, 'same')],
      ['BatchMatMul', () => tf.matMul(a, b, false, true)],
      ['BatchMatMul 2-D', () => tf.matMul(tf.reshape(a, [180, 70]), tf.reshape(b, [240, 70]), false, true)],
    ];
    const dataIds = () => tf.engine().backend.numDataIds();
    tf.env().set('IS_TEST', true);   // the engine then also checks each kernel for leaked data ids
    try {
      for (const [label, call] of calls) {
        tf.tidy(() => { call(); });    // warm-up
        const tensors = tf.memory().numTensors, ids = dataIds();
        for (let i = 0; i < 5; i++) tf.tidy(() => { call(); });
        assert.equal(tf.memory().numTensors, tensors, `${label}: tensors leaked`);
        assert.equal(dataIds(), ids, `${label}: wasm heap buffers leaked`);
      }
    } finally {
      tf.env().set('IS_TEST', false);
      setBackpropFilterMethod('auto');
    }
  });
});
