// Conv2DBackpropInput (dx of conv2d, i.e. conv2dTranspose; NHWC) for the wasm backend.
// The stock kernel is a direct scalar loop (~140 ms for the MNIST net's second conv layer).
//
// dx[b,i,ci] = Σ_{o,k : o·s + k − pt = i} dy[b,o,co] · w[k,ci,co]      (per spatial axis)
//
// Instead of inserting zeros into dy (s² times the work for stride s), split dx by phase:
// writing i + pt = q·s + r (0 ≤ r < s), only taps k ≡ r (mod s) contribute, k = r + j·s, o = q − j.
// So phase r of dx is a stride-1 convolution of dy with the sub-kernel w[r], w[r+s], … flipped,
// with input/output channels swapped. We run one XNNPACK convolution per phase (s² of them),
// then interleave the phases (q, r) → q·s + r with outer-axis concats and 3-D transposes
// (the 5-D/6-D transposes and DepthToSpace of tfjs-wasm are generic loops, 50-100x slower).

import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { KernelScope, stockKernel, withScope, type ConvGradAttrs } from './kernel-scope.ts';

const BACKEND = 'wasm';

interface Attrs extends ConvGradAttrs {
  inputShape: [number, number, number, number];
}

/** One phase r along one axis: taps r, r+s, …; the conv padding that yields q ∈ [qa, qa+nq). */
interface Phase { r: number; taps: number; before: number; after: number }
interface AxisPlan { s: number; nq: number; offset: number; phases: Phase[] }

/** size: dx length, k: kernel length, s: stride, pt: forward pad before, o: dy length. */
function planAxis(size: number, k: number, s: number, pt: number, o: number): AxisPlan {
  const qa = Math.floor(pt / s), qb = Math.floor((size - 1 + pt) / s);
  const phases: Phase[] = [];
  for (let r = 0; r < s; r++) {
    const taps = r < k ? Math.ceil((k - r) / s) : 0;
    phases.push({ r, taps, before: taps - 1 - qa, after: qb - (o - 1) });
  }
  return { s, nq: qb - qa + 1, offset: pt - qa * s, phases };
}

/** Sub-kernel of phase (py, px): [ty, tx, Cout, Cin], taps reversed, channels swapped. */
function subKernel(w: Float32Array, [KH, KW, Cin, Cout]: number[], py: Phase, px: Phase, sy: number, sx: number): Float32Array {
  const out = new Float32Array(py.taps * px.taps * Cout * Cin);
  let n = 0;
  for (let jy = 0; jy < py.taps; jy++) {
    const kh = py.r + (py.taps - 1 - jy) * sy;
    for (let jx = 0; jx < px.taps; jx++) {
      const kw = px.r + (px.taps - 1 - jx) * sx;
      const base = (kh * KW + kw) * Cin * Cout;
      for (let co = 0; co < Cout; co++) for (let ci = 0; ci < Cin; ci++) out[n++] = w[base + ci * Cout + co];
    }
  }
  return out;
}

function phaseConv(s: KernelScope, dy: TensorInfo, kernel: TensorInfo, py: Phase, px: Phase): TensorInfo {
  // Negative padding = dy rows the phase never reads: crop them instead.
  const [B, oh, ow, Cout] = dy.shape;
  const cropTop = Math.max(-py.before, 0), cropBottom = Math.max(-py.after, 0);
  const cropLeft = Math.max(-px.before, 0), cropRight = Math.max(-px.after, 0);
  const x = cropTop + cropBottom + cropLeft + cropRight === 0 ? dy : s.slice(dy,
    [0, cropTop, cropLeft, 0], [B, oh - cropTop - cropBottom, ow - cropLeft - cropRight, Cout]);
  return s.run('Conv2D', { x, filter: kernel }, {
    strides: [1, 1], dilations: [1, 1], dataFormat: 'NHWC', dimRoundingMode: undefined,
    pad: [[0, 0], [Math.max(py.before, 0), Math.max(py.after, 0)], [Math.max(px.before, 0), Math.max(px.after, 0)], [0, 0]],
  } as unknown as NamedAttrMap);
}

/** Interleave parts[r] ([n, m, k] each, r < s) along axis 1: [n, m, k] x s -> [n, m*s, k]. */
function interleave(s: KernelScope, parts: TensorInfo[], n: number, m: number, k: number): TensorInfo {
  if (parts.length === 1) return s.reshape(parts[0], [n, m, k]);
  const stacked = s.run('Concat', parts.map((p) => s.reshape(p, [1, n * m, k])) as unknown as NamedTensorInfoMap, { axis: 0 });
  return s.reshape(s.transpose(stacked, [1, 0, 2]), [n, m * parts.length, k]);  // [n*m, s, k]
}

function backpropInput(s: KernelScope, dy: TensorInfo, filter: TensorInfo, a: Attrs): TensorInfo {
  const c = tf.backend_util.computeConv2DInfo(
    a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode,
    false, 'channelsLast');
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: Cin, outHeight: oh, outWidth: ow } = c;
  const { filterHeight: KH, filterWidth: KW, outChannels: Cout, strideHeight: sy, strideWidth: sx } = c;
  const ay = planAxis(H, KH, sy, c.padInfo.top, oh);
  const ax = planAxis(W, KW, sx, c.padInfo.left, ow);

  const w = s.backend.readSync(filter.dataId) as Float32Array;     // tiny: [KH, KW, Cin, Cout]
  const rows: TensorInfo[] = [];
  for (const py of ay.phases) {
    const cols: TensorInfo[] = [];
    for (const px of ax.phases) {
      const shape = [ay.nq, ax.nq];
      if (py.taps === 0 || px.taps === 0) {    // stride > kernel: this phase of dx is all zeros
        cols.push(s.run('Fill', {}, { shape: [B, ...shape, Cin], value: 0, dtype: 'float32' }));
        continue;
      }
      const kshape = [py.taps, px.taps, Cout, Cin];
      const values = subKernel(w, filter.shape, py, px, sy, sx);
      const kernel = s.track({ dataId: s.backend.write(values, kshape, 'float32'), shape: kshape, dtype: 'float32' });
      cols.push(phaseConv(s, dy, kernel, py, px));                     // [B, nqy, nqx, Cin]
    }
    rows.push(interleave(s, cols, B * ay.nq, ax.nq, Cin));             // [B*nqy, nqx*sx, Cin]
  }
  const full = interleave(s, rows, B, ay.nq, ax.nq * sx * Cin);        // [B, nqy*sy, nqx*sx*Cin]
  const grid = s.reshape(full, [B, ay.nq * sy, ax.nq * sx, Cin]);
  // The phase grid starts `offset` rows/cols before dx[0] and may run past its end.
  if (ay.offset === 0 && ax.offset === 0 && ay.nq * sy === H && ax.nq * sx === W) return grid;
  return s.slice(grid, [0, ay.offset, ax.offset, 0], [B, H, W, Cin]);
}

function conv2DBackpropInput(args: { inputs: NamedTensorInfoMap; backend: KernelBackend; attrs?: NamedAttrMap }): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as Attrs;
  if (attrs.dataFormat !== 'NHWC' || dy.dtype !== 'float32') {
    return stockKernel('Conv2DBackpropInput', BACKEND).kernelFunc(args) as TensorInfo;
  }
  return withScope(args.backend, BACKEND, (s) => backpropInput(s, dy, filter, attrs));
}

export const conv2DBackpropInputConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: BACKEND,
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};
