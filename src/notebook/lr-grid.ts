// Notebook 08: the learning-rate study. The first cell's grid (preset → α values), seeds and budget
// either train now — one run per preset × α × seed, named <preset>-lr<α>-s<seed> as `sweep --lr`
// names them, finished runs reused, live curves per preset (mean over seeds per α) — or are read
// from results/lr-study/ (a sweep's records). Returns the study (table, pick) and its figures.

import { PRESETS, resolvePreset, type ExperimentConfig } from '../presets.ts';
import { runExperiment } from '../train.ts';
import { runName } from '../results/writer.ts';
import { lrStudy, lrStudyMarkdown, lrSummaryFigure, lrCurvesFigure, type LrStudy } from '../results/lr-study.ts';
import type { RunRecord } from '../results/schema.ts';
import type { PlotlyFigure } from '../plots/types.ts';
import type { DisplaySink } from '../plots/display.ts';
import type { Dataset } from '../data/types.ts';
import { LiveCurves } from './live.ts';
import { checkSeeds, quickLabel, type RunRoots } from './params.ts';
import { loadRuns, describeRuns } from './runs.ts';
import { LR_STUDY_EXPERIMENT } from '../results/reader.ts';
import { OVERRIDES } from '../cli/options.ts';
import { sharedDataset } from './table-row.ts';

export interface LrGridOptions {
  /** preset → the α values to try, e.g. { 'mnist-conv-ebp': [0.003, 0.01, 0.03, 0.1, 0.3] }. */
  grid: Record<string, number[]>;
  seeds: number[];
  /** The fixed budget every run gets (preset changes), e.g. { perClass: 1000, maxEpochs: 10 }. */
  budget: Partial<ExperimentConfig>;
  quick: boolean;
  train: boolean;
  /** Finished runs are read from here (results/; the study's are under lr-study/). */
  resultsDir: string;
  roots: RunRoots;
  experiment?: string;            // default LR_STUDY_EXPERIMENT ('quick-lr' in QUICK mode)
  dataDir?: string;
  dataset?: Dataset;              // tests
  sink?: DisplaySink;
  log?: ((line: string) => void) | null;
}

export interface LrGridResult {
  runs: RunRecord[];
  study: LrStudy;
  tableMarkdown: string;
  /** Accuracy vs α; null without a study (fewer than two α of a preset). */
  summary: PlotlyFigure | null;
  curves: PlotlyFigure | null;
  notes: string[];
}

/** Validate the first cell's grid early, with one message naming the entry. */
export function checkGrid(grid: Record<string, number[]>): void {
  for (const [preset, lrs] of Object.entries(grid)) {
    if (!PRESETS[preset]) throw new Error(`GRID: no preset ${JSON.stringify(preset)}; presets: ${Object.keys(PRESETS).join(', ')}`);
    if (!Array.isArray(lrs) || lrs.length === 0) throw new Error(`GRID['${preset}'] must be a list of learning rates, e.g. [0.01, 0.1]`);
    for (const lr of lrs) if (!(typeof lr === 'number' && Number.isFinite(lr) && lr > 0)) throw new Error(`GRID['${preset}']: learning rates must be numbers > 0, got ${JSON.stringify(lr)}`);
    if (new Set(lrs).size !== lrs.length) throw new Error(`GRID['${preset}'] lists a learning rate twice`);
  }
}

export async function lrGrid(o: LrGridOptions): Promise<LrGridResult> {
  checkGrid(o.grid);
  checkSeeds(o.seeds);
  const log = o.log === undefined ? (line: string) => console.log(line) : o.log;
  const notes: string[] = [];
  const note = (s: string) => { notes.push(s); log?.(s); };
  const experiment = o.experiment ?? (o.quick ? 'quick-lr' : LR_STUDY_EXPERIMENT);
  const presets = Object.keys(o.grid);
  const trained: RunRecord[] = [];

  if (o.train) {
    for (const preset of presets) {
      const live = new LiveCurves({ title: quickLabel(o.quick, `${preset}: validation accuracy per α (live, mean over seeds)`), sink: o.sink, log: o.log });
      const cfg0 = resolvePreset(preset, o.budget);
      const ds = o.dataset ?? await sharedDataset(cfg0.dataset, o.dataDir);
      for (const lr of o.grid[preset]) for (const seed of o.seeds) {
        const cfg = resolvePreset(preset, { ...o.budget, lr });
        const res = await runExperiment(cfg, { seed, dataset: ds, experiment, runId: runName(preset, seed, lr),
          resultsRoot: o.roots.resultsRoot, checkpointRoot: o.roots.checkpointRoot, events: live.events(`α = ${lr}`) });
        res.network?.dispose();
        if (res.skipped && res.record) live.reused(`α = ${lr}`, res.record);
        if (res.record) trained.push(res.record);
      }
    }
  }

  // In QUICK mode the tiny runs just trained; otherwise whatever the results folder holds (a sweep's
  // records, and what this cell trained), so the study includes runs from a terminal too.
  const runs = o.quick && o.train ? trained : loadRuns(o.resultsDir, { presets, experiments: [experiment] });
  note(describeRuns(runs, o.quick && o.train ? o.roots.resultsRoot : o.resultsDir, `learning-rate runs of ${presets.join(', ')}`,
    `train them here (TRAIN = true) or in a terminal: ${presets.map(p => `npx deepagrel sweep --presets ${p} --lr ${o.grid[p].join(',')} --seeds ${o.seeds.join(',')} --experiment ${experiment}${budgetArgs(o.budget)}`).join('; ')}`));
  const study = lrStudy(runs);
  if (study.cells.length === 0) return { runs, study, tableMarkdown: '', summary: null, curves: null, notes };
  for (const p of study.picks) note(`${p.preset}: ${p.lr === undefined ? 'no pick yet' : `the study picks α = ${p.lr}`} (paper α = ${p.paperLr}); ${p.reason}`);
  return { runs, study, tableMarkdown: lrStudyMarkdown(study), summary: lrSummaryFigure(study), curves: lrCurvesFigure(runs), notes };
}

/** The budget as sweep flags, for the hint (the CLI's own flag for each config field). */
function budgetArgs(b: Partial<ExperimentConfig>): string {
  const flagOf = new Map(Object.entries(OVERRIDES).map(([flag, [field]]) => [field as string, flag]));
  return Object.entries(b).map(([k, v]) => flagOf.has(k) ? ` --${flagOf.get(k)} ${v}` : '').join('');
}
