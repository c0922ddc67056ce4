/**
 * Every full model, `.keras` archive and config+weights pair of the shared corpus is read once here
 * (all ~800 files in one test file to keep it fast). Weight counts are checked against inventory.json's
 * `h5_weight_count` (the number of weight datasets in the file, computed by the corpus tooling with h5py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { importKerasModelAndWeights } from '../src/import.ts';
import { KerasImportError, WeightMismatchError } from '../src/errors.ts';
import type { LayerSpec, ModelSpec } from '../src/spec/types.ts';
import { corpusDir, corpusPath, inventory, pairedConfig, SKIP_NO_CORPUS, type InventoryRecord } from './helpers/corpus.ts';

/** Files that cannot be imported, each with the reason; they must fail with a typed error, never crash. */
const KNOWN_IMPOSSIBLE: Record<string, string> = {
  // Subclassed models (custom Python classes): their structure lives in Python code, not in the config.
  'keras-team__keras/output/bugged_model.keras': 'subclassed model class TestModel (Python code)',
  'keras-team__keras/output/fixed_model.keras': 'subclassed model class TestModel (Python code)',
  'keras-team__keras/keras/src/saving/test_data/pre_pr22362_nested_container.keras': 'subclassed model class NestedDenseModel (Python code)',
};

/** Pairs whose JSON and weights come from different models: they must fail with WeightMismatchError. */
const KNOWN_MISMATCHED: Record<string, string> = {
  'fastmachinelearning__hls4ml/example-models/keras/KERAS_emnist_16x16_mlp_weights.h5':
    'the JSON has Dense(27) as the last layer, the weights file a (64, 10) kernel',
};

/** Failures owned by other parts (normalizer), listed so that this test stays about the container layer. */
const KNOWN_ELSEWHERE: Record<string, string> = {};

/**
 * `.keras` archives: datasets under `layers/` or `_layer_checkpoint_dependencies/` of model.weights.h5, counted
 * with h5py (inventory's h5_weight_count also counts optimizer and metrics state).
 */
const KERAS_LAYER_DATASETS: Record<string, number> = {
  'fastmachinelearning__example-models/keras/qkeras-v3_3layer.keras': 8,
  'ftsipis__arrhythmia-detection-fpga-hls4ml/Model3/cnn_model.keras': 27,
  'ftsipis__arrhythmia-detection-fpga-hls4ml/NEW_model/cnn_model.keras': 4,
  'ftsipis__arrhythmia-detection-fpga-hls4ml/QKeras_Model4_8bits/cnn_model.keras': 4,
  'ftsipis__arrhythmia-detection-fpga-hls4ml/models/cnn_lstm_model.keras': 7,
  'ftsipis__arrhythmia-detection-fpga-hls4ml/models/cnn_model.keras': 4,
  'keras-team__keras/model.keras': 3,
  'sbrunner__clean-document/results/model_256_YUV_32_64.keras': 10,
};

function allLayers(m: ModelSpec, out: LayerSpec[] = []): LayerSpec[] {
  for (const l of m.layers) {
    out.push(l);
    if (l.innerModel) allLayers(l.innerModel, out);
  }
  return out;
}

interface Case { model: string; weights?: string; record: InventoryRecord }

