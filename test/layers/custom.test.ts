/**
 * Layers we cannot run raise a typed UnsupportedLayerError naming the layer, its class and how to
 * supply an implementation; registerLambdaLayer / registerCustomLayer supply it, and the result then
 * matches Keras (test/fixtures/runtime, Keras 3.15). Corpus Lambda / TF-op / quantized files too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { layers as tfl, initializers } from '@tensorflow/tfjs-layers';
import { importModel } from '../../src/model/index.ts';
import { useBackend } from '../../src/runtime/backend.ts';
import { parseNpy } from '../../src/io/npy.ts';
import { UnsupportedLayerError } from '../../src/errors.ts';
import { registerCustomLayer, registerLambdaLayer, unregisterCustomLayer, unregisterLambdaLayer } from '../../src/layers/index.ts';
import { corpusDir, corpusPath } from '../helpers/corpus.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'runtime');
const npy = (f: string) => parseNpy(new Uint8Array(readFileSync(join(dir, f))), f);

async function predictMatches(file: string, name: string): Promise<void> {
  const m = await importModel(join(dir, file), { onWarning: () => {} });
  const x = npy(`${name}_input_0.npy`);
  const want = npy(`${name}_output_0.npy`);
  const y = m.predict(tf.tensor(x.data, x.shape)) as tf.Tensor;
  assert.deepEqual(y.shape, want.shape);
  const d = tf.max(tf.abs(tf.sub(y, tf.tensor(want.data, want.shape)))).dataSync()[0];
  assert.ok(d < 1e-5, `max difference ${d}`);
  m.dispose();
}

/** A user's implementation of the fixture's `demo>Scale` layer: x · s with one weight per feature. */
class Scale extends tfl.Layer {
  static className = 'UserScale';
  private s: { read(): tf.Tensor } | null = null;
  override build(shape: (number | null)[] | (number | null)[][]): void {
    const last = (shape as (number | null)[])[(shape as unknown[]).length - 1] as number;
    this.s = this.addWeight('s', [last], 'float32', initializers.ones()) as unknown as { read(): tf.Tensor };
    this.built = true;
  }
  override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(Array.isArray(x) ? x[0] : x, this.s!.read());
  }
}

describe('unsupported layers and user implementations', () => {
  before(async () => { await useBackend('cpu'); });
  after(() => { unregisterLambdaLayer('affine'); unregisterCustomLayer('demo>Scale'); });

  test('Lambda: typed error naming layer, class and registerLambdaLayer; never executed', async () => {
    await assert.rejects(importModel(join(dir, 'with_lambda.keras')), (e: unknown) => {
      assert.ok(e instanceof UnsupportedLayerError);
      assert.equal((e as UnsupportedLayerError).layer, 'affine');
      assert.match((e as Error).message, /layer 'affine' \(class Lambda\)/);
      assert.match((e as Error).message, /registerLambdaLayer\('affine'/);
      return true;
    });
  });

  test('registerLambdaLayer supplies the function; outputs match Keras', async () => {
    registerLambdaLayer('affine', (x) => tf.add(tf.mul(x as tf.Tensor, 2), 1));
    await predictMatches('with_lambda.keras', 'with_lambda');
  });

  test('custom class: typed error naming the registered name and registerCustomLayer', async () => {
    await assert.rejects(importModel(join(dir, 'with_custom.keras')), (e: unknown) =>
      e instanceof UnsupportedLayerError && /layer 'scale' \(class demo>Scale\)/.test((e as Error).message) && /registerCustomLayer\('demo>Scale'/.test((e as Error).message));
  });

  test('registerCustomLayer supplies the class; its stored weight is loaded; outputs match Keras', async () => {
    registerCustomLayer('demo>Scale', (_config, layer) => new Scale({ name: layer.name }));
    await predictMatches('with_custom.keras', 'with_custom');
  });

  const corpus = (rel: string) => (corpusDir && existsSync(corpusPath(rel)) ? corpusPath(rel) : null);
  const cases: [string, RegExp, RegExp][] = [
    ['KonduitAI__dl4j-test-resources/src/main/resources/modelimport/keras/examples/lambda/model_lambda.h5', /class Lambda/, /registerLambdaLayer/],
    ['fastmachinelearning__example-models/keras/qkeras_3layer.json', /class Q\w+/, /registerCustomLayer\('Q\w+'/],
  ];
  for (const [rel, what, how] of cases) {
    test(`corpus ${rel.split('/').pop()}: ${what.source}`, { skip: corpus(rel) ? false : 'corpus file not available' }, async () => {
      await assert.rejects(importModel(corpus(rel)!), (e: unknown) => e instanceof UnsupportedLayerError && what.test((e as Error).message) && how.test((e as Error).message));
    });
  }

  test('TF op layers from the corpus run (TensorFlowOpLayer Reshape/Transpose, then Dense)', { skip: corpusDir ? false : 'no corpus' }, async () => {
    const ops: Record<string, (x: tf.Tensor) => tf.Tensor> = {
      'tfop_0.h5': (x) => tf.reshape(x, [-1, 6]), 'reshape.h5': (x) => tf.reshape(x, [-1, 6]),
      'tfop_1.h5': (x) => tf.transpose(x, [0, 2, 1]), 'permute.h5': (x) => tf.transpose(x, [0, 2, 1]),
    };
    for (const [f, op] of Object.entries(ops)) {
      const m = await importModel(corpusPath(`KonduitAI__dl4j-test-resources/src/main/resources/modelimport/keras/tfkeras/${f}`));
      const x = tf.randomNormal([2, ...(m.inputs[0].shape.slice(1) as number[])], 0, 1, 'float32', 7);
      const [k, b] = m.layers[m.layers.length - 1].getWeights();
      // the op's own TF semantics (node_def + constants), then the Dense with its stored weights
      const want = tf.reshape(tf.add(tf.matMul(tf.reshape(op(x), [-1, k.shape[0]]), k), b), (m.outputs[0].shape as number[]).map((d, i) => (i === 0 ? -1 : d)));
      const y = m.predict(x) as tf.Tensor;
      assert.ok(tf.max(tf.abs(tf.sub(y, want))).dataSync()[0] < 1e-5, f);
      m.dispose();
    }
  });
});
