// Backend selection: one call at start-up, `await initBackend()`, before any tf op.
//
// Order for 'auto' (the default): the native TensorFlow backend from @tensorflow/tfjs-node-gpu,
// then @tensorflow/tfjs-node (both optional: each is tried with a dynamic import and silently
// skipped when missing or broken), otherwise wasm. 'cpu' (pure JS, slow) only when asked.
// Env DEEPAGREL_BACKEND=tensorflow|wasm|cpu|auto and DEEPAGREL_WASM_THREADS=n set the defaults;
// options passed to initBackend win over the environment.
// wasm runs single-threaded unless DEEPAGREL_WASM_THREADS=n or initBackend({ threads: n }) asks
// for n XNNPACK threads (backend/wasm-threads.ts); the count is fixed once wasm has started.
// On wasm, replacement kernels (backend/wasm-kernels.ts) keep transposed matMul and the conv
// gradients on XNNPACK's fast paths.
//
// Every module imports tf as `import * as tf from '@tensorflow/tfjs'`. Under Node that resolves
// to one CommonJS instance (tfjs-node requires the same one), and tfjs keeps its engine and kernel
// registry on globalThis anyway, so the backend chosen here is the one every module sees.

import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { registerWasmKernels } from './backend/wasm-kernels.ts';
import { withWasmThreads } from './backend/wasm-threads.ts';

export { tf };

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendRequest = BackendName | 'auto';

export interface BackendInfo {
  /** tf.getBackend() after initialisation: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** Threads doing the arithmetic (wasm: XNNPACK pool size; tensorflow: available cores). */
  threads: number;
  /** Whether the kernels use SIMD (wasm: SIMD binary loaded; tensorflow: native code). */
  simd: boolean;
  /** tfjs-core and backend package versions. */
  versions: Record<string, string>;
  /** The node package that provided the 'tensorflow' backend, when that is the backend. */
  package?: string;
}

export interface InitBackendOptions {
  backend?: BackendRequest;
  /** wasm only: XNNPACK threads (default 1). Fixed at the first wasm start-up of the process. */
  threads?: number;
}

const REQUESTS: readonly BackendRequest[] = ['tensorflow', 'wasm', 'cpu', 'auto'];
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const require = createRequire(import.meta.url);

let current: { key: string; info: BackendInfo } | undefined;
let wasmThreads: number | undefined;           // set once the wasm backend has started
let nativeTried: { pkg?: string; reasons: string[] } | undefined;

/**
 * Thread count for a command-line process that has the machine to itself: every core (a single
 * run on 2 cores is ~1.6× faster with 2 wasm threads, BENCHMARKS.md), unless
 * DEEPAGREL_WASM_THREADS says otherwise (sweeps set it to 1 per worker: 2 workers give 2.15×).
 * Library calls (notebooks, tests) keep the single-threaded default.
 */
export function commandLineThreads(): number | undefined {
  return process.env.DEEPAGREL_WASM_THREADS ? undefined : Math.min(8, os.availableParallelism());
}

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
  const threads = parseThreads(opts.threads, process.env.DEEPAGREL_WASM_THREADS);
  const key = `${request}/${threads ?? ''}`;
  if (current?.key === key && tf.getBackend() === current.info.name) return current.info;

  let info: BackendInfo;
  switch (request) {
    case 'tensorflow': {
      const native = await startNative();
      if (!native) {
        throw new Error(
          `backend 'tensorflow' requested but neither ${NATIVE_PACKAGES.join(' nor ')} could be loaded ` +
          `(${nativeTried!.reasons.join('; ')}): npm install @tensorflow/tfjs-node ` +
          '(needs network access to download libtensorflow), or use DEEPAGREL_BACKEND=wasm');
      }
      info = native;
      break;
    }
    case 'auto': info = (await startNative()) ?? (await startWasm(threads)); break;
    case 'wasm': info = await startWasm(threads); break;
    case 'cpu': info = await startCpu(); break;
  }
  current = { key, info };
  return info;
}

