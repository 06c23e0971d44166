// Dropout (Hinton: noisy neurons as the brain's regulariser). A dropped unit is silent in the
// forward pass, so it also passes no feedback and its synapses do not change: the mask is folded
// into the gate of the units below. Inverted dropout: kept units are scaled by 1/(1 − rate) in
// training so nothing changes at test time. Masks come from the network's seeded dropout stream,
// made on the device the backend computes on (the dropoutMask op, src/ops.ts).

import * as tf from '@tensorflow/tfjs';
import type { Layer } from './layer.ts';
import { Kept } from './layer.ts';
import { dropoutMask } from '../ops.ts';
import type { Rng } from '../rng.ts';

export class Dropout implements Layer {
  readonly kind = 'dropout';
  readonly W = null;
  readonly b = null;
  readonly Wfb = null;
  readonly outputShape: number[];
  private kept = new Kept();
  private mask: tf.Tensor | null = null;   // 0 or 1/(1 − rate), shape [B, ...]

  constructor(readonly name: string, readonly inputShape: number[], readonly rate: number, private readonly rng: Rng) {
    if (!(rate >= 0 && rate < 1)) throw new Error(`${name}: dropout rate must be in [0, 1), got ${rate}`);
    this.outputShape = inputShape;
  }

  /** With a mask from the last training forward pass (so autodiff sees the same network). */
  call(x: tf.Tensor, _W: tf.Tensor | null): tf.Tensor {
    return this.mask ? tf.mul(x, this.mask) : x;
  }

  forward(x: tf.Tensor, training: boolean): tf.Tensor {
    if (!training || this.rate === 0) return x;
    this.mask = this.kept.keep(dropoutMask(this.rng, x.shape, 1 - this.rate));
    return tf.mul(x, this.mask);
  }

  feedback(fb: tf.Tensor, needBelow: boolean): tf.Tensor | null {
    if (!needBelow) return null;
    return this.mask ? tf.mul(fb, this.mask) : fb;
  }

  weightDelta(): null { return null; }
  biasDelta(): null { return null; }
  applyDelta(): void {}
  update(): void {}
  release(): void { this.kept.release(); this.mask = null; }
  dispose(): void { this.release(); }
}
