/**
 * Operation nodes: Keras 3 `keras.ops` calls recorded in functional graphs (module
 * `keras.src.ops.*`, or module-less entries in Keras 3 legacy .h5 files), tf.keras `TFOpLambda` /
 * `SlicingOpLambda` (TF 2.4+) and `TensorFlowOpLayer` (TF 2.0–2.3 raw ops). Each call becomes a
 * weightless tfjs layer with the call's constants baked in (one layer per call, since the constants
 * may differ between calls). Ops outside the table raise an UnsupportedLayerError that says how to
 * supply them (registerLambdaLayer).
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { LayerSpec, NodeArg, NodeSpec, TensorRef } from '../spec/types.ts';
import { registerBuilder, type BuildContext, type LayerBuilder } from './registry.ts';
import { Identity } from './core.ts';
import { unsupportedLayerError } from './custom.ts';
import { softmaxAxis } from './common.ts';

type Shape = (number | null)[];
interface Slice { slice: true; start: number | null; stop: number | null; step: number | null }
const ELLIPSIS: unique symbol = Symbol('ellipsis');
type Val = tf.Tensor | number | string | boolean | null | Slice | typeof ELLIPSIS | Val[] | { [k: string]: Val };

const isTensor = (v: unknown): v is tf.Tensor => v instanceof tf.Tensor;

/** One op: positional args, keyword args, and the op's own config (Keras 3 op constructor args). */
type OpFn = (a: OpArgs) => tf.Tensor;

class OpArgs {
  constructor(readonly pos: Val[], readonly kw: Record<string, Val>, readonly cfg: Record<string, unknown>) {}
  /** Positional `i`, else a keyword, else a config key, else `dflt`. */
  get(i: number, names: string[], dflt?: Val): Val {
    if (i < this.pos.length) return this.pos[i];
    for (const n of names) if (n in this.kw) return this.kw[n];
    for (const n of names) if (n in this.cfg && this.cfg[n] !== undefined) return decode(this.cfg[n]);
    if (dflt === undefined) throw new Error(`missing argument '${names[0]}'`);
    return dflt;
  }
  t(i: number, names: string[]): tf.Tensor {
    const v = this.get(i, names);
    if (isTensor(v)) return v;
    if (typeof v === 'number' || typeof v === 'boolean') return tf.scalar(Number(v));
    if (Array.isArray(v)) return tf.tensor(v as number[]);
    throw new Error(`argument '${names[0]}' is not a tensor`);
  }
  /** A tensor or a plain number (tf ops broadcast numbers without creating tensors). */
  tn(i: number, names: string[]): tf.Tensor | number {
    const v = this.get(i, names);
    return typeof v === 'number' ? v : this.t(i, names);
  }
  num(i: number, names: string[], dflt?: number): number {
    const v = this.get(i, names, dflt ?? null);
    if (typeof v === 'number') return v;
    if (v === null && dflt !== undefined) return dflt;
    if (isTensor(v) && v.size === 1) return v.dataSync()[0];
    throw new Error(`argument '${names[0]}' must be a number`);
  }
  axes(i: number, names: string[]): number[] | null {
    const v = this.get(i, names, null);
    if (v === null) return null;
    if (typeof v === 'number') return [v];
    if (Array.isArray(v)) return v as number[];
    if (isTensor(v)) return Array.from(v.dataSync());
    throw new Error(`argument '${names[0]}' must be an axis or a list of axes`);
  }
  bool(i: number, names: string[], dflt: boolean): boolean {
    const v = this.get(i, names, dflt);
    return v === true || v === 1;
  }
}

const X = ['x', 'x1', 'a', 'input', 'features', 'logits', 'tensor', 'input_tensor', 't'];
const Y = ['y', 'x2', 'b'];
const bin = (f: (a: tf.Tensor | number, b: tf.Tensor | number) => tf.Tensor): OpFn => (a) => {
  const x = a.tn(0, X), y = a.tn(1, Y);
  if (typeof x === 'number' && typeof y === 'number') return f(tf.scalar(x), y);
  return f(x, y);
};
const un = (f: (x: tf.Tensor) => tf.Tensor): OpFn => (a) => f(a.t(0, X));
const reduce = (f: (x: tf.Tensor, axis: number[] | undefined, keep: boolean) => tf.Tensor): OpFn => (a) =>
  f(a.t(0, X), a.axes(1, ['axis', 'reduction_indices']) ?? undefined, a.bool(2, ['keepdims', 'keep_dims'], false));

