// Which backends the engine tests run on: cpu always; wasm when the backend module provides it.
import * as tf from '@tensorflow/tfjs';

export const BACKENDS_UNDER_TEST: string[] = (process.env.DEEPAGREL_TEST_BACKENDS ?? 'cpu,wasm').split(',');

export async function useBackend(name: string): Promise<void> {
  try {
    const { initBackend } = await import('../../src/backend.ts');
    await initBackend({ backend: name as any });
  } catch (e: any) {
    if (name !== 'cpu' || !String(e?.message).includes('Cannot find module')) throw e;
    await tf.setBackend('cpu');
  }
  await tf.ready();
}
