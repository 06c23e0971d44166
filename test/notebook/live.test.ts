// Live learning curves: TrainEvents from a real (tiny) training run redraw one figure in place.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { runExperiment } from '../../src/train.ts';
import { resolvePreset } from '../../src/presets.ts';
import type { PlotlyFigure } from '../../src/plots/types.ts';
import { LiveCurves } from '../../src/notebook/live.ts';
import { quadrantDataset } from '../helpers.ts';
import { useBackend } from '../engine/backends.ts';
import { recorder, type Output } from './helpers.ts';
import { join } from 'node:path';
import { tempDir } from '../tmp-dir.ts';

before(async () => { await useBackend('cpu'); });

const spec = (o: Output) => o.bundle['application/vnd.plotly.v1+json'] as PlotlyFigure;

test('one live figure per LiveCurves, redrawn after every epoch of every run, one log line per epoch', async () => {
  const { sink, figures } = recorder();
  const lines: string[] = [];
  const live = new LiveCurves({ title: 'live test', sink, log: (l) => lines.push(l) });
  const ds = quadrantDataset(120, 20);
  const cfg = (rule: 'deepagrel' | 'ebp') => resolvePreset(`mnist-fc-${rule}`, { layers: [{ type: 'dense', units: 8 }], batchSize: 20, valSize: 20, maxEpochs: 3, patience: 3 });
  for (const rule of ['deepagrel', 'ebp'] as const) {
    const res = await runExperiment(cfg(rule), { seed: 1, dataset: ds, record: false, events: live.events(rule.toUpperCase()) });
    res.network?.dispose();
  }
  const figs = figures();
  // First output creates the display; every later one (2 starts + 6 epochs + 2 ends − 1) replaces it in place.
  assert.equal(figs.length, 10);
  // every version in the Plotly mime type: what JupyterLab draws (and a reopened notebook shows)
  assert.ok(figs.every((o) => spec(o)?.data));
  const id = figs[0].target!.displayId;
  assert.equal(figs[0].target!.update, false);
  assert.ok(figs.slice(1).every((o) => o.target?.displayId === id && o.target.update));
  const last = spec(figs.at(-1)!);
  const named = last.data.filter((t) => t.mode === 'lines' && t.showlegend !== false).map((t) => t.name);
  assert.deepEqual(named, ['DEEPAGREL', 'EBP']);
  assert.deepEqual((last.data[0] as { x: number[] }).x, [1, 2, 3]);   // one run per rule: its mean line alone
  assert.deepEqual((last.layout.title as { text: string }).text, 'live test');
  assert.equal(live.runs.length, 2);
  assert.ok(live.runs.every((r) => r.epochs.length === 3 && r.end?.status === 'max-epochs'));
  assert.equal(lines.filter((l) => / epoch \d: reward /.test(l)).length, 6);
  assert.match(lines[0], /^DEEPAGREL: mnist-fc-deepagrel seed 1, α = 0.5, 100 training images, 5 batches\/epoch/);
  assert.match(lines.at(-1)!, /^EBP: max-epochs after 3 epochs, test accuracy \d+\.\d\d% \(weights of epoch \d\)/);
});

test('replace() swaps the live figure for another in place; the metric is configurable', () => {
  const { sink, figures } = recorder();
  const live = new LiveCurves({ metric: 'trainRewardRate', sink, log: null });
  live.replace({ data: [], layout: { title: { text: 'first' } } });
  live.replace({ data: [], layout: { title: { text: 'final' } } });
  const figs = figures();
  assert.equal(figs.length, 2);
  assert.equal(figs[1].target!.update, true);
  assert.equal((live.figure().layout.yaxis as { title: { text: string } }).title.text, 'reward rate (training, exploration included)');
});

test('a resumed run\'s live curve starts at epoch 1: the epochs before the interrupt come from its record (issue 30)', async () => {
  const { sink, figures } = recorder();
  const dir = tempDir('deepagrel-live-resume-');
  const ds = quadrantDataset(120, 20);
  const cfg = resolvePreset('mnist-fc-deepagrel', { layers: [{ type: 'dense', units: 8 }], batchSize: 20, valSize: 20, maxEpochs: 4, patience: 4 });
  const where = { seed: 1, dataset: ds, experiment: 'live-resume', resultsRoot: join(dir, 'results'), checkpointRoot: join(dir, 'checkpoints') };
  const first = await runExperiment(cfg, { ...where, haltAfterEpochs: 2 });   // stops as if killed after epoch 2
  first.network?.dispose();
  const live = new LiveCurves({ sink, log: null });
  const res = await runExperiment(cfg, { ...where, events: live.events('resumed') });
  res.network?.dispose();
  const figs = figures();
  // the first drawing already has epochs 1–2; the last one all four
  assert.deepEqual((spec(figs[0]).data.at(-1) as { x: number[] }).x, [1, 2]);
  assert.deepEqual((spec(figs.at(-1)!).data.at(-1) as { x: number[] }).x, [1, 2, 3, 4]);
  assert.deepEqual(live.runs[0].epochs.map((e) => e.epoch), [1, 2, 3, 4]);
});
