/**
 * Legacy HDF5 layouts (formats.md §1): `model.save('x.h5')` full models (Keras 1.0.7 … Keras 3) and
 * `save_weights('w.h5')` weights-only files (Keras 0.x, 1.x, 2.x / tf.keras).
 *
 * This module only reads what the file holds — config strings, version attributes, and the weight groups in
 * `layer_names` / `weight_names` order. Pairing those groups with layers is weights.ts's job.
 */
import { CorruptFileError, UnsupportedFeatureError, WeightMismatchError } from '../errors.ts';
import type { Hdf5File } from '../io/hdf5.ts';
import type { WeightSpec } from '../spec/types.ts';

/** One layer group of the file, in file order (`layer_names`), including weightless ones. */
export interface WeightGroup {
  /** The group name (= layer name for Keras 1+; `layer_<k>` for Keras 0.x). */
  name: string;
  weights: WeightSpec[];
}

export interface LegacyH5Contents {
  /** full: model_config + model_weights; weights: save_weights layout; keras0: nb_layers/param_N. */
  kind: 'full' | 'weights' | 'keras0';
  modelConfig: string | null;
  trainingConfig: string | null;
  /** keras_version as recorded (root, or the weights group), else null. */
  kerasVersion: string | null;
  backend: string | null;
  /** Keras 1: the weights group records no keras_version (Keras 2's own rule, formats.md §2.1). */
  keras1: boolean;
  groups: WeightGroup[];
}

/** What kind of legacy HDF5 this is, or null when it has none of the Keras markers. */
export function legacyKind(h5: Hdf5File): LegacyH5Contents['kind'] | null {
  const root = h5.attrNames('/');
  if (root.includes('model_config')) return 'full';
  if (root.includes('layer_names') || root.includes('layer_names0')) return 'weights';
  if (root.includes('nb_layers')) return 'keras0';
  return null;
}

function str(h5: Hdf5File, path: string, name: string): string | null {
  const v = h5.attr(path, name);
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
  throw new CorruptFileError(`attribute '${name}' of ${path} is not a string`, { file: h5.label });
}

/**
 * Read weights in Keras order: `layer_names` gives the groups, each group's `weight_names` the datasets.
 * HDF5 iteration order (alphabetical) is never used.
 * With `readValues: false` only names, shapes and dtypes are read (values empty).
 */
export async function readLegacyH5(h5: Hdf5File, opts: { readValues?: boolean } = {}): Promise<LegacyH5Contents> {
  const kind = legacyKind(h5);
  if (!kind) throw new CorruptFileError('HDF5 file has no Keras attributes', { file: h5.label });
  const readValues = opts.readValues ?? true;
  if (kind === 'keras0') return readKeras0(h5, readValues);

  const full = kind === 'full';
  const wroot = full ? '/model_weights' : '/';
  const modelConfig = full ? str(h5, '/', 'model_config') : null;
  const trainingConfig = full && h5.attrNames('/').includes('training_config') ? str(h5, '/', 'training_config') : null;
  let groups: WeightGroup[] = [];
  let wAttrs: string[] = [];
  if (h5.kind(wroot) === 'group') {
    wAttrs = h5.attrNames(wroot);
    const layerNames = h5.stringListAttr(wroot, 'layer_names');
    if (layerNames === undefined) {
      // A full model saved without weights (include weights=False is not a Keras option, but Keras 3 writes
      // `model_weights` with layer_names always): treat as corrupt only if there is no weights group at all.
      if (full) throw new CorruptFileError(`${wroot} has no 'layer_names' attribute`, { file: h5.label });
    } else {
      groups = await readGroups(h5, wroot, layerNames, readValues);
    }
    // Keras 3 writes variables owned by the model object itself here (not a layer); empty for
    // Sequential/Functional models. Anything in it would have nowhere to go.
    const top = joinPath(wroot, 'top_level_model_weights');
    if (!layerNames?.includes('top_level_model_weights') && h5.kind(top) === 'group') {
      const names = h5.stringListAttr(top, 'weight_names') ?? [];
      if (names.length > 0) {
        throw new UnsupportedFeatureError(`the model object owns variables of its own (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}), as subclassed models do`, {
          file: h5.label,
          hint: 'only Sequential and Functional models can be imported; move the variables into a layer',
        });
      }
    }
  } else if (full) {
    throw new CorruptFileError("the file has a model_config but no 'model_weights' group", {
      file: h5.label,
      hint: 'if this is an architecture-only file, export the JSON with model.to_json() instead',
    });
  }
  const kerasVersion = str(h5, '/', 'keras_version') ?? (wAttrs.includes('keras_version') ? str(h5, wroot, 'keras_version') : null);
  const backend = str(h5, '/', 'backend') ?? (wAttrs.includes('backend') ? str(h5, wroot, 'backend') : null);
  return {
    kind,
    modelConfig,
    trainingConfig,
    kerasVersion,
    backend,
    keras1: !wAttrs.includes('keras_version'),
    groups,
  };
}

