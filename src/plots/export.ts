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
  /**
   * PNG only: pixels per CSS pixel; the PNG is width·scale × height·scale pixels. A CSS pixel is
   * 1/96 inch, so the PNG prints at the figure's size (width/96 × height/96 in) with 96·scale dpi,
   * and says so in its pHYs chunk (Word, LaTeX and browsers place it at that size). Default 1 =
   * screen resolution: Figure 3 (900 × 468) becomes 900 × 468 px, 96 dpi at 9.4 × 4.9 in — too
   * coarse for print. 300 dpi: scale 3.125 (or `dpi: 300`). SVG and PDF are vector and ignore it.
   */
  scale?: number;
  /** PNG only, instead of `scale`: the resolution at the figure's size (scale = dpi / 96). */
  dpi?: number;
  /** Browser executable; default $DEEPAGREL_CHROMIUM or a system Chromium/Chrome. */
  browserPath?: string;
}

/** CSS pixels per inch: what `scale` and `dpi` are relative to. */
export const CSS_PX_PER_INCH = 96;
/** Print resolution: what exportFormats (the notebooks' export cells) gives PNGs by default. */
export const PRINT_DPI = 300;

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
  const scale = positive('scale', opts.scale ?? (opts.dpi !== undefined ? positive('dpi', opts.dpi) / CSS_PX_PER_INCH : 1));
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
      : format === 'png' ? withPngDpi(svgOrPng, CSS_PX_PER_INCH * scale) : svgOrPng;
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

/**
 * The PNG with a pHYs chunk saying `dpi` (as pixels per metre), right after IHDR, replacing one
 * that is there. Without it a 2813-pixel-wide figure is placed 29 inches wide (at 96 dpi) or
 * 39 (at 72) by word processors; with it, at the figure's size.
 */
export function withPngDpi(png: Uint8Array, dpi: number): Uint8Array {
  const buf = Buffer.from(png);
  if (buf.length < 33 || buf.toString('latin1', 12, 16) !== 'IHDR') throw new Error('withPngDpi: not a PNG');
  const chunks: Buffer[] = [buf.subarray(0, 33)];   // signature + IHDR (13 data bytes)
  const ppm = Math.round(dpi / 0.0254);
  const data = Buffer.alloc(9);
  data.writeUInt32BE(ppm, 0); data.writeUInt32BE(ppm, 4); data[8] = 1;   // unit: metre
  chunks.push(pngChunk('pHYs', data));
  for (let at = 33; at + 12 <= buf.length;) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (type !== 'pHYs') chunks.push(buf.subarray(at, at + 12 + len));
    at += 12 + len;
  }
  return Buffer.concat(chunks);
}

/** The pixel size and resolution a PNG states (pHYs), or null. */
export function pngInfo(png: Uint8Array): { width: number; height: number; dpi: number | null } {
  const buf = Buffer.from(png);
  const info = { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), dpi: null as number | null };
  for (let at = 8; at + 12 <= buf.length;) {
    const len = buf.readUInt32BE(at);
    if (buf.toString('latin1', at + 4, at + 8) === 'pHYs' && buf[at + 16] === 1) info.dpi = Math.round(buf.readUInt32BE(at + 8) * 0.0254 * 10) / 10;
    at += 12 + len;
  }
  return info;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`Figure export: ${name} must be a positive number, got ${value}`);
  return value;
}

export interface ExportResult { files: string[]; notes: string[] }

/** Write `<dir>/<name>.<format>` for each format (plus the .html page beside them): for papers,
 *  so a PNG gets print resolution (`opts.dpi`, default PRINT_DPI = 300 dpi at the figure's size;
 *  or `opts.scale`). A machine without Chromium gets a note, not an error (the interactive HTML is
 *  still written), so a notebook or `npm start` finishes; any other failure is thrown. */
export async function exportFormats(fig: PlotlyFigure, dir: string, name: string, formats: ExportFormat[] = ['svg', 'png', 'pdf'],
  opts: Pick<ExportOptions, 'dpi' | 'scale' | 'width' | 'height'> = {}): Promise<ExportResult> {
  const files = new Set<string>();
  const notes: string[] = [];
  const size = { ...opts, ...(opts.scale === undefined ? { dpi: opts.dpi ?? PRINT_DPI } : {}) };
  for (const format of formats) {
    try {
      for (const f of await exportFigure(fig, join(dir, `${name}.${format}`), size)) files.add(f);
    } catch (e) {
      if (!(e instanceof BrowserNotFoundError)) throw e;
      files.add(join(dir, `${name}.html`));
      notes.push(`No ${format.toUpperCase()}: ${e.message.split('\n')[0]} ${e.message.split('\n')[1] ?? ''}`.trim());
      break;   // the other formats need the browser too
    }
  }
  return { files: [...files], notes };
}
