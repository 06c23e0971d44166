// Backend selection: one call at start-up, `await initBackend()`, before any tf op.
//
// Order for 'auto' (the default): the TensorFlow backend from @tensorflow/tfjs-node-gpu or
// @tensorflow/tfjs-node when the user installed one on purpose (never by `npm install`: an opt-in,
// TENSORFLOW_OPT_IN), then 'webgpu' on a discrete GPU (Dawn; backend/webgpu.ts) — on an integrated
// GPU, an adapter of unknown kind or a software one (lavapipe) only when a short probe
// (backend/webgpu-probe.ts) measures its training step faster than the CPU path's, or when
// DEEPAGREL_WEBGPU_ADAPTER names it — then 'native' (our oneDNN kernels, native/, built at npm
// install when oneDNN is there), then 'wasm'. BackendInfo.webgpu keeps what the WebGPU choice rested
// on (the adapters, their kinds, the pick, the probe's numbers), and run headers record it.
// 'cpu' (pure JS, slow) only when asked.
// Why each backend before the chosen one was skipped is kept in BackendInfo.skipped.
//
// 'native' is the wasm backend with its heavy kernels (matrix products, convolutions, elementwise
// ops on large tensors) replaced by the addon's, working in place on the wasm heap
// (backend/native-kernels.ts); everything else stays wasm, on one thread (OpenMP is the one
// threading runtime then). tf.getBackend() says 'wasm' for
// both; BackendInfo.name tells them apart.
//
// Env DEEPAGREL_BACKEND=tensorflow|webgpu|native|wasm|cpu|auto picks the backend, DEEPAGREL_THREADS=n
// the threads (DEEPAGREL_WASM_THREADS=n is the older name, still read); options passed to
// initBackend win over the environment. Threads: native takes all cores by default and can change
// at any time; wasm runs single-threaded unless asked, and its count is fixed once it has started
// (backend/wasm-threads.ts). On wasm, replacement kernels (backend/wasm-kernels.ts) keep
// transposed matMul and the conv gradients on XNNPACK's fast paths.
//
// Every module imports tf as `import * as tf from '@tensorflow/tfjs'`. Under Node that resolves
// to one CommonJS instance (tfjs-node requires the same one), and tfjs keeps its engine and kernel
// registry on globalThis anyway, so the backend chosen here is the one every module sees.

import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { nativeKernelsActive, registerWasmKernels, setNativeKernels } from './backend/wasm-kernels.ts';
import { NATIVE_KERNELS } from './backend/native-kernels.ts';
import { NATIVE_OPS, setNativeOps } from './backend/native-ops.ts';
import { nativeFixHint, loadNativeAddon, nativeUnavailableReason, type NativeLibraryInfo } from './backend/native-addon.ts';
import { withWasmThreads } from './backend/wasm-threads.ts';
import { adapterLine, adapterSummary, findAdapter, gpuDeviceNodes, startWebgpuBackend, webgpuPackageVersion, type AdapterInfo, type AdapterSelection } from './backend/webgpu.ts';
import { PROBE, probeStepMs, type ProbeResult } from './backend/webgpu-probe.ts';

export { tf };

export type BackendName = 'tensorflow' | 'webgpu' | 'native' | 'wasm' | 'cpu';
export type BackendRequest = BackendName | 'auto';

export interface BackendInfo {
  /** 'tensorflow', 'webgpu', 'native', 'wasm' or 'cpu' (tf.getBackend() says 'wasm' for native too). */
  name: string;
  /** Threads doing the arithmetic (native: OpenMP threads; wasm: XNNPACK pool size; tensorflow: cores). */
  threads: number;
  /** Whether the kernels use SIMD (wasm: SIMD binary loaded; native code: yes). */
  simd: boolean;
  /** tfjs-core, backend package and native library versions. */
  versions: Record<string, string>;
  /** The node package that provided the 'tensorflow' backend, when that is the backend. */
  package?: string;
  /** Which code runs the kernels, in one line (e.g. "oneDNN 2.6.3 (avx512_core_bf16, OpenMP): BatchMatMul, …; wasm: the rest"). */
  kernels: string;
  /** native: the library under the kernels. */
  library?: NativeLibraryInfo;
  /** webgpu: the adapter (vendor, architecture, device, software or not, its kind). */
  adapter?: AdapterInfo;
  /** Where WebGPU was considered (forced, or by 'auto' on a machine with a GPU device): every
   *  adapter found with its kind, the one picked and how, whether it was taken and why, and the
   *  probe's numbers when one ran. Present also when 'auto' went on to a CPU backend. */
  webgpu?: WebgpuChoice;
  /** 'auto': each backend tried before this one, and why it was not taken. */
  skipped?: { backend: BackendName; reason: string }[];
}

