/**
 * Shared by the recurrent / wrappers / attention tests: loads the Keras-computed fixtures written by
 * test/fixtures/recurrent/generate.py and runs one case through our builders.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { layers, model as tfModel, input as tfInput, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { KerasVersion, LayerSpec, ModelSpec, NodeArg, NodeSpec, WeightSpec } from '../../src/spec/types.ts';
import { getBuilder, type BuildContext } from '../../src/layers/registry.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface Arr { shape: number[]; values: number[]; dtype?: string }
export interface Case {
  name: string;
  className: string;
  config: Record<string, unknown>;
  kerasMajor: 1 | 2 | 3;
  tfKeras?: boolean;
  backend?: string;
  weights: Arr[];
  inputs: Arr[];
  mask?: Arr | (Arr | null)[];
  outputs: Arr[];
  inner?: { className: string; config: Record<string, unknown> }[];
  callKwargs?: Record<string, unknown>;
  /** Attention layers: the role of each input, as a recorded MHA call would give them. */
  roles?: string[];
}

export function loadCases(file: string): Case[] {
  return JSON.parse(readFileSync(join(here, '..', 'fixtures', 'recurrent', file), 'utf8')).cases as Case[];
}

export function toTensor(a: Arr): tf.Tensor {
  return a.dtype === 'bool' ? tf.tensor(a.values, a.shape, 'bool') : tf.tensor(a.values, a.shape, 'float32');
}

function version(major: 1 | 2 | 3, tfKeras: boolean): KerasVersion {
  return { raw: null, major, minor: 0, patch: 0, tfKeras, inferred: false };
}

export function ctxFor(c: Case): BuildContext {
  const spec: ModelSpec = {
    format: 'legacy-h5', source: `fixture:${c.name}`, kerasVersion: version(c.kerasMajor, c.tfKeras ?? false),
    backend: c.backend ?? (c.kerasMajor === 3 ? 'jax' : null), modelClass: 'Functional', name: 'm', layers: [], inputs: [], outputs: [],
    trainingConfig: null, originalConfig: null, hasWeights: true,
  };
  return { spec, source: spec.source, kerasMajor: c.kerasMajor, backend: spec.backend, options: {} };
}

function weightSpecs(ws: Arr[]): WeightSpec[] {
  return ws.map((w, i) => ({ name: `w${i}`, shape: w.shape, dtype: 'float32', values: Float32Array.from(w.values) }));
}

function recordedCall(c: Case): NodeSpec[] {
  if (!c.callKwargs && !c.roles) return [];
  const kwargs: Record<string, NodeArg> = Object.fromEntries(Object.entries(c.callKwargs ?? {}).map(([k, v]) => [k, { kind: 'const', value: v }]));
  const args: NodeArg[] = [];
  (c.roles ?? []).forEach((role, i) => {
    const ref: NodeArg = { kind: 'tensor', ref: { layer: `in${i}`, node: 0, tensor: 0 } };
    if (['query', 'value', 'key'].includes(role) && args.length === ['query', 'value', 'key'].indexOf(role)) args.push(ref);
    else kwargs[role] = ref;
  });
  return [{ args, kwargs, inputs: [] }];
}

export function layerSpecFor(c: Case): LayerSpec {
  const name = String(c.config.name ?? c.name);
  return {
    name, className: c.className, module: null, registeredName: null, config: c.config, originalConfig: c.config,
    inboundNodes: recordedCall(c),
    weights: weightSpecs(c.weights), trainable: true,
    innerLayers: c.inner?.map((l, i) => ({
      name: String(l.config.name ?? `${name}_inner${i}`), className: l.className, module: null, registeredName: null, config: l.config,
      originalConfig: l.config, inboundNodes: [], weights: [], trainable: true,
    })),
  };
}

/** Creates the layer through the registry, loads converted weights and runs it eagerly (with the Keras mask, if any). */
export function runEager(c: Case): tf.Tensor[] {
  const spec = layerSpecFor(c);
  const ctx = ctxFor(c);
  const builder = getBuilder(c.className);
  assert.ok(builder, `no builder registered for ${c.className}`);
  const layer = builder.create(spec, ctx);
  const xs = c.inputs.map(toTensor);
  const shapes = xs.map((x) => x.shape);
  layer.build(shapes.length === 1 ? shapes[0] : shapes);
  if (builder.convertWeights) layer.setWeights(builder.convertWeights(spec, layer, ctx));
  else layer.setWeights(spec.weights.map((w) => tf.tensor(w.values, w.shape)));
  const kwargs: Record<string, unknown> = {};
  if (c.mask) kwargs.mask = Array.isArray(c.mask) ? c.mask.map((m) => (m ? toTensor(m) : null)) : toTensor(c.mask);
  const y = layer.apply(xs.length === 1 ? xs[0] : xs, kwargs) as tf.Tensor | tf.Tensor[];
  return Array.isArray(y) ? y : [y];
}

/** Same through a tfjs LayersModel (symbolic shape inference, then predict). */
export function runModel(c: Case): tf.Tensor[] {
  const spec = layerSpecFor(c);
  const ctx = ctxFor(c);
  const builder = getBuilder(c.className)!;
  const layer = builder.create(spec, ctx);
  const ins = c.inputs.map((a) => tfInput({ shape: a.shape.slice(1) }));
  const out = layer.apply(ins.length === 1 ? ins[0] : ins) as SymbolicTensor | SymbolicTensor[];
  const m = tfModel({ inputs: ins, outputs: out });
  if (builder.convertWeights) layer.setWeights(builder.convertWeights(spec, layer, ctx));
  else layer.setWeights(spec.weights.map((w) => tf.tensor(w.values, w.shape)));
  const y = m.predict(c.inputs.map(toTensor)) as tf.Tensor | tf.Tensor[];
  return Array.isArray(y) ? y : [y];
}

export function assertClose(actual: tf.Tensor[], expected: Arr[], label: string, tol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${label}: number of outputs`);
  actual.forEach((a, i) => {
    assert.deepEqual(a.shape, expected[i].shape, `${label}: output ${i} shape`);
    const got = a.dataSync();
    let worst = 0; let at = -1;
    expected[i].values.forEach((v, j) => { const d = Math.abs(got[j] - v); if (!(d <= worst)) { worst = d; at = j; } });
    assert.ok(worst <= tol, `${label}: output ${i} differs by ${worst} at flat index ${at} (got ${got[at]}, Keras ${expected[i].values[at]})`);
  });
}

export { layers };
