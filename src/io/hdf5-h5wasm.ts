/**
 * `Hdf5File` backed by h5wasm (the HDF5 C library compiled to WASM) — the only file that knows h5wasm exists.
 *
 * Why the low-level `Module` API instead of h5wasm's `File`/`Dataset` classes: we read every dataset and
 * attribute as raw little-endian bytes and decode the dtype here (float16, bfloat16-as-OPAQUE, bool enums,
 * int64), so behaviour does not depend on the h5wasm version or on `Float16Array` (formats.md §6.3).
 *
 * One module instance (h5wasm's default ESM build) serves both inputs. Bytes become an in-memory (MEMFS) file;
 * a Node path becomes a MEMFS node whose reads go to the real file with `fs.readSync` (random access, nothing
 * is copied up front). Why not h5wasm's `h5wasm/node` build: a second 4 MB module to start, and under tsx (how
 * this package runs) its one `import()` makes tsx rewrite the whole file with a source map — ~3 s and ~650 MB
 * of RSS on the first open of a path.
 *
 * Fast path: what Keras writes — contiguous, unfiltered numeric datasets and fixed-length string attributes —
 * is read without HDF5, at the addresses ContiguousLocator (./hdf5-contiguous.ts) finds in the file's metadata;
 * everything else, and anything it does not recognise, goes through HDF5 (hdf5Tuning.fastPath turns it off).
 */
import { CorruptFileError, UnsupportedFeatureError } from '../errors.ts';
import type { AttrValue, DatasetData, DatasetInfo, Hdf5File } from './hdf5.ts';
import { ContiguousLocator, DamagedStructure, type ByteSource, type ContiguousDataset } from './hdf5-contiguous.ts';
import { nodeFs } from './node-fs.ts';
import { halfToFloat } from './npy.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type H5Module = any;

interface Meta {
  type: number;
  littleEndian: boolean;
  size: number;
  signed: boolean;
  vlen: boolean;
  cset?: number;
  strpad?: number;
  shape: number[] | null;
  total_size: number;
  enum_type?: { members: Record<string, number>; type: number; nmembers: number };
}

// H5T classes (hdf5_util_helpers.d.ts)
const T_INTEGER = 0, T_FLOAT = 1, T_STRING = 3, T_OPAQUE = 5, T_ENUM = 8;
const STR_SPACEPAD = 2;

let esmModule: Promise<H5Module> | null = null;

function loadEsm(): Promise<H5Module> {
  esmModule ??= import('h5wasm').then(async (m: any) => {
    await m.ready;
    const M = m.Module;
    // HDF5 errors become JS exceptions carrying the HDF5 message instead of being printed to stderr.
    M.activate_throwing_error_handler();
    installDirectRead(M);
    installOpenGuard(M);
    return M;
  });
  return esmModule;
}

/**
 * A 14 KB Keras-layout legacy .h5 (gzip, base64): root string attributes, `model_weights` with `layer_names`,
 * two layer groups with `weight_names` and small float32 kernel/bias datasets. Written by h5py 3 for
 * `preloadHdf5`'s warm-up.
 */
const WARMUP_H5_GZ =
  'H4sIAAAAAAACA+1awU4TQRie3RbYVNASTQCVdF0uTSSwVKKEizVS7cFIIx5MjMGFDtBQttotoiGNe6w3H4EjR4/e5MgjcOzRR/CGszsz252hpYUGhfT/ksnszPwzOzv7f7Mz38637MKzodjtGPKgaSiK4iiMYwbzkZjm5e9ZrLC4xuJ9lef3+WWjLD/O2tcjYsXXrzIZL3EsIegIa0BDgF5ENvMk58VvRHdAh6pot1XK4+LyDi6sb1SckF+mz3nfYeavsl8Poixz3+voFvHKTVy2nOVPuOwUSjbJH1OQXzMe9EETeNIXcmbFby/NrjW/vRVrdRPb+bbtxELtqEK/hvx26Hisluy1wjrqoF9uqL2Inx9pyt96v8j/dvzduMPrA4C/DX+q9Yt2eZPFM+J3pVv+ZqPMD/s5fznfBom7j6Ki9QWXl21rCzt+/k2F8klRlIBb4Thv0h624sePuzT9ocXzcx7UBpo/P3/u7AW/l+dPF18ooQ4J8xNBamp2ygw9d4zFFWw7pfJasbTTmCuC+YNg11gtWo7jj6gxrxtL+OM2tisFq2hM6gadj0j+rsENdrx8/y04JPlWrr9A7odbVM2bXsG2Xah4VVPV6rtqlT9f8gZwDwAAAAAAAAAAAAAAgKWXiwuKrzpS6FFJf5B0E0BztNM/6wkaw/+LXuaZGrz/9IDEszHGM5bP9cHvk6LdT5Y+murNcQz0XGm8BlGOjdOQr+fSP0ANQdfTc6+h0/Tc6U1ctnFx3iSXKwXLmTdpe4qg7wb3H2f3T3TG/zkD+N/LkPV/ncW1hGjHnZCnuSdy/s91+30fl+YdyY8BzcHPMfCBU1CSxirNiErziZyOkBnEsxzWE6xMRyMaGvnKyvvIG/LKVZU2qLEZJ6K4E6LHcHy+FN8zPi+690+35/6XvAe+dBLuY+T/4kyT4JKwR8IBCXUSEClzf53NDgAAAAAAwNVaV9IVVat96vnXkXsTzXegtUs2Hs3PU+WmaZqfp2q333ZTsN+G/fbJ83Z/JN1MPmfY7Xk7rg/JOl3X+tRMQ5+a6UCf+s34oqU648vRLPAF+HJSn0qmRLuL1qcOpkU+yn4M6HQd8a/0qf0roU/pD0+35/53+AB86f+sTw+vxPr0L3ubIaswNwAA';

