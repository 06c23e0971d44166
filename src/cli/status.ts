// `deepagrel status`: what is in results/ — per run, how far it got, whether a process is training
// it right now (its lock is held), and for those still going how long the epoch cap is away.
// Sweep logs say this one line per epoch; this is the overview for a results folder with many runs.

import { readRuns } from '../results/reader.ts';
import type { RunRecord } from '../results/schema.ts';
import { RunLock } from '../run-lock.ts';
import { checkpointPaths, peekCheckpointState } from '../checkpoint.ts';
import { batchesPerEpoch } from '../data/batches.ts';

export type RunState = 'converged' | 'max-epochs' | 'diverged' | 'training' | 'stopped';

export interface StatusRow {
  experiment: string;
  runId: string;
  protocol: string;
  state: RunState;
  /** Who trains it (state 'training'). */
  holder?: string;
  epochs: number;
  maxEpochs: number;
  /** An unfinished run whose checkpoint is inside the next epoch: batches of it done, of how many. */
  inEpoch?: { batch: number; batches: number };
  bestValAccuracy: number | null;
  bestEpoch: number;
  testAccuracy: number | null;
  secPerEpoch: number | null;
  /** Time left at the mean epoch time (unfinished runs): at least until early stopping could
   *  fire (best epoch + patience, if validation accuracy never improves again), at most until the cap. */
  remainingSec: [number, number] | null;
}

export function statusRow(run: RunRecord, checkpointRoot: string): StatusRow {
  const { header, epochs, end } = run;
  const maxEpochs = Number(header.config.maxEpochs);
  const best = epochs.reduce<{ acc: number; epoch: number } | null>((b, e) => (!b || e.valAccuracy > b.acc ? { acc: e.valAccuracy, epoch: e.epoch } : b), null);
  const holder = end ? null : RunLock.holder(checkpointPaths(checkpointRoot, header.experiment, header.runId).lock);
  const state: RunState = end ? end.status : holder ? 'training' : 'stopped';
  // Long (augmented) epochs: how far into the next one its checkpoint is, and that part's time already spent.
  const partial = end ? undefined : peekCheckpointState(checkpointPaths(checkpointRoot, header.experiment, header.runId).ckpt)?.partial;
  const n = header.datasetInfo?.nTrain, cfg = header.config as { batchSize?: number; augmentFactor?: number };
  const inEpoch = partial && n && cfg.batchSize ? { batch: partial.batch, batches: batchesPerEpoch(n, cfg.batchSize, cfg.augmentFactor ?? 1) } : undefined;
  const done = inEpoch ? inEpoch.batch / inEpoch.batches : 0;
  // Before its first epoch ends, a long epoch's pace comes from the part in its checkpoint.
  const secPerEpoch = epochs.length ? epochs.reduce((s, e) => s + e.wallTimeSec, 0) / epochs.length
    : partial && done > 0 ? partial.trainSec / done : null;
  return {
    experiment: header.experiment, runId: header.runId, protocol: header.protocol, state, ...(holder ? { holder } : {}),
    epochs: end ? end.epochs : epochs.length, maxEpochs, ...(inEpoch ? { inEpoch } : {}),
    bestValAccuracy: end ? end.bestValAccuracy : best?.acc ?? null, bestEpoch: end ? end.bestEpoch : best?.epoch ?? 0,
    testAccuracy: end ? end.testAccuracy : null,
    secPerEpoch,
    remainingSec: end || secPerEpoch === null ? null
      : [Math.max(0, Math.min(maxEpochs, (best?.epoch ?? 0) + Number(header.config.patience)) - epochs.length - done) * secPerEpoch,
         (maxEpochs - epochs.length - done) * secPerEpoch],
  };
}

const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(2)}`);
function duration(sec: number): string {
  const m = Math.round(sec / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}m`;
}

function remaining(r: [number, number] | null): string {
  if (!r) return '–';
  const [lo, hi] = r.map(duration);
  return lo === hi ? hi : `${lo}–${hi}`;
}

/** A plain-text table, one run per line, grouped by experiment. */
export function renderStatus(rows: StatusRow[]): string {
  if (rows.length === 0) return 'no runs\n';
  const head = ['experiment', 'run', 'state', 'epoch', 'best val %', 'test %', 'min/epoch', 'remaining', 'protocol'];
  const body = rows.map(r => [
    r.experiment, r.runId, r.state, `${r.epochs}/${r.maxEpochs}${r.inEpoch ? ` +${r.inEpoch.batch}/${r.inEpoch.batches}` : ''}`, r.bestEpoch ? `${pct(r.bestValAccuracy)} @${r.bestEpoch}` : '–',
    pct(r.testAccuracy), r.secPerEpoch === null ? '–' : (r.secPerEpoch / 60).toFixed(1), remaining(r.remainingSec), r.protocol,
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map(b => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(width[i]))).join('  ').trimEnd();
  const counts = new Map<RunState, number>();
  for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  const stopped = counts.get('stopped') ? '\n"stopped": unfinished and no process on it; the same train/sweep command resumes it from its checkpoint.' : '';
  const inside = rows.some(r => r.inEpoch) ? '\n"epoch 12/300 +2100/4900": 12 epochs finished, and its checkpoint is 2,100 batches into the 13th (long, augmented epochs).' : '';
  return [line(head), ...body.map(line), '', `${rows.length} runs: ${summary}.${stopped}${inside}`, ''].join('\n');
}

export function statusRows(resultsDirs: string[], checkpointRoot: string): StatusRow[] {
  return readRuns(resultsDirs).map(run => statusRow(run, checkpointRoot));
}
