/**
 * Shared helpers for layer builders: typed config access, Keras → tfjs activations, regularizers
 * and constraints, and the common layer arguments. Every config problem becomes an
 * InvalidConfigError / UnsupportedFeatureError naming the file and layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { constraints, layers, regularizers } from '@tensorflow/tfjs-layers';
import { InvalidConfigError, UnsupportedFeatureError } from '../errors.ts';
import type { LayerSpec } from '../spec/types.ts';
import type { BuildContext } from './registry.ts';

/* ------------------------------------------------------------------ config access */

/** Typed reads of one layer's normalized config; errors name the file, layer and key. */
export class Cfg {
  readonly c: Record<string, unknown>;
  constructor(readonly layer: LayerSpec, readonly ctx: BuildContext) {
    this.c = layer.config ?? {};
  }

  bad(key: string, why: string): InvalidConfigError {
    return new InvalidConfigError(`${this.layer.className} config '${key}' ${why} (found ${JSON.stringify(this.c[key])})`, {
      file: this.ctx.source, layer: this.layer.name,
    });
  }

  unsupported(what: string, hint?: string): UnsupportedFeatureError {
    return new UnsupportedFeatureError(`${this.layer.className}: ${what} is not supported`, {
      file: this.ctx.source, layer: this.layer.name, hint: hint ?? 'register a replacement with registerCustomLayer()',
    });
  }

  has(key: string): boolean {
    return this.c[key] !== undefined && this.c[key] !== null;
  }

  raw(key: string): unknown {
    return unwrapTuple(this.c[key]);
  }

  num(key: string, dflt?: number): number {
    const v = unwrapTuple(this.c[key]);
    if (v === undefined || v === null) {
      if (dflt === undefined) throw this.bad(key, 'is missing');
      return dflt;
    }
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return v[0];
    // Keras 3 may serialize a numpy scalar: {"class_name": "__tensor__" | "__numpy__", "config": {"value": …}}
    if (v && typeof v === 'object' && /^__(tensor|numpy)__$/.test(String((v as Record<string, unknown>).class_name))) {
      let x = ((v as Record<string, unknown>).config as Record<string, unknown> | undefined)?.value;
      while (Array.isArray(x) && x.length === 1) x = x[0];
      if (typeof x === 'number' && Number.isFinite(x)) return x;
    }
    throw this.bad(key, 'must be a number');
  }

  optNum(key: string): number | null {
    const v = unwrapTuple(this.c[key]);
    if (v === undefined || v === null) return null;
    return this.num(key);
  }

  int(key: string, dflt?: number): number {
    const v = this.num(key, dflt);
    if (!Number.isInteger(v)) throw this.bad(key, 'must be an integer');
    return v;
  }

  bool(key: string, dflt: boolean): boolean {
    const v = this.c[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v === 'boolean') return v;
    if (v === 0 || v === 1) return v === 1;
    throw this.bad(key, 'must be true or false');
  }

  str(key: string, dflt?: string): string {
    const v = this.c[key];
    if (v === undefined || v === null) {
      if (dflt === undefined) throw this.bad(key, 'is missing');
      return dflt;
    }
    if (typeof v === 'string') return v;
    throw this.bad(key, 'must be a string');
  }

  /** An int or a tuple of `n` ints (kernel_size, strides, …). */
  ints(key: string, n: number, dflt?: number | number[]): number[] {
    let v = unwrapTuple(this.c[key]);
    if (v === undefined || v === null) {
      if (dflt === undefined) throw this.bad(key, 'is missing');
      v = dflt;
    }
    if (typeof v === 'number') return new Array(n).fill(v);
    if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x))) {
      if (v.length === n) return v as number[];
      if (v.length === 1) return new Array(n).fill(v[0]);
    }
    throw this.bad(key, `must be an integer or ${n} integers`);
  }

  /** Keras `data_format` (or Keras 1 `dim_ordering`) as tfjs' dataFormat. */
  dataFormat(): 'channelsFirst' | 'channelsLast' {
    let v = this.c.data_format ?? this.c.dim_ordering;
    // Some Keras 1.0 layers (UpSampling2D, …) did not serialize dim_ordering; they used the
    // keras.json default, which the model's other layers reveal.
    if ((v === undefined || v === null) && this.ctx.kerasMajor === 1) v = keras1Ordering(this.ctx);
    if (v === undefined || v === null || v === 'channels_last' || v === 'tf' || v === 'default') return 'channelsLast';
    if (v === 'channels_first' || v === 'th') return 'channelsFirst';
    throw this.bad('data_format', "must be 'channels_last' or 'channels_first'");
  }

  padding(allowed: string[] = ['valid', 'same']): string {
    const p = this.str('padding', 'valid').toLowerCase();
    if (!allowed.includes(p)) {
      if (['valid', 'same', 'causal', 'full'].includes(p)) throw this.unsupported(`padding='${p}'`);
      throw this.bad('padding', `must be one of ${allowed.join(', ')}`);
    }
    return p;
  }
}

