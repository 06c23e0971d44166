// Issue 16's fault injection: SIGKILL at ≥ 20 seeded random moments — named points inside record
// and checkpoint writes (a torn line, a temp file half written, between the two renames, after the
// end line but before clean-up, right after a lock is placed, right after a checkpoint inside an
// epoch) and random times during training — resuming after each. The runs checkpoint inside their
// epochs every 20 ms too, so most kills resume mid-epoch. Every final record and checkpoint must equal an uninterrupted run's, and
// nothing may be left behind but the records and the (kept) checkpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../src/rng.ts';
import { loadCheckpoint } from '../../src/checkpoint.ts';
import { runChild, strip, runFile, ckptFile } from './child.ts';
import { tempDir } from '../tmp-dir.ts';

const KILLS = 24, EPOCHS = 8;
const POINTS = ['record:torn-line', 'record:line-written', 'record:rewrite-before-rename', 'record:end-written',
  'ckpt:torn-temp', 'ckpt:before-rotate', 'ckpt:between-renames', 'lock:placed', 'train:after-partial-checkpoint', 'time', 'time', 'time'];
const PER_EPOCH = new Set(['record:torn-line', 'record:line-written', 'ckpt:torn-temp', 'ckpt:before-rotate', 'ckpt:between-renames', 'train:after-partial-checkpoint']);
const EVERY_SEC = 0.02;
const dirsOf = (dir: string) => ({ results: path.join(dir, 'results'), ck: path.join(dir, 'ck') });

test(`${KILLS} SIGKILLs at seeded random moments: every run resumes to an uninterrupted run's records and weights`, { timeout: 600_000 }, async t => {
  const dir = tempDir('deepagrel-kills-');
  const rng = new Rng(16);
  let kills = 0, seed = 1, midEpoch = 0;
  const used = new Set<number>([1]);
  const where = new Map<string, number>();
  // Every named point at least once (in seeded order), then seeded random picks.
  const plan = rng.shuffle([...new Set(POINTS)].filter(p => p !== 'time'));
  while (kills < KILLS) {
    const point = plan.shift() ?? POINTS[rng.int(POINTS.length)];
    const kill = point === 'time' ? { afterMs: rng.int(900) } : { point, k: PER_EPOCH.has(point) ? 1 + rng.int(3) : 1 };
    const out = await runChild(dirsOf(dir), seed, EPOCHS, { kill, checkpointEverySec: EVERY_SEC });
    if (/started after epoch \d+ at batch/.test(out.stderr)) midEpoch++;
    if (out.signal === 'SIGKILL') { kills++; where.set(point, (where.get(point) ?? 0) + 1); continue; }
    assert.equal(out.code, 0, `seed ${seed}, kill ${JSON.stringify(kill)}: ${out.stderr}`);
    seed++; used.add(seed);             // finished before the kill came: go on with the next run
    assert.ok(seed <= 8, 'runs keep finishing before their kill; the kill plan does not fit the run length');
  }
  for (const s of used) {
    const out = await runChild(dirsOf(dir), s, EPOCHS, { checkpointEverySec: EVERY_SEC });
    assert.equal(out.code, 0, out.stderr);
    if (/started after epoch \d+ at batch/.test(out.stderr)) midEpoch++;
  }
  assert.ok(midEpoch >= 3, `only ${midEpoch} resumes started inside an epoch`);
  // Uninterrupted runs of the same seeds.
  const clean = tempDir('deepagrel-clean-');
  let differing = 0;
  for (const s of used) {
    const out = await runChild(dirsOf(clean), s, EPOCHS);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(strip(runFile(dirsOf(dir).results, s)), strip(runFile(dirsOf(clean).results, s)), `seed ${s}: records`);
    const [a, b] = [loadCheckpoint(ckptFile(dirsOf(dir).ck, s)), loadCheckpoint(ckptFile(dirsOf(clean).ck, s))];
    assert.deepEqual(a, b, `seed ${s}: final weights, best weights and generator states`);
    if (JSON.stringify(strip(runFile(dirsOf(dir).results, s))) !== JSON.stringify(strip(runFile(dirsOf(clean).results, s)))) differing++;
  }
  const left = (sub: string, keep: RegExp) => fs.readdirSync(path.join(dir, sub, 'faults')).filter(f => !keep.test(f));
  assert.deepEqual(left('results', /^mnist-fc-deepagrel-s\d+\.jsonl$/), [], 'only run records in results/');
  assert.deepEqual(left('ck', /^mnist-fc-deepagrel-s\d+\.ckpt$/), [], 'only the kept checkpoints: no temp, previous, corrupt or lock files');
  t.diagnostic(`kill points survived: ${kills} (${[...where].map(([p, n]) => `${p} ×${n}`).join(', ')}); runs: ${used.size}; resumes inside an epoch: ${midEpoch}; runs lost: 0; records differing: ${differing}`);
});
