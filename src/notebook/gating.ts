// Fig. 2 of the paper in numbers: one trial through a small dense network, and for one hidden
// layer, per unit: the feedforward drive a, the feedback that reaches the unit's feedback neuron
// from the layer above, the feedback neuron's activity g·fb (gated by its feedforward partner), and
// the plasticity of the unit's incoming synapses. Units with a ≤ 0 pass no feedback and do not learn.
// Everything is read from the engine's own layers (forward, feedback, weightDelta), phase by phase.

import * as tf from '@tensorflow/tfjs';
import { Network, type LayerSpec } from '../network.ts';
import { Rng } from '../rng.ts';
import { selectAction } from '../action.ts';
import { getRule } from '../rules/index.ts';
import type { PlotlyFigure } from '../plots/types.ts';
import type { ImageSet } from '../data/types.ts';

/** Image i of a set as network input (values / 255), with its shape and label. */
export function sampleOf(set: ImageSet, i: number): { x: Float32Array; shape: number[]; label: number } {
  if (!(Number.isInteger(i) && i >= 0 && i < set.n)) throw new Error(`sample index must be an integer in [0, ${set.n}), got ${i}`);
  const size = set.shape[0] * set.shape[1] * set.shape[2];
  return { x: Float32Array.from(set.images.subarray(i * size, (i + 1) * size), (v) => v / 255), shape: [...set.shape], label: set.labels[i] };
}

export interface GatingOptions {
  /** One input sample, flat, values in [0, 1] (e.g. an MNIST digit / 255). */
  x: Float32Array;
  shape: number[];
  label: number;
  numClasses?: number;          // default 10
  layers?: LayerSpec[];         // default: dense 32, dense 16
  /** Which hidden layer to show (default the first weighted one, e.g. 'dense1'). */
  layer?: string;
  init?: number;                // default 0.05 (the paper's FC init)
  lr?: number;                  // α for the plasticity row (default 0.5, the paper's MNIST FC value)
  epsilon?: number;             // exploration (default 0.05)
  seed?: number;
}

export interface GatingTrial {
  layer: string;
  /** Per unit of that layer: */
  drive: number[];              // a = Σ_p w_{p,m} y_p (feedforward activation before the ReLU)
  gate: number[];               // g = [a > 0]
  feedbackIn: number[];         // what reaches the feedback neuron from above: Σ_q w'_{q,m} g_q fb_q (z_s = 1 at the top)
  feedback: number[];           // the feedback neuron's activity fb_m = g_m · feedbackIn_m (eqs 9, 12)
  plasticity: number[];         // max over incoming synapses of |Δw_{p,m}| = α·|δ·y_p·g_m·fb_m| (engine's update)
  q: number[];
  action: number;
  label: number;
  reward: number;
  delta: number;
}

export async function gatingTrial(o: GatingOptions): Promise<GatingTrial> {
  const n = o.numClasses ?? 10, lr = o.lr ?? 0.5;
  const net = new Network({ inputShape: o.shape, layers: o.layers ?? [{ type: 'dense', units: 32 }, { type: 'dense', units: 16 }], numClasses: n, init: o.init ?? 0.05, seed: o.seed ?? 1 });
  const target = o.layer ? net.layers.findIndex((l) => l.name === o.layer) : net.layers.findIndex((l) => l.W !== null);
  const layer = net.layers[target];
  if (!layer || !layer.W || layer.kind !== 'dense' || target === net.layers.length - 1) {
    net.dispose();
    throw new Error(`gatingTrial: '${o.layer}' is not a hidden dense layer; layers: ${net.layers.map((l) => `${l.name} (${l.kind})`).join(', ')}`);
  }
  const keep: tf.Tensor[] = [];
  try {
    // 1. Forward pass, layer by layer (each layer keeps its presynaptic activity and gate).
    let h: tf.Tensor = tf.tensor(o.x, [1, ...o.shape]);
    keep.push(h);
    let input: tf.Tensor = h;
    for (let i = 0; i < net.layers.length; i++) {
      if (i === target) input = h;
      const below = h;
      h = tf.tidy(() => net.layers[i].forward(below, true));   // layers keep pre and gate past the tidy
      keep.push(h);
    }
    const a = tf.matMul(input as tf.Tensor2D, layer.W as tf.Tensor2D);
    keep.push(a);
    const [q, drive] = await Promise.all([h, a].map(async (t) => Array.from(await t.data())));
    // 2. Action selection, 4. reward and δ.
    const [action] = selectAction(q, n, { epsilon: o.epsilon ?? 0.05, beta: 1 }, new Rng(((o.seed ?? 1) + 1) >>> 0));
    const out = getRule('deepagrel').signal(q, n, Int32Array.of(action), [o.label]);
    const delta = out.signal[action], reward = out.reward[0];
    // 3. Feedback pass from the selected output, z_s = 1 (the feedback network's own activity) ...
    const feedbackIn = await feedbackDown(net, target, Float32Array.from({ length: n }, (_, l) => (l === action ? 1 : 0)), keep);
    const gate = drive.map((a) => (a > 0 ? 1 : 0));
    // ... and again carrying δ (as in training), then 5. the layer's four-factor update ΔW.
    await feedbackDown(net, target, out.signal, keep);
    const dW = layer.weightDelta(lr)!;
    keep.push(dW);
    const most = tf.tidy(() => tf.max(tf.abs(dW), 0));
    keep.push(most);
    const plasticity = Array.from(await most.data());
    return {
      layer: layer.name, drive, gate, feedbackIn, feedback: feedbackIn.map((f, m) => (gate[m] ? f : 0)), plasticity,
      q, action, label: o.label, reward, delta,
    };
  } finally {
    tf.dispose(keep);
    net.release();
    net.dispose();
  }
}

