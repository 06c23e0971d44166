// This project's Jupyter kernel: tslab 1.0.22, started by the kernelspec that `npm run kernel`
// registers, as `node --import tsx scripts/tslab-kernel.ts --config-path <connection file>`.
//
// Why not plain tslab: our sources import each other as './x.ts' (tsconfig allowImportingTsExtensions)
// and stock tslab rejects that ("An import path can only end with a '.ts' extension..."). So:
//  1. tslab's compiler gets allowImportingTsExtensions. The option officially needs noEmit, but the
//     resulting complaint is a global diagnostic, which tslab does not report, and emit still works.
//  2. At run time a cell's require('./src/x.ts') misses tslab's own compiled copies (it only maps
//     extensionless paths) and falls through to Node, where tsx (--import tsx) loads the real file,
//     exactly as in the CLI and the tests: one module instance per file, import.meta.url works.
//  3. Type errors inside the project's src/ files are not reported in cells: src is checked by the
//     project's own tsc (5.9, strict); tslab's bundled TypeScript 5.0 would only add version noise.
//     Errors in the cell itself are reported as usual.
//  4. The id of the Jupyter client session (one page load of the notebook) that sent the running
//     cell is kept in a global for src/plots/display.ts: a reloaded page needs the Plotly bundle
//     again although the kernel, and its memory of having sent it, lives on.
//  5. Jupyter protocol gaps of tslab 1.0.22, closed here (issue 12):
//     - status: tslab answers execute requests concurrently (they queue inside it) and each sends
//       its own busy/idle, so JupyterLab showed "Idle" while queued cells still ran. Here an idle
//       is held back until no request is in flight, then all held ones go out in order.
//     - kernel_info_reply gets status "ok", debugger: false, the real TypeScript version, and a
//       banner naming the checkout this kernel serves.
//     - debug_request is answered (no debugger: see debugAnswer), so JupyterLab's debugger stops
//       logging "No active debugger session" for every executed cell.
//     - a notebook of another checkout gets one line per cell saying how to switch (wrongCheckout).
//     - a cell ending in an assignment shows no Out[n] (as IPython).
//     - history_request is answered (tail, range, search) from this kernel's own inputs.
//     - a cell's last expression comes back as an execute_result (Out[n]), not as stdout text.
//     - interrupt_request (control channel) is answered, for kernelspecs with interrupt_mode message.
//     - start-up binds every socket before receiving (tslab's order raced on a loaded machine).
//  6. Interrupt (SIGINT from Kernel ▸ Interrupt): a running training loop (src/train.ts) is asked
//     to stop through src/interrupt.ts; it stops within about a batch, keeps its checkpoint, marks
//     its record and ends the cell with one line. Only when no training runs (or it has not
//     stopped after a grace period) does tslab's own interrupt abandon the awaited cell.
// The patches go on a copy of tslab's TypeScript module (its exports are read-only getters),
// installed in require's cache before tslab loads it.

import { createRequire } from 'node:module';
import { createHmac, randomBytes } from 'node:crypto';
import { format, inspect } from 'node:util';
import { interruptSignal, requestInterrupt, runsListeningTo } from '../src/interrupt.ts';
import { readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const projectSrc = join(realpathSync(projectRoot), 'src') + sep;
const require = createRequire(join(projectRoot, 'package.json'));
const tslabDir = dirname(require.resolve('tslab/package.json'));
const tsPath = require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] });

interface Diagnostic { file?: { fileName: string } }
type Ts = Record<string, any>;

const internalsChanged = () => new Error(`scripts/tslab-kernel.ts adapts tslab 1.0.x; the tslab in ${tslabDir} has other internals`);

