// Issue 12: the README's Notebooks section gives the JupyterLab route first and links small screenshots that exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Notebooks'));

test('README Notebooks: JupyterLab first (pip install jupyterlab plotly, npm run kernel, jupyter lab)', () => {
  const lab = section.indexOf('pip install jupyterlab plotly');
  const kernel = section.indexOf('npm run kernel');
  const run = section.indexOf('jupyter lab notebooks/');
  const classic = section.indexOf('jupyter-notebook');
  assert.ok(lab > 0 && lab < kernel && kernel < run, 'JupyterLab install, kernel, jupyter lab — in that order');
  assert.ok(classic > run, 'classic Notebook after JupyterLab');
  assert.match(section, /Kernel ▸ Interrupt/);
  assert.match(section, /learning rate/);
});

test('README screenshots exist and are small PNGs', () => {
  const shots = [...section.matchAll(/\]\((docs\/screenshots\/[\w.-]+\.png)\)/g)].map((m) => m[1]);
  assert.deepEqual(shots.sort(), ['docs/screenshots/derivation-check.png', 'docs/screenshots/figure3.png', 'docs/screenshots/quickstart-curves.png', 'docs/screenshots/table1.png']);
  for (const s of shots) {
    assert.ok(existsSync(join(root, s)), `${s} missing (npm run screenshots)`);
    const buf = readFileSync(join(root, s));
    assert.equal(buf.subarray(1, 4).toString(), 'PNG');
    assert.ok(statSync(join(root, s)).size < 200_000, `${s} is ${statSync(join(root, s)).size} bytes`);
  }
});

test('README Notebooks: exporting a figure for a paper — the export cells of 05 and 06, and what `scale` does (issue 30)', () => {
  assert.match(section, /Notebook 05 ends with an export cell/);
  assert.match(section, /SVG and PDF[\s\S]{0,40}vector/);
  assert.match(section, /`scale` multiplies the PNG's pixels/);
  assert.match(section, /06 ends with[\s\S]{0,40}Table 1/);
});
