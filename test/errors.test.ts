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
