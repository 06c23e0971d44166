// `deepagrel export <figure.json> --out x.svg [--width --height --scale --browser]`: render a saved
// PlotlyFigure JSON to SVG/PNG/PDF/HTML. Exit codes: 0 written, 1 failed, 2 bad usage.

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { PlotlyFigure } from './types.ts';
import { exportFigure } from './export.ts';
import { closeBrowser } from './browser.ts';

const HELP = `deepagrel export <figure.json> --out <file.svg|.png|.pdf|.html> [--width 700] [--height 450] [--scale 2] [--browser PATH]

Renders a Plotly figure JSON ({data, layout, config?}) with Plotly in a headless Chromium.
Always writes the interactive HTML next to --out. Width and height are CSS pixels (default: the
figure's layout, else 700 × 450); --scale multiplies PNG pixels: a CSS pixel is 1/96 inch, so
--scale 3.125 gives 300 dpi at the figure's size (the PNG states its dpi). SVG and PDF are vector.
SVG/PNG/PDF need Chromium or Chrome (Debian: apt install chromium; or set DEEPAGREL_CHROMIUM or --browser).`;

export async function exportCommand(args: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' }, width: { type: 'string' }, height: { type: 'string' },
        scale: { type: 'string' }, browser: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usage((err as Error).message);
  }
  if (values.help) { console.log(HELP); return 0; }
  if (positionals.length !== 1) return usage('expected exactly one figure JSON file');
  if (typeof values.out !== 'string') return usage('--out is required');
  const sizes: Record<'width' | 'height' | 'scale', number | undefined> = { width: undefined, height: undefined, scale: undefined };
  for (const key of ['width', 'height', 'scale'] as const) {
    const raw = values[key];
    if (typeof raw !== 'string') continue;
    const n = Number(raw);
    if (!(Number.isFinite(n) && n > 0)) return usage(`--${key} expects a positive number, got "${raw}"`);
    sizes[key] = n;
  }

  try {
    const fig = parseFigure(await readFile(positionals[0], 'utf8'), positionals[0]);
    const written = await exportFigure(fig, values.out, { ...sizes, browserPath: values.browser as string | undefined });
    for (const file of written) console.log(`wrote ${file}`);
    return 0;
  } catch (err) {
    console.error(`deepagrel export: ${(err as Error).message}`);
    return 1;
  } finally {
    await closeBrowser();
  }
}

function usage(message: string): number {
  console.error(`deepagrel export: ${message}\n${HELP.split('\n')[0]}`);
  return 2;
}

function parseFigure(text: string, file: string): PlotlyFigure {
  let fig: unknown;
  try { fig = JSON.parse(text); } catch (err) { throw new Error(`${file} is not valid JSON: ${(err as Error).message}`); }
  const f = fig as Partial<PlotlyFigure> | null;
  if (!f || typeof f !== 'object' || !Array.isArray(f.data)) throw new Error(`${file}: expected a Plotly figure {"data": [...], "layout": {...}}`);
  return { data: f.data, layout: f.layout && typeof f.layout === 'object' ? f.layout : {}, ...(f.config ? { config: f.config } : {}) };
}
