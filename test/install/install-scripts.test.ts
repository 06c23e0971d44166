// Issue 12, point 12: a clean `npm install` of the workbook is quiet about install scripts — every
// dependency with one is decided in package.json's allowScripts — and the kernel still works
// (zeromq, its transport, is allowed; test/kernel/protocol.test.ts talks to the kernel over it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };

test('allowScripts decides zeromq (allowed: the kernel transport), esbuild and core-js (not needed)', () => {
  assert.equal(pkg.allowScripts?.zeromq, true);
  assert.equal(pkg.allowScripts?.esbuild, false);
  assert.equal(pkg.allowScripts?.['core-js'], false);
  assert.equal(pkg.allowScripts?.['@tensorflow/tfjs-node-gpu'], true);
});

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const probe = spawnSync(npm, ['install-scripts', '--help'], { cwd: root, encoding: 'utf8' });
const hasCommand = probe.status === 0 && /install-scripts/.test(probe.stdout + probe.stderr);

test('`npm install-scripts ls`: no package with an undecided install script', { skip: hasCommand ? false : 'this npm has no install-scripts command (npm ≥ 11.x)' }, () => {
  const ls = spawnSync(npm, ['install-scripts', 'ls'], { cwd: root, encoding: 'utf8' });
  assert.equal(ls.status, 0, ls.stderr);
  assert.match(ls.stdout + ls.stderr, /No packages with unreviewed install scripts/, ls.stdout + ls.stderr);
});

// Issue 28: `npm install` downloads no libtensorflow. tfjs-node(-gpu) is an opt-in the user installs
// on purpose (README; allowScripts above lets its script run then); nothing in package.json or the
// lock file brings it, and no locked package's install script fetches anything.
test('npm install brings no tfjs-node(-gpu) (its install script downloads libtensorflow): an opt-in', () => {
  const all = pkg as Record<string, unknown>;
  for (const field of ['dependencies', 'optionalDependencies', 'devDependencies', 'peerDependencies']) {
    const deps = Object.keys((all[field] ?? {}) as object);
    assert.deepEqual(deps.filter(d => d.startsWith('@tensorflow/tfjs-node')), [], `${field} of package.json`);
  }
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
  assert.deepEqual(Object.keys(lock.packages).filter(p => p.includes('@tensorflow/tfjs-node')), []);
  // Every locked package with an install script: decided in allowScripts, and none of them a downloader.
  const withScripts = Object.entries(lock.packages).filter(([, v]) => v.hasInstallScript).map(([k]) => k.replace(/^.*node_modules\//, '')).filter(k => k !== '');   // '': this package (builds the addon)
  assert.deepEqual(withScripts.filter(p => !(p in (pkg.allowScripts ?? {}))), [], 'undecided install scripts');
  // webgpu's only removes macOS's quarantine flag from its bundled Dawn; zeromq's checks its prebuilt addon.
  assert.deepEqual(withScripts.filter(p => pkg.allowScripts?.[p]).sort(), ['webgpu', 'zeromq'], 'the install scripts allowed to run');
});
