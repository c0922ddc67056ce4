/**
 * Model summaries against real Keras 3 (fixture models built by test/fixtures/shapes/generate.py): per-layer output
 * shapes and counts, totals and the trainable split; plus stored-weight rules checked by hand-counted examples.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { LayerSpec, ModelSpec, Shape, WeightSpec } from '../../src/spec/types.ts';
import { formatShape, renderSummary, summarizeModel } from '../../src/spec/summary.ts';
import { modelSpec, K3 } from './shapes-k3spec.ts';
import { normalizeModelConfig } from '../../src/spec/normalize.ts';

interface FxModel {
  case: string; model: Record<string, unknown>; totalParams: number; trainableParams: number; nonTrainableParams: number;
  outputShapes: Shape[]; layers: { name: string; outputShapes: Shape[]; params: number; trainableParams: number }[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/shapes/keras3_layers.json', import.meta.url), 'utf8')) as { models: FxModel[] };

for (const m of fx.models) {
  test(`summary of Keras 3 model '${m.case}' matches Keras (shapes, per-layer and total params)`, () => {
    const s = summarizeModel(modelSpec(m.model));
    assert.equal(s.totalParams, m.totalParams);
    assert.equal(s.trainableParams, m.trainableParams);
    assert.equal(s.nonTrainableParams, m.nonTrainableParams);
    assert.deepEqual(s.unknownParamLayers, []);
    assert.deepEqual(s.outputs.map((o) => o.shape), m.outputShapes);
    for (const k of m.layers) {
      const l = s.layers.find((x) => x.name === k.name);
      assert.ok(l, `layer ${k.name} in summary`);
      assert.deepEqual(l.outputShape, k.outputShapes.length === 1 ? k.outputShapes[0] : k.outputShapes, `output shape of ${k.name}`);
      assert.equal(l.params, k.params, `params of ${k.name}`);
      assert.equal(l.trainableParams, k.trainableParams, `trainable params of ${k.name}`);
    }
  });
}

test('the same Keras 3 fixture models through the real normalizer give the same Keras totals and outputs', () => {
  for (const m of fx.models) {
    const spec = normalizeModelConfig(m.model, { source: `${m.case}.json`, format: 'json', kerasVersion: K3, backend: 'jax' });
    const s = summarizeModel(spec);
    assert.equal(s.totalParams, m.totalParams, m.case);
    assert.equal(s.trainableParams, m.trainableParams, m.case);
    assert.deepEqual(s.outputs.map((o) => o.shape), m.outputShapes, m.case);
  }
});

// ---- hand-built specs for stored-weight rules

const KV = (major: 1 | 2 | 3, raw: string) => ({ raw, major, minor: 0, patch: 0, tfKeras: false, inferred: false });
const ws = (name: string, shape: number[]): WeightSpec => ({ name, shape, dtype: 'float32', values: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
const ref = (layer: string, node = 0, tensor = 0) => ({ layer, node, tensor });
function layer(name: string, className: string, config: Record<string, unknown>, from: string[] = [], weights: WeightSpec[] = [], trainable = true): LayerSpec {
  const refs = from.map((f) => ref(f));
  return {
    name, className, module: null, registeredName: null, config: { name, ...config }, originalConfig: {}, trainable, weights,
    inboundNodes: from.length ? [{ args: [refs.length === 1 ? { kind: 'tensor', ref: refs[0] } : { kind: 'list', items: refs.map((r) => ({ kind: 'tensor' as const, ref: r })) }], kwargs: {}, inputs: refs }] : [],
  };
}
function model(layers: LayerSpec[], major: 1 | 2 | 3, raw: string, extra: Partial<ModelSpec> = {}): ModelSpec {
  return {
    format: 'legacy-h5', source: 'hand.h5', kerasVersion: KV(major, raw), backend: major === 1 ? null : 'tensorflow', modelClass: 'Model', name: 'm',
    layers, inputs: [ref(layers[0].name)], outputs: [ref(layers[layers.length - 1].name)], trainingConfig: null, originalConfig: {}, hasWeights: true, ...extra,
  };
}

test('stored weights give the counts; BN moving stats and frozen layers are non-trainable', () => {
  const spec = model([
    layer('in', 'InputLayer', { batch_input_shape: [null, 3] }),
    layer('d', 'Dense', { units: 4 }, ['in'], [ws('d/kernel:0', [3, 4]), ws('d/bias:0', [4])]),
    layer('bn', 'BatchNormalization', { axis: -1 }, ['d'], [ws('bn/gamma:0', [4]), ws('bn/beta:0', [4]), ws('bn/moving_mean:0', [4]), ws('bn/moving_variance:0', [4])]),
    layer('f', 'Dense', { units: 2 }, ['bn'], [ws('f/kernel:0', [4, 2]), ws('f/bias:0', [2])], false),
  ], 2, '2.2.4');
  const s = summarizeModel(spec);
  // 12+4 + 4*4 + 8+2 = 42; non-trainable: BN 8 + frozen dense 10
  assert.equal(s.totalParams, 42);
  assert.equal(s.nonTrainableParams, 18);
  assert.equal(s.trainableParams, 24);
  assert.deepEqual(s.layers[3].outputShape, [null, 2]);
  assert.equal(s.layers[2].weights[2].name, 'bn/moving_mean:0');
});

test('Keras 1 per-gate LSTM (12 tensors) and 4-weight BN are inferred and counted like the stored ones', () => {
  const gates = ['i', 'c', 'f', 'o'].flatMap((g) => [ws(`lstm_W_${g}`, [3, 5]), ws(`lstm_U_${g}`, [5, 5]), ws(`lstm_b_${g}`, [5])]);
  const withW = model([
    layer('in', 'InputLayer', { batch_input_shape: [null, 7, 3] }),
    layer('lstm', 'LSTM', { units: 5 }, ['in'], gates),
    layer('bn', 'BatchNormalization', { axis: -1 }, ['lstm'], ['gamma', 'beta', 'running_mean', 'running_std'].map((n) => ws(`bn_${n}`, [5]))),
  ], 1, '1.2.2');
  const s = summarizeModel(withW);
  // 4 * (3*5 + 5*5 + 5) = 180; BN 4*5 with 10 non-trainable
  assert.equal(s.totalParams, 200);
  assert.equal(s.nonTrainableParams, 10);
  const noW = summarizeModel({ ...withW, layers: withW.layers.map((l) => ({ ...l, weights: [] })), hasWeights: false });
  assert.equal(noW.totalParams, 200);
  assert.equal(noW.nonTrainableParams, 10);
  assert.deepEqual(noW.layers[1].weights.map((w) => w.name), gates.map((g) => g.name.replace('lstm_', '')));
});

test('Lambda and custom layers: output unknown and propagated; custom params come from stored weights', () => {
  const spec = model([
    layer('in', 'InputLayer', { batch_input_shape: [null, 8] }),
    layer('lam', 'Lambda', { function: 'xxx' }, ['in']),
    layer('after', 'Dense', { units: 3 }, ['lam']),
    layer('q', 'QDense', { units: 4 }, ['in'], [ws('q/kernel:0', [8, 4]), ws('q/bias:0', [4])]),
    layer('cq', 'QDense', { units: 4 }, ['in']),
  ], 2, '2.4.0');
  const s = summarizeModel(spec);
  const by = Object.fromEntries(s.layers.map((l) => [l.name, l]));
  assert.equal(by.lam.outputShape, null);
  assert.equal(by.lam.params, 0);
  assert.equal(by.lam.paramsKnown, true);
  assert.equal(by.after.outputShape, null);
  assert.equal(by.after.paramsKnown, false);
  assert.equal(by.q.params, 36);
  assert.equal(by.q.outputShape, null);
  assert.equal(by.cq.paramsKnown, false);
  assert.deepEqual(s.unknownParamLayers, ['after', 'cq']);
  assert.match(renderSummary(s), /Total params: 36 \(at least; unknown for: after, cq\)/);
});

test('nested model stored as one layer group: trainable weights of all sub-layers first, BN stats non-trainable', () => {
  const inner = model([
    layer('sin', 'InputLayer', { batch_input_shape: [null, 10] }),
    layer('sd1', 'Dense', { units: 7 }, ['sin']),
    layer('sbn', 'BatchNormalization', {}, ['sd1']),
    layer('sd2', 'Dense', { units: 5 }, ['sbn']),
  ], 3, '3.15.1', { modelClass: 'Sequential', name: 'subseq' });
  // formats.md §1.7 verified order: sd1 k,b, sbn gamma,beta, sd2 k,b, then sbn moving mean/var
  const stored = [ws('sd1/kernel', [10, 7]), ws('sd1/bias', [7]), ws('sbn/gamma', [7]), ws('sbn/beta', [7]), ws('sd2/kernel', [7, 5]), ws('sd2/bias', [5]), ws('sbn/moving_mean', [7]), ws('sbn/moving_variance', [7])];
  const outerLayer: LayerSpec = { ...layer('subseq', 'Sequential', {}, ['x'], stored), innerModel: inner };
  const spec = model([layer('x', 'InputLayer', { batch_shape: [null, 10] }), outerLayer], 3, '3.15.1');
  const s = summarizeModel(spec);
  assert.equal(s.totalParams, 145);
  assert.equal(s.trainableParams, 131);
  assert.deepEqual(s.layers[1].outputShape, [null, 5]);
});

test('formatShape prints Python tuples like Keras', () => {
  assert.equal(formatShape([null, 28, 28, 3]), '(None, 28, 28, 3)');
  assert.equal(formatShape([null]), '(None,)');
  assert.equal(formatShape([[null, 5], [null, 5]]), '[(None, 5), (None, 5)]');
  assert.equal(formatShape(null), '?');
});

test('renderSummary shows rows, totals, Keras version and backend', () => {
  const s = summarizeModel(modelSpec(fx.models[0].model));
  const text = renderSummary(s);
  assert.match(text, /c1 \(Conv2D\)\s+\(None, 26, 26, 8\)\s+80/);
  assert.doesNotMatch(text, /InputLayer/); // Keras shows no input row for a Sequential
  assert.match(text, /Total params: 1,450/);
  assert.match(text, /Non-trainable params: 16/);
  assert.match(text, /Keras version: 3\.15\.1 {3}Backend: jax/);
  const fn = renderSummary(summarizeModel(modelSpec(fx.models[1].model)));
  assert.match(fn, /Connected to/);
  assert.match(fn, /cat \(Concatenate\)/);
  assert.equal(K3.major, 3);
});

test('summary shows each weighted layer\'s initializers and what they map to (Keras 1 strings, tf.keras classes, custom)', async () => {
  const { normalizeModelConfig } = await import('../../src/spec/normalize.ts');
  const { parseKerasVersion } = await import('../../src/spec/version.ts');
  const { summarizeModel: summarize, renderSummary: render } = await import('../../src/spec/summary.ts');
  // Keras 1.2 Sequential: Dense(init='he_normal') then LSTM(init='glorot_uniform', inner_init='orthogonal')
  const k1 = normalizeModelConfig({ class_name: 'Sequential', config: [
    { class_name: 'Dense', config: { name: 'd', output_dim: 8, init: 'he_normal', activation: 'relu', batch_input_shape: [null, 5, 3], bias: true } },
    { class_name: 'LSTM', config: { name: 'l', output_dim: 4, init: 'glorot_uniform', inner_init: 'orthogonal', forget_bias_init: 'one', return_sequences: false } },
  ] }, { source: 'k1.json', format: 'json', kerasVersion: parseKerasVersion('1.2.2'), backend: null });
  const s = summarize(k1);
  const d = s.layers.find((l) => l.name === 'd')!;
  // Keras 1 he_normal: untruncated normal, std sqrt(2/fan_in) — not a truncated preset
  assert.equal(d.initializers!.kernel_initializer.keras, 'he_normal');
  assert.equal(d.initializers!.kernel_initializer.exact, true);
  // Keras 1 he_normal is untruncated (unlike the Keras 2.2+ RELU preset); Keras 1 orthogonal has gain 1.1
  assert.equal(d.initializers!.kernel_initializer.weightInit, 'RELU_UNTRUNCATED');
  const l = s.layers.find((x) => x.name === 'l')!;
  assert.equal(l.initializers!.recurrent_initializer.weightInit, 'ORTHOGONAL_KERAS1');
  assert.equal(l.initializers!.unit_forget_bias.weightInit, 'ONES');
  // Custom Python function: shown as UNSUPPORTED with the remedy, never silently replaced
  const custom = normalizeModelConfig({ module: 'keras', class_name: 'Sequential', config: { name: 's', layers: [
    { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 3], dtype: 'float32', name: 'in' } },
    { module: 'keras.layers', class_name: 'Dense', config: { name: 'c', units: 2, kernel_initializer: { module: 'builtins', class_name: 'function', config: 'my_init', registered_name: 'function' } } },
  ] } }, { source: 'c.keras', format: 'keras-v3', kerasVersion: parseKerasVersion('3.15.1'), backend: null });
  const cs = summarize(custom);
  const ck = cs.layers.find((x) => x.name === 'c')!.initializers!.kernel_initializer;
  assert.equal(ck.weightInit, 'UNSUPPORTED');
  assert.equal(ck.exact, false);
  assert.match(ck.note!, /registerInitializer/);
  assert.match(render(cs), /c\.kernel_initializer .*UNSUPPORTED/);
});
