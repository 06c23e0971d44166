// What every layer of a DeepAGREL network has: feedforward weights W, its own feedback weights W'
// (Fig. 1: a feedforward and a feedback neuron per node), and the three phases it takes part in:
//
//   forward(x)   feedforward activity; in training it keeps the presynaptic activity `pre` and
//                the gate g = [a > 0] (eq 8, 11) for the later phases.
//   feedback(fb) fb = activity of this layer's feedback units (eq 9, 12, 14). The layer stores the
//                postsynaptic factor g ⊙ fb and sends W'·(g ⊙ fb) down to the layer below.
//   update(α)    the four-factor rule ΔW = α · pre ⊗ (g ⊙ fb) (eq 13), δ already folded into fb
//                (see network.ts), averaged over the batch. W' follows as the feedback mode says
//                (../feedback/modes.ts: the paper's symmetric W' is W itself; the direct mode
//                sends no feedback through W' at all and feeds each layer from the output).
//
// Optional biases b (off by default: the paper's equations have none; Keras layers add them).
// A bias is a synapse from a unit that is always on (pre = 1), so it learns by the same rule,
// Δb = α · (g ⊙ fb); it has no feedback twin, as no feedback flows down to a constant unit.
//
// A layer never knows which learning rule is running: rules only shape the output signal. Nor
// which feedback path: it is handed fb, wherever fb came from.

import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng.ts';
import { afterWChanged, applyWeightDelta, learnsWithW, makeFeedbackWeights, type FeedbackMode } from '../feedback/modes.ts';

// What W′ is in each feedback mode, and how it follows W: ../feedback/modes.ts.
export { FEEDBACK_MODES, type FeedbackMode } from '../feedback/modes.ts';

export type Activation = 'relu' | 'linear';

export interface WeightOptions {
  /** Initial weights are uniform in [-init, init] (paper: 0.02 conv nets, 0.05 dense MNIST). */
  init: number;
  feedback: FeedbackMode;
  /** L2 decay on W and W' per update (kolen-pollack: lets W' come to align with W). */
  weightDecay: number;
  /** Add a bias per unit (zero at the start, Keras's default; not decayed). */
  bias?: boolean;
  rng: Rng;
}

export interface Layer {
  readonly kind: string;
  readonly name: string;
  /** Shapes of one sample (no batch dimension). */
  readonly inputShape: number[];
  readonly outputShape: number[];

  /** Feedforward pass. With `training`, keeps what feedback and update need (call release()). */
  forward(x: tf.Tensor, training: boolean): tf.Tensor;
  /**
   * Feedback pass: `fb` has the shape of this layer's output. Keeps g ⊙ fb for the update and
   * returns the feedback for the layer below, or null when `needBelow` is false (bottom layer).
   */
  feedback(fb: tf.Tensor, needBelow: boolean): tf.Tensor | null;
  /** ΔW for learning rate α (averaged over the batch), without applying it; null if no weights. */
  weightDelta(lr: number): tf.Tensor | null;
  /** Δb for learning rate α (averaged over the batch); null without biases. */
  biasDelta(lr: number): tf.Tensor | null;
  /** W += ΔW plus decay, and W' as the feedback mode says (feedback/modes.ts; symmetric: W' is W). */
  applyDelta(dW: tf.Tensor, lr: number): void;
  /** Phase 5: the four-factor update for learning rate α (applyDelta(weightDelta(α)), or fused). */
  update(lr: number): void;
  /** Free what forward/feedback kept. */
  release(): void;

  /** The pure feedforward function with explicit weights and biases (for the autodiff check). */
  call(x: tf.Tensor, W: tf.Tensor | null, b?: tf.Tensor | null): tf.Tensor;

  readonly W: tf.Variable | null;
  /** Biases, one per unit (conv: per filter; loccon: per position and filter); null without. */
  readonly b: tf.Variable | null;
  /** Feedback weights, same layout as W (W' is used transposed); === W in symmetric and direct mode. */
  readonly Wfb: tf.Variable | null;
  dispose(): void;
}

