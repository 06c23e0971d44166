// npm run test:notebooks [names...] [-- --dir notebooks --kernel NAME --timeout 900 --out DIR]
// Executes notebooks headless with QUICK=1 through the project kernel (nbclient, see
// scripts/run_notebook.py), one after another. The kernel is THIS checkout's: a temporary
// kernelspec named "deepagrel" is put first on JUPYTER_PATH for the run, so a kernel registered
// from another checkout can never run instead (issue 12). --kernel NAME uses a registered kernel. Executed copies go to a temp dir (or --out), never
// over the committed notebooks. Prints per-notebook time; exits 1 if any notebook fails.
// names: file names with or without .ipynb, or prefixes ("03" runs 03-*.ipynb).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { INSTALL_HINT, findJupyterPython } from './jupyter.ts';
import { DEFAULT_KERNEL_NAME, kernelSpec } from './kernel.ts';
import { delimiter } from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const HELPER = join(projectRoot, 'scripts', 'run_notebook.py');

function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: 'string' }, kernel: { type: 'string' }, timeout: { type: 'string' },
        out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log('npm run test:notebooks [names...] [-- --dir notebooks] [--kernel deepagrel] [--timeout SECONDS_PER_CELL] [--out DIR]');
    return 0;
  }
  const dir = resolve(values.dir ?? join(projectRoot, 'notebooks'));
  const kernel = values.kernel ?? DEFAULT_KERNEL_NAME;
  const ownKernel = values.kernel === undefined;
  const timeout = values.timeout ?? '900';
  if (!/^[1-9]\d*$/.test(timeout)) { console.error(`--timeout expects whole seconds, got "${timeout}"`); return 2; }

  const all = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort() : [];
  const chosen = positionals.length === 0 ? all : all.filter((f) => positionals.some((n) => f === n || f === `${n}.ipynb` || f.startsWith(n)));
  const unmatched = positionals.filter((n) => !all.some((f) => f === n || f === `${n}.ipynb` || f.startsWith(n)));
  if (unmatched.length > 0) { console.error(`No notebook in ${dir} matches: ${unmatched.join(', ')}`); return 2; }
  if (chosen.length === 0) { console.log(`No notebooks in ${dir}.`); return 0; }

  const { found: python, tried } = findJupyterPython(['jupyter_client', 'nbclient', 'nbformat']);
  if (!python) {
    console.error(`No Jupyter with nbclient found (tried: ${tried.join(', ')}).\n${INSTALL_HINT}`);
    return 1;
  }
  const outDir = values.out ? resolve(values.out) : mkdtempSync(join(tmpdir(), 'deepagrel-notebooks-'));
  mkdirSync(outDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, QUICK: '1', PYDEVD_DISABLE_FILE_VALIDATION: '1' };
  let jupyterPath: string | undefined;
  if (ownKernel) {
    jupyterPath = mkdtempSync(join(tmpdir(), 'deepagrel-kernelspec-'));
    mkdirSync(join(jupyterPath, 'kernels', kernel), { recursive: true });
    writeFileSync(join(jupyterPath, 'kernels', kernel, 'kernel.json'), JSON.stringify(kernelSpec(), null, 1) + '\n');
    env.JUPYTER_PATH = [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(delimiter);
  }
  console.log(`Running ${chosen.length} notebook(s) from ${dir} with kernel "${kernel}" `
    + `(${ownKernel ? `this checkout's: ${projectRoot}` : 'as registered'}) (QUICK=1); executed copies in ${outDir}`);
  try {
    return runAll(python, chosen, dir, outDir, kernel, timeout, env);
  } finally {
    if (jupyterPath) rmSync(jupyterPath, { recursive: true, force: true });
  }
}

function runAll(python: string, chosen: string[], dir: string, outDir: string, kernel: string, timeout: string, env: NodeJS.ProcessEnv): number {

  const results: Array<{ name: string; ok: boolean; seconds: number }> = [];
  for (const name of chosen) {
    console.log(`\n▶ ${name}`);
    const start = performance.now();
    const run = spawnSync(python, [HELPER, join(dir, name), '--out', join(outDir, name), '--kernel', kernel, '--timeout', timeout], {
      stdio: 'inherit',
      env,
    });
    const seconds = (performance.now() - start) / 1000;
    if (run.status === 3) return 1; // kernel not registered: the helper said so, nothing else can run
    const ok = run.status === 0;
    results.push({ name, ok, seconds });
    console.log(`${ok ? '✔' : '✘'} ${name} ${ok ? 'passed' : 'FAILED'} in ${seconds.toFixed(1)} s`);
  }

  const failed = results.filter((r) => !r.ok);
  console.log('\nNotebooks:');
  for (const r of results) console.log(`  ${r.ok ? 'ok    ' : 'FAILED'}  ${r.seconds.toFixed(1).padStart(7)} s  ${basename(r.name)}`);
  console.log(failed.length === 0 ? `All ${results.length} passed.` : `${failed.length} of ${results.length} failed.`);
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
