/**
 * Pooling: Max/AveragePooling1D/2D/3D (stock tfjs; a transpose wrapper for channels_first 1D/3D),
 * Global{Average,Max}Pooling1D/2D/3D with Keras' `keepdims` (one small layer: a mean/max over the
 * spatial axes — tfjs' own lack keepdims, 3D and channels_first 1D).
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { baseArgs, Cfg, one } from './common.ts';

type Shape = (number | null)[];

/** Global mean/max over the spatial axes. */
export class GlobalPooling extends layers.Layer {
  static className = 'KerasGlobalPooling';
  readonly mode: 'avg' | 'max';
  readonly channelsFirst: boolean;
  readonly keepdims: boolean;
  constructor(args: { name: string; trainable: boolean; mode: 'avg' | 'max'; channelsFirst: boolean; keepdims: boolean }) {
    super({ name: args.name, trainable: args.trainable });
    this.mode = args.mode;
    this.channelsFirst = args.channelsFirst;
    this.keepdims = args.keepdims;
    // Keras' GlobalAveragePooling1D averages over the unmasked steps only
    this.supportsMasking = true;
  }
  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor; // the pooled output carries no mask
  }
  private axes(rank: number): number[] {
    return this.channelsFirst ? Array.from({ length: rank - 2 }, (_, i) => i + 2) : Array.from({ length: rank - 2 }, (_, i) => i + 1);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const axes = this.axes(s.length);
    if (this.keepdims) return s.map((d, i) => (axes.includes(i) ? 1 : d));
    return s.filter((_, i) => !axes.includes(i));
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown> = {}): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const axes = this.axes(x.rank);
      const mask = (Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask) as tf.Tensor | undefined;
      if (this.mode === 'avg' && mask && x.rank === 3 && !this.channelsFirst) {
        const m = tf.expandDims(tf.cast(mask, x.dtype), 2); // (batch, steps, 1)
        return tf.div(tf.sum(tf.mul(x, m), 1, this.keepdims), tf.sum(m, 1, this.keepdims));
      }
      return this.mode === 'avg' ? tf.mean(x, axes, this.keepdims) : tf.max(x, axes, this.keepdims);
    });
  }
  override getConfig() {
    return { ...super.getConfig(), mode: this.mode, channelsFirst: this.channelsFirst, keepdims: this.keepdims };
  }
}
tf.serialization.registerClass(GlobalPooling);

/** Runs a channels-last layer on channels_first data (transposes around it). */
export class ChannelsFirstAdapter extends layers.Layer {
  static className = 'KerasChannelsFirstAdapter';
  constructor(readonly inner: layers.Layer, args: { name: string; trainable: boolean }) {
    super(args);
  }
  private perm(rank: number): number[] {
    return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
  }
  private inv(rank: number): number[] {
    return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
  }
  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    this.inner.build(this.perm(s.length).map((i) => s[i]) as never);
    this.built = true;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const o = this.inner.computeOutputShape(this.perm(s.length).map((i) => s[i]) as never) as Shape;
    return this.inv(o.length).map((i) => o[i]);
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const y = this.inner.call(tf.transpose(x, this.perm(x.rank)), kwargs) as tf.Tensor;
      return tf.transpose(y, this.inv(y.rank));
    });
  }
}
tf.serialization.registerClass(ChannelsFirstAdapter as never);

