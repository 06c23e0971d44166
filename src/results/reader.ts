// Reading run files (results/<experiment>/<runId>.jsonl) back into RunRecords.
// Strict about anything that should never happen (bad JSON mid-file, unknown line types, epochs out
// of order): such a file is an error naming the file and line. The one tolerated defect is a
// trailing partial line without a newline, which is what a process killed mid-write leaves behind.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EpochRecord, RunEnd, RunHeader, RunInterrupted, RunLine, RunRecord } from './schema.ts';
import { DEFAULTS } from '../presets.ts';

/** Experiments whose runs are not Table 1 / Figure 3 runs: the quick start, the feedback-weight
 *  experiment, QUICK-mode runs, learning-rate studies (lr-study, and any lr-study-<name> on another
 *  budget), the ε check, the input-norm screen and the JPEG-effect pairs on the 4,000-image subset
 *  (other budgets, settings or data). `table` and `figure3` leave them out of the default results
 *  folder. A trailing * matches any continuation (experimentMatches). */
export const NOT_TABLE1 = ['quickstart', 'feedback-weights', 'weight-transport', 'weight-transport-*', 'quick', 'quick-lr', 'lr-study', 'lr-study-*', 'epsilon-check', 'input-norm-screen', 'jpeg-effect-*'];

/** Whether an experiment name is one of `patterns`: exact names, or prefixes ending in '*'. */
export function experimentMatches(experiment: string, patterns: readonly string[]): boolean {
  return patterns.some(p => p.endsWith('*') ? experiment.startsWith(p.slice(0, -1)) : experiment === p);
}

/** Where a finished run differs from a run asked for with `config` (and, when given, the protocol label). */
export function runDifferences(header: RunHeader, config: Record<string, unknown>, protocol?: string): string[] {
  // The data note is added by training once the data is loaded: not part of what was asked for.
  const sameLabel = protocol === undefined || withoutDataNote(header.protocol) === withoutDataNote(protocol);
  return [...configDifferences(header.config, config),
    ...(sameLabel ? [] : [`protocol: ${JSON.stringify(header.protocol)} → ${JSON.stringify(protocol)}`])];
}

/** Part of the protocol label of every run on a re-encoded copy of a dataset, so that such runs never
 *  share a Table 1 row or a curve with runs on the official files. */
export const DATA_NOT_EXACT = 'data not bit-exact';

/** The label with the data note when the data was not bit-exact (a label given with --protocol
 *  replaces the automatic one, which has it). */
export function withDataNote(label: string, exactData: boolean): string {
  return exactData || label.split(', ').includes(DATA_NOT_EXACT) ? label : `${label}, ${DATA_NOT_EXACT}`;
}

function withoutDataNote(label: string): string {
  return label.split(', ').filter((p) => p !== DATA_NOT_EXACT).join(', ');
}

/** "lr: 0.5 → 0.3" for each field where a run's stored config differs from the wanted one. A field
 *  the stored config lacks is compared as `defaults` has it: the record predates that option and
 *  ran the way its default does. An optional field absent by default (inputNorm, bias) differs only when
 *  one side sets it. */
export function configDifferences(stored: Record<string, unknown>, wanted: Record<string, unknown>,
  defaults: Record<string, unknown> = DEFAULTS): string[] {
  const was = { ...defaults, ...stored };
  return [...new Set([...Object.keys(was), ...Object.keys(wanted)])]
    .filter((k) => JSON.stringify(was[k]) !== JSON.stringify(wanted[k]))
    .map((k) => `${k}: ${JSON.stringify(was[k])} → ${JSON.stringify(wanted[k])}`);
}

/** Where a learning-rate grid goes by default (results/lr-study/), and where `lr-study` reads. */
export const LR_STUDY_EXPERIMENT = 'lr-study';
/** Where runs with feedback other than the paper's go unless --experiment says (notebook 09). */
export const WEIGHT_TRANSPORT_EXPERIMENT = 'weight-transport';

