import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeModelConfig, detectConfigMajor, type NormalizeContext } from '../../src/spec/normalize.ts';
import { parseKerasVersion } from '../../src/spec/version.ts';
import { InvalidConfigError } from '../../src/errors.ts';

function ctx(version: string | null, inferredMajor?: 1 | 2 | 3): NormalizeContext {
  return { source: 'model.json', format: 'json', kerasVersion: parseKerasVersion(version, { inferredMajor }), backend: null };
}

test('Keras 1 bare-list Sequential: renames, synthesized <first>_input, chained nodes', () => {
  const cfg = {
    class_name: 'Sequential',
    config: [
      { class_name: 'Convolution2D', config: { name: 'convolution2d_1', nb_filter: 8, nb_row: 3, nb_col: 5, init: 'glorot_uniform', border_mode: 'same', subsample: [2, 2], dim_ordering: 'th', bias: true, W_regularizer: null, batch_input_shape: [null, 1, 28, 28], input_dtype: 'float32', trainable: true, activation: 'relu' } },
      { class_name: 'Dropout', config: { name: 'dropout_1', p: 0.25, trainable: true } },
      { class_name: 'Flatten', config: { name: 'flatten_1', trainable: true } },
      { class_name: 'Dense', config: { name: 'dense_1', output_dim: 10, init: 'he_normal', input_dim: null, trainable: false, activation: 'softmax', bias: false } },
    ],
  };
  const spec = normalizeModelConfig(cfg, ctx('1.2.2'));
  assert.equal(spec.modelClass, 'Sequential');
  assert.deepEqual(spec.layers.map((l) => [l.name, l.className]), [
    ['convolution2d_1_input', 'InputLayer'],
    ['convolution2d_1', 'Conv2D'],
    ['dropout_1', 'Dropout'],
    ['flatten_1', 'Flatten'],
    ['dense_1', 'Dense'],
  ]);
  const [inp, conv, drop, , dense] = spec.layers;
  assert.deepEqual(inp.config.batch_input_shape, [null, 1, 28, 28]);
  assert.equal(inp.config.dtype, 'float32');
  assert.equal(conv.config.filters, 8);
  assert.deepEqual(conv.config.kernel_size, [3, 5]);
  assert.deepEqual(conv.config.strides, [2, 2]);
  assert.equal(conv.config.padding, 'same');
  assert.equal(conv.config.data_format, 'channels_first');
  assert.equal(conv.config.kernel_initializer, 'glorot_uniform');
  assert.equal(conv.config.use_bias, true);
  for (const k of ['nb_filter', 'nb_row', 'nb_col', 'init', 'border_mode', 'subsample', 'dim_ordering', 'bias', 'W_regularizer', 'input_dtype']) assert.ok(!(k in conv.config), k);
  assert.equal(drop.config.rate, 0.25);
  assert.equal(dense.config.units, 10);
  assert.equal(dense.config.use_bias, false);
  assert.equal(dense.config.kernel_initializer, 'he_normal');
  assert.equal(dense.trainable, false);
  assert.ok(!('input_dim' in dense.config));
  assert.deepEqual(spec.inputs, [{ layer: 'convolution2d_1_input', node: 0, tensor: 0 }]);
  assert.deepEqual(spec.outputs, [{ layer: 'dense_1', node: 0, tensor: 0 }]);
  assert.deepEqual(conv.inboundNodes, [{ args: [{ kind: 'tensor', ref: { layer: 'convolution2d_1_input', node: 0, tensor: 0 } }], kwargs: {}, inputs: [{ layer: 'convolution2d_1_input', node: 0, tensor: 0 }] }]);
  assert.deepEqual(dense.inboundNodes[0].inputs, [{ layer: 'flatten_1', node: 0, tensor: 0 }]);
  assert.equal(spec.hasWeights, false);
  assert.ok(spec.layers.every((l) => l.weights.length === 0));
});

