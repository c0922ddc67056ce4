import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerSpec } from '../../src/spec/types.ts';
import { describeLayerInitializers, initializeWeights } from '../../src/initializers/layers.ts';
import { createRandom } from '../../src/initializers/random.ts';
import { UnsupportedInitializerError, UnsupportedFeatureError } from '../../src/errors.ts';
import { ks1, ksCrit1, moments, uniformCdf, truncatedNormalCdf, version } from './stats.ts';

const layer = (className: string, config: Record<string, unknown>, extra: Partial<LayerSpec> = {}): LayerSpec => ({
  name: String(config.name ?? className.toLowerCase()), className, module: null, registeredName: null, config, originalConfig: config,
  inboundNodes: [], weights: [], trainable: true, ...extra,
});

test('describeLayerInitializers: present keys as found, missing keys with the version default', () => {
  const d = layer('Dense', { name: 'd', units: 4, kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1.0, mode: 'fan_avg', distribution: 'uniform', seed: null } } });
  const s = describeLayerInitializers(d, version('2.2.4'));
  assert.equal(s.kernel_initializer.weightInit, 'XAVIER_UNIFORM');
  assert.equal(s.kernel_initializer.exact, true);
  assert.deepEqual(s.kernel_initializer.keras, d.config.kernel_initializer);
  assert.equal(s.bias_initializer.weightInit, 'ZERO');
  assert.match(s.bias_initializer.note ?? '', /default/);
  const odd = describeLayerInitializers(layer('Dense', { kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 0.5, mode: 'fan_out', distribution: 'uniform' } } }), version('2.2.4'));
  assert.equal(odd.kernel_initializer.weightInit, 'VarianceScaling(scale=0.5, mode=fan_out, distribution=uniform)');
});

test('describeLayerInitializers: every key of BatchNormalization, PReLU, SeparableConv2D, Embedding, LSTM', () => {
  const bn = describeLayerInitializers(layer('BatchNormalization', {}), version('3.15.1'));
  assert.deepEqual(Object.fromEntries(Object.entries(bn).map(([k, v]) => [k, v.weightInit])),
    { beta_initializer: 'ZERO', gamma_initializer: 'ONES', moving_mean_initializer: 'ZERO', moving_variance_initializer: 'ONES' });
  assert.equal(describeLayerInitializers(layer('PReLU', { alpha_initializer: { class_name: 'Constant', config: { value: 0.25 } } }), version('2.3.1')).alpha_initializer.weightInit, 'Constant(0.25)');
  const sep = describeLayerInitializers(layer('SeparableConv2D', {}), version('2.9.0'));
  assert.deepEqual(Object.keys(sep).sort(), ['bias_initializer', 'depthwise_initializer', 'pointwise_initializer']);
  assert.equal(describeLayerInitializers(layer('Embedding', {}), version('1.2.2')).embeddings_initializer.weightInit, 'UNIFORM');
  const lstm = describeLayerInitializers(layer('LSTM', { units: 3 }), version('1.2.2'));
  assert.equal(lstm.recurrent_initializer.weightInit, 'ORTHOGONAL_KERAS1');
  assert.equal(lstm.forget_bias_init.weightInit, 'ONES');
  const l2 = describeLayerInitializers(layer('LSTM', { units: 3, unit_forget_bias: true }), version('2.9.0'));
  assert.equal(l2.unit_forget_bias.weightInit, 'ONES');
  assert.equal('unit_forget_bias' in describeLayerInitializers(layer('LSTM', { units: 3, unit_forget_bias: false }), version('2.9.0')), false);
});

test('describeLayerInitializers: wrapped layers are listed under the inner layer name; custom ones raise', () => {
  const inner = layer('LSTM', { name: 'fwd', units: 2 });
  const bi = layer('Bidirectional', { name: 'bi' }, { innerLayers: [inner] });
  assert.ok('fwd/recurrent_initializer' in describeLayerInitializers(bi, version('2.3.1')));
  assert.throws(() => describeLayerInitializers(layer('Dense', { kernel_initializer: { class_name: 'QInitializer', config: {} } }), version('2.9.0')), UnsupportedInitializerError);
});

