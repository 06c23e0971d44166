// Which backends the engine tests run on: cpu, wasm, native where the addon is built, and webgpu
// where a WebGPU adapter exists (software Vulkan counts: lavapipe is what CI has). Env
// DEEPAGREL_TEST_BACKENDS overrides. DEEPAGREL_REQUIRE_NATIVE=1 / DEEPAGREL_REQUIRE_WEBGPU=1 (CI,
// which installs oneDNN and lavapipe) make a missing backend an error instead of a shorter list.
// Without VK_DRIVER_FILES, the lavapipe that `npm run lavapipe` unpacked into .cache/ is used.
import fs from 'node:fs';
import path from 'node:path';
import { initBackend, type BackendName } from '../../src/backend.ts';
import { nativeSkip } from '../helpers.ts';
import { findAdapter, adapterLine } from '../../src/backend/webgpu.ts';

const localLavapipe = path.resolve(import.meta.dirname, '../../.cache/lavapipe/lvp_icd.json');
if (!process.env.VK_DRIVER_FILES && !process.env.VK_ICD_FILENAMES && fs.existsSync(localLavapipe)) {
  process.env.VK_DRIVER_FILES = localLavapipe;
}

/** Why webgpu is not under test ('' when it is), and the adapter line when it is. */
export const WEBGPU: { reason: string; adapter?: string } = await (async () => {
  if (process.env.DEEPAGREL_TEST_BACKENDS && !process.env.DEEPAGREL_TEST_BACKENDS.split(',').includes('webgpu')) {
    return { reason: 'not in DEEPAGREL_TEST_BACKENDS' };
  }
  const found = await findAdapter();
  if ('reason' in found) {
    if (process.env.DEEPAGREL_REQUIRE_WEBGPU === '1') throw new Error(`DEEPAGREL_REQUIRE_WEBGPU=1 but ${found.reason}`);
    return { reason: found.reason };
  }
  return { reason: '', adapter: adapterLine(found.info) };
})();

function defaultBackends(): string[] {
  return [...(nativeSkip() ? ['cpu', 'wasm'] : ['cpu', 'wasm', 'native']), ...(WEBGPU.reason ? [] : ['webgpu'])];
}

export const BACKENDS_UNDER_TEST: string[] = process.env.DEEPAGREL_TEST_BACKENDS?.split(',') ?? defaultBackends();

export async function useBackend(name: string): Promise<void> {
  await initBackend({ backend: name as BackendName });
}
