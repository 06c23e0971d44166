// RESULTS.md is regenerated from the run records, never edited by hand: its generated blocks must
// equal what their commands print from the committed records (`npm run results` rewrites them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fillBlocks, findBlocks, splitArgs } from '../../src/results/generated-blocks.ts';
import { tempDir } from '../tmp-dir.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = path.join(root, 'scripts', 'results-md.ts');

const page = ['# R', '<!-- generated: npx deepagrel table --results "results/a b" -->', 'old', 'rows', '<!-- end generated -->',
  'prose', '<!-- generated as code: npx deepagrel status -->', '```', 'x', '```', '<!-- end generated -->', ''].join('\n');

test('generated blocks: found with their commands, refilled, prose kept', () => {
  const blocks = findBlocks(page);
  assert.deepEqual(blocks.map(b => [b.args, b.asCode, b.open, b.close]),
    [[['table', '--results', 'results/a b'], false, 1, 4], [['status'], true, 6, 10]]);
  const out = fillBlocks(page, blocks, b => b.args[0] === 'table' ? '|new|\n\n' : 'state\n');
  assert.equal(out, ['# R', '<!-- generated: npx deepagrel table --results "results/a b" -->', '|new|', '<!-- end generated -->',
    'prose', '<!-- generated as code: npx deepagrel status -->', '```', 'state', '```', '<!-- end generated -->', ''].join('\n'));
  assert.equal(fillBlocks(page, blocks, () => null), page);
  assert.deepEqual(splitArgs(`a 'b c' "d" e`), ['a', 'b c', 'd', 'e']);
  // A marker shown as an example inside a fence is not a block.
  assert.deepEqual(findBlocks('```md\n<!-- generated: npx deepagrel table -->\n```\n'), []);
});

test('generated blocks: a malformed page is an error naming the line', () => {
  assert.throws(() => findBlocks('<!-- generated: npx deepagrel table -->\nx', 'R.md'), /R\.md:1: generated block never closed/);
  assert.throws(() => findBlocks('x\n<!-- end generated -->', 'R.md'), /R\.md:2: .* without an opening/);
  assert.throws(() => findBlocks('<!-- generated: rm -rf / -->\n<!-- end generated -->', 'R.md'), /R\.md:1: .*must be "npx deepagrel <command> …"/);
  assert.throws(() => findBlocks('<!-- generated: npx deepagrel table -->\n<!-- generated: npx deepagrel table -->', 'R.md'), /R\.md:2: .*opens inside/);
});

test('results script: --check fails on a stale block and names it; a rewrite makes it pass', { timeout: 120_000 }, () => {
  const dir = tempDir('deepagrel-results-md-');
  const file = path.join(dir, 'R.md');
  fs.writeFileSync(file, '# R\n<!-- generated: npx deepagrel presets -->\nstale\n<!-- end generated -->\n');
  const check = () => spawnSync(process.execPath, ['--import', 'tsx', script, '--check', file], { cwd: root, encoding: 'utf8' });
  const stale = check();
  assert.equal(stale.status, 1, stale.stdout + stale.stderr);
  assert.match(stale.stderr, /R\.md:2: out of date: npx deepagrel presets/);
  const write = spawnSync(process.execPath, ['--import', 'tsx', script, file], { cwd: root, encoding: 'utf8' });
  assert.equal(write.status, 0, write.stderr);
  assert.match(fs.readFileSync(file, 'utf8'), /mnist-conv-deepagrel/);
  assert.equal(check().status, 0);
  // A CRLF page (a Windows checkout) is up to date when its text is, and keeps its line ends.
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
  assert.equal(check().status, 0, check().stderr);
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('mnist-conv-deepagrel', 'edited'));
  assert.equal(check().status, 1);
  assert.equal(spawnSync(process.execPath, ['--import', 'tsx', script, file], { cwd: root, encoding: 'utf8' }).status, 0);
  const crlf = fs.readFileSync(file, 'utf8');
  assert.ok(crlf.includes('mnist-conv-deepagrel') && !/[^\r]\n/.test(crlf), 'rewritten with CRLF line ends only');
});

test('RESULTS.md and README.md: every generated block equals what its command prints from the committed records', { timeout: 240_000 }, () => {
  // The committed pages and records (git archive HEAD), so runs still writing records here do not
  // count; outside a git checkout, the files as they are. README's "What the reproduction found" is
  // such a block (`deepagrel findings`): every number in it comes from the records.
  let where = root;
  if (fs.existsSync(path.join(root, '.git'))) {
    where = tempDir('deepagrel-committed-');
    const tar = spawnSync('sh', ['-c', `git archive HEAD -- RESULTS.md README.md results | tar -x -C '${where}'`], { cwd: root, encoding: 'utf8' });
    assert.equal(tar.status, 0, tar.stderr);
  }
  const pages = ['RESULTS.md', 'README.md'].map(p => path.join(where, p));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--check', '--skip', 'status', '--root', where, ...pages], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /RESULTS\.md: [1-9]\d* generated block\(s\) checked, 0 out of date/);
  assert.match(r.stdout, /README\.md: 1 generated block\(s\) checked, 0 out of date/);
  assert.match(fs.readFileSync(pages[1], 'utf8'), /<!-- generated: npx deepagrel findings [^\n]*-->\n- \*\*MNIST\*\*/, 'README carries the findings block, filled');
});
