// Dropout masks made on the GPU (issue 14: no per-batch host work that scales with layer size):
// the 'webgpu' backend's DeepagrelBernoulliMask kernel (src/ops.ts; registered with the other
// replacement kernels, backend/webgpu-kernels.ts). The mask is a pure function of its key
// (Rng.maskKey: two draws from the network's seeded dropout stream) and the element index — the
// same counter-based formula as Rng.bernoulliMask (src/rng.ts) and native/src/dropout-mask.cc — so
// the GPU makes the very masks the CPU backends make, and only two 32-bit keys cross the bus per
// dropout layer and batch instead of the whole mask.

import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { BERNOULLI_MASK, type BernoulliMaskAttrs } from '../ops.ts';

/** A tfjs-backend-webgpu program (the shape its runWebGPUProgram expects; see its FillProgram). */
const program = (n: number) => ({
  variableNames: [] as string[],
  outputShape: [n],
  shaderKey: 'deepagrelBernoulliMask',
  dispatchLayout: { x: [0] },
  dispatch: [Math.ceil(n / 64), 1, 1] as [number, number, number],   // the backend folds a long x into y, z
  workgroupSize: [64, 1, 1] as [number, number, number],
  size: true,
  uniforms: 'key0 : u32, key1 : u32, threshold : u32, scale : f32,',
  getUserCode: () => `
    fn triple32(v : u32) -> u32 {
      var x = v;
      x = x ^ (x >> 17u); x = x * 0xed5ad4bbu;
      x = x ^ (x >> 11u); x = x * 0xac4c1b51u;
      x = x ^ (x >> 15u); x = x * 0x31848babu;
      x = x ^ (x >> 14u);
      return x;
    }
    fn main(index : i32) {
      if (index < uniforms.size) {
        let t = triple32(triple32(u32(index / 2) + uniforms.key0) ^ uniforms.key1);
        let coin = select(t & 0xffffu, t >> 16u, (index & 1) == 1);
        setOutputAtIndex(index, select(0.0, uniforms.scale, coin < uniforms.threshold));
      }
    }`,
});

interface WebGPUBackendLike { runWebGPUProgram(p: unknown, inputs: TensorInfo[], dtype: 'float32', uniforms: { type: string; data: number[] }[]): TensorInfo }

/** The mask for `shape` with key (key0, key1): `scale` where the coin is below `threshold`, else 0. */
function bernoulliMask({ backend, attrs }: { backend: unknown; attrs: BernoulliMaskAttrs }): TensorInfo {
  const { shape, key0, key1, threshold, scale } = attrs;
  const n = shape.reduce((a, b) => a * b, 1);
  const info = (backend as WebGPUBackendLike).runWebGPUProgram(program(n), [], 'float32',
    [{ type: 'uint32', data: [key0] }, { type: 'uint32', data: [key1] }, { type: 'uint32', data: [threshold] }, { type: 'float32', data: [scale] }]);
  // The flat output in the asked-for shape: the same buffer (as tfjs's Reshape does), one reference.
  return { dataId: info.dataId, shape: [...shape], dtype: 'float32' };
}

export const bernoulliMaskConfig: KernelConfig = { kernelName: BERNOULLI_MASK, backendName: 'webgpu', kernelFunc: bernoulliMask as unknown as KernelFunc };
