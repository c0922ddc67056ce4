import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync, strToU8 } from 'fflate';
import {
  importKerasModelAndWeights,
  importKerasModelConfiguration,
  importKerasSequentialModelAndWeights,
  readModelFile,
} from '../src/import.ts';
import {
  CorruptFileError,
  InvalidConfigError,
  KerasImportError,
  MissingWeightsError,
  NotAKerasModelError,
  UnsafeArchiveError,
  UnsupportedFeatureError,
  WeightMismatchError,
} from '../src/errors.ts';
import type { LayerSpec, ModelSpec, WeightSpec } from '../src/spec/types.ts';

const FIX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'formats');
const fx = (n: string) => join(FIX, n);
const bytes = (n: string) => new Uint8Array(readFileSync(fx(n)));
const expected = JSON.parse(readFileSync(fx('expected.json'), 'utf8'));

interface Summary { shape: number[]; sum: number; first: number[] }
function checkWeights(ws: WeightSpec[], exp: Summary[], what: string) {
  assert.equal(ws.length, exp.length, `${what}: weight count`);
  ws.forEach((w, i) => {
    assert.deepEqual(w.shape, exp[i].shape, `${what}[${i}] shape`);
    const sum = [...w.values].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - exp[i].sum) < 1e-4 * Math.max(1, Math.abs(exp[i].sum)), `${what}[${i}] sum ${sum} vs ${exp[i].sum}`);
    exp[i].first.forEach((v, j) => assert.ok(Math.abs(w.values[j] - v) < 1e-6, `${what}[${i}][${j}]`));
  });
}
const layer = (m: ModelSpec, name: string): LayerSpec => {
  const l = m.layers.find((x) => x.name === name);
  assert.ok(l, `layer ${name}`);
  return l;
};

function checkK3Nested(spec: ModelSpec) {
  const exp = expected.k3_nested;
  assert.equal(spec.hasWeights, true);
  for (const name of ['lstm_a', 'bi', 'head', 'head2']) checkWeights(layer(spec, name).weights, exp[name], name);
  const sub = layer(spec, 'subseq');
  assert.ok(sub.innerModel, 'subseq is a nested model');
  assert.deepEqual(sub.weights, []);
  // The legacy group lists trainable weights first across sub-layers; each inner layer must get its own order back.
  for (const name of ['sd1', 'sbn', 'sd2']) checkWeights(layer(sub.innerModel, name).weights, exp[`subseq/${name}`], `subseq/${name}`);
}

test('.keras archive (Keras 3): class-based paths, nested Sequential, LSTM cell, Bidirectional forward-then-backward', async () => {
  const spec = await importKerasModelAndWeights(fx('k3_nested.keras'));
  assert.equal(spec.format, 'keras-v3');
  assert.equal(spec.kerasVersion.raw, '3.15.1');
  checkK3Nested(spec);
});

test('Keras 3 legacy .h5 (bytes input): nested model group distributed to inner layers', async () => {
  const spec = await importKerasModelAndWeights(bytes('k3_nested.h5'), { label: 'nested.h5' });
  assert.equal(spec.format, 'legacy-h5');
  assert.equal(spec.source, 'nested.h5');
  assert.equal(spec.backend, 'jax');
  checkK3Nested(spec);
});

test('JSON architecture + Keras 3 *.weights.h5', async () => {
  const spec = await importKerasModelAndWeights(fx('k3_nested.json'), { weights: fx('k3_nested.weights.h5') });
  assert.equal(spec.format, 'keras-v3-weights');
  checkK3Nested(spec);
  const fromBytes = await importKerasModelAndWeights(bytes('k3_nested.json'), { weights: bytes('k3_nested.weights.h5') });
  checkK3Nested(fromBytes);
});

test('float16 and bfloat16 weights arrive as float32 with their stored dtype', async () => {
  const spec = await importKerasModelAndWeights(fx('k3_dtypes.keras'));
  for (const name of ['h16', 'bf16', 'f32']) checkWeights(layer(spec, name).weights, expected.k3_dtypes[name], name);
  assert.equal(layer(spec, 'h16').weights[0].dtype, 'float16');
  assert.equal(layer(spec, 'bf16').weights[0].dtype, 'bfloat16');
  assert.ok(layer(spec, 'bf16').weights[0].values instanceof Float32Array);
});

