import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKerasJson } from '../../src/spec/json.ts';
import { CorruptFileError } from '../../src/errors.ts';

test('plain JSON parses unchanged', () => {
  assert.deepEqual(parseKerasJson('{"a": [1, 2.5, "x"], "b": null}', 'f.json'), { a: [1, 2.5, 'x'], b: null });
});

test('bare NaN / Infinity / -Infinity outside strings become JS numbers', () => {
  const v = parseKerasJson('{"l2": NaN, "max": Infinity, "min": -Infinity, "list": [NaN, 1]}', 'f.json') as Record<string, unknown>;
  assert.ok(Number.isNaN(v.l2));
  assert.equal(v.max, Infinity);
  assert.equal(v.min, -Infinity);
  assert.ok(Number.isNaN((v.list as number[])[0]));
  assert.equal((v.list as number[])[1], 1);
});

test('NaN and Infinity inside string literals stay text', () => {
  const v = parseKerasJson('{"name": "NaN Infinity -Infinity \\" NaN", "x": NaN}', 'f.json') as Record<string, unknown>;
  assert.equal(v.name, 'NaN Infinity -Infinity " NaN');
  assert.ok(Number.isNaN(v.x));
});

test('UTF-8 BOM is accepted', () => {
  assert.deepEqual(parseKerasJson('\ufeff{"a": 1}', 'f.json'), { a: 1 });
});

test('invalid JSON → CorruptFileError naming the file', () => {
  assert.throws(() => parseKerasJson('{"a": ', 'broken.json'), (e: unknown) => e instanceof CorruptFileError && /broken\.json/.test((e as Error).message));
  assert.throws(() => parseKerasJson('{"a": NaNa}', 'x.json'), CorruptFileError);
  assert.throws(() => parseKerasJson('', 'empty.json'), CorruptFileError);
});
