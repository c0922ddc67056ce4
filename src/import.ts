/**
 * Public entry points: bytes or a path → ModelSpec with weights attached.
 *
 * The format is sniffed from magic bytes (never from the name); the config goes through the normalizer;
 * weights come from the same file or from `options.weights`. Everything that goes wrong surfaces as a typed
 * KerasImportError naming the file.
 */
import {
  CorruptFileError,
  InvalidConfigError,
  KerasImportError,
  MissingWeightsError,
  NotAKerasModelError,
  UnsupportedFeatureError,
} from './errors.ts';
import { openHdf5 } from './io/hdf5-h5wasm.ts';
import { nodeFs } from './io/node-fs.ts';
import type { Hdf5File } from './io/hdf5.ts';
import { decodeText, readJsonArchitecture } from './formats/json.ts';
import { isWeightStore, mergeWeightStores, parseShardIndex, readKerasArchive, readWeightStore, type WeightStore } from './formats/keras-v3.ts';
import { legacyKind, readLegacyH5, type LegacyH5Contents } from './formats/legacy-h5.ts';
import { sniff, SNIFF_BYTES, type SniffResult } from './formats/sniff.ts';
import { attachLegacyWeights, attachStoreWeights, validateWeights } from './formats/weights.ts';
import { parseKerasJson } from './spec/json.ts';
import { detectConfigMajor, normalizeModelConfig } from './spec/normalize.ts';
import type { KerasVersion, ModelFormat, ModelSpec } from './spec/types.ts';
import { parseKerasVersion } from './spec/version.ts';

export interface ImportOptions {
  /** Weights file paired with a JSON architecture (legacy `save_weights` .h5 or Keras 3 `*.weights.h5`). */
  weights?: string | Uint8Array;
  /** Name used in messages for byte input (default "<bytes>"). */
  label?: string;
  /** Override the Keras version recorded in (or inferred from) the file, e.g. "1.2.2". */
  kerasVersion?: string;
  /** The model was trained with the Theano backend (Keras 1 files record no backend). */
  theano?: boolean;
}

