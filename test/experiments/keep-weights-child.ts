// A tiny run with --keep-weights in its own process, for the test that kills it right after its
// end line (DEEPAGREL_KILL_AT=record:end-written:1). Args: <root> <seed>.
import { runExperiment } from '../../src/train.ts';
import { resolvePreset } from '../../src/presets.ts';
import { initBackend } from '../../src/backend.ts';
import { quadrantDataset } from '../helpers.ts';

const [root, seed] = process.argv.slice(2);
await initBackend({ backend: 'cpu' });
const cfg = resolvePreset('mnist-fc-deepagrel', { layers: [{ type: 'dense', units: 16 }], init: 0.3, lr: 0.5, batchSize: 16, valSize: 24, maxEpochs: 3 });
const res = await runExperiment(cfg, { seed: Number(seed), dataset: quadrantDataset(120, 40), experiment: 'e', resultsRoot: root, checkpointRoot: root, keepWeights: true });
res.network?.dispose();
