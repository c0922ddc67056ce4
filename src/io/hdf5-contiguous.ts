/**
 * Where a contiguous, unfiltered dataset's raw bytes lie in an HDF5 file, found by reading the file's own
 * metadata: the superblock, the groups along the path (old-style symbol tables or compact link messages) and
 * the dataset's object header (dataspace, datatype, data layout messages) — HDF5 File Format Specification
 * version 3.0, sections II–IV.
 *
 * Why hand-written: h5wasm 0.10.3 exposes no H5Dget_offset / H5Oget_info, and reading through H5Dread costs
 * per-dataset calls into cold WASM code (open, type and space queries, the read itself) that dominated a
 * model's first read. Keras writes its weights (through h5py) as contiguous, unfiltered datasets, so knowing
 * the address is enough to read them straight from the file.
 *
 * Only what h5py writes is recognised: superblock v0–v3, object headers v1 and v2 (checksums verified, as
 * HDF5 does), symbol-table groups and compact link-message groups, layout message v3/v4 contiguous with
 * allocated storage, IEEE floats and plain integers, no filters and no external storage. For anything else
 * (chunked, compressed, compact, dense link storage, soft/external links, shared messages, committed types,
 * other float formats, data past the end of the file, anything that does not parse) `locate` returns null and
 * the caller reads the dataset through HDF5 — the same values, more slowly. It never guesses.
 */

/** Random access to the file's bytes; both reads throw a RangeError when the range is outside the file. */
export interface ByteSource {
  readonly size: number;
  /** `len` bytes at `pos` (possibly a view of the caller's bytes: never write to it). */
  read(pos: number, len: number): Uint8Array;
  /** Fills `dst` with the bytes at `pos`. */
  readInto(pos: number, dst: Uint8Array): void;
  /** The same, asynchronously, where the source can overlap several reads (a file: Node's I/O threads). */
  readIntoAsync?(pos: number, dst: Uint8Array): Promise<void>;
}

export interface ContiguousDataset {
  kind: 'float' | 'int';
  /** Bytes per element: 2, 4 or 8 for floats; 1, 2, 4 or 8 for integers. */
  size: number;
  littleEndian: boolean;
  signed: boolean;
  shape: number[];
  /** Absolute position of the first data byte in the file. */
  offset: number;
  /** shape's element count × size. */
  nbytes: number;
}

class Unrecognised extends Error {}
/**
 * Structure that is certainly damaged (not merely outside what we parse): reported as such rather than handed to
 * HDF5, which loops forever on some damaged global heaps (seen with a single flipped bit in an object size).
 */
export class DamagedStructure extends Error {}
const no = (why: string): never => {
  throw new Unrecognised(why);
};

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const UNDEF = -1; // an undefined address (all bits set)

interface Message {
  type: number;
  flags: number;
  data: Uint8Array;
}

/** A fixed-length string attribute as stored: one `size`-byte string per element of `shape`. */
export interface FixedStringAttribute {
  /** [] for a scalar. */
  shape: number[];
  size: number;
  /** HDF5 string padding: 0 NUL-terminated, 1 NUL-padded, 2 space-padded. */
  pad: number;
  bytes: Uint8Array;
  /** Variable-length strings (h5py 3's `str` attributes): the values, read from the global heap. */
  strings?: string[];
}

/** A group's children: object header address per name, or null for links we do not follow. */
type Children = Map<string, number | null>;

