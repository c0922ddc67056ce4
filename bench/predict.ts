/**
 * Predict benchmark on three corpus models: mlcommons/tiny ResNet8, a two-layer LSTM (DL4J
 * fullconfigs, Theano-trained Keras 2) and the DL4J MNIST MLP; and two Keras 3 models committed
 * under bench/models (make_models.py): a two-layer GRU (reset_after=True) and a multi-head
 * self-attention block. tfjs-layers can express neither (its GRU only has reset_after=False, and
 * it exports no MultiHeadAttention), so those two have no hand-written baseline: the A/A pair is
 * two imports of the same file instead, and the imported-vs-hand-written ratio is reported as n/a.
 *
 * For each: time from file to ready model (cold = first import in the process, warm = again),
 * predict throughput of the imported model vs the same architecture written by hand with the
 * tfjs-layers API (same weights, same backend; A/B runs interleaved, best of several), their
 * output agreement, and the process' peak RSS. Then the same architecture in PyTorch on CPU
 * (bench/torch_peer.py) with the weights the importer loaded, same batch and input, checked to
 * give the same outputs, 1 and 2 threads (tfjs-wasm in Node is single-threaded): the issue's
 * target is imported tfjs ≥ 0.5× PyTorch. Skipped with a message when no Python has torch.
 *
 * Run: `npm run bench -- predict`, or `node --import tsx bench/predict.ts [--backend cpu] [--batch N] [--only resnet]`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { input, layers, model as tfModel, type LayersModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { importModel } from '../src/model/index.ts';
import { writeNpy } from '../src/io/npy.ts';
import { useBackend } from '../src/runtime/backend.ts';
import { corpusDir } from '../test/helpers/corpus.ts';

interface BenchModel {
  name: string;
  file: string;
  weights?: string;
  /** Which module of bench/torch_peer.py is the same architecture. */
  kind: 'resnet8' | 'lstm2' | 'mlp' | 'gru2' | 'attn';
  batch: number;
  /** Per-sample input shape. */
  shape: number[];
  /** The same architecture, written directly with tfjs-layers; a string says why tfjs-layers cannot. */
  direct: (() => LayersModel) | string;
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

const here = dirname(fileURLToPath(import.meta.url));

