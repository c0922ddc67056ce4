/**
 * Convolutions: Conv1D/2D/3D, transposed, separable, depthwise, locally connected.
 * Kernel layouts follow formats.md §3 (Keras 2/3) and §2.3 (Keras 1 'th'/'tf' layouts, 4-D Conv1D kernel).
 */
import type { LayerSpec, Shape } from '../types.ts';
import {
  allKnown, bool, cfgOf, convOutLen, n, dataFormat, deconvOutLen, joinSpatial, known, num, padding, prod, splitSpatial, tuple, unwrapTuple, w,
  type Cfg, type DataFormat, type Registry, type ShapeContext, type WeightShape,
} from './util.ts';

interface ConvGeom { df: DataFormat; k: number[]; s: number[]; d: number[]; pad: string; batch: number | null; spatial: (number | null)[]; inCh: number | null }

function geom(cfg: Cfg, x: Shape | undefined, nd: number): ConvGeom | undefined {
  if (!x) return undefined;
  // Keras 1 Conv1D had no data_format; Keras 2/3 Conv1D may be channels_first.
  const df = dataFormat(cfg);
  const sp = splitSpatial(x, nd, df);
  const k = tuple(cfg.kernel_size, nd, NaN);
  const s = tuple(cfg.strides, nd, 1);
  const d = tuple(cfg.dilation_rate, nd, 1);
  if (!sp || !k || !s || !d || !known(...k)) return undefined;
  return { df, k, s, d, pad: padding(cfg), batch: sp.batch, spatial: sp.spatial, inCh: sp.channels };
}

function convSpatial(g: ConvGeom): (number | null)[] | undefined {
  const out = g.spatial.map((len, i) => convOutLen(len, g.k[i], g.pad, g.s[i], g.d[i]));
  return out.every((v) => v !== undefined) ? (out as (number | null)[]) : undefined;
}

function convOutput(nd: number, channels: (cfg: Cfg, g: ConvGeom) => number | null) {
  return (l: LayerSpec, [x]: Shape[]): Shape[] | undefined => {
    const cfg = cfgOf(l), g = geom(cfg, x, nd);
    const sp = g && convSpatial(g);
    if (!g || !sp) return undefined;
    return [joinSpatial(g.batch, sp, channels(cfg, g), g.df)];
  };
}

const filters = (cfg: Cfg): number | null => { const f = num(cfg, 'filters', NaN); return Number.isFinite(f) ? f : null; };
/** Filters once known(…) has checked them. */
const F = (cfg: Cfg): number => num(cfg, 'filters', NaN);

function bias(cfg: Cfg, n: number, ctx: ShapeContext): WeightShape[] {
  return bool(cfg, 'use_bias', true) ? [w(ctx.kerasMajor === 1 ? 'b' : 'bias', [n], 'bias_initializer')] : [];
}

function convWeights(nd: number) {
  return (l: LayerSpec, [x]: Shape[], ctx: ShapeContext): WeightShape[] | undefined => {
    const cfg = cfgOf(l), g = geom(cfg, x, nd), f = F(cfg), groups = num(cfg, 'groups', 1);
    if (!g || !known(g.inCh, f) || n(g.inCh) % groups !== 0) return undefined;
    const inCh = n(g.inCh), inPer = inCh / groups;
    let kernel: number[];
    if (ctx.kerasMajor === 1) {
      if (nd === 1) kernel = ctx.kerasMinor === 0 ? [f, inCh, g.k[0], 1] : [g.k[0], 1, inCh, f];
      else kernel = g.df === 'channels_first' ? [f, inCh, ...g.k] : [...g.k, inCh, f];
    } else kernel = [...g.k, inPer, f];
    return [w(ctx.kerasMajor === 1 ? 'W' : 'kernel', kernel, 'kernel_initializer'), ...bias(cfg, f, ctx)];
  };
}

function transposeOutput(nd: number) {
  return (l: LayerSpec, [x]: Shape[], ctx: ShapeContext): Shape[] | undefined => {
    const cfg = cfgOf(l), g = geom(cfg, x, nd), f = filters(cfg);
    if (!g) return undefined;
    // Keras 1 Deconvolution2D carries the full output shape in its config.
    const given = unwrapTuple(cfg.output_shape);
    if (ctx.kerasMajor === 1 && Array.isArray(given) && given.length === nd + 2) return [[g.batch, ...(given.slice(1) as Shape)]];
    const op = cfg.output_padding == null ? null : tuple(cfg.output_padding, nd, 0);
    if (op === undefined) return undefined;
    const sp = g.spatial.map((len, i) => deconvOutLen(len, g.k[i], g.pad, op === null ? null : op[i], g.s[i], g.d[i]));
    if (sp.some((v) => v === undefined)) return undefined;
    return [joinSpatial(g.batch, sp as (number | null)[], f, g.df)];
  };
}

