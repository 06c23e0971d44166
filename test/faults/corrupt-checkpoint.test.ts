// Defects 3 and 7 of issue 16: a checkpoint that was truncated, had a bit flipped, got NaN or zeros
// in its weights, or an edited generator state or header is never loaded: the error names the file
// and the way out. A run whose latest checkpoint is bad falls back to the previous good one and
// still ends exactly like an uninterrupted run; with no good one it stops and keeps the evidence.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as checkpoint from '../../src/checkpoint.ts';
import { runExperiment } from '../../src/train.ts';
import { resolvePreset } from '../../src/presets.ts';
import { quadrantDataset } from '../helpers.ts';
import { useBackend } from '../engine/backends.ts';
import { Rng } from '../../src/rng.ts';
import { tempDir } from '../tmp-dir.ts';

before(async () => { await useBackend('cpu'); });
const tmp = () => tempDir('deepagrel-ckpt-');

/** Offsets in a checkpoint file: the JSON header and the float32 weights after it. */
function layout(buf: Buffer) {
  const json = 12, jsonLen = buf.readUInt32LE(8);
  return { json, jsonEnd: json + jsonLen, blobs: json + jsonLen };
}

const CORRUPTIONS: Record<string, (b: Buffer) => Buffer> = {
  truncated: b => b.subarray(0, b.length - 100),
  'bit flip in weights': b => { const o = layout(b).blobs + 8 * 4 + 3; b[o] ^= 0x40; return b; },
  'NaN in weights': b => { b.writeFloatLE(NaN, layout(b).blobs + 4 * 5); return b; },
  'all-zero weights': b => { const { blobs } = layout(b); b.fill(0, blobs, blobs + 4 * 24 * 64); return b; },
  'edited RNG state': b => {
    const { json, jsonEnd } = layout(b);
    const text = b.toString('utf8', json, jsonEnd);
    const at = text.indexOf('"actionRng":{"s":[') + '"actionRng":{"s":['.length;
    b.write(text[at] === '1' ? '2' : '1', json + at, 'utf8');       // one digit of the generator state
    return b;
  },
  'edited header': b => { b.write('X', layout(b).json, 'utf8'); return b; },
  'not a checkpoint': () => Buffer.from('hello, this is not a checkpoint at all'),
};

function sample(): checkpoint.Checkpoint {
  const r = new Rng(3);
  const w = () => ({ W: r.uniformArray(24 * 64, -0.3, 0.3) as Float32Array });
  return {
    state: { runId: 'r', epoch: 3, bestEpoch: 2, bestValAccuracy: 0.5, actionRng: new Rng(1).state(), dropoutRng: new Rng(2).state(), configHash: 'abc' },
    weights: { dense1: w(), output: { W: r.uniformArray(24 * 4, -0.3, 0.3) as Float32Array } }, best: { dense1: w(), output: { W: r.uniformArray(24 * 4, -0.3, 0.3) as Float32Array } },
  };
}

test('every kind of corrupt checkpoint is refused by name, with the way out', () => {
  const dir = tmp();
  let detected = 0;
  for (const [what, corrupt] of Object.entries(CORRUPTIONS)) {
    const file = path.join(dir, `${what.replace(/\W+/g, '-')}.ckpt`);
    checkpoint.saveCheckpoint(file, sample());
    assert.deepEqual(checkpoint.loadCheckpoint(file).state, sample().state, 'a good checkpoint loads');
    fs.writeFileSync(file, corrupt(fs.readFileSync(file)));
    assert.throws(() => checkpoint.loadCheckpoint(file), (e: Error) => {
      assert.equal(e.name, 'CheckpointError', `${what}: ${e.message}`);
      assert.ok(e.message.startsWith(`${file}: `), `${what}: names the file: ${e.message}`);
      assert.match(e.message, /--no-resume/, `${what}: says the way out`);
      return true;
    }, what);
    detected++;
  }
  assert.equal(detected, Object.keys(CORRUPTIONS).length);
});

const tiny = () => resolvePreset('mnist-fc-deepagrel', { layers: [{ type: 'dense', units: 24 }, { type: 'dropout', rate: 0.2 }], init: 0.3, lr: 0.5, epsilon: 0.2,
  batchSize: 16, valSize: 40, maxEpochs: 5, patience: 10 });
const strip = (r: any) => ({ epochs: r.epochs.map(({ wallTimeSec, samplesPerSec, ...rest }: any) => rest), test: r.end?.testAccuracy, status: r.end?.status });

