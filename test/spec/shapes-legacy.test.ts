/**
 * Keras 1 / Keras 2 weight layouts and shape rules that Keras 3 cannot produce, checked against
 * formats.md §2.3/§2.5/§3 (tables of stored shapes) and hand-computed conv arithmetic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerSpec, Shape } from '../../src/spec/types.ts';
import { inferLayerOutputShapes, inferWeightShapes, type ShapeContext } from '../../src/spec/shapes/index.ts';

const K1: ShapeContext = { kerasMajor: 1, kerasMinor: 2, source: 'k1.h5' };
const K1_0: ShapeContext = { kerasMajor: 1, kerasMinor: 0, source: 'k10.h5' };
const K2: ShapeContext = { kerasMajor: 2, source: 'k2.h5' };
const K3: ShapeContext = { kerasMajor: 3, source: 'k3.keras' };

function L(className: string, config: Record<string, unknown>, extra: Partial<LayerSpec> = {}): LayerSpec {
  return { name: 'l', className, module: null, registeredName: null, config, originalConfig: config, inboundNodes: [], weights: [], trainable: true, ...extra };
}
const shapes = (l: LayerSpec, ins: Shape[], ctx: ShapeContext) => inferWeightShapes(l, ins, ctx)?.map((w) => [w.name, w.shape, w.trainable]);
const out = (l: LayerSpec, ins: Shape[], ctx: ShapeContext) => inferLayerOutputShapes(l, ins, ctx);

test("Keras 1 Convolution2D: 'th' kernel (out, in, rows, cols), 'tf' kernel (rows, cols, in, out)", () => {
  const th = L('Conv2D', { filters: 8, kernel_size: [3, 3], data_format: 'channels_first', padding: 'valid' });
  assert.deepEqual(shapes(th, [[null, 3, 32, 32]], K1), [['W', [8, 3, 3, 3], true], ['b', [8], true]]);
  assert.deepEqual(out(th, [[null, 3, 32, 32]], K1), [[null, 8, 30, 30]]);
  const tf = L('Conv2D', { filters: 8, kernel_size: [3, 3], data_format: 'channels_last', padding: 'same', strides: [2, 2] });
  assert.deepEqual(shapes(tf, [[null, 32, 31, 3]], K1), [['W', [3, 3, 3, 8], true], ['b', [8], true]]);
  assert.deepEqual(out(tf, [[null, 32, 31, 3]], K1), [[null, 16, 16, 8]]); // ceil(32/2), ceil(31/2)
  // Keras 2 stores the same kernel as (rows, cols, in, out) for both data formats
  assert.deepEqual(shapes(th, [[null, 3, 32, 32]], K2), [['kernel', [3, 3, 3, 8], true], ['bias', [8], true]]);
});

test('Keras 1 Convolution1D kernel is 4-D: (length, 1, in, out) since 1.1, (out, in, length, 1) in 1.0.x', () => {
  const c = L('Conv1D', { filters: 6, kernel_size: [3], padding: 'valid' });
  assert.deepEqual(shapes(c, [[null, 10, 4]], K1)?.[0], ['W', [3, 1, 4, 6], true]);
  assert.deepEqual(shapes(c, [[null, 10, 4]], K1_0)?.[0], ['W', [6, 4, 3, 1], true]);
  assert.deepEqual(out(c, [[null, 10, 4]], K1), [[null, 8, 6]]);
});

test("Keras 1 'full' padding: length + (k-1)·dilation, then strided", () => {
  const c = L('Conv1D', { filters: 2, kernel_size: 3, padding: 'full', strides: 2 });
  assert.deepEqual(out(c, [[null, 10, 4]], K1), [[null, 6, 2]]); // (10 + 2) / 2
  const atrous = L('Conv1D', { filters: 2, kernel_size: 3, padding: 'valid', dilation_rate: 2 });
  assert.deepEqual(out(atrous, [[null, 10, 4]], K1), [[null, 6, 2]]); // 10 - 5 + 1
});

test("Keras 1 Convolution3D 'th' kernel (out, in, d1, d2, d3)", () => {
  const c = L('Conv3D', { filters: 4, kernel_size: [3, 2, 1], data_format: 'channels_first' });
  assert.deepEqual(shapes(c, [[null, 2, 8, 8, 8]], K1)?.[0], ['W', [4, 2, 3, 2, 1], true]);
  assert.deepEqual(out(c, [[null, 2, 8, 8, 8]], K1), [[null, 4, 6, 7, 8]]);
});

test('Keras 1 Deconvolution2D: output shape from its config; Keras 2 transposed kernel is (kh, kw, filters, in)', () => {
  const d = L('Conv2DTranspose', { filters: 5, kernel_size: [3, 3], strides: [2, 2], padding: 'valid', output_shape: [null, 15, 15, 5] });
  assert.deepEqual(out(d, [[null, 7, 7, 3]], K1), [[null, 15, 15, 5]]);
  assert.deepEqual(shapes(d, [[null, 7, 7, 3]], K1)?.[0], ['W', [3, 3, 3, 5], true]);
  const t = L('Conv2DTranspose', { filters: 5, kernel_size: [3, 3], strides: [2, 2], padding: 'valid' });
  assert.deepEqual(shapes(t, [[null, 7, 7, 3]], K2)?.[0], ['kernel', [3, 3, 5, 3], true]);
  assert.deepEqual(out(t, [[null, 7, 7, 3]], K2), [[null, 15, 15, 5]]); // 7·2 + max(3-2, 0)
});

test('Keras 1 BatchNormalization always has 4 weights; running mean/std non-trainable', () => {
  const bn = L('BatchNormalization', { axis: 1, center: false });
  assert.deepEqual(shapes(bn, [[null, 3, 8, 8]], K1), [
    ['gamma', [3], true], ['beta', [3], true], ['running_mean', [3], false], ['running_std', [3], false],
  ]);
  // Keras 2: center=False drops beta (formats.md §3, verified)
  assert.deepEqual(shapes(bn, [[null, 3, 8, 8]], K2)?.map((x) => x[0]), ['gamma', 'moving_mean', 'moving_variance']);
});

test('Keras 1 LSTM: 12 per-gate tensors in order i, c, f, o; consume_less=gpu (implementation 2) stores 3', () => {
  const lstm = L('LSTM', { units: 5 });
  const ws = shapes(lstm, [[null, 7, 3]], K1)!;
  assert.deepEqual(ws.map((w) => w[0]), ['W_i', 'U_i', 'b_i', 'W_c', 'U_c', 'b_c', 'W_f', 'U_f', 'b_f', 'W_o', 'U_o', 'b_o']);
  assert.deepEqual(ws.slice(0, 3).map((w) => w[1]), [[3, 5], [5, 5], [5]]);
  const gpu = L('LSTM', { units: 5, implementation: 2 });
  assert.deepEqual(shapes(gpu, [[null, 7, 3]], K1), [['W', [3, 20], true], ['U', [5, 20], true], ['b', [20], true]]);
  const orig = L('LSTM', { units: 5 }, { originalConfig: { class_name: 'LSTM', config: { consume_less: 'gpu' } } });
  assert.equal(shapes(orig, [[null, 7, 3]], K1)?.length, 3);
});

test('Keras 1 GRU: 9 tensors z, r, h; SimpleRNN W, U, b', () => {
  const gru = shapes(L('GRU', { units: 4 }), [[null, 7, 3]], K1)!;
  assert.deepEqual(gru.map((w) => w[0]), ['W_z', 'U_z', 'b_z', 'W_r', 'U_r', 'b_r', 'W_h', 'U_h', 'b_h']);
  assert.equal(gru.reduce((a, w) => a + (w[1] as number[]).reduce((p, d) => p * d, 1), 0), 3 * (3 * 4 + 4 * 4 + 4));
  assert.deepEqual(shapes(L('SimpleRNN', { units: 4 }), [[null, 7, 3]], K1), [['W', [3, 4], true], ['U', [4, 4], true], ['b', [4], true]]);
});

test('GRU bias: (3u) without reset_after (missing key = False), (2, 3u) with it; CuDNN biases 8u / 6u', () => {
  assert.deepEqual(shapes(L('GRU', { units: 4 }), [[null, 7, 3]], K2)?.[2], ['bias', [12], true]);
  assert.deepEqual(shapes(L('GRU', { units: 4, reset_after: true }), [[null, 7, 3]], K2)?.[2], ['bias', [2, 12], true]);
  assert.deepEqual(shapes(L('CuDNNLSTM', { units: 4 }), [[null, 7, 3]], K2), [['kernel', [3, 16], true], ['recurrent_kernel', [4, 16], true], ['bias', [32], true]]);
  assert.deepEqual(shapes(L('CuDNNGRU', { units: 4 }), [[null, 7, 3]], K2)?.[2], ['bias', [24], true]);
  assert.deepEqual(out(L('CuDNNLSTM', { units: 4, return_sequences: true, return_state: true }), [[null, 7, 3]], K2), [[null, 7, 4], [null, 4], [null, 4]]);
});

test('Keras 1 ConvLSTM2D: 12 per-gate tensors; Keras 2 kernel (kh, kw, in, 4f)', () => {
  const c = L('ConvLSTM2D', { filters: 4, kernel_size: [3, 3], data_format: 'channels_last', padding: 'valid' });
  const ws = shapes(c, [[null, 5, 10, 10, 2]], K1)!;
  assert.equal(ws.length, 12);
  assert.deepEqual(ws.slice(0, 3).map((w) => w[1]), [[3, 3, 2, 4], [3, 3, 4, 4], [4]]);
  assert.deepEqual(shapes(c, [[null, 5, 10, 10, 2]], K2)?.map((w) => w[1]), [[3, 3, 2, 16], [3, 3, 4, 16], [16]]);
  assert.deepEqual(out(c, [[null, 5, 10, 10, 2]], K2), [[null, 8, 8, 4]]);
});

test('Keras 2 DepthwiseConv2D kernel is named depthwise_kernel (Keras 3: kernel)', () => {
  const d = L('DepthwiseConv2D', { kernel_size: [3, 3], depth_multiplier: 2 });
  assert.deepEqual(shapes(d, [[null, 8, 8, 3]], K2), [['depthwise_kernel', [3, 3, 3, 2], true], ['bias', [6], true]]);
  assert.deepEqual(shapes(d, [[null, 8, 8, 3]], K3)?.[0], ['kernel', [3, 3, 3, 2], true]);
});

test('LocallyConnected1D/2D (Keras 2): kernel (out positions, k·in, f), bias (out…, f) for both data formats', () => {
  const l1 = L('LocallyConnected1D', { filters: 5, kernel_size: [3], strides: [1] });
  assert.deepEqual(shapes(l1, [[null, 10, 4]], K2), [['kernel', [8, 12, 5], true], ['bias', [8, 5], true]]);
  assert.deepEqual(out(l1, [[null, 10, 4]], K2), [[null, 8, 5]]);
  const l2 = L('LocallyConnected2D', { filters: 4, kernel_size: [3, 3], data_format: 'channels_first' });
  assert.deepEqual(shapes(l2, [[null, 3, 10, 10]], K2), [['kernel', [64, 27, 4], true], ['bias', [8, 8, 4], true]]);
  assert.deepEqual(out(l2, [[null, 3, 10, 10]], K2), [[null, 4, 8, 8]]);
  const impl2 = L('LocallyConnected2D', { filters: 4, kernel_size: [3, 3], implementation: 2 });
  assert.deepEqual(shapes(impl2, [[null, 10, 10, 3]], K2)?.[0], ['kernel', [10, 10, 3, 8, 8, 4], true]);
});

test('Keras 1 Merge layer modes', () => {
  const a: Shape = [null, 4, 3], b: Shape = [null, 4, 5];
  assert.deepEqual(out(L('Merge', { mode: 'concat', concat_axis: -1 }), [a, b], K1), [[null, 4, 8]]);
  assert.deepEqual(out(L('Merge', { mode: 'sum' }), [a, a], K1), [[null, 4, 3]]);
  assert.deepEqual(out(L('Merge', { mode: 'dot', dot_axes: [1, 1] }), [a, b], K1), [[null, 3, 5]]);
  assert.deepEqual(out(L('Merge', { mode: 'cos', dot_axes: 1 }), [[null, 4], [null, 4]], K1), [[null, 1]]);
  assert.equal(out(L('Merge', { mode: 'lambda' }), [a, b], K1), undefined);
});

test('Keras 1 Dense/Embedding/PReLU/TimeDistributedDense/MaxoutDense/Highway weight names and shapes', () => {
  assert.deepEqual(shapes(L('Dense', { units: 3 }), [[null, 5]], K1), [['W', [5, 3], true], ['b', [3], true]]);
  assert.deepEqual(shapes(L('Embedding', { input_dim: 100, output_dim: 8 }), [[null, 10]], K1), [['W', [100, 8], true]]);
  assert.deepEqual(out(L('Embedding', { input_dim: 100, output_dim: 8 }), [[null, 10]], K1), [[null, 10, 8]]);
  assert.deepEqual(shapes(L('PReLU', {}), [[null, 4, 3]], K1), [['alphas', [4, 3], true]]);
  assert.deepEqual(shapes(L('TimeDistributedDense', { output_dim: 6 }), [[null, 7, 5]], K1), [['W', [5, 6], true], ['b', [6], true]]);
  assert.deepEqual(shapes(L('MaxoutDense', { output_dim: 6, nb_feature: 4 }), [[null, 5]], K1), [['W', [4, 5, 6], true], ['b', [4, 6], true]]);
  assert.equal(shapes(L('Highway', {}), [[null, 5]], K1)?.length, 4);
});

test('shape-only layers from older Keras: ThresholdedReLU, TimeDistributed(Dense) via its config, frozen layers', () => {
  assert.deepEqual(out(L('ThresholdedReLU', { theta: 1 }), [[null, 5]], K2), [[null, 5]]);
  const td = L('TimeDistributed', { layer: { class_name: 'Dense', config: { units: 4 } } });
  assert.deepEqual(out(td, [[null, 6, 3]], K2), [[null, 6, 4]]);
  assert.deepEqual(shapes(td, [[null, 6, 3]], K2), [['kernel', [3, 4], true], ['bias', [4], true]]);
  const frozen = L('Dense', { units: 2 }, { trainable: false });
  assert.deepEqual(shapes(frozen, [[null, 3]], K2)?.map((w) => w[2]), [false, false]);
});

test('unknown, custom and unshaped layers give undefined, never a guess', () => {
  assert.equal(out(L('QDense', { units: 4 }), [[null, 3]], K2), undefined);
  assert.equal(shapes(L('QDense', { units: 4 }), [[null, 3]], K2), undefined);
  assert.equal(out(L('Dense', { units: 4 }, { registeredName: 'my_pkg>Dense' }), [[null, 3]], K3), undefined);
  assert.equal(out(L('Lambda', { function: 'x', output_shape_type: 'lambda', output_shape: ['code', null, null] }), [[null, 3]], K2), undefined);
  assert.deepEqual(out(L('Lambda', { function: 'x', output_shape_type: 'raw', output_shape: [7, 2] }), [[5, 3]], K2), [[5, 7, 2]]);
  assert.deepEqual(shapes(L('Lambda', {}), [[null, 3]], K2), []);
  assert.equal(out(L('Dense', { units: 4 }), [[null, 3], [null, 3]], K2), undefined); // Dense needs one input shape
  assert.equal(out(L('Conv2D', { filters: 2, kernel_size: 5 }), [[null, 3, 3, 1]], K2), undefined); // kernel larger than input
});

test('unknown (None) dims propagate through shapes; weights still known when they do not depend on them', () => {
  assert.deepEqual(out(L('Conv1D', { filters: 4, kernel_size: 3, strides: 2 }), [[null, null, 5]], K2), [[null, null, 4]]);
  assert.deepEqual(shapes(L('Conv1D', { filters: 4, kernel_size: 3 }), [[null, null, 5]], K2)?.[0], ['kernel', [3, 5, 4], true]);
  assert.deepEqual(out(L('Flatten', {}), [[null, null, 5]], K2), [[null, null]]);
  assert.deepEqual(out(L('LSTM', { units: 3, return_sequences: true }), [[null, null, 5]], K2), [[null, null, 3]]);
  assert.equal(shapes(L('Dense', { units: 3 }), [[null, null]], K2), undefined);
  assert.deepEqual(out(L('Reshape', { target_shape: [-1, 2] }), [[null, null, 4]], K2), [[null, null, 2]]);
});
