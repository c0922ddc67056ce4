/**
 * Safe zip reading for `.keras` archives.
 *
 * The central directory is parsed here (it is small and we need to see every entry before trusting any):
 * duplicate names (a later member shadowing `config.json`), path traversal, encrypted members, declared sizes
 * over the limits and impossible compression ratios are rejected before anything is decompressed. Inflation
 * itself is fflate's. Members are read lazily, and each is checked against its declared size and CRC-32.
 */
import { inflateSync } from 'fflate';
import { CorruptFileError, UnsafeArchiveError, UnsupportedFeatureError } from '../errors.ts';

export interface ZipLimits {
  /** Sum of declared uncompressed sizes of all members. Default 4 GiB. */
  maxTotalBytes?: number;
  /** Declared uncompressed size of one member. Default 2 GiB (a JS typed array's practical limit). */
  maxEntryBytes?: number;
  /** Uncompressed/compressed ratio above which a member is treated as a bomb. Default 1100 (deflate cannot exceed ~1032). */
  maxRatio?: number;
  /** Number of members. Default 100 000. */
  maxEntries?: number;
}

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

export interface ZipArchive {
  readonly label: string;
  readonly entries: readonly ZipEntry[];
  names(): string[];
  has(name: string): boolean;
  /** The member's bytes; throws CorruptFileError when it does not inflate to its declared size and CRC. */
  read(name: string): Uint8Array;
}

const DEFAULTS: Required<ZipLimits> = {
  maxTotalBytes: 4 * 1024 ** 3,
  maxEntryBytes: 2 * 1024 ** 3 - 1,
  maxRatio: 1100,
  maxEntries: 100_000,
};

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOC = 0x07064b50;
const SIG_CEN = 0x02014b50;
const SIG_LOC = 0x04034b50;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5) && (bytes[3] === 4 || bytes[3] === 6);
}

