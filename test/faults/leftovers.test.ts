// Defect 6 of issue 16: files left behind. A process killed between a run's end line and its
// clean-up left the checkpoint and lock forever; killed checkpoint writers left <ckpt>.tmp-<pid>
// files (25 MB each for MNIST FC). The next train or sweep that meets the run removes them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runExperiment } from '../../src/train.ts';
import { runSweep } from '../../src/cli/sweep.ts';
import { resolvePreset } from '../../src/presets.ts';
import { quadrantDataset } from '../helpers.ts';
import { useBackend } from '../engine/backends.ts';
import { tempDir } from '../tmp-dir.ts';

before(async () => { await useBackend('cpu'); });

const DEAD = JSON.stringify({ host: os.hostname(), pid: 2 ** 22 + 999, since: 'then' });
const tiny = () => resolvePreset('mnist-fc-deepagrel', { layers: [{ type: 'dense', units: 8 }], init: 0.3, lr: 0.5, batchSize: 16, valSize: 40, maxEpochs: 2, patience: 5 });

function leaveDebris(ck: string, runId: string): string[] {
  const base = path.join(ck, 'x', `${runId}.ckpt`);
  const files = [base, `${base}.prev`, `${base}.tmp`, `${base}.tmp-4194999`, `${base}.lock`];
  fs.mkdirSync(path.dirname(base), { recursive: true });
  for (const f of files) fs.writeFileSync(f, f.endsWith('.lock') ? DEAD : 'debris');
  return files;
}

test('a finished run\'s leftover checkpoint, temp files and dead lock are removed by the next train and by a sweep', async () => {
  const dir = tempDir('deepagrel-left-');
  const ds = quadrantDataset(100, 40);
  const opts = { seed: 1, dataset: ds, experiment: 'x', resultsRoot: path.join(dir, 'r'), checkpointRoot: path.join(dir, 'c') };
  (await runExperiment(tiny(), opts)).network?.dispose();
  const files = leaveDebris(opts.checkpointRoot, 'mnist-fc-deepagrel-s1');
  const again = await runExperiment(tiny(), opts);
  assert.equal(again.skipped, true);
  assert.deepEqual(files.filter(f => fs.existsSync(f)), [], 'train removed them');

  leaveDebris(opts.checkpointRoot, 'mnist-fc-deepagrel-s1');
  const log: string[] = [];
  await runSweep({ jobs: [{ preset: 'mnist-fc-deepagrel', seed: 1 }], experiment: 'x', resultsRoot: opts.resultsRoot, checkpointRoot: opts.checkpointRoot, trainArgs: [], log: l => log.push(l) });
  assert.deepEqual(files.filter(f => fs.existsSync(f)), [], 'sweep removed them');
  assert.match(log.join('\n'), /1 already finished, 0 to run/);
});

test('a killed writer\'s <ckpt>.tmp-<pid> is removed when the run is taken up again', async () => {
  const dir = tempDir('deepagrel-left-');
  const opts = { seed: 2, dataset: quadrantDataset(100, 40), experiment: 'x', resultsRoot: path.join(dir, 'r'), checkpointRoot: path.join(dir, 'c') };
  (await runExperiment(tiny(), { ...opts, haltAfterEpochs: 1 })).network?.dispose();
  const stray = path.join(opts.checkpointRoot, 'x', 'mnist-fc-deepagrel-s2.ckpt.tmp-4194998');
  fs.writeFileSync(stray, Buffer.alloc(1 << 16));
  (await runExperiment(tiny(), opts)).network?.dispose();
  assert.deepEqual(fs.readdirSync(path.join(opts.checkpointRoot, 'x')), [], 'nothing left once the run ended');
});
