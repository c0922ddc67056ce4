/**
 * Config normalizer: any Keras model config (Keras 1.x, 2.x, tf.keras, Keras 3 `.keras` config.json,
 * Keras 3 legacy-h5 hybrid) → the canonical ModelSpec (formats.md §2, §5). Weights stay empty here.
 *
 * Version-specific syntax is handled where it is recognisable from the data itself (node syntax, Keras 1
 * keys); only the nested-model node-index offsets need the recorded version (formats.md §5.3).
 *
 * Conventions of the result (what consumers may rely on):
 * - Keras 1 classes/keys are renamed (normalize-keras1.ts); Keras-1-only facts stay as `keras1_*` keys
 *   (`keras1_dim_ordering`, `keras1_mode` of BatchNormalization, `keras1_output_shape`, …).
 * - InputLayer config always has `batch_input_shape` (Keras 3 `batch_shape` is renamed) and `dtype`.
 * - `config.dtype` is a plain dtype string; a mixed/quantized policy name is in `config.dtype_policy`.
 *   Initializers, regularizers, constraints are left exactly as found.
 * - Sequential models: an explicit InputLayer (kept, or synthesized as `<first layer>_input`, Keras 3
 *   `input_layer`, or the nested model's own input name when the first layer is a model). Without any
 *   input shape, `inputs` is empty and the first layer's single call has no inputs (`args: []`).
 * - Node args: tensors as `tensor`; structures holding tensors as `list`/`dict`; everything else (numbers,
 *   Keras 3 `__slice__`/`__numpy__`/`__tensor__` objects, tf.keras `_CONSTANT_VALUE`s) as `const` with the
 *   value as found. Ordinary multi-input layers get one `list` arg.
 * - Node indices are 0-based call indices of the target layer in this model (nested-model offsets removed);
 *   InputLayers have no inbound nodes but are referenced as node 0.
 * - Wrappers: `innerLayers` = [wrapped] (TimeDistributed) or [forward_<name>, backward_<name>]
 *   (Bidirectional); `config.layer` / `config.backward_layer` hold the normalized {class_name, config}.
 * - Dict inputs/outputs are flattened in sorted key order, as Keras' model.inputs/outputs are.
 */
import { InvalidConfigError } from '../errors.ts';
import type { KerasVersion, LayerSpec, ModelFormat, ModelSpec, NodeArg, NodeSpec, TensorRef } from './types.ts';
import { convertKeras1Layer } from './normalize-keras1.ts';

export interface NormalizeContext {
  source: string;
  format: ModelFormat;
  kerasVersion: KerasVersion;
  backend: string | null;
  trainingConfig?: Record<string, unknown> | null;
}

type Obj = Record<string, unknown>;

const SEQUENTIAL = new Set(['Sequential']);
const FUNCTIONAL = new Set(['Model', 'Functional']);
/** tf.keras op layers that keep their call structure in inbound nodes (`_preserve_input_structure_in_config`). */
const STRUCTURED_OP_LAYERS = new Set(['TFOpLambda', 'SlicingOpLambda', 'ClassMethod', 'InstanceMethod', 'InstanceProperty']);
/** Serialized objects kept verbatim as constants (the op runtime interprets them). */
const K3_SPECIAL = new Set(['__tensor__', '__numpy__', '__slice__', '__ellipsis__', '__bytes__', '__typespec__', '__lambda__']);

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Env {
  ctx: NormalizeContext;
}

function fail(env: Env, message: string, layer?: string, hint?: string): never {
  throw new InvalidConfigError(message, {
    file: env.ctx.source,
    layer,
    hint: hint ?? 'the model configuration is not a valid Keras model config; re-export it with model.save() or model.to_json()',
  });
}

// ---------------------------------------------------------------------------------------------------
// generic value clean-up

/** Deep copy; `{"class_name":"__tuple__","items":[…]}` → plain arrays (legacy h5 / SavedModel JSON). */
function deTuple(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deTuple);
  if (isObj(v)) {
    if (v.class_name === '__tuple__' && Array.isArray(v.items)) return v.items.map(deTuple);
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) out[k] = deTuple(x);
    return out;
  }
  return v;
}

/**
 * Keras 3 serializes tensor-valued layer settings (e.g. Masking's `mask_value`) as
 * `{"class_name": "__tensor__" | "__numpy__", "config": {"value", "dtype"}}`; in a layer config they are
 * plain values (a one-element value becomes a scalar). Call arguments of op nodes keep the object.
 */
function unwrapTensorValues(cfg: Obj): void {
  for (const [k, v] of Object.entries(cfg)) {
    if (isObj(v) && (v.class_name === '__tensor__' || v.class_name === '__numpy__') && isObj(v.config) && 'value' in v.config) {
      const value = v.config.value;
      cfg[k] = Array.isArray(value) && value.length === 1 && typeof value[0] === 'number' ? value[0] : value;
    }
  }
}

