// Notebook 07, beyond the paper: does DeepAGREL need W′ = Wᵀ? Three feedback-weight modes on the
// same MNIST network (config.feedback):
//   symmetric     W′ = Wᵀ from the start and forever (the paper)
//   reciprocal    W′ starts independently random and learns by the same local rule as W, with
//                 weight decay: W and W′ receive identical updates, so decay shrinks their
//                 difference and W′ comes to align with Wᵀ (Kolen–Pollack)
//   fixed-random  W′ random and frozen (feedback alignment: W must come to align with W′)
// The angle between W′ and Wᵀ per layer is recorded every epoch (EpochRecord.alignmentDeg).

import * as aq from 'arquero';
import type { Dataset } from '../data/types.ts';
import { learnsWithW, type FeedbackMode } from '../feedback/modes.ts';
import type { LayerSpec } from '../network.ts';
import { PRESETS, resolvePreset, type ExperimentConfig } from '../presets.ts';
import { runExperiment } from '../train.ts';
import { bandTraces, epochAxis, epochBands, learningCurves, PALETTE, type Band } from '../results/curves.ts';
import type { RunRecord } from '../results/schema.ts';
import type { PlotlyFigure } from '../plots/types.ts';
import type { DisplaySink } from '../plots/display.ts';
import { LiveCurves } from './live.ts';
import { checkSeeds, pct, quickLabel, type RunRoots } from './params.ts';

export const MODES: readonly FeedbackMode[] = ['symmetric', 'reciprocal', 'fixed-random'];
export const EXPERIMENT = 'feedback-weights';
export const MODE_COLOR: Record<string, string> = { symmetric: PALETTE[0], reciprocal: PALETTE[2], 'fixed-random': PALETTE[3],
  'sign-symmetric': PALETTE[1], 'kolen-pollack': PALETTE[4], direct: PALETTE[5] };

export interface FeedbackSetup {
  rule: 'deepagrel' | 'ebp';
  layers: LayerSpec[];
  /** Weight decay λ where W′ learns (reciprocal, kolen-pollack: ΔW and ΔW′ also subtract α·λ·W). */
  weightDecay: number;
  quick: boolean;
  /** Further preset overrides (maxEpochs, perClass, …). */
  overrides?: Partial<ExperimentConfig>;
  /** Learning rate α (default: the preset's, Table 1); wins over overrides.lr. */
  lr?: number;
}

/** The experiment for one mode: the MNIST FC preset of the rule with this network and feedback mode. */
export function feedbackConfig(mode: FeedbackMode, s: FeedbackSetup): ExperimentConfig {
  const size = s.quick
    ? { perClass: 500, maxEpochs: 8, patience: 8, valSize: 500, testLimit: 2000 }
    : { maxEpochs: 100, patience: 10 };
  return resolvePreset(`mnist-fc-${s.rule}`, {
    layers: s.layers, feedback: mode, weightDecay: learnsWithW(mode) ? s.weightDecay : 0, ...size, ...s.overrides,
    ...(s.lr !== undefined ? { lr: s.lr } : {}),
  });
}

export interface FeedbackRunOptions {
  setup: FeedbackSetup;
  seeds: number[];
  roots: RunRoots;
  dataset: Dataset;
  modes?: readonly FeedbackMode[];
  sink?: DisplaySink;
  log?: ((line: string) => void) | null;
}

/** Train every mode × seed (validation accuracy drawn live); returns the run records. */
export async function trainFeedbackModes(o: FeedbackRunOptions): Promise<RunRecord[]> {
  checkSeeds(o.seeds);
  const live = new LiveCurves({ title: quickLabel(o.setup.quick, 'MNIST, feedback-weight modes: validation accuracy (live)'), sink: o.sink, log: o.log });
  const runs: RunRecord[] = [];
  for (const mode of o.modes ?? MODES) {
    const cfg = feedbackConfig(mode, o.setup);
    for (const seed of o.seeds) {
      // A learning rate other than the preset's is part of the run's name: it never reuses a run of another α.
      const lrTag = cfg.lr !== PRESETS[cfg.preset]?.lr ? `-lr${cfg.lr}` : '';
      const res = await runExperiment(cfg, {
        seed, dataset: o.dataset, experiment: EXPERIMENT, runId: `${cfg.preset}-${mode}${lrTag}-s${seed}`,
        resultsRoot: o.roots.resultsRoot, checkpointRoot: o.roots.checkpointRoot, events: live.events(`${mode} s${seed}`),
      });
      res.network?.dispose();
      if (res.skipped && res.record) live.reused(`${mode} s${seed}`, res.record);
      if (res.record) runs.push(res.record);
    }
  }
  // The live figure becomes the accuracy figure (mean ± 2σ per mode), as in notebooks 02–04: one
  // output instead of a second copy of the same curves (each figure JupyterLab draws keeps a PNG
  // snapshot of ~90 KB in the saved notebook).
  if (runs.length) live.replace(feedbackAccuracyFigure(runs, { title: quickLabel(o.setup.quick, `MNIST, ${o.setup.rule}: validation accuracy per feedback mode`) }));
  return runs;
}

export const modeOf = (r: RunRecord) => String(r.header.config.feedback ?? 'symmetric');

/** The per-epoch angles a run records: W′ to Wᵀ, or the update to the true gradient (feedback/alignment.ts). */
export type AngleMetric = 'alignmentDeg' | 'gradientAlignmentDeg';

/** Weighted layers named in the runs' angle records, bottom to top. */
export function alignmentLayers(runs: RunRecord[], metric: AngleMetric = 'alignmentDeg'): string[] {
  const names: string[] = [];
  for (const r of runs) for (const e of r.epochs) for (const k of Object.keys(e[metric] ?? {})) if (!names.includes(k)) names.push(k);
  return names;
}

