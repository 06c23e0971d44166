// The one place where means and standard deviations are defined, as arquero rollup expressions so
// that Table 1 (per preset) and the learning curves (per group and epoch) aggregate the same way.
// Invalid values (null, undefined, NaN) are skipped: that is how diverged or unfinished runs are
// left out of a mean without being dropped from the counts.

/** Columns `${as}Mean`, `${as}Sd` (sample sd, n−1; null when n < 2) and `${as}N` (valid values). */
export function meanSdRollup(col: string, as = col): Record<string, string> {
  const c = `d[${JSON.stringify(col)}]`;
  return {
    [`${as}Mean`]: `d => op.mean(${c})`,
    [`${as}Sd`]: `d => op.stdev(${c})`,
    [`${as}N`]: `d => op.valid(${c})`,
  };
}

/** arquero reports a missing aggregate as undefined; tables and JSON want null. */
export function orNull(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
