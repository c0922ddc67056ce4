/**
 * Per-layer Keras fixtures (test/fixtures/layers, written by test/fixtures/generate.py with Keras 3.15.1).
 * Each case holds model.keras, model.h5 (or none where Keras refused), input_<i>.npy and Keras'
 * own predictions output_<i>.npy; manifest.json lists them all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNpy, type NpyArray } from '../../src/io/npy.ts';

export const layerFixturesDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'layers');

export interface LayerCaseInput { file: string; shape: number[]; dtype: 'float32' | 'int32' }
export interface LayerCaseOutput { file: string; shape: number[] }

export interface LayerCase {
  name: string;
  /** core | convolution | pooling | reshaping | preprocessing | normalization | recurrent | embedding | merging | attention | activations | structure | ops */
  family: string;
  /** Keras class names in the saved config (layers, Functional/Sequential; Keras 3 ops nodes as 'ops.<Class>'). */
  classes: string[];
  /** Activation names found in `activation` / `recurrent_activation` config fields. */
  activations: string[];
  inputs: LayerCaseInput[];
  outputs: LayerCaseOutput[];
  /** File names inside the case folder; h5 is null when Keras 3.15 refused to write it. */
  files: { keras: string; h5: string | null };
  /** Suggested match: |got - want| <= atol + rtol * |want| (float16 cases are looser). */
  tolerance: { atol: number; rtol: number };
  /** Whether Keras itself reproduces the outputs after reloading each file ('ok' or why not). */
  keras_reload: { keras: string; h5?: string };
  notes: string;
}

export interface LayerManifest { generator: string; keras_version: string; backend: string; cases: LayerCase[] }

let cached: LayerManifest | null = null;
export function layerManifest(): LayerManifest {
  cached ??= JSON.parse(readFileSync(join(layerFixturesDir, 'manifest.json'), 'utf8')) as LayerManifest;
  return cached;
}

export function listLayerCases(): LayerCase[] {
  return layerManifest().cases;
}

export function getLayerCase(name: string): LayerCase {
  const c = listLayerCases().find((x) => x.name === name);
  if (!c) throw new Error(`no layer fixture named '${name}' in ${join(layerFixturesDir, 'manifest.json')}`);
  return c;
}

/** Absolute path of a file in a case folder. */
export function layerCasePath(c: LayerCase, file: string): string {
  return join(layerFixturesDir, c.name, file);
}

/** Absolute path of the model file in the given format, or null when Keras did not write one. */
export function layerModelPath(c: LayerCase, format: 'keras' | 'h5'): string | null {
  const f = c.files[format];
  return f === null ? null : layerCasePath(c, f);
}

export function readLayerModel(c: LayerCase, format: 'keras' | 'h5'): Uint8Array | null {
  const p = layerModelPath(c, format);
  return p === null ? null : new Uint8Array(readFileSync(p));
}

export function readLayerNpy(c: LayerCase, file: string): NpyArray {
  const p = layerCasePath(c, file);
  return parseNpy(new Uint8Array(readFileSync(p)), p);
}

export function readLayerInputs(c: LayerCase): NpyArray[] {
  return c.inputs.map((i) => readLayerNpy(c, i.file));
}

export function readLayerOutputs(c: LayerCase): NpyArray[] {
  return c.outputs.map((o) => readLayerNpy(c, o.file));
}

/** Largest violation of the case tolerance (<= 0 means within it); NaN when shapes or sizes differ. */
export function toleranceExcess(c: LayerCase, got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Number.NaN;
  let worst = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i] - want[i]) - (c.tolerance.atol + c.tolerance.rtol * Math.abs(want[i]));
    if (Number.isNaN(excess)) return Number.NaN; // a NaN in got is a failure, never "within tolerance"
    if (excess > worst) worst = excess;
  }
  return want.length === 0 ? 0 : worst;
}

export function layerCaseFileExists(c: LayerCase, file: string): boolean {
  return existsSync(layerCasePath(c, file));
}