const orderingCache = new WeakMap<object, string | null>();
/** The dim ordering the model's Keras 1 layers recorded ('th' / 'tf'), when they agree. */
function keras1Ordering(ctx: BuildContext): string | null {
  const hit = orderingCache.get(ctx.spec);
  if (hit !== undefined) return hit;
  const seen = new Set<string>();
  const visit = (layers: LayerSpec[]) => {
    for (const l of layers) {
      const o = l.config?.keras1_dim_ordering;
      if (o === 'th' || o === 'tf') seen.add(o);
      if (l.innerModel) visit(l.innerModel.layers);
    }
  };
  visit(ctx.spec.layers);
  const r = seen.size === 1 ? [...seen][0] : null;
  orderingCache.set(ctx.spec, r);
  return r;
}

/** Legacy JSON keeps tuples as {"class_name": "__tuple__", "items": […]}. */
function unwrapTuple(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (o.class_name === '__tuple__' && Array.isArray(o.items)) return o.items.map(unwrapTuple);
  }
  if (Array.isArray(v)) return v.map(unwrapTuple);
  return v;
}

/* ------------------------------------------------------------------ activations */

type TfActivation = { apply(x: tf.Tensor, axis?: number): tf.Tensor; getClassName(): string };
// tfjs does not export its Activation base class; take it from a built-in activation so that
// tfjs layers accept our instances (`identifier instanceof Activation`).
const ActivationBase = Object.getPrototypeOf(
  (layers.activation({ activation: 'linear' }) as unknown as { activation: object }).activation.constructor,
) as new () => TfActivation;

function makeActivation(className: string, fn: (x: tf.Tensor) => tf.Tensor): TfActivation {
  const Cls = class extends ActivationBase {
    static className = className;
    override apply(x: tf.Tensor): tf.Tensor {
      return tf.tidy(() => fn(x));
    }
    override getClassName(): string {
      return className;
    }
  };
  return new Cls();
}

const kerasHardSigmoid3 = (x: tf.Tensor) => tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1);
const custom: Record<string, () => TfActivation> = {
  exponential: () => makeActivation('kerasExponential', (x) => tf.exp(x)),
  hard_sigmoid_k3: () => makeActivation('kerasHardSigmoid3', kerasHardSigmoid3),
  hard_silu: () => makeActivation('kerasHardSilu', (x) => tf.mul(x, kerasHardSigmoid3(x))),
  leaky_relu: () => makeActivation('kerasLeakyRelu', (x) => tf.leakyRelu(x, 0.2)),
  silu: () => makeActivation('kerasSilu', (x) => tf.mul(x, tf.sigmoid(x))),
  celu: () => makeActivation('kerasCelu', (x) => tf.add(tf.relu(x), tf.minimum(0, tf.sub(tf.exp(x), 1)))),
  hard_tanh: () => makeActivation('kerasHardTanh', (x) => tf.clipByValue(x, -1, 1)),
  tanh_shrink: () => makeActivation('kerasTanhShrink', (x) => tf.sub(x, tf.tanh(x))),
  squareplus: () => makeActivation('kerasSquareplus', (x) => tf.div(tf.add(x, tf.sqrt(tf.add(tf.square(x), 4))), 2)),
  sparse_plus: () => makeActivation('kerasSparsePlus', (x) => tf.where(tf.lessEqual(x, -1), tf.zerosLike(x), tf.where(tf.greaterEqual(x, 1), x, tf.div(tf.square(tf.add(x, 1)), 4)))),
  log_sigmoid: () => makeActivation('kerasLogSigmoid', (x) => tf.logSigmoid(x)),
  glu: () => makeActivation('kerasGlu', (x) => { const [a, b] = tf.split(x, 2, -1); return tf.mul(a, tf.sigmoid(b)); }),
  soft_shrink: () => makeActivation('kerasSoftShrink', (x) => tf.where(tf.greater(x, 0.5), tf.sub(x, 0.5), tf.where(tf.less(x, -0.5), tf.add(x, 0.5), tf.zerosLike(x)))),
  hard_shrink: () => makeActivation('kerasHardShrink', (x) => tf.where(tf.greater(tf.abs(x), 0.5), x, tf.zerosLike(x))),
  sparse_sigmoid: () => makeActivation('kerasSparseSigmoid', (x) => tf.clipByValue(tf.div(tf.add(x, 1), 2), 0, 1)),
  sparsemax: () => makeActivation('kerasSparsemax', sparsemax),
};

