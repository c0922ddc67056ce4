/**
 * Every architecture JSON and every `.keras` config.json of the shared corpus goes through the normalizer,
 * and the result is checked against facts that do not come from our code: inventory.json layer counts
 * (recorded by the corpus survey from the raw configs), the Keras 1 → 2 rename table of formats.md §2.2,
 * and graph invariants (every reference resolves, the graph can be ordered, outputs reachable from inputs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { unzipSync, strFromU8 } from 'fflate';
import { corpusDir, corpusPath, inventory, SKIP_NO_CORPUS, type InventoryRecord } from '../helpers/corpus.ts';
import { parseKerasJson } from '../../src/spec/json.ts';
import { parseKerasVersion } from '../../src/spec/version.ts';
import { normalizeModelConfig, detectConfigMajor } from '../../src/spec/normalize.ts';
import { InvalidConfigError } from '../../src/errors.ts';
import type { LayerSpec, ModelSpec, TensorRef } from '../../src/spec/types.ts';

// formats.md §2.2 (+ tf.keras internal aliases): names that must never survive normalization
const RENAMED: Record<string, string> = {
  Convolution1D: 'Conv1D', Convolution2D: 'Conv2D', Convolution3D: 'Conv3D', AtrousConvolution1D: 'Conv1D', AtrousConvolution2D: 'Conv2D',
  Deconvolution2D: 'Conv2DTranspose', SeparableConvolution2D: 'SeparableConv2D', BatchNormalizationV1: 'BatchNormalization',
  UnifiedLSTM: 'LSTM', UnifiedGRU: 'GRU',
};
const MERGE_FAMILY = new Set(['Merge', 'Add', 'Multiply', 'Concatenate', 'Average', 'Maximum', 'Dot']);
// Keras 1 config keys with a Keras 2 name (formats.md §2.2); `output_dim`/`input_dim` are legal on Embedding
const K1_KEYS = ['nb_filter', 'nb_row', 'nb_col', 'filter_length', 'kernel_dim1', 'subsample', 'subsample_length', 'border_mode', 'dim_ordering',
  'init', 'inner_init', 'inner_activation', 'W_regularizer', 'b_regularizer', 'U_regularizer', 'W_constraint', 'b_constraint', 'bias',
  'dropout_W', 'dropout_U', 'consume_less', 'forget_bias_init', 'pool_length', 'beta_init', 'gamma_init', 'input_dtype', 'atrous_rate'];
const KNOWN_K2 = new Set(['Dense', 'Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'SeparableConv2D', 'LSTM', 'GRU', 'SimpleRNN', 'ConvLSTM2D',
  'Embedding', 'BatchNormalization', 'Dropout', 'MaxPooling1D', 'MaxPooling2D', 'AveragePooling1D', 'AveragePooling2D', 'ZeroPadding2D',
  'UpSampling1D', 'UpSampling2D', 'Flatten', 'Activation', 'InputLayer', 'GaussianNoise', 'GaussianDropout', 'PReLU', 'LocallyConnected2D']);

interface Case { rec: InventoryRecord; config: unknown; version: string | null; format: 'json' | 'keras-v3' }

function cases(): Case[] {
  const out: Case[] = [];
  for (const rec of inventory()) {
    if (rec.kind === 'Keras JSON config (architecture only)') {
      const config = parseKerasJson(readFileSync(corpusPath(rec.path), 'utf8'), rec.path) as Record<string, unknown>;
      const v = typeof config.keras_version === 'string' ? config.keras_version : (rec.keras_version ?? null);
      out.push({ rec, config, version: v, format: 'json' });
    } else if (rec.kind === 'Keras-v3-format .keras zip') {
      const files = unzipSync(new Uint8Array(readFileSync(corpusPath(rec.path))), { filter: (f) => f.name === 'config.json' || f.name === 'metadata.json' });
      const meta = JSON.parse(strFromU8(files['metadata.json'])) as { keras_version?: string };
      out.push({ rec, config: parseKerasJson(strFromU8(files['config.json']), rec.path), version: meta.keras_version ?? null, format: 'keras-v3' });
    }
  }
  return out;
}

function normalize(c: Case): ModelSpec {
  const v = parseKerasVersion(c.version, { inferredMajor: detectConfigMajor(c.config) ?? 1 });
  return normalizeModelConfig(c.config, { source: c.rec.path, format: c.format, kerasVersion: v, backend: null });
}

/** Layer counts the way the corpus survey counted them: config layers, nested models, wrapped layer. */
function countLayers(spec: ModelSpec, acc: Map<string, number>): void {
  const bump = (k: string) => acc.set(k, (acc.get(k) ?? 0) + 1);
  const visit = (l: LayerSpec) => {
    if (l.originalConfig === null) return; // synthesized InputLayer
    bump(MERGE_FAMILY.has(l.className) ? 'merge-family' : l.className);
    if (l.innerModel) countLayers(l.innerModel, acc);
    if (l.innerLayers?.length) visit(l.innerLayers[0]);
  };
  spec.layers.forEach(visit);
}

