// Notebook 09 (and RESULTS.md's weight-transport table), beyond the paper: which feedback modes
// (src/feedback/modes.ts) still learn under reward-only feedback (DeepAGREL) and under error
// feedback (EBP), on the MNIST FC and conv nets, on one fixed budget. The runs are the ones
// `deepagrel sweep --feedback …` makes with the same budget flags (same config, name and folder),
// so either can train them and both read them:
//   deepagrel sweep --presets 'mnist-fc-*,mnist-conv-*' --feedback symmetric,sign-symmetric,kolen-pollack,fixed-random,direct \
//     --seeds 1-3 --per-class 1000 --epochs E --patience E     (E: BUDGET.epochs of the net)
// Records: results/weight-transport/<preset>[-<mode>][-lr<α>]-s<seed>.jsonl.

import * as aq from 'arquero';
import type { Dataset } from '../data/types.ts';
import { FEEDBACK, FEEDBACK_MODES, learnsWithW, type FeedbackMode } from '../feedback/modes.ts';
import { datasetLabel, datasetRank } from '../results/paper-table1.ts';
import { PRESETS, configRunName, resolvePreset, type ExperimentConfig } from '../presets.ts';
import { runExperiment } from '../train.ts';
import { WEIGHT_TRANSPORT_EXPERIMENT } from '../results/reader.ts';
import { epochAxis, epochBands } from '../results/curves.ts';
import { meanSdOf } from '../results/stats.ts';
import type { RunRecord } from '../results/schema.ts';
import type { PlotlyFigure } from '../plots/types.ts';
import type { DisplaySink } from '../plots/display.ts';
import { LiveCurves } from './live.ts';
import { alignmentFigure, modeOf, variantTraces } from './feedback-weights.ts';
import { checkSeeds, type RunRoots } from './params.ts';

export const EXPERIMENT = WEIGHT_TRANSPORT_EXPERIMENT;
export const TRANSPORT_MODES: readonly FeedbackMode[] = ['symmetric', 'sign-symmetric', 'kolen-pollack', 'fixed-random', 'direct'];
export type TransportNet = 'fc' | 'conv';
export type TransportRule = 'deepagrel' | 'ebp';

/** The fixed budget of one net: the first `perClass` training images of each class, `epochs` epochs
 *  (no early stop); `valSize`/`testLimit` shrink validation and test (quick runs). */
export interface Budget { perClass: number; epochs: number; valSize?: number; testLimit?: number }

export interface TransportSetup {
  modes: readonly FeedbackMode[];
  rules: readonly TransportRule[];
  nets: readonly TransportNet[];
  budget: Record<TransportNet, Budget>;
  /** α per mode (else the preset's, Table 1), per rule and net: e.g. { direct: { deepagrel: { fc: 0.1 } } }. */
  lr?: Partial<Record<FeedbackMode, Partial<Record<TransportRule, Partial<Record<TransportNet, number>>>>>>;
}

export const presetOf = (net: TransportNet, rule: TransportRule) => `mnist-${net}-${rule}`;

/** The experiment of one cell: the MNIST preset with this feedback mode on the net's budget. */
export function transportConfig(mode: FeedbackMode, rule: TransportRule, net: TransportNet, s: TransportSetup): ExperimentConfig {
  const b = s.budget[net];
  const lr = s.lr?.[mode]?.[rule]?.[net];
  return resolvePreset(presetOf(net, rule), {
    feedback: mode, perClass: b.perClass, maxEpochs: b.epochs, patience: b.epochs,
    ...(b.valSize !== undefined ? { valSize: b.valSize } : {}), ...(b.testLimit ? { testLimit: b.testLimit } : {}), ...(lr !== undefined ? { lr } : {}),
  });
}

/** The CLI commands that train the same runs (one per net, rule and α; for the notebook to print). */
export function sweepCommand(s: TransportSetup, seeds: number[]): string[] {
  const out: string[] = [];
  for (const net of s.nets) for (const rule of s.rules) {
    const b = s.budget[net];
    const byLr = new Map<number, FeedbackMode[]>();
    for (const m of s.modes) { const a = transportConfig(m, rule, net, s).lr; byLr.set(a, [...(byLr.get(a) ?? []), m]); }
    for (const [lr, modes] of byLr) out.push(`npx deepagrel sweep --presets ${presetOf(net, rule)} --feedback ${modes.join(',')} --seeds ${seeds.join(',')}`
      + `${lr !== PRESETS[presetOf(net, rule)].lr ? ` --lr ${lr}` : ''} --per-class ${b.perClass} --epochs ${b.epochs} --patience ${b.epochs}`
      + `${b.valSize !== undefined ? ` --val-size ${b.valSize}` : ''}${b.testLimit ? ` --test-limit ${b.testLimit}` : ''}`);
  }
  return out;
}

export interface TransportRunOptions {
  setup: TransportSetup;
  seeds: number[];
  roots: RunRoots;
  dataset: Dataset;
  sink?: DisplaySink;
  log?: ((line: string) => void) | null;
}

