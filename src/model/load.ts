/**
 * File → ModelSpec with weights attached: sniff the container from its bytes, read it (legacy HDF5,
 * `.keras` zip, JSON + optional weights file), normalize the config and attach the weights.
 * Thin glue over src/formats and src/spec; everything version-specific lives there.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidConfigError, MissingWeightsError, NotAKerasModelError, CorruptFileError } from '../errors.ts';
import { readKerasArchive, isWeightStore, readWeightStore } from '../formats/keras-v3.ts';
import { legacyKind, readLegacyH5 } from '../formats/legacy-h5.ts';
import { sniff } from '../formats/sniff.ts';
import { attachLegacyWeights, attachStoreWeights } from '../formats/weights.ts';
import { openHdf5 } from '../io/hdf5-h5wasm.ts';
import type { Hdf5File } from '../io/hdf5.ts';
import { parseKerasJson } from '../spec/json.ts';
import { detectConfigMajor, normalizeModelConfig } from '../spec/normalize.ts';
import type { ModelFormat, ModelSpec } from '../spec/types.ts';
import { parseKerasVersion } from '../spec/version.ts';

export type FileInput = string | Uint8Array;

export interface ReadOptions {
  /** Separate weights file (legacy save_weights .h5 or Keras 3 .weights.h5) for a JSON architecture. */
  weights?: FileInput;
  /** Label used in messages when `input` is bytes. */
  label?: string;
  weightsLabel?: string;
}

async function bytesOf(input: FileInput): Promise<Uint8Array> {
  if (typeof input !== 'string') return input;
  try {
    return new Uint8Array(await readFile(input));
  } catch (cause) {
    throw new NotAKerasModelError(`cannot read the file: ${(cause as Error).message}`, { file: input, cause, hint: 'check the path' });
  }
}

function labelOf(input: FileInput, label?: string): string {
  return label ?? (typeof input === 'string' ? basename(input) : '<bytes>');
}

