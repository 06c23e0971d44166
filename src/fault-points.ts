// Named places where the fault-injection tests kill or hold this process. Without the variables
// below, no-ops.
//   DEEPAGREL_KILL_AT=name:k    the k-th arrival at `name` sends SIGKILL to itself (after `before`,
//                               e.g. writing half a line, to leave a torn write behind).
//   DEEPAGREL_PAUSE_AT=name:k   the k-th arrival at `name` holds the process (up to 2 minutes) so a
//   DEEPAGREL_PAUSE_FILE=path   test can preempt it at a known place, on a machine of any speed. Only
//                               the process that creates `path` first pauses (it writes its pid,
//                               SLURM array task and `detail` there), so many workers may share it.
//                               Removing `path` lets the paused process go on (a slow step, e.g. a
//                               shared file system taking seconds, at a known place).
import * as fs from 'node:fs';

const parse = (v: string | undefined) => /^([\w:-]+):(\d+)$/.exec(v ?? '');
const kill = parse(process.env.DEEPAGREL_KILL_AT);
const pause = parse(process.env.DEEPAGREL_PAUSE_AT);
const hits = new Map<string, number>();

function arrived(spec: RegExpExecArray | null, name: string): boolean {
  if (!spec || spec[1] !== name) return false;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  return n === Number(spec[2]);
}

export function killPoint(name: string, before?: () => void): void {
  if (!arrived(kill, name)) return;
  before?.();
  process.kill(process.pid, 'SIGKILL');
}

export function pausePoint(name: string, detail = ''): void {
  const file = process.env.DEEPAGREL_PAUSE_FILE;
  if (!file || !arrived(pause, name)) return;
  const note = JSON.stringify({ pid: process.pid, task: process.env.SLURM_ARRAY_TASK_ID ?? null, detail });
  try { fs.writeFileSync(file, note, { flag: 'wx' }); } catch { return; }   // another process paused first
  const cell = new Int32Array(new SharedArrayBuffer(4)), until = Date.now() + 120_000;
  while (Date.now() < until && fs.existsSync(file)) Atomics.wait(cell, 0, 0, 20);
}