const ts = require(tsPath) as Ts;
if (typeof ts.createWatchCompilerHost !== 'function' || typeof ts.getPreEmitDiagnosticsOfFiles !== 'function') throw internalsChanged();
const patched = Object.getOwnPropertyDescriptors(ts);
patched.createWatchCompilerHost = {
  enumerable: true,
  value: (rootFiles: unknown, options: object, ...rest: unknown[]) =>
    ts.createWatchCompilerHost(rootFiles, { ...options, allowImportingTsExtensions: true }, ...rest),
};
patched.getPreEmitDiagnosticsOfFiles = {
  enumerable: true,
  value: (...args: unknown[]) =>
    (ts.getPreEmitDiagnosticsOfFiles(...args) as Diagnostic[]).filter((d) => !d.file || !isProjectSource(d.file.fileName)),
};
require.cache[tsPath]!.exports = Object.defineProperties({}, patched);

function isProjectSource(fileName: string): boolean {
  try {
    return realpathSync(fileName).startsWith(projectSrc); // notebooks reach src/ through a symlink
  } catch {
    return false; // the cell itself is a virtual file
  }
}

// Loaded only now: tslab's modules must find the patched TypeScript in the cache.
// A cell's last expression: tslab's converter names it (lastExpressionVar) and the executor prints it
// with console.log. Here the converter keeps the name for us, so the value becomes an execute_result.
const converterModule = require(join(tslabDir, 'dist', 'converter.js')) as { createConverter?: (...a: unknown[]) => { convert(...a: unknown[]): { lastExpressionVar?: string } } };
if (typeof converterModule.createConverter !== 'function') throw internalsChanged();
const createConverter = converterModule.createConverter;
let lastExpression: string | undefined;
let lastIsAssignment = false;
converterModule.createConverter = (...a: unknown[]) => {
  const conv = createConverter(...a);
  const convert = conv.convert.bind(conv);
  conv.convert = (...b: unknown[]) => {
    const out = convert(...b);
    lastExpression = out.lastExpressionVar;
    lastIsAssignment = !!out.lastExpressionVar && typeof b[1] === 'string' && endsWithAssignment(b[1]);
    if (out.lastExpressionVar) out.lastExpressionVar = undefined;
    return out;
  };
  return conv;
};

/** Does the cell end with an assignment statement (`x = 1;`, `env.A = B;`, `n += 1`)? As in IPython,
 *  that shows no Out[n] (a first cell ending in `process.env.X = 'auto'` printed 'auto', issue 30);
 *  in brackets, `(x = 1)`, it does. */