/**
 * keras.activations.sparsemax over the last axis, exactly as Keras 3 computes it — including its
 * threshold τ = (Σ_{support} cumsum − 1)/k, which sums the cumulative sums of the support (the
 * paper uses the k-th cumulative sum); we reproduce Keras' numbers, not the paper's.
 */
export function sparsemax(x: tf.Tensor): tf.Tensor {
  const ax = x.rank - 1;
  const k = x.shape[ax];
  const sorted = tf.topk(x, k).values;
  const cs = tf.cumsum(sorted, ax);
  const r = tf.range(1, k + 1);
  const support = tf.greater(tf.sub(sorted, tf.div(tf.sub(cs, 1), r)), 0);
  const kk = tf.sum(tf.cast(support, 'float32'), ax, true);
  const tau = tf.div(tf.sub(tf.sum(tf.where(support, cs, tf.zerosLike(cs)), ax, true), 1), kk);
  return tf.maximum(tf.sub(x, tau), 0);
}

/** Softmax along any axis (tfjs' kernel only supports the last one). */
export function softmaxAxis(x: tf.Tensor, axis: number): tf.Tensor {
  const ax = axis < 0 ? x.rank + axis : axis;
  if (ax === x.rank - 1) return tf.softmax(x);
  const e = tf.exp(tf.sub(x, tf.max(x, ax, true)));
  return tf.div(e, tf.sum(e, ax, true));
}

/** Names tfjs-layers implements identically (its own identifiers on the right). */
const SAME: Record<string, string> = {
  linear: 'linear', relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax', softplus: 'softplus',
  softsign: 'softsign', elu: 'elu', selu: 'selu', swish: 'swish', gelu: 'gelu', mish: 'mish', log_softmax: 'logSoftmax',
};

const userActivations = new Map<string, (x: tf.Tensor) => tf.Tensor>();

/**
 * Supply a custom activation function referenced by name in configs (e.g. hls4ml's `binary_tanh`,
 * a Keras 3 registered function "my_pkg>swish2"). Replaces a built-in of the same name.
 */
export function registerActivation(name: string, fn: (x: tf.Tensor) => tf.Tensor): void {
  userActivations.set(name, fn);
}

export function unregisterActivation(name: string): void {
  userActivations.delete(name);
}

/** The name of a Keras activation as found in a config (string, K3 function object or legacy dict). */
export function activationName(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.config === 'string') return o.config; // {"class_name": "function", "config": "relu"}
    if (typeof o.class_name === 'string' && o.class_name !== 'function') return o.class_name;
  }
  return null;
}

/**
 * The tfjs activation for a Keras activation name. `hard_sigmoid` follows the Keras that wrote the
 * file (0.2x+0.5 in Keras 1/2, x/6+0.5 in Keras 3). Unknown names raise UnsupportedFeatureError.
 */
