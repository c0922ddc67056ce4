/**
 * Shared pieces of shape inference: the public result types, config readers and the Keras
 * output-length formulas (conv, transposed conv, pooling), written after keras/src/ops/operation_utils.py
 * and Keras 1's conv_utils.conv_output_length.
 */
import type { LayerSpec, Shape } from '../types.ts';

export interface WeightShape {
  /** Keras short name: kernel, bias, gamma, beta, moving_mean, moving_variance, recurrent_kernel, embeddings, … */
  name: string;
  shape: number[];
  trainable: boolean;
  /** Config key that initializes it, e.g. 'kernel_initializer', 'moving_variance_initializer'. */
  initializer?: string;
}

export interface ShapeContext {
  kerasMajor: 1 | 2 | 3;
  source: string;
  /** Minor version of the writing Keras when known (Keras 1.0.x stored Conv1D kernels differently). */
  kerasMinor?: number;
}

/** What one layer family knows about a class. Missing `output` = shape-preserving; missing `weights` = weightless. */
export interface LayerRule {
  output?: (layer: LayerSpec, inputs: Shape[], ctx: ShapeContext) => Shape[] | undefined;
  weights?: (layer: LayerSpec, inputs: Shape[], ctx: ShapeContext) => WeightShape[] | undefined;
}

export type Registry = Record<string, LayerRule>;

export type Cfg = Record<string, unknown>;

export const cfgOf = (layer: LayerSpec): Cfg => (layer.config ?? {}) as Cfg;

