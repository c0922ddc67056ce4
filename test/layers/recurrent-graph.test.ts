/**
 * Mask propagation through a tfjs LayersModel. tfjs' executor hands the last mask it saw to every later
 * layer; our layers must ignore it where Keras has no mask (after LSTM(return_sequences=False)).
 */
import { before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '../../src/layers/index.ts';
import { getBuilder } from '../../src/layers/registry.ts';
import { useBackend } from '../../src/runtime/backend.ts';
import { assertClose, ctxFor, type Arr, type Case } from './recurrent_fixtures.ts';
import type { LayerSpec } from '../../src/spec/types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const cases = JSON.parse(readFileSync(join(here, '..', 'fixtures', 'recurrent', 'graph.json'), 'utf8')).cases as Array<{
  name: string; inputs: Arr[]; outputs: Arr[]; layers: Record<string, { config: Record<string, unknown>; weights: Arr[] }>;
}>;

function lstm(name: string, l: { config: Record<string, unknown>; weights: Arr[] }) {
  const spec: LayerSpec = {
    name, className: 'LSTM', module: null, registeredName: null, config: l.config, originalConfig: l.config, inboundNodes: [],
    weights: l.weights.map((w, i) => ({ name: `w${i}`, shape: w.shape, dtype: 'float32', values: Float32Array.from(w.values) })), trainable: true,
  };
  const ctx = ctxFor({ name, kerasMajor: 3 } as Case);
  const b = getBuilder('LSTM')!;
  return { layer: b.create(spec, ctx), weights: () => b.convertWeights!(spec, b.create(spec, ctx), ctx), spec, ctx, b };
}

for (const backend of ['cpu', 'wasm']) {
  describe(`masks through a LayersModel on ${backend}`, () => {
    before(async () => { await useBackend(backend); });
    it('Masking → LSTM → RepeatVector → LSTM(return_sequences) matches Keras', () => {
      const c = cases.find((k) => k.name === 'masking_lstm_repeat_lstm')!;
      const a = lstm('l1', c.layers.l1);
      const b = lstm('l2', c.layers.l2);
      const inp = tfl.input({ shape: c.inputs[0].shape.slice(1) });
      const h = a.layer.apply(tfl.layers.masking({ maskValue: 0 }).apply(inp)) as tfl.SymbolicTensor;
      const y = b.layer.apply(tfl.layers.repeatVector({ n: 4 }).apply(h)) as tfl.SymbolicTensor;
      const m = tfl.model({ inputs: inp, outputs: y });
      a.layer.setWeights(a.b.convertWeights!(a.spec, a.layer, a.ctx));
      b.layer.setWeights(b.b.convertWeights!(b.spec, b.layer, b.ctx));
      tf.tidy(() => assertClose([m.predict(tf.tensor(c.inputs[0].values, c.inputs[0].shape)) as tf.Tensor], c.outputs, c.name));
    });
  });
}
