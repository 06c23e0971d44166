// Engine comparison (issues 13 and 28): the same training step on our 'native' backend, our 'wasm'
// backend and PyTorch, same net and batch, in one run, with PyTorch at its best.
//
// Per net, one long-lived child per runner, all started together: our native and wasm engines at
// each of our thread counts, and every PyTorch configuration (bench/pytorch-configs.ts: each
// interpreter that imports torch × threads 1…cores × OpenBLAS overrides on/off where the
// environment has them × libgomp spin default/short above 1 thread). After all have warmed up,
// rounds run the runners one after another (the order rotates per round; the others sit idle),
// each `steps` steps per rule with the rules interleaved. Per round and runner the median step;
// the numbers (bench/compare-summary.ts) are within-round ratios — our step at 2 threads against
// PyTorch's fastest configuration of that round at any thread count, and per core (our 1-thread
// step against PyTorch's fastest 1-thread configuration) — and their median over rounds. At the
// end each runner's greedy evaluation throughput (batch 500), the best of one pass per round.

import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ARCHS, MARK, type ArchName, type RuleName } from './options.ts';
import { round, summarize } from './stats.ts';
import type { CompareSpec } from './compare-child.ts';
import { applyEnv, candidatePythons, probePython, pytorchConfigs, type Interpreter, type PytorchConfig } from './pytorch-configs.ts';
import { gflopFigures, summarizeRule, type Engine, type GflopFigures, type RuleComparison, type RunnerMeta } from './compare-summary.ts';

export type { Engine } from './compare-summary.ts';
export const ENGINES: readonly Engine[] = ['native', 'wasm', 'pytorch'];

export interface CompareOptions {
  archs: ArchName[];
  /** Our engines' thread counts. */
  threads: number[];
  /** PyTorch's thread counts (1 … cores, and ours). */
  pytorchThreads: number[];
  rules: RuleName[]; engines: Engine[]; rounds: number; steps: number; evalImages: number; batchSize: number;
  /** Interpreters given with --python (the defaults are added: bench/pytorch-configs.ts). */
  pythons: string[];
  /** Run the short-spin variant of PyTorch's multi-thread configurations. */
  spin: boolean;
  /** Other native builds (folders like native/, e.g. against another oneDNN), run beside ours at each thread count. */
  nativeDirs?: string[];
}

export interface RunnerInfo extends RunnerMeta {
  python?: string; torch?: string; blas?: string; overrides?: 'on' | 'off' | null; spin?: 'default' | 'short';
  versions?: Record<string, string>; kernels?: string;
  /** Process CPU time / wall time over its measured steps (1 thread: ≤ ~1; above 1 it used more cores). */
  cpuPerWall?: number | null;
}

export interface CompareArch {
  arch: ArchName;
  /** FLOPs of one training step (src/flops.ts, from the native child's net). */
  flopsPerStep: number | null;
  roundsRun: number;
  runners: RunnerInfo[];
  rules: (RuleComparison & { gflops?: GflopFigures })[];
  /** Per runner: best of one pass per round, images/s. */
  evalImagesPerSec: Record<string, number>;
  /** Median over rounds of the native engine's DeepAGREL/EBP ratio, per thread count. */
  nativeDeepagrelVsEbp: Record<string, number | null>;
  unavailable: Record<string, string>;
}

export interface CompareResult {
  interpreters: (Interpreter | { python: string; error: string })[];
  pytorchConfigs: PytorchConfig[];
  archs: CompareArch[];
}

const BENCH = fileURLToPath(new URL('./bench.ts', import.meta.url));
const PYTORCH_STEP = fileURLToPath(new URL('./pytorch_step.py', import.meta.url));

interface Runner extends RunnerInfo { cmd: string; env: Record<string, string | null> }
interface Child { runner: Runner; ask(msg: object): Promise<Record<string, unknown>>; ready: Promise<Record<string, unknown>>; quit(): void }

