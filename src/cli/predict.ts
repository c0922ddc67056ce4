/**
 * `keras-import predict <model> [--weights <file.h5>] --input <a.npy> [--input <b.npy> …] --out <dir>
 *  [--backend wasm|cpu|…] [--batch-size N]`: run an imported model on .npy inputs (model input order)
 * and write <dir>/output_0.npy … (float32, model output order). A progress bar goes to stderr when
 * the run takes more than a second.
 */
import type { Command } from 'commander';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { InvalidInputError, NotAKerasModelError } from '../errors.ts';
import { parseNpy, writeNpy, type NpyArray } from '../io/npy.ts';

export interface PredictOptions {
  batchSize?: number;
  /** Called after every batch with (samples done, total samples). */
  onProgress?: (done: number, total: number) => void;
  /** For messages. */
  source?: string;
}

export interface OutputArray { data: Float32Array; shape: number[] }

const fmt = (s: (number | null)[]) => `[${s.map((d) => (d === null ? 'N' : d)).join(', ')}]`;

/**
 * Check `inputs` against the model's inputs (count, shape, dtype) and run them through in batches.
 * Integer arrays are accepted for every input (Embedding ids, or values for a float input); float
 * arrays for an integer (int32) model input are rejected.
 */
export function predictArrays(model: LayersModel, inputs: NpyArray[], opts: PredictOptions = {}): OutputArray[] {
  const file = opts.source;
  const want = model.inputs.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype }));
  const expected = want.map((w) => `${w.name.replace(/:\d+$/, '')} ${fmt(w.shape)} ${w.dtype}`).join('; ');
  if (inputs.length !== want.length) {
    throw new InvalidInputError(`the model has ${want.length} input(s), ${inputs.length} given`, {
      file, hint: `give one --input per model input, in this order: ${expected} (N = batch size)`,
    });
  }
  let batch = -1;
  inputs.forEach((a, i) => {
    const w = want[i];
    const ok = a.shape.length === w.shape.length && w.shape.every((d, k) => k === 0 || d === null || d === a.shape[k]);
    if (!ok) {
      throw new InvalidInputError(`input ${i} has shape ${fmt(a.shape)}, the model expects ${fmt(w.shape)} (N = batch size)`, {
        file, hint: `model inputs: ${expected}`,
      });
    }
    if (batch >= 0 && a.shape[0] !== batch) {
      throw new InvalidInputError(`input ${i} has ${a.shape[0]} samples, input 0 has ${batch}`, { file, hint: 'every input needs the same number of samples (first dimension)' });
    }
    batch = a.shape[0];
    const isFloat = a.dtype.startsWith('float');
    if (w.dtype === 'int32' && isFloat) {
      throw new InvalidInputError(`input ${i} is ${a.dtype}, the model expects integers for ${w.name.replace(/:\d+$/, '')}`, { file, hint: 'save the array with an integer dtype (e.g. numpy .astype("int32"))' });
    }
    if (a.dtype === 'bool' && w.dtype !== 'int32' && w.dtype !== 'bool') {
      throw new InvalidInputError(`input ${i} is bool, the model expects ${w.dtype}`, { file, hint: 'save the array as float32' });
    }
  });
  // A spatial input smaller than a kernel makes wasm kernels read out of bounds (and abort) instead
  // of failing cleanly: check the shapes the model will produce before running it.
  let outShapes: unknown = null;
  try {
    outShapes = model.computeOutputShape(inputs.map((a) => [1, ...a.shape.slice(1)]) as never);
  } catch {
    // layers without shape inference: nothing to check
  }
  const flat = (Array.isArray(outShapes) && Array.isArray(outShapes[0]) ? outShapes : [outShapes]) as (number | null)[][];
  if (outShapes && flat.some((s) => Array.isArray(s) && s.some((d) => d !== null && d <= 0))) {
    throw new InvalidInputError(`inputs of shape ${inputs.map((a) => fmt(a.shape)).join(', ')} are too small for this model (an output would have shape ${fmt(flat.find((s) => s.some((d) => d !== null && d <= 0))!)})`, {
      file, hint: `model inputs: ${expected}; use larger spatial sizes`,
    });
  }
  const bs = Math.max(1, Math.floor(opts.batchSize ?? 32));
  const n = batch;
  const outs: { chunks: Float32Array[]; shape: number[] }[] = [];
  for (let start = 0; start < n || (n === 0 && start === 0); start += bs) {
    const end = Math.min(n, start + bs);
    const ys = tf.tidy(() => {
      const xs = inputs.map((a, i) => {
        const per = a.shape.slice(1).reduce((p, q) => p * q, 1);
        const dtype = want[i].dtype === 'int32' ? 'int32' : 'float32';
        const values = a.data.subarray(start * per, end * per);
        return tf.tensor(dtype === 'float32' && !(values instanceof Float32Array) ? Float32Array.from(values) : values, [end - start, ...a.shape.slice(1)], dtype);
      });
      const y = model.predict(xs.length === 1 ? xs[0] : xs, { batchSize: bs });
      return (Array.isArray(y) ? y : [y]).map((t) => (t.dtype === 'float32' ? t : tf.cast(t, 'float32')));
    });
    ys.forEach((y, k) => {
      outs[k] ??= { chunks: [], shape: y.shape.slice(1) };
      outs[k].chunks.push(y.dataSync() as Float32Array);
    });
    tf.dispose(ys);
    opts.onProgress?.(end, n);
    if (n === 0) break;
  }
  return outs.map((o) => {
    const total = o.chunks.reduce((s, c) => s + c.length, 0);
    const data = new Float32Array(total);
    let off = 0;
    for (const c of o.chunks) { data.set(c, off); off += c.length; }
    return { data, shape: [n, ...o.shape] };
  });
}

