// BatchMatMul for the wasm backend, routed onto XNNPACK's fast path.
//
// tfjs-backend-wasm only uses XNNPACK (xnn_fully_connected) for a single, non-transposed product;
// any transpose flag or a batch > 1 falls onto a naive blocked triple loop (~50x slower). Here
// every product becomes non-transposed 2-D products, with explicit transposes where needed.
//
// Which way round: the fully-connected operator packs its right-hand operand ("weights") on every
// call with a new tensor (~7 ns/element, and a large packed operand also slows the GEMM itself),
// while a 2-D transpose costs ~2 ns/element. C = op(A)·op(B) can be computed either directly, or
// as Cᵀ = op(B)ᵀ·op(A)ᵀ followed by one transpose of C; we take the one with the smaller
// estimated cost, which in practice means "the small operand is the packed one".
// Measured at [100,5408]x[5408,1000], 1 thread, new operands each call: stock plain ~95 ms,
// stock transposeA/transposeB ~0.5 s; this kernel 36-46 ms for every combination of flags.

import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { KernelScope, stockKernel, withScope } from './kernel-scope.ts';

const BACKEND = 'wasm';

/** Relative cost per element of packing the right operand vs transposing (see header). */
const PACK_COST = 6;

/** Below this many multiply-adds per product the stock loops are as fast as our extra steps. */
const SMALL_PRODUCT = 32 * 32 * 32;

export type MatMulStrategy = 'auto' | 'direct' | 'swapped';
let strategy: MatMulStrategy = 'auto';

/** For benchmarks/tests: force one orientation instead of the cost model. */
export function setMatMulStrategy(s: MatMulStrategy): void { strategy = s; }

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/**
 * op(a)·op(b) for 2-D `a`, `b` using only non-transposed stock products; returns [M, N].
 * The result is owned by `s` (freed when the scope ends unless returned).
 */
export function matMul2D(s: KernelScope, a: TensorInfo, b: TensorInfo, transA: boolean, transB: boolean): TensorInfo {
  const [M, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const N = transB ? b.shape[0] : b.shape[1];
  const product = (l: TensorInfo, r: TensorInfo) =>
    s.run('BatchMatMul', { a: l, b: r }, { transposeA: false, transposeB: false });

  // Direct: C = op(A)·op(B), packs op(B) [K,N]. Swapped: Cᵀ = op(B)ᵀ·op(A)ᵀ, packs op(A)ᵀ [K,M].
  const directCost = (transA ? M * K : 0) + (transB ? K * N : 0) + PACK_COST * K * N;
  const swappedCost = (transA ? 0 : M * K) + (transB ? 0 : K * N) + M * N + PACK_COST * K * M;
  const swapped = strategy === 'swapped' || (strategy === 'auto' && swappedCost < directCost);

  if (!swapped) {
    const l = transA ? s.transpose(a, [1, 0]) : a;
    const r = transB ? s.transpose(b, [1, 0]) : b;
    return product(l, r);
  }
  const l = transB ? b : s.transpose(b, [1, 0]);   // op(B)ᵀ  [N, K]
  const r = transA ? a : s.transpose(a, [1, 0]);   // op(A)ᵀ  [K, M]
  return s.transpose(product(l, r), [1, 0]);
}

/** Flat batch index of `a` (outer shape `from`, left-padded) for output batch index `i` of `outer`. */
function broadcastIndex(i: number, outer: number[], from: number[]): number {
  const dims = [...Array(outer.length - from.length).fill(1), ...from];
  let idx = 0, stride = 1;
  for (let d = outer.length - 1; d >= 0; d--) {
    const coord = Math.floor(i / size(outer.slice(d + 1))) % outer[d];
    if (dims[d] !== 1) idx += coord * stride;
    stride *= dims[d];
  }
  return idx;
}

function batchMatMul(args: { inputs: NamedTensorInfoMap; backend: KernelBackend; attrs?: NamedAttrMap }): TensorInfo {
  const { inputs, backend } = args;
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA = false, transposeB = false } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const stock = () => stockKernel('BatchMatMul', BACKEND).kernelFunc(args) as TensorInfo;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock();

  const ar = a.shape.length, br = b.shape.length;
  const M = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
  const K = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
  const Kb = transposeB ? b.shape[br - 1] : b.shape[br - 2];
  const N = transposeB ? b.shape[br - 2] : b.shape[br - 1];
  const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
  const batchA = size(outerA), batchB = size(outerB);
  // Shape errors: let the stock kernel raise its usual message. Tiny products: its loops are fine.
  if (K !== Kb || (M * N * K < SMALL_PRODUCT && batchA === batchB)) return stock();
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = size(outer);

  return withScope(backend, BACKEND, (s) => {
    const a3 = s.reshape(a, [batchA, a.shape[ar - 2], a.shape[ar - 1]]);
    const b3 = s.reshape(b, [batchB, b.shape[br - 2], b.shape[br - 1]]);
    const mat = (t: TensorInfo, i: number) => t.shape[0] === 1
      ? s.reshape(t, t.shape.slice(1))
      : s.reshape(s.slice(t, [i, 0, 0], [1, t.shape[1], t.shape[2]]), t.shape.slice(1));

    let c: TensorInfo;
    if (batch === 1) {
      c = matMul2D(s, mat(a3, 0), mat(b3, 0), transposeA, transposeB);
    } else if (batchB === 1 && !transposeA) {
      // b shared by every batch of a: stack a's batches into one tall matrix, one product.
      c = matMul2D(s, s.reshape(a3, [batchA * M, K]), mat(b3, 0), false, transposeB);
    } else {
      const parts: TensorInfo[] = [];
      for (let i = 0; i < batch; i++) {
        const ai = mat(a3, broadcastIndex(i, outer, outerA));
        const bi = mat(b3, broadcastIndex(i, outer, outerB));
        parts.push(s.reshape(matMul2D(s, ai, bi, transposeA, transposeB), [1, M, N]));
      }
      c = s.run('Concat', parts as unknown as NamedTensorInfoMap, { axis: 0 });
    }
    return s.reshape(c, [...outer, M, N]);
  });
}

export const batchMatMulConfig = {
  kernelName: 'BatchMatMul',
  backendName: BACKEND,
  kernelFunc: batchMatMul as unknown as tf.KernelFunc,
};
