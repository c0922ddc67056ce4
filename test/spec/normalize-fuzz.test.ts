/**
 * Damaged configs must only ever produce a typed KerasImportError (never a TypeError or stack trace):
 * seeded random mutations (deleted keys, wrong types, bogus references) of the Keras 3 fixtures and of
 * small Keras 1/2 configs, normalized under each era's rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalizeModelConfig, detectConfigMajor } from '../../src/spec/normalize.ts';
import { parseKerasVersion } from '../../src/spec/version.ts';
import { KerasImportError } from '../../src/errors.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'normalizer');

const k1 = { class_name: 'Sequential', config: [
  { class_name: 'Merge', config: { name: 'merge_1', mode: 'concat', concat_axis: -1, layers: [
    { class_name: 'Sequential', config: [{ class_name: 'Dense', config: { name: 'a', output_dim: 2, batch_input_shape: [null, 3], init: 'uniform' } }] },
    { class_name: 'Sequential', config: [{ class_name: 'Convolution1D', config: { name: 'b', nb_filter: 2, filter_length: 3, batch_input_shape: [null, 5, 3] } }, { class_name: 'Flatten', config: { name: 'f' } }] },
  ] } },
  { class_name: 'LSTM', config: { name: 'l', output_dim: 2, consume_less: 'gpu', forget_bias_init: 'one' } },
  { class_name: 'Bidirectional', config: { name: 'bi', layer: { class_name: 'GRU', config: { name: 'g', output_dim: 2 } } } },
] };
const k2 = { class_name: 'Model', config: { name: 'm', layers: [
  { class_name: 'InputLayer', name: 'i', config: { batch_input_shape: [null, 4], name: 'i' }, inbound_nodes: [] },
  { class_name: 'Sequential', name: 's', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'sd', units: 4, batch_input_shape: [null, 4] } }] }, inbound_nodes: [[['i', 0, 0, {}]], [['s', 1, 0, {}]]] },
  { class_name: 'TFOpLambda', name: 'op', config: { name: 'op', function: 'concat' }, inbound_nodes: [[['s', 2, 0, { axis: -1 }], ['_CONSTANT_VALUE', -1, [1], {}]]] },
  { class_name: 'Custom', name: 'c', config: { name: 'c' }, inbound_nodes: [[['op', 0, 0, { memory: ['s', 1, 0] }]]] },
], input_layers: { i: ['i', 0, 0] }, output_layers: [['c', 0, 0]] } };

function paths(v: unknown, p: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(p);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...p, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...p, k], out);
  return out;
}

test('seeded mutations only ever raise typed errors', () => {
  const bases: unknown[] = [k1, k2, ...readdirSync(dir).filter((f) => f.endsWith('.config.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')))];
  let seed = 20240611;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const junk = [null, 0, -1, 7, 'x', '', [], {}, [[]], [null], { class_name: 'Dense' }, ['ghost', 0, 0], true, 1.5, ['a', 'b', 'c'], { class_name: '__keras_tensor__', config: {} }];
  let ok = 0;
  let typed = 0;
  for (let iter = 0; iter < 1500; iter++) {
    const cfg = structuredClone(bases[iter % bases.length]) as Record<string, unknown>;
    const ps = paths(cfg);
    for (let m = 0; m < 1 + Math.floor(rnd() * 3); m++) {
      const p = ps[Math.floor(rnd() * ps.length)];
      if (p.length === 0) continue;
      let parent: any = cfg;
      for (const k of p.slice(0, -1)) parent = parent?.[k];
      if (parent === null || typeof parent !== 'object') continue;
      const k = p[p.length - 1];
      if (rnd() < 0.3) {
        if (Array.isArray(parent)) parent.splice(k as number, 1);
        else delete parent[k];
      } else parent[k] = structuredClone(junk[Math.floor(rnd() * junk.length)]);
    }
    for (const v of ['1.2.2', '2.2.4', '2.4.0', '3.5.0']) {
      try {
        detectConfigMajor(cfg);
        normalizeModelConfig(cfg, { source: 'fuzz.json', format: 'json', kerasVersion: parseKerasVersion(v), backend: null });
        ok++;
      } catch (e) {
        assert.ok(e instanceof KerasImportError, `untyped error for mutation ${iter} (${v}): ${(e as Error).stack}`);
        assert.match((e as Error).message, /fuzz\.json/);
        typed++;
      }
    }
  }
  // both outcomes must actually occur, or the mutations test nothing
  assert.ok(ok > 500 && typed > 500, JSON.stringify({ ok, typed }));
});
