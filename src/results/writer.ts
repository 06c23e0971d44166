// Writing run files: the header first, then one line per epoch, then the end line. Append-only and
// flushed to disk per line (an epoch takes minutes, so an fsync per line costs nothing and a crash
// loses at most the line being written). The only rewrite is on resume, which cuts the file back to
// the checkpoint's epoch via a temp file + rename, so a reader never sees a half-written file.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EpochRecord, RunEnd, RunHeader, RunLine } from './schema.ts';
import { parseRunText, RunFileError } from './reader.ts';
import { fsError, makeDir, writeFully } from '../safe-fs.ts';
import { killPoint } from '../fault-points.ts';

export const DEFAULT_RESULTS_ROOT = 'results';

export interface RunWriterOptions {
  /** Directory holding the experiment folders; default "results". */
  root?: string;
}

export { runName } from './paper-table1.ts';

export function runFilePath(header: Pick<RunHeader, 'experiment' | 'runId'>, root = DEFAULT_RESULTS_ROOT): string {
  return path.join(root, header.experiment, `${header.runId}.jsonl`);
}

export class RunWriter {
  private ended = false;

  /** `priorEpochs`: the epochs already in the file when this writer opened it (kept on resume). */
  private constructor(readonly file: string, readonly header: RunHeader, readonly priorEpochs: readonly EpochRecord[],
    private lastEpoch = priorEpochs.length) {}

  /** Start a new run file. Refuses to replace an existing file unless `overwrite` is set. */
  static create(header: RunHeader, opts: RunWriterOptions & { overwrite?: boolean } = {}): RunWriter {
    const file = runFilePath(header, opts.root);
    if (fs.existsSync(file) && !opts.overwrite) {
      throw new Error(`${file} already exists: resume it (RunWriter.resume / RunWriter.open) or pass overwrite: true`);
    }
    writeAtomically(file, [header]);
    return new RunWriter(file, header, []);
  }

  /**
   * Continue an unfinished run from a checkpoint taken after `checkpointEpoch` (0 = from scratch).
   * The file's header must describe the same run (identity fields, config, dataset); epochs after
   * the checkpoint are dropped because they will be trained again. The stored header is kept (its
   * startedAt, backend, versions); the resume time is added to `resumedAt`, and when it resumed
   * (the epoch it continues after, and `atBatch` when the checkpoint was inside the next epoch) and
   * what it runs on (backend, versions, git) to `resumes`.
   */
  static resume(header: RunHeader, checkpointEpoch: number, opts: RunWriterOptions & { atBatch?: number } = {}): RunWriter {
    const file = runFilePath(header, opts.root);
    if (!fs.existsSync(file)) throw new Error(`${file}: cannot resume, the file does not exist`);
    const { record } = parseRunText(fs.readFileSync(file, 'utf8'), file);
    if (record.end) throw new RunFileError(file, undefined, `cannot resume, the run already ended (${record.end.status})`);
    const diff = headerDifference(record.header, header);
    if (diff) {
      throw new RunFileError(file, 1,
        `cannot resume, header field ${diff.field} differs (file: ${show(diff.stored)}, this run: ${show(diff.given)})`);
    }
    if (!Number.isInteger(checkpointEpoch) || checkpointEpoch < 0 || checkpointEpoch > record.epochs.length) {
      throw new RunFileError(file, undefined,
        `cannot resume from epoch ${checkpointEpoch}: the file has epochs 1..${record.epochs.length}`);
    }
    const at = new Date().toISOString();
    const stored: RunHeader = {
      ...record.header,
      resumedAt: [...(record.header.resumedAt ?? []), at],
      resumes: [...(record.header.resumes ?? []), { at, afterEpoch: checkpointEpoch, ...(opts.atBatch ? { atBatch: opts.atBatch } : {}), backend: header.backend, versions: header.versions, ...(header.git ? { git: header.git } : {}) }],
    };
    const kept = record.epochs.slice(0, checkpointEpoch);
    writeAtomically(file, [stored, ...kept]);
    return new RunWriter(file, stored, kept);
  }

