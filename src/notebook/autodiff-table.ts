// Notebook 01, part 1: the engine's updates against autodiff for every layer type and both rules
// (src/derivation.ts does the comparison; this runs all cases and lays the result out as a table).

import * as aq from 'arquero';
import { DERIVATION_CASES, compareWithAutodiff, type DerivationCase } from '../derivation.ts';
import { getRule } from '../rules/index.ts';
import { ruleName } from '../results/paper-table1.ts';

export interface AutodiffRow {
  network: string;
  rule: string;
  layer: string;
  kind: string;
  relativeError: number;
  maxUpdate: number;
  ok: boolean;
}

/** The tolerance the tests use: float32 arithmetic, relative to the largest update of the layer. */
export const TOLERANCE = 1e-5;

export async function autodiffRows(seed = 11, cases: DerivationCase[] = DERIVATION_CASES): Promise<AutodiffRow[]> {
  const rows: AutodiffRow[] = [];
  for (const c of cases) for (const rule of ['deepagrel', 'ebp'] as const) {
    for (const r of await compareWithAutodiff(getRule(rule), c, seed)) rows.push({
      network: c.name, rule: ruleName(rule), layer: r.layer, kind: r.kind,
      relativeError: r.relativeError, maxUpdate: r.maxUpdate,
      ok: r.relativeError <= TOLERANCE && r.maxUpdate > 0,
    });
  }
  return rows;
}

/** The rows as a display table (relative errors in scientific notation). */
export function autodiffTable(rows: AutodiffRow[]): aq.ColumnTable {
  return aq.from(rows.map((r) => ({
    network: r.network, rule: r.rule, layer: `${r.layer} (${r.kind})`,
    'max |ΔW|': r.maxUpdate.toExponential(2), 'relative error': r.relativeError.toExponential(2), '≤ 1e-5': r.ok ? '✓' : '✗',
  })));
}

/** One line: how many layers matched, the worst relative error. */
export function autodiffSummary(rows: AutodiffRow[]): string {
  const worst = rows.reduce((m, r) => Math.max(m, r.relativeError), 0);
  const bad = rows.filter((r) => !r.ok).length;
  return `${rows.length} layer updates in ${new Set(rows.map((r) => r.network)).size} networks × 2 rules: `
    + (bad === 0 ? `all equal −α·∇E (worst relative error ${worst.toExponential(2)} ≤ ${TOLERANCE.toExponential(0)})` : `${bad} DIFFER (worst relative error ${worst.toExponential(2)})`);
}
