// Table 1 from run records: one row per preset and protocol, our mean (sd) next to the paper's.
// Means are over the finished runs that did not diverge; diverged runs show up as "* 9/10" (the
// paper's "*"), unfinished runs only in the seed count ("8 + 2 running").

import * as aq from 'arquero';
import type { RunRecord } from './schema.ts';
import { ARCH_LABEL, datasetLabel, notRunReason, PAPER_TABLE1, paperRowIndex, presetName, RULE_LABEL } from './paper-table1.ts';
import { meanSdRollup, orNull } from './stats.ts';

/** A row of `table1(runs)`: the numbers, unformatted (what CSV and JSON export). */
export interface Table1Row {
  preset: string;
  protocol: string;
  dataset: string;
  arch: string;
  augment: boolean;
  rule: string;
  alpha: number | null;          // config.lr of the runs; null if missing or not the same in all runs
  nSeeds: number;                // finished runs
  nConverged: number;            // finished runs that did not diverge
  nRunning: number;              // runs without an end line yet
  epochsMean: number | null;
  epochsSd: number | null;       // sample sd; null when fewer than 2 runs
  accMean: number | null;        // test accuracy in %
  accSd: number | null;
  note: string;                  // "* 9/10" when some finished runs diverged
  paperAlpha: number | null;
  paperEpochsMean: number | null;
  paperEpochsSd: number | null;
  paperAccMean: number | null;
  paperAccSd: number | null;
  paperNote: string;
}

export type Table1Format = 'md' | 'csv' | 'html' | 'latex' | 'json';

export interface Table1Options {
  /** Every row of the paper's Table 1, a row without runs saying why and how to run it (protocol "not run…"). */
  allRows?: boolean;
}

/** The per-preset numbers as an arquero table (for notebooks), in the paper's row order. */
export function table1(runs: RunRecord[], opts: Table1Options = {}): aq.ColumnTable {
  return aq.from(table1Rows(runs, opts));
}

export function table1Rows(runs: RunRecord[], opts: Table1Options = {}): Table1Row[] {
  const rows = runRows(runs);
  if (!opts.allRows) return rows;
  // The paper's rows that no run matches, in their place (the paper's order).
  const has = new Set(rows.map(r => paperRowIndex(r)));
  const missing = PAPER_TABLE1.map((p, i) => ({ p, i })).filter(({ i }) => !has.has(i));
  const out: Table1Row[] = [];
  let m = 0;
  for (const r of rows) {
    const at = paperRowIndex(r);
    while (m < missing.length && (at < 0 || missing[m].i < at)) out.push(notRunRow(missing[m++].p));
    out.push(r);
  }
  while (m < missing.length) out.push(notRunRow(missing[m++].p));
  return out;
}

function notRunRow(p: (typeof PAPER_TABLE1)[number]): Table1Row {
  return {
    preset: presetName(p), protocol: notRunReason(p), dataset: p.dataset, arch: p.arch, augment: p.augment, rule: p.rule,
    alpha: null, nSeeds: 0, nConverged: 0, nRunning: 0, epochsMean: null, epochsSd: null, accMean: null, accSd: null, note: '',
    paperAlpha: p.alpha, paperEpochsMean: p.epochsMean, paperEpochsSd: p.epochsSd, paperAccMean: p.accMean, paperAccSd: p.accSd,
    paperNote: p.convergedNote ?? '',
  };
}