  /** Start, or resume when the file exists; for a finished run this throws (sweeps skip those first). */
  static open(header: RunHeader, opts: RunWriterOptions & { checkpointEpoch?: number } = {}): RunWriter {
    return fs.existsSync(runFilePath(header, opts.root))
      ? RunWriter.resume(header, opts.checkpointEpoch ?? 0, opts)
      : RunWriter.create(header, opts);
  }

  /** Number of the last epoch in the file. */
  get epochsWritten(): number { return this.lastEpoch; }

  appendEpoch(rec: EpochRecord): void {
    if (rec.epoch !== this.lastEpoch + 1) {
      throw new Error(`${this.file}: appendEpoch got epoch ${rec.epoch}, expected ${this.lastEpoch + 1}`);
    }
    this.append(rec);
    this.lastEpoch = rec.epoch;
  }

  end(rec: RunEnd): void {
    this.append(rec);
    this.ended = true;
    killPoint('record:end-written');      // a kill before the run's clean-up (checkpoint, lock)
  }

  /** One line, all or nothing: on a short write or ENOSPC the file is cut back to where it was, so
   *  a full disk never leaves a partial epoch line behind a checkpoint that has already moved on. */
  private append(line: RunLine): void {
    if (this.ended) throw new Error(`${this.file}: the run has ended, cannot append a "${line.type}" line`);
    let fd: number;
    try { fd = fs.openSync(this.file, 'a'); } catch (e) { throw fsError(e, `append the ${line.type} line`, this.file); }
    const size = fs.fstatSync(fd).size;
    try {
      const text = JSON.stringify(line) + '\n';
      killPoint('record:torn-line', () => writeFully(fd, text.slice(0, text.length >> 1)));
      writeFully(fd, text);
      fs.fsyncSync(fd);
      killPoint('record:line-written');
    } catch (e) {
      try { fs.ftruncateSync(fd, size); fs.fsyncSync(fd); } catch { /* the reader drops a partial last line anyway */ }
      throw fsError(e, `append the ${line.type === 'epoch' ? `epoch ${(line as EpochRecord).epoch}` : line.type} line`, this.file);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Temp files of run files: not *.jsonl, so readRuns never picks up a leftover one. */
export function runTempFile(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
}

function writeAtomically(file: string, lines: RunLine[]): void {
  makeDir(path.dirname(file));
  // One fixed temp name per run (the run lock makes its writer unique), so a killed process's
  // temp file is overwritten by the next attempt instead of piling up.
  const tmp = runTempFile(file);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      writeFully(fd, lines.map((l) => JSON.stringify(l) + '\n').join(''));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    killPoint('record:rewrite-before-rename');
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw fsError(e, 'write', file);
  }
}

// The fields that make two headers "the same run". Backend, versions, git and times may change
// between a run and its resume (another machine, an upgraded library) without changing the result
// being computed, so they are not compared.
const IDENTITY_FIELDS = ['runId', 'experiment', 'preset', 'rule', 'dataset', 'arch', 'augment', 'seed', 'protocol', 'config'] as const;

interface Difference { field: string; stored: unknown; given: unknown }

export function headerDifference(stored: RunHeader, given: RunHeader): Difference | undefined {
  // The stored header went through JSON, so compare the new one in the same form (no undefined, NaN → null).
  const g = JSON.parse(JSON.stringify(given)) as RunHeader;
  for (const field of IDENTITY_FIELDS) {
    const d = firstDifference(stored[field], g[field], field);
    if (d) return d;
  }
  // The dataset actually loaded (e.g. a subset or a substitute) changes the result too.
  if (stored.datasetInfo && g.datasetInfo) return firstDifference(stored.datasetInfo, g.datasetInfo, 'datasetInfo');
  return undefined;
}

function firstDifference(a: unknown, b: unknown, field: string): Difference | undefined {
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const d = firstDifference(a[key], b[key], `${field}.${key}`);
      if (d) return d;
    }
    return undefined;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? undefined : { field, stored: a, given: b };
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function show(x: unknown): string {
  return x === undefined ? '(missing)' : JSON.stringify(x);
}
