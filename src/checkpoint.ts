// Checkpoints: everything needed to continue a run exactly where it stopped — current weights,
// the best-so-far weights (test accuracy is measured on them at the end), the dropout and action
// generator states, the early-stopping counters and the epoch. One binary file per run:
//   "DAGCKPT1" | uint32 JSON length | JSON (state + manifest) | float32 blobs
// written to a temp file and renamed, so a crash never leaves a half-written checkpoint.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RngState } from './rng.ts';

export type Weights = Record<string, { W: Float32Array; Wfb?: Float32Array }>;

export interface CheckpointState {
  runId: string;
  epoch: number;                 // epochs completed
  bestEpoch: number;
  bestValAccuracy: number;
  actionRng: RngState;
  dropoutRng: RngState;
  configHash: string;            // refuses to resume a run whose configuration changed
}

export interface Checkpoint { state: CheckpointState; weights: Weights; best: Weights | null }

/** Where a run's checkpoint and its run lock live (train writes them; `status` looks for the lock). */
export function checkpointPaths(root: string, experiment: string, runId: string): { ckpt: string; lock: string } {
  const ckpt = path.join(root, experiment, `${runId}.ckpt`);
  return { ckpt, lock: `${ckpt}.lock` };
}

const MAGIC = 'DAGCKPT1';

interface Entry { set: 'weights' | 'best'; layer: string; key: 'W' | 'Wfb'; length: number }

export function saveCheckpoint(file: string, ck: Checkpoint): void {
  const entries: Entry[] = [];
  const blobs: Float32Array[] = [];
  for (const set of ['weights', 'best'] as const) {
    const ws = ck[set];
    if (!ws) continue;
    for (const [layer, w] of Object.entries(ws)) for (const key of ['W', 'Wfb'] as const) {
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
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, head); fs.writeSync(fd, json);
    for (const b of blobs) fs.writeSync(fd, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    fs.fsyncSync(fd);
  } finally { fs.closeSync(fd); }
  fs.renameSync(tmp, file);
}

export function loadCheckpoint(file: string): Checkpoint {
  const buf = fs.readFileSync(file);
  if (buf.length < MAGIC.length + 4 || buf.toString('ascii', 0, MAGIC.length) !== MAGIC)
    throw new Error(`${file}: not a DeepAGREL checkpoint (expected it to start with "${MAGIC}")`);
  const jsonLen = buf.readUInt32LE(MAGIC.length);
  let off = MAGIC.length + 4;
  const { state, entries } = JSON.parse(buf.toString('utf8', off, off + jsonLen)) as { state: CheckpointState; entries: Entry[] };
  off += jsonLen;
  const expected = off + entries.reduce((n, e) => n + 4 * e.length, 0);
  if (buf.length !== expected) throw new Error(`${file}: checkpoint is ${buf.length} bytes, expected ${expected} (truncated or corrupt)`);
  const out: Checkpoint = { state, weights: {}, best: null };
  for (const e of entries) {
    const a = new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + 4 * e.length));
    off += 4 * e.length;
    const set = e.set === 'best' ? (out.best ??= {}) : out.weights;
    (set[e.layer] ??= { W: new Float32Array(0) })[e.key] = a;
  }
  return out;
}
