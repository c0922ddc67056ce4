import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../src/layers/index.ts';
import { InvalidConfigError, UnsupportedLayerError, WeightMismatchError } from '../../src/errors.ts';
import { getBuilder } from '../../src/layers/registry.ts';
import { assertClose, ctxFor, layerSpecFor, loadCases, runEager, runModel } from './recurrent_fixtures.ts';

await tf.setBackend('cpu');
const cases = loadCases('wrappers.json');

describe('Bidirectional / TimeDistributed match Keras 3.15 outputs (eager, with masks)', () => {
  for (const c of cases) {
    it(c.name, () => {
      tf.tidy(() => assertClose(runEager(c), c.outputs, c.name));
    });
  }
});

describe('wrappers inside a tfjs LayersModel', () => {
  for (const c of cases.filter((k) => !k.mask)) {
    it(c.name, () => {
      tf.tidy(() => assertClose(runModel(c), c.outputs, c.name));
    });
  }
});

describe('wrappers read the raw wrapped-layer config when the normalizer gave no innerLayers', () => {
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
