// Issue 16, live: the project's own batch script (scripts/slurm/sweep.sbatch) on a real single-node
// SLURM cluster. A 2-task job array over 2 presets × 2 seeds (MNIST FC, a few hundred images, 3
// epochs), with one task requeued mid-run (preemption); then a node-crash restart: two tasks both
// taking all jobs, racing on dead processes' locks. Every run must be trained once, end exactly like
// the same sweep run locally, leave no locks or temp files, and `status` and `table` read the result.
// Not part of `npm test` (needs root and SLURM): `npm run test:slurm`, which skips with a message
// where those are missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunFile, readRuns } from '../../src/results/reader.ts';
import { unavailable, startCluster, slurm, waitForJob, taskStates, type Cluster } from './cluster.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = path.join(root, 'scripts', 'slurm', 'sweep.sbatch');
const bin = path.join(root, 'bin', 'deepagrel.js');
const SWEEP_ARGS = '--per-class 20 --val-size 200 --test-limit 300 --batch-size 50 --epochs 3 --patience 10 --backend wasm';
const RUNS = ['mnist-fc-deepagrel-s1', 'mnist-fc-deepagrel-s2', 'mnist-fc-ebp-s1', 'mnist-fc-ebp-s2'];
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** A run without what differs between any two trainings of it (timings, experiment, resume times). */
function essence(file: string) {
  const r = readRunFile(file);
  const { totalTimeSec, finishedAt, ...end } = r.end ?? ({} as any);
  return { preset: r.header.preset, seed: r.header.seed, config: r.header.config, epochs: r.epochs.map(({ wallTimeSec, samplesPerSec, ...e }) => e), end };
}

function sbatch(c: Cluster, array: string, exp: Record<string, string>): string {
  const vars = Object.entries(exp).map(([k, v]) => `${k}=${v}`).join(',');
  return slurm(c, 'sbatch', ['--parsable', `--array=${array}`, '--cpus-per-task=1', `--chdir=${root}`,
    `--output=${path.join(c.dir, 'logs', '%A_%a.out')}`, `--export=ALL,${vars}`, script]).split(';')[0];
}

const tail = (file: string) => fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(-30).join('\n') : `(no ${file})`;
const log = (c: Cluster, job: string, task: string) => fs.readFileSync(path.join(c.dir, 'logs', `${job}_${task}.out`), 'utf8');
const leftovers = (dir: string, keep: RegExp) =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter(e => e.isFile() && !keep.test(e.name)).map(e => e.name) : [];

