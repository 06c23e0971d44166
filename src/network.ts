// A stack of layers: forward, feedback, update. Knows nothing about rewards or rules — the rule
// hands it an output signal (DeepAGREL: δ at the selected unit only; EBP: t − p everywhere) and
// the same feedback machinery carries it down.
//
// Why δ rides on the feedback signal: the paper's feedback network carries z_s (the selected
// action) and δ arrives separately as a global neuromodulator; ΔW = α·δ·pre·g·fb. The feedback
// pass is linear in its input, so sending δ_b·z_s for trial b gives exactly δ_b·fb — one pass
// per batch instead of a pass plus a per-layer multiplication, with identical updates.

import * as tf from '@tensorflow/tfjs';
import { Rng, type RngState } from './rng.ts';
import type { Layer, WeightOptions } from './layers/layer.ts';
import { checkFeedbackMode, FEEDBACK, type FeedbackMode } from './feedback/modes.ts';
import { DirectFeedback } from './feedback/direct.ts';
import { Dense } from './layers/dense.ts';
import { Conv2D, type Padding } from './layers/conv2d.ts';
import { LocallyConnected2D } from './layers/locally-connected2d.ts';
import { Dropout } from './layers/dropout.ts';
import { Flatten } from './layers/flatten.ts';

export type LayerSpec =
  | { type: 'dense'; units: number }
  | { type: 'conv2d'; filters: number; kernelSize: number; strides?: number; padding?: Padding }
  | { type: 'loccon2d'; filters: number; kernelSize: number; strides?: number; padding?: Padding }
  | { type: 'dropout'; rate: number }
  | { type: 'flatten' };

export const LAYER_TYPES = ['dense', 'conv2d', 'loccon2d', 'dropout', 'flatten'] as const;

export interface NetworkConfig {
  /** One sample's shape, e.g. [28, 28, 1]. */
  inputShape: number[];
  /** Hidden layers, bottom to top (ReLU units). The linear output layer is added after them. */
  layers: LayerSpec[];
  /** Output units = actions = classes; their activities are the Q-values. */
  numClasses: number;
  /** Weights start uniform in [-init, init]. */
  init: number;
  feedback?: FeedbackMode;
  weightDecay?: number;
  /** A learned bias per unit (default false: the paper's equations have none). */
  bias?: boolean;
  /** Seeds weight init (and, through a forked stream, dropout masks). */
  seed: number;
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function paddingOf(v: unknown, what: string): Padding {
  if (v === undefined) return 'valid';
  if (v !== 'same' && v !== 'valid') throw new Error(`${what}.padding must be 'same' or 'valid', got ${JSON.stringify(v)}`);
  return v;
}

export class Network {
  readonly layers: Layer[] = [];
  readonly config: Required<NetworkConfig>;
  private readonly dropoutRng: Rng;
  /** Layers at or below this index need not send feedback further down (nothing learns below). */
  private readonly lowestLearner: number;
  /** The 'direct' mode's path (feedback/direct.ts); null for the layered modes. */
  readonly direct: DirectFeedback | null;

