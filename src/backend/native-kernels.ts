// The native kernels as tfjs kernels of the wasm backend: they read and write the wasm heap where
// tfjs keeps the tensors (zero copy), so every other op (small elementwise ops, reshapes,
// transposes, the engine's bookkeeping) stays the wasm backend's, and the layers keep calling
// plain tf ops.
//
// Each function returns null for a case it does not handle (another dtype, NCHW, dilations,
// broadcasting over several batch dimensions, small tensors); the caller then runs the wasm kernel.

import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import type { NativeAddon } from './native-addon.ts';
import type { WasmHeap } from './kernel-scope.ts';

export interface KernelArgs { inputs: NamedTensorInfoMap; backend: KernelBackend; attrs?: NamedAttrMap }
export type NativeKernel = (addon: NativeAddon, args: KernelArgs) => TensorInfo | null;

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
const allFloat = (...ts: TensorInfo[]) => ts.every(t => t.dtype === 'float32' && size(t.shape) > 0);

/** Allocate the output first, then take views (allocation may grow the heap and detach older ones). */
export function output(backend: KernelBackend, shape: number[], inputs: TensorInfo[]): { out: TensorInfo; views: Float32Array[] } {
  const heap = backend as unknown as WasmHeap;
  const out = heap.makeOutput(shape, 'float32');
  const views = [...inputs, out].map(t => heap.typedArrayFromHeap(t) as Float32Array);
  return { out, views };
}

/**
 * `out` once `fill` (the addon's call) has written it; when the call throws, `out` goes back to the
 * heap before the error goes on (nothing else holds it yet: a failed kernel must not leak its output).
 */
export function filled(backend: KernelBackend, out: TensorInfo, fill: () => void): TensorInfo {
  try {
    fill();
  } catch (e) {
    backend.disposeData(out.dataId, true);
    throw e;
  }
  return out;
}

const batchMatMul: NativeKernel = (addon, { inputs, backend, attrs }) => {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA = false, transposeB = false } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  if (!allFloat(a, b) || a.shape.length < 2 || b.shape.length < 2) return null;
  const ar = a.shape.length, br = b.shape.length;
  const M = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
  const K = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
  const N = transposeB ? b.shape[br - 2] : b.shape[br - 1];
  if (K !== (transposeB ? b.shape[br - 1] : b.shape[br - 2])) return null;   // the wasm kernel words the error
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = size(outerA), batchB = size(outerB);
  // One batch shape shared, or one side a single matrix; anything else goes to the wasm kernel.
  let outer: number[];
  try { outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB); } catch { return null; }
  const batch = size(outer);
  if (!((batchA === batch && batchB === batch) || batchA === 1 || batchB === 1)) return null;
  const outShape = [...outer, M, N];
  const { out, views: [va, vb, vc] } = output(backend, outShape, [a, b]);
  return filled(backend, out, () => addon.matmul(va, vb, vc, batchA, batchB, M, N, K, transposeA, transposeB));
};

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** [N,H,W,C, OH,OW,OC, KH,KW, SH,SW, PT,PL,PB,PR] for the addon, or null if it cannot run it. */
function convGeometry(xShape: number[], filterShape: number[], a: ConvAttrs): number[] | null {
  if (a.dataFormat !== 'NHWC') return null;
  const dil = a.dilations ?? 1;
  if (Array.isArray(dil) ? dil[0] !== 1 || dil[1] !== 1 : dil !== 1) return null;
  const c = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number],
    filterShape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
  const { top, left, bottom, right } = c.padInfo;
  // oneDNN checks OH = (H − KH + PT + PB) / SH + 1 (integer division); tfjs always satisfies it
  // for 'same'/'valid', but an odd explicit padding or rounding mode may not: leave those to wasm.
  const fits = (n: number, k: number, s: number, p0: number, p1: number, o: number) => p0 >= 0 && p1 >= 0 && Math.floor((n - k + p0 + p1) / s) + 1 === o;
  if (!fits(c.inHeight, c.filterHeight, c.strideHeight, top, bottom, c.outHeight) ||
      !fits(c.inWidth, c.filterWidth, c.strideWidth, left, right, c.outWidth)) return null;
  return [c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels,
    c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, top, left, bottom, right];
}

/**
 * A conv kernel: `names` are its two inputs, `geometry` gives the forward conv's input and filter
 * shapes, `outShape` the result's; the addon's `call` does the arithmetic. The gradients check
 * that dy has the forward output's spatial size (tfjs passes it, not the geometry).
 */
