// The paper's protocol around the training step: epochs of shuffled batches, validation after
// each epoch, early stopping (patience), test accuracy of the best-validation weights, run records
// (one JSON line per epoch), checkpoints after every epoch (and inside long ones) and exact
// resumption, and events for progress bars and live curves. Same code for the CLI, sweeps and notebooks.

import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { Network } from './network.ts';
import { gradientAlignmentDeg } from './feedback/alignment.ts';
import { ownFeedbackArray } from './feedback/modes.ts';
import { getRule } from './rules/index.ts';
import { trainStep, DivergenceError, type StepOptions } from './step.ts';
import { greedy } from './action.ts';
import { Rng, seedProblem } from './rng.ts';
import { ConfigError, type ExperimentConfig, PRESETS, configRunName, validateConfig } from './presets.ts';
import { loadDataset } from './data/datasets.ts';
import { splitValidation, subsetPerClass, takeIndices } from './data/split.ts';
import { epochBatches, evalBatches, batchesPerEpoch } from './data/batches.ts';
import { augmentationPreset } from './data/augment.ts';
import { deriveSeed } from './data/seeds.ts';
import { applyInput, inputTransform, type InputTransform } from './data/input-norm.ts';
import { gitInfo } from './results/provenance.ts';
import type { Dataset, DatasetName, ImageSet } from './data/types.ts';
import { RunWriter, runFilePath } from './results/writer.ts';
import { DATA_NOT_EXACT, readRunFile, runDifferences, runStatus, withDataNote } from './results/reader.ts';
import type { EpochRecord, EndStatus, RunEnd, RunHeader, RunRecord } from './results/schema.ts';
import { checkpointPaths, cleanUpFinishedRun, keepFinalCheckpoint, saveCheckpoint, loadLatestCheckpoint, removeCheckpoint, removeStaleTemps, MASK_GENERATOR, type EpochProgress, type Weights } from './checkpoint.ts';
import { checkName, ensureWritableDir, PathError } from './safe-fs.ts';
import { EarlyStopping } from './early-stopping.ts';
import { RunLock } from './run-lock.ts';
import { killPoint, pausePoint } from './fault-points.ts';
import { initBackend, backendInfo } from './backend.ts';
import { InterruptedError, interruptSignal, listening, yieldToEventLoop } from './interrupt.ts';

export interface BatchEvent { epoch: number; batch: number; batches: number; rewardRate: number; samplesPerSec: number }

/** Callbacks, Keras-style. All optional; called synchronously from the training loop. */
export interface TrainEvents {
  /** `priorEpochs`: a resumed run's epochs from before the resume (its record's), e.g. to draw its whole curve. */
  onStart?(header: RunHeader, info: { resumedFromEpoch: number; batchesPerEpoch: number; priorEpochs?: readonly EpochRecord[];
    /** Batches of the next epoch already trained when it resumed from a checkpoint inside that epoch. */
    resumedAtBatch?: number }): void;
  onBatch?(e: BatchEvent): void;
  onEpoch?(rec: EpochRecord, run: { bestEpoch: number; bestValAccuracy: number }): void;
  onEnd?(end: RunEnd): void;
}

