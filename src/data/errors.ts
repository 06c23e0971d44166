// One error type for every problem with dataset files, so callers (CLI, notebooks) can print a
// single clear line and exit non-zero. The message always says which file, what was expected and
// what was found; the fields carry the same facts for programs.

export interface DataErrorDetails {
  file?: string;
  expected?: string;
  found?: string;
  /** What the user can do about it (where to put a file, which option to pass). */
  hint?: string;
}

export class DataError extends Error {
  readonly file?: string;
  readonly expected?: string;
  readonly found?: string;
  readonly hint?: string;

  constructor(what: string, details: DataErrorDetails = {}) {
    const parts = [details.file ? `${details.file}: ${what}` : what];
    if (details.expected !== undefined) parts.push(`expected ${details.expected}`);
    if (details.found !== undefined) parts.push(`found ${details.found}`);
    let message = parts.join('; ');
    if (details.hint) message += `\n  ${details.hint}`;
    super(message);
    this.name = 'DataError';
    this.file = details.file;
    this.expected = details.expected;
    this.found = details.found;
    this.hint = details.hint;
  }
}