function dtypeOf(v: Val): 'float32' | 'int32' | 'bool' {
  const s = String(v).toLowerCase();
  if (/bool/.test(s)) return 'bool';
  if (/int/.test(s)) return 'int32';
  return 'float32';
}

const OPS: Record<string, OpFn> = {
  add: bin((x, y) => tf.add(x, y)),
  subtract: bin((x, y) => tf.sub(x, y)),
  multiply: bin((x, y) => tf.mul(x, y)),
  divide: bin((x, y) => tf.div(x, y)),
  floor_divide: bin((x, y) => tf.floorDiv(x, y)),
  mod: bin((x, y) => tf.mod(x, y)),
  power: bin((x, y) => tf.pow(x, y)),
  maximum: bin((x, y) => tf.maximum(x, y)),
  minimum: bin((x, y) => tf.minimum(x, y)),
  matmul: (a) => {
    const x = a.t(0, X), y = a.t(1, Y);
    if (x.rank <= 2 && y.rank <= 2) return tf.matMul(x, y);
    // batched: broadcast leading dims like numpy
    return tf.matMul(x, y);
  },
  equal: bin((x, y) => tf.equal(x, y)),
  not_equal: bin((x, y) => tf.notEqual(x, y)),
  greater: bin((x, y) => tf.greater(x, y)),
  greater_equal: bin((x, y) => tf.greaterEqual(x, y)),
  less: bin((x, y) => tf.less(x, y)),
  less_equal: bin((x, y) => tf.lessEqual(x, y)),
  logical_and: bin((x, y) => tf.logicalAnd(x as tf.Tensor, y as tf.Tensor)),
  logical_or: bin((x, y) => tf.logicalOr(x as tf.Tensor, y as tf.Tensor)),
  logical_not: un((x) => tf.logicalNot(x)),
  negative: un((x) => tf.neg(x)),
  abs: un((x) => tf.abs(x)),
  sign: un((x) => tf.sign(x)),
  sqrt: un((x) => tf.sqrt(x)),
  rsqrt: un((x) => tf.rsqrt(x)),
  square: un((x) => tf.square(x)),
  exp: un((x) => tf.exp(x)),
  log: un((x) => tf.log(x)),
  log1p: un((x) => tf.log1p(x)),
  floor: un((x) => tf.floor(x)),
  ceil: un((x) => tf.ceil(x)),
  round: un((x) => tf.round(x)),
  sin: un((x) => tf.sin(x)),
  cos: un((x) => tf.cos(x)),
  erf: un((x) => tf.erf(x)),
  tanh: un((x) => tf.tanh(x)),
  sigmoid: un((x) => tf.sigmoid(x)),
  relu: un((x) => tf.relu(x)),
  relu6: un((x) => tf.relu6(x)),
  softplus: un((x) => tf.softplus(x)),
  softsign: un((x) => tf.div(x, tf.add(tf.abs(x), 1))),
  silu: un((x) => tf.mul(x, tf.sigmoid(x))),
  swish: un((x) => tf.mul(x, tf.sigmoid(x))),
  hard_sigmoid: un((x) => tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1)),
  hard_silu: un((x) => tf.mul(x, tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1))),
  hard_swish: un((x) => tf.mul(x, tf.clipByValue(tf.add(tf.div(x, 6), 0.5), 0, 1))),
  softmax: (a) => softmaxAxis(a.t(0, X), a.num(1, ['axis', 'dim'], -1)),
  log_softmax: (a) => { const x = a.t(0, X); const ax = a.num(1, ['axis'], -1); return tf.sub(x, tf.logSumExp(x, ax, true)); },
  gelu: (a) => {
    const x = a.t(0, X);
    if (a.bool(1, ['approximate'], true)) {
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
    }
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
  },
  elu: (a) => { const x = a.t(0, X); const al = a.num(1, ['alpha'], 1); return tf.where(tf.greater(x, 0), x, tf.mul(al, tf.sub(tf.exp(x), 1))); },
  selu: un((x) => tf.selu(x)),
  leaky_relu: (a) => tf.leakyRelu(a.t(0, X), a.num(1, ['negative_slope', 'alpha'], 0.2)),
  celu: (a) => { const x = a.t(0, X); const al = a.num(1, ['alpha'], 1); return tf.add(tf.relu(x), tf.minimum(0, tf.mul(al, tf.sub(tf.exp(tf.div(x, al)), 1)))); },
  hard_shrink: (a) => { const x = a.t(0, X); const th = a.num(1, ['threshold'], 0.5); return tf.where(tf.greater(tf.abs(x), th), x, tf.zerosLike(x)); },
  soft_shrink: (a) => { const x = a.t(0, X); const th = a.num(1, ['threshold'], 0.5); return tf.where(tf.greater(x, th), tf.sub(x, th), tf.where(tf.less(x, -th), tf.add(x, th), tf.zerosLike(x))); },
  threshold: (a) => { const x = a.t(0, X); const th = a.num(1, ['threshold']); const dv = a.num(2, ['default_value']); return tf.where(tf.greater(x, th), x, tf.fill(x.shape, dv)); },
  glu: (a) => { const x = a.t(0, X); const ax = a.num(1, ['axis'], -1); const [p, q] = tf.split(x, 2, ax); return tf.mul(p, tf.sigmoid(q)); },
  reshape: (a) => {
    const x = a.t(0, X);
    const s = a.axes(1, ['newshape', 'shape'])!;
    return tf.reshape(x, s);
  },
  transpose: (a) => { const x = a.t(0, X); const p = a.axes(1, ['axes', 'perm']); return tf.transpose(x, p ?? undefined); },
  expand_dims: (a) => {
    let x = a.t(0, X);
    const axes = a.axes(1, ['axis'])!;
    for (const ax of [...axes].sort((p, q) => p - q)) x = tf.expandDims(x, ax < 0 ? x.rank + 1 + ax : ax);
    return x;
  },
  squeeze: (a) => { const x = a.t(0, X); const ax = a.axes(1, ['axis', 'squeeze_dims']); return tf.squeeze(x, ax ?? undefined); },
  concatenate: (a) => tf.concat(tensorList(a.get(0, ['xs', 'values', 'tensors'])), a.num(1, ['axis'], 0)),
  stack: (a) => tf.stack(tensorList(a.get(0, ['x', 'xs', 'values'])), a.num(1, ['axis'], 0)),
  mean: reduce((x, ax, k) => tf.mean(x, ax, k)),
  sum: reduce((x, ax, k) => tf.sum(x, ax, k)),
  max: reduce((x, ax, k) => tf.max(x, ax, k)),
  min: reduce((x, ax, k) => tf.min(x, ax, k)),
  prod: reduce((x, ax, k) => tf.prod(x, ax, k)),
  any: reduce((x, ax, k) => tf.any(tf.cast(x, 'bool'), ax, k)),
  all: reduce((x, ax, k) => tf.all(tf.cast(x, 'bool'), ax, k)),
  argmax: (a) => tf.argMax(a.t(0, X), a.num(1, ['axis'], -1)),
  argmin: (a) => tf.argMin(a.t(0, X), a.num(1, ['axis'], -1)),
  cast: (a) => tf.cast(a.t(0, X), dtypeOf(a.get(1, ['dtype']))),
  clip: (a) => tf.clipByValue(a.t(0, X), a.num(1, ['x_min', 'clip_value_min']), a.num(2, ['x_max', 'clip_value_max'])),
  where: (a) => {
    const c = a.t(0, ['condition', 'cond']);
    const x = a.tn(1, ['x1', 'x']), y = a.tn(2, ['x2', 'y']);
    const tx = typeof x === 'number' ? tf.fill(c.shape, x) : x;
    const ty = typeof y === 'number' ? tf.fill(c.shape, y) : y;
    return tf.where(tf.cast(c, 'bool'), tx, ty);
  },
  zeros_like: un((x) => tf.zerosLike(x)),
  ones_like: un((x) => tf.onesLike(x)),
  identity: un((x) => tf.clone(x)),
  get_item: (a) => getItem(a.t(0, X), a.get(1, ['key', 'slice_spec'])),
};

