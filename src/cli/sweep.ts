// `deepagrel sweep`: the grid presets × seeds, run in worker processes (one `train` process per
// job, at most --workers at once), skipping finished runs. `--shard i/n` keeps every n-th job so
// array jobs of a cluster scheduler split a sweep with no coordination beyond the results folder.

import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { ConfigError, matchPresets, PRESETS, resolvePreset, type ExperimentConfig } from '../presets.ts';
import { runFilePath, runName } from '../results/writer.ts';
import { readRunFile, runDifferences, runStatus } from '../results/reader.ts';
import { parseSeeds, parseShard, shardJobs } from './options.ts';
import { cleanUpFinishedRun } from '../checkpoint.ts';
import type { FeedbackMode } from '../feedback/modes.ts';

/** One run of a sweep; `lr` when --lr was given (canonical form); `lrInName`: the α is part of the run's name;
 *  `feedback` when --feedback was given (a mode other than symmetric is part of the name). */
export interface Job { preset: string; seed: number; lr?: string; lrInName?: boolean; feedback?: FeedbackMode }

/** Exit code of `train` when another process holds the run's lock. */
export const EXIT_LOCKED = 3;
/** Exit code of a sweep's `train` worker whose run another process finished meanwhile (plain `train` exits 0). */
export const EXIT_SKIPPED = 4;
export const SWEEP_WORKER_ENV = 'DEEPAGREL_SWEEP_WORKER';
/** Exit code of `train` stopped by Ctrl-C or SIGTERM (the run keeps its checkpoint), as a shell reports SIGINT. */
export const EXIT_INTERRUPTED = 130;
/** Exit code of `train` whose run diverged (its record is kept, ended "diverged"); a sweep counts the job as failed. */
export const EXIT_DIVERGED = 5;

/** presets × α values × seeds (seeds innermost, so a shard or an interrupted sweep covers whole α
 *  values first). Runs of a grid (two or more α) are <preset>-lr<α>-s<seed>; with one α, a run at
 *  another α than its preset's is named so too (as notebooks name them), so it never takes the
 *  place of a paper-α run; otherwise <preset>-s<seed>. */
export function sweepJobs(presets: string, seeds: string, shard?: string, lrs?: string[], feedback?: FeedbackMode[]): Job[] {
  const grid: (string | undefined)[] = lrs?.length ? lrs : [undefined];
  const modes: (FeedbackMode | undefined)[] = feedback?.length ? feedback : [undefined];
  const jobs = matchPresets(presets).flatMap(preset => modes.flatMap(fb => grid.flatMap(lr => parseSeeds(seeds).map((seed): Job => ({
    preset, seed, ...(lr === undefined ? {} : { lr, lrInName: grid.length > 1 || Number(lr) !== PRESETS[preset]?.lr }), ...(fb ? { feedback: fb } : {}),
  })))));
  return shard ? shardJobs(jobs, parseShard(shard)) : jobs;
}

/** The config a job's worker trains with: its preset with the sweep's overrides, its α and its feedback mode. */
export function jobConfig(j: Job, overrides: Partial<ExperimentConfig>): ExperimentConfig {
  return resolvePreset(j.preset, { ...overrides, ...(j.lr ? { lr: Number(j.lr) } : {}), ...(j.feedback ? { feedback: j.feedback } : {}) });
}

export const jobRunId = (j: Job) => runName(j.preset, j.seed, j.lrInName ? j.lr : undefined, j.feedback);
const jobTag = (j: Job) => `[${j.preset}${j.feedback && j.feedback !== 'symmetric' ? ` ${j.feedback}` : ''}${j.lr === undefined ? '' : ` α=${j.lr}`} s${j.seed}]`;

export interface SweepOptions {
  jobs: Job[];
  workers?: number;
  experiment: string;
  resultsRoot: string;
  checkpointRoot?: string;       // default "checkpoints"
  /** Extra `train` flags for every job (overrides, data dir, ...). */
  trainArgs: string[];
  /** The config a job's worker will train with: a finished run made with another one is refused, not
   *  skipped as done (it would stand in for settings it never ran with). */
  configOf?: (job: Job) => Record<string, unknown>;
  /** The --protocol label every job gets, if one was given (a finished run with another is refused too). */
  protocol?: string;
  log?: (line: string) => void;
}

