// Notebook 01, part 1: every case × both rules as table rows.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { DERIVATION_CASES } from '../../src/derivation.ts';
import { autodiffRows, autodiffSummary, autodiffTable, TOLERANCE } from '../../src/notebook/autodiff-table.ts';
import { useBackend } from '../engine/backends.ts';

before(async () => { await useBackend('cpu'); });

test('rows for both rules and every weighted layer; all within the tolerance; summary and table', async () => {
  const cases = DERIVATION_CASES.filter((c) => c.name.startsWith('dense (depth 4)') || c.name.startsWith('loccon (depth 3)'));
  const rows = await autodiffRows(11, cases);
  assert.equal(rows.length, 2 * (4 + 3));
  assert.deepEqual([...new Set(rows.map((r) => r.rule))], ['DeepAGREL', 'EBP']);
  assert.ok(rows.every((r) => r.ok && r.relativeError <= TOLERANCE && r.maxUpdate > 0));
  assert.match(autodiffSummary(rows), /^14 layer updates in 2 networks × 2 rules: all equal −α·∇E \(worst relative error \d\.\d\de-\d+ ≤ 1e-5\)$/);
  assert.match(autodiffSummary([{ ...rows[0], relativeError: 0.1, ok: false }]), /1 DIFFER/);
  const t = autodiffTable(rows).objects() as Array<Record<string, string>>;
  assert.equal(t[0].layer, 'dense1 (dense)');
  assert.equal(t[0]['≤ 1e-5'], '✓');
});
