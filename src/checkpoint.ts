// Checkpoints: everything needed to continue a run exactly where it stopped — current weights,
// the best-so-far weights (test accuracy is measured on them at the end), the dropout and action
// generator states, the early-stopping counters and the epoch. One binary file per run:
//   "DAGCKPT2" | uint32 JSON length | JSON (state + manifest) | float32 blobs | SHA-256 of all before
// written to a temp file and renamed, so a crash never leaves a half-written checkpoint, and the
// checksum catches what a rename cannot (flipped bits, edits, truncation by a full disk). The
// previous checkpoint is kept as <file>.prev: a corrupt latest one falls back to it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { RngState } from './rng.ts';
import { fsError, makeDir, writeFully } from './safe-fs.ts';
import { RunLock } from './run-lock.ts';
import { killPoint, pausePoint } from './fault-points.ts';

export type Weights = Record<string, { W: Float32Array; Wfb?: Float32Array; b?: Float32Array }>;

export interface CheckpointState {
  runId: string;
  epoch: number;                 // epochs completed
  bestEpoch: number;
  bestValAccuracy: number;
  actionRng: RngState;
  dropoutRng: RngState;
  configHash: string;            // refuses to resume a run whose configuration changed
  /** How dropout masks are drawn from dropoutRng (absent: the sequential sfc32 masks before 'counter-v1'). */
  maskGenerator?: string;
  /** A checkpoint inside an epoch (long epochs, an interrupt): epoch `epoch + 1` is `batch` batches
   *  in, with the sums its record is made of so far. Absent: at the end of epoch `epoch`. */
  partial?: EpochProgress;
}

/** How far into an epoch a run is: batches trained, and the sums behind its epoch record. */
export interface EpochProgress {
  batch: number;
  n: number;                     // images trained
  reward: number;                // summed rewards
  correct: number;               // greedy choices that were right
  loss: number;                  // summed per-trial loss (½δ² or cross-entropy)
  trainSec: number;              // training time so far (the epoch's wall time continues from it)
}

/** The dropout-mask generator of this code (Rng.bernoulliMask: counter based, keyed per mask). */
export const MASK_GENERATOR = 'counter-v1';

export interface Checkpoint { state: CheckpointState; weights: Weights; best: Weights | null }

/** Where a run's checkpoint and its run lock live (train writes them; `status` looks for the lock),
 *  and where a finished run keeps its weights (`--keep-weights`; clean-up never removes that file). */
export function checkpointPaths(root: string, experiment: string, runId: string): { ckpt: string; lock: string; kept: string } {
  const ckpt = path.join(root, experiment, `${runId}.ckpt`);
  return { ckpt, lock: `${ckpt}.lock`, kept: path.join(root, experiment, `${runId}.final.ckpt`) };
}

const MAGIC = 'DAGCKPT2';
const MAGIC_V1 = 'DAGCKPT1';        // before checksums: refused unless accepted knowingly (UnverifiedCheckpointError)
const SUM = 32;                      // SHA-256 trailer

/** A checkpoint that cannot be used; the message names the file and the way out. */
export class CheckpointError extends Error {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}; not loading it. Way out: rerun \`deepagrel train\` with --no-resume to start this run over, or delete ${file} (and ${file}.prev)`);
    this.name = 'CheckpointError';
  }
}

/** A checkpoint of the first format (DAGCKPT1), from before checksums: nothing in it can show that its
 *  weights are the ones written (an edited weight reads like a trained one), so it is not used unless
 *  the user accepts that (`acceptUnverified`; CLI: --accept-unverified-checkpoint). Not a corrupt file:
 *  a run never falls back past it or sets it aside. */
export class UnverifiedCheckpointError extends CheckpointError {
  constructor(file: string) {
    super(file, 'a checkpoint of the first format (DAGCKPT1, written before checkpoints had checksums), so nothing shows its weights are the ones that were written');
    this.name = 'UnverifiedCheckpointError';
    this.message = `${file}: ${this.problem}; not loading it. Either start the run over (rerun with --no-resume, or delete ${file} and ${file}.prev), `
      + 'or resume from it knowingly with --accept-unverified-checkpoint (the next checkpoint is written with a checksum)';
  }
}

export interface LoadOptions {
  /** Load a DAGCKPT1 checkpoint anyway (its weights are still checked for NaN/Inf). */
  acceptUnverified?: boolean;
}

interface Entry { set: 'weights' | 'best'; layer: string; key: 'W' | 'Wfb' | 'b'; length: number }

/** The files a checkpoint leaves around: the previous one, the temp file being written, a corrupt one set aside. */
export function checkpointSiblings(file: string): { prev: string; tmp: string; corrupt: string } {
  return { prev: `${file}.prev`, tmp: `${file}.tmp`, corrupt: `${file}.corrupt` };
}