const POOL = /^(Max|Average)Pooling([123])D$/;
registerBuilder({
  classNames: ['MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const [, kind, r] = POOL.exec(layer.className)!;
    const rank = Number(r);
    const poolSize = c.ints('pool_size', rank, 2);
    const strides = c.has('strides') ? c.ints('strides', rank) : poolSize;
    const padding = c.padding() as 'valid' | 'same';
    const cf = c.dataFormat() === 'channelsFirst';
    const base = baseArgs(layer);
    const max = kind === 'Max';
    if (rank === 2) {
      const args = { ...base, poolSize: poolSize as [number, number], strides: strides as [number, number], padding, dataFormat: c.dataFormat() };
      return max ? layers.maxPooling2d(args) : layers.averagePooling2d(args);
    }
    // wasm's MaxPool3D kernel is wrong for non-cubic windows: our own (separable) 3D max pooling
    if (rank === 3 && max) {
      return new SamePadMaxPool3D({ ...base, poolSize, strides, channelsFirst: cf, same: padding === 'same' });
    }
    // tfjs' 1D and 3D pooling are channels_last only
    const mk = (name: string) => {
      const a = { ...base, name, padding };
      if (rank === 1) return max ? layers.maxPooling1d({ ...a, poolSize: poolSize[0], strides: strides[0] }) : layers.averagePooling1d({ ...a, poolSize: poolSize[0], strides: strides[0] });
      const a3 = { ...a, poolSize: poolSize as [number, number, number], strides: strides as [number, number, number], dataFormat: 'channelsLast' as const };
      return max ? layers.maxPooling3d(a3) : layers.averagePooling3d(a3);
    };
    return cf ? new ChannelsFirstAdapter(mk(`${layer.name}__cl`), base) : mk(layer.name);
  },
});

/**
 * 'valid' 3D max pooling as two 2D poolings (a box maximum is separable): (H, W) first, then D.
 * wasm's MaxPool3D kernel gets non-cubic windows wrong; its 2D kernel is fine.
 */
function maxPool3dSeparable(x: tf.Tensor5D, pool: number[], strides: number[]): tf.Tensor5D {
  const [b, d, h, w, c] = x.shape;
  const hw = tf.maxPool(tf.reshape(x, [b * d, h, w, c]) as tf.Tensor4D, [pool[1], pool[2]], [strides[1], strides[2]], 'valid');
  const [, h2, w2] = hw.shape;
  const dd = tf.maxPool(tf.reshape(hw, [b, d, h2 * w2, c]) as tf.Tensor4D, [pool[0], 1], [strides[0], 1], 'valid');
  return tf.reshape(dd, [b, dd.shape[1], h2, w2, c]);
}

/** MaxPooling3D with TF 'same' padding, computed as explicit −∞ padding + 'valid' pooling. */
export class SamePadMaxPool3D extends layers.Layer {
  static className = 'KerasSamePadMaxPool3D';
  constructor(readonly o: { name: string; trainable: boolean; poolSize: number[]; strides: number[]; channelsFirst: boolean; same: boolean }) {
    super({ name: o.name, trainable: o.trainable });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const sp = this.o.channelsFirst ? s.slice(2) : s.slice(1, 4);
    const out = sp.map((d, i) => (d === null ? null : this.o.same ? Math.ceil(d / this.o.strides[i]) : Math.floor((d - this.o.poolSize[i]) / this.o.strides[i]) + 1));
    return this.o.channelsFirst ? [s[0], s[1], ...out] : [s[0], ...out, s[4]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = one(inputs) as tf.Tensor5D;
      if (this.o.channelsFirst) x = tf.transpose(x, [0, 2, 3, 4, 1]);
      const pads: [number, number][] = [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]];
      for (let i = 0; i < 3 && this.o.same; i++) {
        const n = x.shape[i + 1];
        const outN = Math.ceil(n / this.o.strides[i]);
        const total = Math.max((outN - 1) * this.o.strides[i] + this.o.poolSize[i] - n, 0);
        pads[i + 1] = [Math.floor(total / 2), total - Math.floor(total / 2)];
      }
      const xp = tf.pad(x, pads, -3.4e38);
      let y = maxPool3dSeparable(xp, this.o.poolSize, this.o.strides);
      if (this.o.channelsFirst) y = tf.transpose(y, [0, 4, 1, 2, 3]);
      return y;
    });
  }
}
tf.serialization.registerClass(SamePadMaxPool3D);

const GPOOL = /^Global(Max|Average)Pooling([123])D$/;
registerBuilder({
  classNames: ['GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalMaxPooling3D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalAveragePooling3D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const [, kind] = GPOOL.exec(layer.className)!;
    return new GlobalPooling({ ...baseArgs(layer), mode: kind === 'Max' ? 'max' : 'avg', channelsFirst: c.dataFormat() === 'channelsFirst', keepdims: c.bool('keepdims', false) });
  },
});
