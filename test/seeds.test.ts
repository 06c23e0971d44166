// Issue 30, items 8 and 9 below the command line: seeds are integers 0…2³²−1 everywhere (the
// generator, the training loop, the notebooks' seed lists), each its own stream, and the numbers of
// the seeds in range are the ones they always were (the committed records stay reproducible). Names
// that become paths are one safe name each for the library too (notebooks call it directly).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng, MAX_SEED } from '../src/rng.ts';
import { Network } from '../src/network.ts';
import { runExperiment } from '../src/train.ts';
import { resolvePreset } from '../src/presets.ts';
import { checkSeeds } from '../src/notebook/params.ts';
import { lrGrid } from '../src/notebook/lr-grid.ts';
import { tableRow } from '../src/notebook/table-row.ts';
import { trainFeedbackModes } from '../src/notebook/feedback-weights.ts';
import { quadrantDataset } from './helpers.ts';
import { useBackend } from './engine/backends.ts';
import { tempDir } from './tmp-dir.ts';

before(async () => { await useBackend('cpu'); });

const first = (seed: number) => { const r = new Rng(seed); return [r.uint32(), r.uint32(), r.uint32()]; };

test('seeds 0…2³²−1 keep their numbers; 2³², 1e30, -1, 1.5 and NaN are refused instead of folding onto another seed', () => {
  // Known answers of the generator before this rule (pinned: changing them would change every record).
  assert.deepEqual(first(0), [1255788323, 229556502, 1129684417]);
  assert.deepEqual(first(1), [635646946, 1195056953, 2085805719]);
  assert.deepEqual(first(42), [3681621431, 4250209148, 940641817]);
  assert.deepEqual(first(2 ** 31), [393215264, 1399969422, 2527817837]);
  assert.deepEqual(first(MAX_SEED), [2955192266, 571914508, 1442885222]);
  assert.equal(MAX_SEED, 4294967295);
  // Each seed in range its own stream (the seed is one 32-bit word, mixed one to one).
  const seen = new Set([0, 1, 2, 3, 2 ** 16, 2 ** 31, MAX_SEED - 1, MAX_SEED].map(s => first(s).join()));
  assert.equal(seen.size, 8);
  for (const bad of [2 ** 32, 2 ** 32 + 1, 1e30, -1, 1.5, NaN, Infinity])
    assert.throws(() => new Rng(bad), (e: Error) => e instanceof RangeError && /^seed must be an integer from 0 to 4294967295, got /.test(e.message), `seed ${bad}`);
});

test('distinct seeds never share initial weights: a seed beyond 2³²−1 is refused by the network', () => {
  const net = (seed: number) => new Network({ inputShape: [4, 4, 1], layers: [{ type: 'dense', units: 6 }], numClasses: 3, init: 0.3, seed });
  const w = (seed: number) => { const n = net(seed); const ws = n.getWeights(); n.dispose(); return Array.from(Object.values(ws)[0].W); };
  assert.notDeepEqual(w(0), w(MAX_SEED));
  assert.throws(() => net(2 ** 32), /seed must be an integer from 0 to 4294967295, got 4294967296/);
  assert.throws(() => net(1e30), /seed must be an integer from 0 to 4294967295, got 1e\+30/);
});

const tiny = () => resolvePreset('mnist-fc-deepagrel', { layers: [{ type: 'dense', units: 8 }], init: 0.3, batchSize: 16, valSize: 16, maxEpochs: 1 });

test('runExperiment refuses bad seeds and unsafe names before it writes anything', async () => {
  const dir = tempDir('deepagrel-seeds-');
  const root = path.join(dir, 'a', 'b');
  const base = { dataset: quadrantDataset(48, 16), experiment: 'x', resultsRoot: root, checkpointRoot: root };
  const BAD: [string, object, RegExp][] = [
    ['seed 2³²', { seed: 2 ** 32 }, /^ConfigError: seed must be an integer from 0 to 4294967295, got 4294967296$/],
    ['seed 1e30', { seed: 1e30 }, /^ConfigError: seed must be an integer from 0 to 4294967295, got 1e\+30$/],
    ['seed -1', { seed: -1 }, /^ConfigError: seed must be an integer/],
    ['experiment ../../x', { seed: 1, experiment: '../../x' }, /^PathError: experiment "\.\.\/\.\.\/x" must be one folder or file name/],
    ['experiment ""', { seed: 1, experiment: '' }, /^PathError: experiment "" is empty; give a name$/],
    ['run name ../x', { seed: 1, runId: '../x' }, /^PathError: run name "\.\.\/x" must be one folder or file name/],
    ['run name ""', { seed: 1, runId: '' }, /^PathError: run name "" is empty; give a name$/],
    ['results root ""', { seed: 1, resultsRoot: '' }, /^PathError: results root is empty/],
    ['checkpoint root ""', { seed: 1, checkpointRoot: '' }, /^PathError: checkpoint root is empty/],
    ['data folder ""', { seed: 1, dataset: undefined, dataDir: '' }, /^PathError: data folder is empty/],
  ];
  for (const [what, o, message] of BAD)
    await assert.rejects(runExperiment(tiny(), { ...base, ...o } as any), (e: Error) => { assert.match(`${e.name}: ${e.message}`, message, what); return true; }, what);
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing written');
  // The ends of the range train (and name their runs by the seed).
  const res = await runExperiment(tiny(), { ...base, seed: MAX_SEED });
  res.network?.dispose();
  assert.equal(path.basename(res.record!.file), 'mnist-fc-deepagrel-s4294967295.jsonl');
});

test("notebooks: a first cell's seed list is checked before anything trains, with one message naming it", async () => {
  assert.deepEqual(checkSeeds([0, 1, MAX_SEED]), [0, 1, MAX_SEED]);
  for (const [seeds, message] of [
    [[1, 2 ** 32], /^Error: each seed in SEEDS must be an integer from 0 to 4294967295, got 4294967296$/],
    [[1e30], /got 1e\+30$/],
    [[1, 1.5], /got 1\.5$/],
    [['1'], /got "1"$/],
    [[], /^Error: SEEDS must be a non-empty list of seeds, e\.g\. \[1, 2, 3\]; got \[\]$/],
    [[3, 3], /^Error: SEEDS lists a seed twice: \[3,3\]$/],
  ] as [unknown, RegExp][]) assert.throws(() => checkSeeds(seeds), message, JSON.stringify(seeds));
  // The notebook helpers that train refuse before their first run (which would be seed 1's).
  const dir = tempDir('deepagrel-nbseeds-');
  const roots = { resultsRoot: dir, checkpointRoot: dir, figuresDir: dir, temporary: true };
  const seeds = [1, 2 ** 32];
  await assert.rejects(lrGrid({ grid: { 'mnist-fc-ebp': [0.1, 0.2] }, seeds, budget: {}, quick: true, train: true, resultsDir: dir, roots, log: null }), /SEEDS must be an integer from 0 to 4294967295/);
  await assert.rejects(tableRow({ dataset: 'mnist', arch: 'fc' } as any, { quick: true, train: true, seeds, resultsDir: dir, roots, log: null }), /SEEDS must be an integer/);
  await assert.rejects(trainFeedbackModes({ seeds } as any), /SEEDS must be an integer/);
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing written');
});
