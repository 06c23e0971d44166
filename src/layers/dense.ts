// Fully connected layer: a = x·W, y = ReLU(a) (hidden) or y = a (output Q-values, eq 4).

import * as tf from '@tensorflow/tfjs';
import { type Activation, type FeedbackMode, type Layer, type WeightOptions, Kept, activate, applyWeightDelta, gateOf, makeWeights } from './layer.ts';

export class Dense implements Layer {
  readonly kind = 'dense';
  readonly outputShape: number[];
  readonly W: tf.Variable;
  readonly Wfb: tf.Variable;
  private readonly mode: FeedbackMode;
  private readonly weightDecay: number;
  private kept = new Kept();
  private pre: tf.Tensor2D | null = null;    // presynaptic activity, [B, in]
  private gate: tf.Tensor | null = null;     // g = [a > 0], [B, out]; null for linear units
  private post: tf.Tensor2D | null = null;   // g ⊙ fb, [B, out]

  constructor(readonly name: string, readonly inputShape: number[], readonly units: number,
              readonly activation: Activation, w: WeightOptions) {
    if (inputShape.length !== 1) throw new Error(`${name}: dense layer needs a flat input, got shape [${inputShape}] (add a flatten layer)`);
    this.outputShape = [units];
    ({ W: this.W, Wfb: this.Wfb } = makeWeights([inputShape[0], units], w, name));
    this.mode = w.feedback;
    this.weightDecay = w.weightDecay;
  }

  call(x: tf.Tensor, W: tf.Tensor | null): tf.Tensor {
    return activate(tf.matMul(x as tf.Tensor2D, W as tf.Tensor2D), this.activation);
  }

  forward(x: tf.Tensor, training: boolean): tf.Tensor {
    const y = this.call(x, this.W);
    if (training) {
      this.pre = this.kept.keep(tf.clone(x) as tf.Tensor2D);   // own handle: x may be the caller's
      const g = gateOf(y, this.activation);
      this.gate = g && this.kept.keep(g);
    }
    return y;
  }

  feedback(fb: tf.Tensor, needBelow: boolean): tf.Tensor | null {
    // Feedback units are gated by their feedforward partner (eq 9: g ⊙ fb).
    const post = this.gate ? tf.mul(fb, this.gate) : tf.clone(fb);   // own copy: fb belongs to the caller
    this.post = this.kept.keep(post as tf.Tensor2D);
    // fb for the layer below: Σ_m W'_{m,p} (g_m fb_m); W' is stored in W's layout, so transposed.
    return needBelow ? tf.matMul(this.post, this.Wfb, false, true) : null;
  }

  weightDelta(lr: number): tf.Tensor {
    if (!this.pre || !this.post) throw new Error(`${this.name}: weightDelta() needs forward(training) and feedback() first`);
    const B = this.pre.shape[0];
    // ΔW_{p,m} = α/B Σ_b pre_p · (g_m fb_m)   (eq 13, batch-averaged)
    return tf.tidy(() => tf.matMul(this.pre!, this.post!, true, false).mul(lr / B));
  }

  applyDelta(dW: tf.Tensor, lr: number): void {
    applyWeightDelta(this.W, this.Wfb, dW, this.mode, lr, this.weightDecay);
  }

  release(): void { this.kept.release(); this.pre = this.gate = this.post = null; }

  dispose(): void { this.release(); this.W.dispose(); if (this.Wfb !== this.W) this.Wfb.dispose(); }
}
