// Kernel ▸ Shut Down in JupyterLab sends a shutdown_request: the kernel then exits by itself, and
// the temporary folders of QUICK-mode runs go with it (a killed kernel leaves them in /tmp).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KernelClient } from './client.ts';

test('shutdown_request: the kernel replies, exits 0 within seconds, and removes its QUICK-mode folder', { timeout: 120_000 }, async () => {
  const k = await KernelClient.start();
  try {
    const id = k.execute(`import { runRoots } from './src/notebook/params.ts';
const roots = runRoots(true, 'shutdown-test');
console.log(roots.resultsRoot);`);
    await k.done(id);
    const dir = path.dirname(k.stdout(id).trim());
    assert.match(path.basename(dir), /^deepagrel-quick-shutdown-test-/);
    assert.ok(fs.existsSync(dir), `${dir} should exist while the kernel runs`);
    const exited = new Promise<number | null>((resolve) => k.proc.once('exit', (code) => resolve(code)));
    const reply = await k.reply(k.send('shutdown_request', { restart: false }, 'control'));
    assert.equal(reply.header.msg_type, 'shutdown_reply');
    assert.equal(await Promise.race([exited, sleep(15_000).then(() => 'still running after 15 s')]), 0);
    assert.ok(!fs.existsSync(dir), `${dir} is left behind`);
  } finally { await k.close(); }
});
