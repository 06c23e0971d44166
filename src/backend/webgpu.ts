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
// Adapters: every adapter Dawn enumerates for this OS's API, numbered in Dawn's high-performance
// order (discrete GPUs first). Each gets a kind: 'software' (Mesa's llvmpipe, SwiftShader, WARP, or
// one Dawn marks as fallback), 'discrete' or 'integrated' (Dawn ranks them — the high-performance
// and low-power requests differ when both exist — else the vendor and name tell: Intel's iGPUs,
// Apple, ARM, Qualcomm; AMD's APUs; NVIDIA's Tegra), or 'unknown'. WebGPU itself does not say.
// DEEPAGREL_WEBGPU_ADAPTER picks one: an index into that list, or a part of its vendor,
// architecture, device or description; without it the first discrete GPU, else the first
// hardware adapter, else the first. 'auto' (backend.ts) takes a discrete GPU; an integrated,
// unknown or software one only when a short probe measures it faster than the CPU path. Dawn's
// Node bindings select an adapter by its device name, so of two identical GPUs only the first can
// be chosen here (give the process one GPU: the scheduler's GPU binding, cgroup device rules).

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
  /** What kind of adapter, and what that rests on (WebGPU does not say; see adapterKind). */
  kind: AdapterKind;
  kindReason: string;
  /** Its place in Dawn's list (DEEPAGREL_WEBGPU_ADAPTER=<index>) and Dawn's name for it. */
  index: number;
  name: string;
  /** Dawn's backend API under WebGPU on this OS ('vulkan', 'metal', 'd3d12'). */
  api: string;
  /** A few limits that bound the shapes we can run. */
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number; maxComputeWorkgroupStorageSize: number };
}

export type AdapterKind = 'discrete' | 'integrated' | 'software' | 'unknown';

