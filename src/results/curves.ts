// Learning curves: mean ± 2σ over runs, per group and epoch, as Plotly band traces.
// Runs stop at different epochs (early stopping), so each epoch aggregates the runs that reached
// it; n per epoch is kept with the band and shown in the hover text. Figure 3 is built from these.

import * as aq from 'arquero';
import type { PlotlyFigure } from '../plots/types.ts';
import type { EpochRecord, RunRecord } from './schema.ts';
import { meanSdRollup, orNull } from './stats.ts';

/** Mean ± 2σ of one group of runs. `sd` is the sample sd, 0 where only one run reached the epoch. */
export interface Band {
  group: string;
  epoch: number[];
  mean: number[];
  sd: number[];
  n: number[];       // runs with a valid value at this epoch
  lower: number[];   // mean − 2 sd, clipped to the value's range
  upper: number[];   // mean + 2 sd, clipped to the value's range
}

export type EpochValue = (epoch: EpochRecord, run: RunRecord) => number | null | undefined;

/**
 * Per group (in order of first appearance in `runs`) and epoch: mean, sd, n and the ±2σ band.
 * `clip` bounds the band to the range the value can take (a fraction lies in [0, 1]): with a few
 * seeds far apart, mean ± 2σ would otherwise draw accuracies above 1 and below 0. `sd` is kept as is.
 */
export function epochBands(runs: RunRecord[], value: EpochValue, groupOf: (run: RunRecord) => string,
  clip: [number, number] = [-Infinity, Infinity]): Band[] {
  const points = runs.flatMap((run) => {
    const group = groupOf(run);
    return run.epochs.map((e) => ({ group, epoch: e.epoch, value: value(e, run) ?? null }));
  });
  if (points.length === 0) return [];
  const rows = aq.from(points)
    .groupby('group', 'epoch')
    .rollup(meanSdRollup('value', 'v'))
    .filter('d => d.vN > 0')     // an epoch where every run had NaN (diverged) has nothing to plot
    .orderby('epoch')
    .objects() as Array<{ group: string; epoch: number; vMean: number; vSd?: number; vN: number }>;

  const groups = [...new Set(points.map((p) => p.group))];
  return groups.map((group) => {
    const mine = rows.filter((r) => r.group === group);
    const mean = mine.map((r) => r.vMean);
    const sd = mine.map((r) => orNull(r.vSd) ?? 0);
    return {
      group,
      epoch: mine.map((r) => r.epoch),
      mean,
      sd,
      n: mine.map((r) => r.vN),
      lower: mean.map((m, i) => Math.max(clip[0], m - 2 * sd[i])),
      upper: mean.map((m, i) => Math.min(clip[1], m + 2 * sd[i])),
    };
  }).filter((b) => b.epoch.length > 0);
}

export interface BandStyle {
  name: string;
  color: string;          // '#rrggbb'
  xaxis?: string;         // 'x', 'x2', ... for subplots
  yaxis?: string;
  showlegend?: boolean;
}

/**
 * Three traces: the lower edge, the upper edge filled down to it ('tonexty' fills to the previous
 * trace, so the order matters), and the mean line carrying the legend entry and the hover text.
 */
export function bandTraces(band: Band, style: BandStyle): Array<Record<string, unknown>> {
  const axes = { xaxis: style.xaxis ?? 'x', yaxis: style.yaxis ?? 'y' };
  const edge = { type: 'scatter', mode: 'lines', x: band.epoch, line: { width: 0, color: 'rgba(0,0,0,0)' },
    hoverinfo: 'skip', showlegend: false, legendgroup: style.name, ...axes };
  return [
    { ...edge, y: band.lower, name: `${style.name} − 2σ` },
    { ...edge, y: band.upper, name: `${style.name} + 2σ`, fill: 'tonexty', fillcolor: withAlpha(style.color, 0.2) },
    {
      type: 'scatter', mode: 'lines', x: band.epoch, y: band.mean, name: style.name,
      line: { color: style.color, width: 2 }, legendgroup: style.name, showlegend: style.showlegend ?? true,
      customdata: band.epoch.map((_, i) => [band.n[i], 2 * band.sd[i]]),
      hovertemplate: 'epoch %{x}: %{y:.4f} ± %{customdata[1]:.4f} (2σ), n = %{customdata[0]} runs',
      ...axes,
    },
  ];
}

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return hex;   // not '#rrggbb': use as given (opaque band)
  const [r, g, b] = m.slice(1).map((h) => parseInt(h, 16));
  return `rgba(${r},${g},${b},${alpha})`;
}

/** "Seeds stop at different epochs" — the sentence every curve figure needs. */
export const N_PER_EPOCH_NOTE =
  'Mean ± 2σ over runs; runs stop at different epochs (early stopping), so each epoch averages the runs that reached it (n in hover).';

