// Generated blocks in a Markdown page (RESULTS.md): the text between
//   <!-- generated: npx deepagrel table --results results/protocol -->
//   <!-- end generated -->
// is the output of that command, so a page of results is regenerated from the run records, never
// edited by hand. "generated as code:" puts the output in a ``` fence (for fixed-width tables such as
// `status`). Only `npx deepagrel …` commands are allowed: the page runs no shell.

export interface GeneratedBlock {
  /** The deepagrel arguments, e.g. ['table', '--results', 'results/protocol']. */
  args: string[];
  /** The command as written in the marker. */
  command: string;
  asCode: boolean;
  /** Line index of the opening and the closing marker. */
  open: number;
  close: number;
}

const OPEN = /^<!-- generated( as code)?: (.*) -->$/;
const CLOSE = '<!-- end generated -->';
const PREFIX = ['npx', 'deepagrel'];

/** Words of a command line: whitespace-separated, "double" or 'single' quotes group words. */
export function splitArgs(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m; (m = re.exec(line));) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/** The generated blocks of `text` (LF line ends), in order; an error names the line of a malformed
 *  one. Markers inside a ``` fence are examples, not blocks. */
export function findBlocks(text: string, file = 'page'): GeneratedBlock[] {
  const lines = text.split('\n');
  const blocks: GeneratedBlock[] = [];
  let open: { line: number; command: string; asCode: boolean } | null = null;
  let fenced = false;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!open && line.startsWith('```')) fenced = !fenced;
    if (fenced) return;
    const m = OPEN.exec(line);
    if (m) {
      if (open) throw new Error(`${file}:${i + 1}: a generated block opens inside the one opened at line ${open.line + 1}`);
      const words = splitArgs(m[2]);
      if (words[0] !== PREFIX[0] || words[1] !== PREFIX[1] || words.length < 3)
        throw new Error(`${file}:${i + 1}: a generated block's command must be "npx deepagrel <command> …", got ${JSON.stringify(m[2])}`);
      open = { line: i, command: m[2], asCode: Boolean(m[1]) };
    } else if (line === CLOSE) {
      if (!open) throw new Error(`${file}:${i + 1}: "${CLOSE}" without an opening "<!-- generated: … -->"`);
      blocks.push({ args: splitArgs(open.command).slice(2), command: open.command, asCode: open.asCode, open: open.line, close: i });
      open = null;
    }
  });
  if (open) throw new Error(`${file}:${(open as { line: number }).line + 1}: generated block never closed with "${CLOSE}"`);
  return blocks;
}

/** `text` with each block's content replaced by `output(block)` (null: left as it is). */
export function fillBlocks(text: string, blocks: GeneratedBlock[], output: (b: GeneratedBlock) => string | null): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let at = 0;
  for (const b of blocks) {
    out.push(...lines.slice(at, b.open + 1));
    const body = output(b);
    if (body === null) out.push(...lines.slice(b.open + 1, b.close));
    else {
      const trimmed = body.replace(/\n+$/, '');
      out.push(...(b.asCode ? ['```', trimmed, '```'] : [trimmed]));
    }
    at = b.close;
  }
  out.push(...lines.slice(at));
  return out.join('\n');
}
