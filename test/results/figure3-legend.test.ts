// Issue 12, point 5: Figure 3 as the notebooks show it (titled) — drawn by Plotly in headless
// Chromium, its legend must not sit on the title, nor on the panel titles. Skips without Chromium.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readRuns } from '../../src/results/reader.ts';
import { RunWriter } from '../../src/results/writer.ts';
import { figure3 } from '../../src/results/figure3.ts';
import { titled } from '../../src/notebook/params.ts';
import { writeFigureHtml } from '../../src/plots/html.ts';
import { closeBrowser, findChromium, withPage } from '../../src/plots/browser.ts';
import { end, epoch, header, tempRoot } from './fixtures.ts';
import { tempDir } from '../tmp-dir.ts';

const dir = tempDir('deepagrel-legend-');
after(async () => { await closeBrowser(); rmSync(dir, { recursive: true, force: true }); });

let chromium: string | undefined;
try { chromium = findChromium(); } catch { chromium = undefined; }

const root = tempRoot();
for (const [preset, seed, values] of [['mnist-fc-deepagrel', 1, [0.3, 0.6, 0.8]], ['mnist-fc-ebp', 1, [0.5, 0.9, 0.95]],
  ['cifar10-fc-deepagrel', 1, [0.2, 0.3]], ['cifar10-fc-ebp', 1, [0.3, 0.4]]] as const) {
  const w = RunWriter.create(header({ preset, seed }), { root });
  values.forEach((v, i) => w.appendEpoch(epoch(i + 1, v)));
  w.end(end(values.length, 0.5));
}

type Box = { top: number; bottom: number; left: number; right: number };
const overlap = (a: Box, b: Box) => a.top < b.bottom && b.top < a.bottom && a.left < b.right && b.left < a.right;

for (const quick of [false, true]) {
  test(`Figure 3${quick ? ' (QUICK-mode title)' : ''}: title, legend and panel titles do not overlap when drawn`, { skip: chromium ? false : 'no Chromium (apt-get install chromium)' }, async () => {
    const runs = readRuns(root).filter((r) => r.header.preset.includes('-fc-'));
    const fig = titled(figure3(runs, { arch: 'fc' }), 'Reward probability (DeepAGREL) vs 1 − training error (EBP)', quick);
    const html = await writeFigureHtml(fig, join(dir, `figure3-${quick}.html`));
    const boxes = await withPage(async (page) => {
      await page.goto(pathToFileURL(html).href);
      await page.waitForSelector('.legend .traces');
      // a string, not a function: tsx would wrap named arrow functions in a helper the page lacks
      return page.evaluate(`(() => {
        function box(el) { const r = el.getBoundingClientRect(); return { top: r.top, bottom: r.bottom, left: r.left, right: r.right }; }
        return {
          title: [...document.querySelectorAll('.gtitle')].map(box),
          legend: [...document.querySelectorAll('.legend .traces')].map(box),
          panels: [...document.querySelectorAll('.annotation')].filter((a) => /MNIST|CIFAR/.test(a.textContent || '') && !/Runs per epoch/.test(a.textContent || '')).map(box),
        };
      })()`) as Promise<{ title: Box[]; legend: Box[]; panels: Box[] }>;
    });
    assert.equal(boxes.title.length, 1, 'one title');
    assert.ok(boxes.legend.length >= 2, 'legend entries drawn');
    assert.ok(boxes.panels.length >= 2, 'panel titles drawn');
    for (const l of boxes.legend) {
      assert.ok(!overlap(l, boxes.title[0]), `legend entry ${JSON.stringify(l)} overlaps the title ${JSON.stringify(boxes.title[0])}`);
      for (const p of boxes.panels) assert.ok(!overlap(l, p), `legend entry ${JSON.stringify(l)} overlaps a panel title ${JSON.stringify(p)}`);
    }
  });
}
