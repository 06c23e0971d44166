// Figures in notebook cells (tslab kernel). Each figure output is a mime bundle:
//   application/vnd.plotly.v1+json   what JupyterLab draws (rank 2, before HTML's 50) with its
//                                    Plotly renderer (`pip install plotly`): no page script, no
//                                    trust, no network, and a reopened notebook shows the figure
//                                    (the renderer keeps a PNG snapshot of what it drew)
//   text/html                        div + script, for front ends without that renderer (classic
//                                    Notebook, nbconvert HTML): drawn by the page's Plotly
//   text/plain                       what a terminal or a plain viewer shows
// The ~4.8 MB Plotly bundle for the HTML goes into the page once (see loadPlotly) and its output
// is replaced at once by a one-line note, so a saved notebook does not carry it (issue 12).
// Live figures (learning curves redrawn per epoch) are the same bundle, updated in place with
// update_display_data (issue 30: HTML live curves were blank in a reopened notebook offline).
// tslab's public `display.raw` sends one mime type per output, so the kernel sink uses tslab's
// process-wide writer (`lastWriteDisplayData`, tslab 1.0.x) to send the whole bundle at once.

import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import type { PlotlyFigure } from './types.ts';
import { figureConfig, figureFragment, figureTitle } from './embed.ts';
import { plotlyBundleScript } from './plotly-bundle.ts';

export type MimeBundle = Record<string, unknown>;

/** Where outputs go: a new output, or (with `update`) a replacement of the output with that display id. */
export type DisplaySink = (bundle: MimeBundle, target?: { displayId: string; update: boolean }) => void;

export interface DisplayOptions {
  /** Output destination; defaults to the running tslab kernel. Tests pass a recorder. */
  sink?: DisplaySink;
}

export interface LiveFigure {
  /** Redraw the same output with a new version of the figure (e.g. once per epoch). */
  update(fig: PlotlyFigure): void;
  /** The final version (e.g. when a run ends): what the saved notebook keeps. */
  finish(fig: PlotlyFigure): void;
  readonly displayId: string;
}

type WriteDisplayData = (msg: { data: MimeBundle; metadata: object; transient: object }, update: boolean) => void;

let kernelSinkInstance: DisplaySink | undefined;

/** The tslab kernel's output channel (only valid inside a notebook cell). */
export function kernelSink(): DisplaySink {
  kernelSinkInstance ??= (bundle, target) => {
    const jupyter = createRequire(import.meta.url)('tslab/dist/jupyter.js') as { lastWriteDisplayData?: WriteDisplayData | null };
    const write = jupyter.lastWriteDisplayData;
    if (typeof write !== 'function') {
      throw new Error('showFigure/liveFigure only work inside the tslab kernel (a notebook cell). '
        + 'Elsewhere use writeFigureHtml (src/plots/html.ts) or exportFigure (src/plots/export.ts).');
    }
    write({ data: bundle, metadata: {}, transient: target ? { display_id: target.displayId } : {} }, target?.update ?? false);
  };
  return kernelSinkInstance;
}

// Which pages already have the bundle, per sink. A page is a Jupyter client session (one load
// of the notebook in a browser), published by our kernel launcher (scripts/tslab-kernel.ts): a
// reloaded page gets the bundle again although the kernel lives on. A kernel restart reloads this
// module, so a restarted notebook gets it again too.
const CLIENT_SESSION = Symbol.for('deepagrel.jupyterClientSession');
const pagesWithPlotly = new WeakMap<DisplaySink, Set<string>>();

function currentPage(): string {
  return String((globalThis as Record<symbol, unknown>)[CLIENT_SESSION] ?? 'page');
}

/** Send the Plotly bundle to the page unless it already has it (`force`: send it again). */
export function loadPlotly(opts: DisplayOptions & { force?: boolean } = {}): void {
  const sink = opts.sink ?? kernelSink();
  const pages = pagesWithPlotly.get(sink) ?? new Set<string>();
  pagesWithPlotly.set(sink, pages);
  if (pages.has(currentPage()) && !opts.force) return;
  // The front end runs the script when it renders the output (as the message arrives); the update
  // right behind it swaps the 4.8 MB output for a note, so neither the page's DOM nor the saved
  // notebook keeps it. window.Plotly stays.
  const displayId = `deepagrel-plotly-${randomBytes(6).toString('hex')}`;
  sink({ 'text/html': `<script type="text/javascript">${plotlyBundleScript()}</script>`, 'text/plain': '(loading Plotly)' }, { displayId, update: false });
  sink(PLOTLY_LOADED, { displayId, update: true });
  pages.add(currentPage());
}