test('SLURM job array: sharded sweep with a requeued task, a node-crash restart racing on dead locks; runs equal a local sweep', { timeout: 900_000 }, async t => {
  const why = unavailable();
  if (why) { t.skip(why); return; }
  const c = await startCluster();
  const t0 = Date.now();
  try {
    const results = path.join(c.dir, 'results'), ck = path.join(c.dir, 'ck');
    const params = { PRESETS: 'mnist-fc-*', SEEDS: '1-2', RESULTS: results, CHECKPOINTS: ck, EXPERIMENT: 'slurm', SWEEP_ARGS };

    // 1. The array; the first task to checkpoint a run is held there (a pause point, so the
    //    requeue lands mid-run on a machine of any speed) and requeued (preempted).
    const pauseFile = path.join(c.dir, 'paused.json');
    const job = sbatch(c, '1-2', { ...params, DEEPAGREL_PAUSE_AT: 'ckpt:written:1', DEEPAGREL_PAUSE_FILE: pauseFile });
    for (let i = 0; !fs.existsSync(pauseFile) || !fs.readFileSync(pauseFile, 'utf8'); i++) { assert.ok(i < 1200, 'no task checkpointed a run'); await sleep(100); }
    const paused = JSON.parse(fs.readFileSync(pauseFile, 'utf8')) as { task: string; detail: string };
    const [, pausedPreset, pausedSeed] = /([^/]+)-s(\d+)\.ckpt$/.exec(paused.detail)!;
    slurm(c, 'scontrol', ['requeue', `${job}_${paused.task}`]);
    // A requeued job waits ~2 minutes before it may start again; a test need not. But not within
    // the second of the requeue: slurmd rejects a credential issued in the second it revoked the
    // old one ("Job credential revoked") and the task then fails instead of restarting.
    for (let i = 0; ; i++) {
      assert.ok(i < 100, `task ${paused.task} did not go back to the queue`);
      if (/PENDING/.test(slurm(c, 'squeue', ['-h', '-j', `${job}_${paused.task}`, '-o', '%T']))) { slurm(c, 'scontrol', ['update', `JobId=${job}_${paused.task}`, 'StartTime=now+2']); break; }
      await sleep(100);
    }
    await waitForJob(c, job, 600_000);
    const logs = log(c, job, '1') + log(c, job, '2');
    const states = taskStates(c, job);
    assert.deepEqual(states, { 1: 'COMPLETED', 2: 'COMPLETED' }, `task states ${JSON.stringify(states)}; task logs:\n${logs}\nslurmctld:\n${tail(path.join(c.dir, 'slurmctld.log'))}`);
    const requeued = log(c, job, paused.task);
    assert.match(requeued, /CANCELLED AT .* DUE TO JOB REQUEUE/);
    assert.match(requeued, /\(restart 1\)/);
    assert.match(requeued, new RegExp(`\\[${pausedPreset} s${pausedSeed}\\] .*resuming after epoch 1\\b`), 'the requeued task resumed its run from the checkpoint');

    // 2. The same sweep, locally, for reference.
    const local = path.join(c.dir, 'local');
    const ref = spawnSync(process.execPath, [bin, 'sweep', '--presets', 'mnist-fc-*', '--seeds', '1-2', '--workers', '2', '--results', local,
      '--checkpoints', path.join(c.dir, 'local-ck'), '--experiment', 'slurm', ...SWEEP_ARGS.split(' ')], { encoding: 'utf8' });
    assert.equal(ref.status, 0, ref.stdout + ref.stderr);
    for (const run of RUNS) assert.deepEqual(essence(path.join(results, 'slurm', `${run}.jsonl`)), essence(path.join(local, 'slurm', `${run}.jsonl`)), run);
    // Trained once: an epoch-3 line for each run in exactly one task's log.
    for (const run of RUNS) {
      const [, preset, seed] = /^(.*)-s(\d+)$/.exec(run)!;
      const ones = logs.split('\n').filter(l => l.startsWith(`[${preset} s${seed}] ${preset} s${seed} epoch 3:`)).length;
      assert.equal(ones, 1, `${run} trained its last epoch ${ones} times`);
    }

    // 3. Node crash: two runs killed mid-run (their locks name dead processes), then two tasks that
    //    both take every job start together.
    for (const preset of ['mnist-fc-deepagrel', 'mnist-fc-ebp']) {
      const k = spawnSync(process.execPath, [bin, 'train', '--preset', preset, '--seed', '1', '--results', results, '--checkpoints', ck,
        '--experiment', 'crash', ...SWEEP_ARGS.split(' ')], { env: { ...process.env, DEEPAGREL_KILL_AT: 'record:line-written:2' }, encoding: 'utf8' });
      assert.equal(k.signal, 'SIGKILL', k.stderr);
      assert.ok(fs.existsSync(path.join(ck, 'crash', `${preset}-s1.ckpt.lock`)), 'the crashed run left its lock');
    }
    const crash = sbatch(c, '1-2', { ...params, SEEDS: '1', EXPERIMENT: 'crash', SHARD: 'none' });
    await waitForJob(c, crash, 600_000);
    assert.deepEqual(taskStates(c, crash), { 1: 'COMPLETED', 2: 'COMPLETED' });
    const both = log(c, crash, '1') + log(c, crash, '2');
    for (const preset of ['mnist-fc-deepagrel', 'mnist-fc-ebp']) {
      const resumed = both.split('\n').filter(l => l.includes(`[${preset} s1]`) && /resuming after epoch 1\b/.test(l)).length;
      assert.equal(resumed, 1, `${preset} s1 was taken up ${resumed} times after the crash`);
      assert.deepEqual(essence(path.join(results, 'crash', `${preset}-s1.jsonl`)), essence(path.join(local, 'slurm', `${preset}-s1.jsonl`)));
    }
    const summaries = both.split('\n').filter(l => l.startsWith('sweep: ') && l.includes('failed'));
    assert.equal(summaries.length, 2);
    for (const s of summaries) assert.match(s, / 0 failed$/);

    // 4. Nothing left behind; status and table read the merged folder.
    assert.deepEqual(leftovers(ck, /^$/), [], 'no checkpoints, locks or temp files left');
    assert.deepEqual(leftovers(results, /\.jsonl$/), [], 'only run records in results/');
    const status = spawnSync(process.execPath, [bin, 'status', '--results', results, '--checkpoints', ck], { encoding: 'utf8' });
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /^6 runs: 6 max-epochs\.$/m);
    const table = spawnSync(process.execPath, [bin, 'table', '--results', results, '--format', 'csv'], { encoding: 'utf8' });
    assert.equal(table.status, 0, table.stderr);
    assert.equal(readRuns(results).length, 6);
    // One row per rule over both experiments' runs (2 + 1 seeds' records each), none still running.
    assert.match(table.stdout, /^mnist-fc-deepagrel,.*,deepagrel,0\.5,3,\d+,0,3,/m);
    assert.match(table.stdout, /^mnist-fc-ebp,.*,ebp,0\.1,3,\d+,0,3,/m);
    t.diagnostic(`live SLURM test: ${((Date.now() - t0) / 1000).toFixed(0)} s; 6 runs, each trained once; 1 requeue, 2 crashed runs resumed once`);
  } finally { c.stop(); }
});
