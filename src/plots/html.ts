// A figure as a standalone interactive HTML page. By default the Plotly bundle is inlined, so the
// file (~4.8 MB) opens offline; `inlineBundle: false` loads the same version from the Plotly CDN.

import type { PlotlyFigure } from './types.ts';
import { figureFragment, figureTitle } from './embed.ts';
import { plotlyBundleScript, plotlyCdnUrl } from './plotly-bundle.ts';
import { writeFileAtomic } from './atomic-write.ts';

export interface HtmlOptions {
  /** Inline plotly.min.js (default true). */
  inlineBundle?: boolean;
  /** Page title; defaults to the figure title. */
  title?: string;
}

export function figurePageHtml(fig: PlotlyFigure, opts: HtmlOptions = {}): string {
  const bundle = opts.inlineBundle === false
    ? `<script src="${plotlyCdnUrl()}" charset="utf-8"></script>`
    : `<script type="text/javascript">${plotlyBundleScript()}</script>`;
  const title = opts.title ?? figureTitle(fig) ?? 'Figure';
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
${bundle}
</head>
<body style="margin:0">
${figureFragment(fig)}
</body>
</html>
`;
}

/** Write the page to `path` (atomically); returns `path`. */
export async function writeFigureHtml(fig: PlotlyFigure, path: string, opts: HtmlOptions = {}): Promise<string> {
  await writeFileAtomic(path, figurePageHtml(fig, opts));
  return path;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
