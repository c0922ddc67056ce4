/** Merge layers (Add … Concatenate, Dot) and Keras 1's Merge(mode=…). Weightless. */
import type { Shape } from '../types.ts';
import { axisOf, cfgOf, unwrapTuple, type Cfg, type Registry } from './util.ts';

/** Keras _compute_elemwise_op_output_shape: right-aligned broadcasting, unknown dims stay unknown. */
function broadcast2(a: Shape, b: Shape): Shape | undefined {
  if (a.length < b.length) return broadcast2(b, a);
  if (b.length === 0) return a;
  const out: Shape = a.slice(0, a.length - b.length);
  const tail = a.slice(a.length - b.length);
  for (let k = 0; k < b.length; k++) {
    const i = tail[k], j = b[k];
    if (i === null || j === null) out.push(null);
    else if (i === 1) out.push(j);
    else if (j === 1) out.push(i);
    else if (i !== j) return undefined;
    else out.push(i);
  }
  return out;
}

export function elementwise(inputs: Shape[]): Shape[] | undefined {
  if (inputs.length < 1) return undefined;
  // Keras merges the batch dims separately (None wins only if all are None).
  let out: Shape | undefined = inputs[0].slice(1);
  for (const s of inputs.slice(1)) {
    out = out && broadcast2(out, s.slice(1));
    if (!out) return undefined;
  }
  const batches = inputs.map((s) => s[0]).filter((b) => b !== null);
  return [[batches.length ? batches[0] : null, ...out]];
}

function concatenate(inputs: Shape[], axis: number): Shape[] | undefined {
  if (inputs.length < 1) return undefined;
  const rank = inputs[0].length;
  if (inputs.some((s) => s.length !== rank)) return undefined;
  const ax = axisOf(axis, rank);
  if (ax === undefined) return undefined;
  const out = inputs[0].slice();
  for (const s of inputs.slice(1)) {
    for (let i = 0; i < rank; i++) {
      if (i === ax) out[i] = out[i] === null || s[i] === null ? null : (out[i] as number) + (s[i] as number);
      else if (out[i] === null) out[i] = s[i];
    }
  }
  return [out];
}

function dot(inputs: Shape[], axesCfg: unknown): Shape[] | undefined {
  if (inputs.length !== 2) return undefined;
  const s1 = inputs[0].slice(), s2 = inputs[1].slice();
  const a = unwrapTuple(axesCfg);
  let axes: number[];
  if (typeof a === 'number') axes = a < 0 ? [((a % s1.length) + s1.length) % s1.length, ((a % s2.length) + s2.length) % s2.length] : [a, a];
  else if (Array.isArray(a) && a.length === 2 && a.every((v) => typeof v === 'number')) {
    axes = [(a[0] + s1.length) % s1.length, (a[1] + s2.length) % s2.length];
  } else return undefined;
  if (axes[0] >= s1.length || axes[1] >= s2.length) return undefined;
  s1.splice(axes[0], 1);
  s2.splice(axes[1], 1);
  s2.shift();
  const out = [...s1, ...s2];
  if (out.length === 1) out.push(1);
  return [out];
}

/** Keras 1 Merge layer: mode sum/mul/ave/max (elementwise), concat, dot/cos. Lambda modes are unknowable. */
function legacyMerge(cfg: Cfg, inputs: Shape[]): Shape[] | undefined {
  const mode = cfg.mode;
  if (mode === 'sum' || mode === 'mul' || mode === 'ave' || mode === 'max') return elementwise(inputs);
  if (mode === 'concat') return concatenate(inputs, typeof cfg.concat_axis === 'number' ? cfg.concat_axis : -1);
  if (mode === 'dot' || mode === 'cos') {
    let axes = unwrapTuple(cfg.dot_axes ?? -1);
    if (typeof axes === 'number') axes = [axes, axes];
    if (mode === 'cos') {
      // Keras 1 cos: output (batch, 1)
      return inputs.length === 2 ? [[inputs[0][0], 1]] : undefined;
    }
    return dot(inputs, axes);
  }
  return undefined;
}

const elem = { output: (_l: unknown, inputs: Shape[]) => elementwise(inputs) };

export const mergeRules: Registry = {
  Add: elem, Subtract: elem, Multiply: elem, Average: elem, Maximum: elem, Minimum: elem,
  Concatenate: { output: (l, inputs) => concatenate(inputs, typeof cfgOf(l).axis === 'number' ? (cfgOf(l).axis as number) : -1) },
  Dot: { output: (l, inputs) => dot(inputs, cfgOf(l).axes ?? -1) },
  Merge: { output: (l, inputs) => legacyMerge(cfgOf(l), inputs) },
};
