// The paper's Appendix A, executable: DeepAGREL's four-factor updates (symmetric feedback) equal
// −α × the autodiff gradient of ½(r − q_s)² for the selected actions, averaged over the batch, and
// EBP's updates equal −α × the gradient of the softmax cross-entropy. For every layer type, in
// networks of depth 2–5, on every backend we can load here.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { DERIVATION_CASES, compareWithAutodiff } from '../../src/derivation.ts';
import { deepagrel } from '../../src/rules/deepagrel.ts';
import { ebp } from '../../src/rules/ebp.ts';
import { BACKENDS_UNDER_TEST, useBackend } from './backends.ts';

for (const backend of BACKENDS_UNDER_TEST) {
  describe(`Appendix A on ${backend}`, () => {
    before(async () => { await useBackend(backend); });
    for (const c of DERIVATION_CASES) {
      for (const rule of [deepagrel, ebp]) {
        test(`${rule.name} update = −α·∇ (${c.name})`, async () => {
          for (const row of await compareWithAutodiff(rule, c)) {
            assert.ok(row.maxUpdate > 0, `${row.layer}: all-zero update (vacuous comparison)`);
            assert.ok(row.relativeError <= 1e-5, `${row.layer}: relative error ${row.relativeError.toExponential(2)} > 1e-5`);
          }
        });
      }
    }
  });
}
