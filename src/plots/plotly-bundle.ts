// The Plotly bundle from node_modules, made safe to inline into a <script> element. Used by the
// notebook display helper (loaded once per page) and by standalone HTML figures (offline files).

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);

/** Absolute path of plotly.min.js (plotly.js-dist-min). */
export function plotlyBundlePath(): string {
  return require.resolve('plotly.js-dist-min/plotly.min.js');
}

/** Installed plotly.js version, e.g. "4.1.2" (for the CDN URL of non-inlined pages). */
export function plotlyVersion(): string {
  return (require('plotly.js-dist-min/package.json') as { version: string }).version;
}

/** CDN URL of the same plotly.js version, for pages that do not inline the bundle. */
export function plotlyCdnUrl(): string {
  return `https://cdn.plot.ly/plotly-${plotlyVersion()}.min.js`;
}

let cachedScript: string | undefined;

/**
 * JavaScript source that defines window.Plotly, for an inline <script>. The bundle runs inside a
 * function whose `define`, `module` and `exports` are undefined, so under classic Notebook's
 * RequireJS (or any CommonJS-like page) a UMD bundle still sets window.Plotly instead of
 * registering itself as a module.
 */
export function plotlyBundleScript(): string {
  cachedScript ??= '(function (define, module, exports) {\n'
    + escapeInlineScript(readFileSync(plotlyBundlePath(), 'utf8'))
    + '\n}).call(window);';
  return cachedScript;
}

/**
 * Make JavaScript safe inside <script>...</script>: the HTML parser ends the element at the first
 * "</script" and changes state at "<!--", whatever the JavaScript context. Both only occur inside
 * string literals in practice, where "<\/" and "<\!" mean the same characters.
 */
export function escapeInlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON for embedding in a <script>: no "<", ">", "&" or line separators that HTML or JS could misread. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