export class ContiguousLocator {
  private base = 0;
  private offsetSize = 8;
  private lengthSize = 8;
  private root = UNDEF;
  /** End of the file's allocated space, relative to base (HDF5 refuses any read past it). */
  private eoa = Infinity;
  /** Group B-tree 'K' values (leaf, internal): HDF5 reads whole nodes of the size they give. */
  private groupK: [number, number] = [4, 16];
  private ready: boolean | null = null;
  private readonly groups = new Map<number, Children | null>();
  private readonly headers = new Map<number, Message[]>();
  private readonly heapCollections = new Map<number, Map<number, Uint8Array>>();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly src: ByteSource) {}

  /** The raw-data location of the dataset at `path`, or null when it is not a plain contiguous dataset we recognise. */
  locate(path: string): ContiguousDataset | null {
    return this.guard(() => {
      const addr = this.resolve(path);
      return addr === null || addr === this.root ? null : this.dataset(addr);
    });
  }

  /**
   * The attribute `name` of the object at `path` when it is a fixed-length string attribute (how h5py stores
   * NumPy `S` arrays such as Keras' layer_names and weight_names, and h5py 2 stored bytes such as model_config)
   * or a variable-length string one (h5py 3's `str`, e.g. model_config); null for anything else, including an
   * absent attribute (HDF5 then answers, e.g. for dense attribute storage). Throws DamagedStructure for a
   * damaged global heap.
   */
  stringAttribute(path: string, name: string): FixedStringAttribute | null {
    return this.guard(() => {
      const addr = this.resolve(path);
      if (addr === null) return null;
      for (const m of this.headerOf(addr)) {
        if (m.type === 0x0c) {
          const a = this.attribute(m.data, name);
          if (a !== undefined) return a;
        }
      }
      return null;
    });
  }

  /** Anything malformed or outside the recognised subset → null: HDF5 reads it (and reports damage) instead. */
  private guard<T>(f: () => T | null): T | null {
    try {
      if (this.ready === null) {
        this.ready = false;
        this.superblock();
        this.ready = true;
      }
      return this.ready ? f() : null;
    } catch (e) {
      if (e instanceof Unrecognised || e instanceof RangeError) return null;
      throw e;
    }
  }

  /** Object header address of `path` through hard links, or null. */
  private resolve(path: string): number | null {
    let addr = this.root;
    for (const part of path.split('/')) {
      if (part.length === 0) continue;
      const next = this.children(addr)?.get(part);
      if (next === undefined || next === null) return null;
      addr = next;
    }
    return addr;
  }

  /**
   * Group headers are read for their links and then for their attributes: parsed once, kept as copies (a view
   * would keep the whole 16 KiB block it came from alive for as long as the file is open).
   */
  private headerOf(addr: number): Message[] {
    let m = this.headers.get(addr);
    if (!m) {
      m = this.messages(addr).map((x) => ({ ...x, data: x.data.slice() }));
      this.headers.set(addr, m);
    }
    return m;
  }

  /** Attribute message (IV.A.2.m) named `name` → its value if a fixed-length string; undefined if another name. */
  private attribute(d: Uint8Array, name: string): FixedStringAttribute | null | undefined {
    const version = d[0];
    if (version < 1 || version > 3) return null;
    const nameSize = ContiguousLocator.uint(d, 2, 2);
    const typeSize = ContiguousLocator.uint(d, 4, 2);
    const spaceSize = ContiguousLocator.uint(d, 6, 2);
    const pad8 = (n: number) => (version === 1 ? Math.ceil(n / 8) * 8 : n);
    let p = version === 3 ? 9 : 8;
    if (nameSize < 1 || p + nameSize > d.length) return null;
    // The stored name ends with a NUL that nameSize counts.
    if (nameSize - 1 !== name.length || this.utf8(d.subarray(p, p + nameSize - 1)) !== name) return undefined;
    if (version > 1 && (d[1] & 0x03) !== 0) return null; // shared datatype or dataspace
    p += pad8(nameSize);
    const t = d.subarray(p, p + typeSize);
    p += pad8(typeSize);
    const shape = this.dataspace(d.subarray(p, p + spaceSize));
    p += pad8(spaceSize);
    if (!shape) return null;
    // Variable-length string: class 9, type 1; each element is a length and a global heap ID.
    if ((t[0] & 0x0f) === 9 && (t[1] & 0x0f) === 1) {
      const n = shape.reduce((a, b) => a * b, 1);
      const each = 4 + this.offsetSize + 4;
      if (p + n * each > d.length) return null;
      const strings: string[] = [];
      for (let i = 0; i < n; i++, p += each) {
        const len = ContiguousLocator.uint(d, p, 4);
        const collection = this.addrAt(d, p + 4);
        const index = ContiguousLocator.uint(d, p + 4 + this.offsetSize, 4);
        if (len === 0 && (collection === 0 || collection === UNDEF)) { strings.push(''); continue; }
        const obj = this.heapObject(collection, index);
        if (len > obj.length) throw new DamagedStructure(`a string of ${len} bytes in a global heap object of ${obj.length}`);
        const str = obj.subarray(0, len);
        const nul = str.indexOf(0);
        strings.push(this.utf8(nul < 0 ? str : str.subarray(0, nul)));
      }
      return { shape, size: 0, pad: 0, bytes: new Uint8Array(0), strings };
    }
    // String class, fixed length.
    if ((t[0] & 0x0f) !== 3) return null;
    const pad = t[1] & 0x0f;
    const size = t[4] | (t[5] << 8) | (t[6] << 16) | (t[7] << 24);
    const n = shape.reduce((a, b) => a * b, 1);
    if (pad > 2 || size <= 0 || p + n * size > d.length) return null;
    return { shape, size, pad, bytes: d.subarray(p, p + n * size) };
  }

  /**
   * Object `index` of the global heap collection at `addr` (IV.E). The whole collection is walked and checked
   * once (signature, version, every object inside the collection, the index present): a damaged one is a
   * DamagedStructure, never HDF5's to read.
   */
  private heapObject(addr: number, index: number): Uint8Array {
    let objects = this.heapCollections.get(addr);
    if (!objects) {
      const L = this.lengthSize;
      const head = this.bytes(addr, 8 + L);
      if (head[0] !== 0x47 || head[1] !== 0x43 || head[2] !== 0x4f || head[3] !== 0x4c) throw new DamagedStructure('global heap collection without its GCOL signature');
      if (head[4] !== 1) no(`global heap version ${head[4]}`);
      const size = this.lenAt(head, 8);
      if (size < 8 + L || size > this.src.size) throw new DamagedStructure(`global heap collection of ${size} bytes`);
      const c = this.bytes(addr, size).slice();
      objects = new Map();
      for (let p = 8 + L; p + 8 + L <= size; ) {
        const idx = ContiguousLocator.uint(c, p, 2);
        const osize = this.lenAt(c, p + 8);
        if (idx === 0) break; // free space: the rest of the collection
        const start = p + 8 + L;
        const next = start + Math.ceil(osize / 8) * 8;
        if (next > size) throw new DamagedStructure(`global heap object ${idx} of ${osize} bytes overruns its collection`);
        if (objects.has(idx)) throw new DamagedStructure(`global heap object ${idx} appears twice`);
        objects.set(idx, c.subarray(start, start + osize));
        p = next;
      }
      this.heapCollections.set(addr, objects);
    }
    const obj = objects.get(index);
    if (!obj) throw new DamagedStructure(`global heap object ${index} is missing`);
    return obj;
  }

  // --- primitive reads ------------------------------------------------------------------------------

  private bytes(addr: number, len: number): Uint8Array {
    const pos = this.base + addr;
    if (addr < 0 || len < 0 || pos + len > this.src.size || addr + len > this.eoa) no('outside the file');
    return this.src.read(pos, len);
  }

  /** Little-endian unsigned integer of `n` bytes; all bits set → UNDEF. */
  private static uint(b: Uint8Array, at: number, n: number): number {
    if (at + n > b.length) no('truncated structure');
    let v = 0;
    let allOnes = true;
    for (let i = n - 1; i >= 0; i--) {
      const byte = b[at + i];
      if (byte !== 0xff) allOnes = false;
      v = v * 256 + byte;
    }
    if (allOnes) return UNDEF;
    if (!Number.isSafeInteger(v)) no('address beyond 2^53');
    return v;
  }

  private addrAt(b: Uint8Array, at: number): number {
    return ContiguousLocator.uint(b, at, this.offsetSize);
  }

  private lenAt(b: Uint8Array, at: number): number {
    const v = ContiguousLocator.uint(b, at, this.lengthSize);
    if (v === UNDEF) no('undefined length');
    return v;
  }

  private utf8(b: Uint8Array): string {
    try {
      return this.decoder.decode(b);
    } catch {
      return no('name is not UTF-8');
    }
  }

  // --- superblock (spec II.A) ----------------------------------------------------------------------

  private superblock(): void {
    // The signature is at 0 or after a user block of 512, 1024, 2048, … bytes.
    let sig = -1;
    for (let p = 0; p + 8 <= this.src.size; p = p === 0 ? 512 : p * 2) {
      const b = this.src.read(p, 8);
      if (SIGNATURE.every((x, i) => b[i] === x)) {
        sig = p;
        break;
      }
    }
    if (sig < 0) no('no signature');
    const head = this.src.read(sig, Math.min(128, this.src.size - sig));
    const version = head[8];
    let storedBase = UNDEF;
    if (version === 0 || version === 1) {
      this.offsetSize = head[13];
      this.lengthSize = head[14];
      this.checkSizes();
      let at = version === 0 ? 24 : 28;
      storedBase = ContiguousLocator.uint(head, at, this.offsetSize);
      this.eoa = ContiguousLocator.uint(head, at + 2 * this.offsetSize, this.offsetSize);
      this.groupK = [ContiguousLocator.uint(head, 16, 2), ContiguousLocator.uint(head, 18, 2)];
      if (this.groupK[0] === 0 || this.groupK[1] === 0) no('group B-tree K');
      at += 4 * this.offsetSize; // base, free-space, end-of-file, driver-info addresses
      // Root group symbol table entry: link name offset, then the object header address.
      this.root = ContiguousLocator.uint(head, at + this.offsetSize, this.offsetSize);
    } else if (version === 2 || version === 3) {
      this.offsetSize = head[9];
      this.lengthSize = head[10];
      this.checkSizes();
      const end = 12 + 4 * this.offsetSize;
      if (lookup3(head.subarray(0, end)) !== ContiguousLocator.uint(head, end, 4)) no('superblock checksum');
      storedBase = ContiguousLocator.uint(head, 12, this.offsetSize);
      this.eoa = ContiguousLocator.uint(head, 12 + 2 * this.offsetSize, this.offsetSize);
      this.root = ContiguousLocator.uint(head, 12 + 3 * this.offsetSize, this.offsetSize);
    } else {
      no(`superblock version ${version}`);
    }
    if (this.root === UNDEF) no('no root group');
    // Addresses count from the superblock: HDF5 takes the signature's position as the base address whatever the
    // stored one says, and moves the end of allocated space by the difference (H5F__super_read).
    if (this.eoa === UNDEF) this.eoa = Infinity;
    else if (storedBase !== UNDEF && storedBase !== sig) this.eoa -= storedBase - sig;
    this.base = sig;
  }

  private checkSizes(): void {
    if (![2, 4, 8].includes(this.offsetSize) || ![2, 4, 8].includes(this.lengthSize)) no('offset/length size');
  }

  // --- object headers (spec IV.A) ------------------------------------------------------------------

  private messages(addr: number): Message[] {
    if (addr === UNDEF) no('undefined object address');
    const first = this.bytes(addr, Math.min(16, this.src.size - this.base - addr));
    const out: Message[] = [];
    const blocks: [number, number][] = [];
    const seen = new Set<number>();
    if (first[0] === 1) {
      // Version 1: 16-byte prefix (version, reserved, message count, reference count, header size, padding).
      const count = ContiguousLocator.uint(first, 2, 2);
      const size = ContiguousLocator.uint(first, 8, 4);
      blocks.push([addr + 16, size]);
      let seenMessages = 0; // the count includes continuation and null messages
      while (blocks.length > 0) {
        const [at, len] = blocks.shift()!;
        if (seen.has(at) || seen.size > 64) no('continuation loop');
        seen.add(at);
        const b = this.bytes(at, len);
        for (let p = 0; p + 8 <= len; seenMessages++) {
          const type = ContiguousLocator.uint(b, p, 2);
          const msize = ContiguousLocator.uint(b, p + 2, 2);
          const flags = b[p + 4];
          if (p + 8 + msize > len) no('message overruns its block');
          if (msize % 8 !== 0) no('message not aligned'); // v1 messages are padded to 8 bytes
          checkMessageFlags(flags);
          const data = b.subarray(p + 8, p + 8 + msize);
          if (type === 0x10) blocks.push([this.addrAt(data, 0), this.lenAt(data, this.offsetSize)]);
          else out.push({ type, flags, data });
          p += 8 + msize;
        }
      }
      if (seenMessages !== count) no('bad object header message count');
      return out;
    }
    if (!(first[0] === 0x4f && first[1] === 0x48 && first[2] === 0x44 && first[3] === 0x52) || first[4] !== 2) no('object header version');
    // Version 2: "OHDR", version, flags, optional times and attribute phase change values, chunk 0 size.
    const flags = first[5];
    let p = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
    const sizeBytes = 1 << (flags & 3);
    const head = this.bytes(addr, p + sizeBytes);
    const chunk0 = ContiguousLocator.uint(head, p, sizeBytes);
    p += sizeBytes;
    const orderTracked = (flags & 0x04) !== 0;
    // Each block: [start, length including the prefix and the checksum, prefix length].
    const v2blocks: [number, number, number][] = [[addr, p + chunk0 + 4, p]];
    while (v2blocks.length > 0) {
      const [at, len, prefix] = v2blocks.shift()!;
      if (seen.has(at) || seen.size > 64) no('continuation loop');
      seen.add(at);
      const b = this.bytes(at, len);
      if (prefix === 4 && !(b[0] === 0x4f && b[1] === 0x43 && b[2] === 0x48 && b[3] === 0x4b)) no('continuation signature');
      if (lookup3(b.subarray(0, len - 4)) !== ContiguousLocator.uint(b, len - 4, 4)) no('object header checksum');
      const end = len - 4;
      const hsize = orderTracked ? 6 : 4;
      for (let q = prefix; q + hsize <= end; ) {
        const type = b[q];
        const msize = ContiguousLocator.uint(b, q + 1, 2);
        const mflags = b[q + 3];
        if (q + hsize + msize > end) no('message overruns its block');
        checkMessageFlags(mflags);
        const data = b.subarray(q + hsize, q + hsize + msize);
        if (type === 0x10) v2blocks.push([this.addrAt(data, 0), this.lenAt(data, this.offsetSize), 4]);
        else out.push({ type, flags: mflags, data });
        q += hsize + msize;
      }
    }
    return out;
  }

  // --- groups (spec III.A, III.B, IV.A.2.g/l/r) ----------------------------------------------------

  private children(addr: number): Children | null {
    if (this.groups.has(addr)) return this.groups.get(addr)!;
    let result: Children | null = null;
    try {
      result = this.readChildren(addr);
    } catch (e) {
      if (!(e instanceof Unrecognised || e instanceof RangeError)) throw e;
    }
    this.groups.set(addr, result);
    return result;
  }

  private readChildren(addr: number): Children | null {
    const msgs = this.headerOf(addr);
    const out: Children = new Map();
    let symbolTable: Message | null = null;
    let links = 0;
    for (const m of msgs) {
      if (m.type === 0x11) symbolTable = m;
      else if (m.type === 0x02) {
        // Link info: a defined fractal heap address means dense link storage, which we do not read.
        const d = m.data;
        if (d[0] !== 0) no('link info version');
        const at = 2 + (d[1] & 1 ? 8 : 0);
        if (this.addrAt(d, at) !== UNDEF) return null;
      } else if (m.type === 0x06) {
        this.linkMessage(m.data, out);
        links++;
      }
    }
    if (symbolTable) {
      if (links > 0) no('both link styles');
      const btree = this.addrAt(symbolTable.data, 0);
      const heap = this.addrAt(symbolTable.data, this.offsetSize);
      this.symbolTable(btree, this.localHeap(heap), out);
    }
    return out;
  }

  private linkMessage(d: Uint8Array, out: Children): void {
    if (d[0] !== 1) no('link message version');
    const flags = d[1];
    let p = 2;
    let type = 0;
    if (flags & 0x08) type = d[p++];
    if (flags & 0x04) p += 8;
    if (flags & 0x10) p++;
    const lenBytes = 1 << (flags & 3);
    const nameLen = ContiguousLocator.uint(d, p, lenBytes);
    p += lenBytes;
    if (p + nameLen > d.length) no('link name overruns');
    const name = this.utf8(d.subarray(p, p + nameLen));
    p += nameLen;
    // Only hard links are followed; soft and external links are HDF5's to resolve (and guard).
    out.set(name, type === 0 ? this.addrAt(d, p) : null);
  }

  private localHeap(addr: number): Uint8Array {
    const h = this.bytes(addr, 8 + 2 * this.lengthSize + this.offsetSize);
    if (!(h[0] === 0x48 && h[1] === 0x45 && h[2] === 0x41 && h[3] === 0x50) || h[4] !== 0) no('local heap');
    const size = this.lenAt(h, 8);
    const data = this.bytes(this.addrAt(h, 8 + 2 * this.lengthSize), size);
    // The free list, checked as HDF5 checks it when it loads the heap (H5HL__fl_deserialize); 1 ends it.
    let free = this.lenAt(h, 8 + this.lengthSize);
    for (let guard = 0; free !== 1; guard++) {
      if (free >= size || guard > size) no('bad heap free list');
      const next = this.lenAt(data, free);
      const blockSize = this.lenAt(data, free + this.lengthSize);
      if (next === 0 || free + blockSize > size) no('bad heap free list');
      free = next;
    }
    return data;
  }

  /** The NUL-terminated name at `offset` in a local heap's data, without the NUL. */
  private heapBytes(heap: Uint8Array, offset: number): Uint8Array {
    if (offset < 0 || offset >= heap.length) no('name outside the heap');
    const end = heap.indexOf(0, offset);
    if (end < 0) no('unterminated name');
    return heap.subarray(offset, end);
  }

  /**
   * Walks a group's version 1 B-tree (node type 0) down to its symbol table nodes, reading every entry. HDF5
   * instead searches by name (keys bound each child: left < name ≤ right, entries sorted), so the order is
   * checked too: where HDF5 would miss a name in a damaged tree, we decline rather than find it.
   */
  private symbolTable(root: number, heap: Uint8Array, out: Children): void {
    const O = this.offsetSize;
    const L = this.lengthSize;
    const seen = new Set<number>();
    const visit = (addr: number, depth: number, lo: Uint8Array | null, hi: Uint8Array | null): void => {
      if (depth > 32 || seen.has(addr) || seen.size > 100_000) no('B-tree loop');
      seen.add(addr);
      const head = this.bytes(addr, 8 + 2 * O);
      if (!(head[0] === 0x54 && head[1] === 0x52 && head[2] === 0x45 && head[3] === 0x45) || head[4] !== 0) no('group B-tree node');
      const level = head[5];
      const used = ContiguousLocator.uint(head, 6, 2);
      const entries = 2 * this.groupK[1];
      if (used > entries) no('B-tree node overfull');
      const node = this.bytes(addr, 8 + 2 * O + entries * (L + O) + L);
      const key = (i: number) => this.heapBytes(heap, this.lenAt(node, 8 + 2 * O + i * (L + O)));
      for (let i = 0; i < used; i++) {
        const child = this.addrAt(node, 8 + 2 * O + i * (L + O) + L);
        const left = key(i);
        const right = key(i + 1);
        if ((lo && compare(left, lo) < 0) || (hi && compare(right, hi) > 0)) no('B-tree keys out of order');
        if (level > 0) visit(child, depth + 1, left, right);
        else this.symbolNode(child, heap, left, right, out);
      }
    };
    visit(root, 0, null, null);
  }

  private symbolNode(addr: number, heap: Uint8Array, left: Uint8Array, right: Uint8Array, out: Children): void {
    const O = this.offsetSize;
    const head = this.bytes(addr, 8);
    if (!(head[0] === 0x53 && head[1] === 0x4e && head[2] === 0x4f && head[3] === 0x44) || head[4] !== 1) no('symbol table node');
    const n = ContiguousLocator.uint(head, 6, 2);
    const entry = 2 * O + 24;
    if (n > 2 * this.groupK[0]) no('symbol table node overfull');
    const b = this.bytes(addr + 8, 2 * this.groupK[0] * entry);
    let prev = left;
    for (let i = 0; i < n; i++) {
      const at = i * entry;
      const raw = this.heapBytes(heap, this.addrAt(b, at));
      if (compare(raw, prev) <= 0 || compare(raw, right) > 0) no('symbol table entries out of order');
      prev = raw;
      const header = this.addrAt(b, at + O);
      const cacheType = ContiguousLocator.uint(b, at + 2 * O, 4);
      if (cacheType > 2) no('symbol table entry cache type');
      // Cache type 2 is a soft link (no object header of its own).
      out.set(this.utf8(raw), cacheType === 2 || header === UNDEF ? null : header);
    }
  }

  // --- the dataset (spec IV.A.2.b/d/i/j/l) ---------------------------------------------------------

  private dataset(addr: number): ContiguousDataset | null {
    let space: Message | null = null;
    let type: Message | null = null;
    let layout: Message | null = null;
    for (const m of this.messages(addr)) {
      switch (m.type) {
        case 0x01: space = m; break;
        case 0x03: type = m; break;
        case 0x08: layout = m; break;
        case 0x04:
        case 0x05:
          // Not needed for allocated data, but HDF5 decodes it on open and refuses a damaged one.
          if (!fillValueFits(m)) return null;
          break;
        case 0x07: // external data files
        case 0x0b: // filter pipeline
          return null;
      }
    }
    if (!space || !type || !layout) return null; // a group, or not a dataset we know
    // Shared (committed) messages live elsewhere: leave them to HDF5.
    if ((space.flags | type.flags | layout.flags) & 0x02) return null;
    const shape = this.dataspace(space.data);
    const t = datatype(type.data);
    if (!shape || !t) return null;
    const l = layout.data;
    if ((l[0] !== 3 && l[0] !== 4) || l[1] !== 1) return null; // contiguous only
    const dataAddr = this.addrAt(l, 2);
    const dataSize = this.lenAt(l, 2 + this.offsetSize);
    const n = shape.reduce((a, b) => a * b, 1);
    const nbytes = n * t.size;
    if (dataAddr === UNDEF || dataSize !== nbytes || n === 0) return null; // unallocated (fill value), or inconsistent
    const offset = this.base + dataAddr;
    if (offset + nbytes > this.src.size || dataAddr + nbytes > this.eoa) return null; // past the end: HDF5 reports it
    return { ...t, shape, offset, nbytes };
  }

  private dataspace(d: Uint8Array): number[] | null {
    const version = d[0];
    const rank = d[1];
    const flags = d[2];
    let at: number;
    if (version === 1) {
      if (flags & 0x02) return null; // permutation indices (never implemented by HDF5)
      at = 8;
    } else if (version === 2) {
      if (d[3] !== (rank === 0 ? 0 : 1)) return null; // null dataspace, or an inconsistent type
      at = 4;
    } else {
      return null;
    }
    const shape: number[] = [];
    for (let i = 0; i < rank; i++) shape.push(this.lenAt(d, at + i * this.lengthSize));
    if (flags & 0x01) {
      // Maximum dimensions follow; HDF5 refuses a size above its maximum (all bits set = unlimited).
      for (let i = 0; i < rank; i++) {
        const max = ContiguousLocator.uint(d, at + (rank + i) * this.lengthSize, this.lengthSize);
        if (max !== UNDEF && max < shape[i]) return null;
      }
    }
    return shape;
  }
}

