import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKerasVersion } from '../../src/spec/version.ts';

test('versions as recorded in real files', () => {
  assert.deepEqual(parseKerasVersion('2.2.4-tf'), { raw: '2.2.4-tf', major: 2, minor: 2, patch: 4, tfKeras: true, inferred: false });
  assert.deepEqual(parseKerasVersion('2.2.4'), { raw: '2.2.4', major: 2, minor: 2, patch: 4, tfKeras: false, inferred: false });
  assert.deepEqual(parseKerasVersion('2.13.1'), { raw: '2.13.1', major: 2, minor: 13, patch: 1, tfKeras: true, inferred: false });
  assert.deepEqual(parseKerasVersion('2.4.0'), { raw: '2.4.0', major: 2, minor: 4, patch: 0, tfKeras: true, inferred: false });
  assert.deepEqual(parseKerasVersion('3.15.1'), { raw: '3.15.1', major: 3, minor: 15, patch: 1, tfKeras: false, inferred: false });
  assert.deepEqual(parseKerasVersion('1.2.2'), { raw: '1.2.2', major: 1, minor: 2, patch: 2, tfKeras: false, inferred: false });
  assert.equal(parseKerasVersion('2.3.0-tf').tfKeras, true);
  assert.equal(parseKerasVersion('2.3.1').tfKeras, false);
  assert.equal(parseKerasVersion('3.0.0.dev2023').major, 3);
  assert.equal(parseKerasVersion('0.3.3').major, 1);
});

test('missing version → inferred, major 1 unless told otherwise', () => {
  assert.deepEqual(parseKerasVersion(null), { raw: null, major: 1, minor: 0, patch: 0, tfKeras: false, inferred: true });
  assert.deepEqual(parseKerasVersion(undefined, { inferredMajor: 2 }), { raw: null, major: 2, minor: 0, patch: 0, tfKeras: false, inferred: true });
  assert.equal(parseKerasVersion('', { inferredMajor: 3 }).major, 3);
  const g = parseKerasVersion('garbage', { inferredMajor: 2 });
  assert.equal(g.inferred, true);
  assert.equal(g.major, 2);
});
