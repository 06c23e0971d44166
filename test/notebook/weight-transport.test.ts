// Notebook 09: every feedback mode × rule × net on one budget, the runs the CLI sweep makes (same
// config, name, folder), the table and the figures.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { EXPERIMENT, presetOf, sweepCommand, trainWeightTransport, transportAccuracyFigure, transportAlignmentFigure, transportConfig, transportTable, type TransportSetup } from '../../src/notebook/weight-transport.ts';
import { sweepJobs, jobConfig, jobRunId } from '../../src/cli/sweep.ts';
import { collectOverrides, overrideOptions, parseFeedbackList } from '../../src/cli/options.ts';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runRoots } from '../../src/notebook/params.ts';
import { configRunName } from '../../src/presets.ts';
import { nativeSkip, quadrantDataset } from '../helpers.ts';
import { useBackend } from '../engine/backends.ts';
import { recorder } from './helpers.ts';

// The presets' full-size nets: on the fastest CPU backend here (the numbers are not compared across backends).
const bin = fileURLToPath(new URL('../../bin/deepagrel.js', import.meta.url));

before(async () => { await useBackend(nativeSkip() ? 'wasm' : 'native'); });

const setup: TransportSetup = {
  modes: ['symmetric', 'direct', 'kolen-pollack'], rules: ['deepagrel', 'ebp'], nets: ['fc', 'conv'],
  budget: { fc: { perClass: 1000, epochs: 10 }, conv: { perClass: 1000, epochs: 10 } },
  lr: { direct: { deepagrel: { fc: 0.2 } }, symmetric: { ebp: { conv: 0.3 } }, 'kolen-pollack': { ebp: { conv: 0.3 } }, },
};

test('a cell\'s config, name and folder are those of the sweep command the notebook prints for it', () => {
  assert.equal(transportConfig('kolen-pollack', 'ebp', 'fc', setup).weightDecay, 0.01, 'the Kolen–Pollack default λ');
  const cmds = sweepCommand(setup, [1, 2]);
  assert.ok(cmds.includes('npx deepagrel sweep --presets mnist-fc-deepagrel --feedback direct --seeds 1,2 --lr 0.2 --per-class 1000 --epochs 10 --patience 10'), cmds.join('\n'));
  assert.ok(cmds.includes('npx deepagrel sweep --presets mnist-conv-ebp --feedback symmetric,kolen-pollack --seeds 1,2 --lr 0.3 --per-class 1000 --epochs 10 --patience 10'), cmds.join('\n'));
  let cells = 0;
  for (const cmd of cmds) {
    // the sweep's own reading of the command: its jobs, their configs (jobConfig, as its workers get them) and names
    const args = cmd.split(' ').slice(2);
    const v = parseArgs({ args: args.slice(1), options: { ...overrideOptions(), presets: { type: 'string' }, seeds: { type: 'string' } } }).values as Record<string, string | undefined>;
    const jobs = sweepJobs(v.presets!, v.seeds!, undefined, v.lr ? [v.lr] : undefined, parseFeedbackList(v.feedback!));
    const overrides = collectOverrides({ ...v, lr: undefined, feedback: undefined });
    for (const j of jobs) {
      const net = j.preset.split('-')[1] as 'fc' | 'conv', rule = j.preset.split('-')[2] as 'deepagrel' | 'ebp';
      const mine = transportConfig(j.feedback!, rule, net, setup);
      assert.deepEqual(jobConfig(j, overrides), mine, `${cmd}: ${jobRunId(j)}`);
      assert.equal(jobRunId(j), configRunName(mine, j.seed));
      cells++;
    }
  }
  assert.equal(cells, 3 * 2 * 2 * 2, 'every mode × rule × net × seed, once');
  // and the folder: the sweep's default for --feedback is the notebook's EXPERIMENT
  const dry = spawnSync(process.execPath, [bin, ...cmds[0].split(' ').slice(2), '--dry-run'], { encoding: 'utf8' });
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`into results[/\\\\]${EXPERIMENT}:`));
  assert.equal(presetOf('conv', 'ebp'), 'mnist-conv-ebp');
});