  constructor(config: NetworkConfig) {
    const cfg: Required<NetworkConfig> = { feedback: 'symmetric', weightDecay: 0, bias: false, ...config };
    if (!Array.isArray(cfg.inputShape) || cfg.inputShape.length < 1) throw new Error(`inputShape must be a non-empty array, got ${JSON.stringify(cfg.inputShape)}`);
    cfg.inputShape.forEach((d, i) => positiveInt(d, `inputShape[${i}]`));
    positiveInt(cfg.numClasses, 'numClasses');
    if (!(cfg.init > 0 && Number.isFinite(cfg.init))) throw new Error(`init (weight range) must be > 0, got ${cfg.init}`);
    checkFeedbackMode(cfg.feedback);
    if (!(cfg.weightDecay >= 0 && cfg.weightDecay < 1)) throw new Error(`weightDecay must be in [0, 1), got ${cfg.weightDecay}`);
    if (typeof cfg.bias !== 'boolean') throw new Error(`bias must be true or false, got ${JSON.stringify(cfg.bias)}`);
    this.config = cfg;

    const rng = new Rng(cfg.seed);
    this.dropoutRng = rng.fork();
    const w: WeightOptions = { init: cfg.init, feedback: cfg.feedback, weightDecay: cfg.weightDecay, bias: cfg.bias, rng };
    let shape = cfg.inputShape;
    const add = (l: Layer) => { this.layers.push(l); shape = l.outputShape; };
    const specs: LayerSpec[] = [...cfg.layers, { type: 'dense', units: cfg.numClasses }];
    specs.forEach((spec, i) => {
      const isOutput = i === specs.length - 1;
      const name = isOutput ? 'output' : `${spec?.type}${i + 1}`;
      const where = `layers[${i}] (${JSON.stringify(spec)})`;
      switch (spec?.type) {
        case 'dense':
          if (shape.length > 1) add(new Flatten(`flatten${i + 1}`, shape));
          add(new Dense(name, shape, positiveInt(spec.units, `${where}.units`), isOutput ? 'linear' : 'relu', w));
          break;
        case 'conv2d':
          add(new Conv2D(name, shape, positiveInt(spec.filters, `${where}.filters`), positiveInt(spec.kernelSize, `${where}.kernelSize`),
            positiveInt(spec.strides ?? 1, `${where}.strides`), paddingOf(spec.padding, where), 'relu', w));
          break;
        case 'loccon2d':
          add(new LocallyConnected2D(name, shape, positiveInt(spec.filters, `${where}.filters`), positiveInt(spec.kernelSize, `${where}.kernelSize`),
            positiveInt(spec.strides ?? 1, `${where}.strides`), paddingOf(spec.padding, where), 'relu', w));
          break;
        case 'dropout':
          add(new Dropout(name, shape, spec.rate, this.dropoutRng));
          break;
        case 'flatten':
          add(new Flatten(name, shape));
          break;
        default:
          throw new Error(`${where}: unknown layer type ${JSON.stringify((spec as any)?.type)}; allowed: ${LAYER_TYPES.join(', ')}`);
      }
    });
    this.lowestLearner = this.layers.findIndex(l => l.W !== null);
    // Drawn after every W (and W'): a direct net's W are those of the symmetric net of the same seed.
    this.direct = FEEDBACK[cfg.feedback].path === 'direct' ? new DirectFeedback(this.layers, cfg.numClasses, cfg.init, rng) : null;
  }

  get inputShape(): number[] { return this.config.inputShape; }

  private checkInput(x: tf.Tensor): void {
    const s = x.shape.slice(1);
    if (s.length !== this.inputShape.length || s.some((d, i) => d !== this.inputShape[i]))
      throw new Error(`input shape [${s}] (batch [${x.shape}]) does not match the network's input shape [${this.inputShape}]`);
  }

  /** Phase 1, forward pass: Q-values [B, numClasses]. `training` keeps pre/gates and draws dropout masks. */
  forward(x: tf.Tensor, training = false): tf.Tensor2D {
    this.checkInput(x);
    return tf.tidy(() => this.layers.reduce((h, l) => l.forward(h, training), x)) as tf.Tensor2D;
  }

  /** The same function with explicit weights (one per weighted layer) and biases (one per layer
   *  that has them, same order), for autodiff checks. */
  call(x: tf.Tensor, weights: tf.Tensor[], biases: tf.Tensor[] = []): tf.Tensor2D {
    let k = 0, j = 0;
    return this.layers.reduce((h, l) => l.call(h, l.W ? weights[k++] : null, l.b ? biases[j++] : null), x) as tf.Tensor2D;
  }

  /** Phase 3, feedback pass: `signal` [B, numClasses] enters at the output units and travels down W'
   *  (or, in the direct mode, to every hidden layer through its own fixed random matrix). */
  feedback(signal: tf.Tensor2D): void {
    if (this.direct) { this.direct.feedback(this.layers, signal); return; }
    tf.tidy(() => {
      let fb: tf.Tensor | null = signal;
      for (let i = this.layers.length - 1; i >= 0 && fb; i--) fb = this.layers[i].feedback(fb, i > this.lowestLearner);
    });
  }

  /** ΔW per weighted layer (same order as weightedLayers()); caller disposes. */
  weightDeltas(lr: number): tf.Tensor[] {
    return this.weightedLayers().map(l => l.weightDelta(lr)!);
  }

  /** Δb per layer with biases (same order as biasedLayers()); caller disposes. */
  biasDeltas(lr: number): tf.Tensor[] {
    return this.biasedLayers().map(l => l.biasDelta(lr)!);
  }

  /** Phase 5, plasticity: apply the four-factor updates to W (and W'), then free the step's state. */
  update(lr: number): void {
    for (const l of this.weightedLayers()) l.update(lr);
    this.release();
  }

  release(): void { for (const l of this.layers) l.release(); }

  weightedLayers(): Layer[] { return this.layers.filter(l => l.W !== null); }

  biasedLayers(): Layer[] { return this.layers.filter(l => l.b !== null); }

  /** Per weighted layer: angle in degrees between W' and W (0 = symmetric, ~90 = unrelated); {} in
   *  the direct mode, which has no W'. */
  async alignmentDeg(): Promise<Record<string, number>> {
    const layers = FEEDBACK[this.config.feedback].weights === 'none' ? [] : this.weightedLayers();
    const deg = await anglesDeg(layers.map(l => [l.W!, l.Wfb!]));
    return Object.fromEntries(layers.map((l, i) => [l.name, deg[i]]));
  }

