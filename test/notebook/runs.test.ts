// Loading runs for the notebooks: a missing results folder is "no runs yet", filters, descriptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describeRuns, experimentFilter, filterRuns, loadRuns } from '../../src/notebook/runs.ts';
import { end, header, tempRoot, writeRun } from '../results/fixtures.ts';

function fixture(): string {
  const root = tempRoot();
  writeRun(root, header({ preset: 'mnist-fc-deepagrel', seed: 1 }), [0.5, 0.9], end(2, 0.9));
  writeRun(root, header({ preset: 'mnist-fc-ebp', seed: 1 }), [0.6], null);                       // still running
  writeRun(root, header({ preset: 'mnist-fc-ebp', seed: 2, protocol: 'maxEpochs=3' }), [0.6], end(1, 0.6));
  writeRun(root, header({ preset: 'mnist-fc-deepagrel', seed: 9, experiment: 'quickstart' }), [0.4], end(1, 0.4));
  writeRun(root, header({ preset: 'cifar10-conv-ebp', seed: 1 }), [0.3], end(1, 0.3));
  return root;
}

test('loadRuns: a folder that does not exist yet gives no runs', () => {
  assert.deepEqual(loadRuns(path.join(tempRoot(), 'nothing-here')), []);
});

test('loadRuns filters by preset, dataset, experiment and protocol', () => {
  const root = fixture();
  assert.equal(loadRuns(root).length, 5);
  const ids = (f: Parameters<typeof loadRuns>[1]) => loadRuns(root, f).map((r) => r.header.runId).sort();
  assert.deepEqual(ids({ presets: ['mnist-fc-ebp'] }), ['mnist-fc-ebp-s1', 'mnist-fc-ebp-s2']);
  assert.deepEqual(ids({ datasets: ['cifar10'] }), ['cifar10-conv-ebp-s1']);
  assert.deepEqual(ids({ experiments: ['quickstart'] }), ['mnist-fc-deepagrel-s9']);
  assert.deepEqual(ids({ experiments: ['quick*'] }), ['mnist-fc-deepagrel-s9']);
  assert.deepEqual(ids({ experiments: ['quick'] }), []);
  assert.equal(loadRuns(root, { excludeExperiments: ['quickstart'] }).length, 4);
  assert.deepEqual(ids({ protocol: 'maxEpochs=3' }), ['mnist-fc-ebp-s2']);
  assert.deepEqual(filterRuns(loadRuns(root), { presets: [] }), []);
});

test('describeRuns: counts, running runs, protocols; a clear message when there are none', () => {
  const root = fixture();
  const text = describeRuns(loadRuns(root, { presets: ['mnist-fc-deepagrel', 'mnist-fc-ebp'], excludeExperiments: ['quickstart'] }), 'results/');
  assert.equal(text, '3 runs (2 finished, 1 still running) of mnist-fc-deepagrel, mnist-fc-ebp in results/; protocols: "paper", "maxEpochs=3"');
  assert.match(describeRuns([], 'results/'), /^No runs in results\/ yet: train some with the CLI/);
  assert.equal(describeRuns([], 'r', 'runs of x', 'do y'), 'No runs of x in r yet: do y.');
});

test('experimentFilter: the EXPERIMENTS cell narrows to named experiments, wildcards allowed; a typo is a clear error', () => {
  const root = fixture();
  writeRun(root, header({ preset: 'mnist-fc-ebp', seed: 3, experiment: 'protocol-ebp-tuned' }), [0.7], end(1, 0.7));
  const ids = (f: Parameters<typeof loadRuns>[1]) => loadRuns(root, f).map((r) => r.header.runId).sort();
  // [] = every experiment but the excluded ones
  assert.deepEqual(experimentFilter(root, [], ['quickstart']), { excludeExperiments: ['quickstart'] });
  assert.equal(ids(experimentFilter(root, [], ['quickstart'])).length, 5);
  assert.deepEqual(ids(experimentFilter(root, ['protocol*'], [])), ['mnist-fc-ebp-s3']);
  assert.equal(ids(experimentFilter(root, ['table1'], [])).length, 4);
  // a named experiment is an explicit ask: it wins over the exclusions
  assert.deepEqual(ids(experimentFilter(root, ['quickstart'], ['quickstart'])), ['mnist-fc-deepagrel-s9']);
  assert.equal(ids(experimentFilter(root, ['*'], ['quickstart', 'table1'])).length, 6);
  assert.throws(() => experimentFilter(root, ['protcol', 'table1'], []),
    (e: Error) => e.message === `EXPERIMENTS: 'protcol' matches no experiment in ${root} (expected one of: protocol-ebp-tuned, quickstart, table1; a trailing * matches any continuation)`);
  assert.throws(() => experimentFilter(path.join(root, 'nope'), ['protocol'], []), /no experiment in .*nope \(expected one of: none yet/);
});
