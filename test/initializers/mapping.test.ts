import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InvalidConfigError, UnsupportedInitializerError } from '../../src/errors.ts';
import { mapInitializer, registerInitializer, unregisterInitializer, type MapContext } from '../../src/initializers/mapping.ts';
import { WeightInit } from '../../src/initializers/presets.ts';
import { ConstantInit, IdentityInit, OrthogonalInit, VarianceScalingInit } from '../../src/initializers/impls.ts';
import { createRandom } from '../../src/initializers/random.ts';
import { version } from './stats.ts';

const facts = JSON.parse(readFileSync(new URL('../fixtures/initializers/keras_facts.json', import.meta.url), 'utf8'));
const ctx = (raw: string | null, extra: Partial<MapContext> = {}): MapContext => ({ kerasVersion: version(raw, { inferredMajor: 1 }), param: 'kernel_initializer', layer: 'dense_1', ...extra });
const wi = (v: unknown, raw: string | null) => mapInitializer(v, ctx(raw)).weightInit;

test('Keras 3.15 serialized forms (written by Keras) map to the expected presets', () => {
  const expected: Record<string, WeightInit | null> = {
    zeros: WeightInit.ZERO, ones: WeightInit.ONES, constant: null, random_normal: WeightInit.NORMAL,
    random_uniform: WeightInit.UNIFORM, truncated_normal: WeightInit.TRUNCATED_NORMAL, variance_scaling: WeightInit.LECUN_NORMAL,
    glorot_uniform: WeightInit.XAVIER_UNIFORM, glorot_normal: WeightInit.XAVIER, he_normal: WeightInit.RELU,
    he_uniform: WeightInit.RELU_UNIFORM, lecun_normal: WeightInit.LECUN_NORMAL, lecun_uniform: WeightInit.LECUN_UNIFORM,
    orthogonal: WeightInit.ORTHOGONAL, identity: WeightInit.IDENTITY, seeded_he_normal: WeightInit.RELU, stft: null,
  };
  for (const [name, value] of Object.entries(facts.serialized)) {
    const m = mapInitializer(value, ctx('3.15.1'));
    assert.equal(m.weightInit, expected[name], name);
    assert.equal(m.exact, true, name);
  }
  assert.equal(mapInitializer(facts.serialized.constant, ctx('3.15.1')).init.describe(), 'Constant(0.25)');
  assert.equal(mapInitializer(facts.serialized.seeded_he_normal, ctx('3.15.1')).init.seed, 42);
  assert.match(mapInitializer(facts.serialized.seeded_he_normal, ctx('3.15.1')).note ?? '', /seed 42/);
});

test('Keras 1 strings: untruncated normals, scale 0.05, orthogonal gain 1.1, square identity', () => {
  assert.equal(wi('glorot_uniform', '1.2.2'), WeightInit.XAVIER_UNIFORM);
  assert.equal(wi('glorot_normal', '1.2.2'), WeightInit.XAVIER_UNTRUNCATED);
  assert.equal(wi('he_normal', '1.2.2'), WeightInit.RELU_UNTRUNCATED);
  assert.equal(wi('he_uniform', '1.2.2'), WeightInit.RELU_UNIFORM);
  assert.equal(wi('lecun_uniform', '1.2.2'), WeightInit.LECUN_UNIFORM);
  assert.equal(wi('uniform', '1.2.2'), WeightInit.UNIFORM);
  assert.equal(wi('normal', '1.2.2'), WeightInit.NORMAL);
  assert.equal(wi('orthogonal', '1.2.2'), WeightInit.ORTHOGONAL_KERAS1);
  assert.equal((mapInitializer('orthogonal', ctx('1.2.2')).init as OrthogonalInit).gain, 1.1);
  assert.equal(wi('identity', '1.2.2'), WeightInit.IDENTITY_SQUARE);
  assert.equal(wi('zero', '1.2.2'), WeightInit.ZERO);
  assert.equal(wi('one', '1.2.2'), WeightInit.ONES);
  // files without a recorded version whose config is Keras-1 style
  assert.equal(wi('orthogonal', null), WeightInit.ORTHOGONAL_KERAS1);
  // a name Keras 1 never had: mapped, but flagged
  const m = mapInitializer('lecun_normal', ctx('1.2.2'));
  assert.equal(m.exact, false);
  assert.match(m.note ?? '', /does not exist in Keras 1/);
});

