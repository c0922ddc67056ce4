/**
 * The runtime entry points: a ModelSpec (or a file) → a ready tfjs LayersModel, with the stored
 * weights, or — for architecture-only imports — weights drawn the way the Keras that wrote the file
 * would have drawn them; compiled from the file's training config when it has one.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { MissingWeightsError, UnsupportedFeatureError } from '../errors.ts';
import { createRandom, initializeWeights, type RandomSource } from '../initializers/index.ts';
import type { BuildOptions } from '../layers/registry.ts';
import type { ModelSpec } from '../spec/types.ts';
import { useBackend } from '../runtime/backend.ts';
import { assembleModel, type BuiltLayer } from './build.ts';
import { compileFromTrainingConfig, type CompileResult } from './compile.ts';
import { readModelFile } from '../import.ts';

export type FileInput = string | Uint8Array;
import { loadWeights } from './weights.ts';

export interface CreateOptions extends BuildOptions {
  /** Compile from the file's training config when it has one (default true). */
  compile?: boolean;
  /** Receives notes about settings tfjs cannot reproduce (default: console.warn). */
  onWarning?: (message: string) => void;
}

export interface ImportOptions extends CreateOptions {
  /** Weights file for a JSON architecture (or to replace the file's own weights). */
  weights?: FileInput;
  /** Label for byte input in messages. */
  label?: string;
  /** Override the recorded Keras version (e.g. "1.2.2"). */
  kerasVersion?: string;
  /** tfjs backend to make active first: 'wasm' (default), 'cpu', or any registered one. */
  backend?: string;
}

/** What createModel did besides building (attached to the model as `kerasImport`). */
export interface ImportInfo {
  spec: ModelSpec;
  /** true when weights came from the file, false when they were initialized. */
  weightsFromFile: boolean;
  compile: CompileResult;
}

/** Build the tfjs model for a ModelSpec (weights from the spec, or initialized when it has none). */
export async function createModel(spec: ModelSpec, options: CreateOptions = {}): Promise<LayersModel & { kerasImport: ImportInfo }> {
  const warn = options.onWarning ?? ((m: string) => console.warn(`keras-import: ${m}`));
  const asm = assembleModel(spec, { ...options, warn: options.warn ?? ((m) => warn(`${spec.source}: ${m}`)) });
  let ok = false;
  try {
    const missing = loadWeights(asm.layers);
    if (missing.length) {
      if (spec.hasWeights) {
        throw new MissingWeightsError(`the file has no weights for layer(s) ${missing.map((b) => `'${b.spec.name}'`).join(', ')}`, {
          file: spec.source, layer: missing[0].spec.name, hint: 'check that the weights file belongs to this architecture',
        });
      }
      initializeLayers(missing, spec, createRandom(options.seed));
    }
    let compile: CompileResult = { compiled: false, notes: [] };
    if (options.compile !== false && spec.trainingConfig) {
      compile = compileFromTrainingConfig(asm.model, spec);
      for (const n of compile.notes) warn(`${spec.source}: ${n}`);
    }
    const info: ImportInfo = { spec, weightsFromFile: missing.length === 0, compile };
    Object.defineProperty(asm.model, 'kerasImport', { value: info, enumerable: false });
    ok = true;
    return asm.model as LayersModel & { kerasImport: ImportInfo };
  } finally {
    if (!ok) asm.model.dispose();
  }
}

/** Read a Keras file and return the ready tfjs model. */
export async function importModel(input: FileInput, options: ImportOptions = {}): Promise<LayersModel & { kerasImport: ImportInfo }> {
  if (options.backend !== undefined || !tf.getBackend()) await useBackend(options.backend);
  const spec = await readModelFile(input, { weights: options.weights, label: options.label, kerasVersion: options.kerasVersion, theano: options.theano });
  return createModel(spec, options);
}

/** Architecture-only import: draw each layer's weights with its Keras initializers. */
function initializeLayers(layers: BuiltLayer[], spec: ModelSpec, rng: RandomSource): void {
  for (const b of layers) {
    const vars = b.tfLayer.weights;
    const entries = vars.map((v) => ({ name: v.originalName ?? v.name, shape: v.shape as number[], trainable: v.trainable }));
    let values: Float32Array[];
    try {
      values = initializeWeights(b.spec, entries, spec.kerasVersion, rng, { source: spec.source, backend: spec.backend });
    } catch (e) {
      const fallback = statefulDefaults(entries);
      if (!fallback) throw e;
      values = fallback;
    }
    const tensors = values.map((v, i) => tf.tensor(v, entries[i].shape, vars[i].dtype));
    try {
      b.tfLayer.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }
}

/** Preprocessing state that Keras creates with fixed values (Normalization before adapt()): mean 0, variance 1, count 0. */
function statefulDefaults(entries: { name: string; shape: number[] }[]): Float32Array[] | null {
  const out: Float32Array[] = [];
  for (const e of entries) {
    const base = e.name.split('/').pop()!.replace(/:\d+$/, '');
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (base === 'mean' || base === 'count') out.push(new Float32Array(n));
    else if (base === 'variance') out.push(new Float32Array(n).fill(1));
    else return null;
  }
  return out;
}

export { compileFromTrainingConfig, assembleModel, loadWeights };
export type { CompileResult };
export { UnsupportedFeatureError };
