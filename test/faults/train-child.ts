// A small but real training run in its own process, for the fault tests (kills, full disks): the
// library's runExperiment on the seeded quadrant task, CPU backend, checkpoint kept at the end so
// the final weights can be compared. Args: <results root> <checkpoint root> <seed> [max epochs]
// [seconds between checkpoints inside an epoch].
// Prints "started" to stderr once training begins; exit 1 with the error message on failure.
import { runExperiment } from '../../src/train.ts';
import { resolvePreset } from '../../src/presets.ts';
import { initBackend } from '../../src/backend.ts';
import { quadrantDataset } from '../helpers.ts';

const [resultsRoot, checkpointRoot, seed, epochs, every] = process.argv.slice(2);

export const TINY_LAYERS = [{ type: 'dense' as const, units: 24 }, { type: 'dropout' as const, rate: 0.2 }, { type: 'dense' as const, units: 12 }];

await initBackend({ backend: 'cpu' });
const cfg = resolvePreset('mnist-fc-deepagrel', { layers: TINY_LAYERS, init: 0.3, lr: 0.3, epsilon: 0.2, batchSize: 16, valSize: 100,
  testLimit: 200, maxEpochs: Number(epochs ?? 8), patience: 100 });
try {
  const res = await runExperiment(cfg, { seed: Number(seed), dataset: quadrantDataset(1100, 200), experiment: 'faults', resultsRoot, checkpointRoot,
    runId: `mnist-fc-deepagrel-s${seed}`,   // the name child.ts reads (its α 0.3 would otherwise be in it)
    keepCheckpoint: true, ...(every ? { checkpointEverySec: Number(every) } : {}), events: { onStart: (_h, i) => process.stderr.write(`started after epoch ${i.resumedFromEpoch}${i.resumedAtBatch ? ` at batch ${i.resumedAtBatch}` : ''}\n`) } });
  res.network?.dispose();
  process.stdout.write(res.skipped ? 'skipped\n' : 'finished\n');
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