/** Send `signal` from the outputs down to the target layer; returns what arrives there (ungated), and stores g ⊙ fb in it. */
async function feedbackDown(net: Network, target: number, signal: Float32Array, keep: tf.Tensor[]): Promise<number[]> {
  let fb: tf.Tensor = tf.tensor2d(signal, [1, signal.length]);
  keep.push(fb);
  for (let i = net.layers.length - 1; i > target; i--) {
    fb = net.layers[i].feedback(fb, true)!;
    keep.push(fb);
  }
  const arriving = Array.from(await fb.data());
  const below = net.layers[target].feedback(fb, false);   // stores g ⊙ fb for the update
  if (below) keep.push(below);
  return arriving;
}

/** Silent units (a ≤ 0) with non-zero feedback or plasticity: 0 when Fig. 2's gating holds. */
export function gatingViolations(t: GatingTrial): { silent: number; active: number; leaks: number } {
  let silent = 0, leaks = 0;
  t.drive.forEach((a, m) => {
    if (a > 0) return;
    silent++;
    if (t.feedback[m] !== 0 || t.plasticity[m] !== 0) leaks++;
  });
  return { silent, active: t.drive.length - silent, leaks };
}

const ACTIVE = '#1f77b4', SILENT = '#b0b0b0', FEEDBACK = '#2ca02c';

/** Four stacked panels, units sorted by drive (silent ones on the left, shaded). */
export function gatingFigure(t: GatingTrial, opts: { title?: string } = {}): PlotlyFigure {
  const order = t.drive.map((_, m) => m).sort((a, b) => t.drive[a] - t.drive[b]);
  const x = order.map((m) => `u${m}`);
  const colors = order.map((m) => (t.gate[m] ? ACTIVE : SILENT));
  const panels: Array<{ y: number[]; name: string; color: string | string[] }> = [
    { y: order.map((m) => t.drive[m]), name: 'feedforward drive a (gate g = [a > 0])', color: colors },
    { y: order.map((m) => t.feedbackIn[m]), name: 'feedback arriving from the layer above', color: order.map((m) => (t.gate[m] ? FEEDBACK : SILENT)) },
    { y: order.map((m) => t.feedback[m]), name: 'feedback neuron activity fb = g · arriving', color: FEEDBACK },
    { y: order.map((m) => t.plasticity[m]), name: 'plasticity max |Δw| onto the unit', color: '#d62728' },
  ];
  const gap = 0.04, h = (1 - gap * (panels.length - 1)) / panels.length;
  const layout: Record<string, unknown> = {
    height: 720, width: 900, showlegend: false, bargap: 0.15, margin: { l: 70, r: 20, t: 70, b: 40 },
    title: { text: opts.title ?? `Fig. 2 in numbers: layer ${t.layer}, one trial (label ${t.label}, action ${t.action}, reward ${t.reward}, δ = ${t.delta.toFixed(3)})` },
    annotations: [] as unknown[],
  };
  const data = panels.map((p, i) => {
    const suffix = i === 0 ? '' : String(i + 1);
    const top = 1 - i * (h + gap);
    layout[`yaxis${suffix}`] = { domain: [top - h, top], zeroline: true, zerolinecolor: '#444', title: { text: ['a', 'arriving', 'fb', '|Δw|'][i] } };
    layout[`xaxis${suffix}`] = { anchor: `y${suffix}`, matches: i === 0 ? undefined : 'x', showticklabels: i === panels.length - 1, title: i === panels.length - 1 ? { text: 'hidden units, sorted by drive a (grey: silent, a ≤ 0)' } : undefined };
    (layout.annotations as unknown[]).push({ text: p.name, xref: 'paper', yref: 'paper', x: 0, y: top, xanchor: 'left', yanchor: 'bottom', showarrow: false, font: { size: 12 } });
    return { type: 'bar', x, y: p.y, name: p.name, marker: { color: p.color }, xaxis: `x${suffix}`, yaxis: `y${suffix}` };
  });
  return { data, layout };
}