const ALIASES: Record<string, string> = {
  true_divide: 'divide', truediv: 'divide', div: 'divide', real_div: 'divide', floordiv: 'floor_divide', mul: 'multiply', sub: 'subtract',
  add_v2: 'add', pow: 'power', neg: 'negative', absolute: 'abs', concat: 'concatenate', concat_v2: 'concatenate',
  reduce_mean: 'mean', reduce_sum: 'sum', reduce_max: 'max', reduce_min: 'min', reduce_prod: 'prod', reduce_any: 'any', reduce_all: 'all',
  getitem: 'get_item', clip_by_value: 'clip', batch_mat_mul_v2: 'matmul', batch_mat_mul: 'matmul', mat_mul: 'matmul',
  arg_max: 'argmax', arg_min: 'argmin', select_v2: 'where', select: 'where', mean_op: 'mean', sum_op: 'sum', logistic: 'sigmoid',
};

function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** The op table key for a name as found (Keras 3 class, tf function path, TF raw op). */
export function opKey(name: string): string | null {
  const last = name.split('.').pop()!;
  const k = last.includes('_') || last === last.toLowerCase() ? last.toLowerCase() : snake(last);
  const key = ALIASES[k] ?? k;
  return key in OPS ? key : null;
}

function tensorList(v: Val): tf.Tensor[] {
  if (!Array.isArray(v)) throw new Error('expected a list of tensors');
  return v.map((x) => (isTensor(x) ? x : tf.scalar(Number(x))));
}


