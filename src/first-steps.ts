// Why a paper setting starts slowly: at initialisation, per weighted layer, how large the activity
// is and how far one training step moves the weights, for both rules of a Table 1 setting at their
// own α, at one or more pixel scales. Bias-free ReLU nets are positively homogeneous, so scaling
// the input by s scales every activity by s; with uniform ±0.02 weights activity also shrinks layer
// by layer, and a rule's first updates (pre × feedback × δ) shrink with it. The numbers make the
// reading in RESULTS.md checkable: `deepagrel first-steps --setting cifar10-conv`.

import * as tf from '@tensorflow/tfjs';
import { Network } from './network.ts';
import { getRule } from './rules/index.ts';
import { ruleName } from './results/paper-table1.ts';
import { trainStepSync } from './step.ts';
import { Rng } from './rng.ts';
import type { ExperimentConfig } from './presets.ts';
import type { ImageSet } from './data/types.ts';
import { toFloat32, labelsOf } from './data/batches.ts';

export interface LayerStep {
  layer: string;
  /** Mean |output| of the layer at initialisation (after its ReLU; the Q-values for the output layer). */
  activity: number;
  meanAbsW: number;
  /** Mean |ΔW| / mean |W| of one step from the initial weights, per rule (averaged over the batches). */
  relUpdate: Record<string, number>;
}

export interface FirstStepsResult { inputScale: number; batches: number; batchSize: number; layers: LayerStep[] }

const meanAbs = (t: tf.Tensor) => tf.tidy(() => tf.mean(tf.abs(t)).dataSync()[0]);

/**
 * Both configs must describe the same network (the two rules of one setting); each rule steps
 * from the same initial weights (seed) on the same batches, with its own α.
 */
export function firstSteps(configs: ExperimentConfig[], data: ImageSet, numClasses: number,
  o: { inputScale: number; seed: number; batches?: number; batchSize?: number }): FirstStepsResult {
  const batches = o.batches ?? 3, B = o.batchSize ?? configs[0].batchSize;
  if (data.n < batches * B) throw new Error(`first-steps: need ${batches * B} images, got ${data.n}`);
  const make = (cfg: ExperimentConfig) => new Network({ inputShape: data.shape, layers: cfg.layers, numClasses, init: cfg.init, bias: cfg.bias ?? false, seed: o.seed });
  const batch = (k: number) => {
    const idx = Uint32Array.from({ length: B }, (_, i) => k * B + i);
    return { x: tf.tidy(() => tf.mul(tf.tensor4d(toFloat32(data, idx), [B, ...data.shape]), o.inputScale)), labels: labelsOf(data, idx) };
  };

  const ref = make(configs[0]);
  const init = ref.getWeights();
  const weighted = ref.weightedLayers();
  const activity = new Map<string, number>();
  const b0 = batch(0);
  tf.tidy(() => {   // the inference forward pass, layer by layer
    let h: tf.Tensor = b0.x;
    for (const l of ref.layers) { h = l.call(h, l.W, l.b); if (l.W) activity.set(l.name, meanAbs(h)); }
  });
  b0.x.dispose();
  const layers: LayerStep[] = weighted.map(l => ({ layer: l.name, activity: activity.get(l.name)!, meanAbsW: meanAbs(l.W!), relUpdate: {} }));
  ref.dispose();

  for (const cfg of configs) {
    const net = make(cfg);
    const rule = getRule(cfg.rule);
    const sums = new Array(layers.length).fill(0);
    for (let k = 0; k < batches; k++) {
      net.setWeights(init);
      const { x, labels } = batch(k);
      try { trainStepSync(net, rule, x, labels, { lr: cfg.lr, epsilon: cfg.epsilon, beta: cfg.beta }, new Rng((o.seed + k) >>> 0)); } finally { x.dispose(); }
      const after = net.getWeights();
      layers.forEach((row, i) => {
        const w0 = init[row.layer].W, w1 = after[row.layer].W;
        let d = 0;
        for (let j = 0; j < w0.length; j++) d += Math.abs(w1[j] - w0[j]);
        sums[i] += d / w0.length / row.meanAbsW;
      });
    }
    layers.forEach((row, i) => { row.relUpdate[cfg.rule] = sums[i] / batches; });
    net.dispose();
  }
  return { inputScale: o.inputScale, batches, batchSize: B, layers };
}

/** One markdown table per input scale. */
export function renderFirstSteps(results: FirstStepsResult[], rules: string[], alphas: Record<string, number>): string {
  const e = (v: number) => v.toExponential(1);
  const out: string[] = [];
  for (const r of results) {
    out.push(`Pixels in [0, ${r.inputScale}] — one step from the initial weights, mean over ${r.batches} batches of ${r.batchSize}:`, '');
    const ratio = rules.length === 2 ? [`${ruleName(rules[1])}/${ruleName(rules[0])}`] : [];
    out.push(`| layer | mean abs activity | mean abs W | ${rules.map(k => `${ruleName(k)} (α=${alphas[k]}) mean abs ΔW / mean abs W`).join(' | ')} | ${ratio.join('')} |`);
    out.push(`|:-|-:|-:|${rules.map(() => '-:').join('|')}|${ratio.length ? '-:|' : ''}`);
    for (const l of r.layers) {
      const upd = rules.map(k => e(l.relUpdate[k]));
      const rat = rules.length === 2 ? [e(l.relUpdate[rules[1]] / l.relUpdate[rules[0]])] : [];
      out.push(`| ${l.layer} | ${e(l.activity)} | ${e(l.meanAbsW)} | ${upd.join(' | ')} | ${rat.join('')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
