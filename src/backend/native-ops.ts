// The engine's own ops (src/ops.ts) as kernels of the 'native' backend: the wasm backend's tensors,
// the addon's arithmetic, in place on the wasm heap. Registered under backend name 'wasm' while the
// native kernels are routed in (backend.ts: startNative), unregistered when they are not (plain
// wasm then takes the generic forms of src/ops.ts, as cpu does).
//
// DeepagrelAddProductInPlace: W ← keep·W + scale·aᵀ·b as one sgemm with β = keep into W's own
//   buffer. Written out with tf ops it is three passes over the whole weight matrix (the product
//   ΔW, its scaling by α/B, then W + ΔW into a fresh buffer): ~3.5 ms of a ~45 ms MNIST conv step
//   at 2 threads for the 5408×1000 layer. src/ops.ts runs it only when nothing else holds W's
//   buffer.
// DeepagrelBernoulliMask: the mask straight into the wasm heap where the tensor lives, by C++
//   threads: a JS array first and a copy into the heap cost ~2 ms a step for a conv layer's 2 MB
//   mask, the threads ~0.1.

import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { ADD_PRODUCT_IN_PLACE, BERNOULLI_MASK, type AddProductAttrs, type BernoulliMaskAttrs } from '../ops.ts';
import type { NativeAddon } from './native-addon.ts';
import { filled, output } from './native-kernels.ts';
import type { WasmHeap } from './kernel-scope.ts';

const BACKEND = 'wasm';

interface Args<A> { inputs: Record<string, TensorInfo>; backend: KernelBackend & WasmHeap; attrs: A }

function configs(addon: NativeAddon): KernelConfig[] {
  const addProduct = ({ inputs, backend, attrs }: Args<AddProductAttrs>): TensorInfo => {
    const { w, a, b } = inputs;
    const [B, M] = a.shape, N = b.shape[1];
    const [va, vb, vw] = [a, b, w].map(t => backend.typedArrayFromHeap(t) as Float32Array);
    addon.gemmAccumulate(va, vb, vw, M, N, B, true, false, attrs.scale, attrs.keep);
    // The result is W itself: one more reference, which the caller's dispose() takes back.
    backend.incRef(w.dataId);
    return { dataId: w.dataId, shape: w.shape, dtype: w.dtype };
  };
  const mask = ({ backend, attrs }: Args<BernoulliMaskAttrs>): TensorInfo => {
    const { out, views: [view] } = output(backend, attrs.shape, []);
    return filled(backend, out, () => addon.bernoulliMask(view, attrs.key0, attrs.key1, attrs.threshold, attrs.scale));
  };
  return [
    { kernelName: ADD_PRODUCT_IN_PLACE, backendName: BACKEND, kernelFunc: addProduct as unknown as KernelFunc },
    { kernelName: BERNOULLI_MASK, backendName: BACKEND, kernelFunc: mask as unknown as KernelFunc },
  ];
}

/** The kernel names this module registers (for the `kernels` line of BackendInfo). */
export const NATIVE_OPS = [ADD_PRODUCT_IN_PLACE, BERNOULLI_MASK] as const;

let active: NativeAddon | null = null;

/** Register the native ops for the wasm backend (addon) or unregister them (null). */
export function setNativeOps(addon: NativeAddon | null): void {
  if (addon === active) return;
  for (const name of NATIVE_OPS) if (tf.getKernel(name, BACKEND)) tf.unregisterKernel(name, BACKEND);
  if (addon) for (const config of configs(addon)) tf.registerKernel(config);
  active = addon;
}
