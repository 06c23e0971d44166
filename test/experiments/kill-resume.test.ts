// The real thing: `deepagrel train` killed with SIGKILL after epoch 2 of 4, then the same command
// again, gives the same records as an uninterrupted run (timings aside).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunFile } from '../../src/results/reader.ts';
import { tempDir } from '../tmp-dir.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const ARGS = ['train', '--preset', 'mnist-fc-deepagrel', '--seed', '5', '--per-class', '20', '--val-size', '200', '--test-limit', '300',
  '--batch-size', '50', '--epochs', '4', '--patience', '10', '--experiment', 'kill', '--backend', 'wasm'];
const node = (dir: string) => [...process.execArgv, cli, ...ARGS, '--results', path.join(dir, 'results'), '--checkpoints', path.join(dir, 'ck')];
const strip = (file: string) => readRunFile(file).epochs.map(({ wallTimeSec, samplesPerSec, ...rest }) => rest);

test('SIGKILL after epoch 2 of 4, then the same command: records equal an uninterrupted run', { timeout: 180_000 }, async () => {
  const full = tempDir('deepagrel-full-');
  const killed = tempDir('deepagrel-kill-');
  const ok = spawnSync(process.execPath, node(full), { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  const runFile = (dir: string) => path.join(dir, 'results', 'kill', 'mnist-fc-deepagrel-s5.jsonl');

  const child = spawn(process.execPath, node(killed), { stdio: 'ignore' });
  const ckpt = path.join(killed, 'ck', 'kill', 'mnist-fc-deepagrel-s5.ckpt');
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      const lines = fs.existsSync(runFile(killed)) ? fs.readFileSync(runFile(killed), 'utf8').split('\n').filter(l => l.includes('"type":"epoch"')).length : 0;
      if (lines >= 2 && fs.existsSync(ckpt)) { clearInterval(t); child.kill('SIGKILL'); resolve(); }
    }, 20);
    child.on('exit', code => { clearInterval(t); if (code === 0) reject(new Error('the run finished before it could be killed')); });
  });
  await new Promise(r => child.on('close', r));
  const partial = readRunFile(runFile(killed));
  assert.equal(partial.end, undefined, 'killed run must be unfinished');
  assert.ok(partial.epochs.length >= 2 && partial.epochs.length < 4);

  const again = spawnSync(process.execPath, node(killed), { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  // Killed between an epoch line and its checkpoint, the file is cut back to the checkpoint.
  assert.match(again.stderr, /resuming after epoch [123]\b/);
  assert.deepEqual(strip(runFile(killed)), strip(runFile(full)));
  assert.equal(readRunFile(runFile(killed)).end!.testAccuracy, readRunFile(runFile(full)).end!.testAccuracy);
});

test('SIGKILL right after a checkpoint inside epoch 2 (--checkpoint-every): evaluate reads those weights, the same command resumes at that batch, records equal an uninterrupted run', { timeout: 180_000 }, async () => {
  const full = tempDir('deepagrel-full-');
  const killed = tempDir('deepagrel-midkill-');
  const every = ['--checkpoint-every', '0.001'];
  const runFile = (dir: string) => path.join(dir, 'results', 'kill', 'mnist-fc-deepagrel-s5.jsonl');
  const ok = spawnSync(process.execPath, node(full), { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  // per-class 20 → 200 images, 4 batches of 50 a epoch: checkpoints inside it after batches 1–3; the 5th is in epoch 2
  const k = spawnSync(process.execPath, [...node(killed), ...every], { encoding: 'utf8', env: { ...process.env, DEEPAGREL_KILL_AT: 'train:after-partial-checkpoint:5' } });
  assert.equal(k.signal, 'SIGKILL', k.stderr);
  assert.equal(readRunFile(runFile(killed)).epochs.length, 1);

  const ev = spawnSync(process.execPath, [...process.execArgv, cli, 'evaluate', '--run', runFile(killed), '--weights', 'last', '--sets', 'val',
    '--checkpoints', path.join(killed, 'ck'), '--backend', 'wasm'], { encoding: 'utf8' });
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, /last weights, 2 batches into epoch 2 \(1 trained\)/);

  const again = spawnSync(process.execPath, [...node(killed), ...every], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /resuming in epoch 2 at batch 2\b/);
  assert.deepEqual(strip(runFile(killed)), strip(runFile(full)));
  assert.equal(readRunFile(runFile(killed)).end!.testAccuracy, readRunFile(runFile(full)).end!.testAccuracy);
  assert.deepEqual(readRunFile(runFile(killed)).header.resumes?.map(r => [r.afterEpoch, r.atBatch]), [[1, 2]]);
});

test('--checkpoint-every takes seconds ≥ 0: anything else is refused before anything is written', () => {
  const dir = tempDir('deepagrel-every-');
  for (const bad of ['-1', 'soon', '1e3']) {
    const r = spawnSync(process.execPath, [...node(dir), '--checkpoint-every', bad], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--checkpoint-every expects seconds, a number ≥ 0 \\(e\\.g\\. 300; 0 = off\\), got "${bad.replace(/[.+]/g, '\\$&')}"`));
  }
  const sweep = spawnSync(process.execPath, [...process.execArgv, cli, 'sweep', '--presets', 'mnist-fc-deepagrel', '--seeds', '1', '--results', path.join(dir, 'results'),
    '--checkpoint-every', 'x'], { encoding: 'utf8' });
  assert.equal(sweep.status, 2, sweep.stderr);
  assert.match(sweep.stderr, /--checkpoint-every expects seconds/);
  assert.ok(!fs.existsSync(path.join(dir, 'results')), 'nothing written');
});
