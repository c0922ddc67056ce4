/**
 * Convolutions: Conv1D/2D/3D, Conv2D/3DTranspose, SeparableConv2D, DepthwiseConv2D and
 * LocallyConnected1D/2D. Stock tfjs layers where they match Keras; a thin subclass for what tfjs
 * lacks (causal and channels_first Conv1D — tfjs' channels_first conv1d returns NWC).
 *
 * Weight conversions (formats.md §2.3/§2.4): Keras 1 'th' kernels (out, in, k…) → (k…, in, out);
 * Keras 1 Conv1D's 4-D kernels; Theano-trained kernels (file backend 'theano', or the `theano`
 * option for Keras 1 files that do not record it) get every spatial axis flipped, because Theano
 * convolves where TensorFlow correlates.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers } from '@tensorflow/tfjs-layers';
import { WeightMismatchError } from '../errors.ts';
import type { LayerSpec } from '../spec/types.ts';
import { registerBuilder, type BuildContext } from './registry.ts';
import { canUseWinograd, winogradConv2d, winogradTileFor } from '../kernels/winograd.ts';
import { applyActivation, baseArgs, Cfg, clean, one, recordingGradients, storedTensors, tfActivation, weightArgs } from './common.ts';

type Shape = (number | null)[];

/* ------------------------------------------------------------------ Conv2D */

// tfjs' Conv2D class (not exported by name): taken from an instance so the subclass keeps its
// weights, training path and serialization.
const Conv2DBase = layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as unknown as new (args: Record<string, unknown>) => layers.Layer;
type Var = { read(): tf.Tensor };

/**
 * tfjs' Conv2D, except that inference on wasm runs 3×3 stride-1 convolutions through our Winograd kernel
 * (src/kernels/winograd.ts; with fewer than 8 input channels only where it picks F(4×4)): 1.4-3.7× faster than
 * XNNPACK's direct convolution, same results up to float32 rounding. Training (and any gradient recording: the kernel has no
 * gradient) and every other case use tfjs' path.
 */
export class KerasConv2D extends Conv2DBase {
  static className = 'KerasConv2D';
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const x = one(inputs);
    const self = this as unknown as {
      kernel: Var; bias: Var | null; useBias: boolean; dataFormat: string; padding: string;
      strides: number[]; dilationRate: number | number[]; activation: { apply(x: tf.Tensor): tf.Tensor; getClassName(): string };
    };
    if (kwargs?.training || recordingGradients() || self.dataFormat !== 'channelsLast' || x.rank !== 4 || tf.getBackend() !== 'wasm') {
      return super.call(inputs, kwargs);
    }
    const kernel = self.kernel.read();
    if (!canUseWinograd(x.shape, kernel.shape, { padding: self.padding, strides: self.strides, dilations: self.dilationRate, dtype: x.dtype })) {
      return super.call(inputs, kwargs);
    }
    // Below 8 input channels only F(4×4) pays (1.36× XNNPACK at C = 3; F(2×2) 0.95×, bench/conv.ts).
    const [, h, w, c] = x.shape;
    const valid = self.padding === 'valid' ? 2 : 0;
    if (c < 8 && winogradTileFor(h - valid, w - valid, c) !== 4) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const act = self.activation.getClassName();
      const fused = act === 'relu' || act === 'linear';
      const y = winogradConv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, {
        padding: self.padding as 'same' | 'valid',
        bias: self.useBias && self.bias ? (self.bias.read() as tf.Tensor1D) : undefined,
        activation: fused ? act : 'linear',
      });
      return fused ? y : self.activation.apply(y);
    });
  }
}
tf.serialization.registerClass(KerasConv2D as never);

/* ------------------------------------------------------------------ kernel conversions */

/** Flip every spatial axis of a (k…, in, out) kernel: Theano's convolution vs TF's correlation. */
export function flipSpatial(kernel: tf.Tensor): tf.Tensor {
  const axes = Array.from({ length: kernel.rank - 2 }, (_, i) => i);
  return axes.length ? tf.reverse(kernel, axes) : kernel;
}

/** Theano-trained weights: the file says so (Keras 2 standalone), or the user does for Keras 1. */
export function isTheano(ctx: BuildContext): boolean {
  return ctx.backend === 'theano' || ctx.options.theano === true;
}

