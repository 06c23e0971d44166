// The download path against a local HTTP server on 127.0.0.1 serving synthetic official-layout files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../src/data/errors.ts';
import { md5 } from '../../src/data/checksums.ts';
import { encodeIdx } from '../../src/data/idx.ts';
import { downloadFile, type DownloadProgress } from '../../src/data/download.ts';
import { loadDataset } from '../../src/data/datasets.ts';
import { cifarRecords, labelsFor, makeTar, randomBytes, tempDir } from './synth.ts';

for (const v of ['DEEPAGREL_DATA', 'DEEPAGREL_CACHE', 'DEEPAGREL_DATA_URL', 'DEEPAGREL_OFFLINE']) delete process.env[v];

// Fashion-MNIST-layout files, gzipped, as the official host serves them.
const files = new Map<string, Uint8Array>([
  ['train-images-idx3-ubyte.gz', gzipSync(encodeIdx([30, 28, 28], randomBytes(30 * 784, 1)))],
  ['train-labels-idx1-ubyte.gz', gzipSync(encodeIdx([30], labelsFor(30, 10, 2)))],
  ['t10k-images-idx3-ubyte.gz', gzipSync(encodeIdx([10, 28, 28], randomBytes(10 * 784, 3)))],
  ['t10k-labels-idx1-ubyte.gz', gzipSync(encodeIdx([10], labelsFor(10, 10, 4)))],
  ['cifar-10-binary.tar.gz', gzipSync(makeTar([
    { name: 'cifar-10-batches-bin/data_batch_1.bin', data: cifarRecords('cifar10', 12, 5).bytes },
    { name: 'cifar-10-batches-bin/test_batch.bin', data: cifarRecords('cifar10', 4, 6).bytes },
  ]))],
  ['big.bin', randomBytes(200_000, 7)],
]);
const checksums = Object.fromEntries([...files].map(([name, data]) => [name, md5(data)]));

interface Running { base: string; requests: string[]; server: Server }