export interface WebgpuChoice extends AdapterSelection {
  /** "forced (DEEPAGREL_BACKEND=webgpu)", "auto: a discrete GPU", "auto: not taken: …", … */
  decision: string;
  probe?: ProbeResult;
}

export interface InitBackendOptions {
  backend?: BackendRequest;
  /** native: OpenMP threads (default: all cores; can change). wasm: XNNPACK threads (default 1), fixed at the first wasm start. */
  threads?: number;
}

export const REQUESTS: readonly BackendRequest[] = ['tensorflow', 'webgpu', 'native', 'wasm', 'cpu', 'auto'];
export const MAX_THREADS = 256;
const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
/** The TensorFlow backend is never installed by `npm install` (its install script downloads a
 *  libtensorflow of several hundred MB, built for CUDA 11.2 / cuDNN 8.1): a user opts in. */
export const TENSORFLOW_OPT_IN =
  'npm install @tensorflow/tfjs-node-gpu@4.22.0 (NVIDIA GPU; downloads libtensorflow for CUDA 11.2 / cuDNN 8.1, several hundred MB) ' +
  'or @tensorflow/tfjs-node@4.22.0 (CPU), then DEEPAGREL_BACKEND=tensorflow';
const require = createRequire(import.meta.url);

let current: { key: string; info: BackendInfo } | undefined;
let wasmThreads: number | undefined;           // set once the wasm backend has started
let tensorflowTried: { pkg?: string; reasons: string[] } | undefined;

/** The thread count asked for by the environment: DEEPAGREL_THREADS, or the older DEEPAGREL_WASM_THREADS. */
function envThreads(): { value: string; source: string } | undefined {
  for (const source of ['DEEPAGREL_THREADS', 'DEEPAGREL_WASM_THREADS']) {
    const value = process.env[source]?.trim();
    if (value) return { value, source };
  }
  return undefined;
}

/**
 * Thread count for a command-line process that has the machine to itself: every core, unless
 * DEEPAGREL_THREADS (or DEEPAGREL_WASM_THREADS) says otherwise — sweeps set it to cores ÷ workers
 * per worker. Library calls (notebooks, tests) get the backend's default: all cores on native,
 * one thread on wasm.
 */
export function commandLineThreads(): number | undefined {
  return envThreads() ? undefined : allCores();
}

function allCores(): number { return Math.min(MAX_THREADS, os.availableParallelism()); }

/** The BackendInfo of the last successful initBackend call, if any. */
export function backendInfo(): BackendInfo | undefined {
  return current?.info;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Select and start the backend (see the header for the order and environment variables).
 * Cheap when called again with the same request; a different request switches backends.
 */
export function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  // One at a time: two concurrent first calls must not both start wasm.
  const run = queue.then(() => init(opts));
  queue = run.catch(() => undefined);
  return run;
}

