// Hand-made run records for the results tests: written with RunWriter into a temp dir, no engine.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EndStatus, EpochRecord, RunEnd, RunHeader } from '../../src/results/schema.ts';
import { RunWriter } from '../../src/results/writer.ts';
import { tempDir } from '../tmp-dir.ts';

const tempDirs: string[] = [];
process.on('exit', () => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A fresh results root, removed when the test process exits. */
export function tempRoot(): string {
  const dir = tempDir('deepagrel-results-');
  tempDirs.push(dir);
  return dir;
}

export function header(over: Partial<RunHeader> & { preset: string; seed: number }): RunHeader {
  const [dataset, arch, ...rest] = over.preset.split('-');
  return {
    type: 'header',
    runId: `${over.preset}-s${over.seed}`,
    experiment: 'table1',
    rule: rest.at(-1) === 'ebp' ? 'ebp' : 'deepagrel',
    dataset,
    arch,
    augment: rest.includes('aug'),
    config: { lr: 1, batchSize: 100, patience: 20 },
    protocol: 'paper',
    backend: { name: 'cpu', threads: 1 },
    versions: { node: process.version },
    startedAt: '2024-01-01T00:00:00.000Z',
    ...over,
  };
}

/** Epoch `epoch` with every fraction metric = `v` (override single fields with `over`). */
export function epoch(epochNo: number, v = 0.5, over: Partial<EpochRecord> = {}): EpochRecord {
  return {
    type: 'epoch', epoch: epochNo, trainRewardRate: v, trainAccuracy: v, meanDelta2: 0.1, valAccuracy: v,
    wallTimeSec: 1, samplesPerSec: 1000, ...over,
  };
}

export function end(epochs: number, testAccuracy: number | null, status: EndStatus = 'converged'): RunEnd {
  return {
    type: 'end', status, epochs, bestEpoch: epochs, bestValAccuracy: testAccuracy ?? 0, testAccuracy,
    testWeights: 'best-val', totalTimeSec: epochs, finishedAt: '2024-01-02T00:00:00.000Z',
  };
}

/** Write a run: header, epochs 1..values.length (metric values), and an end line unless `finish` is null. */
export function writeRun(root: string, h: RunHeader, values: number[], finish: RunEnd | null): string {
  const w = RunWriter.create(h, { root });
  values.forEach((v, i) => w.appendEpoch(epoch(i + 1, v)));
  if (finish) w.end(finish);
  return w.file;
}
