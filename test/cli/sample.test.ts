import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runSample, sample, parseKerasVersion } from '../../src/cli/sample.ts';
import { parseNpy } from '../../src/io/npy.ts';
import { InvalidInputError, UnsupportedInitializerError } from '../../src/errors.ts';
import { ks1, ksCrit1, truncatedNormalCdf, uniformCdf } from '../initializers/stats.ts';

const dir = mkdtempSync(join(tmpdir(), 'ki-sample-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('sample writes a float32 .npy of the shape with the Keras law (he_normal, Keras 3)', () => {
  const out = join(dir, 'he.npy');
  let printed = '';
  runSample('he_normal', { shape: '300,200', seed: '3', out }, (t) => { printed += t; });
  const a = parseNpy(readFileSync(out));
  assert.equal(a.dtype, 'float32');
  assert.deepEqual(a.shape, [300, 200]);
  assert.ok(ks1(a.data, truncatedNormalCdf(0, Math.sqrt(2 / 300) / 0.87962566103423978)) < ksCrit1(a.data.length));
  assert.match(printed, /RELU/);
  assert.match(printed, /fan_in=300 fan_out=200/);
});

test('sample: same seed, same file; JSON input; conv fans; Keras 1 semantics', () => {
  const a = sample('{"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}}', { shape: '3,3,16,32', seed: '9', kerasVersion: '2.2.4' });
  const b = sample('glorot_uniform', { shape: '3,3,16,32', seed: '9', kerasVersion: '3.15.1' });
  assert.deepEqual(a.fans, { fanIn: 144, fanOut: 288 });
  assert.deepEqual(a.values, b.values);
  const limit = Math.sqrt(6 / (144 + 288));
  assert.ok(ks1(a.values, uniformCdf(-limit, limit)) < ksCrit1(a.values.length));
  const k1 = sample('orthogonal', { shape: '4,4', seed: '1', kerasVersion: '1.2.2' });
  let s = 0; for (let j = 0; j < 4; j++) s += k1.values[j] ** 2;
  assert.ok(Math.abs(s - 1.21) < 1e-5, 'Keras 1 orthogonal gain 1.1');
});

test('sample: Keras 1 Conv3D fans follow --dim-ordering', () => {
  const th = sample('he_uniform', { shape: '2,3,3,4,8', seed: '1', kerasVersion: '1.2.2', dimOrdering: 'th' });
  const tf = sample('he_uniform', { shape: '2,3,3,4,8', seed: '1', kerasVersion: '1.2.2', dimOrdering: 'tf' });
  assert.deepEqual(th.fans, { fanIn: 72, fanOut: 144 });
  assert.deepEqual(tf.fans, { fanIn: 24, fanOut: 48 });
  assert.throws(() => sample('he_uniform', { shape: '3,3', dimOrdering: 'xy' }), InvalidInputError);
});

test('sample: bad input gives typed errors', () => {
  assert.throws(() => sample('he_normal', { shape: '3,x' }), InvalidInputError);
  assert.throws(() => sample('{oops', { shape: '3' }), InvalidInputError);
  assert.throws(() => sample('he_normal', { shape: '3', kerasVersion: '9.1' }), InvalidInputError);
  assert.throws(() => sample('my_init', { shape: '3' }), UnsupportedInitializerError);
  assert.equal(parseKerasVersion('2.2.4-tf').tfKeras, true);
});

test('the CLI command runs end to end and exits 1 with a message on an unknown initializer', () => {
  const bin = fileURLToPath(new URL('../../bin/keras-import.js', import.meta.url));
  const out = join(dir, 'cli.npy');
  const ok = spawnSync(process.execPath, [bin, 'sample', 'lecun_uniform', '--shape', '50,40', '--seed', '1', '--out', out], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(parseNpy(readFileSync(out)).shape, [50, 40]);
  const bad = spawnSync(process.execPath, [bin, 'sample', 'QInitializer', '--shape', '5', '--out', out], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /QInitializer.*neither a built-in/);
  assert.match(bad.stderr, /registerInitializer/);
});
