// Training-speed benchmark (issue 6): `npm run bench`. A script, not a test. What it measures and
// what limits each number: BENCHMARKS.md.
//
//   npm run bench                                   # full run (< 10 min on 2 cores)
//   npm run bench -- --quick                        # ~1-2 min: MNIST conv + CIFAR conv, fewer steps
//   npm run bench -- --archs mnist-conv,cifar-conv --threads 1,2 --steps 10 --no-sweep
//   npm run bench -- --help
//
// For each paper architecture × thread count, one child process (the wasm thread count is fixed
// per process) builds one network per rule on synthetic uint8 images of the dataset's shape and
// times, after warm-up and with the two rules interleaved step by step (so drift in machine load
// hits both alike):
//   - trainStep() itself (forward + action + rule + feedback + update; batch built beforehand):
//     median, quartiles, min/max of ms per step → samples/s, effective GFLOP/s (src/flops.ts);
//   - the same step split into stages (data, forward, action+rule, feedback, update), each
//     stage timed on its own (wasm kernels run synchronously, so wall time per call is the cost);
//   - one step under tf.profile: ms per kernel, and the time spent outside kernels;
//   - validation: evaluate() (src/train.ts) on synthetic images, images/s;
//   - peak RSS of the process (process.resourceUsage().maxRSS).
// Then sweep throughput: 1 and then 2 concurrent single-thread worker processes (as `deepagrel
// sweep` runs them) each train the sweep net for a fixed window after warming up and a common
// start signal; throughput = total steps/s, and the 2/1 ratio.
// Then the engine comparison (compare.ts): native and wasm against every PyTorch configuration,
// with the machine's FP32 peak (a 2048³ sgemm through the native addon, peak.ts) measured before
// and after it, so the steps' GFLOP/s can be quoted as fractions of it.
// The parent prints one markdown table (+ sweep, targets, kernel profile) and writes it with all
// samples as JSON: results/bench/bench-<timestamp>.json and results/bench/latest.json.

// Files: options.ts (architectures, flags), stats.ts, step-child.ts and sweep-child.ts (what runs in
// the child processes), workers.ts (spawning them), report.ts (rows, targets, table); this file
// is the parent (run the children, print, write the JSON) and the entry point of both.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MARK, parseOptions, type Options } from './options.ts';
import { round } from './stats.ts';
import { runStepChild, type ChildResult, type StepSpec } from './step-child.ts';
import { runSweepChild } from './sweep-child.ts';
import { measureSweep, spawnChild, type SweepResult } from './workers.ts';
import { checkTargets, profileLines, table, toRows } from './report.ts';
import { attachGflops, buildLines, compareEngines, compareTable, gflopTable, headlineLines, pytorchConfigTable, roundLines, type CompareResult } from './compare.ts';
import { runCompareChild } from './compare-child.ts';
import { bestPeak, peakByThreads, runPeakChild, type PeakAtThreads, type PeakResult, type PeakSpec } from './peak.ts';
import { gitInfo } from '../src/results/provenance.ts';
import { adapterLine } from '../src/backend/webgpu.ts';

function cpuThreadsPerCore(): number | null {
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const siblings = Number(/^siblings\s*:\s*(\d+)/m.exec(info)?.[1]), cores = Number(/^cpu cores\s*:\s*(\d+)/m.exec(info)?.[1]);
    return siblings > 0 && cores > 0 ? siblings / cores : null;
  } catch { return null; }
}