export class RunFileError extends Error {
  constructor(readonly file: string, readonly line: number | undefined, detail: string) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${detail}`);
    this.name = 'RunFileError';
  }
}

export interface ParsedRunFile {
  record: RunRecord;
  /** True when a trailing partial line (a write cut short) was ignored. */
  droppedPartialLine: boolean;
}

const LINE_TYPES = new Set(['header', 'epoch', 'end', 'interrupted']);

/** Parse the text of a run file; `file` is only used in error messages and the record. */
export function parseRunText(text: string, file: string): ParsedRunFile {
  const rawLines = text.split('\n');
  // A complete file ends with '\n', so the last element is ''. Anything else there is a line whose
  // write was cut short unless it happens to parse (then only the newline is missing).
  const tail = rawLines.pop() ?? '';
  let droppedPartialLine = false;
  if (tail.trim() !== '') {
    if (tryParse(tail) === undefined) droppedPartialLine = true;
    else rawLines.push(tail);
  }

  let header: RunHeader | undefined;
  const epochs: EpochRecord[] = [];
  let end: RunEnd | undefined;
  let interrupted: RunInterrupted | undefined;
  rawLines.forEach((raw, i) => {
    const lineNo = i + 1;
    if (raw.trim() === '') return;
    const value = tryParse(raw);
    if (value === undefined) throw new RunFileError(file, lineNo, 'invalid JSON');
    const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !LINE_TYPES.has(type)) {
      throw new RunFileError(file, lineNo, `unknown line type ${JSON.stringify(type)} (expected header, epoch, interrupted or end)`);
    }
    const line = value as RunLine;
    if (end) throw new RunFileError(file, lineNo, `"${line.type}" line after the end line`);
    if (line.type === 'header') {
      if (header) throw new RunFileError(file, lineNo, 'second header line');
      header = line;
    } else if (!header) {
      throw new RunFileError(file, lineNo, `"${line.type}" line before the header`);
    } else if (line.type === 'epoch') {
      const expected = epochs.length + 1;
      if (line.epoch !== expected) {
        throw new RunFileError(file, lineNo, `epoch ${line.epoch} where epoch ${expected} was expected`);
      }
      epochs.push(line);
      interrupted = undefined;   // trained on after the interruption
    } else if (line.type === 'interrupted') {
      interrupted = line;
    } else {
      end = line;
    }
  });
  if (!header) throw new RunFileError(file, undefined, 'no header line');
  // Records from before labels given with --protocol got the data note: read them as they are now written.
  if (typeof header.protocol === 'string' && header.datasetInfo?.exact === false) header = { ...header, protocol: withDataNote(header.protocol, false) };
  return { record: { header, epochs, end, file, ...(interrupted && !end ? { interrupted } : {}) }, droppedPartialLine };
}

function tryParse(s: string): unknown {
  try { return JSON.parse(s); } catch { return undefined; }
}

export function readRunFile(file: string): RunRecord {
  return parseRunText(fs.readFileSync(file, 'utf8'), file).record;
}

/**
 * All runs under one or more results directories (searched recursively for *.jsonl), or given
 * .jsonl files directly. Sorted by path so tables and figures come out the same every time.
 */
export function readRuns(dirs: string | string[]): RunRecord[] {
  const files: string[] = [];
  for (const p of Array.isArray(dirs) ? dirs : [dirs]) {
    if (!fs.existsSync(p)) throw new Error(`readRuns: ${p} does not exist`);
    if (fs.statSync(p).isDirectory()) files.push(...findJsonl(p));
    else files.push(p);
  }
  return [...new Set(files)].sort().map(readRunFile);
}

function findJsonl(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((ent) => {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) return findJsonl(p);
    return ent.isFile() && ent.name.endsWith('.jsonl') ? [p] : [];
  });
}

export type RunStatus = 'missing' | 'unfinished' | 'finished';

/** For sweeps: skip 'finished', resume 'unfinished', start 'missing'. Throws on a corrupt file. */
export function runStatus(file: string): RunStatus {
  if (!fs.existsSync(file)) return 'missing';
  return readRunFile(file).end ? 'finished' : 'unfinished';
}
