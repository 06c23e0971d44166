/// <reference types="@webgpu/types" />
// The 'webgpu' backend: @tensorflow/tfjs-backend-webgpu on Dawn's Node bindings (npm `webgpu`),
// which drive Vulkan (Linux: NVIDIA, AMD, Intel; Mesa's software "lavapipe" where there is no
// GPU), Metal (macOS) and D3D12 (Windows). Layers and rules do not change: this only starts the
// tfjs backend on an adapter we choose and reports that adapter.
//
// Reads: the engine reads the Q-values once per batch with `await q.data()` (src/step.ts), the
// weights and validation Q-values per epoch likewise. Dawn maps a buffer for reading only when the
// event loop runs its tick, so a read is asynchronous by nature; the event loop stays free while
// the GPU works (Ctrl-C, Jupyter's interrupt, live curves). There is no synchronous read under
// Node (tfjs-webgpu's readSync needs an OffscreenCanvas): dataSync() on a tensor that is still on
// the GPU is one error saying to await data() instead.
//
// Adapter choice: Dawn's 'high-performance' adapter, or the one named by DEEPAGREL_WEBGPU_ADAPTER
// (a substring of vendor/architecture/device/description). A software adapter (Mesa's llvmpipe,
// SwiftShader, Microsoft Basic Render Driver, or one Dawn marks as fallback) is reported as such;
// 'auto' takes WebGPU only on hardware (backend.ts).

import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import { registerWebgpuKernels, watchForSplitK } from './webgpu-kernels.ts';

const require = createRequire(import.meta.url);

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Software rasteriser / CPU adapter (lavapipe, SwiftShader, WARP) rather than a GPU. */
  software: boolean;
  /** Dawn's backend API under WebGPU on this OS ('vulkan', 'metal', 'd3d12'). */
  api: string;
  /** A few limits that bound the shapes we can run. */
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number; maxComputeWorkgroupStorageSize: number };
}

/** What to install when there is no adapter, for the error message and `deepagrel backend`. */
export const WEBGPU_INSTALL_HINT =
  'install a GPU driver with Vulkan support (NVIDIA: the proprietary driver, which ships its Vulkan ICD; ' +
  'AMD/Intel: Debian/Ubuntu package mesa-vulkan-drivers) and the Vulkan loader (libvulkan1); macOS uses Metal, ' +
  'Windows D3D12. Software Vulkan for testing without a GPU: a recent Mesa\'s lavapipe (Mesa 25 works; Debian 12\'s 22.3 is ' +
  'rejected by Dawn), or `npm run lavapipe` here (Debian 12: fetches Mesa 25 from bookworm-backports into .cache/, then set VK_DRIVER_FILES as it says)';

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|basic render|warp|software/i;

interface Dawn { create(flags: string[]): GPU; globals: Record<string, unknown> }
let dawn: Dawn | undefined;
let dawnError: string | undefined;
let gpu: GPU | undefined;

function apiName(): string {
  return process.platform === 'darwin' ? 'metal' : process.platform === 'win32' ? 'd3d12' : 'vulkan';
}

