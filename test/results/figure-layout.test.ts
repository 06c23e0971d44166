// Issue 30, points 4 and 6: figures as a reader meets them. Notebook 03's learning curves had six
// long legend entries beside the plot (plot area ~90 px); short runs got epoch ticks at 1.5 and 2.5;
// the first epoch's tick label sat on the y-axis's 0 at the origin; notebook 08's largest α was a
// yellow dotted line on white, and its log axis read "3 4 … 9 0.1 2 3".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readRuns } from '../../src/results/reader.ts';
import { epochAxis, learningCurves } from '../../src/results/curves.ts';
import { figure3 } from '../../src/results/figure3.ts';
import { lrCurvesFigure, lrStudy, lrSummaryFigure, RAMP } from '../../src/results/lr-study.ts';
import { end, header, tempRoot, writeRun } from './fixtures.ts';

type Loose = { data: Array<Record<string, any>>; layout: Record<string, any> };

/** Notebook 03's CIFAR-10 conv row as the results/ folder has it: six protocols, long labels. */
function tableRowRuns() {
  const root = tempRoot();
  const common = 'maxEpochs=300, data not bit-exact';
  const protocols: Array<[string, string]> = [
    ['deepagrel', `DeepAGREL α=0.3 (CIFAR-10 gap candidate), ${common}`],
    ['deepagrel', `maxEpochs=300, bias=true, data not bit-exact`],
    ['ebp', `EBP α tuned (α=0.1, learning-rate study pick), ${common}`],
    ['deepagrel', `maxEpochs=300, inputNorm=per-channel, data not bit-exact`],
    ['deepagrel', common],
    ['ebp', common],
  ];
  protocols.forEach(([rule, protocol], i) => writeRun(root, header({ preset: `cifar10-conv-${rule}`, seed: 1, runId: `r${i}`, protocol }),
    Array.from({ length: 30 }, (_, e) => 0.1 + e / 60), end(30, 0.6)));
  return readRuns(root);
}

test('learning curves of a table row: the legend below the plot, short labels, what every run shares in the caption', () => {
  const fig = learningCurves(tableRowRuns(), { metric: 'valAccuracy', yTitle: 'validation accuracy' }) as Loose;
  const names = fig.data.filter((t) => t.showlegend !== false).map((t) => t.name as string);
  assert.equal(names.length, 6);
  assert.deepEqual(names.slice().sort(), ['DeepAGREL', 'DeepAGREL — bias=true', 'DeepAGREL — inputNorm=per-channel', 'DeepAGREL — α=0.3 (CIFAR-10 gap candidate)',
    'EBP', 'EBP — α tuned (α=0.1, learning-rate study pick)']);
  assert.ok(names.every((n) => n.length <= 50), names.join(' | '));
  assert.match(fig.layout.annotations[0].text, /Every run: maxEpochs=300, data not bit-exact\./);
  // below the plot (negative y in plot heights), left-aligned: the plot area keeps the figure's width
  assert.ok(fig.layout.legend.y < 0 && fig.layout.legend.yanchor === 'top', JSON.stringify(fig.layout.legend));
  const plotWidth = fig.layout.width - fig.layout.margin.l - fig.layout.margin.r;
  assert.ok(plotWidth >= 0.85 * fig.layout.width, `plot area ${plotWidth} of ${fig.layout.width} px`);
  // in columns wide enough for the longest label (Plotly cuts text at entrywidth), and the bottom
  // margin makes room for their rows (about 20 px each) under the caption
  const longest = Math.max(...names.map((n) => n.length));
  assert.ok(fig.layout.legend.entrywidth >= 6.5 * longest, JSON.stringify(fig.layout.legend));
  const columns = Math.floor(plotWidth / (fig.layout.legend.entrywidth + 40));
  assert.ok(columns >= 2, `${columns} column(s)`);
  assert.ok(fig.layout.margin.b >= 125 + Math.ceil(6 / columns) * 20, `bottom margin ${fig.layout.margin.b}`);
  const plotHeight = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b;
  assert.ok(plotHeight >= 250, `plot height ${plotHeight}`);
});

