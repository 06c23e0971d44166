// Results of the step children as table rows, the speed targets of issue 6, and the markdown.

import { ARCH_NAMES, STAGES, type ArchName, type RuleName, type Stage } from './options.ts';
import { round, summarize } from './stats.ts';
import type { ChildResult, ProfileResult } from './step-child.ts';
import type { SweepResult } from './workers.ts';
import type { CompareArch } from './compare.ts';

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

/**
 * The speed targets: against PyTorch on the same CPU (issue 28: MNIST conv DeepAGREL at 2 threads
 * against PyTorch's best configuration at any thread count, and per core, 1 thread against
 * PyTorch's best 1-thread configuration), DeepAGREL vs EBP, evaluation throughput vs the wasm path,
 * and sweep scaling. A missed target says by how much.
 */
export function checkTargets(rows: ConfigRow[], sweep: SweepResult | undefined, compared: CompareArch[] = []): Target[] {
  const out: Target[] = [];
  const check = (name: string, value: number | null | undefined, limit: number, unit: string, atLeast: boolean, detail = ''): void => {
    if (value == null || !Number.isFinite(value)) { out.push({ name, value: null, limit, unit, pass: null, text: `–  ${name}: not measured in this run` }); return; }
    const pass = atLeast ? value >= limit : value <= limit;
    const u = (x: number) => unit === '×' ? `${round(x, 3)}×` : `${round(x, 1)} ${unit}`;
    const miss = pass ? '' : `, misses by ${u(Math.abs(value - limit))} (${round((value / limit - 1) * 100, 1)}%)`;
    out.push({ name, value: round(value, 3), limit, unit, pass, text: `${pass ? '✓' : '✗'}  ${name}: ${u(value)} (${atLeast ? '≥' : '≤'} ${u(limit)})${miss}${detail}` });
  };
  const cmp = (arch: ArchName) => compared.find(c => c.arch === arch);
  const conv = cmp('mnist-conv');
  const rc = conv?.rules.find(x => x.rule === 'deepagrel');
  const label = (key: string | null | undefined) => conv?.runners.find(r => r.key === key)?.label ?? key ?? '–';
  check('mnist-conv DeepAGREL step, native 2 threads / PyTorch\'s best configuration', rc?.vsPytorchBest['2'], 0.6, '×', false,
    rc ? `  [native ${rc.ms['native-2t'] ?? '–'} ms, PyTorch best ${rc.pytorchBest.ms ?? '–'} ms: ${label(rc.pytorchBest.key)}]` : '');
  check('mnist-conv DeepAGREL step per core, native 1 thread / PyTorch\'s best 1-thread configuration', rc?.perCore, 0.9, '×', false,
    rc ? `  [native ${rc.ms['native-1t'] ?? '–'} ms, PyTorch ${rc.pytorchBestAt['1']?.ms ?? '–'} ms: ${label(rc.pytorchBestAt['1']?.key)}]` : '');
  // DeepAGREL ≤ 1.05 × EBP: paired per-step ratios of the detailed table (rules interleaved), and
  // the per-round ratio of the comparison's native engine.
  for (const a of ARCH_NAMES) for (const t of [...new Set(rows.map(r => r.threads))].sort()) {
    const find = (rule: RuleName) => rows.find(r => r.arch === a && r.rule === rule && r.threads === t);
    const d = find('deepagrel'), e = find('ebp');
    if (d && e) {
      const n = Math.min(d.samplesMs.length, e.samplesMs.length);
      const paired = summarize(Array.from({ length: n }, (_, i) => d.samplesMs[i] / e.samplesMs[i])).median;
      check(`${a} ${t}t DeepAGREL/EBP step (${d.backend}, paired median ratio)`, paired, 1.05, '×', false, `  [medians ${d.msMedian} vs ${e.msMedian} ms]`);
    }
  }
  const ev = conv?.evalImagesPerSec;
  check('mnist-conv evaluation throughput, 2 threads, native / wasm', ev?.['native-2t'] && ev?.['wasm-2t'] ? ev['native-2t'] / ev['wasm-2t'] : null, 4, '×', true,
    ev ? `  [${ev['native-2t'] ?? '–'} vs ${ev['wasm-2t'] ?? '–'} img/s]` : '');
  if (sweep) {
    check(`2 vs 1 sweep workers throughput (${sweep.backend})`, sweep.ratio, 1.8, '×', true, `  [${sweep.runs[0].stepsPerSec} → ${sweep.runs[1].stepsPerSec} steps/s]`);
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
