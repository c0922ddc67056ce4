/**
 * Weight loading: the stored Keras weights (Keras order, already read by the format readers) go into
 * the tfjs layers once, at import time — converted by the layer's builder where tfjs expects another
 * layout (Keras 1 kernels, Theano flips, recurrent gate orders…). Shapes are checked against what
 * tfjs built, so a file that does not fit its config fails with a WeightMismatchError naming the
 * layer and weight instead of producing garbage.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WeightMismatchError } from '../errors.ts';
import type { WeightSpec } from '../spec/types.ts';
import { storedTensors } from '../layers/common.ts';
import type { BuiltLayer } from './build.ts';
import { wrapLayerError } from './build.ts';


/**
 * Set every layer's weights from its spec. Returns the layers that own variables but got no
 * weights from the file (architecture-only import): the caller initializes them.
 */
export function loadWeights(built: BuiltLayer[]): BuiltLayer[] {
  const missing: BuiltLayer[] = [];
  for (const b of built) loadOne(b, missing);
  return missing;
}

function loadOne(b: BuiltLayer, missing: BuiltLayer[]): void {
  if (b.inner) {
    if (b.spec.weights.length) distributeNested(b);
    for (const c of b.inner) loadOne(c, missing);
    return;
  }
  const vars = b.tfLayer.weights;
  const spec = b.spec;
  if (spec.weights.length === 0) {
    if (vars.length) missing.push(b);
    return;
  }
  if (!b.tfLayer.built) {
    throw new WeightMismatchError(`layer has ${spec.weights.length} stored weights but is never called in the model, so its shapes are unknown`, {
      file: b.ctx.source, layer: spec.name, hint: 'the config and weights do not belong together',
    });
  }
  let values: tf.Tensor[];
  try {
    values = b.builder?.convertWeights ? tf.tidy(() => b.builder!.convertWeights!(spec, b.tfLayer, b.ctx)) : storedTensors(spec);
  } catch (e) {
    throw wrapLayerError(e, spec, b.ctx);
  }
  try {
    if (values.length !== vars.length) {
      throw new WeightMismatchError(
        `the file has ${spec.weights.length} weights for this ${spec.className} (${spec.weights.map(describe).join(', ')}), the layer needs ${vars.length} (${vars.map((v) => `${v.originalName ?? v.name} [${v.shape}]`).join(', ')})`,
        { file: b.ctx.source, layer: spec.name, hint: 'the config and weights do not belong together (check that the weights file matches this architecture)' },
      );
    }
    for (let i = 0; i < vars.length; i++) {
      const want = vars[i].shape;
      const got = values[i].shape;
      if (want.length !== got.length || want.some((d, k) => d !== got[k])) {
        throw new WeightMismatchError(
          `weight ${i} (${spec.weights[i]?.name ?? vars[i].name}) has shape [${got}] in the file, the layer needs [${want}]`,
          { file: b.ctx.source, layer: spec.name, hint: 'the config and weights do not belong together (check that the weights file matches this architecture)' },
        );
      }
      if (values[i].dtype !== vars[i].dtype) {
        const cast = tf.cast(values[i], vars[i].dtype);
        values[i].dispose();
        values[i] = cast;
      }
    }
    b.tfLayer.setWeights(values);
  } finally {
    tf.dispose(values);
  }
}

function describe(w: WeightSpec): string {
  return `${w.name} [${w.shape}]`;
}

/**
 * A nested model saved as one layer group: its weights are listed trainable-first across all its
 * sub-layers (formats.md §1.7). Assign them to the sub-layers — by the sub-layer name embedded in
 * the weight name when every weight has one, else by Keras' positional rule.
 */
function distributeNested(b: BuiltLayer): void {
  const inner = flatLeaves(b.inner!);
  if (inner.some((c) => c.spec.weights.length)) return; // readers already assigned them
  const weights = b.spec.weights;
  const byName = new Map<BuiltLayer, WeightSpec[]>();
  let allNamed = true;
  for (const w of weights) {
    const owner = inner.filter((c) => new RegExp(`(^|/)${escapeRe(c.spec.name)}/`).test(w.name));
    if (owner.length !== 1) { allNamed = false; break; }
    const list = byName.get(owner[0]) ?? [];
    list.push(w);
    byName.set(owner[0], list);
  }
  if (allNamed) {
    for (const c of inner) c.spec = { ...c.spec, weights: byName.get(c) ?? [] };
    return;
  }
  const counts = inner.map((c) => ({ c, t: c.tfLayer.trainableWeights.length, n: c.tfLayer.nonTrainableWeights.length }));
  const need = counts.reduce((s, x) => s + x.t + x.n, 0);
  if (need !== weights.length) {
    throw new WeightMismatchError(`nested model has ${weights.length} stored weights, its layers need ${need}`, {
      file: b.ctx.source, layer: b.spec.name, hint: 'the config and weights do not belong together',
    });
  }
  const assigned = new Map<BuiltLayer, WeightSpec[]>(inner.map((c) => [c, []]));
  let k = 0;
  for (const x of counts) for (let i = 0; i < x.t; i++) assigned.get(x.c)!.push(weights[k++]);
  for (const x of counts) for (let i = 0; i < x.n; i++) assigned.get(x.c)!.push(weights[k++]);
  // per layer this is trainable then non-trainable: Keras' own per-layer order
  for (const c of inner) c.spec = { ...c.spec, weights: assigned.get(c)! };
}

function flatLeaves(list: BuiltLayer[]): BuiltLayer[] {
  return list.flatMap((c) => (c.inner ? flatLeaves(c.inner) : [c]));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
