// Parent side of the child processes: spawn one (the script itself with --worker), collect its
// result line; and the sweep-throughput test (1, then 2 concurrent single-thread workers).

import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MARK, READY, type ArchName, type Options } from './options.ts';
import { round } from './stats.ts';
import type { SweepChildResult, SweepSpec } from './sweep-child.ts';

const SCRIPT = fileURLToPath(new URL('./bench.ts', import.meta.url));

export function spawnChild(kind: 'step' | 'sweep' | 'compare' | 'peak', spec: object, env: NodeJS.ProcessEnv, tag: string) {
  const child = spawn(process.execPath, [...process.execArgv, SCRIPT, '--worker', kind, JSON.stringify(spec)],
    { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let result: unknown;
  const stderrTail: string[] = [];
  let onReady: (() => void) | undefined;
  const ready = new Promise<void>(resolve => { onReady = resolve; });
  readline.createInterface({ input: child.stdout }).on('line', line => {
    if (line.startsWith(MARK)) result = JSON.parse(line.slice(MARK.length));
    else if (line === READY) onReady!();
    else if (line.trim()) process.stderr.write(`  [${tag}] ${line}\n`);
  });
  readline.createInterface({ input: child.stderr }).on('line', line => {
    stderrTail.push(line); if (stderrTail.length > 30) stderrTail.shift();
    if (line.startsWith('  [')) process.stderr.write(line + '\n');          // our own progress lines
  });
  const done = new Promise<unknown>((resolve, reject) => {
    child.on('close', code => {
      if (code === 0 && result !== undefined) resolve(result);
      else reject(new Error(`${tag}: child exited with code ${code}\n${stderrTail.join('\n')}`));
    });
  });
  return { child, ready, done };
}

export interface SweepResult {
  backend: string;
  arch: ArchName; rule: 'deepagrel'; seconds: number;
  runs: { workers: number; stepsPerSec: number; stepsPerCpuSec: number; perWorker: SweepChildResult[] }[];
  /** Throughput of 2 workers / 1 worker (the target). */
  ratio: number;
  /** Steps per CPU-second, 2 workers / 1 worker: the scaling of the code itself, whatever CPU the
   *  machine had left; on an idle machine ratio ≈ 2 × this when each worker gets a whole core. */
  perCpuRatio: number;
  samplesPerSecPerWorker1: number;
}

export async function measureSweep(o: Options): Promise<SweepResult> {
  const runs: SweepResult['runs'] = [];
  for (const workers of [1, 2]) {
    process.stderr.write(`sweep throughput: ${workers} worker(s) × ${o.sweepArch}, 1 thread each, ${o.sweepSeconds} s window\n`);
    const kids = Array.from({ length: workers }, (_, k) => spawnChild('sweep',
      { arch: o.sweepArch, seconds: o.sweepSeconds, seed: 11 + k, backend: o.backend, batchSize: o.batchSize } satisfies SweepSpec,
      { DEEPAGREL_THREADS: '1' }, `sweep ${k + 1}/${workers}`));
    // Everyone warmed up, then a common start: the windows overlap completely.
    await Promise.race([Promise.all(kids.map(k => k.ready)), Promise.all(kids.map(k => k.done))]);
    for (const k of kids) k.child.stdin.end('go\n');
    const per = await Promise.all(kids.map(k => k.done)) as SweepChildResult[];
    const stepsPerSec = per.reduce((a, p) => a + p.stepsPerSec, 0);
    const cpu = per.reduce((a, p) => a + p.cpuPerWall, 0);
    runs.push({ workers, stepsPerSec: round(stepsPerSec, 3), stepsPerCpuSec: round(stepsPerSec / cpu, 3), perWorker: per });
  }
  return { backend: runs[0].perWorker[0].backend, arch: o.sweepArch, rule: 'deepagrel', seconds: o.sweepSeconds, runs, ratio: round(runs[1].stepsPerSec / runs[0].stepsPerSec, 3),
    perCpuRatio: round(runs[1].stepsPerCpuSec / runs[0].stepsPerCpuSec, 3), samplesPerSecPerWorker1: round(runs[0].stepsPerSec * o.batchSize, 1) };
}

