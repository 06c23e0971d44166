// Convolutional layer (shared weights), any stride, 'same' or 'valid' padding, no pooling
// (the paper replaces pooling by stride-2 convolutions, after Springenberg et al. 2014).

import * as tf from '@tensorflow/tfjs';
import { type Activation, type FeedbackMode, type Layer, type WeightOptions, Kept, activate, applyWeightDelta, gateOf, makeWeights } from './layer.ts';

export type Padding = 'same' | 'valid';

export function convOutputSize(inSize: number, k: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(inSize / stride) : Math.floor((inSize - k) / stride) + 1;
}

/** dW of a convolution: the kernel tfjs uses for the filter gradient (replaced by a fast one on wasm). */
export function conv2dFilterDelta(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], stride: number, padding: Padding): tf.Tensor4D {
  return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy },
    { strides: [stride, stride], pad: padding, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape } as any) as tf.Tensor4D;
}

export class Conv2D implements Layer {
  readonly kind = 'conv2d';
  readonly outputShape: number[];
  readonly W: tf.Variable;
  readonly Wfb: tf.Variable;
  private readonly mode: FeedbackMode;
  private readonly weightDecay: number;
  private readonly filterShape: [number, number, number, number];
  private kept = new Kept();
  private pre: tf.Tensor4D | null = null;
  private gate: tf.Tensor | null = null;
  private post: tf.Tensor4D | null = null;

  constructor(readonly name: string, readonly inputShape: number[], readonly filters: number, readonly kernelSize: number,
              readonly stride: number, readonly padding: Padding, readonly activation: Activation, w: WeightOptions) {
    if (inputShape.length !== 3) throw new Error(`${name}: conv2d needs an [height, width, channels] input, got [${inputShape}]`);
    const [h, wd, c] = inputShape;
    const oh = convOutputSize(h, kernelSize, stride, padding), ow = convOutputSize(wd, kernelSize, stride, padding);
    if (oh < 1 || ow < 1) throw new Error(`${name}: kernel ${kernelSize} does not fit input ${h}x${wd} with padding '${padding}'`);
    this.outputShape = [oh, ow, filters];
    this.filterShape = [kernelSize, kernelSize, c, filters];
    ({ W: this.W, Wfb: this.Wfb } = makeWeights(this.filterShape, w, name));
    this.mode = w.feedback;
    this.weightDecay = w.weightDecay;
  }

  call(x: tf.Tensor, W: tf.Tensor | null): tf.Tensor {
    return activate(tf.conv2d(x as tf.Tensor4D, W as tf.Tensor4D, this.stride, this.padding), this.activation);
  }

  forward(x: tf.Tensor, training: boolean): tf.Tensor {
    const y = this.call(x, this.W);
    if (training) {
      this.pre = this.kept.keep(tf.clone(x) as tf.Tensor4D);   // own handle: x may be the caller's
      const g = gateOf(y, this.activation);
      this.gate = g && this.kept.keep(g);
    }
    return y;
  }

  feedback(fb: tf.Tensor, needBelow: boolean): tf.Tensor | null {
    const post = this.gate ? tf.mul(fb, this.gate) : tf.clone(fb);   // own copy: fb belongs to the caller
    this.post = this.kept.keep(post as tf.Tensor4D);
    if (!needBelow) return null;
    // Each input unit collects W'·(g ⊙ fb) from every output position its kernel reaches:
    // a transposed convolution with the feedback kernel.
    const B = this.post.shape[0];
    return tf.conv2dTranspose(this.post, this.Wfb as tf.Tensor4D, [B, ...this.inputShape] as [number, number, number, number], this.stride, this.padding);
  }

  weightDelta(lr: number): tf.Tensor {
    if (!this.pre || !this.post) throw new Error(`${this.name}: weightDelta() needs forward(training) and feedback() first`);
    const B = this.pre.shape[0];
    // Shared weights: the four-factor products of all positions using a weight add up.
    return tf.tidy(() => conv2dFilterDelta(this.pre!, this.post!, this.filterShape, this.stride, this.padding).mul(lr / B));
  }

  applyDelta(dW: tf.Tensor, lr: number): void {
    applyWeightDelta(this.W, this.Wfb, dW, this.mode, lr, this.weightDecay);
  }

  release(): void { this.kept.release(); this.pre = this.gate = this.post = null; }

  dispose(): void { this.release(); this.W.dispose(); if (this.Wfb !== this.W) this.Wfb.dispose(); }
}