let warmedUp: Promise<void> | null = null;

/**
 * Load and instantiate the HDF5 WASM module now, and run once, on a tiny embedded file, the HDF5 calls that
 * reading a Keras file makes (otherwise all of this happens on the first open). V8 compiles WASM functions
 * lazily, on their first call, and optimises them only after they have run for a while: without this, the
 * first read of a large model pays that compilation per dataset. Lets an application pay the start-up early
 * (e.g. while it parses its arguments), and lets benchmarks time reading alone, as `import h5py` is not timed
 * for h5py.
 */
export function preloadHdf5(): Promise<void> {
  warmedUp ??= (async () => {
    await loadEsm();
    const { gunzipSync } = await import('fflate');
    const bytes = gunzipSync(Uint8Array.from(atob(WARMUP_H5_GZ), (c) => c.charCodeAt(0)));
    const f = await openHdf5(bytes, 'keras-import warm-up file');
    try {
      for (let i = 0; i < 3; i++) {
        f.kind('/model_weights');
        f.attrNames('/');
        f.attr('/', 'model_config');
        for (const layer of f.stringListAttr('/model_weights', 'layer_names') ?? []) {
          for (const w of f.stringListAttr(`/model_weights/${layer}`, 'weight_names') ?? []) f.readDataset(`/model_weights/${layer}/${w}`);
        }
      }
    } finally {
      f.close();
    }
  })();
  return warmedUp;
}

/**
 * An HDF5 file can name other files: external links, external raw storage, virtual datasets. Following them
 * would let a crafted model pull bytes of other files into its "weights", so HDF5 may open only the files we
 * put into its file system ourselves (and the temporary files h5wasm's error handler writes). HDF5 only sees
 * Emscripten's in-memory file system, so such a reference could not reach the disk anyway; the guard makes
 * it a clear error naming the referenced file.
 */
const allowedPaths = new Set<string>();
let blockedOpen: string | null = null;
const EACCES = 2; // WASI errno numbering, as Emscripten's syscalls expect

function installOpenGuard(M: H5Module): void {
  const FS = M.FS;
  const orig = FS.open;
  FS.open = function (path: unknown, ...rest: unknown[]) {
    if (typeof path === 'string' && !allowedPaths.has(path) && !path.startsWith('/dev/') && !/^\/tmp\/tmpfile_\w+$/.test(path)) {
      // HDF5 also looks into its filter-plugin directory; refusing that is fine (no plugins are ever loaded)
      // and is not a reference made by the file.
      if (!path.startsWith('/usr/local/hdf5/lib/plugin')) blockedOpen = path;
      throw new FS.ErrnoError(EACCES);
    }
    return orig.call(this, path, ...rest);
  };
}

/**
 * Direct reads. HDF5 copies an unfiltered, unconverted contiguous selection with a single read straight into
 * the caller's buffer. When that read lands exactly on the buffer we passed, we only note where the bytes are
 * and copy them ourselves straight into the output typed array — with `fs.readSync` for a file on disk, or
 * from the in-memory file's bytes (MEMFS) — so the data crosses memory once instead of twice
 * (file → WASM heap → JS). This serves contiguous datasets that the fast path (readContiguous) declines, e.g.
 * in groups with dense link storage. Any other read (metadata, the sieve buffer, chunks, conversion buffers)
 * goes through untouched.
 */
interface Redirect {
  ptr: number;
  nbytes: number;
  hits: number;
  position: number;
  fd: number | null;
  contents: Uint8Array | null;
  size: number;
}
let redirect: Redirect | null = null;

function installDirectRead(M: H5Module): void {
  const FS = M.FS;
  const orig = FS.read;
  FS.read = function (stream: any, buffer: unknown, offset: number, length: number, position?: number) {
    const r = redirect;
    if (r && offset === r.ptr && length === r.nbytes && typeof position === 'number') {
      const fd = stream?.node?.[DISK_FD];
      if (typeof fd === 'number') {
        r.hits++;
        r.fd = fd;
        r.position = position;
        return length;
      }
      const node = stream?.node;
      if (node?.contents instanceof Uint8Array && typeof node.usedBytes === 'number') {
        r.hits++;
        r.contents = node.contents;
        r.size = node.usedBytes;
        r.position = position;
        return length;
      }
    }
    return orig.call(this, stream, buffer, offset, length, position);
  };
}

