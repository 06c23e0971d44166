// The learning-rate study (issue 15, notebook 08): one preset trained with several α on the same
// fixed epoch budget (`deepagrel sweep --lr 0.003,0.01,0.03,...`), read back from the run records.
// Per preset and α: the best validation accuracy within the budget per seed, its mean and sd, the
// test accuracy of those weights, and which α the study picks (highest mean validation accuracy,
// no diverged seed; never the test set). Figures: accuracy vs α (log axis, every seed a marker,
// the paper's α marked) and validation accuracy per epoch, one line per α, a panel per preset.

import type { PlotlyFigure } from '../plots/types.ts';
import type { RunRecord } from './schema.ts';
import { PRESETS } from '../presets.ts';
import { epochAxis, epochBands, caption, CAPTION_MARGIN, fittedCaption, PALETTE } from './curves.ts';
import { meanSdOf } from './stats.ts';

export interface LrCell {
  preset: string;
  rule: string;
  lr: number;
  paperLr: number | undefined;
  /** The budget shared by the study: the protocol label without the α term. */
  budget: string;
  seeds: number[];
  /** Per seed (same order): best validation accuracy within the budget (null: diverged). */
  bestVal: (number | null)[];
  test: (number | null)[];
  epochs: number[];
  /** Per seed: how its run stands. */
  status: ('finished' | 'unfinished' | 'diverged')[];
  diverged: number;
  unfinished: number;
  valMean: number | null;
  valSd: number | null;
  testMean: number | null;
  testSd: number | null;
}

export interface LrStudy {
  cells: LrCell[];
  /** Per preset and budget: the α with the highest mean validation accuracy among α where no seed
   *  diverged and every seed finished; undefined while runs are missing. */
  picks: { preset: string; budget: string; lr: number | undefined; paperLr: number | undefined; reason: string }[];
}

const lrOf = (r: RunRecord) => Number(r.header.config.lr);
const budgetOf = (r: RunRecord) => r.header.protocol.split(', ').filter(t => !t.startsWith('lr=')).join(', ') || 'paper';

