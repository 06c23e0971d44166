// CIFAR binary formats (https://www.cs.toronto.edu/~kriz/cifar.html, "Binary version"):
// CIFAR-10 record = 1 label byte + 3072 pixel bytes; CIFAR-100 record = 1 coarse-label byte +
// 1 fine-label byte + 3072 pixel bytes. Pixels are three 32x32 planes (all R, then all G, then all
// B), each row-major. We reorder to NHWC once at load time, so batches are a plain copy.

import { DataError } from './errors.ts';
import { checkLabels } from './idx.ts';
import type { ImageSet } from './types.ts';

export const CIFAR_SIDE = 32;
const PIXELS = CIFAR_SIDE * CIFAR_SIDE;        // per plane
const IMAGE_BYTES = 3 * PIXELS;

export type CifarVariant = 'cifar10' | 'cifar100';
export type LabelMode = 'fine' | 'coarse';

export function recordSize(variant: CifarVariant): number {
  return (variant === 'cifar10' ? 1 : 2) + IMAGE_BYTES;
}

export function numClassesFor(variant: CifarVariant, labelMode: LabelMode = 'fine'): number {
  return variant === 'cifar10' ? 10 : labelMode === 'fine' ? 100 : 20;
}

/** Parse one .bin file of whole records into NHWC uint8 images and labels. */
export function parseCifarBin(file: string, bytes: Uint8Array, variant: CifarVariant, labelMode: LabelMode = 'fine'): ImageSet {
  return parseCifarBins([{ file, bytes }], variant, labelMode);
}

/**
 * Parse several .bin files (e.g. data_batch_1..5) straight into one set, in order. Filling one
 * buffer avoids holding per-file copies next to the joined set (150 MB less for CIFAR training).
 */
export function parseCifarBins(parts: { file: string; bytes: Uint8Array }[], variant: CifarVariant, labelMode: LabelMode = 'fine'): ImageSet {
  const size = recordSize(variant);
  let n = 0;
  for (const { file, bytes } of parts) {
    if (bytes.length === 0 || bytes.length % size !== 0) {
      const whole = Math.floor(bytes.length / size);
      throw new DataError(bytes.length === 0 ? 'empty CIFAR file' : 'CIFAR file size is not a whole number of records', {
        file,
        expected: `a multiple of ${size} bytes (${variant === 'cifar10' ? '1 label byte' : '1 coarse + 1 fine label byte'} + 3072 pixel bytes per record)`,
        found: `${bytes.length} bytes = ${whole} records + ${bytes.length - whole * size} bytes`,
      });
    }
    n += bytes.length / size;
  }
  const labels = new Uint8Array(n);
  const images = new Uint8Array(n * IMAGE_BYTES);
  let at = 0;
  for (const { file, bytes } of parts) {
    const count = bytes.length / size;
    checkRecordLabels(file, bytes, count, variant);
    const labelOffset = variant === 'cifar100' && labelMode === 'fine' ? 1 : 0;
    for (let i = 0; i < count; i++, at++) {
      const rec = i * size;
      labels[at] = bytes[rec + labelOffset];
      const src = rec + size - IMAGE_BYTES;
      const dst = at * IMAGE_BYTES;
      for (let p = 0; p < PIXELS; p++) {
        const o = dst + 3 * p;
        images[o] = bytes[src + p];
        images[o + 1] = bytes[src + PIXELS + p];
        images[o + 2] = bytes[src + 2 * PIXELS + p];
      }
    }
  }
  return { images, labels, n, shape: [CIFAR_SIDE, CIFAR_SIDE, 3] };
}

/** Every label byte of every record must be in range (both CIFAR-100 labels, whichever is used). */
function checkRecordLabels(file: string, bytes: Uint8Array, count: number, variant: CifarVariant): void {
  const size = recordSize(variant);
  const column = (offset: number) => {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = bytes[i * size + offset];
    return out;
  };
  if (variant === 'cifar10') { checkLabels(file, column(0), 10); return; }
  checkLabels(file, column(0), 20, 'coarse label');
  checkLabels(file, column(1), 100, 'fine label');
}

/** Join several sets of the same image shape, in order (data_batch_1..5 → one training set). */
export function concatSets(sets: ImageSet[]): ImageSet {
  if (sets.length === 1) return sets[0];
  const n = sets.reduce((s, x) => s + x.n, 0);
  const per = sets[0].shape[0] * sets[0].shape[1] * sets[0].shape[2];
  const images = new Uint8Array(n * per);
  const labels = new Uint8Array(n);
  let at = 0;
  for (const s of sets) {
    images.set(s.images, at * per);
    labels.set(s.labels, at);
    at += s.n;
  }
  return { images, labels, n, shape: [...sets[0].shape] };
}

/** Class-name files: one name per line; blank lines (the official files end with some) ignored. */
export function parseClassNames(file: string, text: string, expectedCount: number): string[] {
  const names = text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length !== expectedCount) {
    throw new DataError('wrong number of class names', { file, expected: `${expectedCount} names, one per line`, found: `${names.length}` });
  }
  return names;
}

/** The official names, used when a directory has no names file (e.g. only the .bin files). */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export const CIFAR100_COARSE_CLASSES = [
  'aquatic_mammals', 'fish', 'flowers', 'food_containers', 'fruit_and_vegetables', 'household_electrical_devices',
  'household_furniture', 'insects', 'large_carnivores', 'large_man-made_outdoor_things', 'large_natural_outdoor_scenes',
  'large_omnivores_and_herbivores', 'medium_mammals', 'non-insect_invertebrates', 'people', 'reptiles', 'small_mammals',
  'trees', 'vehicles_1', 'vehicles_2',
];

export const CIFAR100_FINE_CLASSES = [
  'apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle', 'bottle',
  'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle',
  'chair', 'chimpanzee', 'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur',
  'dolphin', 'elephant', 'flatfish', 'forest', 'fox', 'girl', 'hamster', 'house', 'kangaroo', 'keyboard',
  'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man', 'maple_tree', 'motorcycle', 'mountain',
  'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear', 'pickup_truck', 'pine_tree',
  'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket',
  'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider',
  'squirrel', 'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor',
  'train', 'trout', 'tulip', 'turtle', 'wardrobe', 'whale', 'willow_tree', 'wolf', 'woman', 'worm',
];
