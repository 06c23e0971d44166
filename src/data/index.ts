// The dataset layer's public API (see each module for details).

export type { DatasetName, ImageSet, Dataset, FileRecord, Verification, SourceKind } from './types.ts';
export { DATASET_NAMES } from './types.ts';
export { DataError } from './errors.ts';
export { loadDataset, locateDataset, loadFrom, downloadDataset, projectCacheDir, mnistDataDir, type LoadOptions, type Location } from './datasets.ts';
export { resolveDatasetName, DATASETS, defaultClassNames } from './catalog.ts';
export { splitValidation, subsetPerClass, takeIndices, classCounts } from './split.ts';
export { epochOrder, epochArrays, epochBatches, evalBatches, batchesPerEpoch, toFloat32, labelsOf, type EpochOptions, type ArrayBatch, type TensorBatch } from './batches.ts';
export { augmentBatch, augmentationPreset, drawTransform, transformImage, type AugmentOptions, type Transform } from './augment.ts';
export { deriveSeed, STREAM } from './seeds.ts';
export { datasetsCommand } from './datasets-cli.ts';
export type { DownloadProgress, ProgressCallback } from './download.ts';