export function saveCheckpoint(file: string, ck: Checkpoint): void {
  const entries: Entry[] = [];
  const blobs: Float32Array[] = [];
  for (const set of ['weights', 'best'] as const) {
    const ws = ck[set];
    if (!ws) continue;
    for (const [layer, w] of Object.entries(ws)) for (const key of ['W', 'Wfb', 'b'] as const) {
      const a = w[key];
      if (a) { entries.push({ set, layer, key, length: a.length }); blobs.push(a); }
    }
  }
  let json = Buffer.from(JSON.stringify({ state: ck.state, entries }));
  const pad = (4 - ((MAGIC.length + 4 + json.length) % 4)) % 4;     // float32 blobs 4-byte aligned
  json = Buffer.concat([json, Buffer.from(' '.repeat(pad))]);
  const head = Buffer.alloc(MAGIC.length + 4);
  head.write(MAGIC, 0, 'ascii');
  head.writeUInt32LE(json.length, MAGIC.length);
  const parts = [head, json, ...blobs.map(b => new Uint8Array(b.buffer, b.byteOffset, b.byteLength))];
  const sum = createHash('sha256');
  for (const p of parts) sum.update(p);
  parts.push(sum.digest());

  makeDir(path.dirname(file));
  const { prev, tmp } = checkpointSiblings(file);
  // Make room first: at most the current checkpoint and the one being written exist at once.
  fs.rmSync(prev, { force: true });
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      for (const [i, p] of parts.entries()) { if (i === 2) killPoint('ckpt:torn-temp'); writeFully(fd, p); }
      fs.fsyncSync(fd);
    } finally { fs.closeSync(fd); }
  } catch (e) {
    fs.rmSync(tmp, { force: true });       // a short temp file on a full disk would keep it full
    throw fsError(e, 'write the checkpoint', file);
  }
  killPoint('ckpt:before-rotate');
  if (fs.existsSync(file)) fs.renameSync(file, prev);
  killPoint('ckpt:between-renames');
  fs.renameSync(tmp, file);
  pausePoint('ckpt:written', file);
}

/** A checkpoint's state alone (its first few hundred bytes; the weights are not read and not
 *  verified): for an overview such as `deepagrel status`. Null when there is none or it is unreadable. */
export function peekCheckpointState(file: string): CheckpointState | null {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(MAGIC.length + 4);
    if (fs.readSync(fd, head, 0, head.length, 0) !== head.length || head.toString('ascii', 0, MAGIC.length) !== MAGIC) return null;
    const json = Buffer.alloc(head.readUInt32LE(MAGIC.length));
    if (json.length > 1 << 24 || fs.readSync(fd, json, 0, json.length, head.length) !== json.length) return null;
    const { state, entries } = JSON.parse(json.toString('utf8')) as { state: CheckpointState; entries: Entry[] };
    checkShape(state, entries);
    return state;
  } catch { return null; } finally { if (fd !== undefined) fs.closeSync(fd); }
}

/** Read and verify one checkpoint file; any defect is a CheckpointError naming the file. */
export function loadCheckpoint(file: string, opts: LoadOptions = {}): Checkpoint {
  let buf: Buffer;
  try { buf = fs.readFileSync(file); } catch (e) { throw fsError(e, 'read the checkpoint', file); }
  const magic = buf.length >= MAGIC.length ? buf.toString('ascii', 0, MAGIC.length) : '';
  if (magic !== MAGIC && magic !== MAGIC_V1) throw new CheckpointError(file, `not a DeepAGREL checkpoint (expected it to start with "${MAGIC}")`);
  if (magic === MAGIC_V1 && !opts.acceptUnverified) throw new UnverifiedCheckpointError(file);
  let end = buf.length;
  if (magic === MAGIC) {
    if (buf.length < MAGIC.length + 4 + SUM) throw new CheckpointError(file, `truncated (${buf.length} bytes)`);
    end -= SUM;
    const want = buf.subarray(end), got = createHash('sha256').update(buf.subarray(0, end)).digest();
    if (!got.equals(want)) throw new CheckpointError(file, 'checksum mismatch: the file was truncated or changed after it was written');
  }
  if (end < MAGIC.length + 4) throw new CheckpointError(file, `truncated (${buf.length} bytes)`);
  const jsonLen = buf.readUInt32LE(MAGIC.length);
  let off = MAGIC.length + 4;
  let state: CheckpointState, entries: Entry[];
  try {
    ({ state, entries } = JSON.parse(buf.toString('utf8', off, off + jsonLen)) as { state: CheckpointState; entries: Entry[] });
    checkShape(state, entries);
  } catch (e: any) { throw new CheckpointError(file, `unreadable header (${e?.message ?? e})`); }
  off += jsonLen;
  const expected = off + entries.reduce((n, e) => n + 4 * e.length, 0);
  if (end !== expected) throw new CheckpointError(file, `checkpoint is ${end} bytes, expected ${expected} (truncated or corrupt)`);
  const out: Checkpoint = { state, weights: {}, best: null };
  for (const e of entries) {
    const a = new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + 4 * e.length));
    off += 4 * e.length;
    const bad = a.findIndex(v => !Number.isFinite(v));
    if (bad >= 0) throw new CheckpointError(file, `${e.set === 'best' ? 'best ' : ''}${e.key} of layer '${e.layer}' holds ${a[bad]} at index ${bad}`);
    const set = e.set === 'best' ? (out.best ??= {}) : out.weights;
    (set[e.layer] ??= { W: new Float32Array(0) })[e.key] = a;
  }
  return out;
}