export function tfActivation(v: unknown, ctx: BuildContext, layerName: string): string | TfActivation {
  const raw = activationName(v);
  if (raw === null) {
    if (v === undefined || v === null) return 'linear';
    throw new InvalidConfigError(`activation ${JSON.stringify(v)} is not a Keras activation`, { file: ctx.source, layer: layerName });
  }
  const name = raw.replace(/^keras\.activations\./, '');
  const user = userActivations.get(raw) ?? userActivations.get(name);
  if (user) return makeActivation(`user_${name}`, user);
  if (name === 'hard_sigmoid') return ctx.kerasMajor >= 3 ? custom.hard_sigmoid_k3() : 'hardSigmoid';
  if (name === 'hard_swish') return custom.hard_silu();
  if (SAME[name]) return SAME[name];
  if (custom[name]) return custom[name]();
  throw new UnsupportedFeatureError(`activation '${name}' is not supported`, {
    file: ctx.source, layer: layerName,
    hint: `register it with registerActivation('${name}', (x) => …); built in: ${[...Object.keys(SAME), 'hard_sigmoid', 'hard_swish', ...Object.keys(custom).filter((k) => k !== 'hard_sigmoid_k3')].join(', ')}`,
  });
}

/** Apply a Keras activation eagerly (for custom layers). */
export function applyActivation(act: string | TfActivation, x: tf.Tensor): tf.Tensor {
  if (typeof act !== 'string') return act.apply(x);
  const a = (layers.activation({ activation: act as never }) as unknown as { activation: TfActivation }).activation;
  return a.apply(x);
}

/* ------------------------------------------------------------------ regularizers, constraints */

function objOf(v: unknown): { cls: string; cfg: Record<string, unknown> } | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return { cls: v, cfg: {} };
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    // Keras 1 wrote {"name": "WeightRegularizer", "l1": …, "l2": …} — the class under `name`, no `config`
    if (o.class_name === undefined && typeof o.name === 'string') return { cls: o.name, cfg: o };
    return { cls: String(o.class_name ?? ''), cfg: (o.config ?? {}) as Record<string, unknown> };
  }
  return null;
}

/** Keras regularizer → tfjs (l1, l2, l1_l2); only affects training. Unknown ones are reported. */
export function tfRegularizer(v: unknown, ctx: BuildContext, layerName: string) {
  const o = objOf(v);
  if (!o) return undefined;
  const n = (k: string) => (typeof o.cfg[k] === 'number' && Number.isFinite(o.cfg[k] as number) ? (o.cfg[k] as number) : 0);
  switch (o.cls.toLowerCase()) {
    case 'l1l2': case 'l1_l2': case 'weightregularizer': case 'activityregularizer': return regularizers.l1l2({ l1: n('l1'), l2: n('l2') });
    case 'l1': return regularizers.l1({ l1: n('l1') || 0.01 });
    case 'l2': return regularizers.l2({ l2: n('l2') || 0.01 });
    case 'orthogonalregularizer': return undefined; // training-only penalty tfjs lacks; inference unaffected
  }
  // training-only: never block inference over it, but say so
  ctx.options.warn?.(`layer '${layerName}': regularizer '${o.cls}' has no tfjs equivalent and is not applied in training`);
  return undefined;
}

export function tfConstraint(v: unknown, ctx: BuildContext, layerName: string) {
  const o = objOf(v);
  if (!o) return undefined;
  const n = (k: string, d: number) => (typeof o.cfg[k] === 'number' ? (o.cfg[k] as number) : d);
  const axis = (o.cfg.axis as number | undefined) ?? 0;
  switch (o.cls.toLowerCase().replace(/_/g, '')) {
    case 'maxnorm': return constraints.maxNorm({ maxValue: n('max_value', n('m', 2)), axis });
    case 'nonneg': return constraints.nonNeg();
    case 'unitnorm': return constraints.unitNorm({ axis });
    case 'minmaxnorm': return constraints.minMaxNorm({ minValue: n('min_value', n('low', 0)), maxValue: n('max_value', n('high', 1)), rate: n('rate', 1), axis });
  }
  ctx.options.warn?.(`layer '${layerName}': constraint '${o.cls}' has no tfjs equivalent and is not applied in training`);
  return undefined;
}

/* ------------------------------------------------------------------ common args */

