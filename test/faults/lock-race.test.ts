// Defect 5 of issue 16: processes released together on a dead process's lock (SLURM array tasks
// restarted after a node crash) must take it over exactly once, never both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../tmp-dir.ts';

const contender = fileURLToPath(new URL('./lock-contender.ts', import.meta.url));
const TRIALS = 40, CONTENDERS = 4, DEAD_PID = 2 ** 22 + 12345;   // above Linux's largest pid_max

test(`${CONTENDERS} processes racing on ${TRIALS} stale locks: each taken over by exactly one`, { timeout: 60_000 }, async () => {
  const dir = tempDir('deepagrel-lockrace-');
  for (let t = 0; t < TRIALS; t++) fs.writeFileSync(path.join(dir, `${t}.lock`), JSON.stringify({ host: os.hostname(), pid: DEAD_PID, since: 'then' }));
  const kids = Array.from({ length: CONTENDERS }, () => spawn(process.execPath, [...process.execArgv, contender, dir, String(TRIALS)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const outputs = kids.map(k => { let s = ''; k.stdout!.on('data', d => { s += d; }); return { k, get text() { return s; } }; });
  // Release everyone at once, once all are loaded.
  await Promise.all(outputs.map(o => new Promise<void>(r => { const t = setInterval(() => { if (o.text.startsWith('ready')) { clearInterval(t); r(); } }, 10); })));
  const go = `go ${Date.now() + 300} 25\n`;
  for (const k of kids) k.stdin!.write(go);
  await Promise.all(kids.map(k => new Promise(r => k.on('close', r))));
  const winners = new Array(TRIALS).fill(0);
  for (const o of outputs) for (const line of o.text.split('\n').slice(1).filter(Boolean)) {
    const [t, result] = line.split(' ');
    assert.match(result, /^(ok|locked)$/, line);
    if (result === 'ok') winners[Number(t)]++;
  }
  const doubled = winners.filter(w => w > 1).length, none = winners.filter(w => w === 0).length;
  assert.equal(doubled, 0, `${doubled} of ${TRIALS} stale locks were taken over by more than one process`);
  assert.equal(none, 0, `${none} of ${TRIALS} stale locks were taken over by nobody`);
  assert.deepEqual(fs.readdirSync(dir).filter(f => !/^\d+\.lock$/.test(f)), [], 'no takeover markers or temp files left');
});