/**
 * Train every net × rule × mode × seed (finished runs are read, not trained). One live figure for
 * all of them (validation accuracy, one band per net, rule and mode over the seeds) that becomes the
 * accuracy figure (transportAccuracyFigure) at the end: one output instead of several (each figure
 * JupyterLab draws keeps a PNG snapshot of ~90 KB in the saved notebook).
 */
export async function trainWeightTransport(o: TransportRunOptions): Promise<RunRecord[]> {
  checkSeeds(o.seeds);
  const s = o.setup;
  for (const m of s.modes) if (!FEEDBACK[m]) throw new Error(`MODES: unknown feedback mode ${JSON.stringify(m)}; allowed: ${Object.keys(FEEDBACK).join(', ')}`);
  const live = new LiveCurves({ title: 'MNIST: validation accuracy per net, rule and feedback mode (live)', sink: o.sink, log: o.log });
  const runs: RunRecord[] = [];
  for (const net of s.nets) for (const rule of s.rules) for (const mode of s.modes) {
    const cfg = transportConfig(mode, rule, net, s);
    for (const seed of o.seeds) {
      const res = await runExperiment(cfg, {
        seed, dataset: o.dataset, experiment: EXPERIMENT, runId: configRunName(cfg, seed),
        resultsRoot: o.roots.resultsRoot, checkpointRoot: o.roots.checkpointRoot, events: live.events(`${net} ${rule} ${mode}`),
      });
      res.network?.dispose();
      if (res.skipped && res.record) live.reused(`${net} ${rule} ${mode}`, res.record);
      if (res.record) runs.push(res.record);
    }
  }
  if (runs.length) live.replace(transportAccuracyFigure(runs));
  return runs;
}

