// Engine comparison (issue 13): the same training step on our 'native' backend, our 'wasm'
// backend and PyTorch (when `python3` can import torch), same net and batch, in one run.
//
// One long-lived child per engine (for one net × thread count). After all have warmed up, rounds
// run the engines one after another (the order rotates per round; the others sit idle), each
// round `steps` steps per rule with the rules interleaved. Per round and engine the median step;
// ratios are taken within a round (same load for both engines) and their median over rounds is
// the result, which cancels slow drifts in load on this shared machine. At the end each engine's
// greedy evaluation throughput (batch 500).
//
// PyTorch at its best: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from its environment (where
// a machine pins OpenBLAS to older kernels with them), and it runs twice, with libgomp's default
// spin and with the short spin our addon uses (PyTorch mixes OpenMP threads with OpenBLAS's own
// pthreads, and a long spin can make its 2-thread step slower than its 1-thread one). Per round the
// faster of the two counts, so noise can only favour PyTorch.

import { spawn, spawnSync } from 'node:child_process';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ARCHS, MARK, type ArchName, type RuleName } from './options.ts';
import { round, summarize } from './stats.ts';
import type { CompareSpec } from './compare-child.ts';

export type Engine = 'native' | 'wasm' | 'pytorch';
export const ENGINES: readonly Engine[] = ['native', 'wasm', 'pytorch'];

export interface CompareOptions { archs: ArchName[]; threads: number[]; rules: RuleName[]; engines: Engine[]; rounds: number; steps: number; evalImages: number; batchSize: number; python: string }

export interface CompareRow {
  arch: ArchName; threads: number; rule: RuleName;
  /** Median step (ms) over all measured steps, per engine. */
  ms: Partial<Record<Engine, number>>;
  /** Per-round medians (ms), per engine. */
  roundsMs: Partial<Record<Engine, number[]>>;
  /** The PyTorch run whose median was lower (libgomp default spin, or the short spin). */
  pytorchVariant?: string;
  /** Median over rounds of the within-round ratio native/PyTorch (the faster PyTorch variant of each round) and native/wasm. */
  nativeVsPytorch: number | null;
  nativeVsWasm: number | null;
}

export interface CompareConfig {
  arch: ArchName; threads: number; rows: CompareRow[];
  evalImagesPerSec: Partial<Record<Engine, number>>;
  /** Median over rounds of the DeepAGREL/EBP ratio of the native engine. */
  nativeDeepagrelVsEbp: number | null;
  engines: Partial<Record<Engine, { threads: number; versions: Record<string, string>; kernels?: string }>>;
  unavailable: Partial<Record<Engine, string>>;
}

const BENCH = fileURLToPath(new URL('./bench.ts', import.meta.url));
const PYTORCH_STEP = fileURLToPath(new URL('./pytorch_step.py', import.meta.url));

