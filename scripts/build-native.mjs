#!/usr/bin/env node
// Builds the native kernels (native/, C++ over oneDNN 2.6+ or 3.x) with node-gyp. Runs at
// `npm install` (package.json "install") and as `npm run build:native`.
//
// Optional all the way: at install, when the build is skipped or fails, ONE line says why (no
// compiler / no make or python3 for node-gyp / no oneDNN / the oneDNN version found and why it is
// refused / the compiler's first error / a build that does not load) and the command that fixes
// it; the install still succeeds and the wasm path runs. The same reason goes to
// native/build-status.json, where `deepagrel backend` reads it. `--strict` (build:native) exits 1
// on failure and shows the compiler's whole output.
//
// Where oneDNN is looked for: DEEPAGREL_ONEDNN_PREFIX (a folder with include/ and lib/, e.g. a
// oneDNN 3 built by scripts/onednn3.sh), else /usr, /usr/local, /opt/homebrew and CPATH's folders.
// Plain JS (.mjs): it runs before tsx is usable.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NATIVE = path.join(ROOT, 'native');
const STATUS = path.join(NATIVE, 'build-status.json');
const ADDON = path.join(NATIVE, 'build', 'Release', 'deepagrel_native.node');
const strict = process.argv.includes('--strict');
const mac = process.platform === 'darwin';
/** oneDNN versions this source builds against: 2.6 and later 2.x (tested: 2.6.3), 3.x (tested: 3.7.2). */
const SUPPORTED = { min: [2, 6], maxMajor: 3 };

const REBUILD = 'npm run build:native';
const FIX = {
  compiler: mac ? `xcode-select --install, then ${REBUILD}` : `sudo apt install g++ make python3 (or your system's C++ compiler), then ${REBUILD}`,
  onednn: mac ? `brew install onednn, then ${REBUILD}`
    : `sudo apt install libdnnl-dev (Debian/Ubuntu; oneDNN 2.6+ or 3.x), or DEEPAGREL_ONEDNN_PREFIX=<oneDNN install folder> ${REBUILD}`,
  build: `${REBUILD} shows the compiler's whole output`,
};

function finish(ok, fields) {
  const { reason, fix, detail, ...rest } = fields;
  fs.writeFileSync(STATUS, JSON.stringify({ ok, ...(reason ? { reason, fix } : {}), ...rest, at: new Date().toISOString() }, null, 1) + '\n');
  if (ok) {
    console.log(`deepagrel: native kernels built against oneDNN ${rest.onednn.version} (${rest.onednn.prefix}); \`npx deepagrel backend\` shows what runs`);
    process.exit(0);
  }
  console.log(`deepagrel: native kernels not built: ${reason}. Training uses the slower wasm path; to fix: ${fix}.`);
  if (strict && detail) console.error(detail);
  process.exit(strict ? 1 : 0);
}

if (process.env.DEEPAGREL_SKIP_NATIVE_BUILD) {
  finish(false, { reason: 'skipped (DEEPAGREL_SKIP_NATIVE_BUILD is set)', fix: `unset DEEPAGREL_SKIP_NATIVE_BUILD, then ${REBUILD}` });
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const f = path.join(dir, name);
    try { fs.accessSync(f, fs.constants.X_OK); return f; } catch { /* next */ }
  }
  return undefined;
}

// 1. The tools node-gyp needs: a C++ compiler, make, python3.
const cxx = process.env.CXX?.trim().split(/\s+/)[0];
const compiler = cxx ? onPath(cxx) ?? (fs.existsSync(cxx) ? cxx : undefined) : ['c++', 'g++', 'clang++'].map(onPath).find(Boolean);
if (!compiler) finish(false, { reason: `no C++ compiler (looked for ${cxx ? `CXX=${cxx}` : 'c++, g++, clang++'} on PATH)`, fix: FIX.compiler });
for (const tool of ['make', 'python3']) {
  if (!onPath(tool)) finish(false, { reason: `no ${tool} on PATH (node-gyp needs it)`, fix: FIX.compiler });
}
const isClang = /clang/i.test(spawnSync(compiler, ['--version'], { encoding: 'utf8' }).stdout ?? '');

// 2. oneDNN: headers, their version, and the library beside them.
function readVersion(include) {
  // oneDNN 2+ keeps it under oneapi/dnnl/; 1.x (which this code does not build against) at the top.
  const f = [path.join(include, 'oneapi', 'dnnl', 'dnnl_version.h'), path.join(include, 'dnnl_version.h')].find(x => fs.existsSync(x));
  if (!f) return undefined;
  const text = fs.readFileSync(f, 'utf8');
  const part = k => Number(new RegExp(`#define DNNL_VERSION_${k}\\s+(\\d+)`).exec(text)?.[1]);
  return [part('MAJOR'), part('MINOR'), part('PATCH')];
}
const LIB_DIRS = ['lib', 'lib64', 'lib/x86_64-linux-gnu', 'lib/aarch64-linux-gnu'];
const LIB_NAMES = mac ? ['libdnnl.dylib'] : ['libdnnl.so'];
function findLibrary(prefix) {
  for (const d of LIB_DIRS) for (const n of LIB_NAMES) if (fs.existsSync(path.join(prefix, d, n))) return path.join(prefix, d);
  return undefined;
}

const envPrefix = process.env.DEEPAGREL_ONEDNN_PREFIX?.trim();
const prefixes = envPrefix ? [path.resolve(envPrefix)]
  : ['/usr', '/usr/local', '/opt/homebrew', ...(process.env.CPATH ?? '').split(':').filter(Boolean).map(d => path.dirname(path.resolve(d)))];
