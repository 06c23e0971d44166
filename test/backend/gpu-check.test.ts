// `npm run gpu-check -- --quick` end to end on whatever WebGPU adapter exists (CI: lavapipe), and
// the GPU bundle (`npm run gpu-bundle`) run from a copy with no Node.js on PATH — the latter only
// with DEEPAGREL_TEST_BUNDLE=1 (it builds ~190 MB and compresses it: minutes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { WEBGPU } from '../engine/backends.ts';
import { tempDir } from '../tmp-dir.ts';

const root = path.resolve(import.meta.dirname, '../..');
const noAdapter = WEBGPU.reason ? `no WebGPU adapter here (${WEBGPU.reason})` : false;

interface Report { ok: boolean; backend: string; adapter?: { software: boolean; kind: string }; derivation: { pass: boolean; maxRelativeError: number };
  steps: { net: string; batch: number; inputShape: number[]; msMedian: Record<string, number>; samplesPerSec: Record<string, number>; epochSecondsEstimate: Record<string, number> }[];
  epoch: { testAccuracy: number; seconds: number; epochsPerHour: number; trainImages: number } }

function lastJson(stdout: string): Report {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  assert.match(line, /^gpu-check \{/, `last line should be the JSON report, got: ${line.slice(0, 200)}`);
  return JSON.parse(line.slice('gpu-check '.length)) as Report;
}

function checkReport(r: Report): void {
  assert.equal(r.ok, true);
  assert.equal(r.backend, 'webgpu');
  assert.equal(typeof r.adapter?.software, 'boolean');
  assert.equal(r.derivation.pass, true);
  assert.ok(r.derivation.maxRelativeError <= 1e-5);
  assert.match(r.adapter?.kind ?? '', /^(discrete|integrated|software|unknown)$/);
  // The bench's two conv nets (narrow in --quick), both rules: step times, samples/s, an epoch's estimate.
  assert.deepEqual(r.steps.map(s => [s.net, s.inputShape]), [['mnist-conv', [28, 28, 1]], ['cifar-conv', [32, 32, 3]]]);
  for (const s of r.steps) for (const rule of ['deepagrel', 'ebp']) {
    assert.ok(s.msMedian[rule] > 0, `${s.net} ${rule} step time`);
    assert.equal(s.samplesPerSec[rule], Math.round(s.batch / (s.msMedian[rule] / 1000)));
    assert.ok(s.epochSecondsEstimate[rule] > 0);
  }
  assert.equal(r.epoch.trainImages, 2000);
  assert.ok(Math.abs(r.epoch.epochsPerHour - 3600 / r.epoch.seconds) <= 0.1 + 3600 / r.epoch.seconds * 0.06, `${r.epoch.epochsPerHour} epochs/h from ${r.epoch.seconds} s`);
  // The tiny net after one short epoch: well above chance (10%); 43.5% here on cpu and webgpu alike.
  assert.ok(r.epoch.testAccuracy > 0.3, `test accuracy ${r.epoch.testAccuracy}`);
}

test('gpu-check: bad arguments get one message and exit status 2', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gpu-check.ts', '--seed', 'x'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--seed must be an integer, got 'x'/);
  assert.match(r.stderr, /usage: npm run gpu-check/);
});

test('gpu-check --quick on webgpu: adapter, derivation, step times, one epoch, one JSON line', { skip: noAdapter }, () => {
  const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/gpu-check.ts', '--quick'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(stdout, /^backend: webgpu on /m);
  checkReport(lastJson(stdout));
});

const bundleSkip = noAdapter || (process.env.DEEPAGREL_TEST_BUNDLE === '1' ? false : 'set DEEPAGREL_TEST_BUNDLE=1 (builds and compresses the bundle: minutes)');
test('gpu bundle: ≤ 60 MiB, runs from a copy with no Node.js on PATH and the bundled Vulkan loader', { skip: bundleSkip }, () => {
  const tmp = tempDir('gpu-bundle-test-');
  try {
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/gpu-bundle.ts', '--out', path.join(tmp, 'built')], { cwd: root, stdio: 'pipe' });
    const size = fs.readdirSync(path.join(tmp, 'built')).reduce((s, f) => s + fs.statSync(path.join(tmp, 'built', f)).size, 0);
    assert.ok(size <= 60 * 1024 * 1024, `bundle ${size} bytes`);
    fs.cpSync(path.join(tmp, 'built'), path.join(tmp, 'node-x'), { recursive: true });
    // A PATH with the shell tools run.sh needs and nothing else: no node, no ldconfig (so run.sh
    // takes the bundled libvulkan.so.1).
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    for (const t of ['sh', 'tar', 'xz', 'mkdir', 'touch', 'dirname', 'grep']) {
      fs.symlinkSync(execFileSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).trim(), path.join(bin, t));
    }
    const env: Record<string, string> = { PATH: bin, HOME: tmp };
    for (const k of ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES']) if (process.env[k]) env[k] = process.env[k]!;
    const r = spawnSync(path.join(tmp, 'node-x', 'run.sh'), ['--quick'], { cwd: path.join(tmp, 'node-x'), env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    assert.ok(!spawnSync('sh', ['-c', 'command -v node'], { env, encoding: 'utf8' }).stdout.trim(), 'node must not be on PATH');
    checkReport(lastJson(r.stdout));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