function endsWithAssignment(src: string): boolean {
  const file = ts.createSourceFile('cell.ts', src, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const last = file.statements[file.statements.length - 1];
  if (!last || !ts.isExpressionStatement(last) || !ts.isBinaryExpression(last.expression)) return false;
  const op = last.expression.operatorToken.kind;
  return op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment;
}

interface Header { msg_id?: string; msg_type: string; session?: string; username?: string }
interface TslabMessage { header: Header; content: Record<string, any>; createReply(): TslabMessage & { signAndSend(key: string, sock: unknown): void; content: unknown } }
type Writer = ((data: object, update: boolean) => void) & {
  executeResult?: (data: object, count: number) => void;
  error?: (e: CellError) => void;
  failed?: CellError;
};
interface CellError { ename: string; evalue: string; traceback: string[] }
interface ServerProto {
  connInfo: { key: string; signature_scheme?: string };
  iopub: unknown;
  handler: { handleExecute(content: object, ws: (n: string, t: string) => void, wd: Writer): Promise<Record<string, unknown>>; handleKernel(): Record<string, unknown>; executor: { interrupt(): void } };
  handleShellMessage(sock: unknown, ...frames: Buffer[]): Promise<void>;
  handleExecute(sock: unknown, msg: TslabMessage): Promise<void>;
  handleKernelInfo(sock: unknown, msg: TslabMessage): void;
  publishStatus(status: string, parent: TslabMessage): void;
}
const jupyterModule = require(join(tslabDir, 'dist', 'jupyter.js')) as {
  ZmqServer?: { prototype: ServerProto };
  JupyterHandlerImpl?: { prototype: { handleExecuteImpl(req: { code: string }, ws: unknown, wd: Writer): Promise<{ count: number }>; executor: { locals: Record<string, unknown> } } };
};
const { ZmqServer, JupyterHandlerImpl } = jupyterModule;
if (typeof ZmqServer?.prototype.handleExecute !== 'function' || typeof ZmqServer.prototype.publishStatus !== 'function'
  || typeof ZmqServer.prototype.handleShellMessage !== 'function' || typeof JupyterHandlerImpl?.prototype.handleExecuteImpl !== 'function') throw internalsChanged();

// --- status: busy from the first request until the last one is done
const publishStatus = ZmqServer.prototype.publishStatus;
let inFlight = 0;
const heldIdle: TslabMessage[] = [];
ZmqServer.prototype.publishStatus = function (status, parent) {
  if (status === 'busy') { inFlight++; publishStatus.call(this, status, parent); return; }
  if (status !== 'idle') { publishStatus.call(this, status, parent); return; }
  inFlight = Math.max(0, inFlight - 1);
  heldIdle.push(parent);
  if (inFlight > 0) return;
  for (const p of heldIdle.splice(0)) publishStatus.call(this, 'idle', p);
};

// --- history of this kernel's inputs: [session, line, source] (+ the Out[n] text)
const SESSION = 1;
const history: Array<[number, number, string]> = [];
const historyOut = new Map<number, string>();

// --- errors: tslab prints a failing cell's error (a thrown value, or compile diagnostics) with
// the console it was given at start (see below). Collected here, they become one Jupyter "error"
// output (ename, evalue, traceback), as front ends and nbclient expect, instead of stderr text.
let cellErrors: unknown[][] | null = null;
function executorError(...args: unknown[]): void {
  if (cellErrors) cellErrors.push(args);
  else console.error(...args);
}

/** Errors whose message is all the user needs (no stack): an interrupted run, another checkout's notebook. */
const ONE_LINE_ERRORS = new Set(['InterruptedError', 'WrongCheckout']);

function toCellError(collected: unknown[][]): CellError {
  const thrown = collected.length === 1 && collected[0].length === 1 ? collected[0][0] : undefined;
  if (thrown instanceof Error) {
    const lines = (thrown.stack ?? `${thrown.name}: ${thrown.message}`).split('\n');
    return { ename: thrown.name, evalue: thrown.message, traceback: ONE_LINE_ERRORS.has(thrown.name) ? [thrown.message] : lines };
  }
  if (collected.length === 1 && collected[0].length === 1) {
    return { ename: 'Error', evalue: inspect(thrown), traceback: [`Uncaught ${inspect(thrown)}`] };
  }
  const lines = collected.map((args) => format(...args));   // compile diagnostics, one per line
  return { ename: 'TSError', evalue: lines[0] ?? 'the cell did not compile', traceback: lines };
}

// --- which checkout: one kernel name ("deepagrel") serves every checkout, the last one registered
// with `npm run kernel`. Jupyter starts the kernel in the notebook's folder, and the notebook's cells
// import ./src/... from there: a notebook of another checkout would run that checkout's sources on
// this one's kernel, and fail with messages pointing elsewhere (issue 30). Every cell of such a
// notebook gets one line instead: which checkout this kernel serves, and how to switch.
const WRONG_CHECKOUT = wrongCheckout(process.cwd());

/** The DeepAGREL checkout a notebook folder belongs to: where its `src` link leads, else the
 *  enclosing checkout; undefined outside any checkout (a notebook anywhere else runs as usual). */
function checkoutOf(dir: string): string | undefined {
  const isCheckout = (d: string) => {
    try { return (JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: string }).name === 'deepagrel-workbook'; } catch { return false; }
  };
  try {
    const src = realpathSync(join(dir, 'src'));
    if (isCheckout(dirname(src))) return dirname(src);
  } catch { /* no src here */ }
  for (let d = realpathSync(dir); ; d = dirname(d)) {
    if (isCheckout(d)) return d;
    if (dirname(d) === d) return undefined;
  }
}

