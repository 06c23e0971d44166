// The webgpu backend (src/backend/webgpu.ts) on whatever adapter exists — in CI Mesa's software
// Vulkan (lavapipe, `npm run lavapipe`). Skips, saying why, where there is none. Small shapes:
// lavapipe runs every shader on the CPU. (The derivation check, feedback path and learning tests
// run on webgpu too, through test/engine/backends.ts.)
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { WEBGPU, useBackend } from '../engine/backends.ts';
import { initBackend } from '../../src/backend.ts';
import { gpuReads, webgpuMemory } from '../../src/backend/webgpu.ts';
import { registerWebgpuKernels, unregisterWebgpuKernels, webgpuRouteCounts, wouldSplitK } from '../../src/backend/webgpu-kernels.ts';
import { Network, type LayerSpec, type NetworkConfig } from '../../src/network.ts';
import { trainStep } from '../../src/step.ts';
import { deepagrel } from '../../src/rules/deepagrel.ts';
import { ebp } from '../../src/rules/ebp.ts';
import { Rng } from '../../src/rng.ts';
import { BERNOULLI_MASK, dropoutMask } from '../../src/ops.ts';
import { quadrantTask } from '../helpers.ts';

const skip = WEBGPU.reason ? `no WebGPU adapter here (${WEBGPU.reason})` : false;
if (skip) console.log(`# webgpu tests skipped: ${skip}`);

const H = 8, B = 16;
const NET: LayerSpec[] = [
  { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same' },
  { type: 'loccon2d', filters: 3, kernelSize: 2 },
  { type: 'dense', units: 16 }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 8 },
];

async function train(cfg: Partial<NetworkConfig>, steps: number, after?: (s: number) => void) {
  const net = new Network({ inputShape: [H, H, 1], layers: NET, numClasses: 4, init: 0.3, seed: 1, ...cfg });
  const { x, y } = quadrantTask(steps * B, H, H, 1, 2);
  const rng = new Rng(3);
  for (let s = 0; s < steps; s++) {
    const xb = tf.tensor4d(x.subarray(s * B * H * H, (s + 1) * B * H * H), [B, H, H, 1]);
    await trainStep(net, s % 3 === 2 ? ebp : deepagrel, xb, y.subarray(s * B, (s + 1) * B), { lr: 0.3, epsilon: 0.2, beta: 1 }, rng);
    xb.dispose();
    after?.(s);
  }
  return net;
}

/** max |a − b| over all weights, and max |b|. */
type Weights = Awaited<ReturnType<Network['weights']>>;
function maxDiff(a: Weights, b: Weights) {
  let diff = 0, scale = 0;
  for (const [name, { W, Wfb }] of Object.entries(a)) {
    for (const [x, r] of [[W, b[name].W], [Wfb, b[name].Wfb]] as const) {
      if (!x || !r) continue;
      for (let i = 0; i < r.length; i++) { diff = Math.max(diff, Math.abs(x[i] - r[i])); scale = Math.max(scale, Math.abs(r[i])); }
    }
  }
  return { diff, scale };
}

