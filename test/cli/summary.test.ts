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

/** Runs `summary` through commander with the real reader, capturing its output; errors go through main's reporter. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { reportError } = await import('../../src/cli/main.ts');
  let out = '', err = '';
  const program = new Command().exitOverride();
  register(program, { write: (t) => { out += t; } });
  let code = 0;
  try { await program.parseAsync(['node', 'keras-import', 'summary', ...args]); } catch (x) {
    // stderr only (the test reporter writes to stdout)
    const e = process.stderr.write.bind(process.stderr);
    (process.stderr as { write: unknown }).write = (c: string | Uint8Array) => { err += String(c); return true; };
    try { code = reportError(x, false); } finally { process.stderr.write = e; }
  }
  return { code, out, err };
}

test('end to end through the real reader: .keras and legacy .h5 of a nested Keras 3 model', async () => {
  const dir = new URL('../fixtures/layers/sequential_in_functional/', import.meta.url);
  const k = JSON.parse((await cli([new URL('model.keras', dir).pathname, '--json'])).out);
  const h = JSON.parse((await cli([new URL('model.h5', dir).pathname, '--json'])).out);
  assert.equal(k.format, 'keras-v3');
  assert.equal(h.format, 'legacy-h5');
  assert.equal(k.kerasVersion, '3.15.1');
  assert.equal(h.backend, 'jax'); // .keras metadata.json records no backend; the legacy .h5 root does
  // Keras' predictions for this fixture have shapes (2, 3) and (2, 3) (test/fixtures/layers/manifest.json)
  assert.deepEqual(k.outputs.map((o: { shape: unknown }) => o.shape), [[null, 3], [null, 3]]);
  assert.equal(k.totalParams, h.totalParams);
  assert.ok(k.totalParams > 0);
  const text = await cli([new URL('model.h5', dir).pathname]);
  assert.equal(text.code, 0);
  assert.match(text.out, new RegExp(`Total params: ${k.totalParams.toLocaleString('en-US')}`));
});

test('a missing file is a typed error with exit code 1, not a crash', async () => {
  const r = await cli(['/nonexistent/model.h5']);
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: /);
  assert.doesNotMatch(r.err, /internal error/);
});
