/**
 * Layer-level use of the mapping: which initializer keys a layer has (with the writing version's
 * defaults for missing keys), and drawing every weight of an architecture-only import the way that
 * Keras would have built the layer (fans per kernel layout, LSTM forget bias, Keras 1 per-gate RNN
 * matrices, EinsumDense axes in Keras 3.15+).
 */
import { InvalidConfigError, KerasImportError, UnsupportedFeatureError } from '../errors.ts';
import type { KerasVersion, LayerSpec } from '../spec/types.ts';
import { atLeast, computeFans, eraOf, type FanOptions, type KernelLayout } from './fans.ts';
import { VarianceScalingInit } from './impls.ts';
import { mapInitializer, type MapContext, type MappedInitializer } from './mapping.ts';
import type { RandomSource } from './random.ts';
import type { WeightInit } from './presets.ts';

export interface InitializerSummary {
  keras: unknown;
  /** Preset name, or the implementation with its parameters when no preset fits. */
  weightInit: string;
  exact: boolean;
  note?: string;
}

export interface WeightShapeEntry {
  name: string;
  shape: number[];
  trainable: boolean;
  /** The config key of the initializer that creates this weight, when the shape inference knows it. */
  initializer?: string;
}

export interface LayerInitOptions {
  source?: string;
  backend?: string | null;
  fallback?: WeightInit;
  /**
   * describeLayerInitializers only: report an initializer that cannot be mapped as
   * { weightInit: 'UNSUPPORTED', exact: false, note: <the error message> } instead of throwing.
   */
  tolerant?: boolean;
}

const RNN = new Set(['SimpleRNN', 'GRU', 'LSTM', 'SimpleRNNCell', 'GRUCell', 'LSTMCell', 'CuDNNGRU', 'CuDNNLSTM', 'GRUV2', 'LSTMV2']);
const CONV_RNN = new Set(['ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D', 'ConvLSTM1DCell', 'ConvLSTM2DCell', 'ConvLSTM3DCell']);
const KERNEL_BIAS = new Set([
  'Dense', 'Conv1D', 'Conv2D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose', 'LocallyConnected1D',
  'LocallyConnected2D', 'EinsumDense', 'MultiHeadAttention', 'AtrousConvolution1D', 'AtrousConvolution2D', 'Deconvolution2D',
  'Convolution1D', 'Convolution2D', 'Convolution3D', 'Highway', 'MaxoutDense', 'TimeDistributedDense', 'GroupQueryAttention',
]);

/** Defaults for keys missing from a config (spec §3.2), as names that map with the file's semantics. */
function layerDefaults(className: string, v: KerasVersion): Record<string, unknown> {
  const k1 = eraOf(v) === 'k1';
  const zeros = k1 ? 'zero' : 'zeros';
  const ones = k1 ? 'one' : 'ones';
  const d: Record<string, unknown> = {};
  if (KERNEL_BIAS.has(className)) { d.kernel_initializer = 'glorot_uniform'; d.bias_initializer = zeros; }
  if (/^SeparableConv/.test(className)) { d.depthwise_initializer = 'glorot_uniform'; d.pointwise_initializer = 'glorot_uniform'; d.bias_initializer = zeros; }
  if (/^DepthwiseConv/.test(className)) { d.depthwise_initializer = 'glorot_uniform'; d.bias_initializer = zeros; }
  if (className === 'Embedding') d.embeddings_initializer = 'uniform';
  if (RNN.has(className) || CONV_RNN.has(className)) {
    d.kernel_initializer = 'glorot_uniform'; d.recurrent_initializer = 'orthogonal'; d.bias_initializer = zeros;
  }
  if (className === 'BatchNormalization' || className === 'SyncBatchNormalization') {
    d.beta_initializer = zeros; d.gamma_initializer = ones; d.moving_mean_initializer = zeros; d.moving_variance_initializer = ones;
  }
  if (className === 'LayerNormalization' || className === 'GroupNormalization' || className === 'UnitNormalization' || className === 'RMSNormalization') {
    d.beta_initializer = zeros; d.gamma_initializer = ones;
  }
  if (className === 'PReLU') d.alpha_initializer = zeros;
  return d;
}

