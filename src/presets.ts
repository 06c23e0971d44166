// The paper's experiments as data: one preset per Table 1 row, named
// `${dataset}-${arch}[-aug]-${rule}` (e.g. mnist-conv-deepagrel, cifar10-loccon-aug-ebp).
// Learning rates come from the paper's table itself (PAPER_TABLE1), so there is one source of
// truth. Every field can be overridden (CLI flags, notebook parameters). Choices where the paper
// is silent or inconsistent are explained in PROTOCOL.md.

import type { LayerSpec } from './network.ts';
import { FEEDBACK_MODES, KOLEN_POLLACK_DECAY, type FeedbackMode } from './feedback/modes.ts';
import { PAPER_TABLE1, presetName, runName, type PaperArch } from './results/paper-table1.ts';
import type { RuleName } from './results/schema.ts';
import { INPUT_NORMS, type InputNorm } from './data/input-norm.ts';

export interface ExperimentConfig {
  preset: string;
  dataset: string;              // 'mnist' | 'fashion-mnist' | 'cifar10' | 'cifar100'
  arch: string;                 // 'fc' | 'conv' | 'loccon' | 'custom'
  rule: RuleName;
  layers: LayerSpec[];          // hidden layers; the linear output layer is added by the network
  init: number;                 // weights uniform in [-init, init]
  lr: number;                   // α
  epsilon: number;              // exploration rate of the max-Boltzmann controller
  beta: number;                 // inverse temperature of its Boltzmann part
  batchSize: number;
  valSize: number;              // training samples held out for validation
  patience: number;             // early stopping: epochs without a better validation accuracy
  maxEpochs: number;            // cap (the paper has none; ours keeps a runaway run finite)
  augment: boolean;             // random zoom, shift and left-right flip per batch
  augmentFactor: number;        // each training image is seen this many times per epoch
  feedback: FeedbackMode;       // symmetric (paper) | sign-symmetric | kolen-pollack | reciprocal | fixed-random | direct (feedback/modes.ts)
  weightDecay: number;
  perClass: number;             // > 0: use only the first N training images of each class (quick runs)
  testLimit: number;            // > 0: evaluate on the first N test images only (quick runs)
  labelMode: 'fine' | 'coarse'; // CIFAR-100 labels
  inputScale: number;           // pixels are in [0, 1] × inputScale (PROTOCOL.md: the paper does not say)
  /** 'per-channel': standardize pixels with the training split's per-channel mean and sd before
   *  `inputScale` (PROTOCOL.md: the paper does not say). Absent = 'none', the presets' setting. */
  inputNorm?: InputNorm;
  /** A learned bias per unit, zero at the start (Keras's default; the paper's equations have
   *  none, PROTOCOL.md). Absent = false, the presets' setting. */
  bias?: boolean;
}

/** conv32 3x3; conv32 3x3 stride 2; dropout .8; full 1000; full 500; dropout .3 (Table 1 sizes). */
function convNet(first: 'conv2d' | 'loccon2d'): LayerSpec[] {
  return [
    { type: first, filters: 32, kernelSize: 3, padding: 'valid' },          // 28→26 (MNIST), 32→30 (CIFAR)
    { type: 'conv2d', filters: 32, kernelSize: 3, strides: 2, padding: 'same' }, // →13 / →15: 5408 / 7200 units
    { type: 'dropout', rate: 0.8 },
    { type: 'dense', units: 1000 },
    { type: 'dense', units: 500 },
    { type: 'dropout', rate: 0.3 },
  ];
}

const ARCHS: Record<PaperArch, { layers: LayerSpec[]; init: number }> = {
  fc: { layers: [{ type: 'dense', units: 1500 }, { type: 'dense', units: 1000 }, { type: 'dense', units: 500 }], init: 0.05 },
  conv: { layers: convNet('conv2d'), init: 0.02 },
  loccon: { layers: convNet('loccon2d'), init: 0.02 },
};

