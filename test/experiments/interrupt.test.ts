// Interrupting a run (issue 12, point 2): the training loop yields between batches and obeys an
// AbortSignal (Kernel ▸ Interrupt / Ctrl-C abort the default one). It stops within a batch, keeps
// a checkpoint at that batch, marks the record "interrupted" and throws InterruptedError; running
// it again resumes at that batch and ends with the records of an uninterrupted run.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as readline from 'node:readline';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExperiment } from '../../src/train.ts';
import { resolvePreset, type ExperimentConfig } from '../../src/presets.ts';
import { readRunFile, parseRunText } from '../../src/results/reader.ts';
import { InterruptedError, requestInterrupt, activeRuns, interruptSignal } from '../../src/interrupt.ts';
import { quadrantDataset } from '../helpers.ts';
import { WEBGPU, useBackend } from '../engine/backends.ts';
import { tempDir } from '../tmp-dir.ts';

before(async () => { await useBackend('cpu'); });

const tmp = () => tempDir('deepagrel-interrupt-');
const tiny = (over: Partial<ExperimentConfig> = {}): ExperimentConfig => resolvePreset('mnist-fc-deepagrel', {
  layers: [{ type: 'dense', units: 16 }], init: 0.3, lr: 0.5, epsilon: 0.2, batchSize: 16, valSize: 40, maxEpochs: 4, patience: 10, ...over });
const strip = (r: any) => r.epochs.map(({ wallTimeSec, samplesPerSec, ...rest }: any) => rest);

test('interrupted in epoch 3: InterruptedError, record marked, checkpoint at that batch; the re-run resumes there to the uninterrupted result', async () => {
  const ds = quadrantDataset(200, 100);
  const dirA = tmp(), dirB = tmp();
  const common = (dir: string) => ({ seed: 3, dataset: ds, experiment: 'int', resultsRoot: path.join(dir, 'results'), checkpointRoot: path.join(dir, 'ck') });
  const full = await runExperiment(tiny(), common(dirA));
  full.network?.dispose();

  const ctl = new AbortController();
  let batchesAfterAbort = 0;
  const err = await runExperiment(tiny(), {
    ...common(dirB), signal: ctl.signal,
    events: { onBatch: (e) => { if (ctl.signal.aborted) batchesAfterAbort++; if (e.epoch === 3 && e.batch === 4) ctl.abort(); } },
  }).then(() => null, (e) => e);
  assert.ok(err instanceof InterruptedError, String(err));
  assert.deepEqual({ ...err.info, file: path.basename(err.info.file) }, { runId: 'mnist-fc-deepagrel-s3', epoch: 3, batch: 4, batches: err.info.batches, resumeAfterEpoch: 2, resumeAtBatch: 4, file: 'mnist-fc-deepagrel-s3.jsonl' });
  assert.equal(batchesAfterAbort, 0, 'no batch trained after the abort');
  assert.match(err.message, /^Interrupted: mnist-fc-deepagrel-s3 stopped in epoch 3 after batch 4\/\d+; checkpoint written there; run it again to resume from that batch\.$/);
  assert.equal(err.stack, err.message, 'shown as one line');
  const rec = readRunFile(err.info.file);
  assert.equal(rec.end, undefined);
  assert.equal(rec.epochs.length, 2);
  assert.equal(rec.interrupted?.type, 'interrupted');
  assert.equal(rec.interrupted?.resumeAfterEpoch, 2);
  assert.equal(rec.interrupted?.resumeAtBatch, 4);
  assert.ok(fs.existsSync(path.join(dirB, 'ck', 'int', 'mnist-fc-deepagrel-s3.ckpt')), 'checkpoint kept');
  assert.ok(!fs.existsSync(path.join(dirB, 'ck', 'int', 'mnist-fc-deepagrel-s3.ckpt.lock')), 'lock released');

  const resumed = await runExperiment(tiny(), common(dirB));
  resumed.network?.dispose();
  assert.deepEqual(strip(resumed.record), strip(full.record));
  assert.equal(resumed.record!.end!.testAccuracy, full.record!.end!.testAccuracy);
  assert.equal(resumed.record!.interrupted, undefined, 'the mark is gone once resumed');
  assert.deepEqual(resumed.record!.header.resumes?.map(r => [r.afterEpoch, r.atBatch]), [[2, 4]], 'the record says where it resumed');
});