function ctxFor(layer: LayerSpec, param: string, v: KerasVersion, o: LayerInitOptions): MapContext {
  return { kerasVersion: v, layer: layer.name, param, className: layer.className, source: o.source, backend: o.backend, fallback: o.fallback };
}

/** Every initializer of the layer, mapped: keys present in the config plus the defaults of missing ones. */
export function mapLayerInitializers(layer: LayerSpec, kerasVersion: KerasVersion, opts: LayerInitOptions = {}): Record<string, MappedInitializer> {
  const out: Record<string, MappedInitializer> = {};
  const cfg = layer.config ?? {};
  const defaults = layerDefaults(layer.className, kerasVersion);
  const keys = new Set<string>([...Object.keys(defaults), ...Object.keys(cfg).filter((k) => k.endsWith('_initializer'))]);
  for (const key of keys) {
    const present = key in cfg;
    const m = mapInitializer(present ? cfg[key] : defaults[key], ctxFor(layer, key, kerasVersion, opts));
    out[key] = present ? m : { ...m, keras: undefined, note: joinNotes(`not in the config: the ${layer.className} default '${String(defaults[key])}'`, m.note) };
  }
  return out;
}

function describeOne(layer: LayerSpec, key: string, kerasVersion: KerasVersion, opts: LayerInitOptions): InitializerSummary {
  const cfg = layer.config ?? {};
  const defaults = layerDefaults(layer.className, kerasVersion);
  const present = key in cfg;
  try {
    const m = mapInitializer(present ? cfg[key] : defaults[key], ctxFor(layer, key, kerasVersion, opts));
    const note = present ? m.note : joinNotes(`not in the config: the ${layer.className} default '${String(defaults[key])}'`, m.note);
    return { keras: present ? m.keras : undefined, weightInit: m.weightInit ?? m.init.describe(), exact: m.exact, ...(note ? { note } : {}) };
  } catch (e) {
    if (!opts.tolerant || !(e instanceof KerasImportError)) throw e;
    return { keras: cfg[key], weightInit: 'UNSUPPORTED', exact: false, note: e.message };
  }
}

/**
 * The summary's view of a layer's initializers: `{ "<key>": { keras, weightInit, exact, note? } }`.
 * Wrapped layers (Bidirectional, TimeDistributed) are listed as "<inner layer>/<key>".
 */
export function describeLayerInitializers(layer: LayerSpec, kerasVersion: KerasVersion, opts: LayerInitOptions = {}): Record<string, InitializerSummary> {
  const res: Record<string, InitializerSummary> = {};
  const add = (prefix: string, l: LayerSpec) => {
    const cfg = l.config ?? {};
    const keys = new Set<string>([...Object.keys(layerDefaults(l.className, kerasVersion)), ...Object.keys(cfg).filter((k) => k.endsWith('_initializer'))]);
    for (const key of keys) res[prefix + key] = describeOne(l, key, kerasVersion, opts);
    if ((l.className === 'LSTM' || l.className === 'LSTMCell' || CONV_RNN.has(l.className)) && hasBias(l)) {
      const fb = forgetBias(l, kerasVersion);
      if (fb.kind !== 'none') {
        res[`${prefix}${fb.key}`] = {
          keras: fb.keras,
          weightInit: fb.kind === 'ones' ? 'ONES' : String(fb.keras),
          exact: true,
          note: 'forget-gate slice of the bias (units … 2·units) replaced by this initializer',
        };
      }
    }
  };
  add('', layer);
  for (const inner of wrapped(layer)) add(`${inner.name}/`, inner);
  return res;
}

function hasBias(l: LayerSpec): boolean {
  return l.config.use_bias !== false;
}

type ForgetBias = { kind: 'none' } | { kind: 'ones'; key: string; keras: unknown } | { kind: 'init'; key: string; keras: unknown };