type ReadSync = (fd: number, buf: Uint8Array, off: number, len: number, pos: number) => number;
let readSyncFn: ReadSync | null = null;
type ReadAsync = (fd: number, buf: Uint8Array, off: number, len: number, pos: number, cb: (err: Error | null, got: number) => void) => void;
let readAsyncFn: ReadAsync | null = null;

/** Property of a disk-backed MEMFS node holding the real file's descriptor. */
const DISK_FD = Symbol('keras-import disk fd');

/**
 * Make `memPath` a read-only MEMFS file whose reads are served from the open descriptor `fd` (`size` bytes):
 * HDF5 gets random access to the real file and nothing is read before HDF5 asks for it.
 */
function createDiskNode(M: H5Module, memPath: string, fd: number, size: number): void {
  const FS = M.FS;
  const readSync = readSyncFn!;
  const node = FS.createFile('/', memPath.slice(1), {}, true, false);
  node.contents = null;
  node[DISK_FD] = fd;
  // MEMFS's getattr (fstat: HDF5 compares the end of file with its recorded end) and SEEK_END use usedBytes.
  Object.defineProperty(node, 'usedBytes', { get: () => size });
  const read = (_stream: unknown, buffer: Uint8Array, offset: number, length: number, position: number): number => {
    if (position >= size) return 0;
    const n = Math.min(length, size - position);
    let done = 0;
    while (done < n) {
      const got = readSync(fd, buffer, offset + done, n - done, position + done);
      if (got <= 0) break; // file shrank under us: a short read, which HDF5 reports as an error
      done += got;
    }
    return done;
  };
  node.stream_ops = {
    ...node.stream_ops,
    read,
    write: () => { throw new FS.ErrnoError(EACCES); },
    mmap: () => { throw new FS.ErrnoError(EACCES); },
  };
}

