/**
 * NumPy `.npy` reading and writing (format versions 1.0–3.0).
 * Written by hand: the format is a short header plus raw C-order data, and the npm packages for it
 * are unmaintained or pull in far more than this; we need exactly float/int/bool little- and big-endian.
 */
import { CorruptFileError, InvalidInputError } from '../errors.ts';

export type NpyDtype = 'float32' | 'float64' | 'float16' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'bool';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** Floats as Float32Array (float64/float16 converted), integers and bools as Int32Array. */
  data: Float32Array | Int32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR: Record<string, { dtype: NpyDtype; size: number }> = {
  f4: { dtype: 'float32', size: 4 }, f8: { dtype: 'float64', size: 8 }, f2: { dtype: 'float16', size: 2 },
  i1: { dtype: 'int8', size: 1 }, i2: { dtype: 'int16', size: 2 }, i4: { dtype: 'int32', size: 4 }, i8: { dtype: 'int64', size: 8 },
  u1: { dtype: 'uint8', size: 1 }, u2: { dtype: 'uint16', size: 2 }, u4: { dtype: 'uint32', size: 4 }, b1: { dtype: 'bool', size: 1 },
};

export function parseNpy(bytes: Uint8Array, label = '<npy>'): NpyArray {
  const bad = (why: string) => new CorruptFileError(`not a valid .npy file: ${why}`, { file: label, hint: 'save arrays with numpy.save()' });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('missing \\x93NUMPY magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number; let offset: number;
  if (major === 1) { headerLen = view.getUint16(8, true); offset = 10; }
  else if (major === 2 || major === 3) { if (bytes.length < 12) throw bad('truncated header'); headerLen = view.getUint32(8, true); offset = 12; }
  else throw bad(`unsupported format version ${major}`);
  if (offset + headerLen > bytes.length) throw bad('truncated header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(offset, offset + headerLen));
  const descrM = /'descr'\s*:\s*'([<>|=])([a-z]\d+)'/.exec(header);
  const fortranM = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descrM || !fortranM || !shapeM) throw bad(`unreadable header ${JSON.stringify(header.trim())}`);
  const info = DESCR[descrM[2]];
  if (!info) throw new InvalidInputError(`unsupported .npy dtype '${descrM[1]}${descrM[2]}'`, { file: label, hint: 'use float32, float64, float16, integer or bool arrays' });
  if (fortranM[1] === 'True') throw new InvalidInputError('Fortran-ordered .npy arrays are not supported', { file: label, hint: 'save with numpy.ascontiguousarray(x)' });
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`bad shape (${shapeM[1]})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = offset + headerLen;
  if (dataStart + count * info.size > bytes.length) throw bad(`data truncated: expected ${count * info.size} bytes, found ${bytes.length - dataStart}`);
  const little = descrM[1] !== '>';
  const isFloat = info.dtype.startsWith('float');
  const out = isFloat ? new Float32Array(count) : new Int32Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset + dataStart, count * info.size);
  if (info.dtype === 'float32' && little && (bytes.byteOffset + dataStart) % 4 === 0) {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset + dataStart, count));
  } else {
    for (let i = 0; i < count; i++) out[i] = readScalar(dv, i * info.size, info.dtype, little);
  }
  return { dtype: info.dtype, shape, data: out };
}

function readScalar(dv: DataView, pos: number, dtype: NpyDtype, little: boolean): number {
  switch (dtype) {
    case 'float32': return dv.getFloat32(pos, little);
    case 'float64': return dv.getFloat64(pos, little);
    case 'float16': return halfToFloat(dv.getUint16(pos, little));
    case 'int8': return dv.getInt8(pos);
    case 'int16': return dv.getInt16(pos, little);
    case 'int32': return dv.getInt32(pos, little);
    case 'int64': return Number(dv.getBigInt64(pos, little));
    case 'uint8': case 'bool': return dv.getUint8(pos);
    case 'uint16': return dv.getUint16(pos, little);
    case 'uint32': return dv.getUint32(pos, little);
  }
}

/** IEEE 754 binary16 → number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Serialize a float32 or int32 array as a version-1.0 little-endian `.npy`. */
export function writeNpy(data: Float32Array | Int32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`writeNpy: shape [${shape}] holds ${count} values, data has ${data.length}`);
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // pad so that the data starts on a 64-byte boundary, header ends with '\n'
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1; out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
