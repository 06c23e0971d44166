// The project kernel (scripts/tslab-kernel.ts) as a Jupyter front end sees it, over ZeroMQ:
// kernel_info, history, execute_result, busy/idle with queued cells, per-epoch live curves from the
// first run on, and Kernel ▸ Interrupt stopping a training run (issue 12, points 2, 3, 4, 9, 11).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { KernelClient, PROJECT_ROOT } from './client.ts';
import { kernelSpec } from '../../scripts/kernel.ts';

let k: KernelClient;
before(async () => { k = await KernelClient.start(); });
after(async () => { await k?.close(); });

const TRAIN_SETUP = `import { runExperiment } from './src/train.ts';
import { resolvePreset } from './src/presets.ts';
import { LiveCurves } from './src/notebook/live.ts';
import { runRoots } from './src/notebook/params.ts';
import { loadDataset } from './src/data/datasets.ts';
const roots = runRoots(true, 'kernel-test');
const mnist = await loadDataset('mnist');`;

test('kernel_info_reply: status ok, no debugger, the TypeScript version, the checkout it serves', async () => {
  const r = await k.reply(k.send('kernel_info_request', {}));
  assert.equal(r.content.status, 'ok');
  assert.equal(r.content.debugger, false);
  assert.equal(r.content.language_info.name, 'typescript');
  assert.match(r.content.language_info.version, /^\d+\.\d+/);
  assert.ok(r.content.banner.includes(PROJECT_ROOT), r.content.banner);
});

test('an expression\'s value comes back as execute_result (Out[n]), not as stdout', async () => {
  const id = k.execute('6 * 7');
  const reply = await k.done(id);
  assert.equal(reply.content.status, 'ok');
  const result = k.outputs(id).find((m) => m.header.msg_type === 'execute_result');
  assert.ok(result, 'no execute_result');
  assert.equal(result.content.data['text/plain'], '42');
  assert.equal(result.content.execution_count, reply.content.execution_count);
  assert.equal(k.stdout(id), '');
  // statements and console.log still behave as before
  const id2 = k.execute('const answer = 6 * 7;\nconsole.log(`answer ${answer}`);');
  await k.done(id2);
  assert.equal(k.stdout(id2), 'answer 42\n');
  assert.equal(k.outputs(id2).filter((m) => m.header.msg_type === 'execute_result').length, 0);
});

test('a cell ending in an assignment shows no Out[n] (a stray Out[1]: \'auto\' in notebook 01); in brackets it does', async () => {
  const cases: Array<[string, string | undefined]> = [
    ["const BACKEND = process.env.DEEPAGREL_TEST_UNSET || 'auto'; process.env.DEEPAGREL_TEST_BACKEND = BACKEND;", undefined],
    ['let z = 1;\nz += 4', undefined],
    ['(z = 7)', '7'],
    ['z', '7'],
  ];
  for (const [code, out] of cases) {
    const id = k.execute(code);
    assert.equal((await k.done(id)).content.status, 'ok', k.stderrOf(id));
    const result = k.outputs(id).find((m) => m.header.msg_type === 'execute_result');
    assert.equal(result?.content.data['text/plain'], out, code);
    assert.equal(k.stdout(id), '', code);
  }
});

test('debug_request: JupyterLab\'s debugger gets answers (no debugger, nothing started) instead of a console error per cell', async () => {
  assert.equal((kernelSpec().metadata as { debugger?: boolean }).debugger, true, 'the kernelspec lets JupyterLab open a debug session');
  const ask = async (command: string) => {
    const r = await k.reply(k.send('debug_request', { type: 'request', seq: 7, command, arguments: {} }, 'control'), 5000);
    assert.equal(r.header.msg_type, 'debug_reply');
    assert.equal(r.content.request_seq, 7);
    assert.equal(r.content.command, command);
    return r.content;
  };
  const info = await ask('debugInfo');
  assert.equal(info.success, true);
  assert.equal(info.body.isStarted, false);
  assert.deepEqual([info.body.breakpoints, info.body.stoppedThreads], [[], []]);
  assert.deepEqual((await ask('modules')).body.modules, []);
  const start = await ask('initialize');
  assert.equal(start.success, false);
  assert.match(start.message, /has no debugger/);
  // cells still run
  const id = k.execute('1 + 2');
  await k.done(id);
  assert.equal(k.outputs(id).find((m) => m.header.msg_type === 'execute_result')?.content.data['text/plain'], '3');
});

