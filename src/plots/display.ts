// Figures in notebook cells (tslab kernel). The ~4.8 MB Plotly bundle goes into the page once
// (see loadPlotly) and its output is replaced at once by a one-line note, so a saved notebook does
// not carry it (issue 12: 5 MB notebooks after Run All); every figure is a small spec plus a
// script that waits for window.Plotly. Each figure output is a mime bundle:
//   text/html                        div + script: JupyterLab, classic Notebook, nbconvert HTML
//   application/vnd.plotly.v1+json   preferred by JupyterLab (rank 2, before HTML's 50) when its
//                                    Plotly renderer is installed (`pip install plotly`): needs
//                                    no bundle and no trust, and redraws in a reopened notebook
//   text/plain                       what a terminal or a plain viewer shows
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
  /** The final version (e.g. when a run ends). Still HTML: see liveFigure. */
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

/**
 * The mime bundle of one figure output. `live`: without the Plotly mime type (HTML + text), for
 * figures redrawn in place: JupyterLab's Plotly renderer (jupyterlab-plotly 7) draws a figure once
 * and ignores updates of it (renderModel returns early once a graph exists), which froze live
 * curves, and it stores a PNG snapshot (~80 KB) of every figure it draws in the notebook.
 */
export function figureBundle(fig: PlotlyFigure, live = false): MimeBundle {
  const title = figureTitle(fig);
  return {
    'text/html': figureFragment(fig, undefined, undefined, true),
    ...(live ? {} : { 'application/vnd.plotly.v1+json': { data: fig.data, layout: fig.layout, config: figureConfig(fig) } }),
    'text/plain': `<Plotly figure${title ? ` "${title}"` : ''}: ${fig.data.length} trace(s)${live ? ', live' : ''}>`,
  };
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
 * the latest one, also in nbclient/nbconvert-executed notebooks. Always HTML (see figureBundle):
 * drawn by the page's Plotly (loadPlotly), so it needs a trusted notebook; untrusted, its box shows
 * the trust hint. `final` / `finish` mark the last version (kept in the saved notebook).
 */
export function liveFigure(initial: PlotlyFigure, opts: DisplayOptions & { final?: boolean } = {}): LiveFigure {
  const sink = opts.sink ?? kernelSink();
  const displayId = `deepagrel-live-${randomBytes(6).toString('hex')}`;
  loadPlotly({ sink });
  sink(figureBundle(initial, true), { displayId, update: false });
  return {
    displayId,
    update(fig) { sink(figureBundle(fig, true), { displayId, update: true }); },
    finish(fig) { sink(figureBundle(fig, true), { displayId, update: true }); },
  };
}
