// Conv2DBackpropFilter (dW of conv2d, NHWC) for the wasm backend, which has none.
//
// dW[kh,kw,ci,co] = Σ_{b,oy,ox} x[b, oy·s+kh−pt, ox·s+kw−pl, ci] · dy[b,oy,ox,co]
//
// "dilated": the same sum is a stride-1 convolution with the roles swapped —
// input  x  viewed as [Cin, H, W, B]   (input channels become the batch, the batch the channels),
// filter dy viewed as [oh, ow, B, Cout],
// dilation = the forward stride, padding = the forward top/left padding —
// whose [Cin, KH, KW, Cout] output is dW up to a transpose. XNNPACK runs it as one GEMM.
//
// "patches" (few input channels): dW = patchesᵀ · dy, with the patches matrix made by XNNPACK
// itself — a conv of x with a one-hot filter (slicing patches out with tfjs-wasm's StridedSlice
// is a generic loop and ~50x slower).

import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { KernelScope, withScope, type ConvGradAttrs } from './kernel-scope.ts';
import { matMul2D } from './wasm-matmul.ts';

const BACKEND = 'wasm';

export type BackpropFilterMethod = 'auto' | 'dilated' | 'patches';
let method: BackpropFilterMethod = 'auto';

/**
 * 'patches' pays a one-hot conv of cost ∝ taps² per pixel to get a plain GEMM; worth it while
 * taps = KH·KW·Cin is at most about Cout. MNIST conv1 (9 taps): 7 ms vs 13 ms dilated;
 * CIFAR conv1 (27 taps): 22 vs 32 ms; MNIST conv2 (288 taps): dilated only.
 */
const PATCHES_MAX_TAPS = 32;

/** For benchmarks/tests: choose the formulation. */
export function setBackpropFilterMethod(m: BackpropFilterMethod): void { method = m; }

interface Attrs extends ConvGradAttrs {
  filterShape: [number, number, number, number];
}

function convInfo(x: TensorInfo, a: Attrs) {
  if (a.dataFormat !== 'NHWC') {
    throw new Error(`Conv2DBackpropFilter on wasm supports dataFormat 'NHWC' only, got '${a.dataFormat}'`);
  }
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode,
    false, 'channelsLast');
}

function dilated(s: KernelScope, x: TensorInfo, dy: TensorInfo, a: Attrs): TensorInfo {
  const c = convInfo(x, a);
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: Cin, outHeight: oh, outWidth: ow } = c;
  const { filterHeight: KH, filterWidth: KW, outChannels: Cout, strideHeight: sh, strideWidth: sw } = c;
  const { top, left } = c.padInfo;
  // Bottom/right padding that makes the output exactly KH x KW; negative means the forward conv
  // never reached the last rows (valid padding with a remainder): pad 0 and crop instead.
  const bottom = KH - H - top + (oh - 1) * sh;
  const right = KW - W - left + (ow - 1) * sw;

  // x [B,H,W,Cin] -> [H*W*Cin, B] -> [Cin, H*W, B]: a 2-D and a 3-D transpose (tfjs-wasm's 4-D
  // transpose with perm [3,1,2,0] measured ~2x slower).
  let xT = s.transpose(s.reshape(x, [B, H * W * Cin]), [1, 0]);
  if (Cin > 1) xT = s.transpose(s.reshape(xT, [H * W, Cin, B]), [1, 0, 2]);
  xT = s.reshape(xT, [Cin, H, W, B]);
  // dy [B,oh,ow,Cout] -> [oh,ow,B,Cout]
  const dyT = s.reshape(s.transpose(s.reshape(dy, [B, oh * ow, Cout]), [1, 0, 2]), [oh, ow, B, Cout]);

  let out = s.run('Conv2D', { x: xT, filter: dyT }, {
    strides: [1, 1], dilations: [sh, sw], dataFormat: 'NHWC', dimRoundingMode: undefined,
    pad: [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]],
  } as unknown as NamedAttrMap);                                     // [Cin, ≥KH, ≥KW, Cout]
  if (bottom < 0 || right < 0) out = s.slice(out, [0, 0, 0, 0], [Cin, KH, KW, Cout]);
  // [Cin, KH*KW, Cout] -> [KH*KW, Cin, Cout]
  return Cin === 1
    ? s.reshape(out, [KH, KW, Cin, Cout])
    : s.reshape(s.transpose(s.reshape(out, [Cin, KH * KW, Cout]), [1, 0, 2]), [KH, KW, Cin, Cout]);
}

function patches(s: KernelScope, x: TensorInfo, dy: TensorInfo, a: Attrs): TensorInfo {
  const c = convInfo(x, a);
  const { batchSize: B, inChannels: Cin, outHeight: oh, outWidth: ow } = c;
  const { filterHeight: KH, filterWidth: KW, outChannels: Cout } = c;
  const taps = KH * KW * Cin;
  // One-hot filter [KH, KW, Cin, taps]: the forward conv with it yields every patch, with the
  // forward's own stride and padding, as [B, oh, ow, taps].
  const eye = new Float32Array(taps * taps);
  for (let t = 0; t < taps; t++) eye[t * taps + t] = 1;
  const eyeShape = [KH, KW, Cin, taps];
  const filter = s.track({ dataId: s.backend.write(eye, eyeShape, 'float32'), shape: eyeShape, dtype: 'float32' });
  const p = s.run('Conv2D', { x, filter }, {
    strides: a.strides, pad: a.pad, dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: a.dimRoundingMode,
  } as unknown as NamedAttrMap);
  const pixels = B * oh * ow;
  const dW = matMul2D(s, s.reshape(p, [pixels, taps]), s.reshape(dy, [pixels, Cout]), true, false);  // [taps, Cout]
  return s.reshape(dW, [KH, KW, Cin, Cout]);
}

function conv2DBackpropFilter(args: { inputs: NamedTensorInfoMap; backend: KernelBackend; attrs?: NamedAttrMap }): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as Attrs;
  const [KH, KW, Cin] = attrs.filterShape;
  const usePatches = method === 'patches' || (method === 'auto' && KH * KW * Cin <= PATCHES_MAX_TAPS);
  return withScope(args.backend, BACKEND, (s) => (usePatches ? patches : dilated)(s, x, dy, attrs));
}

export const conv2DBackpropFilterConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: BACKEND,
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
