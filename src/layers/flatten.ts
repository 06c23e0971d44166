// Flatten: [B, h, w, c] → [B, h·w·c] forward; the feedback is reshaped back.

import * as tf from '@tensorflow/tfjs';
import type { Layer } from './layer.ts';
import { sizeOf } from './layer.ts';

export class Flatten implements Layer {
  readonly kind = 'flatten';
  readonly W = null;
  readonly b = null;
  readonly Wfb = null;
  readonly outputShape: number[];

  constructor(readonly name: string, readonly inputShape: number[]) {
    this.outputShape = [sizeOf(inputShape)];
  }

  call(x: tf.Tensor): tf.Tensor { return tf.reshape(x, [x.shape[0], ...this.outputShape]); }
  forward(x: tf.Tensor): tf.Tensor { return this.call(x); }
  feedback(fb: tf.Tensor, needBelow: boolean): tf.Tensor | null {
    return needBelow ? tf.reshape(fb, [fb.shape[0], ...this.inputShape]) : null;
  }
  weightDelta(): null { return null; }
  biasDelta(): null { return null; }
  applyDelta(): void {}
  update(): void {}
  release(): void {}
  dispose(): void {}
}