/** Seeded uniform init in [-a, a]: drawn in JS so every backend starts from the same numbers. */
export function uniformWeights(shape: number[], a: number, rng: Rng): tf.Variable {
  const n = shape.reduce((p, d) => p * d, 1);
  // Unnamed: tfjs variable names are global, and users build many networks in one notebook.
  const init = tf.tensor(rng.uniformArray(n, -a, a), shape);
  const v = tf.variable(init, true);   // the variable holds its own reference to the data
  init.dispose();
  return v;
}

/** W and W' for a layer, according to the feedback mode. A random W' is drawn after W from the same stream. */
export function makeWeights(shape: number[], opts: WeightOptions): { W: tf.Variable; Wfb: tf.Variable } {
  const W = uniformWeights(shape, opts.init, opts.rng);
  return { W, Wfb: makeFeedbackWeights(W, opts.feedback, () => uniformWeights(shape, opts.init, opts.rng)) };
}

/** Gate of ReLU units: 1 where the unit is active (y > 0), else 0 (Fig. 2: silent units pass no feedback). */
export function gateOf(y: tf.Tensor, activation: Activation): tf.Tensor | null {
  return activation === 'relu' ? tf.step(y, 0) : null;
}

export function activate(a: tf.Tensor, activation: Activation): tf.Tensor {
  return activation === 'relu' ? tf.relu(a) : a;
}

/** Keeps tensors across phases of one step; released together. */
export class Kept {
  private items: tf.Tensor[] = [];
  keep<T extends tf.Tensor>(t: T): T { tf.keep(t); this.items.push(t); return t; }
  release(): void { for (const t of this.items) t.dispose(); this.items = []; }
}

export function sizeOf(shape: number[]): number { return shape.reduce((p, d) => p * d, 1); }

/**
 * The phases every layer with synapses shares; a subclass only says how its units are wired:
 * `drive` (feedforward input a from x and W), `sendDown` (W'·post to the layer below) and
 * `synapticSum` (Σ over trials of pre ⊗ post, in W's shape).
 */
export abstract class WeightedLayer implements Layer {
  abstract readonly kind: string;
  readonly W: tf.Variable;
  readonly Wfb: tf.Variable;
  readonly b: tf.Variable | null;
  private readonly mode: FeedbackMode;
  private readonly weightDecay: number;
  private kept = new Kept();
  private batch = 0;
  protected pre: tf.Tensor | null = null;    // presynaptic activity, in the layout synapticSum uses
  private gate: tf.Tensor | null = null;     // g = [a > 0]; null for linear units
  protected post: tf.Tensor | null = null;   // g ⊙ fb, in the layout synapticSum uses
  private biasPost: tf.Tensor | null = null; // Σ over the batch (and shared positions) of g ⊙ fb

  /** `biasShape`: the trailing part of the output shape that has its own bias (conv: [filters]). */
  constructor(readonly name: string, readonly inputShape: number[], readonly outputShape: number[],
              weightShape: number[], readonly activation: Activation, w: WeightOptions, biasShape: number[] = outputShape) {
    ({ W: this.W, Wfb: this.Wfb } = makeWeights(weightShape, w));
    // Zeros, drawn from no stream: a net with biases starts from the same W as one without.
    if (w.bias) { const zeros = tf.zeros(biasShape); this.b = tf.variable(zeros, true); zeros.dispose(); } else this.b = null;
    this.mode = w.feedback;
    this.weightDecay = w.weightDecay;
  }

  /** Feedforward input a (output layout) and the presynaptic activity to keep for the update. */
  protected abstract drive(x: tf.Tensor, W: tf.Tensor): { a: tf.Tensor; pre: tf.Tensor };
  /** g ⊙ fb (output layout) → the layout synapticSum and sendDown use. */
  protected toPostLayout(post: tf.Tensor): tf.Tensor { return post; }
  /** Feedback for the layer below: W'·(g ⊙ fb), in the input's layout. */
  protected abstract sendDown(post: tf.Tensor): tf.Tensor;
  /** Σ over the batch of pre ⊗ post, shaped like W. */
  protected abstract synapticSum(pre: tf.Tensor, post: tf.Tensor): tf.Tensor;

