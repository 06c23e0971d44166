// A dropout mask as a tensor, made where it is used: on the GPU for the webgpu backend, in C++ or
// JS otherwise. Every backend gives the same numbers for the same seed (see Rng.bernoulliMask).

import * as tf from '@tensorflow/tfjs';
import { maskThreshold, type Rng } from '../rng.ts';
import { webgpuBernoulliMask } from './webgpu-dropout.ts';
import { activeNativeAddon } from './wasm-kernels.ts';
import { output } from './native-kernels.ts';

/** `1/keep` with probability keep, else 0, for every element of `shape`; advances `rng` by one key. */
export function dropoutMask(rng: Rng, shape: number[], keep: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (tf.getBackend() === 'webgpu') {
    const [k0, k1] = rng.maskKey();
    return webgpuBernoulliMask(shape, k0, k1, maskThreshold(keep), 1 / keep);
  }
  const addon = tf.getBackend() === 'wasm' ? activeNativeAddon() : null;
  if (addon) {
    // Straight into the wasm heap where the tensor lives: a JS array first and a copy into the
    // heap cost ~2 ms a step for a conv layer's 2 MB mask, the C++ threads ~0.1.
    const [k0, k1] = rng.maskKey();
    const { out, views: [view] } = output(tf.backend(), shape, []);
    addon.bernoulliMask(view, k0, k1, maskThreshold(keep), 1 / keep);
    return tf.engine().makeTensorFromTensorInfo(out);
  }
  return tf.tensor(rng.bernoulliMask(n, keep, 1 / keep), shape);
}
