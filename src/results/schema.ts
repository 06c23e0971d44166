// The run record format: one JSON object per line in results/<experiment>/<runId>.jsonl.
// Line 1 is the header (everything needed to re-run), then one line per finished epoch, then an
// end line when the run stops. Tables and figures are always regenerated from these files.

export type RuleName = 'deepagrel' | 'ebp';
export type ArchName = 'fc' | 'conv' | 'loccon' | string;

export interface RunHeader {
  type: 'header';
  runId: string;                 // e.g. "mnist-conv-deepagrel-s3"
  experiment: string;            // folder under results/, e.g. "table1"
  preset: string;                // preset name, e.g. "mnist-conv-deepagrel" (the Table 1 row)
  rule: RuleName;
  dataset: string;               // 'mnist' | 'cifar10' | 'cifar100' | ...
  arch: ArchName;
  augment: boolean;
  seed: number;
  config: Record<string, unknown>;   // every hyper-parameter, after overrides
  protocol: string;              // "paper" or a label such as "reduced: max 30 epochs"
  datasetInfo?: { source: string; exact: boolean; nTrain: number; nVal: number; nTest: number };
  /** inputNorm 'per-channel': the mean and standard deviation (pixels in [0, 1], per channel) of
   *  the run's training split that its inputs were standardized with. */
  inputStats?: { mean: number[]; std: number[] };
  /** Which backend ran the run: name, threads, and (newer records) the package, the kernels in
   *  one line, and the native library with its version, instruction set and threading runtime. */
  backend: { name: string; threads: number; simd?: boolean; package?: string; kernels?: string;
    library?: { library: string; version: string; isa: string; runtime: string };
    /** webgpu: the adapter the run used (newer records: its kind, 'discrete' | 'integrated' | 'software' | 'unknown'). */
    adapter?: { vendor: string; architecture: string; device: string; description: string; software: boolean; api: string; kind?: string };
    /** 'auto' (newer records): each backend tried before this one and why it was not taken. */
    skipped?: { backend: string; reason: string }[];
    /** Where WebGPU was considered (newer records): every adapter found with its kind and what that
     *  rests on, the one picked and how, the decision, and the probe's ms per step when one ran. */
    webgpu?: {
      adapters: { index: number; name: string; vendor: string; architecture: string; description: string; kind: string; kindReason: string }[];
      chosen: number; how: string; decision: string;
      probe?: { net: string; batch: number; webgpuMs: number; cpuMs: number; cpuBackend: string; steps: { webgpu: number; cpu: number } };
    } };
  versions: Record<string, string>;  // node, tfjs, workbook, ...
  git?: { commit: string; dirty: boolean };
  startedAt: string;             // ISO time
  resumedAt?: string[];          // ISO times of resumes, if any
  /** What each resume ran on (newer records; match an entry to resumedAt by `at`, since resumes
   *  made before this field existed have no entry): the code and the backend may differ from the
   *  start's (another machine, a newer checkout); the numbers after the resume come from these. */
  resumes?: { at: string; /** The epoch the resume continued after (0: from scratch; absent in older records). */ afterEpoch?: number;
    /** Batches of epoch afterEpoch + 1 already trained: the resume continued inside that epoch (a checkpoint taken mid-epoch). */
    atBatch?: number; backend: RunHeader['backend']; versions: Record<string, string>; git?: { commit: string; dirty: boolean } }[];
}

export interface EpochRecord {
  type: 'epoch';
  epoch: number;                 // 1-based
  trainRewardRate: number;       // mean reward of the actions actually taken (exploration included)
  trainAccuracy: number;         // greedy accuracy on the training batches (before each batch's update)
  meanDelta2: number;            // mean δ² (DeepAGREL) or mean cross-entropy (EBP) over the epoch
  valAccuracy: number;           // greedy accuracy on the validation split
  wallTimeSec: number;           // seconds spent in this epoch (train + validation)
  samplesPerSec: number;         // training samples per second in this epoch
  alignmentDeg?: Record<string, number>;  // per layer: angle between W' and W (modes with a W' of their own)
  /** Per layer: angle between the mode's ΔW (weights W, not biases) and −α∇E on a probe batch (feedback/alignment.ts); modes other than symmetric. */
  gradientAlignmentDeg?: Record<string, number | null>;
}

export type EndStatus =
  | 'converged'        // early stopping fired (patience exhausted)
  | 'max-epochs'       // hit the epoch cap before the criterion
  | 'diverged';        // NaN/Inf in Q-values: counted as not converged (the paper's "*")

export interface RunEnd {
  type: 'end';
  status: EndStatus;
  epochs: number;                // epochs run until the run stopped (the paper's "Epochs [#]")
  bestEpoch: number;             // epoch with the best validation accuracy (0 if none)
  bestValAccuracy: number;
  testAccuracy: number | null;   // test accuracy of the weights from bestEpoch (null if diverged)
  testWeights: 'best-val' | 'last';
  totalTimeSec: number;          // wall time of the whole run, summed over resumes (the gaps between them excluded)
  finishedAt: string;
  message?: string;              // e.g. the divergence message
}

/**
 * Written when a run is stopped from outside (Kernel ▸ Interrupt, Ctrl-C) in the middle of an
 * epoch. The run stays unfinished and resumable from its checkpoint; resuming rewrites the file
 * without this line (the resume time goes to the header's resumedAt).
 */
export interface RunInterrupted {
  type: 'interrupted';
  epoch: number;                 // the epoch that was cut short (not recorded)
  batch: number;                 // batches of it that had been trained
  batches: number;
  resumeAfterEpoch: number;      // a resume continues after this epoch (0: starts over)
  resumeAtBatch?: number;        // … and this many batches into the next one (a checkpoint at the cut; absent in older records)
  at: string;                    // ISO time
}

export type RunLine = RunHeader | EpochRecord | RunEnd | RunInterrupted;

/** A run as read back from disk. `end` is undefined while the run is unfinished. */
export interface RunRecord { header: RunHeader; epochs: EpochRecord[]; end?: RunEnd; file: string; interrupted?: RunInterrupted }