/**
 * One panel per weighted layer: the angle per epoch (W′ to Wᵀ, or with `metric`
 * 'gradientAlignmentDeg' each layer's update to the true gradient), mean ± 2σ over seeds, per
 * mode. Symmetric runs record no angle (W′ is W, its update is the gradient): a dashed line at 0°.
 */
export function alignmentFigure(runs: RunRecord[], opts: { title?: string; metric?: AngleMetric; yMax?: number; groupOf?: (r: RunRecord) => string } = {}): PlotlyFigure {
  const metric = opts.metric ?? 'alignmentDeg';
  const groupOf = opts.groupOf ?? modeOf;
  const layers = alignmentLayers(runs, metric);
  const gap = 0.06;
  const w = layers.length ? (1 - gap * (layers.length - 1)) / layers.length : 1;
  const layout: Record<string, unknown> = {
    width: 980, height: 420, hovermode: 'closest', margin: { l: 60, r: 20, t: 80, b: 60 },
    title: { text: opts.title ?? (metric === 'alignmentDeg' ? "Angle between feedback weights W′ and Wᵀ, per layer" : 'Angle between each layer\'s update and the true gradient') },
    legend: { orientation: 'h', x: 0, y: -0.18 }, annotations: [] as unknown[],
  };
  const data: Array<Record<string, unknown>> = [];
  const maxEpoch = Math.max(1, ...runs.map((r) => r.epochs.length));
  layers.forEach((layer, i) => {
    const suffix = i === 0 ? '' : String(i + 1);
    const x0 = i * (w + gap);
    layout[`xaxis${suffix}`] = { ...epochAxis(runs.flatMap((r) => r.epochs.map((e) => e.epoch))), domain: [x0, x0 + w], anchor: `y${suffix}` };
    layout[`yaxis${suffix}`] = { range: [0, opts.yMax ?? 95], title: { text: i === 0 ? 'angle (degrees)' : '' }, anchor: `x${suffix}` };
    (layout.annotations as unknown[]).push({ text: `<b>${layer}</b>`, showarrow: false, xref: 'paper', yref: 'paper', x: x0 + w / 2, y: 1.0, xanchor: 'center', yanchor: 'bottom' });
    for (const band of epochBands(runs.filter((r) => modeOf(r) !== 'symmetric'), (e) => e[metric]?.[layer], groupOf)) {
      data.push(...variantTraces(band, `x${suffix}`, `y${suffix}`, i === 0));
    }
    if (runs.some((r) => modeOf(r) === 'symmetric')) {
      data.push({ type: 'scatter', mode: 'lines', x: [1, maxEpoch], y: [0, 0], name: metric === 'alignmentDeg' ? 'symmetric (W′ = Wᵀ by construction)' : 'symmetric (the gradient: Appendix A)',
        line: { color: MODE_COLOR.symmetric, dash: 'dash', width: 2 }, xaxis: `x${suffix}`, yaxis: `y${suffix}`, showlegend: i === 0, hoverinfo: 'name' });
    }
  });
  return { data, layout };
}

/** A band's traces in its mode's colour; a variant of a mode (a label with more than the mode's name, e.g. "direct α=0.1") dashed. */
export function variantTraces(band: Band, xaxis: string, yaxis: string, showlegend: boolean): Array<Record<string, unknown>> {
  const mode = band.group.split(' ')[0];
  const traces = bandTraces(band, { name: band.group, color: MODE_COLOR[mode] ?? PALETTE[7], xaxis, yaxis, showlegend });
  if (band.group !== mode) traces[2].line = { ...(traces[2].line as object), dash: 'dash' };
  return band.n.every((n) => n <= 1) ? traces.slice(-1) : traces;
}

/** Validation accuracy per epoch, mean ± 2σ over seeds, one curve per feedback mode. */
export function feedbackAccuracyFigure(runs: RunRecord[], opts: { title?: string } = {}): PlotlyFigure {
  const sizes = (runs[0]?.header.config.layers as LayerSpec[] | undefined ?? []).map((l) => ('units' in l ? l.units : l.type)).join('-');
  return learningCurves(runs, {
    metric: 'valAccuracy', yTitle: 'validation accuracy', groupBy: modeOf,
    title: opts.title ?? `MNIST ${sizes}, ${runs[0]?.header.rule ?? ''}: validation accuracy per feedback mode`,
  });
}

/** Per mode: runs, epochs, best validation and test accuracy (mean over seeds), last angle per layer. */
export function feedbackSummary(runs: RunRecord[]): aq.ColumnTable {
  const layers = alignmentLayers(runs);
  const rows = [...new Set(runs.map(modeOf))].map((mode) => {
    const mine = runs.filter((r) => modeOf(r) === mode);
    const mean = (xs: Array<number | null | undefined>) => {
      const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    };
    const last = (r: RunRecord) => r.epochs.at(-1)?.alignmentDeg;
    return {
      'feedback weights': mode,
      'weight decay': String(mine[0].header.config.weightDecay ?? 0),
      runs: String(mine.length),
      epochs: (mean(mine.map((r) => r.end?.epochs ?? r.epochs.length)) ?? 0).toFixed(1),
      'best val': pct(mean(mine.map((r) => r.end?.bestValAccuracy))),
      test: pct(mean(mine.map((r) => r.end?.testAccuracy))),
      ...Object.fromEntries(layers.map((l) => [`∠ ${l} (last epoch)`, mode === 'symmetric' ? '0° (W′ = Wᵀ)' : `${(mean(mine.map((r) => last(r)?.[l])) ?? NaN).toFixed(1)}°`])),
    };
  });
  return aq.from(rows);
}