test('a few short entries: one legend row below the plot', () => {
  const root = tempRoot();
  for (const rule of ['deepagrel', 'ebp']) writeRun(root, header({ preset: `mnist-fc-${rule}`, seed: 1 }), [0.2, 0.4, 0.6], end(3, 0.6));
  const fig = learningCurves(readRuns(root), { metric: 'valAccuracy' }) as Loose;
  assert.deepEqual(fig.data.map((t) => t.name), ['DeepAGREL', 'EBP']);
  assert.equal(fig.layout.legend.orientation, 'h');
  assert.ok(fig.layout.legend.y < 0);
});

test('epoch axes: whole epochs on short runs, half an epoch of room at each end (no "0 1" in the corner)', () => {
  assert.deepEqual(epochAxis([1, 2, 3]), { title: { text: 'epoch' }, range: [0.5, 3.5], tickformat: 'd', tick0: 0, dtick: 1 });
  const long = epochAxis([1, 120]);
  assert.deepEqual(long.range, [0.5, 120.5]);
  assert.equal(long.dtick, undefined, 'long runs: Plotly picks the (whole) step');
  const root = tempRoot();
  for (const rule of ['deepagrel', 'ebp']) writeRun(root, header({ preset: `cifar10-conv-${rule}`, seed: 1 }), [0.2, 0.4, 0.6], end(3, 0.6));
  const runs = readRuns(root);
  const curves = learningCurves(runs, { metric: 'valAccuracy' }) as Loose;
  assert.equal(curves.layout.xaxis.dtick, 1);
  assert.deepEqual(curves.layout.xaxis.range, [0.5, 3.5]);
  const f3 = figure3(runs) as Loose;
  assert.equal(f3.layout.xaxis.dtick, 1);
  assert.deepEqual(f3.layout.xaxis.range, [0.5, 3.5]);
  assert.deepEqual(f3.layout.yaxis.range, [0, 1.02]);
});

/** WCAG contrast of a '#rrggbb' colour against white. */
function contrastOnWhite(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05);
}

test('learning-rate study: every α line solid and readable on white; the α axis ticks at the α values studied', () => {
  assert.ok(contrastOnWhite('#fde725') < 1.3, 'the check tells viridis yellow apart');
  for (const c of RAMP) assert.ok(contrastOnWhite(c) >= 3, `${c}: contrast ${contrastOnWhite(c).toFixed(2)} on white`);
  const root = tempRoot();
  for (const lr of [0.003, 0.01, 0.03, 0.1, 0.3]) for (const seed of [1, 2]) {
    writeRun(root, header({ preset: 'mnist-fc-ebp', seed, runId: `mnist-fc-ebp-lr${lr}-s${seed}`, config: { lr }, protocol: `lr=${lr}` }), [0.3, 0.5, 0.6], end(3, 0.6));
  }
  const runs = readRuns(root);
  const curves = lrCurvesFigure(runs) as Loose;
  assert.equal(curves.data.length, 5);
  for (const t of curves.data) {
    assert.equal(t.line.dash, 'solid', `${t.name}: ${t.line.dash}`);
    assert.ok(contrastOnWhite(t.line.color) >= 3, `${t.name}: ${t.line.color}`);
  }
  assert.deepEqual([curves.layout.xaxis.dtick, curves.layout.xaxis.range], [1, [0.5, 3.5]], 'whole epochs here too');
  const summary = lrSummaryFigure(lrStudy(runs)) as Loose;
  assert.deepEqual(summary.layout.xaxis.tickvals, [0.003, 0.01, 0.03, 0.1, 0.3]);
  assert.deepEqual(summary.layout.xaxis.ticktext, ['0.003', '0.01', '0.03', '0.1', '0.3']);
});
