/**
 * Graph assembly against real Keras 3.15 outputs (test/fixtures/runtime, generate.py): several
 * inputs/outputs in Keras order, a layer called three times, nested Sequential/Functional models
 * (one of them called twice), and an architecture whose input shape the user supplies.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { importModel } from '../../src/model/index.ts';
import { useBackend } from '../../src/runtime/backend.ts';
import { parseNpy } from '../../src/io/npy.ts';
import { InvalidConfigError } from '../../src/errors.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'runtime');
const npy = (f: string) => parseNpy(new Uint8Array(readFileSync(join(dir, f))), f);
const tensor = (f: string) => { const a = npy(f); return tf.tensor(a.data, a.shape); };

function maxDiff(a: tf.Tensor, f: string): number {
  const want = npy(f);
  assert.deepEqual(a.shape, want.shape, `shape of ${f}`);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, tf.tensor(want.data, want.shape)))).dataSync()[0]);
}

async function check(file: string, name: string, nIn: number, nOut: number, opts: Parameters<typeof importModel>[1] = {}) {
  const m = await importModel(join(dir, file), { onWarning: () => {}, ...opts });
  const xs = Array.from({ length: nIn }, (_, i) => tensor(`${name}_input_${i}.npy`));
  const ys = [m.predict(xs.length === 1 ? xs[0] : xs)].flat() as tf.Tensor[];
  assert.equal(ys.length, nOut);
  ys.forEach((y, i) => assert.ok(maxDiff(y, `${name}_output_${i}.npy`) < 1e-5, `${file} output ${i}`));
  tf.dispose([xs, ys]);
  return m;
}

describe('graph assembly matches Keras', () => {
  before(async () => { await useBackend('cpu'); });

  for (const ext of ['keras', 'h5']) {
    test(`several inputs and outputs keep Keras' order (.${ext})`, async () => {
      const m = await check(`multi_io.${ext}`, 'multi_io', 2, 2);
      assert.deepEqual(m.inputLayers.map((l) => l.name), ['zeta', 'alpha']);
      assert.deepEqual(m.outputNames, ['reg', 'probs']);
      m.dispose();
    });

    test(`a layer called three times shares its weights (.${ext})`, async () => {
      const m = await check(`shared.${ext}`, 'shared', 2, 1);
      const shared = m.getLayer('shared');
      assert.equal(shared.inboundNodes.length, 3);
      m.dispose();
    });

    test(`nested Sequential and Functional models, one called twice (.${ext})`, async () => {
      const m = await check(`nested.${ext}`, 'nested', 2, 1);
      assert.ok(m.getLayer('inner_seq') && m.getLayer('inner_fn'));
      m.dispose();
    });
  }

  test('input shape from the user when the architecture records none', async () => {
    const m = await check('noshape_arch.json', 'noshape', 1, 1, { weights: join(dir, 'noshape.weights.h5'), inputShapes: [[8, 8, 2]] });
    m.dispose();
  });

  test('no recorded input shape and none given: typed error that says how to give one', async () => {
    await assert.rejects(importModel(join(dir, 'noshape_arch.json'), { weights: join(dir, 'noshape.weights.h5') }),
      (e: unknown) => e instanceof InvalidConfigError && /input shape/.test((e as Error).message) && /inputShapes|--input-shape/.test((e as Error).message));
  });
});