function runRows(runs: RunRecord[]): Table1Row[] {
  if (runs.length === 0) return [];
  const grouped = aq.from(runs.map(perRun))
    .groupby('preset', 'protocol')
    .rollup({
      dataset: 'd => op.any(d.dataset)',
      arch: 'd => op.any(d.arch)',
      augment: 'd => op.any(d.augment)',
      rule: 'd => op.any(d.rule)',
      alphas: 'd => op.array_agg_distinct(d.alpha)',
      nSeeds: 'd => op.sum(d.finished)',
      nConverged: 'd => op.sum(d.converged)',
      nRunning: 'd => op.sum(d.running)',
      ...meanSdRollup('epochs'),
      ...meanSdRollup('testAcc', 'acc'),
    })
    .objects() as Array<Record<string, unknown>>;

  return grouped
    .map((g): Table1Row & { order: number } => {
      const key = { dataset: g.dataset as string, arch: g.arch as string, augment: g.augment as boolean, rule: g.rule as string };
      const order = paperRowIndex(key);
      const paper = order >= 0 ? PAPER_TABLE1[order] : undefined;
      const alphas = g.alphas as Array<number | null>;
      const nSeeds = g.nSeeds as number;
      const nConverged = g.nConverged as number;
      return {
        preset: g.preset as string,
        protocol: g.protocol as string,
        ...key,
        alpha: alphas.length === 1 ? alphas[0] : null,
        nSeeds,
        nConverged,
        nRunning: g.nRunning as number,
        epochsMean: orNull(g.epochsMean),
        epochsSd: orNull(g.epochsSd),
        accMean: orNull(g.accMean),
        accSd: orNull(g.accSd),
        note: nConverged < nSeeds ? `* ${nConverged}/${nSeeds}` : '',
        paperAlpha: paper?.alpha ?? null,
        paperEpochsMean: paper?.epochsMean ?? null,
        paperEpochsSd: paper?.epochsSd ?? null,
        paperAccMean: paper?.accMean ?? null,
        paperAccSd: paper?.accSd ?? null,
        paperNote: paper?.convergedNote ?? '',
        // Rows the paper does not have (other datasets, variants) go after the paper's rows.
        order: order >= 0 ? order : PAPER_TABLE1.length,
      };
    })
    .sort((a, b) => a.order - b.order || cmp(a.preset, b.preset) || cmpProtocol(a.protocol, b.protocol))
    .map(({ order: _order, ...row }) => row);
}

interface PerRun {
  preset: string; protocol: string; dataset: string; arch: string; augment: boolean; rule: string;
  alpha: number | null;
  finished: number; converged: number; running: number;   // 0/1 flags, summed per preset
  epochs: number | null;    // null unless converged: left out of the means
  testAcc: number | null;
}

function perRun(run: RunRecord): PerRun {
  const { header, end } = run;
  const converged = end !== undefined && end.status !== 'diverged';
  return {
    preset: header.preset, protocol: header.protocol,
    dataset: header.dataset, arch: header.arch, augment: header.augment, rule: header.rule,
    alpha: learningRate(header.config),
    finished: end ? 1 : 0,
    converged: converged ? 1 : 0,
    running: end ? 0 : 1,
    epochs: converged ? end.epochs : null,
    testAcc: converged && end.testAccuracy !== null ? 100 * end.testAccuracy : null,
  };
}