test('Sequential without any input shape stays valid: no inputs, first node takes an unknown input', () => {
  const spec = normalizeModelConfig({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2 } }] } }, ctx('2.3.1'));
  assert.deepEqual(spec.inputs, []);
  assert.equal(spec.layers.length, 1);
  assert.deepEqual(spec.layers[0].inboundNodes, [{ args: [], kwargs: {}, inputs: [] }]);
  assert.deepEqual(spec.outputs, [{ layer: 'd', node: 0, tensor: 0 }]);
});

test('Keras 2 functional: shared layer, nested model offset of 1, kwargs kept', () => {
  const inner = { name: 'inner', layers: [
    { name: 'ii', class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', sparse: false, name: 'ii' }, inbound_nodes: [] },
    { name: 'id', class_name: 'Dense', config: { name: 'id', units: 4 }, inbound_nodes: [[['ii', 0, 0, {}]]] },
  ], input_layers: [['ii', 0, 0]], output_layers: [['id', 0, 0]] };
  const cfg = { class_name: 'Model', config: { name: 'outer', layers: [
    { name: 'a', class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', name: 'a' }, inbound_nodes: [] },
    { name: 'b', class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', name: 'b' }, inbound_nodes: [] },
    { name: 'inner', class_name: 'Model', config: inner, inbound_nodes: [[['a', 0, 0, {}]], [['b', 0, 0, {}]]] },
    { name: 'drop', class_name: 'Dropout', config: { name: 'drop', rate: 0.5 }, inbound_nodes: [[['inner', 2, 0, { training: false }]]] },
    { name: 'cat', class_name: 'Concatenate', config: { name: 'cat', axis: -1 }, inbound_nodes: [[['inner', 1, 0, {}], ['drop', 0, 0, {}]]] },
  ], input_layers: [['a', 0, 0], ['b', 0, 0]], output_layers: [['cat', 0, 0], ['inner', 2, 0]] } };
  const spec = normalizeModelConfig(cfg, ctx('2.2.4'));
  const by = Object.fromEntries(spec.layers.map((l) => [l.name, l]));
  assert.equal(by.inner.innerModel?.layers.length, 2);
  assert.equal(by.inner.inboundNodes.length, 2);
  assert.deepEqual(by.drop.inboundNodes[0].inputs, [{ layer: 'inner', node: 1, tensor: 0 }]);
  assert.deepEqual(by.drop.inboundNodes[0].kwargs, { training: { kind: 'const', value: false } });
  assert.deepEqual(by.cat.inboundNodes[0].args, [{ kind: 'list', items: [
    { kind: 'tensor', ref: { layer: 'inner', node: 0, tensor: 0 } },
    { kind: 'tensor', ref: { layer: 'drop', node: 0, tensor: 0 } },
  ] }]);
  assert.deepEqual(spec.outputs, [{ layer: 'cat', node: 0, tensor: 0 }, { layer: 'inner', node: 1, tensor: 0 }]);
});

test('invalid configs → InvalidConfigError naming the file', () => {
  const isInvalid = (re: RegExp) => (e: unknown) => e instanceof InvalidConfigError && /model\.json/.test((e as Error).message) && re.test((e as Error).message);
  assert.throws(() => normalizeModelConfig([1, 2], ctx('2.3.1')), isInvalid(/not a JSON object/));
  assert.throws(() => normalizeModelConfig({ config: {} }, ctx('2.3.1')), isInvalid(/class_name/));
  assert.throws(() => normalizeModelConfig({ class_name: 'MyModel', config: {} }, ctx('2.3.1')), isInvalid(/unknown model class 'MyModel'/));
  const dangling = { class_name: 'Model', config: { name: 'm', layers: [
    { name: 'i', class_name: 'InputLayer', config: { batch_input_shape: [null, 2], name: 'i' }, inbound_nodes: [] },
    { name: 'd', class_name: 'Dense', config: { name: 'd', units: 1 }, inbound_nodes: [[['nope', 0, 0, {}]]] },
  ], input_layers: [['i', 0, 0]], output_layers: [['d', 0, 0]] } };
  assert.throws(() => normalizeModelConfig(dangling, ctx('2.3.1')), isInvalid(/layer 'd'.*nope/s));
  const badNode = structuredClone(dangling);
  badNode.config.layers[1].inbound_nodes = [[['i', 3, 0, {}]]];
  assert.throws(() => normalizeModelConfig(badNode, ctx('2.3.1')), isInvalid(/call 3 of layer 'i'/));
});

test('unknown layer classes are described, not rejected', () => {
  const spec = normalizeModelConfig({ class_name: 'Sequential', config: [{ class_name: 'MyCustomLayer', config: { name: 'c', batch_input_shape: [null, 3] } }] }, ctx('2.0.0'));
  assert.equal(spec.layers[1].className, 'MyCustomLayer');
});

test('detectConfigMajor', () => {
  assert.equal(detectConfigMajor({ class_name: 'Sequential', config: [{ class_name: 'Dense', config: { name: 'd', output_dim: 3, init: 'glorot_uniform' } }] }), 1);
  assert.equal(detectConfigMajor({ class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { name: 'd', units: 3, kernel_initializer: 'x' } }] } }), 2);
  assert.equal(detectConfigMajor({ module: 'keras', class_name: 'Sequential', config: { layers: [] } }), 3);
  assert.equal(detectConfigMajor({ class_name: 'Sequential', config: [{ class_name: 'Flatten', config: { name: 'f' } }] }), null);
  // Keras 2.0–2.1 still had the legacy Merge layer
  const merge = { class_name: 'Merge', name: 'm', config: { name: 'm', mode: 'sum' }, inbound_nodes: [[['i', 0, 0, {}]]] };
  const dense2 = { class_name: 'Dense', name: 'd', config: { name: 'd', units: 2, kernel_initializer: 'x' }, inbound_nodes: [[['i', 0, 0, {}]]] };
  assert.equal(detectConfigMajor({ class_name: 'Model', config: { layers: [merge, dense2] } }), 2);
  assert.equal(detectConfigMajor({ class_name: 'Model', config: { layers: [merge] } }), 1);
  // tf.keras 2.13–2.15 write module/registered_name but legacy nodes and batch_input_shape
  const tf213 = { class_name: 'Functional', config: { layers: [
    { module: 'keras.layers', class_name: 'InputLayer', registered_name: null, name: 'i', config: { batch_input_shape: [null, 2], name: 'i' }, inbound_nodes: [] },
    { module: 'keras.layers', class_name: 'Dense', registered_name: null, name: 'd', config: { name: 'd', units: 2 }, inbound_nodes: [[['i', 0, 0, {}]]] },
  ] } };
  assert.equal(detectConfigMajor(tf213), 2);
  const k3 = structuredClone(tf213);
  k3.config.layers[0].config = { batch_shape: [null, 2], name: 'i' } as never;
  assert.equal(detectConfigMajor(k3), 3);
  assert.equal(detectConfigMajor({ class_name: 'Functional', config: { layers: [{ ...dense2, inbound_nodes: [{ args: [], kwargs: {} }] }] } }), 3);
  assert.equal(detectConfigMajor({ class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { name: 'd', dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } } } }] } }), 3);
  assert.equal(detectConfigMajor(42), null);
});

test('absurdly deep nesting → InvalidConfigError, not a stack overflow', () => {
  let cfg: unknown = { class_name: 'Dense', config: { name: 'd', units: 1 } };
  for (let i = 0; i < 20000; i++) cfg = { class_name: 'Sequential', config: { name: `s${i}`, layers: [cfg] } };
  assert.throws(() => normalizeModelConfig(cfg, ctx('2.3.1')), (e: unknown) => e instanceof InvalidConfigError && /too deeply/.test((e as Error).message));
});