export interface RunOptions {
  seed: number;
  /** Folder under the results root, e.g. "table1" (default) or "quickstart". */
  experiment?: string;
  resultsRoot?: string;          // default "results"
  checkpointRoot?: string;       // default "checkpoints" (git-ignored)
  /** Default `${preset}-s${seed}`. */
  runId?: string;
  /** Label written into the records and tables; default: "paper" or the list of overrides. */
  protocol?: string;
  /** A dataset already in memory (notebooks load once, run many). */
  dataset?: Dataset;
  dataDir?: string;
  /** Continue from a checkpoint when one exists (default true); finished runs are then skipped. */
  resume?: boolean;
  /** Write run records and checkpoints (default true). */
  record?: boolean;
  /** Keep the checkpoint after the run ends (default false: it is only for resuming). */
  keepCheckpoint?: boolean;
  /** Keep the final weights (last and best-validation) of a finished run as <run>.final.ckpt beside
   *  the checkpoints, for `deepagrel evaluate` (default false: they are large). */
  keepWeights?: boolean;
  events?: TrainEvents;
  /** Resume from a checkpoint of the first format (DAGCKPT1, no checksum), which is refused by default
   *  because nothing can show its weights are the ones written (CLI: --accept-unverified-checkpoint). */
  acceptUnverifiedCheckpoint?: boolean;
  /** Stop (as if killed) after this many epochs of this call, leaving the run unfinished. */
  haltAfterEpochs?: number;
  /** Inside an epoch, checkpoint again once this many seconds have passed since the last checkpoint
   *  (default 300; 0 = only at the ends of epochs). An augmented CIFAR-10 epoch takes ~10 minutes on
   *  one core: a run killed (a session's end, SLURM preemption) then loses at most this much. */
  checkpointEverySec?: number;
  /**
   * Stops the run between two batches (default: interruptSignal(), which Kernel ▸ Interrupt and
   * Ctrl-C abort): a checkpoint at that batch is written (when records are on), the record gets an
   * "interrupted" line, and runExperiment throws InterruptedError; running it again resumes there.
   */
  signal?: AbortSignal;
}

/** `network` holds the final weights (best-validation ones once the run ended); dispose it when done. */
export interface RunResult {
  record: RunRecord | null;
  /** The run had finished before, with this config: nothing was trained, `record` is the finished one. */
  skipped: boolean;
  network?: Network;
}

const STREAM_ACTION = 101;       // seed streams owned by the training loop (data uses 1–4)
const STREAM_PROBE = 1_000_000;  // + epoch: the alignment probe's actions
export const CHECKPOINT_EVERY_SEC = 300;

/** Greedy accuracy of the network on a set (test-time behaviour: ε = 0). `input`: the run's
 *  input transform (`inputTransform`), or just a pixel scale. Reads each batch's Q-values
 *  asynchronously (on a GPU the event loop stays free). */
export async function evaluate(net: Network, set: ImageSet, batchSize = 500, input: InputTransform | number = 1): Promise<number> {
  const t = typeof input === 'number' ? { scale: input } : input;
  let correct = 0;
  for (const b of evalBatches(set, batchSize)) {
    const q = tf.tidy(() => net.forward(applyInput(b.x, t), false));
    const a = greedy(await q.data() as Float32Array, net.config.numClasses);
    for (let i = 0; i < a.length; i++) if (a[i] === b.y[i]) correct++;
    tf.dispose([q, b.x]);
  }
  return correct / set.n;
}

/** The first (up to) 100 images of a set, input-transformed, kept for the whole run. */
function probeBatch(set: ImageSet, input: InputTransform): { x: tf.Tensor; y: Int32Array } {
  const b = evalBatches(set, 100).next().value!;
  const x = tf.keep(applyInput(b.x, input));
  if (x !== b.x) b.x.dispose();
  return { x, y: Int32Array.from(b.y) };
}

/** The dataset a run's config names (CIFAR-100 in its label mode), from `dataDir` or the defaults. */
export function runDataset(cfg: ExperimentConfig, dataDir?: string): Promise<Dataset> {
  return loadDataset(cfg.dataset, { dataDir, ...(cfg.dataset === 'cifar100' ? { labelMode: cfg.labelMode } : {}) });
}

/** A run's images: the seeded validation split, the per-class subset, the test limit (training and
 *  `deepagrel evaluate` must see the very same ones). */
