// Gunzip with errors that name the file. Compression is detected from the content (magic 1f 8b),
// so a raw file works whatever its name and a gzipped file works without the .gz suffix.

import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { DataError } from './errors.ts';

const gunzipAsync = promisify(gunzip);

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Decompress if gzipped (by content); a name ending in .gz must hold gzip data. */
export async function gunzipIfNeeded(path: string, bytes: Uint8Array): Promise<Uint8Array> {
  if (!isGzip(bytes)) {
    if (/\.gz$/i.test(path)) {
      throw new DataError('not a gzip file', {
        file: path, expected: 'gzip magic bytes 1f 8b', found: bytes.length ? hex(bytes.subarray(0, 2)) : 'an empty file',
      });
    }
    return bytes;
  }
  try {
    const out = await gunzipAsync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    const reason = (err as Error).message;
    throw new DataError('corrupt or truncated gzip data', {
      file: path, expected: 'a complete gzip stream', found: `${bytes.length} bytes that fail to decompress (${reason})`,
    });
  }
}
