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

before(async () => { await useBackend('cpu'); });

const spec = (o: Output) => o.bundle['application/vnd.plotly.v1+json'] as PlotlyFigure;
const isFinal = (o: Output) => 'application/vnd.plotly.v1+json' in o.bundle;
/** The figure spec inside a live (HTML) output. */
const liveSpec = (o: Output) => JSON.parse(/var fig = (\{.*\});\n/.exec(String(o.bundle['text/html']))![1].replace(/\\u003c/g, '<').replace(/\\u003e/g, '>').replace(/\\u0026/g, '&')) as PlotlyFigure;

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
  // HTML only, every version (JupyterLab's Plotly renderer ignores updates)
  assert.ok(figs.every((o) => !isFinal(o)));
  const id = figs[0].target!.displayId;
  assert.equal(figs[0].target!.update, false);
  assert.ok(figs.slice(1).every((o) => o.target?.displayId === id && o.target.update));
  const last = liveSpec(figs.at(-1)!);
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
