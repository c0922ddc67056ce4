/** Backend selection: wasm and cpu give the same numbers; unknown names get a typed error listing the registered ones. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, DEFAULT_BACKEND } from '../../src/runtime/backend.ts';
import { UnsupportedFeatureError } from '../../src/errors.ts';

describe('backends', () => {
  test('wasm is the default and initializes in Node (wasm files found on disk)', async () => {
    assert.equal(DEFAULT_BACKEND, 'wasm');
    assert.equal(await useBackend(), 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });

  test('wasm and cpu agree on a conv + matmul', async () => {
    const run = async (b: string) => {
      await useBackend(b);
      return tf.tidy(() => {
        const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1);
        const k = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2);
        const y = tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same');
        return Array.from(tf.matMul(tf.reshape(y, [2, -1]), tf.randomNormal([324, 5], 0, 1, 'float32', 3)).dataSync());
      });
    };
    const a = await run('wasm'), b = await run('cpu');
    assert.ok(a.every((v, i) => Math.abs(v - b[i]) <= 1e-3 * Math.max(1, Math.abs(b[i]))));
  });

  test('an unknown backend is a typed error that lists the registered ones', async () => {
    await assert.rejects(useBackend('webgpu-not-here'), (e: unknown) => e instanceof UnsupportedFeatureError && /registered: .*wasm/.test((e as Error).message) && /cpu/.test((e as Error).message));
  });
});