test('training: one live figure that ends as the accuracy figure, records with angles to the gradient, the table', async () => {
  const roots = runRoots(true, 'wt');
  const { sink, figures } = recorder();
  const small: TransportSetup = { ...setup, modes: ['symmetric', 'direct'], budget: { fc: { perClass: 40, epochs: 2, valSize: 40 }, conv: { perClass: 40, epochs: 1, valSize: 40 } }, lr: {} };
  const runs = await trainWeightTransport({ setup: small, seeds: [1], roots, dataset: quadrantDataset(200, 40), sink, log: null });
  assert.deepEqual(runs.map(r => r.header.runId), ['mnist-fc-deepagrel-s1', 'mnist-fc-deepagrel-direct-s1', 'mnist-fc-ebp-s1', 'mnist-fc-ebp-direct-s1',
    'mnist-conv-deepagrel-s1', 'mnist-conv-deepagrel-direct-s1', 'mnist-conv-ebp-s1', 'mnist-conv-ebp-direct-s1']);
  assert.ok(runs.every(r => r.header.experiment === 'weight-transport' && r.file.startsWith(roots.resultsRoot)));
  assert.ok(runs.filter(r => r.header.config.feedback === 'direct').every(r => r.epochs.every(e => Object.keys(e.gradientAlignmentDeg!).length >= 4)));
  assert.ok(runs.filter(r => r.header.config.feedback === 'symmetric').every(r => r.epochs.every(e => e.gradientAlignmentDeg === undefined)));
  const ids = new Set(figures().map(f => f.target?.displayId));
  assert.equal(ids.size, 1, 'one live output for every run');
  const last = figures().at(-1)!.bundle['application/vnd.plotly.v1+json'] as { layout: { annotations: Array<{ text: string }> } };
  assert.deepEqual(last.layout.annotations.map(a => a.text), ['<b>MNIST fc, deepagrel</b>', '<b>MNIST fc, ebp</b>', '<b>MNIST conv, deepagrel</b>', '<b>MNIST conv, ebp</b>']);

  const rows = transportTable(runs).objects() as Array<Record<string, string>>;
  assert.deepEqual(rows.map(r => `${r.net} ${r.rule} ${r.feedback}`), ['MNIST fc deepagrel symmetric', 'MNIST fc deepagrel direct', 'MNIST fc ebp symmetric', 'MNIST fc ebp direct',
    'MNIST conv deepagrel symmetric', 'MNIST conv deepagrel direct', 'MNIST conv ebp symmetric', 'MNIST conv ebp direct']);
  assert.equal(rows[0]['∠ bottom layer (°)'], '0 (gradient)');
  assert.match(rows[1]['∠ bottom layer (°)'], /^\d+\.\d$/);
  assert.match(rows[1]['test accuracy (%)'], /^\d+\.\d\d$/);
  assert.equal(rows[5].epochs, '1');

  // a mode at another α than the cell's symmetric runs (e.g. after diverging there) is its own row and curve
  const other = { ...runs[1], header: { ...runs[1].header, config: { ...runs[1].header.config, lr: 0.05 } } };
  const rows2 = transportTable([...runs.slice(0, 2), other]).objects() as Array<Record<string, string>>;
  assert.deepEqual(rows2.map(r => `${r.feedback} ${r['α']} ${r.seeds}`), ['symmetric 0.5 1', 'direct 0.05 1', 'direct 0.5 1']);
  const names = transportAccuracyFigure([...runs.slice(0, 2), other]).data.filter(t => t.mode === 'lines' && t.showlegend !== false).map(t => t.name);
  assert.deepEqual(names, ['symmetric', 'direct α=0.5', 'direct α=0.05'], 'two α of one mode: both named, never averaged');

  const angles = transportAlignmentFigure(runs, 'conv', 'deepagrel');
  const legend = angles.data.filter(t => t.showlegend !== false && t.mode === 'lines' && t.xaxis === 'x').map(t => t.name);
  assert.deepEqual(legend, ['direct', 'symmetric (the gradient: Appendix A)']);
  assert.equal(['xaxis', 'xaxis2', 'xaxis3', 'xaxis4', 'xaxis5'].filter(k => k in angles.layout).length, 5, 'one panel per weighted layer of the conv net');
  assert.equal(transportAccuracyFigure(runs.slice(0, 2)).data.filter(t => t.mode === 'lines' && t.showlegend !== false).length, 2);
});
