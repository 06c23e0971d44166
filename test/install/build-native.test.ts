// Issue 28: the install tells the truth. scripts/build-native.mjs, run as `npm install` runs it, on
// machines it cannot build for: each gets ONE line naming the reason and the command that fixes it,
// the install still succeeds (exit 0), and native/build-status.json keeps the reason for
// `deepagrel backend`. The script runs from a copy of the project (so the real build is untouched).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../tmp-dir.ts';

const root = path.join(import.meta.dirname, '..', '..');

/** A copy of the build's inputs (script, binding.gyp, sources) with node_modules linked in. */
function copyProject(): string {
  const dir = tempDir('build-native-');
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.copyFileSync(path.join(root, 'scripts', 'build-native.mjs'), path.join(dir, 'scripts', 'build-native.mjs'));
  fs.cpSync(path.join(root, 'native', 'src'), path.join(dir, 'native', 'src'), { recursive: true });
  fs.copyFileSync(path.join(root, 'native', 'binding.gyp'), path.join(dir, 'native', 'binding.gyp'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** A fake oneDNN install: its version header, and optionally a library file and a dnnl.hpp. */
function fakeOnednn(version: [number, number, number], opts: { lib?: boolean; hpp?: string } = {}): string {
  const prefix = tempDir('fake-onednn-');
  const inc = path.join(prefix, 'include', 'oneapi', 'dnnl');
  fs.mkdirSync(inc, { recursive: true });
  fs.writeFileSync(path.join(inc, 'dnnl_version.h'),
    ['MAJOR', 'MINOR', 'PATCH'].map((k, i) => `#define DNNL_VERSION_${k} ${version[i]}\n`).join(''));
  if (opts.hpp != null) fs.writeFileSync(path.join(inc, 'dnnl.hpp'), opts.hpp);
  if (opts.lib) { fs.mkdirSync(path.join(prefix, 'lib')); fs.writeFileSync(path.join(prefix, 'lib', 'libdnnl.so'), ''); }
  return prefix;
}

function build(dir: string, env: Record<string, string>) {
  const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'build-native.mjs')], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000,
  });
  const status = JSON.parse(fs.readFileSync(path.join(dir, 'native', 'build-status.json'), 'utf8'));
  return { code: r.status, stdout: r.stdout, lines: r.stdout.trim().split('\n').filter(Boolean), status };
}

/** The one line: it says "not built", the reason, the wasm fallback and a command to fix it. */
function assertOneLine(r: ReturnType<typeof build>, reason: RegExp, fix: RegExp) {
  assert.equal(r.code, 0, 'the install must still succeed');
  assert.equal(r.lines.length, 1, `one line, got:\n${r.stdout}`);
  assert.match(r.lines[0], /^deepagrel: native kernels not built: /);
  assert.match(r.lines[0], reason);
  assert.match(r.lines[0], /Training uses the slower wasm path; to fix: /);
  assert.match(r.lines[0], fix);
  assert.equal(r.status.ok, false);
  assert.match(r.status.reason, reason);
  assert.match(r.status.fix, fix);
}

test('no C++ compiler: the reason, and how to install one', () => {
  const dir = copyProject();
  const r = build(dir, { CXX: 'no-such-compiler' });
  assertOneLine(r, /no C\+\+ compiler \(looked for CXX=no-such-compiler on PATH\)/, /apt install g\+\+ make python3.*npm run build:native/);
});

test('no oneDNN where it was pointed: the reason, and how to install it', () => {
  const dir = copyProject();
  const r = build(dir, { DEEPAGREL_ONEDNN_PREFIX: path.join(dir, 'nowhere') });
  assertOneLine(r, /oneDNN was not found in DEEPAGREL_ONEDNN_PREFIX=.*nowhere/, /apt install libdnnl-dev.*DEEPAGREL_ONEDNN_PREFIX=/);
});

test('a oneDNN version it cannot build against (1.8, 4.0): the version found and why it is refused', () => {
  const dir = copyProject();
  let r = build(dir, { DEEPAGREL_ONEDNN_PREFIX: fakeOnednn([1, 8, 0], { lib: true }) });
  assertOneLine(r, /oneDNN 1\.8\.0 found in .*, but this code builds against oneDNN 2\.6\+ or 3\.x \(too old/, /libdnnl-dev/);
  assert.equal(r.status.onednn.version, '1.8.0');
  r = build(dir, { DEEPAGREL_ONEDNN_PREFIX: fakeOnednn([4, 0, 0], { lib: true }) });
  assertOneLine(r, /oneDNN 4\.0\.0 found .*\(a newer major version, not yet tried\)/, /libdnnl-dev/);
});

test('headers without the library beside them', () => {
  const dir = copyProject();
  const r = build(dir, { DEEPAGREL_ONEDNN_PREFIX: fakeOnednn([3, 7, 2]) });
  assertOneLine(r, /oneDNN 3\.7\.2 headers in .*, but no libdnnl\.so in its lib, lib64/, /libdnnl-dev/);
});

test("a compiler error: its first line, and the command that shows the whole output", { timeout: 120_000 }, () => {
  const dir = copyProject();
  const r = build(dir, { DEEPAGREL_ONEDNN_PREFIX: fakeOnednn([3, 7, 2], { lib: true, hpp: '#error "this oneDNN header is broken on purpose"\n' }) });
  assertOneLine(r, /the compiler failed against oneDNN 3\.7\.2 .*broken on purpose/, /npm run build:native shows the compiler's whole output/);
  assert.equal(fs.existsSync(path.join(dir, 'native', 'build', 'Release', 'deepagrel_native.node')), false);
});

test('DEEPAGREL_SKIP_NATIVE_BUILD: says it was skipped and how to build', () => {
  const dir = copyProject();
  const r = build(dir, { DEEPAGREL_SKIP_NATIVE_BUILD: '1' });
  assertOneLine(r, /skipped \(DEEPAGREL_SKIP_NATIVE_BUILD is set\)/, /unset DEEPAGREL_SKIP_NATIVE_BUILD, then npm run build:native/);
});

test('`deepagrel backend` repeats the build\'s reason and fix when the addon is missing', () => {
  const dir = copyProject();
  const r = build(dir, { DEEPAGREL_ONEDNN_PREFIX: fakeOnednn([1, 8, 0], { lib: true }) });
  // The CLI reads the copy's native folder (no addon there, its status file).
  const cli = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'cli.ts'), 'backend', '--backend', 'wasm'], {
    cwd: root, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, DEEPAGREL_BACKEND: '', DEEPAGREL_NATIVE_ADDON: '', DEEPAGREL_NATIVE_DIR: path.join(dir, 'native') },
  });
  assert.equal(cli.status, 0, cli.stderr);
  const line = cli.stdout.split('\n').find(l => l.startsWith('native'));
  assert.ok(line, cli.stdout);
  assert.match(line!, /native +off: the native addon is not built \(the build at install did not make it: oneDNN 1\.8\.0 found/);
  assert.match(line!, new RegExp(`to get it: ${r.status.fix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
});
