import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync, strToU8 } from 'fflate';
import { crc32, openZip } from '../../src/io/zip.ts';
import { CorruptFileError, UnsafeArchiveError, UnsupportedFeatureError } from '../../src/errors.ts';

const enc = (s: string) => strToU8(s);

function replaceAll(bytes: Uint8Array, from: string, to: string): Uint8Array {
  assert.equal(from.length, to.length);
  const out = bytes.slice();
  const f = enc(from);
  for (let i = 0; i + f.length <= out.length; i++) {
    if (f.every((b, j) => out[i + j] === b)) out.set(enc(to), i);
  }
  return out;
}

test('reads stored and deflated members, checks CRC', () => {
  const data = new Uint8Array(100_000).map((_, i) => i % 7);
  const z = zipSync({ 'a.txt': [enc('hello'), { level: 0 }], 'dir/b.bin': [data, { level: 6 }] });
  const arc = openZip(z, 'x.zip');
  assert.deepEqual(arc.names(), ['a.txt', 'dir/b.bin']);
  assert.equal(new TextDecoder().decode(arc.read('a.txt')), 'hello');
  assert.deepEqual(arc.read('dir/b.bin'), data);
  assert.equal(arc.entries[1].method, 8);
  assert.equal(arc.entries[0].method, 0);
});

test('CRC-32 matches the standard check value', () => {
  assert.equal(crc32(enc('123456789')), 0xcbf43926);
});

test('duplicate member names are rejected', () => {
  const z = replaceAll(zipSync({ 'config.json': enc('{}'), 'configXjson': enc('{"evil":1}') }, { level: 0 }), 'configXjson', 'config.json');
  assert.throws(() => openZip(z, 'dup.keras'), (e: unknown) => e instanceof UnsafeArchiveError && /twice/.test(e.message) && /dup\.keras/.test(e.message));
});

test('path traversal, absolute and backslash names are rejected', () => {
  for (const name of ['../evil.h5', 'a/../../b', '/etc/passwd', 'C:/x', 'a\\b']) {
    const z = zipSync({ [name]: enc('x') });
    assert.throws(() => openZip(z, 't.zip'), UnsafeArchiveError, name);
  }
});

test('declared sizes over the limits are rejected before inflating', () => {
  const z = zipSync({ 'model.weights.h5': new Uint8Array(4_000_000) }, { level: 9 });
  // 4 MB of zeros deflates ~1000:1 — under the default ratio limit, over a small entry limit.
  assert.throws(() => openZip(z, 'big.keras', { maxEntryBytes: 1_000_000 }), UnsafeArchiveError);
  assert.throws(() => openZip(z, 'big.keras', { maxTotalBytes: 1_000_000 }), UnsafeArchiveError);
  // Patch the central directory's uncompressed size to 3.9 GiB (a lying bomb header).
  const bomb = z.slice();
  const dv = new DataView(bomb.buffer);
  let cen = -1;
  for (let i = bomb.length - 22; i >= 0; i--) if (dv.getUint32(i, true) === 0x02014b50) { cen = i; break; }
  dv.setUint32(cen + 24, 0xf0000000, true);
  assert.throws(() => openZip(bomb, 'bomb.keras'), (e: unknown) => e instanceof UnsafeArchiveError && /ratio|bytes/.test(e.message));
});

test('truncated and corrupt archives → CorruptFileError', () => {
  const z = zipSync({ 'config.json': enc('{"a":1}'.repeat(100)), 'model.weights.h5': new Uint8Array(5000).fill(3) }, { level: 0 });
  assert.throws(() => openZip(z.subarray(0, z.length - 30), 'cut.keras'), CorruptFileError);
  assert.throws(() => openZip(z.subarray(0, 100), 'cut.keras'), CorruptFileError);
  assert.throws(() => openZip(new Uint8Array(10), 'tiny.zip'), CorruptFileError);
  // Flip a byte inside the stored weights: the CRC check catches it on read.
  const bad = z.slice();
  bad[1000] ^= 0xff;
  const arc = openZip(bad, 'flip.keras');
  assert.throws(() => arc.read('model.weights.h5'), (e: unknown) => e instanceof CorruptFileError && /CRC/.test(e.message));
  // Corrupt deflate stream.
  const d = zipSync({ 'x': new Uint8Array(20000).map((_, i) => (i * 31) % 251) }, { level: 6 });
  const d2 = d.slice();
  for (let i = 40; i < 60; i++) d2[i] ^= 0x5a;
  assert.throws(() => openZip(d2, 'd.zip').read('x'), CorruptFileError);
});

