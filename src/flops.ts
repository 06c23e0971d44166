// FLOPs of one training step, counted from the network's layers (for the benchmark's effective
// GFLOP/s, and to say what a sweep costs). One multiply-add = 2 FLOP. Only the matrix products
// (matMul, convolution) are counted: the elementwise work (ReLU, gates, dropout masks, the weight
// add) is < 1% of a step for the paper's nets (MNIST conv: ~30 MFLOP of 4.6 GFLOP).
//
//   forward   every weighted layer:            dense 2·B·in·out, conv 2·B·oh·ow·k·k·cin·cout,
//                                              loccon 2·B·P·K·O (P positions, K = k·k·cin taps)
//   feedback  weighted layers *above* the lowest weighted layer, as Network.feedback does: the
//             bottom learner keeps g ⊙ fb for its update but sends nothing down (nothing below
//             learns). Same count as the layer's forward product (W' has W's shape). The
//             signal's sparsity (DeepAGREL: one non-zero output per trial) is not exploited by
//             the kernels, so both rules cost the same.
//   update    ΔW for every weighted layer: the same count as its forward product.
//
// Not in the nominal total but executed: a locally connected layer extracts patches with an
// identity-kernel conv2d (2·B·P·K·K) and scatters its feedback back with the transposed one;
// reported separately as `overhead` (for the paper's nets it applies to the first layer's forward
// only: MNIST 11 MFLOP, CIFAR 131 MFLOP per step).

import type { Network } from './network.ts';
import type { Layer } from './layers/layer.ts';

export interface LayerFlops {
  name: string;
  kind: string;
  forward: number;
  feedback: number;
  update: number;
  /** Executed but not counted in the totals (loccon patch extraction / scatter). */
  overhead: number;
}

export interface StepFlops {
  batchSize: number;
  forward: number;
  feedback: number;
  update: number;
  /** forward + feedback + update. */
  total: number;
  overhead: number;
  layers: LayerFlops[];
}

/** FLOP of one forward product of a weighted layer on a batch of B, and of its loccon patch work. */
function productFlops(l: Layer, B: number): { product: number; patches: number } {
  const W = l.W;
  if (!W) return { product: 0, patches: 0 };
  switch (l.kind) {
    case 'dense': {
      const [nin, nout] = W.shape;                       // [in, out]
      return { product: 2 * B * nin * nout, patches: 0 };
    }
    case 'conv2d': {
      const [k1, k2, cin, cout] = W.shape;               // [k, k, cin, cout], shared over positions
      const [oh, ow] = l.outputShape;
      return { product: 2 * B * oh * ow * k1 * k2 * cin * cout, patches: 0 };
    }
    case 'loccon2d': {
      const [P, K, O] = W.shape;                         // [positions, taps, filters], untied
      return { product: 2 * B * P * K * O, patches: 2 * B * P * K * K };
    }
    default:
      throw new Error(`countStepFlops: no FLOP formula for weighted layer kind '${l.kind}' (${l.name})`);
  }
}

/** FLOPs of one training step (forward + feedback + update) of `net` on a batch of `batchSize`. */
export function countStepFlops(net: Network, batchSize: number): StepFlops {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const lowest = net.layers.findIndex(l => l.W !== null);   // as Network's lowestLearner
  const layers: LayerFlops[] = [];
  net.layers.forEach((l, i) => {
    if (!l.W) return;
    const { product, patches } = productFlops(l, batchSize);
    const sendsDown = i > lowest;
    layers.push({
      name: l.name, kind: l.kind,
      forward: product,
      feedback: sendsDown ? product : 0,
      update: product,
      overhead: patches * (sendsDown ? 2 : 1),               // extraction, plus the scatter of the feedback
    });
  });
  const sum = (f: (x: LayerFlops) => number) => layers.reduce((s, x) => s + f(x), 0);
  const forward = sum(x => x.forward), feedback = sum(x => x.feedback), update = sum(x => x.update);
  return { batchSize, forward, feedback, update, total: forward + feedback + update, overhead: sum(x => x.overhead), layers };
}
