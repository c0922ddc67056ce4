import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { computeFans } from '../../src/initializers/fans.ts';
import { version } from './stats.ts';

const facts = JSON.parse(readFileSync(new URL('../fixtures/initializers/keras_facts.json', import.meta.url), 'utf8'));
const K315 = version('3.15.1');
const TF = version('2.2.4-tf');
const K206 = version('2.0.6');
const K205 = version('2.0.5');
const K1 = version('1.2.2');

test('Keras 3.15 compute_fans for every rank (values computed by Keras)', () => {
  for (const f of facts.fans) {
    assert.deepEqual(computeFans(f.shape, 'generic', K315), { fanIn: f.fan_in, fanOut: f.fan_out }, `shape [${f.shape}]`);
    assert.deepEqual(computeFans(f.shape, 'generic', TF), { fanIn: f.fan_in, fanOut: f.fan_out }, `tf.keras shape [${f.shape}]`);
  }
});

test('Keras 3.15 input_axes / output_axes (values computed by Keras)', () => {
  for (const f of facts.fans_axes) {
    const got = computeFans(f.shape, 'generic', K315, { inputAxes: f.input_axes, outputAxes: f.output_axes });
    assert.deepEqual([got.fanIn, got.fanOut], f.fans);
  }
});

test('Keras 2.0.6–2.3: 1-D and ≥6-D use sqrt(prod); 3–5-D the receptive field prod(shape[:-2])', () => {
  assert.deepEqual(computeFans([16], 'vector', K206), { fanIn: 4, fanOut: 4 });
  assert.deepEqual(computeFans([3, 4, 5], 'conv', K206), { fanIn: 12, fanOut: 15 });
  assert.deepEqual(computeFans([2, 3, 3, 4, 8], 'conv', K206), { fanIn: 72, fanOut: 144 });
  const s = Math.sqrt(2 * 2 * 2 * 2 * 3 * 4);
  assert.deepEqual(computeFans([2, 2, 2, 2, 3, 4], 'generic', K206), { fanIn: s, fanOut: s });
  assert.deepEqual(computeFans([5, 3], 'dense', version('2.3.1')), { fanIn: 5, fanOut: 3 });
});

test('Keras 2.0.0–2.0.5 receptive field bug: shape[0]·shape[1] for 3-D and 5-D kernels', () => {
  // Conv1D (k=3, in=4, out=5): rf = 3·4 → fan_in = 4·12, fan_out = 5·12
  assert.deepEqual(computeFans([3, 4, 5], 'conv', K205), { fanIn: 48, fanOut: 60 });
  // Conv3D (2,3,3,4,8): rf = 2·3 (drops the third spatial dim)
  assert.deepEqual(computeFans([2, 3, 3, 4, 8], 'conv', K205), { fanIn: 24, fanOut: 48 });
  assert.deepEqual(computeFans([3, 3, 4, 8], 'conv', K205), { fanIn: 36, fanOut: 72 });
});

test('Keras 1: dense 2-D, Conv1D evaluated as th on (k,1,in,out), Conv3D th vs tf, vectors sqrt(n)', () => {
  assert.deepEqual(computeFans([5, 3], 'dense', K1), { fanIn: 5, fanOut: 3 });
  // Convolution1D(filter_length=3, input_dim=4, nb_filter=5): fi = 4·5, fo = 3·4·5
  assert.deepEqual(computeFans([3, 4, 5], 'conv', K1), { fanIn: 20, fanOut: 60 });
  // Convolution2D: th and tf agree
  assert.deepEqual(computeFans([3, 3, 4, 8], 'conv', K1, { dimOrdering: 'th' }), { fanIn: 36, fanOut: 72 });
  assert.deepEqual(computeFans([3, 3, 4, 8], 'conv', K1, { dimOrdering: 'tf' }), { fanIn: 36, fanOut: 72 });
  // Convolution3D (d1,d2,d3,in,out) = (2,3,3,4,8): th rf = 18, tf rf = d1·d2 = 6
  assert.deepEqual(computeFans([2, 3, 3, 4, 8], 'conv', K1, { dimOrdering: 'th' }), { fanIn: 72, fanOut: 144 });
  assert.deepEqual(computeFans([2, 3, 3, 4, 8], 'conv', K1, { dimOrdering: 'tf' }), { fanIn: 24, fanOut: 48 });
  assert.deepEqual(computeFans([9], 'vector', K1), { fanIn: 3, fanOut: 3 });
});

test('depthwise and transposed kernels follow the rank rule on the Keras layout', () => {
  // depthwise (3,3,in=8,mult=1): fi = 9·8, fo = 9·1 (Keras 3 value in the fixture too)
  assert.deepEqual(computeFans([3, 3, 8, 1], 'depthwise', K315), { fanIn: 72, fanOut: 9 });
  // transposed (3,3,out=4,in=8): "fan_in" counts filters
  assert.deepEqual(computeFans([3, 3, 4, 8], 'conv_transpose', K315), { fanIn: 36, fanOut: 72 });
  // recurrent (units, 4·units) and embedding (vocab, dim) are plain 2-D
  assert.deepEqual(computeFans([8, 32], 'recurrent', K1), { fanIn: 8, fanOut: 32 });
  assert.deepEqual(computeFans([1000, 16], 'embedding', version('2.1.6')), { fanIn: 1000, fanOut: 16 });
});
