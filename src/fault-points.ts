// Named places where the fault-injection tests kill this process: with DEEPAGREL_KILL_AT=name:k
// the k-th arrival at `name` sends SIGKILL to itself (after `before`, e.g. writing half a line,
// to leave a torn write behind). Without that variable, a no-op.

const spec = /^([\w:-]+):(\d+)$/.exec(process.env.DEEPAGREL_KILL_AT ?? '');
const hits = new Map<string, number>();

export function killPoint(name: string, before?: () => void): void {
  if (!spec || spec[1] !== name) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  if (n !== Number(spec[2])) return;
  before?.();
  process.kill(process.pid, 'SIGKILL');
}
