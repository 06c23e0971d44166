// Where a dataset's files are: which file names count as which part of a dataset, and which folders
// are searched. Works on lists of base names, so the same rules apply to a directory and to the
// inside of a .tar.gz.
//
// Accepted layouts:
// - MNIST / Fashion-MNIST: the four official IDX names, raw or with .gz (raw preferred when both).
// - CIFAR-10: data_batch_<k>[.<anything>].bin as training files (in order of k) and
//   test_batch[.<anything>].bin as the test file, plus optional batches.meta.txt; or the official
//   cifar-10-binary.tar.gz. The optional ".<anything>" admits subsets such as
//   data_batch_1.first4000.bin (all in the official record layout; record counts may differ).
// - CIFAR-100: train[.<anything>].bin and test[.<anything>].bin, optional fine/coarse_label_names.txt;
//   or the official cifar-100-binary.tar.gz.
// Searched folders: the dataset's usual sub-folders (catalog `subdirs`), then the folder itself.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from './errors.ts';
import { ARCHIVE_CHECKSUMS } from './checksums.ts';
import { DATASETS, IDX_FILES, type IdxRole } from './catalog.ts';
import type { DatasetName } from './types.ts';

export interface IdxSelection { kind: 'idx'; files: Record<IdxRole, string> }
export interface CifarBinSelection {
  kind: 'cifar-bins';
  train: string[];
  test: string;
  /** Names files present (batches.meta.txt, fine_label_names.txt, coarse_label_names.txt). */
  nameFiles: string[];
}
export interface ArchiveSelection { kind: 'cifar-archive'; archive: string }
export type Selection = IdxSelection | CifarBinSelection | ArchiveSelection;

export interface SelectResult {
  selection?: Selection;
  /** Human-readable descriptions of what is missing (empty when complete). */
  missing: string[];
  /** How many of the expected files were found (to pick the most complete folder for errors). */
  present: number;
}

export const CIFAR_NAME_FILES = {
  cifar10: ['batches.meta.txt'],
  cifar100: ['fine_label_names.txt', 'coarse_label_names.txt'],
} as const;

function selectIdx(names: Set<string>): SelectResult {
  const files: Partial<Record<IdxRole, string>> = {};
  const missing: string[] = [];
  for (const [role, raw] of Object.entries(IDX_FILES) as [IdxRole, string][]) {
    if (names.has(raw)) files[role] = raw;
    else if (names.has(`${raw}.gz`)) files[role] = `${raw}.gz`;
    else missing.push(`${raw}[.gz]`);
  }
  const present = 4 - missing.length;
  return missing.length ? { missing, present } : { selection: { kind: 'idx', files: files as Record<IdxRole, string> }, missing, present };
}

function selectCifar(variant: 'cifar10' | 'cifar100', names: Set<string>, where: string): SelectResult {
  const trainRe = variant === 'cifar10' ? /^data_batch_(\d+)(?:\.[^/]*)?\.bin$/ : /^train()(?:\.[^/]*)?\.bin$/;
  const testRe = variant === 'cifar10' ? /^test_batch(?:\.[^/]*)?\.bin$/ : /^test(?:\.[^/]*)?\.bin$/;
  const byBatch = new Map<number, string[]>();
  const tests: string[] = [];
  for (const name of names) {
    const m = trainRe.exec(name);
    if (m) {
      const k = Number(m[1] || 0);
      byBatch.set(k, [...(byBatch.get(k) ?? []), name]);
    } else if (testRe.test(name)) tests.push(name);
  }
  for (const [k, files] of byBatch) {
    if (files.length > 1) {
      throw new DataError(`ambiguous ${DATASETS[variant].title} training files`, {
        file: where, expected: `one file for ${variant === 'cifar10' ? `data_batch_${k}` : 'train'}`, found: files.sort().join(', '),
      });
    }
  }
  if (tests.length > 1) {
    throw new DataError(`ambiguous ${DATASETS[variant].title} test files`, { file: where, expected: 'one test file', found: tests.sort().join(', ') });
  }
  const train = [...byBatch.keys()].sort((a, b) => a - b).map((k) => byBatch.get(k)![0]);
  const archive = ARCHIVE_CHECKSUMS[variant].file;
  if (train.length && tests.length) {
    const nameFiles = (CIFAR_NAME_FILES[variant] as readonly string[]).filter((f) => names.has(f));
    return { selection: { kind: 'cifar-bins', train, test: tests[0], nameFiles }, missing: [], present: train.length + 1 };
  }
  if (names.has(archive)) return { selection: { kind: 'cifar-archive', archive }, missing: [], present: 1 };
  const trainDesc = variant === 'cifar10' ? 'data_batch_1.bin … data_batch_5.bin' : 'train.bin';
  const testDesc = variant === 'cifar10' ? 'test_batch.bin' : 'test.bin';
  const missing = [
    ...(train.length ? [] : [trainDesc]),
    ...(tests.length ? [] : [testDesc]),
  ];
  return { missing: [`${missing.join(' and ')} (or ${archive})`], present: train.length + tests.length };
}

/** Pick a dataset's files out of a list of base names. `where` names the folder/archive for errors. */
export function selectFiles(name: DatasetName, fileNames: Iterable<string>, where: string): SelectResult {
  const names = new Set(fileNames);
  return DATASETS[name].format === 'idx' ? selectIdx(names) : selectCifar(name as 'cifar10' | 'cifar100', names, where);
}

export function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => { try { return statSync(join(dir, f)).isFile(); } catch { return false; } });
  } catch { return []; }
}

/**
 * The dataset's own sub-folders first, then the folder itself: MNIST and Fashion-MNIST use the same
 * file names, so <dir>/fashion-mnist must win over MNIST files lying in <dir>.
 */
export function candidateDirs(name: DatasetName, root: string): string[] {
  return [...DATASETS[name].subdirs.map((s) => join(root, s)), root].filter((d) => existsSync(d));
}

export interface Found { dir: string; selection: Selection }
export interface Search {
  found?: Found;
  /** Folders searched (that exist). */
  looked: string[];
  /** The most complete folder that was not complete, for error messages. */
  closest?: { dir: string; missing: string[]; files: string[] };
}

/** Search a folder (and its usual sub-folders) for a complete set of files. */
export function findInDir(name: DatasetName, root: string): Search {
  const looked = candidateDirs(name, root);
  let closest: Search['closest'];
  let best = -1;
  for (const dir of looked) {
    const files = listFiles(dir);
    const result = selectFiles(name, files, dir);
    if (result.selection) return { found: { dir, selection: result.selection }, looked };
    if (result.present > best) { best = result.present; closest = { dir, missing: result.missing, files }; }
  }
  return { looked, closest };
}

/** "put X into Y" text shared by error messages and the datasets command. */
export function whatToPut(name: DatasetName): string {
  const spec = DATASETS[name];
  if (spec.format === 'idx') return `the four files ${Object.values(IDX_FILES).map((f) => `${f}[.gz]`).join(', ')}`;
  return name === 'cifar10'
    ? `${ARCHIVE_CHECKSUMS.cifar10.file}, or its extracted data_batch_1..5.bin + test_batch.bin (+ batches.meta.txt)`
    : `${ARCHIVE_CHECKSUMS.cifar100.file}, or its extracted train.bin + test.bin (+ fine/coarse_label_names.txt)`;
}