export type EpochMetric = 'trainRewardRate' | 'trainAccuracy' | 'valAccuracy' | 'meanDelta2' | 'wallTimeSec' | 'samplesPerSec';
/** Metrics that are fractions: their bands are clipped to [0, 1]. */
const FRACTION_METRICS: ReadonlySet<string> = new Set(['trainRewardRate', 'trainAccuracy', 'valAccuracy']);

export interface LearningCurvesOptions {
  metric: EpochMetric | EpochValue;
  /** Default: the preset and, when runs differ in it, the protocol. */
  groupBy?: 'preset' | 'rule' | 'dataset' | ((run: RunRecord) => string);
  title?: string;
  yTitle?: string;
  width?: number;
  height?: number;
}

/**
 * Any per-epoch metric, mean ± 2σ per group, in one panel (for notebooks). The legend sits below
 * the plot, under the caption, one entry per row when the entries do not fit in one: beside the
 * plot, six long entries (a table row's protocols) left the plot area ~90 px wide (issue 30).
 */
export function learningCurves(runs: RunRecord[], opts: LearningCurvesOptions): PlotlyFigure {
  const value: EpochValue = typeof opts.metric === 'function' ? opts.metric : (e) => e[opts.metric as EpochMetric];
  const fraction = typeof opts.metric === 'string' && FRACTION_METRICS.has(opts.metric);
  const { groupOf, shared } = groupFunction(runs, opts.groupBy);
  const bands = epochBands(runs, value, groupOf, fraction ? [0, 1] : undefined);
  const yTitle = opts.yTitle ?? (typeof opts.metric === 'string' ? opts.metric : 'value');
  const width = opts.width ?? 800;
  const plotHeight = opts.height ?? 450;
  const margin = { t: 50, b: CAPTION_MARGIN, l: 62, r: 20 };
  const plotWidth = width - margin.l - margin.r;
  const fitted = fittedCaption([N_PER_EPOCH_NOTE, ...(shared.length ? [`Every run: ${shared.join(', ')}.`] : [])], plotWidth);
  const below = legendBelow(bands.map((b) => b.group), plotWidth);
  const bottom = fitted.margin + below.height;
  const height = plotHeight + (bottom - CAPTION_MARGIN);
  const inner = height - margin.t - bottom;
  return {
    // A group with one run has no spread: its mean line alone (two flat edge traces add nothing but bytes).
    data: bands.flatMap((b, i) => {
      const traces = bandTraces(b, { name: b.group, color: PALETTE[i % PALETTE.length] });
      // past the palette's 10 colours a colour comes back: dashed, so the two groups stay apart
      if (i >= PALETTE.length) traces[2].line = { ...(traces[2].line as object), dash: 'dash' };
      return b.n.every((n) => n <= 1) ? traces.slice(-1) : traces;
    }),
    layout: {
      width, height, margin: { ...margin, b: bottom },
      title: { text: opts.title ?? `${yTitle} per epoch` },
      xaxis: epochAxis(bands.flatMap((b) => b.epoch)),
      yaxis: { title: { text: yTitle } },
      showlegend: bands.length > 0,
      legend: { ...below.legend, y: -(fitted.margin - 4) / inner },
      annotations: [caption(fitted.text, inner)],
    },
  };
}

/**
 * The legend under a plot (below its caption), aligned with the plot's left edge: one row when the
 * entries fit the plot's width, else columns of equal width, as many as fit. `height`: the pixels
 * it needs (added to the bottom margin); `legend` still needs its `y` (in plot-area heights,
 * negative: below the plot).
 */
export function legendBelow(names: string[], plotWidthPx: number): { legend: Record<string, unknown>; height: number } {
  const ROW = 20;              // px per legend row (12 px text)
  const SYMBOL = 40;           // the line sample and the gap before the text
  const text = (name: string) => Math.ceil(6.5 * name.length);   // ~6.5 px per character
  const oneRow = names.reduce((w, n) => w + SYMBOL + text(n), 0) <= plotWidthPx;
  const column = SYMBOL + Math.max(0, ...names.map(text));
  const columns = oneRow ? names.length : Math.max(1, Math.floor(plotWidthPx / column));
  const rows = names.length === 0 ? 0 : Math.ceil(names.length / columns);
  return {
    // tracegroupgap 0: each curve is a legend group of its own (band + mean line), and the gap
    // between groups would space the rows apart. entrywidth is a column's text (Plotly cuts longer text).
    legend: { orientation: 'h', x: 0, xanchor: 'left', yanchor: 'top', font: { size: 12 }, tracegroupgap: 0,
      ...(oneRow ? {} : { entrywidth: column - SYMBOL, entrywidthmode: 'pixels' }) },
    height: rows * ROW + (rows ? 8 : 0),
  };
}