test('interrupted inside epoch 1 (no best epoch yet): the re-run resumes there to the uninterrupted result', async () => {
  const ds = quadrantDataset(200, 100);
  const dirA = tmp(), dirB = tmp();
  const common = (dir: string) => ({ seed: 8, dataset: ds, experiment: 'int1', resultsRoot: path.join(dir, 'results'), checkpointRoot: path.join(dir, 'ck') });
  const full = await runExperiment(tiny(), common(dirA));
  full.network?.dispose();
  const ctl = new AbortController();
  const err = await runExperiment(tiny(), { ...common(dirB), signal: ctl.signal, events: { onBatch: (e) => { if (e.epoch === 1 && e.batch === 3) ctl.abort(); } } })
    .then(() => null, (e) => e);
  assert.ok(err instanceof InterruptedError, String(err));
  assert.deepEqual([err.info.resumeAfterEpoch, err.info.resumeAtBatch], [0, 3]);
  const starts: string[] = [];
  const resumed = await runExperiment(tiny(), { ...common(dirB), events: { onStart: (_h, i) => starts.push(`${i.resumedFromEpoch}+${i.resumedAtBatch}`) } });
  resumed.network?.dispose();
  assert.deepEqual(starts, ['0+3']);
  assert.deepEqual(strip(resumed.record), strip(full.record));
  assert.equal(resumed.record!.end!.bestEpoch, full.record!.end!.bestEpoch);
  assert.equal(resumed.record!.end!.testAccuracy, full.record!.end!.testAccuracy);
});

test('the default signal: requestInterrupt() stops the running loop; runs started afterwards get a fresh signal', async () => {
  const ds = quadrantDataset(200, 100);
  const dir = tmp();
  const opts = { seed: 4, dataset: ds, experiment: 'int2', resultsRoot: path.join(dir, 'results'), checkpointRoot: path.join(dir, 'ck') };
  let seen = -1;
  const run = runExperiment(tiny({ maxEpochs: 50 }), { ...opts, events: { onBatch: (e) => { if (e.epoch === 1 && e.batch === 2) seen = activeRuns(); } } });
  // requestInterrupt from a timer: only possible because the loop yields between batches
  await new Promise<void>((resolve) => { const t = setInterval(() => { if (seen >= 0) { clearInterval(t); requestInterrupt(); resolve(); } }, 1); });
  const err = await run.then(() => null, (e) => e);
  assert.equal(seen, 1);
  assert.ok(err instanceof InterruptedError);
  assert.equal(err.info.resumeAfterEpoch, 0);
  assert.equal(err.info.resumeAtBatch, err.info.batch, 'even in epoch 1 the run resumes where it stopped');
  assert.ok(err.info.batch >= 2);
  assert.match(err.message, /run it again to resume from that batch/);
  assert.equal(activeRuns(), 0);
  assert.equal(interruptSignal().aborted, false);
  const next = await runExperiment(tiny({ maxEpochs: 1 }), { ...opts, seed: 5 });
  next.network?.dispose();
  assert.equal(next.record!.end!.epochs, 1);
});

test('a record with an interrupted line parses; one after the end line does not', () => {
  const h = JSON.stringify({ type: 'header', runId: 'r', experiment: 'e', preset: 'p', rule: 'deepagrel', dataset: 'mnist', arch: 'fc', augment: false, seed: 1, config: {}, protocol: 'paper', backend: { name: 'cpu', threads: 1 }, versions: {}, startedAt: '' });
  const i = JSON.stringify({ type: 'interrupted', epoch: 1, batch: 2, batches: 9, resumeAfterEpoch: 0, at: '' });
  assert.equal(parseRunText(`${h}\n${i}\n`, 'f').record.interrupted?.batch, 2);
  const end = JSON.stringify({ type: 'end', status: 'max-epochs', epochs: 0, bestEpoch: 0, bestValAccuracy: 0, testAccuracy: null, testWeights: 'best-val', totalTimeSec: 0, finishedAt: '' });
  assert.throws(() => parseRunText(`${h}\n${end}\n${i}\n`, 'f'), /"interrupted" line after the end line/);
});