/** The file on disk as a ByteSource for the contiguous-dataset locator (metadata reads: small and few). */
function fileSource(fd: number, size: number): ByteSource {
  const readInto = (pos: number, b: Uint8Array): void => {
    if (pos < 0 || pos + b.length > size) throw new RangeError('read outside the file');
    let done = 0;
    while (done < b.length) {
      const got = readSyncFn!(fd, b, done, b.length - done, pos + done);
      if (got <= 0) throw new RangeError('short read'); // the file shrank under us
      done += got;
    }
  };
  // Metadata reads are small and clustered (a group's B-tree, heap and symbol nodes, a dataset's header sit
  // together): serving them from a few cached 16 KiB blocks turns hundreds of syscalls into tens.
  const BLOCK = 16384;
  const blocks = new Map<number, Uint8Array>();
  const block = (k: number): Uint8Array => {
    let b = blocks.get(k);
    if (!b) {
      b = new Uint8Array(Math.min(BLOCK, size - k * BLOCK));
      readInto(k * BLOCK, b);
      if (blocks.size >= 16) blocks.delete(blocks.keys().next().value!);
      blocks.set(k, b);
    }
    return b;
  };
  const readIntoAsync = async (pos: number, b: Uint8Array): Promise<void> => {
    if (pos < 0 || pos + b.length > size) throw new RangeError('read outside the file');
    let done = 0;
    while (done < b.length) {
      const got = await new Promise<number>((resolve, reject) =>
        readAsyncFn!(fd, b, done, b.length - done, pos + done, (err, n) => (err ? reject(err) : resolve(n))));
      if (got <= 0) throw new RangeError('short read');
      done += got;
    }
  };
  return {
    size,
    readInto,
    readIntoAsync,
    read(pos, len) {
      if (pos < 0 || pos + len > size) throw new RangeError('read outside the file');
      const k = Math.floor(pos / BLOCK);
      if (len <= BLOCK && Math.floor((pos + len - 1) / BLOCK) === k) return block(k).subarray(pos - k * BLOCK, pos - k * BLOCK + len);
      const b = new Uint8Array(len);
      readInto(pos, b);
      return b;
    },
  };
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
let memCounter = 0;

/**
 * Open an HDF5 file from a path (Node) or from bytes. The caller has already checked the HDF5 signature,
 * so a failure to open means the file is damaged (truncated, corrupt) → CorruptFileError.
 */
export async function openHdf5(input: string | Uint8Array, label: string): Promise<Hdf5File> {
  if (typeof input === 'string' && !isNode) {
    throw new CorruptFileError('file paths can only be opened under Node; pass the bytes instead', { file: label });
  }
  const M = await loadEsm();
  let source: ByteSource;
  const memPath = `/keras-import-${isNode ? process.pid : 0}-${++memCounter}.h5`;
  let release: () => void;
  allowedPaths.add(memPath);
  if (typeof input === 'string') {
    const fs = await nodeFs();
    readSyncFn ??= fs.readSync;
    readAsyncFn ??= fs.read as unknown as ReadAsync;
    let fd: number;
    let size: number;
    try {
      fd = fs.openSync(input, 'r');
    } catch (e) {
      allowedPaths.delete(memPath);
      throw new CorruptFileError(`cannot open the file (${(e as Error).message})`, { file: label, cause: e });
    }
    try {
      size = fs.fstatSync(fd).size;
      createDiskNode(M, memPath, fd, size);
      source = fileSource(fd, size);
    } catch (e) {
      fs.closeSync(fd);
      allowedPaths.delete(memPath);
      throw e;
    }
    release = () => {
      allowedPaths.delete(memPath);
      try {
        M.FS.unlink(memPath);
      } finally {
        fs.closeSync(fd);
      }
    };
  } else {
    // canOwn: MEMFS keeps a view of the caller's bytes instead of copying them (the file is only read).
    const bytes = input;
    const view = (pos: number, len: number) => {
      if (pos < 0 || pos + len > bytes.length) throw new RangeError('read outside the file');
      return bytes.subarray(pos, pos + len);
    };
    source = { size: bytes.length, read: view, readInto: (pos, dst) => dst.set(view(pos, dst.length)) };
    try {
      M.FS.writeFile(memPath, input, { canOwn: true });
    } catch (e) {
      allowedPaths.delete(memPath);
      throw e;
    }
    release = () => {
      allowedPaths.delete(memPath);
      M.FS.unlink(memPath);
    };
  }
  try {
    return H5WasmFile.open(M, memPath, label, release, true, source);
  } catch (e) {
    release();
    throw e;
  }
}

/**
 * Tuning and counters (exported for tests and benchmarks).
 * sliceBytes: above this many bytes a dataset is read in slices along its first axis, so the WASM heap
 * (which never shrinks) stays small. directReads: reads served straight from the file (see installDirectRead).
 * fastPath / fastReads / fastAttrs: whether contiguous datasets and fixed-length string attributes are read
 * from where ContiguousLocator finds them, without HDF5 (see readContiguous), and how many were.
 */
export const hdf5Tuning = { sliceBytes: 16 * 1024 * 1024, directReads: 0, fastPath: true, fastReads: 0, fastAttrs: 0 };

let halfTable: Float32Array | null = null;
function float16Table(): Float32Array {
  if (halfTable) return halfTable;
  // every binary16 bit pattern decoded once; lookups beat per-value decoding for large float16 tensors
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = halfToFloat(h);
  halfTable = t;
  return t;
}

function takeBlockedOpen(): string | null {
  const p = blockedOpen;
  blockedOpen = null;
  return p;
}

function hdf5Message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  // HDF5's error stack: the last "#NNN: … in fn(): message" line holds the root cause.
  const lines = text.split('\n').filter((l) => /#\d+:/.test(l));
  const last = lines.at(-1);
  if (last) {
    const m = /\(\):\s*(.*)$/.exec(last);
    if (m) return m[1].trim();
  }
  return text.split('\n')[0].slice(0, 300);
}

class H5WasmFile implements Hdf5File {
  private closed = false;
  private readonly attrCache = new Map<string, string[]>();
  private readonly locator: ContiguousLocator | null;

  private constructor(
    private readonly M: H5Module,
    private readonly fid: bigint,
    readonly label: string,
    private readonly onClose: (() => void) | null,
    private readonly direct: boolean,
    private readonly source: ByteSource | null,
  ) {
    this.locator = source ? new ContiguousLocator(source) : null;
  }

  static open(M: H5Module, path: string, label: string, onClose: (() => void) | null, direct: boolean, source: ByteSource | null): H5WasmFile {
    let fid: bigint;
    try {
      fid = M.open(path, M.H5F_ACC_RDONLY, false, -1, -1);
    } catch (e) {
      throw new CorruptFileError(`cannot open as HDF5 (${hdf5Message(e)})`, {
        file: label,
        hint: 'the file is truncated or damaged; re-download or re-save it',
        cause: e,
      });
    }
    if (typeof fid !== 'bigint' || fid < 0n) {
      throw new CorruptFileError('cannot open as HDF5', { file: label, hint: 'the file is truncated or damaged; re-download or re-save it' });
    }
    return new H5WasmFile(M, fid, label, onClose, direct, source);
  }

  private fail(what: string, e: unknown): never {
    if (e instanceof CorruptFileError || e instanceof UnsupportedFeatureError) throw e;
    const other = takeBlockedOpen();
    if (other !== null || /external|virtual/i.test(hdf5Message(e))) throw this.externalError(what, other, e);
    throw new CorruptFileError(`HDF5 error while reading ${what}: ${hdf5Message(e)}`, {
      file: this.label,
      hint: 'the file is truncated or damaged; re-download or re-save it',
      cause: e,
    });
  }

  kind(path: string): 'group' | 'dataset' | null {
    let t: number;
    blockedOpen = null;
    try {
      // h5wasm's get_type checks each link with H5LTpath_valid and answers -1 for a missing path.
      t = this.M.get_type(this.fid, path);
    } catch (e) {
      this.fail(path, e);
    }
    if (t === this.M.H5O_TYPE_GROUP) return 'group';
    if (t === this.M.H5O_TYPE_DATASET) return 'dataset';
    const other = takeBlockedOpen();
    if (other !== null) throw this.externalError(path, other);
    return null;
  }

  private externalError(what: string, other: string | null, cause?: unknown): UnsupportedFeatureError {
    return new UnsupportedFeatureError(
      `${what} refers to another file${other ? ` (${other})` : ''} through an external link, external storage or a virtual dataset; such references are not followed`,
      { file: this.label, hint: 'Keras never writes these; re-save the model with Keras', cause },
    );
  }

  keys(groupPath: string): string[] {
    blockedOpen = null;
    try {
      return [...this.M.get_names(this.fid, groupPath, false)] as string[];
    } catch (e) {
      this.fail(groupPath, e);
    }
  }

  attrNames(path: string): string[] {
    const cached = this.attrCache.get(path);
    if (cached) return cached;
    blockedOpen = null;
    try {
      const names = [...this.M.get_attribute_names(this.fid, path)] as string[];
      this.attrCache.set(path, names);
      return names;
    } catch (e) {
      this.fail(`attributes of ${path}`, e);
    }
  }

  attr(path: string, name: string): AttrValue | undefined {
    const known = this.attrCache.get(path);
    if (known && !known.includes(name)) return undefined;
    if (hdf5Tuning.fastPath && this.locator && !this.closed) {
      // Fast path for string attributes (Keras' names and configs), read from the object header (and the global
      // heap for variable-length ones).
      let a: ReturnType<ContiguousLocator['stringAttribute']>;
      try {
        a = this.locator.stringAttribute(path, name);
      } catch (e) {
        if (e instanceof DamagedStructure) {
          throw new CorruptFileError(`attribute ${path}@${name} is damaged (${e.message})`, { file: this.label, hint: 'the file is corrupt; re-download or re-save it' });
        }
        throw e;
      }
      if (a) {
        hdf5Tuning.fastAttrs++;
        const n = a.shape.reduce((x, y) => x * y, 1);
        const values = a.strings ?? decodeStrings(a.bytes, a.bytes, { size: a.size, strpad: a.pad, vlen: false } as Meta, n);
        return a.shape.length === 0 ? values[0] : values;
      }
    }
    const M = this.M;
    let meta: Meta;
    blockedOpen = null;
    try {
      // Asked directly (h5wasm checks existence itself): listing the names first costs another call per group.
      meta = M.get_attribute_metadata(this.fid, path, name);
    } catch (e) {
      if (!this.attrNames(path).includes(name)) return undefined;
      this.fail(`attribute ${path}@${name}`, e);
    }
    if (!meta.shape) return null; // null dataspace
    const scalar = meta.shape.length === 0;
    const n = meta.total_size;
    const nbytes = meta.size * n;
    const ptr = M._malloc(Math.max(nbytes, 1));
    if (!ptr) this.fail(`attribute ${path}@${name}`, new Error(`cannot allocate ${nbytes} bytes`));
    try {
      try {
        M.get_attribute_data(this.fid, path, name, BigInt(ptr));
      } catch (e) {
        this.fail(`attribute ${path}@${name}`, e);
      }
      const heap: Uint8Array = M.HEAPU8;
      const bytes = heap.subarray(ptr, ptr + nbytes);
      let values: (string | number | bigint | boolean)[];
      if (meta.type === T_STRING) {
        values = decodeStrings(heap, bytes, meta, n);
        if (meta.vlen) M.reclaim_vlen_memory(this.fid, path, name, BigInt(ptr));
      } else if (meta.type === T_INTEGER || meta.type === T_FLOAT) {
        values = decodeNumbers(bytes, meta.type, meta.size, meta.signed, n);
      } else if (meta.type === T_ENUM && meta.enum_type) {
        const nums = decodeNumbers(bytes, T_INTEGER, meta.size, meta.signed, n);
        values = isBoolEnum(meta) ? nums.map((v) => Number(v) !== 0) : nums;
      } else {
        return null; // types Keras never writes as attributes (compound, reference, …)
      }
      if (scalar) return values[0] as AttrValue;
      return values as AttrValue;
    } finally {
      M._free(ptr);
    }
  }

  stringListAttr(path: string, name: string): string[] | undefined {
    const toList = (v: AttrValue | undefined, which: string): string[] => {
      if (v === undefined || v === null) return [];
      if (typeof v === 'string') return [v];
      if (Array.isArray(v)) {
        // Empty lists are stored as float64 arrays of shape (0,) (formats.md §1.5).
        if (v.length === 0) return [];
        if (v.every((x) => typeof x === 'string')) return v as string[];
      }
      throw new CorruptFileError(`attribute '${which}' of ${path} is not a list of strings`, { file: this.label });
    };
    const whole = this.attr(path, name);
    if (whole !== undefined) return toList(whole, name);
    const names = this.attrNames(path);
    if (!names.includes(`${name}0`)) return undefined;
    // Chunked form: name0, name1, … until a missing index (formats.md §1.4).
    const out: string[] = [];
    for (let i = 0; names.includes(`${name}${i}`); i++) out.push(...toList(this.attr(path, `${name}${i}`), `${name}${i}`));
    return out;
  }

  private meta(path: string): Meta {
    blockedOpen = null;
    try {
      return this.M.get_dataset_metadata(this.fid, path);
    } catch (e) {
      this.fail(`dataset ${path}`, e);
    }
  }

  private dtypeOf(path: string, meta: Meta): string {
    switch (meta.type) {
      case T_FLOAT:
        return meta.size === 2 ? 'float16' : meta.size === 4 ? 'float32' : meta.size === 8 ? 'float64' : `float${meta.size * 8}`;
      case T_INTEGER:
        return `${meta.signed ? 'int' : 'uint'}${meta.size * 8}`;
      case T_ENUM:
        return isBoolEnum(meta) ? 'bool' : `enum${meta.size * 8}`;
      case T_STRING:
        return 'string';
      case T_OPAQUE: {
        // Keras 3 stores bfloat16 variables as 2-byte OPAQUE with a `dtype` attribute (formats.md §4.2).
        const tag = this.attrNames(path).includes('dtype') ? this.attr(path, 'dtype') : undefined;
        return tag === 'bfloat16' && meta.size === 2 ? 'bfloat16' : 'opaque';
      }
      default:
        return `hdf5-class-${meta.type}`;
    }
  }

  datasetInfo(path: string): DatasetInfo {
    const meta = this.meta(path);
    return { dtype: this.dtypeOf(path, meta), shape: meta.shape ? [...meta.shape] : [] };
  }

  readDataset(path: string): DatasetData {
    if (hdf5Tuning.fastPath && this.locator && !this.closed) {
      const c = this.locator.locate(path);
      if (c) return this.readContiguous(path, c);
    }
    return this.readThroughHdf5(path);
  }

  /**
   * readDatasets with the plain float32/int32 fast-path datasets read by parallel asynchronous reads of at
   * most 4 MB each. Node runs them on its I/O threads, so copying 200 MB of weights out of the page cache
   * uses both cores: ~65 ms instead of ~105 ms for one synchronous reader on this 2-core machine.
   */
  async readDatasetsAsync(paths: string[]): Promise<DatasetData[]> {
    const src = this.source;
    if (!src?.readIntoAsync) return this.readDatasets(paths);
    const pending: Promise<void>[] = [];
    const PIECE = 4 * 1024 * 1024;
    const out = this.readEach(paths, (p, c, values) => {
      // (anything to convert, uint32 included, takes the synchronous decoding path)
      if (!isPlainCopy(c)) return this.readContiguous(p, c, values);
      hdf5Tuning.fastReads++;
      const bytes = new Uint8Array(values.buffer, values.byteOffset, c.nbytes);
      for (let o = 0; o < c.nbytes; o += PIECE) pending.push(src.readIntoAsync!(c.offset + o, bytes.subarray(o, Math.min(c.nbytes, o + PIECE))));
      return { dtype: c.kind === 'float' ? 'float32' : 'int32', shape: c.shape, values };
    });
    await Promise.all(pending);
    return out;
  }

  readDatasets(paths: string[]): DatasetData[] {
    return this.readEach(paths, (p, c, values) => this.readContiguous(p, c, values));
  }

  /**
   * Datasets in order: the fast-path ones through `fast`, with their values carved out of one ArrayBuffer (V8
   * collects garbage for every ~64 MB of new external memory, and one allocation instead of one per weight took
   * ~9 ms of GC off a 200 MB first read); the others through HDF5.
   */
  private readEach(paths: string[], fast: (path: string, c: ContiguousDataset, values: Float32Array | Int32Array) => DatasetData): DatasetData[] {
    const on = hdf5Tuning.fastPath && this.locator && !this.closed;
    const located = paths.map((p) => (on ? this.locator!.locate(p) : null));
    let total = 0;
    for (const c of located) if (c) total += (c.nbytes / c.size) * 4;
    const slab = total > 0 ? new ArrayBuffer(total) : null;
    let at = 0;
    return paths.map((p, i) => {
      const c = located[i];
      if (!c) return this.readThroughHdf5(p);
      const n = c.nbytes / c.size;
      const values = c.kind === 'float' ? new Float32Array(slab!, at, n) : new Int32Array(slab!, at, n);
      at += n * 4;
      return fast(p, c, values);
    });
  }

  /**
   * The fast path: a plain contiguous dataset (ContiguousLocator checked layout, type, filters and bounds) read
   * straight from the file at its address, without HDF5. Same decoding as the HDF5 path; the only extra step
   * is the byte swap HDF5 would do for big-endian data.
   */
  private readContiguous(path: string, c: ContiguousDataset, into?: Float32Array | Int32Array): DatasetData {
    const src = this.source!;
    const float = c.kind === 'float';
    const dtype = float ? `float${c.size * 8}` : `${c.signed ? 'int' : 'uint'}${c.size * 8}`;
    const n = c.nbytes / c.size;
    const values = into ?? (float ? new Float32Array(n) : new Int32Array(n));
    const truncated = () =>
      new CorruptFileError(`dataset ${path} ends beyond the end of the file (truncated file)`, {
        file: this.label,
        hint: 'the file is truncated; re-download or re-save it',
      });
    const read = (pos: number, dst: Uint8Array) => {
      try {
        src.readInto(pos, dst);
      } catch (e) {
        if (e instanceof RangeError) throw truncated();
        throw e;
      }
    };
    hdf5Tuning.fastReads++;
    if (isPlainCopy(c)) {
      // No conversion: the file's bytes are the values.
      read(c.offset, new Uint8Array(values.buffer, values.byteOffset, c.nbytes));
      return { dtype, shape: c.shape, values };
    }
    // Converted in slices through an aligned scratch buffer (never in place in the caller's bytes).
    const perSlice = Math.max(1, Math.floor(Math.min(c.nbytes, hdf5Tuning.sliceBytes) / c.size));
    const scratch = new Uint8Array(perSlice * c.size);
    const meta = { type: float ? T_FLOAT : T_INTEGER, size: c.size, signed: c.signed } as Meta;
    for (let i = 0; i < n; i += perSlice) {
      const count = Math.min(perSlice, n - i);
      const bytes = scratch.subarray(0, count * c.size);
      read(c.offset + i * c.size, bytes);
      if (!c.littleEndian && c.size > 1) byteSwap(bytes, c.size);
      decodeInto(values, i, bytes, dtype, meta, count, path, this.label);
    }
    return { dtype, shape: c.shape, values };
  }

  private readThroughHdf5(path: string): DatasetData {
    const M = this.M;
    const meta = this.meta(path);
    const dtype = this.dtypeOf(path, meta);
    const shape = meta.shape ? [...meta.shape] : [];
    const n = meta.shape ? meta.total_size : 0;
    const isFloat = dtype === 'float16' || dtype === 'float32' || dtype === 'float64' || dtype === 'bfloat16';
    const isInt = meta.type === T_INTEGER || dtype === 'bool' || (meta.type === T_ENUM && meta.size <= 4);
    if (!isFloat && !isInt) {
      throw new UnsupportedFeatureError(`dataset ${path} has dtype ${dtype}, which cannot be a weight`, { file: this.label });
    }
    const values = isFloat ? new Float32Array(n) : new Int32Array(n);
    if (n === 0) return { dtype, shape, values };

    const elem = meta.size;
    // Direct path: 4-byte little-endian data needs no conversion. (Filtered or converted data is never read
    // by HDF5 straight into our buffer with its exact length, so the redirect cannot trigger for it.)
    const direct = this.direct && elem === 4 && meta.littleEndian && (dtype === 'float32' || dtype === 'int32');
    // Slice along the first axis when the dataset is large, so the WASM heap never holds a whole big tensor.
    const rowElems = shape.length > 0 ? n / shape[0] : n;
    const rowsPerSlice = shape.length > 0 ? Math.max(1, Math.floor(hdf5Tuning.sliceBytes / (rowElems * elem))) : 1;
    const rows = shape.length > 0 ? shape[0] : 1;
    const maxBytes = Math.min(rows, rowsPerSlice) * rowElems * elem;
    const ptr = M._malloc(maxBytes);
    if (!ptr) this.fail(`dataset ${path}`, new Error(`cannot allocate ${maxBytes} bytes in the WASM heap`));
    try {
      for (let r0 = 0; r0 < rows; r0 += rowsPerSlice) {
        const r1 = Math.min(rows, r0 + rowsPerSlice);
        const count = (r1 - r0) * rowElems;
        const r: Redirect | null = direct ? { ptr, nbytes: count * elem, hits: 0, position: 0, fd: null, contents: null, size: 0 } : null;
        redirect = r;
        blockedOpen = null;
        try {
          if (r0 === 0 && r1 === rows) {
            M.get_dataset_data(this.fid, path, null, null, null, BigInt(ptr));
          } else {
            const cnt = shape.map((s, i) => BigInt(i === 0 ? r1 - r0 : s));
            const offset = shape.map((_, i) => BigInt(i === 0 ? r0 : 0));
            const strides = shape.map(() => 1n);
            M.get_dataset_data(this.fid, path, cnt, offset, strides, BigInt(ptr));
          }
        } catch (e) {
          this.fail(`dataset ${path}`, e);
        } finally {
          redirect = null;
        }
        if (r && r.hits === 1) {
          hdf5Tuning.directReads++;
          const dst = new Uint8Array(values.buffer, values.byteOffset + r0 * rowElems * elem, r.nbytes);
          const truncated = () =>
            new CorruptFileError(`dataset ${path} ends beyond the end of the file (truncated file)`, {
              file: this.label,
              hint: 'the file is truncated; re-download or re-save it',
            });
          if (r.contents) {
            if (r.position + r.nbytes > r.size) throw truncated();
            dst.set(r.contents.subarray(r.position, r.position + r.nbytes));
          } else {
            let done = 0;
            while (done < r.nbytes) {
              const got = readSyncFn!(r.fd!, dst.subarray(done), 0, r.nbytes - done, r.position + done);
              if (got <= 0) throw truncated();
              done += got;
            }
          }
          continue;
        }
        // Re-read HEAPU8 after the call: the heap may have grown (new ArrayBuffer).
        const heap: Uint8Array = M.HEAPU8;
        const bytes = heap.subarray(ptr, ptr + count * elem);
        decodeInto(values, r0 * rowElems, bytes, dtype, meta, count, path, this.label);
      }
    } finally {
      M._free(ptr);
    }
    return { dtype, shape, values };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.M.close_file(this.fid);
    } finally {
      this.onClose?.();
    }
  }
}

