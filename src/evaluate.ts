// A run's weights on its own training, validation and test images, in test mode (no dropout, the
// greedy choice), like Keras' model.evaluate. The training accuracy in a run record is measured
// while training (dropout on, ε-exploration beside it), so it cannot tell underfitting from
// overfitting; this can. The weights come from the run's checkpoint (an unfinished run) or the
// weights a finished run kept (`train --keep-weights`).

import * as fs from 'node:fs';
import { loadCheckpoint, checkpointPaths, checkpointSiblings, CheckpointError, type Checkpoint } from './checkpoint.ts';
import { readRunFile } from './results/reader.ts';
import type { Dataset } from './data/types.ts';
import { inputTransform } from './data/input-norm.ts';
import { ConfigError, DEFAULTS, type ExperimentConfig } from './presets.ts';
import { configHash, evaluate, runDataset, runNetwork, runSets } from './train.ts';
import { backendInfo, initBackend } from './backend.ts';
import { gitInfo, type GitInfo } from './results/provenance.ts';

export const EVAL_SETS = ['train', 'val', 'test'] as const;
export type EvalSet = typeof EVAL_SETS[number];
export type WhichWeights = 'best' | 'last';

export interface EvaluateOptions {
  checkpointRoot?: string;       // default "checkpoints"
  /** 'best' (default): the best-validation weights, on which the run's test accuracy is measured; 'last': the latest. */
  weights?: WhichWeights;
  sets?: EvalSet[];              // default all three
  dataDir?: string;
  /** A dataset already in memory (notebooks, tests). */
  dataset?: Dataset;
  /** Read weights from a checkpoint of the first format (DAGCKPT1, no checksum) too. */
  acceptUnverifiedCheckpoint?: boolean;
}

export interface SetAccuracy {
  set: EvalSet;
  n: number;
  /** Greedy accuracy in test mode. */
  accuracy: number;
  /** What the record says for the same weights: validation and test accuracy (these must agree on
   *  the run's backend); for `train`, the accuracy measured while training that epoch (dropout on). */
  recorded: number | null;
}

export interface Evaluation {
  run: string;
  checkpoint: string;
  /** The run's preset, seed and protocol label (what the numbers belong to). */
  preset: string;
  seed: number;
  protocol: string;
  weights: WhichWeights;
  /** The epoch whose weights these are. */
  epoch: number;
  /** Epochs trained when the checkpoint was written. */
  epochsTrained: number;
  /** Last weights from a checkpoint inside an epoch: this many batches into epoch epochsTrained + 1. */
  atBatch?: number;
  finished: boolean;
  backend: string;
  sets: SetAccuracy[];
  /** Where and with what these numbers were made. */
  provenance: { at: string; backend: { name: string; threads: number }; versions: Record<string, string>; git?: GitInfo };
}

/** The newest readable weights of a run: a finished run's kept weights, else its checkpoint, else
 *  the previous one (an unfinished run has no kept weights of its own). */
function findWeights(root: string, experiment: string, runId: string, runFile: string, finished: boolean, acceptUnverified = false): { file: string; ck: Checkpoint } {
  const { ckpt, kept } = checkpointPaths(root, experiment, runId);
  const candidates = [...(finished ? [kept] : []), ckpt, checkpointSiblings(ckpt).prev].filter(f => fs.existsSync(f));
  const bad: CheckpointError[] = [];
  for (const file of candidates) {
    try { return { file, ck: loadCheckpoint(file, { acceptUnverified }) }; } catch (e) {
      if (!fs.existsSync(file)) continue;        // rotated away by the run training now: the next one
      if (!(e instanceof CheckpointError)) throw e;
      bad.push(e);
    }
  }
  if (bad.length) throw bad[0];
  throw new ConfigError(`${runFile}: no weights of this run under ${root}/${experiment}/ (looked for ${runId}.final.ckpt and ${runId}.ckpt). `
    + 'An unfinished run has its checkpoint there; a finished run keeps its weights only when trained with --keep-weights (train or sweep); '
    + 'give --checkpoints if they are elsewhere');
}

