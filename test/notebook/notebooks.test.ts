// The committed notebooks: the list of issue 5, the project kernel, no outputs, a parameters cell
// first that reads QUICK, and thin code cells (library logic belongs in src/). They are executed by
// `npm run test:notebooks` (test/notebooks/runner.test.ts runs the runner itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = path.join(import.meta.dirname, '..', '..', 'notebooks');
const NOTEBOOKS = ['00-quickstart', '01-derivation-check', '02-mnist', '03-cifar10', '04-cifar100', '05-figure3', '06-table1', '07-feedback-weights', '08-learning-rate', '09-weight-transport'];
const MAX_LINES = 10;   // code cells after the parameters cell

interface Cell { cell_type: string; id: string; source: string[] | string; outputs?: unknown[]; execution_count?: number | null }
const load = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, `${name}.ipynb`), 'utf8')) as { cells: Cell[]; metadata: any; nbformat: number };
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join('') : c.source);

test('every notebook of the list is there, and nothing else', () => {
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort(), NOTEBOOKS.map((n) => `${n}.ipynb`));
});

for (const name of NOTEBOOKS) {
  test(`${name}: nbformat 4, project kernel, no outputs, QUICK in the first code cell, thin cells`, () => {
    const nb = load(name);
    assert.equal(nb.nbformat, 4);
    assert.deepEqual([nb.metadata.kernelspec.name, nb.metadata.kernelspec.language], ['deepagrel', 'typescript']);
    assert.equal(nb.cells[0].cell_type, 'markdown');
    assert.equal(new Set(nb.cells.map((c) => c.id)).size, nb.cells.length, 'cell ids unique');
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    for (const c of code) {
      assert.deepEqual(c.outputs, [], `${c.id}: committed with outputs`);
      assert.equal(c.execution_count, null, `${c.id}: committed with an execution count`);
      for (const m of text(c).matchAll(/from '([^']+)'/g)) assert.match(m[1], /^(\.\/src\/.+\.ts|tslab)$/, `${c.id}: import from ${m[1]}`);
    }
    assert.match(text(code[0]), /^\/\/ Parameters — change them and re-run the notebook\.\n/);
    assert.match(text(code[0]), /const QUICK = quickMode\(\);/);
    for (const c of code.slice(1)) {
      const lines = text(c).split('\n').length;
      assert.ok(lines <= MAX_LINES, `${c.id}: ${lines} lines; move logic into src/notebook/`);
    }
  });
}

test('09 ends with an export cell: the accuracy and angle figures as SVG, PDF and PNG at PNG_DPI (issue 32)', () => {
  const nb = load('09-weight-transport');
  const code = nb.cells.filter((c) => c.cell_type === 'code');
  assert.match(text(code.at(-1)!), /exportForPaper\(accuracyFig, OUT_DIR, 'weight-transport-accuracy', \{ formats: \[\.\.\.FORMATS\], dpi: PNG_DPI \}\)/);
  assert.match(text(code.at(-1)!), /exportForPaper\(alignFig, OUT_DIR, /);
  assert.match(text(code[0]), /const MODES: FeedbackMode\[\] = \['symmetric', 'sign-symmetric', 'kolen-pollack', 'fixed-random', 'direct'\];/);
});

test('05 and 06 end with an export cell: Figure 3 as SVG, PDF and a print-resolution PNG; Table 1 as LaTeX, Markdown, CSV (issue 30)', () => {
  const last = (name: string) => text(load(name).cells.filter((c) => c.cell_type === 'code').at(-1)!);
  const first = (name: string) => text(load(name).cells.find((c) => c.cell_type === 'code')!);
  assert.match(last('05-figure3'), /exportForPaper\(fig, OUT_DIR, 'figure3', \{ formats: FORMATS, dpi: PNG_DPI \}\)/);
  assert.match(first('05-figure3'), /const FORMATS: ExportFormat\[\] = \['svg', 'pdf', 'png'\];/);
  assert.match(first('05-figure3'), /const PNG_DPI = 300;/);
  assert.match(last('06-table1'), /exportTable1\(runs, OUT_DIR, 'table1', undefined, \{ allRows: ALL_ROWS \}\)/);
  assert.match(first('06-table1'), /const ALL_ROWS = true;/);
  assert.match(first('06-table1'), /const OUT_DIR = runRoots\(QUICK, 'table1'\)\.figuresDir;/);
});