function wrongCheckout(cwd: string): string | undefined {
  let other: string | undefined;
  try { other = checkoutOf(cwd); } catch { return undefined; }
  const own = realpathSync(projectRoot);
  if (!other || other === own) return undefined;
  return `This kernel runs the DeepAGREL checkout ${own}, but this notebook belongs to the checkout ${other}. `
    + `To run it, register that checkout's kernel: cd ${other} && npm run kernel, then Kernel ▸ Restart Kernel.`;
}

// --- execute: session id for src/plots/display.ts, Out[n] for the last expression
const handleExecuteImpl = JupyterHandlerImpl.prototype.handleExecuteImpl;
JupyterHandlerImpl.prototype.handleExecuteImpl = async function (req, ws, wd) {
  // Another checkout's notebook: the cell fails with the one line (as a thrown error, so the
  // execution count, the error output and the reply come out as for any failing cell).
  const run = WRONG_CHECKOUT ? { ...req, code: `throw Object.assign(new Error(${JSON.stringify(WRONG_CHECKOUT)}), { name: 'WrongCheckout' });` } : req;
  lastExpression = undefined;
  let count: { count: number };
  cellErrors = [];
  try {
    count = await handleExecuteImpl.call(this, run, ws, wd);
  } catch (e) {
    if (typeof (e as { count?: unknown })?.count === 'number') history.push([SESSION, (e as { count: number }).count, req.code]);
    if (cellErrors.length) { wd.failed = toCellError(cellErrors); wd.error?.(wd.failed); }
    throw e;
  } finally {
    cellErrors = null;
  }
  history.push([SESSION, count.count, req.code]);
  const name = lastExpression;
  const assignment = lastIsAssignment;
  lastExpression = undefined;
  if (name) {
    const locals = this.executor.locals;
    const value = locals[name];
    delete locals[name];
    if (value !== undefined && value !== null && !assignment) {
      const text = inspect(value, { depth: 4 });
      historyOut.set(count.count, text);
      wd.executeResult?.({ 'text/plain': text }, count.count);
    }
  }
  return count;
};
ZmqServer.prototype.handleExecute = async function (sock, msg) {
  (globalThis as Record<symbol, unknown>)[Symbol.for('deepagrel.jupyterClientSession')] = msg?.header?.session;
  const key = this.connInfo.key;
  const writeStream = (name: string, text: string) => {
    const out = msg.createReply();
    out.header.msg_type = 'stream';
    out.content = { name, text };
    out.signAndSend(key, this.iopub);
  };
  const writeDisplayData: Writer = (data, update) => {
    const out = msg.createReply();
    out.header.msg_type = update ? 'update_display_data' : 'display_data';
    out.content = data;
    out.signAndSend(key, this.iopub);
  };
  writeDisplayData.executeResult = (data, count) => {
    const out = msg.createReply();
    out.header.msg_type = 'execute_result';
    out.content = { execution_count: count, data, metadata: {} };
    out.signAndSend(key, this.iopub);
  };
  writeDisplayData.error = (e) => {
    const out = msg.createReply();
    out.header.msg_type = 'error';
    out.content = e;
    out.signAndSend(key, this.iopub);
  };
  const content = await this.handler.handleExecute(msg.content, writeStream, writeDisplayData);
  const reply = msg.createReply();
  reply.header.msg_type = 'execute_reply';
  reply.content = content.status === 'ok' ? { ...content, payload: [], user_expressions: {} } : content.status === 'error'
    ? { ...(writeDisplayData.failed ?? { ename: 'Error', evalue: 'the cell failed (see its output)', traceback: [] }), ...content } : content;
  reply.signAndSend(key, sock);
};