/** Keras 2/3 `unit_forget_bias` (default true) → ones; Keras 1 `forget_bias_init` (default 'one'). */
function forgetBias(l: LayerSpec, v: KerasVersion): ForgetBias {
  const cfg = l.config;
  if (typeof cfg.forget_bias_init === 'string' || (eraOf(v) === 'k1' && cfg.unit_forget_bias === undefined)) {
    const val = (cfg.forget_bias_init as string | undefined) ?? 'one';
    return val === 'one' ? { kind: 'ones', key: 'forget_bias_init', keras: val } : { kind: 'init', key: 'forget_bias_init', keras: val };
  }
  if (cfg.unit_forget_bias === false) return { kind: 'none' };
  return { kind: 'ones', key: 'unit_forget_bias', keras: cfg.unit_forget_bias ?? true };
}

const KEY_BY_WEIGHT: Record<string, string> = {
  kernel: 'kernel_initializer', W: 'kernel_initializer',
  recurrent_kernel: 'recurrent_initializer', U: 'recurrent_initializer',
  bias: 'bias_initializer', b: 'bias_initializer',
  embeddings: 'embeddings_initializer',
  depthwise_kernel: 'depthwise_initializer',
  pointwise_kernel: 'pointwise_initializer',
  gamma: 'gamma_initializer', beta: 'beta_initializer',
  moving_mean: 'moving_mean_initializer', running_mean: 'moving_mean_initializer',
  moving_variance: 'moving_variance_initializer', running_std: 'moving_variance_initializer',
  alpha: 'alpha_initializer',
};

/** "lstm_1/lstm_cell/kernel:0" → "kernel"; Keras 1 "dense_1_W" → "W". */
function baseWeightName(name: string): string {
  let b = name.replace(/:\d+$/, '');
  b = b.slice(b.lastIndexOf('/') + 1);
  if (KEY_BY_WEIGHT[b]) return b;
  const k1 = /_(W|U|b|running_mean|running_std|gamma|beta|alpha)(_[a-z])?$/.exec(b);
  return k1 ? k1[1] : b;
}

function layoutOf(className: string, key: string, rank: number): KernelLayout {
  if (rank <= 1) return 'vector';
  if (key === 'embeddings_initializer') return 'embedding';
  if (key === 'depthwise_initializer') return 'depthwise';
  if (key === 'pointwise_initializer') return 'conv';
  if (key === 'recurrent_initializer') return CONV_RNN.has(className) ? 'conv' : 'recurrent';
  if (key === 'kernel_initializer') {
    if (/Transpose$|^Deconvolution/.test(className)) return 'conv_transpose';
    if (/^(Conv|Convolution|Atrous|LocallyConnected|SeparableConv)/.test(className) || CONV_RNN.has(className)) return 'conv';
    if (RNN.has(className)) return 'recurrent';
    if (rank === 2) return 'dense';
  }
  return 'generic';
}

function dimOrderingOf(l: LayerSpec): 'th' | 'tf' {
  const c = l.config;
  if (c.dim_ordering === 'th' || c.dim_ordering === 'tf') return c.dim_ordering;
  return c.data_format === 'channels_first' ? 'th' : 'tf';
}

/** Keras 3.15 EinsumDense: kernel axes that appear in the output are output units, the rest input units. */
function einsumAxes(equation: unknown): { inputAxes: number[]; outputAxes: number[] } | null {
  if (typeof equation !== 'string') return null;
  const m = /^([a-zA-Z.]+),([a-zA-Z.]+)->([a-zA-Z.]+)$/.exec(equation.replace(/\s/g, ''));
  if (!m) return null;
  const [, inp, w, outp] = m;
  const inputAxes: number[] = []; const outputAxes: number[] = [];
  [...w].forEach((ch, i) => { if (outp.includes(ch)) outputAxes.push(i); else if (inp.includes(ch)) inputAxes.push(i); });
  return { inputAxes, outputAxes };
}

