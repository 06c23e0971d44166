// Loading the native kernels (native/, a C++ addon over oneDNN built at `npm install`).
//
// The addon is optional: a machine without a compiler or without oneDNN has none, and then the
// reason is kept (from the build's own status file when the build failed) so `deepagrel backend`
// and a forced DEEPAGREL_BACKEND=native can say why and how to get it.
// DEEPAGREL_NATIVE_ADDON=<path> loads another build (or, pointed at nothing, simulates a machine
// without the addon: the fallback tests do that).

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface NativeLibraryInfo {
  /** The bindings' interface version (absent in builds before 2). */
  abi?: number;
  library: string;          // 'oneDNN'
  version: string;          // e.g. '2.6.3'
  runtime: string;          // threading runtime of the library build: 'OpenMP' | 'TBB'
  isa: string;              // instruction set oneDNN dispatches to, e.g. 'avx512_core_bf16'
  maxThreads: number;
  threads: number;
  /** Cached oneDNN primitives now, and the most kept (least recently used go first). */
  cacheEntries?: number;
  cacheLimit?: number;
}

/** The functions of native/src/addon.cc. Arrays are Float32Array views (usually on the wasm heap). */
export interface NativeAddon {
  info(): NativeLibraryInfo;
  setThreads(n: number): void;
  /** How many primitives the cache keeps (default 256). */
  setCacheLimit(n: number): void;
  threads(): number;
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, batchA: number, batchB: number,
         M: number, N: number, K: number, transA: boolean, transB: boolean): void;
  /** c = alpha·op(a)·op(b) + beta·c in place; op(a) is M×K, op(b) K×N (one product). */
  gemmAccumulate(a: Float32Array, b: Float32Array, c: Float32Array, M: number, N: number, K: number,
                 transA: boolean, transB: boolean, alpha: number, beta: number): void;
  /** shape: [N,H,W,C, OH,OW,OC, KH,KW, SH,SW, PT,PL,PB,PR]. */
  convForward(shape: number[], x: Float32Array, w: Float32Array, y: Float32Array): void;
  convBackwardData(shape: number[], dy: Float32Array, w: Float32Array, dx: Float32Array): void;
  convBackwardWeights(shape: number[], x: Float32Array, dy: Float32Array, dw: Float32Array): void;
  /** op: 0 add, 1 sub, 2 mul; a and b have out's length or 1 (a scalar). */
  binary(op: 0 | 1 | 2, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** op: 0 relu, 1 step (x > 0 ? 1 : alpha; NaN stays NaN). */
  unary(op: 0 | 1, x: Float32Array, out: Float32Array, alpha: number): void;
  /** y = x transposed from [A, B, C] to [B, A, C]. */
  transpose102(x: Float32Array, y: Float32Array, A: number, B: number, C: number): void;
  bernoulliMask(out: Float32Array, key0: number, key1: number, threshold: number, scale: number): void;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** native/ of this checkout, or DEEPAGREL_NATIVE_DIR: another build's folder (its build/ and build-status.json). */
export const NATIVE_DIR = process.env.DEEPAGREL_NATIVE_DIR?.trim() ? path.resolve(process.env.DEEPAGREL_NATIVE_DIR.trim()) : path.join(ROOT, 'native');
export const DEFAULT_ADDON_PATH = path.join(NATIVE_DIR, 'build', 'Release', 'deepagrel_native.node');
/** Written by scripts/build-native.mjs: { ok, reason?, at }. */
export const BUILD_STATUS_FILE = path.join(NATIVE_DIR, 'build-status.json');
export const REBUILD_COMMAND = 'npm run build:native';
export const INSTALL_HINT = `install oneDNN 2.6+ or 3.x (Debian/Ubuntu: sudo apt install libdnnl-dev; macOS: brew install onednn), then ${REBUILD_COMMAND}`;

/** What the install's build said: { ok, reason?, fix?, onednn? } (scripts/build-native.mjs). */
interface BuildStatus { ok: boolean; reason?: string; fix?: string; onednn?: { version: string; prefix: string } }

function buildStatus(): BuildStatus | undefined {
  try { return JSON.parse(fs.readFileSync(BUILD_STATUS_FILE, 'utf8')) as BuildStatus; } catch { return undefined; }
}

/** The command that gets the native kernels here: the build's own advice when it failed, else the generic one. */
export function nativeFixHint(): string {
  const status = buildStatus();
  return !status?.ok && status?.fix ? status.fix : INSTALL_HINT;
}

/**
 * How long an idle OpenMP thread spins before it sleeps (libgomp reads this once, when the addon
 * loads it). libgomp's default (300k) spins after every parallel region; when other processes want
 * the cores, the spinning threads take them. MNIST conv step, 2 threads, this 2-core machine
 * (medians, ms): idle 48 / 47 / 45 with 300k / 100k / 30k; with two busy processes beside it
 * 141–241 / 243 / 88, and 93 at 10k (which costs ~10 ms when idle). A user's own OMP_WAIT_POLICY
 * or GOMP_SPINCOUNT wins.
 */
export const DEFAULT_GOMP_SPINCOUNT = '30000';

/** The interface version this code calls (native/src/addon.cc sets it in info()). */
export const NATIVE_ABI = 4;

/** Why an addon with this info cannot be used by this code, or undefined. A build left over from
 *  an older checkout (git pull does not rebuild it) would fail mid-training instead. */
export function abiProblem(info: Pick<NativeLibraryInfo, 'abi'>, file: string): string | undefined {
  const abi = info.abi ?? 1;
  return abi === NATIVE_ABI ? undefined
    : `the native addon ${file} was built for another version of the workbook (interface ${abi}, this code needs ${NATIVE_ABI}); rebuild it: ${REBUILD_COMMAND}`;
}

let loaded: { addon?: NativeAddon; path: string; reason?: string } | undefined;

/** The addon, or undefined with `nativeUnavailableReason()` saying why. Loads once per process. */
export function loadNativeAddon(): NativeAddon | undefined {
  if (loaded) return loaded.addon;
  const file = process.env.DEEPAGREL_NATIVE_ADDON?.trim() || DEFAULT_ADDON_PATH;
  loaded = { path: file };
  if (!fs.existsSync(file)) {
    loaded.reason = `the native addon is not built (${notBuiltWhy(file)})`;
    return undefined;
  }
  if (process.env.OMP_WAIT_POLICY == null && process.env.GOMP_SPINCOUNT == null) process.env.GOMP_SPINCOUNT = DEFAULT_GOMP_SPINCOUNT;
  try {
    loaded.addon = createRequire(import.meta.url)(file) as NativeAddon;
    const problem = abiProblem(loaded.addon.info(), file);   // info() links oneDNN for real: a broken install fails here
    if (problem) { loaded.addon = undefined; loaded.reason = problem; }
  } catch (e) {
    const err = e as { code?: string; message?: string };
    loaded.addon = undefined;
    loaded.reason = `the native addon ${file} does not load (${err.code ?? 'error'}: ${String(err.message).split('\n')[0]})`;
  }
  return loaded.addon;
}

/** Why the native addon is not available, or undefined when it loaded. */
export function nativeUnavailableReason(): string | undefined {
  loadNativeAddon();
  return loaded?.reason;
}

function notBuiltWhy(file: string): string {
  if (file !== DEFAULT_ADDON_PATH) return `no file ${file}, from DEEPAGREL_NATIVE_ADDON`;
  const status = buildStatus();   // none: npm install ran with --ignore-scripts, or before the addon existed
  if (status && !status.ok && status.reason) return `the build at install did not make it: ${status.reason}`;
  return 'no build found';
}
