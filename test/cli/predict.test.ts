/**
 * `keras-import predict`: outputs equal Keras' own predictions (example CNN; Embedding model with
 * integer .npy ids and two outputs), on wasm and cpu, any batch size; wrong input count, shape or
 * dtype give an InvalidInputError naming the expected shape; the progress bar appears after 1 s.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { progressBar, runPredict } from '../../src/cli/predict.ts';
import { parseNpy, writeNpy } from '../../src/io/npy.ts';
import { InvalidInputError } from '../../src/errors.ts';
import { corpusDir, corpusPath } from '../helpers/corpus.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cnn = join(root, 'examples', 'small_cnn.keras');
const cnnIn = join(root, 'examples', 'small_cnn_input.npy');
const cnnOut = join(root, 'examples', 'small_cnn_keras_prediction.npy');
const emb = join(root, 'test', 'fixtures', 'layers', 'embedding');

const npy = (p: string) => parseNpy(new Uint8Array(readFileSync(p)), p);
function maxDiff(a: Float32Array | Int32Array, b: Float32Array | Int32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('keras-import predict', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ki-predict-'));
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

  // main() registers its commands on one commander program, so it runs once per process
  test('CLI writes Keras\' predictions as float32 output_0.npy (wasm)', async () => {
    const out = join(tmp, 'cnn-wasm');
    const code = await main(['node', 'keras-import', 'predict', cnn, '--input', cnnIn, '--out', out, '--backend', 'wasm']);
    assert.equal(code, 0);
    const got = npy(join(out, 'output_0.npy'));
    assert.equal(got.dtype, 'float32');
    const want = npy(cnnOut);
    assert.deepEqual(got.shape, want.shape);
    assert.ok(maxDiff(got.data, want.data) < 1e-4);
  });

  for (const backend of ['cpu']) {
    test(`runPredict writes Keras' predictions (${backend})`, async () => {
      const out = join(tmp, `cnn-${backend}`);
      await runPredict(cnn, { input: [cnnIn], out, backend });
      const got = npy(join(out, 'output_0.npy'));
      assert.equal(got.dtype, 'float32');
      const want = npy(cnnOut);
      assert.deepEqual(got.shape, want.shape);
      assert.ok(maxDiff(got.data, want.data) < 1e-4);
    });
  }

  test('integer .npy ids (Embedding), two inputs and two outputs, batch size 1', async () => {
    const out = join(tmp, 'emb');
    const written = await runPredict(join(emb, 'model.keras'), { input: [join(emb, 'input_0.npy'), join(emb, 'input_1.npy')], out, batchSize: '1', backend: 'cpu' });
    assert.deepEqual(written.map((p) => p.slice(out.length + 1)), ['output_0.npy', 'output_1.npy']);
    for (const i of [0, 1]) {
      const got = npy(join(out, `output_${i}.npy`));
      const want = npy(join(emb, `output_${i}.npy`));
      assert.deepEqual(got.shape, want.shape);
      assert.ok(maxDiff(got.data, want.data) < 1e-5, `output ${i}`);
    }
  });

  test('wrong number of inputs: InvalidInputError listing the expected inputs', async () => {
    await assert.rejects(runPredict(cnn, { input: [cnnIn, cnnIn], out: join(tmp, 'x'), backend: 'cpu' }),
      (e: unknown) => e instanceof InvalidInputError && /1 input\(s\), 2 given/.test((e as Error).message) && /\[N, 28, 28, 1\]/.test((e as Error).message));
  });

  test('wrong shape: InvalidInputError naming the expected shape', async () => {
    const bad = join(tmp, 'bad_shape.npy');
    writeFileSync(bad, writeNpy(new Float32Array(2 * 28 * 27), [2, 28, 27]));
    await assert.rejects(runPredict(cnn, { input: [bad], out: join(tmp, 'x'), backend: 'cpu' }),
      (e: unknown) => e instanceof InvalidInputError && /\[2, 28, 27\]/.test((e as Error).message) && /expects \[N, 28, 28, 1\]/.test((e as Error).message));
  });

  test('wrong dtype: float ids for an integer input are rejected', async () => {
    const bad = join(tmp, 'float_ids.npy');
    writeFileSync(bad, writeNpy(new Float32Array(3 * 5), [3, 5]));
    await assert.rejects(runPredict(join(emb, 'model.keras'), { input: [bad, join(emb, 'input_1.npy')], out: join(tmp, 'x'), backend: 'cpu' }),
      (e: unknown) => e instanceof InvalidInputError && /expects integers/.test((e as Error).message));
  });

  test('CLI reports input errors as a message and exit code 1', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'keras-import.js'), 'predict', cnn, '--input', cnnIn, '--input', cnnIn, '--out', join(tmp, 'y'), '--backend', 'cpu'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: small_cnn\.keras: the model has 1 input\(s\), 2 given/m);
    assert.doesNotMatch(r.stderr, /\bat \w+ \(/); // no stack trace
  });

  test('an input too small for a fully-convolutional model: InvalidInputError before any kernel runs', { skip: corpusDir ? false : 'no corpus' }, async () => {
    const small = join(tmp, 'small.npy');
    writeFileSync(small, writeNpy(new Float32Array(4 * 4 * 3), [1, 4, 4, 3]));
    await assert.rejects(runPredict(corpusPath('KonduitAI__dl4j-test-resources/src/main/resources/modelimport/keras/examples/12net.h5'), { input: [small], out: join(tmp, 'z'), backend: 'wasm' }),
      (e: unknown) => e instanceof InvalidInputError && /too small/.test((e as Error).message));
  });

  test('progress bar: silent for the first second, then samples done/total', async () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => { lines.push(s); return true; } } as unknown as NodeJS.WriteStream;
    const bar = progressBar(stream);
    bar.update(1, 10);
    assert.equal(lines.length, 0);
    await new Promise((r) => setTimeout(r, 1050));
    bar.update(10, 10);
    bar.finish();
    assert.equal(lines.length, 1);
    assert.match(lines[0], /10\/10 samples/);
  });
});
