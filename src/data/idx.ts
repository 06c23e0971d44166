// IDX format (MNIST, Fashion-MNIST): http://yann.lecun.com/exdb/mnist/ "FILE FORMATS".
// Header: 2 zero bytes, a type byte (0x08 = unsigned byte, the only type these datasets use),
// the number of dimensions, then each dimension as a big-endian uint32; then the data, row-major.

import { DataError } from './errors.ts';

export interface IdxArray { dims: number[]; data: Uint8Array }

const UBYTE = 0x08;

export function parseIdx(file: string, bytes: Uint8Array): IdxArray {
  if (bytes.length < 4) {
    throw new DataError('truncated IDX header', { file, expected: 'at least 4 header bytes', found: `${bytes.length} bytes` });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const magicHex = `0x${magic.toString(16).padStart(8, '0')}`;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError('wrong IDX magic number', {
      file, expected: 'magic 0x0000080N (0x00000803 images, 0x00000801 labels)', found: magicHex,
    });
  }
  if (bytes[2] !== UBYTE) {
    throw new DataError('unsupported IDX data type', { file, expected: 'type 0x08 (unsigned byte)', found: `0x${bytes[2].toString(16)} in magic ${magicHex}` });
  }
  const ndim = bytes[3];
  const headerSize = 4 + 4 * ndim;
  if (ndim === 0 || bytes.length < headerSize) {
    throw new DataError('truncated IDX header', {
      file, expected: `${headerSize} header bytes for ${ndim} dimensions`, found: `${bytes.length} bytes`,
    });
  }
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d));
  const count = dims.reduce((a, b) => a * b, 1);
  const expectedSize = headerSize + count;
  if (bytes.length !== expectedSize) {
    throw new DataError(bytes.length < expectedSize ? 'truncated IDX file' : 'IDX file longer than its header declares', {
      file, expected: `${expectedSize} bytes for dims [${dims.join(', ')}]`, found: `${bytes.length} bytes`,
    });
  }
  return { dims, data: bytes.subarray(headerSize) };
}

/** Images [N, rows, cols] of unsigned bytes; checks the image size when given. */
export function parseIdxImages(file: string, bytes: Uint8Array, expectHW?: [number, number]): { n: number; h: number; w: number; pixels: Uint8Array } {
  const { dims, data } = parseIdx(file, bytes);
  if (dims.length !== 3) {
    throw new DataError('wrong IDX magic number for an image file', {
      file, expected: 'magic 0x00000803 (3 dimensions: N, rows, cols)', found: `0x0000080${dims.length} (${dims.length} dimensions)`,
    });
  }
  const [n, h, w] = dims;
  if (expectHW && (h !== expectHW[0] || w !== expectHW[1])) {
    throw new DataError('wrong image size', { file, expected: `${expectHW[0]}x${expectHW[1]} images`, found: `${h}x${w}` });
  }
  return { n, h, w, pixels: data };
}

/** Labels [N] of unsigned bytes, each checked to be < numClasses. */
export function parseIdxLabels(file: string, bytes: Uint8Array, numClasses: number): Uint8Array {
  const { dims, data } = parseIdx(file, bytes);
  if (dims.length !== 1) {
    throw new DataError('wrong IDX magic number for a label file', {
      file, expected: 'magic 0x00000801 (1 dimension: N)', found: `0x0000080${dims.length} (${dims.length} dimensions)`,
    });
  }
  checkLabels(file, data, numClasses);
  return data;
}

/** Throws on the first label outside [0, numClasses). Shared with the CIFAR reader. */
export function checkLabels(file: string, labels: Uint8Array, numClasses: number, what = 'label'): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new DataError(`${what} out of range at record ${i}`, {
        file, expected: `a ${what} in 0..${numClasses - 1}`, found: String(labels[i]),
      });
    }
  }
}

/** Build an IDX file (used by tests and tools; kept next to the parser so both agree). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
