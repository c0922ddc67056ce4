/**
 * Conv2D on wasm: 3×3 stride-1 inference with ≥ 8 input channels goes through the Winograd kernel
 * (checked in the kernel profile), every other case through tfjs; all must equal tfjs' cpu conv2d
 * (with the activation applied after it) up to float32 rounding.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { KerasConv2D } from '../../src/layers/conv.ts';
import { useBackend } from '../../src/runtime/backend.ts';
import { createRandom } from '../../src/initializers/random.ts';

type Case = { name: string; shape: number[]; filters: number; kernel: number; strides: number; padding: 'same' | 'valid'; activation: string; useBias: boolean; winograd: boolean };
const CASES: Case[] = [
  { name: 'relu, same, bias', shape: [2, 9, 9, 16], filters: 12, kernel: 3, strides: 1, padding: 'same', activation: 'relu', useBias: true, winograd: true },
  { name: 'linear, valid, no bias', shape: [1, 7, 10, 8], filters: 5, kernel: 3, strides: 1, padding: 'valid', activation: 'linear', useBias: false, winograd: true },
  { name: 'tanh after the kernel', shape: [3, 6, 5, 9], filters: 7, kernel: 3, strides: 1, padding: 'same', activation: 'tanh', useBias: true, winograd: true },
  { name: '3 input channels, 8×8 output: F(4×4) Winograd', shape: [2, 8, 8, 3], filters: 4, kernel: 3, strides: 1, padding: 'same', activation: 'relu', useBias: true, winograd: true },
  { name: '3 input channels, 2×2 output (F(2×2) would be chosen): tfjs', shape: [2, 2, 2, 3], filters: 4, kernel: 3, strides: 1, padding: 'same', activation: 'relu', useBias: true, winograd: false },
  { name: 'stride 2: tfjs', shape: [2, 8, 8, 16], filters: 4, kernel: 3, strides: 2, padding: 'same', activation: 'relu', useBias: true, winograd: false },
  { name: '5×5: tfjs', shape: [2, 8, 8, 16], filters: 4, kernel: 5, strides: 1, padding: 'same', activation: 'linear', useBias: true, winograd: false },
];

async function kernelsOf(f: () => tf.Tensor): Promise<string[]> {
  const info = await tf.profile(() => { const y = f(); y.dataSync(); return y; });
  return info.kernels.map((k) => k.name);
}

describe('Conv2D on wasm', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      await useBackend('wasm');
      const rng = createRandom(c.shape.reduce((a, b) => a * 7 + b, c.filters));
      const inC = c.shape[3];
      const xs = Float32Array.from({ length: c.shape.reduce((a, b) => a * b, 1) }, () => rng.uniform() * 2 - 1);
      const ks = Float32Array.from({ length: c.kernel * c.kernel * inC * c.filters }, () => rng.uniform() - 0.5);
      const bs = Float32Array.from({ length: c.filters }, () => rng.uniform() - 0.5);
      const layer = new KerasConv2D({ filters: c.filters, kernelSize: c.kernel, strides: c.strides, padding: c.padding, activation: c.activation, useBias: c.useBias });
      const x = tf.tensor4d(xs, c.shape as [number, number, number, number]);
      layer.apply(x);
      layer.setWeights(c.useBias ? [tf.tensor4d(ks, [c.kernel, c.kernel, inC, c.filters]), tf.tensor1d(bs)] : [tf.tensor4d(ks, [c.kernel, c.kernel, inC, c.filters])]);
      const names = await kernelsOf(() => layer.apply(x) as tf.Tensor);
      assert.equal(names.includes('KerasImportWinogradConv2D'), c.winograd, `kernels: ${names.join(', ')}`);
      const trainNames = await kernelsOf(() => layer.apply(x, { training: true }) as tf.Tensor);
      assert.ok(!trainNames.includes('KerasImportWinogradConv2D'), 'training runs tfjs\' differentiable conv');
      const got = (layer.apply(x) as tf.Tensor).dataSync().slice();

      await useBackend('cpu');
      let want = tf.conv2d(tf.tensor4d(xs, c.shape as [number, number, number, number]), tf.tensor4d(ks, [c.kernel, c.kernel, inC, c.filters]), c.strides, c.padding);
      if (c.useBias) want = tf.add(want, tf.tensor1d(bs));
      if (c.activation === 'relu') want = tf.relu(want);
      if (c.activation === 'tanh') want = tf.tanh(want);
      const w = want.dataSync();
      assert.equal(got.length, w.length);
      let worst = 0, scale = 0;
      for (let i = 0; i < w.length; i++) { worst = Math.max(worst, Math.abs(got[i] - w[i])); scale = Math.max(scale, Math.abs(w[i])); }
      assert.ok(worst <= 1e-5 * Math.max(1, scale), `max |Δ| ${worst} (scale ${scale})`);
      await useBackend('wasm');
    });
  }
});

test('Conv2D under a gradient tape without training=true (custom loops) runs tfjs\' differentiable conv', async () => {
  await useBackend('wasm');
  const layer = new KerasConv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', useBias: true, kernelInitializer: 'glorotUniform' });
  const x = tf.randomUniform([2, 6, 6, 8], -1, 1, 'float32', 3);
  layer.apply(x);
  const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const orig = engine.runKernel;
  const seen: string[] = [];
  engine.runKernel = function (name: string, ...rest: unknown[]) { seen.push(name); return orig.call(this, name, ...rest); };
  try {
    const { grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar);
    const g = Object.entries(grads).find(([k]) => /kernel/.test(k));
    assert.ok(g && tf.max(tf.abs(g[1])).dataSync()[0] > 0, 'the kernel gets a non-zero gradient');
  } finally {
    engine.runKernel = orig;
  }
  assert.ok(seen.includes('Conv2D'), `kernels: ${seen.join(', ')}`);
  assert.ok(!seen.includes('KerasImportWinogradConv2D'));
});