/** The panel a run belongs to: dataset, net (augmented or not) and rule, e.g. "MNIST conv, deepagrel". */
const cellOf = (r: RunRecord) => `${datasetLabel(r.header.dataset)} ${r.header.arch}${r.header.augment ? ' aug' : ''}, ${r.header.rule}`;
/** The panels of `runs` in the paper's order: dataset, then FC, conv, loccon, then DeepAGREL before EBP. */
function cellsOf(runs: RunRecord[]): string[] {
  const rank = (r: RunRecord) => [datasetRank(r.header.dataset), ['fc', 'conv', 'loccon'].indexOf(r.header.arch), r.header.augment ? 1 : 0, r.header.rule === 'deepagrel' ? 0 : 1];
  const firsts = [...new Map(runs.map(r => [cellOf(r), r])).values()];
  firsts.sort((a, b) => { const x = rank(a), y = rank(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || x[3] - y[3]; });
  return firsts.map(cellOf);
}
const budgetOf = (r: RunRecord) => `${Number(r.header.config.perClass) > 0 ? `${r.header.config.perClass}/class` : 'all images'}, ${r.header.config.maxEpochs} epochs`;
const distinct = <T>(xs: T[]) => new Set(xs).size;

/**
 * What a run is within its panel: the mode, plus what tells it apart from the panel's other runs
 * of that mode: its α where the mode has several there or differs from the panel's one symmetric α
 * (a mode that diverged there is run at a smaller one), its λ where several λ meet or a mode whose
 * W′ does not learn has one, and its budget where the panel mixes budgets. "direct α=0.1".
 * Runs with the same label are averaged: nothing that differs is merged.
 */
export function variantLabeller(runs: RunRecord[]): (r: RunRecord) => string {
  const inCell = new Map<string, RunRecord[]>();
  for (const r of runs) inCell.set(cellOf(r), [...(inCell.get(cellOf(r)) ?? []), r]);
  return r => {
    const cell = inCell.get(cellOf(r)) ?? [r];
    const mode = modeOf(r) as FeedbackMode, lr = Number(r.header.config.lr), wd = Number(r.header.config.weightDecay ?? 0);
    const same = cell.filter(x => modeOf(x) === mode);
    const symLrs = new Set(cell.filter(x => modeOf(x) === 'symmetric').map(x => Number(x.header.config.lr)));
    const showLr = distinct(same.map(x => Number(x.header.config.lr))) > 1 || (mode !== 'symmetric' && symLrs.size === 1 && !symLrs.has(lr));
    const showWd = distinct(same.map(x => Number(x.header.config.weightDecay ?? 0))) > 1 || (!learnsWithW(mode) && wd > 0);
    const showBudget = distinct(cell.map(budgetOf)) > 1;
    return `${mode}${showLr ? ` α=${lr}` : ''}${showWd ? ` λ=${wd}` : ''}${showBudget ? ` (${budgetOf(r)})` : ''}`;
  };
}

/** Validation accuracy per epoch, one panel per net × rule, one band (mean ± 2σ over seeds) per mode. */
export function transportAccuracyFigure(runs: RunRecord[], opts: { title?: string } = {}): PlotlyFigure {
  const cells = cellsOf(runs);
  const label = variantLabeller(runs);
  const cols = Math.min(2, Math.max(1, cells.length)), rows = Math.ceil(cells.length / cols);
  const gapX = 0.08, gapY = 0.14;
  const w = (1 - gapX * (cols - 1)) / cols, h = (1 - gapY * (rows - 1)) / Math.max(1, rows);
  const layout: Record<string, unknown> = {
    width: 980, height: 330 * Math.max(1, rows) + 120, hovermode: 'closest', margin: { l: 60, r: 20, t: 80, b: 70 },
    title: { text: opts.title ?? 'Validation accuracy per feedback mode (mean ± 2σ over seeds)' },
    legend: { orientation: 'h', x: 0, y: -0.1 }, annotations: [] as unknown[],
  };
  const data: Array<Record<string, unknown>> = [];
  const shown = new Set<string>();
  cells.forEach((cell, i) => {
    const suffix = i === 0 ? '' : String(i + 1);
    const x0 = (i % cols) * (w + gapX), y1 = 1 - Math.floor(i / cols) * (h + gapY);
    const mine = runs.filter(r => cellOf(r) === cell);
    layout[`xaxis${suffix}`] = { ...epochAxis(mine.flatMap(r => r.epochs.map(e => e.epoch))), domain: [x0, x0 + w], anchor: `y${suffix}` };
    layout[`yaxis${suffix}`] = { range: [0, 1], title: { text: i % cols === 0 ? 'validation accuracy' : '' }, domain: [y1 - h, y1], anchor: `x${suffix}` };
    (layout.annotations as unknown[]).push({ text: `<b>${cell}</b>`, showarrow: false, xref: 'paper', yref: 'paper', x: x0 + w / 2, y: y1, xanchor: 'center', yanchor: 'bottom' });
    for (const band of epochBands(mine, e => e.valAccuracy, label, [0, 1])) {
      data.push(...variantTraces(band, `x${suffix}`, `y${suffix}`, !shown.has(band.group)));
      shown.add(band.group);
    }
  });
  return { data, layout };
}

/** Each layer's update vs the true gradient over training, for one MNIST net and rule (one panel per layer). */
export function transportAlignmentFigure(runs: RunRecord[], net: TransportNet, rule: TransportRule): PlotlyFigure {
  const mine = runs.filter(r => r.header.preset === presetOf(net, rule));
  return alignmentFigure(mine, { metric: 'gradientAlignmentDeg', yMax: 120, groupOf: variantLabeller(mine),
    title: `MNIST ${net}, ${rule}: angle between each layer's update and the true gradient (0° = backprop, 90° = unrelated)` });
}

const f1 = (x: number | null) => x == null ? '–' : x.toFixed(1);
const pctSd = (xs: number[]) => {
  const [m, sd] = meanSdOf(xs);
  return m == null ? '–' : `${(100 * m).toFixed(2)}${sd != null && xs.length > 1 ? ` ± ${(100 * sd).toFixed(2)}` : ''}`;
};

/**
 * Per net, rule and mode: α, seeds, epochs, test accuracy (%, mean ± sd over seeds; a diverged
 * run counts in "diverged", not in the mean), and the last epoch's angle to the gradient of the
 * bottom layer and of the top hidden layer (mean over seeds).
 */
export function transportTable(runs: RunRecord[]): aq.ColumnTable {
  const label = variantLabeller(runs);
  const keyOf = (r: RunRecord) => `${cellOf(r)}|${label(r)}`;
  const cells = cellsOf(runs);
  const rank = (r: RunRecord) => [cells.indexOf(cellOf(r)), FEEDBACK_MODES.indexOf(modeOf(r) as FeedbackMode), label(r) === modeOf(r) ? 0 : 1];
  const firsts = [...new Map(runs.map(r => [keyOf(r), r])).values()];
  firsts.sort((a, b) => { const x = rank(a), y = rank(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || label(a).localeCompare(label(b)); });
  return aq.from(firsts.map(first => {
    const mine = runs.filter(r => keyOf(r) === keyOf(first));
    const mode = modeOf(first) as FeedbackMode, wd = Number(first.header.config.weightDecay ?? 0);
    const ok = mine.filter(r => r.end && r.end.status !== 'diverged' && r.end.testAccuracy != null);
    const angles = (pick: (names: string[]) => string | undefined) => {
      const xs = mine.flatMap(r => {
        const a = r.epochs.at(-1)?.gradientAlignmentDeg;
        const name = a && pick(Object.keys(a));
        const v = name ? a![name] : null;
        return typeof v === 'number' && Number.isFinite(v) ? [v] : [];
      });
      return mode === 'symmetric' ? '0 (gradient)' : f1(meanSdOf(xs)[0]);
    };
    const [net, rule] = cellOf(first).split(', ');
    return {
      net, rule, feedback: mode + (learnsWithW(mode) || wd > 0 ? ` (λ ${wd})` : ''), 'α': String(first.header.config.lr), budget: budgetOf(first),
      seeds: String(mine.length), epochs: String(Math.max(...mine.map(r => r.end?.epochs ?? r.epochs.length))),
      'test accuracy (%)': pctSd(ok.map(r => r.end!.testAccuracy!)),
      diverged: String(mine.filter(r => r.end?.status === 'diverged').length),
      '∠ bottom layer (°)': angles(ns => ns[0]),
      '∠ top hidden layer (°)': angles(ns => ns.at(-2)),
    };
  }));
}
