/**
 * Every full model, `.keras` archive and config+weights pair of the shared corpus is read once here
 * (all ~800 files in one test file to keep it fast). Weight counts are checked against inventory.json's
 * `h5_weight_count` (the number of weight datasets in the file, computed by the corpus tooling with h5py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { importKerasModelAndWeights } from '../src/import.ts';
import { KerasImportError } from '../src/errors.ts';
import type { LayerSpec, ModelSpec } from '../src/spec/types.ts';
import { corpusDir, corpusPath, inventory, SKIP_NO_CORPUS, type InventoryRecord } from './helpers/corpus.ts';

/** Files that cannot be imported, each with the reason; they must fail with a typed error, never crash. */
const KNOWN_IMPOSSIBLE: Record<string, string> = {
  // Subclassed models (custom Python classes): their structure lives in Python code, not in the config.
  'keras-team__keras/output/bugged_model.keras': 'subclassed model class TestModel (Python code)',
  'keras-team__keras/output/fixed_model.keras': 'subclassed model class TestModel (Python code)',
  'keras-team__keras/keras/src/saving/test_data/pre_pr22362_nested_container.keras': 'subclassed model class NestedDenseModel (Python code)',
};

/** Failures owned by other parts (normalizer), listed so that this test stays about the container layer. */
const KNOWN_ELSEWHERE: Record<string, string> = {};

function allLayers(m: ModelSpec, out: LayerSpec[] = []): LayerSpec[] {
  for (const l of m.layers) {
    out.push(l);
    if (l.innerModel) allLayers(l.innerModel, out);
  }
  return out;
}

/** The JSON architecture that goes with a weights-only file, by the corpus' naming conventions. */
function pairedConfig(weights: string, jsons: Set<string>): string | undefined {
  const d = weights.slice(0, weights.lastIndexOf('/'));
  const b = weights.slice(weights.lastIndexOf('/') + 1);
  const stem = b.endsWith('.h5') ? b.slice(0, -3) : b;
  const stems = [stem, stem.replace(/_?weights?$/, ''), stem.replace(/weights/, 'config'), stem.replace(/weights/, 'model'), stem.replace(/_weights/, '')];
  for (const s of stems) for (const suf of ['.json', '_config.json', '_model.json', '_architecture.json']) {
    if (jsons.has(`${d}/${s}${suf}`)) return `${d}/${s}${suf}`;
  }
  return undefined;
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
  let read = 0, missing = 0, denseChecked = 0, convChecked = 0, countChecked = 0;
  for (const c of cases) {
    const id = c.weights ? `${c.model} + ${c.weights}` : c.model;
    if (!existsSync(corpusPath(c.model)) || (c.weights && !existsSync(corpusPath(c.weights)))) { missing++; continue; }
    const expectFail = KNOWN_IMPOSSIBLE[c.record.path] ?? KNOWN_ELSEWHERE[c.record.path];
    let spec: ModelSpec;
    try {
      spec = await importKerasModelAndWeights(corpusPath(c.model), c.weights ? { weights: corpusPath(c.weights) } : {});
    } catch (e) {
      if (!(e instanceof KerasImportError)) failures.push(`${id}: untyped ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      else if (!expectFail) failures.push(`${id}: ${e.constructor.name}: ${e.message.split('\n')[0]}`);
      continue;
    }
    if (expectFail) { failures.push(`${id}: listed as failing (${expectFail}) but was read — update the list`); continue; }
    read++;
    const layers = allLayers(spec);
    const n = layers.reduce((a, l) => a + l.weights.length, 0);
    const isZip = c.record.kind === 'Keras-v3-format .keras zip';
    const hasTrainingState = (c.record.quirks ?? []).some((q) => /optimizer\/ and metrics\//.test(q));
    if (typeof c.record.h5_weight_count === 'number') {
      // h5_weight_count counts every dataset of the weights tree: for .keras it includes optimizer/metrics state.
      if (isZip && hasTrainingState) assert.ok(n <= c.record.h5_weight_count, `${id}: ${n} weights > ${c.record.h5_weight_count}`);
      else if (n !== c.record.h5_weight_count) failures.push(`${id}: ${n} weights, inventory says ${c.record.h5_weight_count}`);
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
  t.diagnostic(`read ${read} of ${cases.length} cases (${missing} absent from the corpus checkout); counts checked ${countChecked}; Dense ${denseChecked}, Conv2D ${convChecked} layers order-checked`);
  assert.deepEqual(failures, []);
  assert.ok(denseChecked > 500 && convChecked > 100 && countChecked > 700);
});