const k2Config = (names: [string, string, string], lastUnits = 2) =>
  JSON.stringify({
    class_name: 'Sequential',
    keras_version: '2.2.4',
    config: [
      { class_name: 'Dense', config: { name: names[0], units: 3, batch_input_shape: [null, 2], activation: 'linear', use_bias: true } },
      { class_name: 'Dropout', config: { name: names[1], rate: 0.5 } },
      { class_name: 'Dense', config: { name: names[2], units: lastUnits, activation: 'linear', use_bias: true } },
    ],
  });

test('legacy weights-only file (chunked layer_names, big-endian) paired with JSON: by name, then positional', async () => {
  const byName = await importKerasModelAndWeights(new TextEncoder().encode(k2Config(['dense_1', 'dropout_1', 'dense_2'])), {
    weights: fx('raw_k2_weights.h5'),
  });
  assert.equal(byName.format, 'legacy-h5-weights');
  assert.deepEqual([...layer(byName, 'dense_1').weights[0].values], [0, 0.125, 0.25, 0.375, 0.5, 0.625]);
  assert.deepEqual([...layer(byName, 'dense_1').weights[1].values], [0.5, -1.25, 3]);
  assert.deepEqual(layer(byName, 'dropout_1').weights, []);
  const k = layer(byName, 'dense_2').weights[0];
  expected.raw_k2_weights['dense_2/kernel'].forEach((v: number, i: number) => assert.ok(Math.abs(k.values[i] - v) < 1e-6));
  // Different names: Keras' positional rule pairs weighted layers in order.
  const pos = await importKerasModelAndWeights(new TextEncoder().encode(k2Config(['a', 'b', 'c'])), { weights: fx('raw_k2_weights.h5') });
  assert.deepEqual(layer(pos, 'a').weights.map((w) => w.name), ['dense_1/kernel:0', 'dense_1/bias:0']);
  assert.deepEqual(layer(pos, 'c').weights.map((w) => w.name), ['dense_2/kernel:0', 'dense_2/bias:0']);
});

test('Keras 0.x weights (nb_layers / param_N) are paired by position', async () => {
  const spec = await importKerasModelAndWeights(new TextEncoder().encode(k2Config(['x', 'y', 'z'], 1)), { weights: fx('raw_keras0.h5') });
  assert.deepEqual([...layer(spec, 'x').weights[0].values], new Array(6).fill(0));
  assert.deepEqual([...layer(spec, 'x').weights[1].values].map((v) => +v.toFixed(5)), [0.1, 0.1, 0.1]);
  assert.deepEqual([...layer(spec, 'z').weights[0].values], [2, 2, 2]);
});

test('architecture-only entry points', async () => {
  const json = readFileSync(fx('k3_nested.json'), 'utf8');
  const spec = await importKerasModelConfiguration(json);
  assert.equal(spec.hasWeights, false);
  assert.equal(spec.format, 'json');
  assert.equal((await readModelFile(fx('k3_nested.json'))).hasWeights, false);
  await assert.rejects(importKerasModelAndWeights(fx('k3_nested.json')), MissingWeightsError);
  await assert.rejects(importKerasModelConfiguration(fx('k3_nested.h5')), InvalidConfigError);
});

test('Sequential entry point rejects functional models', async () => {
  await assert.rejects(importKerasSequentialModelAndWeights(fx('k3_nested.keras')), InvalidConfigError);
  const seq = await importKerasSequentialModelAndWeights(fx('k3_dtypes.keras'));
  assert.equal(seq.modelClass, 'Sequential');
});

const rejectsWith = async (p: Promise<unknown>, cls: new (...a: never[]) => Error, file: string, re?: RegExp) =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.ok((e as Error).message.includes(file), `message names the file: ${(e as Error).message}`);
    if (re) assert.match((e as Error).message, re);
    return true;
  });

