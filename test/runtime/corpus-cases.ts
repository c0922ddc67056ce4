/**
 * The corpus cases whose expected outputs Keras itself computed (INVENTORY.md "How expected outputs
 * are stored"): DL4J `*_inputs_and_outputs.h5` (`predictions` group), DL4J `fullconfigs`
 * (`predictions.npy`), hls4ml `.dat` input/prediction pairs. Each case knows its model file(s) and
 * how to read its inputs (in model input order) and expected outputs (in model output order).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { corpusDir } from '../helpers/corpus.ts';
import { openHdf5 } from '../../src/io/hdf5-h5wasm.ts';
import { parseNpy } from '../../src/io/npy.ts';

export interface Arr { data: Float32Array; shape: number[] }

export interface PredictionCase {
  id: string;
  model: string;
  weights?: string;
  /** Inputs in model input order; `inputShapes` are the model's (batch dimension dropped). */
  inputs(inputShapes: (number | null)[][]): Promise<Arr[]>;
  expected(outputShapes: (number | null)[][]): Promise<Arr[]>;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

async function h5Group(path: string, group: string, attrKey: string): Promise<Arr[]> {
  const h5 = await openHdf5(readFileSync(path), basename(path));
  try {
    const names = (JSON.parse(String(h5.attr('/', attrKey))) as Record<string, string[]>)[attrKey];
    return names.map((n) => {
      const d = h5.readDataset(`/${group}/${n}`);
      return { data: Float32Array.from(d.values), shape: d.shape };
    });
  } finally {
    h5.close();
  }
}

async function hasPredictions(path: string): Promise<boolean> {
  const h5 = await openHdf5(readFileSync(path), basename(path));
  try {
    return h5.kind('/predictions') === 'group';
  } finally {
    h5.close();
  }
}

function npy(path: string): Arr {
  const a = parseNpy(new Uint8Array(readFileSync(path)), path);
  return { data: Float32Array.from(a.data), shape: a.shape };
}

/** Whitespace-separated text, one sample per line. */
function datRows(path: string): number[][] {
  return readFileSync(path, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0).map((l) => l.split(/\s+/).map(Number));
}