function sameShape(a: readonly number[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Bring a stored conv kernel to tfjs' (k…, in, out) layout (or (k…, out, in) for transposed convs).
 * `want` is the shape tfjs built.
 */
function kernelToTfjs(k: tf.Tensor, want: number[], layer: LayerSpec, ctx: BuildContext, kind: 'conv' | 'transpose'): tf.Tensor {
  const rank = want.length;
  const k1 = ctx.kerasMajor === 1;
  const thOrdering = layer.config.keras1_dim_ordering === 'th' || (k1 && layer.config.data_format === 'channels_first');
  if (rank === 3 && k.rank === 4) {
    // Keras 1 Conv1D: (k, 1, in, out) since 1.1; (out, in, k, 1) in 1.0.x
    if (k.shape[1] !== 1) k = tf.transpose(k, [2, 3, 1, 0]);
    k = tf.reshape(k, [k.shape[0], k.shape[2]!, k.shape[3]!]);
  } else if (k1 && thOrdering && rank >= 4 && kind === 'conv' && !sameShape(k.shape, want)) {
    // (out, in, k…) → (k…, in, out)
    k = tf.transpose(k, [...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1, 0]);
  } else if (k1 && kind === 'transpose' && rank === 4) {
    // Keras 1 Deconvolution2D: (rows, cols, in, out) for 'tf', (out, in, rows, cols) for 'th'
    k = thOrdering ? tf.transpose(k, [2, 3, 0, 1]) : tf.transpose(k, [0, 1, 3, 2]);
  }
  if (!sameShape(k.shape, want) && k.rank === 4 && rank === 4) {
    // Keras' own legacy fallback for conv kernels that still do not fit: transpose (3, 2, 0, 1)
    const t = tf.transpose(k, [3, 2, 0, 1]);
    if (sameShape(t.shape, want)) k = t;
  }
  if (!sameShape(k.shape, want)) {
    throw new WeightMismatchError(`kernel has shape [${k.shape}] (after layout conversion), the layer needs [${want}]`, {
      file: ctx.source, layer: layer.name, hint: 'the config and weights do not belong together',
    });
  }
  return isTheano(ctx) ? flipSpatial(k) : k;
}

function convertConvWeights(kind: 'conv' | 'transpose') {
  return (layer: LayerSpec, tfLayer: layers.Layer, ctx: BuildContext): tf.Tensor[] => {
    const stored = storedTensors(layer);
    const vars = tfLayer.weights;
    if (stored.length === 0) return stored;
    stored[0] = kernelToTfjs(stored[0], vars[0].shape as number[], layer, ctx, kind);
    return stored;
  };
}

/* ------------------------------------------------------------------ Conv1D with causal / channels_first */

// tfjs does not export its Conv1D class; take it from an instance so our subclass shares its
// weights, initializers, regularizers and serialization.
const Conv1DBase = layers.conv1d({ filters: 1, kernelSize: 1 }).constructor as unknown as new (args: Record<string, unknown>) => layers.Layer;

interface Conv1DExtra { causal: boolean; channelsFirst: boolean }

/** Keras Conv1D semantics tfjs lacks: 'causal' padding (left zero padding) and channels_first. */
export class KerasConv1D extends Conv1DBase {
  static className = 'KerasConv1D';
  private readonly extra: Conv1DExtra;
  constructor(args: Record<string, unknown>, extra: Conv1DExtra) {
    super({ ...args, padding: extra.causal ? 'valid' : args.padding, dataFormat: 'channelsLast' });
    this.extra = extra;
  }
  private get leftPad(): number {
    const self = this as unknown as { kernelSize: number[]; dilationRate: number[] };
    return self.dilationRate[0] * (self.kernelSize[0] - 1);
  }
  private toNwc(s: Shape): Shape {
    let t = this.extra.channelsFirst ? [s[0], s[2], s[1]] : [...s];
    if (this.extra.causal && t[1] !== null) t = [t[0], (t[1] as number) + this.leftPad, t[2]];
    return t;
  }
  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    super.build(this.toNwc(s) as never);
    this.inputSpec = [{ ndim: 3 } as never];
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const o = super.computeOutputShape(this.toNwc(s) as never) as Shape;
    return this.extra.channelsFirst ? [o[0], o[2], o[1]] : o;
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      let x = one(inputs);
      if (this.extra.channelsFirst) x = tf.transpose(x, [0, 2, 1]);
      if (this.extra.causal) x = tf.pad(x, [[0, 0], [this.leftPad, 0], [0, 0]]);
      let y = super.call(x, kwargs) as tf.Tensor;
      if (this.extra.channelsFirst) y = tf.transpose(y, [0, 2, 1]);
      return y;
    });
  }
}
tf.serialization.registerClass(KerasConv1D as never);

