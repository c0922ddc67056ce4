/**
 * Attaching stored weights to the normalized layers (formats.md §1.7, §4.2).
 *
 * - Legacy HDF5: groups are matched to layers by name when the file and config come together (or when every
 *   name matches); a weights-only file paired with a foreign config falls back to Keras' positional rule.
 *   A nested model saved as one group is split over its inner layers by the sub-layer name in each weight
 *   name (the group lists trainable weights of all sub-layers first, so grouping stably restores each
 *   sub-layer's own order).
 * - Weight stores (`.keras`, `*.weights.h5`): paths are class-based and rebuilt by walking the config.
 * Wrappers (Bidirectional, TimeDistributed) keep their weights on the wrapper LayerSpec.
 */
import { UnsupportedFeatureError, WeightMismatchError } from '../errors.ts';
import type { LayerSpec, ModelSpec, WeightSpec } from '../spec/types.ts';
import type { WeightGroup } from './legacy-h5.ts';
import type { WeightStore } from './keras-v3.ts';
import { inferModelShapes } from '../spec/shapes/index.ts';

/** Keras 3 op nodes (`keras.src.ops.*`) appear in `layers` but are not layers: no weights, no store path. */
export function isOpNode(layer: LayerSpec): boolean {
  return !!layer.module && /^keras(\.src)?\.ops(\.|$)/.test(layer.module);
}

/**
 * Classes that never own weights — used only by the positional rule for weights-only files paired with a
 * config whose layer names differ (Keras' topological loading skips weightless layers).
 */
const WEIGHTLESS = new Set([
  'InputLayer', 'Activation', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'AlphaDropout',
  'GaussianDropout', 'GaussianNoise', 'ActivityRegularization', 'Flatten', 'Reshape', 'Permute', 'RepeatVector',
  'Masking', 'Lambda', 'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D',
  'AveragePooling3D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalMaxPooling3D', 'GlobalAveragePooling1D',
  'GlobalAveragePooling2D', 'GlobalAveragePooling3D', 'ZeroPadding1D', 'ZeroPadding2D', 'ZeroPadding3D',
  'Cropping1D', 'Cropping2D', 'Cropping3D', 'UpSampling1D', 'UpSampling2D', 'UpSampling3D', 'Add', 'Subtract',
  'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Dot', 'Merge', 'LeakyReLU', 'ReLU', 'ELU',
  'ThresholdedReLU', 'Softmax', 'Rescaling', 'Resizing', 'CenterCrop', 'Identity', 'TFOpLambda', 'SlicingOpLambda',
  'TensorFlowOpLayer', 'Attention', 'AdditiveAttentionNoScale', 'UnitNormalization',
]);

/** Every layer name of the model, top level first (used to find where a legacy group belongs). */
function layerIndex(model: ModelSpec): Map<string, LayerSpec> {
  const m = new Map<string, LayerSpec>();
  for (const l of model.layers) if (!m.has(l.name)) m.set(l.name, l);
  return m;
}

export interface AttachLegacyOptions {
  /** File name for messages. */
  source: string;
  /**
   * 'name': match groups to layers by name (full models: config and weights from the same file).
   * 'auto': by name when every weighted group name is a layer name, else Keras' positional rule.
   * 'position': positional rule only (Keras 0.x files have no names).
   */
  match: 'name' | 'auto' | 'position';
}

/** Attach legacy HDF5 weight groups to the model's layers. Returns the number of weights attached. */
export function attachLegacyWeights(model: ModelSpec, groups: WeightGroup[], opts: AttachLegacyOptions): number {
  const weighted = groups.filter((g) => g.weights.length > 0);
  const index = layerIndex(model);
  const allNamed = weighted.every((g) => index.has(g.name));
  let attached = 0;
  if (opts.match === 'name' || (opts.match === 'auto' && allNamed)) {
    for (const g of weighted) {
      const layer = index.get(g.name);
      if (!layer) {
        throw new WeightMismatchError(`the file has weights for a layer '${g.name}' that the model configuration does not contain`, {
          file: opts.source,
          layer: g.name,
          hint: 'check that the weights file belongs to this architecture',
        });
      }
      attached += setLayerWeights(layer, g.weights, opts.source);
    }
  } else {
    // Keras' topological rule: layers that own weights, in order, paired with non-empty groups, in order.
    const candidates = model.layers.filter((l) => !WEIGHTLESS.has(l.className) && !isOpNode(l));
    if (candidates.length !== weighted.length) {
      throw new WeightMismatchError(
        `the weights file has ${weighted.length} layers with weights but the model has ${candidates.length} layers that can own weights ` +
          `(file: ${weighted.map((g) => g.name).join(', ') || 'none'}; model: ${candidates.map((l) => l.name).join(', ') || 'none'})`,
        { file: opts.source, hint: 'check that the weights file belongs to this architecture' },
      );
    }
    weighted.forEach((g, i) => (attached += setLayerWeights(candidates[i], g.weights, opts.source)));
  }
  model.hasWeights = true;
  return attached;
}

