// Which backends the engine tests run on (default: cpu and wasm; env DEEPAGREL_TEST_BACKENDS).
import { initBackend } from '../../src/backend.ts';

export const BACKENDS_UNDER_TEST: string[] = (process.env.DEEPAGREL_TEST_BACKENDS ?? 'cpu,wasm').split(',');

export async function useBackend(name: string): Promise<void> {
  await initBackend({ backend: name as 'cpu' | 'wasm' | 'tensorflow' });
}
