/**
 * The per-layer Keras 3.15 fixture models (test/fixtures/layers: .keras and legacy .h5 of ~90 models, incl.
 * Keras 3 ops graphs, nested and shared models): with weights removed, shape inference must give every model
 * output the shape of Keras' own predictions and a parameter total equal to the stored weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readModelFile } from '../../src/import.ts';
import type { ModelSpec } from '../../src/spec/types.ts';
import { summarizeModel } from '../../src/spec/summary.ts';
import { layerModelPath, listLayerCases } from '../helpers/layer-fixtures.ts';

function stripWeights(m: ModelSpec): ModelSpec {
  return {
    ...m, hasWeights: false,
    layers: m.layers.map((l) => ({ ...l, weights: [], innerModel: l.innerModel && stripWeights(l.innerModel), innerLayers: l.innerLayers?.map((x) => ({ ...x, weights: [] })) })),
  };
}
const stored = (m: ModelSpec): number =>
  m.layers.reduce((a, l) => a + l.weights.reduce((b, w) => b + w.values.length, 0) + (l.innerModel ? stored(l.innerModel) : 0), 0);

test('Keras 3 fixture models: inferred output shapes = predict() shapes, inferred params = stored weights', { timeout: 120_000 }, async (t) => {
  const failures: string[] = [];
  let files = 0, outputs = 0;
  for (const c of listLayerCases()) {
    for (const fmt of ['keras', 'h5'] as const) {
      const p = layerModelPath(c, fmt);
      if (!p) continue;
      const spec = await readModelFile(p);
      files++;
      const s = summarizeModel(stripWeights(spec));
      const id = `${c.name}.${fmt}`;
      if (s.unknownParamLayers.length > 0) failures.push(`${id}: params unknown for ${s.unknownParamLayers}`);
      else if (s.totalParams !== stored(spec)) failures.push(`${id}: inferred ${s.totalParams} params, stored ${stored(spec)}`);
      const want = c.outputs.map((o) => [null, ...o.shape.slice(1)]);
      if (s.outputs.length !== want.length) { failures.push(`${id}: ${s.outputs.length} outputs, Keras ${want.length}`); continue; }
      s.outputs.forEach((o, i) => {
        outputs++;
        if (JSON.stringify(o.shape) !== JSON.stringify(want[i])) failures.push(`${id}: output ${i} ${JSON.stringify(o.shape)}, Keras predicted ${JSON.stringify(want[i])}`);
      });
    }
  }
  t.diagnostic(`${files} model files, ${outputs} outputs compared`);
  assert.deepEqual(failures, []);
  assert.ok(files > 150 && outputs > 300);
});
