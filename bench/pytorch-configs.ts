// The PyTorch side of the engine comparison (issue 28): which interpreters, and every configuration
// a user of this machine could pick, so that "PyTorch's best" is PyTorch at its best.
//
// Interpreters: /usr/bin/python3 (Debian's python3-torch), the torch wheel's virtual environment at
// .cache/torch-venv (when present), and any given with --python; each that imports torch runs.
// Configurations per interpreter: threads (1 … cores) × OpenBLAS overrides (on = as the environment
// has OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, off = both removed; only where the environment sets one
// and that torch's BLAS is OpenBLAS, else there is nothing to switch) × libgomp spin (libgomp's
// default, and GOMP_SPINCOUNT=30000 as our addon uses; only above 1 thread, where OpenMP has
// threads that spin). Either spin can be PyTorch's best: on 2026-12-07 the short one made Debian's
// torch 1.13 2-thread MNIST conv step 1.3× faster (1.75× under heavy load), while the torch 2.13
// wheel's default spin was faster on the conv nets (BENCHMARKS.md).
// "t threads" pins every pool PyTorch has to t: torch.set_num_threads(t) plus OMP_NUM_THREADS,
// MKL_NUM_THREADS and OPENBLAS_NUM_THREADS; otherwise Debian's torch at set_num_threads(1) keeps an
// OpenBLAS pthread per core and its "1-thread" step uses both cores.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const VENV_PYTHON = '.cache/torch-venv/bin/python';
const PYTORCH_STEP = fileURLToPath(new URL('./pytorch_step.py', import.meta.url));
export const OPENBLAS_OVERRIDES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;
export const SHORT_SPIN = '30000';

/** A Python that imports torch, as its probe said. */
export interface Interpreter { python: string; torch: string; blas: string; pythonVersion: string }

/** One PyTorch configuration: one long-lived child process of the comparison. */
export interface PytorchConfig {
  key: string;
  python: string; torch: string; blas: string;
  threads: number;
  /** 'on': OPENBLAS_* as the environment has them; 'off': removed; null: nothing to switch. */
  overrides: 'on' | 'off' | null;
  spin: 'default' | 'short';
  /** Environment changes for the child: a string sets, null removes. */
  env: Record<string, string | null>;
  label: string;
}

/**
 * The interpreters to try, in order, without duplicates: the defaults that exist here
 * (/usr/bin/python3, else `python3`; the torch venv under `root`), then the explicit ones
 * (--python, repeatable or a comma list; kept even when missing, so the report says why).
 */
export function candidatePythons(explicit: string[], root = ROOT, exists: (p: string) => boolean = fs.existsSync): string[] {
  const venv = path.join(root, VENV_PYTHON);
  const auto = [exists('/usr/bin/python3') ? '/usr/bin/python3' : 'python3', ...(exists(venv) ? [venv] : [])];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const p of [...auto, ...explicit.flatMap(s => s.split(',')).map(s => s.trim()).filter(Boolean)]) {
    const id = p.includes('/') ? path.resolve(p) : p;      // not realpath: a venv's python links to the system one
    if (!seen.has(id)) { seen.add(id); out.push(p); }
  }
  return out;
}

/** Imports torch with `python`: its version and BLAS, or the reason it cannot. */
export function probePython(python: string): Interpreter | { python: string; error: string } {
  const r = spawnSync(python, [PYTORCH_STEP, '--probe'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { python, error: `${python}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}` };
  if (r.status !== 0) return { python, error: `${python} cannot import torch (${(r.stderr || '').trim().split('\n').pop()})` };
  try {
    const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as { torch: string; blas: string; python: string };
    return { python, torch: o.torch, blas: o.blas, pythonVersion: o.python };
  } catch { return { python, error: `${python}: unreadable probe output '${r.stdout.trim().slice(0, 200)}'` }; }
}

/** Every configuration of every interpreter (see the file comment). */
export function pytorchConfigs(interpreters: Interpreter[], threads: number[], env: NodeJS.ProcessEnv, opts: { spin?: boolean } = {}): PytorchConfig[] {
  const envHasOverrides = OPENBLAS_OVERRIDES.some(k => env[k] != null);
  const out: PytorchConfig[] = [];
  interpreters.forEach((ip, i) => {
    const openblas = /openblas/i.test(ip.blas);
    for (const t of [...new Set(threads)].sort((a, b) => a - b)) {
      for (const overrides of (envHasOverrides && openblas ? ['on', 'off'] as const : [null])) {
        for (const spin of (t > 1 && opts.spin !== false ? ['default', 'short'] as const : ['default'] as const)) {
          const e: Record<string, string | null> = { OMP_NUM_THREADS: String(t), MKL_NUM_THREADS: String(t), OPENBLAS_NUM_THREADS: String(t) };
          if (overrides === 'off') for (const k of OPENBLAS_OVERRIDES) e[k] = null;
          if (spin === 'short') e.GOMP_SPINCOUNT = SHORT_SPIN;
          const key = `torch${ip.torch.replace(/\+.*/, '')}${interpreters.filter(x => x.torch === ip.torch).length > 1 ? `#${i + 1}` : ''}-${t}t${spin === 'short' ? '-spin30k' : ''}${overrides === 'off' ? '-noblasenv' : ''}`;
          const label = `torch ${ip.torch} (${ip.blas}), ${t} thread${t > 1 ? 's' : ''}${spin === 'short' ? ', spin 30k' : ''}${overrides ? `, OpenBLAS overrides ${overrides}` : ''}`;
          out.push({ key, python: ip.python, torch: ip.torch, blas: ip.blas, threads: t, overrides, spin, env: e, label });
        }
      }
    }
  });
  return out;
}

/** The child's environment: the parent's with `changes` applied. */
export function applyEnv(base: NodeJS.ProcessEnv, changes: Record<string, string | null>): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const [k, v] of Object.entries(changes)) { if (v == null) delete env[k]; else env[k] = v; }
  return env;
}