function transposeWeights(nd: number) {
  return (l: LayerSpec, [x]: Shape[], ctx: ShapeContext): WeightShape[] | undefined => {
    const cfg = cfgOf(l), g = geom(cfg, x, nd), f = F(cfg);
    if (!g || !known(g.inCh, f)) return undefined;
    const inCh = n(g.inCh);
    let kernel: number[];
    if (ctx.kerasMajor === 1) kernel = g.df === 'channels_first' ? [f, inCh, ...g.k] : [...g.k, inCh, f];
    else kernel = [...g.k, f, inCh];
    return [w(ctx.kerasMajor === 1 ? 'W' : 'kernel', kernel, 'kernel_initializer'), ...bias(cfg, f, ctx)];
  };
}

function separableWeights(nd: number) {
  return (l: LayerSpec, [x]: Shape[], ctx: ShapeContext): WeightShape[] | undefined => {
    const cfg = cfgOf(l), g = geom(cfg, x, nd), f = F(cfg), dm = num(cfg, 'depth_multiplier', 1);
    if (!g || !known(g.inCh, f)) return undefined;
    const inCh = n(g.inCh);
    const ones = Array(nd).fill(1);
    const k1th = ctx.kerasMajor === 1 && g.df === 'channels_first';
    return [
      w('depthwise_kernel', k1th ? [dm, inCh, ...g.k] : [...g.k, inCh, dm], 'depthwise_initializer'),
      w('pointwise_kernel', k1th ? [f, inCh * dm, ...ones] : [...ones, inCh * dm, f], 'pointwise_initializer'),
      ...bias(cfg, f, ctx),
    ];
  };
}

function depthwiseWeights(nd: number) {
  return (l: LayerSpec, [x]: Shape[], ctx: ShapeContext): WeightShape[] | undefined => {
    const cfg = cfgOf(l), g = geom(cfg, x, nd), dm = num(cfg, 'depth_multiplier', 1);
    if (!g || !known(g.inCh)) return undefined;
    // Keras 3 names the depthwise kernel plain `kernel`.
    const inCh = n(g.inCh);
    return [w(ctx.kerasMajor === 3 ? 'kernel' : 'depthwise_kernel', [...g.k, inCh, dm], 'depthwise_initializer'), ...bias(cfg, inCh * dm, ctx)];
  };
}

function locallyConnectedWeights(nd: number) {
  return (l: LayerSpec, [x]: Shape[], ctx: ShapeContext): WeightShape[] | undefined => {
    const cfg = cfgOf(l), g = geom(cfg, x, nd), f = F(cfg);
    const sp = g && convSpatial(g);
    if (!g || !sp || !allKnown(sp) || !known(g.inCh, f)) return undefined;
    const out = sp, inCh = n(g.inCh);
    // tf.keras implementation=2 stores a dense masked kernel (input dims × output dims).
    const impl = num(cfg, 'implementation', 1);
    if (impl === 3) return undefined; // sparse kernel: one value per connection, count depends on padding edges
    const impl2 = impl === 2;
    const inSp = g.spatial;
    if (impl2 && !allKnown(inSp)) return undefined;
    const kernel = !impl2 ? [prod(out), prod(g.k) * inCh, f]
      : g.df === 'channels_first' && nd === 2 ? [inCh, ...(inSp as number[]), f, ...out] : [...(inSp as number[]), inCh, ...out, f];
    const ws = [w(ctx.kerasMajor === 1 ? 'W' : 'kernel', kernel, 'kernel_initializer')];
    if (bool(cfg, 'use_bias', true)) {
      // (out…, filters) whatever the data_format (tf.keras and Keras 2 local.py).
      const b = [...out, f];
      ws.push(w(ctx.kerasMajor === 1 ? 'b' : 'bias', b, 'bias_initializer'));
    }
    return ws;
  };
}

const conv = (nd: number) => ({ output: convOutput(nd, (c) => filters(c)), weights: convWeights(nd) });
const transpose = (nd: number) => ({ output: transposeOutput(nd), weights: transposeWeights(nd) });
const separable = (nd: number) => ({ output: convOutput(nd, (c) => filters(c)), weights: separableWeights(nd) });
const depthwise = (nd: number) => ({
  output: convOutput(nd, (c, g) => (g.inCh === null ? null : g.inCh * num(c, 'depth_multiplier', 1))),
  weights: depthwiseWeights(nd),
});
const local = (nd: number) => ({ output: convOutput(nd, (c) => filters(c)), weights: locallyConnectedWeights(nd) });

export const convRules: Registry = {
  Conv1D: conv(1), Conv2D: conv(2), Conv3D: conv(3),
  Convolution1D: conv(1), Convolution2D: conv(2), Convolution3D: conv(3),
  AtrousConvolution1D: conv(1), AtrousConvolution2D: conv(2),
  Conv1DTranspose: transpose(1), Conv2DTranspose: transpose(2), Conv3DTranspose: transpose(3),
  Deconvolution2D: transpose(2), Deconvolution3D: transpose(3),
  SeparableConv1D: separable(1), SeparableConv2D: separable(2), SeparableConvolution2D: separable(2),
  DepthwiseConv1D: depthwise(1), DepthwiseConv2D: depthwise(2),
  LocallyConnected1D: local(1), LocallyConnected2D: local(2),
};