/* ------------------------------------------------------------------ builders */

function convCommon(c: Cfg, rank: number) {
  const { layer, ctx } = c;
  return clean({
    ...baseArgs(layer),
    ...weightArgs(c),
    filters: c.int('filters'),
    kernelSize: c.ints('kernel_size', rank),
    strides: c.ints('strides', rank, 1),
    dilationRate: c.ints('dilation_rate', rank, 1),
    activation: tfActivation(c.c.activation, ctx, layer.name),
    useBias: c.bool('use_bias', true),
    dataFormat: c.dataFormat(),
  });
}

registerBuilder({
  classNames: ['Conv1D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const custom = customConvFor(layer, ctx, 'conv', 1);
    if (custom) return custom;
    const args = convCommon(c, 1) as Record<string, unknown>;
    const padding = c.padding(['valid', 'same', 'causal']);
    const channelsFirst = args.dataFormat === 'channelsFirst';
    args.dilationRate = (args.dilationRate as number[])[0];
    args.strides = (args.strides as number[])[0];
    args.kernelSize = (args.kernelSize as number[])[0];
    if (padding === 'causal' || channelsFirst) return new KerasConv1D({ ...args, padding }, { causal: padding === 'causal', channelsFirst });
    return layers.conv1d({ ...args, padding } as never);
  },
  convertWeights: convertConvWeights('conv'),
});

registerBuilder({
  classNames: ['Conv2D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return customConvFor(layer, ctx, 'conv', 2) ?? new KerasConv2D({ ...convCommon(c, 2), padding: c.padding() });
  },
  convertWeights: convertConvWeights('conv'),
});

registerBuilder({
  classNames: ['Conv3D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return customConvFor(layer, ctx, 'conv', 3) ?? layers.conv3d({ ...convCommon(c, 3), padding: c.padding() } as never);
  },
  convertWeights: convertConvWeights('conv'),
});

registerBuilder({
  classNames: ['Conv2DTranspose'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const custom = customConvFor(layer, ctx, 'transpose', 2);
    if (custom) return custom;
    const args = convCommon(c, 2) as Record<string, unknown>;
    if ((args.dilationRate as number[]).some((d) => d !== 1)) throw c.unsupported('dilation_rate other than 1 in Conv2DTranspose');
    delete args.dilationRate;
    return layers.conv2dTranspose({ ...args, padding: c.padding() } as never);
  },
  convertWeights: convertConvWeights('transpose'),
});

registerBuilder({
  classNames: ['Conv3DTranspose'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const custom = customConvFor(layer, ctx, 'transpose', 3);
    if (custom) return custom;
    // no output_padding: still our layer, whose 3D path avoids the wasm backprop kernel
    return new KerasConvTranspose(customArgs(c, 3, c.int('filters')), [null, null, null]);
  },
  convertWeights: convertConvWeights('transpose'),
});

registerBuilder({
  classNames: ['SeparableConv2D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const args = convCommon(c, 2) as Record<string, unknown>;
    const w = weightArgs(c, 'depthwise');
    const p = weightArgs(c, 'pointwise');
    delete args.kernelInitializer; delete args.kernelRegularizer; delete args.kernelConstraint;
    return layers.separableConv2d(clean({
      ...args, padding: c.padding(), depthMultiplier: c.int('depth_multiplier', 1),
      depthwiseInitializer: 'zeros', pointwiseInitializer: 'zeros', biasInitializer: 'zeros',
      depthwiseRegularizer: w.depthwiseRegularizer, depthwiseConstraint: w.depthwiseConstraint,
      pointwiseRegularizer: p.pointwiseRegularizer, pointwiseConstraint: p.pointwiseConstraint,
    }) as never);
  },
  // Keras flips only Conv1D/2D/3D, Conv2DTranspose and ConvLSTM2D kernels for Theano files; so do we.
});

/* ------------------------------------------------------------------ LocallyConnected1D/2D */

/**
 * Unshared-weights convolution (Keras 2 LocallyConnected1D/2D, 'valid' padding). The patch of every
 * output position is gathered with one precomputed index tensor, then one batched matMul applies the
 * per-position kernels: kernel (positions, k·in, filters), bias (out…, filters) as Keras stores them.
 */
