// Figure files for papers and reports: SVG, PNG or PDF rendered by Plotly itself in a headless
// Chromium, plus the interactive HTML page beside it (always written, and written first, so a
// machine without a browser still gets a usable figure).

import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import type { PlotlyFigure } from './types.ts';
import { writeFigureHtml } from './html.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { BrowserNotFoundError, withPage } from './browser.ts';

export type ExportFormat = 'svg' | 'png' | 'pdf' | 'html';

export interface ExportOptions {
  /** CSS pixels; default layout.width, else 700 (Plotly's default). */
  width?: number;
  /** CSS pixels; default layout.height, else 450. */
  height?: number;
  /** PNG only: pixel density, the PNG is width*scale × height*scale. Default 1. */
  scale?: number;
  /** Browser executable; default $DEEPAGREL_CHROMIUM or a system Chromium/Chrome. */
  browserPath?: string;
}

const FORMATS: readonly ExportFormat[] = ['svg', 'png', 'pdf', 'html'];

/** The format implied by a file name, or an error naming the supported ones. */
export function exportFormat(path: string): ExportFormat {
  const ext = extname(path).slice(1).toLowerCase();
  if ((FORMATS as readonly string[]).includes(ext)) return ext as ExportFormat;
  throw new Error(`Cannot export to "${path}": the file name must end in ${FORMATS.map((f) => `.${f}`).join(', ')}`);
}

/**
 * Export `fig` to `path` (.svg/.png/.pdf/.html). Returns the files written: `path` first, then the
 * HTML page beside it (same name, .html). A PDF page is width × height CSS pixels (0.75 pt each).
 * Throws BrowserNotFoundError when no browser is available; the HTML is written regardless.
 */
export async function exportFigure(fig: PlotlyFigure, path: string, opts: ExportOptions = {}): Promise<string[]> {
  const format = exportFormat(path);
  const width = positive('width', opts.width ?? numberOr(fig.layout.width, 700));
  const height = positive('height', opts.height ?? numberOr(fig.layout.height, 450));
  const scale = positive('scale', opts.scale ?? 1);
  const htmlPath = format === 'html' ? path : path.slice(0, -extname(path).length) + '.html';
  await writeFigureHtml(fig, htmlPath);
  if (format === 'html') return [htmlPath];

  const pageOpts = { browserPath: opts.browserPath };
  let bytes: Uint8Array;
  try {
    // Rendering page kept across exports: evaluating the 4.8 MB bundle costs ~2 s, toImage ~50 ms.
    // A new page loads the HTML just written, which also checks that page.
    const svgOrPng = await withPage(async (page) => {
      if (!(await page.evaluate(() => 'Plotly' in window))) {
        await page.goto(pathToFileURL(htmlPath).href);
        await page.waitForFunction(() => 'Plotly' in window);
      }
      return format === 'png' ? toImage(page, fig, 'png', width, height, scale) : toImage(page, fig, 'svg', width, height, 1);
    }, { ...pageOpts, reuse: 'plotly' });
    bytes = format === 'pdf'
      ? await withPage((page) => svgToPdf(page, svgOrPng, width, height), { ...pageOpts, reuse: 'print' })
      : svgOrPng;
  } catch (err) {
    if (err instanceof BrowserNotFoundError) err.message += `\nThe interactive HTML was written: ${htmlPath}`;
    throw err;
  }
  await writeFileAtomic(path, bytes);
  return [path, htmlPath];
}

/** Plotly.toImage inside the page; returns the decoded file bytes. */
async function toImage(page: Page, fig: PlotlyFigure, format: 'svg' | 'png', width: number, height: number, scale: number): Promise<Uint8Array> {
  const dataUrl = await page.evaluate(async ({ fig, format, width, height, scale }) => {
    const plotly = (window as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } }).Plotly;
    return plotly.toImage({ data: fig.data, layout: fig.layout, config: fig.config ?? {} }, { format, width, height, scale });
  }, { fig, format, width, height, scale });
  const comma = dataUrl.indexOf(',');
  const header = dataUrl.slice(0, comma);
  const body = dataUrl.slice(comma + 1);
  return header.endsWith(';base64') ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'utf8');
}

/** A one-page PDF of exactly width × height CSS pixels with the SVG inline (stays vector). */
async function svgToPdf(page: Page, svg: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  await page.setContent(`<!DOCTYPE html><html><head><style>
    @page { size: ${width}px ${height}px; margin: 0 }
    html, body { margin: 0; padding: 0; width: ${width}px; height: ${height}px; overflow: hidden }
    svg { display: block }
  </style></head><body>${Buffer.from(svg).toString('utf8')}</body></html>`);
  return page.pdf({ width: `${width}px`, height: `${height}px`, printBackground: true, pageRanges: '1' });
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`Figure export: ${name} must be a positive number, got ${value}`);
  return value;
}

export interface ExportResult { files: string[]; notes: string[] }

/** Write `<dir>/<name>.<format>` for each format (plus the .html page beside them). A machine
 *  without Chromium gets a note, not an error (the interactive HTML is still written), so a
 *  notebook or `npm start` finishes; any other failure is thrown. */
export async function exportFormats(fig: PlotlyFigure, dir: string, name: string, formats: ExportFormat[] = ['svg', 'png', 'pdf']): Promise<ExportResult> {
  const files = new Set<string>();
  const notes: string[] = [];
  for (const format of formats) {
    try {
      for (const f of await exportFigure(fig, join(dir, `${name}.${format}`))) files.add(f);
    } catch (e) {
      if (!(e instanceof BrowserNotFoundError)) throw e;
      files.add(join(dir, `${name}.html`));
      notes.push(`No ${format.toUpperCase()}: ${e.message.split('\n')[0]} ${e.message.split('\n')[1] ?? ''}`.trim());
      break;   // the other formats need the browser too
    }
  }
  return { files: [...files], notes };
}