/**
 * A dtype policy (tf.keras `Policy`, Keras 3 `DTypePolicy`, `FloatDTypePolicy`, quantized policies, maps)
 * → the plain variable dtype; the policy name is kept under `dtype_policy` when it is not a plain dtype.
 */
function unwrapDtype(cfg: Obj): void {
  const d = cfg.dtype;
  if (!isObj(d)) return;
  const cls = typeof d.class_name === 'string' ? d.class_name : '';
  const inner = isObj(d.config) ? d.config : {};
  if (cls === 'DTypePolicyMap') {
    cfg.dtype_policy = d;
    const def = inner.default_policy;
    cfg.dtype = typeof def === 'string' ? policyVariableDtype(def) : isObj(def) && isObj(def.config) && typeof def.config.name === 'string' ? policyVariableDtype(def.config.name) : null;
    return;
  }
  let name = typeof inner.name === 'string' ? inner.name : null;
  if (name === null && typeof inner.mode === 'string' && typeof inner.source_name === 'string') name = `${inner.mode}_from_${inner.source_name}`;
  if (name === null) return; // unknown shape: leave as found
  const plain = policyVariableDtype(name);
  cfg.dtype = plain;
  if (name !== plain || /Quantized/.test(cls)) cfg.dtype_policy = name;
}

/** 'mixed_float16' → 'float32' (variables stay float32), 'int8_from_float32' → 'float32', 'float16' → 'float16'. */
function policyVariableDtype(name: string): string {
  if (name.startsWith('mixed_')) return 'float32';
  const m = /_from_(.+)$/.exec(name);
  if (m) return policyVariableDtype(m[1]);
  return name;
}

// ---------------------------------------------------------------------------------------------------
// layers

interface RawLayer {
  className: string;
  name: string;
  module: string | null;
  registeredName: string | null;
  config: Obj;
  inboundNodes: unknown;
  original: unknown;
}

/** Read one entry of a `layers` list, in any era's syntax. */
function readLayerEntry(entry: unknown, env: Env, where: string): RawLayer {
  if (!isObj(entry)) fail(env, `${where}: a layer entry is not an object`);
  let className = entry.class_name;
  let cfgRaw: unknown = entry.config;
  let name: unknown;
  if (typeof className !== 'string') {
    // very old Keras: no class_name; `name` holds the class and `custom_name` the layer name
    if (typeof entry.name === 'string' && (typeof entry.custom_name === 'string' || isObj(cfgRaw) === false)) {
      className = entry.name;
      const rest: Obj = { ...entry };
      delete rest.name;
      delete rest.custom_name;
      cfgRaw = isObj(cfgRaw) ? cfgRaw : rest;
      name = entry.custom_name;
    } else {
      fail(env, `${where}: a layer entry has no class_name`);
    }
  }
  const cls = className as string;
  if (cfgRaw === undefined || cfgRaw === null) cfgRaw = {};
  if (!isObj(cfgRaw) && !(SEQUENTIAL.has(cls) && Array.isArray(cfgRaw))) {
    fail(env, `${where}: layer of class ${cls} has a config that is not an object`, typeof entry.name === 'string' ? entry.name : undefined);
  }
  const config = (Array.isArray(cfgRaw) ? { layers: deTuple(cfgRaw) } : deTuple(cfgRaw)) as Obj;
  // functional entries carry the layer name at top level; it wins over config.name (tf.keras
  // TensorFlowOpLayer: entry 'tf_op_layer_Reshape', config 'Reshape')
  name ??= typeof entry.name === 'string' && entry.name !== '' ? entry.name : isObj(cfgRaw) ? cfgRaw.name : undefined;
  if (typeof name !== 'string' || name === '') fail(env, `${where}: layer of class ${cls} has no name`);
  let module = typeof entry.module === 'string' ? entry.module : null;
  if (module === null && isLegacyH5Op(cls, config, entry.inbound_nodes)) module = 'keras.src.ops';
  const reg = typeof entry.registered_name === 'string' && entry.registered_name !== cls ? entry.registered_name : null;
  return { className: cls, name, module, registeredName: reg, config, inboundNodes: entry.inbound_nodes, original: entry };
}

/**
 * Keras 3 `.h5` files drop `module` from layer entries, so a raw op (`keras.ops.add` → class `Add`) looks
 * like the Add layer. Ops are recognisable: their config has no `trainable`/`dtype` (every Keras 3 Layer
 * config has both) and their calls use the Keras 3 node format.
 */
function isLegacyH5Op(cls: string, config: Obj, nodes: unknown): boolean {
  if (cls === 'InputLayer' || 'trainable' in config || 'dtype' in config) return false;
  return Array.isArray(nodes) && nodes.length > 0 && nodes.every((n) => isObj(n) && 'args' in n);
}

