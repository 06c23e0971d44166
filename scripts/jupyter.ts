// Find a Python that has Jupyter: $DEEPAGREL_JUPYTER_PYTHON if set (and only that), else the first
// of the Python behind `jupyter` on PATH, `python3` on PATH, /usr/bin/python3 (Debian's, where apt
// installs Jupyter) that can import the needed modules.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const INSTALL_HINT = 'Install Jupyter, then run this again:\n'
  + '  pip:            pip install jupyterlab\n'
  + '  Debian/Ubuntu:  apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipython\n'
  + 'or set DEEPAGREL_JUPYTER_PYTHON to a python that has Jupyter.';

/** The first candidate Python that can import all of `modules` (`found`), and every interpreter tried. */
export function findJupyterPython(modules: string[]): { found?: string; tried: string[] } {
  const tried: string[] = [];
  for (const python of candidates()) {
    if (tried.includes(python)) continue;
    tried.push(python);
    const probe = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore', timeout: 30_000 });
    if (probe.status === 0) return { found: python, tried };
  }
  return { tried };
}

function candidates(): string[] {
  if (process.env.DEEPAGREL_JUPYTER_PYTHON) return [process.env.DEEPAGREL_JUPYTER_PYTHON];
  const list: string[] = [];
  const jupyter = onPath('jupyter');
  const shebang = jupyter && pythonFromShebang(jupyter);
  if (shebang) list.push(shebang);
  const python3 = onPath('python3');
  if (python3) list.push(python3);
  list.push('/usr/bin/python3');
  return list;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, name);
    try { accessSync(file, constants.X_OK); return file; } catch { /* next */ }
  }
  return undefined;
}

/** "#!/opt/venv/bin/python3" → that python; "#!/usr/bin/env python3" → python3 on PATH; shims → none. */
function pythonFromShebang(script: string): string | undefined {
  let first: string;
  try { first = readFileSync(script, 'utf8').slice(0, 300).split('\n')[0]; } catch { return undefined; }
  const parts = first.startsWith('#!') ? first.slice(2).trim().split(/\s+/) : [];
  const [cmd, arg] = parts;
  if (cmd?.endsWith('/env') && arg?.includes('python')) return onPath(arg);
  return cmd?.includes('python') ? cmd : undefined;
}
