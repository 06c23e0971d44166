// Composing a kernel out of other kernels of the same backend.
//
// A kernelFunc must not call tf ops (they would go through the engine, land on the gradient tape
// and be tracked as tensors). Instead it calls other kernels' kernelFuncs directly, the way
// tfjs-backend-wasm's own kernels do (e.g. BatchMatMul calls reshape), and frees every
// intermediate with backend.disposeData. KernelScope does that bookkeeping: `run` records each
// intermediate, `withScope` frees all of them except the one returned.

import * as tf from '@tensorflow/tfjs';
import type { KernelBackend, KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

/** The wasm kernels as registered by @tensorflow/tfjs-backend-wasm, saved before we replace any. */
const stockKernels = new Map<string, KernelConfig>();

/** The BackendWasm methods we use beyond KernelBackend (public in the package): heap memory, and
 *  the reference counts of tensor buffers. */
export interface WasmHeap {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  refCount(dataId: object): number;
  incRef(dataId: object): void;
}

/** Remember the stock kernel for `name` (call before unregistering it). */
export function saveStockKernel(name: string, backendName: string): KernelConfig | undefined {
  const key = `${backendName}:${name}`;
  if (!stockKernels.has(key)) {
    const config = tf.getKernel(name, backendName);
    if (config != null) stockKernels.set(key, config);
  }
  return stockKernels.get(key);
}

/** The stock kernel (saved or still registered); throws if the backend has none. */
export function stockKernel(name: string, backendName: string): KernelConfig {
  const config = stockKernels.get(`${backendName}:${name}`) ?? tf.getKernel(name, backendName);
  if (config == null) throw new Error(`no stock kernel '${name}' for backend '${backendName}'`);
  return config;
}

export class KernelScope {
  private readonly temps: TensorInfo[] = [];

  constructor(readonly backend: KernelBackend, readonly backendName: string) {}

  /** Run the stock kernel `name`; the result is freed when the scope ends unless returned. */
  run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const out = stockKernel(name, this.backendName).kernelFunc({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) throw new Error(`KernelScope.run: '${name}' returned several outputs`);
    return this.track(out);
  }

  /** Adopt a TensorInfo made elsewhere (e.g. by a helper) so the scope frees it. */
  track(info: TensorInfo): TensorInfo {
    this.temps.push(info);
    return info;
  }

  /**
   * x[begin : begin+size] as a new tensor. The stock wasm Slice first copies the *whole* input
   * out of the wasm heap (readSync), so slicing one batch of a large tensor costs the entire
   * tensor plus garbage; this copies only the selected runs, heap to heap.
   */
  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    const heap = this.backend as unknown as WasmHeap;
    const out = this.track(heap.makeOutput(size, x.dtype));
    // Views after makeOutput: its malloc may grow the heap, which detaches older views.
    const src = heap.typedArrayFromHeap(x), dst = heap.typedArrayFromHeap(out);
    const rank = x.shape.length;
    const strides = x.shape.map((_, d) => x.shape.slice(d + 1).reduce((p, n) => p * n, 1));
    // Innermost run that is contiguous in both source and destination.
    let inner = rank - 1;
    while (inner > 0 && size[inner] === x.shape[inner]) inner--;
    const run = size.slice(inner).reduce((p, n) => p * n, 1);
    const outer = size.slice(0, inner);
    const count = outer.reduce((p, n) => p * n, 1);
    const idx = new Array<number>(inner).fill(0);
    for (let n = 0, o = 0; n < count; n++, o += run) {
      let from = begin[inner] * strides[inner];
      for (let d = 0; d < inner; d++) from += (begin[d] + idx[d]) * strides[d];
      dst.set(src.subarray(from, from + run), o);
      for (let d = inner - 1; d >= 0 && ++idx[d] === outer[d]; d--) idx[d] = 0;   // odometer
    }
    return out;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Free every intermediate except `keep`. */
  end(keep?: TensorInfo): void {
    for (const t of this.temps) if (t !== keep) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** Run `body` with a fresh scope; everything it ran is freed except the TensorInfo it returns. */
export function withScope(
  backend: KernelBackend, backendName: string, body: (s: KernelScope) => TensorInfo,
): TensorInfo {
  const scope = new KernelScope(backend, backendName);
  let out: TensorInfo | undefined;
  try {
    out = body(scope);
    return out;
  } finally {
    scope.end(out);
  }
}

/** Attributes the two conv-gradient kernels share (tfjs passes them as the forward conv's). */
export interface ConvGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}
