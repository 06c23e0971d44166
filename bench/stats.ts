// Small statistics for timing samples.

// Statistics

export function quantile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = (sorted.length - 1) * p, lo = Math.floor(i), hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

export interface Summary { median: number; p25: number; p75: number; min: number; max: number; n: number }
export function summarize(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p25: quantile(s, 0.25), p75: quantile(s, 0.75), min: s[0], max: s[s.length - 1], n: s.length };
}

export const round = (x: number, d = 2) => Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x;

/** CPU time of this process (all threads) per wall-clock time since (cpu0, wall0). */
export function cpuShare(cpu0: NodeJS.CpuUsage, wall0: number): number {
  const c = process.cpuUsage(cpu0);
  return round((c.user + c.system) / 1000 / (performance.now() - wall0));
}

