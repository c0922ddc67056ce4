/** Normalization layers: BatchNormalization (Keras 1: always 4 weights), Layer/Group/Unit/RMS normalization. */
import type { Shape } from '../types.ts';
import { allKnown, axisOf, bool, cfgOf, unwrapTuple, w, type Cfg, type Registry, type WeightShape } from './util.ts';

/** Dims of the normalized axes (an int or a list, as tf.keras serializes BN/LN axis as [3]). */
function axesDims(cfg: Cfg, x: Shape | undefined, dflt: number): number[] | undefined {
  if (!x) return undefined;
  const a = unwrapTuple(cfg.axis ?? dflt);
  const axes = typeof a === 'number' ? [a] : Array.isArray(a) && a.every((v) => typeof v === 'number') ? (a as number[]) : undefined;
  if (!axes) return undefined;
  const dims: (number | null)[] = [];
  for (const ax of axes) {
    const i = axisOf(ax, x.length);
    if (i === undefined || i === 0) return undefined;
    dims.push(x[i]);
  }
  return allKnown(dims) ? dims : undefined;
}

export const normalizationRules: Registry = {
  BatchNormalization: {
    weights: (l, [x], ctx) => {
      const cfg = cfgOf(l), dims = axesDims(cfg, x, -1);
      if (!dims) return undefined;
      if (ctx.kerasMajor === 1) {
        // Keras 1 always stores gamma, beta, running_mean, running_std (the last one holds the variance).
        return [
          w('gamma', dims, 'gamma_initializer'), w('beta', dims, 'beta_initializer'),
          w('running_mean', dims, 'moving_mean_initializer', false), w('running_std', dims, 'moving_variance_initializer', false),
        ];
      }
      const ws: WeightShape[] = [];
      if (bool(cfg, 'scale', true)) ws.push(w('gamma', dims, 'gamma_initializer'));
      if (bool(cfg, 'center', true)) ws.push(w('beta', dims, 'beta_initializer'));
      ws.push(w('moving_mean', dims, 'moving_mean_initializer', false), w('moving_variance', dims, 'moving_variance_initializer', false));
      if (bool(cfg, 'renorm', false)) {
        // tf.keras batch renormalization adds non-trainable moving stddev and renorm statistics.
        ws.push(w('moving_stddev', dims, undefined, false), w('renorm_mean', dims, undefined, false), w('renorm_stddev', dims, undefined, false));
      }
      return ws;
    },
  },
  LayerNormalization: {
    weights: (l, [x]) => {
      const cfg = cfgOf(l), dims = axesDims(cfg, x, -1);
      if (!dims) return undefined;
      const ws: WeightShape[] = [];
      // Keras 3 rms_scaling: gamma only, whatever `center` says.
      const rms = bool(cfg, 'rms_scaling', false);
      if (bool(cfg, 'scale', true) || rms) ws.push(w('gamma', dims, 'gamma_initializer'));
      if (bool(cfg, 'center', true) && !rms) ws.push(w('beta', dims, 'beta_initializer'));
      return ws;
    },
  },
  GroupNormalization: {
    weights: (l, [x]) => {
      const cfg = cfgOf(l), dims = axesDims(cfg, x, -1);
      if (!dims) return undefined;
      const ws: WeightShape[] = [];
      if (bool(cfg, 'scale', true)) ws.push(w('gamma', dims, 'gamma_initializer'));
      if (bool(cfg, 'center', true)) ws.push(w('beta', dims, 'beta_initializer'));
      return ws;
    },
  },
  RMSNormalization: {
    weights: (l, [x]) => { const dims = axesDims(cfgOf(l), x, -1); return dims ? [w('scale', dims)] : undefined; },
  },
  UnitNormalization: {},
  // Preprocessing Normalization: non-trainable mean, variance (kept axes) and an int count — unless mean/variance
  // were passed in the config, then it stores nothing.
  Normalization: {
    weights: (l, [x]) => {
      const cfg = cfgOf(l);
      if (cfg.mean != null) return [];
      if (!x) return undefined;
      const a = unwrapTuple(cfg.axis ?? -1);
      const axes = a === null ? [] : typeof a === 'number' ? [a] : Array.isArray(a) ? (a as number[]) : undefined;
      if (!axes) return undefined;
      const keep = axes.map((ax) => axisOf(ax, x.length)).sort((p, q) => (p ?? 0) - (q ?? 0));
      if (keep.some((i) => i === undefined)) return undefined;
      const dims = keep.map((i) => x[i!]);
      if (!allKnown(dims)) return undefined;
      return [w('mean', dims, undefined, false), w('variance', dims, undefined, false), w('count', [], undefined, false)];
    },
  },
};
