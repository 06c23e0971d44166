// Kernel start-up order: every ZeroMQ socket is bound before the kernel receives on any. tslab's own
// start-up receives first and binds all sockets at once; on a loaded machine a request could then
// arrive before a bind had settled, the next receive threw EBUSY, and the client waited in vain
// ("Kernel didn't respond in 120 seconds", seen in CI with training beside it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KernelClient } from './client.ts';
import { tempDir } from '../tmp-dir.ts';

test('the kernel binds all its sockets before it receives on any, and answers kernel_info', async () => {
  const dir = tempDir('deepagrel-zmq-order-');
  const log = path.join(dir, 'zmq.log');
  const preload = fileURLToPath(new URL('./zmq-order.cjs', import.meta.url));
  const k = await KernelClient.start(undefined, { NODE_OPTIONS: `--require ${preload}`, DEEPAGREL_ZMQ_LOG: log });
  try {
    const r = await k.reply(k.send('kernel_info_request', {}));
    assert.equal(r.content.status, 'ok');
  } finally { await k.close(); }
  const events = fs.readFileSync(log, 'utf8').trim().split('\n');
  const lastBind = events.map((e) => e.endsWith(' bind-done')).lastIndexOf(true);
  const firstReceive = events.findIndex((e) => e.endsWith(' receive'));
  assert.equal(events.filter((e) => e.endsWith(' bind-done')).length, 5, events.join('\n'));
  assert.ok(firstReceive > lastBind, `a receive before the last bind settled:\n${events.join('\n')}`);
  fs.rmSync(dir, { recursive: true, force: true });
});
