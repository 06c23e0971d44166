// Which backends the engine tests run on: cpu, wasm, and native where the addon is built (env
// DEEPAGREL_TEST_BACKENDS overrides). With DEEPAGREL_REQUIRE_NATIVE=1 (CI, which installs oneDNN)
// a missing native addon is an error instead of a quietly shorter list.
import { initBackend, type BackendName } from '../../src/backend.ts';
import { nativeUnavailableReason } from '../../src/backend/native-addon.ts';

function defaultBackends(): string[] {
  const why = nativeUnavailableReason();
  if (why && process.env.DEEPAGREL_REQUIRE_NATIVE === '1') throw new Error(`DEEPAGREL_REQUIRE_NATIVE=1 but ${why}`);
  return why ? ['cpu', 'wasm'] : ['cpu', 'wasm', 'native'];
}

export const BACKENDS_UNDER_TEST: string[] = process.env.DEEPAGREL_TEST_BACKENDS?.split(',') ?? defaultBackends();

export async function useBackend(name: string): Promise<void> {
  await initBackend({ backend: name as BackendName });
}