test('Keras 2.0–2.3 VarianceScaling: normal is truncated, corrected from 2.2.0; mode/distribution case-insensitive', () => {
  const vs = (config: Record<string, unknown>) => ({ class_name: 'VarianceScaling', config });
  assert.equal(wi(vs({ scale: 1.0, mode: 'fan_avg', distribution: 'uniform', seed: null }), '2.1.6'), WeightInit.XAVIER_UNIFORM);
  assert.equal(wi(vs({ scale: 2.0, mode: 'fan_in', distribution: 'normal', seed: null }), '2.1.6'), WeightInit.RELU_UNCORRECTED);
  assert.equal(wi(vs({ scale: 2.0, mode: 'fan_in', distribution: 'normal', seed: null }), '2.2.0'), WeightInit.RELU);
  assert.equal(wi(vs({ scale: 1, mode: 'FAN_AVG', distribution: 'Normal' }), '2.3.1'), WeightInit.XAVIER);
  assert.equal(wi(vs({ scale: 1, mode: 'fan_in', distribution: 'normal' }), '2.0.8'), WeightInit.LECUN_NORMAL_UNCORRECTED);
  assert.equal(wi(vs({ scale: 2, mode: 'fan_in', distribution: 'uniform' }), '2.2.4'), WeightInit.RELU_UNIFORM);
  // integer-valued numbers and missing keys (2.x defaults: scale 1, fan_in, normal)
  assert.equal(wi(vs({ scale: 1, mode: 'fan_avg', distribution: 'uniform' }), '2.2.4'), WeightInit.XAVIER_UNIFORM);
  assert.equal(wi(vs({}), '2.2.4'), WeightInit.LECUN_NORMAL);
  assert.equal(wi(vs({}), '2.1.0'), WeightInit.LECUN_NORMAL_UNCORRECTED);
  // odd scale: no preset, the implementation with its params
  const m = mapInitializer(vs({ scale: 0.3333333333333333, mode: 'fan_out', distribution: 'uniform', seed: null }), ctx('2.2.4'));
  assert.equal(m.weightInit, null);
  assert.equal(m.init.describe(), 'VarianceScaling(scale=0.33333333, mode=fan_out, distribution=uniform)');
  // 2.x rejects tf.keras distributions: flagged
  assert.equal(mapInitializer(vs({ distribution: 'truncated_normal' }), ctx('2.2.4')).exact, false);
});

test('tf.keras: class names, V2 compatibility names, exact mode, dtype key, distribution names', () => {
  assert.equal(wi({ class_name: 'GlorotUniform', config: { seed: null, dtype: 'float32' } }, '2.2.4-tf'), WeightInit.XAVIER_UNIFORM);
  assert.equal(wi({ class_name: 'GlorotUniformV2', config: { seed: null } }, '2.4.0'), WeightInit.XAVIER_UNIFORM);
  assert.equal(wi({ class_name: 'HeNormal', config: { seed: null } }, '2.9.0'), WeightInit.RELU);
  assert.equal(wi({ class_name: 'LecunUniform', config: { seed: null } }, '2.9.0'), WeightInit.LECUN_UNIFORM);
  assert.equal(wi('variance_scaling', '2.9.0'), WeightInit.LECUN_NORMAL);
  assert.equal(wi({ class_name: 'VarianceScaling', config: { scale: 2.0, mode: 'fan_out', distribution: 'truncated_normal', seed: null } }, '2.5.0'),
    null);
  assert.equal(wi({ class_name: 'VarianceScaling', config: { scale: 2.0, mode: 'fan_in', distribution: 'untruncated_normal' } }, '2.5.0'), WeightInit.RELU_UNTRUNCATED);
  assert.equal(wi({ class_name: 'VarianceScaling', config: { scale: 1.0, mode: 'fan_avg', distribution: 'normal' } }, '2.5.0'), WeightInit.XAVIER);
  assert.throws(() => mapInitializer({ class_name: 'VarianceScaling', config: { mode: 'FAN_IN' } }, ctx('2.5.0')), InvalidConfigError);
  assert.equal(wi({ module: 'keras.initializers', class_name: 'Orthogonal', config: { gain: 1.0, seed: null }, registered_name: null }, '2.13.1'), WeightInit.ORTHOGONAL);
});