function parseRequest(option: string | undefined, env: string | undefined): BackendRequest {
  const [value, source] = option != null ? [option, 'option backend'] : [env?.trim() || 'auto', 'DEEPAGREL_BACKEND'];
  if (!(REQUESTS as readonly string[]).includes(value)) {
    throw new Error(`unknown backend '${value}' (from ${source}); expected one of: ${REQUESTS.join(', ')}`);
  }
  return value as BackendRequest;
}

function parseThreads(option: number | undefined, env: string | undefined): number | undefined {
  if (option == null && !env?.trim()) return undefined;
  const [value, source] = option != null ? [option, 'option threads'] : [Number(env), 'DEEPAGREL_WASM_THREADS'];
  if (!Number.isInteger(value) || value < 1 || value > 8) {
    throw new Error(`${source} must be an integer from 1 to 8, got '${option ?? env}'`);
  }
  return value;
}

function packageVersion(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The 'tensorflow' backend from the first native package that loads, or undefined. */
async function startNative(): Promise<BackendInfo | undefined> {
  if (nativeTried && !nativeTried.pkg) return undefined;   // a failed import does not get better
  if (!nativeTried) {
    nativeTried = { reasons: [] };
    for (const pkg of NATIVE_PACKAGES) {
      try {
        await import(pkg);   // registers backend 'tensorflow'
        nativeTried.pkg = pkg;
        break;
      } catch (e) {
        const err = e as { code?: string; message?: string };
        const notInstalled = err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND';
        nativeTried.reasons.push(`${pkg}: ${notInstalled ? 'not installed' : String(err.message).split('\n')[0]}`);
      }
    }
    if (!nativeTried.pkg) return undefined;
  }
  if (!(await tf.setBackend('tensorflow'))) {
    nativeTried.reasons.push(`${nativeTried.pkg}: loaded, but its backend failed to initialise`);
    nativeTried.pkg = undefined;
    return undefined;
  }
  const pkg = nativeTried.pkg!;
  return {
    name: 'tensorflow', threads: os.availableParallelism(), simd: true, package: pkg,
    versions: { 'tfjs-core': tf.version_core, [pkg.replace('@tensorflow/', '')]: packageVersion(pkg) },
  };
}

async function startWasm(threads: number | undefined): Promise<BackendInfo> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');   // registers backend 'wasm'
  registerWasmKernels();
  if (wasmThreads == null && tf.engine().registry.wasm == null) {
    // The Node loader finds the .wasm files next to its own file; say so explicitly anyway.
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
    const n = threads ?? 1;
    const start = () => withoutEmscriptenHandlers(() => tf.setBackend('wasm'));
    const ok = n > 1 ? await withWasmThreads(n, start) : await start();
    if (!ok) {
      throw new Error(`the wasm backend failed to initialise (see the warning above)${n > 1
        ? `; this was the multi-threaded start (${n} threads): unset DEEPAGREL_WASM_THREADS to run single-threaded` : ''}`);
    }
    wasmThreads = wasm.getThreadsCount();
  } else {
    wasmThreads ??= wasm.getThreadsCount();
    if (threads != null && threads !== wasmThreads) {
      throw new Error(
        `the wasm backend is already running with ${wasmThreads} thread(s) and cannot change: the thread ` +
        `count is fixed when wasm first starts. Set DEEPAGREL_WASM_THREADS=${threads} (or pass threads) ` +
        'before the first initBackend call of the process');
    }
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
  }
  return {
    name: 'wasm', threads: wasmThreads, simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') as boolean,
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
  // Chosen on purpose: skip the "install tfjs-node" banner tfjs prints on first use.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return { name: 'cpu', threads: 1, simd: false, versions: { 'tfjs-core': tf.version_core, 'tfjs-backend-cpu': tf.version['tfjs-backend-cpu'] } };
}
