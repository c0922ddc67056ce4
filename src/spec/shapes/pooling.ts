/** Pooling: Max/Average 1D–3D, global pooling (keepdims), adaptive pooling. All weightless. */
import type { LayerSpec, Shape } from '../types.ts';
import { cfgOf, dataFormat, joinSpatial, known, padding, poolOutLen, splitSpatial, tuple, bool, type Registry } from './util.ts';

function pool(nd: number) {
  return (l: LayerSpec, [x]: Shape[]): Shape[] | undefined => {
    const cfg = cfgOf(l), df = dataFormat(cfg);
    const sp = x && splitSpatial(x, nd, df);
    // Keras 1 Pooling1D used pool_length/stride; the normalizer maps them, keep a fallback anyway.
    const p = tuple(cfg.pool_size ?? cfg.pool_length, nd, 2);
    const s = cfg.strides == null && cfg.stride == null ? p : tuple(cfg.strides ?? cfg.stride, nd, 1);
    if (!sp || !p || !s || !known(...p, ...s)) return undefined;
    const out = sp.spatial.map((len, i) => poolOutLen(len, p[i], padding(cfg), s[i]));
    if (out.some((v) => v === undefined)) return undefined;
    return [joinSpatial(sp.batch, out as (number | null)[], sp.channels, df)];
  };
}

function globalPool(nd: number) {
  return (l: LayerSpec, [x]: Shape[]): Shape[] | undefined => {
    const cfg = cfgOf(l), df = dataFormat(cfg);
    const sp = x && splitSpatial(x, nd, df);
    if (!sp) return undefined;
    if (bool(cfg, 'keepdims', false)) return [joinSpatial(sp.batch, Array(nd).fill(1), sp.channels, df)];
    return [[sp.batch, sp.channels]];
  };
}

function adaptive(nd: number) {
  return (l: LayerSpec, [x]: Shape[]): Shape[] | undefined => {
    const cfg = cfgOf(l), df = dataFormat(cfg);
    const sp = x && splitSpatial(x, nd, df);
    const size = tuple(cfg.output_size, nd, NaN);
    if (!sp || !size || !known(...size)) return undefined;
    return [joinSpatial(sp.batch, size, sp.channels, df)];
  };
}

export const poolingRules: Registry = {};
for (const nd of [1, 2, 3]) {
  for (const kind of ['Max', 'Average']) {
    poolingRules[`${kind}Pooling${nd}D`] = { output: pool(nd) };
    poolingRules[`${kind}Pool${nd}D`] = { output: pool(nd) };
    poolingRules[`Global${kind}Pooling${nd}D`] = { output: globalPool(nd) };
    poolingRules[`Global${kind}Pool${nd}D`] = { output: globalPool(nd) };
    poolingRules[`Adaptive${kind}Pooling${nd}D`] = { output: adaptive(nd) };
  }
}
