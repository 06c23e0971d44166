// Finished (and running) runs for the notebooks: readRuns over a results folder, tolerant of a
// folder that does not exist yet, filtered by preset / experiment / dataset, with one line saying
// what was found — "no runs yet" is a normal state of a fresh clone, not an error.

import * as fs from 'node:fs';
import { experimentMatches, readRuns } from '../results/reader.ts';
import type { RunRecord } from '../results/schema.ts';

export interface RunFilter {
  presets?: string[];
  datasets?: string[];
  /** Only runs of these experiments (results/<experiment>/; 'protocol*': every name so starting). */
  experiments?: string[];
  /** Leave out runs of these experiments (e.g. 'quickstart', 'feedback-weights'; 'lr-study-*': every name so starting). */
  excludeExperiments?: string[];
  /** Only runs with this protocol label ("paper" = the full protocol). */
  protocol?: string;
}

export { NOT_TABLE1 } from '../results/reader.ts';

export function filterRuns(runs: RunRecord[], f: RunFilter = {}): RunRecord[] {
  return runs.filter(({ header: h }) =>
    (!f.presets || f.presets.includes(h.preset))
    && (!f.datasets || f.datasets.includes(h.dataset))
    && (!f.experiments || experimentMatches(h.experiment, f.experiments))
    && (!f.excludeExperiments || !experimentMatches(h.experiment, f.excludeExperiments))
    && (f.protocol === undefined || h.protocol === f.protocol));
}

/** Runs under `dir` (recursively) matching the filter; [] when the folder does not exist. */
export function loadRuns(dir: string, f: RunFilter = {}): RunRecord[] {
  if (!fs.existsSync(dir)) return [];
  return filterRuns(readRuns(dir), f);
}

/** "3 runs (2 finished, 1 running) of mnist-fc-deepagrel, mnist-fc-ebp in results/" or the no-runs note. */
export function describeRuns(runs: RunRecord[], where: string, what = 'runs', hint = 'train some with the CLI (README: `npx deepagrel sweep`), then re-run this cell'): string {
  if (runs.length === 0) return `No ${what} in ${where} yet: ${hint}.`;
  const finished = runs.filter((r) => r.end).length;
  const presets = [...new Set(runs.map((r) => r.header.preset))];
  const protocols = [...new Set(runs.map((r) => r.header.protocol))];
  const running = runs.length - finished;
  return `${runs.length} run${runs.length === 1 ? '' : 's'} (${finished} finished${running ? `, ${running} still running` : ''}) `
    + `of ${presets.join(', ')} in ${where}; protocol${protocols.length === 1 ? '' : 's'}: ${protocols.map((p) => `"${p}"`).join(', ')}`;
}

/** The filter a notebook's EXPERIMENTS cell asks for: [] = every experiment but the excluded ones;
 *  otherwise exactly the named ones (a name is an explicit ask, so it wins over `exclude`). A name
 *  that matches no experiment folder in `dir` is a typo, not "no runs yet": it throws, naming the
 *  name and the experiments that are there. */
export function experimentFilter(dir: string, experiments: readonly string[], exclude: readonly string[]): RunFilter {
  if (experiments.length === 0) return { excludeExperiments: [...exclude] };
  const there = fs.existsSync(dir) ? [...new Set(readRuns(dir).map((r) => r.header.experiment))].sort() : [];
  const unknown = experiments.filter((e) => !there.some((x) => experimentMatches(x, [e])));
  if (unknown.length > 0) {
    throw new Error(`EXPERIMENTS: ${unknown.map((e) => `'${e}'`).join(', ')} match${unknown.length === 1 ? 'es' : ''} no experiment in ${dir} `
      + `(expected one of: ${there.length ? there.join(', ') : 'none yet, the folder has no runs'}; a trailing * matches any continuation)`);
  }
  return { experiments: [...experiments] };
}