/** numpy-style indexing: slices, ints, Ellipsis, None (new axis). */
function getItem(x: tf.Tensor, key: Val): tf.Tensor {
  const items: Val[] = Array.isArray(key) ? key : [key];
  const nReal = items.filter((k) => k !== ELLIPSIS && k !== null).length;
  const begin: number[] = [], end: number[] = [], strides: number[] = [];
  const squeeze: number[] = [];
  const newAxes: number[] = [];
  let axis = 0;
  let outAxis = 0;
  let endMask = 0;
  for (const k of items) {
    if (k === ELLIPSIS) {
      const n = x.rank - nReal - (axis - begin.length);
      for (let i = 0; i < x.rank - nReal && begin.length < x.rank; i++) { begin.push(0); end.push(x.shape[axis]); strides.push(1); axis++; outAxis++; }
      void n;
      continue;
    }
    if (k === null) { newAxes.push(outAxis); outAxis++; continue; }
    const dim = x.shape[axis];
    if (typeof k === 'number') {
      const i = k < 0 ? k + dim : k;
      begin.push(i); end.push(i + 1); strides.push(1); squeeze.push(axis);
    } else if (typeof k === 'object' && k !== null && (k as Slice).slice) {
      const s = k as Slice;
      const step = s.step ?? 1;
      const [b, e] = sliceIndices(s.start, s.stop, step, dim);
      begin.push(b); end.push(e); strides.push(step);
      if (step < 0 && e < 0) endMask |= 1 << axis;
      outAxis++;
    } else {
      throw new Error(`unsupported index ${JSON.stringify(k)}`);
    }
    axis++;
  }
  while (begin.length < x.rank) { begin.push(0); end.push(x.shape[begin.length - 1]); strides.push(1); }
  let y = tf.stridedSlice(x, begin, end, strides, 0, endMask);
  if (squeeze.length) y = tf.squeeze(y, squeeze);
  for (const a of newAxes) y = tf.expandDims(y, a);
  return y;
}

/** Python's slice.indices(). */
function sliceIndices(start: number | null, stop: number | null, step: number, dim: number): [number, number] {
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
  if (step > 0) {
    const b = start === null ? 0 : clamp(start < 0 ? start + dim : start, 0, dim);
    const e = stop === null ? dim : clamp(stop < 0 ? stop + dim : stop, 0, dim);
    return [b, e];
  }
  const b = start === null ? dim - 1 : clamp(start < 0 ? start + dim : start, -1, dim - 1);
  const e = stop === null ? -1 : clamp(stop < 0 ? stop + dim : stop, -1, dim - 1);
  return [b, e];
}

