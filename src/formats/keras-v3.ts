/**
 * Keras 3 / tf.keras 2.11–2.15 "v3" format (formats.md §4): the `.keras` zip archive and the HDF5 weight
 * store (`model.weights.h5` inside the archive, or a standalone `*.weights.h5`).
 *
 * The store is read into a map from group path (e.g. `layers/dense_1`) to that group's `vars/0..N` in
 * numeric order. Which path belongs to which layer is decided in weights.ts by walking the config.
 */
import { CorruptFileError, NotAKerasModelError, UnsupportedFeatureError } from '../errors.ts';
import type { Hdf5File } from '../io/hdf5.ts';
import { openZip, type ZipLimits } from '../io/zip.ts';
import type { WeightSpec } from '../spec/types.ts';
import { readWeight } from './legacy-h5.ts';

export interface KerasArchive {
  /** config.json text. */
  config: string;
  /** metadata.json parsed, or null when absent. */
  metadata: Record<string, unknown> | null;
  /** Bytes of model.weights.h5 (or the 2.11 `variables.h5`), or null when the archive has no weights. */
  weights: Uint8Array | null;
  weightsMember: string | null;
}

export function readKerasArchive(bytes: Uint8Array, label: string, limits?: ZipLimits): KerasArchive {
  const zip = openZip(bytes, label, limits);
  if (!zip.has('config.json')) {
    throw new NotAKerasModelError('zip archive has no config.json, so it is not a .keras model', {
      file: label,
      hint: 'save the model with model.save("model.keras")',
    });
  }
  const text = (name: string) => new TextDecoder('utf-8').decode(zip.read(name));
  let metadata: Record<string, unknown> | null = null;
  if (zip.has('metadata.json')) {
    try {
      const m = JSON.parse(text('metadata.json'));
      if (m && typeof m === 'object' && !Array.isArray(m)) metadata = m as Record<string, unknown>;
    } catch (e) {
      throw new CorruptFileError('metadata.json in the archive is not valid JSON', { file: label, cause: e });
    }
  }
  const weightsMember = ['model.weights.h5', 'variables.h5'].find((n) => zip.has(n)) ?? null;
  if (!weightsMember && zip.has('model.weights.npz')) {
    throw new UnsupportedFeatureError('weights are stored as model.weights.npz, which is not supported', {
      file: label,
      hint: 're-save with model.save("model.keras") without weights_format="npz" (the default is HDF5)',
    });
  }
  return { config: text('config.json'), metadata, weights: weightsMember ? zip.read(weightsMember) : null, weightsMember };
}

/** Whether an HDF5 file has the weight-store layout (no root attributes; `layers/`, `vars/`, …). */
export function isWeightStore(h5: Hdf5File): boolean {
  const keys = h5.keys('/');
  return ['layers', '_layer_checkpoint_dependencies', 'vars', 'optimizer'].some((k) => keys.includes(k));
}

export interface WeightStore {
  label: string;
  /** Top-level layer container: `layers` (Keras 3) or `_layer_checkpoint_dependencies` (tf.keras 2.12–2.15). */
  container: 'layers' | '_layer_checkpoint_dependencies';
  /** Object path (without `/vars`, no leading slash) → its variables in `vars/N` numeric order. */
  vars: Map<string, WeightSpec[]>;
}

/** Top-level groups that hold training state, never model weights. */
const NON_MODEL_ROOTS = new Set(['optimizer', 'metrics', 'compile_metrics', 'loss', 'compiled_metrics', 'compiled_loss']);

const MAX_DEPTH = 64;
const MAX_GROUPS = 1_000_000;

export function readWeightStore(h5: Hdf5File, opts: { readValues?: boolean } = {}): WeightStore {
  const readValues = opts.readValues ?? true;
  const rootKeys = h5.keys('/');
  const container = rootKeys.includes('layers') || !rootKeys.includes('_layer_checkpoint_dependencies') ? 'layers' : '_layer_checkpoint_dependencies';
  const vars = new Map<string, WeightSpec[]>();
  let groups = 0;
  const walk = (path: string, keys: string[], depth: number) => {
    // Hard links can make a group its own descendant; Keras nests a few levels per model, never this deep.
    if (depth > MAX_DEPTH || ++groups > MAX_GROUPS) {
      throw new CorruptFileError(`the weight store nests groups too deeply or has too many of them (at /${path}); it may contain a cycle`, {
        file: h5.label,
        hint: 'this is not a file Keras wrote',
      });
    }
    for (const k of keys) {
      const child = path ? `${path}/${k}` : k;
      if (!path && NON_MODEL_ROOTS.has(k)) continue;
      if (h5.kind('/' + child) !== 'group') continue;
      const childKeys = h5.keys('/' + child);
      if (k === 'vars') {
        vars.set(path, readVars(h5, child, childKeys, readValues));
      } else {
        walk(child, childKeys, depth + 1);
      }
    }
  };
  walk('', rootKeys, 0);
  return { label: h5.label, container, vars };
}

function readVars(h5: Hdf5File, path: string, keys: string[], readValues: boolean): WeightSpec[] {
  // HDF5 lists `10` before `2`: sort numerically (formats.md §4.2).
  const idx = keys.map((k) => {
    if (!/^\d+$/.test(k)) throw new CorruptFileError(`weight store group /${path} has a non-numeric member '${k}'`, { file: h5.label });
    return Number(k);
  });
  idx.sort((a, b) => a - b);
  idx.forEach((v, i) => {
    if (v !== i) throw new CorruptFileError(`weight store group /${path} is missing variable ${i}`, { file: h5.label });
  });
  return idx.map((i) => {
    const dpath = `/${path}/${i}`;
    if (h5.kind(dpath) !== 'dataset') throw new CorruptFileError(`${dpath} is not a dataset`, { file: h5.label });
    return readWeight(h5, dpath, `${path}/${i}`, readValues);
  });
}
