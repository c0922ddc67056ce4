/**
 * BatchNormalization inference: the wasm fast path (a 1×1 depthwise convolution with bias) and the
 * tfjs path must both give Keras' formula γ·(x−μ)/√(σ²+ε)+β, computed here in float64, for every rank
 * and with center/scale off.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
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