test('history_request is answered: tail, range, search', async () => {
  const a = k.execute('const h1 = 1;'); await k.done(a);
  const b = k.execute('const h2 = h1 + 1;'); await k.done(b);
  const tail = await k.reply(k.send('history_request', { output: false, raw: true, hist_access_type: 'tail', n: 2 }), 5000);
  assert.equal(tail.header.msg_type, 'history_reply');
  assert.equal(tail.content.status, 'ok');
  assert.deepEqual(tail.content.history.map((h: unknown[]) => h[2]), ['const h1 = 1;', 'const h2 = h1 + 1;']);
  const [session, line] = tail.content.history[0];
  const range = await k.reply(k.send('history_request', { output: false, raw: true, hist_access_type: 'range', session, start: line, stop: line + 1 }), 5000);
  assert.deepEqual(range.content.history.map((h: unknown[]) => h[2]), ['const h1 = 1;']);
  const search = await k.reply(k.send('history_request', { output: false, raw: true, hist_access_type: 'search', pattern: 'const h2*', n: 10 }), 5000);
  assert.deepEqual(search.content.history.map((h: unknown[]) => h[2]), ['const h2 = h1 + 1;']);
});

test('a failing cell: one "error" output (ename, evalue, traceback), the same in the reply; compile errors too', async () => {
  const id = k.execute("throw new RangeError('deliberate ' + (40 + 2));");
  const reply = await k.done(id);
  assert.equal(reply.content.status, 'error');
  const outs = k.outputs(id).filter((m) => !['status', 'execute_input'].includes(m.header.msg_type));
  assert.deepEqual(outs.map((m) => m.header.msg_type), ['error']);
  assert.deepEqual([outs[0].content.ename, outs[0].content.evalue], ['RangeError', 'deliberate 42']);
  assert.deepEqual([reply.content.ename, reply.content.evalue], ['RangeError', 'deliberate 42']);
  await new Promise((r) => setTimeout(r, 400));
  const bad = k.execute("const n: number = 'text';");
  const badReply = await k.done(bad);
  assert.equal(badReply.content.ename, 'TSError');
  assert.match(badReply.content.traceback.join('\n'), /Type 'string' is not assignable to type 'number'/);
  await new Promise((r) => setTimeout(r, 400));
  // console.error in a cell is still plain stderr
  const warn = k.execute("console.error('just a warning');");
  assert.equal((await k.done(warn)).content.status, 'ok');
  assert.equal(k.stderrOf(warn), 'just a warning\n');
});

test('completion of Math.ma replaces "ma" (cursor_start after the dot)', async () => {
  const r = await k.reply(k.send('complete_request', { code: 'Math.ma', cursor_pos: 7 }));
  assert.ok(r.content.matches.includes('max'), JSON.stringify(r.content.matches));
  assert.equal(r.content.cursor_start, 5);
  assert.equal(r.content.cursor_end, 7);
});

test('busy until the last queued cell is done (Run All), then idle', async () => {
  const ids = [k.execute('await new Promise((r) => setTimeout(r, 1500));'), k.execute('const q2 = 2;'), k.execute('await new Promise((r) => setTimeout(r, 300));')];
  for (const id of ids) await k.done(id);
  const lastReply = Math.max(...(await Promise.all(ids.map((id) => k.reply(id)))).map((r) => r.at));
  const firstBusy = Math.min(...ids.map((id) => k.outputs(id).find((m) => m.content.execution_state === 'busy')!.at));
  const firstBusyIndex = k.iopub.findIndex((m) => m.at === firstBusy && m.content.execution_state === 'busy');
  const earlyIdle = k.iopub.filter((m, i) => i > firstBusyIndex && m.header.msg_type === 'status' && m.content.execution_state === 'idle' && m.at < lastReply);
  const trace = k.iopub.filter((m) => m.header.msg_type === 'status' && m.at >= firstBusy - 2000).map((m) => `${m.at} ${m.content.execution_state} ${m.parent_header.msg_type} ${ids.indexOf(m.parent_header.msg_id!)}`);
  assert.deepEqual(earlyIdle.map((m) => m.parent_header.msg_type), [], `idle reported while cells were still queued or running (last reply at ${lastReply}):\n${trace.join('\n')}`);
  for (const id of ids) assert.equal(k.outputs(id).filter((m) => m.content.execution_state === 'idle').length, 1, 'one idle per request');
});

let setupDone = false;
async function trainingSetup(): Promise<void> {
  if (setupDone) return;
  const setup = k.execute(TRAIN_SETUP);
  assert.equal((await k.done(setup, 120_000)).content.status, 'ok', k.stderrOf(setup));
  setupDone = true;
}