function startChild(runner: Runner, spec: CompareSpec): Child {
  const env = applyEnv({ ...process.env, DEEPAGREL_THREADS: String(spec.threads) }, runner.env);
  const args = runner.engine === 'pytorch'
    ? [PYTORCH_STEP, JSON.stringify({ ...spec, ...pytorchNet(spec.arch, spec.rules), shape: ARCHS[spec.arch].shape, classes: ARCHS[spec.arch].classes })]
    : [...process.execArgv, BENCH, '--worker', 'compare', JSON.stringify({ ...spec, backend: runner.engine })];
  const child = spawn(runner.cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting: ((v: Record<string, unknown>) => void)[] = [];
  const stderrTail: string[] = [];
  let failed: Error | undefined;
  const fail = (why: string) => { failed = new Error(`${runner.key} (${spec.arch}): ${why}\n${stderrTail.join('\n')}`); for (const w of waiting.splice(0)) w({ error: failed.message }); };
  readline.createInterface({ input: child.stdout }).on('line', line => {
    if (line.startsWith(MARK)) waiting.shift()?.(JSON.parse(line.slice(MARK.length)));
  });
  readline.createInterface({ input: child.stderr }).on('line', line => { stderrTail.push(line); if (stderrTail.length > 20) stderrTail.shift(); });
  child.on('close', code => { if (code !== 0) fail(`exited with code ${code}`); });
  child.on('error', e => fail(e.message));
  const next = () => new Promise<Record<string, unknown>>(resolve => { if (failed) resolve({ error: failed.message }); else waiting.push(resolve); });
  const check = (r: Record<string, unknown>) => { if (r.error) throw new Error(String(r.error)); return r; };
  return {
    runner,
    ready: next().then(check),
    ask: (msg) => { const p = next().then(check); child.stdin.write(JSON.stringify(msg) + '\n'); return p; },
    quit: () => { if (!failed && child.exitCode == null) child.stdin.end(JSON.stringify({ quit: true }) + '\n'); },
  };
}

/** The preset's layers, ε, β, and init and α per rule, for the Python side. */
function pytorchNet(arch: ArchName, rules: RuleName[]) {
  const first = presetOf(`${ARCHS[arch].preset}-${rules[0]}`);
  return { layers: first.layers, epsilon: first.epsilon, beta: first.beta, rules: rules.map(rule => {
    const p = presetOf(`${ARCHS[arch].preset}-${rule}`);
    return { rule, lr: p.lr, init: p.init };
  }) };
}
let presetOf: (name: string) => { layers: unknown[]; lr: number; init: number; epsilon: number; beta: number };

/** Our engines at each thread count, then every PyTorch configuration. */
export function runnersFor(o: Pick<CompareOptions, 'engines' | 'threads' | 'nativeDirs'>, configs: PytorchConfig[]): Runner[] {
  const ours = o.engines.filter(e => e !== 'pytorch').flatMap(engine => o.threads.map(t => ({
    key: `${engine}-${t}t`, engine, threads: t, label: `${engine}, ${t} thread${t > 1 ? 's' : ''}`, cmd: process.execPath, env: {},
  })));
  // Another build loads through DEEPAGREL_NATIVE_DIR (src/backend/native-addon.ts) in its own child.
  const builds = o.engines.includes('native') ? (o.nativeDirs ?? []).flatMap((dir, i) => o.threads.map(t => ({
    key: `native-build${i + 2}-${t}t`, engine: 'native' as const, threads: t, build: dir,
    label: `native (${dir}), ${t} thread${t > 1 ? 's' : ''}`, cmd: process.execPath, env: { DEEPAGREL_NATIVE_DIR: dir },
  }))) : [];
  const torch = o.engines.includes('pytorch') ? configs.map(c => ({
    key: c.key, engine: 'pytorch' as const, threads: c.threads, label: c.label, cmd: c.python, env: c.env,
    python: c.python, torch: c.torch, blas: c.blas, overrides: c.overrides, spin: c.spin,
  })) : [];
  return [...ours, ...builds, ...torch];
}

/**
 * Runs the comparison for every net of `o.archs`. `deadline` (performance.now() ms): later nets get
 * an equal share of the time left, and a net stops after 2 rounds once another would pass its share.
 */
export async function compareEngines(o: CompareOptions, log: (s: string) => void, deadline = Infinity): Promise<CompareResult> {
  presetOf = (await import('../src/presets.ts')).resolvePreset as unknown as typeof presetOf;
  let interpreters: CompareResult['interpreters'] = [];
  let configs: PytorchConfig[] = [];
  if (o.engines.includes('pytorch')) {
    interpreters = candidatePythons(o.pythons).map(probePython);
    for (const ip of interpreters) log('error' in ip ? `compare: PyTorch interpreter skipped: ${ip.error}` : `compare: ${ip.python}: torch ${ip.torch} (${ip.blas}), Python ${ip.pythonVersion}`);
    configs = pytorchConfigs(interpreters.filter((ip): ip is Interpreter => !('error' in ip)), o.pytorchThreads, process.env, { spin: o.spin });
  }
  const archs: CompareArch[] = [];
  for (const [ai, arch] of o.archs.entries()) {
    const archDeadline = performance.now() + (deadline - performance.now()) / (o.archs.length - ai);
    archs.push(await compareArch(arch, o, runnersFor(o, configs), log, archDeadline));
  }
  return { interpreters, pytorchConfigs: configs, archs };
}

async function compareArch(arch: ArchName, o: CompareOptions, runners: Runner[], log: (s: string) => void, deadline: number): Promise<CompareArch> {
  const unavailable: Record<string, string> = {};
  if (o.engines.includes('pytorch') && !runners.some(r => r.engine === 'pytorch')) unavailable.pytorch = 'no interpreter here imports torch';
  log(`compare: ${arch}: ${runners.length} runners (${runners.map(r => r.key).join(', ')}); up to ${o.rounds} rounds × ${o.steps} steps per rule`);
  const children = runners.map(r => startChild(r, { arch, threads: r.threads, backend: '', rules: o.rules, batchSize: o.batchSize, warmup: 2 }));
  const live: Child[] = [];
  let flopsPerStep: number | null = null;
  for (const c of children) {
    try {
      const r = await c.ready as { threads: number; versions: Record<string, string>; kernels?: string; backend?: string; flops?: number };
      if (c.runner.engine !== 'pytorch' && r.backend !== c.runner.engine) throw new Error(`asked for ${c.runner.engine}, got ${r.backend}`);
      if (r.threads !== c.runner.threads) log(`  ${c.runner.key}: asked for ${c.runner.threads} threads, it reports ${r.threads}`);
      Object.assign(c.runner, { versions: r.versions, kernels: r.kernels });
      if (r.flops && flopsPerStep == null) flopsPerStep = r.flops;
      live.push(c);
    } catch (e) { unavailable[c.runner.key] = (e as Error).message.split('\n')[0]; log(`  ${c.runner.key} unavailable: ${unavailable[c.runner.key]}`); c.quit(); }
  }
  const samples: Record<string, Record<string, number[]>> = {};          // rule → runner → all ms
  const roundsMs: Record<string, Record<string, (number | null)[]>> = {};  // rule → runner → per-round medians
  const cpu: Record<string, { cpu: number; wall: number }> = {};
  let roundsRun = 0;
  const t0 = performance.now();
  for (let k = 0; k < o.rounds; k++) {
    const perRound = k > 0 ? (performance.now() - t0) / k : 0;
    if (k >= 2 && performance.now() + perRound > deadline) { log(`  stopping after ${k} rounds: the next would pass this net's share of --max-minutes`); break; }
    const order = live.map((_, i) => live[(i + k) % live.length]);
    for (const c of order) {
      if (unavailable[c.runner.key]) continue;
      try {
        const r = await c.ask({ steps: o.steps }) as { ms: Record<string, number[]>; cpuMs?: number; wallMs?: number };
        for (const [rule, xs] of Object.entries(r.ms)) {
          ((samples[rule] ??= {})[c.runner.key] ??= []).push(...xs);
          ((roundsMs[rule] ??= {})[c.runner.key] ??= [])[k] = summarize(xs).median;
        }
        if (r.cpuMs != null && r.wallMs != null) { const a = cpu[c.runner.key] ??= { cpu: 0, wall: 0 }; a.cpu += r.cpuMs; a.wall += r.wallMs; }
      } catch (e) { unavailable[c.runner.key] = (e as Error).message.split('\n')[0]; log(`  ${c.runner.key} failed: ${unavailable[c.runner.key]}`); }
    }
    roundsRun = k + 1;
  }
  // Evaluation throughput: one pass per runner per round, runners interleaved as the steps were;
  // each runner's best pass counts (one pass is ~0.2–1 s, short enough for a load spike to halve it).
  const evalImagesPerSec: Record<string, number> = {};
  if (o.evalImages > 0) for (let r = 0; r < roundsRun; r++) for (const c of live) {
    if (unavailable[c.runner.key]) continue;
    try {
      const ips = round((await c.ask({ evalImages: o.evalImages })).imagesPerSec as number, 0);
      evalImagesPerSec[c.runner.key] = Math.max(evalImagesPerSec[c.runner.key] ?? 0, ips);
    } catch (e) { unavailable[c.runner.key] = (e as Error).message.split('\n')[0]; }
  }
  for (const c of live) c.quit();

  const infos: RunnerInfo[] = runners.map(({ cmd: _cmd, env: _env, ...info }) => ({ ...info, cpuPerWall: cpu[info.key] ? round(cpu[info.key].cpu / cpu[info.key].wall) : null }));
  const measured = infos.filter(r => samples[o.rules[0]]?.[r.key]?.length);
  const rules = o.rules.map(rule => summarizeRule(rule, measured, samples[rule] ?? {}, roundsMs[rule] ?? {}, roundsRun));
  const nativeDeepagrelVsEbp: Record<string, number | null> = {};
  for (const r of measured.filter(x => x.engine === 'native' && !x.build)) {
    const d = roundsMs.deepagrel?.[r.key], e = roundsMs.ebp?.[r.key];
    const xs = d && e ? d.map((x, k) => x != null && e[k] != null ? x / e[k]! : null).filter((x): x is number => x != null) : [];
    nativeDeepagrelVsEbp[String(r.threads)] = xs.length ? round(summarize(xs).median, 3) : null;
  }
  for (const rc of rules) {
    const top = Math.max(...o.threads);
    log(`  ${rc.rule}: ${Object.entries(rc.ms).map(([k, v]) => `${k} ${v}`).join(', ')} ms; PyTorch best ${rc.pytorchBest.ms ?? '–'} ms (${rc.pytorchBest.key ?? '–'}); ` +
      `native ${top}t / PyTorch best ${rc.vsPytorchBest[top] ?? '–'}, per core ${rc.perCore ?? '–'}`);
  }
  return { arch, flopsPerStep, roundsRun, runners: measured, rules, evalImagesPerSec, nativeDeepagrelVsEbp, unavailable };
}

/** Adds GFLOP/s and their fractions of the measured peak (GFLOP/s per thread count) to every rule. */
export function attachGflops(archs: CompareArch[], peak: Record<string, number>): void {
  for (const a of archs) if (a.flopsPerStep) for (const rc of a.rules) rc.gflops = gflopFigures(rc, a.runners, a.flopsPerStep, peak);
}

// ---------------------------------------------------------------------------------------------
// Text

const f = (x: number | null | undefined, d = 1) => x == null || !Number.isFinite(x) ? '–' : x.toFixed(d);
const x2 = (x: number | null | undefined) => x == null ? '–' : `${x.toFixed(2)}×`;
const pct = (x: number | null | undefined) => x == null ? '–' : `${Math.round(x * 100)}%`;

/** The main table: per net and rule, our steps, PyTorch's best (any threads) and best per thread count, the ratios. */
export function compareTable(archs: CompareArch[]): string {
  const ours = [...new Set(archs.flatMap(a => a.runners.filter(r => r.engine !== 'pytorch').map(r => r.threads)))].sort((a, b) => a - b);
  const torchT = [...new Set(archs.flatMap(a => a.runners.filter(r => r.engine === 'pytorch').map(r => r.threads)))].sort((a, b) => a - b);
  const top = ours[ours.length - 1];
  const head = ['net', 'rule', ...ours.map(t => `native ${t}t ms`), ...ours.map(t => `wasm ${t}t ms`), 'PyTorch best ms (config)',
    ...torchT.map(t => `PyTorch best ${t}t ms`), ...ours.map(t => `native ${t}t / PyTorch best`), ...(ours.includes(1) && torchT.includes(1) ? ['per core: native 1t / PyTorch 1t'] : []),
    `native / wasm (${top}t)`];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => i < 2 ? '---' : '--:').join('|')}|`];
  for (const a of archs) for (const rc of a.rules) {
    const k = (e: string, t: number) => rc.ms[`${e}-${t}t`];
    lines.push(`| ${[a.arch, rc.rule, ...ours.map(t => f(k('native', t))), ...ours.map(t => f(k('wasm', t))),
      rc.pytorchBest.ms == null ? '–' : `${f(rc.pytorchBest.ms)} (${rc.pytorchBest.key})`,
      ...torchT.map(t => f(rc.pytorchBestAt[t]?.ms)), ...ours.map(t => x2(rc.vsPytorchBest[t])),
      ...(ours.includes(1) && torchT.includes(1) ? [x2(rc.perCore)] : []), x2(rc.nativeVsWasm[top])].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Every PyTorch configuration: median step per rule, rounds won (fastest of all), CPU/wall, eval. */
export function pytorchConfigTable(archs: CompareArch[]): string {
  const rules = [...new Set(archs.flatMap(a => a.rules.map(r => r.rule)))];
  const head = ['net', 'configuration', 'key', ...rules.map(r => `${r} ms`), ...rules.map(r => `${r} rounds fastest`), 'CPU/wall', 'eval img/s'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => i < 3 ? '---' : '--:').join('|')}|`];
  for (const a of archs) for (const r of a.runners.filter(x => x.engine === 'pytorch')) {
    const rcs = rules.map(rule => a.rules.find(x => x.rule === rule));
    lines.push(`| ${[a.arch, r.label, r.key, ...rcs.map(rc => f(rc?.ms[r.key])), ...rcs.map(rc => rc ? `${rc.pytorchBest.wins[r.key] ?? 0}/${a.roundsRun}` : '–'),
      f(r.cpuPerWall, 2), f(a.evalImagesPerSec[r.key], 0)].join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * Native builds side by side (--native-dir): per net, rule and thread count, each build's median step
 * and its within-round ratio to this checkout's build (below 1: the other build is faster).
 */
export function buildLines(archs: CompareArch[]): string[] {
  const out: string[] = [];
  for (const a of archs) for (const rc of a.rules) for (const r of a.runners.filter(x => x.build)) {
    const mine = rc.roundsMs[`native-${r.threads}t`] ?? [], other = rc.roundsMs[r.key] ?? [];
    const per = other.map((x, k) => x != null && mine[k] != null ? x / mine[k]! : null);
    const ok = per.filter((x): x is number => x != null);
    const lib = (v?: Record<string, string>) => v ? Object.entries(v).filter(([k]) => /onednn|dnnl/i.test(k)).map(([k, x]) => `${k} ${x}`).join(', ') : '';
    const main = a.runners.find(x => x.key === `native-${r.threads}t`);
    out.push(`  ${a.arch} ${rc.rule} ${r.threads}t: ${r.build} (${lib(r.versions) || '?'}) ${f(rc.ms[r.key])} ms vs this checkout's (${lib(main?.versions) || '?'}) ` +
      `${f(rc.ms[`native-${r.threads}t`])} ms; per round ${per.map(x => f(x, 2)).join(', ')} → ${ok.length ? f(summarize(ok).median, 3) : '–'}`);
  }
  return out;
}

/** Per net and rule: the ratio in each round, then the median. */
export function roundLines(archs: CompareArch[]): string[] {
  const out: string[] = [];
  for (const a of archs) for (const rc of a.rules) {
    const ts = Object.keys(rc.vsPytorchBest);
    const parts = ts.map(t => `native ${t}t / PyTorch best ${rc.rounds.map(r => f(r.vsPytorchBest[t], 2)).join(', ')} → ${f(rc.vsPytorchBest[t], 3)}`);
    if (rc.perCore != null) parts.push(`per core ${rc.rounds.map(r => f(r.vsPytorchSameThreads['1'], 2)).join(', ')} → ${f(rc.perCore, 3)}`);
    const winners = rc.rounds.map(r => r.pytorchBest?.key ?? '–').join(', ');
    out.push(`- ${a.arch} ${rc.rule}: ${parts.join('; ')}; PyTorch's fastest per round: ${winners}`);
  }
  return out;
}

/** GFLOP/s of the steps and their share of the measured sgemm peak. */
export function gflopTable(archs: CompareArch[]): string {
  const ts = [...new Set(archs.flatMap(a => a.rules.flatMap(rc => Object.keys(rc.gflops?.native ?? {}))))].map(Number).sort((a, b) => a - b);
  const head = ['net', 'rule', 'GFLOP/step', ...ts.map(t => `native ${t}t GFLOP/s (of ${t}t peak)`), 'PyTorch best GFLOP/s (of peak at its threads)', 'PyTorch best 1t GFLOP/s (of 1t peak)'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => i < 2 ? '---' : '--:').join('|')}|`];
  const cell = (x: { gflopPerSec: number; ofPeak: number | null; threads: number } | null | undefined, showT = false) =>
    x ? `${f(x.gflopPerSec)} (${pct(x.ofPeak)}${showT ? ` of ${x.threads}t` : ''})` : '–';
  for (const a of archs) for (const rc of a.rules) {
    const g = rc.gflops;
    if (!g) continue;
    lines.push(`| ${[a.arch, rc.rule, f(g.gflopPerStep, 2), ...ts.map(t => cell(g.native[t])), cell(g.pytorchBest, true), cell(g.pytorchBest1t)].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** One sentence per net (DeepAGREL): the figures the README and BENCHMARKS.md quote. */
export function headlineLines(archs: CompareArch[], rule: RuleName = 'deepagrel'): string[] {
  const out: string[] = [];
  for (const a of archs) {
    const rc = a.rules.find(r => r.rule === rule);
    if (!rc) continue;
    const top = Math.max(...Object.keys(rc.vsPytorchBest).map(Number));
    const best = a.runners.find(r => r.key === rc.pytorchBest.key);
    const g = rc.gflops;
    out.push(`${a.arch} ${rule}: native ${top}t ${f(rc.ms[`native-${top}t`])} ms = ${x2(rc.vsPytorchBest[top])} PyTorch's best (${f(rc.pytorchBest.ms)} ms, ${best?.label ?? '–'})` +
      `; per core ${f(rc.ms['native-1t'])} vs ${f(rc.pytorchBestAt['1']?.ms)} ms = ${x2(rc.perCore)}` +
      (g ? `; GFLOP/s native ${Object.entries(g.native).map(([t, x]) => `${t}t ${f(x?.gflopPerSec)} (${pct(x?.ofPeak)})`).join(', ')}, PyTorch best ${f(g.pytorchBest?.gflopPerSec)} (${pct(g.pytorchBest?.ofPeak)})` : ''));
  }
  return out;
}
