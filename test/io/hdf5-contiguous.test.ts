/**
 * The contiguous-dataset fast path (ContiguousLocator + readContiguous) against HDF5 itself: every value it
 * returns must be byte-identical to the HDF5 path (fastPath off), and it must decline every layout it does not
 * handle. Fixtures: test/fixtures/hdf5-layouts (make_layouts.py) and the shared Keras corpus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hdf5Tuning, openHdf5 } from '../../src/io/hdf5-h5wasm.ts';
import { lookup3 } from '../../src/io/hdf5-contiguous.ts';
import type { DatasetData, Hdf5File } from '../../src/io/hdf5.ts';
import { readKerasArchive } from '../../src/formats/keras-v3.ts';
import { corpusDir, SKIP_NO_CORPUS } from '../helpers/corpus.ts';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'hdf5-layouts');
const expected: Record<string, Record<string, { contiguous: boolean }>> = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8'));

/** Runs `f` with the fast path on or off, restoring the setting. */
function withFastPath<T>(on: boolean, f: () => T): T {
  const saved = hdf5Tuning.fastPath;
  hdf5Tuning.fastPath = on;
  try {
    return f();
  } finally {
    hdf5Tuning.fastPath = saved;
  }
}

const bytesOf = (d: DatasetData) => new Uint8Array(d.values.buffer, d.values.byteOffset, d.values.byteLength);

/** Reads `path` both ways; asserts identical results; says whether the fast path served it. */
function readBothWays(f: Hdf5File, path: string): { fast: boolean; error?: unknown } {
  const attempt = (on: boolean): { data: DatasetData | null; error: unknown } => {
    try {
      return { data: withFastPath(on, () => f.readDataset(path)), error: null };
    } catch (e) {
      return { data: null, error: e };
    }
  };
  const { data: slow, error: slowError } = attempt(false);
  const before = hdf5Tuning.fastReads;
  const { data: fastData, error: fastError } = attempt(true);
  const fast = hdf5Tuning.fastReads > before;
  if (slowError || fastError) {
    // Same outcome: both refuse, with the same kind of error (e.g. a dtype that cannot be a weight).
    assert.ok(slowError && fastError, `${path}: one path failed and the other did not (${String(slowError ?? fastError)})`);
    assert.equal((fastError as Error).constructor, (slowError as Error).constructor, path);
    return { fast, error: slowError };
  }
  assert.equal(fastData!.dtype, slow!.dtype, `${path}: dtype`);
  assert.deepEqual(fastData!.shape, slow!.shape, `${path}: shape`);
  assert.equal(fastData!.values.constructor, slow!.values.constructor, `${path}: array type`);
  assert.deepEqual(bytesOf(fastData!), bytesOf(slow!), `${path}: values differ from HDF5's`);
  return { fast };
}

const NOT_FAST = /\/(chunked|gzip|shuffle_be|compact|bools|empty|soft)$|^\/dense_links\//;

