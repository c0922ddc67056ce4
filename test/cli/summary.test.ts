/** `keras-import summary`: text and --json output, driven by a ModelSpec reader injected in place of the file reader. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { register, runSummary } from '../../src/cli/summary.ts';
import { modelSpec } from '../spec/shapes-k3spec.ts';

const fx = JSON.parse(readFileSync(new URL('../fixtures/shapes/keras3_layers.json', import.meta.url), 'utf8')) as {
  models: { case: string; model: Record<string, unknown>; totalParams: number; trainableParams: number; nonTrainableParams: number }[];
};
const branches = fx.models.find((m) => m.case === 'branches')!;

test('--json prints format, version, backend, totals (Keras-computed) and per-layer weights without values', async () => {
  let out = '';
  const seen: unknown[] = [];
  await runSummary('model.keras', { json: true, weights: 'w.h5' }, {
    read: async (p, o) => { seen.push(p, o); return modelSpec(branches.model, 'model.keras'); },
    write: (t) => { out += t; },
  });
  assert.deepEqual(seen, ['model.keras', { weights: 'w.h5' }]);
  const j = JSON.parse(out);
  assert.equal(j.format, 'keras-v3');
  assert.equal(j.kerasVersion, '3.15.1');
  assert.equal(j.backend, 'jax');
  assert.equal(j.modelClass, 'Functional');
  assert.equal(j.totalParams, branches.totalParams);
  assert.equal(j.trainableParams, branches.trainableParams);
  assert.equal(j.nonTrainableParams, branches.nonTrainableParams);
  assert.deepEqual(j.inputs, [{ name: 'seq', shape: [null, 12, 4] }, { name: 'vec', shape: [null, 6] }]);
  assert.deepEqual(j.outputs.map((o: { name: string }) => o.name), ['y1', 'y2']);
  const lstm = j.layers.find((l: { name: string }) => l.name === 'lstm');
  assert.equal(lstm.className, 'LSTM');
  assert.deepEqual(lstm.outputShape, [[null, 12, 5], [null, 5], [null, 5]]);
  assert.deepEqual(lstm.weights, [
    { name: 'kernel', shape: [4, 20], dtype: 'float32' },
    { name: 'recurrent_kernel', shape: [5, 20], dtype: 'float32' },
    { name: 'bias', shape: [20], dtype: 'float32' },
  ]);
  assert.ok(!out.includes('values'));
});

test('text output is the summary table', async () => {
  let out = '';
  await runSummary('m.keras', {}, { read: async () => modelSpec(branches.model), write: (t) => { out += t; } });
  assert.match(out, /^Model: "branches"/);
  assert.match(out, /Total params: 788/);
});

test('registers `summary <model>` with --weights and --json', () => {
  const program = new Command();
  register(program);
  const cmd = program.commands.find((c) => c.name() === 'summary');
  assert.ok(cmd);
  assert.deepEqual(cmd.options.map((o) => o.long).sort(), ['--json', '--weights']);
});