function checkShape(state: CheckpointState, entries: Entry[]): void {
  const isInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  const rng = (r: RngState | undefined) => Array.isArray(r?.s) && r.s.length === 4 && r.s.every(v => Number.isInteger(v));
  if (typeof state !== 'object' || state === null) throw new Error('no state');
  if (!isInt(state.epoch) || !isInt(state.bestEpoch) || typeof state.configHash !== 'string' || !rng(state.actionRng) || !rng(state.dropoutRng))
    throw new Error('state fields missing or of the wrong type');
  const p = state.partial;
  if (p !== undefined && !(typeof p === 'object' && p !== null && isInt(p.batch) && isInt(p.n) && isInt(p.correct)
    && [p.reward, p.loss, p.trainSec].every(v => typeof v === 'number' && Number.isFinite(v))))
    throw new Error('partial-epoch fields missing or of the wrong type');
  if (!Array.isArray(entries) || !entries.every(e => isInt(e?.length) && typeof e.layer === 'string'
    && (e.set === 'weights' || e.set === 'best') && (e.key === 'W' || e.key === 'Wfb' || e.key === 'b'))) throw new Error('bad weight manifest');
}

export interface LoadedCheckpoint { checkpoint: Checkpoint; file: string; skipped: CheckpointError[] }

/**
 * The newest good checkpoint of a run: the latest, else the previous one. A corrupt latest one is
 * set aside as <file>.corrupt (kept as evidence, and so the next save does not rotate it into
 * <file>.prev). Null when there is none; a CheckpointError when every one there is bad.
 */
export function loadLatestCheckpoint(file: string, opts: LoadOptions = {}): LoadedCheckpoint | null {
  const { prev, corrupt } = checkpointSiblings(file);
  const skipped: CheckpointError[] = [];
  for (const f of [file, prev]) {
    if (!fs.existsSync(f)) continue;
    try {
      const checkpoint = loadCheckpoint(f, opts);
      if (f === prev && fs.existsSync(file)) fs.renameSync(file, corrupt);
      return { checkpoint, file: f, skipped };
    } catch (e) {
      if (!(e instanceof CheckpointError) || e instanceof UnverifiedCheckpointError) throw e;   // the user decides, not the fallback
      skipped.push(e);
    }
  }
  if (skipped.length === 0) return null;
  throw skipped.length === 1 ? skipped[0]
    : new CheckpointError(file, `it and the previous checkpoint are both unusable (${skipped.map(e => e.problem).join('; ')})`);
}

/** A finishing run's last checkpoint (its last and best-validation weights) is also kept as its
 *  final weights, replacing any kept by an earlier run of the same name: a hard link (a copy where
 *  the file system has none) under a temporary name, then one rename, so never half a file. */
export function keepFinalCheckpoint(file: string, kept: string): void {
  if (!fs.existsSync(file)) return;
  const tmp = `${kept}.tmp`;
  fs.rmSync(tmp, { force: true });
  try { fs.linkSync(file, tmp); } catch {
    try { fs.copyFileSync(file, tmp); } catch (e) { fs.rmSync(tmp, { force: true }); throw fsError(e, 'keep the final weights', kept); }
  }
  fs.renameSync(tmp, kept);
}

/** Remove a run's checkpoint files (after the run ended; `keepLatest`: all but the checkpoint
 *  itself); a set-aside corrupt one is kept as evidence. */
export function removeCheckpoint(file: string, keepLatest = false): void {
  const { prev, tmp } = checkpointSiblings(file);
  for (const f of keepLatest ? [prev, tmp] : [file, prev, tmp]) fs.rmSync(f, { force: true });
  removeStaleTemps(file);
}

/** A finished run needs no checkpoint or lock; a process killed between its end line and its
 *  clean-up leaves them behind. Removes them unless a live process holds the lock. */
export function cleanUpFinishedRun(root: string, experiment: string, runId: string, keepCheckpoint = false): void {
  const { ckpt, lock } = checkpointPaths(root, experiment, runId);
  if (RunLock.holder(lock)) return;
  removeCheckpoint(ckpt, keepCheckpoint);
  fs.rmSync(lock, { force: true });
}

/** Temp files of killed writers from before the fixed temp name (<file>.tmp-<pid>). */
export function removeStaleTemps(file: string): void {
  const dir = path.dirname(file), base = path.basename(file);
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return; }
  for (const n of names) if (n.startsWith(`${base}.tmp-`) && /^\d+$/.test(n.slice(base.length + 5))) fs.rmSync(path.join(dir, n), { force: true });
}
