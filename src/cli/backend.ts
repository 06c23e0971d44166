// `deepagrel backend`: which backend and kernels run, the native library and its version, the
// threads; and when the native kernels are off, one line saying why and how to get them.

import { initBackend, type BackendInfo } from '../backend.ts';
import { nativeFixHint, nativeUnavailableReason } from '../backend/native-addon.ts';

export const BACKEND_HELP = `deepagrel backend [--backend b] [--threads N] [--json]

Starts the backend the other commands would use (auto: tensorflow → webgpu on a GPU → native → wasm, or
--backend / DEEPAGREL_BACKEND) and prints what runs the kernels: backend, kernels, native library
and version, instruction set, threads, and why a faster backend was skipped.`;

export function describeBackend(info: BackendInfo): string[] {
  const lines = [
    `backend  ${info.name}${info.package ? ` (${info.package})` : ''}`,
    `kernels  ${info.kernels}`,
    `threads  ${info.threads}`,
    `versions ${Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  if (info.library) lines.push(`library  ${info.library.library} ${info.library.version}, ${info.library.isa}, ${info.library.runtime} (${info.library.maxThreads} cores)`);
  for (const s of info.skipped ?? []) lines.push(`skipped  ${s.backend}: ${s.reason}`);
  // WebGPU's adapters (DEEPAGREL_WEBGPU_ADAPTER takes the number or a part of the name) and the decision.
  if (info.webgpu) {
    for (const a of info.webgpu.adapters) {
      lines.push(`adapter  #${a.index} ${[a.vendor, a.architecture].filter(Boolean).join(' ')} (${a.name}): ${a.kind} (${a.kindReason})${a.index === info.webgpu.chosen ? ` ← picked: ${info.webgpu.how}` : ''}`);
    }
    lines.push(`webgpu   ${info.webgpu.decision}`);
  }
  if (info.name !== 'native' && !(info.skipped ?? []).some(s => s.backend === 'native')) {
    const why = nativeUnavailableReason();
    lines.push(why ? `native   off: ${why}; to get it: ${nativeFixHint()}` : 'native   available (DEEPAGREL_BACKEND=native or --backend native selects it)');
  }
  return lines;
}

/** The one line a training command prints when auto-selection skipped the native kernels. */
export function skippedNativeLine(info: BackendInfo): string | undefined {
  const s = info.skipped?.find(x => x.backend === 'native');
  return s && info.name !== 'native' ? `deepagrel: native kernels off (${s.reason}); running on ${info.name}` : undefined;
}

export async function backendCommand(values: Record<string, any>, threads: number | undefined): Promise<number> {
  const info = await initBackend({ backend: values.backend, threads });
  if (values.json) console.log(JSON.stringify({ ...info, nativeUnavailable: nativeUnavailableReason() ?? null }, null, 1));
  else console.log(describeBackend(info).join('\n'));
  return 0;
}
