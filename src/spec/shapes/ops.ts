/**
 * Raw-op graph nodes: Keras 3 `keras.src.ops.*` entries and tf.keras TFOpLambda / SlicingOpLambda.
 * They own no weights. Output shapes are only given for elementwise ops whose other arguments are scalars;
 * everything else (slicing, reductions, reshapes by value) is reported unknown rather than guessed.
 */
import type { LayerSpec, NodeArg, NodeSpec, Shape } from '../types.ts';
import { elementwise } from './merge.ts';

/** Class names of Keras 3 ops (keras.src.ops.numpy / nn / math) that act elementwise with broadcasting. */
const K3_ELEMENTWISE = new Set([
  'Add', 'Subtract', 'Multiply', 'Divide', 'TrueDivide', 'Power', 'Maximum', 'Minimum', 'Mod', 'FloorDivide',
  'Abs', 'Absolute', 'Negative', 'Exp', 'Log', 'Sqrt', 'Square', 'Tanh', 'Sin', 'Cos', 'Sign', 'Clip', 'Round', 'Floor', 'Ceil',
  'Relu', 'Relu6', 'Sigmoid', 'HardSigmoid', 'Softplus', 'Softsign', 'Silu', 'Gelu', 'Elu', 'Selu', 'LeakyRelu', 'Erf', 'Rsqrt',
  'Reciprocal', 'Cast', 'Where',
]);

/** tf.keras TFOpLambda `function` names (module.symbol) that act elementwise. */
const TF_ELEMENTWISE = new Set([
  'math.add', 'math.subtract', 'math.multiply', 'math.divide', 'math.truediv', 'math.maximum', 'math.minimum', 'math.pow',
  'math.abs', 'math.negative', 'math.exp', 'math.log', 'math.sqrt', 'math.square', 'math.tanh', 'math.sigmoid', 'math.rsqrt',
  'math.reciprocal', 'nn.relu', 'nn.relu6', 'nn.sigmoid', 'nn.tanh', 'nn.elu', 'nn.selu', 'nn.gelu', 'nn.silu', 'nn.softplus',
  'cast', 'clip_by_value', '__operators__.add', 'math.add_n',
]);

export function isOpLayer(layer: LayerSpec): boolean {
  const m = layer.module ?? '';
  return /^keras(\.src)?\.ops(\.|$)/.test(m) || ['TFOpLambda', 'SlicingOpLambda', 'TensorFlowOpLayer', 'ClassMethod', 'InstanceMethod', 'InstanceProperty'].includes(layer.className);
}

function onlyScalarConsts(args: NodeArg[]): boolean {
  return args.every((a) => {
    if (a.kind === 'tensor') return true;
    if (a.kind === 'const') return typeof a.value === 'number' || typeof a.value === 'boolean' || a.value === null;
    if (a.kind === 'list') return onlyScalarConsts(a.items);
    return false;
  });
}

/** Output shapes of one op node; undefined when the op is not a plain elementwise op. */
export function inferOpOutput(layer: LayerSpec, node: NodeSpec | undefined, inputs: Shape[]): Shape[] | undefined {
  if (!node || inputs.length === 0) return undefined;
  if (layer.className === 'TensorFlowOpLayer') return tfOpLayer(layer.config, inputs);
  const isK3 = /^keras(\.src)?\.ops/.test(layer.module ?? '');
  const fn = typeof layer.config.function === 'string' ? layer.config.function : '';
  const elementwiseOp = isK3 ? K3_ELEMENTWISE.has(layer.className) : layer.className === 'TFOpLambda' && TF_ELEMENTWISE.has(fn);
  // Keyword arguments other than `name` could change semantics (axis, …); stay unknown then.
  const kwargsOk = Object.entries(node.kwargs).every(([k, v]) => k === 'name' || (['x', 'y', 'clip_value_min', 'clip_value_max'].includes(k) && onlyScalarConsts([v])));
  if (!elementwiseOp || !kwargsOk || !onlyScalarConsts(node.args)) return undefined;
  return elementwise(inputs);
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
