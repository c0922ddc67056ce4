/**
 * Raw-op graph nodes: Keras 3 `keras.src.ops.*` entries (in Keras 3 legacy `.h5` they carry no module) and
 * tf.keras TFOpLambda / TensorFlowOpLayer. They own no weights. Output shapes follow the op's semantics
 * (keras/src/ops/*.py compute_output_spec) for elementwise, reduction, reshaping, slicing and matmul ops;
 * anything else is reported unknown rather than guessed.
 */
import type { LayerSpec, NodeArg, NodeSpec, Shape } from '../types.ts';

/** Keras 3 op classes (keras.src.ops.numpy / nn / math) that act elementwise with broadcasting. */
const K3_ELEMENTWISE = new Set([
  'Add', 'Subtract', 'Multiply', 'Divide', 'TrueDivide', 'Power', 'Maximum', 'Minimum', 'Mod', 'FloorDivide',
  'Abs', 'Absolute', 'Negative', 'Exp', 'Expm1', 'Log', 'Log1p', 'Sqrt', 'Square', 'Tanh', 'Sin', 'Cos', 'Sign', 'Clip', 'Round',
  'Floor', 'Ceil', 'Relu', 'Relu6', 'Sigmoid', 'HardSigmoid', 'Softplus', 'Softsign', 'Silu', 'Swish', 'HardSilu', 'HardSwish',
  'Gelu', 'Elu', 'Selu', 'Celu', 'LeakyRelu', 'Threshold', 'HardShrink', 'SoftShrink', 'TanhShrink', 'HardTanh', 'LogSigmoid',
  'Mish', 'SparsePlus', 'SparseSigmoid', 'Squareplus', 'Softmax', 'LogSoftmax', 'Sparsemax', 'Erf', 'Rsqrt', 'Reciprocal', 'Cast',
  'Where', 'Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'LogicalNot',
  'Exp2', 'Arctan', 'Arcsin', 'Arccos', 'Sinh', 'Cosh', 'Tan', 'Cbrt', 'Conj', 'Real', 'Imag', 'NanToNum', 'Copy',
]);
const K3_REDUCE = new Set(['Mean', 'Sum', 'Max', 'Min', 'Prod', 'Std', 'Var', 'Any', 'All', 'Logsumexp', 'Amax', 'Amin', 'Median', 'Argmax', 'Argmin']);
/** Op classes that only exist as ops (no layer of that name), so a Keras 3 `.h5` entry without module is an op. */
const K3_OP_ONLY = new Set([...K3_ELEMENTWISE, ...K3_REDUCE, 'Transpose', 'Squeeze', 'ExpandDims', 'Matmul', 'GetItem', 'Stack', 'Glu', 'Slice', 'Tile']);
const LAYER_NAMES_ALSO = new Set(['Add', 'Subtract', 'Multiply', 'Maximum', 'Minimum', 'Softmax', 'Concatenate', 'Reshape', 'ELU', 'ReLU']);

/** tf.keras TFOpLambda `function` names (module.symbol) that act elementwise. */
const TF_ELEMENTWISE = new Set([
  'math.add', 'math.subtract', 'math.multiply', 'math.divide', 'math.truediv', 'math.maximum', 'math.minimum', 'math.pow',
  'math.abs', 'math.negative', 'math.exp', 'math.log', 'math.sqrt', 'math.square', 'math.tanh', 'math.sigmoid', 'math.rsqrt',
  'math.reciprocal', 'nn.relu', 'nn.relu6', 'nn.sigmoid', 'nn.tanh', 'nn.elu', 'nn.selu', 'nn.gelu', 'nn.silu', 'nn.softplus',
  'cast', 'clip_by_value', '__operators__.add', 'math.add_n',
]);

const K3_OPS_MODULE = /^keras(\.src)?\.ops(\.|$)/;

/**
 * Whether a graph entry is an op rather than a layer. Keras 3 legacy `.h5` drops the module, so there an entry
 * whose class exists only as an op (Mean, GetItem, …) or a Reshape with `newshape` is taken as one; only for
 * Keras 3 files (`kerasMajor`), where custom classes would carry a registered name.
 */
export function isOpLayer(layer: LayerSpec, kerasMajor?: number): boolean {
  if (K3_OPS_MODULE.test(layer.module ?? '')) return true;
  if (['TFOpLambda', 'SlicingOpLambda', 'TensorFlowOpLayer', 'ClassMethod', 'InstanceMethod', 'InstanceProperty'].includes(layer.className)) return true;
  if (kerasMajor === 3 && layer.module === null && !layer.registeredName && !LAYER_NAMES_ALSO.has(layer.className) && K3_OP_ONLY.has(layer.className)) return true;
  return kerasMajor === 3 && layer.module === null && layer.className === 'Reshape' && 'newshape' in layer.config;
}