  paramCount(): number {
    return this.weightedLayers().reduce((n, l) => n + l.W!.size + (l.b?.size ?? 0), 0);
  }

  /** A printable table: layer, output shape, units, parameters. */
  summary(): string {
    const rows = this.layers.map(l => `${l.name.padEnd(12)} ${l.kind.padEnd(9)} [${l.outputShape.join('x')}]`.padEnd(40) + (l.W ? `${l.W.size + (l.b?.size ?? 0)}` : ''));
    return [`input        [${this.inputShape.join('x')}]`, ...rows, `feedback: ${this.config.feedback} (${FEEDBACK[this.config.feedback].about}); ${this.config.bias ? 'biases; ' : ''}parameters: ${this.paramCount()}`].join('\n');
  }

  /** Weights as plain arrays (for checkpoints): W, W' when it is a separate array, b when there is
   *  one. Read asynchronously (on a GPU: without holding the event loop). */
  async weights(): Promise<Record<string, { W: Float32Array; Wfb?: Float32Array; b?: Float32Array }>> {
    const layers = this.weightedLayers();
    const values = await Promise.all(layers.map(l => Promise.all([l.W!.data(), l.Wfb !== l.W ? l.Wfb!.data() : null, l.b ? l.b.data() : null])));
    const out: Record<string, { W: Float32Array; Wfb?: Float32Array; b?: Float32Array }> = {};
    layers.forEach((l, i) => {
      const [W, Wfb, b] = values[i] as (Float32Array | null)[];
      out[l.name] = { W: W! };
      if (Wfb) out[l.name].Wfb = Wfb;
      if (b) out[l.name].b = b;
    });
    return out;
  }

  /** weights() with synchronous reads, for callers that cannot await (CPU backends only: WebGPU
   *  has no synchronous read under Node). */
  getWeights(): Record<string, { W: Float32Array; Wfb?: Float32Array; b?: Float32Array }> {
    const out: Record<string, { W: Float32Array; Wfb?: Float32Array; b?: Float32Array }> = {};
    for (const l of this.weightedLayers()) {
      out[l.name] = { W: l.W!.dataSync() as Float32Array };
      if (l.Wfb !== l.W) out[l.name].Wfb = l.Wfb!.dataSync() as Float32Array;
      if (l.b) out[l.name].b = l.b.dataSync() as Float32Array;
    }
    return out;
  }

  setWeights(weights: Record<string, { W: Float32Array | number[]; Wfb?: Float32Array | number[]; b?: Float32Array | number[] }>): void {
    for (const l of this.weightedLayers()) {
      const w = weights[l.name];
      if (!w) throw new Error(`weights for layer '${l.name}' missing (have: ${Object.keys(weights).join(', ')})`);
      const set = (v: tf.Variable, data: Float32Array | number[], what: string) => {
        if (data.length !== v.size) throw new Error(`${what} of layer '${l.name}' has ${data.length} values, expected ${v.size}`);
        tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
      };
      set(l.W!, w.W, 'W');
      if (l.Wfb !== l.W) {
        if (!w.Wfb) throw new Error(`feedback weights W' of layer '${l.name}' missing (mode ${this.config.feedback})`);
        set(l.Wfb!, w.Wfb, "W'");
      }
      if (l.b) {
        if (!w.b) throw new Error(`biases b of layer '${l.name}' missing (the network has biases; these weights were saved without)`);
        set(l.b, w.b, 'b');
      } else if (w.b) throw new Error(`weights of layer '${l.name}' include biases b, but the network has none (set bias: true)`);
    }
  }

  rngState(): RngState { return this.dropoutRng.state(); }
  setRngState(s: RngState): void { this.dropoutRng.setState(s); }

  dispose(): void { for (const l of this.layers) l.dispose(); this.direct?.dispose(); }
}

/**
 * Angle in degrees between the arrays of each pair, read in one go. 2·atan2(|u − v|, |u + v|) for
 * the unit vectors u, v: exactly 0 for equal arrays (acos is not); NaN when one is all zeros.
 */
export async function anglesDeg(pairs: [tf.Tensor, tf.Tensor][]): Promise<number[]> {
  if (pairs.length === 0) return [];
  const norms = tf.tidy(() => tf.stack(pairs.flatMap(([a, b]) => {
    const u = tf.div(a, tf.norm(a)), v = tf.div(b, tf.norm(b));
    return [tf.norm(tf.sub(u, v)), tf.norm(tf.add(u, v))];
  })));
  const ds = await norms.data();
  norms.dispose();
  return pairs.map((_, i) => (2 * Math.atan2(ds[2 * i], ds[2 * i + 1]) * 180) / Math.PI);
}