function joinPath(...parts: string[]): string {
  return '/' + parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/');
}

/**
 * Every layer group's weights. With values, all datasets are read in one readDatasetsAsync call (one shared buffer,
 * overlapped reads); if that fails, the layers are read one weight at a time so the error names the layer and weight.
 */
async function readGroups(h5: Hdf5File, wroot: string, layerNames: string[], readValues: boolean): Promise<WeightGroup[]> {
  const listed = layerNames.map((name) => ({ name, gpath: joinPath(wroot, name), names: weightNames(h5, wroot, name) }));
  if (readValues) {
    const paths = listed.flatMap((g) => g.names.map((w) => joinPath(g.gpath, w)));
    let data: ReturnType<Hdf5File['readDatasets']> | null = null;
    try {
      data = await h5.readDatasetsAsync(paths);
    } catch {
      // fall through: the per-weight reads below raise the precise error
    }
    if (data) {
      let k = 0;
      return listed.map((g) => ({
        name: g.name,
        weights: g.names.map((wname) => { const d = data![k++]; return { name: wname, shape: d.shape, dtype: d.dtype, values: d.values }; }),
      }));
    }
  }
  return listed.map((g) => ({ name: g.name, weights: g.names.map((wname) => readListedWeight(h5, g.gpath, g.name, wname, readValues)) }));
}

function weightNames(h5: Hdf5File, wroot: string, name: string): string[] {
  const gpath = joinPath(wroot, name);
  // Existence is checked only when a read fails: path lookups cost as much as small reads.
  try {
    return h5.stringListAttr(gpath, 'weight_names') ?? [];
  } catch (e) {
    if (h5.kind(gpath) !== 'group') {
      throw new CorruptFileError(`layer_names lists '${name}' but the file has no group for it`, { file: h5.label, layer: name });
    }
    throw e;
  }
}

function readListedWeight(h5: Hdf5File, gpath: string, layer: string, wname: string, readValues: boolean): WeightSpec {
  const dpath = joinPath(gpath, wname);
  try {
    return readWeight(h5, dpath, wname, readValues);
  } catch (e) {
    if (h5.kind(dpath) !== 'dataset') {
      throw new WeightMismatchError(`weight '${wname}' listed in weight_names has no dataset at ${dpath}`, { file: h5.label, layer });
    }
    throw e;
  }
}

export function readWeight(h5: Hdf5File, dpath: string, name: string, readValues: boolean): WeightSpec {
  if (!readValues) {
    const info = h5.datasetInfo(dpath);
    return { name, shape: info.shape, dtype: info.dtype, values: new Float32Array(0) };
  }
  const d = h5.readDataset(dpath);
  return { name, shape: d.shape, dtype: d.dtype, values: d.values };
}

/** Keras 0.x: root `nb_layers`, groups `layer_<k>` with `nb_params` and datasets `param_<p>`; pure order. */
function readKeras0(h5: Hdf5File, readValues: boolean): LegacyH5Contents {
  const nb = h5.attr('/', 'nb_layers');
  if (typeof nb !== 'number' || !Number.isInteger(nb) || nb < 0) throw new CorruptFileError("root attribute 'nb_layers' is not a count", { file: h5.label });
  const groups: WeightGroup[] = [];
  for (let k = 0; k < nb; k++) {
    const gpath = `/layer_${k}`;
    if (h5.kind(gpath) !== 'group') throw new CorruptFileError(`nb_layers is ${nb} but group ${gpath} is missing`, { file: h5.label });
    const np = h5.attr(gpath, 'nb_params');
    if (typeof np !== 'number' || !Number.isInteger(np) || np < 0) throw new CorruptFileError(`${gpath} has no valid 'nb_params'`, { file: h5.label });
    const weights: WeightSpec[] = [];
    for (let p = 0; p < np; p++) {
      const dpath = `${gpath}/param_${p}`;
      if (h5.kind(dpath) !== 'dataset') throw new CorruptFileError(`${gpath} declares ${np} params but ${dpath} is missing`, { file: h5.label });
      weights.push(readWeight(h5, dpath, `param_${p}`, readValues));
    }
    groups.push({ name: `layer_${k}`, weights });
  }
  return { kind: 'keras0', modelConfig: null, trainingConfig: null, kerasVersion: null, backend: null, keras1: true, groups };
}