function fanOptions(l: LayerSpec, weightBase: string, shapeRank: number, init: MappedInitializer, v: KerasVersion): FanOptions {
  const o: FanOptions = { dimOrdering: dimOrderingOf(l) };
  if (init.init instanceof VarianceScalingInit) {
    o.inputAxes = init.init.inputAxes; o.outputAxes = init.init.outputAxes;
    // Keras 3.15+ fills null axes of a VarianceScaling kernel from the einsum equation at build time
    if (v.major === 3 && atLeast(v, 3, 15, 0) && (o.inputAxes === null || o.outputAxes === null) && weightBase === 'kernel') {
      let ax: { inputAxes: number[]; outputAxes: number[] } | null = null;
      if (l.className === 'EinsumDense') ax = einsumAxes(l.config.equation);
      else if (l.className === 'MultiHeadAttention' && shapeRank === 3) ax = null; // resolved per sub-layer by the caller
      if (ax) { o.inputAxes = ax.inputAxes; o.outputAxes = ax.outputAxes; }
    }
  }
  return o;
}

/** The wrapped layers: the normalizer's `innerLayers`, else the config's serialized `layer` / `backward_layer`. */
function wrapped(layer: LayerSpec): LayerSpec[] {
  if (layer.innerLayers?.length) return layer.innerLayers;
  const out: LayerSpec[] = [];
  for (const key of ['layer', 'backward_layer']) {
    const v = layer.config[key] as { class_name?: unknown; config?: unknown } | undefined;
    if (!v || typeof v !== 'object' || typeof v.class_name !== 'string') continue;
    const config = (v.config && typeof v.config === 'object' ? v.config : {}) as Record<string, unknown>;
    out.push({
      name: typeof config.name === 'string' ? config.name : v.class_name, className: v.class_name, module: null, registeredName: null,
      config, originalConfig: v, inboundNodes: [], weights: [], trainable: layer.trainable,
    });
  }
  return out;
}

/** Which layer config owns a weight: the layer itself, or for wrappers the wrapped (forward/backward) layer. */
function ownerOf(layer: LayerSpec, weightName: string): LayerSpec {
  const inner = wrapped(layer);
  if (!inner.length) return layer;
  if (layer.className === 'Bidirectional') {
    if (/(^|\/)backward/.test(weightName) && inner.length > 1) return inner[1];
    return inner[0];
  }
  return inner[0];
}

/**
 * Draw every weight of `layer` (architecture-only import), in the order of `weightShapes`.
 * Throws a typed error when a weight's initializer cannot be determined or is unsupported.
 */
export function initializeWeights(layer: LayerSpec, weightShapes: WeightShapeEntry[], kerasVersion: KerasVersion, rng: RandomSource, opts: LayerInitOptions = {}): Float32Array[] {
  const v = kerasVersion;
  return weightShapes.map((w) => {
    const owner = ownerOf(layer, w.name);
    const base = baseWeightName(w.name);
    let key = w.initializer ?? KEY_BY_WEIGHT[base];
    // Keras 3 calls the depthwise kernel just "kernel"
    if (key === 'kernel_initializer' && /^DepthwiseConv/.test(owner.className)) key = 'depthwise_initializer';
    if (!key) {
      throw new UnsupportedFeatureError(`cannot tell which initializer creates weight '${w.name}' of ${layer.className}`, {
        file: opts.source, layer: layer.name, hint: 'load the weights from a file instead of initializing them',
      });
    }
    const cfg = owner.config ?? {};
    const defaults = layerDefaults(owner.className, v);
    const raw = key in cfg ? cfg[key] : defaults[key];
    if (raw === undefined) {
      throw new UnsupportedFeatureError(`${owner.className} has no '${key}' and keras-import knows no default for it (weight '${w.name}')`, {
        file: opts.source, layer: layer.name, hint: 'load the weights from a file, or add the initializer to the layer config',
      });
    }
    const mapped = mapInitializer(raw, ctxFor(owner, key, v, opts));
    return drawWeight(owner, base, key, w.shape, mapped, v, rng, opts);
  });
}

