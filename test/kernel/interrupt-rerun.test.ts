// Issue 30, point 1: Kernel ▸ Interrupt, then the cell re-run at once. The interrupt's grace timer
// (after which tslab abandons a cell whose training did not stop) used to fire into the re-run: that
// cell ended with "Interrupted asynchronously" while its run went on training unseen. Here the grace
// period is shortened (DEEPAGREL_INTERRUPT_GRACE_MS) so the re-run outlives it within seconds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { KernelClient } from './client.ts';

const GRACE_MS = 2500;
let k: KernelClient;
before(async () => { k = await KernelClient.start(undefined, { DEEPAGREL_INTERRUPT_GRACE_MS: String(GRACE_MS) }); });
after(async () => { await k?.close(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('interrupt, then re-run at once: the re-run resumes and is not abandoned; nothing trains in the background', { timeout: 600_000 }, async () => {
  const setup = k.execute(`import { runExperiment } from './src/train.ts';
import { resolvePreset } from './src/presets.ts';
import { LiveCurves } from './src/notebook/live.ts';
import { runRoots } from './src/notebook/params.ts';
import { loadDataset } from './src/data/datasets.ts';
import { activeRuns } from './src/interrupt.ts';
const roots = runRoots(true, 'kernel-rerun');
const mnist = await loadDataset('mnist');
const cfg = resolvePreset('mnist-fc-deepagrel', { perClass: 300, maxEpochs: 60, patience: 60, valSize: 200, testLimit: 200 });
const file = roots.resultsRoot + '/rerun/mnist-fc-deepagrel-s3.jsonl';
const train = () => runExperiment(cfg, { seed: 3, dataset: mnist, experiment: 'rerun', resultsRoot: roots.resultsRoot, checkpointRoot: roots.checkpointRoot, events: new LiveCurves({ log: (l) => console.log(l) }).events('run') });`);
  assert.equal((await k.done(setup, 180_000)).content.status, 'ok', k.stderrOf(setup));
  const cell = 'await train();';

  // 1. train until an epoch is done, then Kernel ▸ Interrupt
  const first = k.execute(cell);
  await k.waitFor(() => / epoch 1: reward /.test(k.stdout(first)), 240_000, 'epoch 1');
  k.proc.kill('SIGINT');
  const firstReply = await k.done(first, 30_000);
  assert.equal(firstReply.content.ename, 'InterruptedError', JSON.stringify(firstReply.content));

  // 2. re-run at once (after tslab's 200 ms in which requests following an error are dropped, as with
  // stop_on_error): it resumes, and is still training when the first interrupt's grace period is over
  await sleep(400);
  const second = k.execute(cell);
  await k.waitFor(() => /resuming in epoch \d+ at batch \d+/.test(k.stdout(second)), 60_000, 'the re-run resuming');
  await sleep(GRACE_MS + 2500);
  const early = k.replies.find((m) => m.parent_header.msg_id === second);
  assert.equal(early, undefined, `the re-run ended while it trained: ${JSON.stringify(early?.content)}\n${k.stdout(second)}`);

  // 3. stop it the same way: a clean stop, its one line, and then nothing grows
  k.proc.kill('SIGINT');
  const secondReply = await k.done(second, 30_000);
  assert.equal(secondReply.content.ename, 'InterruptedError', JSON.stringify(secondReply.content));
  assert.doesNotMatch(JSON.stringify(k.outputs(second).filter((m) => m.header.msg_type === 'error')), /Interrupted asynchronously/);
  await sleep(400);
  const linesAfterStop = fs.readFileSync(await filePath(), 'utf8').split('\n').length;
  await sleep(GRACE_MS + 2000);
  const check = k.execute('console.log(activeRuns());');
  await k.done(check);
  assert.equal(k.stdout(check).trim(), '0', 'a run still listening after the cell ended');
  assert.equal(fs.readFileSync(await filePath(), 'utf8').split('\n').length, linesAfterStop, 'the run record grew after the cell ended');
});

async function filePath(): Promise<string> {
  const id = k.execute('console.log(file);');
  await k.done(id);
  return k.stdout(id).trim();
}