// --- kernel_info: status, no debugger, the real TypeScript version, which checkout this is
const tsVersion = String(ts.version ?? '');
ZmqServer.prototype.handleKernelInfo = function (sock, msg) {
  const reply = msg.createReply();
  reply.header.msg_type = 'kernel_info_reply';
  const base = this.handler.handleKernel();
  reply.content = {
    ...base, status: 'ok', debugger: false, protocol_version: '5.3',
    language_info: { ...(base.language_info as object), version: tsVersion },
    banner: `TypeScript ${tsVersion} (tslab) — DeepAGREL workbook at ${projectRoot}`,
  };
  reply.signAndSend(this.connInfo.key, sock);
};

// --- requests tslab does not know: history_request, interrupt_request, debug_request
const DELIM = Buffer.from('<IDS|MSG>');
const OWN_REQUESTS = new Set(['history_request', 'interrupt_request', 'debug_request']);
const handleShellMessage = ZmqServer.prototype.handleShellMessage;
ZmqServer.prototype.handleShellMessage = async function (sock, ...frames) {
  const msgType = peekType(frames);
  if (!msgType || !OWN_REQUESTS.has(msgType)) return handleShellMessage.call(this, sock, ...frames);
  let msg: Message;
  try { msg = Message.parse(this.connInfo.key, frames); } catch (e) { console.warn(`ignored a ${msgType}: ${(e as Error).message}`); return; }
  this.publishStatus('busy', msg);
  try {
    const reply = msg.createReply();
    if (msgType === 'history_request') {
      reply.header.msg_type = 'history_reply';
      reply.content = { status: 'ok', history: historyAnswer(msg.content) };
    } else if (msgType === 'debug_request') {
      reply.header.msg_type = 'debug_reply';
      reply.content = debugAnswer(msg.content);
    } else {
      reply.header.msg_type = 'interrupt_reply';
      reply.content = { status: 'ok' };
      interruptKernel(this);
    }
    reply.signAndSend(this.connInfo.key, sock);
  } finally {
    this.publishStatus('idle', msg);
  }
};

// --- start-up: bind every socket, then receive. tslab's init starts its receive loops first and
// binds all five sockets at once; on a loaded machine a request can arrive before a bind's promise
// has settled, and the next receive (or a send) on a socket zeromq still marks as binding throws
// EBUSY ("Socket is blocked by a bind or unbind operation"). That kills the shell loop, and the
// client waits in vain ("Kernel didn't respond in 120 seconds"). Incoming messages wait in
// ZeroMQ's queues meanwhile, so nothing is lost by binding first.
type ZmqSocket = AsyncIterable<Buffer[]> & { send(m: unknown): Promise<void> };
const zmq = require(require.resolve('zeromq', { paths: [tslabDir] })) as Record<string, new () => ZmqSocket>;
if (typeof (ZmqServer.prototype as any).init !== 'function' || typeof (ZmqServer.prototype as any).bindSocket !== 'function'
  || typeof zmq.Router !== 'function') throw internalsChanged();
(ZmqServer.prototype as any).init = async function (this: ServerProto & Record<string, any>) {
  const cinfo = JSON.parse(readFileSync(this.configPath, 'utf-8'));
  this.connInfo = cinfo;
  this.iopub = new zmq.Publisher(); this.shell = new zmq.Router(); this.control = new zmq.Router();
  this.stdin = new zmq.Router(); this.hb = new zmq.Reply();
  await Promise.all([[this.iopub, cinfo.iopub_port], [this.shell, cinfo.shell_port], [this.control, cinfo.control_port],
    [this.stdin, cinfo.stdin_port], [this.hb, cinfo.hb_port]].map(([sock, port]) => this.bindSocket(sock, port)));
  const serve = async (sock: ZmqSocket, each: (frames: Buffer[]) => unknown) => { for await (const frames of sock) await each(frames); };
  // As tslab: shell and control requests are handled concurrently (not awaited), heartbeats echoed.
  void serve(this.shell, frames => { void this.handleShellMessage(this.shell, ...frames); });
  void serve(this.control, frames => { void this.handleShellMessage(this.control, ...frames); });
  void serve(this.hb, frames => this.hb.send(frames));
};