for (const name of ['default.h5', 'latest.h5']) {
  for (const mode of ['path', 'bytes'] as const) {
    test(`${name} (${mode}): fast path = HDF5's values, taken exactly for plain contiguous numeric datasets`, async () => {
      const p = join(FIX, name);
      const f = await openHdf5(mode === 'path' ? p : new Uint8Array(readFileSync(p)), name);
      try {
        const paths = Object.keys(expected[name]);
        assert.ok(paths.length >= 25);
        const taken: string[] = [];
        for (const path of [...paths, '/model_weights/layer_a/p4/soft']) {
          const { fast } = readBothWays(f, path);
          if (fast) {
            taken.push(path);
            // Only where HDF5 itself reports contiguous storage.
            assert.ok(expected[name][path]?.contiguous, `${path}: fast path on a dataset HDF5 does not store contiguously`);
          } else if (!NOT_FAST.test(path) && !path.endsWith('/unwritten')) {
            assert.fail(`${path}: plain contiguous dataset not served by the fast path`);
          }
        }
        for (const path of taken) assert.ok(!NOT_FAST.test(path), `${path}: must be declined (read by HDF5)`);
        // 6 floats, 11 integers, the scalar (+ the unwritten dataset where HDF5 allocated its storage)
        assert.ok(taken.length >= 18, `only ${taken.length} fast reads`);
      } finally {
        f.close();
      }
    });

    test(`${name} (${mode}): fixed- and variable-length string attributes from the header and global heap = HDF5's; others go to HDF5`, async () => {
      const p = join(FIX, name);
      const open = () => openHdf5(mode === 'path' ? p : new Uint8Array(readFileSync(p)), name);
      const fastF = await open();
      const slowF = await open();
      try {
        const cases: [string, string, boolean][] = [
          ['/model_weights/layer_a', 'weight_names', true],
          ['/model_weights/layer_a', 'fixed_scalar', true],
          ['/model_weights/layer_a', 'scalar_text', true],
          ['/model_weights', 'layer_names', true],
          ['/', 'spacepad', true],
          ['/model_weights/layer_a', 'vlen_names', true],
          ['/model_weights/layer_a', 'count', false],
          ['/model_weights/layer_a', 'absent', false],
        ];
        for (const [path, attr, fast] of cases) {
          const want = withFastPath(false, () => slowF.attr(path, attr));
          const before = hdf5Tuning.fastAttrs;
          const got = withFastPath(true, () => fastF.attr(path, attr));
          assert.deepEqual(got, want, `${path}@${attr}`);
          assert.equal(hdf5Tuning.fastAttrs > before, fast, `${path}@${attr}: fast path ${fast ? 'not ' : ''}taken`);
        }
        assert.deepEqual(withFastPath(true, () => fastF.attr('/model_weights/layer_a', 'weight_names')), ['p0/float_le_f4', 'p1/int_le_i1']);
        assert.equal(withFastPath(true, () => fastF.attr('/', 'spacepad')), 'abc');
        assert.equal(withFastPath(true, () => fastF.attr('/model_weights/layer_a', 'fixed_scalar')), '{"config": 2}');
      } finally {
        fastF.close();
        slowF.close();
      }
    });
  }
}

test('lookup3 (HDF5 metadata checksums) matches the reference values of lookup3.c', () => {
  const enc = new TextEncoder();
  assert.equal(lookup3(new Uint8Array(0)), 0xdeadbeef);
  assert.equal(lookup3(enc.encode('Four score and seven years ago')), 0x17770551);
});

test('a corrupted v2 object header (bad checksum): the fast path agrees with HDF5, which reports the damage', async () => {
  const bytes = new Uint8Array(readFileSync(join(FIX, 'latest.h5')));
  const path = '/model_weights/layer_a/p0/float_le_f4';
  // The nearest object header ("OHDR") before this dataset's data: h5py writes a header, then its data.
  const f1 = await openHdf5(bytes, 'latest.h5');
  const vals = bytesOf(withFastPath(false, () => f1.readDataset(path)));
  f1.close();
  const dataAt = indexOf(bytes, vals);
  assert.ok(dataAt > 0);
  let headerAt = -1;
  for (let i = dataAt - 4; i >= 0 && headerAt < 0; i--) {
    if (bytes[i] === 0x4f && bytes[i + 1] === 0x48 && bytes[i + 2] === 0x44 && bytes[i + 3] === 0x52) headerAt = i;
  }
  assert.ok(headerAt > 0);
  const bad = bytes.slice();
  bad[headerAt + 40] ^= 0xff; // inside the checksummed header
  const f = await openHdf5(bad, 'bad.h5');
  try {
    let failed = 0;
    for (const p of Object.keys(expected['latest.h5'])) if (readBothWays(f, p).error) failed++;
    assert.ok(failed >= 1, 'the corrupted header went unnoticed');
  } finally {
    f.close();
  }
});

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Every group and dataset path in the file, through HDF5's own listing. */
function objects(f: Hdf5File, group = '/', out: { path: string; dataset: boolean }[] = [{ path: '/', dataset: false }]) {
  for (const k of f.keys(group)) {
    const p = group === '/' ? `/${k}` : `${group}/${k}`;
    const kind = f.kind(p);
    if (kind) out.push({ path: p, dataset: kind === 'dataset' });
    if (kind === 'group') objects(f, p, out);
  }
  return out;
}

