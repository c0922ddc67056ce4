/**
 * Every layer class found in the corpus builds and runs (smallest full-model file containing it,
 * wasm backend, predict on ones); the classes that cannot run without user code — Lambda, custom
 * (GarNet, custom model classes) and quantized (QKeras / hls4ml / Larq) — raise UnsupportedLayerError.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { corpusDir, corpusPath, inventory, SKIP_NO_CORPUS } from '../helpers/corpus.ts';
import { importModel } from '../../src/model/index.ts';
import { useBackend } from '../../src/runtime/backend.ts';
import { InvalidConfigError, UnsupportedLayerError } from '../../src/errors.ts';

const NEEDS_USER_CODE = /^(Lambda|GarNet|GarNetStack|Q[A-Z]\w*|BinaryDense|TernaryDense|FixedPointQuantizer)$/;
/** Custom Keras 3 model classes: their architecture lives in Python code, not in the config. */
const CUSTOM_MODELS = new Set(['TestModel', 'NestedDenseModel']);

function pick(): Map<string, string> {
  const best = new Map<string, { path: string; size: number }>();
  for (const r of inventory()) {
    if (r.kind !== 'full model (config+weights)' && r.kind !== 'Keras-v3-format .keras zip') continue;
    for (const cls of Object.keys(r.layers ?? {})) {
      const cur = best.get(cls);
      const size = (r.size as number | undefined) ?? Infinity;
      if (!cur || size < cur.size) best.set(cls, { path: r.path, size });
    }
  }
  return new Map([...best].map(([k, v]) => [k, v.path]));
}

describe('every corpus layer class', { skip: corpusDir ? false : SKIP_NO_CORPUS }, () => {
  before(async () => { await useBackend('wasm'); });
  const picks = corpusDir ? pick() : new Map<string, string>();
  for (const [cls, path] of [...picks].sort()) {
    test(`${cls} (${path.split('/').pop()})`, async () => {
      if (CUSTOM_MODELS.has(cls)) {
        await assert.rejects(importModel(corpusPath(path), { onWarning: () => {} }), (e: unknown) => e instanceof InvalidConfigError && /unknown model class/.test((e as Error).message));
        return;
      }
      if (NEEDS_USER_CODE.test(cls)) {
        await assert.rejects(importModel(corpusPath(path), { onWarning: () => {} }), (e: unknown) => e instanceof UnsupportedLayerError && /register(Custom|Lambda)Layer/.test((e as Error).message));
        return;
      }
      let m;
      try {
        m = await importModel(corpusPath(path), { onWarning: () => {}, compile: false });
      } catch (e) {
        // the smallest file may also hold a layer that needs user code; then that layer is named
        if (e instanceof UnsupportedLayerError && NEEDS_USER_CODE.test(String((e as { className?: string }).className))) return;
        throw e;
      }
      try {
        const fixed = m.inputs.every((t) => t.shape.slice(1).every((d) => d !== null) && t.shape.slice(1).reduce((p: number, d) => p * (d as number), 1) < 2e5);
        if (!fixed) return;
        const xs = m.inputs.map((t) => tf.ones([2, ...(t.shape.slice(1) as number[])], t.dtype === 'int32' ? 'int32' : 'float32'));
        const ys = [m.predict(xs.length === 1 ? xs[0] : xs)].flat() as tf.Tensor[];
        for (const y of ys) assert.ok((y.dataSync() as Float32Array).every(Number.isFinite), 'finite outputs');
        tf.dispose([xs, ys]);
      } finally {
        m.dispose();
      }
    });
  }
});
