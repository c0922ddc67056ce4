/**
 * Predict benchmark on three corpus models: mlcommons/tiny ResNet8, a two-layer LSTM (DL4J
 * fullconfigs, Theano-trained Keras 2) and the DL4J MNIST MLP.
 *
 * For each: time from file to ready model (cold = first import in the process, warm = again),
 * predict throughput of the imported model vs the same architecture written by hand with the
 * tfjs-layers API (same weights, same backend; A/B runs interleaved, best of several), their
 * output agreement, and the process' peak RSS. PyTorch CPU comparison when `python3 -c 'import torch'` works.
 *
 * Run: `npm run bench -- predict`, or `node --import tsx bench/predict.ts [--backend cpu]`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { input, layers, model as tfModel, type LayersModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { importModel } from '../src/model/index.ts';
import { useBackend } from '../src/runtime/backend.ts';
import { corpusDir } from '../test/helpers/corpus.ts';

interface BenchModel {
  name: string;
  file: string;
  weights?: string;
  batch: number;
  /** Per-sample input shape. */
  shape: number[];
  /** The same architecture, written directly with tfjs-layers. */
  direct(): LayersModel;
}

/* ------------------------------------------------------------------ hand-written tfjs-layers models */

export function resnet8(): LayersModel {
  const x = input({ shape: [32, 32, 3], name: 'input_1' });
  let n = 0, b = 0, a = 0;
  const conv = (t: SymbolicTensor, f: number, k: number, s: number) => layers.conv2d({ filters: f, kernelSize: k, strides: s, padding: 'same', name: n === 0 ? 'conv2d' : `conv2d_${n}`, kernelInitializer: 'zeros' }).apply(t) as SymbolicTensor & { __n?: number };
  const nextConv = (t: SymbolicTensor, f: number, k: number, s: number) => { const y = conv(t, f, k, s); n++; return y; };
  const bn = (t: SymbolicTensor) => { const y = layers.batchNormalization({ axis: 3, epsilon: 0.001, name: b === 0 ? 'batch_normalization' : `batch_normalization_${b}` }).apply(t) as SymbolicTensor; b++; return y; };
  const relu = (t: SymbolicTensor) => { const y = layers.activation({ activation: 'relu', name: a === 0 ? 'activation' : `activation_${a}` }).apply(t) as SymbolicTensor; a++; return y; };
  // stack 1
  let h = relu(bn(nextConv(x, 16, 3, 1)));
  let y = relu(bn(nextConv(h, 16, 3, 1)));
  y = bn(nextConv(y, 16, 3, 1));
  h = relu(layers.add({ name: 'add' }).apply([h, y]) as SymbolicTensor);
  // stack 2 (Keras creates conv2d_4 before the shortcut conv2d_5)
  y = relu(bn(nextConv(h, 32, 3, 2)));
  y = nextConv(y, 32, 3, 1);
  let sc = nextConv(h, 32, 1, 2);
  y = bn(y);
  h = relu(layers.add({ name: 'add_1' }).apply([sc, y]) as SymbolicTensor);
  // stack 3
  y = relu(bn(nextConv(h, 64, 3, 2)));
  y = nextConv(y, 64, 3, 1);
  sc = nextConv(h, 64, 1, 2);
  y = bn(y);
  h = relu(layers.add({ name: 'add_2' }).apply([sc, y]) as SymbolicTensor);
  h = layers.averagePooling2d({ poolSize: 8, name: 'average_pooling2d' }).apply(h) as SymbolicTensor;
  h = layers.flatten({ name: 'flatten' }).apply(h) as SymbolicTensor;
  const out = layers.dense({ units: 10, activation: 'softmax', name: 'dense' }).apply(h) as SymbolicTensor;
  return tfModel({ inputs: x, outputs: out });
}

function lstm2(): LayersModel {
  const x = input({ shape: [4, 12], name: 'lstm_1_input' });
  let h = layers.lstm({ units: 96, returnSequences: true, recurrentActivation: 'hardSigmoid', name: 'lstm_1', implementation: 2, kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } as never).apply(x) as SymbolicTensor;
  h = layers.lstm({ units: 96, recurrentActivation: 'hardSigmoid', name: 'lstm_2', implementation: 2, kernelInitializer: 'zeros', recurrentInitializer: 'zeros' } as never).apply(h) as SymbolicTensor;
  const out = layers.dense({ units: 1, activation: 'sigmoid', name: 'dense_1' }).apply(h) as SymbolicTensor;
  return tfModel({ inputs: x, outputs: out });
}

function mlp(): LayersModel {
  const x = input({ shape: [784], name: 'dense_1_input' });
  let h = layers.dense({ units: 512, activation: 'relu', name: 'dense_1' }).apply(x) as SymbolicTensor;
  h = layers.dropout({ rate: 0.2, name: 'dropout_1' }).apply(h) as SymbolicTensor;
  h = layers.dense({ units: 512, activation: 'relu', name: 'dense_2' }).apply(h) as SymbolicTensor;
  h = layers.dropout({ rate: 0.2, name: 'dropout_2' }).apply(h) as SymbolicTensor;
  const out = layers.dense({ units: 10, activation: 'softmax', name: 'dense_3' }).apply(h) as SymbolicTensor;
  return tfModel({ inputs: x, outputs: out });
}