/** How the adapter was picked among the ones found (for `deepagrel backend` and the run header). */
export interface AdapterSelection {
  /** Every adapter Dawn found: index, name, vendor, architecture, kind and what the kind rests on. */
  adapters: { index: number; name: string; vendor: string; architecture: string; description: string; kind: AdapterKind; kindReason: string }[];
  /** The index picked, and why ("DEEPAGREL_WEBGPU_ADAPTER=1", "the first discrete GPU", …). */
  chosen: number;
  how: string;
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

type Described = Omit<AdapterInfo, 'kind' | 'kindReason' | 'index' | 'name'>;

function describe(a: GPUAdapter): Described {
  const i = (a as GPUAdapter & { info?: GPUAdapterInfo }).info ?? ({} as GPUAdapterInfo);
  const info = {
    vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '',
  };
  const fallback = (a as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    (i as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const software = fallback || info.architecture === 'software' || SOFTWARE.test(`${info.device} ${info.description}`);
  return {
    ...info, software, api: apiName(),
    limits: {
      maxBufferSize: a.limits.maxBufferSize, maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: a.limits.maxComputeWorkgroupStorageSize,
    },
  };
}

/** APUs' graphics (AMD), Intel's iGPUs (not its Arc A/B cards), SoC GPUs. */
const AMD_INTEGRATED = /radeon(\(tm\))? graphics|radeon vega \d|vega \d+ graphics|\b[5-8][0-9]0m\b|renoir|cezanne|lucienne|rembrandt|phoenix|hawk point|strix|raphael|van ?gogh|mendocino|barcelo|picasso|raven|gfx90c|gfx1035|gfx1036|gfx1103|gfx1150/i;
const INTEL_DISCRETE = /\barc(\(tm\))? [ab]\d{3}|xe-hpg|dg2|alchemist|battlemage|iris xe max|data center gpu/i;
const NVIDIA_INTEGRATED = /tegra|orin|xavier|jetson/i;
const SOC_VENDORS = /^(apple|arm|qualcomm|imagination|img-tec|broadcom|samsung|mediatek|vivante)/i;

/**
 * The kind of an adapter. `ranked`: what Dawn's own ranking says when it tells (the adapter Dawn
 * picks for 'high-performance' differs from its 'low-power' pick: the first is discrete, the second
 * integrated); else the vendor and name.
 */
export function adapterKind(a: Pick<AdapterInfo, 'vendor' | 'architecture' | 'device' | 'description' | 'software'> & { name?: string },
  ranked?: 'discrete' | 'integrated'): { kind: AdapterKind; reason: string } {
  if (a.software) return { kind: 'software', reason: 'a software rasteriser (runs on the CPU)' };
  if (ranked) return { kind: ranked, reason: `Dawn's ${ranked === 'discrete' ? 'high-performance' : 'low-power'} choice over another GPU` };
  const text = `${a.architecture} ${a.device} ${a.description} ${a.name ?? ''}`;
  const v = a.vendor.toLowerCase();
  if (v === 'nvidia') return NVIDIA_INTEGRATED.test(text) ? { kind: 'integrated', reason: 'NVIDIA Tegra (a system on a chip)' } : { kind: 'discrete', reason: 'NVIDIA (not Tegra)' };
  if (v === 'amd') return AMD_INTEGRATED.test(text) ? { kind: 'integrated', reason: 'AMD APU graphics (by name)' } : { kind: 'discrete', reason: 'AMD Radeon (not an APU by name)' };
  if (v === 'intel') return INTEL_DISCRETE.test(text) ? { kind: 'discrete', reason: 'Intel Arc / data-center GPU (by name)' } : { kind: 'integrated', reason: 'Intel graphics (not Arc A/B-series by name)' };
  if (SOC_VENDORS.test(v)) return { kind: 'integrated', reason: `${a.vendor}: a system-on-chip GPU` };
  return { kind: 'unknown', reason: `vendor '${a.vendor || '?'}' does not tell` };
}

/** One line for logs: "nvidia ampere (NVIDIA GeForce RTX 3090), vulkan" or "mesa software (llvmpipe …), vulkan, software adapter". */
export function adapterLine(a: Pick<AdapterInfo, 'vendor' | 'architecture' | 'device' | 'description' | 'api' | 'software'>): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const what = a.description || a.device;
  return `${name}${what ? ` (${what})` : ''}, ${a.api}${a.software ? ', software adapter (CPU, not a GPU)' : ''}`;
}

/** "#1 intel gen-12lp (…), vulkan, integrated GPU" */
export function adapterSummary(a: AdapterInfo): string {
  return `#${a.index} ${adapterLine({ ...a, software: false })}, ${a.kind === 'unknown' ? 'kind unknown' : a.kind === 'software' ? 'software adapter (CPU, not a GPU)' : `${a.kind} GPU`}`;
}

let found: { adapters: { adapter: GPUAdapter; info: AdapterInfo }[]; chosen: number; how: string } | undefined;
/** Dawn instances whose adapters we keep: an adapter lives only as long as its instance object. */
const instances: GPU[] = [];

/** Dawn's names of the adapters it enumerates, in its order for `powerPreference`: asked for an
 *  adapter no name matches, Dawn's Node bindings reject with the list. Undefined when that fails. */
async function adapterNames(d: Dawn, powerPreference: GPUPowerPreference): Promise<string[] | undefined> {
  try {
    const a = await d.create(['adapter=\u0001deepagrel-lists-adapters']).requestAdapter({ powerPreference });
    return a ? undefined : [];
  } catch (e) {
    const msg = String((e as Error)?.message ?? e);
    if (!/Available adapters:/.test(msg)) return undefined;
    return [...msg.matchAll(/^ \* backend: '[^']*', name: '(.*)'$/gm)].map(m => m[1]);
  }
}

/**
 * Every adapter WebGPU can run on and the one picked (DEEPAGREL_WEBGPU_ADAPTER, else the first
 * discrete GPU, else the first hardware adapter, else the first), or a reason there is none.
 * Cached: Dawn enumerates once.
 */
export async function findAdapters(): Promise<{ adapters: AdapterInfo[]; chosen: AdapterInfo; selection: AdapterSelection } | { reason: string }> {
  if (!found) {
    const d = await loadDawn();
    if (!d) return { reason: dawnError! };
    const adapters: { adapter: GPUAdapter; info: AdapterInfo }[] = [];
    const names = await adapterNames(d, 'high-performance');
    const same = (x: Described, y: Described) => x.vendor === y.vendor && x.architecture === y.architecture && x.device === y.device && x.description === y.description;
    const add = (adapter: GPUAdapter, name: string) => {
      const info = describe(adapter);
      adapters.push({ adapter, info: { ...info, index: adapters.length, name, ...{ kind: 'unknown' as AdapterKind, kindReason: '' } } });
    };
    if (names) {
      for (const name of names) {
        // Dawn picks the first adapter whose name contains the flag's: identical GPUs give the first.
        const g = d.create([`adapter=${name}`]);
        instances.push(g);
        const a = await g.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
        if (a) add(a, name);
      }
    } else {
      // Bindings that do not list their adapters: what the three requests give.
      for (const opts of [{ powerPreference: 'high-performance' as const }, { powerPreference: 'low-power' as const }, { forceFallbackAdapter: true }]) {
        const a = await gpu!.requestAdapter(opts).catch(() => null);
        if (a && !adapters.some(x => same(x.info, describe(a)))) add(a, describe(a).device);
      }
    }
    if (adapters.length === 0) {
      return { reason: `WebGPU found no adapter (Dawn over ${apiName()}: no usable driver; ` +
        `an old Mesa lavapipe is rejected by Dawn, see the warning above): ${WEBGPU_INSTALL_HINT}` };
    }
    // Dawn's ranking: its high-performance pick differs from its low-power pick only when it knows
    // one to be discrete and the other integrated.
    const high = await gpu!.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
    const low = await gpu!.requestAdapter({ powerPreference: 'low-power' }).catch(() => null);
    const hi = high ? adapters.find(x => same(x.info, describe(high))) : undefined;
    const lo = low ? adapters.find(x => same(x.info, describe(low))) : undefined;
    for (const x of adapters) {
      const ranked = hi && lo && hi !== lo && !hi.info.software && !lo.info.software ? (x === hi ? 'discrete' : x === lo ? 'integrated' : undefined) : undefined;
      const k = adapterKind({ ...x.info }, ranked);
      x.info.kind = k.kind;
      x.info.kindReason = k.reason;
    }
    const pick = pickAdapter(adapters.map(x => x.info), process.env.DEEPAGREL_WEBGPU_ADAPTER);
    if ('reason' in pick) return { reason: pick.reason };
    found = { adapters, chosen: pick.index, how: pick.how };
  }
  const infos = found.adapters.map(x => x.info);
  return {
    adapters: infos, chosen: infos[found.chosen],
    selection: {
      adapters: infos.map(a => ({ index: a.index, name: a.name, vendor: a.vendor, architecture: a.architecture, description: a.description, kind: a.kind, kindReason: a.kindReason })),
      chosen: found.chosen, how: found.how,
    },
  };
}

/**
 * Which adapter: `wanted` (DEEPAGREL_WEBGPU_ADAPTER) is an index into the list or a part of an
 * adapter's vendor, architecture, device, description or name; without it the first discrete GPU,
 * else the first hardware adapter, else the first.
 */
export function pickAdapter(adapters: AdapterInfo[], wanted?: string): { index: number; how: string } | { reason: string } {
  const list = () => adapters.map(a => adapterSummary(a)).join('; ');
  const w = wanted?.trim();
  if (w) {
    if (/^\d+$/.test(w)) {
      const i = Number(w);
      if (i >= adapters.length) return { reason: `DEEPAGREL_WEBGPU_ADAPTER=${w}: there ${adapters.length === 1 ? 'is 1 adapter' : `are ${adapters.length} adapters`} (numbered from 0): ${list()}` };
      const twin = adapters.findIndex(a => a.name === adapters[i].name);
      if (twin !== i) {
        return { reason: `DEEPAGREL_WEBGPU_ADAPTER=${w}: adapters #${twin} and #${i} are both '${adapters[i].name}', and Dawn's Node bindings choose by name, ` +
          `so #${i} cannot be told from #${twin} here; give this process that GPU alone (the scheduler's GPU binding, e.g. SLURM --gpus, or cgroup device rules)` };
      }
      return { index: i, how: `DEEPAGREL_WEBGPU_ADAPTER=${w} (index)` };
    }
    const needle = w.toLowerCase();
    const i = adapters.findIndex(a => `${a.vendor} ${a.architecture} ${a.device} ${a.description} ${a.name}`.toLowerCase().includes(needle));
    if (i < 0) return { reason: `DEEPAGREL_WEBGPU_ADAPTER='${w}' matches none of the adapters: ${list()}` };
    return { index: i, how: `DEEPAGREL_WEBGPU_ADAPTER='${w}' (name)` };
  }
  const discrete = adapters.findIndex(a => a.kind === 'discrete');
  if (discrete >= 0) return { index: discrete, how: adapters.length > 1 ? 'the first discrete GPU' : 'the only adapter' };
  const hardware = adapters.findIndex(a => !a.software);
  if (hardware >= 0) return { index: hardware, how: adapters.length > 1 ? `no discrete GPU: the first ${adapters[hardware].kind === 'unknown' ? 'hardware adapter' : `${adapters[hardware].kind} GPU`}` : 'the only adapter' };
  return { index: 0, how: adapters.length > 1 ? 'software adapters only: the first' : 'the only adapter' };
}

/** The adapter WebGPU would run on (findAdapters' pick), or a reason there is none. */
export async function findAdapter(): Promise<{ info: AdapterInfo; selection: AdapterSelection } | { reason: string }> {
  const f = await findAdapters();
  return 'reason' in f ? f : { info: f.chosen, selection: f.selection };
}

let registered = false;
let started: { info: AdapterInfo; device: GPUDevice } | undefined;

/** Start tfjs's 'webgpu' backend on the chosen adapter (once per process; later calls re-select it). */
export async function startWebgpuBackend(): Promise<{ info: AdapterInfo; selection: AdapterSelection; version: string }> {
  const f = await findAdapter();
  if ('reason' in f) throw new Error(f.reason);
  const chosen = found!.adapters[found!.chosen];
  const mod = await import('@tensorflow/tfjs-backend-webgpu');
  registerWebgpuKernels();   // after the package's import registered its kernels
  if (!registered) {
    // Our own factory (the package's asks navigator.gpu for an adapter by itself): same device
    // settings as the package's, on our adapter.
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', async () => {
      const { adapter } = chosen;
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
      started = { info: chosen.info, device };
      return backend;
    }, 3);
    registered = true;
  }
  if (!(await tf.setBackend('webgpu'))) {
    throw new Error(`the webgpu backend failed to initialise on ${adapterLine(chosen.info)} (see the warning above)`);
  }
  return { info: chosen.info, selection: f.selection, version: packageJsonVersion('@tensorflow/tfjs-backend-webgpu') };
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
