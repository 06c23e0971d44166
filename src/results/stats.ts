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

/** Mean and sample sd (n − 1) of plain numbers, the same definitions as meanSdRollup: [null, null]
 *  without values, sd null for one value. */
export function meanSdOf(xs: number[]): [number | null, number | null] {
  if (xs.length === 0) return [null, null];
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return [m, null];
  return [m, Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1))];
}

/** arquero reports a missing aggregate as undefined; tables and JSON want null. */
export function orNull(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
