// Locally connected layer: like a convolution, but every output position has its own kernel
// (untied weights, the biologically plausible form of a convolution; tfjs has no such layer).
//
// Built from two fast ops: patches are extracted with a conv2d whose kernel is the identity
// (one output channel per kernel tap), then one batched matMul over positions:
//   patches [P, B, K] × W [P, K, O] → [P, B, O],   P = positions, K = kh·kw·cin taps, O = filters.

import * as tf from '@tensorflow/tfjs';
import { type Activation, type WeightOptions, WeightedLayer } from './layer.ts';
import { type Padding, convOutputShape } from './conv2d.ts';

/** Kernel [k, k, c, k·k·c] copying each input tap of a k×k window to its own output channel. */
function identityKernel(k: number, c: number): tf.Tensor4D {
  const K = k * k * c;
  const data = new Float32Array(k * k * c * K);
  for (let tap = 0; tap < K; tap++) data[tap * K + tap] = 1;   // tap = (i·k + j)·c + channel
  return tf.tensor4d(data, [k, k, c, K]);
}

export class LocallyConnected2D extends WeightedLayer {
  readonly kind = 'loccon2d';
  private readonly taps: tf.Tensor4D;
  private readonly P: number;
  private readonly K: number;

  constructor(name: string, inputShape: number[], readonly filters: number, readonly kernelSize: number,
              readonly stride: number, readonly padding: Padding, activation: Activation, w: WeightOptions) {
    const out = convOutputShape(name, 'loccon2d', inputShape, filters, kernelSize, stride, padding);
    const P = out[0] * out[1], K = kernelSize * kernelSize * inputShape[2];
    super(name, inputShape, out, [P, K, filters], activation, w);
    this.P = P;
    this.K = K;
    this.taps = identityKernel(kernelSize, inputShape[2]);
  }

  /** [B, P, X] ⇄ [P, B, X]: batched matMul wants positions first. */
  private swap(t: tf.Tensor): tf.Tensor3D { return tf.transpose(t, [1, 0, 2]) as tf.Tensor3D; }

  protected drive(x: tf.Tensor, W: tf.Tensor) {
    const B = x.shape[0];
    const pre = this.swap(tf.reshape(tf.conv2d(x as tf.Tensor4D, this.taps, this.stride, this.padding), [B, this.P, this.K]));
    const a = tf.reshape(this.swap(tf.matMul(pre, W as tf.Tensor3D)), [B, ...this.outputShape]);
    return { a, pre };
  }

  protected toPostLayout(post: tf.Tensor): tf.Tensor {
    return this.swap(tf.reshape(post, [post.shape[0], this.P, this.filters]));
  }

  // Per position: fb of each tap = W'·(g ⊙ fb); then taps are summed back onto the pixels they
  // came from (the transpose of patch extraction: a transposed conv with the identity kernel).
  protected sendDown(post: tf.Tensor): tf.Tensor {
    const B = post.shape[1]!;
    const tapsFb = this.swap(tf.matMul(post as tf.Tensor3D, this.Wfb as tf.Tensor3D, false, true));   // [B, P, K]
    const img = tf.reshape(tapsFb, [B, this.outputShape[0], this.outputShape[1], this.K]) as tf.Tensor4D;
    return tf.conv2dTranspose(img, this.taps, [B, ...this.inputShape] as [number, number, number, number], this.stride, this.padding);
  }

  // One small matrix product per position: patches[p]ᵀ · (g ⊙ fb)[p].
  protected synapticSum(pre: tf.Tensor, post: tf.Tensor): tf.Tensor {
    return tf.matMul(pre as tf.Tensor3D, post as tf.Tensor3D, true, false);
  }

  dispose(): void { super.dispose(); this.taps.dispose(); }
}
