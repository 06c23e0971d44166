// Figure export from notebooks: without a browser, a note and the HTML page, not a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportFormats } from '../../src/plots/export.ts';
import { tempRoot } from '../results/fixtures.ts';

test('no Chromium: the HTML page is written and the note says what is missing', async () => {
  const saved = process.env.DEEPAGREL_CHROMIUM;
  process.env.DEEPAGREL_CHROMIUM = path.join(tempRoot(), 'no-such-browser');
  try {
    const dir = tempRoot();
    const out = await exportFormats({ data: [{ type: 'bar', y: [1, 2] }], layout: { title: { text: 'x' } } }, dir, 'fig', ['svg', 'png']);
    assert.deepEqual(out.files, [path.join(dir, 'fig.html')]);
    assert.ok(fs.statSync(path.join(dir, 'fig.html')).size > 1_000_000);
    assert.equal(out.notes.length, 1);
    assert.match(out.notes[0], /^No SVG: Browser not found at .*no-such-browser \(from DEEPAGREL_CHROMIUM\)\. Figure export \(SVG\/PNG\/PDF\) needs Chromium/);
  } finally {
    if (saved === undefined) delete process.env.DEEPAGREL_CHROMIUM; else process.env.DEEPAGREL_CHROMIUM = saved;
  }
});
