/** Reshaping layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding/Cropping/UpSampling 1D–3D. */
import type { Shape } from '../types.ts';
import { cfgOf, dataFormat, joinSpatial, known, num, splitSpatial, tuple, unwrapTuple, type Cfg, type Registry } from './util.ts';

function flatten(x: Shape | undefined): Shape[] | undefined {
  if (!x || x.length < 1) return undefined;
  const rest = x.slice(1);
  return [[x[0], rest.every((d) => d !== null) ? rest.reduce<number>((a, b) => a * (b as number), 1) : null]];
}

function reshape(cfg: Cfg, x: Shape | undefined): Shape[] | undefined {
  const t = unwrapTuple(cfg.target_shape ?? cfg.dims);
  if (!x || !Array.isArray(t) || !t.every((d) => typeof d === 'number' || d === null)) return undefined;
  const target = t as (number | null)[];
  const unknownAt = target.findIndex((d) => d === -1 || d === null);
  if (unknownAt < 0) return [[x[0], ...target]];
  const rest = x.slice(1);
  if (!rest.every((d) => d !== null)) return [[x[0], ...target.map((d) => (d === -1 ? null : d))]];
  const total = rest.reduce<number>((a, b) => a * (b as number), 1);
  const knownProd = target.reduce<number>((a, d, i) => (i === unknownAt ? a : a * (d as number)), 1);
  if (knownProd === 0 || total % knownProd !== 0) return undefined;
  return [[x[0], ...target.map((d, i) => (i === unknownAt ? total / knownProd : d))]];
}

function permute(cfg: Cfg, x: Shape | undefined): Shape[] | undefined {
  const dims = unwrapTuple(cfg.dims);
  if (!x || !Array.isArray(dims) || dims.length !== x.length - 1) return undefined;
  const out: Shape = [x[0]];
  for (const d of dims) {
    if (typeof d !== 'number' || d < 1 || d >= x.length) return undefined;
    out.push(x[d]);
  }
  return [out];
}

/** Per-dimension (before, after) amounts from an int, a list of ints or a list of pairs (ZeroPadding/Cropping). */
export function pairs(v: unknown, nd: number): [number, number][] | undefined {
  v = unwrapTuple(v);
  if (typeof v === 'number') return Array.from({ length: nd }, () => [v as number, v as number]);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    // Keras 1 ZeroPadding2D dict form
    const o = v as Record<string, number>;
    if (nd === 2 && 'top_pad' in o) return [[o.top_pad ?? 0, o.bottom_pad ?? 0], [o.left_pad ?? 0, o.right_pad ?? 0]];
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  if (nd === 1 && v.length === 2 && v.every((x) => typeof x === 'number')) return [[v[0], v[1]]];
  if (v.length !== nd) return undefined;
  const out: [number, number][] = [];
  for (const item of v.map(unwrapTuple)) {
    if (typeof item === 'number') out.push([item, item]);
    else if (Array.isArray(item) && item.length === 2 && item.every((x) => typeof x === 'number')) out.push([item[0], item[1]]);
    else return undefined;
  }
  return out;
}

function padCrop(nd: number, key: 'padding' | 'cropping', sign: 1 | -1, dflt: number) {
  return (cfg: Cfg, x: Shape | undefined): Shape[] | undefined => {
    if (!x) return undefined;
    const df = nd === 1 ? 'channels_last' : dataFormat(cfg);
    const s = splitSpatial(x, nd, df);
    const p = pairs(cfg[key] ?? dflt, nd);
    if (!s || !p) return undefined;
    const spatial = s.spatial.map((d, i) => (d === null ? null : d + sign * (p[i][0] + p[i][1])));
    if (spatial.some((d) => d !== null && d < 0)) return undefined;
    return [joinSpatial(s.batch, spatial, s.channels, df)];
  };
}

function upsample(nd: number) {
  return (cfg: Cfg, x: Shape | undefined): Shape[] | undefined => {
    if (!x) return undefined;
    const df = nd === 1 ? 'channels_last' : dataFormat(cfg);
    const s = splitSpatial(x, nd, df);
    const size = tuple(cfg.size ?? cfg.length, nd, 2);
    if (!s || !size || !known(...size)) return undefined;
    return [joinSpatial(s.batch, s.spatial.map((d, i) => (d === null ? null : d * size[i])), s.channels, df)];
  };
}

export const reshapingRules: Registry = {
  Flatten: { output: (_l, [x]) => flatten(x) },
  Reshape: { output: (l, [x]) => reshape(cfgOf(l), x) },
  Permute: { output: (l, [x]) => permute(cfgOf(l), x) },
  RepeatVector: {
    output: (l, [x]) => { const n = num(cfgOf(l), 'n', NaN); return x && x.length === 2 && known(n) ? [[x[0], n, x[1]]] : undefined; },
  },
  ZeroPadding1D: { output: (l, [x]) => padCrop(1, 'padding', 1, 1)(cfgOf(l), x) },
  ZeroPadding2D: { output: (l, [x]) => padCrop(2, 'padding', 1, 1)(cfgOf(l), x) },
  ZeroPadding3D: { output: (l, [x]) => padCrop(3, 'padding', 1, 1)(cfgOf(l), x) },
  Cropping1D: { output: (l, [x]) => padCrop(1, 'cropping', -1, 1)(cfgOf(l), x) },
  Cropping2D: { output: (l, [x]) => padCrop(2, 'cropping', -1, 0)(cfgOf(l), x) },
  Cropping3D: { output: (l, [x]) => padCrop(3, 'cropping', -1, 1)(cfgOf(l), x) },
  UpSampling1D: { output: (l, [x]) => upsample(1)(cfgOf(l), x) },
  UpSampling2D: { output: (l, [x]) => upsample(2)(cfgOf(l), x) },
  UpSampling3D: { output: (l, [x]) => upsample(3)(cfgOf(l), x) },
};
