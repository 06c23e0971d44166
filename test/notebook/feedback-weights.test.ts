// Notebook 07: the three feedback-weight modes as experiments, their alignment angles and summary.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { alignmentFigure, alignmentLayers, feedbackAccuracyFigure, feedbackConfig, feedbackSummary, trainFeedbackModes } from '../../src/notebook/feedback-weights.ts';
import { runRoots } from '../../src/notebook/params.ts';
import { quadrantDataset } from '../helpers.ts';
import { useBackend } from '../engine/backends.ts';
import { recorder } from './helpers.ts';

before(async () => { await useBackend('cpu'); });

const layers = [{ type: 'dense' as const, units: 12 }, { type: 'dense' as const, units: 8 }];

test('feedbackConfig: the MNIST FC preset with the network and mode; weight decay only where W′ learns', () => {
  const setup = { rule: 'deepagrel' as const, layers, weightDecay: 0.01, quick: true };
  const rec = feedbackConfig('reciprocal', setup);
  assert.deepEqual([rec.preset, rec.feedback, rec.weightDecay, rec.lr, rec.layers], ['mnist-fc-deepagrel', 'reciprocal', 0.01, 0.5, layers]);
  assert.deepEqual([rec.perClass, rec.maxEpochs], [500, 8]);
  assert.equal(feedbackConfig('fixed-random', setup).weightDecay, 0);
  assert.equal(feedbackConfig('symmetric', setup).weightDecay, 0);
  const full = feedbackConfig('symmetric', { ...setup, rule: 'ebp', quick: false, overrides: { maxEpochs: 7 } });
  assert.deepEqual([full.rule, full.lr, full.perClass, full.maxEpochs, full.patience], ['ebp', 0.1, 0, 7, 10]);
});

test('three modes trained: separate run files, angles recorded where W′ ≠ W, figure and summary', async () => {
  const roots = runRoots(true, 'fb');
  const { sink, figures } = recorder();
  const runs = await trainFeedbackModes({
    setup: { rule: 'deepagrel', layers, weightDecay: 0.05, quick: true, overrides: { perClass: 0, valSize: 40, batchSize: 20, maxEpochs: 3, patience: 3, testLimit: 0 } },
    seeds: [1], roots, dataset: quadrantDataset(200, 40), sink, log: null,
  });
  assert.deepEqual(runs.map((r) => r.header.runId), ['mnist-fc-deepagrel-symmetric-s1', 'mnist-fc-deepagrel-reciprocal-s1', 'mnist-fc-deepagrel-fixed-random-s1']);
  assert.equal(new Set(runs.map((r) => r.file)).size, 3);
  assert.ok(runs.every((r) => r.header.experiment === 'feedback-weights' && r.file.startsWith(roots.resultsRoot)));
  assert.equal(runs[0].epochs[0].alignmentDeg, undefined);
  assert.deepEqual(alignmentLayers(runs), ['dense1', 'dense2', 'output']);
  const angle = (i: number, layer: string) => runs[i].epochs.map((e) => e.alignmentDeg![layer]);
  assert.ok(angle(1, 'output').every((a) => a > 0 && a < 95));
  assert.ok(angle(1, 'output')[2] < angle(1, 'output')[0], 'reciprocal W′ turns towards W');
  assert.ok(figures().length >= 1);
  // the live figure ends as the accuracy figure, mean ± 2σ per mode (the notebook shows no second copy)
  const last = figures().at(-1)!;
  assert.equal(last.target?.displayId, figures()[0].target?.displayId);
  const lastSpec = last.bundle['application/vnd.plotly.v1+json'] as { data: Array<{ name?: string; mode?: string; showlegend?: boolean }>; layout: { title: { text: string } } };
  assert.equal(lastSpec.layout.title.text, 'QUICK mode: MNIST, deepagrel: validation accuracy per feedback mode');
  assert.deepEqual(lastSpec.data.filter((t) => t.mode === 'lines' && t.showlegend !== false).map((t) => t.name), ['symmetric', 'reciprocal', 'fixed-random']);

  const fig = alignmentFigure(runs, { title: 't' });
  assert.deepEqual(['xaxis', 'xaxis2', 'xaxis3'].map((k) => k in fig.layout), [true, true, true]);
  const legend = fig.data.filter((t) => t.showlegend !== false && t.mode === 'lines' && t.xaxis === 'x').map((t) => t.name);
  assert.deepEqual(legend, ['reciprocal', 'fixed-random', 'symmetric (W′ = Wᵀ by construction)']);

  const acc = feedbackAccuracyFigure(runs);
  assert.deepEqual(acc.data.filter((t) => t.mode === 'lines' && t.showlegend !== false).map((t) => t.name), ['symmetric', 'reciprocal', 'fixed-random']);
  assert.equal((acc.layout.title as { text: string }).text, 'MNIST 12-8, deepagrel: validation accuracy per feedback mode');

  const rows = feedbackSummary(runs).objects() as Array<Record<string, string>>;
  assert.deepEqual(rows.map((r) => r['feedback weights']), ['symmetric', 'reciprocal', 'fixed-random']);
  assert.equal(rows[0]['∠ output (last epoch)'], '0° (W′ = Wᵀ)');
  assert.match(rows[1]['∠ dense1 (last epoch)'], /^\d+\.\d°$/);
  assert.equal(rows[1]['weight decay'], '0.05');
});