/** Runs of one preset with at least two α on one budget form a study; other runs are ignored. */
export function lrStudy(runs: RunRecord[]): LrStudy {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = JSON.stringify([r.header.preset, budgetOf(r), lrOf(r)]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const cells: LrCell[] = [...groups.values()].map(all => {
    const rs = onePerSeed(all);
    const h = rs[0].header;
    // Unfinished runs count with their best epoch so far (the table says how many are unfinished);
    // a run without a finished epoch has no value yet, a diverged one none at all.
    const bestVal = rs.map(r => r.end?.status === 'diverged' || (!r.end && r.epochs.length === 0) ? null
      : (r.end?.bestValAccuracy ?? Math.max(...r.epochs.map(e => e.valAccuracy))));
    const test = rs.map(r => r.end?.testAccuracy ?? null);
    const [valMean, valSd] = meanSdOf(bestVal.filter((x): x is number => x !== null));
    const [testMean, testSd] = meanSdOf(test.filter((x): x is number => x !== null));
    return {
      preset: h.preset, rule: h.rule, lr: lrOf(rs[0]), paperLr: PRESETS[h.preset]?.lr, budget: budgetOf(rs[0]),
      seeds: rs.map(r => r.header.seed), bestVal, test, epochs: rs.map(r => r.end?.epochs ?? r.epochs.length),
      status: rs.map(r => r.end?.status === 'diverged' ? 'diverged' : r.end ? 'finished' : 'unfinished'),
      diverged: rs.filter(r => r.end?.status === 'diverged').length, unfinished: rs.filter(r => !r.end).length,
      valMean, valSd, testMean, testSd,
    };
  });
  // A study needs two α or more of one preset on one budget.
  const studyKey = (c: LrCell) => `${c.preset}\u0000${c.budget}`;
  const count = new Map<string, number>();
  for (const c of cells) count.set(studyKey(c), (count.get(studyKey(c)) ?? 0) + 1);
  const kept = cells.filter(c => (count.get(studyKey(c)) ?? 0) >= 2)
    .sort((a, b) => a.preset.localeCompare(b.preset) || a.budget.localeCompare(b.budget) || a.lr - b.lr);

  const picks: LrStudy['picks'] = [];
  for (const key of new Set(kept.map(studyKey))) {
    const mine = kept.filter(c => studyKey(c) === key);
    const seeds = Math.max(...mine.map(c => c.seeds.length));
    const eligible = mine.filter(c => c.diverged === 0 && c.unfinished === 0 && c.seeds.length === seeds && c.valMean !== null);
    const best = eligible.reduce<LrCell | undefined>((b, c) => (b === undefined || c.valMean! > b.valMean! ? c : b), undefined);
    const waiting = mine.filter(c => c.unfinished > 0 || c.seeds.length < seeds).length;
    picks.push({
      preset: mine[0].preset, budget: mine[0].budget, lr: waiting ? undefined : best?.lr, paperLr: mine[0].paperLr,
      reason: waiting ? `${waiting} of ${mine.length} α still have unfinished or missing seeds`
        : best ? `highest mean validation accuracy (${pct(best.valMean)} over ${best.seeds.length} seed${best.seeds.length === 1 ? '' : 's'})` : 'every α diverged',
    });
  }
  return { cells: kept, picks };
}

/** One run per seed, in seed order: two records of one (preset, budget, α, seed) — e.g. trained
 *  under two names — would count that seed twice. A finished run wins over an unfinished one. */
function onePerSeed(runs: RunRecord[]): RunRecord[] {
  const bySeed = new Map<number, RunRecord>();
  for (const r of runs) {
    const had = bySeed.get(r.header.seed);
    if (!had || (!had.end && r.end)) bySeed.set(r.header.seed, r);
  }
  return [...bySeed.values()].sort((a, b) => a.header.seed - b.header.seed);
}

const pct = (x: number | null) => x === null ? '–' : (100 * x).toFixed(2);
const fmtLr = (x: number) => String(Number(x.toPrecision(6)));

/** The study as a markdown table (one row per preset × α), the picks below it. */
export function lrStudyMarkdown(study: LrStudy): string {
  const head = '|Preset|Budget|α|paper α|Seeds|Best val. acc. [%]|Test acc. [%]|Diverged|';
  const rows = study.cells.map(c => `|${c.preset}|${c.budget}|${fmtLr(c.lr)}${c.lr === c.paperLr ? ' (paper)' : ''}|${c.paperLr ?? '–'}|${c.seeds.length}${c.unfinished ? ` (${c.unfinished} unfinished)` : ''}|`
    + `${pct(c.valMean)} (${pct(c.valSd)})|${pct(c.testMean)} (${pct(c.testSd)})|${c.diverged}/${c.seeds.length}|`);
  const picks = study.picks.map(p => `- **${p.preset}** (${p.budget}): ${p.lr === undefined ? 'no pick yet' : `α = ${fmtLr(p.lr)}`}`
    + `${p.paperLr !== undefined ? ` (paper: ${p.paperLr})` : ''}; ${p.reason}.`);
  return [head, '|:-|:-|-:|-:|-:|-:|-:|-:|', ...rows, '', ...picks, ''].join('\n');
}

export interface LrFigureOptions { width?: number; height?: number; presets?: string[] }

function selectCells(study: LrStudy, presets?: string[]): LrCell[] {
  const cells = study.cells.filter(c => presets === undefined || presets.includes(c.preset));
  if (cells.length === 0) throw new Error(`lr study: no preset with runs at two or more α on one budget${presets ? ` among ${presets.join(', ')}` : ''}; run e.g. deepagrel sweep --presets mnist-conv-ebp --lr 0.003,0.01,0.03 --experiment lr-study`);
  return cells;
}

/** Best validation accuracy within the budget against α (log axis): a line through the means per
 *  preset, every seed a marker (diverged seeds as crosses at 0), the paper's α as a ring. */
export function lrSummaryFigure(study: LrStudy, opts: LrFigureOptions = {}): PlotlyFigure {
  const cells = selectCells(study, opts.presets);
  const keys = [...new Set(cells.map(c => `${c.preset}\u0000${c.budget}`))];
  // A preset's name alone, unless it was studied on several budgets; the budgets go to the caption.
  const budgetsOf = (preset: string) => new Set(cells.filter(c => c.preset === preset).map(c => c.budget)).size;
  const data: Array<Record<string, unknown>> = [];
  keys.forEach((key, i) => {
    const mine = cells.filter(c => `${c.preset}\u0000${c.budget}` === key);
    const color = PALETTE[i % PALETTE.length];
    const name = budgetsOf(mine[0].preset) > 1 ? `${mine[0].preset} (${mine[0].budget})` : mine[0].preset;
    data.push({ type: 'scatter', mode: 'lines+markers', name, legendgroup: name, x: mine.map(c => c.lr), y: mine.map(c => c.valMean),
      error_y: { type: 'data', array: mine.map(c => c.valSd ?? 0), visible: true, color, thickness: 1 },
      line: { color, width: 2 }, marker: { color, size: 7 },
      customdata: mine.map(c => [c.seeds.length, c.diverged]), hovertemplate: 'α = %{x}: %{y:.4f} mean, n = %{customdata[0]} (diverged %{customdata[1]})' });
    const seeds = mine.flatMap(c => c.bestVal.map((v, k) => ({ lr: c.lr, v, seed: c.seeds[k], diverged: c.status[k] === 'diverged' })))
      .filter(s => s.v !== null || s.diverged);
    data.push({ type: 'scatter', mode: 'markers', name: `${name}: seeds`, legendgroup: name, showlegend: false,
      x: seeds.map(s => s.lr), y: seeds.map(s => s.v ?? 0), text: seeds.map(s => `seed ${s.seed}${s.diverged ? ', diverged' : ''}`),
      marker: { color, size: 5, opacity: 0.55, symbol: seeds.map(s => s.diverged ? 'x' : 'circle') }, hovertemplate: 'α = %{x}, %{text}: %{y:.4f}' });
    const paper = mine.find(c => c.lr === c.paperLr);
    if (paper) data.push({ type: 'scatter', mode: 'markers', name: 'paper α', legendgroup: 'paper α', showlegend: !data.some(t => t.name === 'paper α'),
      x: [paper.lr], y: [paper.valMean], marker: { size: 16, color: 'rgba(0,0,0,0)', line: { color: '#000', width: 1.5 } }, hoverinfo: 'skip' });
  });
  // The legend sits right of the plot (a list of presets above it would push into the title and
  // shift the plot area under the caption).
  const longest = Math.max(...data.filter(t => t.showlegend !== false).map(t => String(t.name).length));
  const width = opts.width ?? 820, plotHeight = opts.height ?? 460;
  const fitted = fittedCaption([`Line: mean over seeds ± 1 sd; dots: seeds (× = diverged, drawn at 0); ring: the paper's α.`, ...budgetLines(cells)], width - 60);
  const margin = { t: 60, b: fitted.margin, l: 60, r: Math.min(420, 40 + 7 * longest) };
  const height = plotHeight + (fitted.margin - CAPTION_MARGIN);
  return {
    data,
    layout: {
      width, height, margin,
      title: { text: 'Learning-rate study: best validation accuracy within a fixed budget' },
      // Ticks at the α values studied: Plotly's own on a log axis spanning a decade or two read
      // "3 4 … 9 0.1 2 3" (minor digits), which names no α (issue 30).
      xaxis: { type: 'log', title: { text: 'learning rate α' }, tickvals: lrTicks(cells), ticktext: lrTicks(cells).map(fmtLr) },
      yaxis: { title: { text: 'validation accuracy' }, range: [0, 1.02] },
      legend: { orientation: 'v', x: 1.02, xanchor: 'left', y: 1, yanchor: 'top' },
      annotations: [caption(fitted.text, height - margin.t - margin.b)],
    },
    config: { displaylogo: false },
  };
}

/** Validation accuracy per epoch, one line per α (mean over seeds), one panel per preset. */
export function lrCurvesFigure(runs: RunRecord[], opts: LrFigureOptions = {}): PlotlyFigure {
  const study = lrStudy(runs);
  const cells = selectCells(study, opts.presets);
  const presets = [...new Set(cells.map(c => c.preset))];
  const cols = Math.min(2, presets.length), rows = Math.ceil(presets.length / cols);
  const gapX = 0.08, gapY = 0.16;
  const w = (1 - gapX * (cols - 1)) / cols, h = (1 - gapY * (rows - 1)) / rows;
  const height = opts.height ?? 300 * rows + 120;
  const margin = { t: 70, b: CAPTION_MARGIN, l: 60, r: 20 };
  const layout: Record<string, unknown> = { width: opts.width ?? 900, height, margin, title: { text: 'Validation accuracy per epoch, one line per α (mean over seeds)' }, showlegend: true };
  const data: Array<Record<string, unknown>> = [];
  const annotations: Array<Record<string, unknown>> = [];
  const lrs = [...new Set(cells.map(c => c.lr))].sort((a, b) => a - b);
  presets.forEach((preset, i) => {
    const s = i === 0 ? '' : String(i + 1);
    const col = i % cols, row = Math.floor(i / cols);
    const x0 = col * (w + gapX), y1 = 1 - row * (h + gapY);
    const epochs = runs.filter(r => r.header.preset === preset).flatMap(r => r.epochs.map(e => e.epoch));
    layout[`xaxis${s}`] = { ...epochAxis(epochs, row === rows - 1 ? 'epoch' : ''), domain: [x0, x0 + w], anchor: `y${s}` };
    layout[`yaxis${s}`] = { domain: [y1 - h, y1], anchor: `x${s}`, range: [0, 1.02], title: { text: col === 0 ? 'validation accuracy' : '' } };
    annotations.push({ text: `<b>${preset}</b>`, showarrow: false, xref: 'paper', yref: 'paper', x: x0 + w / 2, xanchor: 'center', y: y1, yanchor: 'bottom' });
    const mine = runs.filter(r => r.header.preset === preset && cells.some(c => c.preset === preset && c.lr === lrOf(r) && c.budget === budgetOf(r)));
    // One line per α — per budget and α where this preset was studied on several budgets.
    const budgets = new Set(mine.map(budgetOf));
    const groupOf = (r: RunRecord) => JSON.stringify([budgets.size > 1 ? budgetOf(r) : '', lrOf(r)]);
    for (const band of epochBands(mine, e => e.valAccuracy, groupOf, [0, 1])) {
      const [budget, lr] = JSON.parse(band.group) as [string, number];
      const k = lrs.indexOf(lr);
      const paper = PRESETS[preset]?.lr === lr;
      const name = `α = ${fmtLr(lr)}${budget ? ` (${budget})` : ''}`;
      data.push({ type: 'scatter', mode: 'lines', name, legendgroup: name, legendrank: 1000 + k, showlegend: !data.some(t => t.name === name), xaxis: `x${s}`, yaxis: `y${s}`,
        x: band.epoch, y: band.mean, line: { color: rampColor(k, lrs.length), width: paper ? 3.5 : 2, dash: 'solid' },
        customdata: band.n, hovertemplate: `${name}, epoch %{x}: %{y:.4f} (n = %{customdata})` });
    }
  });
  const fitted = fittedCaption([`Each panel: one preset on its fixed budget; the paper's α drawn thick.`, ...budgetLines(cells)], (layout.width as number) - margin.l - margin.r);
  annotations.push(caption(fitted.text, height - margin.t - margin.b));
  layout.height = height + (fitted.margin - margin.b);
  layout.margin = { ...margin, b: fitted.margin };
  return { data, layout: { ...layout, annotations }, config: { displaylogo: false } };
}

/** "Budget: …" for one budget, else one line per budget naming its presets (for captions). */
function budgetLines(cells: LrCell[]): string[] {
  const byBudget = new Map<string, string[]>();
  for (const c of cells) if (!byBudget.get(c.budget)?.includes(c.preset)) byBudget.set(c.budget, [...(byBudget.get(c.budget) ?? []), c.preset]);
  return byBudget.size === 1 ? [`Budget: ${[...byBudget.keys()][0]}.`]
    : [...byBudget].map(([b, presets]) => `Budget ${b}: ${presets.join(', ')}.`);
}

/** Small α dark blue → large α orange-red (plasma, without its light yellow end: viridis ended in
 *  #fde725, and the largest α was a yellow dotted line on white), so the legend reads as a scale
 *  and every line has a contrast of at least 3:1 against the white background. */
export const RAMP = ['#0d0887', '#5302a3', '#8b0aa5', '#b83289', '#db5c68', '#e8602f'];
function rampColor(k: number, n: number): string {
  return RAMP[n <= 1 ? 0 : Math.round((k / (n - 1)) * (RAMP.length - 1))];
}

/** The α values of the study, for the axis ticks. */
function lrTicks(cells: LrCell[]): number[] {
  return [...new Set(cells.map(c => c.lr))].sort((a, b) => a - b);
}
