/** Core layers: InputLayer, Dense, EinsumDense, shape-preserving regularizers, Keras 1 dense variants. */
import type { Shape } from '../types.ts';
import { cfgOf, known, n, num, bool, str, unwrapTuple, w, type Registry, type Cfg, type WeightShape } from './util.ts';

/** Input shape from an InputLayer config (Keras 3 batch_shape, Keras 1/2 batch_input_shape, or input_shape). */
export function inputLayerShape(cfg: Cfg): Shape | undefined {
  const asShape = (v: unknown): Shape | undefined => {
    const a = unwrapTuple(v);
    return Array.isArray(a) && a.every((d) => d === null || typeof d === 'number') ? (a as Shape) : undefined;
  };
  const batch = asShape(cfg.batch_shape) ?? asShape(cfg.batch_input_shape);
  if (batch) return batch;
  const s = asShape(cfg.input_shape) ?? asShape(cfg.shape);
  return s ? [null, ...s] : undefined;
}

const shapePreserving = {};

export const coreRules: Registry = {
  InputLayer: { output: (l) => { const s = inputLayerShape(cfgOf(l)); return s ? [s] : undefined; } },
  Dense: {
    output: (l, [x]) => { const u = num(cfgOf(l), 'units', NaN); return x && x.length >= 2 && known(u) ? [[...x.slice(0, -1), u]] : undefined; },
    weights: (l, [x], ctx) => {
      const c = cfgOf(l);
      const units = num(c, 'units', NaN), inDim = n(x?.[x.length - 1]);
      if (!known(inDim, units)) return undefined;
      const k1 = ctx.kerasMajor === 1;
      const ws = [w(k1 ? 'W' : 'kernel', [inDim, units], 'kernel_initializer')];
      if (bool(c, 'use_bias', true)) ws.push(w(k1 ? 'b' : 'bias', [units], 'bias_initializer'));
      return ws;
    },
  },
  EinsumDense: {
    output: (l, [x]) => { const r = einsum(cfgOf(l), x); return r ? [r.output] : undefined; },
    weights: (l, [x]) => {
      const r = einsum(cfgOf(l), x);
      if (!r || !known(...r.kernel) || (r.bias && !known(...r.bias))) return undefined;
      const ws = [w('kernel', r.kernel as number[], 'kernel_initializer')];
      if (r.bias) ws.push(w('bias', r.bias as number[], 'bias_initializer'));
      return ws;
    },
  },
  // Keras 1: TimeDistributedDense(output_dim) on (batch, time, in); MaxoutDense(nb_feature); Highway.
  TimeDistributedDense: {
    output: (l, [x]) => { const u = num(cfgOf(l), 'units', num(cfgOf(l), 'output_dim', NaN)); return x && x.length === 3 && known(u) ? [[x[0], x[1], u]] : undefined; },
    weights: (l, [x]) => {
      const c = cfgOf(l), units = num(c, 'units', num(c, 'output_dim', NaN)), inDim = n(x?.[2]);
      if (!known(inDim, units)) return undefined;
      const ws = [w('W', [inDim, units], 'kernel_initializer')];
      if (bool(c, 'use_bias', bool(c, 'bias', true))) ws.push(w('b', [units], 'bias_initializer'));
      return ws;
    },
  },
  MaxoutDense: {
    output: (l, [x]) => { const u = num(cfgOf(l), 'units', num(cfgOf(l), 'output_dim', NaN)); return x && x.length === 2 && known(u) ? [[x[0], u]] : undefined; },
    weights: (l, [x]) => {
      const c = cfgOf(l), units = num(c, 'units', num(c, 'output_dim', NaN)), nf = num(c, 'nb_feature', 4), inDim = n(x?.[1]);
      if (!known(inDim, units)) return undefined;
      const ws = [w('W', [nf, inDim, units], 'kernel_initializer')];
      if (bool(c, 'use_bias', bool(c, 'bias', true))) ws.push(w('b', [nf, units], 'bias_initializer'));
      return ws;
    },
  },
  Highway: {
    weights: (l, [x]) => {
      const c = cfgOf(l), d = n(x?.[1]);
      if (!known(d)) return undefined;
      const ws = [w('W', [d, d], 'kernel_initializer'), w('W_carry', [d, d], 'kernel_initializer')];
      if (bool(c, 'use_bias', bool(c, 'bias', true))) ws.push(w('b', [d], 'bias_initializer'), w('b_carry', [d], 'bias_initializer'));
      return ws;
    },
  },
  // The 'glu' activation halves the last axis (Keras 3).
  Activation: { output: (l, [x]) => (cfgOf(l).activation === 'glu' && x ? [[...x.slice(0, -1), x[x.length - 1] === null ? null : (x[x.length - 1] as number) / 2]] : x ? [x.slice()] : undefined) },
  Masking: shapePreserving,
  Dropout: shapePreserving,
  SpatialDropout1D: shapePreserving,
  SpatialDropout2D: shapePreserving,
  SpatialDropout3D: shapePreserving,
  GaussianNoise: shapePreserving,
  GaussianDropout: shapePreserving,
  AlphaDropout: shapePreserving,
  ActivityRegularization: shapePreserving,
  Identity: shapePreserving,
  // Lambda: no weights of its own; its output is known only when the file declares it as a plain shape
  // (`output_shape` without the batch dim; Keras 1/2 'raw' type). A function-valued output_shape is Python code.
  Lambda: { output: (l, ins, ctx) => lambdaOutput(cfgOf(l), ins, ctx.kerasMajor), weights: () => [] },
};