/** Serialized constants → values (Keras 3 `__slice__`, `__numpy__`, tf.keras slice dicts…). */
function decode(v: unknown): Val {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(decode);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const cfg = (o.config ?? {}) as Record<string, unknown>;
    switch (o.class_name) {
      case '__slice__': return { slice: true, start: cfg.start as number | null, stop: cfg.stop as number | null, step: cfg.step as number | null };
      case '__ellipsis__': return ELLIPSIS;
      case '__numpy__': case '__tensor__': {
        const value = cfg.value as number | number[];
        return tf.tensor(value as number[], undefined, dtypeOf(String(cfg.dtype ?? 'float32')));
      }
    }
    if ('start' in o && 'stop' in o && 'step' in o && Object.keys(o).length === 3) {
      return { slice: true, start: o.start as number | null, stop: o.stop as number | null, step: o.step as number | null };
    }
    const out: Record<string, Val> = {};
    for (const [k, x] of Object.entries(o)) out[k] = decode(x);
    return out;
  }
  return null;
}

/* ------------------------------------------------------------------ the op layer */

/** A weightless layer running one op call; output shape found by probing with two batch sizes. */
export class OpLayer extends layers.Layer {
  static className = 'KerasOp';
  private readonly fn: (xs: tf.Tensor[]) => tf.Tensor;
  constructor(args: { name: string; trainable?: boolean }, fn: (xs: tf.Tensor[]) => tf.Tensor) {
    super(args);
    this.fn = fn;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = (inputShape.length && Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const probe = (batch: number) => {
      const xs = shapes.map((s) => tf.zeros(s.map((d, i) => (d === null ? (i === 0 ? batch : 1) : d))));
      const y = tf.tidy(() => this.fn(xs));
      const s = y.shape;
      tf.dispose([xs, y]);
      return s;
    };
    const a = probe(2), b = probe(3);
    return a.map((d, i) => (d === b[i] ? d : null));
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => this.fn(Array.isArray(inputs) ? inputs : [inputs]));
  }
}
tf.serialization.registerClass(OpLayer);

/** Rebuild a call's argument structure with the resolved tensors in place of the references. */
function materialize(a: NodeArg, tensors: Map<string, tf.Tensor>): Val {
  switch (a.kind) {
    case 'tensor': return tensors.get(refKey(a.ref))!;
    case 'list': return a.items.map((x) => materialize(x, tensors));
    case 'dict': { const o: Record<string, Val> = {}; for (const [k, v] of Object.entries(a.items)) o[k] = materialize(v, tensors); return o; }
    case 'const': return decode(a.value);
  }
}

const refKey = (r: TensorRef) => `${r.layer}:${r.node}:${r.tensor}`;

type Lookup = (r: TensorRef) => SymbolicTensor | undefined;

/** The op name and (positional, keyword) arguments of one call, by flavour. */
function callShape(layer: LayerSpec, node: NodeSpec): { op: string | null; pos: (t: Map<string, tf.Tensor>) => Val[]; kw: (t: Map<string, tf.Tensor>) => Record<string, Val>; cfg: Record<string, unknown> } {
  const cfg = layer.config ?? {};
  const kwOf = (t: Map<string, tf.Tensor>) => {
    const o: Record<string, Val> = {};
    for (const [k, v] of Object.entries(node.kwargs)) if (k !== 'name') o[k] = materialize(v, t);
    return o;
  };
  if (layer.className === 'TFOpLambda' || layer.className === 'SlicingOpLambda') {
    const fname = String(cfg.function ?? layer.name);
    // tf.keras keeps the call's first argument structure as args[0]; its items are the positional args
    const first = node.args[0];
    const pos = (t: Map<string, tf.Tensor>) => (first && first.kind === 'list' ? first.items.map((x) => materialize(x, t)) : node.args.map((x) => materialize(x, t)));
    return { op: opKey(fname), pos, kw: kwOf, cfg: {} };
  }
  if (layer.className === 'TensorFlowOpLayer') {
    const nodeDef = (cfg.node_def ?? {}) as { op?: string; input?: string[]; attr?: Record<string, Record<string, unknown>> };
    const constants = (cfg.constants ?? {}) as Record<string, unknown>;
    const nIn = Array.isArray(nodeDef.input) ? nodeDef.input.length : node.inputs.length + Object.keys(constants).length;
    const attr = nodeDef.attr ?? {};
    const op = String(nodeDef.op ?? '');
    const pos = (t: Map<string, tf.Tensor>) => {
      const out: Val[] = [];
      let k = 0;
      for (let i = 0; i < nIn; i++) out.push(String(i) in constants ? decode(constants[String(i)]) : t.get(refKey(node.inputs[k++]))!);
      // ConcatV2: the last input is the axis
      if (/^Concat/.test(op)) { const axis = out.pop() as Val; return [out, axis] as Val[]; }
      if (/^Pack$/.test(op)) return [out, (attr.axis?.i as number | undefined) ?? 0] as Val[];
      return out;
    };
    const kw = (): Record<string, Val> => {
      const o: Record<string, Val> = {};
      if (attr.keep_dims) o.keepdims = attr.keep_dims.b as boolean;
      if (attr.squeeze_dims) o.axis = ((attr.squeeze_dims.list as { i?: number[] })?.i ?? null) as unknown as Val;
      if (attr.DstT) o.dtype = String(attr.DstT.type ?? 'DT_FLOAT').replace('DT_', '');
      if (attr.axis && typeof attr.axis.i === 'number') o.axis = attr.axis.i as number;
      return o;
    };
    return { op: opKey(op), pos, kw, cfg: {} };
  }
  // Keras 3 op node: positional args as recorded, op parameters in the config
  return { op: opKey(layer.className), pos: (t) => node.args.map((x) => materialize(x, t)), kw: kwOf, cfg };
}

