// Child of interrupt.test.ts: a training run on the webgpu backend (software Vulkan in CI), stopped
// with Ctrl-C the way the command line handles it (installCliInterrupt, src/interrupt.ts). Prints
// one JSON line per event on stdout, `at` in ms since the process began:
//   {"event":"batch","batch":n}                 a training step ended
//   {"event":"answer"}                          the SIGINT handler ran ("Stopping after …")
//   {"event":"end","error":…,"maxGapMs":…}      the run ended (its error message); the longest the
//                                               event loop went without running a 20 ms timer
//                                               after the first step (which compiles the shaders)
// The net: eleven small convolutions and a dense layer at batch 32 — many short GPU dispatches,
// so a step takes a second or two on lavapipe (which holds the main thread while one dispatch
// runs) while no dispatch takes long.
import { initBackend } from '../../src/backend.ts';
import { runExperiment } from '../../src/train.ts';
import { resolvePreset } from '../../src/presets.ts';
import { installCliInterrupt } from '../../src/interrupt.ts';
import { quadrantDataset } from '../helpers.ts';

const t0 = performance.now();
const say = (o: object) => process.stdout.write(JSON.stringify({ ...o, at: Math.round(performance.now() - t0) }) + '\n');

await initBackend({ backend: 'webgpu' });
installCliInterrupt(() => say({ event: 'answer' }));

let last = performance.now(), maxGapMs = 0, warm = false;
const beat = setInterval(() => {
  const now = performance.now();
  if (warm) maxGapMs = Math.max(maxGapMs, now - last);
  last = now;
}, 20);

const B = 32, side = 16;
const cfg = resolvePreset('mnist-conv-deepagrel', {
  layers: [
    ...Array.from({ length: 10 }, () => ({ type: 'conv2d' as const, filters: 8, kernelSize: 3, padding: 'same' as const })),
    { type: 'conv2d', filters: 8, kernelSize: 3, strides: 2 }, { type: 'dense', units: 64 },
  ],
  init: 0.05, lr: 0.1, epsilon: 0.2, batchSize: B, valSize: 0, maxEpochs: 1, patience: 10,
});
let error: string | null = null;
try {
  await runExperiment(cfg, {
    seed: 1, dataset: quadrantDataset(B * 8, 64, side), record: false,
    events: { onBatch: (e) => { say({ event: 'batch', batch: e.batch }); last = performance.now(); warm = true; } },
  });
} catch (e) {
  error = (e as Error).message;
} finally {
  clearInterval(beat);
}
say({ event: 'end', error, maxGapMs: Math.round(maxGapMs) });
process.exit(0);
