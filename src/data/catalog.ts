// What each dataset is: its names, official files, download location and class names.

import { DataError } from './errors.ts';
import { ARCHIVE_CHECKSUMS, IDX_CHECKSUMS } from './checksums.ts';
import { CIFAR10_CLASSES, CIFAR100_COARSE_CLASSES, CIFAR100_FINE_CLASSES, type LabelMode } from './cifar.ts';
import { DATASET_NAMES, type DatasetName } from './types.ts';

export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
export type IdxRole = keyof typeof IDX_FILES;

export interface DownloadItem { file: string; md5: string }

export interface DatasetSpec {
  name: DatasetName;
  title: string;
  format: 'idx' | 'cifar';
  /** Official location; files are fetched from `${baseUrl}${file}`. */
  baseUrl: string;
  /** Official files as published (what a download fetches). */
  downloads: DownloadItem[];
  /** Sub-folders (of a data directory) where the files are commonly found, besides the folder itself. */
  subdirs: string[];
  /** Used by augmentation defaults: mirrored digits are not digits. */
  mirrorSafe: boolean;
}

function idxDownloads(dataset: 'mnist' | 'fashion-mnist'): DownloadItem[] {
  return Object.values(IDX_FILES).map((raw) => ({ file: `${raw}.gz`, md5: IDX_CHECKSUMS[dataset][raw].gzMd5 }));
}

export const DATASETS: Record<DatasetName, DatasetSpec> = {
  mnist: {
    name: 'mnist', title: 'MNIST', format: 'idx',
    // yann.lecun.com now refuses most downloads; torchvision and others use this mirror of the same files.
    baseUrl: 'https://ossci-datasets.s3.amazonaws.com/mnist/',
    downloads: idxDownloads('mnist'),
    subdirs: ['mnist', 'MNIST/raw'],
    mirrorSafe: false,
  },
  'fashion-mnist': {
    name: 'fashion-mnist', title: 'Fashion-MNIST', format: 'idx',
    baseUrl: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    downloads: idxDownloads('fashion-mnist'),
    subdirs: ['fashion-mnist', 'FashionMNIST/raw'],
    mirrorSafe: true,
  },
  cifar10: {
    name: 'cifar10', title: 'CIFAR-10', format: 'cifar',
    baseUrl: 'https://www.cs.toronto.edu/~kriz/',
    downloads: [ARCHIVE_CHECKSUMS.cifar10],
    subdirs: ['cifar-10-batches-bin', 'cifar10', 'cifar10/cifar-10-batches-bin'],
    mirrorSafe: true,
  },
  cifar100: {
    name: 'cifar100', title: 'CIFAR-100', format: 'cifar',
    baseUrl: 'https://www.cs.toronto.edu/~kriz/',
    downloads: [ARCHIVE_CHECKSUMS.cifar100],
    subdirs: ['cifar-100-binary', 'cifar100', 'cifar100/cifar-100-binary'],
    mirrorSafe: true,
  },
};

const ALIASES: Record<string, DatasetName> = {
  mnist: 'mnist',
  'fashion-mnist': 'fashion-mnist', fashion_mnist: 'fashion-mnist', fashionmnist: 'fashion-mnist', fashion: 'fashion-mnist', fmnist: 'fashion-mnist',
  cifar10: 'cifar10', 'cifar-10': 'cifar10', cifar_10: 'cifar10',
  cifar100: 'cifar100', 'cifar-100': 'cifar100', cifar_100: 'cifar100',
};

/** Canonical dataset name, case-insensitive, common spellings accepted. */
export function resolveDatasetName(name: string): DatasetName {
  const found = ALIASES[name.trim().toLowerCase()];
  if (!found) {
    throw new DataError('unknown dataset name', { expected: `one of ${DATASET_NAMES.join(', ')}`, found: JSON.stringify(name) });
  }
  return found;
}

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export function defaultClassNames(name: DatasetName, labelMode: LabelMode = 'fine'): string[] {
  switch (name) {
    case 'mnist': return [...MNIST_CLASSES];
    case 'fashion-mnist': return [...FASHION_MNIST_CLASSES];
    case 'cifar10': return [...CIFAR10_CLASSES];
    case 'cifar100': return labelMode === 'coarse' ? [...CIFAR100_COARSE_CLASSES] : [...CIFAR100_FINE_CLASSES];
  }
}