const found = prefixes.map(prefix => ({ prefix, version: readVersion(path.join(prefix, 'include')) })).find(f => f.version);
if (!found) {
  finish(false, {
    reason: envPrefix ? `oneDNN was not found in DEEPAGREL_ONEDNN_PREFIX=${envPrefix} (no include/oneapi/dnnl/dnnl_version.h)`
      : `oneDNN was not found (no include/oneapi/dnnl/dnnl_version.h under ${prefixes.join(', ')})`,
    fix: FIX.onednn,
  });
}
const [major, minor] = found.version;
const versionText = found.version.join('.');
const onednn = { version: versionText, prefix: found.prefix };
if (major < SUPPORTED.min[0] || (major === SUPPORTED.min[0] && minor < SUPPORTED.min[1]) || major > SUPPORTED.maxMajor) {
  finish(false, {
    reason: `oneDNN ${versionText} found in ${found.prefix}, but this code builds against oneDNN ${SUPPORTED.min.join('.')}+ or 3.x ` +
      `(${major > SUPPORTED.maxMajor ? 'a newer major version, not yet tried' : 'too old: its API lacks what the kernels use'})`,
    fix: FIX.onednn, onednn,
  });
}
const libDir = findLibrary(found.prefix);
if (!libDir) {
  finish(false, { reason: `oneDNN ${versionText} headers in ${found.prefix}/include, but no ${LIB_NAMES.join('/')} in its ${LIB_DIRS.join(', ')}`, fix: FIX.onednn, onednn });
}

// 3. OpenMP for our own elementwise loops (oneDNN has its own threading). Apple clang has none
// built in: Homebrew's libomp when present, else a build without it (those loops single-threaded).
let openmp = true;
const gypVars = [];
if (mac && isClang) {
  const brew = onPath('brew') && spawnSync('brew', ['--prefix', 'libomp'], { encoding: 'utf8' }).stdout?.trim();
  if (brew && fs.existsSync(path.join(brew, 'include', 'omp.h'))) gypVars.push(`-Domp_prefix=${brew}`);
  else openmp = false;
}
gypVars.push(`-Dopenmp=${openmp ? 'true' : 'false'}`);
if (!['/usr', '/usr/local'].includes(found.prefix)) gypVars.push(`-Donednn_prefix=${found.prefix}`, `-Donednn_lib=${libDir}`);

// 4. node-gyp: the one npm passes to lifecycle scripts, else the copy bundled with the npm that
// runs us (npm_execpath), with this node, or on PATH (a node from npm's `node` package has none).
const npmOnPath = onPath('npm');
const npmDirs = [
  process.env.npm_execpath && path.resolve(path.dirname(process.env.npm_execpath), '..'),
  path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm'),
  npmOnPath && path.resolve(path.dirname(fs.realpathSync(npmOnPath)), '..'),
].filter(Boolean);
const candidates = [process.env.npm_config_node_gyp, ...npmDirs.map(d => path.join(d, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))].filter(Boolean);
const gyp = candidates.find(f => fs.existsSync(f));
if (!gyp) finish(false, { reason: 'node-gyp was not found (it comes with npm)', fix: `run the build through npm: ${REBUILD}`, onednn });

// Node's headers, so node-gyp downloads nothing: npm's (npm_config_nodedir), else the ones next to
// this node binary, else any installed Node's (/usr, /usr/local): the addon uses N-API only, at
// NAPI_VERSION 8, whose ABI every Node since 15 keeps — a build made with Node 20's headers loads
// in Node 22 and 24 (a node from npm's `node` package comes without headers). Only when none is
// found does node-gyp fetch the headers of this Node, as it does for any addon.
const headerPrefixes = [path.resolve(path.dirname(process.execPath), '..'), '/usr', '/usr/local'];
const nodePrefix = headerPrefixes.find(p => fs.existsSync(path.join(p, 'include', 'node', 'node_api.h')));
const nodedir = !process.env.npm_config_nodedir && nodePrefix ? [`--nodedir=${nodePrefix}`] : [];
const r = spawnSync(process.execPath, [gyp, 'rebuild', '--release', ...nodedir, '--', ...gypVars], { cwd: NATIVE, encoding: 'utf8', env: process.env });
const output = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
if (r.error || r.status !== 0) {
  const firstError = output.split('\n').find(l => /error|not found|No such file|undefined reference/i.test(l) && !/^gyp (info|http)/.test(l))?.trim();
  finish(false, {
    reason: `the compiler failed against oneDNN ${versionText} (${found.prefix})${firstError ? `: ${firstError.slice(0, 300)}` : ` (node-gyp exit ${r.status ?? r.error?.message})`}`,
    fix: FIX.build, onednn, detail: output,
  });
}

// 5. The build must load here (a library built for a newer C library, say, links but fails now).
const check = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${JSON.stringify(ADDON)}).info()))`], { encoding: 'utf8' });
if (check.status !== 0) {
  const line = (check.stderr ?? '').split('\n').find(l => /Error|error/.test(l))?.trim() ?? `exit ${check.status}`;
  try { fs.rmSync(ADDON); } catch { /* already gone */ }
  finish(false, { reason: `the addon built against oneDNN ${versionText} (${found.prefix}) does not load: ${line.slice(0, 300)}`, fix: FIX.onednn, onednn });
}
const info = JSON.parse(check.stdout);
finish(true, { onednn: { ...onednn, version: info.version, isa: info.isa, runtime: info.runtime }, openmp, compiler: path.basename(compiler) });