export function runSets(cfg: ExperimentConfig, ds: Dataset, seed: number): { train: ImageSet; val: ImageSet; test: ImageSet } {
  if (ds.name !== cfg.dataset) throw new Error(`the dataset passed in is '${ds.name}' but the experiment needs '${cfg.dataset}'`);
  if (cfg.valSize >= ds.train.n) throw new ConfigError(`valSize ${cfg.valSize} must be less than the ${ds.train.n} training images of ${ds.name}`);
  const split = splitValidation(ds.train, cfg.valSize, seed);
  const train = cfg.perClass > 0 ? subsetPerClass(split.train, cfg.perClass, ds.numClasses) : split.train;
  const test = cfg.testLimit > 0 && cfg.testLimit < ds.test.n ? takeIndices(ds.test, Uint32Array.from({ length: cfg.testLimit }, (_, i) => i)) : ds.test;
  return { train, val: split.val, test };
}

/** The run's network with its seeded initial weights. */
export function runNetwork(cfg: ExperimentConfig, ds: Dataset, seed: number): Network {
  return new Network({ inputShape: ds.train.shape, layers: cfg.layers, numClasses: ds.numClasses, init: cfg.init,
    feedback: cfg.feedback, weightDecay: cfg.weightDecay, bias: cfg.bias ?? false, seed });
}

/** "paper", or the fields that differ from the preset, e.g. "maxEpochs=30, perClass=100"; data
 *  that is not bit-exact with the official files (a re-encoded copy) is a protocol difference too,
 *  so such runs never share a Table 1 row with runs on the real data. */
export function protocolLabel(cfg: ExperimentConfig, exactData = true): string {
  const base = PRESETS[cfg.preset];
  const diffs = base
    ? (Object.keys(cfg) as (keyof ExperimentConfig)[])
      .filter(k => JSON.stringify(cfg[k]) !== JSON.stringify(base[k]))
      .map(k => `${k}=${typeof cfg[k] === 'object' ? 'custom' : cfg[k]}`)
    : ['custom'];
  if (!exactData) diffs.push(DATA_NOT_EXACT);
  return diffs.length ? diffs.join(', ') : 'paper';
}

/** Ties a checkpoint to its run's configuration and seed. */
export function configHash(cfg: ExperimentConfig, seed: number): string {
  return createHash('sha256').update(JSON.stringify({ cfg, seed })).digest('hex').slice(0, 16);
}

function packageVersion(): string {
  try { return JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version; } catch { return 'unknown'; }
}

/** Train one run of an experiment (one preset, one seed) to its stopping criterion. */
export async function runExperiment(cfg: ExperimentConfig, opts: RunOptions): Promise<RunResult> {
  validateConfig(cfg);
  const seed = opts.seed;
  const badSeed = seedProblem(seed);
  if (badSeed) throw new ConfigError(badSeed);
  const record = opts.record ?? true;
  const experiment = opts.experiment ?? 'table1';
  const runId = opts.runId ?? configRunName(cfg, seed);
  // Both become paths under the results and checkpoint roots: one safe name each, never "../x" or "".
  checkName(experiment, 'experiment');
  checkName(runId, 'run name');
  for (const [what, dir] of [['results root', opts.resultsRoot], ['checkpoint root', opts.checkpointRoot], ['data folder', opts.dataDir]] as const)
    if (dir === '') throw new PathError(`${what} is empty; give a folder (or leave it out for the default)`);
  const resultsRoot = opts.resultsRoot ?? 'results';
  const { ckpt: ckptFile, lock: lockFile, kept: keptFile } = checkpointPaths(opts.checkpointRoot ?? 'checkpoints', experiment, runId);
  const runFile = runFilePath({ experiment, runId }, resultsRoot);
  const resume = opts.resume ?? true;

  /** The finished run, if it is one (then nothing is trained); refused when made with other settings. */
  const finishedRun = (): RunResult | null => {
    if (!(record && resume) || runStatus(runFile) !== 'finished') return null;
    const finished = readRunFile(runFile);
    // Never a stand-in for other settings: a re-run with another epoch cap, subset, ... is refused.
    const differs = runDifferences(finished.header, { ...cfg }, opts.protocol);
    if (differs.length) throw new ConfigError(`${runFile}: a finished run made with other settings (stored → asked for: ${differs.join(', ')}); `
      + 'nothing was trained. Give these settings another run name (--run-id) or experiment (--experiment), or delete that file to train it again.');
    return { record: finished, skipped: true };
  };
  if (record && resume && runStatus(runFile) === 'finished') {
    cleanUpFinishedRun(opts.checkpointRoot ?? 'checkpoints', experiment, runId, opts.keepCheckpoint);
    return finishedRun()!;
  }
  if (record) { ensureWritableDir(resultsRoot, '--results'); ensureWritableDir(opts.checkpointRoot ?? 'checkpoints', '--checkpoints'); }
  pausePoint('run:before-lock', runFile);     // a slow file system between "finished?" and the lock (tests)
  const lock = record ? RunLock.acquire(lockFile) : null;
  try {
    // Asked again under the lock: another process may have finished the run since the first look
    // (it held the lock meanwhile), and training it again would replace its record.
    const done = finishedRun();
    if (done) { removeCheckpoint(ckptFile, opts.keepCheckpoint); return done; }
    if (lock) removeStaleTemps(ckptFile);
    return await listening(() => trainRun(cfg, opts, { seed, record, experiment, runId, resultsRoot, ckptFile, keptFile, runFile, resume, lock }));
  } finally { lock?.release(); }
}

