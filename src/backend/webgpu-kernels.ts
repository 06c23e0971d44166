// Replacement and extra kernels for the 'webgpu' backend (registered by backend/webgpu.ts when it
// starts): the split-K guard below, and the DeepagrelBernoulliMask kernel (webgpu-dropout.ts).
//
// Split-K: tfjs-backend-webgpu 4.22 picks one of four matmul programs for every matrix product it
// runs (batchMatMulImpl). For a product with a small output and a long inner dimension (≤ 8 tiles
// of 32×32 output, batch 1, K ≥ 2000: e.g. [16, 5408] × [5408, 128], a small dense layer after a
// large flatten at batch 16) it takes "split-K", which adds partial sums into the output with
// float atomics — in whatever order the GPU runs the workgroups. Measured on lavapipe:
// [4, 20000] × [20000, 64] gave different bits on 10 runs of 10. That breaks "same seed + same
// backend = same numbers", so for exactly those products we make tfjs take its small-output
// program instead (one thread per output, a fixed summation order) through its own switch, the
// WEBGPU_MATMUL_PROGRAM_TYPE flag, which batchMatMulImpl reads where it chooses the program.
//
// batchMatMulImpl is reached from four kernels, and the guard wraps each of them:
//   BatchMatMul, _FusedMatMul  the product itself;
//   Conv2D, FusedConv2D        conv2DImpl runs a convolution as one product when the kernel is
//                              1×1 (stride 1, no dilation) or covers the whole input ('valid'),
//                              and through im2col when the output is small — e.g. a 1×1 conv on a
//                              1×1×2048 input is [1, B, 2048] × [1, 2048, F], batch 1, K 2048.
// For each call the wrapper works out the product(s) the stock kernel will run (the package's own
// shape logic, mirrored in innerProducts) and, where one would take split-K, runs the stock kernel
// with the flag set to the small-output program. Every other call runs the stock kernel untouched.
// A tripwire watches the programs that actually run: a split-K program that got past the guard
// (a path this mirror misses, e.g. in another version of the package) is counted and reported once
// on stderr, so it cannot go unnoticed (the tests require zero).
//
// Everything else the training step needs (Conv2DBackpropInput/Filter, Relu, Step, elementwise
// ops, Sum, OneHot, …) the package has, with no float atomics; the derivation, learning and kernel
// tests run it against cpu.

import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { saveStockKernel } from './kernel-scope.ts';
import { bernoulliMaskConfig } from './webgpu-dropout.ts';

const BACKEND = 'webgpu';
/** tfjs-backend-webgpu's MatMulProgramType values (webgpu_util.js). */
const SPLIT_K = 1, SMALL_OUTPUT = 2;
/** The kernels whose stock implementation can reach batchMatMulImpl (tfjs-backend-webgpu 4.22). */
export const GUARDED_KERNELS = ['BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D'] as const;
type Guarded = typeof GUARDED_KERNELS[number];

/** Calls of the guarded kernels, those sent to the deterministic program, and split-K programs
 *  that ran anyway (the tripwire; must stay 0). Tests read these. */
export const webgpuRouteCounts = {
  calls: Object.fromEntries(GUARDED_KERNELS.map(k => [k, 0])) as Record<Guarded, number>,
  splitKAvoided: 0,
  splitKRan: 0,
};

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

interface Product { a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }
interface ConvAttrs {
  strides: number | [number, number]; pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW'; dilations: number | [number, number]; dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The products the stock kernel `name` runs through batchMatMulImpl for these inputs, with the
 * shapes it passes (Conv2D_impl.js: conv2dByMatMul and conv2dWithIm2Col; BatchMatMul.js).
 * `convThreshold`: the workgroup threshold as conv2DImpl reads it.
 */
export function innerProducts(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap, convThreshold: number): Product[] {
  if (name === 'BatchMatMul' || name === '_FusedMatMul') {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA = false, transposeB = false } = attrs as { transposeA?: boolean; transposeB?: boolean };
    return [{ a: a.shape, b: b.shape, transposeA, transposeB }];
  }
  const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as ConvAttrs;
  const c = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    a.strides, a.dilations, a.pad, a.dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(a.dataFormat));
  const env = tf.env();
  if (env.getBool('WEBGPU_USE_NAIVE_CONV2D_DEBUG')) return [];
  const last = c.dataFormat === 'channelsLast';
  const sameSize = last && c.filterHeight === c.inHeight && c.filterWidth === c.inWidth && c.padInfo.type === 'VALID';
  const oneByOne = c.filterHeight === 1 && c.filterWidth === 1 && c.dilationHeight === 1 && c.dilationWidth === 1 &&
    c.strideHeight === 1 && c.strideWidth === 1 && (c.padInfo.type === 'SAME' || c.padInfo.type === 'VALID');
  const asProduct = (xs: number[], fs: number[]): Product => ({ a: last ? xs : fs, b: last ? fs : xs, transposeA: !last, transposeB: false });
  if (sameSize) {
    const shared = c.inHeight * c.inWidth * c.inChannels;
    return [{ a: [1, c.batchSize, shared], b: [1, shared, c.outChannels], transposeA: false, transposeB: false }];
  }
  if (oneByOne) {
    const xs = last ? [c.batchSize, c.inHeight * c.inWidth, c.inChannels] : [c.batchSize, c.inChannels, c.inHeight * c.inWidth];
    return [asProduct(xs, [1, c.inChannels, c.outChannels])];
  }
  const tiles = c.batchSize * Math.ceil((c.outHeight * c.outWidth) / 32) * Math.ceil(c.outChannels / 32);
  if (env.getBool('WEBGPU_CONV_SEPARATE_IM2COL_SHADER') || tiles <= convThreshold) {
    const shared = c.filterWidth * c.filterHeight * c.inChannels, cols = c.outHeight * c.outWidth;
    return [asProduct(last ? [c.batchSize, cols, shared] : [c.batchSize, shared, cols], [1, shared, c.outChannels])];
  }
  return [];   // Conv2DMMProgram: no product, no atomics
}