/** Runs the jobs; resolves with what became of them (and the signal that stopped the sweep, if one did). */
export async function runSweep(o: SweepOptions): Promise<{ done: number; skipped: number; locked: number; failed: Job[]; diverged: Job[]; interrupted: Job[]; stoppedBy: NodeJS.Signals | null }> {
  const log = o.log ?? (l => process.stdout.write(l + '\n'));
  const workers = Math.max(1, o.workers ?? os.availableParallelism());
  // The cores are divided among the workers; DEEPAGREL_THREADS overrides, and `--threads` among
  // the train flags overrides both (each worker gets the env, then parses the flag).
  const envThreads = process.env.DEEPAGREL_THREADS ?? process.env.DEEPAGREL_WASM_THREADS
    ?? String(Math.max(1, Math.floor(os.availableParallelism() / workers)));
  const threadsFlag = o.trainArgs.indexOf('--threads');
  const threadsShown = threadsFlag >= 0 ? o.trainArgs[threadsFlag + 1] : envThreads;
  const finished = o.jobs.flatMap(j => {
    const file = runFilePath({ experiment: o.experiment, runId: jobRunId(j) }, o.resultsRoot);
    return runStatus(file) === 'finished' ? [{ job: j, file }] : [];
  });
  const mismatched = o.configOf ? finished.flatMap(({ job, file }) => {
    const differs = runDifferences(readRunFile(file).header, o.configOf!(job), o.protocol);
    return differs.length ? [`  ${file}: ${differs.join(', ')}`] : [];
  }) : [];
  if (mismatched.length) throw new ConfigError(`${mismatched.length} finished run(s) were made with other settings than this sweep's `
    + `(stored → asked for):\n${mismatched.join('\n')}\nNothing was run. Give these settings another --experiment (or --results), or delete those files to train them again.`);
  for (const { job } of finished) cleanUpFinishedRun(o.checkpointRoot ?? 'checkpoints', o.experiment, jobRunId(job));
  const todo = o.jobs.filter(j => !finished.some(f => f.job === j));
  // A run that diverged is finished (its record stays) but failed: every sweep over it says so.
  const failed: Job[] = [], diverged: Job[] = [];
  for (const { job, file } of finished) if (readRunFile(file).end?.status === 'diverged') { failed.push(job); diverged.push(job); }
  let skipped = o.jobs.length - todo.length - diverged.length;
  log(`sweep: ${o.jobs.length} jobs, ${skipped} already finished, ${todo.length} to run on ${workers} worker(s), ${threadsShown} thread(s) each`);
  // Through the launcher, which registers tsx itself: the parent may run under `npx deepagrel`
  // (tsx registered in-process, so process.execArgv does not carry it to a child). Node flags
  // reach the workers through NODE_OPTIONS, which the child inherits.
  const cli = fileURLToPath(new URL('../../bin/deepagrel.js', import.meta.url));
  const interrupted: Job[] = [];
  let next = 0, done = 0, locked = 0;
  // Stopping a sweep (Ctrl-C, kill, a scheduler): no new job starts, and each running job stops
  // after its batch and keeps its checkpoint. The workers get SIGTERM, which `train` takes as that
  // clean stop and never as "quit at once", so a worker that a terminal's Ctrl-C reached too (one
  // process group) is not stopped twice. A second signal ends them at once (checkpoints are whole).
  let stoppedBy: NodeJS.Signals | null = null;
  const running = new Set<ChildProcess>();
  const onSignal = (sig: NodeJS.Signals) => {
    if (stoppedBy) { for (const child of running) child.kill('SIGKILL'); return; }
    stoppedBy = sig;
    log(`sweep: ${sig}: stopping; running jobs stop after their current batch and keep their checkpoints, no new job starts`);
    for (const child of running) child.kill('SIGTERM');
  };
  process.on('SIGINT', onSignal); process.on('SIGTERM', onSignal);
  const runOne = (job: Job) => new Promise<void>(resolve => {
    const tag = jobTag(job);
    const env = { ...process.env, DEEPAGREL_THREADS: envThreads, [SWEEP_WORKER_ENV]: '1' };
    const child = spawn(process.execPath, [cli, 'train', '--preset', job.preset, '--seed', String(job.seed),
      '--experiment', o.experiment, '--results', o.resultsRoot, ...(job.lr === undefined ? [] : ['--lr', job.lr]),
      ...(job.feedback === undefined ? [] : ['--feedback', job.feedback]), ...(job.lr === undefined && job.feedback === undefined ? [] : ['--run-id', jobRunId(job)]), ...o.trainArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const relay = (buf: Buffer) => { for (const line of buf.toString().split(/\r|\n/)) if (line.trim()) log(`${tag} ${line.trim()}`); };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('close', (code, signal) => {
      running.delete(child);
      if (code === 0) done++;
      else if (code === EXIT_SKIPPED) skipped++;        // finished by another sweep after this one looked
      else if (code === EXIT_LOCKED) locked++;          // another sweep is on it: not a failure
      else if (code === EXIT_DIVERGED) { failed.push(job); diverged.push(job); }   // train said why
      else if (code === EXIT_INTERRUPTED || signal === 'SIGINT' || signal === 'SIGTERM' || (signal && stoppedBy)) interrupted.push(job);   // resumable from its checkpoint
      else { failed.push(job); log(`${tag} failed with exit code ${code ?? signal}`); }
      resolve();
    });
  });
  const worker = async () => { while (next < todo.length && !stoppedBy) await runOne(todo[next++]); };
  try {
    await Promise.all(Array.from({ length: Math.min(workers, todo.length) }, worker));
  } finally { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); }
  // done + skipped + locked + failed + interrupted + not started = jobs: a run another sweep finished meanwhile counts as skipped, not finished.
  const notStarted = todo.length - next;
  log(`sweep: ${done} finished, ${skipped} skipped, ${locked} running elsewhere, ${failed.length} failed`
    + (diverged.length ? ` (${diverged.length} diverged: ${diverged.map(jobRunId).join(', ')}; their records are kept, a smaller α is another run)` : '')
    + (interrupted.length || notStarted ? `, ${interrupted.length} interrupted, ${notStarted} not started (the same command resumes them)` : ''));
  return { done, skipped, locked, failed, diverged, interrupted, stoppedBy };
}
