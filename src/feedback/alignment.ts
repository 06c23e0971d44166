// How far a feedback mode's updates are from the true gradient, per layer: the angle between the
// ΔW the engine makes through the mode's feedback and −α∇E from autodiff (E: the rule's loss,
// DeepAGREL ½δ² at the selected output, EBP cross-entropy), on one probe batch with the same
// actions and dropout masks. 0° in the symmetric mode (Appendix A), 90° = unrelated, above 90° =
// the update climbs E. Unlike the W′–W angle (Network.alignmentDeg) it is defined for every
// mode, the direct one included, and it is what decides whether a layer learns.
//
// It changes nothing: no update is applied, and the dropout stream is put back, so a run with
// the measurement trains exactly as one without.

import * as tf from '@tensorflow/tfjs';
import { anglesDeg, type Network } from '../network.ts';
import type { Rule } from '../rules/rule.ts';
import { Rng } from '../rng.ts';
import { greedy, selectAction, type ActionOptions } from '../action.ts';
import { engineAndGradient } from '../derivation.ts';

/** Per weighted layer (bottom to top): degrees between the mode's ΔW and −α∇E on batch x. */
export async function gradientAlignmentDeg(net: Network, rule: Rule, x: tf.Tensor, labels: ArrayLike<number>, actionOpts: ActionOptions, seed: number): Promise<Record<string, number>> {
  const n = net.config.numClasses, saved = net.rngState();
  const choose = (qv: Float32Array) => rule.selectsActions ? selectAction(qv, n, actionOpts, new Rng(seed)) : greedy(qv, n);
  let both: { engine: tf.Tensor[]; gradient: tf.Tensor[] } | undefined;
  try {
    both = await engineAndGradient(net, rule, x, labels, choose, 1);
    const deg = await anglesDeg(both.engine.map((d, i) => [d, both!.gradient[i]]));
    return Object.fromEntries(net.weightedLayers().map((l, i) => [l.name, deg[i]]));
  } finally {
    if (both) tf.dispose([...both.engine, ...both.gradient]);
    net.release();
    net.setRngState(saved);
  }
}
