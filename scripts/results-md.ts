// npm run results [-- --check] [--skip status] [--root DIR] [FILE ...]   (default FILE: RESULTS.md)
// Regenerates the generated blocks of a results page from the run records (src/results/generated-blocks.ts):
// each block's `npx deepagrel …` command runs here and its output replaces the block. --check writes
// nothing and fails when a block is out of date (a record was added and the page not regenerated).
// --skip status leaves `status` blocks alone: what they show depends on this machine's processes
// and checkpoints, not only on the records. --root DIR: the commands run there (its results/), e.g. a
// copy of the committed records. CRLF pages keep their line ends.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fillBlocks, findBlocks, type GeneratedBlock } from '../src/results/generated-blocks.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(root, 'bin', 'deepagrel.js');
const { values: v, positionals } = parseArgs({ options: { check: { type: 'boolean' }, skip: { type: 'string' }, root: { type: 'string' } }, allowPositionals: true });
const cwd = path.resolve(v.root ?? root);
const skip = new Set((v.skip ?? '').split(',').filter(Boolean));
const files = positionals.length ? positionals : ['RESULTS.md'];

function run(b: GeneratedBlock, file: string): string {
  if (b.args.includes('--out')) throw new Error(`${file}:${b.open + 1}: a generated block prints its output; "--out" writes a file instead (run that command on its own)`);
  const r = spawnSync(process.execPath, [bin, ...b.args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    throw new Error(`${file}:${b.open + 1}: "${b.command}" failed (${why})${r.stderr?.trim() ? `:\n${r.stderr.trim()}` : ''}`);
  }
  return r.stdout.replace(/\r\n/g, '\n');
}

let stale = 0;
try {
  for (const file of files) {
    const raw = fs.readFileSync(file, 'utf8');
    const crlf = raw.includes('\r\n');
    const text = crlf ? raw.replace(/\r\n/g, '\n') : raw;
    const blocks = findBlocks(text, file);
    const todo = blocks.filter(b => !skip.has(b.args[0]));
    const outputs = new Map(todo.map(b => [b, run(b, file)]));
    const next = fillBlocks(text, blocks, b => outputs.get(b) ?? null);
    const changed = todo.filter(b => fillBlocks(text, [b], () => outputs.get(b)!) !== text);
    if (v.check) {
      for (const b of changed) console.error(`${file}:${b.open + 1}: out of date: ${b.command}`);
      stale += changed.length;
      console.log(`${file}: ${todo.length} generated block(s) checked, ${changed.length} out of date${skip.size ? ` (${blocks.length - todo.length} skipped: ${[...skip].join(', ')})` : ''}`);
    } else {
      if (next !== text) { const tmp = `${file}.tmp-${process.pid}`; fs.writeFileSync(tmp, crlf ? next.replace(/\n/g, '\r\n') : next); fs.renameSync(tmp, file); }
      console.log(`${file}: ${todo.length} generated block(s) regenerated, ${changed.length} changed`);
    }
  }
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
if (stale) { console.error('run `npm run results` to regenerate them from the records'); process.exit(1); }
