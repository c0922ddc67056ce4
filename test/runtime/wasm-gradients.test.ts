/**
 * Training convolutional models on the wasm backend: the gradient kernels tfjs-backend-wasm lacks run tfjs' cpu
 * kernels (src/runtime/wasm-gradients.ts). Gradients on wasm must equal those on cpu, and fit must lower the loss.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useBackend } from '../../src/runtime/backend.ts';
import { KerasConv2D } from '../../src/layers/conv.ts';
import { createRandom } from '../../src/initializers/random.ts';

function model(): tfl.LayersModel {
  const x = tfl.input({ shape: [8, 8, 3] });
  let h = new KerasConv2D({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
  h = tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid', activation: 'relu' }).apply(h) as tfl.SymbolicTensor;
  h = new KerasConv2D({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(h) as tfl.SymbolicTensor;
  const y = tfl.layers.dense({ units: 1 }).apply(tfl.layers.flatten().apply(h) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: y });
}

function data(): { xs: Float32Array; ys: Float32Array; weights: (m: tfl.LayersModel) => tf.Tensor[] } {
  const rng = createRandom(11);
  const xs = Float32Array.from({ length: 16 * 8 * 8 * 3 }, () => rng.uniform() * 2 - 1);
  const ys = Float32Array.from({ length: 16 }, (_, i) => (i % 2 ? 1 : -1));
  const w = (m: tfl.LayersModel) => m.getWeights().map((t) => tf.tensor(Float32Array.from({ length: t.size }, () => (rng.uniform() - 0.5) * 0.6), t.shape));
  return { xs, ys, weights: w };
}

async function gradients(backend: string, seedWeights: Float32Array[] | null): Promise<{ grads: Float32Array[]; weights: Float32Array[] }> {
  await useBackend(backend);
  const m = model();
  const d = data();
  if (seedWeights) m.setWeights(seedWeights.map((v, i) => tf.tensor(v, m.getWeights()[i].shape)));
  else m.setWeights(d.weights(m));
  const x = tf.tensor4d(d.xs, [16, 8, 8, 3]);
  const y = tf.tensor2d(d.ys, [16, 1]);
  const { grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
  const names = m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val.name);
  return { grads: names.map((n) => grads[n].dataSync() as Float32Array), weights: m.getWeights().map((t) => t.dataSync() as Float32Array) };
}

test('Conv2D and DepthwiseConv2D gradients on wasm equal those on cpu', async () => {
  const onCpu = await gradients('cpu', null);
  const onWasm = await gradients('wasm', onCpu.weights);
  assert.equal(onWasm.grads.length, onCpu.grads.length);
  onCpu.grads.forEach((g, i) => {
    const scale = Math.max(...g.map(Math.abs));
    assert.ok(scale > 0, `gradient ${i} is not all zero`);
    let worst = 0;
    g.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - onWasm.grads[i][j])); });
    assert.ok(worst <= 1e-4 * scale, `gradient ${i}: max |Δ| ${worst} (scale ${scale})`);
  });
});

test('a convolutional model trains on wasm (loss falls)', async () => {
  await useBackend('wasm');
  const m = model();
  const d = data();
  m.setWeights(d.weights(m));
  m.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  const h = await m.fit(tf.tensor4d(d.xs, [16, 8, 8, 3]), tf.tensor2d(d.ys, [16, 1]), { epochs: 25, batchSize: 8, verbose: 0, shuffle: false });
  const loss = h.history.loss as number[];
  assert.ok(loss[loss.length - 1] < 0.5 * loss[0], `loss ${loss[0]} → ${loss[loss.length - 1]}`);
});