/** What the bundle's output becomes (and what a saved notebook keeps of it). */
export const PLOTLY_LOADED: MimeBundle = {
  'text/html': '<div class="deepagrel-plotly-loaded" style="display:none"></div>',
  'text/plain': '(Plotly loaded into this page)',
};

/** The mime bundle of one figure output (`live`: said so in its text). */
export function figureBundle(fig: PlotlyFigure, live = false): MimeBundle {
  const title = figureTitle(fig);
  const compact = compactFigure(fig);
  return {
    'application/vnd.plotly.v1+json': { data: compact.data, layout: compact.layout, config: figureConfig(fig) },
    'text/html': figureFragment(compact, undefined, undefined, true),
    'text/plain': `<Plotly figure${title ? ` "${title}"` : ''}: ${fig.data.length} trace(s)${live ? ', live' : ''}>`,
  };
}

/** Arrays shorter than this stay JSON lists. */
const TYPED_FROM = 16;

/**
 * The figure with its long numeric arrays (x, y, customdata, … of every trace) in Plotly's
 * typed-array form, `{ dtype, bdata, shape? }` (plotly.js ≥ 2.28; JupyterLab's renderer and our
 * bundle both read it). A saved notebook keeps JSON indented, one number per line, ~30 bytes per
 * number; as base64 a value takes 5.3 (f4: 7 significant digits, plenty to draw and hover) or
 * 2.7 bytes (whole numbers up to 32767, e.g. epochs). Learning curves of a Table 1 row drop from
 * ~70 KB to ~10 KB in the saved file (issue 30: notebooks stay under 300 KB with their live curves).
 */
export function compactFigure(fig: PlotlyFigure): PlotlyFigure {
  return { ...fig, data: fig.data.map((trace) => compactValue(trace) as Record<string, unknown>) };
}

function compactValue(v: unknown): unknown {
  if (Array.isArray(v)) return typedArraySpec(v) ?? v;
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compactValue(x)]));
  }
  return v;
}

function typedArraySpec(v: unknown[]): Record<string, unknown> | undefined {
  if (v.length < TYPED_FROM) return undefined;
  const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  let values: number[], shape: string | undefined;
  if (v.every(isNumber)) values = v;
  else {
    const width = Array.isArray(v[0]) ? v[0].length : 0;
    if (width === 0 || !v.every((row) => Array.isArray(row) && row.length === width && row.every(isNumber))) return undefined;
    values = (v as number[][]).flat();
    shape = `${v.length},${width}`;
  }
  const small = values.every((x) => Number.isInteger(x) && Math.abs(x) <= 32767);
  const typed = small ? Int16Array.from(values) : Float32Array.from(values);
  return { dtype: small ? 'i2' : 'f4', bdata: Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength).toString('base64'), ...(shape ? { shape } : {}) };
}

/**
 * What a live figure's output briefly holds between two versions: an empty box of the figure's
 * height. JupyterLab's Plotly renderer draws an output once and ignores updates of it
 * (jupyterlab-plotly 7: renderModel returns early once a graph exists); an update with another
 * mime type in between makes JupyterLab replace the renderer, and the next version is drawn anew.
 */
export function redrawBundle(fig: PlotlyFigure): MimeBundle {
  const height = typeof fig.layout.height === 'number' ? fig.layout.height : 360;   // the renderer's default height
  return { 'text/html': `<div class="deepagrel-redraw" style="height:${height}px"></div>`, 'text/plain': '(redrawing the figure)' };
}

/** Show a figure as a cell output. */
export function showFigure(fig: PlotlyFigure, opts: DisplayOptions = {}): void {
  const sink = opts.sink ?? kernelSink();
  loadPlotly({ sink });
  sink(figureBundle(fig));
}

/**
 * Show a figure that can be redrawn in place, e.g. a learning curve updated every epoch. Updates
 * replace the same output (Jupyter update_display_data), so the notebook keeps a single figure:
 * the latest one, also in nbclient/nbconvert-executed notebooks. JupyterLab draws every version
 * with its Plotly renderer (each update is preceded by redrawBundle, see there), so a reopened
 * notebook shows the last one without trust or network; other front ends draw the HTML.
 */
export function liveFigure(initial: PlotlyFigure, opts: DisplayOptions = {}): LiveFigure {
  const sink = opts.sink ?? kernelSink();
  const displayId = `deepagrel-live-${randomBytes(6).toString('hex')}`;
  loadPlotly({ sink });
  sink(figureBundle(initial, true), { displayId, update: false });
  const redraw = (fig: PlotlyFigure) => {
    sink(redrawBundle(fig), { displayId, update: true });
    sink(figureBundle(fig, true), { displayId, update: true });
  };
  return { displayId, update: redraw, finish: redraw };
}