function lambdaOutput(cfg: Cfg, inputs: Shape[], major: number): Shape[] | undefined {
  const os = unwrapTuple(cfg.output_shape);
  if (!Array.isArray(os) || !os.every((d) => d === null || (typeof d === 'number' && d >= 0))) return undefined;
  if (cfg.output_shape_type !== undefined && cfg.output_shape_type !== 'raw') return undefined;
  // Keras 1/2 take the batch dim from the (first) input; Keras 3 always prepends None.
  const batch = major === 3 ? null : inputs[0]?.[0] ?? null;
  return [[batch, ...(os as Shape)]];
}

/** Port of keras EinsumDense's _analyze_einsum_string: kernel, bias and full output shape. */
export function einsum(cfg: Cfg, input: Shape | undefined): { kernel: Shape; bias: Shape | null; output: Shape } | undefined {
  if (!input) return undefined;
  const eq = str(cfg, 'equation', '').replace(/\.\.\./g, '0');
  let m = /^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$/.exec(eq);
  let leftElided = false;
  if (!m) { m = /^0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$/.exec(eq); leftElided = !!m; }
  if (!m) m = /^([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$/.exec(eq);
  if (!m) return undefined;
  const [, inSpec, wSpec, outSpec] = m;
  const elided = input.length - inSpec.length;
  const os = unwrapTuple(cfg.output_shape);
  const outShape: Shape = typeof os === 'number' ? [os] : Array.isArray(os) ? [...(os as Shape)] : [];
  outShape.unshift(input[0]);
  if (elided > 0 && leftElided) for (let i = 1; i < elided; i++) outShape.splice(1, 0, input[i]);
  else if (elided > 0) for (let i = input.length - elided; i < input.length; i++) outShape.push(input[i]);
  const inMap = new Map<string, number>(), outMap = new Map<string, number>();
  [...inSpec].forEach((d, i) => inMap.set(d, leftElided ? i + elided : i)); // leftElided: i + elided - len, made positive
  [...outSpec].forEach((d, i) => outMap.set(d, leftElided ? i + elided : i));
  const kernel: Shape = [];
  for (const d of wSpec) {
    if (outMap.has(d)) kernel.push(outShape[outMap.get(d)!] ?? null);
    else if (inMap.has(d)) kernel.push(input[inMap.get(d)!] ?? null);
    else return undefined;
  }
  // Keras keeps a None the user wrote in output_shape even where the dim is shared with the input (the actual
  // output then has the input's size); fill it from the input like predict() shows.
  for (const [d, oi] of outMap) {
    if (outShape[oi] === null && oi > 0 && inMap.has(d)) outShape[oi] = input[inMap.get(d)!] ?? null;
  }
  let bias: Shape | null = null;
  const biasAxes = cfg.bias_axes;
  if (typeof biasAxes === 'string' && biasAxes.length > 0) {
    if (![...biasAxes].every((c) => outSpec.includes(c))) return undefined;
    const first = Math.min(...[...biasAxes].map((c) => outSpec.indexOf(c)));
    const nLeft = leftElided ? elided : 0;
    bias = [...outSpec.slice(first)].map((c) => (biasAxes.includes(c) ? outShape[outSpec.indexOf(c) + nLeft] ?? null : 1));
    if (!leftElided) for (let i = 0; i < elided; i++) bias.push(1);
  }
  return { kernel, bias, output: outShape };
}

export type { WeightShape };
