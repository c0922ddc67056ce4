import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseNpy, writeNpy } from '../../src/io/npy.ts';
import { CorruptFileError } from '../../src/errors.ts';

const fx = (n: string) => readFileSync(new URL(`../fixtures/npy/${n}`, import.meta.url));

// fixtures written by numpy.save (see test/fixtures/npy); expected values are the numpy expressions used
test('reads numpy-written arrays of several dtypes and byte orders', () => {
  const a = parseNpy(fx('f4_2x3.npy'));
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual([...a.data], [0, 0.25, 0.5, 0.75, 1, 1.25]);
  const b = parseNpy(fx('f8_be.npy'));
  assert.equal(b.dtype, 'float64');
  assert.deepEqual([...b.data], [-1.5, -0.5, 0.5, 1.5]);
  const c = parseNpy(fx('i8.npy'));
  assert.ok(c.data instanceof Int32Array);
  assert.deepEqual([...c.data], [1, -2, 3, 40000]);
  const h = parseNpy(fx('f2.npy'));
  assert.equal(h.data[0], 0.5); assert.equal(h.data[1], -2.25); assert.equal(h.data[2], 65504);
  assert.ok(Math.abs(h.data[3] - 1.1920928955078125e-7) < 1e-12); // float16 rounding of 1e-7
  assert.deepEqual([...parseNpy(fx('bool.npy')).data], [1, 0, 1]);
});

test('round-trips what it writes, with 64-byte aligned data', () => {
  const data = new Float32Array([1.5, -2, 3e-8, 7]);
  const bytes = writeNpy(data, [2, 2]);
  const hdrLen = new DataView(bytes.buffer).getUint16(8, true);
  assert.equal((10 + hdrLen) % 64, 0);
  const back = parseNpy(bytes);
  assert.deepEqual(back.shape, [2, 2]);
  assert.deepEqual([...back.data], [...data]);
  assert.throws(() => writeNpy(data, [3]), RangeError);
});

test('rejects non-npy and truncated bytes with a typed error naming the file', () => {
  assert.throws(() => parseNpy(new Uint8Array([1, 2, 3]), 'x.npy'), (e: Error) => e instanceof CorruptFileError && /x\.npy/.test(e.message));
  const good = fx('f4_2x3.npy');
  assert.throws(() => parseNpy(good.subarray(0, good.length - 3), 'cut.npy'), /truncated/);
});