function convKernel(names: [string, string], call: 'convForward' | 'convBackwardData' | 'convBackwardWeights',
  geometry: (i: Record<string, TensorInfo>, a: ConvAttrs & Record<string, unknown>) => { x: number[]; filter: number[]; out: number[] | null }): NativeKernel {
  return (addon, { inputs, backend, attrs }) => {
    const ins = inputs as Record<string, TensorInfo>;
    const [p, q] = names.map(n => ins[n]);
    if (!allFloat(p, q)) return null;
    const a = attrs as unknown as ConvAttrs & Record<string, unknown>;
    const shapes = geometry(ins, a);
    const g = convGeometry(shapes.x, shapes.filter, a);
    if (!g || (ins.dy && (g[4] !== ins.dy.shape[1] || g[5] !== ins.dy.shape[2]))) return null;
    const { out, views: [vp, vq, vo] } = output(backend, shapes.out ?? [g[0], g[4], g[5], g[6]], [p, q]);
    return filled(backend, out, () => addon[call](g, vp, vq, vo));
  };
}

const conv2D = convKernel(['x', 'filter'], 'convForward', i => ({ x: i.x.shape, filter: i.filter.shape, out: null }));
const conv2DBackpropInput = convKernel(['dy', 'filter'], 'convBackwardData',
  (i, a) => ({ x: a.inputShape as number[], filter: i.filter.shape, out: a.inputShape as number[] }));
const conv2DBackpropFilter = convKernel(['x', 'dy'], 'convBackwardWeights',
  (i, a) => ({ x: i.x.shape, filter: a.filterShape as number[], out: a.filterShape as number[] }));

/**
 * Elementwise ops pay off natively only on large tensors (the threads must have work to share);
 * below this the wasm kernel (one thread, no call overhead) is as fast.
 */
const ELEMENTWISE_MIN = 1 << 16;

/** a ∘ b for float32 operands of the same shape, or one of them a single value. */
const binaryOp = (op: 0 | 1 | 2): NativeKernel => (addon, { inputs, backend }) => {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  if (!allFloat(a, b)) return null;
  const na = size(a.shape), nb = size(b.shape);
  const same = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
  const big = na >= nb ? a : b;
  if (Math.max(na, nb) < ELEMENTWISE_MIN || !(same || na === 1 || nb === 1)) return null;
  // A scalar of higher rank (e.g. [1,1]) broadcasts the other operand to that rank.
  let shape: number[];
  try { shape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape); } catch { return null; }
  if (size(shape) !== size(big.shape)) return null;
  const { out, views: [va, vb, vo] } = output(backend, shape, [a, b]);
  return filled(backend, out, () => addon.binary(op, va, vb, vo));
};

const unaryOp = (op: 0 | 1): NativeKernel => (addon, { inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  if (!allFloat(x) || size(x.shape) < ELEMENTWISE_MIN) return null;
  const { out, views: [vx, vo] } = output(backend, x.shape, [x]);
  return filled(backend, out, () => addon.unary(op, vx, vo, Number((attrs as { alpha?: number } | undefined)?.alpha ?? 0)));
};

/** Transpose with perm [1, 0, 2] (the locally connected layers' swaps); other perms go to wasm. */
const transpose: NativeKernel = (addon, { inputs, backend, attrs }) => {
  const { x } = inputs as { x: TensorInfo };
  const perm = (attrs as { perm?: number[] } | undefined)?.perm ?? [];
  if (!allFloat(x) || x.shape.length !== 3 || perm.join() !== '1,0,2' || size(x.shape) < ELEMENTWISE_MIN) return null;
  const [A, B, C] = x.shape;
  const { out, views: [vx, vo] } = output(backend, [B, A, C], [x]);
  return filled(backend, out, () => addon.transpose102(vx, vo, A, B, C));
};

/**
 * tf.clone shares the buffer (one more reference), as tfjs's cpu and webgl backends do; the stock
 * wasm Identity copies it (0.7 ms for a conv layer's activity, which every layer clones to keep).
 * Safe because no kernel writes into an input — the one in-place kernel (DeepagrelAddProductInPlace, native-ops.ts; src/ops.ts) checks
 * that nothing else holds the buffer it writes.
 */
const identity: NativeKernel = (_addon, { inputs, backend }) => {
  const { x } = inputs as { x: TensorInfo };
  if (x.dtype === 'string') return null;
  (backend as unknown as WasmHeap).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Kernel name → native implementation. */
export const NATIVE_KERNELS: Readonly<Record<string, NativeKernel>> = {
  BatchMatMul: batchMatMul,
  Conv2D: conv2D,
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Add: binaryOp(0),
  Sub: binaryOp(1),
  Multiply: binaryOp(2),
  Relu: unaryOp(0),
  Step: unaryOp(1),
  Identity: identity,
  Transpose: transpose,
};