/** Split each row over tensors of the given per-sample shapes (several model inputs share one line). */
function splitRows(rows: number[][], shapes: (number | null)[][], what: string): Arr[] {
  const sizes = shapes.map((s) => s.reduce<number>((a, b) => a * (b ?? 1), 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  const bad = rows.findIndex((r) => r.length !== total);
  if (bad >= 0) throw new Error(`${what}: line ${bad + 1} has ${rows[bad].length} values, the model needs ${total} per sample`);
  let off = 0;
  return shapes.map((s, i) => {
    const data = new Float32Array(rows.length * sizes[i]);
    rows.forEach((r, k) => data.set(r.slice(off, off + sizes[i]), k * sizes[i]));
    off += sizes[i];
    return { data, shape: [rows.length, ...s.map((d) => d ?? 1)] };
  });
}

export async function listPredictionCases(): Promise<PredictionCase[]> {
  if (!corpusDir) return [];
  const root = corpusDir;
  const files = walk(root);
  const cases: PredictionCase[] = [];

  // DL4J <base>_inputs_and_outputs.h5 next to <base>_model.h5 or <base>_config.json + <base>_weights.h5
  for (const io of files.filter((f) => f.endsWith('_inputs_and_outputs.h5')).sort()) {
    if (!(await hasPredictions(io))) continue; // simple_lstm_tf_keras_2: no predictions (targets only)
    const base = basename(io).replace(/_inputs_and_outputs\.h5$/, '');
    const dir = dirname(io);
    // weights may sit in the history snapshot and the config in the KonduitAI one (mnist_mlp)
    const twin = dir.replace('dl4j__dl4j-test-resources-history', 'KonduitAI__dl4j-test-resources');
    const find = (suffix: string) => [dir, twin].map((d) => join(d, `${base}${suffix}`)).find((p) => existsSync(p));
    const full = find('_model.h5');
    const config = find('_config.json');
    const weights = find('_weights.h5');
    const id = io.slice(root.length + 1).replace(/_inputs_and_outputs\.h5$/, '');
    if (full) cases.push({ id, model: full, inputs: () => h5Group(io, 'inputs', 'inputs'), expected: () => h5Group(io, 'predictions', 'outputs') });
    else if (config && weights) cases.push({ id, model: config, weights, inputs: () => h5Group(io, 'inputs', 'inputs'), expected: () => h5Group(io, 'predictions', 'outputs') });
  }

  // DL4J fullconfigs
  const fc = join(root, 'KonduitAI__dl4j-test-resources/src/main/resources/modelimport/keras/fullconfigs');
  if (existsSync(join(fc, 'cnn/cnn_batch_norm.h5'))) {
    cases.push({ id: 'fullconfigs/cnn/cnn_batch_norm', model: join(fc, 'cnn/cnn_batch_norm.h5'), inputs: async () => [npy(join(fc, 'cnn/input.npy'))], expected: async () => [npy(join(fc, 'cnn/predictions.npy'))] });
  }
  if (existsSync(join(fc, 'lstm/lstm_th_keras_2_config.json'))) {
    cases.push({
      id: 'fullconfigs/lstm/lstm_th_keras_2', model: join(fc, 'lstm/lstm_th_keras_2_config.json'), weights: join(fc, 'lstm/lstm_th_keras_2_weights.h5'),
      inputs: async (shapes) => {
        // 283 sequences, `;`-separated, first 12 columns are the features
        const seqDir = join(fc, 'lstm/data/sequences');
        const n = readdirSync(seqDir).filter((f) => /^\d+\.csv$/.test(f)).length;
        const [steps, feats] = shapes[0] as number[];
        const data = new Float32Array(n * steps * feats);
        for (let i = 0; i < n; i++) {
          const rows = readFileSync(join(seqDir, `${i}.csv`), 'utf8').split(/\r?\n/).filter((l) => l.trim()).map((l) => l.split(';').slice(0, feats).map(Number));
          if (rows.length !== steps) throw new Error(`sequence ${i} has ${rows.length} steps, the model needs ${steps}`);
          rows.forEach((r, t) => data.set(r, (i * steps + t) * feats));
        }
        return [{ data, shape: [n, steps, feats] }];
      },
      expected: async () => [npy(join(fc, 'lstm/predictions.npy'))],
    });
  }

  // hls4ml example projects: tb_input_features.dat / tb_output_predictions.dat beside each model .h5
  for (const tb of files.filter((f) => f.endsWith('tb_input_features.dat')).sort()) {
    const dir = dirname(tb);
    const out = join(dir, 'tb_output_predictions.dat');
    if (!existsSync(out)) continue;
    let models = readdirSync(dir).filter((f) => f.endsWith('.h5') && !f.endsWith('_weights.h5')).map((f) => join(dir, f));
    let weights: string | undefined;
    if (!models.length && basename(dir) === 'tb_data') {
      // example-models/keras/<name>/{model.json, weights.h5, tb_data/…}
      const up = dirname(dir);
      if (existsSync(join(up, 'model.json')) && existsSync(join(up, 'weights.h5'))) { models = [join(up, 'model.json')]; weights = join(up, 'weights.h5'); }
    }
    for (const m of models) {
      cases.push({
        id: m.slice(root.length + 1).replace(/\.(h5|json)$/, ''), model: m, weights,
        inputs: async (shapes) => splitRows(datRows(tb), shapes, tb),
        expected: async (shapes) => splitRows(datRows(out), shapes, out),
      });
    }
  }

  // hls4ml example-models with their own .dat pairs
  const em = join(root, 'fastmachinelearning__hls4ml/example-models/keras');
  const pairs: [string, string | undefined, string, string][] = [
    ['KERAS_mnist_mlp.json', 'KERAS_mnist_mlp_weights.h5', 'KERAS_mnist_mlp_inputs.dat', 'KERAS_mnist_mlp_outputs.dat'],
    ['svhn_grayscale_mlp.h5', undefined, 'svhn_grayscale_mlp_input_features.dat', 'svhn_grayscale_mlp_predictions.dat'],
  ];
  for (const [model, w, i, o] of pairs) {
    if (!existsSync(join(em, model))) continue;
    cases.push({
      id: `fastmachinelearning__hls4ml/example-models/keras/${model.replace(/\.(h5|json)$/, '')}`, model: join(em, model), weights: w ? join(em, w) : undefined,
      inputs: async (shapes) => splitRows(datRows(join(em, i)), shapes, i),
      expected: async (shapes) => splitRows(datRows(join(em, o)), shapes, o),
    });
  }
  return cases;
}

/** max |a−b| / max(1, |b|): absolute for small values, relative for large ones. */
export function maxScaledDiff(got: Float32Array | Int32Array, want: Float32Array): number {
  if (got.length !== want.length) return Infinity;
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
