import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KerasImportError, UnsupportedLayerError } from '../src/errors.ts';

test('errors name the file, the layer and the remedy', () => {
  const e = new UnsupportedLayerError('Lambda layers hold Python code', {
    file: 'model.h5', layer: 'lambda_1', hint: 'registerLambdaLayer("lambda_1", fn)',
  });
  assert.ok(e instanceof KerasImportError);
  assert.equal(e.name, 'UnsupportedLayerError');
  assert.equal(e.layer, 'lambda_1');
  assert.match(e.message, /^model\.h5, layer 'lambda_1': Lambda layers hold Python code/);
  assert.match(e.message, /registerLambdaLayer/);
});

test('damaged model files (seeded bit flips in a Keras 3 .h5) only ever give typed errors, and never hang', async () => {
  const { readFileSync } = await import('node:fs');
  const { readModelFile } = await import('../src/import.ts');
  const good = readFileSync(new URL('./fixtures/runtime/nested.h5', import.meta.url));
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let rejected = 0;
  for (let i = 0; i < 120; i++) {
    const b = new Uint8Array(good);
    const flips = 1 + Math.floor(rnd() * 6);
    for (let k = 0; k < flips; k++) b[Math.floor(rnd() * b.length)] ^= 1 << Math.floor(rnd() * 8);
    try {
      await readModelFile(b, { label: `flipped-${i}.h5` });
    } catch (e) {
      rejected++;
      assert.ok(e instanceof KerasImportError, `case ${i}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      assert.match((e as Error).message, new RegExp(`flipped-${i}\\.h5`), 'the error names the file');
    }
  }
  assert.ok(rejected > 30, `only ${rejected} of 120 damaged files were rejected`);
});
