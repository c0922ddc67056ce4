/**
 * BatchNormalization inference: the wasm fast path (a 1×1 depthwise convolution with bias) and the
 * tfjs path must both give Keras' formula γ·(x−μ)/√(σ²+ε)+β, computed here in float64, for every rank
 * and with center/scale off.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { input } from '@tensorflow/tfjs-layers';
import { KerasBatchNormalization } from '../../src/layers/normalization.ts';
import { useBackend } from '../../src/runtime/backend.ts';
import { createRandom, type RandomSource } from '../../src/initializers/random.ts';

function randoms(rng: RandomSource, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

for (const backend of ['wasm', 'cpu']) {
  describe(`BatchNormalization inference on ${backend}`, () => {
    const cases: [number[], boolean, boolean][] = [
      [[5, 7], true, true], [[3, 4, 6], true, true], [[2, 5, 5, 8], true, true], [[2, 3, 3, 3, 4], true, true],
      [[2, 5, 5, 8], false, true], [[2, 5, 5, 8], true, false],
    ];
    for (const [shape, center, scale] of cases) {
      test(`shape ${shape.join('×')} center=${center} scale=${scale}`, async () => {
        await useBackend(backend);
        const rng = createRandom(shape.length * 100 + (center ? 1 : 0) + (scale ? 2 : 0));
        const c = shape[shape.length - 1];
        const eps = 1e-3;
        const layer = new KerasBatchNormalization({ name: 'bn', axis: -1, epsilon: eps, center, scale } as never) as unknown as tf.serialization.Serializable & {
          apply(x: tf.Tensor, kw?: object): tf.Tensor; build(s: number[]): void; setWeights(w: tf.Tensor[]): void;
        };
        layer.build(shape.length === 1 ? [null as never, c] : [null as never, ...shape.slice(1)]);
        const gamma = randoms(rng, c, 0.5, 2), beta = randoms(rng, c, -1, 1), mean = randoms(rng, c, -1, 1), variance = randoms(rng, c, 0.1, 3);
        const w: tf.Tensor[] = [];
        if (scale) w.push(tf.tensor1d(gamma));
        if (center) w.push(tf.tensor1d(beta));
        w.push(tf.tensor1d(mean), tf.tensor1d(variance));
        layer.setWeights(w);
        const n = shape.reduce((a, b) => a * b, 1);
        const xs = randoms(rng, n, -3, 3);
        const y = layer.apply(tf.tensor(xs, shape)) as tf.Tensor;
        assert.deepEqual(y.shape, shape);
        const got = y.dataSync();
        let worst = 0;
        for (let i = 0; i < n; i++) {
          const k = i % c;
          const want = (scale ? gamma[k] : 1) * (xs[i] - mean[k]) / Math.sqrt(variance[k] + eps) + (center ? beta[k] : 0);
          worst = Math.max(worst, Math.abs(got[i] - want));
        }
        assert.ok(worst < 2e-6, `max |Δ| ${worst}`);
      });
    }
  });
}

describe('BatchNormalization inference after its weights change', () => {
  test('new statistics are used (the cached scale and shift are rebuilt)', async () => {
    await useBackend('wasm');
    const layer = new KerasBatchNormalization({ name: 'bn2', axis: -1, epsilon: 1e-3, center: true, scale: true } as never) as unknown as {
      apply(x: unknown): tf.Tensor; setWeights(w: tf.Tensor[]): void; dispose(): unknown;
    };
    layer.apply(input({ shape: [4] })); // symbolic use: builds it, and Layer.dispose() needs one
    const x = tf.tensor2d([[1, 2, 3, 4]]);
    const set = (g: number, b: number, m: number, v: number) => layer.setWeights([tf.fill([4], g), tf.fill([4], b), tf.fill([4], m), tf.fill([4], v)]);
    set(1, 0, 0, 1 - 1e-3);
    const first = Array.from(layer.apply(x).dataSync());
    set(2, 1, 1, 4 - 1e-3);
    const second = Array.from(layer.apply(x).dataSync());
    first.forEach((y, i) => assert.ok(Math.abs(y - (i + 1)) < 1e-5, `first ${first}`));
    second.forEach((y, i) => assert.ok(Math.abs(y - (2 * (i + 1 - 1) / 2 + 1)) < 1e-5, `second ${second}`));
    const before = tf.memory().numTensors;
    layer.dispose();
    assert.ok(tf.memory().numTensors < before, 'dispose frees the cached tensors too');
  });
});

test('BatchNormalization inference under a gradient tape: gradients reach gamma and beta', async () => {
  await useBackend('wasm');
  const layer = new KerasBatchNormalization({ name: 'bn3', axis: -1, epsilon: 1e-3, center: true, scale: true, gammaInitializer: 'ones' } as never) as unknown as { apply(x: unknown): tf.Tensor };
  const x = tf.tensor2d([[1, 2], [3, 5]]);
  layer.apply(x);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x), tf.tensor2d([[1, 2], [3, 4]]))) as tf.Scalar);
  const names = Object.keys(grads);
  const gamma = names.find((k) => /bn3.*gamma/.test(k));
  const beta = names.find((k) => /bn3.*beta/.test(k));
  assert.ok(gamma && beta, `gradients for ${names.join(', ')}`);
  // d/dβ of Σ w·y = Σ_rows w: [4, 6]
  assert.deepEqual(Array.from(grads[beta].dataSync()), [4, 6]);
  assert.ok(tf.max(tf.abs(grads[gamma])).dataSync()[0] > 0);
});
