/**
 * Winograd F(2×2, 3×3) and F(4×4, 3×3) on the wasm backend against a float64 direct convolution written here (and
 * against tfjs' own conv2d), over odd sizes, channel counts that are not multiples of 4 or 8, batch
 * 1, 'same'/'valid', bias and relu, and tile counts that span several blocks and images.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/runtime/backend.ts';
import { canUseWinograd, winogradConv2d, winogradTileFor, winogradUnsupportedReason } from '../../src/kernels/winograd.ts';
import { WINOGRAD_SOURCE_SHA256, WINOGRAD_WASM_BASE64 } from '../../src/kernels/winograd-wasm.ts';
import { createRandom, type RandomSource } from '../../src/initializers/random.ts';

function randoms(rng: RandomSource, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

/** Direct 3×3 stride-1 convolution in float64, NHWC × HWIO, zero padding top/left = pad. */
function reference(x: Float32Array, [n, h, w, c]: number[], g: Float32Array, k: number, pad: 0 | 1, bias: Float32Array | null, relu: boolean) {
  const oh = pad ? h : h - 2, ow = pad ? w : w - 2;
  const y = new Float64Array(n * oh * ow * k);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let o = 0; o < k; o++) {
    let s = bias ? bias[o] : 0;
    for (let di = 0; di < 3; di++) for (let dj = 0; dj < 3; dj++) {
      const r = i + di - pad, q = j + dj - pad;
      if (r < 0 || r >= h || q < 0 || q >= w) continue;
      const xo = ((b * h + r) * w + q) * c, go = (di * 3 + dj) * c * k + o;
      for (let ci = 0; ci < c; ci++) s += x[xo + ci] * g[go + ci * k];
    }
    y[((b * oh + i) * ow + j) * k + o] = relu ? Math.max(0, s) : s;
  }
  return { y, shape: [n, oh, ow, k] };
}

// [N, H, W, C], K, padding, bias, relu
const CASES: [number[], number, 'same' | 'valid', boolean, boolean][] = [
  [[1, 5, 5, 1], 1, 'same', false, false],
  [[1, 1, 1, 2], 3, 'same', true, false],
  [[1, 3, 3, 4], 8, 'valid', false, false],
  [[2, 7, 9, 3], 5, 'valid', true, true],
  [[1, 2, 7, 6], 7, 'same', false, true],
  [[1, 15, 3, 4], 4, 'valid', true, false],
  [[3, 6, 4, 8], 16, 'same', true, false],
  [[2, 11, 13, 13], 10, 'same', true, true],
  [[1, 4, 5, 17], 9, 'valid', false, false],
  [[3, 20, 18, 5], 12, 'same', true, true], // 270 tiles: several blocks, blocks spanning images
  [[2, 8, 8, 64], 64, 'same', true, true],
  [[1, 9, 10, 33], 31, 'valid', true, false],
  [[1, 6, 7, 128], 8, 'same', true, false], // the most channels the default gives F(4×4)
];

