// Issue 30, item 7: "finished?" was asked before the run lock was taken and not again after, so a
// process held up between the two (a slow shared file system: a 9 s link()) trained a run that
// another process had finished meanwhile, and replaced its record — even with other settings.
// The pause point run:before-lock holds each contender right there until the test lets it go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFile } from './child.ts';
import { tempDir } from '../tmp-dir.ts';

const child = fileURLToPath(new URL('./train-child.ts', import.meta.url));
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

interface Run { code: number | null; out: string; err: string }
function train(dirs: { results: string; ck: string }, epochs: number, pauseFile?: string): { done: Promise<Run> } {
  const env = { ...process.env, ...(pauseFile ? { DEEPAGREL_PAUSE_AT: 'run:before-lock:1', DEEPAGREL_PAUSE_FILE: pauseFile } : {}) };
  const p = spawn(process.execPath, [...process.execArgv, child, dirs.results, dirs.ck, '5', String(epochs)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout!.on('data', d => { out += d; });
  p.stderr!.on('data', d => { err += d; });
  return { done: new Promise(r => p.on('close', code => r({ code, out, err }))) };
}

async function paused(file: string) {
  for (let i = 0; !(fs.existsSync(file) && fs.readFileSync(file, 'utf8')); i++) { assert.ok(i < 1200, `${file}: the contender never reached run:before-lock`); await sleep(100); }
}

test('a run finished while another process waited for its lock is neither trained again nor replaced, with the same or other settings', { timeout: 300_000 }, async () => {
  const dir = tempDir('deepagrel-finrace-');
  const dirs = { results: path.join(dir, 'r'), ck: path.join(dir, 'c') };
  const other = path.join(dir, 'pause-other'), same = path.join(dir, 'pause-same');
  // Both look before anyone trains ("missing") and are held before the lock.
  const a1 = train(dirs, 3, other), a2 = train(dirs, 2, same);
  await paused(other);
  await paused(same);
  // Meanwhile another process trains the run to its end (2 epochs).
  const b = await train(dirs, 2).done;
  assert.equal(b.code, 0, b.err);
  assert.equal(b.out.trim(), 'finished');
  const file = runFile(dirs.results, 5);
  const record = fs.readFileSync(file, 'utf8');

  // Let the held processes go on, one after the other (so neither meets the other's lock).
  fs.rmSync(other);
  const r1 = await a1.done;
  assert.equal(r1.code, 1, `other settings: refused, not trained\n${r1.out}${r1.err}`);
  assert.match(r1.err, /a finished run made with other settings \(stored → asked for: maxEpochs: 2 → 3\); nothing was trained/);
  assert.doesNotMatch(r1.err, /started/, 'did not start training');
  fs.rmSync(same);
  const r2 = await a2.done;
  assert.equal(r2.code, 0, r2.err);
  assert.equal(r2.out.trim(), 'skipped', `same settings: the finished run is reused\n${r2.err}`);
  assert.doesNotMatch(r2.err, /started/, 'did not start training');

  assert.equal(fs.readFileSync(file, 'utf8'), record, 'the finished record is untouched');
  assert.deepEqual(fs.readdirSync(path.join(dirs.ck, 'faults')).filter(f => f.endsWith('.lock')), [], 'no lock left behind');
});
