// Figure files from a notebook: one call for several formats, and a machine without Chromium is a
// note (the interactive HTML is still written), not a failed notebook.

import * as path from 'node:path';
import { exportFigure, type ExportFormat } from '../plots/export.ts';
import { BrowserNotFoundError } from '../plots/browser.ts';
import type { PlotlyFigure } from '../plots/types.ts';

export interface ExportResult { files: string[]; notes: string[] }

/** Write `<dir>/<name>.<format>` for each format (plus the .html page beside them). */
export async function exportFormats(fig: PlotlyFigure, dir: string, name: string, formats: ExportFormat[] = ['svg', 'png', 'pdf']): Promise<ExportResult> {
  const files = new Set<string>();
  const notes: string[] = [];
  for (const format of formats) {
    try {
      for (const f of await exportFigure(fig, path.join(dir, `${name}.${format}`))) files.add(f);
    } catch (e) {
      if (!(e instanceof BrowserNotFoundError)) throw e;
      files.add(path.join(dir, `${name}.html`));
      notes.push(`No ${format.toUpperCase()}: ${e.message.split('\n')[0]} ${e.message.split('\n')[1] ?? ''}`.trim());
      break;   // the other formats need the browser too
    }
  }
  return { files: [...files], notes };
}
