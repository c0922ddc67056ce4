/** Activation layers. Only PReLU (and Keras 1 ParametricSoftplus / SReLU) own weights. */
import type { Shape } from '../types.ts';
import { cfgOf, allKnown, unwrapTuple, w, type Registry } from './util.ts';

/** Parameter shape `input_shape[1:]` with `shared_axes` (1-based, batch excluded) set to 1. */
function perFeature(x: Shape | undefined, sharedAxes: unknown): number[] | undefined {
  if (!x) return undefined;
  const shape = x.slice(1);
  const sa = unwrapTuple(sharedAxes);
  const shared = typeof sa === 'number' ? [sa] : Array.isArray(sa) ? sa : [];
  for (const a of shared) if (typeof a === 'number' && a >= 1 && a <= shape.length) shape[a - 1] = 1;
  return allKnown(shape) ? shape : undefined;
}

export const activationRules: Registry = {
  ReLU: {}, LeakyReLU: {}, ELU: {}, ThresholdedReLU: {}, Softmax: {},
  PReLU: {
    weights: (l, [x], ctx) => {
      const s = perFeature(x, cfgOf(l).shared_axes);
      return s ? [w(ctx.kerasMajor === 1 ? 'alphas' : 'alpha', s, 'alpha_initializer')] : undefined;
    },
  },
  ParametricSoftplus: {
    weights: (l, [x]) => {
      const s = perFeature(x, cfgOf(l).shared_axes);
      return s ? [w('alphas', s), w('betas', s)] : undefined;
    },
  },
  SReLU: {
    weights: (l, [x]) => {
      const s = perFeature(x, cfgOf(l).shared_axes);
      return s ? [w('t_left', s), w('a_left', s), w('t_right', s), w('a_right', s)] : undefined;
    },
  },
};