async function init(opts: InitBackendOptions): Promise<BackendInfo> {
  const request = parseRequest(opts.backend, process.env.DEEPAGREL_BACKEND);
  const threads = parseThreads(opts.threads);
  const key = `${request}/${threads ?? ''}`;
  if (current?.key === key && tf.getBackend() === tfName(current.info.name) && nativeKernelsActive() === (current.info.name === 'native')) {
    return current.info;
  }

  let info: BackendInfo;
  switch (request) {
    case 'tensorflow': {
      info = await startTensorflow() ?? fail(
        `backend 'tensorflow' requested but neither ${TENSORFLOW_PACKAGES.join(' nor ')} could be loaded ` +
        `(${tensorflowTried!.reasons.join('; ')}): it is an opt-in, ${TENSORFLOW_OPT_IN}; or use DEEPAGREL_BACKEND=native or wasm`);
      break;
    }
    case 'webgpu': {
      info = await startWebgpu('forced (DEEPAGREL_BACKEND=webgpu or --backend webgpu)');
      break;
    }
    case 'native': {
      info = await startNative(threads) ?? fail(
        `backend 'native' requested but ${nativeUnavailableReason()}: ${nativeFixHint()}; or use DEEPAGREL_BACKEND=wasm`);
      break;
    }
    case 'auto': {
      const skipped: NonNullable<BackendInfo['skipped']> = [];
      const tensorflow = await startTensorflow();
      if (!tensorflow) skipped.push({ backend: 'tensorflow', reason: `${tensorflowTried!.reasons.join('; ')} (an opt-in: ${TENSORFLOW_OPT_IN})` });
      const considered: { choice?: WebgpuChoice } = {};
      const webgpu = tensorflow ? undefined : await autoWebgpu(skipped, threads, considered);
      const native = tensorflow || webgpu ? undefined : await startNative(threads);
      if (!tensorflow && !webgpu && !native) skipped.push({ backend: 'native', reason: `${nativeUnavailableReason()}; to get it: ${nativeFixHint()}` });
      info = { ...(tensorflow ?? webgpu ?? native ?? await startWasm(threads)), skipped, ...(considered.choice && !webgpu ? { webgpu: considered.choice } : {}) };
      break;
    }
    case 'wasm': info = await startWasm(threads); break;
    case 'cpu': info = await startCpu(); break;
  }
  current = { key, info };
  return info;
}

function fail(message: string): never { throw new Error(message); }

/** The tfjs backend a BackendInfo name runs on. */
function tfName(name: string): string { return name === 'native' ? 'wasm' : name; }

function parseRequest(option: string | undefined, env: string | undefined): BackendRequest {
  const [value, source] = option != null ? [option, 'option backend'] : [env?.trim() || 'auto', 'DEEPAGREL_BACKEND'];
  if (!(REQUESTS as readonly string[]).includes(value)) {
    throw new Error(`unknown backend '${value}' (from ${source}); expected one of: ${REQUESTS.join(', ')}`);
  }
  return value as BackendRequest;
}

function parseThreads(option: number | undefined): number | undefined {
  const env = envThreads();
  if (option == null && !env) return undefined;
  const [value, source, raw] = option != null ? [option, 'option threads', String(option)] : [Number(env!.value), env!.source, env!.value];
  if (!Number.isInteger(value) || value < 1 || value > MAX_THREADS) {
    throw new Error(`${source} must be an integer from 1 to ${MAX_THREADS}, got '${raw}'`);
  }
  return value;
}

/** 'webgpu' on the picked adapter (forced: any, software included, reported as such); one clear error when none. */
async function startWebgpu(decision: string, probe?: ProbeResult): Promise<BackendInfo> {
  let started: Awaited<ReturnType<typeof startWebgpuBackend>>;
  try {
    started = await startWebgpuBackend();
  } catch (e) {
    throw new Error(`backend 'webgpu' requested but ${(e as Error).message}; or use DEEPAGREL_BACKEND=native or wasm`);
  }
  nativeOff();
  const { info: adapter, selection, version } = started;
  const kind = adapter.kind === 'unknown' ? 'adapter of unknown kind' : adapter.kind === 'software' ? 'software adapter' : `${adapter.kind} GPU`;
  return {
    name: 'webgpu', threads: 1, simd: true, adapter,
    kernels: `tfjs-backend-webgpu (WGSL) on ${adapterLine(adapter)} — adapter #${adapter.index} of ${selection.adapters.length}, ${kind}; ${decision}`,
    versions: { 'tfjs-core': tf.version_core, 'tfjs-backend-webgpu': version, webgpu: webgpuPackageVersion() },
    webgpu: { ...selection, decision, ...(probe ? { probe } : {}) },
  };
}

/**
 * 'auto' and WebGPU: a discrete GPU is taken; an adapter DEEPAGREL_WEBGPU_ADAPTER names, too; an
 * integrated GPU, an adapter of unknown kind or a software one only when the probe measures its
 * training step faster than the CPU path's (autoWebgpuDecision). On Linux without a GPU device
 * node Dawn is not even loaded (it would only find software Vulkan, and says so on stderr).
 * `considered.choice`: what the choice rested on, also when WebGPU was not taken.
 */
