/**
 * Architecture-only import: weights come from the initializer module (seeded), the model is compiled
 * from the file's training config (Adam lr 0.01, categorical crossentropy, accuracy) and trains with
 * tfjs fit — its loss falls on a separable toy problem.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '../../src/model/index.ts';
import { readModelFile } from '../../src/import.ts';
import { compileFromTrainingConfig, makeLoss, makeOptimizer } from '../../src/model/compile.ts';
import { useBackend } from '../../src/runtime/backend.ts';
import type { ModelSpec } from '../../src/spec/types.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'runtime');

async function archOnly(file: string): Promise<ModelSpec> {
  const spec = await readModelFile(join(dir, file));
  for (const l of spec.layers) l.weights = [];
  spec.hasWeights = false;
  return spec;
}

describe('architecture-only import trains', () => {
  before(async () => { await useBackend('cpu'); });

  for (const file of ['trainable.h5', 'trainable.keras']) {
    test(`weights from the initializers, compiled from the training config, loss falls (${file})`, async () => {
      const spec = await archOnly(file);
      assert.ok(spec.trainingConfig, 'the file has a training config');
      const m = await createModel(spec, { seed: 42, onWarning: () => {} });
      assert.equal(m.kerasImport.weightsFromFile, false);
      assert.equal(m.kerasImport.compile.compiled, true, m.kerasImport.compile.notes.join('; '));
      // glorot_uniform kernel: |w| ≤ sqrt(6/(4+16)); zeros bias
      const [k, b] = m.getLayer('h').getWeights();
      const kv = k.dataSync();
      assert.ok(kv.some((v) => v !== 0) && kv.every((v) => Math.abs(v) <= Math.sqrt(6 / 20) + 1e-6));
      assert.ok(b.dataSync().every((v) => v === 0));
      // three Gaussian blobs, one per class
      const n = 96;
      const xs: number[] = [], ys: number[] = [];
      for (let i = 0; i < n; i++) {
        const c = i % 3;
        for (let j = 0; j < 4; j++) xs.push((j === c ? 3 : 0) + Math.sin(i * 7 + j) * 0.5);
        ys.push(...[0, 1, 2].map((q) => (q === c ? 1 : 0)));
      }
      const h = await m.fit(tf.tensor2d(xs, [n, 4]), tf.tensor2d(ys, [n, 3]), { epochs: 30, batchSize: 16, shuffle: false, verbose: 0 });
      const loss = h.history.loss as number[];
      assert.ok(loss[loss.length - 1] < loss[0] * 0.5, `loss ${loss[0]} → ${loss[loss.length - 1]}`);
      assert.ok((h.history.acc ?? h.history.accuracy) !== undefined, 'accuracy metric tracked');
      m.dispose();
    });
  }

  test('same seed, same weights; another seed, other weights', async () => {
    const w = async (seed: number) => {
      const m = await createModel(await archOnly('trainable.h5'), { seed, compile: false });
      const v = Array.from(m.getLayer('h').getWeights()[0].dataSync());
      m.dispose();
      return v;
    };
    const a = await w(1), b = await w(1), c = await w(2);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  test('optimizer settings are carried over', () => {
    const notes: string[] = [];
    const adam = makeOptimizer({ class_name: 'Adam', config: { learning_rate: 0.003, beta_1: 0.8, beta_2: 0.95, epsilon: 1e-6 } }, notes, 'x') as unknown as Record<string, number>;
    assert.equal(adam.learningRate, 0.003);
    assert.equal(adam.beta1, 0.8);
    assert.equal(adam.beta2, 0.95);
    assert.equal(adam.epsilon, 1e-6);
    const sgd = makeOptimizer({ class_name: 'SGD', config: { lr: 0.1, momentum: 0.9, nesterov: true } }, notes, 'x') as unknown as Record<string, unknown>;
    assert.equal(sgd.learningRate, 0.1);
    assert.equal(sgd.momentum, 0.9);
    assert.equal(sgd.useNesterov, true);
    assert.equal(makeLoss('mse', notes, 'x'), 'meanSquaredError');
    assert.equal(makeLoss({ class_name: 'SparseCategoricalCrossentropy', config: { from_logits: false } }, notes, 'x'), 'sparseCategoricalCrossentropy');
    assert.equal(typeof makeLoss({ class_name: 'CategoricalCrossentropy', config: { from_logits: true } }, notes, 'x'), 'function');
  });

  test('an optimizer tfjs lacks leaves the model uncompiled, with a note (inference unaffected)', async () => {
    const spec = await archOnly('trainable.h5');
    spec.trainingConfig = { ...spec.trainingConfig, optimizer_config: { class_name: 'Nadam', config: { learning_rate: 0.01 } } };
    const notes: string[] = [];
    const m = await createModel(spec, { seed: 1, onWarning: (n) => notes.push(n) });
    assert.equal(m.kerasImport.compile.compiled, false);
    assert.match(notes.join('\n'), /Nadam/);
    assert.deepEqual((m.predict(tf.zeros([1, 4])) as tf.Tensor).shape, [1, 3]);
    assert.equal(compileFromTrainingConfig(m, { ...spec, trainingConfig: null }).compiled, false);
    m.dispose();
  });
});