/** Whether a fill value message (old 0x04 or new 0x05, versions 1–3) holds the value size it declares. */
function fillValueFits(m: Message): boolean {
  const d = m.data;
  const sizeAt = (at: number) => (at + 4 <= d.length ? (d[at] | (d[at + 1] << 8) | (d[at + 2] << 16) | (d[at + 3] << 24)) >>> 0 : -1);
  let at: number;
  if (m.type === 0x04) at = 0;
  else if (d[0] === 1 || d[0] === 2) {
    if (d[0] === 2 && d[3] === 0) return d.length >= 4; // no value stored
    at = 4;
  } else if (d[0] === 3) {
    if (!(d[1] & 0x20)) return d.length >= 2;
    at = 2;
  } else return false;
  const n = sizeAt(at);
  return n >= 0 && at + 4 + n <= d.length;
}

/** Message flag combinations HDF5 refuses (H5O__chunk_deserialize): shared + don't-share, and the "was unknown" bit without "mark if unknown" or with "fail if unknown and writing". */
function checkMessageFlags(f: number): void {
  if ((f & 0x02 && f & 0x04) || (f & 0x20 && f & 0x08) || (f & 0x20 && !(f & 0x10))) no('bad flag combination for message');
}

/** strcmp on names (HDF5 orders a group's B-tree by it). */
function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** IEEE 754 binary16/32/64 as HDF5 describes them: precision, exponent location and size, mantissa size, bias, sign bit. */
const IEEE: Record<number, [number, number, number, number, number, number]> = {
  2: [16, 10, 5, 10, 15, 15],
  4: [32, 23, 8, 23, 127, 31],
  8: [64, 52, 11, 52, 1023, 63],
};