describe('webgpu backend', { skip }, () => {
  before(async () => { await useBackend('webgpu'); });

  test('reports its adapter: vendor, architecture, software or not, the API; versions', async () => {
    const info = await initBackend({ backend: 'webgpu' });
    assert.equal(info.name, 'webgpu');
    assert.equal(tf.getBackend(), 'webgpu');
    const a = info.adapter!;
    assert.ok(a.vendor || a.architecture || a.description, `adapter with no identification: ${JSON.stringify(a)}`);
    assert.equal(typeof a.software, 'boolean');
    if (/llvmpipe/.test(a.description)) assert.equal(a.software, true, 'lavapipe must be reported as a software adapter');
    assert.match(info.kernels, /tfjs-backend-webgpu \(WGSL\) on /);
    assert.equal(info.versions['tfjs-backend-webgpu'], '4.22.0');
    assert.match(info.versions.webgpu, /^\d+\.\d+\.\d+$/);
    console.log(`# adapter: ${WEBGPU.adapter}`);
  });

  test('reads are asynchronous and give the right numbers; a synchronous read is one clear error', async () => {
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const c = tf.matMul(a, a, false, true);
    assert.throws(() => c.dataSync(), /webgpu: a synchronous read \(dataSync, arraySync, bufferSync\) of a tensor on the GPU: Node has no blocking GPU read; use `await tensor.data\(\)`/);
    assert.deepEqual([...await c.data()], [14, 32, 32, 77]);
    assert.deepEqual([...c.dataSync()], [14, 32, 32, 77], 'once read, the values are on the host');
    const i = tf.argMax(c, 1);
    assert.deepEqual([...await i.data()], [1, 1]);
    tf.dispose([a, c, i]);
  });

  test('dropout masks are made on the GPU (its DeepagrelBernoulliMask kernel), equal to the JS generator number for number, and no mask is uploaded', async () => {
    for (const [shape, keep] of [[[3, 5], 0.7], [[16, 8, 8, 4], 0.2], [[100, 5408], 0.2]] as const) {
      const n = shape.reduce((a, b) => a * b, 1);
      let onGpu: tf.Tensor | undefined;
      const p = await tf.profile(() => { onGpu = dropoutMask(new Rng(n), [...shape], keep); return onGpu; });
      assert.deepEqual(p.kernels.map(k => k.name), [BERNOULLI_MASK]);
      assert.deepEqual(onGpu!.shape, shape);
      assert.deepEqual(await onGpu!.data(), new Rng(n).bernoulliMask(n, keep, 1 / keep), `shape ${shape} keep ${keep}`);
      onGpu!.dispose();
    }
    // The host never draws the mask on webgpu (only its key), and the mask is one tensor.
    const rng = new Rng(1);
    rng.bernoulliMask = () => { throw new Error('the mask was drawn on the host'); };
    const before = tf.memory().numTensors;
    const m = dropoutMask(rng, [10, 100], 0.5);
    assert.equal(tf.memory().numTensors, before + 1);
    const v = await m.data();
    assert.ok(v.some(x => x === 0) && v.some(x => x === 2));
    m.dispose();
    const direct = tf.engine().runKernel(BERNOULLI_MASK, {}, { shape: [7], key0: 1, key1: 2, threshold: 65536, scale: 4 }) as tf.Tensor;
    assert.deepEqual([...await direct.data()], [4, 4, 4, 4, 4, 4, 4], 'keep = 1: every unit kept, scaled');
    direct.dispose();
  });

  test('a training step reads the GPU once (the Q-values); weights stay on the device', async () => {
    const net = await train({}, 1);
    const { x, y } = quadrantTask(B, H, H, 1, 9);
    const xb = tf.tensor4d(x, [B, H, H, 1]);
    const before = { ...gpuReads };
    await trainStep(net, deepagrel, xb, y, { lr: 0.3, epsilon: 0.2, beta: 1 }, new Rng(5));
    assert.equal(gpuReads.count - before.count, 1, 'reads per step');
    assert.equal(gpuReads.bytes - before.bytes, B * 4 * 4, 'the Q-values: batch × classes floats');
    xb.dispose(); net.dispose();
  });

  test('20 steps (conv, loccon, dropout, both rules) agree with cpu within float tolerance', async () => {
    const gpuNet = await train({}, 20);
    const gpu = await gpuNet.weights();
    gpuNet.dispose();
    await useBackend('cpu');
    const cpuNet = await train({}, 20);
    const cpu = await cpuNet.weights();
    cpuNet.dispose();
    await useBackend('webgpu');
    const { diff, scale } = maxDiff(gpu, cpu);
    console.log(`# webgpu vs cpu after 20 steps: max |ΔW| ${diff.toExponential(2)} (weights up to ${scale.toFixed(3)})`);
    assert.ok(diff > 0 || scale > 0, 'vacuous comparison');
    assert.ok(diff <= 1e-4 * scale, `max |ΔW| ${diff.toExponential(2)} > 1e-4 × ${scale.toFixed(3)}`);
  });

  test('same seed, same numbers (bit for bit)', async () => {
    const a = await train({}, 6), b = await train({}, 6);
    assert.deepEqual(await a.weights(), await b.weights());
    a.dispose(); b.dispose();
  });

  test('feedback modes: symmetric = two copies bit for bit; fixed-random W′ never changes', async () => {
    // The paper's reciprocity as two arrays: reciprocal mode with W′ a copy of W, same updates.
    const startNet = await train({ feedback: 'symmetric', layers: NET.slice(0, 3) }, 0);
    const start = await startNet.weights();
    startNet.dispose();
    const a = new Network({ inputShape: [H, H, 1], layers: NET.slice(0, 3), numClasses: 4, init: 0.3, seed: 1, feedback: 'symmetric' });
    const b = new Network({ inputShape: [H, H, 1], layers: NET.slice(0, 3), numClasses: 4, init: 0.3, seed: 1, feedback: 'reciprocal' });
    b.setWeights(Object.fromEntries(Object.entries(start).map(([k, v]) => [k, { W: v.W, Wfb: v.W.slice() }])));
    const { x, y } = quadrantTask(8 * B, H, H, 1, 4);
    for (const net of [a, b]) {
      const rng = new Rng(7);
      for (let s = 0; s < 8; s++) {
        const xb = tf.tensor4d(x.subarray(s * B * H * H, (s + 1) * B * H * H), [B, H, H, 1]);
        await trainStep(net, deepagrel, xb, y.subarray(s * B, (s + 1) * B), { lr: 0.3, epsilon: 0.2, beta: 1 }, rng);
        xb.dispose();
      }
    }
    const wa = await a.weights(), wb = await b.weights();
    for (const name of Object.keys(wa)) {
      assert.deepEqual(wb[name].W, wa[name].W, `${name}: W differs from the two-copy reference`);
      assert.deepEqual(wb[name].Wfb, wa[name].W, `${name}: W′ drifted from W`);
    }
    a.dispose(); b.dispose();
    const fixed = new Network({ inputShape: [H, H, 1], layers: NET.slice(0, 3), numClasses: 4, init: 0.3, seed: 1, feedback: 'fixed-random' });
    const w0 = await fixed.weights();
    const rng = new Rng(7);
    for (let s = 0; s < 4; s++) {
      const xb = tf.tensor4d(x.subarray(s * B * H * H, (s + 1) * B * H * H), [B, H, H, 1]);
      await trainStep(fixed, deepagrel, xb, y.subarray(s * B, (s + 1) * B), { lr: 0.3, epsilon: 0.2, beta: 1 }, rng);
      xb.dispose();
    }
    const w1 = await fixed.weights();
    for (const name of Object.keys(w0)) {
      assert.deepEqual(w1[name].Wfb, w0[name].Wfb);
      assert.notDeepEqual(w1[name].W, w0[name].W);
    }
    fixed.dispose();
  });

  // The kernels a training step runs, on random inputs, against cpu.
  const KERNELS: [string, (r: Rng) => tf.Tensor[], (...t: tf.Tensor[]) => tf.Tensor][] = [
    ['matMul', r => [rand(r, [7, 33]), rand(r, [33, 5])], (a, b) => tf.matMul(a, b)],
    ['matMul transposeA (ΔW = xᵀ·g)', r => [rand(r, [16, 40]), rand(r, [16, 9])], (a, b) => tf.matMul(a, b, true, false)],
    ['matMul transposeB (feedback g·Wᵀ)', r => [rand(r, [16, 9]), rand(r, [40, 9])], (a, b) => tf.matMul(a, b, false, true)],
    ['matMul, long inner dimension (split-K shape)', r => [rand(r, [4, 3000]), rand(r, [3000, 64])], (a, b) => tf.matMul(a, b)],
    ['conv2d stride 2 same', r => [rand(r, [3, 9, 9, 2]), rand(r, [3, 3, 2, 4])], (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')],
    ['conv2d backprop input (feedback)', r => [rand(r, [3, 5, 5, 4]), rand(r, [3, 3, 2, 4])], (dy, w) => tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, [3, 9, 9, 2], 2, 'same')],
    ['conv2d backprop filter (ΔW)', r => [rand(r, [3, 9, 9, 2]), rand(r, [3, 3, 2, 4]), rand(r, [3, 5, 5, 4])],
      (x, w, dy) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, v as tf.Tensor4D, 2, 'same'), dy)))(w)],
    ['relu and its gate (step)', r => [rand(r, [5, 17])], x => tf.mul(tf.relu(x), tf.step(x))],
  ];
  function rand(r: Rng, shape: number[]) { return tf.tensor(r.uniformArray(shape.reduce((p, d) => p * d, 1), -1, 1), shape); }

  for (const [name, inputs, op] of KERNELS) {
    test(`kernel vs cpu: ${name}`, async () => {
      const run = async (backend: string) => {
        await useBackend(backend);
        const ins = inputs(new Rng(21));
        const out = op(...ins);
        const v = (await out.data()).slice();
        tf.dispose([...ins, out]);
        return v;
      };
      const ref = await run('cpu'), got = await run('webgpu');
      let num = 0, den = 0;
      for (let i = 0; i < ref.length; i++) { num = Math.max(num, Math.abs(got[i] - ref[i])); den = Math.max(den, Math.abs(ref[i])); }
      assert.ok(den > 0, 'vacuous comparison');
      assert.ok(num <= 1e-5 * den, `${name}: max error ${num.toExponential(2)} of ${den.toFixed(3)}`);
    });
  }

  test('matMul with a long inner dimension avoids split-K (float atomics): same bits every run', async () => {
    assert.ok(wouldSplitK([4, 3000], [3000, 64], false, false, 8), 'this shape takes split-K in tfjs-backend-webgpu 4.22');
    assert.ok(!wouldSplitK([100, 3000], [3000, 1000], false, false, 8));
    const r = new Rng(5);
    const a = rand(r, [4, 3000]), b = rand(r, [3000, 64]);
    const before = webgpuRouteCounts.splitKAvoided;
    const c0 = tf.matMul(a, b);
    const first = await c0.data();
    c0.dispose();
    for (let i = 0; i < 4; i++) {
      const c = tf.matMul(a, b);
      assert.deepEqual(await c.data(), first, `run ${i + 2} differs from the first`);
      c.dispose();
    }
    assert.equal(webgpuRouteCounts.splitKAvoided - before, 5);
    tf.dispose([a, b]);
  });

  // Convolutions that tfjs-backend-webgpu runs as one matrix product with split-K's shape (batch 1,
  // K ≥ 2000, a small output): [input, filter, stride, padding] for tf.conv2d.
  const SPLIT_K_CONVS: [string, number[], number[], number, 'same' | 'valid'][] = [
    ['1×1 conv on a 1×1×2048 input (the kernel covers the input)', [16, 1, 1, 2048], [1, 1, 2048, 16], 1, 'valid'],
    ['1×1 conv, batch 1 ([1, 9, 2048] × [1, 2048, 16])', [1, 3, 3, 2048], [1, 1, 2048, 16], 1, 'same'],
    ['8×8 kernel on an 8×8×32 input (the kernel covers the input)', [16, 8, 8, 32], [8, 8, 32, 16], 1, 'valid'],
    ['3×3 kernel, small output, batch 1 (im2col: [1, 4, 2304] × [1, 2304, 64])', [1, 4, 4, 256], [3, 3, 256, 64], 1, 'valid'],
  ];
  test('convolutions that reach split-K (1×1, kernel = input, small-output im2col): the stock kernel takes it, the guard does not; same bits every run', async () => {
    for (const [name, xs, fs, stride, pad] of SPLIT_K_CONVS) {
      const r = new Rng(11);
      const x = rand(r, xs) as tf.Tensor4D, f = rand(r, fs) as tf.Tensor4D;
      const conv = async () => { const y = tf.conv2d(x, f, stride, pad); const v = await y.data(); y.dispose(); return v; };
      // The tripwire sees what the stock kernel runs: split-K, for each of these shapes.
      const ran0 = webgpuRouteCounts.splitKRan;
      unregisterWebgpuKernels();
      try { await conv(); } finally { registerWebgpuKernels(); }
      assert.equal(webgpuRouteCounts.splitKRan - ran0, 1, `${name}: the stock kernel should take split-K here`);
      // Guarded: the small-output program, the same bits every time, nothing past the guard.
      const avoided0 = webgpuRouteCounts.splitKAvoided;
      const first = await conv();
      for (let i = 0; i < 3; i++) assert.deepEqual(await conv(), first, `${name}: run ${i + 2} differs from the first`);
      assert.equal(webgpuRouteCounts.splitKAvoided - avoided0, 4, `${name}: the guard should take every call`);
      assert.equal(webgpuRouteCounts.splitKRan - ran0, 1, `${name}: split-K ran past the guard`);
      tf.dispose([x, f]);
    }
  });

  // Nets with those convolutions, trained: the same seed gives the same bits on webgpu, and the
  // same weights as cpu within float tolerance.
  const SPLIT_K_NETS: [string, number[], LayerSpec[], number][] = [
    ['1×1 conv after a 1×1×2048 input', [1, 1, 2048], [{ type: 'conv2d', filters: 16, kernelSize: 1 }, { type: 'flatten' }, { type: 'dense', units: 12 }], 16],
    ['1×1 conv, batch 1', [3, 3, 2048], [{ type: 'conv2d', filters: 16, kernelSize: 1 }, { type: 'flatten' }, { type: 'dense', units: 12 }], 1],
    ['conv whose kernel covers the input', [8, 8, 32], [{ type: 'conv2d', filters: 16, kernelSize: 8 }, { type: 'flatten' }, { type: 'dense', units: 12 }], 16],
  ];
  for (const [name, inputShape, layers, batch] of SPLIT_K_NETS) {
    test(`${name}: same seed, same numbers on webgpu; equal to cpu within float tolerance`, async () => {
      const size = inputShape.reduce((p, d) => p * d, 1);
      const run = async (steps: number) => {
        const net = new Network({ inputShape, layers, numClasses: 4, init: 0.05, seed: 1 });
        const data = new Rng(2), rng = new Rng(3);
        for (let s = 0; s < steps; s++) {
          const xb = tf.tensor(data.uniformArray(batch * size, 0, 1), [batch, ...inputShape]);
          await trainStep(net, deepagrel, xb, Int32Array.from({ length: batch }, (_, i) => (s + i) % 4), { lr: 0.3, epsilon: 0.2, beta: 1 }, rng);
          xb.dispose();
        }
        const w = await net.weights();
        net.dispose();
        return w;
      };
      const avoided0 = webgpuRouteCounts.splitKAvoided, ran0 = webgpuRouteCounts.splitKRan;
      const a = await run(4), b = await run(4);
      assert.ok(webgpuRouteCounts.splitKAvoided > avoided0, 'the net should reach the guarded shapes');
      assert.equal(webgpuRouteCounts.splitKRan, ran0, 'split-K ran past the guard');
      assert.deepEqual(a, b, 'same seed, same numbers');
      await useBackend('cpu');
      const ref = await run(4);
      await useBackend('webgpu');
      const { diff, scale } = maxDiff(a, ref);
      assert.ok(diff > 0 || scale > 0, 'vacuous comparison');
      assert.ok(diff <= 1e-4 * scale, `webgpu vs cpu: max |ΔW| ${diff.toExponential(2)} > 1e-4 × ${scale.toFixed(3)}`);
    });
  }

  test('numTensors and GPU memory stay flat over epochs', async () => {
    const seen: { tensors: number; bytes: number }[] = [];
    const net = await train({}, 3 * 8, s => {
      if (s % 8 === 7) seen.push({ tensors: tf.memory().numTensors, bytes: webgpuMemory().numBytesInGPU });
    });
    net.dispose();
    assert.equal(seen.length, 3);
    assert.ok(seen[0].bytes > 0, 'GPU bytes should be counted');
    for (const e of seen.slice(1)) assert.deepEqual(e, seen[0], `epoch end ${JSON.stringify(seen)}`);
  });
});

