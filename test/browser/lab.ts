// JupyterLab for the browser test (test/browser/jupyterlab.spec.ts): a private `jupyter lab` on
// 127.0.0.1 with a token, serving a temporary copy of notebooks/ (so saving never touches the
// committed files) with this checkout's kernel as a temporary kernelspec, driven by the system
// Chromium through playwright-core.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { kernelSpec } from '../../scripts/kernel.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

/** The `jupyter` of a JupyterLab 4 install: $DEEPAGREL_JUPYTERLAB, .venv-lab/bin/jupyter, or PATH. */
export function findJupyterLab(): { jupyter?: string; why: string } {
  // A relative path (as .ci/run passes it) is made absolute: the server is spawned from the notebook folder.
  const candidates = [process.env.DEEPAGREL_JUPYTERLAB, join(ROOT, '.venv-lab', 'bin', 'jupyter'), 'jupyter']
    .filter((c): c is string => !!c).map(c => c.includes(sep) ? resolve(c) : c);
  for (const c of candidates) {
    const v = spawnSync(c, ['lab', '--version'], { encoding: 'utf8', timeout: 60_000 });
    if (v.status === 0 && /^4\./.test(v.stdout.trim())) return { jupyter: c, why: `JupyterLab ${v.stdout.trim()}` };
  }
  return { why: `no JupyterLab 4 (tried ${candidates.join(', ')}): python3 -m venv .venv-lab && .venv-lab/bin/pip install jupyterlab plotly` };
}

export function findChromiumPath(): string | undefined {
  for (const c of [process.env.DEEPAGREL_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (c && existsSync(c)) return c;
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const p = (srv.address() as { port: number }).port; srv.close(() => resolve(p)); });
  });
}

export interface Session { kernel: { execution_state: string; id: string }; path: string }

export class Lab {
  private constructor(readonly proc: ChildProcess, readonly base: string, readonly token: string, readonly dir: string, readonly log: string[],
    /** The kernelspec this lab starts for "deepagrel" (a test may point it at another checkout). */
    readonly kernelJson: string) {}

  /** Seconds a training run gets to stop after Kernel ▸ Interrupt before the cell is abandoned (the kernel's default is 20). */
  static readonly INTERRUPT_GRACE_MS = 5000;

  /** Notebooks are copied into a fresh folder with the `src` link, as in the repository. */
  static async start(jupyter: string): Promise<Lab> {
    const dir = mkdtempSync(join(tmpdir(), 'deepagrel-lab-'));
    const nbDir = join(dir, 'notebooks');
    mkdirSync(nbDir);
    for (const f of readdirSync(join(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb'))) cpSync(join(ROOT, 'notebooks', f), join(nbDir, f));
    symlinkSync(join(ROOT, 'src'), join(nbDir, 'src'));
    const jp = join(dir, 'jupyter-path');
    mkdirSync(join(jp, 'kernels', 'deepagrel'), { recursive: true });
    writeFileSync(join(jp, 'kernels', 'deepagrel', 'kernel.json'), JSON.stringify(kernelSpec()));
    // no "get notified about Jupyter news?" toast over the notebooks
    const notification = join(dir, 'settings', '@jupyterlab', 'apputils-extension');
    mkdirSync(notification, { recursive: true });
    writeFileSync(join(notification, 'notification.jupyterlab-settings'), JSON.stringify({ fetchNews: 'false' }));
    const port = await freePort();
    const token = randomBytes(16).toString('hex');
    const env = {
      ...process.env, QUICK: '1', DEEPAGREL_INTERRUPT_GRACE_MS: String(Lab.INTERRUPT_GRACE_MS),
      JUPYTER_PATH: [jp, process.env.JUPYTER_PATH].filter(Boolean).join(delimiter),
      JUPYTER_CONFIG_DIR: join(dir, 'config'), JUPYTER_RUNTIME_DIR: join(dir, 'runtime'), JUPYTER_DATA_DIR: join(dir, 'data'),
      JUPYTERLAB_SETTINGS_DIR: join(dir, 'settings'), JUPYTERLAB_WORKSPACES_DIR: join(dir, 'workspaces'),
    };
    const args = ['lab', '--no-browser', '--ip=127.0.0.1', `--port=${port}`, `--IdentityProvider.token=${token}`, `--ServerApp.root_dir=${nbDir}`,
      '--LabApp.expose_app_in_browser=True', '--LabApp.news_url=', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
      ...(process.getuid?.() === 0 ? ['--allow-root'] : [])];
    const log: string[] = [];
    const proc = spawn(jupyter, args, { cwd: nbDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d) => log.push(String(d)));
    proc.stderr!.on('data', (d) => log.push(String(d)));
    const lab = new Lab(proc, `http://127.0.0.1:${port}`, token, nbDir, log, join(jp, 'kernels', 'deepagrel', 'kernel.json'));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`jupyter lab exited: ${log.join('')}`);
      try { if ((await fetch(`${lab.base}/api/status?token=${token}`)).ok) break; } catch { /* not yet */ }
      if (Date.now() > deadline) throw new Error(`jupyter lab did not start: ${log.join('')}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    return lab;
  }

  async sessions(): Promise<Session[]> {
    const r = await fetch(`${this.base}/api/sessions?token=${this.token}`);
    return (await r.json()) as Session[];
  }

  async stop(): Promise<void> {
    this.proc.kill('SIGTERM');
    await new Promise((r) => { const t = setTimeout(r, 5000); this.proc.once('exit', () => { clearTimeout(t); r(null); }); });
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    rmSync(join(this.dir, '..'), { recursive: true, force: true });
  }
}

export async function launchBrowser(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/**
 * Start a JupyterLab command (what the menus and shortcuts do); needs expose_app_in_browser.
 * Does not wait for it to finish (Run All's promise only settles when every cell has run).
 */
export async function command(page: Page, id: string, args: Record<string, unknown> = {}): Promise<void> {
  await page.evaluate(`void window.jupyterapp.commands.execute(${JSON.stringify(id)}, ${JSON.stringify(args)})`);
}
