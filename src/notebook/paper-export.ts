// The export cells at the end of notebooks 05 (Figure 3) and 06 (Table 1): files for a paper, and
// one line per file saying what it is — vector or pixels, size, resolution — so nobody has to open
// a PNG to learn whether it prints sharp.
//   05: SVG and PDF (vector), PNG at print resolution (300 dpi at the figure's size unless the first
//       cell says otherwise), and the interactive HTML page beside them.
//   06: Table 1 as LaTeX (booktabs), Markdown and CSV.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PlotlyFigure } from '../plots/types.ts';
import { CSS_PX_PER_INCH, PRINT_DPI, exportFormats, pngInfo, type ExportFormat, type ExportResult } from '../plots/export.ts';
import { closeBrowser } from '../plots/browser.ts';
import { writeFileAtomic } from '../plots/atomic-write.ts';
import { renderTable1, type Table1Options } from '../results/table1.ts';
import type { RunRecord } from '../results/schema.ts';

export interface PaperExportOptions {
  formats?: ExportFormat[];
  /** PNG resolution at the figure's size (default 300 dpi: the PNG is width·dpi/96 × height·dpi/96 pixels). */
  dpi?: number;
  /** One line per file (default console.log; null: silent). */
  log?: ((line: string) => void) | null;
}

/** Export `fig` as `<dir>/<name>.svg|.pdf|.png` (+ .html) and say what each file is. */
export async function exportForPaper(fig: PlotlyFigure, dir: string, name: string, opts: PaperExportOptions = {}): Promise<ExportResult> {
  const log = opts.log === undefined ? (line: string) => console.log(line) : opts.log;
  const dpi = opts.dpi ?? PRINT_DPI;
  let out: ExportResult;
  try {
    out = await exportFormats(fig, dir, name, opts.formats ?? ['svg', 'pdf', 'png'], { dpi });
  } finally {
    await closeBrowser();   // the cell ends with nothing left running
  }
  const width = typeof fig.layout.width === 'number' ? fig.layout.width : 700;
  const height = typeof fig.layout.height === 'number' ? fig.layout.height : 450;
  const inches = `${(width / CSS_PX_PER_INCH).toFixed(2)} × ${(height / CSS_PX_PER_INCH).toFixed(2)} in`;
  log?.(`${name} for papers, in ${dir}:`);
  for (const file of out.files) log?.(`  ${path.basename(file).padEnd(name.length + 6)} ${describeFile(file, inches)}`);
  for (const note of out.notes) log?.(note);
  return out;
}

function describeFile(file: string, inches: string): string {
  switch (path.extname(file)) {
    case '.svg': return `vector (SVG), ${inches} at 96 px per inch; for LaTeX convert it or use the PDF`;
    case '.pdf': return `vector (PDF), one page of ${inches}: \\includegraphics in LaTeX`;
    case '.png': {
      const { width, height, dpi } = pngInfo(fs.readFileSync(file));
      return `${width} × ${height} px${dpi ? `, ${dpi} dpi at ${inches}` : ''} (the first cell's PNG_DPI; scale = dpi / 96)`;
    }
    case '.html': return 'interactive page (Plotly inlined: opens offline)';
    default: return '';
  }
}

/** Table 1 of `runs` as `<dir>/<name>.tex|.md|.csv`; one line per file. Returns the files.
 *  `opts.allRows`: every row of the paper's table, the ones without runs saying why. */
export async function exportTable1(runs: RunRecord[], dir: string, name = 'table1', log: ((line: string) => void) | null = (l) => console.log(l), opts: Table1Options = {}): Promise<string[]> {
  if (runs.length === 0 && !opts.allRows) { log?.('No runs yet: nothing to export.'); return []; }
  const files: Array<[string, string, string]> = [
    [`${name}.tex`, renderTable1(runs, 'latex', opts), 'LaTeX (booktabs: \\usepackage{booktabs}), \\input{} it'],
    [`${name}.md`, renderTable1(runs, 'md', opts), 'Markdown'],
    [`${name}.csv`, renderTable1(runs, 'csv', opts), 'CSV, every number unformatted'],
  ];
  log?.(`Table 1 for papers, in ${dir}:`);
  for (const [file, text, what] of files) {
    await writeFileAtomic(path.join(dir, file), text.endsWith('\n') ? text : `${text}\n`);
    log?.(`  ${file.padEnd(name.length + 5)} ${what}`);
  }
  return files.map(([file]) => path.join(dir, file));
}
