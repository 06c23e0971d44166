// Issue 30, items 8–10: seeds that folded onto other seeds, names that escaped the results root or
// vanished, numbers and options that were taken or failed like a crash. Each case must end in one
// clear message, exit code 2, and nothing written anywhere (no file, no folder), checked over a
// whole temporary tree with the working folder two levels down (so "../../x" lands inside it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli.ts';
import { seedFlag } from '../../src/cli/options.ts';
import { tempDir } from '../tmp-dir.ts';

const root = tempDir('deepagrel-cli-inputs-');
const cwd = path.join(root, 'a', 'b');
const home = process.cwd();
before(() => { fs.mkdirSync(cwd, { recursive: true }); process.chdir(cwd); });
after(() => { process.chdir(home); });

/** Every path under the temporary tree (folders too). */
const tree = () => (fs.readdirSync(root, { recursive: true }) as string[]).sort();

const TRAIN = ['train', '--preset', 'mnist-fc-deepagrel', '--epochs', '1', '--per-class', '10'];
const SWEEP = ['sweep', '--presets', 'mnist-fc-*', '--seeds', '1-2', '--dry-run'];

// [what, argv, the message]
const CASES: [string, string[], RegExp][] = [
  // Item 8: seeds are integers 0…2³²−1 everywhere.
  ['train --seed ""', [...TRAIN, '--seed', ''], /^deepagrel train: --seed expects an integer from 0 to 4294967295, got ""$/],
  ['train --seed 0x10', [...TRAIN, '--seed', '0x10'], /--seed expects an integer from 0 to 4294967295, got "0x10"$/],
  ['train --seed 1e30', [...TRAIN, '--seed', '1e30'], /--seed expects an integer from 0 to 4294967295, got "1e30"$/],
  ['train --seed 2³²', [...TRAIN, '--seed', '4294967296'], /--seed expects an integer from 0 to 4294967295, got "4294967296"$/],
  ['train --seed -1', [...TRAIN, '--seed', '-1'], /--seed expects an integer from 0 to 4294967295, got "-1"$/],
  ['train --seed 1.5', [...TRAIN, '--seed', '1.5'], /--seed expects an integer from 0 to 4294967295, got "1.5"$/],
  ['first-steps --seed 1e30', ['first-steps', '--setting', 'mnist-fc', '--seed', '1e30'], /^deepagrel first-steps: --seed expects an integer from 0 to 4294967295/],
  ['quickstart --seed 2³²', ['quickstart', '--seed', '4294967296'], /^deepagrel quickstart: --seed expects an integer from 0 to 4294967295/],
  ['sweep --seeds 2³²', [...SWEEP, '--seeds', '4294967296'], /--seeds: seed 4294967296 is too large \(seeds are integers from 0 to 4294967295\)$/],
  // Item 9: every name that becomes a path is one safe path segment; empty values are errors.
  ['train --experiment ../../x', [...TRAIN, '--experiment', '../../x'], /^deepagrel train: --experiment "\.\.\/\.\.\/x" must be one folder or file name: .*no \/ or \\/],
  ['train --run-id ../../x', [...TRAIN, '--run-id', '../../x'], /^deepagrel train: --run-id "\.\.\/\.\.\/x" must be one folder or file name/],
  ['train --run-id a/b', [...TRAIN, '--run-id', 'a/b'], /--run-id "a\/b" must be one folder or file name/],
  ['train --run-id ..', [...TRAIN, '--run-id', '..'], /--run-id "\.\." must be one folder or file name/],
  ['train --run-id .hidden', [...TRAIN, '--run-id', '.hidden'], /--run-id "\.hidden" must be one folder or file name/],
  ['train --run-id ""', [...TRAIN, '--run-id', ''], /^deepagrel train: --run-id "" is empty; give a name$/],
  ['train --experiment ""', [...TRAIN, '--experiment', ''], /^deepagrel train: --experiment "" is empty; give a name$/],
  ['train --run-id of 101 characters', [...TRAIN, '--run-id', 'r'.repeat(101)], /--run-id "r+" is 101 characters long; at most 100$/],
  ['train --results ""', [...TRAIN, '--results', ''], /^deepagrel train: --results is empty; give a folder or file \(or leave the option out for its default\)$/],
  ['train --checkpoints ""', [...TRAIN, '--checkpoints', ''], /^deepagrel train: --checkpoints is empty/],
  ['train --data-dir ""', [...TRAIN, '--data-dir', ''], /^deepagrel train: --data-dir is empty/],
  ['sweep --experiment ../../x', [...SWEEP, '--experiment', '../../x'], /^deepagrel sweep: --experiment "\.\.\/\.\.\/x" must be one folder or file name/],
  ['sweep --experiment ""', [...SWEEP, '--experiment', ''], /^deepagrel sweep: --experiment "" is empty/],
  ['sweep --results ""', [...SWEEP, '--results', ''], /^deepagrel sweep: --results is empty/],
  ['sweep --checkpoints ""', [...SWEEP, '--checkpoints', ''], /^deepagrel sweep: --checkpoints is empty/],
  ['status --checkpoints ""', ['status', '--checkpoints', ''], /^deepagrel status: --checkpoints is empty/],
  ['table --out ""', ['table', '--out', ''], /^deepagrel table: --out is empty/],
  ['evaluate --run ""', ['evaluate', '--run', ''], /^deepagrel evaluate: --run is empty/],
  // Item 10: numbers in range and in digits, negative values reach the range check, backend options exit 2.
  ['train --epochs 1e12', [...TRAIN, '--epochs', '1e12'], /^deepagrel train: --epochs expects an integer, got "1e12" \(digits, e\.g\. 30\)$/],
  ['train --epochs 10¹²', [...TRAIN, '--epochs', '1000000000000'], /^deepagrel train: maxEpochs must be an integer from 1 to 100000, got 1000000000000$/],
  ['train --patience 10¹²', [...TRAIN, '--patience', '1000000000000'], /^deepagrel train: patience must be an integer from 1 to 100000/],
  ['train --augment-factor 10⁶', [...TRAIN, '--augment-factor', '1000000'], /augmentFactor must be an integer from 1 to 1000/],
  ['train --lr -1', [...TRAIN, '--lr', '-1'], /^deepagrel train: lr must be a finite number > 0, got -1$/],
  ['train --lr -.5', [...TRAIN, '--lr', '-.5'], /^deepagrel train: lr must be a finite number > 0, got -0\.5$/],
  ['train --epsilon -0.1', [...TRAIN, '--epsilon', '-0.1'], /^deepagrel train: epsilon must be in \[0, 1\], got -0\.1$/],
  ['train --threads 999', [...TRAIN, '--threads', '999'], /^deepagrel train: --threads expects an integer from 1 to 256, got "999"$/],
  ['train --threads 0', [...TRAIN, '--threads', '0'], /--threads expects an integer from 1 to 256, got "0"$/],
  ['train --backend bogus', [...TRAIN, '--backend', 'bogus'], /^deepagrel train: --backend must be one of tensorflow, webgpu, native, wasm, cpu, auto, got "bogus"$/],
  ['sweep --threads 999', [...SWEEP, '--threads', '999'], /^deepagrel sweep: --threads expects an integer from 1 to 256/],
  ['sweep --backend bogus', [...SWEEP, '--backend', 'bogus'], /^deepagrel sweep: --backend must be one of/],
  ['sweep --workers 1e3', [...SWEEP, '--workers', '1e3'], /^deepagrel sweep: --workers expects an integer from 1 to 1024, got "1e3"$/],
  ['backend --threads 999', ['backend', '--threads', '999'], /^deepagrel backend: --threads expects an integer from 1 to 256/],
  ['first-steps --backend bogus', ['first-steps', '--setting', 'mnist-fc', '--backend', 'bogus'], /^deepagrel first-steps: --backend must be one of/],
];

