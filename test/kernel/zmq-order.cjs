// Preloaded into the kernel by test/kernel/startup.test.ts (NODE_OPTIONS=--require): appends, per
// ZeroMQ socket of the kernel, when its bind starts and settles and when it is asked to receive, to
// the file in DEEPAGREL_ZMQ_LOG. A receive (or send) while a bind is unsettled throws EBUSY.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..', '..');
const tslabDir = path.dirname(require.resolve('tslab/package.json', { paths: [root] }));
const zmq = require(require.resolve('zeromq', { paths: [tslabDir] }));
const log = (line) => fs.appendFileSync(process.env.DEEPAGREL_ZMQ_LOG, `${line}\n`);
const ids = new WeakMap();
let count = 0;
const id = (sock) => { if (!ids.has(sock)) ids.set(sock, `${sock.constructor.name}#${count++}`); return ids.get(sock); };
for (const cls of ['Router', 'Publisher', 'Reply']) {
  const proto = zmq[cls].prototype;
  const { bind, receive } = proto;
  // The native methods are inherited read-only: shadow them on the class's own prototype.
  const shadow = (name, value) => Object.defineProperty(proto, name, { value, writable: true, configurable: true });
  shadow('bind', async function (address) {
    log(`${id(this)} bind-start`);
    try { return await bind.call(this, address); } finally { log(`${id(this)} bind-done`); }
  });
  if (receive) shadow('receive', function (...args) { log(`${id(this)} receive`); return receive.apply(this, args); });
}
