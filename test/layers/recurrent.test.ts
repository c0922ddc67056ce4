import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '../../src/layers/recurrent.ts';
import { WeightMismatchError, UnsupportedFeatureError } from '../../src/errors.ts';
import { getBuilder } from '../../src/layers/registry.ts';
import { useBackend } from '../../src/runtime/backend.ts';
import { createRandom } from '../../src/initializers/random.ts';
import { assertClose, ctxFor, layerSpecFor, loadCases, runEager, runModel, type Case } from './recurrent_fixtures.ts';

const cases = loadCases('recurrent.json');

for (const backend of ['cpu', 'wasm']) {
  describe(`recurrent layers match Keras 3.15 outputs (eager, with masks and initial states) on ${backend}`, () => {
    before(async () => { await useBackend(backend); });
    for (const c of cases) {
      it(c.name, () => {
        tf.tidy(() => assertClose(runEager(c), c.outputs, c.name));
      });
    }
  });
}

describe('(cpu) recurrent layers inside a tfjs LayersModel (shape inference + predict)', () => {
  before(async () => { await useBackend('cpu'); });
  for (const c of cases.filter((k) => !k.mask && k.inputs.length === 1)) {
    it(c.name, () => {
      tf.tidy(() => assertClose(runModel(c), c.outputs, c.name));
    });
  }
});

describe('initial_state given as the tfjs initialState kwarg (how the runtime maps Keras\' call kwarg)', () => {
  before(async () => { await useBackend('cpu'); });
  it('LSTM_initial_state inside a LayersModel', () => {
    const c = cases.find((k) => k.name === 'LSTM_initial_state')!;
    const spec = layerSpecFor(c);
    const ctx = ctxFor(c);
    const builder = getBuilder('LSTM')!;
    const layer = builder.create(spec, ctx);
    const [x, h0, c0] = c.inputs.map((a) => tfl.input({ shape: a.shape.slice(1) }));
    const out = layer.apply(x, { initialState: [h0, c0] }) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: [x, h0, c0], outputs: out });
    layer.setWeights(builder.convertWeights!(spec, layer, ctx));
    const y = m.predict(c.inputs.map((a) => tf.tensor(a.values, a.shape))) as tf.Tensor;
    assertClose([y], c.outputs, c.name);
  });
});

describe('recurrent weight and config errors', () => {
  before(async () => { await useBackend('cpu'); });
  const base = cases.find((c) => c.name === 'LSTM')!;
  it('rejects a kernel with the wrong number of units', () => {
    const bad: Case = { ...base, weights: [base.weights[0], base.weights[1], { shape: [8], values: new Array(8).fill(0) }] };
    assert.throws(() => runEager(bad), WeightMismatchError);
  });
  it('rejects too few weight tensors', () => {
    assert.throws(() => runEager({ ...base, weights: base.weights.slice(0, 1) }), WeightMismatchError);
  });
  it('rejects a GRU reset_after=False bias of shape (2, 3u)', () => {
    const gru = cases.find((c) => c.name === 'GRU')!; // reset_after=True weights
    assert.throws(() => runEager({ ...gru, config: { ...gru.config, reset_after: false } }), WeightMismatchError);
  });
  it('names an unsupported activation', () => {
    const spec = layerSpecFor({ ...base, config: { ...base.config, activation: 'my_custom_act' } });
    assert.throws(() => getBuilder('LSTM')!.create(spec, ctxFor(base)), (e: unknown) => e instanceof UnsupportedFeatureError && /my_custom_act/.test((e as Error).message));
  });
  it('does not leak tensors per call (masked, return_state)', () => {
    const c = cases.find((k) => k.name.startsWith('LSTM_masked_return_sequences'))!;
    const spec = layerSpecFor(c);
    const layer = getBuilder('LSTM')!.create(spec, ctxFor(c));
    const x = tf.tensor(c.inputs[0].values, c.inputs[0].shape);
    const mask = tf.tensor((c.mask as { values: number[] }).values, (c.mask as { shape: number[] }).shape, 'bool');
    layer.apply(x, { mask }); // builds the layer (weights are created once)
    const startCount = tf.memory().numTensors;
    const outs = layer.apply(x, { mask }) as tf.Tensor[];
    assert.equal(outs.length, 3);
    assert.equal(tf.memory().numTensors - startCount, 3, 'only the three outputs survive a call');
  });
});

describe('(wasm) per-gate weights kept between predictions', () => {
  before(async () => { await useBackend('wasm'); });
  for (const name of ['K1_LSTM_12_tensors_hard_sigmoid', 'GRU_reset_after=True_return_sequences=True_return_state=True']) {
    it(`${name}: new weights are used after setWeights`, () => {
      const c = cases.find((k) => k.name === name)!;
      const spec = layerSpecFor(c);
      const ctx = ctxFor(c);
      const builder = getBuilder(c.className)!;
      const build = () => {
        const layer = builder.create(spec, ctx);
        const x = tfl.input({ shape: c.inputs[0].shape.slice(1) });
        return { layer, m: tfl.model({ inputs: x, outputs: layer.apply(x) as tfl.SymbolicTensor | tfl.SymbolicTensor[] }) };
      };
      const first = (m: tfl.LayersModel) => { const y = m.predict(tf.tensor(c.inputs[0].values, c.inputs[0].shape)); return (Array.isArray(y) ? y[0] : y).dataSync().slice(); };
      const a = build();
      const w = builder.convertWeights!(spec, a.layer, ctx);
      a.layer.setWeights(w);
      const before = first(a.m);
      const halved = w.map((t) => tf.mul(t, 0.5));
      a.layer.setWeights(halved);
      const after = first(a.m);
      const b = build();
      b.layer.setWeights(halved);
      const fresh = first(b.m);
      assert.ok(before.some((v, i) => Math.abs(v - after[i]) > 1e-3), 'halving the weights changes the output');
      after.forEach((v, i) => assert.ok(Math.abs(v - fresh[i]) < 1e-6, `after setWeights ${v} vs a fresh layer ${fresh[i]}`));
    });
  }

  it('training still reaches the weights (gradients flow through the per-gate split)', () => {
    const x = tfl.input({ shape: [5, 3] });
    const c = cases.find((k) => k.name === 'K1_LSTM_12_tensors_hard_sigmoid')!;
    const layer = getBuilder('LSTM')!.create({ ...layerSpecFor(c), config: { ...c.config, return_sequences: false } }, ctxFor(c));
    const y = tfl.layers.dense({ units: 1 }).apply(layer.apply(x) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: x, outputs: y });
    const rng = createRandom(7);
    layer.setWeights(layer.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => rng.uniform() - 0.5), w.shape)));
    m.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
    const xs = tf.randomUniform([32, 5, 3], -1, 1, 'float32', 1);
    const ys = tf.reshape(tf.sum(xs, [1, 2]), [32, 1]);
    m.predict(xs); // warms the inference cache before training
    const k0 = layer.getWeights()[0].dataSync().slice();
    return m.fit(xs, ys, { epochs: 40, verbose: 0 }).then((h) => {
      const loss = h.history.loss as number[];
      assert.ok(loss[loss.length - 1] < 0.5 * loss[0], `loss ${loss[0]} → ${loss[loss.length - 1]}`);
      const k1 = layer.getWeights()[0].dataSync();
      assert.ok(k0.some((v, i) => Math.abs(v - k1[i]) > 1e-4), 'the kernel was trained');
    });
  });
});