/** float32 or int32, little-endian: the file's bytes are the values. */
function isPlainCopy(c: ContiguousDataset): boolean {
  return c.size === 4 && c.littleEndian && (c.kind === 'float' || c.signed);
}

/** Reverses the byte order of each `size`-byte element in place. */
function byteSwap(b: Uint8Array, size: number): void {
  for (let o = 0; o + size <= b.length; o += size) {
    for (let i = 0, j = size - 1; i < j; i++, j--) {
      const t = b[o + i];
      b[o + i] = b[o + j];
      b[o + j] = t;
    }
  }
}

function isBoolEnum(meta: Meta): boolean {
  const names = Object.keys(meta.enum_type?.members ?? {});
  return names.length === 2 && names.includes('FALSE') && names.includes('TRUE');
}

function decodeStrings(heap: Uint8Array, bytes: Uint8Array, meta: Meta, n: number): string[] {
  const dec = new TextDecoder('utf-8');
  const out: string[] = [];
  if (meta.vlen) {
    // Each element is a 4-byte pointer (wasm32) to a NUL-terminated string in the WASM heap.
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) {
      const p = dv.getUint32(i * 4, true);
      if (p === 0) { out.push(''); continue; }
      let end = p;
      while (heap[end] !== 0) end++;
      out.push(dec.decode(heap.subarray(p, end)));
    }
    return out;
  }
  const size = meta.size;
  for (let i = 0; i < n; i++) {
    const item = bytes.subarray(i * size, (i + 1) * size);
    let end = item.indexOf(0);
    if (end < 0) end = item.length;
    let s = dec.decode(item.subarray(0, end));
    if (meta.strpad === STR_SPACEPAD) s = s.replace(/ +$/, '');
    out.push(s);
  }
  return out;
}

