// Registers our kernels for the 'wasm' backend (only there: tfjs-node and cpu keep theirs), so
// model code calls plain tf ops — tf.matMul with transpose flags, tf.conv2d, tf.conv2dTranspose,
// tf.grad of conv2d — and runs unchanged on every backend.
//
// Each routed kernel runs, in order of preference:
//   1. the native kernel (native-kernels.ts), while the 'native' backend is selected
//      (setNativeKernels); it may decline a case (returns null);
//   2. our wasm replacement (wasm-matmul.ts, wasm-conv-backprop-*.ts), where there is one;
//   3. the stock tfjs-backend-wasm kernel.
// So one process can switch between 'native' and 'wasm' (tests compare the two) with no
// re-registration, and 'wasm' is exactly what it was before the native kernels existed.
//
// Must run after '@tensorflow/tfjs-backend-wasm' is imported (its import registers the stock
// kernels we replace) and may run before or after the backend is initialised.

import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { saveStockKernel, stockKernel } from './kernel-scope.ts';
import { batchMatMulConfig } from './wasm-matmul.ts';
import { conv2DBackpropFilterConfig } from './wasm-conv-backprop-filter.ts';
import { conv2DBackpropInputConfig } from './wasm-conv-backprop-input.ts';
import { NATIVE_KERNELS, type KernelArgs } from './native-kernels.ts';
import type { NativeAddon } from './native-addon.ts';

const BACKEND = 'wasm';

/** Our wasm replacements (also used on their own by tests and the kernel benchmark). */
export const replacementKernels: readonly KernelConfig[] = [
  batchMatMulConfig, conv2DBackpropFilterConfig, conv2DBackpropInputConfig,
];

/** Every kernel name we route. */
const ROUTED = [...new Set([...replacementKernels.map(k => k.kernelName), ...Object.keys(NATIVE_KERNELS)])];

let registered = false;
let native: NativeAddon | null = null;

/** Route the native kernels (addon) or stop routing them (null). */
export function setNativeKernels(addon: NativeAddon | null): void { native = addon; }
export function nativeKernelsActive(): boolean { return native != null; }
/** The addon while the native kernels are routed in (for kernels outside this table). */
export function activeNativeAddon(): NativeAddon | null { return native; }

/** How many calls of each routed kernel ran natively / on wasm (tests check the route taken). */
export const routeCounts: Record<string, { native: number; wasm: number }> = {};

function routed(name: string): KernelConfig {
  const wasmImpl = (replacementKernels.find(k => k.kernelName === name) ?? stockKernel(name, BACKEND)).kernelFunc;
  const nativeImpl = NATIVE_KERNELS[name];
  const counts = routeCounts[name] = { native: 0, wasm: 0 };
  const kernelFunc = (args: KernelArgs) => {
    const out = native && nativeImpl ? nativeImpl(native, args) : null;
    if (out) { counts.native++; return out; }
    counts.wasm++;
    return wasmImpl(args as Parameters<typeof wasmImpl>[0]) as TensorInfo;
  };
  return { kernelName: name, backendName: BACKEND, kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}

export function registerWasmKernels(): void {
  if (registered) return;
  for (const name of ROUTED) {
    const stock = saveStockKernel(name, BACKEND);
    const config = routed(name);
    if (stock) tf.unregisterKernel(name, BACKEND);
    // The engine runs setupFunc when the backend initialises; the stock kernel's setup (its cwrap
    // of the C++ entry point) must still happen since we call the stock kernel for some cases.
    tf.registerKernel({ ...config, setupFunc: stock?.setupFunc });
  }
  registered = true;
}

/** Put the stock kernels back (tests and benchmarks compare against them). */
export function unregisterWasmKernels(): void {
  if (!registered) return;
  for (const name of ROUTED) {
    tf.unregisterKernel(name, BACKEND);
    const stock = saveStockKernel(name, BACKEND);
    if (stock) tf.registerKernel(stock);
  }
  registered = false;
}

export function wasmKernelsRegistered(): boolean { return registered; }
