// Direct feedback (the 'direct' mode; DFA, Nøkland 2016): the signal that enters at the output
// units (DeepAGREL: δ at the selected output, 0 elsewhere; EBP: t − p at every output) reaches
// each hidden layer at once, through that layer's own fixed random matrix Bₗ, instead of down
// through W′ of the layers above:
//
//   fbₗ = signal · Bₗ        Bₗ: [outputs, units entering the next weighted layer]
//
// fbₗ arrives where the next weighted layer takes its input, so the weightless layers in between
// still do their part on the way down (a dropout mask silences the units it dropped; flatten
// reshapes), and the layer then gates and learns as in every mode: ΔW = α·pre ⊗ (g ⊙ fbₗ).
// The output layer itself gets the signal unchanged (it has no layer above).

import * as tf from '@tensorflow/tfjs';
import { sizeOf, type Layer } from '../layers/layer.ts';
import type { Rng } from '../rng.ts';

interface Target {
  /** The hidden weighted layer that learns from this projection. */
  layer: number;
  /** The next weighted layer above it: B maps the output's signal onto that layer's input. */
  above: number;
  B: tf.Tensor2D;
}

export class DirectFeedback {
  private readonly targets: Target[] = [];

  /** Bₗ uniform in [-init, init] (the range of the forward weights), drawn bottom to top from `rng`. */
  constructor(layers: Layer[], numClasses: number, init: number, rng: Rng) {
    const weighted = layers.flatMap((l, i) => l.W ? [i] : []);
    for (let k = 0; k < weighted.length - 1; k++) {
      const above = weighted[k + 1];
      const n = sizeOf(layers[above].inputShape);
      this.targets.push({ layer: weighted[k], above, B: tf.tensor2d(rng.uniformArray(numClasses * n, -init, init), [numClasses, n]) });
    }
  }

  /** The feedback phase: `signal` [batch, outputs]. Every target learns (each is a weighted layer). */
  feedback(layers: Layer[], signal: tf.Tensor2D): void {
    tf.tidy(() => {
      layers[layers.length - 1].feedback(signal, false);
      for (const t of this.targets) {
        let fb: tf.Tensor = tf.reshape(tf.matMul(signal, t.B), [signal.shape[0], ...layers[t.above].inputShape]);
        for (let k = t.above - 1; k > t.layer; k--) fb = layers[k].feedback(fb, true)!;
        layers[t.layer].feedback(fb, false);
      }
    });
  }

  /** The projections, bottom to top, by the name of the layer they feed (tests, notebooks). */
  matrices(layers: Layer[]): Record<string, tf.Tensor2D> {
    return Object.fromEntries(this.targets.map(t => [layers[t.layer].name, t.B]));
  }

  dispose(): void { for (const t of this.targets) t.B.dispose(); }
}
