#!/usr/bin/env node
// Builds the native kernels (native/, C++ over oneDNN) with node-gyp. Runs at `npm install`
// (package.json "install") and as `npm run build:native`.
//
// Optional all the way: at install, any failure (no compiler, no oneDNN, no headers) prints one
// line and exits 0, so the install succeeds and the wasm path runs. The reason goes to
// native/build-status.json, where `deepagrel backend` reads it. `--strict` (build:native) exits 1
// on failure and shows the compiler's output. Plain JS (.mjs): it runs before tsx is usable.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NATIVE = path.join(ROOT, 'native');
const STATUS = path.join(NATIVE, 'build-status.json');
const strict = process.argv.includes('--strict');
const HINT = 'install oneDNN (Debian/Ubuntu: sudo apt install libdnnl-dev; macOS: brew install onednn), then npm run build:native';

function finish(ok, reason, detail = '') {
  fs.writeFileSync(STATUS, JSON.stringify({ ok, ...(reason ? { reason } : {}), at: new Date().toISOString() }, null, 1) + '\n');
  if (ok) {
    console.log('deepagrel: native kernels built (oneDNN); `npx deepagrel backend` shows what runs');
    process.exit(0);
  }
  console.log(`deepagrel: native kernels not built: ${reason}. Training uses the wasm path; for the faster native path, ${HINT}.`);
  if (strict && detail) console.error(detail);
  process.exit(strict ? 1 : 0);
}

if (process.env.DEEPAGREL_SKIP_NATIVE_BUILD) finish(false, 'skipped (DEEPAGREL_SKIP_NATIVE_BUILD is set)');

// oneDNN's header where the package managers put it (the compiler may know more places; this
// check only makes the common failure a clear sentence instead of a compiler error).
const INCLUDE_DIRS = ['/usr/include', '/usr/local/include', '/opt/homebrew/include', ...(process.env.CPATH ?? '').split(':').filter(Boolean)];
if (!INCLUDE_DIRS.some(d => fs.existsSync(path.join(d, 'oneapi', 'dnnl', 'dnnl.hpp')))) {
  finish(false, `oneDNN was not found (no oneapi/dnnl/dnnl.hpp in ${INCLUDE_DIRS.join(', ')})`);
}

// node-gyp: the one npm passes to lifecycle scripts, else the copy bundled with npm.
const candidates = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter(Boolean);
const gyp = candidates.find(f => fs.existsSync(f));
if (!gyp) finish(false, 'node-gyp was not found (it comes with npm; run this through npm: npm run build:native)');

// Node's own headers, so node-gyp downloads nothing: npm passes them (npm_config_nodedir); run
// directly (node scripts/build-native.mjs), use the ones installed next to this node binary.
const prefix = path.resolve(path.dirname(process.execPath), '..');
const nodedir = !process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
const r = spawnSync(process.execPath, [gyp, 'rebuild', '--release', ...nodedir], { cwd: NATIVE, encoding: 'utf8', env: process.env });
const output = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
if (r.error || r.status !== 0) {
  const firstError = output.split('\n').find(l => /error|not found|No such file/i.test(l) && !/^gyp (info|http)/.test(l))?.trim();
  finish(false, `node-gyp failed${firstError ? `: ${firstError.slice(0, 300)}` : ` (exit ${r.status ?? r.error?.message})`}`, output);
}
finish(true);