describe('winogradConv2d on wasm', () => {
  for (const [shape, k, padding, hasBias, relu] of CASES) for (const tile of [2, 4] as const) {
    test(`F(${tile}×${tile}) ${shape.join('×')} → ${k}, ${padding}${hasBias ? ', bias' : ''}${relu ? ', relu' : ''}`, async () => {
      await useBackend('wasm');
      const rng = createRandom(shape.reduce((a, b) => a * 31 + b, k));
      const c = shape[3];
      const xs = randoms(rng, shape.reduce((a, b) => a * b, 1), -1, 1);
      const gs = randoms(rng, 9 * c * k, -1, 1);
      const bs = hasBias ? randoms(rng, k, -1, 1) : null;
      const x = tf.tensor4d(xs, shape as [number, number, number, number]);
      const g = tf.tensor4d(gs, [3, 3, c, k]);
      const b = bs ? tf.tensor1d(bs) : undefined;
      assert.ok(canUseWinograd(x.shape, g.shape, { padding }));
      const before = tf.memory().numTensors;
      const y = winogradConv2d(x, g, { padding, bias: b, activation: relu ? 'relu' : 'linear', tile });
      assert.equal(tf.memory().numTensors, before + 1);
      const ref = reference(xs, shape, gs, k, padding === 'same' ? 1 : 0, bs, relu);
      assert.deepEqual(y.shape, ref.shape);
      const got = y.dataSync();
      const scale = ref.y.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref.y[i]));
      assert.ok(worst <= 1e-5 * scale, `max |Δ| ${worst} vs output scale ${scale}`);
      // and tfjs' own convolution (XNNPACK) agrees to the same bound
      const tfy = tf.fused.conv2d({ x, filter: g, strides: 1, pad: padding, bias: b, activation: relu ? 'relu' : 'linear' });
      assert.ok(tf.max(tf.abs(tf.sub(tfy, y))).dataSync()[0] <= 1e-5 * scale);
      tf.dispose([x, g, y, tfy, ...(b ? [b] : [])]);
    });
  }

  test('F(4×4) is chosen where it multiplies at most 0.8× what F(2×2) does, up to 128 input channels', () => {
    // 36 per 4×4 tile vs 16 per 2×2 tile, edges counted as whole tiles
    assert.equal(winogradTileFor(32, 32, 64), 4); // 64·36 vs 256·16
    assert.equal(winogradTileFor(8, 8, 64), 4); // 4·36 vs 16·16
    assert.equal(winogradTileFor(4, 4, 64), 4); // 36 vs 64
    assert.equal(winogradTileFor(5, 5, 64), 2); // 4·36 = 144 vs 9·16 = 144
    assert.equal(winogradTileFor(2, 2, 64), 2); // 36 vs 16
    assert.equal(winogradTileFor(1, 9, 64), 2); // 3·36 = 108 vs 5·16 = 80
    assert.equal(winogradTileFor(32, 32, 128), 4);
    assert.equal(winogradTileFor(32, 32, 129), 2); // F(4×4)'s rounding error grows with C
  });

  test('still correct after the backend memory grows between calls', async () => {
    await useBackend('wasm');
    const rng = createRandom(5);
    const xs = randoms(rng, 2 * 6 * 6 * 5, -1, 1), gs = randoms(rng, 9 * 5 * 6, -1, 1);
    const x = tf.tensor4d(xs, [2, 6, 6, 5]), g = tf.tensor4d(gs, [3, 3, 5, 6]);
    const y1 = winogradConv2d(x, g, { padding: 'same' });
    const big = tf.fill([48 * 1024 * 1024], 1); // 192 MB: forces memory.grow
    const y2 = winogradConv2d(x, g, { padding: 'same' });
    assert.deepEqual(y2.dataSync(), y1.dataSync());
    const ref = reference(xs, [2, 6, 6, 5], gs, 6, 1, null, false);
    const got = y2.dataSync();
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - ref.y[i]) < 1e-5 * 10);
    tf.dispose([x, g, y1, y2, big]);
  });

  test('refuses what it cannot compute, saying why', async () => {
    await useBackend('wasm');
    const ok = { padding: 'same' };
    assert.equal(winogradUnsupportedReason([1, 8, 8, 4], [3, 3, 4, 8], ok), null);
    assert.match(winogradUnsupportedReason([1, 8, 8, 4], [5, 5, 4, 8], ok)!, /not 3×3/);
    assert.match(winogradUnsupportedReason([1, 8, 8, 4], [3, 3, 4, 8], { padding: 'same', strides: [2, 2] })!, /strides/);
    assert.match(winogradUnsupportedReason([1, 8, 8, 4], [3, 3, 4, 8], { padding: 'same', dilations: 2 })!, /dilations/);
    assert.match(winogradUnsupportedReason([1, 8, 8, 4], [3, 3, 4, 8], { padding: 'causal' })!, /padding/);
    assert.match(winogradUnsupportedReason([1, 8, 8, 4], [3, 3, 4, 8], { padding: 'same', dtype: 'int32' })!, /float32/);
    assert.match(winogradUnsupportedReason([1, 8, 8, 4], [3, 3, 5, 8], ok)!, /input channels/);
    assert.match(winogradUnsupportedReason([1, 2, 8, 4], [3, 3, 4, 8], { padding: 'valid' })!, /smaller/);
    const x = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D, g = tf.zeros([3, 3, 2, 2]) as tf.Tensor4D;
    assert.throws(() => winogradConv2d(x, g, { padding: 'same', bias: tf.zeros([3]) as tf.Tensor1D }), /bias/);
    assert.throws(() => winogradConv2d(x, g, { padding: 'same', activation: 'elu' as never }), /activation/);
    await useBackend('cpu');
    assert.equal(canUseWinograd([1, 8, 8, 4], [3, 3, 4, 8], ok), false);
    assert.throws(() => winogradConv2d(x, g, { padding: 'same' }), /not wasm/);
    tf.dispose([x, g]);
    await useBackend('wasm');
  });

  test('the embedded binary is built from the committed C source and owns no memory', () => {
    const src = readFileSync(new URL('../../src/kernels/winograd.c', import.meta.url));
    assert.equal(createHash('sha256').update(src).digest('hex'), WINOGRAD_SOURCE_SHA256, 'run scripts/build-winograd.sh');
    const bytes = Uint8Array.from(atob(WINOGRAD_WASM_BASE64), (ch) => ch.charCodeAt(0));
    const mod = new WebAssembly.Module(bytes);
    assert.deepEqual(WebAssembly.Module.imports(mod), [{ module: 'env', name: 'memory', kind: 'memory' }]);
    // section ids: no data (11) or data count (12) section, i.e. nothing written into tfjs' heap at instantiation
    const ids: number[] = [];
    for (let p = 8; p < bytes.length;) {
      ids.push(bytes[p++]);
      let len = 0, shift = 0, b: number;
      do { b = bytes[p++]; len |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
      p += len;
    }
    assert.ok(!ids.includes(11) && !ids.includes(12), `sections ${ids}`);
  });
});
