// `--feedback <mode>` from the command line (issue 32): train records the mode under its own run
// name in results/weight-transport/ (never in a Table 1 folder), with the per-epoch angle of each
// layer's update to the gradient; sweep takes a list of modes as a grid; bad modes are usage errors;
// `deepagrel weight-transport` prints the table from the records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunFile } from '../../src/results/reader.ts';
import { tempDir } from '../tmp-dir.ts';

const bin = fileURLToPath(new URL('../../bin/deepagrel.js', import.meta.url));
const cli = (args: string[], cwd?: string) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd });
const tiny = ['--per-class', '10', '--val-size', '100', '--test-limit', '100', '--batch-size', '50', '--epochs', '2'];   // the default backend (native where built)

test('train --feedback direct: its own run name and folder, the mode in the record, an angle to the gradient per layer and epoch', { timeout: 180_000 }, () => {
  const dir = tempDir('deepagrel-feedback-');
  const r = cli(['train', '--preset', 'mnist-fc-deepagrel', '--feedback', 'direct', '--seed', '1', ...tiny,
    '--results', path.join(dir, 'results'), '--checkpoints', path.join(dir, 'ck')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /direct feedback, α = 0\.5/);
  const file = path.join(dir, 'results', 'weight-transport', 'mnist-fc-deepagrel-direct-s1.jsonl');
  const run = readRunFile(file);
  assert.equal(run.header.config.feedback, 'direct');
  assert.equal(run.epochs.length, 2);
  for (const e of run.epochs) {
    assert.deepEqual(Object.keys(e.gradientAlignmentDeg ?? {}), ['dense1', 'dense2', 'dense3', 'output']);
    assert.ok(e.gradientAlignmentDeg!.output! < 0.1, 'the output layer gets the true signal');
    assert.ok(e.gradientAlignmentDeg!.dense1! > 10, 'the bottom layer does not');
    assert.equal(e.alignmentDeg, undefined, 'direct mode has no W′ to compare with W');
  }
  assert.deepEqual(fs.readdirSync(path.join(dir, 'results')), ['weight-transport'], 'nothing in table1/');
  // kolen-pollack without a λ gets its default; its W′ angle is recorded too
  const kp = cli(['train', '--preset', 'mnist-fc-ebp', '--feedback', 'kolen-pollack', '--seed', '2', ...tiny,
    '--results', path.join(dir, 'results'), '--checkpoints', path.join(dir, 'ck')]);
  assert.equal(kp.status, 0, kp.stdout + kp.stderr);
  const kr = readRunFile(path.join(dir, 'results', 'weight-transport', 'mnist-fc-ebp-kolen-pollack-s2.jsonl'));
  assert.equal(kr.header.config.weightDecay, 0.01);
  assert.ok(kr.epochs.every(e => e.alignmentDeg && e.gradientAlignmentDeg));
  // the table
  const t = cli(['weight-transport', '--results', path.join(dir, 'results', 'weight-transport')]);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /\|MNIST fc\|deepagrel\|direct\|0\.5\|10\/class, 2 epochs\|1\|2\|/);
  assert.match(t.stdout, /\|MNIST fc\|ebp\|kolen-pollack \(λ 0\.01\)\|0\.1\|10\/class, 2 epochs\|1\|2\|/);
});

test('sweep --feedback: one job per mode, named <preset>[-<mode>]-s<seed>, into weight-transport/; bad lists are usage errors', () => {
  const dry = cli(['sweep', '--presets', 'mnist-fc-deepagrel', '--feedback', 'symmetric,sign-symmetric,direct', '--seeds', '1-2', '--lr', '0.2', '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /^6 job\(s\) into results[/\\]weight-transport:/);
  for (const name of ['mnist-fc-deepagrel-lr0.2-s1', 'mnist-fc-deepagrel-sign-symmetric-lr0.2-s2', 'mnist-fc-deepagrel-direct-lr0.2-s1'])
    assert.ok(dry.stdout.includes(`→ ${name}\n`), `${name} in:\n${dry.stdout}`);
  for (const [arg, msg] of [['bogus', /--feedback expects a mode or a list of modes from symmetric, sign-symmetric, kolen-pollack, reciprocal, fixed-random, direct; got "bogus"/],
    ['direct,direct', /--feedback direct,direct lists a mode twice/]] as const) {
    const r = cli(['sweep', '--presets', 'mnist-fc-deepagrel', '--feedback', arg, '--dry-run']);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const t = cli(['train', '--preset', 'mnist-fc-deepagrel', '--feedback', 'mirror']);
  assert.equal(t.status, 2, t.stderr);
  assert.match(t.stderr, /feedback must be one of symmetric, sign-symmetric, kolen-pollack, reciprocal, fixed-random, direct, got "mirror"/);
  assert.equal(t.stderr.trim().split('\n').length, 1, t.stderr);
  // --feedback symmetric alone is a study's baseline: its own folder, never Table 1's
  const sym = cli(['sweep', '--presets', 'mnist-fc-deepagrel', '--feedback', 'symmetric', '--seeds', '1', '--per-class', '1000', '--dry-run']);
  assert.equal(sym.status, 0, sym.stderr);
  assert.match(sym.stdout, /^1 job\(s\) into results[/\\]weight-transport:\nmnist-fc-deepagrel symmetric seed 1 → mnist-fc-deepagrel-s1\n/);
});
