// This project's Jupyter kernel: tslab 1.0.22, started by the kernelspec that `npm run kernel`
// registers, as `node --import tsx scripts/tslab-kernel.ts --config-path <connection file>`.
//
// Why not plain tslab: our sources import each other as './x.ts' (tsconfig allowImportingTsExtensions)
// and stock tslab rejects that ("An import path can only end with a '.ts' extension..."). So:
//  1. tslab's compiler gets allowImportingTsExtensions. The option officially needs noEmit, but the
//     resulting complaint is a global diagnostic, which tslab does not report, and emit still works.
//  2. At run time a cell's require('./src/x.ts') misses tslab's own compiled copies (it only maps
//     extensionless paths) and falls through to Node, where tsx (--import tsx) loads the real file,
//     exactly as in the CLI and the tests: one module instance per file, import.meta.url works.
//  3. Type errors inside the project's src/ files are not reported in cells: src is checked by the
//     project's own tsc (5.9, strict); tslab's bundled TypeScript 5.0 would only add version noise.
//     Errors in the cell itself are reported as usual.
//  4. The id of the Jupyter client session (one page load of the notebook) that sent the running
//     cell is kept in a global for src/plots/display.ts: a reloaded page needs the Plotly bundle
//     again although the kernel, and its memory of having sent it, lives on.
// The patches go on a copy of tslab's TypeScript module (its exports are read-only getters),
// installed in require's cache before tslab loads it.

import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const projectSrc = join(realpathSync(projectRoot), 'src') + sep;
const require = createRequire(join(projectRoot, 'package.json'));
const tslabDir = dirname(require.resolve('tslab/package.json'));
const tsPath = require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] });

interface Diagnostic { file?: { fileName: string } }
type Ts = Record<string, any>;

const internalsChanged = () => new Error(`scripts/tslab-kernel.ts adapts tslab 1.0.x; the tslab in ${tslabDir} has other internals`);

const ts = require(tsPath) as Ts;
if (typeof ts.createWatchCompilerHost !== 'function' || typeof ts.getPreEmitDiagnosticsOfFiles !== 'function') throw internalsChanged();
const patched = Object.getOwnPropertyDescriptors(ts);
patched.createWatchCompilerHost = {
  enumerable: true,
  value: (rootFiles: unknown, options: object, ...rest: unknown[]) =>
    ts.createWatchCompilerHost(rootFiles, { ...options, allowImportingTsExtensions: true }, ...rest),
};
patched.getPreEmitDiagnosticsOfFiles = {
  enumerable: true,
  value: (...args: unknown[]) =>
    (ts.getPreEmitDiagnosticsOfFiles(...args) as Diagnostic[]).filter((d) => !d.file || !isProjectSource(d.file.fileName)),
};
require.cache[tsPath]!.exports = Object.defineProperties({}, patched);

function isProjectSource(fileName: string): boolean {
  try {
    return realpathSync(fileName).startsWith(projectSrc); // notebooks reach src/ through a symlink
  } catch {
    return false; // the cell itself is a virtual file
  }
}

// Loaded only now: tslab's modules must find the patched TypeScript in the cache.
const { ZmqServer } = require(join(tslabDir, 'dist', 'jupyter.js')) as {
  ZmqServer?: { prototype: { handleExecute(sock: unknown, msg: { header?: { session?: string } }): Promise<void> } };
};
if (typeof ZmqServer?.prototype.handleExecute !== 'function') throw internalsChanged();
const handleExecute = ZmqServer.prototype.handleExecute;
ZmqServer.prototype.handleExecute = function (sock, msg) {
  (globalThis as Record<symbol, unknown>)[Symbol.for('deepagrel.jupyterClientSession')] = msg?.header?.session;
  return handleExecute.call(this, sock, msg);
};

const args = process.argv.slice(2);
const configPath = args[args.indexOf('--config-path') + 1];
if (!args.includes('--config-path') || !configPath) {
  console.error('usage: node --import tsx scripts/tslab-kernel.ts --config-path <connection file>  (started by Jupyter)');
  process.exit(2);
}
const { startKernel } = require(join(tslabDir, 'dist', 'main.js')) as {
  startKernel(opts: { configPath: string; enableFindLocal: boolean; jsKernel: boolean }): void;
};
startKernel({ configPath, enableFindLocal: false, jsKernel: false });