/** Argument shapes in call order: tensors get their inferred shape, constants the shape of their value. */
function argShapes(args: NodeArg[], tensors: Shape[], cursor = { i: 0 }): (Shape | undefined)[] {
  const out: (Shape | undefined)[] = [];
  for (const a of args) {
    if (a.kind === 'tensor') out.push(tensors[cursor.i++]);
    else if (a.kind === 'const') out.push(constShape(a.value));
    else out.push(undefined);
  }
  return out;
}

function normAxis(a: number, rank: number): number | undefined {
  const x = a < 0 ? a + rank : a;
  return x >= 0 && x < rank ? x : undefined;
}

function axesOf(v: unknown, rank: number): number[] | null | undefined {
  if (v === null || v === undefined) return null; // all axes
  const list = typeof v === 'number' ? [v] : Array.isArray(v) ? v : undefined;
  if (!list || !list.every((x) => typeof x === 'number')) return undefined;
  const out = list.map((x) => normAxis(x as number, rank));
  return out.every((x) => x !== undefined) ? (out as number[]) : undefined;
}

/** keras.ops.numpy GetItem with ints, slices, None (new axis) and one ellipsis. */
function getItem(x: Shape, index: unknown): Shape | undefined {
  const items = Array.isArray(index) ? index : [index];
  const isEllipsis = (v: unknown) => !!v && typeof v === 'object' && (v as Record<string, unknown>).class_name === '__ellipsis__';
  const consumed = items.filter((v) => v !== null && !isEllipsis(v)).length;
  if (consumed > x.length || items.filter(isEllipsis).length > 1) return undefined;
  const out: Shape = [];
  let d = 0;
  for (const it of items) {
    if (it === null) { out.push(1); continue; }
    if (isEllipsis(it)) { const n = x.length - consumed; out.push(...x.slice(d, d + n)); d += n; continue; }
    const dim = x[d++];
    if (typeof it === 'number') {
      if (dim !== null && (it >= dim || it < -dim)) return undefined;
      continue;
    }
    const sl = it as { class_name?: string; config?: { start: number | null; stop: number | null; step: number | null } };
    if (sl?.class_name !== '__slice__' || !sl.config) return undefined;
    const { start, stop, step } = sl.config;
    if (dim === null) { out.push(start === null && stop === null && (step ?? 1) === 1 ? null : null); continue; }
    out.push(sliceLength(dim, start, stop, step ?? 1));
  }
  out.push(...x.slice(d));
  return out;
}