test('bad inputs get typed errors naming the file', async () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  await rejectsWith(readModelFile(png, { label: 'cat.png' }), NotAKerasModelError, 'cat.png', /PNG/);
  await rejectsWith(readModelFile(new Uint8Array(0), { label: 'empty.h5' }), NotAKerasModelError, 'empty.h5', /empty/);
  const rnd = new Uint8Array(5000).map((_, i) => (i * 2654435761) >>> 24);
  await rejectsWith(readModelFile(rnd, { label: 'rnd.bin' }), NotAKerasModelError, 'rnd.bin');
  await rejectsWith(readModelFile(fx('raw_latest.h5')), NotAKerasModelError, 'raw_latest.h5');
  await rejectsWith(readModelFile(bytes('k3_nested.h5').subarray(0, 20000), { label: 'cut.h5' }), CorruptFileError, 'cut.h5');
  await rejectsWith(readModelFile(bytes('k3_nested.keras').subarray(0, 20000), { label: 'cut.keras' }), CorruptFileError, 'cut.keras');
  await rejectsWith(readModelFile(fx('npz.keras')), UnsupportedFeatureError, 'npz.keras', /npz/);
  await rejectsWith(readModelFile(new TextEncoder().encode('{"a": 1}'), { label: 'x.json' }), InvalidConfigError, 'x.json');
  await rejectsWith(readModelFile(new TextEncoder().encode('{"class_name": "Sequential", "config": '), { label: 'bad.json' }), CorruptFileError, 'bad.json');
  await rejectsWith(readModelFile(fx('k3_nested.weights.h5')), MissingWeightsError, 'k3_nested.weights.h5', /architecture/);
  await rejectsWith(readModelFile(fx('raw_k2_weights.h5')), MissingWeightsError, 'raw_k2_weights.h5');
  await rejectsWith(readModelFile(fx('does-not-exist.h5')), KerasImportError, 'does-not-exist.h5');
  await rejectsWith(readModelFile(FIX), NotAKerasModelError, FIX);
});

test('zip archives with duplicate or escaping names are refused', async () => {
  const cfg = readFileSync(fx('k3_nested.json'));
  const evil = zipSync({ 'config.json': new Uint8Array(cfg), '../model.weights.h5': bytes('k3_nested.weights.h5') }, { level: 0 });
  await rejectsWith(readModelFile(evil, { label: 'evil.keras' }), UnsafeArchiveError, 'evil.keras', /\.\./);
  const two = zipSync({ 'config.json': strToU8('{}'), 'configXjson': new Uint8Array(cfg) }, { level: 0 });
  const dup = two.slice();
  const from = strToU8('configXjson');
  for (let i = 0; i + from.length <= dup.length; i++) if (from.every((b, j) => dup[i + j] === b)) dup.set(strToU8('config.json'), i);
  await rejectsWith(readModelFile(dup, { label: 'dup.keras' }), UnsafeArchiveError, 'dup.keras', /twice/);
  const noCfg = zipSync({ 'hello.txt': strToU8('hi') });
  await rejectsWith(readModelFile(noCfg, { label: 'other.zip' }), NotAKerasModelError, 'other.zip');
});

test('weights that do not fit the configuration → WeightMismatchError naming file and layer', async () => {
  // Weights-only legacy file whose group is not in the config, matched by name in a full model's config.
  const small = JSON.stringify({
    class_name: 'Sequential',
    config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'dense_1', units: 3, batch_input_shape: [null, 2] } }] },
  });
  await rejectsWith(
    importKerasModelAndWeights(new TextEncoder().encode(small), { weights: fx('raw_k2_weights.h5'), label: 'small.json' }),
    WeightMismatchError,
    'raw_k2_weights.h5',
  );
  // A Keras 3 weight store with variables for layers the config does not have.
  const k3small = JSON.stringify({
    module: 'keras', class_name: 'Sequential',
    config: { name: 'q', layers: [{ module: 'keras.layers', class_name: 'InputLayer', config: { name: 'i', batch_shape: [null, 3] } },
      { module: 'keras.layers', class_name: 'LSTM', config: { name: 'only', units: 4 } }] },
  });
  await rejectsWith(
    importKerasModelAndWeights(new TextEncoder().encode(k3small), { weights: fx('k3_nested.weights.h5') }),
    WeightMismatchError,
    'k3_nested.weights.h5',
    /layers\//,
  );
});