/** The msg_type of a raw message, without verifying it. */
function peekType(frames: Buffer[]): string | undefined {
  const i = frames.findIndex((f) => f.equals(DELIM));
  if (i < 0 || frames.length < i + 3) return undefined;
  try { return (JSON.parse(frames[i + 2].toString()) as Header).msg_type; } catch { return undefined; }
}

/** A Jupyter wire message (the same shape as tslab's own, which it does not export). */
class Message {
  identity: Buffer[] = [];
  header: Header = { msg_type: '' };
  parent: object = {};
  metadata: object = {};
  content: any = {};

  static parse(key: string, frames: Buffer[]): Message {
    const m = new Message();
    const i = frames.findIndex((f) => f.equals(DELIM));
    if (i < 0) throw new Error('message missing delimiter');
    m.identity = frames.slice(0, i);
    const signature = frames[i + 1].toString();
    const parts = frames.slice(i + 2);
    if (key) {
      const hmac = createHmac('sha256', key);
      for (const p of parts) hmac.update(p);
      if (hmac.digest('hex') !== signature) throw new Error('invalid signature');
    }
    [m.header, m.parent, m.metadata, m.content] = parts.slice(0, 4).map((p) => JSON.parse(p.toString()));
    return m;
  }

  createReply(): Message {
    const r = new Message();
    r.identity = this.identity;
    r.header = { msg_id: randomBytes(16).toString('hex'), msg_type: this.header.msg_type, session: this.header.session, username: this.header.username,
      ...{ version: '5.3', date: new Date().toISOString() } };
    r.parent = this.header;
    return r;
  }

  signAndSend(key: string, sock: unknown): void {
    const bodies = [this.header, this.parent, this.metadata, this.content].map((x) => JSON.stringify(x));
    const hmac = createHmac('sha256', key);
    for (const b of bodies) hmac.update(b);
    (sock as { send(frames: Array<Buffer | string>): unknown }).send([...this.identity, DELIM, key ? hmac.digest('hex') : '', ...bodies]);
  }
}

// --- debug_request: there is no debugger, and the answers say so. JupyterLab 4.6 calls its
// debugger's displayModules() after every execute_reply of a notebook, and for a kernel it has no
// debug session with (kernelspec without metadata.debugger) that throws "No active debugger
// session" into the browser console, once per executed cell (issue 30). With metadata.debugger in
// the kernelspec (scripts/kernel.ts) it opens a session instead, and asks: debugInfo (answered: not
// started, nothing to restore), modules and inspectVariables (none). Starting the debugger
// (initialize, from the bug icon) is refused with one line saying why.
const NO_DEBUGGER = 'The DeepAGREL TypeScript kernel (tslab) has no debugger: use console.log in a cell, '
  + 'or run the code from a terminal under node --inspect.';
let debugSeq = 0;
function debugAnswer(request: { seq?: number; command?: string }): Record<string, unknown> {
  const base = { type: 'response', seq: ++debugSeq, request_seq: request.seq ?? 0, command: request.command ?? '' };
  switch (request.command) {
    case 'debugInfo':
      return { ...base, success: true, body: { isStarted: false, hashMethod: 'Murmur2', hashSeed: 0, tmpFilePrefix: join(tmpdir(), 'deepagrel-no-debugger-'),
        tmpFileSuffix: '.ts', breakpoints: [], stoppedThreads: [], richRendering: false, exceptionPaths: [], copyToGlobals: false } };
    case 'modules': return { ...base, success: true, body: { modules: [], totalModules: 0 } };
    case 'inspectVariables': return { ...base, success: true, body: { variables: [] } };
    default: return { ...base, success: false, message: NO_DEBUGGER, body: {} };
  }
}