function isModelClass(cls: string, module: string | null): boolean {
  // a custom class that happens to be called Model/Sequential is not a nested model (tf_keras = Keras 2 in TF 2.16+)
  if (module !== null && !/^(keras|tf_keras|tensorflow)(\.|$)/.test(module)) return false;
  return SEQUENTIAL.has(cls) || FUNCTIONAL.has(cls);
}

/** Turn a read layer entry into a LayerSpec (without inbound nodes). */
function buildLayer(raw: RawLayer, env: Env): LayerSpec {
  const config = raw.config;
  let className = raw.className;
  let innerModel: ModelSpec | undefined;
  let innerLayers: LayerSpec[] | undefined;

  if (isModelClass(className, raw.module)) {
    innerModel = normalizeModel({ class_name: className, config, name: raw.name }, env, false);
  } else {
    className = convertKeras1Layer(className, config);
    unwrapDtype(config);
    unwrapTensorValues(config);
    if (className === 'TimeDistributedDense') className = timeDistributedDense(config);
    if (className === 'InputLayer') canonicalInputLayer(config);
    if ((className === 'Bidirectional' || className === 'TimeDistributed') && config.layer !== undefined) {
      innerLayers = wrapperInner(className, raw.name, config, env);
    }
  }
  if (innerModel) unwrapDtype(config);
  return {
    name: raw.name,
    className,
    module: raw.module,
    registeredName: raw.registeredName,
    config,
    originalConfig: isObj(raw.original) ? (raw.original as Obj).config : raw.original,
    inboundNodes: [],
    weights: [],
    ...(innerModel ? { innerModel } : {}),
    ...(innerLayers ? { innerLayers } : {}),
    trainable: config.trainable !== false,
  };
}

/**
 * Keras 1 TimeDistributedDense = Dense applied to every timestep, i.e. TimeDistributed(Dense) with the same
 * W, b (Keras 2 dropped the class). `config` already has Keras 2 Dense keys; it becomes the wrapper config.
 */
function timeDistributedDense(config: Obj): string {
  const inner: Obj = { ...config };
  delete inner.input_length;
  delete inner.batch_input_shape;
  for (const k of Object.keys(config)) if (!['name', 'trainable', 'batch_input_shape', 'dtype'].includes(k)) delete config[k];
  config.layer = { class_name: 'Dense', config: inner };
  return 'TimeDistributed';
}

/** InputLayer: one shape key, `batch_input_shape` (Keras 3 `batch_shape` / `input_shape` mapped to it). */
function canonicalInputLayer(cfg: Obj): void {
  if (!Array.isArray(cfg.batch_input_shape)) {
    if (Array.isArray(cfg.batch_shape)) cfg.batch_input_shape = cfg.batch_shape;
    else if (Array.isArray(cfg.input_shape)) cfg.batch_input_shape = [null, ...cfg.input_shape];
    else if (Array.isArray(cfg.shape)) cfg.batch_input_shape = [null, ...cfg.shape];
  }
  delete cfg.batch_shape;
  if (!('dtype' in cfg) || cfg.dtype === null) cfg.dtype = 'float32';
}

/** Bidirectional → [forward, backward]; TimeDistributed → [inner]. */
function wrapperInner(className: string, wrapperName: string, cfg: Obj, env: Env): LayerSpec[] {
  const inner = buildLayer(readLayerEntry(cfg.layer, env, `wrapper ${wrapperName}`), env);
  cfg.layer = { class_name: inner.className, config: inner.config };
  if (className === 'TimeDistributed') return [inner];
  // Keras names the halves forward_<name> / backward_<name>
  const forward: LayerSpec = { ...inner, name: inner.name.startsWith('forward_') ? inner.name : `forward_${inner.name}` };
  let backward: LayerSpec;
  if (cfg.backward_layer !== undefined && cfg.backward_layer !== null) {
    backward = buildLayer(readLayerEntry(cfg.backward_layer, env, `wrapper ${wrapperName}`), env);
    cfg.backward_layer = { class_name: backward.className, config: backward.config };
  } else {
    const bcfg = structuredClone(inner.config);
    bcfg.go_backwards = !(inner.config.go_backwards === true);
    backward = { ...inner, name: `backward_${inner.name}`, config: bcfg, originalConfig: inner.originalConfig };
  }
  if (!backward.name.startsWith('backward_')) backward = { ...backward, name: `backward_${backward.name}` };
  return [forward, backward];
}

// ---------------------------------------------------------------------------------------------------
// models

