// Figure export through a headless Chromium. These tests need a browser (CI installs Debian's
// chromium); without one they fail with the BrowserNotFoundError message saying how to get one.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlotlyFigure } from '../../src/plots/types.ts';
import { exportFigure, exportFormats, pngInfo } from '../../src/plots/export.ts';
import { exportCommand } from '../../src/plots/export-cli.ts';
import { BrowserNotFoundError, closeBrowser, findChromium, withPage } from '../../src/plots/browser.ts';
import { tempDir } from '../tmp-dir.ts';

const dir = tempDir('deepagrel-export-');
after(async () => { await closeBrowser(); rmSync(dir, { recursive: true, force: true }); });

const fig: PlotlyFigure = {
  data: [
    { type: 'scatter', mode: 'lines', name: 'DeepAGREL', x: [1, 2, 3, 4], y: [0.5, 0.8, 0.9, 0.95] },
    { type: 'scatter', mode: 'lines', name: 'EBP', x: [1, 2, 3, 4], y: [0.6, 0.85, 0.92, 0.96] },
  ],
  layout: { title: { text: 'Export test </script> & <b>' }, xaxis: { title: { text: 'epoch' } } },
};
const size = { width: 640, height: 360, scale: 2 };

test('a browser is available for figure export', () => {
  // Fails loudly, with install instructions, on a machine without Chromium/Chrome.
  assert.ok(findChromium());
});

test('SVG: well-formed XML with the requested width and height; HTML written beside it', async () => {
  const out = join(dir, 'fig.svg');
  assert.deepEqual(await exportFigure(fig, out, size), [out, join(dir, 'fig.html')]);
  const svg = readFileSync(out, 'utf8');
  const root = await withPage((page) => page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const el = doc.documentElement;
    return { error: doc.getElementsByTagName('parsererror').length, name: el.nodeName, width: el.getAttribute('width'), height: el.getAttribute('height') };
  }, svg));
  assert.deepEqual(root, { error: 0, name: 'svg', width: '640', height: '360' });
  assert.match(svg, /Export test/);
  assert.ok(readFileSync(join(dir, 'fig.html'), 'utf8').includes('plotly.js v'));
});

test('PNG: signature and IHDR size = width·scale × height·scale', async () => {
  const out = join(dir, 'fig.png');
  await exportFigure(fig, out, size);
  const png = readFileSync(out);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1280, 720]);
});

test('PNG for print (issue 30): dpi 300 = scale 3.125, and the file says 300 dpi (pHYs) so it is placed at the figure\'s size', async () => {
  const out = join(dir, 'print.png');
  await exportFigure(fig, out, { width: 640, height: 360, dpi: 300 });
  const png = readFileSync(out);
  assert.deepEqual(pngInfo(png), { width: 2000, height: 1125, dpi: 300 });
  // chunks intact: IHDR first, pHYs before the image data, IEND last, every CRC right
  const chunks: string[] = [];
  for (let at = 8; at < png.length;) {
    const len = png.readUInt32BE(at);
    chunks.push(png.toString('latin1', at + 4, at + 8));
    at += 12 + len;
  }
  assert.equal(chunks[0], 'IHDR');
  assert.ok(chunks.indexOf('pHYs') < chunks.indexOf('IDAT'));
  assert.equal(chunks.filter((c) => c === 'pHYs').length, 1);
  assert.equal(chunks.at(-1), 'IEND');
  // the browser decodes it (a wrong CRC or length would not)
  const size = await withPage((page) => page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    return [img.naturalWidth, img.naturalHeight];
  }, png.toString('base64')));
  assert.deepEqual(size, [2000, 1125]);
  // scale stays what it was: the default 1 is screen resolution, 96 dpi
  const screen = join(dir, 'screen.png');
  await exportFigure(fig, screen, { width: 640, height: 360 });
  assert.deepEqual(pngInfo(readFileSync(screen)), { width: 640, height: 360, dpi: 96 });
  // exportFormats (the notebooks' export cells): print resolution unless told otherwise
  const formats = await exportFormats(fig, dir, 'paper', ['png'], { width: 320, height: 192 });
  assert.deepEqual(pngInfo(readFileSync(formats.files[0])), { width: 1000, height: 600, dpi: 300 });
});

test('PDF: one page of width × height CSS pixels, in points', async () => {
  const out = join(dir, 'fig.pdf');
  await exportFigure(fig, out, size);
  const pdf = readFileSync(out).toString('latin1');
  assert.ok(pdf.startsWith('%PDF-'));
  assert.equal(pdf.match(/\/Type\s*\/Page\b/g)?.length, 1);
  const box = /\/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]/.exec(pdf);
  assert.ok(box, 'MediaBox present');
  assert.deepEqual(box.slice(1).map(Number), [0, 0, 640 * 0.75, 360 * 0.75]);
});

test('.html alone needs no browser; no temp files are left behind', async () => {
  const out = join(dir, 'only.html');
  assert.deepEqual(await exportFigure(fig, out, { browserPath: '/nonexistent/chromium' }), [out]);
  assert.ok(existsSync(out));
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('missing browser: one clear error, and the HTML is still written', async () => {
  const out = join(dir, 'nobrowser.png');
  await assert.rejects(exportFigure(fig, out, { browserPath: '/nonexistent/chromium' }), (err: Error) => {
    assert.ok(err instanceof BrowserNotFoundError);
    assert.match(err.message, /\/nonexistent\/chromium/);
    assert.match(err.message, /apt-get install chromium/);
    assert.match(err.message, /DEEPAGREL_CHROMIUM/);
    assert.match(err.message, /nobrowser\.html/);
    return true;
  });
  assert.ok(existsSync(join(dir, 'nobrowser.html')));
  assert.ok(!existsSync(out));
});

test('unsupported extension and bad sizes are rejected before any work', async () => {
  await assert.rejects(exportFigure(fig, join(dir, 'fig.jpg')), /must end in \.svg, \.png, \.pdf, \.html/);
  await assert.rejects(exportFigure(fig, join(dir, 'bad.svg'), { width: -1 }), /width must be a positive number/);
  assert.ok(!existsSync(join(dir, 'bad.html')));
});

test('deepagrel export <figure.json> --out x.svg --width --height', async () => {
  const json = join(dir, 'figure.json');
  writeFileSync(json, JSON.stringify(fig));
  const out = join(dir, 'cli.svg');
  assert.equal(await exportCommand([json, '--out', out, '--width', '300', '--height', '200']), 0);
  assert.match(readFileSync(out, 'utf8'), /^<svg[^>]* width="300" height="200"/);
  assert.ok(existsSync(join(dir, 'cli.html')));
  assert.equal(await exportCommand([json]), 2);                                  // no --out
  assert.equal(await exportCommand([json, '--out', out, '--scale', 'x']), 2);    // bad number
  assert.equal(await exportCommand([join(dir, 'missing.json'), '--out', out]), 1);
});
