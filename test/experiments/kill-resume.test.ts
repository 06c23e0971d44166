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