/** Keras 3 legacy .h5 files drop `module`; an op entry is then recognised by its bare config. */
export function isOpLayerSpec(layer: LayerSpec, kerasMajor: number): boolean {
  if (layer.module) return /(^|\.)ops(\.|$)/.test(layer.module);
  if (['TFOpLambda', 'SlicingOpLambda', 'TensorFlowOpLayer'].includes(layer.className)) return true;
  if (kerasMajor !== 3) return false;
  const cfg = layer.config ?? {};
  const k3Nodes = layer.inboundNodes.length > 0 && !('trainable' in cfg) && !('dtype' in cfg);
  return k3Nodes && opKey(layer.className) !== null && layer.className !== 'InputLayer';
}

const opBuilder: LayerBuilder & { callNode(l: LayerSpec, b: layers.Layer, n: NodeSpec, look: Lookup, c: BuildContext): SymbolicTensor | SymbolicTensor[] } = {
  classNames: ['TFOpLambda', 'SlicingOpLambda', 'TensorFlowOpLayer'],
  create(layer) {
    // placeholder: every call gets its own OpLayer (see callNode)
    return new Identity({ name: `${layer.name}__op` });
  },
  callNode(layer, _b, node, lookup, ctx) {
    const shape = callShape(layer, node);
    if (shape.op === null) {
      const what = layer.className === 'TensorFlowOpLayer' ? String((layer.config.node_def as { op?: string } | undefined)?.op)
        : layer.className === 'TFOpLambda' || layer.className === 'SlicingOpLambda' ? String(layer.config.function) : undefined;
      throw unsupportedLayerError(layer, ctx, what ? `op ${what}` : undefined);
    }
    const fn = OPS[shape.op];
    const refs = node.inputs;
    const idx = layer.inboundNodes.indexOf(node);
    const tfLayer = new OpLayer({ name: idx <= 0 ? layer.name : `${layer.name}_call${idx}` }, (xs) => {
      const map = new Map<string, tf.Tensor>();
      refs.forEach((r, i) => map.set(refKey(r), xs[i]));
      return fn(new OpArgs(shape.pos(map), shape.kw(map), shape.cfg));
    });
    const ins = refs.map((r) => lookup(r)!);
    return tfLayer.apply(ins.length === 1 ? ins[0] : ins) as SymbolicTensor;
  },
};

registerBuilder(opBuilder);
for (const k of Object.keys(OPS)) registerBuilder({ ...opBuilder, classNames: [`op:${k}`] });

/** The op builder for a Keras 3 op node (by class name), if the op is in the table. */
export function opBuilderFor(layer: LayerSpec): LayerBuilder | undefined {
  if (['TFOpLambda', 'SlicingOpLambda', 'TensorFlowOpLayer'].includes(layer.className)) return opBuilder;
  return opKey(layer.className) !== null ? opBuilder : undefined;
}