function setLayerWeights(layer: LayerSpec, weights: WeightSpec[], source: string): number {
  if (layer.innerModel) {
    distributeNested(layer.innerModel, weights.map((w) => ({ w, rest: w.name })), source, layer.name);
    layer.innerModel.hasWeights = true;
  } else {
    if (layer.weights.length > 0) {
      throw new WeightMismatchError('weights are given twice for this layer', { file: source, layer: layer.name });
    }
    layer.weights = weights;
  }
  return weights.length;
}

interface Pending {
  w: WeightSpec;
  /** The part of the weight name not yet consumed by outer nesting levels. */
  rest: string;
}

/** Split a nested model's group over its inner layers by the sub-layer name embedded in each weight name. */
function distributeNested(model: ModelSpec, items: Pending[], source: string, outer: string): void {
  const index = layerIndex(model);
  const byLayer = new Map<LayerSpec, Pending[]>();
  for (const it of items) {
    const parts = it.rest.split('/');
    let layer: LayerSpec | undefined;
    let rest = '';
    // `block1_conv1/kernel:0`, `vgg16/block1_conv1/kernel:0`, K3 `subseq/sbn/moving_mean`: the first component
    // that names an inner layer decides.
    for (let i = 0; i < parts.length - 1 && !layer; i++) {
      const l = index.get(parts[i]);
      if (l) { layer = l; rest = parts.slice(i + 1).join('/'); }
    }
    if (!layer) {
      // Keras 1 names have no slash: `<layer>_W`, `<layer>_b` — take the longest layer name that prefixes it.
      const base = parts[parts.length - 1];
      let best = '';
      for (const name of index.keys()) if (base.startsWith(name + '_') && name.length > best.length) best = name;
      if (best) { layer = index.get(best); rest = base; }
    }
    if (!layer) {
      throw new WeightMismatchError(`weight '${it.w.name}' of the nested model does not name any of its layers`, {
        file: source,
        layer: outer,
        hint: 'the nested model in the file differs from the one in the configuration',
      });
    }
    const list = byLayer.get(layer) ?? [];
    list.push({ w: it.w, rest });
    byLayer.set(layer, list);
  }
  for (const [layer, list] of byLayer) {
    if (layer.innerModel) {
      distributeNested(layer.innerModel, list, source, layer.name);
      layer.innerModel.hasWeights = true;
    } else {
      if (layer.weights.length > 0) throw new WeightMismatchError('weights are given twice for this layer', { file: source, layer: layer.name });
      layer.weights = list.map((p) => p.w);
    }
  }
  model.hasWeights = true;
}

/**
 * Keras' `to_snake_case` (keras/src/utils/naming.py). tf.keras 2.x (generic_utils) also treats digits as
 * part of a word and prefixes private names with "private".
 */
