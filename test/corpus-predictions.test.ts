/**
 * The issue-4 judge: every corpus case with Keras-computed outputs (119, INVENTORY.md "How expected
 * outputs are stored") is imported and run on the wasm and cpu backends; predictions must match
 * Keras within 1e-4 (absolute, or relative where |value| > 1).
 *
 * Three cases carry expected outputs that do not belong to the file they sit beside (hls4ml test
 * benches edited by hand); for those the test pins down the actual relationship instead.
 * Cases whose layers belong to the recurrent family are skipped while that family is not registered.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { corpusDir, SKIP_NO_CORPUS } from './helpers/corpus.ts';
import { listPredictionCases, maxScaledDiff, type PredictionCase } from './runtime/corpus-cases.ts';
import { importModel } from '../src/model/index.ts';
import { registerCustomLayer, unregisterCustomLayer } from '../src/layers/index.ts';
import { useBackend } from '../src/runtime/backend.ts';
import { UnsupportedFeatureError, UnsupportedLayerError } from '../src/errors.ts';
import { garnetFactory, garnetWeights } from './runtime/garnet.ts';

const TOL = 1e-4;
/** Layer classes implemented by the recurrent family (src/layers/recurrent.ts, attention.ts, wrappers.ts). */
const RECURRENT = new Set(['LSTM', 'GRU', 'SimpleRNN', 'Bidirectional', 'TimeDistributed', 'ConvLSTM2D', 'Attention', 'MultiHeadAttention']);

/** tb_output_predictions.dat of these hold the Conv2D output before the file's tanh activation. */
const PRE_ACTIVATION = new Set(['fastmachinelearning__hls4ml/example-prjs/ternary_tanh/ternary_tanh', 'fastmachinelearning__hls4ml/example-prjs/ternary_tanh_no_stream/ternary_tanh']);
/** This file's activation is the custom function `binary_tanh`; its test bench holds the sibling tanh model's outputs. */
const CUSTOM_ACTIVATION = 'fastmachinelearning__hls4ml/example-prjs/binary_tanh/tanh';

const cases: PredictionCase[] = corpusDir ? await listPredictionCases() : [];

async function run(c: PredictionCase): Promise<{ out: Float32Array[]; exp: Float32Array[] }> {
  const m = await importModel(c.model, { weights: c.weights, onWarning: () => {} });
  try {
    const ins = await c.inputs(m.inputs.map((t) => t.shape.slice(1)));
    const exp = await c.expected(m.outputs.map((t) => t.shape.slice(1)));
    const xs = ins.map((a, i) => tf.tensor(a.data, a.shape, m.inputs[i].dtype === 'int32' ? 'int32' : 'float32'));
    const ys = [m.predict(xs.length === 1 ? xs[0] : xs)].flat() as tf.Tensor[];
    const out = ys.map((y) => y.dataSync() as Float32Array);
    tf.dispose([xs, ys]);
    return { out, exp: exp.map((e) => e.data) };
  } finally {
    m.dispose();
  }
}

describe('corpus predictions match Keras', { skip: corpusDir ? false : SKIP_NO_CORPUS }, () => {
  before(() => registerCustomLayer('GarNet', garnetFactory, { convertWeights: garnetWeights }));
  after(() => unregisterCustomLayer('GarNet'));

  test('the corpus has the 119 cases the inventory lists', () => {
    assert.equal(cases.length, 119);
  });

  for (const backend of ['wasm', 'cpu']) {
    describe(backend, () => {
      before(async () => { await useBackend(backend); });
      for (const c of cases) {
        test(c.id, async (t) => {
          if (c.id === CUSTOM_ACTIVATION) {
            await assert.rejects(importModel(c.model, { onWarning: () => {} }), (e: unknown) => e instanceof UnsupportedFeatureError && /binary_tanh/.test((e as Error).message) && /registerActivation/.test((e as Error).message));
            return;
          }
          let r;
          try {
            r = await run(c);
          } catch (e) {
            const cls = (e as { className?: string }).className;
            if (e instanceof UnsupportedLayerError && cls && RECURRENT.has(cls)) { t.skip(`${cls} is built by the recurrent layer family, not registered in this build`); return; }
            throw e;
          }
          assert.equal(r.out.length, r.exp.length, 'output count');
          r.out.forEach((o, i) => {
            const want = PRE_ACTIVATION.has(c.id) ? r.exp[i].map(Math.tanh) : r.exp[i];
            const d = maxScaledDiff(o, want);
            assert.ok(d <= TOL, `output ${i}: max scaled difference ${d} > ${TOL}`);
          });
        });
      }
    });
  }
});