function models(root: string | undefined): BenchModel[] {
  const own: BenchModel[] = [
    { name: 'GRU 2×64 (Keras 3, reset_after)', file: join(here, 'models', 'gru2.keras'), kind: 'gru2', batch: 64, shape: [50, 32],
      direct: 'tfjs-layers GRU supports only reset_after=False (resetAfter: true throws), Keras 3 defaults to True' },
    { name: 'MHA 4×16 + LN (Keras 3)', file: join(here, 'models', 'attn.keras'), kind: 'attn', batch: 64, shape: [32, 64],
      direct: 'tfjs-layers exports no MultiHeadAttention layer' },
  ];
  if (!root) return own;
  const dl4j = join(root, 'KonduitAI__dl4j-test-resources/src/main/resources/modelimport/keras');
  return [
    { name: 'ResNet8 (mlcommons/tiny)', file: join(root, 'mlcommons__tiny/benchmark/training/image_classification/trained_models/pretrainedResnet.h5'), kind: 'resnet8', batch: 32, shape: [32, 32, 3], direct: resnet8 },
    { name: 'LSTM 2×96 (DL4J fullconfigs)', file: join(dl4j, 'fullconfigs/lstm/lstm_th_keras_2_config.json'), weights: join(dl4j, 'fullconfigs/lstm/lstm_th_keras_2_weights.h5'), kind: 'lstm2', batch: 64, shape: [4, 12], direct: lstm2 },
    { name: 'MNIST MLP (DL4J, Keras 2)', file: join(dl4j, 'examples/mnist_mlp/mnist_mlp_tf_keras_2_config.json'), weights: join(root, 'dl4j__dl4j-test-resources-history/src/main/resources/modelimport/keras/examples/mnist_mlp/mnist_mlp_tf_keras_2_weights.h5'), kind: 'mlp', batch: 128, shape: [784], direct: mlp },
    ...own,
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

/* ------------------------------------------------------------------ PyTorch peer */

const dataDir = join(here, '..', '.bench-data', 'torch');

/**
 * Pythons with torch + numpy: Debian's python3-torch (the reference) first, then a pip
 * torch venv. Both are measured when both exist: Debian's build links the reference (netlib)
 * BLAS, so its Linear / matmul is far slower than a pip (MKL) build's, while its convolutions
 * use oneDNN in both.
 */
function findTorchPythons(): string[] {
  const found: string[] = [];
  for (const py of ['/usr/bin/python3', '/tmp/tv/bin/python']) {
    if (spawnSync(py, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0) found.push(py);
  }
  if (!found.length && spawnSync('python3', ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0) found.push('python3');
  return found;
}


/** Writes the imported model's weights, the input and its tfjs output as .npy for torch_peer.py. */
function exportForTorch(bm: BenchModel, m: LayersModel, x: tf.Tensor): string {
  const dir = join(dataDir, bm.kind);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const npy = (file: string, t: tf.Tensor) => writeFileSync(join(dir, file), writeNpy(t.dataSync() as Float32Array, t.shape));
  const weights: Record<string, string[]> = {};
  for (const l of m.layers) {
    const ws = l.getWeights();
    if (!ws.length) continue;
    weights[l.name] = ws.map((w, i) => { const f = `${l.name}.${i}.npy`; npy(f, w); return f; });
  }
  npy('x.npy', x);
  const y = m.predict(x) as tf.Tensor;
  npy('y.npy', y);
  y.dispose();
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ kind: bm.kind, batch: bm.batch, weights, threads: [1, 2], reps: 12 }));
  return dir;
}

/** A torch_peer.py --serve process: one timed torch run per call, to interleave with tfjs runs. */
interface TorchServer {
  py: string;
  header: { torch: string; maxdiff: number; iters: number };
  /** [samples per wall second, samples per CPU second] of one timed run. */
  time(threads: number): Promise<[number, number]>;
  close(): void;
}

async function startTorchServer(py: string, dir: string): Promise<TorchServer> {
  const child = spawn(py, [join(here, 'torch_peer.py'), dir, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(`torch_peer.py (${py}) ended early:\n${stderr}`);
    return r.value as string;
  };
  const header = JSON.parse(await next()) as TorchServer['header'];
  return {
    py,
    header,
    async time(threads: number) { child.stdin.write(`${threads} ${header.iters}\n`); const [w, c] = (await next()).split(' ').map(Number); return [w, c]; },
    close() { child.stdin.end(); },
  };
}


const median = (v: number[]) => { const s = [...v].sort((p, q) => p - q); const k = s.length >> 1; return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2; };

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const fmt = (v: number, d = 1) => v.toFixed(d);

export async function run(): Promise<void> {
  const argv = process.argv;
  const backend = argv.includes('--backend') ? argv[argv.indexOf('--backend') + 1] : 'wasm';
  // --batch N: one batch size for every model (tfjs and torch alike); --only TEXT: models whose name contains TEXT
  const batchArg = argv.includes('--batch') ? Number(argv[argv.indexOf('--batch') + 1]) : undefined;
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].toLowerCase() : '';
  if (!corpusDir) console.log('predict bench: shared corpus not found (set KERAS_CORPUS); the corpus models are skipped, the bench/models ones run');
  await useBackend(backend);
  const pys = findTorchPythons();
  console.log(`backend ${backend}; wasm threads: ${backend === 'wasm' ? '1 (Node runs the single-threaded SIMD build)' : 'n/a'}`);
  console.log(pys.length ? `PyTorch: ${pys.join(', ')} (comparison below)` : 'PyTorch CPU: no Python with torch + numpy (tried /usr/bin/python3, /tmp/tv/bin/python, python3) — the torch ratio is skipped');
  const torchRows: string[][] = [['model', 'torch', 'batch', 'tfjs samples/s best (median)', 'torch 1 thr best (median)', 'torch 2 thr best (median)', 'tfjs / torch-1', 'tfjs / torch-2', 'tfjs / torch-1 per CPU-s', 'max |torch−tfjs|']];
  const rows: string[][] = [['model', 'file→ready cold ms', 'warm ms', '1st predict ms', 'steady ms/batch', 'imported samples/s', 'tfjs-layers samples/s', 'ratio', 'A/A noise', 'max |Δ|', 'peak RSS MB']];
  let first = true;
  const noBaseline: string[] = [];
  for (const bm of models(corpusDir ?? undefined)) {
    if (only && !bm.name.toLowerCase().includes(only)) continue;
    if (batchArg && Number.isInteger(batchArg) && batchArg > 0) bm.batch = batchArg;
    if (!existsSync(bm.file)) { console.log(`${bm.name}: file missing, skipped`); continue; }
    let t = performance.now();
    const m = await importModel(bm.file, { weights: bm.weights, compile: false, onWarning: () => {} });
    const cold = performance.now() - t;
    t = performance.now();
    const m2 = await importModel(bm.file, { weights: bm.weights, compile: false, onWarning: () => {} });
    const warm = performance.now() - t;
    const x = tf.randomUniform([bm.batch, ...bm.shape], 0, 1, 'float32', 7);
    // first predict of a fresh model (kernel set-up, weight upload) vs the steady state measured below
    t = performance.now();
    tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync());
    const firstPredict = performance.now() - t;
    const build = bm.direct;
    // without a hand-written baseline, a second import of the same file stands in for it (so the
    // "ratio" is an A/A figure and is not reported as one) and for the A/A pair
    const d = typeof build === 'string' ? m2 : build();
    if (typeof build === 'string') noBaseline.push(`${bm.name}: ${build}`); else copyWeights(m, d);
    // a second, identical hand-written model: its ratio to the first is the noise floor of this machine
    const d2 = typeof build === 'string' ? m : build();
    if (typeof build !== 'string') { copyWeights(m, d2); m2.dispose(); }
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(m.predict(x) as tf.Tensor, d.predict(x) as tf.Tensor))).dataSync()[0]);
    // warm-up and calibration (~0.25 s per timed run), then many short A/B runs in ABBA order: the
    // machine is shared, so keep the best throughput of each and the median of per-round ratios
    timeOnce(m, x, 2); timeOnce(d, x, 2); timeOnce(d2, x, 2);
    const rate = timeOnce(m, x, 2);
    const iters = Math.max(1, Math.round((0.2 * rate) / bm.batch));
    let bestA = 0, bestB = 0, bestC = 0;
    const ratios: number[] = [];
    const order = d2 === m ? [[m, d], [d, m]] : [[m, d, d2], [d, d2, m], [d2, m, d]];
    for (let r = 0; r < 12; r++) {
      const t = new Map<LayersModel, number>();
      for (const mm of order[r % order.length]) t.set(mm, timeOnce(mm, x, iters));
      bestA = Math.max(bestA, t.get(m)!); bestB = Math.max(bestB, t.get(d)!); bestC = Math.max(bestC, t.get(d2)!);
      ratios.push(t.get(m)! / t.get(d)!);
    }
    const steady = (1000 * bm.batch) / bestA;
    const base = typeof build === 'string'
      ? ['n/a (no tfjs-layers equivalent)', 'n/a', `${fmt(bestB / bestA, 3)} (2nd import / 1st)`, `${diff.toExponential(1)} (2 imports)`]
      : [fmt(bestB), `${fmt(bestA / bestB, 3)} (median ${fmt(median(ratios), 3)})`, fmt(bestC / bestB, 3), diff.toExponential(1)];
    rows.push([bm.name, fmt(cold, 0) + (first ? ' (incl. h5wasm/wasm start)' : ''), fmt(warm, 0), fmt(firstPredict, 0), fmt(steady, 2), fmt(bestA), ...base, fmt(peakRssMb(), 0)]);
    if (d2 !== m) d2.dispose();
    if (pys.length) {
      const dir = exportForTorch(bm, m, x);
      const servers = await Promise.all(pys.map((py) => startTorchServer(py, dir)));
      // one round = one tfjs run and one run of each torch at 1 and 2 threads, in rotating order;
      // per-round ratios cancel most of the shared machine's drifting load
      type Slot = { key: string; go: () => Promise<[number, number]> };
      const slots: Slot[] = [{ key: 'tfjs', go: async () => {
        const c0 = process.cpuUsage();
        const w = timeOnce(m, x, iters);
        const c = process.cpuUsage(c0);
        return [w, (iters * bm.batch) / ((c.user + c.system) / 1e6)];
      } }];
      for (const s of servers) for (const n of [1, 2]) slots.push({ key: `${s.py}:${n}`, go: () => s.time(n) });
      const runs = new Map<string, number[]>(slots.map((s) => [s.key, []]));
      const cpu = new Map<string, number[]>(slots.map((s) => [s.key, []]));
      const rounds = 12;
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < slots.length; i++) {
          const s = slots[(i + r) % slots.length];
          const [w, c] = await s.go();
          runs.get(s.key)!.push(w);
          cpu.get(s.key)!.push(c);
        }
      }
      for (const s of servers) s.close();
      const T = runs.get('tfjs')!;
      const both = (v: number[]) => `${fmt(Math.max(...v))} (${fmt(median(v))})`;
      const ratio = (v: number[]) => `${fmt(Math.max(...T) / Math.max(...v), 2)}× (median ${fmt(median(T.map((t, i) => t / v[i])), 2)}×)`;
      for (const s of servers) {
        const v1 = runs.get(`${s.py}:1`)!, v2 = runs.get(`${s.py}:2`)!;
        const cT = cpu.get('tfjs')!, c1 = cpu.get(`${s.py}:1`)!;
        const cpuRatio = `${fmt(median(cT) / median(c1), 2)}× (${fmt(median(cT), 0)} / ${fmt(median(c1), 0)})`;
        torchRows.push([bm.name, `${s.header.torch} (${s.py})`, String(bm.batch), both(T), both(v1), both(v2), ratio(v1), ratio(v2), cpuRatio, s.header.maxdiff.toExponential(1) + (s.header.maxdiff <= 1e-4 ? ' ok' : ' MISMATCH')]);
      }
    }
    first = false;
    tf.dispose(x);
    m.dispose();
    d.dispose();
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(w[i])).join('  '));
  console.log('ratio = imported / hand-written tfjs-layers throughput, best of 12 interleaved runs each (median of per-run ratios in brackets); target ≥ 0.98');
  console.log('A/A noise = a second, identical hand-written model / the first: how far apart two identical models measure on this machine');
  console.log('1st predict ms = the first predict of a freshly imported model; steady ms/batch = the same call at the best measured throughput');
  for (const n of noBaseline) console.log(`no hand-written baseline — ${n}; its A/A noise is a second import of the same file vs the first`);
  if (pys.length) {
    console.log(`\nvs PyTorch on CPU (bench/torch_peer.py: same architecture, the imported weights, same batch and input; eval mode, no_grad; interop threads 1):`);
    const tw = torchRows[0].map((_, i) => Math.max(...torchRows.map((r) => r[i].length)));
    for (const r of torchRows) console.log(r.map((c, i) => c.padEnd(tw[i])).join('  '));
    console.log('tfjs = the imported model on the wasm backend (1 thread). 12 rounds, each one ~0.2 s run of tfjs and of every torch × threads, order rotating; samples/s best (median); ratio = best / best (median of the per-round ratios). Target tfjs / torch ≥ 0.5×');
    console.log('per CPU-s = median samples per CPU-second (process CPU time) of tfjs / of torch at 1 thread: both single-threaded, so this is robust to a loaded machine');
    console.log('max |torch−tfjs| over the outputs must be ≤ 1e-4 (ok): then both sides compute the same thing');
  }
  console.log(`load average while measuring: ${(await import('node:os')).loadavg().map((v) => v.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