function parseTrainingConfig(text: string | null, source: string): Record<string, unknown> | null {
  if (!text) return null;
  const v = parseKerasJson(text, source);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** Read a model file (and optional weights file) into a ModelSpec with its weights attached. */
export async function readModelSpec(input: FileInput, opts: ReadOptions = {}): Promise<ModelSpec> {
  const label = labelOf(input, opts.label);
  const bytes = await bytesOf(input);
  const kind = sniff(bytes.subarray(0, 1 << 20));
  let spec: ModelSpec;
  switch (kind.container) {
    case 'hdf5': {
      const h5 = await openHdf5(bytes, label);
      try {
        spec = fromHdf5(h5, label);
      } finally {
        h5.close();
      }
      if (opts.weights !== undefined) await attachWeightsFile(spec, opts.weights, opts.weightsLabel);
      break;
    }
    case 'zip': {
      const arch = readKerasArchive(bytes, label);
      const raw = typeof arch.metadata?.keras_version === 'string' ? arch.metadata.keras_version : null;
      const cfg = parseKerasJson(arch.config, label);
      const version = parseKerasVersion(raw, { inferredMajor: detectConfigMajor(cfg) ?? 3 });
      spec = normalizeModelConfig(cfg, { source: label, format: 'keras-v3', kerasVersion: version, backend: null, trainingConfig: compileConfig(cfg) });
      if (opts.weights !== undefined) await attachWeightsFile(spec, opts.weights, opts.weightsLabel);
      else if (arch.weights) {
        const h5 = await openHdf5(arch.weights, `${label}:${arch.weightsMember}`);
        try {
          attachStoreWeights(spec, readWeightStore(h5), label);
        } finally {
          h5.close();
        }
      }
      break;
    }
    case 'json': {
      const cfg = parseKerasJson(new TextDecoder('utf-8').decode(bytes), label) as Record<string, unknown>;
      const raw = typeof cfg?.keras_version === 'string' ? cfg.keras_version : null;
      const version = parseKerasVersion(raw, { inferredMajor: detectConfigMajor(cfg) ?? 2 });
      const backend = typeof cfg?.backend === 'string' ? cfg.backend : null;
      spec = normalizeModelConfig(cfg, { source: label, format: 'json', kerasVersion: version, backend, trainingConfig: null });
      if (opts.weights !== undefined) await attachWeightsFile(spec, opts.weights, opts.weightsLabel);
      break;
    }
    case 'empty':
      throw new NotAKerasModelError('the file is empty', { file: label });
    default:
      throw new NotAKerasModelError(`not a Keras model file${kind.looksLike ? ` (it looks like ${kind.looksLike})` : ''}`, {
        file: label, hint: 'expected a Keras .h5, .keras or JSON model file',
      });
  }
  return spec;
}

/** Keras 3 `.keras` configs carry the training config as `compile_config`. */
function compileConfig(cfg: unknown): Record<string, unknown> | null {
  if (cfg && typeof cfg === 'object' && !Array.isArray(cfg)) {
    const c = (cfg as Record<string, unknown>).compile_config;
    if (c && typeof c === 'object' && !Array.isArray(c)) return c as Record<string, unknown>;
  }
  return null;
}

function fromHdf5(h5: Hdf5File, label: string): ModelSpec {
  const kind = legacyKind(h5);
  if (kind === 'weights' || kind === 'keras0' || (kind === null && isWeightStore(h5))) {
    throw new MissingWeightsError('this HDF5 file holds weights only, no model architecture', {
      file: label, hint: 'pass the architecture JSON as the model and this file as its weights (--weights)',
    });
  }
  if (kind !== 'full') throw new NotAKerasModelError('HDF5 file without Keras model attributes', { file: label });
  const c = readLegacyH5(h5);
  if (!c.modelConfig) throw new CorruptFileError('model_config attribute is empty', { file: label });
  const cfg = parseKerasJson(c.modelConfig, label);
  const version = parseKerasVersion(c.kerasVersion, { inferredMajor: c.keras1 ? 1 : detectConfigMajor(cfg) ?? 2 });
  const format: ModelFormat = 'legacy-h5';
  const spec = normalizeModelConfig(cfg, {
    source: label, format, kerasVersion: version, backend: c.backend, trainingConfig: parseTrainingConfig(c.trainingConfig, label),
  });
  attachLegacyWeights(spec, c.groups, { source: label, match: 'name' });
  spec.hasWeights = true;
  return spec;
}

async function attachWeightsFile(spec: ModelSpec, weights: FileInput, weightsLabel?: string): Promise<void> {
  const label = labelOf(weights, weightsLabel);
  const bytes = await bytesOf(weights);
  if (sniff(bytes.subarray(0, 1 << 20)).container !== 'hdf5') {
    throw new NotAKerasModelError('the weights file is not HDF5', { file: label, hint: 'pass a file written by save_weights() (.h5 / .weights.h5)' });
  }
  const h5 = await openHdf5(bytes, label);
  try {
    const kind = legacyKind(h5);
    if (kind === 'weights' || kind === 'full' || kind === 'keras0') {
      const c = readLegacyH5(h5);
      if (spec.kerasVersion.inferred && c.kerasVersion) {
        // the JSON recorded no version; the weights file does
        spec.kerasVersion = parseKerasVersion(c.kerasVersion);
      }
      if (!spec.backend && c.backend) spec.backend = c.backend;
      attachLegacyWeights(spec, c.groups, { source: label, match: kind === 'keras0' ? 'position' : 'auto' });
      spec.hasWeights = true;
    } else if (isWeightStore(h5)) {
      attachStoreWeights(spec, readWeightStore(h5), label);
    } else {
      throw new InvalidConfigError('the weights file has no Keras weights layout', { file: label });
    }
  } finally {
    h5.close();
  }
}