interface RunPaths { seed: number; record: boolean; experiment: string; runId: string; resultsRoot: string; ckptFile: string; keptFile: string; runFile: string; resume: boolean; lock: RunLock | null }

async function trainRun(cfg: ExperimentConfig, opts: RunOptions, { seed, record, experiment, runId, resultsRoot, ckptFile, keptFile, runFile, resume, lock }: RunPaths): Promise<RunResult> {
  const backend = backendInfo() ?? await initBackend();
  const ds = opts.dataset ?? await runDataset(cfg, opts.dataDir);
  const { train, val, test } = runSets(cfg, ds, seed);
  const input = inputTransform(cfg, train);
  // A batch larger than an epoch would silently become the whole set while the header says otherwise.
  if (cfg.batchSize > train.n * cfg.augmentFactor)
    throw new ConfigError(`batchSize ${cfg.batchSize} is larger than an epoch (${train.n * cfg.augmentFactor} training images); use at most that`);
  const augment = cfg.augment ? augmentationPreset(ds.name as DatasetName) : null;

  const net = runNetwork(cfg, ds, seed);
  const rule = getRule(cfg.rule);
  const actionRng = new Rng(deriveSeed(seed, STREAM_ACTION));
  const step: StepOptions = { lr: cfg.lr, epsilon: cfg.epsilon, beta: cfg.beta };
  const hash = configHash(cfg, seed);
  // Feedback other than the paper's: every epoch, the angle of each layer's update to the true
  // gradient on a fixed probe batch (the first 100 validation images, else training images), with
  // actions from a per-epoch stream of its own, so training itself is untouched.
  const probe = cfg.feedback !== 'symmetric' ? probeBatch(val.n > 0 ? val : train, input) : null;
  const probeAlignment = async (epoch: number) => gradientAlignmentDeg(net, rule, probe!.x, probe!.y, step, deriveSeed(seed, STREAM_PROBE + epoch));

  let startEpoch = 0;
  let resumeAt: EpochProgress | null = null;   // a checkpoint inside epoch startEpoch + 1
  const stopper = new EarlyStopping(cfg.patience);
  let best: Weights | null = null;
  let found = record && resume && runStatus(runFile) === 'unfinished' ? loadLatestCheckpoint(ckptFile, { acceptUnverified: opts.acceptUnverifiedCheckpoint }) : null;
  for (const bad of found?.skipped ?? []) console.warn(`${bad.file}: ${bad.problem}; set aside as ${ckptFile}.corrupt, resuming from the previous checkpoint ${found!.file}`);
  // A checkpoint ahead of its run file: an epoch line lost to a full disk before writes were
  // all-or-nothing. That epoch's record cannot be recovered, so the run starts over.
  const inFile = found ? readRunFile(runFile).epochs.length : 0;
  if (found && found.checkpoint.state.epoch > inFile) {
    console.warn(`${found.file}: checkpoint is after epoch ${found.checkpoint.state.epoch} but ${runFile} has epochs 1..${inFile} (a line lost to a full disk); starting the run over`);
    found = null;
  }
  if (found) {
    const ck = found.checkpoint;
    if (ck.state.configHash !== hash) throw new Error(`${ckptFile}: the checkpoint was made with a different configuration or seed; delete it and ${runFile} to start over, or use another --experiment/--run-id`);
    net.setWeights(ck.weights);
    net.setRngState(ck.state.dropoutRng);
    // A run checkpointed by an older version drew its masks another way: it resumes correctly, but
    // its masks from here on are not the ones that version would have drawn. Say so, once.
    const madeWith = ck.state.maskGenerator ?? 'sequential sfc32';
    if (madeWith !== MASK_GENERATOR && net.layers.some(l => l.kind === 'dropout'))
      console.warn(`${found.file}: made by a version that drew dropout masks differently (${madeWith}); resuming with ${MASK_GENERATOR} masks — a valid continuation, but not bit-identical to an uninterrupted run of that version`);
    actionRng.setState(ck.state.actionRng);
    startEpoch = ck.state.epoch;
    resumeAt = ck.state.partial ?? null;
    stopper.bestEpoch = ck.state.bestEpoch;
    // No best epoch yet (a checkpoint inside epoch 1): its -Infinity went through JSON as null.
    stopper.bestValue = ck.state.bestEpoch > 0 ? ck.state.bestValAccuracy : -Infinity;
    best = ck.best;
  }

  const header: RunHeader = {
    type: 'header', runId, experiment, preset: cfg.preset, rule: cfg.rule, dataset: cfg.dataset, arch: cfg.arch,
    augment: cfg.augment, seed, config: { ...cfg }, protocol: opts.protocol !== undefined ? withDataNote(opts.protocol, ds.exact) : protocolLabel(cfg, ds.exact),
    datasetInfo: { source: ds.source, exact: ds.exact, nTrain: train.n, nVal: val.n, nTest: test.n },
    ...(input.stats ? { inputStats: input.stats } : {}),
    backend: { name: backend.name, threads: backend.threads, simd: backend.simd, kernels: backend.kernels,
      ...(backend.package ? { package: backend.package } : {}),
      ...(backend.library ? { library: { library: backend.library.library, version: backend.library.version, isa: backend.library.isa, runtime: backend.library.runtime } } : {}),
      ...(backend.adapter ? { adapter: { vendor: backend.adapter.vendor, architecture: backend.adapter.architecture, device: backend.adapter.device,
        description: backend.adapter.description, software: backend.adapter.software, api: backend.adapter.api, kind: backend.adapter.kind } } : {}),
      // What the backend choice rested on: why faster backends were skipped, and the WebGPU adapters and probe.
      ...(backend.skipped?.length ? { skipped: backend.skipped } : {}),
      ...(backend.webgpu ? { webgpu: backend.webgpu } : {}) },
    versions: { node: process.versions.node, tfjs: tf.version.tfjs, ...backend.versions, workbook: packageVersion() },
    git: gitInfo(), startedAt: new Date().toISOString(),
  };
  let writer: RunWriter | null = null;
  if (record) writer = startEpoch > 0 || resumeAt ? RunWriter.resume(header, startEpoch, { root: resultsRoot, atBatch: resumeAt?.batch }) : RunWriter.create(header, { root: resultsRoot, overwrite: true });
  // Weights kept by an earlier run of this name belong to the record just replaced.
  if (record && startEpoch === 0) fs.rmSync(keptFile, { force: true });
  // A resumed run's total time counts the epochs trained before the resume too (as recorded).
  const priorSec = (writer?.priorEpochs ?? []).reduce((s, e) => s + e.wallTimeSec, 0);
  const nBatches = batchesPerEpoch(train.n, cfg.batchSize, cfg.augmentFactor);
  opts.events?.onStart?.(writer?.header ?? header, { resumedFromEpoch: startEpoch, batchesPerEpoch: nBatches, priorEpochs: writer?.priorEpochs ?? [],
    ...(resumeAt ? { resumedAtBatch: resumeAt.batch } : {}) });

  const epochs: EpochRecord[] = [];
  let status: EndStatus = 'max-epochs', message: string | undefined;
  const t0 = Date.now();
  let halted = false;
  const signal = opts.signal ?? interruptSignal();
  const everyMs = (opts.checkpointEverySec ?? CHECKPOINT_EVERY_SEC) * 1000;
  let lastCheckpoint = Date.now();
  let cut: { epoch: number; batch: number; batches: number } | undefined;
  // After `epochsDone` epochs, or inside the next one (`partial`: how far, and its sums so far). The
  // batch order and augmentation come from (seed, epoch, batch) alone, so they need no state.
  const checkpoint = (epochsDone: number, weights: Weights, partial?: EpochProgress) => {
    saveCheckpoint(ckptFile, {
      state: { runId, epoch: epochsDone, bestEpoch: stopper.bestEpoch, bestValAccuracy: stopper.bestValue, actionRng: actionRng.state(),
        dropoutRng: net.rngState(), configHash: hash, maskGenerator: MASK_GENERATOR, ...(partial ? { partial } : {}) },
      weights, best,
    });
    lastCheckpoint = Date.now();
    lock?.touch();
  };
  for (let epoch = startEpoch + 1; epoch <= cfg.maxEpochs; epoch++) {
    const te = Date.now();
    const from = epoch === startEpoch + 1 ? resumeAt : null;
    const priorSecs = from?.trainSec ?? 0;
    let n = from?.n ?? 0, reward = from?.reward ?? 0, correct = from?.correct ?? 0, loss = from?.loss ?? 0;
    const elapsedSec = () => priorSecs + (Date.now() - te) / 1000;
    const progress = (batch: number): EpochProgress => ({ batch, n, reward, correct, loss, trainSec: elapsedSec() });
    try {
      for (const b of epochBatches(train, { batchSize: cfg.batchSize, seed, epoch: epoch - 1, augment, factor: cfg.augmentFactor, startBatch: from?.batch ?? 0 })) {
        const x = applyInput(b.x, input);
        const m = await trainStep(net, rule, x, b.y, step, actionRng);
        tf.dispose([b.x, x]);
        n += m.n; reward += m.reward; correct += m.greedyCorrect; loss += m.loss;
        opts.events?.onBatch?.({ epoch, batch: b.batch + 1, batches: b.batches, rewardRate: reward / n, samplesPerSec: n / elapsedSec() });
        // Between batches: let the kernel send outputs and run its interrupt handler.
        await yieldToEventLoop();
        if (signal.aborted) {
          cut = { epoch, batch: b.batch + 1, batches: b.batches };
          if (record && resume) checkpoint(epoch - 1, await net.weights(), progress(b.batch + 1));
          break;
        }
        if (record && everyMs > 0 && b.batch + 1 < b.batches && Date.now() - lastCheckpoint >= everyMs) {
          checkpoint(epoch - 1, await net.weights(), progress(b.batch + 1));
          killPoint('train:after-partial-checkpoint');
        }
      }
    } catch (e) {
      if (!(e instanceof DivergenceError)) throw e;
      status = 'diverged'; message = e.message;
      break;
    }
    if (cut) {
      const resumeAfterEpoch = record && resume ? epoch - 1 : 0;
      const resumeAtBatch = record && resume ? cut.batch : 0;
      if (writer) fs.appendFileSync(writer.file, JSON.stringify({ type: 'interrupted', ...cut, resumeAfterEpoch, resumeAtBatch, at: new Date().toISOString() }) + '\n');
      net.dispose();
      probe?.x.dispose();
      throw new InterruptedError({ runId, ...cut, resumeAfterEpoch, resumeAtBatch, file: writer?.file ?? '' });
    }
    const trainSec = elapsedSec();
    const valAccuracy = val.n > 0 ? await evaluate(net, val, 500, input) : correct / n;
    const rec: EpochRecord = {
      type: 'epoch', epoch, trainRewardRate: reward / n, trainAccuracy: correct / n, meanDelta2: loss / n, valAccuracy,
      wallTimeSec: elapsedSec(), samplesPerSec: n / trainSec,
      ...(ownFeedbackArray(cfg.feedback) ? { alignmentDeg: await net.alignmentDeg() } : {}),
      ...(probe ? { gradientAlignmentDeg: await probeAlignment(epoch) } : {}),
    };
    // One read of the weights per epoch serves both the best-so-far copy and the checkpoint.
    const current = await net.weights();
    // Q-values can stay finite while a hidden layer is already NaN (a huge α): check every weight.
    const broken = nonFinite(current);
    if (broken) { status = 'diverged'; message = `${broken} after epoch ${epoch}: the network diverged; try a smaller learning rate than ${cfg.lr}`; break; }
    const improved = stopper.observe(epoch, valAccuracy);
    if (improved) best = current;
    const bestEpoch = stopper.bestEpoch, bestVal = stopper.bestValue;
    epochs.push(rec);
    writer?.appendEpoch(rec);
    if (record) checkpoint(epoch, current);
    opts.events?.onEpoch?.(rec, { bestEpoch, bestValAccuracy: bestVal });
    if (stopper.shouldStop(epoch)) { status = 'converged'; break; }
    if (opts.haltAfterEpochs !== undefined && epoch - startEpoch >= opts.haltAfterEpochs) { halted = true; break; }
  }
  probe?.x.dispose();
  if (halted) return { record: writer ? readRunFile(writer.file) : null, skipped: false, network: net };

  // Test accuracy of the weights with the best validation accuracy (the paper's protocol).
  let testAccuracy: number | null = null;
  if (status !== 'diverged' && best) { net.setWeights(best); testAccuracy = await evaluate(net, test, 500, input); }
  const end: RunEnd = {
    type: 'end', status, epochs: startEpoch + epochs.length,
    bestEpoch: stopper.bestEpoch, bestValAccuracy: Math.max(stopper.bestValue, 0), testAccuracy, testWeights: 'best-val',
    totalTimeSec: priorSec + (resumeAt?.trainSec ?? 0) + (Date.now() - t0) / 1000, finishedAt: new Date().toISOString(), ...(message ? { message } : {}),
  };
  // Kept before the end line: once the run reads as finished, clean-up may delete its checkpoint.
  // A diverged run keeps the weights of its last finite epoch (what an lr-study divergence is read from).
  if (record && opts.keepWeights) keepFinalCheckpoint(ckptFile, keptFile);
  writer?.end(end);
  if (record) removeCheckpoint(ckptFile, opts.keepCheckpoint);
  opts.events?.onEnd?.(end);
  const result: RunRecord = writer ? readRunFile(writer.file) : { header, epochs, end, file: '' };
  return { record: result, skipped: false, network: net };
}

/** "W of layer 'dense1' holds NaN (3 of 1176000 values)" for the first layer with a non-finite weight, else null. */
function nonFinite(ws: Weights): string | null {
  for (const [layer, w] of Object.entries(ws)) for (const key of ['W', 'Wfb'] as const) {
    const a = w[key];
    if (!a) continue;
    let count = 0, first = 0;
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) { if (count++ === 0) first = a[i]; }
    if (count) return `${key === 'W' ? 'W' : "W'"} of layer '${layer}' holds ${first} (${count} of ${a.length} values)`;
  }
  return null;
}