test('the first live curve updates per epoch while it trains', async () => {
  await trainingSetup();
  const id = k.execute(`const live = new LiveCurves({ title: 'kernel test' });
const cfg = resolvePreset('mnist-fc-deepagrel', { perClass: 40, maxEpochs: 4, patience: 4, valSize: 200, testLimit: 200 });
const res = await runExperiment(cfg, { seed: 1, dataset: mnist, experiment: 'live', resultsRoot: roots.resultsRoot, checkpointRoot: roots.checkpointRoot, events: live.events('first') });
res.network?.dispose();`);
  const reply = await k.done(id, 300_000);
  assert.equal(reply.content.status, 'ok', k.stderrOf(id));
  // each new version of the figure (between two, an update of another mime type: see redrawBundle)
  const updates = k.outputs(id).filter((m) => m.header.msg_type === 'update_display_data' && String(m.content.data['text/plain']).startsWith('<Plotly figure'));
  assert.ok(updates.length >= 4, `${updates.length} updates`);
  // Seconds per epoch, as the cell printed them: epochs 2–4 must show up as a spread of arrivals.
  const secs = [...k.stdout(id).matchAll(/epoch (\d+): .*, ([\d.]+) s\n/g)].map((m) => Number(m[2]));
  assert.equal(secs.length, 4, k.stdout(id));
  const expected = 1000 * (secs[1] + secs[2] + secs[3]);
  const epochUpdates = updates.slice(-4);
  const span = epochUpdates[3].at - epochUpdates[0].at;
  assert.ok(span >= 0.5 * expected, `epoch updates arrived within ${span} ms; epochs 2–4 took ${expected.toFixed(0)} ms`);
});

test('Kernel ▸ Interrupt (SIGINT) stops training within about a batch; record and checkpoint kept; kernel usable', async () => {
  await trainingSetup();
  const id = k.execute(`const long = resolvePreset('mnist-fc-deepagrel', { perClass: 300, maxEpochs: 40, patience: 40, valSize: 200, testLimit: 200 });
await runExperiment(long, { seed: 2, dataset: mnist, experiment: 'interrupt', resultsRoot: roots.resultsRoot, checkpointRoot: roots.checkpointRoot, events: new LiveCurves({ log: null }).events('long') });`);
  // wait until it trains (a few batches into epoch 2 when possible)
  await k.waitFor(() => k.outputs(id).filter((m) => m.header.msg_type === 'update_display_data').length >= 1, 120_000, 'the first epoch');
  await new Promise((r) => setTimeout(r, 1000));
  const sent = k.now();
  k.proc.kill('SIGINT');
  const reply = await k.done(id, 30_000);
  const latency = reply.at - sent;
  console.log(`# interrupt latency: ${latency} ms`);
  assert.ok(latency < 5000, `stopped ${latency} ms after the interrupt`);
  assert.equal(reply.content.status, 'error');
  // one line: an "error" output whose traceback is the message alone, nothing on stderr
  const errors = k.outputs(id).filter((m) => m.header.msg_type === 'error');
  assert.equal(errors.length, 1);
  assert.equal(errors[0].content.ename, 'InterruptedError');
  assert.equal(errors[0].content.traceback.length, 1, errors[0].content.traceback.join('\n'));
  assert.match(errors[0].content.traceback[0], /^Interrupted: mnist-fc-deepagrel-s2 stopped in epoch \d+ after batch \d+\/\d+; checkpoint written there; run it again to resume from that batch\./);
  assert.equal(k.stderrOf(id), '');
  assert.equal(reply.content.ename, 'InterruptedError');
  // the record says so, and is resumable (cells sent within 200 ms of an error are aborted, as with stop_on_error)
  await new Promise((r) => setTimeout(r, 400));
  const check = k.execute(`import { readRunFile } from './src/results/reader.ts';
const rec = readRunFile(roots.resultsRoot + '/interrupt/mnist-fc-deepagrel-s2.jsonl');
console.log(JSON.stringify({ interrupted: rec.interrupted, epochs: rec.epochs.length, end: rec.end ?? null }));
console.log(require('node:fs').existsSync(roots.checkpointRoot + '/interrupt/mnist-fc-deepagrel-s2.ckpt.json') || require('node:fs').readdirSync(roots.checkpointRoot + '/interrupt').join(','));`);
  assert.equal((await k.done(check)).content.status, 'ok', k.stderrOf(check));
  const [line1, line2] = k.stdout(check).trim().split('\n');
  const rec = JSON.parse(line1);
  assert.equal(rec.interrupted.type, 'interrupted');
  assert.equal(rec.interrupted.resumeAfterEpoch, rec.epochs);
  assert.ok(rec.epochs >= 1);
  assert.equal(rec.end, null);
  assert.ok(line2 === 'true' || /ckpt|mnist-fc-deepagrel-s2/.test(line2), `checkpoint: ${line2}`);
  // the kernel still runs cells
  const after = k.execute('1 + 1');
  await k.done(after);
  assert.equal(k.outputs(after).find((m) => m.header.msg_type === 'execute_result')?.content.data['text/plain'], '2');
  assert.ok(fs.existsSync(PROJECT_ROOT));
});
