/**
 * Winograd (src/kernels/winograd.ts, its default tile choice, and F(2×2, 3×3) forced) vs tfjs'
 * FusedConv2D (XNNPACK) on the wasm backend,
 * on the 3×3 stride-1 convolutions of mlcommons/tiny ResNet8 (batch 32) plus a few other shapes,
 * each with bias + relu as in the model. A, B and C are interleaved (rotating order); each run times
 * `reps` calls; best and median ms per call over the runs, the peer ratio (XNNPACK time / ours) and
 * the default's gain over F(2×2) (F(2×2) time / default's).
 *
 * Run: `npm run bench -- conv`, or `node --import tsx bench/conv.ts [--runs N] [--reps N]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/runtime/backend.ts';
import { winogradConv2d, winogradTileFor } from '../src/kernels/winograd.ts';

const SHAPES: { name: string; x: [number, number, number, number]; k: number; padding: 'same' | 'valid' }[] = [
  { name: 'resnet8 conv 32×32×16→16', x: [32, 32, 32, 16], k: 16, padding: 'same' },
  { name: 'resnet8 conv 16×16×32→32', x: [32, 16, 16, 32], k: 32, padding: 'same' },
  { name: 'resnet8 conv 8×8×64→64', x: [32, 8, 8, 64], k: 64, padding: 'same' },
  { name: 'batch 1 56×56×64→64', x: [1, 56, 56, 64], k: 64, padding: 'same' },
  { name: 'batch 8 28×28×128→128', x: [8, 28, 28, 128], k: 128, padding: 'same' },
  { name: 'batch 32 32×32×8→16', x: [32, 32, 32, 8], k: 16, padding: 'same' },
  { name: 'batch 32 32×32×3→16 (first conv)', x: [32, 32, 32, 3], k: 16, padding: 'same' },
];

const median = (a: number[]) => { const s = [...a].sort((p, q) => p - q); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

export async function run(): Promise<void> {
  const argv = process.argv;
  const runs = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 7;
  const reps = argv.includes('--reps') ? Number(argv[argv.indexOf('--reps') + 1]) : 10;
  await useBackend('wasm');
  console.log(`wasm backend, single thread; ${runs} interleaved runs × ${reps} calls; ms per call, best (median)`);
  const rows = [['shape', 'xnnpack fused.conv2d', 'winograd F(2×2)', 'winograd (tile)', 'vs xnnpack best (median)', 'vs F(2×2)', 'max |Δ| / max |y|']];
  for (const s of SHAPES) {
    const [n, h, w, c] = s.x;
    const x = tf.randomUniform(s.x, -1, 1, 'float32', 1) as tf.Tensor4D;
    const f = tf.randomNormal([3, 3, c, s.k], 0, Math.sqrt(2 / (9 * c)), 'float32', 2) as tf.Tensor4D;
    const b = tf.randomUniform([s.k], -0.1, 0.1, 'float32', 3) as tf.Tensor1D;
    const A = () => tf.fused.conv2d({ x, filter: f, strides: 1, pad: s.padding, bias: b, activation: 'relu' });
    const B = () => winogradConv2d(x, f, { padding: s.padding, bias: b, activation: 'relu' });
    const C = () => winogradConv2d(x, f, { padding: s.padding, bias: b, activation: 'relu', tile: 2 });
    const tile = s.padding === 'same' ? winogradTileFor(h, w, c) : winogradTileFor(h - 2, w - 2, c);
    // agreement, and warm-up (first calls compile and allocate)
    const ya = A(), yb = B();
    const err = tf.max(tf.abs(tf.sub(ya, yb))).dataSync()[0] / tf.max(tf.abs(ya)).dataSync()[0];
    tf.dispose([ya, yb]);
    for (let i = 0; i < 3; i++) { A().dispose(); B().dispose(); C().dispose(); }
    const ta: number[] = [], tb: number[] = [], tc: number[] = [];
    const time = (fn: () => tf.Tensor) => { const t0 = performance.now(); for (let i = 0; i < reps; i++) fn().dispose(); return (performance.now() - t0) / reps; };
    for (let r = 0; r < runs; r++) {
      const order: [() => tf.Tensor, number[]][] = [[A, ta], [B, tb], [C, tc]];
      for (let i = 0; i < 3; i++) { const [fn, t] = order[(r + i) % 3]; t.push(time(fn)); }
    }
    const bestA = Math.min(...ta), bestB = Math.min(...tb), bestC = Math.min(...tc);
    const ms = (t: number[]) => `${Math.min(...t).toFixed(2)} (${median(t).toFixed(2)})`;
    rows.push([`${s.name} [${n},${h},${w},${c}]`, ms(ta), ms(tc), `${ms(tb)} F(${tile}×${tile})`,
      `${(bestA / bestB).toFixed(2)}× (${(median(ta) / median(tb)).toFixed(2)}×)`,
      `${(bestC / bestB).toFixed(2)}× (${(median(tc) / median(tb)).toFixed(2)}×)`, err.toExponential(1)]);
    tf.dispose([x, f, b]);
  }
  const wd = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((v, i) => v.padEnd(wd[i])).join('  '));
}

const isMain = process.argv[1] && /bench[\\/]conv\.ts$/.test(process.argv[1]);
if (isMain) await run();