export class LocallyConnected extends layers.Layer {
  static className = 'KerasLocallyConnected';
  private readonly rank: 1 | 2;
  private readonly kernelSize: number[];
  private readonly strides: number[];
  private readonly filters: number;
  private readonly channelsFirst: boolean;
  private readonly useBias: boolean;
  private readonly act: ReturnType<typeof tfActivation>;
  private kernel: tf.Variable | null = null;
  private bias: tf.Variable | null = null;
  private gatherIdx: tf.Tensor1D | null = null;
  private outSpatial: number[] = [];
  private patchLen = 0;

  constructor(args: { name: string; trainable: boolean; rank: 1 | 2; kernelSize: number[]; strides: number[]; filters: number; channelsFirst: boolean; useBias: boolean; activation: ReturnType<typeof tfActivation> }) {
    super({ name: args.name, trainable: args.trainable });
    this.rank = args.rank;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides;
    this.filters = args.filters;
    this.channelsFirst = args.channelsFirst;
    this.useBias = args.useBias;
    this.act = args.activation;
  }

  private dims(s: Shape): { spatial: number[]; ch: number } {
    const sp = (this.channelsFirst ? s.slice(2) : s.slice(1, -1)) as number[];
    const ch = (this.channelsFirst ? s[1] : s[s.length - 1]) as number;
    if (sp.some((d) => d === null) || ch === null) throw new Error('LocallyConnected layers need a fully known input shape');
    return { spatial: sp, ch };
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const { spatial, ch } = this.dims(s);
    this.outSpatial = spatial.map((d, i) => Math.floor((d - this.kernelSize[i]) / this.strides[i]) + 1);
    const positions = this.outSpatial.reduce((a, b) => a * b, 1);
    const klen = this.kernelSize.reduce((a, b) => a * b, 1);
    this.patchLen = klen * ch;
    this.kernel = this.addWeight('kernel', [positions, this.patchLen, this.filters], 'float32', initializers.zeros(), undefined, true) as unknown as tf.Variable;
    if (this.useBias) {
      // Keras keeps the bias as (out…, filters) for both data formats (bias_add transposes it)
      const biasShape = [...this.outSpatial, this.filters];
      this.bias = this.addWeight('bias', biasShape, 'float32', initializers.zeros(), undefined, true) as unknown as tf.Variable;
    }
    // Flat input index of every patch element, in Keras' patch order: (k…, in) for channels_last,
    // (in, k…) for channels_first.
    const idx: number[] = [];
    const [H, W] = this.rank === 2 ? spatial : [spatial[0], 1];
    const [kh, kw] = this.rank === 2 ? this.kernelSize : [this.kernelSize[0], 1];
    const [sh, sw] = this.rank === 2 ? this.strides : [this.strides[0], 1];
    const [oh, ow] = this.rank === 2 ? this.outSpatial : [this.outSpatial[0], 1];
    const flat = (r: number, c: number, k: number) => (this.channelsFirst ? (k * H + r) * W + c : (r * W + c) * ch + k);
    for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
      if (this.channelsFirst) {
        for (let k = 0; k < ch; k++) for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) idx.push(flat(i * sh + a, j * sw + b, k));
      } else {
        for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let k = 0; k < ch; k++) idx.push(flat(i * sh + a, j * sw + b, k));
      }
    }
    this.gatherIdx = tf.keep(tf.tensor1d(idx, 'int32'));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const { spatial } = this.dims(s);
    const out = spatial.map((d, i) => Math.floor((d - this.kernelSize[i]) / this.strides[i]) + 1);
    return this.channelsFirst ? [s[0], this.filters, ...out] : [s[0], ...out, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const batch = x.shape[0];
      const positions = this.outSpatial.reduce((a, b) => a * b, 1);
      const patches = tf.gather(tf.reshape(x, [batch, -1]), this.gatherIdx!, 1); // [b, P·K]
      const p = tf.transpose(tf.reshape(patches, [batch, positions, this.patchLen]), [1, 0, 2]); // [P, b, K]
      let y = tf.transpose(tf.matMul(p, (this.kernel as unknown as { read(): tf.Tensor }).read() as tf.Tensor3D), [1, 0, 2]); // [b, P, F]
      y = tf.reshape(y, [batch, ...this.outSpatial, this.filters]);
      if (this.bias) y = tf.add(y, (this.bias as unknown as { read(): tf.Tensor }).read());
      if (this.channelsFirst) y = tf.transpose(y, [0, this.rank + 1, ...this.outSpatial.map((_, i) => i + 1)]);
      return applyActivation(this.act, y);
    });
  }

  override dispose() {
    this.gatherIdx?.dispose();
    return super.dispose();
  }
}
tf.serialization.registerClass(LocallyConnected);