/** name/trainable/dtype shared by every layer. Weights are created as zeros: the importer sets them. */
export function baseArgs(layer: LayerSpec): { name: string; trainable: boolean; dtype?: 'float32' | 'int32' } {
  return { name: layer.name, trainable: layer.trainable !== false };
}

/** Args for layers with kernel/bias (initializers are zeros; real values come from the file or the initializer module). */
export function weightArgs(cfg: Cfg, kernelKey = 'kernel', biasKey = 'bias') {
  const { ctx, layer } = cfg;
  return {
    [`${kernelKey}Initializer`]: 'zeros',
    [`${biasKey}Initializer`]: 'zeros',
    [`${kernelKey}Regularizer`]: tfRegularizer(cfg.c[`${snake(kernelKey)}_regularizer`], ctx, layer.name),
    [`${biasKey}Regularizer`]: tfRegularizer(cfg.c[`${snake(biasKey)}_regularizer`], ctx, layer.name),
    [`${kernelKey}Constraint`]: tfConstraint(cfg.c[`${snake(kernelKey)}_constraint`], ctx, layer.name),
    [`${biasKey}Constraint`]: tfConstraint(cfg.c[`${snake(biasKey)}_constraint`], ctx, layer.name),
    activityRegularizer: activityRegularizer(cfg),
  } as Record<string, unknown>;
}

/**
 * tfjs refuses to call a layer that has an activity regularizer ("not supported yet"), so the
 * regularizer is left out — inference is unaffected; training loses that penalty, which is reported.
 */
export function activityRegularizer(cfg: Cfg): undefined {
  if (objOf(cfg.c.activity_regularizer)) {
    cfg.ctx.options.warn?.(`layer '${cfg.layer.name}': activity_regularizer is not applied (tfjs does not support activity regularizers); inference is unaffected`);
  }
  return undefined;
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
}

/** Drop undefined values (tfjs treats an explicit undefined differently from a missing key in places). */
export function clean<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** Tensors of a layer's stored weights, as stored (float32; integer datasets stay int32). */
export function storedTensors(layer: LayerSpec): tf.Tensor[] {
  return layer.weights.map((w) => tf.tensor(w.values, w.shape, w.values instanceof Int32Array ? 'int32' : 'float32'));
}

/** Get the first tensor of a layer call's inputs (tfjs passes a list of one in places). */
export function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/** Shape helper: tfjs passes a Shape or a list of Shapes. */
export function oneShape(s: (number | null)[] | (number | null)[][]): (number | null)[] {
  return Array.isArray(s[0]) ? (s[0] as (number | null)[]) : (s as (number | null)[]);
}

export const tfl = { layers };

/**
 * Whether tfjs is recording a gradient tape (fit, tf.grads, custom training loops): tensors made from host
 * data or cached between calls, and our kernels without gradients, would cut it. Inference shortcuts check this.
 */
export function recordingGradients(): boolean {
  return (tf.engine() as unknown as { state: { gradientDepth?: number } }).state.gradientDepth !== 0;
}

/**
 * Tensors derived from a layer's variables for inference (BatchNormalization's scale and shift, a recurrent
 * layer's per-gate weights), kept until one of those variables changes: an assignment gives a variable a new
 * dataId. The derived tensors survive any enclosing tidy; the variables themselves are never disposed here.
 */
export class DerivedTensors<T> {
  private key: object[] | null = null;
  private value: T | null = null;
  private owned: tf.Tensor[] = [];

  /** `compute` returns the value and every tensor in it. */
  constructor(private readonly compute: () => { value: T; tensors: tf.Tensor[] }) {}

  /** The value derived from `sources` (the variables' current tensors), recomputed when any has changed. */
  get(sources: tf.Tensor[]): T {
    const key = sources.map((t) => t.dataId);
    if (this.value !== null && this.key!.length === key.length && this.key!.every((k, i) => k === key[i])) return this.value;
    this.dispose();
    tf.tidy(() => {
      const r = this.compute();
      this.owned = r.tensors.filter((t) => !sources.includes(t));
      for (const t of this.owned) tf.keep(t);
      this.value = r.value;
    });
    this.key = key;
    return this.value!;
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned = [];
    this.value = null;
    this.key = null;
  }
}