export const DEFAULTS: Omit<ExperimentConfig, 'preset' | 'dataset' | 'arch' | 'rule' | 'layers' | 'init' | 'lr' | 'augment'> = {
  epsilon: 0.05,
  beta: 1,
  batchSize: 100,
  valSize: 1000,
  patience: 20,
  maxEpochs: 500,
  augmentFactor: 1,
  feedback: 'symmetric',
  weightDecay: 0,
  perClass: 0,
  testLimit: 0,
  labelMode: 'fine',
  inputScale: 1,
};

/** Every Table 1 row, in the paper's order. */
export const PRESETS: Record<string, ExperimentConfig> = Object.fromEntries(PAPER_TABLE1.map(row => {
  const name = presetName(row);
  const arch = ARCHS[row.arch];
  const cfg: ExperimentConfig = {
    ...DEFAULTS,
    preset: name, dataset: row.dataset, arch: row.arch, rule: row.rule,
    layers: arch.layers, init: arch.init, lr: row.alpha,
    augment: row.augment, augmentFactor: row.augment ? 10 : 1,
  };
  return [name, cfg];
}));

const KEYS = new Set<string>([...Object.keys(DEFAULTS), 'preset', 'dataset', 'arch', 'rule', 'layers', 'init', 'lr', 'augment', 'inputNorm', 'bias']);

/** A preset with fields overridden; unknown fields and out-of-range values are errors. */
export function resolvePreset(name: string, overrides: Partial<ExperimentConfig> = {}): ExperimentConfig {
  const base = PRESETS[name];
  if (!base) throw new Error(`unknown preset ${JSON.stringify(name)}; available: ${Object.keys(PRESETS).join(', ')}`);
  for (const k of Object.keys(overrides)) if (!KEYS.has(k)) throw new Error(`unknown experiment option ${JSON.stringify(k)}; allowed: ${[...KEYS].join(', ')}`);
  const cfg = { ...base, ...stripUndefined(overrides) };
  // Kolen–Pollack is W′ learning with decay: without a λ of the user's, it gets its default one.
  if (cfg.feedback === 'kolen-pollack' && overrides.weightDecay === undefined) cfg.weightDecay = KOLEN_POLLACK_DECAY;
  // 'none' and false are the defaults: kept absent, so the config (its checkpoint hash, its
  // protocol label) is the very one of runs made before inputNorm and bias existed.
  if (cfg.inputNorm === 'none') delete cfg.inputNorm;
  if (cfg.bias === false) delete cfg.bias;
  validateConfig(cfg);
  return cfg;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The default name of a run of this configuration: α in it when other than the preset's, the
 *  feedback mode when not the paper's (<preset>[-<feedback>][-lr<α>]-s<seed>), so such a run never
 *  takes the place of the paper's. `train`, `sweep` and the notebooks name runs so. */
export function configRunName(cfg: Pick<ExperimentConfig, 'preset' | 'lr' | 'feedback'>, seed: number): string {
  const lr = cfg.lr !== PRESETS[cfg.preset]?.lr ? cfg.lr : undefined;
  return runName(cfg.preset, seed, lr, cfg.feedback);
}

/** Presets matching a glob such as "mnist-*" or "cifar10-conv-*-deepagrel" (comma-separated list allowed). */
export function matchPresets(patterns: string): string[] {
  const out: string[] = [];
  for (const p of patterns.split(',').map(s => s.trim()).filter(Boolean)) {
    const re = new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
    const hits = Object.keys(PRESETS).filter(n => re.test(n));
    if (hits.length === 0) throw new Error(`no preset matches ${JSON.stringify(p)}; available: ${Object.keys(PRESETS).join(', ')}`);
    for (const h of hits) if (!out.includes(h)) out.push(h);
  }
  return out;
}

/** A configuration value that cannot work (a bad option: the CLI exits 2). */
export class ConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'ConfigError'; }
}

