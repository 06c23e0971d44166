// Stopping a training run from outside: Kernel ▸ Interrupt in Jupyter (SIGINT to the kernel) and
// Ctrl-C in the CLI. The training loop yields to the event loop between batches and checks
// `interruptSignal()`; once it is aborted the run stops within about one batch, writes a
// checkpoint at that batch, marks its record as interrupted and throws
// InterruptedError, whose message is the one line the user sees.
//
// The state lives on globalThis (Symbol.for), not in this module: the kernel launcher
// (scripts/tslab-kernel.ts) and the cells may load this file as two module instances (ESM and
// CommonJS), and both must see the same request.

export interface InterruptState {
  /** Aborted by requestInterrupt(); replaced by a fresh one for the runs that start afterwards. */
  controller: AbortController;
  /** Training loops now running that check the signal. */
  active: number;
  /** Per signal: the training loops that started while it was the current one (and still run). */
  bySignal?: Map<AbortSignal, number>;
}

const KEY = Symbol.for('deepagrel.interrupt');

function state(): InterruptState {
  const g = globalThis as Record<symbol, InterruptState | undefined>;
  return (g[KEY] ??= { controller: new AbortController(), active: 0 });
}

/** The signal that runs starting now obey (RunOptions.signal defaults to it). */
export function interruptSignal(): AbortSignal {
  return state().controller.signal;
}

/** Number of training loops now listening for an interrupt. */
export function activeRuns(): number {
  return state().active;
}

/**
 * Training loops still running that started under `signal` (one requestInterrupt() aborted). Runs
 * started afterwards obey a fresh signal and are not counted: the kernel's grace timer must never
 * abandon a cell that was started after the interrupt (issue 30, point 1).
 */
export function runsListeningTo(signal: AbortSignal): number {
  return state().bySignal?.get(signal) ?? 0;
}

/**
 * Ask every running training loop to stop. Returns how many were running (0: nothing listens, the
 * caller should fall back to its own way of stopping). Runs started afterwards get a fresh signal.
 */
export function requestInterrupt(reason = 'interrupted'): number {
  const s = state();
  const running = s.active;
  s.controller.abort(reason);
  s.controller = new AbortController();
  return running;
}

/** For the training loop: count it as listening while `fn` runs. */
export async function listening<T>(fn: () => Promise<T>): Promise<T> {
  const s = state();
  const signal = s.controller.signal;
  const bySignal = (s.bySignal ??= new Map());
  s.active++;
  bySignal.set(signal, (bySignal.get(signal) ?? 0) + 1);
  try { return await fn(); } finally {
    s.active--;
    const left = (bySignal.get(signal) ?? 1) - 1;
    if (left > 0) bySignal.set(signal, left); else bySignal.delete(signal);
  }
}

/** Let timers, signals and I/O (the kernel's output messages, SIGINT handlers) run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface InterruptedInfo {
  runId: string;
  /** The epoch that was cut short. */
  epoch: number;
  /** Batches of that epoch that were trained. */
  batch: number;
  batches: number;
  /** The epoch a resume starts after (the checkpoint's; 0 = the run starts over). */
  resumeAfterEpoch: number;
  /** Batches into the next epoch where a resume continues (the checkpoint written at the cut; 0 = at its start). */
  resumeAtBatch?: number;
  /** The run file (empty when records are off). */
  file: string;
}

/** Thrown by runExperiment when interrupted. Its stack is its message: one line in a notebook cell. */
export class InterruptedError extends Error {
  declare readonly info: InterruptedInfo;

  constructor(info: InterruptedInfo) {
    const where = info.resumeAtBatch
      ? 'checkpoint written there; run it again to resume from that batch'
      : info.resumeAfterEpoch > 0
        ? `checkpoint after epoch ${info.resumeAfterEpoch} kept; run it again to resume from there`
        : 'running it again starts over (no checkpoint to resume from)';
    super(`Interrupted: ${info.runId} stopped in epoch ${info.epoch} after batch ${info.batch}/${info.batches}; ${where}.`);
    this.name = 'InterruptedError';
    Object.defineProperty(this, 'info', { value: info, enumerable: false });
    this.stack = this.message;
  }

  /** How console.error (and so a notebook cell) shows it: the message alone. */
  [Symbol.for('nodejs.util.inspect.custom')](): string { return this.message; }
}

/**
 * Ctrl-C for command-line training: the first press stops the run cleanly (within about a batch),
 * a second press exits at once. SIGTERM (a scheduler's stop, a sweep stopping its workers) is the
 * clean stop only, however often it comes: it never turns a Ctrl-C into a hard exit. Returns a
 * function that removes the handlers.
 */
export function installCliInterrupt(log: (line: string) => void = (l) => console.error(l)): () => void {
  let presses = 0, terms = 0;
  const onSigint = () => {
    presses++;
    if (presses > 1 || requestInterrupt('SIGINT') === 0) process.exit(130);
    log('\nStopping after the current batch (Ctrl-C again to quit at once)…');
  };
  const onSigterm = () => {
    if (requestInterrupt('SIGTERM') === 0) process.exit(143);
    if (terms++ === 0 && presses === 0) log('\nSIGTERM: stopping after the current batch…');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  return () => { process.off('SIGINT', onSigint); process.off('SIGTERM', onSigterm); };
}
