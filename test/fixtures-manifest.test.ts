import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { layerCasePath, layerFixturesDir, listLayerCases, readLayerNpy, toleranceExcess } from './helpers/layer-fixtures.ts';

// The coverage the layer fixtures promise (issue 5): every class must be exercised by at least one case.
const REQUIRED_CLASSES = [
  'Sequential', 'Functional',
  'Dense', 'EinsumDense', 'Activation', 'Flatten', 'Reshape', 'Permute', 'RepeatVector', 'Masking', 'Identity',
  'ActivityRegularization', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise',
  'GaussianDropout', 'AlphaDropout',
  'Conv1D', 'Conv2D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose', 'SeparableConv1D',
  'SeparableConv2D', 'DepthwiseConv1D', 'DepthwiseConv2D',
  'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
  'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalMaxPooling3D', 'GlobalAveragePooling1D',
  'GlobalAveragePooling2D', 'GlobalAveragePooling3D',
  'ZeroPadding1D', 'ZeroPadding2D', 'ZeroPadding3D', 'Cropping1D', 'Cropping2D', 'Cropping3D', 'UpSampling1D',
  'UpSampling2D', 'UpSampling3D', 'Resizing', 'CenterCrop', 'Rescaling', 'Normalization',
  'BatchNormalization', 'LayerNormalization', 'GroupNormalization', 'UnitNormalization',
  'SimpleRNN', 'LSTM', 'GRU', 'ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D', 'Bidirectional', 'TimeDistributed',
  'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Dot',
  'Attention', 'AdditiveAttention', 'MultiHeadAttention',
  'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'Softmax', 'Embedding',
  'ops.Add', 'ops.Multiply', 'ops.Reshape', 'ops.Transpose', 'ops.Matmul', 'ops.Concatenate', 'ops.GetItem',
  'ops.Mean', 'ops.Exp', 'ops.Gelu',
];

// Every activation function Keras 3.15 accepts by name (swish/hard_swish are saved as silu/hard_silu).
const REQUIRED_ACTIVATIONS = [
  'relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'softsign', 'exponential', 'hard_sigmoid',
  'hard_silu', 'gelu', 'silu', 'mish', 'relu6', 'leaky_relu', 'log_softmax', 'linear', 'celu', 'glu',
  'sparse_plus', 'squareplus', 'tanh_shrink', 'soft_shrink', 'hard_shrink', 'hard_tanh', 'log_sigmoid',
  'sparse_sigmoid', 'sparsemax',
];

const cases = listLayerCases();
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (p: string, magic: number[]) => {
  const b = readFileSync(p);
  return magic.every((x, i) => b[i] === x);
};

test('manifest has uniquely named cases whose folders hold exactly the listed files', () => {
  assert.ok(cases.length >= 50, `only ${cases.length} cases`);
  assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
  const dirs = readdirSync(layerFixturesDir).filter((d) => statSync(join(layerFixturesDir, d)).isDirectory());
  assert.deepEqual(dirs.sort(), cases.map((c) => c.name).sort(), 'case folders and manifest disagree');
  for (const c of cases) {
    const listed = [c.files.keras, ...(c.files.h5 ? [c.files.h5] : []), ...c.inputs.map((i) => i.file), ...c.outputs.map((o) => o.file)];
    assert.deepEqual(readdirSync(join(layerFixturesDir, c.name)).sort(), listed.sort(), `files of ${c.name}`);
    assert.ok(startsWith(layerCasePath(c, c.files.keras), ZIP_MAGIC), `${c.name}: model.keras is not a zip`);
    if (c.files.h5) assert.ok(startsWith(layerCasePath(c, c.files.h5), HDF5_MAGIC), `${c.name}: model.h5 is not HDF5`);
    else assert.match(c.notes, /h5/i, `${c.name}: no .h5 and no note saying why`);
    assert.ok(c.inputs.length >= 1 && c.outputs.length >= 1, `${c.name}: needs inputs and outputs`);
    assert.ok(c.tolerance.atol > 0 && c.tolerance.rtol >= 0, `${c.name}: tolerance`);
  }
});

test('every npy file matches the manifest shape and dtype, and outputs are finite and non-trivial', () => {
  for (const c of cases) {
    for (const i of c.inputs) {
      const a = readLayerNpy(c, i.file);
      assert.deepEqual(a.shape, i.shape, `${c.name}/${i.file} shape`);
      assert.equal(a.dtype, i.dtype, `${c.name}/${i.file} dtype`);
      assert.ok(i.dtype === 'float32' || i.dtype === 'int32', `${c.name}/${i.file}: unexpected dtype ${i.dtype}`);
    }
    for (const o of c.outputs) {
      const a = readLayerNpy(c, o.file);
      assert.deepEqual(a.shape, o.shape, `${c.name}/${o.file} shape`);
      assert.equal(a.dtype, 'float32', `${c.name}/${o.file} dtype`);
      assert.ok(a.data.every(Number.isFinite), `${c.name}/${o.file} has non-finite values`);
      assert.ok(a.data.some((v) => v !== 0), `${c.name}/${o.file} is all zeros`);
    }
  }
});

test('every required Keras class and activation is exercised by some case', () => {
  const classes = new Set(cases.flatMap((c) => c.classes));
  const missing = REQUIRED_CLASSES.filter((k) => !classes.has(k));
  assert.deepEqual(missing, [], `classes without a fixture: ${missing.join(', ')}`);
  const acts = new Set(cases.flatMap((c) => c.activations));
  const missingActs = REQUIRED_ACTIVATIONS.filter((a) => !acts.has(a));
  assert.deepEqual(missingActs, [], `activations without a fixture: ${missingActs.join(', ')}`);
});

test('committed layer fixtures stay small', () => {
  let total = 0;
  for (const c of cases) for (const f of readdirSync(join(layerFixturesDir, c.name))) total += statSync(layerCasePath(c, f)).size;
  assert.ok(total < 15e6, `layer fixtures total ${(total / 1e6).toFixed(1)} MB`);
});

test('toleranceExcess compares against the case tolerance', () => {
  const c = cases[0];
  const want = readLayerNpy(c, c.outputs[0].file).data;
  assert.ok(toleranceExcess(c, want, want) <= 0);
  const off = Float32Array.from(want, (v, i) => (i === 0 ? v + 10 * (c.tolerance.atol + c.tolerance.rtol * Math.abs(v)) : v));
  assert.ok(toleranceExcess(c, off, want) > 0);
  const nan = Float32Array.from(want, (v, i) => (i === 0 ? Number.NaN : v));
  assert.ok(Number.isNaN(toleranceExcess(c, nan, want)));
  assert.ok(Number.isNaN(toleranceExcess(c, want.subarray(1), want)));
});
