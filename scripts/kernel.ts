// npm run kernel [-- --name deepagrel] [--prefix DIR]
// Registers this project's TypeScript kernel (tslab, see scripts/tslab-kernel.ts) with the Jupyter
// found on this machine. The kernelspec holds absolute paths (node, tsx, the launcher), so it works
// whatever PATH Jupyter was started with; run this again after moving the project or changing Node.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { INSTALL_HINT, findJupyterPython } from './jupyter.ts';

export const DEFAULT_KERNEL_NAME = 'deepagrel';
const DISPLAY_NAME = 'TypeScript (DeepAGREL)';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(projectRoot, 'package.json'));

/** The kernel.json contents: node + tsx loader + our tslab launcher, all absolute. */
export function kernelSpec(): Record<string, unknown> {
  const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
  const launcher = join(projectRoot, 'scripts', 'tslab-kernel.ts');
  const tslabVersion = (require('tslab/package.json') as { version: string }).version;
  return {
    argv: [process.execPath, '--import', tsxLoader, launcher, '--config-path', '{connection_file}'],
    display_name: DISPLAY_NAME,
    // interrupt by SIGINT (the default), which scripts/tslab-kernel.ts turns into a clean stop of training
    interrupt_mode: 'signal',
    language: 'typescript',
    // debugger: JupyterLab then opens a debug session with the kernel instead of logging "No active
    // debugger session" after every executed cell; the kernel answers that there is no debugger
    // (scripts/tslab-kernel.ts, debugAnswer).
    metadata: { project: projectRoot, tslab: tslabVersion, debugger: true },
  };
}

const INSTALL_PY = `
import sys
from jupyter_client.kernelspec import KernelSpecManager
source, name, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
print(KernelSpecManager().install_kernel_spec(source, name, user=not prefix, prefix=prefix or None))
`;

const FIND_PY = `
import sys, json
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
name, prefix = sys.argv[1], sys.argv[2]
if prefix:
    import os
    p = os.path.join(prefix, 'share', 'jupyter', 'kernels', name, 'kernel.json')
    print(json.dumps(json.load(open(p)).get('metadata') or {}) if os.path.exists(p) else '{}')
else:
    try:
        print(json.dumps(KernelSpecManager().get_kernel_spec(name).metadata or {}))
    except NoSuchKernel:
        print('{}')
`;

/** The checkout an already registered kernel of this name serves (its metadata.project), if any. */
function registeredProject(python: string, name: string, prefix?: string): string | undefined {
  const run = spawnSync(python, ['-c', FIND_PY, name, prefix ?? ''], { encoding: 'utf8' });
  try { return (JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { project?: string }).project; } catch { return undefined; }
}

function main(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { name: { type: 'string' }, prefix: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('npm run kernel [-- --name NAME] [--prefix DIR]\n'
      + `Registers the "${DEFAULT_KERNEL_NAME}" Jupyter kernel (TypeScript via tslab) for this project, in the user's\n`
      + 'kernel directory, or in DIR/share/jupyter/kernels with --prefix.');
    return 0;
  }
  const name = values.name ?? DEFAULT_KERNEL_NAME;
  const { found: python, tried } = findJupyterPython(['jupyter_client']);
  if (!python) {
    console.error(`No Jupyter found (tried: ${tried.join(', ')}: none can import jupyter_client).\n${INSTALL_HINT}`);
    return 1;
  }

  const previous = registeredProject(python, name, values.prefix);
  const dir = mkdtempSync(join(tmpdir(), 'deepagrel-kernelspec-'));
  try {
    chmodSync(dir, 0o755); // Jupyter copies the mode; 700 would hide the kernel from other readers
    const spec = kernelSpec();
    writeFileSync(join(dir, 'kernel.json'), JSON.stringify(spec, null, 1) + '\n');
    const run = spawnSync(python, ['-c', INSTALL_PY, dir, name, values.prefix ?? ''], { encoding: 'utf8' });
    if (run.status !== 0) {
      console.error(`Registering the kernel with ${python} failed:\n${run.stderr || run.stdout}`);
      return 1;
    }
    const where = run.stdout.trim().split('\n').pop();
    if (previous && previous !== projectRoot) {
      console.log(`Replaced the "${name}" kernel that served ${previous}: Jupyter now runs this checkout's code (${projectRoot}).`);
    }
    console.log(`Registered Jupyter kernel "${name}" (${spec.display_name as string}, tslab ${(spec.metadata as { tslab: string }).tslab})`);
    console.log(`  kernelspec: ${where}/kernel.json`);
    console.log(`  Jupyter:    ${python}`);
    console.log(`  starts:     ${(spec.argv as string[]).slice(0, 4).join(' ')}`);
    console.log(`  serves:     ${projectRoot}  (one kernel name for all checkouts: the last \`npm run kernel\` wins;`);
    console.log('              a notebook of another checkout gets one line saying how to switch instead of running;');
    console.log('              `npm run test:notebooks` always uses a temporary kernelspec of its own checkout)');
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
