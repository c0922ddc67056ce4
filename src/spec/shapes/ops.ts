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
  const isK3 = /^keras(\.src)?\.ops/.test(layer.module ?? '');
  const fn = typeof layer.config.function === 'string' ? layer.config.function : '';
  const elementwiseOp = isK3 ? K3_ELEMENTWISE.has(layer.className) : layer.className === 'TFOpLambda' && TF_ELEMENTWISE.has(fn);
  // Keyword arguments other than `name` could change semantics (axis, …); stay unknown then.
  const kwargsOk = Object.entries(node.kwargs).every(([k, v]) => k === 'name' || (['x', 'y', 'clip_value_min', 'clip_value_max'].includes(k) && onlyScalarConsts([v])));
  if (!elementwiseOp || !kwargsOk || !onlyScalarConsts(node.args)) return undefined;
  return elementwise(inputs);
}