function drawWeight(owner: LayerSpec, base: string, key: string, shape: number[], mapped: MappedInitializer, v: KerasVersion, rng: RandomSource, opts: LayerInitOptions): Float32Array {
  const era = eraOf(v);
  const gen = (m: MappedInitializer, s: number[]): Float32Array => {
    const layout = layoutOf(owner.className, key, s.length);
    let fo = fanOptions(owner, base, s.length, m, v);
    if (owner.className === 'MultiHeadAttention' && v.major === 3 && atLeast(v, 3, 15, 0) && m.init instanceof VarianceScalingInit && m.init.inputAxes === null && s.length === 3 && base === 'kernel') {
      // query/key/value kernels (d_model, heads, dim) vs attention_output (heads, dim, d_model)
      fo = { ...fo, ...(s[s.length - 1] === owner.config.key_dim || s[s.length - 1] === owner.config.value_dim ? { inputAxes: [0], outputAxes: [1, 2] } : { inputAxes: [0, 1], outputAxes: [2] }) };
    }
    return m.init.generate(s, computeFans(s, layout, v, fo), rng);
  };
  const cls = owner.className;
  const isLstm = cls === 'LSTM' || cls === 'LSTMCell' || CONV_RNN.has(cls);
  const gates = /LSTM/.test(cls) ? 4 : /GRU/.test(cls) ? 3 : 1;

  // Keras 1 LSTM/GRU with consume_less 'cpu'/'mem' built one matrix per gate, and (bug) used `init`
  // for the recurrent ones too; only 'gpu' used one fused matrix with `inner_init`
  if (era === 'k1' && gates > 1 && (base === 'kernel' || base === 'W' || base === 'recurrent_kernel' || base === 'U') && !k1Fused(owner)) {
    const units = shape[shape.length - 1] / gates;
    const useMapped = key === 'recurrent_initializer'
      ? mapInitializer(owner.config.kernel_initializer ?? 'glorot_uniform', ctxFor(owner, 'kernel_initializer', v, opts))
      : mapped;
    const parts = Array.from({ length: gates }, () => gen(useMapped, [shape[0], units]));
    return interleaveLast(parts, shape[0], units);
  }
  if (isLstm && (base === 'bias' || base === 'b') && shape.length === 1) {
    const fb = forgetBias(owner, v);
    if (fb.kind !== 'none') {
      const units = shape[0] / 4;
      const forget = fb.kind === 'ones' ? new Float32Array(units).fill(1)
        : gen(mapInitializer(fb.keras, ctxFor(owner, 'forget_bias_init', v, opts)), [units]);
      // Keras 2/3 call bias_initializer on (units,) and (2·units,) separately, around the ones
      const out = new Float32Array(shape[0]);
      out.set(gen(mapped, [units]), 0); out.set(forget, units); out.set(gen(mapped, [2 * units]), 2 * units);
      return out;
    }
  }
  const values = gen(mapped, shape);
  const n = shape.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new InvalidConfigError(`initializer for '${key}' produced ${values.length} values for shape [${shape}]`, { file: opts.source, layer: owner.name });
  return values;
}

function k1Fused(l: LayerSpec): boolean {
  const c = l.config;
  if (c.consume_less === 'gpu') return true;
  if (typeof c.consume_less === 'string') return false;
  return c.implementation === 2;
}

/** Concatenate (rows × units) blocks along the last axis into (rows × gates·units). */
function interleaveLast(parts: Float32Array[], rows: number, units: number): Float32Array {
  const g = parts.length;
  const out = new Float32Array(rows * units * g);
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < g; p++) out.set(parts[p].subarray(r * units, (r + 1) * units), r * units * g + p * units);
  }
  return out;
}

function joinNotes(...n: (string | undefined)[]): string {
  return n.filter(Boolean).join('; ');
}