async function parent(o: Options): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const load0 = os.loadavg();
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const threadsPerCore = cpuThreadsPerCore();
  process.stderr.write(`bench: ${o.archs.join(', ')} × ${o.rules.join('/')} × threads ${o.threads.join(',')}; ${o.steps} steps (+${o.warmup} warm-up), batch ${o.batchSize}` +
    `; load average ${load0[0].toFixed(2)} on ${os.availableParallelism()} cores${load0[0] > 0.5 ? ' (machine busy: numbers inflated, 2 threads/2 workers especially)' : ''}\n`);

  const children: ChildResult[] = [];
  const failures: string[] = [];
  // Time cap: the sweep test needs its two windows plus start-up; each step process ~15 s besides
  // its measured steps (start-up, warm-up, profile, validation).
  const compareReserve = o.compare ? o.compare.archs.length * o.compare.threads.length * 45 + 30 : 0;
  const sweepReserve = (o.sweep ? 2 * (o.sweepSeconds + 10) : 0) + compareReserve;
  let left = o.archs.length * o.threads.length;
  for (const arch of o.archs) {
    for (const threads of o.threads) {
      const remaining = o.maxMinutes * 60 - (performance.now() - t0) / 1000 - sweepReserve;
      const budgetSec = Math.max(3, Math.min(o.budgetSec, Math.floor(remaining / left - 15)));
      left--;
      const spec: StepSpec = { arch, threads, rules: o.rules, steps: o.steps, warmup: o.warmup, budgetSec, valImages: o.valImages, profile: o.profile, backend: o.backend, batchSize: o.batchSize };
      process.stderr.write(`${arch}, ${threads} thread(s)...${budgetSec < o.budgetSec ? ` (budget ${budgetSec} s to stay within ${o.maxMinutes} min)` : ''}\n`);
      let c: ChildResult;
      try {
        c = await spawnChild('step', spec, { DEEPAGREL_THREADS: String(threads) }, `${arch} ${threads}t`).done as ChildResult;
      } catch (e) {
        failures.push(`${arch} ${threads}t: ${(e as Error).message.split('\n').slice(-3).join(' | ')}`);
        process.stderr.write(`  FAILED: ${(e as Error).message}\n`);
        continue;
      }
      children.push(c);
      process.stderr.write(`  ${c.rules.map(r => `${r.rule} ${r.stepMs.median.toFixed(1)} ms`).join(', ')}; ${c.wallSec} s\n`);
      if (c.backend.name === 'tensorflow' || c.backend.name === 'cpu') { process.stderr.write(`  backend ${c.backend.name}: thread count is not ours to set, skipping the other counts\n`); break; }
    }
  }
  const rows = children.flatMap(toRows);
  let sweep: SweepResult | undefined;
  if (o.sweep) {
    try { sweep = await measureSweep(o); } catch (e) {
      failures.push(`sweep: ${(e as Error).message.split('\n').slice(-3).join(' | ')}`);
      process.stderr.write(`  FAILED: ${(e as Error).message}\n`);
    }
  }
  let comparison: CompareResult | undefined;
  let peak: { library: string; isa?: string; runs: PeakAtThreads[][]; best: PeakAtThreads[] } | undefined;
  if (o.compare) {
    // The sgemm peak before and after the comparison (the better per thread count counts).
    const peakSpec: PeakSpec = { threads: [...new Set([1, ...o.compare.threads, ...o.compare.pytorchThreads])].sort((a, b) => a - b), n: 2048, reps: 4 };
    const measurePeak = async () => {
      try {
        const r = await spawnChild('peak', peakSpec, {}, 'peak').done as PeakResult;
        peak ??= { library: r.library, isa: r.isa, runs: [], best: [] };
        peak.runs.push(r.results);
        peak.best = bestPeak(...peak.runs);
        process.stderr.write(`sgemm peak (${peakSpec.n}³, ${r.library}, ${r.isa}): ${r.results.map(p => `${p.threads}t ${p.gflopPerSec} GFLOP/s`).join(', ')}\n`);
      } catch (e) { process.stderr.write(`  sgemm peak not measured: ${(e as Error).message.split('\n')[0]}\n`); }
    };
    if (o.compare.engines.includes('native')) await measurePeak();
    try { comparison = await compareEngines(o.compare, line => process.stderr.write(line + '\n'), t0 + o.maxMinutes * 60_000 - 15_000); } catch (e) {
      failures.push(`compare: ${(e as Error).message.split('\n').slice(-3).join(' | ')}`);
      process.stderr.write(`  FAILED: ${(e as Error).message}\n`);
    }
    if (o.compare.engines.includes('native')) await measurePeak();
    if (comparison) attachGflops(comparison.archs, peak ? peakByThreads(peak.best) : {});
  }
  const compared = comparison?.archs ?? [];
  const targets = checkTargets(rows, sweep, compared);
  const load1 = os.loadavg();
  const durationSec = round((performance.now() - t0) / 1000, 1);
  const b = children[0]?.backend;

  const header = `DeepAGREL training step benchmark — ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC\n` +
    `backend ${b?.name ?? '?'} (simd ${b?.simd}), ${Object.entries(b?.versions ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}, node ${process.versions.node}\n` +
    (b?.adapter ? `adapter ${adapterLine(b.adapter)}\n` : '') +
    `${cpu}, ${os.availableParallelism()} cores${threadsPerCore ? ` (${threadsPerCore} hardware thread(s) per core)` : ''}; load average ${load0[0].toFixed(2)} at start, ${load1[0].toFixed(2)} at end` +
    `${Math.max(load0[0], load1[0]) > 0.5 ? ' — the machine was busy: times are inflated' : ''}\n` +
    `batch ${o.batchSize}, synthetic images; step = trainStep (forward + action + rule + feedback + update), ${o.warmup} warm-up then up to ${o.steps} steps per rule, rules interleaved`;
  const sweepLine = sweep
    ? `Sweep throughput (${sweep.arch} DeepAGREL, backend ${sweep.backend}, 1 thread per worker, ${sweep.seconds} s window): 1 worker ${sweep.runs[0].stepsPerSec} steps/s, ` +
      `2 workers ${sweep.runs[1].stepsPerSec} steps/s (${sweep.runs[1].perWorker.map(p => p.stepsPerSec).join(' + ')}) → ${sweep.ratio}×; ` +
      `CPU/wall per worker ${sweep.runs.map(r => r.perWorker.map(p => p.cpuPerWall).join(' + ')).join(' → ')}; ` +
      `steps per CPU-second ${sweep.runs[0].stepsPerCpuSec} → ${sweep.runs[1].stepsPerCpuSec} (${sweep.perCpuRatio}×: with a free core per worker, expect ≈ ${round(2 * sweep.perCpuRatio, 2)}×)`
    : `Sweep throughput: not measured${o.sweep ? ' (failed)' : ' (--no-sweep)'}`;
  const md = [
    header, '',
    table(rows), '',
    'Times in ms (medians). data / forward / action / feedback / update: the step split into stages (data = batch from uint8 + tensor, not part of ms/step). ' +
    'val img/s: evaluate() at batch 500. val img/s, peak RSS and CPU/wall (process CPU time over wall time while measuring; ' +
    '1 thread: below ~0.95 the process waited for a core) are per process, i.e. shared by both rules\' rows.', '',
    sweepLine, '',
    ...(compared.length ? compareText(comparison!, peak) : []),
    'Targets:', ...targets.map(t => `  ${t.text}`), '',
    ...(o.profile ? ['Kernel profile (tf.profile, one trainStep, ms per step):', ...profileLines(rows)] : []),
    ...(failures.length ? ['', 'FAILED:', ...failures.map(f => `  ${f}`)] : []),
    '', `Bench wall time ${durationSec} s.`,
  ].join('\n');
  console.log('\n' + md);

  if (o.out) {
    const json = {
      kind: 'deepagrel-bench', schema: 2, date: started.toISOString(), durationSec, argv: process.argv.slice(2),
      machine: { cpu, cores: os.availableParallelism(), threadsPerCore, memGB: round(os.totalmem() / 2 ** 30, 1), platform: `${os.platform()} ${os.release()} ${os.arch()}`, loadavgStart: load0.map(x => round(x)), loadavgEnd: load1.map(x => round(x)) },
      backend: b ? { name: b.name, simd: b.simd, threads: [...new Set(children.map(c => c.backend.threads))], kernels: b.kernels, library: b.library ?? null, adapter: b.adapter ?? null } : null,
      versions: { node: process.versions.node, v8: process.versions.v8, ...(b?.versions ?? {}), workbook: JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version },
      git: gitInfo(),
      settings: { archs: o.archs, rules: o.rules, threads: o.threads, steps: o.steps, warmup: o.warmup, budgetSec: o.budgetSec, maxMinutes: o.maxMinutes, batchSize: o.batchSize, valImages: o.valImages, sweepSeconds: o.sweepSeconds, sweepArch: o.sweepArch, quick: o.quick },
      configs: rows, sweep: sweep ?? null, compare: compared,
      pytorch: comparison ? { interpreters: comparison.interpreters, configs: comparison.pytorchConfigs } : null,
      peak: peak ?? null, targets, failures, table: md,
    };
    fs.mkdirSync(o.out, { recursive: true });
    const stamp = started.toISOString().replace(/[:]/g, '').replace(/\..*/, '');
    const file = path.join(o.out, `bench-${stamp}${o.quick ? '-quick' : ''}.json`);
    const text = JSON.stringify(json, null, 1) + '\n';
    for (const f of [file, path.join(o.out, 'latest.json')]) {   // never a half-written file
      fs.writeFileSync(`${f}.tmp-${process.pid}`, text);
      fs.renameSync(`${f}.tmp-${process.pid}`, f);
    }
    console.log(`\nwrote ${file} and ${path.join(o.out, 'latest.json')}`);
  }
  if (failures.length) process.exitCode = 1;
}


