// The headless notebook runner (npm run test:notebooks) end to end: the smoke notebook passes
// through the real kernel (library imports, tfjs on wasm, figures), and failing notebooks make the
// command fail with the failing cell and its error. Needs Jupyter (CI installs it; see
// .ci/notebooks.sh). The kernel is registered into a temporary Jupyter path, not the user's.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../tmp-dir.ts';

const root = join(import.meta.dirname, '..', '..');
const tmp = tempDir('deepagrel-nbtest-');
const env = { ...process.env, JUPYTER_PATH: join(tmp, 'jupyter', 'share', 'jupyter') };

function tsx(script: string, args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', script), ...args], { cwd: root, env, encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

function notebook(cells: string[]): string {
  return JSON.stringify({
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `cell-${i}`, metadata: {}, source, outputs: [], execution_count: null })),
    metadata: { kernelspec: { name: 'deepagrel', display_name: 'TypeScript (DeepAGREL)', language: 'typescript' } },
    nbformat: 4, nbformat_minor: 5,
  });
}

before(() => {
  const reg = tsx('kernel.ts', ['--prefix', join(tmp, 'jupyter')]);
  assert.equal(reg.status, 0, `registering the kernel failed (is Jupyter installed? see .ci/notebooks.sh):\n${reg.output}`);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('the smoke notebook passes: src imports, tfjs wasm, figures with one bundle, live figure in place', () => {
  const out = join(tmp, 'executed-smoke');
  const run = tsx('run-notebooks.ts', ['smoke', '--dir', join(root, 'test', 'notebooks', 'fixtures'), '--out', out]);
  assert.equal(run.status, 0, run.output);
  assert.match(run.output, /✔ smoke\.ipynb passed in [\d.]+ s/);
  assert.match(run.output, /All 1 passed/);

  const nb = JSON.parse(readFileSync(join(out, 'smoke.ipynb'), 'utf8')) as { cells: Array<{ outputs?: Array<Record<string, any>> }> };
  const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
  const joined = (v: string | string[] | undefined) => [v ?? []].flat().join(''); // nbformat stores text as lines
  const text = (o: Record<string, any>) => joined(o.text ?? o.data?.['text/html']);
  assert.match(outputs.map(text).join(''), /QUICK = 1/);
  assert.match(outputs.map(text).join(''), /on wasm \(simd: \w+, threads: 1\) \| matMul = \[ 3, 7 \]/);
  // the bundle's output was replaced in place: the saved notebook keeps no copy and stays small (issue 12, point 7)
  assert.equal(outputs.map(text).join('').split('plotly.js v').length - 1, 0, 'no bundle in the saved notebook');
  const bytes = readFileSync(join(out, 'smoke.ipynb')).length;
  assert.ok(bytes < 300_000, `saved notebook is ${bytes} bytes`);
  assert.equal(outputs.filter((o) => joined(o.data?.['text/plain']) === '(Plotly loaded into this page)').length, 1);
  const figures = outputs.map((o) => joined(o.data?.['text/plain'])).filter((t) => t.startsWith('<Plotly figure'));
  assert.deepEqual(figures, [
    '<Plotly figure "Smoke learning curve (3 epochs)": 1 trace(s)>',
    '<Plotly figure "Smoke bars": 1 trace(s)>',
    '<Plotly figure "Smoke learning curve (5 epochs)": 1 trace(s), live>',  // the live figure, last version only
  ]);
  // every figure in JupyterLab's own mime type, the live one too (issue 30: drawn when reopened offline)
  assert.equal(outputs.filter((o) => o.data?.['application/vnd.plotly.v1+json']).length, 3, 'figures carry the Plotly mime type');
  assert.equal(outputs.filter((o) => o.name === 'stderr').length, 0);
});

test('failing notebooks fail the run, showing the failing cell and its error; later cells do not run', () => {
  const dir = join(tmp, 'failing');
  mkdirSync(dir);
  writeFileSync(join(dir, 'a-runtime-error.ipynb'), notebook([
    "console.log('first cell ran')",
    "const answer = 41;\nthrow new Error(`deliberate failure ${answer + 1}`);",
    "console.log('must not run')",
  ]));
  writeFileSync(join(dir, 'b-type-error.ipynb'), notebook(["const n: number = 'not a number';"]));
  const out = join(tmp, 'executed-failing');
  const run = tsx('run-notebooks.ts', ['--dir', dir, '--out', out]);

  assert.equal(run.status, 1, run.output);
  assert.match(run.output, /✘ a-runtime-error\.ipynb FAILED in [\d.]+ s/);
  assert.match(run.output, /FAILED at cell 1 \(code cell 2 of 3\)/);
  assert.match(run.output, /\| throw new Error\(`deliberate failure/);
  assert.match(run.output, /! .*deliberate failure 42/);
  assert.match(run.output, /✘ b-type-error\.ipynb FAILED/);
  assert.match(run.output, /! .*Type 'string' is not assignable to type 'number'/);
  assert.match(run.output, /2 of 2 failed/);
  assert.doesNotMatch(run.output, /must not run\n/);
  const executed = JSON.parse(readFileSync(join(out, 'a-runtime-error.ipynb'), 'utf8'));
  assert.deepEqual(executed.cells[2].outputs, []);
});

test('a "deepagrel" kernel registered from another checkout does not run: the runner uses this checkout\'s (issue 12, point 10)', () => {
  // Another checkout's kernel, first on JUPYTER_PATH: it would fail every notebook at start.
  const other = join(tmp, 'other-checkout', 'share', 'jupyter');
  mkdirSync(join(other, 'kernels', 'deepagrel'), { recursive: true });
  writeFileSync(join(other, 'kernels', 'deepagrel', 'kernel.json'), JSON.stringify({
    argv: ['python3', '-c', 'import sys; sys.exit(7)', '{connection_file}'], display_name: 'TypeScript (DeepAGREL)', language: 'typescript',
    metadata: { project: '/some/other/checkout' },
  }));
  const fixtures = join(root, 'test', 'notebooks', 'fixtures');
  const envOther = { ...env, JUPYTER_PATH: other };
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'run-notebooks.ts'), 'smoke', '--dir', fixtures, '--out', join(tmp, 'executed-other')],
    { cwd: root, env: envOther, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.ok((run.stdout + run.stderr).includes(`this checkout's: ${root}`), run.stdout);
});

test('`npm run kernel` says which checkout the kernel serves, and which one it replaced', () => {
  const prefix = join(tmp, 'kernel-prefix');
  const spec = join(prefix, 'share', 'jupyter', 'kernels', 'deepagrel');
  mkdirSync(spec, { recursive: true });
  writeFileSync(join(spec, 'kernel.json'), JSON.stringify({ argv: ['x', '{connection_file}'], display_name: 'TypeScript (DeepAGREL)', language: 'typescript', metadata: { project: '/some/other/checkout' } }));
  const reg = tsx('kernel.ts', ['--prefix', prefix]);
  assert.equal(reg.status, 0, reg.output);
  assert.ok(reg.output.includes(`Replaced the "deepagrel" kernel that served /some/other/checkout: Jupyter now runs this checkout's code (${root})`), reg.output);
  assert.ok(reg.output.includes(`serves:     ${root}`), reg.output);
  const spec2 = JSON.parse(readFileSync(join(spec, 'kernel.json'), 'utf8'));
  assert.equal(spec2.metadata.project, root);
  assert.equal(spec2.interrupt_mode, 'signal');
});

test('usage errors: unknown notebook name, unregistered kernel', () => {
  const fixtures = join(root, 'test', 'notebooks', 'fixtures');
  const unknown = tsx('run-notebooks.ts', ['no-such-notebook', '--dir', fixtures]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.output, /No notebook in .* matches: no-such-notebook/);
  const noKernel = tsx('run-notebooks.ts', ['smoke', '--dir', fixtures, '--kernel', 'no-such-kernel']);
  assert.equal(noKernel.status, 1);
  assert.match(noKernel.output, /kernel "no-such-kernel" is not registered: run `npm run kernel`/);
});