interface WebGPUBackendLike {
  thresholdToIncreaseWorkgroups: number;
  runWebGPUProgram(program: { shaderKey?: string }, ...rest: unknown[]): TensorInfo;
}

let registered = false;
let warned = false;

/** The tripwire: count (and report once) a split-K program that runs despite the guard. Called by
 *  backend/webgpu.ts on the backend it creates. */
export function watchForSplitK(backendInstance: unknown): void {
  const backend = backendInstance as WebGPUBackendLike;
  const run = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (program, ...rest) => {
    if (program.shaderKey?.startsWith('matMulSplitK')) {
      webgpuRouteCounts.splitKRan++;
      if (!warned) {
        warned = true;
        process.emitWarning('a matrix product ran with tfjs-backend-webgpu\'s split-K program (float atomics) past the determinism guard ' +
          '(src/backend/webgpu-kernels.ts): this run\'s numbers are not bit-reproducible', { code: 'DEEPAGREL_SPLIT_K' });
      }
    }
    return run(program, ...rest);
  };
}

function guard(name: Guarded, stock: KernelConfig): KernelConfig {
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
    webgpuRouteCounts.calls[name]++;
    const backend = args.backend as WebGPUBackendLike;
    const env = tf.env();
    const forced = env.getNumber('WEBGPU_MATMUL_PROGRAM_TYPE');
    const flag = env.getNumber('WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL');
    // The two places read the same flag differently (> 0 in batchMatMulImpl, > -1 in conv2DImpl).
    const matmulThreshold = flag > 0 ? flag : backend.thresholdToIncreaseWorkgroups;
    const convThreshold = flag > -1 ? flag : backend.thresholdToIncreaseWorkgroups;
    const avoid = forced === SPLIT_K || (forced < 0 &&
      innerProducts(name, args.inputs, args.attrs ?? {}, convThreshold).some(p => wouldSplitK(p.a, p.b, p.transposeA, p.transposeB, matmulThreshold)));
    if (!avoid) return stock.kernelFunc(args as Parameters<KernelFunc>[0]);
    webgpuRouteCounts.splitKAvoided++;
    env.set('WEBGPU_MATMUL_PROGRAM_TYPE', SMALL_OUTPUT);
    try {
      return stock.kernelFunc(args as Parameters<KernelFunc>[0]);
    } finally {
      env.set('WEBGPU_MATMUL_PROGRAM_TYPE', forced);
    }
  };
  return { kernelName: name, backendName: BACKEND, setupFunc: stock.setupFunc, disposeFunc: stock.disposeFunc, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export function registerWebgpuKernels(): void {
  if (registered) return;
  for (const name of GUARDED_KERNELS) {
    const stock = saveStockKernel(name, BACKEND);
    if (!stock) throw new Error(`tfjs-backend-webgpu has no ${name} kernel (is @tensorflow/tfjs-backend-webgpu 4.22 installed?)`);
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(guard(name, stock));
  }
  if (!tf.getKernel(bernoulliMaskConfig.kernelName, BACKEND)) tf.registerKernel(bernoulliMaskConfig);
  registered = true;
}

/** Put the stock kernels back (tests compare against them). */
export function unregisterWebgpuKernels(): void {
  if (!registered) return;
  for (const name of GUARDED_KERNELS) {
    const stock = saveStockKernel(name, BACKEND)!;
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(stock);
  }
  registered = false;
}
