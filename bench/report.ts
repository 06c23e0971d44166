// Results of the step children as table rows, the speed targets of issue 6, and the markdown.

import { ARCH_NAMES, STAGES, type ArchName, type RuleName, type Stage } from './options.ts';
import { round, summarize } from './stats.ts';
import type { ChildResult, ProfileResult } from './step-child.ts';
import type { SweepResult } from './workers.ts';

export interface ConfigRow {
  arch: ArchName; rule: RuleName; preset: string; threads: number; backend: string;
  gflop: number; steps: number; msMedian: number; msP25: number; msP75: number; msMin: number; msMax: number; samplesMs: number[];
  samplesPerSec: number; gflopPerSec: number;
  stagesMs: Record<Stage, number> & { stepTotal: number };
  profile?: ProfileResult;
  /** Per process (both rules' nets in it). */
  validation: ChildResult['validation'];
  cpuPerWall: number;
  peakRssMB: number;
  flops: ChildResult['flops'];
  loadavg: ChildResult['loadavg'];
  divergedResets: number;
}

export function toRows(c: ChildResult): ConfigRow[] {
  return c.rules.map(r => ({
    arch: c.arch, rule: r.rule, preset: r.preset, threads: c.backend.threads, backend: c.backend.name,
    gflop: round(c.flops.total / 1e9, 3), steps: r.steps,
    msMedian: round(r.stepMs.median), msP25: round(r.stepMs.p25), msP75: round(r.stepMs.p75), msMin: round(r.stepMs.min), msMax: round(r.stepMs.max), samplesMs: r.stepMs.samples,
    samplesPerSec: round(c.flops.batchSize / (r.stepMs.median / 1000), 1),
    gflopPerSec: round(c.flops.total / 1e9 / (r.stepMs.median / 1000)),
    stagesMs: { ...(Object.fromEntries(STAGES.map(s => [s, round(r.stages[s].median)])) as Record<Stage, number>), stepTotal: round(r.stages.stepTotal.median) },
    profile: r.profile, validation: c.validation, cpuPerWall: c.cpuPerWall, peakRssMB: c.peakRssMB, flops: c.flops, loadavg: c.loadavg, divergedResets: r.divergedResets,
  }));
}

export interface Target { name: string; value: number | null; limit: number; unit: string; pass: boolean | null; text: string }

export function checkTargets(rows: ConfigRow[], sweep: SweepResult | undefined): Target[] {
  const find = (arch: ArchName, rule: RuleName, threads: number) => rows.find(r => r.arch === arch && r.rule === rule && r.threads === threads && r.backend === 'wasm');
  const out: Target[] = [];
  const le = (name: string, value: number | null | undefined, limit: number, unit: string, detail = ''): void => {
    if (value == null || !Number.isFinite(value)) { out.push({ name, value: null, limit, unit, pass: null, text: `–  ${name}: not measured in this run` }); return; }
    const pass = value <= limit;
    const miss = pass ? '' : `, misses by ${unit === '×' ? round(value - limit, 3) + '×' : round(value - limit, 1) + ' ' + unit} (${round((value / limit - 1) * 100, 1)}%)`;
    out.push({ name, value: round(value, 3), limit, unit, pass, text: `${pass ? '✓' : '✗'}  ${name}: ${round(value, unit === '×' ? 3 : 1)}${unit === '×' ? '×' : ' ' + unit} (≤ ${limit}${unit === '×' ? '×' : ' ' + unit})${miss}${detail}` });
  };
  le('MNIST conv DeepAGREL step, 2 threads', find('mnist-conv', 'deepagrel', 2)?.msMedian, 100, 'ms');
  le('MNIST conv DeepAGREL step, 1 thread', find('mnist-conv', 'deepagrel', 1)?.msMedian, 180, 'ms');
  le('CIFAR conv DeepAGREL step, 2 threads', find('cifar-conv', 'deepagrel', 2)?.msMedian, 150, 'ms');
  for (const a of ARCH_NAMES) for (const t of [...new Set(rows.map(r => r.threads))].sort()) {
    const d = find(a, 'deepagrel', t), e = find(a, 'ebp', t);
    if (d && e) {
      // Median of the per-round ratios: the rules ran interleaved, so a round's pair saw the same load.
      const n = Math.min(d.samplesMs.length, e.samplesMs.length);
      const paired = summarize(Array.from({ length: n }, (_, i) => d.samplesMs[i] / e.samplesMs[i])).median;
      le(`${a} ${t}t DeepAGREL/EBP step (paired median ratio)`, paired, 1.05, '×', `  [medians ${d.msMedian} vs ${e.msMedian} ms]`);
    }
  }
  if (sweep) {
    const v = sweep.ratio, pass = v >= 1.8;
    out.push({ name: '2 vs 1 sweep workers throughput', value: v, limit: 1.8, unit: '×', pass,
      text: `${pass ? '✓' : '✗'}  2 sweep workers vs 1: ${v}× (≥ 1.8×)${pass ? '' : `, misses by ${round(1.8 - v, 2)}×`}  [${sweep.runs[0].stepsPerSec} → ${sweep.runs[1].stepsPerSec} steps/s]` });
  }
  return out;
}

export function table(rows: ConfigRow[]): string {
  const f = (x: number, d = 1) => Number.isFinite(x) ? x.toFixed(d) : '–';
  const head = ['net', 'rule', 'thr', 'GFLOP/step', 'ms/step median', 'p25–p75', 'min–max', 'samples/s', 'GFLOP/s',
    'data', 'forward', 'action', 'feedback', 'update', 'val img/s', 'peak RSS MB', 'CPU/wall'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => i < 2 ? '---' : '--:').join('|')}|`];
  for (const r of rows) {
    const s = r.stagesMs;
    lines.push(`| ${[r.arch, r.rule, r.threads, f(r.gflop, 2), f(r.msMedian), `${f(r.msP25, 0)}–${f(r.msP75, 0)}`, `${f(r.msMin, 0)}–${f(r.msMax, 0)}`,
      f(r.samplesPerSec, 0), f(r.gflopPerSec, 1), f(s.data), f(s.forward), f(s.action), f(s.feedback), f(s.update),
      f(r.validation.imagesPerSec, 0), f(r.peakRssMB, 0), f(r.cpuPerWall, 2)].join(' | ')} |`);
  }
  return lines.join('\n');
}

export function profileLines(rows: ConfigRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (!r.profile) continue;
    const p = r.profile;
    const top = p.byKernel.slice(0, 6).map(k => `${k.kernel} ${k.ms.toFixed(1)}${k.calls > 1 ? ` (×${k.calls})` : ''}`).join(', ');
    out.push(`- ${r.arch} ${r.rule} ${r.threads}t: ${p.wallMs.toFixed(0)} ms = kernels ${p.kernelMs.toFixed(0)} [${top}] + ${p.outsideKernelsMs.toFixed(0)} outside kernels`);
    if (r.rule === 'deepagrel') out.push(`    hottest: ${p.byKernelAndShape.slice(0, 5).map(k => `${k.kernel} ${k.ms.toFixed(1)}`).join('; ')}`);
  }
  return out;
}

/** Hardware threads per core from /proc/cpuinfo (siblings / cpu cores); null where unknown. */
