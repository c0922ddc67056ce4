/**
 * Weight conversions for older files, checked against direct arithmetic on the same numbers:
 * Keras 1 'th' Conv2D kernels (out, in, rows, cols), Theano-trained kernels (true convolution:
 * flipped) via the recorded backend or the `theano` option, Keras 1 Conv1D 4-D kernels,
 * BatchNormalization `running_std` (a standard deviation in Keras 1.0, a variance from 1.1), and
 * a WeightMismatchError that names the layer.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '../../src/model/index.ts';
import { normalizeModelConfig } from '../../src/spec/normalize.ts';
import { parseKerasVersion } from '../../src/spec/version.ts';
import { useBackend } from '../../src/runtime/backend.ts';
import { WeightMismatchError } from '../../src/errors.ts';
import type { ModelSpec } from '../../src/spec/types.ts';

function spec(layers: unknown[], version: string, backend: string | null): ModelSpec {
  return normalizeModelConfig({ class_name: 'Sequential', config: layers }, { source: 'test.h5', format: 'legacy-h5', kerasVersion: parseKerasVersion(version), backend });
}
const w = (name: string, shape: number[], values: number[]) => ({ name, shape, dtype: 'float32', values: Float32Array.from(values) });
const seq = (n: number, f = 0.1) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + 0.3) * f * 10);

// x: (1 channel in, 4×4), W: (2 out, 1 in, 2, 2) in Keras 1 'th' layout
const X = seq(16);
const W = seq(8);
const B = [0.5, -0.25];
/** y[o][i][j] = b[o] + Σ W[o][0][a][b]·x[i+a][j+b], flipped kernel when `flip` (Theano's convolution). */
function conv(flip: boolean): number[] {
  const out: number[] = [];
  for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let s = B[o];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) {
      const wa = flip ? 1 - a : a, wb = flip ? 1 - b : b;
      s += W[o * 4 + wa * 2 + wb] * X[(i + a) * 4 + (j + b)];
    }
    out.push(s);
  }
  return out; // channels-first order (o, i, j)
}

async function run(s: ModelSpec, x: tf.Tensor, opts: { theano?: boolean } = {}): Promise<number[]> {
  const m = await createModel(s, { ...opts, compile: false });
  const y = Array.from((m.predict(x) as tf.Tensor).dataSync());
  m.dispose();
  return y;
}
const close = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-5);

describe('weight conversions for older files', () => {
  before(async () => { await useBackend('cpu'); });

  const k1conv = () => {
    const s = spec([{ class_name: 'Convolution2D', config: { name: 'c', nb_filter: 2, nb_row: 2, nb_col: 2, dim_ordering: 'th', border_mode: 'valid', activation: 'linear', bias: true, batch_input_shape: [null, 1, 4, 4] } }], '1.2.2', null);
    s.layers.find((l) => l.name === 'c')!.weights = [w('c_W', [2, 1, 2, 2], W), w('c_b', [2], B)];
    s.hasWeights = true;
    return s;
  };

  test("Keras 1 'th' Conv2D kernel (out, in, rows, cols), TensorFlow-trained: correlation", async () => {
    assert.ok(close(await run(k1conv(), tf.tensor4d(X, [1, 1, 4, 4])), conv(false)));
  });

  test('Keras 1 file trained with Theano (the `theano` option): kernels flipped', async () => {
    assert.ok(close(await run(k1conv(), tf.tensor4d(X, [1, 1, 4, 4]), { theano: true }), conv(true)));
  });

  test("Keras 2 file whose backend attribute is 'theano': kernels flipped", async () => {
    const s = spec([{ class_name: 'Conv2D', config: { name: 'c', filters: 2, kernel_size: [2, 2], data_format: 'channels_first', padding: 'valid', activation: 'linear', use_bias: true, batch_input_shape: [null, 1, 4, 4] } }], '2.0.8', 'theano');
    // Keras 2 layout (rows, cols, in, out)
    const k = tf.transpose(tf.tensor4d(W, [2, 1, 2, 2]), [2, 3, 1, 0]);
    s.layers.find((l) => l.name === 'c')!.weights = [w('c/kernel:0', [2, 2, 1, 2], Array.from(k.dataSync())), w('c/bias:0', [2], B)];
    s.hasWeights = true;
    assert.ok(close(await run(s, tf.tensor4d(X, [1, 1, 4, 4])), conv(true)));
  });

  test('Keras 1 Conv1D kernel stored 4-D (length, 1, in, out)', async () => {
    const s = spec([{ class_name: 'Convolution1D', config: { name: 'c', nb_filter: 2, filter_length: 3, border_mode: 'valid', activation: 'linear', bias: true, input_dim: 1, input_length: 5 } }], '1.2.2', null);
    const k = [0.5, -1, 2, 1, 0.25, -0.5]; // (3, 1, 1, 2): k[t][0][0][o]
    s.layers.find((l) => l.name === 'c')!.weights = [w('c_W', [3, 1, 1, 2], k), w('c_b', [2], [0.1, -0.1])];
    s.hasWeights = true;
    const x = [1, 2, 3, 4, 5];
    const want: number[] = [];
    for (let i = 0; i < 3; i++) for (let o = 0; o < 2; o++) want.push([0.1, -0.1][o] + k[o] * x[i] + k[2 + o] * x[i + 1] + k[4 + o] * x[i + 2]);
    assert.ok(close(await run(s, tf.tensor3d(x, [1, 5, 1])), want));
  });

  for (const [version, std] of [['1.0.4', true], ['1.2.2', false]] as const) {
    test(`BatchNormalization running_std in Keras ${version} is ${std ? 'a standard deviation' : 'a variance'}`, async () => {
      const s = spec([{ class_name: 'BatchNormalization', config: { name: 'bn', epsilon: 0.01, mode: 0, axis: -1, batch_input_shape: [null, 3] } }], version, null);
      const [g, b, m, r] = [[1, 2, 0.5], [0.1, 0, -0.2], [0.3, -1, 2], [0.25, 4, 1.5]];
      s.layers.find((l) => l.name === 'bn')!.weights = [w('bn_gamma', [3], g), w('bn_beta', [3], b), w('bn_running_mean', [3], m), w('bn_running_std', [3], r)];
      s.hasWeights = true;
      const x = [1, -2, 3];
      const want = x.map((v, i) => (std ? (v - m[i]) / (r[i] + 0.01) : (v - m[i]) / Math.sqrt(r[i] + 0.01)) * g[i] + b[i]);
      assert.ok(close(await run(s, tf.tensor2d(x, [1, 3])), want));
    });
  }

  test('a weight that does not fit: WeightMismatchError naming the layer and both shapes', async () => {
    const s = spec([{ class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 3] } }], '2.2.4', 'tensorflow');
    s.layers.find((l) => l.name === 'd')!.weights = [w('d/kernel:0', [4, 2], seq(8)), w('d/bias:0', [2], [0, 0])];
    s.hasWeights = true;
    await assert.rejects(createModel(s), (e: unknown) => e instanceof WeightMismatchError && (e as WeightMismatchError).layer === 'd' && /\[4,2\].*\[3,2\]/.test((e as Error).message));
  });
});
