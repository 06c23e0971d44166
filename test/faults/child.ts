// Driving train-child.ts from the fault tests: one process of a run, optionally killed at a named
// point or after a delay, or handed to `onStarted` once training begins (to fill its disk).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunFile } from '../../src/results/reader.ts';

const child = fileURLToPath(new URL('./train-child.ts', import.meta.url));

export interface Outcome { code: number | null; signal: NodeJS.Signals | null; stderr: string }
export type Kill = { point: string; k: number } | { afterMs: number };

export function runChild(dirs: { results: string; ck: string }, seed: number, epochs: number,
  o: { kill?: Kill; onStarted?: () => void; checkpointEverySec?: number } = {}): Promise<Outcome> {
  const kill = o.kill;
  const env = { ...process.env, ...(kill && 'point' in kill ? { DEEPAGREL_KILL_AT: `${kill.point}:${kill.k}` } : {}) };
  const p = spawn(process.execPath, [...process.execArgv, child, dirs.results, dirs.ck, String(seed), String(epochs),
    ...(o.checkpointEverySec !== undefined ? [String(o.checkpointEverySec)] : [])],
    { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr!.on('data', d => {
    const first = !stderr.includes('started');
    stderr += d;
    if (!(first && stderr.includes('started'))) return;
    if (kill && 'afterMs' in kill) setTimeout(() => p.kill('SIGKILL'), kill.afterMs);
    o.onStarted?.();
  });
  return new Promise(r => p.on('close', (code, signal) => r({ code, signal, stderr })));
}

/** A run file without its timings (which differ between any two runs). */
export function strip(file: string) {
  const r = readRunFile(file);
  const { totalTimeSec, finishedAt, ...end } = r.end ?? ({} as any);
  return { epochs: r.epochs.map(({ wallTimeSec, samplesPerSec, ...rest }) => rest), end };
}

export const runFile = (results: string, seed: number) => path.join(results, 'faults', `mnist-fc-deepagrel-s${seed}.jsonl`);
export const ckptFile = (ck: string, seed: number) => path.join(ck, 'faults', `mnist-fc-deepagrel-s${seed}.ckpt`);
