// A small Jupyter client for the kernel tests: starts this checkout's kernel launcher
// (scripts/tslab-kernel.ts, as the kernelspec does) on a fresh connection file and speaks the
// wire protocol over ZeroMQ (the zeromq package tslab itself uses). No Python, no Jupyter needed.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(PROJECT_ROOT, 'package.json'));
const tslabDir = dirname(require.resolve('tslab/package.json'));
const zmq = createRequire(join(tslabDir, 'package.json'))('zeromq') as typeof import('zeromq');

const DELIM = '<IDS|MSG>';

export interface Msg {
  header: { msg_id: string; msg_type: string; session?: string };
  parent_header: { msg_id?: string; msg_type?: string };
  metadata: Record<string, unknown>;
  content: any;
  /** ms since the client started, when it arrived */
  at: number;
  channel: 'shell' | 'iopub' | 'control';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export class KernelClient {
  readonly iopub: Msg[] = [];
  readonly replies: Msg[] = [];
  readonly stderr: string[] = [];
  private readonly t0 = Date.now();
  private readonly session = randomBytes(8).toString('hex');
  private waiters: Array<() => void> = [];
  private closed = false;

  private constructor(
    readonly proc: ChildProcess, private readonly key: string, private readonly dir: string,
    private readonly shell: import('zeromq').Dealer, private readonly control: import('zeromq').Dealer,
    private readonly sub: import('zeromq').Subscriber,
  ) {}

  /** Start the kernel in `cwd` (default: notebooks/, where cells import ./src/...). */
  static async start(cwd = join(PROJECT_ROOT, 'notebooks'), env: NodeJS.ProcessEnv = {}): Promise<KernelClient> {
    const dir = mkdtempSync(join(tmpdir(), 'deepagrel-kernel-test-'));
    const key = randomBytes(16).toString('hex');
    const ports = { shell_port: await freePort(), iopub_port: await freePort(), stdin_port: await freePort(), control_port: await freePort(), hb_port: await freePort() };
    const conn = join(dir, 'connection.json');
    writeFileSync(conn, JSON.stringify({ ...ports, ip: '127.0.0.1', transport: 'tcp', signature_scheme: 'hmac-sha256', key, kernel_name: 'deepagrel' }));
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const proc = spawn(process.execPath, ['--import', tsx, join(PROJECT_ROOT, 'scripts', 'tslab-kernel.ts'), '--config-path', conn],
      { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const shell = new zmq.Dealer({ routingId: `shell-${randomBytes(4).toString('hex')}` });
    const control = new zmq.Dealer({ routingId: `control-${randomBytes(4).toString('hex')}` });
    const sub = new zmq.Subscriber();
    shell.connect(`tcp://127.0.0.1:${ports.shell_port}`);
    control.connect(`tcp://127.0.0.1:${ports.control_port}`);
    sub.connect(`tcp://127.0.0.1:${ports.iopub_port}`);
    sub.subscribe();
    const client = new KernelClient(proc, key, dir, shell, control, sub);
    proc.stderr!.on('data', (d: Buffer) => client.stderr.push(d.toString()));
    proc.stdout!.on('data', (d: Buffer) => client.stderr.push(d.toString()));
    proc.on('exit', () => client.notify());
    void client.pump(shell, 'shell', client.replies);
    void client.pump(control, 'control', client.replies);
    void client.pump(sub, 'iopub', client.iopub);
    // The kernel is up once it answers; iopub subscriptions take a moment (slow joiner), so wait
    // until a status message of ours has come through as well.
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`kernel exited (${proc.exitCode}): ${client.stderr.join('')}`);
      const id = client.send('kernel_info_request', {});
      try {
        await client.waitFor(() => client.iopub.some((m) => m.parent_header.msg_id === id), 2000);
        await client.reply(id, 5000);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`kernel did not answer: ${client.stderr.join('')}`, { cause: e });
      }
    }
    return client;
  }

  private async pump(sock: import('zeromq').Dealer | import('zeromq').Subscriber, channel: Msg['channel'], into: Msg[]): Promise<void> {
    try {
      for await (const frames of sock) {
        const i = frames.findIndex((f) => f.toString() === DELIM);
        if (i < 0) continue;
        const [header, parent_header, metadata, content] = frames.slice(i + 2, i + 6).map((f) => JSON.parse(f.toString()));
        into.push({ header, parent_header, metadata, content, at: Date.now() - this.t0, channel });
        this.notify();
      }
    } catch { /* closed */ }
  }

  private notify(): void { for (const w of this.waiters.splice(0)) w(); }

  /** Resolves once `pred` holds (checked on every message), rejects after `ms`. */
  async waitFor(pred: () => boolean, ms: number, what = 'condition'): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (this.closed) throw new Error('client closed');
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}; kernel stderr: ${this.stderr.join('').slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  send(msgType: string, content: object, channel: 'shell' | 'control' = 'shell'): string {
    const header = { msg_id: randomBytes(12).toString('hex'), msg_type: msgType, session: this.session, username: 'test', date: new Date().toISOString(), version: '5.3' };
    const parts = [header, {}, {}, content].map((x) => JSON.stringify(x));
    const hmac = createHmac('sha256', this.key);
    for (const p of parts) hmac.update(p);
    void (channel === 'shell' ? this.shell : this.control).send([DELIM, hmac.digest('hex'), ...parts]);
    return header.msg_id;
  }

  execute(code: string): string {
    return this.send('execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
  }

  async reply(id: string, ms = 30_000): Promise<Msg> {
    await this.waitFor(() => this.replies.some((m) => m.parent_header.msg_id === id), ms, `the reply to ${id}`);
    return this.replies.find((m) => m.parent_header.msg_id === id)!;
  }

  /** iopub messages whose parent is `id`. */
  outputs(id: string): Msg[] { return this.iopub.filter((m) => m.parent_header.msg_id === id); }

  /** Waits for the reply and the idle status of a request; returns the reply. */
  async done(id: string, ms = 60_000): Promise<Msg> {
    const r = await this.reply(id, ms);
    await this.waitFor(() => this.outputs(id).some((m) => m.header.msg_type === 'status' && m.content.execution_state === 'idle'), ms, `idle after ${id}`);
    return r;
  }

  /** stdout text of a request. */
  stdout(id: string): string {
    return this.outputs(id).filter((m) => m.header.msg_type === 'stream' && m.content.name === 'stdout').map((m) => m.content.text).join('');
  }

  stderrOf(id: string): string {
    return this.outputs(id).filter((m) => m.header.msg_type === 'stream' && m.content.name === 'stderr').map((m) => m.content.text).join('');
  }

  now(): number { return Date.now() - this.t0; }

  async close(): Promise<void> {
    if (this.closed) return;
    // As Jupyter does: ask the kernel to shut down (it then exits and removes its QUICK-mode
    // temporary folders), and kill it only if it has not exited after a few seconds.
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
      this.send('shutdown_request', { restart: false }, 'control');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
    this.closed = true;
    this.proc.kill('SIGKILL');
    for (const s of [this.shell, this.control, this.sub]) s.close();
    rmSync(this.dir, { recursive: true, force: true });
    this.notify();
  }
}