/** The comparison's part of the printed report. */
function compareText(c: CompareResult, peak: { library: string; isa?: string; best: PeakAtThreads[]; runs: PeakAtThreads[][] } | undefined): string[] {
  const archs = c.archs;
  const ours = ['native', 'wasm'].map(e => archs[0].runners.find(r => r.engine === e)).filter(Boolean);
  return [
    'Engines compared (same net, batch and rule; one child per engine × thread count and per PyTorch configuration; rounds interleaved, order rotating; ' +
    'per round PyTorch\'s best = its fastest configuration of that round at any thread count, per core = our 1-thread step vs its fastest 1-thread configuration; ' +
    'ratios = median over rounds of the within-round ratio):', '',
    compareTable(archs), '',
    'PyTorch configurations (t threads = torch.set_num_threads(t) and OMP/MKL/OPENBLAS_NUM_THREADS=t; "rounds fastest" = rounds in which it was PyTorch\'s best):', '',
    pytorchConfigTable(archs), '',
    'Ratios per round:', ...roundLines(archs), '',
    ...(archs.some(a => a.runners.some(r => r.build)) ? ['Other native builds (--native-dir) against this checkout\'s, within-round ratio (below 1: the other is faster):', ...buildLines(archs), ''] : []),
    `CPU/wall of our runners (1 thread: below ~0.95 it waited for a core; 2 threads: up to ~2 on an idle machine): ${archs.map(a => `${a.arch} ${a.runners.filter(r => r.engine !== 'pytorch').map(r => `${r.key} ${r.cpuPerWall ?? '–'}`).join(', ')}`).join('; ')}`, '',
    peak ? `FP32 peak (measured: ${peak.best[0]?.n}³ sgemm through the native addon, ${peak.library}, ${peak.isa}; best of ${peak.best[0]?.reps} calls, before and after the comparison): ` +
      peak.best.map(p => `${p.threads} thread${p.threads > 1 ? 's' : ''} ${p.gflopPerSec} GFLOP/s`).join(', ') +
      ` (runs: ${peak.runs.map(r => r.map(p => `${p.threads}t ${p.gflopPerSec}`).join(' ')).join(' | ')})`
      : 'FP32 peak: not measured (no native addon)', '',
    'GFLOP/s (FLOPs per step from src/flops.ts over the median step; in brackets the share of the sgemm peak at that thread count):', '',
    gflopTable(archs), '',
    'In one line per net:', ...headlineLines(archs).map(l => `  ${l}`), '',
    ...archs.flatMap(a => Object.entries(a.unavailable).map(([k, why]) => `${a.arch}: ${k} not measured: ${why}`)),
    ...c.interpreters.filter(ip => 'error' in ip).map(ip => `PyTorch interpreter skipped: ${(ip as { error: string }).error}`),
    `Versions: ${ours.map(r => `${r!.engine}: ${Object.entries(r!.versions ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}`).join('; ')}; ` +
    `PyTorch: ${c.interpreters.filter(ip => !('error' in ip)).map(ip => `${ip.python} → torch ${(ip as { torch: string }).torch} (${(ip as { blas: string }).blas})`).join(', ')}` +
    `; OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in the environment: ${['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].map(k => process.env[k] ?? 'unset').join(' / ')}`, '',
  ];
}

// ---------------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
if (argv[0] === '--worker') {
  const spec = JSON.parse(argv[2]);
  if (argv[1] === 'compare') await runCompareChild(spec);   // talks over stdin/stdout, exits itself
  const result = argv[1] === 'sweep' ? await runSweepChild(spec) : argv[1] === 'peak' ? await runPeakChild(spec) : await runStepChild(spec);
  // exit once the line is out (wasm pthread workers are unref'd; wait for nothing else)
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`, () => process.exit(0));
} else {
  try {
    await parent(parseOptions(argv));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    process.exit(1);
  }
}