  call(x: tf.Tensor, W: tf.Tensor | null, b: tf.Tensor | null = null): tf.Tensor {
    const a = this.drive(x, W!).a;
    return activate(b ? tf.add(a, b) : a, this.activation);
  }

  forward(x: tf.Tensor, training: boolean): tf.Tensor {
    const { a, pre } = this.drive(x, this.W);
    const y = activate(this.b ? tf.add(a, this.b) : a, this.activation);
    if (training) {
      this.batch = x.shape[0];
      this.pre = this.kept.keep(pre === x ? tf.clone(x) : pre);   // own handle: x may be the caller's
      const g = gateOf(y, this.activation);
      this.gate = g && this.kept.keep(g);
    }
    return y;
  }

  feedback(fb: tf.Tensor, needBelow: boolean): tf.Tensor | null {
    // Feedback units are gated by their feedforward partner (eq 9, 12: g ⊙ fb).
    const gated = this.gate ? tf.mul(fb, this.gate) : fb;
    if (this.b) {
      // pre = 1 for every trial (and every position sharing the bias): Σ of g ⊙ fb over those axes.
      const shared = Array.from({ length: gated.rank - this.b.rank }, (_, i) => i);
      this.biasPost = this.kept.keep(tf.sum(gated, shared));
    }
    const post = this.toPostLayout(gated);
    this.post = this.kept.keep(post === fb ? tf.clone(fb) : post);   // own copy: fb belongs to the caller
    return needBelow ? this.sendDown(this.post) : null;
  }

  private checkPhases(what: string): void {
    if (!this.pre || !this.post) throw new Error(`${this.name}: ${what}() needs forward(training) and feedback() first`);
  }

  weightDelta(lr: number): tf.Tensor {
    this.checkPhases('weightDelta');
    // ΔW = α/B Σ_b pre ⊗ (g ⊙ fb)   (eq 13, batch-averaged; δ rides on fb, see network.ts)
    return tf.tidy(() => this.synapticSum(this.pre!, this.post!).mul(lr / this.batch));
  }

  biasDelta(lr: number): tf.Tensor | null {
    if (!this.b) return null;
    this.checkPhases('biasDelta');
    return tf.mul(this.biasPost!, lr / this.batch);
  }

  applyDelta(dW: tf.Tensor, lr: number): void {
    applyWeightDelta(this.W, this.Wfb, dW, this.mode, lr, this.weightDecay);
  }

  update(lr: number): void {
    this.checkPhases('update');
    // W ← (1 − αλ)·W + α/B Σ_b pre ⊗ post in one pass where the backend can; a learning W'
    // (kolen-pollack, reciprocal) needs the same ΔW twice, so it takes the general path.
    if (!learnsWithW(this.mode) && this.accumulateSynapticSum(lr / this.batch, lr * this.weightDecay)) afterWChanged(this.W, this.Wfb, this.mode);
    else {
      const dW = this.weightDelta(lr);
      this.applyDelta(dW, lr);
      dW.dispose();
    }
    // No decay on b: decay is there to let W' come to match W, and a bias has no W' (Keras, too,
    // regularizes kernels, not biases, unless asked).
    if (this.b) tf.tidy(() => { this.b!.assign(tf.add(this.b!, this.biasDelta(lr)!)); });
  }

  /**
   * W ← (1 − decay)·W + scale·synapticSum(pre, post) by an op that can do it without
   * materialising ΔW where the backend has a kernel for this wiring (the dense layer: src/ops.ts);
   * true when done, false (the default) for the general path (weightDelta, then applyDelta).
   */
  protected accumulateSynapticSum(_scale: number, _decay: number): boolean { return false; }

  release(): void { this.kept.release(); this.pre = this.gate = this.post = this.biasPost = null; }

  dispose(): void { this.release(); this.W.dispose(); if (this.Wfb !== this.W) this.Wfb.dispose(); this.b?.dispose(); }
}
