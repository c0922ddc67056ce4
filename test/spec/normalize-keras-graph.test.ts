/**
 * Real Keras 2 / tf.keras functional models from the corpus: the normalized graph (every layer's calls and
 * the tensors each consumes, model inputs and outputs) must equal the graph Keras 3.15 itself rebuilds from
 * the same `model_config` (test/fixtures/normalizer/gen_corpus_facts.py → corpus-graph-facts.json.gz).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusDir, corpusPath, SKIP_NO_CORPUS } from '../helpers/corpus.ts';
import { openHdf5 } from '../../src/io/hdf5-h5wasm.ts';
import { parseKerasJson } from '../../src/spec/json.ts';
import { parseKerasVersion } from '../../src/spec/version.ts';
import { normalizeModelConfig } from '../../src/spec/normalize.ts';
import type { TensorRef } from '../../src/spec/types.ts';

type Triple = [string, number, number];
interface Facts { l: Record<string, Triple[][]>; i: Triple[]; o: Triple[] }

const factsFile = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'normalizer', 'corpus-graph-facts.json.gz');

test('corpus functional models: graph equals the one Keras 3 rebuilds', async (t) => {
  if (!corpusDir) return t.skip(SKIP_NO_CORPUS);
  const all = JSON.parse(gunzipSync(readFileSync(factsFile)).toString('utf8')) as Record<string, Facts>;
  const paths = Object.keys(all);
  assert.ok(paths.length >= 480, `facts for ${paths.length} models`);
  const triple = (r: TensorRef): Triple => [r.layer, r.node, r.tensor];
  let checked = 0;
  let nodes = 0;
  for (const path of paths) {
    const h5 = await openHdf5(corpusPath(path), path);
    let text: unknown;
    let version: unknown;
    try {
      text = h5.attr('/', 'model_config');
      version = h5.attr('/', 'keras_version');
    } finally {
      h5.close();
    }
    assert.equal(typeof text, 'string', path);
    const spec = normalizeModelConfig(parseKerasJson(text as string, path), {
      source: path, format: 'legacy-h5', kerasVersion: parseKerasVersion(typeof version === 'string' ? version : null, { inferredMajor: 2 }), backend: null,
    });
    const exp = all[path];
    const got: Record<string, Triple[][]> = {};
    for (const l of spec.layers) got[l.name] = l.className === 'InputLayer' ? [[]] : l.inboundNodes.map((n) => n.inputs.map(triple));
    assert.deepEqual(got, exp.l, `${path}: layer calls`);
    assert.deepEqual(spec.inputs.map(triple), exp.i, `${path}: inputs`);
    assert.deepEqual(spec.outputs.map(triple), exp.o, `${path}: outputs`);
    checked++;
    nodes += spec.layers.reduce((s, l) => s + l.inboundNodes.length, 0);
  }
  t.diagnostic(`${checked} models, ${nodes} calls match Keras`);
});