test('a run with a corrupt latest checkpoint falls back to the previous one and ends like an uninterrupted run', async () => {
  const ds = quadrantDataset(200, 100);
  const opts = (dir: string) => ({ seed: 4, dataset: ds, experiment: 'ck', resultsRoot: dir, checkpointRoot: dir });
  const clean = await runExperiment(tiny(), opts(tmp()));
  clean.network?.dispose();

  const dir = tmp();
  (await runExperiment(tiny(), { ...opts(dir), haltAfterEpochs: 3 })).network?.dispose();
  const file = path.join(dir, 'ck', 'mnist-fc-deepagrel-s4.ckpt');
  fs.writeFileSync(file, CORRUPTIONS['bit flip in weights'](fs.readFileSync(file)));
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...a: unknown[]) => { warnings.push(a.join(' ')); };
  let starts: number[] = [];
  try {
    const res = await runExperiment(tiny(), { ...opts(dir), events: { onStart: (_h, i) => { starts.push(i.resumedFromEpoch); } } });
    res.network?.dispose();
    assert.deepEqual(strip(res.record), strip(clean.record));
  } finally { console.warn = warn; }
  assert.deepEqual(starts, [2], 'resumed from the previous checkpoint (epoch 2)');
  assert.match(warnings.join('\n'), new RegExp(`^${file}: checksum mismatch.*; set aside as ${file}\\.corrupt, resuming from the previous checkpoint ${file}\\.prev$`, 'm'));
  assert.ok(fs.existsSync(`${file}.corrupt`), 'the corrupt checkpoint is kept as evidence');

  // Both bad: the run stops with the way out, and deletes nothing.
  const dir2 = tmp();
  (await runExperiment(tiny(), { ...opts(dir2), haltAfterEpochs: 3 })).network?.dispose();
  const f2 = path.join(dir2, 'ck', 'mnist-fc-deepagrel-s4.ckpt');
  for (const f of [f2, `${f2}.prev`]) fs.writeFileSync(f, CORRUPTIONS['edited RNG state'](fs.readFileSync(f)));
  await assert.rejects(runExperiment(tiny(), opts(dir2)), new RegExp(`${f2}: it and the previous checkpoint are both unusable.*--no-resume`));
  assert.ok(fs.existsSync(f2) && fs.existsSync(`${f2}.prev`));
  // The way out works.
  const over = await runExperiment(tiny(), { ...opts(dir2), resume: false });
  over.network?.dispose();
  assert.deepEqual(strip(over.record), strip(clean.record));
});

/** A checkpoint in the first format (DAGCKPT1: no padding rule, no checksum) with the same content as `buf`, a DAGCKPT2 one. */
function asV1(buf: Buffer): Buffer {
  const { json, jsonEnd, blobs } = layout(buf);
  const text = Buffer.from(buf.toString('utf8', json, jsonEnd).trimEnd());
  const head = Buffer.alloc(12);
  head.write('DAGCKPT1', 0, 'ascii');
  head.writeUInt32LE(text.length, 8);
  return Buffer.concat([head, text, buf.subarray(blobs, buf.length - 32)]);
}

