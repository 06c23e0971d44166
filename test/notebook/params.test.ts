// The notebook parameter helpers: the QUICK flag, project paths from any working directory, where
// quick runs go (a temporary folder, never results/), and the "QUICK mode:" label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeRoots, pct, projectPath, projectRoot, quickLabel, quickMode, runRoots, titled } from '../../src/notebook/params.ts';

test('quickMode reads QUICK: 1/true/yes/on, unset/0/false/no/off; anything else is an error', () => {
  for (const v of ['1', 'true', 'TRUE', ' yes ', 'on']) assert.equal(quickMode({ QUICK: v }), true, v);
  for (const v of [undefined, '', '0', 'false', 'No', 'off']) assert.equal(quickMode({ QUICK: v }), false, String(v));
  assert.throws(() => quickMode({ QUICK: '2' }), /QUICK must be 1\/true\/yes\/on or 0\/false\/no\/off, got "2"/);
});

test('projectRoot is the folder with package.json, whatever the working directory', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'deepagrel-workbook');
  assert.equal(projectPath('results'), path.join(projectRoot(), 'results'));
});

test('runRoots: quick runs go to a fresh temporary folder; full runs to results/ and checkpoints/', () => {
  const a = runRoots(true, 'my nb'), b = runRoots(true, 'my nb');
  assert.equal(a.temporary, true);
  assert.notEqual(a.resultsRoot, b.resultsRoot);
  assert.ok(!a.resultsRoot.startsWith(projectRoot()), a.resultsRoot);
  assert.ok(fs.existsSync(path.dirname(a.resultsRoot)));
  assert.match(path.basename(path.dirname(a.resultsRoot)), /^deepagrel-quick-my_nb-/);
  assert.match(describeRoots(a), /^QUICK mode: .*temporary, removed when the kernel exits; results\/ is not touched/);
  const full = runRoots(false);
  assert.deepEqual(full, { resultsRoot: projectPath('results'), checkpointRoot: projectPath('checkpoints'), figuresDir: projectPath('results', 'figures'), temporary: false });
  assert.match(describeRoots(full), /^runs go to .*results, checkpoints to .*checkpoints/);
});

test('quickLabel and titled label quick output; titled makes room for the title and copies', () => {
  assert.equal(quickLabel(true, 'x'), 'QUICK mode: x');
  assert.equal(quickLabel(false, 'x'), 'x');
  const fig = { data: [], layout: { height: 380, margin: { l: 60, t: 30 } } };
  const t = titled(fig, 'Figure 3', true);
  assert.deepEqual(t.layout.title, { text: 'QUICK mode: Figure 3' });
  assert.deepEqual(t.layout.margin, { l: 60, t: 70 });
  assert.equal(t.layout.height, 420);                     // the plot area keeps its height
  assert.equal(fig.layout.margin.t, 30);                  // input untouched
  assert.deepEqual(titled({ data: [], layout: {} }, 'A').layout, { margin: { t: 70 }, title: { text: 'A' } });
});

test('pct formats fractions', () => {
  assert.equal(pct(0.9734), '97.34%');
  assert.equal(pct(0.5, 1), '50.0%');
  assert.equal(pct(null), 'n/a');
  assert.equal(pct(Number.NaN), 'n/a');
});