function normalizeModel(entry: Obj, env: Env, top: boolean): ModelSpec {
  const cls = entry.class_name;
  if (typeof cls !== 'string') fail(env, 'model config has no class_name', undefined, 'expected {"class_name": "Sequential"|"Model"|"Functional", "config": …}');
  const module = typeof entry.module === 'string' ? entry.module : null;
  if (!isModelClass(cls, module)) {
    fail(env, `unknown model class '${cls}'`, top ? undefined : (entry.name as string | undefined),
      'only Sequential and functional (Model/Functional) models can be imported; subclassed models keep their architecture in Python code');
  }
  const spec = SEQUENTIAL.has(cls) ? normalizeSequential(entry, env, top) : normalizeFunctional(entry, env, top);
  validateRefs(spec, env);
  return spec;
}

function baseSpec(env: Env, modelClass: string, name: string, original: unknown, top: boolean): ModelSpec {
  return {
    format: env.ctx.format,
    source: env.ctx.source,
    kerasVersion: env.ctx.kerasVersion,
    backend: env.ctx.backend,
    modelClass,
    name,
    layers: [],
    inputs: [],
    outputs: [],
    trainingConfig: top ? (env.ctx.trainingConfig ?? null) : null,
    originalConfig: original,
    hasWeights: false,
  };
}

const tensor = (ref: TensorRef): NodeArg => ({ kind: 'tensor', ref });

// --- Sequential -----------------------------------------------------------------------------------

function normalizeSequential(entry: Obj, env: Env, top: boolean): ModelSpec {
  const cfg = entry.config;
  let list: unknown;
  let name: string;
  let buildInputShape: unknown = null;
  if (Array.isArray(cfg)) {
    list = cfg;
    name = typeof entry.name === 'string' ? entry.name : 'sequential';
  } else if (isObj(cfg)) {
    list = cfg.layers;
    name = typeof cfg.name === 'string' ? cfg.name : typeof entry.name === 'string' ? entry.name : 'sequential';
    buildInputShape = deTuple(cfg.build_input_shape);
  } else {
    fail(env, 'Sequential config is neither a list of layers nor an object', top ? undefined : (entry.name as string));
  }
  if (!Array.isArray(list)) fail(env, `Sequential model '${name}' has no layers list`);
  const spec = baseSpec(env, 'Sequential', name, entry, top);
  const byName = new Map<string, LayerSpec>();
  const major = env.ctx.kerasVersion.major;

  const push = (layer: LayerSpec): void => {
    if (byName.has(layer.name)) fail(env, 'two layers have the same name', layer.name);
    byName.set(layer.name, layer);
    spec.layers.push(layer);
  };
  const synthInput = (shape: unknown[], dtype: unknown, firstName: string, sparse: unknown, given?: string): TensorRef => {
    // Keras 1/2 and tf.keras name the generated input `<first layer>_input`; Keras 3 calls it `input_layer`
    let inputName = given ?? (major === 3 ? 'input_layer' : `${firstName}_input`);
    if (byName.has(inputName)) inputName = `${firstName}_input`;
    if (byName.has(inputName)) fail(env, `cannot name the input of the Sequential model: '${inputName}' is taken`, firstName);
    const config: Obj = { batch_input_shape: shape, dtype: typeof dtype === 'string' ? dtype : 'float32', sparse: sparse === true, name: inputName };
    push({ name: inputName, className: 'InputLayer', module: null, registeredName: null, config, originalConfig: null, inboundNodes: [], weights: [], trainable: true });
    const ref = { layer: inputName, node: 0, tensor: 0 };
    return ref;
  };

  /** Append a (sub-)Sequential's layers; returns the output tensor (null while the input is unknown). */
  const addChain = (entries: unknown[], input: TensorRef | null, isRoot: boolean): TensorRef | null => {
    let current = input;
    let started = input !== null;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      // Keras 1: a leading Merge whose config holds the branch Sequentials
      if (i === 0 && !started && isObj(e) && e.class_name === 'Merge' && isObj(e.config) && Array.isArray(e.config.layers)) {
        const branches = e.config.layers.map((b: unknown, bi: number) => {
          if (!isObj(b)) fail(env, `branch ${bi} of the leading Merge is not a model config`, String(e.config && (e.config as Obj).name));
          // Sequential branches are flattened (Keras 1 saved their layers as the model's own); a functional
          // branch becomes a nested model layer
          const bl = b.class_name !== 'Sequential' ? [b] : Array.isArray(b.config) ? b.config : isObj(b.config) ? b.config.layers : null;
          if (!Array.isArray(bl)) fail(env, `branch ${bi} of the leading Merge has no layers`, String((e.config as Obj).name));
          const out = addChain(bl, null, false);
          if (out === null) fail(env, `branch ${bi} of the leading Merge has no input shape`, String((e.config as Obj).name), 'the first layer of every merged branch needs batch_input_shape');
          return out;
        });
        const raw = readLayerEntry(e, env, `layer ${i}`);
        delete raw.config.layers;
        const layer = buildLayer(raw, env);
        layer.inboundNodes.push({ args: [{ kind: 'list', items: branches.map(tensor) }], kwargs: {}, inputs: [...branches] });
        push(layer);
        current = { layer: layer.name, node: 0, tensor: 0 };
        started = true;
        continue;
      }
      const raw = readLayerEntry(e, env, `layer ${i}`);
      const existing = byName.get(raw.name);
      const layer = existing && existing.className === convertKeras1Layer(raw.className, structuredClone(raw.config)) ? existing : buildLayer(raw, env);
      if (layer.className === 'InputLayer') {
        if (started) fail(env, 'an InputLayer appears after the first layer of a Sequential model', layer.name);
        push(layer);
        current = { layer: layer.name, node: 0, tensor: 0 };
        spec.inputs.push(current);
        started = true;
        continue;
      }
      if (!started) {
        const shape = layer.innerModel ? null : layer.config.batch_input_shape;
        if (Array.isArray(shape)) {
          current = synthInput(shape, layer.config.keras1_input_dtype ?? layer.config.dtype, layer.name, layer.config.sparse);
          spec.inputs.push(current);
        } else if (isRoot && Array.isArray(buildInputShape) && (buildInputShape.length === 0 || !Array.isArray(buildInputShape[0]))) {
          current = synthInput(buildInputShape, layer.config.keras1_input_dtype ?? layer.config.dtype, layer.name, false);
          spec.inputs.push(current);
        } else if (layer.innerModel && layer.innerModel.inputs.length > 0) {
          // a nested model as first layer: Keras makes its inputs the Sequential's inputs (same name)
          const innerIn = layer.innerModel.layers.find((l) => l.name === layer.innerModel!.inputs[0].layer);
          const s = innerIn?.config.batch_input_shape;
          if (Array.isArray(s) && layer.innerModel.inputs.length === 1) {
            current = synthInput(s, innerIn!.config.dtype, layer.name, innerIn!.config.sparse, innerIn!.name);
            spec.inputs.push(current);
          }
        }
        started = true;
      }
      const node: NodeSpec = current ? { args: [tensor(current)], kwargs: {}, inputs: [current] } : { args: [], kwargs: {}, inputs: [] };
      layer.inboundNodes.push(node);
      if (layer !== existing) push(layer);
      current = { layer: layer.name, node: layer.inboundNodes.length - 1, tensor: 0 };
    }
    return current;
  };

  const out = addChain(list, null, true);
  if (out) spec.outputs.push(out);
  return spec;
}