/** Load Dawn's bindings once; undefined (and dawnLoadError() says why) when they cannot load. */
async function loadDawn(): Promise<Dawn | undefined> {
  if (dawn || dawnError) return dawn;
  try {
    const mod = await import('webgpu') as unknown as Partial<Dawn> & { default?: Dawn };
    dawn = typeof mod.create === 'function' ? mod as Dawn : mod.default;
    if (!dawn?.create) throw new Error('the webgpu package has no create()');
  } catch (e) {
    const err = e as { code?: string; message?: string };
    const msg = String(err.message ?? e).split('\n')[0];
    dawnError = err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND'
      ? 'the npm package webgpu (Dawn) is not installed: npm install'
      : /libvulkan/.test(msg) ? `Dawn needs the Vulkan loader library, missing here (${msg}): install libvulkan1`
      : `Dawn (npm package webgpu) failed to load: ${msg}`;
    return undefined;
  }
  // tfjs-backend-webgpu reads GPUBufferUsage etc. as globals and navigator.gpu; set what is missing.
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  // Mesa's window-system code prints "XDG_RUNTIME_DIR is invalid" without one; we draw nothing.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = os.tmpdir();
  gpu = dawn.create([]);
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav) {
    if (!nav.gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js ${process.version}` }, configurable: true, writable: true });
  }
  return dawn;
}

/**
 * On Linux a GPU shows up as a device node; without one Dawn can only find software Vulkan, and
 * loading Dawn just to learn that prints its own warnings. 'auto' checks this first.
 */
export function gpuDeviceNodes(): string[] {
  if (process.platform !== 'linux') return ['(not Linux: ask the adapter)'];
  const found: string[] = [];
  try { for (const f of fs.readdirSync('/dev/dri')) if (f.startsWith('renderD')) found.push(`/dev/dri/${f}`); } catch { /* none */ }
  for (const f of ['/dev/nvidia0', '/dev/dxg']) if (fs.existsSync(f)) found.push(f);
  return found;
}

function describe(a: GPUAdapter): AdapterInfo {
  const i = (a as GPUAdapter & { info?: GPUAdapterInfo }).info ?? ({} as GPUAdapterInfo);
  const info = {
    vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '',
  };
  const fallback = (a as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const software = fallback || info.architecture === 'software' || SOFTWARE.test(`${info.device} ${info.description}`);
  return {
    ...info, software, api: apiName(),
    limits: {
      maxBufferSize: a.limits.maxBufferSize, maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: a.limits.maxComputeWorkgroupStorageSize,
    },
  };
}

/** One line for logs: "nvidia ampere (NVIDIA GeForce RTX 3090), vulkan" or "mesa software (llvmpipe …), vulkan, software adapter". */
export function adapterLine(a: AdapterInfo): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const what = a.description || a.device;
  return `${name}${what ? ` (${what})` : ''}, ${a.api}${a.software ? ', software adapter (CPU, not a GPU)' : ''}`;
}

let chosen: { adapter: GPUAdapter; info: AdapterInfo } | undefined;

/**
 * The adapter WebGPU would run on, or a reason there is none. Cached: Dawn enumerates once.
 */
export async function findAdapter(): Promise<{ info: AdapterInfo } | { reason: string }> {
  if (chosen) return { info: chosen.info };
  const d = await loadDawn();
  if (!d) return { reason: dawnError! };
  const wanted = process.env.DEEPAGREL_WEBGPU_ADAPTER?.trim().toLowerCase();
  const candidates: GPUAdapter[] = [];
  for (const opts of [{ powerPreference: 'high-performance' as const }, { powerPreference: 'low-power' as const }, { forceFallbackAdapter: true }]) {
    const a = await gpu!.requestAdapter(opts).catch(() => null);
    if (a) candidates.push(a);
  }
  if (candidates.length === 0) {
    return { reason: `WebGPU found no adapter (Dawn over ${apiName()}: no usable driver; ` +
      `an old Mesa lavapipe is rejected by Dawn, see the warning above): ${WEBGPU_INSTALL_HINT}` };
  }
  const described = candidates.map(a => ({ adapter: a, info: describe(a) }));
  let pick = described.find(c => !c.info.software) ?? described[0];
  if (wanted) {
    const match = described.find(c => `${c.info.vendor} ${c.info.architecture} ${c.info.device} ${c.info.description}`.toLowerCase().includes(wanted));
    if (!match) {
      return { reason: `DEEPAGREL_WEBGPU_ADAPTER='${wanted}' matches none of the adapters: ${described.map(c => adapterLine(c.info)).join('; ')}` };
    }
    pick = match;
  }
  chosen = pick;
  return { info: pick.info };
}

let registered = false;
let started: { info: AdapterInfo; device: GPUDevice } | undefined;

/** Start tfjs's 'webgpu' backend on the chosen adapter (once per process; later calls re-select it). */
export async function startWebgpuBackend(): Promise<{ info: AdapterInfo; version: string }> {
  const found = await findAdapter();
  if ('reason' in found) throw new Error(found.reason);
  const mod = await import('@tensorflow/tfjs-backend-webgpu');
  registerWebgpuKernels();   // after the package's import registered its kernels
  if (!registered) {
    // Our own factory (the package's asks navigator.gpu for an adapter by itself): same device
    // settings as the package's, on our adapter.
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', async () => {
      const { adapter } = chosen!;
      const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
      const l = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
      });
      const backend = new mod.WebGPUBackend(device, (adapter as GPUAdapter & { info: GPUAdapterInfo }).info);
      installReads(backend as unknown as WebGPUInternals);
      watchForSplitK(backend);
      started = { info: chosen!.info, device };
      return backend;
    }, 3);
    registered = true;
  }
  if (!(await tf.setBackend('webgpu'))) {
    throw new Error(`the webgpu backend failed to initialise on ${adapterLine(chosen!.info)} (see the warning above)`);
  }
  return { info: chosen!.info, version: packageJsonVersion('@tensorflow/tfjs-backend-webgpu') };
}

/** The GPU memory tfjs-webgpu holds (bytes in its buffers), for the flat-memory tests. */
export function webgpuMemory(): { numBytesInGPU: number; numBytesInGPUAllocated?: number } {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesInGPUAllocated?: number };
  return { numBytesInGPU: m.numBytesInGPU ?? 0, numBytesInGPUAllocated: m.numBytesInGPUAllocated };
}

// --- reads ----------------------------------------------------------------------------------

/** The WebGPUBackend members used here (public in the package, not in its typings). */
interface WebGPUInternals {
  tensorMap: { get(id: object): { values?: tf.backend_util.BackendValues | null; dtype: string; resource?: GPUBuffer | null } | undefined };
  readSync(id: object): tf.backend_util.BackendValues;
  read(id: object): Promise<tf.backend_util.BackendValues>;
}

/** Reads from the GPU (tests check that a training step makes exactly one). */
export const gpuReads = { count: 0, bytes: 0 };

/** Count the reads that copy from the GPU; make a synchronous one a clear error. */
function installReads(backend: WebGPUInternals): void {
  const stockRead = backend.read.bind(backend), stockReadSync = backend.readSync.bind(backend);
  const onGpu = (dataId: object) => {
    const t = backend.tensorMap.get(dataId);
    return t && t.values == null && t.dtype !== 'string' && t.resource ? t : undefined;
  };
  backend.read = function read(dataId: object): Promise<tf.backend_util.BackendValues> {
    const t = onGpu(dataId);
    if (t) { gpuReads.count++; gpuReads.bytes += t.resource!.size; }
    return stockRead(dataId);
  };
  backend.readSync = function readSync(dataId: object): tf.backend_util.BackendValues {
    const t = onGpu(dataId);
    if (t) {
      throw new Error('webgpu: a synchronous read (dataSync, arraySync, bufferSync) of a tensor on the GPU: ' +
        'Node has no blocking GPU read; use `await tensor.data()` (or array()) instead');
    }
    return stockReadSync(dataId);
  };
}

function packageJsonVersion(pkg: string): string {
  // The GPU bundle (scripts/gpu-bundle.ts) has no node_modules; it records the versions it packed.
  const bundled = (globalThis as { __DEEPAGREL_PACKAGE_VERSIONS?: Record<string, string> }).__DEEPAGREL_PACKAGE_VERSIONS;
  if (bundled?.[pkg]) return bundled[pkg];
  try { return (require(`${pkg}/package.json`) as { version: string }).version; } catch { return 'unknown'; }
}

export function webgpuPackageVersion(): string { return packageJsonVersion('webgpu'); }
