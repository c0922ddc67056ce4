/**
 * Keras 3 / tf.keras 2.11–2.15 "v3" format (formats.md §4): the `.keras` zip archive and the HDF5 weight
 * store (`model.weights.h5` inside the archive, or a standalone `*.weights.h5`).
 *
 * The store is read into a map from group path (e.g. `layers/dense_1`) to that group's `vars/0..N` in
 * numeric order. Which path belongs to which layer is decided in weights.ts by walking the config.
 */
import { CorruptFileError, NotAKerasModelError, UnsafeArchiveError, UnsupportedFeatureError } from '../errors.ts';
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

/**
 * `partial`: one shard of a sharded store may hold only some variables of an object (`vars/1` without
 * `vars/0`); the caller merges shards with mergeWeightStores, which checks completeness.
 */
export function readWeightStore(h5: Hdf5File, opts: { readValues?: boolean; partial?: boolean } = {}): WeightStore {
  const readValues = opts.readValues ?? true;
  const partial = opts.partial ?? false;
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
        vars.set(path, readVars(h5, child, childKeys, readValues, partial));
      } else {
        walk(child, childKeys, depth + 1);
      }
    }
  };
  walk('', rootKeys, 0);
  return { label: h5.label, container, vars };
}

function readVars(h5: Hdf5File, path: string, keys: string[], readValues: boolean, partial = false): WeightSpec[] {
  // HDF5 lists `10` before `2`: sort numerically (formats.md §4.2).
  const idx = keys.map((k) => {
    if (!/^\d+$/.test(k)) throw new CorruptFileError(`weight store group /${path} has a non-numeric member '${k}'`, { file: h5.label });
    return Number(k);
  });
  idx.sort((a, b) => a - b);
  if (!partial) {
    idx.forEach((v, i) => {
      if (v !== i) throw new CorruptFileError(`weight store group /${path} is missing variable ${i}`, { file: h5.label });
    });
  }
  return idx.map((i) => {
    const dpath = `/${path}/${i}`;
    if (h5.kind(dpath) !== 'dataset') throw new CorruptFileError(`${dpath} is not a dataset`, { file: h5.label });
    return readWeight(h5, dpath, `${path}/${i}`, readValues);
  });
}

/** Index of a store variable from its name (`layers/dense/vars/3` → 3). */
function varIndex(w: WeightSpec): number {
  return Number(w.name.slice(w.name.lastIndexOf('/') + 1));
}

/** Merge the shards of a sharded store (Keras 3.10+ `*.weights.json`); every object's vars must end up 0..N-1. */
export function mergeWeightStores(stores: WeightStore[], label: string): WeightStore {
  const byPath = new Map<string, Map<number, WeightSpec>>();
  for (const st of stores) {
    for (const [path, list] of st.vars) {
      const m = byPath.get(path) ?? new Map<number, WeightSpec>();
      for (const w of list) {
        const i = varIndex(w);
        if (m.has(i)) throw new CorruptFileError(`variable ${i} of /${path} is stored in two shards`, { file: label });
        m.set(i, w);
      }
      byPath.set(path, m);
    }
  }
  const vars = new Map<string, WeightSpec[]>();
  for (const [path, m] of byPath) {
    const list: WeightSpec[] = [];
    for (let i = 0; i < m.size; i++) {
      const w = m.get(i);
      if (!w) throw new CorruptFileError(`variable ${i} of /${path} is in none of the shards`, { file: label, hint: 'a shard file is missing' });
      list.push(w);
    }
    vars.set(path, list);
  }
  const container = stores.some((s) => s.container === 'layers') ? 'layers' : (stores[0]?.container ?? 'layers');
  return { label, container, vars };
}

export interface ShardIndex {
  /** Shard file names (plain names, in the index's directory), in first-use order. */
  shards: string[];
}

/** Parse a sharded-weights index (`{"metadata": …, "weight_map": {"/layers/dense/vars": ["m_00000.weights.h5"]}}`). */
export function parseShardIndex(value: unknown, label: string): ShardIndex | null {
  if (!value || typeof value !== 'object' || Array.isArray(value) || !('weight_map' in value)) return null;
  const map = (value as { weight_map: unknown }).weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new CorruptFileError('weight_map of the sharded weights index is not an object', { file: label });
  const shards: string[] = [];
  for (const v of Object.values(map as Record<string, unknown>)) {
    for (const name of Array.isArray(v) ? v : [v]) {
      if (typeof name !== 'string' || name === '' || name.includes('/') || name.includes('\\') || name === '..' || name === '.') {
        throw new UnsafeArchiveError(`the sharded weights index names a shard ${JSON.stringify(name)} that is not a plain file name`, {
          file: label,
          hint: 'shards must lie next to the index; Keras never writes other names',
        });
      }
      if (!shards.includes(name)) shards.push(name);
    }
  }
  return { shards };
}