/** Architecture only (JSON); weights stay empty and `hasWeights` is false. */
export async function importKerasModelConfiguration(json: string | Uint8Array, options: ImportOptions = {}): Promise<ModelSpec> {
  // A string is JSON text when it looks like JSON, else a path (Node).
  if (typeof json === 'string' && /^\s*[{[]/.test(json)) {
    return fromJson(json, options.label ?? '<json>', options, 'config-only');
  }
  const input = await loadInput(json, options);
  if (input.sniffed.container !== 'json') {
    throw new InvalidConfigError('expected a JSON model configuration', {
      file: input.label,
      hint: 'for .h5 or .keras files use importKerasModelAndWeights()',
    });
  }
  return fromJson(decodeText(await input.all()), input.label, options, 'config-only');
}

/** Any format, sniffed: full `.h5`, `.keras`, or JSON + `options.weights`. */
export async function importKerasModelAndWeights(pathOrBytes: string | Uint8Array, options: ImportOptions = {}): Promise<ModelSpec> {
  return readAny(pathOrBytes, options, 'require-weights');
}

/** As importKerasModelAndWeights, but the model must be a Sequential. */
export async function importKerasSequentialModelAndWeights(pathOrBytes: string | Uint8Array, options: ImportOptions = {}): Promise<ModelSpec> {
  const spec = await readAny(pathOrBytes, options, 'require-weights');
  if (spec.modelClass !== 'Sequential') {
    throw new InvalidConfigError(`the model is a ${spec.modelClass}, not a Sequential`, {
      file: spec.source,
      hint: 'use importKerasModelAndWeights() for functional models',
    });
  }
  return spec;
}

/**
 * Used by the CLI: everything importKerasModelAndWeights accepts, and also a JSON architecture without
 * weights (then `hasWeights` is false).
 */
export async function readModelFile(pathOrBytes: string | Uint8Array, options: ImportOptions = {}): Promise<ModelSpec> {
  return readAny(pathOrBytes, options, 'weights-optional');
}

type WeightsPolicy = 'require-weights' | 'weights-optional' | 'config-only';

// ---------------------------------------------------------------------------------------------------

interface Input {
  label: string;
  /** Set for Node paths (large HDF5 files are then read in place, not copied). */
  path?: string;
  /** File size in bytes, for Node paths. */
  size?: number;
  sniffed: SniffResult;
  /** The whole file. */
  all(): Promise<Uint8Array>;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

async function loadInput(src: string | Uint8Array, options: ImportOptions, labelOverride?: string): Promise<Input> {
  if (src instanceof Uint8Array) {
    const label = labelOverride ?? options.label ?? '<bytes>';
    return { label, sniffed: sniff(src.subarray(0, SNIFF_BYTES)), all: async () => src };
  }
  if (typeof src !== 'string') {
    throw new KerasImportError('expected a file path or a Uint8Array', { hint: 'pass a path (Node) or the file bytes' });
  }
  const label = labelOverride ?? src;
  if (!isNode) throw new KerasImportError('file paths can only be read under Node', { file: label, hint: 'pass the file bytes (Uint8Array)' });
  // Synchronous stat/open/read: a few small calls, which through the thread pool (fs/promises) cost
  // milliseconds on a process's first read.
  const fs = await nodeFs();
  let stat;
  try {
    stat = fs.statSync(src);
  } catch (e) {
    throw new KerasImportError(`cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      file: label,
      hint: 'check the path',
      cause: e,
    });
  }
  if (stat.isDirectory()) {
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(src);
    } catch {
      // unreadable directory: reported as a directory below
    }
    if (entries.includes('saved_model.pb')) {
      throw new UnsupportedFeatureError('this is a TensorFlow SavedModel directory, which is not supported', {
        file: label,
        hint: 'in Python, load it and re-save with model.save("model.keras") or model.save("model.h5")',
      });
    }
    if (entries.includes('config.json') && entries.includes('model.weights.h5')) {
      throw new UnsupportedFeatureError('this is an unzipped Keras model directory', {
        file: label,
        hint: 'pass config.json as the model and model.weights.h5 as options.weights, or zip it as a .keras file',
      });
    }
    throw new NotAKerasModelError('this is a directory, not a model file', { file: label });
  }
  const fd = fs.openSync(src, 'r');
  let head: Uint8Array;
  try {
    const buf = new Uint8Array(Math.min(SNIFF_BYTES, stat.size));
    const bytesRead = fs.readSync(fd, buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    fs.closeSync(fd);
  }
  return { label, path: src, size: stat.size, sniffed: sniff(head), all: async () => new Uint8Array(await fs.promises.readFile(src)) };
}

function notAModel(input: Input): never {
  if (input.sniffed.container === 'empty') {
    throw new NotAKerasModelError('the file is empty', { file: input.label, hint: 're-download or re-save the model' });
  }
  const like = input.sniffed.looksLike ? ` (it looks like ${input.sniffed.looksLike})` : '';
  throw new NotAKerasModelError(`not a Keras model file${like}`, {
    file: input.label,
    hint: 'expected a Keras .h5 (HDF5), .keras (zip) or JSON architecture file',
  });
}

async function readAny(src: string | Uint8Array, options: ImportOptions, policy: WeightsPolicy): Promise<ModelSpec> {
  const input = await loadInput(src, options);
  switch (input.sniffed.container) {
    case 'json':
      return fromJson(decodeText(await input.all()), input.label, options, policy);
    case 'zip':
      return fromKerasArchive(input, options);
    case 'hdf5':
      return fromHdf5(input, options);
    default:
      notAModel(input);
  }
}

/** Paths are read in place (random access, nothing copied up front): peak memory stays near the weights' size. */
async function openH5(input: Input): Promise<Hdf5File> {
  return openHdf5(input.path ?? (await input.all()), input.label);
}

function versionOf(recorded: string | null, inferred: () => 1 | 2 | 3, options: ImportOptions): KerasVersion {
  if (options.kerasVersion) return parseKerasVersion(options.kerasVersion);
  if (recorded) {
    const v = parseKerasVersion(recorded, { inferredMajor: inferred() });
    return v;
  }
  return parseKerasVersion(null, { inferredMajor: inferred() });
}

function backendOf(recorded: string | null, options: ImportOptions): string | null {
  return options.theano ? 'theano' : recorded;
}

function parseTrainingConfig(text: string | null, source: string): Record<string, unknown> | null {
  if (!text) return null;
  const v = parseKerasJson(text, source);
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

// --- HDF5 -------------------------------------------------------------------------------------------

async function fromHdf5(input: Input, options: ImportOptions): Promise<ModelSpec> {
  const h5 = await openH5(input);
  try {
    const kind = legacyKind(h5);
    if (kind === 'weights' || kind === 'keras0' || (!kind && isWeightStore(h5))) {
      throw new MissingWeightsError('this file holds only weights (save_weights), not the model architecture', {
        file: input.label,
        hint: 'pass the architecture JSON (model.to_json()) as the model and this file as options.weights',
      });
    }
    if (!kind) {
      throw new NotAKerasModelError('this HDF5 file is not a Keras model (no model_config, layer_names or weight store)', {
        file: input.label,
        hint: 'expected a file written by model.save("x.h5")',
      });
    }
    // Full model. Read the config first; the weights may come from options.weights instead.
    const contents = await readLegacyH5(h5, { readValues: !options.weights });
    if (!contents.modelConfig) throw new CorruptFileError('model_config is empty', { file: input.label });
    const config = parseKerasJson(contents.modelConfig, input.label);
    const version = versionOf(contents.kerasVersion, () => (contents.keras1 ? 1 : (detectConfigMajor(config) ?? 2)), options);
    const spec = normalizeModelConfig(config, {
      source: input.label,
      format: 'legacy-h5',
      kerasVersion: version,
      backend: backendOf(contents.backend, options),
      trainingConfig: parseTrainingConfig(contents.trainingConfig, input.label),
    });
    if (options.weights) {
      await attachWeightsFile(spec, options.weights, options);
    } else {
      attachLegacyWeights(spec, contents.groups, { source: input.label, match: 'name' });
      validateWeights(spec, input.label);
    }
    return spec;
  } finally {
    h5.close();
  }
}

// --- .keras -----------------------------------------------------------------------------------------

function compileConfigOf(config: unknown): Record<string, unknown> | null {
  const cc = config && typeof config === 'object' ? (config as Record<string, unknown>).compile_config : null;
  return cc && typeof cc === 'object' && !Array.isArray(cc) ? (cc as Record<string, unknown>) : null;
}

async function fromKerasArchive(input: Input, options: ImportOptions): Promise<ModelSpec> {
  const archive = readKerasArchive(await input.all(), input.label);
  const arch = readJsonArchitecture(archive.config, `${input.label}:config.json`);
  const recorded = typeof archive.metadata?.keras_version === 'string' ? (archive.metadata.keras_version as string) : arch.kerasVersion;
  const version = versionOf(recorded, () => detectConfigMajor(arch.config) ?? 3, options);
  const spec = normalizeModelConfig(arch.config, {
    source: input.label,
    format: 'keras-v3',
    kerasVersion: version,
    backend: backendOf(arch.backend, options),
    // Keras 3 keeps loss / optimizer / metrics in the config's compile_config (the .h5 training_config's role)
    trainingConfig: compileConfigOf(arch.config),
  });
  if (options.weights) {
    await attachWeightsFile(spec, options.weights, options);
  } else if (archive.weights) {
    const label = `${input.label}:${archive.weightsMember}`;
    const h5 = await openHdf5(archive.weights, label);
    try {
      attachStoreWeights(spec, readWeightStore(h5), label);
      validateWeights(spec, label);
    } finally {
      h5.close();
    }
  } else {
    throw new MissingWeightsError('the .keras archive has no model.weights.h5', { file: input.label });
  }
  return spec;
}

// --- JSON (+ weights) -------------------------------------------------------------------------------

async function fromJson(text: string, label: string, options: ImportOptions, policy: WeightsPolicy): Promise<ModelSpec> {
  const arch = readJsonArchitecture(text, label);
  if (!options.weights || policy === 'config-only') {
    if (policy === 'require-weights') {
      throw new MissingWeightsError('this is a JSON architecture without weights', {
        file: label,
        hint: 'pass the weights file as options.weights, or use importKerasModelConfiguration() for the architecture only',
      });
    }
    const version = versionOf(arch.kerasVersion, () => detectConfigMajor(arch.config) ?? 2, options);
    return normalizeModelConfig(arch.config, { source: label, format: 'json', kerasVersion: version, backend: backendOf(arch.backend, options) });
  }
  // Weights file first: its recorded version and backend describe how the weights were written.
  const winput = await loadInput(options.weights, options, typeof options.weights === 'string' ? undefined : `${options.label ?? '<bytes>'} (weights)`);
  // A Keras 3 weight store (one *.weights.h5, or a sharded *.weights.json index) with this architecture.
  const withStore = (store: Parameters<typeof attachStoreWeights>[1]): ModelSpec => {
    const version = versionOf(arch.kerasVersion, () => detectConfigMajor(arch.config) ?? 3, options);
    const spec = normalizeModelConfig(arch.config, {
      source: label,
      format: 'keras-v3-weights',
      kerasVersion: version,
      backend: backendOf(arch.backend, options),
    });
    attachStoreWeights(spec, store, winput.label);
    validateWeights(spec, winput.label);
    return spec;
  };
  if (winput.sniffed.container === 'json') return withStore(await readShardedStore(winput));
  if (winput.sniffed.container !== 'hdf5') {
    if (winput.sniffed.container === 'zip') {
      throw new InvalidConfigError('options.weights is a .keras archive; pass it as the model instead', { file: winput.label });
    }
    notAModel(winput);
  }
  const h5 = await openH5(winput);
  try {
    const kind = legacyKind(h5);
    if (kind) {
      const contents = await readLegacyH5(h5);
      const recorded = contents.kerasVersion ?? arch.kerasVersion;
      const version = versionOf(recorded, () => (contents.keras1 ? 1 : (detectConfigMajor(arch.config) ?? 2)), options);
      const spec = normalizeModelConfig(arch.config, {
        source: label,
        format: 'legacy-h5-weights',
        kerasVersion: version,
        backend: backendOf(contents.backend ?? arch.backend, options),
      });
      attachLegacyWeights(spec, contents.groups, { source: winput.label, match: kind === 'keras0' ? 'position' : 'auto' });
      validateWeights(spec, winput.label);
      return spec;
    }
    if (isWeightStore(h5)) return withStore(readWeightStore(h5));
    throw new NotAKerasModelError('this HDF5 file holds no Keras weights', { file: winput.label });
  } finally {
    h5.close();
  }
}

/** Weights from a separate file for a model whose config came from elsewhere (full .h5 or .keras). */
async function attachWeightsFile(spec: ModelSpec, weights: string | Uint8Array, options: ImportOptions): Promise<void> {
  const winput = await loadInput(weights, options, typeof weights === 'string' ? undefined : `${options.label ?? '<bytes>'} (weights)`);
  if (winput.sniffed.container === 'json') {
    attachStoreWeights(spec, await readShardedStore(winput), winput.label);
    validateWeights(spec, winput.label);
    return;
  }
  if (winput.sniffed.container !== 'hdf5') notAModel(winput);
  const h5 = await openH5(winput);
  try {
    const kind = legacyKind(h5);
    if (kind) {
      const contents: LegacyH5Contents = await readLegacyH5(h5);
      attachLegacyWeights(spec, contents.groups, { source: winput.label, match: kind === 'keras0' ? 'position' : 'auto' });
    } else if (isWeightStore(h5)) {
      attachStoreWeights(spec, readWeightStore(h5), winput.label);
    } else {
      throw new NotAKerasModelError('this HDF5 file holds no Keras weights', { file: winput.label });
    }
    validateWeights(spec, winput.label);
  } finally {
    h5.close();
  }
}

/** A sharded Keras 3 weight store: the `*.weights.json` index and its `*_NNNNN.weights.h5` shards beside it. */
async function readShardedStore(winput: Input): Promise<WeightStore> {
  const value = parseKerasJson(decodeText(await winput.all()), winput.label);
  const index = parseShardIndex(value, winput.label);
  if (!index) {
    throw new InvalidConfigError('options.weights is JSON but not a sharded Keras weights index (no weight_map)', {
      file: winput.label,
      hint: 'pass a weights file (.h5 / .weights.h5) or a *.weights.json index with its shards',
    });
  }
  if (!winput.path) {
    throw new UnsupportedFeatureError('a sharded weights index can only be read from a path (its shards are separate files)', {
      file: winput.label,
      hint: 'pass the path of the *.weights.json file, with the shards next to it',
    });
  }
  const { dirname, join } = await import('node:path');
  const stores: WeightStore[] = [];
  for (const name of index.shards) {
    const shard = await loadInput(join(dirname(winput.path), name), {});
    if (shard.sniffed.container !== 'hdf5') notAModel(shard);
    const h5 = await openH5(shard);
    try {
      if (!isWeightStore(h5)) throw new NotAKerasModelError('this shard is not a Keras weight store', { file: shard.label });
      stores.push(readWeightStore(h5, { partial: true }));
    } finally {
      h5.close();
    }
  }
  return mergeWeightStores(stores, winput.label);
}

export type { ModelFormat };