export function num(cfg: Cfg, key: string, dflt: number): number {
  const v = cfg[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

export function optNum(cfg: Cfg, key: string): number | undefined {
  const v = cfg[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function bool(cfg: Cfg, key: string, dflt: boolean): boolean {
  const v = cfg[key];
  return typeof v === 'boolean' ? v : dflt;
}

export function str(cfg: Cfg, key: string, dflt: string): string {
  const v = cfg[key];
  return typeof v === 'string' ? v : dflt;
}

/** An int or an int list (Keras accepts both for kernel_size, strides, …), expanded to `n` entries. */
export function tuple(v: unknown, n: number, dflt: number): number[] | undefined {
  if (v === undefined || v === null) return Array(n).fill(dflt);
  if (typeof v === 'number') return Array(n).fill(v);
  const items = unwrapTuple(v);
  if (Array.isArray(items) && items.every((x) => typeof x === 'number')) {
    if (items.length === n) return items as number[];
    if (items.length === 1) return Array(n).fill(items[0]);
  }
  return undefined;
}

/** Legacy JSON may carry tuples as {"class_name": "__tuple__", "items": [...]}. */
export function unwrapTuple(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v) && (v as Cfg).class_name === '__tuple__') return (v as Cfg).items;
  return v;
}

export type DataFormat = 'channels_last' | 'channels_first';

export function dataFormat(cfg: Cfg): DataFormat {
  const v = cfg.data_format ?? cfg.dim_ordering;
  return v === 'channels_first' || v === 'th' ? 'channels_first' : 'channels_last';
}

/** Spatial dims and channel count of an N-d conv-like input, honouring data_format. */
export function splitSpatial(shape: Shape, nd: number, df: DataFormat): { batch: number | null; spatial: (number | null)[]; channels: number | null } | undefined {
  if (shape.length !== nd + 2) return undefined;
  return df === 'channels_first'
    ? { batch: shape[0], channels: shape[1], spatial: shape.slice(2) }
    : { batch: shape[0], channels: shape[nd + 1], spatial: shape.slice(1, nd + 1) };
}

export function joinSpatial(batch: number | null, spatial: (number | null)[], channels: number | null, df: DataFormat): Shape {
  return df === 'channels_first' ? [batch, channels, ...spatial] : [batch, ...spatial, channels];
}

/** Output length of a (dilated, strided) convolution; Keras 1 also had 'full'. */
const positiveInts = (...xs: number[]): boolean => xs.every((x) => Number.isInteger(x) && x >= 1);

export function convOutLen(len: number | null, k: number, padding: string, stride: number, dilation = 1): number | null | undefined {
  if (!positiveInts(k, stride, dilation)) return undefined;
  if (len === null) return null;
  const dk = k + (k - 1) * (dilation - 1);
  let out: number;
  switch (padding) {
    case 'same': case 'causal': out = len; break;
    case 'valid': out = len - dk + 1; break;
    case 'full': out = len + dk - 1; break;
    default: return undefined;
  }
  out = Math.floor((out + stride - 1) / stride);
  return out > 0 ? out : undefined;
}

/** keras compute_conv_transpose_output_shape's deconv_length. */
export function deconvOutLen(len: number | null, k: number, padding: string, outputPadding: number | null, stride: number, dilation = 1): number | null | undefined {
  if (!positiveInts(k, stride, dilation) || (outputPadding !== null && !(Number.isInteger(outputPadding) && outputPadding >= 0))) return undefined;
  if (len === null) return null;
  const dk = k + (k - 1) * (dilation - 1);
  if (outputPadding === null) {
    if (padding === 'valid') return len * stride + Math.max(dk - stride, 0);
    if (padding === 'full') return len * stride - (stride + dk - 2);
    if (padding === 'same') return len * stride;
    return undefined;
  }
  const pad = padding === 'same' ? Math.floor(dk / 2) : padding === 'valid' ? 0 : padding === 'full' ? dk - 1 : NaN;
  if (Number.isNaN(pad)) return undefined;
  return (len - 1) * stride + dk - 2 * pad + outputPadding;
}

export function poolOutLen(len: number | null, pool: number, padding: string, stride: number): number | null | undefined {
  if (!positiveInts(pool, stride)) return undefined;
  if (len === null) return null;
  let out: number;
  if (padding === 'same') out = Math.floor((len - 1) / stride) + 1;
  else if (padding === 'valid') out = Math.floor((len - pool) / stride) + 1;
  else return undefined;
  return out > 0 ? out : undefined;
}

export const prod = (xs: number[]): number => xs.reduce((a, b) => a * b, 1);

/** A weight shape needs every dimension known. */
export function known(...dims: (number | null | undefined)[]): boolean {
  return dims.every((d) => Number.isInteger(d) && (d as number) >= 0);
}

/** Type-guarding form of `known` for one array of dims. */
export function allKnown(dims: (number | null | undefined)[]): dims is number[] {
  return dims.every((d) => Number.isInteger(d) && (d as number) >= 0);
}

/** Dims after a `known(...)` check, typed as numbers. */
export const n = (d: number | null | undefined): number => d as number;

export function w(name: string, shape: number[], initializer?: string, trainable = true): WeightShape {
  return initializer ? { name, shape, trainable, initializer } : { name, shape, trainable };
}

/** The layer's padding string, lower-cased (Keras 1 'border_mode' already mapped by the normalizer). */
export function padding(cfg: Cfg, dflt = 'valid'): string {
  const v = cfg.padding ?? cfg.border_mode;
  return typeof v === 'string' ? v.toLowerCase() : dflt;
}

/** Normalize a possibly negative axis for rank `rank`; undefined when out of range. */
export function axisOf(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}

/**
 * The layers a wrapper (Bidirectional, TimeDistributed) holds: the normalizer's `innerLayers`, else built
 * from the config's serialized `layer` (and Bidirectional's `backward_layer`).
 */
export function wrappedLayers(layer: LayerSpec): LayerSpec[] {
  if (layer.innerLayers && layer.innerLayers.length > 0) return layer.innerLayers;
  const cfg = cfgOf(layer);
  const out: LayerSpec[] = [];
  for (const key of ['layer', 'backward_layer']) {
    const l = layerFromSerialized(cfg[key], layer.trainable);
    if (l) out.push(l);
  }
  return out;
}

export function layerFromSerialized(v: unknown, trainable = true): LayerSpec | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Cfg;
  if (typeof o.class_name !== 'string') return undefined;
  const config = (o.config && typeof o.config === 'object' ? o.config : {}) as Cfg;
  return {
    name: typeof config.name === 'string' ? config.name : o.class_name,
    className: o.class_name,
    module: typeof o.module === 'string' ? o.module : null,
    registeredName: null,
    config,
    originalConfig: v,
    inboundNodes: [],
    weights: [],
    trainable: trainable && config.trainable !== false,
  };
}
