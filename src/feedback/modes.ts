// The weight-transport question: what the feedback weights W′ are, and which path the output's
// signal takes down. The paper assumes strict reciprocity (W′ = Wᵀ); the other modes ask what
// reward-based learning keeps when that assumption goes. Layers ask this module two things —
// which W′ to build, and what happens to it when W changes — and the network asks which path.
//
//   symmetric       W′ = Wᵀ: one array, the same updates (the paper; ≡ backprop, Appendix A)
//   sign-symmetric  W′ = sign(W)·mean|W|, recomputed after every update of W (Liao, Leibo & Poggio
//                   2016, "sign-concordant feedback"). The scale mean|W| keeps W′ on W's scale, so
//                   one α serves both; when every |W| is equal, W′ = W exactly (symmetric).
//   kolen-pollack   W′ starts random and gets the same ΔW as W plus the same decay α·λ·W′
//                   (Akrout et al. 2019): W − W′ shrinks by (1 − αλ) each update, so W′ → W.
//                   λ defaults to KOLEN_POLLACK_DECAY when no --weight-decay is given.
//   reciprocal      the same updates as kolen-pollack with whatever decay is configured (0 by
//                   default: then W − W′ never shrinks); notebook 07's mode, kept for its records.
//   fixed-random    W′ random and frozen: feedback alignment (Lillicrap et al. 2016).
//   direct          no W′: the output's signal reaches every hidden layer through its own fixed
//                   random matrix Bₗ (direct feedback alignment, Nøkland 2016); for DeepAGREL that
//                   signal is δ at the selected output only, as in phase 4. See ./direct.ts.
//
// Every mode is defined for every layer kind (dense, conv, locally connected): W′ has W's layout,
// and the direct path projects onto whatever a layer's output is. Shared conv filters keep one W′
// per filter, so sign-symmetric and kolen-pollack stay weight-shared in the feedback too.

import * as tf from '@tensorflow/tfjs';

export type FeedbackMode = 'symmetric' | 'sign-symmetric' | 'kolen-pollack' | 'reciprocal' | 'fixed-random' | 'direct';

export interface FeedbackModeInfo {
  /** shared: W′ is W's own array; learned: its own array, given W's ΔW; frozen: its own, never
   *  changed; sign: its own, a function of W; none: no W′ (the direct path does not use one). */
  weights: 'shared' | 'learned' | 'frozen' | 'sign' | 'none';
  /** layered: down through W′ of every layer above; direct: from the output to each layer at once. */
  path: 'layered' | 'direct';
  /** One line for tables and help texts. */
  about: string;
}

export const FEEDBACK: Record<FeedbackMode, FeedbackModeInfo> = {
  symmetric: { weights: 'shared', path: 'layered', about: "W′ = Wᵀ (the paper's strict reciprocity)" },
  'sign-symmetric': { weights: 'sign', path: 'layered', about: 'W′ = sign(W)·mean|W|, following W (Liao et al. 2016)' },
  'kolen-pollack': { weights: 'learned', path: 'layered', about: 'W′ random at the start, same ΔW and decay as W (Akrout et al. 2019)' },
  reciprocal: { weights: 'learned', path: 'layered', about: 'W′ random at the start, same ΔW as W, the configured decay (notebook 07)' },
  'fixed-random': { weights: 'frozen', path: 'layered', about: 'W′ random and frozen (feedback alignment, Lillicrap et al. 2016)' },
  direct: { weights: 'none', path: 'direct', about: 'fixed random Bₗ from the output to each hidden layer (DFA, Nøkland 2016)' },
};

export const FEEDBACK_MODES = Object.keys(FEEDBACK) as FeedbackMode[];

/** λ of kolen-pollack when none is given: with the MNIST α (0.05–0.5) W − W′ halves in ~140–1400 updates. */
export const KOLEN_POLLACK_DECAY = 0.01;

export function checkFeedbackMode(mode: unknown): FeedbackMode {
  if (!FEEDBACK_MODES.includes(mode as FeedbackMode)) throw new Error(`feedback mode must be one of ${FEEDBACK_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  return mode as FeedbackMode;
}

/** Does W′ receive W's ΔW (and decay)? */
export const learnsWithW = (mode: FeedbackMode) => FEEDBACK[mode].weights === 'learned';
/** Is W′ its own array (checkpoints store it; the W′–W angle is defined)? */
export const ownFeedbackArray = (mode: FeedbackMode) => FEEDBACK[mode].weights !== 'shared' && FEEDBACK[mode].weights !== 'none';

/** sign(W)·mean|W|: W′ of the sign-symmetric mode. */
export function signFeedback(W: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.sign(W), tf.mean(tf.abs(W))));
}

/**
 * W′ for a new W. `draw` makes another random array of W's shape (the same stream W came from,
 * drawn right after it, so a mode's W is the very W of the symmetric net with the same seed only
 * for the modes that draw nothing: symmetric, sign-symmetric and direct).
 */
export function makeFeedbackWeights(W: tf.Variable, mode: FeedbackMode, draw: () => tf.Variable): tf.Variable {
  switch (FEEDBACK[mode].weights) {
    case 'shared': case 'none': return W;
    case 'sign': { const s = signFeedback(W); const v = tf.variable(s, false); s.dispose(); return v; }
    default: return draw();
  }
}

/**
 * W += ΔW (with decay α·λ·W), and W′ as the mode says: the same step (learned), recomputed from
 * the new W (sign), untouched (frozen), or nothing to do (shared: W′ is W; none).
 */
export function applyWeightDelta(W: tf.Variable, Wfb: tf.Variable, dW: tf.Tensor, mode: FeedbackMode, lr: number, weightDecay: number): void {
  tf.tidy(() => {
    const step = (V: tf.Variable) => weightDecay > 0 ? V.add(dW).sub(V.mul(lr * weightDecay)) : V.add(dW);
    W.assign(step(W));
    if (learnsWithW(mode)) Wfb.assign(step(Wfb));
  });
  afterWChanged(W, Wfb, mode);
}

/** After W changed by any path (fused kernels included): W′ that is a function of W follows it. */
export function afterWChanged(W: tf.Variable, Wfb: tf.Variable, mode: FeedbackMode): void {
  if (FEEDBACK[mode].weights === 'sign') tf.tidy(() => Wfb.assign(signFeedback(W)));
}