/**
 * An epoch axis: whole epochs only (a run of 3 epochs got ticks at 1.5 and 2.5), and half an epoch
 * of room at each end, so the first epoch's tick label does not sit on the y-axis's lowest one at
 * the origin (they read "0 1" in the corner).
 */
export function epochAxis(epochs: number[], title = 'epoch'): Record<string, unknown> {
  const axis: Record<string, unknown> = { title: { text: title } };
  if (epochs.length === 0) return axis;
  const lo = Math.min(...epochs), hi = Math.max(...epochs);
  return { ...axis, range: [lo - 0.5, hi + 0.5], tickformat: 'd', ...(hi - lo <= 10 ? { tick0: 0, dtick: 1 } : {}) };
}

/** The default groups: the preset; where runs come from several protocols, also what sets the
 *  group's protocol apart, with what every run shares (`shared`) said once, in the caption. Presets
 *  that differ only in the rule (a Table 1 row: cifar10-conv-deepagrel, cifar10-conv-ebp) are
 *  named by the rule. */
function groupFunction(runs: RunRecord[], groupBy: LearningCurvesOptions['groupBy']): { groupOf: (run: RunRecord) => string; shared: string[] } {
  if (typeof groupBy === 'function') return { groupOf: groupBy, shared: [] };
  if (groupBy) return { groupOf: (run) => String(run.header[groupBy]), shared: [] };
  const presets = [...new Set(runs.map((r) => r.header.preset))];
  const byRule = presets.length > 1 && new Set(runs.map((r) => r.header.rule)).size === presets.length
    && runs.every((r) => r.header.preset.endsWith(`-${r.header.rule}`))
    && new Set(runs.map((r) => r.header.preset.slice(0, -r.header.rule.length))).size === 1;
  const name = (run: RunRecord) => (byRule ? RULE_NAME[run.header.rule] ?? run.header.rule : run.header.preset);
  const protocols = [...new Set(runs.map((r) => r.header.protocol))];
  if (protocols.length <= 1) return { groupOf: name, shared: [] };
  const parts = protocols.map(protocolParts);
  const shared = parts[0].filter((p) => parts.every((q) => q.includes(p)));
  const groupOf = (run: RunRecord) => {
    const own = protocolParts(run.header.protocol).filter((p) => !shared.includes(p))
      // "DeepAGREL α=0.3 (…)" in a legend entry that already names the rule: "α=0.3 (…)"
      .map((p) => (p.startsWith(`${name(run)} `) ? p.slice(name(run).length + 1) : p));
    return own.length ? `${name(run)} — ${own.join(', ')}` : name(run);
  };
  return { groupOf, shared };
}

const RULE_NAME: Record<string, string> = { deepagrel: 'DeepAGREL', ebp: 'EBP' };

/** A protocol label's settings: "EBP α tuned (α=0.3, pick), maxEpochs=300" → ["EBP α tuned (α=0.3, pick)",
 *  "maxEpochs=300"] (commas inside brackets stay); "paper" has none. */
export function protocolParts(label: string): string[] {
  if (label === 'paper') return [];
  const parts: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < label.length; i++) {
    const c = label[i];
    if (c === '(' || c === '[') depth++;
    else if ((c === ')' || c === ']') && depth > 0) depth--;
    else if (c === ',' && depth === 0) { parts.push(label.slice(start, i).trim()); start = i + 1; }
  }
  parts.push(label.slice(start).trim());
  return parts.filter((p) => p !== '');
}

/** Bottom margin that leaves room for the x-axis title and a two-line caption. */
export const CAPTION_MARGIN = 125;   // room for the x-axis title and three caption lines

/** Greedy word wrap of each line to at most `max` characters. */
export function wrapLines(lines: string[], max: number): string[] {
  return lines.flatMap((line) => {
    const out: string[] = [];
    let cur = '';
    for (const word of line.split(' ')) {
      if (cur && cur.length + 1 + word.length > max) { out.push(cur); cur = word; } else cur = cur ? `${cur} ${word}` : word;
    }
    return [...out, cur];
  });
}

/** Caption lines that fit `plotWidthPx` (Plotly does not wrap annotations; ~6.3 px per character
 *  of the 11 px caption font), and the bottom margin they need. */
export function fittedCaption(lines: string[], plotWidthPx: number): { text: string; margin: number } {
  const wrapped = wrapLines(lines, Math.max(40, Math.floor(plotWidthPx / 6.3)));
  return { text: wrapped.join('<br>'), margin: CAPTION_MARGIN + 16 * Math.max(0, wrapped.length - 3) };
}

/** A caption under the x-axis title; y is in plot-area heights, so it depends on the plot's height in px. */
export function caption(text: string, plotHeightPx: number): Record<string, unknown> {
  return { text, showarrow: false, xref: 'paper', yref: 'paper', x: 0, y: -72 / plotHeightPx, xanchor: 'left',
    yanchor: 'top', align: 'left', font: { size: 11, color: '#555' } };
}
