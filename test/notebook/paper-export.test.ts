// Issue 30, point 5: the export cells of notebooks 05 (Figure 3) and 06 (Table 1) write files for a
// paper and say what each is (vector or pixels, size, resolution). Needs Chromium, as figure export does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportForPaper, exportTable1 } from '../../src/notebook/paper-export.ts';
import { pngInfo } from '../../src/plots/export.ts';
import { readRuns } from '../../src/results/reader.ts';
import { end, header, tempRoot, writeRun } from '../results/fixtures.ts';

const fig = { data: [{ type: 'scatter', mode: 'lines', name: 'DeepAGREL', x: [1, 2, 3], y: [0.2, 0.5, 0.7] }], layout: { width: 900, height: 468, title: { text: 'Figure 3' } } };

test('exportForPaper: SVG and PDF (vector), PNG at 300 dpi at the figure\'s size, the HTML page; one line per file', { timeout: 180_000 }, async () => {
  const dir = tempRoot();
  const lines: string[] = [];
  const out = await exportForPaper(fig, dir, 'figure3', { log: (l) => lines.push(l) });
  assert.deepEqual(out.notes, []);
  assert.deepEqual(out.files.map((f) => path.basename(f)).sort(), ['figure3.html', 'figure3.pdf', 'figure3.png', 'figure3.svg']);
  assert.deepEqual(pngInfo(fs.readFileSync(path.join(dir, 'figure3.png'))), { width: 2812, height: 1462, dpi: 300 });
  assert.ok(fs.readFileSync(path.join(dir, 'figure3.pdf')).toString('latin1').startsWith('%PDF-'));
  assert.match(fs.readFileSync(path.join(dir, 'figure3.svg'), 'utf8'), /^<svg[^>]* width="900" height="468"/);
  const text = lines.join('\n');
  assert.match(text, /figure3\.png +2812 × 1462 px, 300 dpi at 9\.38 × 4\.88 in/);
  assert.match(text, /figure3\.pdf +vector \(PDF\), one page of 9\.38 × 4\.88 in/);
  assert.match(text, /figure3\.svg +vector \(SVG\)/);
  // another resolution from the first cell
  const screen = await exportForPaper(fig, dir, 'screen', { formats: ['png'], dpi: 96, log: null });
  assert.deepEqual(pngInfo(fs.readFileSync(screen.files[0])), { width: 900, height: 468, dpi: 96 });
});

test('exportTable1: LaTeX, Markdown and CSV files; without runs, a line and nothing written', async () => {
  const root = tempRoot();
  for (const rule of ['deepagrel', 'ebp']) writeRun(root, header({ preset: `mnist-fc-${rule}`, seed: 1 }), [0.5, 0.9], end(2, 0.97));
  const dir = path.join(tempRoot(), 'figures');
  const lines: string[] = [];
  const files = await exportTable1(readRuns(root), dir, 'table1', (l) => lines.push(l));
  assert.deepEqual(files.map((f) => path.basename(f)), ['table1.tex', 'table1.md', 'table1.csv']);
  assert.match(fs.readFileSync(path.join(dir, 'table1.tex'), 'utf8'), /\\toprule[\s\S]*\\bottomrule/);
  assert.match(fs.readFileSync(path.join(dir, 'table1.csv'), 'utf8'), /mnist-fc-deepagrel/);
  assert.equal(lines.length, 4);
  const none: string[] = [];
  assert.deepEqual(await exportTable1([], path.join(dir, 'none'), 'table1', (l) => none.push(l)), []);
  assert.deepEqual(none, ['No runs yet: nothing to export.']);
  assert.ok(!fs.existsSync(path.join(dir, 'none')));
  // notebook 06's ALL_ROWS: all 22 rows of the paper, the 20 without runs saying why (MNIST needs no --data-dir)
  await exportTable1(readRuns(root), path.join(dir, 'all'), 'table1', null, { allRows: true });
  const csv = fs.readFileSync(path.join(dir, 'all', 'table1.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 1 + 22);
  assert.equal(csv.filter((l) => l.includes('not run')).length, 20);
  assert.match(csv.find((l) => l.startsWith('mnist-conv-ebp,'))!, /not run yet: a long run here \(npx deepagrel sweep --presets mnist-conv-ebp --seeds 1-10 --epochs 300 --patience 20\),/);
  assert.equal((await exportTable1([], path.join(dir, 'all-none'), 'table1', null, { allRows: true })).length, 3, 'without runs: the paper\'s rows, all "not run"');
});