registerBuilder({
  classNames: ['LocallyConnected1D', 'LocallyConnected2D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const rank = layer.className === 'LocallyConnected1D' ? 1 : 2;
    c.padding(['valid']);
    return new LocallyConnected({
      ...baseArgs(layer), rank, filters: c.int('filters'), kernelSize: c.ints('kernel_size', rank), strides: c.ints('strides', rank, 1),
      channelsFirst: c.dataFormat() === 'channelsFirst', useBias: c.bool('use_bias', true), activation: tfActivation(c.c.activation, ctx, layer.name),
    });
  },
});

/* ------------------------------------------------------------------ layers tfjs lacks */

type Act = ReturnType<typeof tfActivation>;
type VarLike = { read(): tf.Tensor };

interface CustomConvArgs {
  name: string; trainable: boolean; rank: number; filters: number; kernelSize: number[]; strides: number[]; dilation: number[];
  padding: string; channelsFirst: boolean; useBias: boolean; activation: Act;
}

/** Shared plumbing of the convolution layers below: channel axis handling, weights, bias + activation. */
abstract class CustomConv extends layers.Layer {
  protected readonly a: CustomConvArgs;
  protected vars: Record<string, VarLike> = {};
  constructor(a: CustomConvArgs) {
    super({ name: a.name, trainable: a.trainable });
    this.a = a;
  }
  protected inChannels(s: Shape): number {
    const c = this.a.channelsFirst ? s[1] : s[s.length - 1];
    if (c === null) throw new Error('the channel dimension of the input must be known');
    return c as number;
  }
  protected w(name: string, shape: number[]): void {
    this.vars[name] = this.addWeight(name, shape, 'float32', initializers.zeros(), undefined, true) as unknown as VarLike;
  }
  protected abstract weightShapes(inC: number): [string, number[]][];
  protected abstract spatialOut(sp: (number | null)[]): (number | null)[];
  /** channels-last in, channels-last out, no bias/activation. */
  protected abstract core(x: tf.Tensor): tf.Tensor;
  protected abstract outChannels(inC: number): number;

  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const inC = this.inChannels(s);
    for (const [n, sh] of this.weightShapes(inC)) this.w(n, sh);
    if (this.a.useBias) this.w('bias', [this.outChannels(inC)]);
    this.built = true;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const sp = this.a.channelsFirst ? s.slice(2) : s.slice(1, -1);
    const out = this.spatialOut(sp);
    const c = this.outChannels(this.inChannels(s));
    return this.a.channelsFirst ? [s[0], c, ...out] : [s[0], ...out, c];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = one(inputs);
      const r = x.rank;
      if (this.a.channelsFirst) x = tf.transpose(x, [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1]);
      let y = this.core(x);
      if (this.vars.bias) y = tf.add(y, this.vars.bias.read());
      y = applyActivation(this.a.activation, y);
      if (this.a.channelsFirst) y = tf.transpose(y, [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)]);
      return y;
    });
  }
}

function convOut(d: number | null, k: number, s: number, dil: number, padding: string): number | null {
  if (d === null) return null;
  const ke = k + (k - 1) * (dil - 1);
  if (padding === 'same') return Math.ceil(d / s);
  if (padding === 'causal') return Math.ceil(d / s);
  return Math.floor((d - ke) / s) + 1;
}

const convFn = (rank: number) => (x: tf.Tensor, k: tf.Tensor, strides: number[], pad: 'same' | 'valid', dil: number[]): tf.Tensor => {
  if (rank === 1) return tf.conv1d(x as tf.Tensor3D, k as tf.Tensor3D, strides[0], pad, 'NWC', dil[0]);
  if (rank === 2) return tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, strides as [number, number], pad, 'NHWC', dil as [number, number]);
  return tf.conv3d(x as tf.Tensor5D, k as tf.Tensor5D, strides as [number, number, number], pad, 'NDHWC', dil as [number, number, number]);
};

