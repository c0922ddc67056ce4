/**
 * Keras 3 configs written by real Keras 3.15.1 (test/fixtures/normalizer/gen_k3.py): the `.keras` config.json
 * and the legacy-h5 `model_config` hybrid. The expected graph facts were read back from the models Keras
 * itself rebuilt from those files, so they are an independent oracle for node indices and offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectConfigMajor, normalizeModelConfig } from '../../src/spec/normalize.ts';
import { parseKerasJson } from '../../src/spec/json.ts';
import { parseKerasVersion } from '../../src/spec/version.ts';
import type { LayerSpec, ModelFormat, ModelSpec, TensorRef } from '../../src/spec/types.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'normalizer');

interface Expected {
  keras_version: string;
  layers: { name: string; class_name: string; nodes: [string, number, number][][] }[];
  inputs: [string, number, number][];
  outputs: [string, number, number][];
}

function load(name: string, format: ModelFormat): { spec: ModelSpec; exp: Expected; raw: any } {
  const raw = parseKerasJson(readFileSync(join(dir, `${name}.config.json`), 'utf8'), `${name}.config.json`) as any;
  const exp = JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8')) as Expected;
  assert.equal(detectConfigMajor(raw), 3, `${name}: config style is Keras 3`);
  const spec = normalizeModelConfig(raw, { source: name, format, kerasVersion: parseKerasVersion(exp.keras_version), backend: 'jax' });
  return { spec, exp, raw };
}

const triple = (r: TensorRef): [string, number, number] => [r.layer, r.node, r.tensor];

function checkGraph(spec: ModelSpec, exp: Expected): void {
  const by = new Map(spec.layers.map((l) => [l.name, l]));
  assert.deepEqual(new Set(spec.layers.map((l) => l.name)), new Set(exp.layers.map((l) => l.name)));
  for (const e of exp.layers) {
    const l = by.get(e.name)!;
    if (e.class_name === 'InputLayer') {
      assert.equal(l.className, 'InputLayer');
      assert.deepEqual(l.inboundNodes, []);
      continue;
    }
    assert.equal(l.inboundNodes.length, e.nodes.length, `${e.name}: number of calls`);
    e.nodes.forEach((n, i) => assert.deepEqual(l.inboundNodes[i].inputs.map(triple), n, `${e.name} call ${i}`));
  }
  assert.deepEqual(spec.inputs.map(triple), exp.inputs);
  assert.deepEqual(spec.outputs.map(triple), exp.outputs);
}

for (const [name, format] of [['k3_graph.keras', 'keras-v3'], ['k3_graph_noops.h5', 'legacy-h5']] as const) {
  test(`${name}: graph matches what Keras rebuilt (nested offsets, shared calls, dict inputs)`, () => {
    const { spec, exp } = load(name, format);
    assert.equal(spec.modelClass, 'Functional');
    checkGraph(spec, exp);
    assert.deepEqual(spec.inputNames, ['a', 'b', 's']);
    const by = new Map(spec.layers.map((l) => [l.name, l]));
    // nested models carry their own graph
    const inner = by.get('inner')!.innerModel!;
    assert.equal(inner.modelClass, 'Functional');
    assert.deepEqual(inner.layers.map((l) => l.name), ['inner_in', 'inner_dense']);
    assert.deepEqual(inner.outputs, [{ layer: 'inner_dense', node: 0, tensor: 0 }]);
    const seq = by.get('seq')!.innerModel!;
    assert.equal(seq.modelClass, 'Sequential');
    assert.equal(seq.layers[0].className, 'InputLayer');
    assert.deepEqual(seq.layers[0].config.batch_input_shape, [null, 4]);
    assert.equal(seq.layers[1].name, 'seq_dense');
    // mixed precision policy unwrapped
    const half = by.get('half')!;
    assert.equal(half.config.dtype, 'float32');
    assert.equal(half.config.dtype_policy, 'mixed_float16');
    assert.equal(by.get('shared')!.config.dtype, 'float32');
    assert.ok(!('dtype_policy' in by.get('shared')!.config));
    // wrappers
    const bidi = by.get('bidi')!;
    assert.deepEqual(bidi.innerLayers!.map((l) => [l.name, l.className, l.config.go_backwards]), [
      ['forward_lstm', 'LSTM', false],
      ['backward_lstm', 'LSTM', true],
    ]);
    assert.equal(bidi.innerLayers![0].config.units, 3);
    assert.deepEqual(by.get('td')!.innerLayers!.map((l) => [l.name, l.className]), [['td_dense', 'Dense']]);
    // initializers are left as found (Keras 3 objects)
    const init = by.get('shared')!.config.kernel_initializer as Record<string, unknown>;
    assert.equal(init.class_name, 'GlorotUniform');
    assert.equal(init.module, 'keras.initializers');
    // InputLayer batch_shape → batch_input_shape
    assert.deepEqual(by.get('s')!.config.batch_input_shape, [null, 5, 2]);
    assert.ok(!('batch_shape' in by.get('s')!.config));
  });
}

test('k3_graph.keras: ops keep their module and structured args (slices, axis)', () => {
  const { spec } = load('k3_graph.keras', 'keras-v3');
  const by = new Map(spec.layers.map((l) => [l.name, l]));
  const addOp = by.get('add')!;
  const addLayer = by.get('add_layer')!;
  assert.equal(addOp.className, 'Add');
  assert.equal(addLayer.className, 'Add');
  assert.equal(addOp.module, 'keras.src.ops.numpy');
  assert.equal(addLayer.module, 'keras.layers');
  // ops.add(y1, y2): two positional tensors, not one list
  assert.deepEqual(addOp.inboundNodes[0].args.map((a) => a.kind), ['tensor', 'tensor']);
  // Add layer: one list argument
  assert.equal(addLayer.inboundNodes[0].args.length, 1);
  assert.equal(addLayer.inboundNodes[0].args[0].kind, 'list');
  // x[:, 1:3]: the key is kept as constants with the __slice__ objects
  const gi = by.get('get_item')!;
  assert.equal(gi.inboundNodes[0].args[0].kind, 'tensor');
  const key = gi.inboundNodes[0].args[1];
  assert.equal(key.kind, 'const');
  assert.deepEqual((key as { value: unknown }).value, [
    { class_name: '__slice__', config: { start: null, stop: null, step: null } },
    { class_name: '__slice__', config: { start: 1, stop: 3, step: null } },
  ]);
  const cat = by.get('concatenate')!;
  assert.equal(cat.module, 'keras.src.ops.numpy');
  assert.equal(cat.inboundNodes[0].args[0].kind, 'list');
});

for (const [name, format] of [['k3_sequential.keras', 'keras-v3'], ['k3_sequential.h5', 'legacy-h5']] as const) {
  test(`${name}: Sequential keeps its InputLayer and chains calls`, () => {
    const { spec, exp } = load(name, format);
    assert.equal(spec.modelClass, 'Sequential');
    assert.deepEqual(spec.layers.map((l) => [l.name, l.className]), [['seq_input', 'InputLayer'], ...exp.layers.filter((l) => l.class_name !== 'InputLayer').map((l) => [l.name, l.class_name])]);
    assert.deepEqual(spec.inputs.map(triple), exp.inputs);
    assert.deepEqual(spec.outputs.map(triple), exp.outputs);
    assert.deepEqual(spec.layers[0].config.batch_input_shape, [null, 6]);
    assert.deepEqual(spec.layers[2].inboundNodes[0].inputs, [{ layer: 'd1', node: 0, tensor: 0 }]);
    assert.equal(spec.layers[2].config.rate, 0.5);
  });
}

for (const [name, format] of [['k3_nested_seq.keras', 'keras-v3'], ['k3_nested_seq.h5', 'legacy-h5']] as const) {
  test(`${name}: Sequential of nested Functional and Sequential`, () => {
    const { spec, exp } = load(name, format);
    assert.deepEqual(spec.layers.map((l) => [l.name, l.className]), [['top_in', 'InputLayer'], ['inner', 'Functional'], ['sub', 'Sequential']]);
    assert.ok(spec.layers[1].innerModel && spec.layers[2].innerModel);
    assert.deepEqual(spec.layers[2].inboundNodes[0].inputs, [{ layer: 'inner', node: 0, tensor: 0 }]);
    assert.deepEqual(spec.inputs.map(triple), exp.inputs);
    assert.deepEqual(spec.outputs.map(triple), exp.outputs);
    assert.equal(spec.layers[2].innerModel!.layers.at(-1)!.name, 'sub_dense');
  });
}

test('k3_multi.keras: multi-output layer tensor indices, nested two-output Functional, dict outputs in Keras order', () => {
  const { spec, exp } = load('k3_multi.keras', 'keras-v3');
  checkGraph(spec, exp);
  assert.equal(spec.inputNames, undefined);
});

test('k3_deferred_seq.keras: Sequential built with build() has the InputLayer Keras created', () => {
  const { spec, exp, raw } = load('k3_deferred_seq.keras', 'keras-v3');
  const inputName = raw.config.layers[0].config.name;
  assert.deepEqual(spec.layers.map((l) => [l.name, l.className]), [[inputName, 'InputLayer'], ['d1', 'Dense'], ['d2', 'Dense']]);
  assert.deepEqual(spec.inputs.map(triple), exp.inputs);
  assert.deepEqual(spec.outputs.map(triple), exp.outputs);
  assert.deepEqual(spec.layers[0].config.batch_input_shape, [null, 5]);
});

test('k3_graph_ops.h5: ops written into a Keras 3 .h5 (no module) are told apart from layers', () => {
  const raw = parseKerasJson(readFileSync(join(dir, 'k3_graph_ops.h5.config.json'), 'utf8'), 'k3_graph_ops.h5') as any;
  assert.ok(raw.config.layers.every((l: Record<string, unknown>) => !('module' in l)), 'fixture has no module keys');
  const spec = normalizeModelConfig(raw, { source: 'k3_graph_ops.h5', format: 'legacy-h5', kerasVersion: parseKerasVersion('3.15.1'), backend: 'jax' });
  const mod = Object.fromEntries(spec.layers.map((l) => [l.name, l.module]));
  assert.deepEqual([mod.add_1, mod.get_item_1, mod.concatenate_1], ['keras.src.ops', 'keras.src.ops', 'keras.src.ops']);
  for (const n of ['a', 's', 'shared', 'inner', 'seq', 'add_layer', 'td', 'half', 'bidi', 'flat', 'out_cat']) assert.equal(mod[n], null, n);
  const by = new Map(spec.layers.map((l) => [l.name, l]));
  assert.deepEqual(by.get('add_1')!.inboundNodes[0].inputs.map(triple), [['seq', 0, 0], ['seq', 1, 0]]);
  assert.deepEqual(by.get('concatenate_1')!.inboundNodes[0].inputs.map(triple), [['get_item_1', 0, 0], ['seq', 0, 0]]);
  assert.deepEqual(spec.outputs.map(triple), [['out_cat', 0, 0], ['inner', 1, 0]]);
});

test('module/registered_name of Keras 3 layers are kept on the LayerSpec', () => {
  const { spec } = load('k3_graph.keras', 'keras-v3');
  const l = spec.layers.find((x) => x.name === 'shared') as LayerSpec;
  assert.equal(l.module, 'keras.layers');
  assert.equal(l.registeredName, null);
});
