// Locally connected layer: like a convolution, but every output position has its own kernel
// (untied weights, the biologically plausible form of a convolution; tfjs has no such layer).
//
// Built from two fast ops: patches are extracted with a conv2d whose kernel is the identity
// (one output channel per kernel tap), then one batched matMul over positions:
//   patches [P, B, K] × W [P, K, O] → [P, B, O],   P = positions, K = kh·kw·cin taps, O = filters.

import * as tf from '@tensorflow/tfjs';
import { type Activation, type FeedbackMode, type Layer, type WeightOptions, Kept, activate, applyWeightDelta, gateOf, makeWeights } from './layer.ts';
import { type Padding, convOutputSize } from './conv2d.ts';

/** Kernel [k, k, c, k·k·c] copying each input tap of a k×k window to its own output channel. */
function identityKernel(k: number, c: number): tf.Tensor4D {
  const K = k * k * c;
  const data = new Float32Array(k * k * c * K);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let ch = 0; ch < c; ch++) {
    const tap = (i * k + j) * c + ch;                 // output channel = tap index
    data[((i * k + j) * c + ch) * K + tap] = 1;
  }
  return tf.tensor4d(data, [k, k, c, K]);
}

export class LocallyConnected2D implements Layer {
  readonly kind = 'loccon2d';
  readonly outputShape: number[];
  readonly W: tf.Variable;          // [P, K, O]
  readonly Wfb: tf.Variable;
  private readonly mode: FeedbackMode;
  private readonly weightDecay: number;
  private readonly taps: tf.Tensor4D;
  private readonly P: number;
  private readonly K: number;
  private kept = new Kept();
  private pre: tf.Tensor3D | null = null;    // patches, [P, B, K]
  private gate: tf.Tensor | null = null;
  private post: tf.Tensor3D | null = null;   // g ⊙ fb, [P, B, O]

  constructor(readonly name: string, readonly inputShape: number[], readonly filters: number, readonly kernelSize: number,
              readonly stride: number, readonly padding: Padding, readonly activation: Activation, w: WeightOptions) {
    if (inputShape.length !== 3) throw new Error(`${name}: loccon2d needs an [height, width, channels] input, got [${inputShape}]`);
    const [h, wd, c] = inputShape;
    const oh = convOutputSize(h, kernelSize, stride, padding), ow = convOutputSize(wd, kernelSize, stride, padding);
    if (oh < 1 || ow < 1) throw new Error(`${name}: kernel ${kernelSize} does not fit input ${h}x${wd} with padding '${padding}'`);
    this.outputShape = [oh, ow, filters];
    this.P = oh * ow;
    this.K = kernelSize * kernelSize * c;
    this.taps = identityKernel(kernelSize, c);
    ({ W: this.W, Wfb: this.Wfb } = makeWeights([this.P, this.K, filters], w, name));
    this.mode = w.feedback;
    this.weightDecay = w.weightDecay;
  }

  /** [B, H, W, C] → patches [P, B, K]. */
  private patches(x: tf.Tensor): tf.Tensor3D {
    const B = x.shape[0];
    const p = tf.conv2d(x as tf.Tensor4D, this.taps, this.stride, this.padding);
    return tf.transpose(tf.reshape(p, [B, this.P, this.K]), [1, 0, 2]);
  }

  /** [P, B, O] → [B, oh, ow, O]. */
  private toImage(t: tf.Tensor): tf.Tensor {
    const B = t.shape[1]!;
    return tf.reshape(tf.transpose(t, [1, 0, 2]), [B, ...this.outputShape]);
  }

  private fromImage(t: tf.Tensor): tf.Tensor3D {
    const B = t.shape[0];
    return tf.transpose(tf.reshape(t, [B, this.P, this.filters]), [1, 0, 2]);
  }

  call(x: tf.Tensor, W: tf.Tensor | null): tf.Tensor {
    return activate(this.toImage(tf.matMul(this.patches(x), W as tf.Tensor3D)), this.activation);
  }

  forward(x: tf.Tensor, training: boolean): tf.Tensor {
    const patches = this.patches(x);
    const y = activate(this.toImage(tf.matMul(patches, this.W as tf.Tensor3D)), this.activation);
    if (training) {
      this.pre = this.kept.keep(patches);
      const g = gateOf(y, this.activation);
      this.gate = g && this.kept.keep(g);
    }
    return y;
  }

  feedback(fb: tf.Tensor, needBelow: boolean): tf.Tensor | null {
    const post = this.gate ? tf.mul(fb, this.gate) : tf.clone(fb);   // own copy: fb belongs to the caller
    this.post = this.kept.keep(this.fromImage(post));
    if (!needBelow) return null;
    // Per position: fb of each tap = W'·(g ⊙ fb); then taps are summed back onto the pixels they
    // came from (the transpose of patch extraction: a transposed conv with the identity kernel).
    const B = this.post.shape[1];
    const tapsFb = tf.matMul(this.post, this.Wfb as tf.Tensor3D, false, true);              // [P, B, K]
    const img = tf.reshape(tf.transpose(tapsFb, [1, 0, 2]), [B, this.outputShape[0], this.outputShape[1], this.K]) as tf.Tensor4D;
    return tf.conv2dTranspose(img, this.taps, [B, ...this.inputShape] as [number, number, number, number], this.stride, this.padding);
  }

  weightDelta(lr: number): tf.Tensor {
    if (!this.pre || !this.post) throw new Error(`${this.name}: weightDelta() needs forward(training) and feedback() first`);
    const B = this.pre.shape[1];
    // ΔW[p] = α/B · patches[p]ᵀ · (g ⊙ fb)[p], one small matrix product per position.
    return tf.tidy(() => tf.matMul(this.pre!, this.post!, true, false).mul(lr / B));
  }

  applyDelta(dW: tf.Tensor, lr: number): void {
    applyWeightDelta(this.W, this.Wfb, dW, this.mode, lr, this.weightDecay);
  }

  release(): void { this.kept.release(); this.pre = this.gate = this.post = null; }

  dispose(): void { this.release(); this.W.dispose(); if (this.Wfb !== this.W) this.Wfb.dispose(); this.taps.dispose(); }
}
