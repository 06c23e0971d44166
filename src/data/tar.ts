// Minimal tar reader (POSIX ustar, with GNU long names and pax path records), enough for the
// official CIFAR archives, so the project needs no tar dependency. Data is returned as views into
// the input buffer: no copies of the 170 MB archive content.

import { DataError } from './errors.ts';

const BLOCK = 512;
const decoder = new TextDecoder();

function cString(bytes: Uint8Array, start: number, length: number): string {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

function octal(file: string, bytes: Uint8Array, start: number, length: number, what: string): number {
  if (bytes[start] & 0x80) {                       // GNU base-256 for big values
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + bytes[i];
    return value;
  }
  const text = cString(bytes, start, length).trim();
  if (!/^[0-7]*$/.test(text)) {
    throw new DataError(`bad tar header (${what})`, { file, expected: 'an octal number', found: JSON.stringify(text) });
  }
  return text === '' ? 0 : parseInt(text, 8);
}

function headerChecksumOk(file: string, block: Uint8Array): boolean {
  const stored = octal(file, block, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum === stored;
}

/** pax extended header: records "LEN key=value\n". Only `path` matters here. */
function paxPath(data: Uint8Array): string | undefined {
  const text = decoder.decode(data);
  for (const line of text.split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** Regular files of a tar archive, by path (directories and links are skipped). */
export function readTar(file: string, bytes: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) return files;             // end-of-archive marker
    if (!headerChecksumOk(file, header)) {
      throw new DataError(`bad tar header checksum at byte ${offset}`, {
        file, expected: 'a valid tar (ustar) header', found: 'a corrupt header or not a tar archive',
      });
    }
    const size = octal(file, header, 124, 12, 'size');
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + BLOCK;
    if (dataStart + size > bytes.length) {
      throw new DataError('truncated tar archive', {
        file, expected: `${size} bytes of data for entry ${JSON.stringify(cString(header, 0, 100))}`, found: `${bytes.length - dataStart}`,
      });
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'L') { longName = cString(data, 0, data.length); continue; }
    if (type === 'x') { longName = paxPath(data) ?? longName; continue; }
    if (type === 'g') continue;

    let name = cString(header, 0, 100);
    if (cString(header, 257, 5) === 'ustar') {
      const prefix = cString(header, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    if (longName !== undefined) { name = longName; longName = undefined; }
    if (type === '0' || type === '7') files.set(name.replace(/^\.\//, ''), data);
  }
  if (offset !== bytes.length) {
    throw new DataError('truncated tar archive', { file, expected: 'whole 512-byte blocks', found: `${bytes.length - offset} trailing bytes` });
  }
  return files;                                                // no end marker: accept what is complete
}

/** Last path component of an archive entry ("cifar-10-batches-bin/test_batch.bin" → "test_batch.bin"). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