/** Evaluate a run's weights on its own images (the same validation split and subsets as in training). */
export async function evaluateRun(runFile: string, opts: EvaluateOptions = {}): Promise<Evaluation> {
  if (!fs.existsSync(runFile)) throw new ConfigError(`${runFile}: no such run record (a results/<experiment>/<run>.jsonl file)`);
  const run = readRunFile(runFile);
  const { header } = run;
  // A record predating an option ran the way its default does (the hash is over the stored config).
  const cfg = { ...DEFAULTS, ...header.config } as unknown as ExperimentConfig;
  const which = opts.weights ?? 'best';
  const { file, ck } = findWeights(opts.checkpointRoot ?? 'checkpoints', header.experiment, header.runId, runFile, !!run.end, opts.acceptUnverifiedCheckpoint);
  if (ck.state.configHash !== configHash(header.config as unknown as ExperimentConfig, header.seed))
    throw new ConfigError(`${file}: these weights were trained with another configuration or seed than ${runFile} says; not evaluating them`);
  const weights = which === 'best' ? ck.best : ck.weights;
  if (!weights) throw new ConfigError(`${file}: holds no best-validation weights yet (no epoch finished); use --weights last`);
  const epoch = which === 'best' ? ck.state.bestEpoch : ck.state.epoch;
  // A run started over (--no-resume) still has the old start's checkpoint until its first epoch ends.
  if (!run.end && ck.state.epoch > run.epochs.length)
    throw new ConfigError(`${file}: after epoch ${ck.state.epoch}, but ${runFile} has ${run.epochs.length} epoch(s): a checkpoint from an earlier start of this run, not its weights; evaluate again after its next epoch`);

  const backend = backendInfo() ?? await initBackend();
  const ds = opts.dataset ?? await runDataset(cfg, opts.dataDir);
  const sets = runSets(cfg, ds, header.seed);
  // The same images as in training, or the numbers mean nothing: same sizes, same exactness.
  const info = header.datasetInfo;
  if (info) {
    const got = { exact: ds.exact, nTrain: sets.train.n, nVal: sets.val.n, nTest: sets.test.n };
    const differs = (Object.keys(got) as (keyof typeof got)[]).filter(k => got[k] !== info[k]).map(k => `${k}: ${info[k]} → ${got[k]}`);
    if (differs.length) throw new ConfigError(`${runFile}: the run was trained on ${info.source}; the data found now (${ds.source}) differs `
      + `(${differs.join(', ')}); give the same --data-dir as in training`);
  }

  const input = inputTransform(cfg, sets.train);
  const net = runNetwork(cfg, ds, header.seed);
  try {
    net.setWeights(weights);
    // Last weights from inside an epoch belong to no epoch line of the record.
    const inside = which === 'last' ? ck.state.partial?.batch : undefined;
    const rec = inside ? undefined : run.epochs.find(e => e.epoch === epoch);
    // The record's test accuracy is of the best-validation weights (the last ones too when the best epoch was the last).
    const finishedOnBest = run.end?.testWeights === 'best-val' && run.end.testAccuracy !== null && (which === 'best' || epoch === run.end.bestEpoch);
    const recorded: Record<EvalSet, number | null> = {
      train: rec?.trainAccuracy ?? null,
      val: rec?.valAccuracy ?? null,
      test: finishedOnBest ? run.end!.testAccuracy : null,
    };
    const out: SetAccuracy[] = [];
    for (const set of opts.sets ?? EVAL_SETS) {
      const images = sets[set];
      if (images.n === 0) {                       // no validation split (valSize 0)
        if (opts.sets?.includes(set)) throw new ConfigError(`${runFile}: the run has no ${SET_NAMES[set]} images (valSize 0)`);
        continue;
      }
      out.push({ set, n: images.n, accuracy: await evaluate(net, images, 500, input), recorded: recorded[set] });
    }
    return { run: runFile, checkpoint: file, preset: header.preset, seed: header.seed, protocol: header.protocol, weights: which, epoch,
      epochsTrained: ck.state.epoch, ...(inside ? { atBatch: inside } : {}), finished: !!run.end, backend: backend.name, sets: out,
      provenance: { at: new Date().toISOString(), backend: { name: backend.name, threads: backend.threads },
        versions: { node: process.versions.node, ...backend.versions }, git: gitInfo() } };
  } finally { net.dispose(); }
}

const SET_NAMES: Record<EvalSet, string> = { train: 'training', val: 'validation', test: 'test' };

/** The evaluation as a few lines of text. */
export function renderEvaluation(e: Evaluation): string {
  const pct = (v: number | null) => v === null ? '–' : (100 * v).toFixed(2);
  const lines = [
    `${e.run}: ${e.weights === 'best' ? 'best-validation' : 'last'} weights, ${e.atBatch ? `${e.atBatch} batches into epoch ${e.epoch + 1}` : `from epoch ${e.epoch}`} (${e.epochsTrained} trained${e.finished ? ', run finished' : ''}), ${e.backend} backend`,
    `  ${'set'.padEnd(11)} ${'images'.padStart(7)}  ${'accuracy %'.padStart(10)}  ${'in record %'.padStart(11)}`,
    ...e.sets.map(s => `  ${SET_NAMES[s.set].padEnd(11)} ${String(s.n).padStart(7)}  ${pct(s.accuracy).padStart(10)}  ${pct(s.recorded).padStart(11)}`),
  ];
  if (e.sets.some(s => s.set === 'train' && s.recorded !== null))
    lines.push('  (the record\'s training accuracy was measured while training: dropout on; here: test mode, no dropout)');
  return lines.join('\n');
}
