// Multi-threaded tfjs-backend-wasm under Node.
//
// The package ships a threaded+SIMD binary (XNNPACK with a pthreadpool) but never uses it in Node:
//  1. flag WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false when IS_NODE;
//  2. its Emscripten loader hands pthread workers `blob:` URLs (the worker script, and the module
//     factory it must import), which node:worker_threads cannot load;
//  3. the C++ side caps the pool at os.cpus().length / 2 (it assumes hyper-threading), i.e. 1 here;
//  4. running pthreads keep their worker ref'd, so the process never exits.
// Fixes, in order: set the flag; give the loader a `Worker` class that starts a small bootstrap
// which reads the two blobs and evaluates them (the factory's source refers to a few bundle-level
// names — require$$0…, commonjsGlobal — which we define as globals first); report enough cores
// while the module initialises; unref every worker.
// Everything here must happen before the first tf.setBackend('wasm'): the thread count is fixed
// for the life of the process.

import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { resolveObjectURL } from 'node:buffer';
import { Worker as NodeWorker } from 'node:worker_threads';

/** Runs inside each pthread worker (CommonJS, via `eval: true`). */
const BOOTSTRAP = String.raw`
const { workerData } = require('worker_threads');
Object.assign(globalThis, {
  require$$0: require('fs'), require$$1: require('path'), require$$3: require('perf_hooks'),
  require$$4: require('os'), commonjsGlobal: globalThis,
});
workerData.script.text().then((src) => {
  // The stock worker script: sets up globals (self, importScripts, postMessage) and onmessage.
  new Function('require', '__filename', src)(require, __filename);
  const stockOnMessage = globalThis.onmessage;
  const stockImportScripts = globalThis.importScripts;
  let queued = null;   // messages that arrive while the factory blob is being read
  globalThis.onmessage = (e) => {
    if (queued) { queued.push(e); return; }
    const data = e.data;
    if (data && data.cmd === 'load' && typeof data.urlOrBlob !== 'string') {
      queued = [];
      data.urlOrBlob.text().then((factorySrc) => {
        globalThis.importScripts = (f) => f === '<factory>' ? (0, eval)(factorySrc) : stockImportScripts(f);
        data.urlOrBlob = '<factory>';
        stockOnMessage(e);
        const rest = queued; queued = null;
        for (const m of rest) globalThis.onmessage(m);
      });
      return;
    }
    stockOnMessage(e);
  };
});
`;

const workers = new Set<NodeWorker>();

/** What the Emscripten loader gets when it does `new Worker(url)`. */
class PthreadWorker extends NodeWorker {
  constructor(url: string | URL) {
    const script = resolveObjectURL(String(url));
    if (script == null) throw new Error(`wasm threads: cannot resolve worker script ${String(url)}`);
    // execArgv: [] so the parent's flags (--input-type=module, --import tsx) do not apply here.
    super(BOOTSTRAP, { eval: true, execArgv: [], workerData: { script } });
    workers.add(this);
  }

  // Busy pthreads would otherwise hold the event loop open forever (see 4. above).
  override ref(): void {}
}

let started = false;

/**
 * Run `init` (which must call tf.setBackend('wasm')) with the threaded binary and `threads`
 * XNNPACK threads.
 */
export async function withWasmThreads<T>(threads: number, init: () => Promise<T>): Promise<T> {
  if (started) throw new Error('wasm threads can only be set up once per process');
  started = true;
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);

  // The loader assigns globalThis.Worker = worker_threads.Worker right before `new Worker(...)`.
  const hadWorker = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => {} });
  const cpus = os.cpus;
  const fakeCpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]);
  os.cpus = fakeCpus;
  try {
    return await init();
  } finally {
    if (os.cpus === fakeCpus) os.cpus = cpus;
    for (const w of workers) w.unref();
    // Keep our class installed if the loader needs another worker later; drop the accessor.
    if (hadWorker) Object.defineProperty(globalThis, 'Worker', hadWorker);
    else Object.defineProperty(globalThis, 'Worker', { configurable: true, writable: true, value: PthreadWorker });
  }
}

/** Number of pthread workers created (diagnostics). */
export function pthreadWorkerCount(): number { return workers.size; }