test('initializeWeights: Dense kernel with Keras fans, bias zeros, determinism by seed', () => {
  const d = layer('Dense', { kernel_initializer: 'glorot_uniform' });
  const shapes = [{ name: 'd/kernel:0', shape: [300, 200], trainable: true }, { name: 'd/bias:0', shape: [200], trainable: true }];
  const [k, b] = initializeWeights(d, shapes, version('2.9.0'), createRandom(1));
  const limit = Math.sqrt(6 / 500);
  assert.ok(ks1(k, uniformCdf(-limit, limit)) < ksCrit1(k.length));
  assert.ok(b.every((x) => x === 0));
  const [k2] = initializeWeights(d, shapes, version('2.9.0'), createRandom(1));
  assert.deepEqual(k, k2);
});

test('initializeWeights: conv kernels use receptive-field fans; he_normal truncated and corrected', () => {
  const c = layer('Conv2D', { kernel_initializer: { class_name: 'HeNormal', config: { seed: null } } });
  const [k] = initializeWeights(c, [{ name: 'kernel', shape: [3, 3, 32, 64], trainable: true, initializer: 'kernel_initializer' }], version('2.9.0'), createRandom(2));
  const std = Math.sqrt(2 / (9 * 32));
  assert.ok(ks1(k, truncatedNormalCdf(0, std / 0.87962566103423978)) < ksCrit1(k.length));
});

test('initializeWeights: LSTM bias gets ones in the forget slice (Keras 2/3 unit_forget_bias)', () => {
  const l = layer('LSTM', { units: 3, bias_initializer: { class_name: 'Constant', config: { value: 0.5 } } });
  const [b] = initializeWeights(l, [{ name: 'lstm/lstm_cell/bias:0', shape: [12], trainable: true }], version('2.9.0'), createRandom(3));
  assert.deepEqual(Array.from(b), [0.5, 0.5, 0.5, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  const l2 = layer('LSTM', { units: 2, unit_forget_bias: false });
  const [b2] = initializeWeights(l2, [{ name: 'bias', shape: [8], trainable: true }], version('2.9.0'), createRandom(3));
  assert.ok(b2.every((x) => x === 0));
});

test('initializeWeights: recurrent kernel is one wide orthogonal matrix (orthonormal rows)', () => {
  const l = layer('LSTM', { units: 4 });
  const [u] = initializeWeights(l, [{ name: 'recurrent_kernel', shape: [4, 16], trainable: true }], version('3.15.1'), createRandom(4));
  for (let p = 0; p < 4; p++) for (let q = 0; q < 4; q++) {
    let s = 0; for (let j = 0; j < 16; j++) s += u[p * 16 + j] * u[q * 16 + j];
    assert.ok(Math.abs(s - (p === q ? 1 : 0)) < 1e-5);
  }
});

test('initializeWeights: Keras 1 LSTM (consume_less=cpu) draws per-gate blocks with `init`, also for U', () => {
  const l = layer('LSTM', { units: 4, kernel_initializer: 'glorot_uniform', recurrent_initializer: 'orthogonal', consume_less: 'cpu' });
  const [w, u] = initializeWeights(l, [{ name: 'lstm_1_W', shape: [10, 16], trainable: true, initializer: 'kernel_initializer' }, { name: 'lstm_1_U', shape: [4, 16], trainable: true, initializer: 'recurrent_initializer' }], version('1.2.2'), createRandom(5));
  // per-gate glorot on (10, 4): limit sqrt(6/14), wider than the fused sqrt(6/26)
  assert.ok(moments(w).max > Math.sqrt(6 / 26) && moments(w).max < Math.sqrt(6 / 14));
  // U is glorot_uniform (the Keras 1.2 bug), not orthogonal: bounded by sqrt(6/8)
  assert.ok(moments(u).max < Math.sqrt(6 / 8));
  let s = 0; for (let j = 0; j < 16; j++) s += u[j] * u[j];
  assert.ok(Math.abs(s - 1.21) > 1e-3, 'not an orthogonal row with gain 1.1');
  // consume_less=gpu: fused orthogonal with gain 1.1 (Keras 1 flattening: (4, 16) rows orthonormal)
  const g = layer('LSTM', { units: 4, consume_less: 'gpu' });
  const [ug] = initializeWeights(g, [{ name: 'U', shape: [4, 16], trainable: true }], version('1.2.2'), createRandom(6));
  let sg = 0; for (let j = 0; j < 16; j++) sg += ug[j] * ug[j];
  assert.ok(Math.abs(sg - 1.21) < 1e-5);
});

test('initializeWeights: Keras 3.15 EinsumDense kernels take fans from the equation', () => {
  const e = layer('EinsumDense', { equation: 'abc,cde->abde', kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null, input_axes: null, output_axes: null }, registered_name: null } });
  const [k] = initializeWeights(e, [{ name: 'kernel', shape: [16, 4, 8], trainable: true }], version('3.15.1'), createRandom(7));
  const limit315 = Math.sqrt(6 / (16 + 32));
  assert.ok(moments(k).max > 0.95 * limit315 && moments(k).max < limit315);
  const [k314] = initializeWeights(e, [{ name: 'kernel', shape: [16, 4, 8], trainable: true }], version('3.14.0'), createRandom(7));
  const limit314 = Math.sqrt(6 / (16 * 4 + 16 * 8)); // rank rule: rf = 16
  assert.ok(moments(k314).max < limit314);
});

