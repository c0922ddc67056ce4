/**
 * Hand-written configs for the syntaxes and quirks of formats.md §2 and §5 that the corpus lacks
 * (tf.keras op layers, nested models per era, Keras 1 Merge/containers). Expected values come from the
 * spec tables and Keras' source behaviour described there, not from our output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeModelConfig, type NormalizeContext } from '../../src/spec/normalize.ts';
import { parseKerasVersion } from '../../src/spec/version.ts';
import { InvalidConfigError } from '../../src/errors.ts';
import type { LayerSpec, ModelSpec } from '../../src/spec/types.ts';

const ctx = (version: string | null): NormalizeContext => ({ source: 'quirk.json', format: 'json', kerasVersion: parseKerasVersion(version), backend: 'tensorflow' });
const layer = (spec: ModelSpec, name: string): LayerSpec => {
  const l = spec.layers.find((x) => x.name === name);
  assert.ok(l, `layer ${name}`);
  return l;
};
const t = (layerName: string, node = 0, tensor = 0) => ({ layer: layerName, node, tensor });
const tensorArg = (layerName: string, node = 0, tensor = 0) => ({ kind: 'tensor' as const, ref: t(layerName, node, tensor) });
const input = (name: string, shape: (number | null)[]) => ({ class_name: 'InputLayer', name, config: { batch_input_shape: shape, dtype: 'float32', sparse: false, ragged: false, name }, inbound_nodes: [] });

// --- tf.keras --------------------------------------------------------------------------------------

test('tf.keras: nested Sequential with InputLayer and nested Functional start at node 1; op layers; kwargs tensors', () => {
  const innerSeq = { class_name: 'Sequential', config: { name: 'sequential', layers: [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, 3], dtype: 'float32', sparse: false, ragged: false, name: 'dense_input' } },
    { class_name: 'Dense', config: { name: 'dense', units: 3, dtype: 'float32' } },
  ] }, name: 'sequential' };
  const innerFn = { class_name: 'Functional', config: { name: 'model', layers: [
    input('in_f', [null, 3]),
    { class_name: 'Dense', name: 'fd', config: { name: 'fd', units: 3 }, inbound_nodes: [[['in_f', 0, 0, {}]]] },
  ], input_layers: [['in_f', 0, 0]], output_layers: [['fd', 0, 0]] }, name: 'model' };
  const cfg = { class_name: 'Functional', config: { name: 'outer', layers: [
    input('input_1', [null, 3]),
    { ...innerSeq, inbound_nodes: [[['input_1', 0, 0, {}]]] },
    { ...innerFn, inbound_nodes: [[['sequential', 1, 0, {}]], [['input_1', 0, 0, {}]]] },
    // x = tf.expand_dims(seq_out, axis=1): flat leaf, structure preserved
    { class_name: 'TFOpLambda', name: 'tf.expand_dims', config: { name: 'tf.expand_dims', trainable: true, dtype: 'float32', function: 'expand_dims' },
      inbound_nodes: [['model', 2, 0, { axis: 1 }]] },
    // tf.concat([x, const], axis=-1): list structure with a constant element
    { class_name: 'TFOpLambda', name: 'tf.concat', config: { name: 'tf.concat', function: 'concat' },
      inbound_nodes: [[['tf.expand_dims', 0, 0, { axis: -1 }], ['_CONSTANT_VALUE', -1, [[[1.0]]], { axis: -1 }]]] },
    // a custom layer called with a tensor in kwargs: layer(x, memory=other)
    { class_name: 'MyDecoder', name: 'decoder', config: { name: 'decoder' },
      inbound_nodes: [[['tf.concat', 0, 0, { memory: ['model', 1, 0], training: false }]]] },
    // tensorflowjs-style constant y (nested numbers, not tensors)
    { class_name: 'TFOpLambda', name: 'tf.math.multiply', config: { name: 'tf.math.multiply', function: 'math.multiply' },
      inbound_nodes: [['decoder', 0, 0, { y: [[[2.5, 3.5, 4.5]]], name: null }]] },
  ], input_layers: [['input_1', 0, 0]], output_layers: [['tf.math.multiply', 0, 0], ['model', 1, 0]] } };
  const spec = normalizeModelConfig(cfg, ctx('2.4.0'));
  assert.deepEqual(layer(spec, 'model').inboundNodes.map((n) => n.inputs), [[t('sequential', 0)], [t('input_1', 0)]]);
  const ed = layer(spec, 'tf.expand_dims').inboundNodes;
  assert.equal(ed.length, 1);
  assert.deepEqual(ed[0].args, [tensorArg('model', 1)]);
  assert.deepEqual(ed[0].kwargs, { axis: { kind: 'const', value: 1 } });
  assert.deepEqual(layer(spec, 'tf.concat').inboundNodes[0].args, [{ kind: 'list', items: [tensorArg('tf.expand_dims'), { kind: 'const', value: [[[1.0]]] }] }]);
  assert.deepEqual(layer(spec, 'tf.concat').inboundNodes[0].inputs, [t('tf.expand_dims')]);
  const dec = layer(spec, 'decoder').inboundNodes[0];
  assert.deepEqual(dec.args, [tensorArg('tf.concat')]);
  assert.deepEqual(dec.kwargs, { memory: tensorArg('model', 0), training: { kind: 'const', value: false } });
  assert.deepEqual(dec.inputs, [t('tf.concat'), t('model', 0)]);
  const mul = layer(spec, 'tf.math.multiply').inboundNodes[0];
  assert.deepEqual(mul.kwargs.y, { kind: 'const', value: [[[2.5, 3.5, 4.5]]] });
  assert.deepEqual(mul.inputs, [t('decoder')]);
  assert.deepEqual(spec.outputs, [t('tf.math.multiply'), t('model', 0)]);
  assert.equal(layer(spec, 'sequential').innerModel!.layers[0].name, 'dense_input');
});

test('tf.keras: nested Sequential without input shape (deferred build) is numbered from 0', () => {
  const cfg = { class_name: 'Functional', config: { name: 'outer', layers: [
    input('input_1', [null, 3]),
    { class_name: 'Sequential', name: 'seq', config: { name: 'seq', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2 } }] }, inbound_nodes: [[['input_1', 0, 0, {}]]] },
    { class_name: 'Activation', name: 'act', config: { name: 'act', activation: 'relu' }, inbound_nodes: [[['seq', 0, 0, {}]]] },
  ], input_layers: [['input_1', 0, 0]], output_layers: [['act', 0, 0]] } };
  const spec = normalizeModelConfig(cfg, ctx('2.9.0'));
  assert.deepEqual(layer(spec, 'act').inboundNodes[0].inputs, [t('seq', 0)]);
  assert.deepEqual(layer(spec, 'seq').innerModel!.inputs, []);
});

test('tf.keras: dict inputs give inputNames; tf.keras Policy dtype is unwrapped', () => {
  const cfg = { class_name: 'Functional', config: { name: 'm', layers: [
    input('x', [null, 2]), input('y', [null, 2]),
    { class_name: 'Add', name: 'add', config: { name: 'add', dtype: { class_name: 'Policy', config: { name: 'mixed_bfloat16' } } }, inbound_nodes: [[['x', 0, 0, {}], ['y', 0, 0, {}]]] },
  ], input_layers: { y: ['y', 0, 0], x: ['x', 0, 0] }, output_layers: [['add', 0, 0]] } };
  const spec = normalizeModelConfig(cfg, ctx('2.13.1'));
  // Keras flattens dicts in sorted key order (tf.nest.flatten)
  assert.deepEqual(spec.inputNames, ['x', 'y']);
  assert.deepEqual(spec.inputs, [t('x'), t('y')]);
  assert.equal(layer(spec, 'add').config.dtype, 'float32');
  assert.equal(layer(spec, 'add').config.dtype_policy, 'mixed_bfloat16');
});

// --- Keras 2 standalone -------------------------------------------------------------------------------

test('Keras 2.2: every nested model starts at 1, also a Sequential without InputLayer entry', () => {
  const cfg = { class_name: 'Model', config: { name: 'm', layers: [
    input('input_1', [null, 4]),
    { class_name: 'Sequential', name: 'sequential_1', config: { name: 'sequential_1', layers: [
      { class_name: 'Dense', config: { name: 'dense_1', units: 4, batch_input_shape: [null, 4], dtype: 'float32' } },
    ] }, inbound_nodes: [[['input_1', 0, 0, {}]], [['sequential_1', 1, 0, {}]]] },
  ], input_layers: [['input_1', 0, 0]], output_layers: [['sequential_1', 2, 0]] } };
  const spec = normalizeModelConfig(cfg, ctx('2.2.4'));
  const seq = layer(spec, 'sequential_1');
  assert.deepEqual(seq.inboundNodes.map((n) => n.inputs), [[t('input_1')], [t('sequential_1', 0)]]);
  assert.deepEqual(spec.outputs, [t('sequential_1', 1)]);
  // the nested Sequential gets the input Keras would create for it
  assert.deepEqual(seq.innerModel!.layers.map((l) => [l.name, l.className]), [['dense_1_input', 'InputLayer'], ['dense_1', 'Dense']]);
});

test('Keras 2 Bidirectional without backward_layer: backward is a go_backwards copy; TimeDistributed wraps one layer', () => {
  const lstm = { class_name: 'LSTM', config: { name: 'lstm_1', units: 5, go_backwards: false, return_sequences: true } };
  const cfg = { class_name: 'Sequential', config: [
    { class_name: 'Bidirectional', config: { name: 'bidirectional_1', layer: lstm, merge_mode: 'sum', batch_input_shape: [null, 7, 3] } },
    { class_name: 'TimeDistributed', config: { name: 'time_distributed_1', layer: { class_name: 'Dense', config: { name: 'dense_1', units: 2 } } } },
  ] };
  const spec = normalizeModelConfig(cfg, ctx('2.1.6'));
  const bidi = layer(spec, 'bidirectional_1');
  assert.deepEqual(bidi.innerLayers!.map((l) => [l.name, l.className, l.config.go_backwards, l.config.units]), [
    ['forward_lstm_1', 'LSTM', false, 5],
    ['backward_lstm_1', 'LSTM', true, 5],
  ]);
  assert.equal(bidi.config.merge_mode, 'sum');
  assert.deepEqual(layer(spec, 'time_distributed_1').innerLayers!.map((l) => [l.name, l.className]), [['dense_1', 'Dense']]);
  assert.equal(spec.layers[0].name, 'bidirectional_1_input');
  assert.deepEqual(spec.layers[0].config.batch_input_shape, [null, 7, 3]);
});

test('legacy {"class_name":"__tuple__"} values become arrays', () => {
  const cfg = { class_name: 'Sequential', config: { name: 's', layers: [
    { class_name: 'InputLayer', config: { batch_input_shape: { class_name: '__tuple__', items: [null, 8, 8, 1] }, name: 'in' } },
    { class_name: 'Conv2D', config: { name: 'c', filters: 2, kernel_size: { class_name: '__tuple__', items: [3, 3] }, strides: { class_name: '__tuple__', items: [1, 1] } } },
  ] } };
  const spec = normalizeModelConfig(cfg, ctx('2.3.1'));
  assert.deepEqual(spec.layers[0].config.batch_input_shape, [null, 8, 8, 1]);
  assert.deepEqual(spec.layers[1].config.kernel_size, [3, 3]);
});

// --- Keras 1 ----------------------------------------------------------------------------------------

test('Keras 1 functional: triple nodes, merge() layer mapped by mode, nested bare-list Sequential at offset 1', () => {
  const cfg = { class_name: 'Model', config: { name: 'model_1', layers: [
    { class_name: 'InputLayer', name: 'input_1', config: { batch_input_shape: [null, 4], input_dtype: 'float32', sparse: false, name: 'input_1' }, inbound_nodes: [] },
    { class_name: 'Sequential', name: 'sequential_1', config: [{ class_name: 'Dense', config: { name: 'dense_1', output_dim: 4, input_dim: 4, init: 'glorot_uniform', batch_input_shape: [null, 4], input_dtype: 'float32' } }],
      inbound_nodes: [[['input_1', 0, 0]]] },
    { class_name: 'Dense', name: 'dense_2', config: { name: 'dense_2', output_dim: 4, init: 'uniform', input_dim: null }, inbound_nodes: [[['input_1', 0, 0]]] },
    { class_name: 'Merge', name: 'merge_1', config: { name: 'merge_1', mode: 'concat', concat_axis: 1, dot_axes: -1, mode_type: 'raw', output_shape: null, output_shape_type: 'raw', output_mask: null, arguments: {} },
      inbound_nodes: [[['sequential_1', 1, 0], ['dense_2', 0, 0]]] },
    { class_name: 'Merge', name: 'merge_2', config: { name: 'merge_2', mode: 'cos', dot_axes: [1, 1], mode_type: 'raw' }, inbound_nodes: [[['merge_1', 0, 0], ['merge_1', 0, 0]]] },
    { class_name: 'Merge', name: 'merge_3', config: { name: 'merge_3', mode: 'base64bytecode', mode_type: 'lambda', output_shape: null }, inbound_nodes: [[['merge_2', 0, 0], ['merge_2', 0, 0]]] },
  ], input_layers: [['input_1', 0, 0]], output_layers: [['merge_3', 0, 0]] } };
  const spec = normalizeModelConfig(cfg, ctx('1.2.2'));
  const m1 = layer(spec, 'merge_1');
  assert.equal(m1.className, 'Concatenate');
  assert.equal(m1.config.axis, 1);
  assert.deepEqual(m1.inboundNodes[0].args, [{ kind: 'list', items: [tensorArg('sequential_1', 0), tensorArg('dense_2')] }]);
  const m2 = layer(spec, 'merge_2');
  assert.equal(m2.className, 'Dot');
  assert.deepEqual(m2.config.axes, [1, 1]);
  assert.equal(m2.config.normalize, true);
  // lambda merge stays Merge with its config, for the runtime to reject
  const m3 = layer(spec, 'merge_3');
  assert.equal(m3.className, 'Merge');
  assert.equal(m3.config.mode_type, 'lambda');
  assert.equal(layer(spec, 'input_1').config.dtype, 'float32');
  assert.equal(layer(spec, 'dense_2').config.units, 4);
  assert.equal(layer(spec, 'dense_2').config.kernel_initializer, 'uniform');
});

test('Keras 1 Sequential with a leading Merge of branch Sequentials: branches flattened into one graph', () => {
  const branch = (n: string, dim: number) => ({ class_name: 'Sequential', config: [
    { class_name: 'Dense', config: { name: `dense_${n}`, output_dim: 3, input_dim: dim, batch_input_shape: [null, dim], input_dtype: 'float32', init: 'glorot_uniform' } },
  ] });
  const cfg = { class_name: 'Sequential', config: [
    { class_name: 'Merge', config: { name: 'merge_1', mode: 'sum', layers: [branch('a', 2), branch('b', 5)], concat_axis: -1, dot_axes: -1, mode_type: 'raw' } },
    { class_name: 'Dense', config: { name: 'out', output_dim: 1, init: 'glorot_uniform', input_dim: null } },
  ] };
  const spec = normalizeModelConfig(cfg, ctx('1.2.2'));
  assert.deepEqual(spec.layers.map((l) => [l.name, l.className]), [
    ['dense_a_input', 'InputLayer'], ['dense_a', 'Dense'], ['dense_b_input', 'InputLayer'], ['dense_b', 'Dense'], ['merge_1', 'Add'], ['out', 'Dense'],
  ]);
  assert.deepEqual(spec.inputs, [t('dense_a_input'), t('dense_b_input')]);
  assert.deepEqual(layer(spec, 'merge_1').inboundNodes[0].inputs, [t('dense_a'), t('dense_b')]);
  assert.ok(!('layers' in layer(spec, 'merge_1').config));
  assert.deepEqual(spec.outputs, [t('out')]);
  assert.deepEqual(layer(spec, 'dense_b_input').config.batch_input_shape, [null, 5]);
});

test('Keras 1 recurrent, embedding, pooling, padding, normalization and noise renames', () => {
  const cfg = { class_name: 'Sequential', config: [
    { class_name: 'Embedding', config: { name: 'embedding_1', input_dim: 100, output_dim: 8, init: 'uniform', W_regularizer: null, W_constraint: null, dropout: 0.1, mask_zero: false, input_length: 10, batch_input_shape: [null, 10], input_dtype: 'int32' } },
    { class_name: 'LSTM', config: { name: 'lstm_1', output_dim: 6, init: 'glorot_uniform', inner_init: 'orthogonal', forget_bias_init: 'one', activation: 'tanh', inner_activation: 'hard_sigmoid', W_regularizer: null, U_regularizer: null, b_regularizer: null, dropout_W: 0.2, dropout_U: 0.3, consume_less: 'gpu', return_sequences: true, input_dim: 8, input_length: null } },
    { class_name: 'GRU', config: { name: 'gru_1', output_dim: 6, consume_less: 'mem', inner_activation: 'sigmoid', return_sequences: true } },
    { class_name: 'SimpleRNN', config: { name: 'simplernn_1', output_dim: 6, consume_less: 'cpu', return_sequences: true } },
    { class_name: 'MaxPooling1D', config: { name: 'maxpooling1d_1', pool_length: 2, stride: null, border_mode: 'valid' } },
    { class_name: 'UpSampling1D', config: { name: 'upsampling1d_1', length: 2 } },
    { class_name: 'AtrousConvolution1D', config: { name: 'atrousconvolution1d_1', nb_filter: 4, filter_length: 3, atrous_rate: 2, subsample_length: 1, border_mode: 'same', init: 'he_normal', bias: true } },
    { class_name: 'BatchNormalization', config: { name: 'batchnormalization_1', mode: 0, axis: -1, epsilon: 0.001, momentum: 0.99, beta_init: 'zero', gamma_init: 'one', gamma_regularizer: null, beta_regularizer: null } },
    { class_name: 'GaussianNoise', config: { name: 'gaussiannoise_1', sigma: 0.5 } },
    { class_name: 'GaussianDropout', config: { name: 'gaussiandropout_1', p: 0.1 } },
    { class_name: 'Reshape', config: { name: 'reshape_1', target_shape: [4, 5, 6] } },
    { class_name: 'ZeroPadding2D', config: { name: 'zeropadding2d_1', padding: { top_pad: 1, bottom_pad: 2, left_pad: 3, right_pad: 4 }, dim_ordering: 'tf' } },
    { class_name: 'AtrousConvolution2D', config: { name: 'atrousconvolution2d_1', nb_filter: 2, nb_row: 3, nb_col: 3, atrous_rate: [2, 2], subsample: [1, 1], border_mode: 'valid', dim_ordering: 'tf', init: 'glorot_uniform', bias: false } },
    { class_name: 'Deconvolution2D', config: { name: 'deconvolution2d_1', nb_filter: 2, nb_row: 3, nb_col: 3, output_shape: [null, 9, 9, 2], subsample: [2, 2], border_mode: 'same', dim_ordering: 'th' } },
    { class_name: 'SeparableConvolution2D', config: { name: 'separableconvolution2d_1', nb_filter: 3, nb_row: 3, nb_col: 3, init: 'glorot_uniform', depth_multiplier: 2, dim_ordering: 'tf' } },
    { class_name: 'Convolution3D', config: { name: 'convolution3d_1', nb_filter: 2, kernel_dim1: 1, kernel_dim2: 2, kernel_dim3: 3, subsample: [1, 1, 1], border_mode: 'valid', dim_ordering: 'th' } },
    { class_name: 'PReLU', config: { name: 'prelu_1', init: 'zero' } },
    { class_name: 'TimeDistributedDense', config: { name: 'timedistributeddense_1', output_dim: 3, init: 'glorot_uniform', bias: true, input_dim: null, input_length: null, activation: 'linear' } },
  ] };
  const spec = normalizeModelConfig(cfg, ctx('1.1.0'));
  const c = (name: string) => layer(spec, name).config;
  assert.equal(spec.layers[0].name, 'embedding_1_input');
  assert.equal(spec.layers[0].config.dtype, 'int32');
  // the int32 is the input's dtype, not the embedding matrix's
  assert.equal(c('embedding_1').dtype, undefined);
  assert.equal(c('embedding_1').keras1_input_dtype, 'int32');
  assert.deepEqual(spec.layers[0].config.batch_input_shape, [null, 10]);
  assert.deepEqual(
    [c('embedding_1').input_dim, c('embedding_1').output_dim, c('embedding_1').embeddings_initializer, 'dropout' in c('embedding_1'), c('embedding_1').input_length],
    [100, 8, 'uniform', false, 10],
  );
  const lstm = c('lstm_1');
  assert.deepEqual(
    [lstm.units, lstm.kernel_initializer, lstm.recurrent_initializer, lstm.unit_forget_bias, lstm.recurrent_activation, lstm.dropout, lstm.recurrent_dropout, lstm.implementation],
    [6, 'glorot_uniform', 'orthogonal', true, 'hard_sigmoid', 0.2, 0.3, 2],
  );
  assert.equal(c('gru_1').implementation, 1);
  assert.equal(c('gru_1').recurrent_activation, 'sigmoid');
  assert.equal(c('simplernn_1').implementation, 0);
  assert.deepEqual([c('maxpooling1d_1').pool_size, c('maxpooling1d_1').strides, c('maxpooling1d_1').padding], [[2], null, 'valid']);
  assert.equal(c('upsampling1d_1').size, 2);
  const a1 = layer(spec, 'atrousconvolution1d_1');
  assert.equal(a1.className, 'Conv1D');
  assert.deepEqual([a1.config.filters, a1.config.kernel_size, a1.config.dilation_rate, a1.config.strides, a1.config.padding, a1.config.kernel_initializer, a1.config.use_bias], [4, [3], [2], [1], 'same', 'he_normal', true]);
  const bn = c('batchnormalization_1');
  assert.deepEqual([bn.beta_initializer, bn.gamma_initializer, bn.keras1_mode, 'mode' in bn], ['zero', 'one', 0, false]);
  assert.equal(c('gaussiannoise_1').stddev, 0.5);
  assert.equal(c('gaussiandropout_1').rate, 0.1);
  assert.deepEqual(c('zeropadding2d_1').padding, [[1, 2], [3, 4]]);
  assert.equal(c('zeropadding2d_1').data_format, 'channels_last');
  const a2 = layer(spec, 'atrousconvolution2d_1');
  assert.equal(a2.className, 'Conv2D');
  assert.deepEqual([a2.config.kernel_size, a2.config.dilation_rate, a2.config.use_bias], [[3, 3], [2, 2], false]);
  const de = layer(spec, 'deconvolution2d_1');
  assert.equal(de.className, 'Conv2DTranspose');
  assert.deepEqual([de.config.filters, de.config.kernel_size, de.config.strides, de.config.data_format, de.config.keras1_dim_ordering, 'output_shape' in de.config], [2, [3, 3], [2, 2], 'channels_first', 'th', false]);
  const sep = layer(spec, 'separableconvolution2d_1');
  assert.equal(sep.className, 'SeparableConv2D');
  assert.deepEqual([sep.config.depthwise_initializer, sep.config.pointwise_initializer, sep.config.depth_multiplier, sep.config.filters], ['glorot_uniform', 'glorot_uniform', 2, 3]);
  const c3 = layer(spec, 'convolution3d_1');
  assert.equal(c3.className, 'Conv3D');
  assert.deepEqual([c3.config.kernel_size, c3.config.strides, c3.config.data_format], [[1, 2, 3], [1, 1, 1], 'channels_first']);
  assert.equal(c('prelu_1').alpha_initializer, 'zero');
  const td = layer(spec, 'timedistributeddense_1');
  assert.equal(td.className, 'TimeDistributed');
  assert.equal(td.innerLayers![0].className, 'Dense');
  assert.deepEqual([td.innerLayers![0].config.units, td.innerLayers![0].config.kernel_initializer, td.innerLayers![0].config.use_bias], [3, 'glorot_uniform', true]);
  assert.ok(!('units' in td.config));
});

test('Keras 1 forget_bias_init other than one → unit_forget_bias false, value kept', () => {
  const spec = normalizeModelConfig({ class_name: 'Sequential', config: [{ class_name: 'LSTM', config: { name: 'l', output_dim: 2, forget_bias_init: 'zero', batch_input_shape: [null, 3, 4] } }] }, ctx('1.0.5'));
  assert.equal(spec.layers[1].config.unit_forget_bias, false);
  assert.equal(spec.layers[1].config.keras1_forget_bias_init, 'zero');
});

test('very old entries without class_name: name holds the class, custom_name the layer name', () => {
  const spec = normalizeModelConfig({ class_name: 'Sequential', config: [{ name: 'Dense', custom_name: 'dense_1', output_dim: 2, input_dim: 3, init: 'glorot_uniform' }] }, ctx('0.3.3'));
  assert.deepEqual(spec.layers.map((l) => [l.name, l.className]), [['dense_1_input', 'InputLayer'], ['dense_1', 'Dense']]);
  assert.deepEqual(spec.layers[0].config.batch_input_shape, [null, 3]);
  assert.equal(spec.layers[1].config.units, 2);
});

// --- Keras 3 specifics ------------------------------------------------------------------------------

test('Keras 3: flat input_layers, +1 in output_layers for a nested Functional, quantized policy, registered custom layer', () => {
  const kt = (l: string, n: number) => ({ class_name: '__keras_tensor__', config: { shape: [null, 2], dtype: 'float32', keras_history: [l, n, 0] } });
  const inner = { module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional', name: 'inner', config: { name: 'inner', trainable: true, layers: [
    { module: 'keras.layers', class_name: 'InputLayer', registered_name: null, name: 'ii', config: { batch_shape: [null, 2], dtype: 'float32', sparse: false, name: 'ii' }, inbound_nodes: [] },
    { module: 'keras.layers', class_name: 'Dense', registered_name: null, name: 'id', config: { name: 'id', units: 2, dtype: { module: 'keras', class_name: 'QuantizedDTypePolicy', config: { mode: 'int8', source_name: 'float32' }, registered_name: null } }, inbound_nodes: [{ args: [kt('ii', 0)], kwargs: {} }] },
  ], input_layers: ['ii', 0, 0], output_layers: ['id', 0, 0] }, inbound_nodes: [{ args: [kt('x', 0)], kwargs: { training: false, mask: null } }] };
  const cfg = { module: 'keras.src.models.functional', class_name: 'Functional', config: { name: 'outer', trainable: true, layers: [
    { module: 'keras.layers', class_name: 'InputLayer', registered_name: null, name: 'x', config: { batch_shape: [null, 2], dtype: 'float32', name: 'x' }, inbound_nodes: [] },
    inner,
    { module: 'my_pkg', class_name: 'Scale', registered_name: 'my_pkg>Scale', name: 'scale', config: { name: 'scale', factor: 2 }, inbound_nodes: [{ args: [kt('inner', 0)], kwargs: {} }] },
  ], input_layers: ['x', 0, 0], output_layers: [['scale', 0, 0], ['inner', 1, 0]] } };
  const spec = normalizeModelConfig(cfg, ctx('3.5.0'));
  assert.deepEqual(spec.inputs, [t('x')]);
  assert.deepEqual(spec.outputs, [t('scale'), t('inner', 0)]);
  const innerSpec = layer(spec, 'inner');
  assert.deepEqual(innerSpec.inboundNodes[0].kwargs, { training: { kind: 'const', value: false }, mask: { kind: 'const', value: null } });
  assert.deepEqual(innerSpec.innerModel!.inputs, [t('ii')]);
  const d = innerSpec.innerModel!.layers[1];
  assert.equal(d.config.dtype, 'float32');
  assert.equal(d.config.dtype_policy, 'int8_from_float32');
  const s = layer(spec, 'scale');
  assert.equal(s.className, 'Scale');
  assert.equal(s.registeredName, 'my_pkg>Scale');
  assert.equal(s.module, 'my_pkg');
  assert.equal(innerSpec.registeredName, null);
});

test('a custom layer named like a model class is not treated as a nested model', () => {
  const cfg = { class_name: 'Functional', config: { name: 'm', layers: [
    { class_name: 'InputLayer', module: 'keras.layers', name: 'x', config: { batch_shape: [null, 2], name: 'x' }, inbound_nodes: [] },
    { class_name: 'Sequential', module: 'my_pkg.models', registered_name: 'my_pkg>Sequential', name: 'odd', config: { name: 'odd' }, inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { keras_history: ['x', 0, 0] } }], kwargs: {} }] },
  ], input_layers: [['x', 0, 0]], output_layers: [['odd', 0, 0]] } };
  const spec = normalizeModelConfig(cfg, ctx('3.1.0'));
  assert.equal(layer(spec, 'odd').innerModel, undefined);
  assert.equal(layer(spec, 'odd').registeredName, 'my_pkg>Sequential');
});

// --- errors -----------------------------------------------------------------------------------------

test('structural errors name file and layer', () => {
  const base = () => ({ class_name: 'Model', config: { name: 'm', layers: [
    input('a', [null, 2]),
    { class_name: 'Dense', name: 'd', config: { name: 'd', units: 1 }, inbound_nodes: [[['a', 0, 0, {}]]] },
  ] as unknown[], input_layers: [['a', 0, 0]] as unknown, output_layers: [['d', 0, 0]] as unknown } });
  const err = (re: RegExp) => (e: unknown) => e instanceof InvalidConfigError && /quirk\.json/.test((e as Error).message) && re.test((e as Error).message);
  const dup = base();
  dup.config.layers.push({ class_name: 'Dense', name: 'd', config: { name: 'd' }, inbound_nodes: [] });
  assert.throws(() => normalizeModelConfig(dup, ctx('2.3.1')), err(/layer 'd'.*same name/s));
  const noOut = base();
  delete (noOut.config as Record<string, unknown>).output_layers;
  assert.throws(() => normalizeModelConfig(noOut, ctx('2.3.1')), err(/output_layers/));
  const badOut = base();
  badOut.config.output_layers = [['d', 1, 0]];
  assert.throws(() => normalizeModelConfig(badOut, ctx('2.3.1')), err(/call 1 of layer 'd'/));
  const notList = base();
  notList.config.layers[1] = { class_name: 'Dense', name: 'd', config: { name: 'd' }, inbound_nodes: 'x' };
  assert.throws(() => normalizeModelConfig(notList, ctx('2.3.1')), err(/layer 'd'.*inbound_nodes/s));
  const noKh = base();
  noKh.config.layers[1] = { class_name: 'Dense', name: 'd', config: { name: 'd' }, inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: {} }], kwargs: {} }] };
  assert.throws(() => normalizeModelConfig(noKh, ctx('3.0.0')), err(/keras_history/));
  assert.throws(() => normalizeModelConfig({ class_name: 'Sequential', config: 'x' }, ctx('2.3.1')), err(/Sequential/));
  assert.throws(() => normalizeModelConfig({ class_name: 'Sequential', config: [{ class_name: 'Dense', config: {} }] }, ctx('2.3.1')), err(/no name/));
  assert.throws(() => normalizeModelConfig({ class_name: 'Sequential', config: [42] }, ctx('2.3.1')), err(/not an object/));
  assert.throws(() => normalizeModelConfig({ class_name: 'Functional', config: { name: 'f', layers: [] , input_layers: [], output_layers: [['ghost', 0, 0]] } }, ctx('2.3.1')), err(/ghost/));
});

test('Sequential whose first layer is a model: the model\'s input becomes the Sequential input', () => {
  const inner = { class_name: 'Model', config: { name: 'base', layers: [
    input('image', [null, 8, 8, 3]),
    { class_name: 'Flatten', name: 'flatten_1', config: { name: 'flatten_1' }, inbound_nodes: [[['image', 0, 0, {}]]] },
  ], input_layers: [['image', 0, 0]], output_layers: [['flatten_1', 0, 0]] } };
  const spec = normalizeModelConfig({ class_name: 'Sequential', config: { name: 'seq', layers: [inner, { class_name: 'Dense', config: { name: 'head', units: 2 } }] } }, ctx('2.2.4'));
  assert.deepEqual(spec.layers.map((l) => [l.name, l.className]), [['image', 'InputLayer'], ['base', 'Model'], ['head', 'Dense']]);
  assert.deepEqual(spec.layers[0].config.batch_input_shape, [null, 8, 8, 3]);
  assert.deepEqual(layer(spec, 'base').inboundNodes[0].inputs, [t('image')]);
  assert.deepEqual(layer(spec, 'head').inboundNodes[0].inputs, [t('base')]);
});

test('Keras 1 leading Merge with a functional branch keeps it as a nested model', () => {
  const fn = { class_name: 'Model', config: { name: 'model_1', layers: [
    { class_name: 'InputLayer', name: 'in_b', config: { batch_input_shape: [null, 3], input_dtype: 'float32', name: 'in_b' }, inbound_nodes: [] },
    { class_name: 'Dense', name: 'dense_b', config: { name: 'dense_b', output_dim: 2 }, inbound_nodes: [[['in_b', 0, 0]]] },
  ], input_layers: [['in_b', 0, 0]], output_layers: [['dense_b', 0, 0]] } };
  const seqBranch = { class_name: 'Sequential', config: [{ class_name: 'Dense', config: { name: 'dense_a', output_dim: 2, batch_input_shape: [null, 4] } }] };
  const spec = normalizeModelConfig({ class_name: 'Sequential', config: [{ class_name: 'Merge', config: { name: 'merge_1', mode: 'mul', layers: [seqBranch, fn] } }] }, ctx('1.2.2'));
  assert.deepEqual(spec.layers.map((l) => [l.name, l.className]), [['dense_a_input', 'InputLayer'], ['dense_a', 'Dense'], ['in_b', 'InputLayer'], ['model_1', 'Model'], ['merge_1', 'Multiply']]);
  assert.deepEqual(layer(spec, 'merge_1').inboundNodes[0].inputs, [t('dense_a'), t('model_1')]);
  assert.deepEqual(spec.inputs, [t('dense_a_input'), t('in_b')]);
});

test('Keras 3 tensor-valued layer settings become plain values (Masking mask_value)', () => {
  const spec = normalizeModelConfig({
    module: 'keras', class_name: 'Sequential', config: { name: 's', layers: [
      { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 3, 2], dtype: 'float32', name: 'in' } },
      { module: 'keras.layers', class_name: 'Masking', config: { name: 'masking', mask_value: { class_name: '__tensor__', config: { value: [0.5], dtype: 'float32' } } } },
    ] },
  }, { source: 'm.keras', format: 'keras-v3', kerasVersion: parseKerasVersion('3.15.1'), backend: null });
  assert.equal(spec.layers.find((l) => l.name === 'masking')!.config.mask_value, 0.5);
});
