import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sniff } from '../../src/formats/sniff.ts';

const HDF5 = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

test('HDF5 signature at 0 and after a user block', () => {
  assert.deepEqual(sniff(Uint8Array.from([...HDF5, 0, 0])), { container: 'hdf5', hdf5Offset: 0 });
  for (const off of [512, 1024, 4096]) {
    const b = new Uint8Array(off + 16);
    b.set(HDF5, off);
    assert.deepEqual(sniff(b), { container: 'hdf5', hdf5Offset: off });
  }
  const notAligned = new Uint8Array(1000);
  notAligned.set(HDF5, 300);
  assert.equal(sniff(notAligned).container, 'unknown');
});

test('zip, JSON (with BOM and whitespace), empty', () => {
  assert.equal(sniff(Uint8Array.from([0x50, 0x4b, 3, 4, 0])).container, 'zip');
  assert.equal(sniff(new TextEncoder().encode('\ufeff  \n{"class_name": "Sequential"}')).container, 'json');
  assert.equal(sniff(new Uint8Array(0)).container, 'empty');
  assert.equal(sniff(new TextEncoder().encode('  \n ')).container, 'empty');
});

test('other files are described', () => {
  assert.match(sniff(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])).looksLike!, /PNG/);
  assert.match(sniff(new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:abc')).looksLike!, /LFS/);
  assert.equal(sniff(Uint8Array.from([1, 2, 3, 4])).container, 'unknown');
});