test('asking for webgpu where Dawn finds no adapter: one error naming what to install', () => {
  const script = "import { initBackend } from './src/backend.ts'; await initBackend({ backend: 'webgpu' });";
  let stderr = '';
  try {
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../../', import.meta.url), encoding: 'utf8', stdio: 'pipe',
      env: { ...process.env, VK_DRIVER_FILES: '/nonexistent/icd.json', VK_ICD_FILENAMES: '/nonexistent/icd.json', DEEPAGREL_BACKEND: '' },
    });
    assert.fail('initBackend webgpu should have thrown with no Vulkan driver');
  } catch (e) {
    stderr = String((e as { stderr?: string }).stderr ?? e);
  }
  assert.match(stderr, /backend 'webgpu' requested but WebGPU found no adapter/);
  assert.match(stderr, /mesa-vulkan-drivers/);
  assert.match(stderr, /libvulkan1/);
  assert.match(stderr, /or use DEEPAGREL_BACKEND=native or wasm/);
});

test('a run on webgpu records its adapter in the header (vendor, device, software or not)', { skip }, async () => {
  const { tinyRunHeader } = await import('../helpers.ts');
  const info = await initBackend({ backend: 'webgpu' });
  const h = await tinyRunHeader('adapter');
  assert.equal(h.backend.name, 'webgpu');
  assert.equal(h.backend.adapter?.device, info.adapter!.device);
  assert.equal(h.backend.adapter?.software, info.adapter!.software);
  assert.equal(typeof h.backend.adapter?.vendor, 'string');
});