/** α of the paper: the engine's config.lr; older or hand-written configs may say alpha / learningRate. */
function learningRate(config: Record<string, unknown>): number | null {
  for (const key of ['lr', 'alpha', 'learningRate']) {
    if (typeof config[key] === 'number') return config[key] as number;
  }
  return null;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
// The full protocol first, reduced ones after it.
const cmpProtocol = (a: string, b: string) => Number(b === 'paper') - Number(a === 'paper') || cmp(a, b);

// ---- Display -------------------------------------------------------------------------------

const DASH = '–';

/** Display columns, as in the paper plus seeds, the paper's numbers and the protocol. */
const COLUMNS = ['Preset', 'Dataset', 'Rule', '1st layer', 'Aug.', 'α', 'Seeds', 'Epochs', 'Accuracy [%]',
  'Paper epochs', 'Paper accuracy [%]', 'Protocol'] as const;
type DisplayRow = Record<(typeof COLUMNS)[number], string>;
const RIGHT_ALIGNED = new Set<string>(['α', 'Seeds', 'Epochs', 'Accuracy [%]', 'Paper epochs', 'Paper accuracy [%]']);

function displayRow(r: Table1Row): DisplayRow {
  return {
    'Preset': r.preset,
    'Dataset': datasetLabel(r.dataset),
    'Rule': RULE_LABEL[r.rule] ?? r.rule,
    '1st layer': ARCH_LABEL[r.arch] ?? r.arch,
    'Aug.': r.augment ? 'yes' : 'no',
    'α': r.alpha === null ? DASH : formatAlpha(r.alpha),
    'Seeds': r.nSeeds === 0 && r.nRunning === 0 ? DASH : `${r.nSeeds}${r.nRunning ? ` + ${r.nRunning} running` : ''}`,
    'Epochs': meanSd(r.epochsMean, r.epochsSd, epochDigits(r.epochsMean)),
    // The note stays even when no run converged ("– * 0/3").
    'Accuracy [%]': meanSd(r.accMean, r.accSd, 2) + (r.note ? ` ${r.note}` : ''),
    'Paper epochs': meanSd(r.paperEpochsMean, r.paperEpochsSd, 0),
    'Paper accuracy [%]': meanSd(r.paperAccMean, r.paperAccSd, 2) + r.paperNote,
    'Protocol': r.protocol,
  };
}

/** Table 1 as the strings shown in md/html/latex (an arquero table, for notebooks). */
export function table1Display(runs: RunRecord[], opts: Table1Options = {}): aq.ColumnTable {
  const rows = table1Rows(runs, opts).map(displayRow);
  return rows.length ? aq.from(rows) : aq.table(Object.fromEntries(COLUMNS.map((c) => [c, []])));
}

/** "59 (21)": mean (sample sd); "–" for a missing sd (one run) or mean (no converged run). */
export function meanSd(mean: number | null, sd: number | null, digits: number): string {
  if (mean === null) return DASH;
  return `${mean.toFixed(digits)} (${sd === null ? DASH : sd.toFixed(digits)})`;
}

// Whole epochs as in the paper, but keep a decimal for the short runs of reduced protocols.
const epochDigits = (mean: number | null) => (mean !== null && mean < 10 ? 1 : 0);

/** 0.5 → "5e-01", 1 → "1e+00": the paper's notation. */
export function formatAlpha(x: number): string {
  return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
}

// ---- Output formats ------------------------------------------------------------------------

export function renderTable1(runs: RunRecord[], format: Table1Format, opts: Table1Options = {}): string {
  switch (format) {
    case 'csv': return table1(runs, opts).toCSV();
    case 'json': return JSON.stringify(table1Rows(runs, opts), null, 2) + '\n';
    case 'md': return table1Display(runs, opts).toMarkdown({ align: alignments('l', 'r') });
    case 'html': return table1Display(runs, opts).toHTML({ align: alignments('l', 'r'), style: HTML_STYLE });
    case 'latex': return toLatex(table1Rows(runs, opts).map(displayRow));
    default: throw new Error(`renderTable1: unknown format ${JSON.stringify(format)} (md, csv, html, latex, json)`);
  }
}

function alignments<A extends string>(left: A, right: A): Record<string, A> {
  return Object.fromEntries(COLUMNS.map((c) => [c, RIGHT_ALIGNED.has(c) ? right : left]));
}

// Small inline style: the HTML is shown in notebooks and saved as a standalone file.
const HTML_STYLE = {
  table: 'border-collapse: collapse; font-family: system-ui, sans-serif; font-size: 13px;',
  th: 'padding: 3px 10px; border-bottom: 2px solid #444; white-space: nowrap;',
  td: 'padding: 3px 10px; border-bottom: 1px solid #ddd; white-space: nowrap; font-variant-numeric: tabular-nums;',
};

function toLatex(rows: DisplayRow[]): string {
  const spec = alignments('l', 'r');
  const lines = [
    `\\begin{tabular}{${COLUMNS.map((c) => spec[c]).join('')}}`,
    '\\toprule',
    COLUMNS.map(latexEscape).join(' & ') + ' \\\\',
    '\\midrule',
  ];
  rows.forEach((row, i) => {
    // A rule between datasets, like the paper's blocks.
    if (i > 0 && row.Dataset !== rows[i - 1].Dataset) lines.push('\\midrule');
    lines.push(COLUMNS.map((c) => latexEscape(row[c])).join(' & ') + ' \\\\');
  });
  lines.push('\\bottomrule', '\\end{tabular}');
  return lines.join('\n') + '\n';
}

function latexEscape(s: string): string {
  return s
    .replace(/[\\{}]/g, (ch) => (ch === '\\' ? '\\textbackslash{}' : `\\${ch}`))
    .replace(/[&%$#_]/g, (ch) => `\\${ch}`)
    .replace(/~/g, '\\textasciitilde{}')
    .replace(/\^/g, '\\textasciicircum{}')
    .replace(/–/g, '--')
    .replace(/α/g, '$\\alpha$');
}