function datatype(d: Uint8Array): Pick<ContiguousDataset, 'kind' | 'size' | 'littleEndian' | 'signed'> | null {
  const cls = d[0] & 0x0f;
  const b0 = d[1];
  const size = d[4] | (d[5] << 8) | (d[6] << 16) | (d[7] << 24);
  const u16 = (at: number) => d[at] | (d[at + 1] << 8);
  const version = d[0] >> 4;
  if (version < 1 || version > 4) return null; // HDF5 refuses other versions
  if (d.length < (cls === 1 ? 20 : 12)) return null; // the properties must be there
  if (cls === 0) {
    // Fixed-point: bit 0 byte order, bits 1–2 padding, bit 3 signed; all bits used.
    if (![1, 2, 4, 8].includes(size) || (b0 & 0x06) !== 0) return null;
    if (u16(8) !== 0 || u16(10) !== size * 8) return null;
    return { kind: 'int', size, littleEndian: (b0 & 1) === 0, signed: (b0 & 0x08) !== 0 };
  }
  if (cls === 1) {
    const ieee = IEEE[size];
    if (!ieee) return null;
    // Bit 6 set means VAX order; bits 1–3 padding must be zero; bits 4–5 = 2 (implied leading 1); sign bit.
    if ((b0 & 0x40) !== 0 || (b0 & 0x0e) !== 0 || ((b0 >> 4) & 3) !== 2 || d[2] !== ieee[5]) return null;
    const [precision, expLoc, expSize, mantSize, bias] = ieee;
    if (u16(8) !== 0 || u16(10) !== precision || d[12] !== expLoc || d[13] !== expSize || d[14] !== 0 || d[15] !== mantSize) return null;
    if ((d[16] | (d[17] << 8) | (d[18] << 16) | (d[19] << 24)) !== bias) return null;
    return { kind: 'float', size, littleEndian: (b0 & 1) === 0, signed: true };
  }
  return null;
}