test('corpus: every dataset of every .h5 (and .keras weight store) reads byte-identically with and without the fast path', async (t) => {
  if (!corpusDir) return t.skip(SKIP_NO_CORPUS);
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(h5|hdf5|keras)$/.test(e)) files.push(p);
    }
  };
  walk(corpusDir);
  files.sort();
  assert.ok(files.length > 100);
  let fast = 0;
  let total = 0;
  let attrs = 0;
  let fastAttrs = 0;
  for (const [i, file] of files.entries()) {
    let input: string | Uint8Array = file;
    if (file.endsWith('.keras')) {
      let store: Uint8Array | null = null;
      try {
        store = readKerasArchive(new Uint8Array(readFileSync(file)), file).weights;
      } catch {
        // not every corpus .keras is a valid archive (some are HDF5 under that name, or adversarial)
        input = new Uint8Array(readFileSync(file));
        if (input[0] !== 0x89) continue;
      }
      if (store) input = store;
      else if (typeof input === 'string') continue;
    } else if (i % 2) {
      input = new Uint8Array(readFileSync(file)); // alternate path and bytes inputs across the corpus
    }
    const f = await openHdf5(input, file);
    const slowF = await openHdf5(input, file); // a second handle, so cached attribute names cannot leak between the two ways
    try {
      for (const o of objects(f)) {
        if (o.dataset) {
          total++;
          if (readBothWays(f, o.path).fast) fast++;
        }
        for (const name of withFastPath(false, () => slowF.attrNames(o.path))) {
          const want = withFastPath(false, () => slowF.attr(o.path, name));
          const before = hdf5Tuning.fastAttrs;
          assert.deepEqual(withFastPath(true, () => f.attr(o.path, name)), want, `${file}: ${o.path}@${name}`);
          attrs++;
          if (hdf5Tuning.fastAttrs > before) fastAttrs++;
        }
      }
    } finally {
      f.close();
      slowF.close();
    }
  }
  t.diagnostic(`${files.length} files, ${total} datasets (${fast} through the fast path), ${attrs} attributes (${fastAttrs})`);
  // Keras/h5py write contiguous datasets: nearly all of them take the fast path.
  assert.ok(total > 3000, `${total} datasets`);
  assert.ok(fast > 0.95 * total, `fast path served ${fast} of ${total}`);
  assert.ok(fastAttrs > 1000, `${fastAttrs} attributes through the fast path`);
});

test('damaged metadata (seeded bit flips): whenever the fast path returns values, HDF5 returns the same values', async () => {
  // v1 object headers carry no checksums, so a flipped bit can leave a file that HDF5 still reads; the fast path
  // must then agree with it, and must decline wherever HDF5 refuses (it checks what HDF5 checks on the way).
  const orig = new Uint8Array(readFileSync(join(FIX, 'default.h5')));
  const paths = Object.keys(expected['default.h5']);
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  let agreed = 0;
  for (let v = 0; v < 150; v++) {
    const b = orig.slice();
    for (let i = 0, n = 1 + Math.floor(rnd() * 3); i < n; i++) b[Math.floor(rnd() * b.length)] ^= 1 << Math.floor(rnd() * 8);
    let f: Hdf5File;
    try {
      f = await openHdf5(b, 'flipped.h5');
    } catch {
      continue; // HDF5 refuses the file outright: the fast path is never asked
    }
    try {
      for (const p of paths) {
        const r = readBothWays(f, p); // asserts same values, or both failing
        if (r.fast && !r.error) agreed++;
      }
    } finally {
      f.close();
    }
  }
  assert.ok(agreed > 1000, `only ${agreed} fast reads compared`);
});