test('initializeWeights: unknown weights and Bidirectional owners', () => {
  assert.throws(() => initializeWeights(layer('Dense', {}), [{ name: 'mystery', shape: [2], trainable: true }], version('2.9.0'), createRandom(1)), UnsupportedFeatureError);
  const fwd = layer('SimpleRNN', { name: 'f', units: 2, kernel_initializer: 'ones' });
  const bwd = layer('SimpleRNN', { name: 'b', units: 2, kernel_initializer: 'zeros' });
  const bi = layer('Bidirectional', { name: 'bi' }, { innerLayers: [fwd, bwd] });
  const [kf, kb] = initializeWeights(bi, [{ name: 'bi/forward_f/kernel:0', shape: [3, 2], trainable: true }, { name: 'bi/backward_b/kernel:0', shape: [3, 2], trainable: true }], version('2.9.0'), createRandom(1));
  assert.ok(kf.every((x) => x === 1) && kb.every((x) => x === 0));
});

test('initializeWeights: a Keras 3 DepthwiseConv2D "kernel" uses depthwise_initializer with depthwise fans', () => {
  const d = layer('DepthwiseConv2D', { depthwise_initializer: 'he_uniform' });
  const [k] = initializeWeights(d, [{ name: 'kernel', shape: [3, 3, 8, 1], trainable: true }], version('3.15.1'), createRandom(9));
  const limit = Math.sqrt(6 / 72); // fan_in = 3·3·8
  assert.ok(moments(k).max < limit && moments(k).max > 0.8 * limit);
});

test('describeLayerInitializers: tolerant mode reports an unsupported initializer instead of throwing', () => {
  const d = layer('Dense', { name: 'q', kernel_initializer: { class_name: 'QInitializer', config: {} } });
  const s = describeLayerInitializers(d, version('2.9.0'), { tolerant: true, source: 'm.h5' });
  assert.equal(s.kernel_initializer.weightInit, 'UNSUPPORTED');
  assert.equal(s.kernel_initializer.exact, false);
  assert.match(s.kernel_initializer.note ?? '', /QInitializer.*registerInitializer/s);
  assert.equal(s.bias_initializer.weightInit, 'ZERO');
});

test('wrappers without innerLayers: the serialized config.layer owns the weights', () => {
  const td = layer('TimeDistributed', { name: 'td', layer: { class_name: 'Dense', config: { name: 'inner', units: 3, kernel_initializer: 'ones' } } });
  const [k] = initializeWeights(td, [{ name: 'td/kernel:0', shape: [2, 3], trainable: true }], version('2.9.0'), createRandom(1));
  assert.ok(k.every((x) => x === 1));
  assert.equal(describeLayerInitializers(td, version('2.9.0'))['inner/kernel_initializer'].weightInit, 'ONES');
});