test('encrypted members and unknown methods are unsupported', () => {
  const z = zipSync({ 'a': enc('x') }, { level: 0 });
  const dv = new DataView(z.buffer);
  let cen = -1;
  for (let i = z.length - 22; i >= 0; i--) if (dv.getUint32(i, true) === 0x02014b50) { cen = i; break; }
  const enc1 = z.slice();
  new DataView(enc1.buffer).setUint16(cen + 8, 1, true);
  assert.throws(() => openZip(enc1, 'e.zip'), UnsupportedFeatureError);
  const m = z.slice();
  new DataView(m.buffer).setUint16(cen + 10, 12, true);
  assert.throws(() => openZip(m, 'm.zip'), UnsupportedFeatureError);
});

test('ZIP64 directory records are followed', () => {
  // Build a ZIP64 archive by hand: one stored member, sizes/offset in the ZIP64 extra field, ZIP64 EOCD + locator.
  const name = enc('config.json');
  const body = enc('{"ok":true}');
  const crc = crc32(body);
  const parts: Uint8Array[] = [];
  const local = new Uint8Array(30 + name.length + 20);
  let dv = new DataView(local.buffer);
  dv.setUint32(0, 0x04034b50, true); dv.setUint16(4, 45, true); dv.setUint32(14, crc, true);
  dv.setUint32(18, 0xffffffff, true); dv.setUint32(22, 0xffffffff, true);
  dv.setUint16(26, name.length, true); dv.setUint16(28, 20, true);
  local.set(name, 30);
  dv.setUint16(30 + name.length, 1, true); dv.setUint16(32 + name.length, 16, true);
  dv.setBigUint64(34 + name.length, BigInt(body.length), true); dv.setBigUint64(42 + name.length, BigInt(body.length), true);
  parts.push(local, body);
  const cdOff = local.length + body.length;
  const cen = new Uint8Array(46 + name.length + 28);
  dv = new DataView(cen.buffer);
  dv.setUint32(0, 0x02014b50, true); dv.setUint16(4, 45, true); dv.setUint16(6, 45, true); dv.setUint32(16, crc, true);
  dv.setUint32(20, 0xffffffff, true); dv.setUint32(24, 0xffffffff, true); dv.setUint16(28, name.length, true);
  dv.setUint16(30, 28, true); dv.setUint32(42, 0xffffffff, true);
  cen.set(name, 46);
  const x = 46 + name.length;
  dv.setUint16(x, 1, true); dv.setUint16(x + 2, 24, true);
  dv.setBigUint64(x + 4, BigInt(body.length), true); dv.setBigUint64(x + 12, BigInt(body.length), true); dv.setBigUint64(x + 20, 0n, true);
  parts.push(cen);
  const eocd64Off = cdOff + cen.length;
  const e64 = new Uint8Array(56);
  dv = new DataView(e64.buffer);
  dv.setUint32(0, 0x06064b50, true); dv.setBigUint64(4, 44n, true); dv.setUint16(12, 45, true); dv.setUint16(14, 45, true);
  dv.setBigUint64(24, 1n, true); dv.setBigUint64(32, 1n, true); dv.setBigUint64(40, BigInt(cen.length), true); dv.setBigUint64(48, BigInt(cdOff), true);
  const loc = new Uint8Array(20);
  dv = new DataView(loc.buffer);
  dv.setUint32(0, 0x07064b50, true); dv.setBigUint64(8, BigInt(eocd64Off), true); dv.setUint32(16, 1, true);
  const eocd = new Uint8Array(22);
  dv = new DataView(eocd.buffer);
  dv.setUint32(0, 0x06054b50, true); dv.setUint16(8, 0xffff, true); dv.setUint16(10, 0xffff, true);
  dv.setUint32(12, 0xffffffff, true); dv.setUint32(16, 0xffffffff, true);
  parts.push(e64, loc, eocd);
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.length; }
  const arc = openZip(all, 'z64.keras');
  assert.deepEqual(arc.names(), ['config.json']);
  assert.equal(new TextDecoder().decode(arc.read('config.json')), '{"ok":true}');
});