/** /files/<name> serves a file; /cut/<name> stops half-way; /redirect/<name> redirects to /files/. */
async function serve(t: { after: (fn: () => Promise<void> | void) => void }): Promise<Running> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const [, mode, name] = (req.url ?? '').split('/');
    const data = files.get(name);
    if (!data) { res.writeHead(404).end('not found'); return; }
    if (mode === 'redirect') { res.writeHead(302, { location: `/files/${name}` }).end(); return; }
    res.writeHead(200, { 'content-length': data.length, 'content-type': 'application/octet-stream' });
    if (mode === 'cut') {
      res.write(data.subarray(0, data.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { base: `http://127.0.0.1:${port}`, requests, server };
}

test('good checksum: files land in the cache under their official names, then load from there', async (t) => {
  const { base, requests } = await serve(t);
  const cache = tempDir(t);
  const progress: DownloadProgress[] = [];
  const ds = await loadDataset('fashion-mnist', { cacheDir: cache, baseUrl: `${base}/files`, checksums, onProgress: (p) => progress.push(p) });
  assert.equal(ds.sourceKind, 'download');
  assert.deepEqual([ds.train.n, ds.test.n], [30, 10]);
  assert.equal(ds.verification, 'md5');
  assert.deepEqual(readdirSync(join(cache, 'fashion-mnist')).sort(),
    ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
  assert.equal(md5(readFileSync(join(cache, 'fashion-mnist', 'train-images-idx3-ubyte.gz'))), checksums['train-images-idx3-ubyte.gz']);
  assert.equal(requests.length, 4);
  const done = progress.filter((p) => p.done).map((p) => p.file).sort();
  assert.equal(done.length, 4);
  assert.ok(progress.some((p) => p.total === files.get('train-images-idx3-ubyte.gz')!.length));

  const again = await loadDataset('fashion-mnist', { cacheDir: cache, baseUrl: `${base}/files`, checksums });
  assert.equal(again.sourceKind, 'cache');
  assert.equal(requests.length, 4, 'no second download');
});

test('redirects are followed; a CIFAR archive downloads and loads', async (t) => {
  const { base, requests } = await serve(t);
  const cache = tempDir(t);
  const ds = await loadDataset('cifar10', { cacheDir: cache, baseUrl: `${base}/redirect/`, checksums });
  assert.deepEqual([ds.train.n, ds.test.n], [12, 4]);
  assert.deepEqual(requests, ['/redirect/cifar-10-binary.tar.gz', '/files/cifar-10-binary.tar.gz']);
  assert.ok(existsSync(join(cache, 'cifar10', 'cifar-10-binary.tar.gz')));
});

test('bad checksum: error names URL, expected and found MD5; nothing left in the cache', async (t) => {
  const { base } = await serve(t);
  const dir = tempDir(t);
  const dest = join(dir, 'sub', 'big.bin');
  await assert.rejects(downloadFile(`${base}/files/big.bin`, dest, { md5: '0'.repeat(32), onProgress: () => {} }), (err: unknown) => {
    assert.ok(err instanceof DataError);
    assert.match(err.message, /big\.bin: downloaded file checksum mismatch; expected MD5 0{32}; found MD5 [0-9a-f]{32}/);
    return true;
  });
  assert.deepEqual(readdirSync(join(dir, 'sub')), []);

  // Through loadDataset: the official Fashion-MNIST MD5s do not match our synthetic files.
  const cache = tempDir(t);
  await assert.rejects(loadDataset('fashion-mnist', { cacheDir: cache, baseUrl: `${base}/files` }),
    /train-images-idx3-ubyte\.gz: downloaded file checksum mismatch; expected MD5 8d4fb7e6c68d591d4c3dfef9ec88bf0d/);
  assert.deepEqual(readdirSync(join(cache, 'fashion-mnist')), []);
});

test('connection cut half-way: clear error, no partial file under any name', async (t) => {
  const { base } = await serve(t);
  const dir = tempDir(t);
  await assert.rejects(downloadFile(`${base}/cut/big.bin`, join(dir, 'big.bin'), { md5: checksums['big.bin'], onProgress: () => {} }), (err: unknown) => {
    assert.ok(err instanceof DataError);
    assert.match(err.message, /cut\/big\.bin: download (interrupted|incomplete); expected 200000 bytes; found \d+ bytes/);
    return true;
  });
  assert.deepEqual(readdirSync(dir), []);
});

test('HTTP error and no network: the message says which file to put where', async (t) => {
  const { base } = await serve(t);
  const cache = tempDir(t);
  await assert.rejects(loadDataset('cifar100', { cacheDir: cache, baseUrl: `${base}/files` }), (err: unknown) => {
    assert.ok(err instanceof DataError);
    assert.match(err.message, /cifar-100-binary\.tar\.gz: download failed; expected HTTP 200; found HTTP 404/);
    assert.match(err.message, new RegExp(`Put cifar-100-binary\\.tar\\.gz \\(MD5 03b5dce01913d631647c71ecec9e9cb8, from https://www\\.cs\\.toronto\\.edu/~kriz/cifar-100-binary\\.tar\\.gz\\) into ${cache}/cifar100`));
    return true;
  });
  // A port nobody listens on stands in for "no network".
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await assert.rejects(loadDataset('cifar10', { cacheDir: cache, baseUrl: `http://127.0.0.1:${port}/` }), (err: unknown) => {
    assert.ok(err instanceof DataError);
    assert.match(err.message, /download failed; expected a reachable server; found ECONNREFUSED/);
    assert.match(err.message, /Put cifar-10-binary\.tar\.gz \(MD5 c32a1d4ab5d03f1284b67883e8d87530.*into .*cifar10, or pass --data-dir/);
    return true;
  });
  assert.deepEqual(readdirSync(join(cache, 'cifar10')), []);
});

test('Ctrl-C during a download removes the part file (child process)', async (t) => {
  // A server that sends half the file, then stalls.
  const data = files.get('big.bin')!;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': data.length });
    res.write(data.subarray(0, data.length >> 1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const port = (server.address() as { port: number }).port;
  const dir = tempDir(t);
  const script = join(dir, 'child.mts');
  writeFileSync(script, `
    import { downloadFile } from ${JSON.stringify(new URL('../../src/data/download.ts', import.meta.url).pathname)};
    let told = false;
    await downloadFile('http://127.0.0.1:${port}/big.bin', ${JSON.stringify(join(dir, 'out', 'big.bin'))}, {
      md5: '${checksums['big.bin']}', onProgress: () => { if (!told) { told = true; console.log('started'); } },
    });`);
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => { if (b.toString().includes('started')) resolve(); });
    child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  for (let i = 0; i < 100 && readdirSync(join(dir, 'out')).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.match(readdirSync(join(dir, 'out')).join(), /^big\.bin\.part-\d+$/, 'only a part file while downloading');
  const exit = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
  child.kill('SIGINT');
  assert.equal(await exit, 'SIGINT');
  assert.deepEqual(readdirSync(join(dir, 'out')), []);
});

test('a part file left by a dead process is removed by the next download', async (t) => {
  const { base } = await serve(t);
  const dir = tempDir(t);
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
  writeFileSync(join(dir, `big.bin.part-${deadPid}`), 'stale');
  await downloadFile(`${base}/files/big.bin`, join(dir, 'big.bin'), { md5: checksums['big.bin'], onProgress: () => {} });
  assert.deepEqual(readdirSync(dir), ['big.bin']);
});
