/**
 * The public API end to end, on the example that ships in the repo: read a Keras 3 `.keras` file,
 * build the tfjs model and reproduce the prediction Keras itself made (examples/make_examples.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { importKerasModelAndWeights, importModel, parseNpy, summarizeModel, UnsupportedLayerError } from '../src/index.ts';

const example = (n: string) => new URL(`../examples/${n}`, import.meta.url).pathname;

test('the shipped example CNN predicts what Keras predicted (cpu and wasm)', async () => {
  const x = parseNpy(readFileSync(example('small_cnn_input.npy')));
  const expected = parseNpy(readFileSync(example('small_cnn_keras_prediction.npy')));
  for (const backend of ['cpu', 'wasm']) {
    const model = await importModel(example('small_cnn.keras'), { backend });
    assert.equal(tf.getBackend(), backend);
    const y = model.predict(tf.tensor(x.data, x.shape)) as tf.Tensor;
    const got = await y.data();
    assert.deepEqual(y.shape, expected.shape);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected.data[i]));
    assert.ok(maxDiff < 1e-5, `${backend}: max |diff| ${maxDiff}`);
    y.dispose(); model.dispose();
  }
});

test('the same bytes give the same description whatever the file is called', async () => {
  const bytes = new Uint8Array(readFileSync(example('mnist_mlp.h5')));
  const spec = await importKerasModelAndWeights(bytes, { label: 'renamed.keras' });
  const s = summarizeModel(spec);
  assert.equal(s.format, 'legacy-h5');
  assert.equal(s.totalParams, 784 * 64 + 64 + 64 * 10 + 10);
  assert.ok(UnsupportedLayerError.prototype instanceof Error);
});