function range(cfg: ExperimentConfig, key: keyof ExperimentConfig, ok: (v: number) => boolean, allowed: string): void {
  const v = cfg[key] as unknown;
  if (typeof v !== 'number' || !ok(v)) throw new ConfigError(`${key} must be ${allowed}, got ${JSON.stringify(v)}`);
}

/** The largest epoch cap (and patience) a run may have. */
export const MAX_EPOCHS = 100_000;

export function validateConfig(cfg: ExperimentConfig): void {
  const int = (lo: number) => (v: number) => Number.isInteger(v) && v >= lo;
  range(cfg, 'lr', v => v > 0 && Number.isFinite(v), 'a finite number > 0');
  // The weights are float32: an α that rounds to 0 (1e-320) or to Infinity there cannot train.
  range(cfg, 'lr', v => Math.fround(v) > 0 && Number.isFinite(Math.fround(v)), 'representable in float32 (about 1.4e-45 to 3.4e38)');
  range(cfg, 'init', v => v > 0 && Number.isFinite(v), 'a finite number > 0');
  range(cfg, 'epsilon', v => v >= 0 && v <= 1, 'in [0, 1]');
  range(cfg, 'beta', v => v > 0 && Number.isFinite(v), 'a finite number > 0');
  range(cfg, 'batchSize', int(1), 'an integer ≥ 1');
  range(cfg, 'valSize', int(0), 'an integer ≥ 0');
  // Caps far above any real run (hundreds of epochs, ×10 augmentation): a typo like 1e12 is refused, not started.
  const upTo = (lo: number, hi: number) => (v: number) => int(lo)(v) && v <= hi;
  range(cfg, 'patience', upTo(1, MAX_EPOCHS), `an integer from 1 to ${MAX_EPOCHS}`);
  range(cfg, 'maxEpochs', upTo(1, MAX_EPOCHS), `an integer from 1 to ${MAX_EPOCHS}`);
  range(cfg, 'augmentFactor', upTo(1, 1000), 'an integer from 1 to 1000');
  range(cfg, 'weightDecay', v => v >= 0 && v < 1, 'in [0, 1)');
  range(cfg, 'perClass', int(0), 'an integer ≥ 0 (0 = all)');
  range(cfg, 'testLimit', int(0), 'an integer ≥ 0 (0 = all)');
  range(cfg, 'inputScale', v => v > 0 && Number.isFinite(v), 'a finite number > 0');
  if (cfg.rule !== 'deepagrel' && cfg.rule !== 'ebp') throw new Error(`rule must be 'deepagrel' or 'ebp', got ${JSON.stringify(cfg.rule)}`);
  if (!FEEDBACK_MODES.includes(cfg.feedback)) throw new ConfigError(`feedback must be one of ${FEEDBACK_MODES.join(', ')}, got ${JSON.stringify(cfg.feedback)}`);
  if (cfg.labelMode !== 'fine' && cfg.labelMode !== 'coarse') throw new Error(`labelMode must be 'fine' or 'coarse', got ${JSON.stringify(cfg.labelMode)}`);
  if (cfg.inputNorm !== undefined && !INPUT_NORMS.includes(cfg.inputNorm)) throw new ConfigError(`inputNorm must be one of ${INPUT_NORMS.join(', ')}, got ${JSON.stringify(cfg.inputNorm)}`);
  if (cfg.bias !== undefined && typeof cfg.bias !== 'boolean') throw new ConfigError(`bias must be true or false, got ${JSON.stringify(cfg.bias)}`);
  if (typeof cfg.augment !== 'boolean') throw new Error(`augment must be true or false, got ${JSON.stringify(cfg.augment)}`);
  if (!Array.isArray(cfg.layers)) throw new Error(`layers must be an array of layer specs, got ${JSON.stringify(cfg.layers)}`);
}