test('Keras 3.0–3.6 OrthogonalInitializer/IdentityInitializer and 3.0.0–3.0.1 module paths', () => {
  assert.equal(wi({ module: 'keras.initializers', class_name: 'OrthogonalInitializer', config: { gain: 1.0, seed: null }, registered_name: null }, '3.3.3'), WeightInit.ORTHOGONAL);
  assert.equal(wi({ module: 'keras.initializers', class_name: 'IdentityInitializer', config: { gain: 1.0 }, registered_name: null }, '3.3.3'), WeightInit.IDENTITY);
  assert.equal(wi({ module: 'keras.initializers.random_initializers', class_name: 'OrthogonalInitializer', config: { gain: 1.0, seed: null }, registered_name: 'OrthogonalInitializer' }, '3.0.1'), WeightInit.ORTHOGONAL);
  assert.equal(wi({ module: 'keras.src.initializers.constant_initializers', class_name: 'Identity', config: { gain: 1.0 }, registered_name: 'Identity' }, '3.0.0'), WeightInit.IDENTITY);
  const g = mapInitializer({ module: 'keras.initializers', class_name: 'Orthogonal', config: { gain: 2, seed: 7 }, registered_name: null }, ctx('3.8.0'));
  assert.equal((g.init as OrthogonalInit).gain, 2);
  assert.equal(g.init.seed, 7);
  // a SeedGenerator-valued seed
  assert.equal(mapInitializer({ class_name: 'HeUniform', config: { seed: { class_name: 'SeedGenerator', config: { seed: 9 } } } }, ctx('3.8.0')).init.seed, 9);
});

test('Keras 3.15 input_axes / output_axes are kept', () => {
  const m = mapInitializer({ module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null, input_axes: [0], output_axes: [1, 2] }, registered_name: null }, ctx('3.15.1'));
  assert.deepEqual((m.init as VarianceScalingInit).inputAxes, [0]);
  assert.deepEqual((m.init as VarianceScalingInit).outputAxes, [1, 2]);
});

test('Identity rule follows the Keras version', () => {
  const rule = (raw: string) => (mapInitializer({ class_name: 'Identity', config: { gain: 1 } }, ctx(raw)).init as IdentityInit).rule;
  assert.equal(rule('2.2.2'), 'square');
  assert.equal(rule('2.2.3'), 'tiled');
  assert.equal(rule('2.2.4'), 'tiled');
  assert.equal(rule('2.2.5'), 'padded');
  assert.equal(rule('2.2.4-tf'), 'padded');
  assert.equal(rule('3.15.1'), 'padded');
});

test('Constant: int values, missing value defaults to 0, non-numbers are refused', () => {
  assert.equal(wi({ class_name: 'Constant', config: { value: 0 } }, '2.3.1'), WeightInit.ZERO);
  assert.equal(wi({ class_name: 'Constant', config: { value: 1 } }, '2.3.1'), WeightInit.ONES);
  assert.equal(wi({ class_name: 'Constant', config: {} }, '2.3.1'), WeightInit.ZERO);
  assert.equal((mapInitializer({ class_name: 'Constant', config: { value: 42 } }, ctx('2.3.1')).init as ConstantInit).value, 42);
  assert.throws(() => mapInitializer({ class_name: 'Constant', config: { value: 'x' } }, ctx('2.3.1')), InvalidConfigError);
  assert.throws(() => mapInitializer({ class_name: 'RandomUniform', config: { minval: null, maxval: 'a' } }, ctx('2.3.1')), InvalidConfigError);
  assert.equal(wi({ class_name: 'RandomUniform', config: {} }, '2.3.1'), WeightInit.UNIFORM);
});

test('string aliases of every era', () => {
  for (const [name, w] of [['zero', WeightInit.ZERO], ['zeros', WeightInit.ZERO], ['Zeros', WeightInit.ZERO], ['one', WeightInit.ONES], ['ones', WeightInit.ONES],
    ['uniform', WeightInit.UNIFORM], ['random_uniform', WeightInit.UNIFORM], ['normal', WeightInit.NORMAL], ['random_normal', WeightInit.NORMAL],
    ['truncated_normal', WeightInit.TRUNCATED_NORMAL], ['orthogonal', WeightInit.ORTHOGONAL], ['identity', WeightInit.IDENTITY],
    ['glorot_uniform', WeightInit.XAVIER_UNIFORM], ['he_normal', WeightInit.RELU], ['lecun_normal', WeightInit.LECUN_NORMAL]] as const) {
    assert.equal(wi(name, '3.15.1'), w, name);
  }
  // names are case-sensitive, as in Keras
  assert.throws(() => mapInitializer('Glorot_Uniform', ctx('3.15.1')), UnsupportedInitializerError);
});

