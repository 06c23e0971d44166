// Standalone figure pages.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFigureHtml } from '../../src/plots/html.ts';
import { plotlyVersion } from '../../src/plots/plotly-bundle.ts';
import { tempDir } from '../tmp-dir.ts';

const fig = { data: [{ type: 'bar', x: ['a', 'b'], y: [1, 2] }], layout: { title: { text: 'Bars & <things>' } } };

test('writeFigureHtml: offline page with the bundle inlined, or a CDN page; written atomically', async (t) => {
  const dir = tempDir('deepagrel-html-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const offline = await writeFigureHtml(fig, join(dir, 'sub', 'offline.html'));
  const page = readFileSync(offline, 'utf8');
  assert.ok(page.startsWith('<!DOCTYPE html>'));
  assert.match(page, /<title>Bars &amp; &lt;things&gt;<\/title>/);
  assert.ok(page.includes(`plotly.js v${plotlyVersion()}`));
  assert.ok(page.length > 1_000_000);

  const online = readFileSync(await writeFigureHtml(fig, join(dir, 'cdn.html'), { inlineBundle: false }), 'utf8');
  assert.ok(online.includes(`https://cdn.plot.ly/plotly-${plotlyVersion()}.min.js`));
  assert.ok(online.length < 5_000);

  assert.deepEqual(readdirSync(dir).sort(), ['cdn.html', 'sub']);
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['offline.html']);
});