test('Ctrl-C in `deepagrel train`: stops within a batch, exit 130, one line with the resume hint, record marked', { timeout: 180_000 }, async () => {
  const dir = tmp();
  const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
  const args = [...process.execArgv, cli, 'train', '--preset', 'mnist-fc-deepagrel', '--seed', '6', '--per-class', '100', '--val-size', '200', '--test-limit', '300',
    '--batch-size', '20', '--epochs', '50', '--patience', '50', '--experiment', 'ctrlc', '--backend', 'wasm', '--results', path.join(dir, 'results'), '--checkpoints', path.join(dir, 'ck')];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', () => {});
  const runFile = path.join(dir, 'results', 'ctrlc', 'mnist-fc-deepagrel-s6.jsonl');
  let sentAt = 0;
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      const n = fs.existsSync(runFile) ? fs.readFileSync(runFile, 'utf8').split('\n').filter((l) => l.includes('"type":"epoch"')).length : 0;
      if (n >= 1) { clearInterval(t); setTimeout(() => { sentAt = Date.now(); child.kill('SIGINT'); resolve(); }, 300); }
    }, 20);
    child.on('exit', (code) => { clearInterval(t); if (!sentAt) reject(new Error(`exited (${code}) before the interrupt: ${stderr}`)); });
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const latency = Date.now() - sentAt;
  console.log(`# CLI interrupt: exit ${code} after ${latency} ms`);
  assert.equal(code, 130, stderr);
  assert.ok(latency < 5000, `${latency} ms`);
  assert.match(stderr, /Interrupted: mnist-fc-deepagrel-s6 stopped in epoch \d+ after batch \d+\/\d+; checkpoint written there; run it again to resume from that batch\. Record: /);
  const rec = readRunFile(runFile);
  assert.equal(rec.end, undefined);
  assert.equal(rec.interrupted?.resumeAfterEpoch, rec.epochs.length);
  assert.ok((rec.interrupted?.resumeAtBatch ?? 0) > 0);
});

/** A sweep of two runs, one worker; `send` stops it once the first run has an epoch on disk. */
async function stopSweep(name: string, send: (child: ReturnType<typeof spawn>) => void) {
  const dir = tmp();
  const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
  const args = [...process.execArgv, cli, 'sweep', '--presets', 'mnist-fc-deepagrel', '--seeds', '6-7', '--workers', '1', '--per-class', '100', '--val-size', '200',
    '--test-limit', '300', '--batch-size', '20', '--epochs', '4', '--patience', '50', '--experiment', name, '--backend', 'wasm',
    '--results', path.join(dir, 'results'), '--checkpoints', path.join(dir, 'ck')];
  // Its own process group, so the test can play a terminal's Ctrl-C (a signal to the whole group).
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const runFile = (seed: number) => path.join(dir, 'results', name, `mnist-fc-deepagrel-s${seed}.jsonl`);
  let sent = false;
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      const n = fs.existsSync(runFile(6)) ? fs.readFileSync(runFile(6), 'utf8').split('\n').filter((l) => l.includes('"type":"epoch"')).length : 0;
      if (n >= 1) { clearInterval(t); setTimeout(() => { sent = true; send(child); resolve(); }, 300); }
    }, 20);
    child.on('exit', (code) => { clearInterval(t); if (!sent) reject(new Error(`exited (${code}) before the interrupt: ${out}`)); });
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  return { code, out, runFile, args };
}