function models(root: string): BenchModel[] {
  const dl4j = join(root, 'KonduitAI__dl4j-test-resources/src/main/resources/modelimport/keras');
  return [
    { name: 'ResNet8 (mlcommons/tiny)', file: join(root, 'mlcommons__tiny/benchmark/training/image_classification/trained_models/pretrainedResnet.h5'), batch: 32, shape: [32, 32, 3], direct: resnet8 },
    { name: 'LSTM 2×96 (DL4J fullconfigs)', file: join(dl4j, 'fullconfigs/lstm/lstm_th_keras_2_config.json'), weights: join(dl4j, 'fullconfigs/lstm/lstm_th_keras_2_weights.h5'), batch: 64, shape: [4, 12], direct: lstm2 },
    { name: 'MNIST MLP (DL4J, Keras 2)', file: join(dl4j, 'examples/mnist_mlp/mnist_mlp_tf_keras_2_config.json'), weights: join(root, 'dl4j__dl4j-test-resources-history/src/main/resources/modelimport/keras/examples/mnist_mlp/mnist_mlp_tf_keras_2_weights.h5'), batch: 128, shape: [784], direct: mlp },
  ];
}

/* ------------------------------------------------------------------ measurement */

function copyWeights(from: LayersModel, to: LayersModel): void {
  for (const l of to.layers) {
    if (!l.weights.length) continue;
    l.setWeights(from.getLayer(l.name).getWeights());
  }
}

/** Samples per second of `m.predict` on `x`, median of `reps` timed runs of `iters` calls. */
function timeOnce(m: LayersModel, x: tf.Tensor, iters: number): number {
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) {
    const y = m.predict(x) as tf.Tensor;
    y.dataSync();
    y.dispose();
  }
  return (iters * x.shape[0]) / ((performance.now() - t0) / 1000);
}

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const fmt = (v: number, d = 1) => v.toFixed(d);

export async function run(): Promise<void> {
  const argv = process.argv;
  const backend = argv.includes('--backend') ? argv[argv.indexOf('--backend') + 1] : 'wasm';
  if (!corpusDir) {
    console.log('predict bench: shared corpus not found (set KERAS_CORPUS); skipped');
    return;
  }
  await useBackend(backend);
  const torch = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  console.log(`backend ${backend}; wasm threads: ${backend === 'wasm' ? '1 (Node runs the single-threaded SIMD build)' : 'n/a'}`);
  console.log(torch ? 'PyTorch found (comparison below)' : "PyTorch CPU: not importable here (python3 -c 'import torch' fails) — that ratio is skipped");
  const rows: string[][] = [['model', 'file→ready cold ms', 'warm ms', 'imported samples/s', 'tfjs-layers samples/s', 'ratio', 'A/A noise', 'max |Δ|', 'peak RSS MB']];
  let first = true;
  for (const bm of models(corpusDir)) {
    if (!existsSync(bm.file)) { console.log(`${bm.name}: file missing, skipped`); continue; }
    let t = performance.now();
    const m = await importModel(bm.file, { weights: bm.weights, compile: false, onWarning: () => {} });
    const cold = performance.now() - t;
    t = performance.now();
    const m2 = await importModel(bm.file, { weights: bm.weights, compile: false, onWarning: () => {} });
    const warm = performance.now() - t;
    m2.dispose();
    const d = bm.direct();
    copyWeights(m, d);
    // a second, identical hand-written model: its ratio to the first is the noise floor of this machine
    const d2 = bm.direct();
    copyWeights(m, d2);
    const x = tf.randomUniform([bm.batch, ...bm.shape], 0, 1, 'float32', 7);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(m.predict(x) as tf.Tensor, d.predict(x) as tf.Tensor))).dataSync()[0]);
    // warm-up and calibration (~0.25 s per timed run), then many short A/B runs in ABBA order: the
    // machine is shared, so keep the best throughput of each and the median of per-round ratios
    timeOnce(m, x, 2); timeOnce(d, x, 2); timeOnce(d2, x, 2);
    const rate = timeOnce(m, x, 2);
    const iters = Math.max(1, Math.round((0.2 * rate) / bm.batch));
    let bestA = 0, bestB = 0, bestC = 0;
    const ratios: number[] = [];
    const order = [[m, d, d2], [d, d2, m], [d2, m, d]] as const;
    for (let r = 0; r < 12; r++) {
      const t = new Map<LayersModel, number>();
      for (const mm of order[r % 3]) t.set(mm, timeOnce(mm, x, iters));
      bestA = Math.max(bestA, t.get(m)!); bestB = Math.max(bestB, t.get(d)!); bestC = Math.max(bestC, t.get(d2)!);
      ratios.push(t.get(m)! / t.get(d)!);
    }
    ratios.sort((p, q) => p - q);
    const median = (ratios[5] + ratios[6]) / 2;
    rows.push([bm.name, fmt(cold, 0) + (first ? ' (incl. h5wasm/wasm start)' : ''), fmt(warm, 0), fmt(bestA), fmt(bestB), `${fmt(bestA / bestB, 3)} (median ${fmt(median, 3)})`, fmt(bestC / bestB, 3), diff.toExponential(1), fmt(peakRssMb(), 0)]);
    d2.dispose();
    first = false;
    tf.dispose(x);
    m.dispose();
    d.dispose();
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(w[i])).join('  '));
  console.log('ratio = imported / hand-written tfjs-layers throughput, best of 12 interleaved runs each (median of per-run ratios in brackets); target ≥ 0.98');
  console.log('A/A noise = a second, identical hand-written model / the first: how far apart two identical models measure on this machine');
  console.log(`load average while measuring: ${(await import('node:os')).loadavg().map((v) => v.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
