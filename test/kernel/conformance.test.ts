// Issue 12, point 11: Jupyter's kernel conformance suite (jupyter_kernel_test) against this
// checkout's kernel, with TypeScript samples (scripts/kernel_conformance.py). The kernel is
// registered as a temporary kernelspec (first on JUPYTER_PATH). Skips, saying why, where Python's
// jupyter_kernel_test is not installed (CI installs Debian's python3-jupyter-kernel-test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findJupyterPython } from '../../scripts/jupyter.ts';
import { kernelSpec } from '../../scripts/kernel.ts';
import { tempDir } from '../tmp-dir.ts';

const root = join(import.meta.dirname, '..', '..');
const { found: python } = findJupyterPython(['jupyter_client', 'jupyter_kernel_test']);

test('jupyter_kernel_test: every applicable conformance test passes', {
  skip: python ? false : 'Python module jupyter_kernel_test not installed (Debian: apt-get install python3-jupyter-kernel-test)',
  timeout: 300_000,
}, () => {
  const jp = tempDir('deepagrel-conformance-');
  try {
    const name = 'deepagrel-conformance';
    mkdirSync(join(jp, 'kernels', name), { recursive: true });
    writeFileSync(join(jp, 'kernels', name, 'kernel.json'), JSON.stringify(kernelSpec()));
    const run = spawnSync(python!, [join(root, 'scripts', 'kernel_conformance.py'), '-v'], {
      cwd: join(root, 'notebooks'), encoding: 'utf8', timeout: 280_000,
      env: { ...process.env, DEEPAGREL_KERNEL: name, JUPYTER_PATH: [jp, process.env.JUPYTER_PATH].filter(Boolean).join(delimiter), PYDEVD_DISABLE_FILE_VALIDATION: '1' },
    });
    const out = run.stdout + run.stderr;
    assert.equal(run.status, 0, out);
    assert.match(out, /\nOK( \(skipped=\d+\))?\n/, out);
    // what must have run (not skipped): the failures and the basics
    for (const t of ['test_kernel_info', 'test_history', 'test_execute_result', 'test_completion', 'test_execute_stdout', 'test_execute_stderr',
      'test_inspect', 'test_is_complete', 'test_error', 'test_display_data']) {
      assert.match(out, new RegExp(`${t} \\(.*\\) \\.\\.\\. ok`), `${t} did not pass:\n${out}`);
    }
  } finally {
    rmSync(jp, { recursive: true, force: true });
  }
});
