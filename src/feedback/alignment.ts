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
import { gradientUpdates } from '../derivation.ts';

/** Per weighted layer (bottom to top): degrees between the mode's ΔW and −α∇E on batch x. */
export async function gradientAlignmentDeg(net: Network, rule: Rule, x: tf.Tensor, labels: ArrayLike<number>, actionOpts: ActionOptions, seed: number): Promise<Record<string, number>> {
  const n = net.config.numClasses, saved = net.rngState();
  let deltas: tf.Tensor[] = [], grads: tf.Tensor[] = [];
  try {
    const q = net.forward(x, true);
    let qv: Float32Array;
    try { qv = await q.data() as Float32Array; } finally { q.dispose(); }
    const actions = rule.selectsActions ? selectAction(qv, n, actionOpts, new Rng(seed)) : greedy(qv, n);
    const out = rule.signal(qv, n, actions, labels);
    tf.tidy(() => net.feedback(tf.tensor2d(out.signal, [actions.length, n])));
    deltas = net.weightDeltas(1);
    grads = gradientUpdates(net, rule, x, labels, actions, out.reward, 1);
    const deg = await anglesDeg(deltas.map((d, i) => [d, grads[i]]));
    return Object.fromEntries(net.weightedLayers().map((l, i) => [l.name, deg[i]]));
  } finally {
    tf.dispose([...deltas, ...grads]);
    net.release();
    net.setRngState(saved);
  }
}