/** Grouped convolution (Keras `groups` > 1): one convolution per channel group, concatenated. */
export class GroupedConv extends CustomConv {
  static className = 'KerasGroupedConv';
  constructor(a: CustomConvArgs, readonly groups: number) { super(a); }
  protected weightShapes(inC: number): [string, number[]][] {
    return [['kernel', [...this.a.kernelSize, inC / this.groups, this.a.filters]]];
  }
  protected outChannels(): number { return this.a.filters; }
  protected spatialOut(sp: (number | null)[]) {
    return sp.map((d, i) => convOut(d, this.a.kernelSize[i], this.a.strides[i], this.a.dilation[i], this.a.padding));
  }
  protected core(x: tf.Tensor): tf.Tensor {
    const rank = this.a.rank;
    if (this.a.padding === 'causal') {
      const left = this.a.dilation[0] * (this.a.kernelSize[0] - 1);
      x = tf.pad(x, [[0, 0], [left, 0], [0, 0]]);
    }
    const pad = this.a.padding === 'same' ? 'same' : 'valid';
    const xs = tf.split(x, this.groups, rank + 1);
    const ks = tf.split(this.vars.kernel.read(), this.groups, rank + 1);
    return tf.concat(xs.map((xi, g) => convFn(rank)(xi, ks[g], this.a.strides, pad, this.a.dilation)), rank + 1);
  }
}
tf.serialization.registerClass(GroupedConv as never);

/** Transposed convolution with Keras' output_padding, any rank 1–3 (tfjs has 2D/3D without output_padding). */
export class KerasConvTranspose extends CustomConv {
  static className = 'KerasConvTranspose';
  constructor(a: CustomConvArgs, readonly outputPadding: (number | null)[]) { super(a); }
  protected weightShapes(inC: number): [string, number[]][] {
    return [['kernel', [...this.a.kernelSize, this.a.filters, inC]]];
  }
  protected outChannels(): number { return this.a.filters; }
  protected spatialOut(sp: (number | null)[]) {
    return sp.map((d, i) => (d === null ? null : deconvLength(d, this.a.kernelSize[i], this.a.padding, this.outputPadding[i], this.a.strides[i])));
  }
  protected core(x: tf.Tensor): tf.Tensor {
    const rank = this.a.rank;
    const sp = x.shape.slice(1, -1);
    const out = this.spatialOut(sp) as number[];
    const pad = this.a.padding === 'same' ? 'same' : 'valid';
    let k = this.vars.kernel.read();
    if (rank === 1) {
      const y = tf.conv2dTranspose(tf.expandDims(x, 2) as tf.Tensor4D, tf.expandDims(k, 1) as tf.Tensor4D, [x.shape[0], out[0], 1, this.a.filters], [this.a.strides[0], 1], pad);
      return tf.squeeze(y, [2]);
    }
    if (rank === 2) return tf.conv2dTranspose(x as tf.Tensor4D, k as tf.Tensor4D, [x.shape[0], out[0], out[1], this.a.filters], this.a.strides as [number, number], pad);
    // 3D: the wasm backend's Conv3DBackpropInput gives wrong results, so run the transposed
    // convolution as a plain convolution of the zero-dilated, padded input with the flipped kernel.
    return transposeAsConv(x, k, this.a.strides, out, this.a.kernelSize, this.a.padding);
  }
}
tf.serialization.registerClass(KerasConvTranspose as never);

/**
 * Transposed convolution (channels-last, kernel (k…, out, in)) as a direct convolution:
 * out[o] = Σ_j xd[o + pb − j]·w[j] with xd the input dilated by the stride; i.e. a correlation of
 * xd padded by (k−1−pb) on the left with the spatially flipped kernel. pb follows TF's rule for the
 * forward convolution that maps the output size back to the input size.
 */