export function toSnakeCase(name: string, tfKeras = false): string {
  if (tfKeras) {
    const s = name.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    return s.startsWith('_') ? 'private' + s : s;
  }
  return name.replace(/\W+/g, '').replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * Sub-objects whose variables make up a layer's weights, in the layer's weight order. The store lists
 * attributes alphabetically, which is not Keras' order (`backward_layer` < `forward_layer`).
 */
const SUB_OBJECT_ORDER: Record<string, string[]> = {
  Bidirectional: ['forward_layer', 'backward_layer'],
  MultiHeadAttention: ['query_dense', 'key_dense', 'value_dense', 'output_dense'],
  TimeDistributed: ['layer'],
};

/** The class name Keras would use for a layer object (`obj.__class__.__name__`). */
function pythonClassName(layer: LayerSpec): string {
  const orig = layer.originalConfig as { class_name?: unknown } | null;
  if (orig && typeof orig === 'object' && typeof orig.class_name === 'string') return orig.class_name;
  return layer.className;
}

export interface StorePathMap {
  /** Store path (no leading slash, no `/vars`) of each layer object that was given weights. */
  used: Set<string>;
  attached: number;
}

/**
 * Attach a weight store by rebuilding its class-based paths from the config: each model's `layers` list is
 * a container whose elements are named snake_case(class) uniquified in order (`dense`, `dense_1`, …).
 */
export function attachStoreWeights(model: ModelSpec, store: WeightStore, source: string): number {
  const own = store.vars.get('') ?? [];
  if (own.length > 0) {
    throw new UnsupportedFeatureError(`the model object owns ${own.length} variable(s) of its own (/vars), as subclassed models do`, {
      file: source,
      hint: 'only Sequential and Functional models can be imported; move the variables into a layer',
    });
  }
  const used = new Set<string>();
  const attached = attachContainer(model, store.container, store, source, used);
  // Anything left under the layer container belongs to no layer of the configuration.
  const prefix = store.container + '/';
  const orphans = [...store.vars.entries()].filter(([p, v]) => p.startsWith(prefix) && v.length > 0 && !isCovered(p, used));
  if (orphans.length > 0) {
    throw new WeightMismatchError(
      `the weights file has variables at ${orphans.map(([p]) => '/' + p + '/vars').slice(0, 5).join(', ')}` +
        `${orphans.length > 5 ? ` and ${orphans.length - 5} more` : ''}, which no layer of the configuration uses`,
      { file: source, hint: 'check that the weights file belongs to this architecture' },
    );
  }
  model.hasWeights = true;
  return attached;
}

function isCovered(path: string, used: Set<string>): boolean {
  for (let p = path; p; p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '') if (used.has(p)) return true;
  return false;
}

function attachContainer(model: ModelSpec, containerPath: string, store: WeightStore, source: string, used: Set<string>): number {
  const counts = new Map<string, number>();
  let attached = 0;
  for (const layer of model.layers) {
    if (isOpNode(layer)) continue;
    const base = toSnakeCase(pythonClassName(layer), model.kerasVersion.major === 2);
    const n = counts.get(base);
    const name = n === undefined ? base : `${base}_${n + 1}`;
    counts.set(base, n === undefined ? 0 : n + 1);
    const path = `${containerPath}/${name}`;
    if (layer.innerModel) {
      // Nested models keep their own `layers` container (or tf.keras' `_layer_checkpoint_dependencies`).
      const inner = store.vars.has(`${path}/layers`) || [...store.vars.keys()].some((k) => k.startsWith(`${path}/layers/`))
        ? `${path}/layers`
        : `${path}/_layer_checkpoint_dependencies`;
      used.add(path);
      attached += attachContainer(layer.innerModel, inner, store, source, used);
      layer.innerModel.hasWeights = true;
      continue;
    }
    const weights = collectObject(path, pythonClassName(layer), store);
    if (weights.length > 0) {
      used.add(path);
      layer.weights = weights;
      attached += weights.length;
    }
  }
  return attached;
}

/** An object's own vars, then its sub-objects' vars (known order for known classes, else alphabetical). */
function collectObject(path: string, className: string, store: WeightStore): WeightSpec[] {
  const out: WeightSpec[] = [...(store.vars.get(path) ?? [])];
  const prefix = path + '/';
  const children = new Set<string>();
  for (const k of store.vars.keys()) if (k.startsWith(prefix)) children.add(k.slice(prefix.length).split('/')[0]);
  const known = SUB_OBJECT_ORDER[className] ?? [];
  // Private attributes last, as Keras visits them (saving_lib._name_key).
  const key = (s: string) => (s.startsWith('_') ? '~' + s : s);
  const rest = [...children].filter((c) => !known.includes(c)).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  for (const c of [...known.filter((k) => children.has(k)), ...rest]) out.push(...collectObject(`${path}/${c}`, '', store));
  return out;
}

/**
 * Check stored weights against the weights the configuration implies (the shapes helper's inference):
 * a different number of weights, or a weight with a different number of values, is a WeightMismatchError.
 * Layouts that differ with the same number of values (legacy 4-D Conv1D kernels, `channels_first` Keras 1
 * kernels, bias (3u) vs (2,3u) reshapes…) are converted later by the weight loader, so only sizes are compared
 * here. Keras 1 files are skipped: their per-gate RNN tensors and Theano layouts are converted later too.
 * Layers whose weights cannot be inferred (custom classes, unknown input shapes) are not checked.
 */
export function validateWeights(model: ModelSpec, source: string): void {
  if (model.kerasVersion.major === 1) return;
  let inferred: Map<string, { shape: number[] }[] | undefined>;
  try {
    inferred = inferModelShapes(model).layerWeights;
  } catch {
    return; // inference is a check here, never a reason to refuse a model
  }
  for (const layer of model.layers) {
    if (layer.innerModel) {
      // Inner layers carry the weights; check them against the inner model's own inference.
      validateWeights(layer.innerModel, source);
      continue;
    }
    if (isOpNode(layer)) continue;
    const want = inferred.get(layer.name);
    if (!want) continue;
    const got = layer.weights;
    if (got.length === 0 && want.length === 0) continue;
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    if (got.length !== want.length) {
      // CuDNN-style layers and some legacy RNNs store a different tensor count that the loader converts.
      if (/CuDNN/.test(layer.className)) continue;
      throw new WeightMismatchError(
        `the file has ${got.length} weight(s) for this ${layer.className} but its configuration implies ${want.length} ` +
          `(file: ${got.map((w) => `${w.name} ${JSON.stringify(w.shape)}`).join(', ') || 'none'}; ` +
          `expected: ${want.map((w) => JSON.stringify(w.shape)).join(', ')})`,
        { file: source, layer: layer.name, hint: 'check that the weights belong to this architecture' },
      );
    }
    got.forEach((w, i) => {
      if (size(w.shape) !== size(want[i].shape) && !/CuDNN/.test(layer.className)) {
        throw new WeightMismatchError(
          `weight ${i} ('${w.name}') has shape ${JSON.stringify(w.shape)} but the configuration implies ${JSON.stringify(want[i].shape)}`,
          { file: source, layer: layer.name, hint: 'check that the weights belong to this architecture' },
        );
      }
    });
  }
}
