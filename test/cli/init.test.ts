import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { runInit } from '../../src/cli/init.ts';
import { readModelFile } from '../../src/import.ts';
import { InvalidInputError, UnsupportedInitializerError } from '../../src/errors.ts';
import { corpusDir, corpusPath, SKIP_NO_CORPUS } from '../helpers/corpus.ts';

const fx = (n: string) => new URL(`../fixtures/initializers/${n}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ki-init-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const quiet = () => {};

interface Read { layerNames: string[]; layers: Record<string, { name: string; shape: number[]; values: Float32Array }[]>; attrs: Record<string, unknown> }
async function readBack(path: string): Promise<Read> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'r');
  try {
    const layerNames = f.attrs['layer_names'].value as string[];
    const layers: Read['layers'] = {};
    for (const n of layerNames) {
      const g = f.get(n) as InstanceType<typeof h5wasm.Group>;
      const wn = (g.attrs['weight_names']?.value as string[] | undefined) ?? [];
      layers[n] = wn.map((w) => {
        const d = g.get(w) as InstanceType<typeof h5wasm.Dataset>;
        return { name: w, shape: d.shape as number[], values: Float32Array.from(d.value as Float32Array) };
      });
    }
    return { layerNames, layers, attrs: { keras_version: f.attrs['keras_version'].value, backend: f.attrs['backend'].value } };
  } finally { f.close(); }
}

test('init writes the legacy save_weights layout Keras itself writes for the model (layers, order, shapes)', async () => {
  const out = join(dir, 'w.h5');
  await runInit(fx('init_model.json'), { out, seed: '1' }, { read: readModelFile, write: quiet });
  const ours = await readBack(out);
  const keras = JSON.parse(readFileSync(fx('init_model_keras_layout.json'), 'utf8')) as { layer_names: string[]; layers: Record<string, { name: string; shape: number[] }[]> };
  // Keras' loader matches the layers that have weights, in order, and their weights in order
  const weighted = (names: string[], get: (n: string) => { shape: number[] }[]) => names.filter((n) => get(n).length).map((n) => [n, get(n).map((w) => w.shape)]);
  assert.deepEqual(weighted(ours.layerNames, (n) => ours.layers[n]), weighted(keras.layer_names, (n) => keras.layers[n]));
  assert.match(String(ours.attrs.keras_version), /^3\./); // to_json() records no version: the reader infers Keras 3
});

test('init draws each weight with the layer\'s initializer (checked on the written file)', async () => {
  const out = join(dir, 'w2.h5');
  await runInit(fx('init_model.json'), { out, seed: '5' }, { read: readModelFile, write: quiet });
  const { layers } = await readBack(out);
  const bias = layers.bi[2].values; // forward LSTM bias, units 6: forget slice ones
  assert.deepEqual(Array.from(bias.subarray(6, 12)), [1, 1, 1, 1, 1, 1]);
  assert.ok(bias.subarray(0, 6).every((x) => x === 0) && bias.subarray(12).every((x) => x === 0));
  const rk = layers.bi[1].values; // (6, 24), Orthogonal(gain=1.5): rows orthogonal with norm² 2.25
  for (let p = 0; p < 6; p++) for (let q = 0; q < 6; q++) {
    let s = 0; for (let j = 0; j < 24; j++) s += rk[p * 24 + j] * rk[q * 24 + j];
    assert.ok(Math.abs(s - (p === q ? 2.25 : 0)) < 1e-5);
  }
  assert.ok(layers.d1[1].values.every((x) => Math.abs(x - 0.1) < 1e-7), 'Constant(0.1) bias');
  assert.ok(layers.bn[0].values.every((x) => x === 1) && layers.bn[3].values.every((x) => x === 1));
  assert.ok(layers.emb[0].values.every((x) => Math.abs(x) <= 0.05));
  const conv = layers.conv[0].values; // lecun_uniform on (3,3,3,4): limit sqrt(3/27)
  assert.ok(conv.every((x) => Math.abs(x) <= Math.sqrt(3 / 27)));
  const d1 = layers.d1[0].values; // he_normal (5,16): |w| ≤ 2·sqrt(2/5)/0.8796
  assert.ok(d1.every((x) => Math.abs(x) <= (2 * Math.sqrt(2 / 5)) / 0.87962566103423978 + 1e-6));
});

test('init is deterministic by seed', async () => {
  const a = join(dir, 'a.h5'), b = join(dir, 'b.h5'), c = join(dir, 'c.h5');
  await runInit(fx('init_model.json'), { out: a, seed: '7' }, { read: readModelFile, write: quiet });
  await runInit(fx('init_model.json'), { out: b, seed: '7' }, { read: readModelFile, write: quiet });
  await runInit(fx('init_model.json'), { out: c, seed: '8' }, { read: readModelFile, write: quiet });
  const [ra, rb, rc] = [await readBack(a), await readBack(b), await readBack(c)];
  assert.deepEqual(ra.layers.out[0].values, rb.layers.out[0].values);
  assert.notDeepEqual(ra.layers.out[0].values, rc.layers.out[0].values);
});

test('init refuses custom initializers unless a fallback is requested, and bad options', async (t) => {
  await assert.rejects(runInit(fx('init_model.json'), { out: join(dir, 'x.h5'), seed: 'abc' }, { read: readModelFile, write: quiet }), InvalidInputError);
  await assert.rejects(runInit(fx('init_model.json'), { out: join(dir, 'x.h5'), fallback: 'NOPE' }, { read: readModelFile, write: quiet }), InvalidInputError);
  // the same model with a Python-function initializer, as Keras 3 serializes one
  const cfg = readFileSync(fx('init_model.json'), 'utf8');
  const custom = cfg.replace(/"kernel_initializer": \{"module": "keras.initializers", "class_name": "HeNormal"[^}]*\}[^}]*\}/,
    '"kernel_initializer": {"module": "builtins", "class_name": "function", "config": "my_init", "registered_name": "function"}');
  assert.notEqual(custom, cfg, 'fixture edit applied');
  const { writeFileSync } = await import('node:fs');
  const path = join(dir, 'custom.json');
  writeFileSync(path, custom);
  await assert.rejects(runInit(path, { out: join(dir, 'q.h5') }, { read: readModelFile, write: quiet }), (e: Error) => {
    assert.ok(e instanceof UnsupportedInitializerError);
    assert.match(e.message, /layer 'd1'/);
    assert.match(e.message, /my_init/);
    return true;
  });
  let printed = '';
  await runInit(path, { out: join(dir, 'q.h5'), fallback: 'RELU' }, { read: readModelFile, write: (s) => { printed += s; } });
  assert.match(printed, /approximation: d1\.kernel_initializer: .*my_init.*RELU substituted/);
  void t;
});

test('init on real corpus architectures of Keras 1, 2 and tf.keras', async (t) => {
  if (!corpusDir) { t.skip(SKIP_NO_CORPUS); return; }
  const cases = [
    'KonduitAI__dl4j-test-resources/src/main/resources/modelimport/keras/examples/imdb_lstm/imdb_lstm_tf_keras_1_config.json',
    'KonduitAI__dl4j-test-resources/src/main/resources/modelimport/keras/configs/keras1/cnn_th_config.json',
    'KonduitAI__dl4j-test-resources/src/main/resources/modelimport/keras/configs/bidirectional_last_timeStep.json',
  ];
  const { existsSync } = await import('node:fs');
  for (const rel of cases) {
    const p = corpusPath(rel);
    if (!existsSync(p)) { t.diagnostic(`missing ${rel}`); continue; }
    const out = join(dir, 'corpus.h5');
    let printed = '';
    const layers = await runInit(p, { out, seed: '1' }, { read: readModelFile, write: (s) => { printed += s; } });
    const back = await readBack(out);
    const n = layers.reduce((a, l) => a + l.weights.length, 0);
    assert.ok(n > 0, rel);
    assert.equal(Object.values(back.layers).reduce((a, l) => a + l.length, 0), n);
    assert.match(printed, /initialized/);
  }
});