function transposeAsConv(x: tf.Tensor, k: tf.Tensor, strides: number[], out: number[], ks: number[], padding: string): tf.Tensor {
  const r = strides.length;
  let xd = x;
  for (let i = 0; i < r; i++) {
    const s = strides[i];
    const n = xd.shape[i + 1];
    if (s > 1) {
      const e = tf.expandDims(xd, i + 2);
      const padded = tf.pad(e, e.shape.map((_, a) => (a === i + 2 ? [0, s - 1] : [0, 0])) as [number, number][]);
      const sh = [...xd.shape];
      sh[i + 1] = n * s;
      xd = tf.slice(tf.reshape(padded, sh), 0, sh.map((d, a) => (a === i + 1 ? (n - 1) * s + 1 : d)));
    }
  }
  const pads: [number, number][] = xd.shape.map(() => [0, 0]);
  const crop: { begin: number[]; size: number[] } = { begin: xd.shape.map(() => 0), size: xd.shape.map(() => -1) };
  for (let i = 0; i < r; i++) {
    const n = x.shape[i + 1];
    const total = padding === 'same' ? Math.max((n - 1) * strides[i] + ks[i] - out[i], 0) : 0;
    const pb = Math.floor(total / 2);
    const left = ks[i] - 1 - pb;
    const right = out[i] + ks[i] - 1 - left - ((n - 1) * strides[i] + 1);
    pads[i + 1] = [Math.max(left, 0), Math.max(right, 0)];
    if (left < 0) crop.begin[i + 1] = -left;
    if (right < 0) crop.size[i + 1] = (n - 1) * strides[i] + 1 + right + Math.min(left, 0);
  }
  let xp = tf.pad(xd, pads);
  if (crop.begin.some((b) => b) || crop.size.some((v) => v >= 0)) xp = tf.slice(xp, crop.begin, crop.size);
  const perm = [...Array.from({ length: r }, (_, i) => i), r + 1, r];
  const w = tf.reverse(tf.transpose(k, perm), Array.from({ length: r }, (_, i) => i));
  const ones = new Array(r).fill(1);
  if (r === 3) return tf.conv3d(xp as tf.Tensor5D, w as tf.Tensor5D, ones as [number, number, number], 'valid');
  if (r === 2) return tf.conv2d(xp as tf.Tensor4D, w as tf.Tensor4D, ones as [number, number], 'valid');
  return tf.conv1d(xp as tf.Tensor3D, w as tf.Tensor3D, 1, 'valid');
}

/** Keras' deconv_output_length (dilation 1). */
function deconvLength(d: number, k: number, padding: string, op: number | null, s: number): number {
  if (op === null) return padding === 'valid' ? d * s + Math.max(k - s, 0) : d * s;
  const pad = padding === 'same' ? Math.floor(k / 2) : 0;
  return (d - 1) * s + k - 2 * pad + op;
}

/** SeparableConv1D and DepthwiseConv1D, run as their 2D forms with a unit width. */
export class Conv1DViaDepthwise extends CustomConv {
  static className = 'KerasDepthwiseConv1D';
  constructor(a: CustomConvArgs, readonly depthMultiplier: number, readonly separable: boolean) { super(a); }
  protected weightShapes(inC: number): [string, number[]][] {
    const dw: [string, number[]] = [this.separable ? 'depthwise_kernel' : 'kernel', [this.a.kernelSize[0], inC, this.depthMultiplier]];
    return this.separable ? [dw, ['pointwise_kernel', [1, inC * this.depthMultiplier, this.a.filters]]] : [dw];
  }
  protected outChannels(inC: number): number { return this.separable ? this.a.filters : inC * this.depthMultiplier; }
  protected spatialOut(sp: (number | null)[]) {
    return [convOut(sp[0], this.a.kernelSize[0], this.a.strides[0], this.a.dilation[0], this.a.padding)];
  }
  protected core(x: tf.Tensor): tf.Tensor {
    if (this.a.padding === 'causal') {
      const left = this.a.dilation[0] * (this.a.kernelSize[0] - 1);
      x = tf.pad(x, [[0, 0], [left, 0], [0, 0]]);
    }
    const pad = this.a.padding === 'same' ? 'same' : 'valid';
    const x4 = tf.expandDims(x, 2) as tf.Tensor4D;
    const dw = tf.expandDims(this.vars[this.separable ? 'depthwise_kernel' : 'kernel'].read(), 1) as tf.Tensor4D;
    const strides: [number, number] = [this.a.strides[0], 1];
    const dil: [number, number] = [this.a.dilation[0], 1];
    const y = this.separable
      ? tf.separableConv2d(x4, dw, tf.expandDims(this.vars.pointwise_kernel.read(), 0) as tf.Tensor4D, strides, pad, dil)
      : tf.depthwiseConv2d(x4, dw, strides, pad, 'NHWC', dil);
    return tf.squeeze(y, [2]);
  }
}
tf.serialization.registerClass(Conv1DViaDepthwise as never);

function customArgs(c: Cfg, rank: number, filters: number | null): CustomConvArgs {
  const { layer, ctx } = c;
  return {
    ...baseArgs(layer), rank, filters: filters ?? 0, kernelSize: c.ints('kernel_size', rank), strides: c.ints('strides', rank, 1),
    dilation: c.ints('dilation_rate', rank, 1), padding: c.padding(['valid', 'same', 'causal']), channelsFirst: c.dataFormat() === 'channelsFirst',
    useBias: c.bool('use_bias', true), activation: tfActivation(c.c.activation, ctx, layer.name),
  };
}

