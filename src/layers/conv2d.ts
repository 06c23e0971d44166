// Convolutional layer (shared weights), any stride, 'same' or 'valid' padding, no pooling
// (the paper replaces pooling by stride-2 convolutions, after Springenberg et al. 2014).

import * as tf from '@tensorflow/tfjs';
import { type Activation, type WeightOptions, WeightedLayer } from './layer.ts';

export type Padding = 'same' | 'valid';

export function convOutputSize(inSize: number, k: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(inSize / stride) : Math.floor((inSize - k) / stride) + 1;
}

/** Output [h, w, filters] of a k×k convolution-like layer, or an error naming the layer. */
export function convOutputShape(name: string, kind: string, inputShape: number[], filters: number, k: number, stride: number, padding: Padding): number[] {
  if (inputShape.length !== 3) throw new Error(`${name}: ${kind} needs an [height, width, channels] input, got [${inputShape}]`);
  const [h, w] = inputShape;
  const oh = convOutputSize(h, k, stride, padding), ow = convOutputSize(w, k, stride, padding);
  if (oh < 1 || ow < 1) throw new Error(`${name}: kernel ${k} does not fit input ${h}x${w} with padding '${padding}'`);
  return [oh, ow, filters];
}

/** dW of a convolution: the kernel tfjs uses for the filter gradient (replaced by a fast one on wasm). */
export function conv2dFilterDelta(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], stride: number, padding: Padding): tf.Tensor4D {
  return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy },
    { strides: [stride, stride], pad: padding, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape } as any) as tf.Tensor4D;
}

export class Conv2D extends WeightedLayer {
  readonly kind = 'conv2d';
  private readonly filterShape: [number, number, number, number];

  constructor(name: string, inputShape: number[], readonly filters: number, readonly kernelSize: number,
              readonly stride: number, readonly padding: Padding, activation: Activation, w: WeightOptions) {
    const filterShape: [number, number, number, number] = [kernelSize, kernelSize, inputShape[2], filters];
    // Shared weights, shared bias: one per filter (Keras), not one per position.
    super(name, inputShape, convOutputShape(name, 'conv2d', inputShape, filters, kernelSize, stride, padding), filterShape, activation, w, [filters]);
    this.filterShape = filterShape;
  }

  protected drive(x: tf.Tensor, W: tf.Tensor) {
    return { a: tf.conv2d(x as tf.Tensor4D, W as tf.Tensor4D, this.stride, this.padding), pre: x };
  }

  // Each input unit collects W'·(g ⊙ fb) from every output position its kernel reaches:
  // a transposed convolution with the feedback kernel.
  protected sendDown(post: tf.Tensor): tf.Tensor {
    return tf.conv2dTranspose(post as tf.Tensor4D, this.Wfb as tf.Tensor4D,
      [post.shape[0], ...this.inputShape] as [number, number, number, number], this.stride, this.padding);
  }

  // Shared weights: the four-factor products of all positions using a weight add up.
  protected synapticSum(pre: tf.Tensor, post: tf.Tensor): tf.Tensor {
    return conv2dFilterDelta(pre as tf.Tensor4D, post as tf.Tensor4D, this.filterShape, this.stride, this.padding);
  }
}