for (const [how, send] of [
  ['a signal to the sweep alone (kill, a scheduler) is passed on', (c: ReturnType<typeof spawn>) => c.kill('SIGTERM')],
  ['Ctrl-C in a terminal (the whole process group) stops each worker once, cleanly', (c: ReturnType<typeof spawn>) => process.kill(-c.pid!, 'SIGINT')],
] as const) {
  test(`stopping a sweep: ${how}; the running job stops after its batch and is marked, none starts, the same command resumes`, { timeout: 240_000 }, async () => {
    const { code, out, runFile, args } = await stopSweep(how.startsWith('a signal') ? 'stop-term' : 'stop-int', send);
    assert.equal(code, 130, out);
    assert.match(out, /sweep: SIG(TERM|INT): stopping/);
    assert.match(out, /Interrupted: mnist-fc-deepagrel-s6 stopped in epoch \d+/);
    assert.match(out, /sweep: 0 finished, 0 skipped, 0 running elsewhere, 0 failed, 1 interrupted, 1 not started/);
    const rec = readRunFile(runFile(6));
    assert.equal(rec.end, undefined);
    assert.equal(rec.interrupted?.resumeAfterEpoch, rec.epochs.length, 'stopped cleanly (a second SIGINT would quit without marking)');
    assert.ok(!fs.existsSync(runFile(7)), 'no job starts once the sweep is stopping');
    const again = spawnSync(process.execPath, args, { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /resuming in epoch \d+ at batch \d+/);
    assert.match(again.stdout, /sweep: 2 finished, 0 skipped, 0 running elsewhere, 0 failed$/m);
  });
}

// Issue 29: on WebGPU the training step reads its Q-values with `await q.data()`, so the event
// loop stays free while the GPU works: Ctrl-C (and Jupyter's interrupt, live curves) are answered
// in the middle of a GPU step, and the run stops once that step is done.
test('Ctrl-C during a GPU training step (webgpu; lavapipe in CI) is answered within a second; the run stops after that step', { skip: WEBGPU.reason ? `no WebGPU adapter (${WEBGPU.reason})` : false, timeout: 300_000 }, async () => {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('./gpu-interrupt-child.ts', import.meta.url))],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEEPAGREL_BACKEND: '' } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const events: { event: string; at: number; batch?: number; error?: string | null; maxGapMs?: number; seen: number }[] = [];
  let sentAt = 0, sentAfterBatch = 0;
  const lines = readline.createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const e = { ...JSON.parse(line), seen: performance.now() };
    events.push(e);
    // After three warm steps, in the middle of the fourth: steps take a second or more there.
    if (e.event === 'batch' && e.batch === 3 && !sentAt) {
      setTimeout(() => { sentAt = performance.now(); sentAfterBatch = events.filter(x => x.event === 'batch').length; child.kill('SIGINT'); }, 250);
    }
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 0, stderr.slice(-2000));
  assert.ok(sentAt > 0, `the run ended before the interrupt: ${JSON.stringify(events)}`);
  const answer = events.find(e => e.event === 'answer');
  assert.ok(answer, `no answer to SIGINT: ${JSON.stringify(events)}`);
  const latency = answer!.seen - sentAt;
  const batches = events.filter(e => e.event === 'batch');
  const end = events.find(e => e.event === 'end')!;
  console.log(`# SIGINT during GPU step ${sentAfterBatch + 1}: answered after ${latency.toFixed(0)} ms; steps ${batches.map((b, i) => i ? b.at - batches[i - 1].at : b.at).join(', ')} ms; longest event-loop stall after the first step ${end.maxGapMs} ms`);
  assert.equal(sentAfterBatch, 3, 'the signal went out during step 4');
  assert.ok(latency < 1000, `Ctrl-C answered after ${latency.toFixed(0)} ms`);
  // Answered while the step was still running (its batch event came after the answer), and the
  // run stopped once that step was done: no later step started.
  assert.ok(answer!.at < batches[3]?.at, `the answer came after step 4 had ended: ${JSON.stringify(events)}`);
  assert.equal(batches.length, 4, `steps trained: ${batches.length}`);
  assert.match(end.error ?? '', /^Interrupted: mnist-conv-deepagrel-lr0.1-s1 stopped in epoch 1 after batch 4\/8; /);
});