for (const name of ['default.h5', 'latest.h5']) {
  test(`${name}: readDatasets = readDataset on each path, fast-path values sharing one buffer`, async () => {
    const f = await openHdf5(join(FIX, name), name);
    try {
      const paths = Object.keys(expected[name]).filter((p) => !/\/(bools|empty|soft|unwritten)$/.test(p));
      const one = paths.map((p) => { try { return f.readDataset(p); } catch { return null; } });
      const readable = paths.filter((_, i) => one[i] !== null);
      assert.ok(readable.length >= 20, `only ${readable.length} readable datasets`);
      const before = hdf5Tuning.fastReads;
      const many = f.readDatasets(readable);
      const fastCount = hdf5Tuning.fastReads - before;
      assert.ok(fastCount >= 15, `only ${fastCount} fast reads`);
      const wanted = one.filter((d) => d !== null);
      many.forEach((d, i) => {
        assert.equal(d.dtype, wanted[i]!.dtype, readable[i]);
        assert.deepEqual(d.shape, wanted[i]!.shape, readable[i]);
        assert.deepEqual(bytesOf(d), bytesOf(wanted[i]!), `${readable[i]}: values differ`);
      });
      // the fast-path datasets share one buffer; each HDF5-read one has its own
      assert.equal(new Set(many.map((d) => d.values.buffer)).size, many.length - fastCount + 1);
      assert.throws(() => f.readDatasets([readable[0], '/model_weights/nope']), /nope/);
    } finally {
      f.close();
    }
  });
}

for (const name of ['default.h5', 'latest.h5']) {
  test(`${name}: readDatasetsAsync (overlapped file reads) = readDataset on each path`, async () => {
    const f = await openHdf5(join(FIX, name), name);
    try {
      const paths = Object.keys(expected[name]).filter((p) => !/\/(bools|empty|soft|unwritten)$/.test(p));
      const readable = paths.filter((p) => { try { f.readDataset(p); return true; } catch { return false; } });
      const one = readable.map((p) => f.readDataset(p));
      const many = await f.readDatasetsAsync(readable);
      many.forEach((d, i) => {
        assert.equal(d.dtype, one[i].dtype, readable[i]);
        assert.deepEqual(d.shape, one[i].shape, readable[i]);
        assert.deepEqual(bytesOf(d), bytesOf(one[i]), `${readable[i]}: values differ`);
      });
      await assert.rejects(f.readDatasetsAsync([readable[0], '/model_weights/nope']), /nope/);
    } finally {
      f.close();
    }
  });
}

test('a damaged global heap (a string object whose size overruns its collection) is a CorruptFileError, not handed to HDF5', async () => {
  // HDF5 1.14 loops forever on some such damage (found by bit-flipping test/fixtures/runtime/nested.h5).
  const { readModelFile } = await import('../../src/import.ts');
  const { CorruptFileError } = await import('../../src/errors.ts');
  const good = readFileSync(join(FIX, '..', 'runtime', 'nested.h5'));
  const at = good.indexOf(Buffer.from('GCOL'));
  assert.ok(at > 0, 'the fixture has a global heap');
  const bad = new Uint8Array(good);
  // first object: index (2) refcount (2) reserved (4) size (8) at collection + 16
  new DataView(bad.buffer).setUint32(at + 16 + 8, 0x7fffff, true);
  await assert.rejects(readModelFile(bad, { label: 'damaged.h5' }), (e: unknown) => e instanceof CorruptFileError && /damaged.*global heap/.test((e as Error).message));
  // and the module still reads good files afterwards
  const spec = await readModelFile(new Uint8Array(good), { label: 'nested.h5' });
  assert.ok(spec.layers.length > 0);
});