registerBuilder({
  classNames: ['Conv1DTranspose'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const a = customArgs(c, 1, c.int('filters'));
    if (a.dilation[0] !== 1) throw c.unsupported('dilation_rate other than 1 in Conv1DTranspose');
    const op = c.raw('output_padding');
    return new KerasConvTranspose(a, [op === null || op === undefined ? null : Array.isArray(op) ? (op[0] as number) : (op as number)]);
  },
  convertWeights: convertConvWeights('transpose'),
});

registerBuilder({
  classNames: ['SeparableConv1D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return new Conv1DViaDepthwise(customArgs(c, 1, c.int('filters')), c.int('depth_multiplier', 1), true);
  },
});

registerBuilder({
  classNames: ['DepthwiseConv1D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return new Conv1DViaDepthwise(customArgs(c, 1, null), c.int('depth_multiplier', 1), false);
  },
});

/** Used by the Conv/ConvTranspose builders above for what the stock tfjs layers cannot do. */
export function customConvFor(layer: LayerSpec, ctx: BuildContext, kind: 'conv' | 'transpose', rank: number): layers.Layer | null {
  const c = new Cfg(layer, ctx);
  if (kind === 'conv') {
    const groups = c.int('groups', 1);
    if (groups === 1) return null;
    return new GroupedConv(customArgs(c, rank, c.int('filters')), groups);
  }
  const op = c.raw('output_padding');
  const ops = op === null || op === undefined ? null : Array.isArray(op) ? (op as (number | null)[]) : new Array(rank).fill(op);
  const dil = c.ints('dilation_rate', rank, 1);
  if (dil.some((d) => d !== 1)) throw c.unsupported(`dilation_rate=${JSON.stringify(dil)} in a transposed convolution`);
  if (ops === null) return null;
  return new KerasConvTranspose(customArgs(c, rank, c.int('filters')), ops);
}

/** DepthwiseConv2D on channels_first data (tfjs' own channels_first depthwise gives wrong results). */
export class DepthwiseConv2DCF extends CustomConv {
  static className = 'KerasDepthwiseConv2D';
  constructor(a: CustomConvArgs, readonly depthMultiplier: number) { super(a); }
  protected weightShapes(inC: number): [string, number[]][] {
    return [['depthwise_kernel', [...this.a.kernelSize, inC, this.depthMultiplier]]];
  }
  protected outChannels(inC: number): number { return inC * this.depthMultiplier; }
  protected spatialOut(sp: (number | null)[]) {
    return sp.map((d, i) => convOut(d, this.a.kernelSize[i], this.a.strides[i], this.a.dilation[i], this.a.padding));
  }
  protected core(x: tf.Tensor): tf.Tensor {
    return tf.depthwiseConv2d(x as tf.Tensor4D, this.vars.depthwise_kernel.read() as tf.Tensor4D, this.a.strides as [number, number], this.a.padding === 'same' ? 'same' : 'valid', 'NHWC', this.a.dilation as [number, number]);
  }
}
tf.serialization.registerClass(DepthwiseConv2DCF as never);

registerBuilder({
  classNames: ['DepthwiseConv2D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    // tfjs' DepthwiseConv2D layer gets channels_first wrong and drops the dilation rate
    if (c.dataFormat() === 'channelsFirst' || c.ints('dilation_rate', 2, 1).some((d) => d !== 1)) return new DepthwiseConv2DCF(customArgs(c, 2, null), c.int('depth_multiplier', 1));
    const w = weightArgs(c, 'depthwise');
    // Keras 3 names the kernel `kernel_*`, Keras 2 `depthwise_*`
    const reg = w.depthwiseRegularizer ?? weightArgs(c).kernelRegularizer;
    return layers.depthwiseConv2d(clean({
      ...baseArgs(layer),
      kernelSize: c.ints('kernel_size', 2),
      strides: c.ints('strides', 2, 1),
      dilationRate: c.ints('dilation_rate', 2, 1),
      padding: c.padding(),
      depthMultiplier: c.int('depth_multiplier', 1),
      activation: tfActivation(c.c.activation, ctx, layer.name),
      useBias: c.bool('use_bias', true),
      dataFormat: c.dataFormat(),
      depthwiseInitializer: 'zeros', biasInitializer: 'zeros',
      depthwiseRegularizer: reg, biasRegularizer: w.biasRegularizer,
      depthwiseConstraint: w.depthwiseConstraint, biasConstraint: w.biasConstraint,
    }) as never);
  },
});

