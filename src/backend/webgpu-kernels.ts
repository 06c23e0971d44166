// Replacement kernels for the 'webgpu' backend (registered by backend/webgpu.ts when it starts),
// and its DeepagrelBernoulliMask kernel (webgpu-dropout.ts).
//
// BatchMatMul: tfjs-backend-webgpu picks one of four matmul programs per call. For a product with
// a small output and a long inner dimension (≤ 8 tiles of 32×32 output, batch 1, K ≥ 2000: e.g.
// [16, 5408] × [5408, 128], a small dense layer after a large flatten at batch 16) it takes
// "split-K", which adds partial sums into the output with float atomics — in whatever order the
// GPU runs the workgroups. Measured on lavapipe: [4, 20000] × [20000, 64] gave different bits on
// 10 runs of 10. That breaks "same seed + same backend = same numbers", so for exactly those
// calls this kernel asks tfjs for its small-output program instead (one thread per output, a
// fixed summation order) and leaves every other call to the stock kernel untouched.
//
// Everything else the training step needs (Conv2D, Conv2DBackpropInput/Filter, Relu, Step,
// elementwise ops, Sum, OneHot, …) the package has; the derivation, learning and kernel tests run
// it against cpu.

import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { saveStockKernel } from './kernel-scope.ts';
import { bernoulliMaskConfig } from './webgpu-dropout.ts';

const BACKEND = 'webgpu';
/** tfjs-backend-webgpu's MatMulProgramType values (webgpu_util.js). */
const SPLIT_K = 1, SMALL_OUTPUT = 2;

/** Calls that would have taken split-K and were sent to the deterministic program (tests read it). */
export const webgpuRouteCounts = { batchMatMul: 0, splitKAvoided: 0 };

/** Whether tfjs-backend-webgpu 4.22 would run this product with split-K (its heuristic, BatchMatMul_impl.js). */
export function wouldSplitK(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean, threshold: number): boolean {
  const ar = aShape.length, br = bShape.length;
  const outerA = transposeA ? aShape[ar - 1] : aShape[ar - 2];
  const outerB = transposeB ? bShape[br - 2] : bShape[br - 1];
  const innerB = transposeB ? bShape[br - 1] : bShape[br - 2];
  const batch = Math.max(aShape.slice(0, -2).reduce((p, d) => p * d, 1), bShape.slice(0, -2).reduce((p, d) => p * d, 1));
  const tiles = batch * Math.ceil(outerA / 32) * Math.ceil(outerB / 32);
  const few = tiles <= threshold || (outerA <= 8 && tiles <= threshold * 2);
  return few && !(batch * outerA * outerB <= 128) && batch === 1 && innerB >= 2000;
}

let registered = false;

export function registerWebgpuKernels(): void {
  if (registered) return;
  const stock = saveStockKernel('BatchMatMul', BACKEND);
  if (!stock) throw new Error("tfjs-backend-webgpu has no BatchMatMul kernel (is @tensorflow/tfjs-backend-webgpu 4.22 installed?)");
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
    webgpuRouteCounts.batchMatMul++;
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA = false, transposeB = false } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const env = tf.env();
    const forced = env.getNumber('WEBGPU_MATMUL_PROGRAM_TYPE');
    const flag = env.getNumber('WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL');
    const threshold = flag > 0 ? flag : (args.backend as { thresholdToIncreaseWorkgroups: number }).thresholdToIncreaseWorkgroups;
    const avoid = (forced < 0 && wouldSplitK(a.shape, b.shape, transposeA, transposeB, threshold)) || forced === SPLIT_K;
    if (!avoid) return stock.kernelFunc(args as Parameters<KernelFunc>[0]);
    webgpuRouteCounts.splitKAvoided++;
    env.set('WEBGPU_MATMUL_PROGRAM_TYPE', SMALL_OUTPUT);
    try {
      return stock.kernelFunc(args as Parameters<KernelFunc>[0]);
    } finally {
      env.set('WEBGPU_MATMUL_PROGRAM_TYPE', forced);
    }
  };
  tf.unregisterKernel('BatchMatMul', BACKEND);
  tf.registerKernel({ kernelName: 'BatchMatMul', backendName: BACKEND, setupFunc: stock.setupFunc, kernelFunc: kernelFunc as unknown as KernelFunc } as KernelConfig);
  if (!tf.getKernel(bernoulliMaskConfig.kernelName, BACKEND)) tf.registerKernel(bernoulliMaskConfig);
  registered = true;
}

/** Put the stock kernel back (tests compare against it). */
export function unregisterWebgpuKernels(): void {
  if (!registered) return;
  const stock = saveStockKernel('BatchMatMul', BACKEND)!;
  tf.unregisterKernel('BatchMatMul', BACKEND);
  tf.registerKernel(stock);
  registered = false;
}