test('the format comes from the bytes, not the name', async () => {
  const spec = await importKerasModelAndWeights(bytes('k3_nested.h5'), { label: 'model.keras' });
  assert.equal(spec.format, 'legacy-h5');
  const spec2 = await importKerasModelAndWeights(bytes('k3_nested.keras'), { label: 'model.h5' });
  assert.equal(spec2.format, 'keras-v3');
});

test('options override the recorded version and backend', async () => {
  const spec = await importKerasModelAndWeights(new TextEncoder().encode(k2Config(['dense_1', 'dropout_1', 'dense_2'])), {
    weights: fx('raw_k2_weights.h5'),
    kerasVersion: '2.1.6',
    theano: true,
  });
  assert.equal(spec.kerasVersion.raw, '2.1.6');
  assert.equal(spec.backend, 'theano');
  const recorded = await importKerasModelAndWeights(new TextEncoder().encode(k2Config(['dense_1', 'dropout_1', 'dense_2'])), {
    weights: fx('raw_k2_weights.h5'),
  });
  // The weights file records keras_version 2.2.4 / tensorflow (root attributes of raw_k2_weights.h5).
  assert.equal(recorded.kerasVersion.raw, '2.2.4');
  assert.equal(recorded.backend, 'tensorflow');
});

test('a nested model layer whose stored kernel does not fit the config → WeightMismatchError naming it', async () => {
  const cfg = JSON.parse(readFileSync(fx('k3_nested.json'), 'utf8'));
  const edit = (o: unknown): void => {
    if (Array.isArray(o)) o.forEach(edit);
    else if (o && typeof o === 'object') {
      const r = o as Record<string, unknown>;
      const c = r.config as Record<string, unknown> | undefined;
      if (r.class_name === 'Dense' && c && c.name === 'sd2') c.units = 5;
      Object.values(r).forEach(edit);
    }
  };
  edit(cfg);
  await rejectsWith(
    importKerasModelAndWeights(new TextEncoder().encode(JSON.stringify(cfg)), { weights: fx('k3_nested.weights.h5'), label: 'edited.json' }),
    WeightMismatchError,
    'k3_nested.weights.h5',
    /sd2/,
  );
});

test('a weight store with a cyclic group structure is refused, not walked forever', async () => {
  const cfg = JSON.stringify({
    module: 'keras', class_name: 'Sequential',
    config: { name: 's', layers: [{ module: 'keras.layers', class_name: 'InputLayer', config: { name: 'i', batch_shape: [null, 2] } },
      { module: 'keras.layers', class_name: 'Dense', config: { name: 'd', units: 2 } }] },
  });
  await rejectsWith(
    importKerasModelAndWeights(new TextEncoder().encode(cfg), { weights: fx('raw_cycle.weights.h5') }),
    CorruptFileError,
    'raw_cycle.weights.h5',
    /cycle/,
  );
});

test('variables owned by the model object itself (subclassed style) are not silently dropped', async () => {
  await rejectsWith(readModelFile(fx('own_vars.h5')), UnsupportedFeatureError, 'own_vars.h5', /tiny\/scale/);
  await rejectsWith(importKerasModelAndWeights(fx('own_vars.json'), { weights: fx('own_vars.weights.h5') }), UnsupportedFeatureError, 'own_vars.weights.h5', /\/vars/);
});

test('HDF5 references to other files (external link, external storage) are not followed', async () => {
  const cfg = new TextEncoder().encode(JSON.stringify({
    class_name: 'Sequential', keras_version: '2.2.4',
    config: [{ class_name: 'Dense', config: { name: 'dense_1', units: 3, batch_input_shape: [null, 2] } }],
  }));
  for (const name of ['raw_extlink.h5', 'raw_extstore.h5']) {
    // Both point at raw_k2_weights.h5 next to them, which really has a dense_1 group: following the reference would succeed.
    await rejectsWith(importKerasModelAndWeights(cfg, { weights: fx(name) }), UnsupportedFeatureError, name, /another file/);
    await rejectsWith(importKerasModelAndWeights(cfg, { weights: bytes(name), label: name }), UnsupportedFeatureError, name, /another file/);
  }
});
