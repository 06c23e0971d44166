// Issue 12, point 1: every notebook that trains has the learning rate(s) per rule in its first
// cell, the runs below use them, print them and record them. Point 6: re-running a training cell
// whose runs are finished says so and draws them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRESETS } from '../../src/presets.ts';
import { quickstart, quickstartConfig } from '../../src/cli/quickstart.ts';
import { tableRow } from '../../src/notebook/table-row.ts';
import { trainFeedbackModes, feedbackConfig } from '../../src/notebook/feedback-weights.ts';
import { rateFor, runRoots } from '../../src/notebook/params.ts';
import { quadrantDataset } from '../helpers.ts';
import { useBackend } from '../engine/backends.ts';
import { recorder } from './helpers.ts';

before(async () => { await useBackend('cpu'); });

const dir = path.join(import.meta.dirname, '..', '..', 'notebooks');
const codeCells = (name: string) => (JSON.parse(fs.readFileSync(path.join(dir, `${name}.ipynb`), 'utf8')).cells as Array<{ cell_type: string; source: string[] }>)
  .filter((c) => c.cell_type === 'code').map((c) => c.source.join(''));

// notebook → the presets whose α its first cell must list (per architecture where the notebook has several)
const TRAINING: Record<string, Record<string, string[]>> = {
  '00-quickstart': { '': ['mnist-fc'] },
  '02-mnist': { fc: ['mnist-fc'], conv: ['mnist-conv'], loccon: ['mnist-loccon'] },
  '03-cifar10': { conv: ['cifar10-conv', 'cifar10-conv-aug'], loccon: ['cifar10-loccon', 'cifar10-loccon-aug'] },
  '04-cifar100': { conv: ['cifar100-conv', 'cifar100-conv-aug'], loccon: ['cifar100-loccon', 'cifar100-loccon-aug'] },
  '07-feedback-weights': { '': ['mnist-fc'] },
};

for (const [name, groups] of Object.entries(TRAINING)) {
  test(`${name}: α per rule in the first cell (Table 1's values), printed there and passed to the runs`, () => {
    const [first, ...rest] = codeCells(name);
    assert.match(first, /^const LR = \{/m, 'no LR in the parameters cell');
    for (const [arch, prefixes] of Object.entries(groups)) {
      const m = first.match(new RegExp(`${arch ? `${arch}:\\s*` : 'const LR = '}\\{ deepagrel: ([\\d.e-]+), ebp: ([\\d.e-]+) \\}`));
      assert.ok(m, `${name}: no { deepagrel, ebp } rates${arch ? ` for ${arch}` : ''}`);
      for (const p of prefixes) assert.deepEqual([Number(m[1]), Number(m[2])], [PRESETS[`${p}-deepagrel`].lr, PRESETS[`${p}-ebp`].lr], `${name} ${p}`);
    }
    assert.match(first, /console\.log\(.*α = \$\{/, 'the first cell prints the rates');
    const used = rest.filter((c) => /\bLR(\.\w+|\[RULE\])?\b/.test(c) && /lr: LR|lr: LR\./.test(c));
    assert.ok(used.length >= Object.keys(groups).length, `${name}: LR is not passed to the training calls`);
  });
}

test('rateFor: the rule\'s rate or undefined; nonsense is refused', () => {
  assert.equal(rateFor({ deepagrel: 0.3, ebp: 0.2 }, 'ebp'), 0.2);
  assert.equal(rateFor(undefined, 'ebp'), undefined);
  assert.throws(() => rateFor({ ebp: -1 }, 'ebp'), /must be a finite number > 0/);
});

test('quickstart: the α per rule reaches the config of that rule only', async () => {
  assert.equal(quickstartConfig('ebp', { lr: { ebp: 0.07 } }).lr, 0.07);
  assert.equal(quickstartConfig('deepagrel', { lr: { ebp: 0.07 } }).lr, PRESETS['mnist-fc-deepagrel'].lr);
});

test('tableRow: the row\'s α per rule is trained with, printed, recorded (and named: never reused for another α)', async () => {
  const roots = runRoots(true, 'lr');
  const lines: string[] = [];
  const { sink } = recorder();
  const row = await tableRow({ dataset: 'mnist', arch: 'fc', augment: false }, {
    quick: true, train: true, seeds: [1], resultsDir: roots.resultsRoot, roots, sink, log: (l) => lines.push(l), dataset: quadrantDataset(200, 40),
    overrides: { layers: [{ type: 'dense', units: 8 }], valSize: 40, testLimit: 0, maxEpochs: 1 }, lr: { deepagrel: 0.37, ebp: 0.023 },
  });
  assert.deepEqual(row.runs.map((r) => r.header.config.lr), [0.37, 0.023]);
  assert.deepEqual(row.runs.map((r) => r.header.runId), ['mnist-fc-deepagrel-lr0.37-s1', 'mnist-fc-ebp-lr0.023-s1']);
  assert.ok(row.runs.every((r) => /lr=/.test(r.header.protocol)));
  assert.ok(lines.some((l) => /α = 0\.37\b/.test(l)) && lines.some((l) => /α = 0\.023\b/.test(l)), lines.join('\n'));
});

test('notebook 07: α in the setup reaches every mode; re-running with finished runs says "reused" and draws them', async () => {
  const layers = [{ type: 'dense' as const, units: 8 }];
  assert.equal(feedbackConfig('reciprocal', { rule: 'deepagrel', layers, weightDecay: 0.01, quick: true, lr: 0.21 }).lr, 0.21);
  const roots = runRoots(true, 'fb-lr');
  const setup = { rule: 'deepagrel' as const, lr: 0.21, layers, weightDecay: 0.05, quick: true, overrides: { perClass: 0, valSize: 40, batchSize: 20, maxEpochs: 2, patience: 2, testLimit: 0 } };
  const first = await trainFeedbackModes({ setup, seeds: [1], roots, dataset: quadrantDataset(120, 40), sink: recorder().sink, log: null, modes: ['symmetric', 'reciprocal'] });
  assert.deepEqual(first.map((r) => [r.header.runId, r.header.config.lr]), [['mnist-fc-deepagrel-symmetric-lr0.21-s1', 0.21], ['mnist-fc-deepagrel-reciprocal-lr0.21-s1', 0.21]]);
  // the same cell again (same roots): nothing to train, but a message per run and a figure
  const { sink, figures } = recorder();
  const lines: string[] = [];
  const again = await trainFeedbackModes({ setup, seeds: [1], roots, dataset: quadrantDataset(120, 40), sink, log: (l) => lines.push(l), modes: ['symmetric', 'reciprocal'] });
  assert.deepEqual(again.map((r) => r.file), first.map((r) => r.file));
  assert.equal(lines.filter((l) => /already finished .* reused, not trained again/.test(l)).length, 2, lines.join('\n'));
  const figs = figures();
  assert.ok(figs.length >= 1, 'a figure is drawn');
  const html = (o: (typeof figs)[number]) => String(o.bundle['text/html']);
  assert.ok(figs.some((o) => html(o).includes('"name":"symmetric s1"') && html(o).includes('"name":"reciprocal s1"')), 'both reused runs drawn');
  // and at the end, one curve per mode (the accuracy figure the live one becomes)
  assert.ok(html(figs.at(-1)!).includes('"name":"symmetric"') && html(figs.at(-1)!).includes('"name":"reciprocal"'));
});
