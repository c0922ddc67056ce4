/**
 * Container detection from magic bytes only (formats.md §0) — file names lie (`model.keras` files that are
 * really HDF5 exist in the wild), so the extension is never consulted.
 */

export type Container = 'hdf5' | 'zip' | 'json' | 'empty' | 'unknown';

export interface SniffResult {
  container: Container;
  /** For HDF5: where the superblock starts (0, or 512, 1024, … after a user block). */
  hdf5Offset?: number;
  /** For 'unknown': what the bytes look like, for the error message (e.g. "a PNG image"). */
  looksLike?: string;
}

const HDF5_SIG = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** How many leading bytes `sniff` wants to see (HDF5 user blocks up to this size are recognised). */
export const SNIFF_BYTES = 1 << 20;

function at(bytes: Uint8Array, off: number, sig: number[]): boolean {
  if (off + sig.length > bytes.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[off + i] !== sig[i]) return false;
  return true;
}

export function sniff(head: Uint8Array): SniffResult {
  if (head.length === 0) return { container: 'empty' };
  // HDF5: signature at 0, or at 512, 1024, 2048, … when the file has a user block.
  for (let off = 0; off + 8 <= head.length; off = off === 0 ? 512 : off * 2) {
    if (at(head, off, HDF5_SIG)) return { container: 'hdf5', hdf5Offset: off };
  }
  if (at(head, 0, [0x50, 0x4b, 0x03, 0x04]) || at(head, 0, [0x50, 0x4b, 0x05, 0x06])) return { container: 'zip' };
  // JSON: optional UTF-8 BOM and whitespace, then an object.
  let i = 0;
  if (at(head, 0, [0xef, 0xbb, 0xbf])) i = 3;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (i === head.length) return { container: 'empty' };
  if (head[i] === 0x7b /* { */) return { container: 'json' };
  return { container: 'unknown', looksLike: describe(head) };
}

function describe(b: Uint8Array): string | undefined {
  const known: [number, number[], string][] = [
    [0, [0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
    [0, [0xff, 0xd8, 0xff], 'a JPEG image'],
    [0, [0x47, 0x49, 0x46, 0x38], 'a GIF image'],
    [0, [0x25, 0x50, 0x44, 0x46], 'a PDF document'],
    [0, [0x1f, 0x8b], 'gzip-compressed data (decompress it first)'],
    [0, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 'a NumPy .npy array'],
    [4, [0x54, 0x46, 0x4c, 0x33], 'a TensorFlow Lite model'],
    [0, [0x42, 0x5a, 0x68], 'bzip2-compressed data'],
    [0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz-compressed data'],
    [0, [0x80], 'a Python pickle'],
    [0, [0x5b], 'a JSON array (a Keras config is a JSON object)'],
  ];
  for (const [off, sig, what] of known) if (at(b, off, sig)) return what;
  // Git LFS pointers are a common surprise when a repository was cloned without LFS.
  const text = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, 200));
  if (text.startsWith('version https://git-lfs')) return 'a Git LFS pointer file (fetch the real file with `git lfs pull`)';
  return undefined;
}