// --- Functional -----------------------------------------------------------------------------------

function normalizeFunctional(entry: Obj, env: Env, top: boolean): ModelSpec {
  const cfg = entry.config;
  const label = typeof entry.name === 'string' ? entry.name : undefined;
  if (!isObj(cfg)) fail(env, 'functional model config is not an object', top ? undefined : label);
  if (!Array.isArray(cfg.layers)) fail(env, 'functional model config has no layers list', top ? undefined : label);
  const name = typeof cfg.name === 'string' ? cfg.name : (label ?? 'model');
  const spec = baseSpec(env, entry.class_name as string, name, entry, top);
  const byName = new Map<string, LayerSpec>();
  const raws: RawLayer[] = [];
  cfg.layers.forEach((e: unknown, i: number) => {
    const raw = readLayerEntry(e, env, `layer ${i} of model '${name}'`);
    const layer = buildLayer(raw, env);
    if (byName.has(layer.name)) fail(env, 'two layers have the same name', layer.name);
    byName.set(layer.name, layer);
    spec.layers.push(layer);
    raws.push(raw);
  });

  const resolver = makeResolver(byName, env);
  raws.forEach((raw, i) => {
    const layer = spec.layers[i];
    const nodes = raw.inboundNodes;
    if (nodes === undefined || nodes === null) return;
    if (!Array.isArray(nodes)) fail(env, 'inbound_nodes is not a list', layer.name);
    for (const n of nodes) layer.inboundNodes.push(parseNode(deTuple(n), layer, resolver, env));
  });

  const ins = parseIo(cfg.input_layers, 'input_layers', resolver, env);
  spec.inputs = ins.refs;
  if (ins.names) spec.inputNames = ins.names;
  spec.outputs = parseIo(cfg.output_layers, 'output_layers', resolver, env).refs;
  return spec;
}

type Where = 'node' | 'io';
type Resolver = (name: unknown, node: unknown, tensor: unknown, where: Where, consumer?: string) => TensorRef;

/**
 * Node-index offsets of nested models (formats.md §5.3): Keras 1/2 containers and tf.keras graph
 * networks keep an internal node 0 that is not serialized; Keras 3 numbers calls from 0 in keras_history
 * but still adds 1 for nested Functional models in input_layers/output_layers.
 */
