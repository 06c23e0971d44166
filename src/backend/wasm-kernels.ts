// Registers our replacement kernels for the 'wasm' backend (only there: tfjs-node and cpu keep
// theirs), so model code calls plain tf ops — tf.matMul with transpose flags, tf.conv2dTranspose,
// tf.grad of conv2d — and runs unchanged on every backend.
//
// Must run after '@tensorflow/tfjs-backend-wasm' is imported (its import registers the stock
// kernels we replace) and may run before or after the backend is initialised.

import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { saveStockKernel } from './kernel-scope.ts';
import { batchMatMulConfig } from './wasm-matmul.ts';
import { conv2DBackpropFilterConfig } from './wasm-conv-backprop-filter.ts';
import { conv2DBackpropInputConfig } from './wasm-conv-backprop-input.ts';

export const replacementKernels: readonly KernelConfig[] = [
  batchMatMulConfig, conv2DBackpropFilterConfig, conv2DBackpropInputConfig,
];

let registered = false;

export function registerWasmKernels(): void {
  if (registered) return;
  for (const config of replacementKernels) {
    const stock = saveStockKernel(config.kernelName, config.backendName);
    if (stock) tf.unregisterKernel(config.kernelName, config.backendName);
    // The engine runs setupFunc when the backend initialises; the stock kernel's setup (its cwrap
    // of the C++ entry point) must still happen since we call the stock kernel for some cases.
    tf.registerKernel({ ...config, setupFunc: stock?.setupFunc });
  }
  registered = true;
}

/** Put the stock kernels back (tests and benchmarks compare against them). */
export function unregisterWasmKernels(): void {
  if (!registered) return;
  for (const config of replacementKernels) {
    tf.unregisterKernel(config.kernelName, config.backendName);
    const stock = saveStockKernel(config.kernelName, config.backendName);
    if (stock) tf.registerKernel(stock);
  }
  registered = false;
}

export function wasmKernelsRegistered(): boolean { return registered; }