/** Parse the archive's directory and validate every entry; nothing is decompressed yet. */
export function openZip(bytes: Uint8Array, label: string, limits: ZipLimits = {}): ZipArchive {
  const lim = { ...DEFAULTS, ...limits };
  const corrupt = (why: string) =>
    new CorruptFileError(`damaged zip archive: ${why}`, { file: label, hint: 'the file is truncated or corrupt; re-download or re-save it' });
  const unsafe = (why: string) =>
    new UnsafeArchiveError(`refusing to read this zip archive: ${why}`, {
      file: label,
      hint: 'Keras never writes such archives; the file was modified or crafted. Re-save the model with Keras.',
    });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => {
    const v = dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('a ZIP64 size or offset is out of range');
    return Number(v);
  };

  // End of central directory: the last 22+ bytes, possibly followed by a comment of up to 64 KiB.
  let eocd = -1;
  for (let i = len - 22; i >= 0 && i >= len - 22 - 0xffff; i--) {
    if (u32(i) === SIG_EOCD) { eocd = i; break; }
  }
  if (eocd < 0) throw corrupt('no end-of-central-directory record (truncated?)');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0) throw new UnsupportedFeatureError('multi-disk (split) zip archives are not supported', { file: label });
  // ZIP64: a locator right before the EOCD points at the ZIP64 EOCD record.
  if (eocd >= 20 && u32(eocd - 20) === SIG_EOCD64_LOC) {
    const z = u64(eocd - 12);
    if (z + 56 > len || u32(z) !== SIG_EOCD64) throw corrupt('bad ZIP64 end-of-central-directory record');
    count = u64(z + 32);
    cdSize = u64(z + 40);
    cdOffset = u64(z + 48);
  }
  if (count > lim.maxEntries) throw unsafe(`${count} members (limit ${lim.maxEntries})`);
  if (cdOffset + cdSize > len) throw corrupt('central directory lies beyond the end of the file (truncated?)');

  const entries: ZipEntry[] = [];
  const byName = new Map<string, ZipEntry>();
  const dec = new TextDecoder('utf-8', { fatal: false });
  let total = 0;
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > len || u32(p) !== SIG_CEN) throw corrupt(`central directory entry ${i} is damaged`);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const crc32 = u32(p + 16);
    let compressedSize = u32(p + 20);
    let size = u32(p + 24);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    let localHeaderOffset = u32(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > len) throw corrupt(`central directory entry ${i} is truncated`);
    const name = dec.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extended information: only the fields whose 32-bit value is 0xFFFFFFFF are present, in this order.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = u16(e);
      const sz = u16(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) { size = u64(q); q += 8; }
        if (compressedSize === 0xffffffff) { compressedSize = u64(q); q += 8; }
        if (localHeaderOffset === 0xffffffff) { localHeaderOffset = u64(q); q += 8; }
      }
      e += 4 + sz;
    }
    p = eEnd + commentLen;

    checkName(name, unsafe);
    if (byName.has(name)) throw unsafe(`the member name '${name}' occurs twice (a later copy could shadow the first)`);
    if (flags & 1) throw new UnsupportedFeatureError(`member '${name}' is encrypted`, { file: label, hint: 'Keras never encrypts archives; re-save the model' });
    if (method !== 0 && method !== 8) {
      throw new UnsupportedFeatureError(`member '${name}' uses compression method ${method}; only stored and deflate are supported`, {
        file: label,
        hint: 're-save the model with Keras (it writes stored members)',
      });
    }
    if (method === 0 && size !== compressedSize) throw corrupt(`stored member '${name}' declares different sizes`);
    if (size > lim.maxEntryBytes) throw unsafe(`member '${name}' declares ${size} bytes (limit ${lim.maxEntryBytes})`);
    if (method === 8 && size > 1024 * 1024 && size / Math.max(compressedSize, 1) > lim.maxRatio) {
      throw unsafe(`member '${name}' declares a compression ratio of ${Math.round(size / Math.max(compressedSize, 1))}:1 (a zip bomb)`);
    }
    total += size;
    if (total > lim.maxTotalBytes) throw unsafe(`members declare more than ${lim.maxTotalBytes} bytes in total`);
    if (localHeaderOffset + 30 > len) throw corrupt(`member '${name}' lies beyond the end of the file (truncated?)`);
    const entry: ZipEntry = { name, method, compressedSize, size, crc32, localHeaderOffset };
    entries.push(entry);
    byName.set(name, entry);
  }

  const read = (name: string): Uint8Array => {
    const entry = byName.get(name);
    if (!entry) throw corrupt(`no member named '${name}'`);
    const h = entry.localHeaderOffset;
    if (u32(h) !== SIG_LOC) throw corrupt(`local header of '${name}' is damaged`);
    const start = h + 30 + u16(h + 26) + u16(h + 28);
    const end = start + entry.compressedSize;
    if (end > len) throw corrupt(`member '${name}' is truncated`);
    const raw = bytes.subarray(start, end);
    let out: Uint8Array;
    if (entry.method === 0) out = raw;
    else {
      try {
        // The output buffer has exactly the declared size: a member that inflates to more is cut there and then
        // fails the length/CRC check, so memory never exceeds what the directory declared.
        out = inflateSync(raw, { out: new Uint8Array(entry.size) });
      } catch (e) {
        throw corrupt(`member '${name}' does not inflate (${(e as Error).message})`);
      }
    }
    if (out.length !== entry.size) throw corrupt(`member '${name}' inflates to ${out.length} bytes, not the declared ${entry.size}`);
    if (crc32(out) !== entry.crc32) throw corrupt(`member '${name}' fails its CRC-32 check`);
    return out;
  };

  return {
    label,
    entries,
    names: () => entries.map((x) => x.name),
    has: (name) => byName.has(name),
    read,
  };
}

function checkName(name: string, unsafe: (why: string) => Error): void {
  if (name.includes('\\')) throw unsafe(`member name '${name}' contains a backslash`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw unsafe(`member name '${name}' is an absolute path`);
  if (name.split('/').some((part) => part === '..')) throw unsafe(`member name '${name}' escapes the archive with '..'`);
  if (name.includes('\0')) throw unsafe('a member name contains a NUL byte');
}

let crcTable: Int32Array | null = null;
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  const t = crcTable;
  let c = -1;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