test(`${CASES.length} adversarial command lines: one clear message, exit 2, nothing written`, async t => {
  const errors: string[] = [], out: string[] = [];
  const [err, log] = [console.error, console.log];
  console.error = (...a: unknown[]) => { errors.push(a.join(' ')); };
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  const failures: string[] = [];
  try {
    for (const [what, argv, message] of CASES) {
      errors.length = 0; out.length = 0;
      const before = tree();
      const code = await main(argv);
      const problems = [
        code !== 2 && `exit code ${code}`,
        errors.length !== 1 && `${errors.length} lines on stderr`,
        errors.length === 1 && !message.test(errors[0]) && `message does not match ${message}`,
        JSON.stringify(tree()) !== JSON.stringify(before) && `wrote ${tree().filter(p => !before.includes(p)).join(', ')}`,
      ].filter(Boolean);
      if (problems.length) failures.push(`${what}: ${problems.join('; ')}\n    stderr: ${errors.join(' | ')}`);
    }
  } finally { console.error = err; console.log = log; }
  t.diagnostic(`clear: ${CASES.length - failures.length} of ${CASES.length}`);
  assert.deepEqual(failures, []);
  assert.deepEqual(tree(), ['a', 'a/b'], 'nothing written anywhere in the tree');
});

test('seeds at the ends of the range are taken, on train and sweep alike', async () => {
  assert.equal(seedFlag({ seed: '0' }), 0);
  assert.equal(seedFlag({ seed: '4294967295' }), 4294967295);
  assert.equal(seedFlag({}), undefined);
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
  try {
    assert.equal(await main(['sweep', '--presets', 'mnist-fc-deepagrel', '--seeds', '0,4294967295', '--dry-run']), 0);
  } finally { console.log = log; }
  assert.deepEqual(lines.slice(1), ['mnist-fc-deepagrel seed 0 → mnist-fc-deepagrel-s0', 'mnist-fc-deepagrel seed 4294967295 → mnist-fc-deepagrel-s4294967295']);
});
