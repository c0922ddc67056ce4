/**
 * Replays test/fixtures/shapes/keras3_layers.json — output shapes, weight shapes (in saved order, with the
 * trainable flag) and count_params computed by real Keras 3 (generate.py) — through our shape rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { LayerSpec, Shape } from '../../src/spec/types.ts';
import { inferLayerOutputShapes, inferWeightShapes, type ShapeContext } from '../../src/spec/shapes/index.ts';

interface Case {
  case: string; className: string; config: Record<string, unknown>; inputShapes: Shape[]; outputShapes: Shape[];
  weights: { name: string; shape: number[]; trainable: boolean }[]; params: number;
  /** Shapes predict() returned (batch as null); null where Keras itself failed to run the layer. */
  predictShapes: Shape[] | null;
}

/**
 * Our shapes equal Keras' symbolic ones, except where the symbolic shape is not what Keras computes: an unknown
 * (None) dim the computed tensor does have (EinsumDense), or a symbolic size predict() contradicts (Dense with
 * activation='glu' halves its last axis). There ours must be the size predict() returned.
 */
function assertShapes(got: Shape[] | undefined, c: Case): void {
  assert.ok(got, 'output shapes inferred');
  assert.equal(got.length, c.outputShapes.length, 'number of outputs');
  got.forEach((s, i) => {
    const sym = c.outputShapes[i];
    assert.equal(s.length, sym.length, `rank of output ${i}`);
    s.forEach((d, k) => {
      if (d === sym[k]) return;
      assert.notEqual(d, null, `output ${i} dim ${k}: unknown, Keras ${JSON.stringify(sym)}`);
      assert.equal(d, c.predictShapes?.[i][k], `output ${i} dim ${k}: ${JSON.stringify(s)} differs from Keras' symbolic ${JSON.stringify(sym)} and from predict()`);
    });
  });
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/shapes/keras3_layers.json', import.meta.url), 'utf8')) as {
  keras: string; cases: Case[]; chains: unknown[];
};
const ctx: ShapeContext = { kerasMajor: 3, source: 'keras3_layers.json' };

export function specOf(className: string, config: Record<string, unknown>): LayerSpec {
  return {
    name: String(config.name ?? className), className, module: 'keras.layers', registeredName: null, config,
    originalConfig: config, inboundNodes: [], weights: [], trainable: config.trainable !== false,
  };
}

test(`fixture comes from Keras 3 and covers many layer classes (${fx.cases.length} cases)`, () => {
  assert.match(fx.keras, /^3\./);
  assert.ok(new Set(fx.cases.map((c) => c.className)).size >= 80);
});

for (const c of fx.cases) {
  test(`Keras 3 ${c.className} (${c.case}): output shapes, weights, param count`, () => {
    const layer = specOf(c.className, c.config);
    assertShapes(inferLayerOutputShapes(layer, c.inputShapes, ctx), c);
    const ws = inferWeightShapes(layer, c.inputShapes, ctx);
    assert.ok(ws, 'weights inferred');
    assert.deepEqual(ws.map((x) => ({ name: x.name, shape: x.shape, trainable: x.trainable })), c.weights.map((x) => ({ name: x.name, shape: x.shape, trainable: x.trainable })));
    assert.equal(ws.reduce((a, x) => a + x.shape.reduce((p, d) => p * d, 1), 0), c.params);
  });
}