function historyAnswer(c: Record<string, any>): Array<[number, number, string | [string, string | null]]> {
  const entries = historyEntries(c);
  return c.output ? entries.map(([s, line, src]) => [s, line, [src, historyOut.get(line) ?? null]]) : entries;
}

function historyEntries(c: Record<string, any>): Array<[number, number, string]> {
  const n = Number.isInteger(c.n) && c.n > 0 ? c.n : history.length;
  if (c.hist_access_type === 'tail') return history.slice(-n);
  if (c.hist_access_type === 'range') {
    const start = Number.isInteger(c.start) ? c.start : 0;
    const stop = Number.isInteger(c.stop) && c.stop > 0 ? c.stop : Infinity;
    return history.filter(([s, line]) => (c.session === undefined || c.session === SESSION || c.session <= 0) && s === SESSION && line >= start && line < stop);
  }
  if (c.hist_access_type === 'search') {
    const pattern = globRegExp(String(c.pattern ?? '*'));
    let found = history.filter(([, , src]) => pattern.test(src));
    if (c.unique) found = found.filter((h, i) => found.findIndex((g) => g[2] === h[2]) === i);
    return found.slice(-n);
  }
  return [];
}

/** Time a training loop gets to stop before tslab abandons the cell the way it always did
 *  (DEEPAGREL_INTERRUPT_GRACE_MS: the tests shorten it). */
const INTERRUPT_GRACE_MS = Number(process.env.DEEPAGREL_INTERRUPT_GRACE_MS) > 0 ? Number(process.env.DEEPAGREL_INTERRUPT_GRACE_MS) : 20_000;
let tslabInterrupt: Array<(...args: any[]) => void> = [];

function interruptKernel(_server?: unknown): void {
  const abandonCell = () => { for (const l of tslabInterrupt) l('SIGINT'); };
  // The runs this interrupt stops are the ones listening to the signal it aborts. The grace timer
  // looks at those only: a run started after the interrupt (the cell re-run at once) listens to a
  // fresh signal, and abandoning its cell would leave it training unseen (issue 30, point 1).
  const stopping = interruptSignal();
  if (requestInterrupt('Kernel interrupt') === 0) { abandonCell(); return; }
  setTimeout(() => { if (runsListeningTo(stopping) > 0) abandonCell(); }, INTERRUPT_GRACE_MS).unref();
}

function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${body}$`);
}

const args = process.argv.slice(2);
const configPath = args[args.indexOf('--config-path') + 1];
if (!args.includes('--config-path') || !configPath) {
  console.error('usage: node --import tsx scripts/tslab-kernel.ts --config-path <connection file>  (started by Jupyter)');
  process.exit(2);
}
const { startKernel } = require(join(tslabDir, 'dist', 'main.js')) as {
  startKernel(opts: { configPath: string; enableFindLocal: boolean; jsKernel: boolean }): void;
};
const before = new Set(process.listeners('SIGINT'));
// tslab hands its executor { log: console.log, error: console.error } as they are now: its error
// printer becomes ours for that moment only; cells keep the real console.error.
const consoleError = console.error;
console.error = executorError;
try {
  startKernel({ configPath, enableFindLocal: false, jsKernel: false });
} finally {
  console.error = consoleError;
}
// tslab's SIGINT handler rejects the awaited cell at once, leaving its work running in the
// background. Ours asks the training loop to stop first (see 6. above).
tslabInterrupt = process.listeners('SIGINT').filter((l) => !before.has(l)) as Array<(...args: any[]) => void>;
for (const l of tslabInterrupt) process.off('SIGINT', l);
process.on('SIGINT', () => interruptKernel());