/** Bob Jenkins' lookup3 `hashlittle` with initial value 0: HDF5's metadata checksum (H5_checksum_lookup3). */
export function lookup3(k: Uint8Array): number {
  let length = k.length;
  let a = (0xdeadbeef + length) | 0;
  let b = a;
  let c = a;
  const rot = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  let o = 0;
  while (length > 12) {
    a = (a + (k[o] | (k[o + 1] << 8) | (k[o + 2] << 16) | (k[o + 3] << 24))) | 0;
    b = (b + (k[o + 4] | (k[o + 5] << 8) | (k[o + 6] << 16) | (k[o + 7] << 24))) | 0;
    c = (c + (k[o + 8] | (k[o + 9] << 8) | (k[o + 10] << 16) | (k[o + 11] << 24))) | 0;
    a = (a - c) | 0; a ^= rot(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rot(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rot(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rot(b, 4); b = (b + a) | 0;
    length -= 12;
    o += 12;
  }
  if (length === 0) return c >>> 0;
  /* eslint-disable no-fallthrough */
  switch (length) {
    case 12: c = (c + (k[o + 11] << 24)) | 0;
    case 11: c = (c + (k[o + 10] << 16)) | 0;
    case 10: c = (c + (k[o + 9] << 8)) | 0;
    case 9: c = (c + k[o + 8]) | 0;
    case 8: b = (b + (k[o + 7] << 24)) | 0;
    case 7: b = (b + (k[o + 6] << 16)) | 0;
    case 6: b = (b + (k[o + 5] << 8)) | 0;
    case 5: b = (b + k[o + 4]) | 0;
    case 4: a = (a + (k[o + 3] << 24)) | 0;
    case 3: a = (a + (k[o + 2] << 16)) | 0;
    case 2: a = (a + (k[o + 1] << 8)) | 0;
    case 1: a = (a + k[o]) | 0;
  }
  c ^= b; c = (c - rot(b, 14)) | 0;
  a ^= c; a = (a - rot(c, 11)) | 0;
  b ^= a; b = (b - rot(a, 25)) | 0;
  c ^= b; c = (c - rot(b, 16)) | 0;
  a ^= c; a = (a - rot(c, 4)) | 0;
  b ^= a; b = (b - rot(a, 14)) | 0;
  c ^= b; c = (c - rot(b, 24)) | 0;
  return c >>> 0;
}
