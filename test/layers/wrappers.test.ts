import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../src/layers/index.ts';
import { InvalidConfigError, UnsupportedLayerError, WeightMismatchError } from '../../src/errors.ts';
import { getBuilder } from '../../src/layers/registry.ts';
import { useBackend } from '../../src/runtime/backend.ts';
import { assertClose, ctxFor, layerSpecFor, loadCases, runEager, runModel } from './recurrent_fixtures.ts';

const cases = loadCases('wrappers.json');

for (const backend of ['cpu', 'wasm']) {
  describe(`Bidirectional / TimeDistributed match Keras 3.15 outputs (eager, with masks) on ${backend}`, () => {
    before(async () => { await useBackend(backend); });
    for (const c of cases) {
      it(c.name, () => {
        tf.tidy(() => assertClose(runEager(c), c.outputs, c.name));
      });
    }
  });
}

describe('(cpu) wrappers inside a tfjs LayersModel', () => {
  before(async () => { await useBackend('cpu'); });
  for (const c of cases.filter((k) => !k.mask)) {
    it(c.name, () => {
      tf.tidy(() => assertClose(runModel(c), c.outputs, c.name));
    });
  }
});

describe('wrappers read the raw wrapped-layer config when the normalizer gave no innerLayers', () => {
  before(async () => { await useBackend('cpu'); });
  const c = cases.find((k) => k.name === 'Bi_backward_layer_GRU')!;
  it(c.name, () => {
    const raw = {
      ...c,
      inner: undefined,
      config: { ...c.config, layer: { class_name: c.inner![0].className, config: c.inner![0].config },
        backward_layer: { class_name: c.inner![1].className, config: c.inner![1].config } },
    };
    tf.tidy(() => assertClose(runEager(raw), c.outputs, c.name));
  });
});

describe('wrapper errors', () => {
  before(async () => { await useBackend('cpu'); });
  const bi = cases.find((k) => k.name === 'Bi_LSTM_concat_seq=False')!;
  it('odd weight count', () => {
    assert.throws(() => runEager({ ...bi, weights: bi.weights.slice(0, 5) }), WeightMismatchError);
  });
  it('unknown merge mode', () => {
    const spec = layerSpecFor({ ...bi, config: { ...bi.config, merge_mode: 'max' } });
    assert.throws(() => getBuilder('Bidirectional')!.create(spec, ctxFor(bi)), InvalidConfigError);
  });
  it('Bidirectional over a non-recurrent layer', () => {
    const spec = layerSpecFor({ ...bi, inner: [{ className: 'Dense', config: { name: 'd', units: 2 } }] });
    assert.throws(() => getBuilder('Bidirectional')!.create(spec, ctxFor(bi)), UnsupportedLayerError);
  });
  it('TimeDistributed over an unknown class', () => {
    const td = cases.find((k) => k.name === 'TD_Dense')!;
    const spec = layerSpecFor({ ...td, inner: [{ className: 'NoSuchLayer', config: { name: 'x' } }] });
    assert.throws(() => getBuilder('TimeDistributed')!.create(spec, ctxFor(td)), (e: unknown) => e instanceof UnsupportedLayerError && /NoSuchLayer/.test(String(e)));
  });
});
