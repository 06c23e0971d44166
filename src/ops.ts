// The engine's own ops: two steps of the training step that tfjs has no single op for. Each is a
// kernel under our own name, registered per backend by that backend's module (src/backend/), and
// where the running backend has no registration, a generic form built from stock tfjs ops. The
// layers call these functions; they never import src/backend/ and never ask which backend runs.
//
//   DeepagrelAddProductInPlace  W ← keep·W + scale·aᵀ·b into W's own buffer (a dense layer's
//                               update in one pass; native: one sgemm with β = keep)
//   DeepagrelBernoulliMask      a dropout mask from its key (Rng.maskKey): `scale` where the coin
//                               of element i is below `threshold`, else 0 (native: C++ threads on
//                               the wasm heap; webgpu: a WGSL shader; the same numbers everywhere)
//
// A backend registers a kernel only where it is faster than the generic form, and its numbers are
// the generic form's within float rounding (the mask: bit for bit).

import * as tf from '@tensorflow/tfjs';
import { maskThreshold, type Rng } from './rng.ts';

/** Kernel name of the fused dense update (tf.profile lists it under this name). */
export const ADD_PRODUCT_IN_PLACE = 'DeepagrelAddProductInPlace';
/** Kernel name of the dropout mask made from its key. */
export const BERNOULLI_MASK = 'DeepagrelBernoulliMask';

/** Attributes of DeepagrelAddProductInPlace (inputs: w, a [B, M], b [B, N]; w is [M, N]). */
export interface AddProductAttrs { scale: number; keep: number }
/** Attributes of DeepagrelBernoulliMask (no inputs). */
export interface BernoulliMaskAttrs { shape: number[]; key0: number; key1: number; threshold: number; scale: number }

function registered(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) != null;
}

/**
 * W ← (1 − decay)·W + scale·preᵀ·post, with pre [B, M] and post [B, N] (W is [M, N]).
 * In W's own buffer by the backend's DeepagrelAddProductInPlace kernel where it has one and no
 * other tensor shares W's buffer (an in-place write must never change another tensor); otherwise
 * the generic form: ΔW = scale·preᵀ·post, then W + ΔW − decay·W (decay 0: W + ΔW), the same
 * numbers within float rounding (the fused form rounds once, the generic one per op).
 * Returns true when the kernel ran, false when the generic form did.
 */
export function addProductInPlace(W: tf.Variable, pre: tf.Tensor, post: tf.Tensor, scale: number, decay: number): boolean {
  const fits = [W, pre, post].every(t => t.dtype === 'float32') && W.size > 0 && W.rank === 2 && pre.rank === 2 && post.rank === 2 &&
    pre.shape[0] === post.shape[0] && pre.shape[1] === W.shape[0] && post.shape[1] === W.shape[1];
  if (fits && registered(ADD_PRODUCT_IN_PLACE) && tf.backend().refCount(W.dataId) === 1) {
    const attrs: AddProductAttrs = { scale, keep: 1 - decay };
    const out = tf.engine().runKernel(ADD_PRODUCT_IN_PLACE, { w: W, a: pre, b: post }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    out.dispose();   // the kernel returns W itself with one more reference
    return true;
  }
  tf.tidy(() => {
    const dW = tf.matMul(pre as tf.Tensor2D, post as tf.Tensor2D, true, false).mul(scale);
    W.assign(decay > 0 ? W.add(dW).sub(W.mul(decay)) : W.add(dW));
  });
  return false;
}

/**
 * A dropout mask for `shape`: 1/keep with probability keep, else 0; advances `rng` by one key
 * (Rng.maskKey). Made where the backend computes (its DeepagrelBernoulliMask kernel), or, without
 * one, by Rng.bernoulliMask in JS and uploaded — the same numbers either way.
 */
export function dropoutMask(rng: Rng, shape: number[], keep: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (!registered(BERNOULLI_MASK)) return tf.tensor(rng.bernoulliMask(n, keep, 1 / keep), shape);
  const [key0, key1] = rng.maskKey();
  const attrs: BernoulliMaskAttrs = { shape: [...shape], key0, key1, threshold: maskThreshold(keep), scale: 1 / keep };
  return tf.engine().runKernel(BERNOULLI_MASK, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