async function autoWebgpu(skipped: NonNullable<BackendInfo['skipped']>, threads: number | undefined, considered: { choice?: WebgpuChoice }): Promise<BackendInfo | undefined> {
  const nodes = gpuDeviceNodes();
  if (nodes.length === 0) {
    skipped.push({ backend: 'webgpu', reason: 'no GPU device here (/dev/dri/renderD*, /dev/nvidia0, /dev/dxg); DEEPAGREL_BACKEND=webgpu tries software Vulkan' });
    return undefined;
  }
  const found = await findAdapter();
  if ('reason' in found) { skipped.push({ backend: 'webgpu', reason: found.reason }); return undefined; }
  const decided = await autoWebgpuDecision(found.info, process.env.DEEPAGREL_WEBGPU_ADAPTER, () => probeAgainstCpu(threads));
  if (!decided.take) {
    skipped.push({ backend: 'webgpu', reason: decided.why });
    considered.choice = { ...found.selection, decision: `auto: not taken: ${decided.why}`, ...(decided.probe ? { probe: decided.probe } : {}) };
    return undefined;
  }
  try {
    return await startWebgpu(`auto: ${decided.why}`, decided.probe);
  } catch (e) {
    skipped.push({ backend: 'webgpu', reason: (e as Error).message });
    return undefined;
  }
}

/**
 * The probe: ms per training step on the CPU path 'auto' would take otherwise (native, else wasm),
 * then on the picked WebGPU adapter (stopping once a step takes twice the CPU's). Leaves webgpu
 * selected (or the CPU path, when webgpu cannot start: then `error` says why).
 */
export async function probeAgainstCpu(threads?: number): Promise<ProbeResult | { error: string }> {
  const cpu = await startNative(threads) ?? await startWasm(threads);
  const c = await probeStepMs();
  try { await startWebgpuBackend(); } catch (e) { return { error: (e as Error).message }; }
  const g = await probeStepMs(2 * c.ms);
  return { net: PROBE.net, batch: PROBE.batch, webgpuMs: g.ms, cpuMs: c.ms, cpuBackend: cpu.name, steps: { webgpu: g.steps, cpu: c.steps } };
}

/**
 * Whether 'auto' takes the adapter WebGPU picked, and why. `named`: DEEPAGREL_WEBGPU_ADAPTER.
 * `probe` runs only for an integrated, unknown or software adapter: the CPU path's and the
 * adapter's ms per training step (or why the adapter could not start).
 */
export async function autoWebgpuDecision(adapter: AdapterInfo, named: string | undefined,
  probe: () => Promise<ProbeResult | { error: string }>): Promise<{ take: boolean; why: string; probe?: ProbeResult }> {
  const what = adapterSummary(adapter);
  if (named?.trim()) return { take: true, why: `named by DEEPAGREL_WEBGPU_ADAPTER (${what})` };
  if (adapter.kind === 'discrete') return { take: true, why: `a discrete GPU (${what}; ${adapter.kindReason})` };
  const p = await probe();
  if ('error' in p) return { take: false, why: `${what}: it failed to start (${p.error})` };
  const numbers = `the probe's training step (${p.net}, batch ${p.batch}) took ${p.webgpuMs} ms on it against ${p.cpuMs} ms on ${p.cpuBackend}`;
  if (p.webgpuMs < p.cpuMs) return { take: true, why: `${what} (${adapter.kindReason}): ${numbers}: faster`, probe: p };
  return { take: false, why: `${what} (${adapter.kindReason}): ${numbers}: slower; DEEPAGREL_BACKEND=webgpu uses it anyway`, probe: p };
}