function nodeOffset(layer: LayerSpec, where: Where, env: Env): number {
  const inner = layer.innerModel;
  if (!inner) return 0;
  const v = env.ctx.kerasVersion;
  const functional = inner.modelClass !== 'Sequential';
  if (v.major === 3) return functional && where === 'io' ? 1 : 0;
  if (v.major === 2 && v.tfKeras) return functional || inner.inputs.length > 0 ? 1 : 0;
  return 1;
}

function makeResolver(byName: Map<string, LayerSpec>, env: Env): Resolver {
  return (name, node, tensorIdx, where, consumer) => {
    if (typeof name !== 'string') fail(env, 'a tensor reference does not name a layer', consumer);
    const target = byName.get(name);
    if (!target) fail(env, `a tensor reference names layer '${name}', which is not in the model`, consumer);
    const n = typeof node === 'number' ? node : 0;
    const t = typeof tensorIdx === 'number' ? tensorIdx : 0;
    if (!Number.isInteger(n) || !Number.isInteger(t) || t < 0) fail(env, `bad tensor reference [${name}, ${node}, ${tensorIdx}]`, consumer);
    return { layer: name, node: n - nodeOffset(target, where, env), tensor: t };
  };
}

/** A legacy (Keras 1/2/tf.keras) node leaf: [layer, node, tensor] or [layer, node, tensor, kwargs]. */
function isLegacyLeaf(x: unknown): x is unknown[] {
  return Array.isArray(x) && (x.length === 3 || x.length === 4) && typeof x[0] === 'string' && typeof x[1] === 'number' && typeof x[2] !== 'object'
    ? true
    : Array.isArray(x) && (x.length === 3 || x.length === 4) && x[0] === '_CONSTANT_VALUE';
}

function parseNode(raw: unknown, layer: LayerSpec, resolve: Resolver, env: Env): NodeSpec {
  let args: NodeArg[];
  let kwargs: Record<string, NodeArg> = {};
  if (isObj(raw) && ('args' in raw || 'kwargs' in raw) && Object.keys(raw).every((k) => k === 'args' || k === 'kwargs')) {
    // Keras 3: {"args": [...], "kwargs": {...}} with __keras_tensor__ objects
    const a = raw.args ?? [];
    if (!Array.isArray(a)) fail(env, 'inbound node args is not a list', layer.name);
    args = a.map((x) => k3Arg(x, layer, resolve, env));
    if (isObj(raw.kwargs)) for (const [k, v] of Object.entries(raw.kwargs)) kwargs[k] = k3Arg(v, layer, resolve, env);
  } else if (Array.isArray(raw) || isObj(raw)) {
    const kw: { value: unknown } = { value: undefined };
    if (STRUCTURED_OP_LAYERS.has(layer.className)) {
      args = [legacyArg(raw, layer, resolve, kw, env)];
    } else if (isLegacyLeaf(raw)) {
      args = [legacyArg(raw, layer, resolve, kw, env)];
    } else if (Array.isArray(raw)) {
      if (raw.length === 0) fail(env, 'an inbound node has no inputs', layer.name);
      args = raw.length === 1 ? [legacyArg(raw[0], layer, resolve, kw, env)] : [legacyArg(raw, layer, resolve, kw, env)];
    } else {
      args = [legacyArg(raw, layer, resolve, kw, env)];
    }
    if (isObj(kw.value)) for (const [k, v] of Object.entries(kw.value)) kwargs[k] = legacyKwarg(v, layer, resolve, env);
  } else {
    fail(env, 'an inbound node is neither a list nor an object', layer.name);
  }
  const inputs: TensorRef[] = [];
  const collect = (a: NodeArg): void => {
    if (a.kind === 'tensor') inputs.push(a.ref);
    else if (a.kind === 'list') a.items.forEach(collect);
    else if (a.kind === 'dict') Object.values(a.items).forEach(collect);
  };
  args.forEach(collect);
  Object.values(kwargs).forEach(collect);
  return { args, kwargs, inputs };
}

function legacyArg(x: unknown, layer: LayerSpec, resolve: Resolver, kw: { value: unknown }, env: Env): NodeArg {
  if (isLegacyLeaf(x)) {
    if (x.length === 4 && isObj(x[3])) kw.value = x[3];
    if (x[0] === '_CONSTANT_VALUE') return { kind: 'const', value: x[2] };
    return tensor(resolve(x[0], x[1], x[2], 'node', layer.name));
  }
  if (Array.isArray(x)) return { kind: 'list', items: x.map((y) => legacyArg(y, layer, resolve, kw, env)) };
  if (isObj(x)) {
    const items: Record<string, NodeArg> = {};
    for (const [k, v] of Object.entries(x)) items[k] = legacyArg(v, layer, resolve, kw, env);
    return { kind: 'dict', items };
  }
  return { kind: 'const', value: x };
}

