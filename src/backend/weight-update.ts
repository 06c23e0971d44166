// The weight update of a dense layer in one pass over W: W ← keep·W + scale·preᵀ·post.
//
// Written out with tf ops it is three passes over the whole weight matrix (the product ΔW, its
// scaling by α/B, then W + ΔW into a fresh buffer): ~3.5 ms of a ~45 ms MNIST conv step at 2
// threads for the 5408×1000 layer. With the native kernels it is one sgemm with β = keep that
// writes into W's own buffer. Where that is not possible (another backend, no native kernels, or
// W's buffer shared with another tensor, e.g. a reshape of it someone holds) this returns false
// and the layer takes the general path (ΔW, then applyWeightDelta) — the same numbers within
// float rounding (the fused form rounds α·Σ + W once, the general one twice).

import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { activeNativeAddon } from './wasm-kernels.ts';
import type { WasmHeap } from './kernel-scope.ts';

/** Kernel name (wasm backend, native kernels active): tf.profile lists the update under it. */
export const ADD_PRODUCT_IN_PLACE = 'AddProductInPlace';

let registered = false;

function register(): void {
  if (registered) return;
  tf.registerKernel({
    kernelName: ADD_PRODUCT_IN_PLACE, backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: { inputs: Record<string, TensorInfo>; backend: WasmHeap; attrs: Record<string, number> }) => {
      const { w, a, b } = inputs;
      const addon = activeNativeAddon();
      if (!addon) throw new Error(`${ADD_PRODUCT_IN_PLACE}: the native kernels are not active`);
      const [B, M] = a.shape, N = b.shape[1];
      const [va, vb, vw] = [a, b, w].map(t => backend.typedArrayFromHeap(t) as Float32Array);
      addon.gemmAccumulate(va, vb, vw, M, N, B, true, false, attrs.scale, attrs.keep);
      // The result is W itself: one more reference, which the caller's dispose() takes back.
      backend.incRef(w.dataId);
      return { dataId: w.dataId, shape: w.shape, dtype: w.dtype };
    }) as unknown as tf.KernelFunc,
  });
  registered = true;
}

/**
 * W ← keep·W + scale·preᵀ·post, with pre [B, M] and post [B, N] (W is [M, N]), in place.
 * True if done; false if this backend cannot (the caller then updates W the general way).
 */
export function addProductInPlace(W: tf.Variable, pre: tf.Tensor, post: tf.Tensor, scale: number, keep: number): boolean {
  if (tf.getBackend() !== 'wasm' || !activeNativeAddon()) return false;
  if ([W, pre, post].some(t => t.dtype !== 'float32') || W.size === 0 || W.rank !== 2 || pre.rank !== 2 || post.rank !== 2 || pre.shape[0] !== post.shape[0] ||
      pre.shape[1] !== W.shape[0] || post.shape[1] !== W.shape[1]) return false;
  const backend = tf.backend() as unknown as WasmHeap;
  if (backend.refCount(W.dataId) !== 1) return false;   // another tensor sees this buffer: never write under it
  register();
  const out = tf.engine().runKernel(ADD_PRODUCT_IN_PLACE, { w: W, a: pre, b: post }, { scale, keep }) as tf.Tensor;
  out.dispose();
  return true;
}