/** Whether `python` can import torch; undefined if so, else the reason. */
export function pytorchUnavailable(python: string): string | undefined {
  const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return `${python}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
  if (r.status !== 0) return `${python} cannot import torch (${r.stderr.trim().split('\n').pop()})`;
  return undefined;
}

/** One child process: an engine, and for PyTorch which OpenMP spin it runs with. */
interface Runner { key: string; engine: Engine; env: Record<string, string> }
const PYTORCH_VARIANTS: Runner[] = [
  { key: 'pytorch-default', engine: 'pytorch', env: {} },
  { key: 'pytorch-spin30k', engine: 'pytorch', env: { GOMP_SPINCOUNT: '30000' } },
];

interface Child { key: string; engine: Engine; ask(msg: object): Promise<Record<string, unknown>>; ready: Promise<Record<string, unknown>>; quit(): void }

function startChild({ key, engine, env: extra }: Runner, spec: CompareSpec, o: CompareOptions): Child {
  const env: NodeJS.ProcessEnv = { ...process.env, DEEPAGREL_THREADS: String(spec.threads), ...extra };
  let cmd: string, args: string[];
  if (engine === 'pytorch') {
    delete env.OPENBLAS_CORETYPE; delete env.OPENBLAS_L2_SIZE;
    cmd = o.python;
    args = [PYTORCH_STEP, JSON.stringify({ ...spec, ...pytorchNet(spec.arch, spec.rules), shape: ARCHS[spec.arch].shape, classes: ARCHS[spec.arch].classes })];
  } else {
    cmd = process.execPath;
    args = [...process.execArgv, BENCH, '--worker', 'compare', JSON.stringify({ ...spec, backend: engine })];
  }
  const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting: ((v: Record<string, unknown>) => void)[] = [];
  const stderrTail: string[] = [];
  let failed: Error | undefined;
  const fail = (why: string) => { failed = new Error(`${key} (${spec.arch}, ${spec.threads}t): ${why}\n${stderrTail.join('\n')}`); for (const w of waiting.splice(0)) w({ error: failed.message }); };
  readline.createInterface({ input: child.stdout }).on('line', line => {
    if (line.startsWith(MARK)) waiting.shift()?.(JSON.parse(line.slice(MARK.length)));
  });
  readline.createInterface({ input: child.stderr }).on('line', line => { stderrTail.push(line); if (stderrTail.length > 20) stderrTail.shift(); });
  child.on('close', code => { if (code !== 0) fail(`exited with code ${code}`); });
  child.on('error', e => fail(e.message));
  const next = () => new Promise<Record<string, unknown>>(resolve => { if (failed) resolve({ error: failed.message }); else waiting.push(resolve); });
  const check = (r: Record<string, unknown>) => { if (r.error) throw new Error(String(r.error)); return r; };
  return {
    key, engine,
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

const ratioOfRounds = (a?: number[], b?: number[]) => a && b && a.length && b.length
  ? round(summarize(a.map((x, i) => x / b[i])).median, 3) : null;

export async function compareEngines(o: CompareOptions, log: (s: string) => void): Promise<CompareConfig[]> {
  presetOf = (await import('../src/presets.ts')).resolvePreset as unknown as typeof presetOf;
  const unavailableAll: Partial<Record<Engine, string>> = {};
  if (o.engines.includes('pytorch')) {
    const why = pytorchUnavailable(o.python);
    if (why) { unavailableAll.pytorch = why; log(`compare: PyTorch skipped: ${why}`); }
  }
  const out: CompareConfig[] = [];
  for (const arch of o.archs) for (const threads of o.threads) {
    const spec: CompareSpec = { arch, threads, backend: '', rules: o.rules, batchSize: o.batchSize, warmup: 2 };
    const unavailable = { ...unavailableAll };
    const engines = o.engines.filter(e => !unavailable[e]);
    log(`compare: ${arch}, ${threads} thread(s): ${engines.join(', ')}; ${o.rounds} rounds × ${o.steps} steps per rule`);
    const runners = engines.flatMap(e => e === 'pytorch' ? PYTORCH_VARIANTS : [{ key: e, engine: e, env: {} }]);
    const children = runners.map(r => startChild(r, spec, o));
    const info: CompareConfig['engines'] = {};
    const live: Child[] = [];
    for (const c of children) {
      try {
        const r = await c.ready as { threads: number; versions: Record<string, string>; kernels?: string; backend?: string };
        if (c.engine !== 'pytorch' && r.backend !== c.engine) throw new Error(`asked for ${c.engine}, got ${r.backend}`);
        info[c.engine] = { threads: r.threads, versions: r.versions, kernels: r.kernels };
        live.push(c);
      } catch (e) { unavailable[c.engine] = (e as Error).message.split('\n')[0]; log(`  ${c.key} unavailable: ${unavailable[c.engine]}`); c.quit(); }
    }
    const samples: Record<string, Record<string, number[]>> = {};     // engine → rule → all ms
    const rounds: Record<string, Record<string, number[]>> = {};      // engine → rule → per-round medians
    for (let k = 0; k < o.rounds; k++) {
      const order = live.map((_, i) => live[(i + k) % live.length]);
      for (const c of order) {
        const { ms } = await c.ask({ steps: o.steps }) as { ms: Record<string, number[]> };
        for (const [rule, xs] of Object.entries(ms)) {
          ((samples[c.key] ??= {})[rule] ??= []).push(...xs);
          ((rounds[c.key] ??= {})[rule] ??= []).push(summarize(xs).median);
        }
      }
    }
    // Evaluation throughput: one pass per engine per round, engines interleaved as the steps
    // were; each engine's best pass counts (one pass is ~0.2–1 s, short enough for a load spike
    // on this shared machine to halve it).
    const evalImagesPerSec: CompareConfig['evalImagesPerSec'] = {};
    if (o.evalImages > 0) for (let r = 0; r < o.rounds; r++) for (const c of live) {
      const ips = round((await c.ask({ evalImages: o.evalImages })).imagesPerSec as number, 0);
      evalImagesPerSec[c.engine] = Math.max(evalImagesPerSec[c.engine] ?? 0, ips);
    }
    for (const c of live) c.quit();
    // PyTorch: per rule the better variant overall, per round the faster variant of that round.
    const pyKeys = PYTORCH_VARIANTS.map(v => v.key).filter(k => samples[k]);
    const pytorchVariant: Record<string, string> = {};
    if (pyKeys.length) {
      samples.pytorch = {}; rounds.pytorch = {};
      for (const rule of o.rules) {
        const best = pyKeys.reduce((a, b) => summarize(samples[a][rule]).median <= summarize(samples[b][rule]).median ? a : b);
        pytorchVariant[rule] = best;
        samples.pytorch[rule] = samples[best][rule];
        rounds.pytorch[rule] = rounds[best][rule].map((_, k) => Math.min(...pyKeys.map(key => rounds[key][rule][k])));
      }
    }

    const rows: CompareRow[] = o.rules.map(rule => {
      const ms: CompareRow['ms'] = {}, roundsMs: CompareRow['roundsMs'] = {};
      for (const e of engines) if (samples[e]?.[rule]) { ms[e] = round(summarize(samples[e][rule]).median); roundsMs[e] = rounds[e][rule].map(x => round(x)); }
      return { arch, threads, rule, ms, roundsMs, ...(pytorchVariant[rule] ? { pytorchVariant: pytorchVariant[rule] } : {}),
        nativeVsPytorch: ratioOfRounds(rounds.native?.[rule], rounds.pytorch?.[rule]),
        nativeVsWasm: ratioOfRounds(rounds.native?.[rule], rounds.wasm?.[rule]) };
    });
    const cfg: CompareConfig = { arch, threads, rows, evalImagesPerSec, engines: info, unavailable,
      nativeDeepagrelVsEbp: ratioOfRounds(rounds.native?.deepagrel, rounds.native?.ebp) };
    for (const r of rows) log(`  ${r.rule}: ${Object.entries(r.ms).map(([e, v]) => `${e} ${v} ms`).join(', ')}; native/PyTorch ${r.nativeVsPytorch ?? '–'}, native/wasm ${r.nativeVsWasm ?? '–'}`);
    out.push(cfg);
  }
  return out;
}

export function compareTable(configs: CompareConfig[]): string {
  const f = (x: number | null | undefined, d = 1) => x == null ? '–' : x.toFixed(d);
  const head = ['net', 'thr', 'rule', 'native ms', 'wasm ms', 'PyTorch ms (best variant)', 'native / PyTorch', 'native / wasm', 'eval img/s native · wasm · PyTorch'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => i < 3 ? '---' : '--:').join('|')}|`];
  for (const c of configs) for (const r of c.rows) {
    const ev = r.rule === c.rows[0].rule ? ['native', 'wasm', 'pytorch'].map(e => f(c.evalImagesPerSec[e as Engine], 0)).join(' · ') : '';
    lines.push(`| ${[r.arch, r.threads, r.rule, f(r.ms.native), f(r.ms.wasm), r.ms.pytorch == null ? '–' : `${f(r.ms.pytorch)} (${r.pytorchVariant === 'pytorch-default' ? 'default spin' : 'spin 30k'})`, r.nativeVsPytorch == null ? '–' : `${f(r.nativeVsPytorch, 2)}×`,
      r.nativeVsWasm == null ? '–' : `${f(r.nativeVsWasm, 2)}×`, ev].join(' | ')} |`);
  }
  return lines.join('\n');
}