// Issue 30, item 11: a DAGCKPT1 checkpoint has no checksum, so one with changed weights resumed
// silently. Nothing in such a file can tell an edited weight from a trained one, so it is refused
// with one message and both ways on: start over (--no-resume, or delete it), or accept it knowingly.
test('checkpoints from before checksums (DAGCKPT1) are refused unless accepted knowingly; accepted ones are still checked for NaN or Inf', () => {
  const dir = tmp();
  const v1 = (w: Float32Array) => {
    const json = Buffer.from(JSON.stringify({ state: sample().state, entries: [{ set: 'weights', layer: 'output', key: 'W', length: w.length }] }));
    const head = Buffer.alloc(12);
    head.write('DAGCKPT1', 0, 'ascii');
    head.writeUInt32LE(json.length, 8);
    return Buffer.concat([head, json, Buffer.from(w.buffer)]);
  };
  const good = path.join(dir, 'old.ckpt'), bad = path.join(dir, 'old-nan.ckpt');
  fs.writeFileSync(good, v1(Float32Array.from([0.5, -0.25, 1])));
  fs.writeFileSync(bad, v1(Float32Array.from([0.5, Infinity, 1])));
  assert.throws(() => checkpoint.loadCheckpoint(good), (e: Error) => {
    assert.ok(e instanceof checkpoint.UnverifiedCheckpointError && e instanceof checkpoint.CheckpointError);
    assert.equal(e.message, `${good}: a checkpoint of the first format (DAGCKPT1, written before checkpoints had checksums), so nothing shows its weights are the ones that were written; `
      + `not loading it. Either start the run over (rerun with --no-resume, or delete ${good} and ${good}.prev), or resume from it knowingly with --accept-unverified-checkpoint `
      + '(the next checkpoint is written with a checksum)');
    return true;
  });
  assert.deepEqual(Array.from(checkpoint.loadCheckpoint(good, { acceptUnverified: true }).weights.output.W), [0.5, -0.25, 1]);
  assert.throws(() => checkpoint.loadCheckpoint(bad, { acceptUnverified: true }), new RegExp(`^CheckpointError: ${bad}: W of layer 'output' holds Infinity at index 1`));
  // asV1 writes what the first format wrote: accepted, it reads back as the same checkpoint.
  const v2 = path.join(dir, 'new.ckpt');
  checkpoint.saveCheckpoint(v2, sample());
  fs.writeFileSync(good, asV1(fs.readFileSync(v2)));
  assert.deepEqual(checkpoint.loadCheckpoint(good, { acceptUnverified: true }), checkpoint.loadCheckpoint(v2));
});

test('a run whose checkpoint is a DAGCKPT1 one with changed weights does not resume silently: one message, exit 2 from the CLI, nothing changed', async () => {
  const ds = quadrantDataset(200, 100);
  const dir = tmp();
  const opts = { seed: 4, dataset: ds, experiment: 'ck', resultsRoot: dir, checkpointRoot: dir };
  (await runExperiment(tiny(), { ...opts, haltAfterEpochs: 2 })).network?.dispose();
  const file = path.join(dir, 'ck', 'mnist-fc-deepagrel-s4.ckpt'), record = path.join(dir, 'ck', 'mnist-fc-deepagrel-s4.jsonl');
  const changed = asV1(fs.readFileSync(file));
  changed.writeFloatLE(0.123, layout(changed).blobs + 4 * 7);   // one weight of the first layer
  fs.writeFileSync(file, changed);
  fs.rmSync(`${file}.prev`);
  const snapshot = () => fs.readdirSync(path.join(dir, 'ck')).sort().map(f => [f, fs.readFileSync(path.join(dir, 'ck', f)).toString('base64')]);
  const before = snapshot();
  const starts: number[] = [];
  await assert.rejects(runExperiment(tiny(), { ...opts, events: { onStart: (_h, i) => { starts.push(i.resumedFromEpoch); } } }),
    (e: Error) => e.name === 'UnverifiedCheckpointError' && e.message.startsWith(`${file}: a checkpoint of the first format (DAGCKPT1`));
  assert.equal(starts.length, 0, 'nothing trained');
  assert.deepEqual(snapshot(), before, 'record and checkpoint untouched (not set aside as corrupt, no fallback)');

  // The command line: one message, exit code 2 (a decision for the user, like a bad option), nothing written.
  const { main } = await import('../../src/cli.ts');
  const errors: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => { errors.push(a.join(' ')); };
  try {
    assert.equal(await main(['train', '--preset', 'mnist-fc-deepagrel', '--seed', '4', '--experiment', 'ck', '--results', dir, '--checkpoints', dir, '--backend', 'cpu',
      '--per-class', '5', '--val-size', '20', '--test-limit', '20', '--batch-size', '10']), 2);
  } finally { console.error = orig; }
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0], new RegExp(`^deepagrel train: ${file}: a checkpoint of the first format \\(DAGCKPT1.*--no-resume.*--accept-unverified-checkpoint`));
  assert.deepEqual(snapshot(), before, 'nothing written by the CLI either');

  // Accepted knowingly, the run goes on from it (and its next checkpoint has a checksum).
  const res = await runExperiment(tiny(), { ...opts, acceptUnverifiedCheckpoint: true, keepCheckpoint: true, events: { onStart: (_h, i) => { starts.push(i.resumedFromEpoch); } } });
  res.network?.dispose();
  assert.deepEqual(starts, [2]);
  assert.equal(res.record?.end?.epochs, 5);
  assert.equal(fs.readFileSync(file).toString('ascii', 0, 8), 'DAGCKPT2');
});