function decodeNumbers(bytes: Uint8Array, type: number, size: number, signed: boolean, n: number): (number | bigint)[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: (number | bigint)[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * size;
    if (type === T_FLOAT) {
      out.push(size === 8 ? dv.getFloat64(o, true) : size === 4 ? dv.getFloat32(o, true) : float16Table()[dv.getUint16(o, true)]);
    } else if (size === 8) {
      const v = signed ? dv.getBigInt64(o, true) : dv.getBigUint64(o, true);
      out.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
    } else if (size === 4) out.push(signed ? dv.getInt32(o, true) : dv.getUint32(o, true));
    else if (size === 2) out.push(signed ? dv.getInt16(o, true) : dv.getUint16(o, true));
    else out.push(signed ? dv.getInt8(o) : dv.getUint8(o));
  }
  return out;
}

/** Decode `count` little-endian elements (h5wasm converts big-endian on read) into `out` at `at`. */
function decodeInto(
  out: Float32Array | Int32Array, at: number, bytes: Uint8Array, dtype: string, meta: Meta, count: number, path: string, label: string,
): void {
  const aligned = bytes.byteOffset % 8 === 0;
  switch (dtype) {
    case 'float32':
      if (aligned) (out as Float32Array).set(new Float32Array(bytes.buffer, bytes.byteOffset, count), at);
      else (out as Float32Array).set(new Float32Array(bytes.slice().buffer), at);
      return;
    case 'float64': {
      const src = aligned ? new Float64Array(bytes.buffer, bytes.byteOffset, count) : new Float64Array(bytes.slice().buffer);
      for (let i = 0; i < count; i++) out[at + i] = src[i];
      return;
    }
    case 'float16': {
      const t = float16Table();
      const src = aligned ? new Uint16Array(bytes.buffer, bytes.byteOffset, count) : new Uint16Array(bytes.slice().buffer);
      for (let i = 0; i < count; i++) out[at + i] = t[src[i]];
      return;
    }
    case 'bfloat16': {
      // bfloat16 is the upper half of a float32.
      const src = aligned ? new Uint16Array(bytes.buffer, bytes.byteOffset, count) : new Uint16Array(bytes.slice().buffer);
      const u32 = new Uint32Array(out.buffer, out.byteOffset, out.length);
      for (let i = 0; i < count; i++) u32[at + i] = src[i] << 16;
      return;
    }
  }
  // integers, bools and other enums
  const size = meta.size;
  const signed = meta.type === T_ENUM ? true : meta.signed;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    const o = i * size;
    let v: number;
    if (size === 1) v = signed ? dv.getInt8(o) : dv.getUint8(o);
    else if (size === 2) v = signed ? dv.getInt16(o, true) : dv.getUint16(o, true);
    else if (size === 4) v = signed ? dv.getInt32(o, true) : dv.getUint32(o, true);
    else {
      const b = signed ? dv.getBigInt64(o, true) : dv.getBigUint64(o, true);
      v = Number(b);
    }
    if (v > 2147483647 || v < -2147483648) {
      throw new UnsupportedFeatureError(`dataset ${path} (${dtype}) holds the value ${v}, which does not fit in int32`, { file: label });
    }
    out[at + i] = v;
  }
}
