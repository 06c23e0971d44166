// One figure as an HTML fragment: a sized <div> and a small script that draws into it once
// window.Plotly exists. The same fragment serves notebook outputs (where the bundle arrives in an
// earlier output) and standalone pages (where the bundle precedes it).

import { randomBytes } from 'node:crypto';
import type { PlotlyFigure } from './types.ts';
import { jsonForScript, plotlyCdnUrl } from './plotly-bundle.ts';

const DEFAULT_HEIGHT = 450; // Plotly's own default, so the div does not jump when the plot appears
const CDN_AFTER_SECONDS = 5;

/**
 * Shown in the figure's box until the figure draws. An untrusted notebook (opened from someone
 * else, without JupyterLab's Plotly renderer) strips the drawing script, so this line stays.
 */
export const TRUST_HINT = 'Trust this notebook to draw its figures: File ▸ Trust Notebook (classic Notebook) or “Trust Notebook” '
  + 'in JupyterLab’s command palette, then run the cell again. With `pip install plotly`, JupyterLab draws them without trust.';

/** A fresh, page-unique element id. A new one per render: an output being replaced may still be in the DOM. */
export function newFigureId(): string {
  return `deepagrel-fig-${randomBytes(6).toString('hex')}`;
}

/** Figure config with notebook-friendly defaults; the figure's own config wins. */
export function figureConfig(fig: PlotlyFigure): Record<string, unknown> {
  return { displaylogo: false, responsive: true, ...fig.config };
}

/** The figure's title text, if it has one (layout.title as a string or {text}). */
export function figureTitle(fig: PlotlyFigure): string | undefined {
  const title = fig.layout.title as { text?: unknown } | string | undefined;
  if (typeof title === 'string') return title;
  return typeof title?.text === 'string' ? title.text : undefined;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * `<div>` + `<script>` that draws `fig` once window.Plotly exists. The bundle normally comes from
 * an earlier output (or the page head). If it is still missing after a few seconds (say the page
 * was reloaded while the kernel kept running, so the kernel does not send the bundle again) the
 * script loads the same Plotly version from the CDN; offline it finally says what to run.
 * `trustHint`: the box shows TRUST_HINT until the figure draws (notebook outputs).
 */
export function figureFragment(fig: PlotlyFigure, divId = newFigureId(), waitSeconds = 60, trustHint = false): string {
  const width = typeof fig.layout.width === 'number' ? `${fig.layout.width}px` : '100%';
  const height = typeof fig.layout.height === 'number' ? fig.layout.height : DEFAULT_HEIGHT;
  const spec = jsonForScript({ data: fig.data, layout: fig.layout, config: figureConfig(fig) });
  const id = jsonForScript(divId);
  // Polls rather than relying on script order: JupyterLab may run an output's script before its
  // element is attached, or render the bundle's output later than this one.
  return `<div id=${id} class="deepagrel-figure" style="width:${width};height:${height}px">${trustHint ? `<p class="deepagrel-trust-hint" style="margin:0;padding:8px;color:#8a6d3b">${escapeHtml(TRUST_HINT)}</p>` : ''}</div>
<script type="text/javascript">
(function () {
  var fig = ${spec};
  var tries = 0;
  function draw() {
    var el = document.getElementById(${id});
    if (el && window.Plotly) {
      var hint = el.querySelector('.deepagrel-trust-hint');
      if (hint) hint.remove();
      window.Plotly.react(el, fig.data, fig.layout, fig.config);
      return;
    }
    tries++;
    if (tries === ${CDN_AFTER_SECONDS * 10} && !window.Plotly && !window.deepagrelPlotlyCdn) {
      window.deepagrelPlotlyCdn = true;
      var s = document.createElement('script');
      s.src = ${jsonForScript(plotlyCdnUrl())};
      document.head.appendChild(s);
    }
    if (tries > ${waitSeconds * 10}) {
      if (el) el.textContent = 'Plotly is not loaded in this page (its output is gone and the CDN is unreachable). '
        + 'Run loadPlotly({ force: true }) from src/plots/display.ts in a cell, then run this cell again.';
      return;
    }
    setTimeout(draw, 100);
  }
  draw();
})();
</script>`;
}