function expectedCounts(rec: InventoryRecord): Map<string, number> {
  const acc = new Map<string, number>();
  for (const [cls, n] of Object.entries(rec.layers ?? {})) {
    if (cls === 'TimeDistributedDense') {
      // Keras 1 only: becomes TimeDistributed(Dense)
      for (const c of ['TimeDistributed', 'Dense']) acc.set(c, (acc.get(c) ?? 0) + n);
      continue;
    }
    const c = MERGE_FAMILY.has(cls) ? 'merge-family' : (RENAMED[cls] ?? cls);
    acc.set(c, (acc.get(c) ?? 0) + n);
  }
  return acc;
}

function checkGraph(spec: ModelSpec, where: string): void {
  const byName = new Map<string, LayerSpec>();
  for (const l of spec.layers) {
    assert.ok(!byName.has(l.name), `${where}: duplicate layer ${l.name}`);
    byName.set(l.name, l);
    assert.ok(!(l.className in RENAMED), `${where}: Keras 1 class ${l.className} survived`);
    if (KNOWN_K2.has(l.className)) for (const k of K1_KEYS) assert.ok(!(k in l.config), `${where}: ${l.name} still has Keras 1 key ${k}`);
    if (l.className !== 'Embedding' && KNOWN_K2.has(l.className)) assert.ok(!('output_dim' in l.config) && !('input_dim' in l.config), `${where}: ${l.name} output_dim/input_dim`);
    assert.deepEqual(l.weights, []);
    for (const n of l.inboundNodes) assert.ok(n.inputs.length > 0 || (spec.modelClass === 'Sequential' && spec.inputs.length === 0), `${where}: ${l.name} has a call without inputs`);
    if (l.innerModel) checkGraph(l.innerModel, `${where} > ${l.name}`);
  }
  const resolves = (r: TensorRef) => {
    const t = byName.get(r.layer);
    assert.ok(t, `${where}: reference to missing layer ${r.layer}`);
    const count = t.className === 'InputLayer' ? 1 : t.inboundNodes.length;
    assert.ok(Number.isInteger(r.node) && r.node >= 0 && r.node < count, `${where}: ${r.layer} has no call ${r.node}`);
    assert.ok(Number.isInteger(r.tensor) && r.tensor >= 0);
  };
  spec.layers.forEach((l) => l.inboundNodes.forEach((n) => n.inputs.forEach(resolves)));
  spec.inputs.forEach((r) => {
    resolves(r);
    assert.equal(byName.get(r.layer)!.className, 'InputLayer', `${where}: model input ${r.layer} is not an InputLayer`);
  });
  assert.ok(spec.outputs.length > 0, `${where}: no outputs`);
  spec.outputs.forEach(resolves);
  // Kahn-style ordering of calls: every call must become computable from the model inputs
  const done = new Set<string>(spec.inputs.map((r) => `${r.layer}#0`));
  const pending = spec.layers.flatMap((l) => l.inboundNodes.map((n, i) => ({ key: `${l.name}#${i}`, n })));
  let progress = true;
  while (progress) {
    progress = false;
    for (let i = pending.length - 1; i >= 0; i--) {
      if (pending[i].n.inputs.every((r) => done.has(`${r.layer}#${r.node}`))) {
        done.add(pending[i].key);
        pending.splice(i, 1);
        progress = true;
      }
    }
  }
  if (spec.inputs.length > 0) assert.deepEqual(pending.map((p) => p.key), [], `${where}: calls not reachable from the inputs (cycle or dangling)`);
  for (const r of spec.outputs) if (spec.inputs.length > 0) assert.ok(done.has(`${r.layer}#${r.node}`), `${where}: output ${r.layer} not computable`);
}

test('every corpus JSON config and .keras config.json normalizes to a consistent graph', (t) => {
  if (!corpusDir) return t.skip(SKIP_NO_CORPUS);
  const all = cases();
  assert.ok(all.length >= 280, `expected the corpus configs, found ${all.length}`);
  let normalized = 0;
  let subclassed = 0;
  const majors: Record<number, number> = {};
  for (const c of all) {
    const top = c.config as Record<string, unknown>;
    if (top.class_name !== 'Sequential' && top.class_name !== 'Model' && top.class_name !== 'Functional') {
      // subclassed Keras 3 models: only Python code knows their graph
      assert.throws(() => normalize(c), (e: unknown) => e instanceof InvalidConfigError && (e as Error).message.includes(c.rec.path));
      subclassed++;
      continue;
    }
    const spec = normalize(c);
    majors[spec.kerasVersion.major] = (majors[spec.kerasVersion.major] ?? 0) + 1;
    // the config style never contradicts a recorded version
    const detected = detectConfigMajor(c.config);
    if (c.version !== null && detected !== null) assert.equal(detected, spec.kerasVersion.major, `${c.rec.path}: detected Keras ${detected}, recorded ${c.version}`);
    assert.equal(spec.modelClass, top.class_name);
    assert.equal(spec.hasWeights, false);
    checkGraph(spec, c.rec.path);
    const got = new Map<string, number>();
    countLayers(spec, got);
    assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...expectedCounts(c.rec)].sort()), `${c.rec.path}: layer counts`);
    normalized++;
  }
  assert.ok(normalized >= 275, `normalized ${normalized}`);
  assert.equal(subclassed, 3);
  assert.ok(majors[1] >= 40 && majors[2] >= 200, JSON.stringify(majors));
});
