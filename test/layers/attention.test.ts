import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../src/layers/index.ts';
import { InvalidConfigError, WeightMismatchError } from '../../src/errors.ts';
import { getBuilder } from '../../src/layers/registry.ts';
import { useBackend } from '../../src/runtime/backend.ts';
import { assertClose, ctxFor, layerSpecFor, loadCases, runEager, runModel } from './recurrent_fixtures.ts';

const cases = loadCases('attention.json');

for (const backend of ['cpu', 'wasm']) {
  describe(`Attention / AdditiveAttention / MultiHeadAttention match Keras 3.15 outputs (eager, with masks) on ${backend}`, () => {
    before(async () => { await useBackend(backend); });
    for (const c of cases) {
      it(c.name, () => {
        tf.tidy(() => assertClose(runEager(c), c.outputs, c.name));
      });
    }
  });
}

describe('(cpu) attention layers inside a tfjs LayersModel', () => {
  before(async () => { await useBackend('cpu'); });
  for (const c of cases.filter((k) => !k.mask && !k.roles)) {
    it(c.name, () => {
      tf.tidy(() => assertClose(runModel(c), c.outputs, c.name));
    });
  }
});

describe('attention errors', () => {
  before(async () => { await useBackend('cpu'); });
  const mha = cases.find((k) => k.name === 'MHA_cross')!;
  it('weight of the wrong shape', () => {
    const w = mha.weights.map((x, i) => (i === 0 ? { shape: [1, 2, 3], values: [1, 2, 3, 4, 5, 6] } : x));
    assert.throws(() => runEager({ ...mha, weights: w }), WeightMismatchError);
  });
  it('missing weights', () => {
    assert.throws(() => runEager({ ...mha, weights: mha.weights.slice(0, 6) }), WeightMismatchError);
  });
  it('bad num_heads', () => {
    const spec = layerSpecFor({ ...mha, config: { ...mha.config, num_heads: 0 } });
    assert.throws(() => getBuilder('MultiHeadAttention')!.create(spec, ctxFor(mha)), InvalidConfigError);
  });
  it('unknown score_mode', () => {
    const att = cases.find((k) => k.name === 'Attention')!;
    const spec = layerSpecFor({ ...att, config: { ...att.config, score_mode: 'cosine' } });
    assert.throws(() => getBuilder('Attention')!.create(spec, ctxFor(att)), InvalidConfigError);
  });
});