/** A one-line progress bar on stderr, shown only once the run has taken more than a second. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): { update(done: number, total: number): void; finish(): void } {
  const t0 = Date.now();
  let shown = false;
  let lastDraw = 0;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - t0 < 1000 || (now - lastDraw < 100 && done < total)) return;
      lastDraw = now;
      shown = true;
      const width = 30;
      const frac = total ? done / total : 1;
      const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
      const rate = done / ((now - t0) / 1000);
      const line = `predict ${bar} ${done}/${total} samples  ${rate.toFixed(1)}/s`;
      stream.write(stream.isTTY ? `\r${line}` : `${line}\n`);
    },
    finish() {
      if (shown && stream.isTTY) stream.write('\n');
    },
  };
}

export interface PredictCliOptions {
  weights?: string;
  input: string[];
  out: string;
  backend?: string;
  batchSize?: string;
  inputShape?: string[];
  theano?: boolean;
}

/** Parse "28,28,1" (or "none,10") into a shape without the batch dimension. */
function parseShape(s: string): (number | null)[] {
  const dims = s.split(/[,x ]+/).filter(Boolean).map((d) => (/^(none|null|\?)$/i.test(d) ? null : Number(d)));
  if (!dims.length || dims.some((d) => d !== null && (!Number.isInteger(d) || d <= 0))) {
    throw new InvalidInputError(`--input-shape '${s}' is not a list of positive integers`, { hint: 'e.g. --input-shape 28,28,1 (without the batch dimension)' });
  }
  return dims;
}

export async function runPredict(model: string, opts: PredictCliOptions): Promise<string[]> {
  const inputsPaths = opts.input ?? [];
  if (!inputsPaths.length) throw new InvalidInputError('no --input given', { file: basename(model), hint: 'pass one --input <file.npy> per model input' });
  const batchSize = opts.batchSize === undefined ? 32 : Number(opts.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidInputError(`--batch-size ${opts.batchSize} is not a positive integer`, {});
  const { importModel } = await import('../model/index.ts');
  const { useBackend } = await import('../runtime/backend.ts');
  await useBackend(opts.backend ?? 'wasm');
  const arrays = await Promise.all(inputsPaths.map(async (p) => {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(p));
    } catch (cause) {
      throw new NotAKerasModelError(`cannot read input file: ${(cause as Error).message}`, { file: p, cause });
    }
    return parseNpy(bytes, basename(p));
  }));
  const m = await importModel(model, {
    weights: opts.weights, compile: false, theano: opts.theano,
    inputShapes: opts.inputShape?.map(parseShape),
    onWarning: (w) => process.stderr.write(`warning: ${w}\n`),
  });
  try {
    const bar = progressBar();
    const outs = predictArrays(m, arrays, { batchSize, onProgress: bar.update, source: basename(model) });
    bar.finish();
    await mkdir(opts.out, { recursive: true });
    const written: string[] = [];
    for (let i = 0; i < outs.length; i++) {
      const p = join(opts.out, `output_${i}.npy`);
      await writeFile(p, writeNpy(outs[i].data, outs[i].shape));
      written.push(p);
    }
    return written;
  } finally {
    m.dispose();
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  program
    .command('predict')
    .description('run the model on .npy inputs and write <out>/output_<i>.npy (float32, model output order)')
    .argument('<model>', 'model file (.h5, .keras, or .json with --weights)')
    .option('--weights <file>', 'weights file for an architecture-only model (JSON + .h5)')
    .option('--input <file.npy>', 'an input array, once per model input, in model input order', collect, [])
    .requiredOption('--out <dir>', 'folder for output_0.npy, output_1.npy, …')
    .option('--backend <name>', 'tfjs backend: wasm (default), cpu, or any registered one', 'wasm')
    .option('--batch-size <n>', 'samples per predict call', '32')
    .option('--input-shape <dims>', 'input shape without batch (e.g. 28,28,1) when the file records none; once per input', collect, undefined)
    .option('--theano', 'the (Keras 1) model was trained with Theano: flip convolution kernels')
    .action(async (model: string, opts: PredictCliOptions) => {
      const written = await runPredict(model, opts);
      for (const p of written) process.stdout.write(`${p}\n`);
    });
}