/** Python's len(range(*slice(start, stop, step).indices(n))). */
function sliceLength(n: number, start: number | null, stop: number | null, step: number): number {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s: number, e: number;
  if (step > 0) {
    s = start === null ? 0 : clamp(start < 0 ? start + n : start, 0, n);
    e = stop === null ? n : clamp(stop < 0 ? stop + n : stop, 0, n);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = start === null ? n - 1 : clamp(start < 0 ? start + n : start, -1, n - 1);
  e = stop === null ? -1 : clamp(stop < 0 ? stop + n : stop, -1, n - 1);
  return Math.max(0, Math.ceil((s - e) / -step));
}

function matmul(a: Shape, b: Shape): Shape | undefined {
  if (a.length === 0 || b.length === 0) return undefined;
  const A = a.length === 1 ? [1, a[0]] : a, B = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcastFull(A.slice(0, -2), B.slice(0, -2));
  if (!batch) return undefined;
  const out = [...batch, A[A.length - 2], B[B.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.pop();
  return out;
}

function reshapeFull(x: Shape, target: unknown): Shape | undefined {
  if (!Array.isArray(target) || !target.every((d) => typeof d === 'number' || d === null)) return undefined;
  const t = target as (number | null)[];
  const free = t.findIndex((d) => d === -1 || d === null);
  if (free < 0) return t;
  const total = x.every((d) => d !== null) ? (x as number[]).reduce((p, d) => p * d, 1) : null;
  const rest = t.reduce<number>((p, d, i) => (i === free ? p : p * (d as number)), 1);
  return t.map((d, i) => (i !== free ? d : total === null || rest === 0 ? null : total / rest));
}

/** Keras 3 op node: shape rule per op class, from its config and call arguments. */
function k3Op(layer: LayerSpec, node: NodeSpec, tensors: Shape[]): Shape[] | undefined {
  const c = layer.config;
  const cls = layer.className;
  const args = argShapes(node.args, tensors);
  const x = args[0];
  if (K3_ELEMENTWISE.has(cls)) {
    let out: Shape | undefined = x;
    for (const a of args.slice(1)) out = out && a && broadcastFull(out, a);
    return out ? [out] : undefined;
  }
  if (!x) {
    if (cls === 'Concatenate' || cls === 'Stack') return listOp(cls, c, node, tensors);
    return undefined;
  }
  if (K3_REDUCE.has(cls)) {
    const axes = axesOf(c.axis, x.length);
    if (axes === undefined) return undefined;
    const keep = c.keepdims === true;
    const all = axes === null;
    return [keep ? x.map((d, i) => (all || axes!.includes(i) ? 1 : d)) : all ? [] : x.filter((_d, i) => !axes!.includes(i))];
  }
  switch (cls) {
    case 'Transpose': {
      const axes = c.axes === null || c.axes === undefined ? x.map((_d, i) => x.length - 1 - i) : axesOf(c.axes, x.length);
      return axes && axes.length === x.length ? [axes.map((a) => x[a])] : undefined;
    }
    case 'Reshape': { const r = reshapeFull(x, c.newshape); return r ? [r] : undefined; }
    case 'Squeeze': {
      const axes = c.axis === null || c.axis === undefined ? x.flatMap((d, i) => (d === 1 ? [i] : [])) : axesOf(c.axis, x.length);
      return axes ? [x.filter((_d, i) => !axes.includes(i))] : undefined;
    }
    case 'ExpandDims': {
      const list = typeof c.axis === 'number' ? [c.axis] : Array.isArray(c.axis) ? (c.axis as number[]) : undefined;
      if (!list) return undefined;
      const rank = x.length + list.length;
      const pos = list.map((a) => normAxis(a, rank));
      if (pos.some((p) => p === undefined)) return undefined;
      const out: Shape = [];
      let k = 0;
      for (let i = 0; i < rank; i++) out.push(pos.includes(i) ? 1 : x[k++]);
      return [out];
    }
    case 'Matmul': { const r = args[1] && matmul(x, args[1]); return r ? [r] : undefined; }
    case 'GetItem': {
      const idx = node.args[1];
      if (!idx || idx.kind !== 'const') return undefined;
      const r = getItem(x, idx.value);
      return r ? [r] : undefined;
    }
    case 'Glu': {
      const ax = normAxis(typeof c.axis === 'number' ? c.axis : -1, x.length);
      if (ax === undefined) return undefined;
      return [x.map((d, i) => (i === ax && d !== null ? d / 2 : d))];
    }
    case 'Concatenate': case 'Stack': return listOp(cls, c, node, tensors);
    default: return undefined;
  }
}

/** Concatenate / Stack ops take a list of tensors as their first argument. */
function listOp(cls: string, c: Record<string, unknown>, node: NodeSpec, tensors: Shape[]): Shape[] | undefined {
  const first = node.args[0];
  if (!first || first.kind !== 'list' || first.items.some((a) => a.kind !== 'tensor') || tensors.length !== first.items.length) return undefined;
  const rank = tensors[0].length;
  if (tensors.some((t) => t.length !== rank)) return undefined;
  const axis = typeof c.axis === 'number' ? c.axis : 0;
  if (cls === 'Stack') {
    const ax = normAxis(axis, rank + 1);
    if (ax === undefined) return undefined;
    const out = tensors[0].slice();
    out.splice(ax, 0, tensors.length);
    return [out];
  }
  const ax = normAxis(axis, rank);
  if (ax === undefined) return undefined;
  const out = tensors[0].slice();
  out[ax] = tensors.reduce<number | null>((sum, t) => (sum === null || t[ax] === null ? null : sum + (t[ax] as number)), 0);
  return [out];
}

function onlyScalarConsts(args: NodeArg[]): boolean {
  return args.every((a) => {
    if (a.kind === 'tensor') return true;
    if (a.kind === 'const') return typeof a.value === 'number' || typeof a.value === 'boolean' || a.value === null;
    if (a.kind === 'list') return onlyScalarConsts(a.items);
    return false;
  });
}

/** Output shapes of one op node; undefined when the op's shape rule is not known. */
export function inferOpOutput(layer: LayerSpec, node: NodeSpec | undefined, inputs: Shape[]): Shape[] | undefined {
  if (!node || inputs.length === 0) return undefined;
  if (layer.className === 'TensorFlowOpLayer') return tfOpLayer(layer.config, inputs);
  if (layer.className !== 'TFOpLambda' && layer.className !== 'SlicingOpLambda') {
    return ['ClassMethod', 'InstanceMethod', 'InstanceProperty'].includes(layer.className) ? undefined : k3Op(layer, node, inputs);
  }
  const fn = typeof layer.config.function === 'string' ? layer.config.function : '';
  // Keyword arguments other than operands could change semantics (axis, …); stay unknown then.
  const kwargsOk = Object.entries(node.kwargs).every(([k, v]) => k === 'name' || (['x', 'y', 'clip_value_min', 'clip_value_max'].includes(k) && onlyScalarConsts([v])));
  if (layer.className !== 'TFOpLambda' || !TF_ELEMENTWISE.has(fn) || !kwargsOk || !onlyScalarConsts(node.args)) return undefined;
  let out: Shape | undefined = inputs[0];
  for (const s of inputs.slice(1)) out = out && broadcastFull(out, s);
  return out ? [out] : undefined;
}

/** Right-aligned broadcasting over full shapes (batch included); unknown dims stay unknown. */
function broadcastFull(a: Shape, b: Shape): Shape | undefined {
  if (a.length < b.length) return broadcastFull(b, a);
  const out = a.slice(0, a.length - b.length);
  const tail = a.slice(a.length - b.length);
  for (let k = 0; k < b.length; k++) {
    const i = tail[k], j = b[k];
    if (i === 1) out.push(j);
    else if (j === 1) out.push(i);
    else if (i === null || j === null) out.push(i ?? j);
    else if (i !== j) return undefined;
    else out.push(i);
  }
  return out;
}

/** Shape of a constant stored as a (nested) JSON list; scalars are []. */
function constShape(v: unknown): Shape | undefined {
  if (typeof v === 'number' || typeof v === 'boolean') return [];
  if (!Array.isArray(v)) return undefined;
  if (v.length === 0) return [0];
  const inner = constShape(v[0]);
  return inner ? [v.length, ...inner] : undefined;
}

const TF_GRAPH_ELEMENTWISE = new Set([
  'Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Div', 'Maximum', 'Minimum', 'Pow', 'SquaredDifference', 'Relu', 'Relu6', 'Elu', 'Selu',
  'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Rsqrt', 'Square', 'Neg', 'Abs', 'Softplus', 'Softsign', 'Cast', 'Identity', 'Reciprocal',
]);

/**
 * tf.keras 2.2–2.3 TensorFlowOpLayer: a TF graph op (`node_def.op`) whose constant inputs are in `constants`
 * (by input position) and whose tensor inputs fill the other positions in order.
 */
function tfOpLayer(cfg: Record<string, unknown>, tensors: Shape[]): Shape[] | undefined {
  const nodeDef = cfg.node_def as { op?: string; input?: string[]; attr?: Record<string, any> } | undefined;
  const op = nodeDef?.op;
  if (!op) return undefined;
  const consts = (cfg.constants ?? {}) as Record<string, unknown>;
  const nIn = nodeDef.input?.length ?? tensors.length + Object.keys(consts).length;
  const args: { shape?: Shape; value?: unknown }[] = [];
  let t = 0;
  for (let i = 0; i < nIn; i++) {
    if (String(i) in consts) args.push({ value: consts[String(i)], shape: constShape(consts[String(i)]) });
    else if (t < tensors.length) args.push({ shape: tensors[t++] });
    else return undefined;
  }
  const x = args[0]?.shape;
  if (!x) return undefined;
  if (TF_GRAPH_ELEMENTWISE.has(op)) {
    let out: Shape | undefined = x;
    for (const a of args.slice(1)) out = out && a.shape && broadcastFull(out, a.shape);
    return out ? [out] : undefined;
  }
  if (op === 'Transpose') {
    const perm = args[1]?.value;
    if (!Array.isArray(perm) || perm.length !== x.length) return undefined;
    return [perm.map((p) => x[p as number] ?? null)];
  }
  if (op === 'Reshape') {
    const target = args[1]?.value;
    if (!Array.isArray(target) || !target.every((d) => typeof d === 'number')) return undefined;
    const free = target.indexOf(-1);
    if (free < 0) return [target as number[]];
    const total = x.every((d) => d !== null) ? (x as number[]).reduce((p, d) => p * d, 1) : null;
    const rest = (target as number[]).reduce((p, d, i) => (i === free ? p : p * d), 1);
    return [target.map((d, i) => (i !== free ? d : total === null || rest === 0 ? null : total / rest))];
  }
  if (op === 'ConcatV2') {
    const axis = args[args.length - 1]?.value;
    const parts = args.slice(0, -1).map((a) => a.shape);
    if (typeof axis !== 'number' || parts.some((p) => !p || p.length !== x.length)) return undefined;
    const ax = axis < 0 ? axis + x.length : axis;
    const out = x.slice();
    out[ax] = (parts as Shape[]).reduce<number | null>((sum, p) => (sum === null || p[ax] === null ? null : sum + (p[ax] as number)), 0);
    return [out];
  }
  if (['Mean', 'Sum', 'Max', 'Min', 'Prod'].includes(op)) {
    const axis = args[1]?.value;
    const axes = (typeof axis === 'number' ? [axis] : Array.isArray(axis) ? axis : undefined)?.map((a) => ((a as number) < 0 ? (a as number) + x.length : (a as number)));
    if (!axes) return undefined;
    const keep = nodeDef.attr?.keep_dims?.b === true;
    return [keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_d, i) => !axes.includes(i))];
  }
  return undefined;
}