test('corpus: every full model, .keras archive and config+weights pair is read', { timeout: 300_000 }, async (t) => {
  if (!corpusDir) return t.skip(SKIP_NO_CORPUS);
  const inv = inventory();
  const jsons = new Set(inv.filter((r) => r.kind === 'Keras JSON config (architecture only)').map((r) => r.path));
  const cases: Case[] = [];
  for (const r of inv) {
    if (r.kind === 'full model (config+weights)' || r.kind === 'Keras-v3-format .keras zip') cases.push({ model: r.path, record: r });
    if (r.kind === 'weights-only h5 (save_weights)') {
      const cfg = pairedConfig(r.path, jsons);
      if (cfg) cases.push({ model: cfg, weights: r.path, record: r });
    }
  }
  assert.ok(cases.length > 800, `expected > 800 cases, found ${cases.length}`);
  const failures: string[] = [];
  let read = 0, rejected = 0, missing = 0, denseChecked = 0, convChecked = 0, countChecked = 0;
  for (const c of cases) {
    const id = c.weights ? `${c.model} + ${c.weights}` : c.model;
    if (!existsSync(corpusPath(c.model)) || (c.weights && !existsSync(corpusPath(c.weights)))) { missing++; continue; }
    const mismatched = KNOWN_MISMATCHED[c.record.path];
    const expectFail = KNOWN_IMPOSSIBLE[c.record.path] ?? KNOWN_ELSEWHERE[c.record.path] ?? mismatched;
    let spec: ModelSpec;
    try {
      spec = await importKerasModelAndWeights(corpusPath(c.model), c.weights ? { weights: corpusPath(c.weights) } : {});
    } catch (e) {
      if (!(e instanceof KerasImportError)) failures.push(`${id}: untyped ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      else if (!expectFail) failures.push(`${id}: ${e.constructor.name}: ${e.message.split('\n')[0]}`);
      else if (mismatched && !(e instanceof WeightMismatchError)) failures.push(`${id}: expected WeightMismatchError, got ${e.constructor.name}: ${e.message}`);
      else rejected++;
      continue;
    }
    if (expectFail) { failures.push(`${id}: listed as failing (${expectFail}) but was read — update the list`); continue; }
    read++;
    const layers = allLayers(spec);
    const n = layers.reduce((a, l) => a + l.weights.length, 0);
    const isZip = c.record.kind === 'Keras-v3-format .keras zip';
    if (isZip) {
      const want = KERAS_LAYER_DATASETS[c.record.path];
      if (want === undefined) failures.push(`${id}: no expected layer-dataset count listed for this .keras file`);
      else if (n !== want) failures.push(`${id}: ${n} weights, h5py counts ${want} layer datasets`);
      countChecked++;
    } else if (typeof c.record.h5_weight_count === 'number') {
      // h5_weight_count = number of weight datasets listed in the file (optimizer weights excluded for .h5).
      if (n !== c.record.h5_weight_count) failures.push(`${id}: ${n} weights, inventory says ${c.record.h5_weight_count}`);
      countChecked++;
    }
    for (const l of layers) {
      for (const w of l.weights) {
        if (w.values.length !== w.shape.reduce((a, b) => a * b, 1)) failures.push(`${id}: ${l.name}/${w.name} has ${w.values.length} values for shape ${w.shape}`);
      }
      // Keras order: a Dense layer's first weight is its 2-D kernel, a Conv2D's its 4-D kernel (never bias first).
      if (l.className === 'Dense' && l.weights.length > 0) {
        if (l.weights[0].shape.length !== 2) failures.push(`${id}: Dense ${l.name} starts with ${l.weights[0].name} ${l.weights[0].shape}`);
        denseChecked++;
      }
      if (l.className === 'Conv2D' && l.weights.length > 0) {
        if (l.weights[0].shape.length !== 4) failures.push(`${id}: Conv2D ${l.name} starts with ${l.weights[0].name} ${l.weights[0].shape}`);
        convChecked++;
      }
    }
  }
  t.diagnostic(`read ${read} of ${cases.length} cases, ${rejected} rejected as listed (${missing} absent from the corpus checkout); counts checked ${countChecked}; Dense ${denseChecked}, Conv2D ${convChecked} layers order-checked`);
  assert.deepEqual(failures, []);
  assert.ok(denseChecked > 500 && convChecked > 100 && countChecked > 700);
});

test('corpus: every other file gets the right typed outcome (never a crash)', { timeout: 300_000 }, async (t) => {
  if (!corpusDir) return t.skip(SKIP_NO_CORPUS);
  const { readModelFile } = await import('../src/import.ts');
  const { MissingWeightsError, NotAKerasModelError, InvalidConfigError } = await import('../src/errors.ts');
  // What readModelFile must do with each kind of file that is not a complete model.
  const expectOf = (kind: string): (new (...a: never[]) => Error) | 'ok' | 'typed' => {
    if (kind === 'Keras JSON config (architecture only)') return 'ok';
    if (kind === 'weights-only h5 (save_weights)') return MissingWeightsError;
    if (kind === 'input/output data h5' || kind === 'text data' || kind === 'numpy array' || kind === 'other') return NotAKerasModelError;
    if (kind.startsWith('Keras preprocessing object JSON')) return InvalidConfigError;
    return 'typed';
  };
  const failures: string[] = [];
  const seen: Record<string, number> = {};
  for (const r of inventory()) {
    if (r.kind === 'full model (config+weights)' || r.kind === 'Keras-v3-format .keras zip') continue; // the test above
    if (!existsSync(corpusPath(r.path))) continue;
    const want = expectOf(r.kind);
    let outcome: unknown = 'ok';
    try {
      const spec = await readModelFile(corpusPath(r.path));
      if (spec.hasWeights) failures.push(`${r.path}: architecture-only file reported weights`);
    } catch (e) {
      outcome = e;
    }
    seen[r.kind] = (seen[r.kind] ?? 0) + 1;
    if (outcome !== 'ok' && !(outcome instanceof KerasImportError)) failures.push(`${r.path}: untyped ${String(outcome)}`);
    else if (want === 'ok' && outcome !== 'ok') failures.push(`${r.path}: ${(outcome as Error).message.split('\n')[0]}`);
    else if (typeof want === 'function' && !(outcome instanceof want)) failures.push(`${r.path}: expected ${want.name}, got ${outcome === 'ok' ? 'success' : (outcome as Error).constructor.name}`);
  }
  t.diagnostic(`files per kind: ${JSON.stringify(seen)}`);
  assert.deepEqual(failures, []);
  assert.ok((seen['weights-only h5 (save_weights)'] ?? 0) > 100 && (seen['input/output data h5'] ?? 0) > 50);
});
