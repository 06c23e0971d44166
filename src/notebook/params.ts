// What every notebook's first cell needs: the QUICK flag (env QUICK=1: tiny data and epochs so the
// whole notebook runs in a couple of minutes, as CI does), the project's folders wherever the kernel
// was started, where runs go (quick runs: a temporary folder, never results/), and the "QUICK mode:"
// label on everything a quick run prints or draws.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlotlyFigure } from '../plots/types.ts';
import { tempDirRemovedAtExit } from '../temp-dir.ts';
import { seedProblem } from '../rng.ts';

/** QUICK from the environment: 1/true/yes/on (any case) → true; unset, empty, 0/false/no/off → false. */
export function quickMode(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.QUICK ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'false' || v === 'no' || v === 'off') return false;
  if (v === '1' || v === 'true' || v === 'yes' || v === 'on') return true;
  throw new Error(`QUICK must be 1/true/yes/on or 0/false/no/off, got ${JSON.stringify(env.QUICK)}`);
}

// Notebooks reach src/ through the notebooks/src symlink; the real path is what locates the project.
const PROJECT_ROOT = path.resolve(path.dirname(fs.realpathSync(fileURLToPath(import.meta.url))), '..', '..');

/** The project root (the folder with package.json), whatever the kernel's working directory is. */
export function projectRoot(): string { return PROJECT_ROOT; }

/** A path inside the project, e.g. projectPath('results') — notebooks run in notebooks/, not the root. */
export function projectPath(...parts: string[]): string { return path.join(PROJECT_ROOT, ...parts); }

/** "QUICK mode: <text>" in quick mode, else the text unchanged. */
export function quickLabel(quick: boolean, text: string): string {
  return quick ? `QUICK mode: ${text}` : text;
}

/** The figure with its title set (prefixed "QUICK mode:" in quick mode); a copy, the input is untouched. */
export function titled(fig: PlotlyFigure, title: string, quick = false): PlotlyFigure {
  const margin = (fig.layout.margin ?? {}) as Record<string, unknown>;
  const top = typeof margin.t === 'number' ? Math.max(margin.t, 70) : 70;   // room for the title above panel labels
  const height = typeof fig.layout.height === 'number' && typeof margin.t === 'number' ? fig.layout.height + (top - margin.t) : fig.layout.height;
  // The figure's own title placement (e.g. Figure 3 pins it above its legend) is kept; only the text changes.
  const placement = typeof fig.layout.title === 'object' && fig.layout.title !== null ? fig.layout.title as Record<string, unknown> : {};
  return { ...fig, layout: { ...fig.layout, ...(height !== undefined ? { height } : {}), margin: { ...margin, t: top }, title: { ...placement, text: quickLabel(quick, title) } } };
}

export interface RunRoots {
  /** Run records go to <resultsRoot>/<experiment>/. */
  resultsRoot: string;
  checkpointRoot: string;
  /** Figures exported by the notebook. */
  figuresDir: string;
  /** True for a temporary folder (quick mode): removed when the kernel exits. */
  temporary: boolean;
}

/**
 * Where a notebook writes. Quick mode: one fresh temporary folder (results, checkpoints, figures),
 * removed when the kernel process exits, so quick runs never touch results/ or the git tree.
 * Otherwise the project's results/, checkpoints/ and results/figures/, as the CLI uses them.
 */
export function runRoots(quick: boolean, name = 'notebook'): RunRoots {
  if (!quick) {
    return { resultsRoot: projectPath('results'), checkpointRoot: projectPath('checkpoints'), figuresDir: projectPath('results', 'figures'), temporary: false };
  }
  const dir = tempDirRemovedAtExit(`deepagrel-quick-${name.replace(/[^\w.-]+/g, '_')}-`);
  return { resultsRoot: path.join(dir, 'results'), checkpointRoot: path.join(dir, 'checkpoints'), figuresDir: path.join(dir, 'figures'), temporary: true };
}

/** One line saying where this notebook's runs and figures go. */
export function describeRoots(r: RunRoots): string {
  return r.temporary
    ? `QUICK mode: runs, checkpoints and figures go to ${path.dirname(r.resultsRoot)} (temporary, removed when the kernel exits; results/ is not touched)`
    : `runs go to ${r.resultsRoot}, checkpoints to ${r.checkpointRoot}, figures to ${r.figuresDir}`;
}

/** A learning rate α per rule, as the training notebooks' first cells set them. */
export type RuleRates = Partial<Record<'deepagrel' | 'ebp', number>>;

/** The α for `rule` from a first cell's table (undefined: the preset's own). Rejects nonsense early. */
export function rateFor(rates: RuleRates | undefined, rule: string): number | undefined {
  const lr = rates?.[rule as 'deepagrel' | 'ebp'];
  if (lr !== undefined && !(Number.isFinite(lr) && lr > 0)) throw new Error(`learning rate for ${rule} must be a finite number > 0, got ${lr}`);
  return lr;
}

/** A first cell's seed list (SEEDS), checked before anything trains: integers 0…2³²−1 (each seed its
 *  own stream, as on the command line), none twice. One message naming the list otherwise. */
export function checkSeeds(seeds: unknown, name = 'SEEDS'): number[] {
  if (!Array.isArray(seeds) || seeds.length === 0) throw new Error(`${name} must be a non-empty list of seeds, e.g. [1, 2, 3]; got ${JSON.stringify(seeds)}`);
  for (const s of seeds) {
    const bad = seedProblem(s, `each seed in ${name}`);
    if (bad) throw new Error(bad);
  }
  if (new Set(seeds).size !== seeds.length) throw new Error(`${name} lists a seed twice: ${JSON.stringify(seeds)}`);
  return seeds;
}

/** 0.9734 → "97.34%"; null/undefined → "n/a". */
export function pct(v: number | null | undefined, digits = 2): string {
  return v == null || !Number.isFinite(v) ? 'n/a' : `${(100 * v).toFixed(digits)}%`;
}
