// `npm start` on a smaller variant: DeepAGREL and EBP learn real MNIST well above chance.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../../src/backend.ts';
import { quickstart, quickstartTable, quickstartFigure } from '../../src/cli/quickstart.ts';
import { tempDir } from '../tmp-dir.ts';

before(async () => { await initBackend(); });

test('the quick-start variant learns (DeepAGREL ≥ 85% on MNIST, 400 images/class, 6 epochs)', async () => {
  const dir = tempDir('deepagrel-qs-');
  const runs = await quickstart({ perClass: 400, epochs: 6, testLimit: 2000, resultsRoot: dir, checkpointRoot: dir });
  const [dag, ebp] = runs;
  assert.equal(dag.header.rule, 'deepagrel');
  assert.equal(dag.header.datasetInfo?.nTrain, 4000);
  assert.ok(dag.end!.testAccuracy! >= 0.85, `DeepAGREL test accuracy ${dag.end!.testAccuracy}`);
  assert.ok(ebp.end!.testAccuracy! >= 0.85, `EBP test accuracy ${ebp.end!.testAccuracy}`);
  const table = quickstartTable(runs);
  assert.match(table, /DeepAGREL \| 0\.5 /);
  assert.match(table, new RegExp(`${(100 * dag.end!.testAccuracy!).toFixed(2)}%`));
  assert.equal(quickstartFigure(runs).data.filter(t => t.mode === 'lines' && (t as any).name).length >= 2, true);
});