/** tf.keras kwargs: tensors appear as [layer, node, tensor] triples; everything else is a constant. */
function legacyKwarg(v: unknown, layer: LayerSpec, resolve: Resolver, env: Env): NodeArg {
  if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && Number.isInteger(v[1]) && Number.isInteger(v[2])) {
    return tensor(resolve(v[0], v[1], v[2], 'node', layer.name));
  }
  if (!containsTriple(v)) return { kind: 'const', value: v };
  if (Array.isArray(v)) return { kind: 'list', items: v.map((y) => legacyKwarg(y, layer, resolve, env)) };
  const items: Record<string, NodeArg> = {};
  for (const [k, y] of Object.entries(v as Obj)) items[k] = legacyKwarg(y, layer, resolve, env);
  return { kind: 'dict', items };
}

function containsTriple(v: unknown): boolean {
  if (Array.isArray(v)) {
    if (v.length === 3 && typeof v[0] === 'string' && Number.isInteger(v[1]) && Number.isInteger(v[2])) return true;
    return v.some(containsTriple);
  }
  if (isObj(v)) return Object.values(v).some(containsTriple);
  return false;
}

function isKerasTensor(v: unknown): v is Obj {
  return isObj(v) && v.class_name === '__keras_tensor__';
}

function containsKerasTensor(v: unknown): boolean {
  if (isKerasTensor(v)) return true;
  if (Array.isArray(v)) return v.some(containsKerasTensor);
  if (isObj(v) && !(typeof v.class_name === 'string' && K3_SPECIAL.has(v.class_name))) return Object.values(v).some(containsKerasTensor);
  return false;
}

function k3Arg(v: unknown, layer: LayerSpec, resolve: Resolver, env: Env): NodeArg {
  if (isKerasTensor(v)) {
    const h = isObj(v.config) ? v.config.keras_history : undefined;
    if (!Array.isArray(h) || h.length < 3) fail(env, 'a __keras_tensor__ has no keras_history', layer.name);
    return tensor(resolve(h[0], h[1], h[2], 'node', layer.name));
  }
  if (!containsKerasTensor(v)) return { kind: 'const', value: v };
  if (Array.isArray(v)) return { kind: 'list', items: v.map((y) => k3Arg(y, layer, resolve, env)) };
  const items: Record<string, NodeArg> = {};
  for (const [k, y] of Object.entries(v as Obj)) items[k] = k3Arg(y, layer, resolve, env);
  return { kind: 'dict', items };
}

/**
 * input_layers / output_layers: flat triple (K3 single input), list of triples, dict name → triple, or
 * (Keras 3) any nesting of those; leaves are [layer, node, tensor] in order. A top-level dict gives names.
 */
function parseIo(v: unknown, key: string, resolve: Resolver, env: Env): { refs: TensorRef[]; names?: string[] } {
  const v2 = deTuple(v);
  if (v2 === undefined || v2 === null) fail(env, `functional model config has no ${key}`);
  const isLeaf = (x: unknown): x is unknown[] => Array.isArray(x) && x.length >= 1 && x.length <= 4 && typeof x[0] === 'string';
  const refs: TensorRef[] = [];
  const walk = (x: unknown, depth: number): void => {
    if (isLeaf(x)) refs.push(resolve(x[0], x[1], x[2], 'io'));
    else if (Array.isArray(x) && depth < 20) x.forEach((y) => walk(y, depth + 1));
    // Keras flattens dicts in sorted key order (tf.nest / keras.tree), which is model.inputs/outputs order
    else if (isObj(x) && depth < 20) Object.keys(x).sort().forEach((k) => walk(x[k], depth + 1));
    else fail(env, `${key} has an entry that is not [layer, node, tensor]`);
  };
  walk(v2, 0);
  if (isObj(v2) && Object.values(v2).every(isLeaf)) return { refs, names: Object.keys(v2).sort() };
  return { refs };
}

/** Every TensorRef must name a layer of the model and a call that exists (InputLayers have node 0). */
function validateRefs(spec: ModelSpec, env: Env): void {
  const byName = new Map(spec.layers.map((l) => [l.name, l]));
  const check = (ref: TensorRef, consumer: string | undefined, what: string): void => {
    const target = byName.get(ref.layer);
    if (!target) fail(env, `${what} refers to layer '${ref.layer}', which is not in the model`, consumer);
    const count = target.className === 'InputLayer' ? Math.max(1, target.inboundNodes.length) : target.inboundNodes.length;
    if (ref.node < 0 || ref.node >= count) {
      fail(env, `${what} refers to call ${ref.node} of layer '${ref.layer}', which has ${count} call(s)`, consumer,
        'the inbound_nodes of the config are inconsistent (dangling node reference); re-export the model');
    }
  };
  for (const l of spec.layers) for (const n of l.inboundNodes) for (const r of n.inputs) check(r, l.name, 'an inbound node');
  for (const r of spec.inputs) check(r, undefined, `model '${spec.name}' input`);
  for (const r of spec.outputs) check(r, undefined, `model '${spec.name}' output`);
}

