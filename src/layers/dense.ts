// Fully connected layer: a = x·W, y = ReLU(a) (hidden) or y = a (output Q-values, eq 4).

import * as tf from '@tensorflow/tfjs';
import { type Activation, type WeightOptions, WeightedLayer } from './layer.ts';
import { addProductInPlace } from '../ops.ts';

export class Dense extends WeightedLayer {
  readonly kind = 'dense';

  constructor(name: string, inputShape: number[], readonly units: number, activation: Activation, w: WeightOptions) {
    if (inputShape.length !== 1) throw new Error(`${name}: dense layer needs a flat input, got shape [${inputShape}] (add a flatten layer)`);
    super(name, inputShape, [units], [inputShape[0], units], activation, w);
  }

  protected drive(x: tf.Tensor, W: tf.Tensor) {
    return { a: tf.matMul(x as tf.Tensor2D, W as tf.Tensor2D), pre: x };
  }

  // fb for unit p below: Σ_m W'_{m,p} (g_m fb_m); W' is stored in W's layout, so transposed.
  protected sendDown(post: tf.Tensor): tf.Tensor {
    return tf.matMul(post as tf.Tensor2D, this.Wfb as tf.Tensor2D, false, true);
  }

  // Σ_b pre_p · (g_m fb_m) for every synapse p → m.
  protected synapticSum(pre: tf.Tensor, post: tf.Tensor): tf.Tensor {
    return tf.matMul(pre as tf.Tensor2D, post as tf.Tensor2D, true, false);
  }

  // The same sum added into W by one op (src/ops.ts): in one pass where the backend has a kernel
  // for it (native: one sgemm with β = 1 − decay), else ΔW then W + ΔW − decay·W.
  protected accumulateSynapticSum(scale: number, decay: number): boolean {
    addProductInPlace(this.W, this.pre!, this.post!, scale, decay);
    return true;
  }
}