function packageVersion(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Leaving native (or never in it): the routed kernels go back to wasm, our ops (src/ops.ts) to their generic forms. */
function nativeOff(): void {
  setNativeKernels(null);
  setNativeOps(null);
}

/** The 'tensorflow' backend from the first TensorFlow package that loads, or undefined. */
async function startTensorflow(): Promise<BackendInfo | undefined> {
  if (tensorflowTried && !tensorflowTried.pkg) return undefined;   // a failed import does not get better
  if (!tensorflowTried) {
    tensorflowTried = { reasons: [] };
    for (const pkg of TENSORFLOW_PACKAGES) {
      try {
        await import(pkg);   // registers backend 'tensorflow'
        tensorflowTried.pkg = pkg;
        break;
      } catch (e) {
        const err = e as { code?: string; message?: string };
        const notInstalled = err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND';
        tensorflowTried.reasons.push(`${pkg}: ${notInstalled ? 'not installed' : String(err.message).split('\n')[0]}`);
      }
    }
    if (!tensorflowTried.pkg) return undefined;
  }
  if (!(await tf.setBackend('tensorflow'))) {
    tensorflowTried.reasons.push(`${tensorflowTried.pkg}: loaded, but its backend failed to initialise`);
    tensorflowTried.pkg = undefined;
    return undefined;
  }
  nativeOff();
  const pkg = tensorflowTried.pkg!;
  return {
    name: 'tensorflow', threads: os.availableParallelism(), simd: true, package: pkg, kernels: `${pkg} (libtensorflow)`,
    versions: { 'tfjs-core': tf.version_core, [pkg.replace('@tensorflow/', '')]: packageVersion(pkg) },
  };
}

/**
 * 'native': the wasm backend (one thread: only the light ops stay there) with the addon's
 * kernels routed in, and dropout masks drawn by the addon (the same numbers as in JS).
 * Undefined when the addon cannot load (nativeUnavailableReason() says why).
 */
async function startNative(threads: number | undefined): Promise<BackendInfo | undefined> {
  const addon = loadNativeAddon();
  if (!addon) return undefined;
  const substrate = await startWasm(wasmThreads ?? 1);
  addon.setThreads(threads ?? allCores());
  setNativeKernels(addon);
  setNativeOps(addon);
  const library = addon.info();
  return {
    name: 'native', threads: library.threads, simd: true, library,
    kernels: `${library.library} ${library.version} (${library.isa}, ${library.runtime}): ${[...Object.keys(NATIVE_KERNELS), ...NATIVE_OPS].join(', ')}; wasm: the rest`,
    versions: { ...substrate.versions, [library.library]: library.version },
  };
}

async function startWasm(threads: number | undefined): Promise<BackendInfo> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');   // registers backend 'wasm'
  registerWasmKernels();
  nativeOff();
  if (wasmThreads == null && tf.engine().registry.wasm == null) {
    // The Node loader finds the .wasm files next to its own file; say so explicitly anyway.
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
    const n = threads ?? 1;
    const start = () => withoutEmscriptenHandlers(() => tf.setBackend('wasm'));
    const ok = n > 1 ? await withWasmThreads(n, start) : await start();
    if (!ok) {
      throw new Error(`the wasm backend failed to initialise (see the warning above)${n > 1
        ? `; this was the multi-threaded start (${n} threads): unset DEEPAGREL_THREADS to run single-threaded` : ''}`);
    }
    wasmThreads = wasm.getThreadsCount();
  } else {
    wasmThreads ??= wasm.getThreadsCount();
    if (threads != null && threads !== wasmThreads) {
      throw new Error(
        `the wasm backend is already running with ${wasmThreads} thread(s) and cannot change: the thread ` +
        `count is fixed when wasm first starts. Set DEEPAGREL_THREADS=${threads} (or pass threads) ` +
        'before the first initBackend call of the process');
    }
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
  }
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') as boolean;
  return {
    name: 'wasm', threads: wasmThreads, simd,
    kernels: `XNNPACK (wasm${simd ? ' SIMD' : ''}, ${wasmThreads} thread${wasmThreads > 1 ? 's' : ''}) with our replacement kernels`,
    versions: { 'tfjs-core': tf.version_core, 'tfjs-backend-wasm': wasm.version_wasm },
  };
}

/**
 * The Emscripten module adds process handlers that rethrow every uncaught exception and
 * unhandled rejection, which prints its whole minified source with each error. Remove them.
 */
async function withoutEmscriptenHandlers<T>(body: () => Promise<T>): Promise<T> {
  const listeners = () => [...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')];
  const before = new Set<unknown>(listeners());
  try {
    return await body();
  } finally {
    for (const l of process.listeners('uncaughtException')) if (!before.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!before.has(l)) process.removeListener('unhandledRejection', l);
  }
}

async function startCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
  nativeOff();
  // Chosen on purpose: skip the "install tfjs-node" banner tfjs prints on first use.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return { name: 'cpu', threads: 1, simd: false, kernels: 'tfjs-backend-cpu (JavaScript)',
    versions: { 'tfjs-core': tf.version_core, 'tfjs-backend-cpu': tf.version['tfjs-backend-cpu'] } };
}