test('custom initializers: typed error naming layer, parameter, initializer and how to register', () => {
  const fn = { module: 'builtins', class_name: 'function', config: 'random_kernel', registered_name: 'function' };
  assert.throws(() => mapInitializer(fn, ctx('3.8.0', { className: 'Dense', source: 'model.keras' })), (e: Error) => {
    assert.ok(e instanceof UnsupportedInitializerError);
    assert.match(e.message, /model\.keras/);
    assert.match(e.message, /dense_1/);
    assert.match(e.message, /kernel_initializer/);
    assert.match(e.message, /random_kernel/);
    assert.match(e.message, /registerInitializer\('random_kernel'/);
    return true;
  });
  // QKeras-style custom class
  assert.throws(() => mapInitializer({ class_name: 'QInitializer', config: {} }, ctx('2.9.0')), UnsupportedInitializerError);
  // a foreign module with a built-in class name is still custom
  assert.throws(() => mapInitializer({ module: 'mypkg.inits', class_name: 'GlorotUniform', config: {}, registered_name: 'mypkg>GlorotUniform' }, ctx('3.8.0')), UnsupportedInitializerError);
});

test('explicit fallback substitutes a named preset and says so; registration wins over both', () => {
  const m = mapInitializer({ class_name: 'QInitializer', config: {} }, ctx('2.9.0', { fallback: WeightInit.XAVIER_UNIFORM }));
  assert.equal(m.weightInit, WeightInit.XAVIER_UNIFORM);
  assert.equal(m.exact, false);
  assert.match(m.note ?? '', /QInitializer.*XAVIER_UNIFORM.*explicitly requested/);

  registerInitializer('random_kernel', () => (shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(7));
  registerInitializer('QInitializer', (config) => new ConstantInit(Number((config as { v?: number }).v ?? 3)));
  try {
    const fn = mapInitializer({ module: 'builtins', class_name: 'function', config: 'random_kernel', registered_name: 'function' }, ctx('3.8.0'));
    assert.deepEqual(Array.from(fn.init.generate([2], { fanIn: 1, fanOut: 1 }, createRandom(1))), [7, 7]);
    const q = mapInitializer({ class_name: 'QInitializer', config: { v: 5 } }, ctx('2.9.0'));
    assert.equal((q.init as ConstantInit).value, 5);
    assert.match(q.note ?? '', /registered/);
  } finally {
    unregisterInitializer('random_kernel');
    unregisterInitializer('QInitializer');
  }
});

test('malformed values are typed errors, null follows Keras (glorot_uniform)', () => {
  assert.throws(() => mapInitializer(42, ctx('2.3.1')), InvalidConfigError);
  assert.throws(() => mapInitializer({ config: {} }, ctx('2.3.1')), InvalidConfigError);
  assert.throws(() => mapInitializer({ class_name: 'Zeros', config: 'x' }, ctx('2.3.1')), InvalidConfigError);
  assert.throws(() => mapInitializer({ class_name: 'VarianceScaling', config: { scale: 0 } }, ctx('2.3.1')), InvalidConfigError);
  assert.throws(() => mapInitializer({ class_name: 'VarianceScaling', config: { distribution: 'cauchy' } }, ctx('2.3.1')), InvalidConfigError);
  assert.throws(() => mapInitializer(undefined, ctx('2.3.1')), InvalidConfigError);
  const n = mapInitializer(null, ctx('2.3.1'));
  assert.equal(n.weightInit, WeightInit.XAVIER_UNIFORM);
  assert.match(n.note ?? '', /null/);
});

test('Theano / CNTK truncated normals are flagged as approximations', () => {
  const m = mapInitializer({ class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'normal' } }, ctx('2.0.8', { backend: 'theano' }));
  assert.equal(m.exact, false);
  assert.match(m.note ?? '', /theano/);
  assert.equal(mapInitializer({ class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'uniform' } }, ctx('2.0.8', { backend: 'theano' })).exact, true);
});