// ---------------------------------------------------------------------------------------------------
// public API

/** Normalize the top-level `{class_name, config, …}` object of a model config into a ModelSpec. */
export function normalizeModelConfig(config: unknown, ctx: NormalizeContext): ModelSpec {
  const env: Env = { ctx };
  if (!isObj(config)) fail(env, 'the model config is not a JSON object', undefined, 'expected {"class_name": "Sequential"|"Model"|"Functional", "config": …}');
  try {
    return normalizeModel(config, env, true);
  } catch (e) {
    // absurdly deep nesting (no Keras writes it; Python's json stops at ~1000 levels) exhausts the stack
    if (e instanceof RangeError) fail(env, 'the model config is nested too deeply to be a Keras model');
    throw e;
  }
}

const K1_MARKER_KEYS = new Set(['init', 'inner_init', 'nb_filter', 'border_mode', 'dim_ordering', 'subsample', 'W_regularizer', 'inner_activation', 'consume_less', 'input_dtype', 'nb_row', 'filter_length', 'pool_length']);
const K1_CLASSES = new Set(['Convolution1D', 'Convolution2D', 'Convolution3D', 'AtrousConvolution1D', 'AtrousConvolution2D', 'Deconvolution2D', 'SeparableConvolution2D', 'TimeDistributedDense', 'MaxoutDense', 'Highway']);
const K2_MARKER_KEYS = new Set(['kernel_initializer', 'units', 'filters', 'kernel_size', 'data_format', 'use_bias', 'rate', 'recurrent_initializer', 'embeddings_initializer', 'pool_size']);
const K3_POLICIES = new Set(['DTypePolicy', 'FloatDTypePolicy', 'QuantizedDTypePolicy', 'QuantizedFloat8DTypePolicy', 'DTypePolicyMap']);

/**
 * Infer the Keras major version from the config style, for files that record no version.
 * Keras 3: dict inbound nodes, InputLayer `batch_shape`, DTypePolicy objects, flat input_layers; `module` /
 * `registered_name` alone also appear in tf.keras 2.13–2.15, which still write list nodes and
 * `batch_input_shape` (→ 2). Keras 1: Keras-1-only keys or classes (a lone `Merge` also exists in Keras
 * 2.0–2.1, so it only decides when nothing else does). Keras 2: Keras 2 key names. null when nothing tells.
 */
export function detectConfigMajor(config: unknown): 1 | 2 | 3 | null {
  const f = { k1: false, k1merge: false, k2: false, k3: false, modern: false, legacyGraph: false };
  const visitLayer = (e: unknown, depth: number): void => {
    if (!isObj(e) || depth > 50) return;
    if ('module' in e || 'registered_name' in e || 'build_config' in e) f.modern = true;
    const cls = typeof e.class_name === 'string' ? e.class_name : '';
    if (K1_CLASSES.has(cls)) f.k1 = true;
    if (cls === 'Merge') f.k1merge = true;
    const cfg = e.config;
    if (Array.isArray(cfg)) cfg.forEach((x) => visitLayer(x, depth + 1));
    if (!isObj(cfg)) return;
    for (const k of Object.keys(cfg)) {
      if (K1_MARKER_KEYS.has(k)) f.k1 = true;
      if (k === 'output_dim' && cls !== 'Embedding' && cls !== '') f.k1 = true;
      if (k === 'p' && cls === 'Dropout') f.k1 = true;
      if (K2_MARKER_KEYS.has(k)) f.k2 = true;
    }
    if (cls === 'InputLayer') {
      if ('batch_shape' in cfg) f.k3 = true;
      if ('batch_input_shape' in cfg) f.legacyGraph = true;
    }
    if (isObj(cfg.dtype) && typeof cfg.dtype.class_name === 'string' && K3_POLICIES.has(cfg.dtype.class_name)) f.k3 = true;
    if (Array.isArray(e.inbound_nodes)) {
      if (e.inbound_nodes.some((n) => isObj(n) && ('args' in n || 'kwargs' in n))) f.k3 = true;
      if (e.inbound_nodes.some((n) => Array.isArray(n))) f.legacyGraph = true;
    }
    if (Array.isArray(cfg.layers)) cfg.layers.forEach((x) => visitLayer(x, depth + 1));
    if (isObj(cfg.layer)) visitLayer(cfg.layer, depth + 1);
    if (Array.isArray(cfg.input_layers) && cfg.input_layers.length > 0 && typeof cfg.input_layers[0] === 'string') f.k3 = true;
  };
  visitLayer(config, 0);
  if (f.k3) return 3;
  if (f.modern) return f.legacyGraph ? 2 : 3;
  if (f.k1) return 1;
  if (f.k2) return 2;
  if (f.k1merge) return 1;
  return null;
}
