/**
 * Spatial reshaping: ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/2D/3D. One small layer
 * each (pad / slice / repeat over the spatial axes, either data format), since tfjs only has the 2D
 * forms and its bilinear UpSampling2D does not use TensorFlow's half-pixel centers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { baseArgs, Cfg, one } from './common.ts';

type Shape = (number | null)[];

abstract class SpatialLayer extends layers.Layer {
  readonly channelsFirst: boolean;
  readonly rank: number;
  constructor(args: { name: string; trainable: boolean; channelsFirst: boolean; rank: number }) {
    super({ name: args.name, trainable: args.trainable });
    this.channelsFirst = args.channelsFirst;
    this.rank = args.rank;
  }
  /** Index of spatial axis i (0-based) in a full (batch-first) shape. */
  protected ax(i: number): number {
    return this.channelsFirst ? i + 2 : i + 1;
  }
  protected shapeOf(s: Shape | Shape[]): Shape {
    return (Array.isArray(s[0]) ? s[0] : s) as Shape;
  }
}

/** Pairs (before, after) per spatial axis from Keras' int / tuple / tuple-of-tuples forms. */
function pairs(c: Cfg, key: string, rank: number, dflt: number): [number, number][] {
  const v = c.raw(key);
  if (v === undefined || v === null) return Array.from({ length: rank }, () => [dflt, dflt]);
  if (typeof v === 'number') return Array.from({ length: rank }, () => [v, v]);
  if (Array.isArray(v)) {
    if (rank === 1 && v.length === 2 && v.every((x) => typeof x === 'number')) return [[v[0] as number, v[1] as number]];
    if (v.length === rank) {
      return v.map((x) => {
        if (typeof x === 'number') return [x, x] as [number, number];
        if (Array.isArray(x) && x.length === 2 && x.every((y) => typeof y === 'number')) return [x[0], x[1]] as [number, number];
        throw c.bad(key, 'must be an int, a tuple of ints or a tuple of (before, after) pairs');
      });
    }
  }
  throw c.bad(key, 'must be an int, a tuple of ints or a tuple of (before, after) pairs');
}

export class ZeroPadding extends SpatialLayer {
  static className = 'KerasZeroPadding';
  readonly padding: [number, number][];
  constructor(args: { name: string; trainable: boolean; channelsFirst: boolean; rank: number; padding: [number, number][] }) {
    super(args);
    this.padding = args.padding;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = [...this.shapeOf(inputShape)];
    this.padding.forEach(([a, b], i) => { const d = s[this.ax(i)]; s[this.ax(i)] = d === null ? null : d + a + b; });
    return s;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    const p: [number, number][] = x.shape.map(() => [0, 0]);
    this.padding.forEach((pp, i) => { p[this.ax(i)] = pp; });
    return tf.pad(x, p);
  }
}
tf.serialization.registerClass(ZeroPadding);

export class Cropping extends SpatialLayer {
  static className = 'KerasCropping';
  readonly cropping: [number, number][];
  constructor(args: { name: string; trainable: boolean; channelsFirst: boolean; rank: number; cropping: [number, number][] }) {
    super(args);
    this.cropping = args.cropping;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = [...this.shapeOf(inputShape)];
    this.cropping.forEach(([a, b], i) => { const d = s[this.ax(i)]; s[this.ax(i)] = d === null ? null : d - a - b; });
    return s;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    const begin = x.shape.map(() => 0);
    const size = [...x.shape];
    this.cropping.forEach(([a, b], i) => { begin[this.ax(i)] = a; size[this.ax(i)] = x.shape[this.ax(i)] - a - b; });
    return tf.slice(x, begin, size);
  }
}
tf.serialization.registerClass(Cropping);

export class UpSampling extends SpatialLayer {
  static className = 'KerasUpSampling';
  readonly size: number[];
  readonly interpolation: 'nearest' | 'bilinear';
  readonly halfPixel: boolean;
  constructor(args: { name: string; trainable: boolean; channelsFirst: boolean; rank: number; size: number[]; interpolation: 'nearest' | 'bilinear'; halfPixel: boolean }) {
    super(args);
    this.size = args.size;
    this.interpolation = args.interpolation;
    this.halfPixel = args.halfPixel;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = [...this.shapeOf(inputShape)];
    this.size.forEach((f, i) => { const d = s[this.ax(i)]; s[this.ax(i)] = d === null ? null : d * f; });
    return s;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = one(inputs);
      if (this.interpolation === 'bilinear') {
        let y = this.channelsFirst ? tf.transpose(x, [0, 2, 3, 1]) : x;
        const [h, w] = [y.shape[1]!, y.shape[2]!];
        y = tf.image.resizeBilinear(y as tf.Tensor4D, [h * this.size[0], w * this.size[1]], false, this.halfPixel);
        return this.channelsFirst ? tf.transpose(y, [0, 3, 1, 2]) : y;
      }
      // nearest: repeat every element `size` times along each spatial axis (Keras' repeat_elements)
      this.size.forEach((f, i) => {
        if (f === 1) return;
        const a = this.ax(i);
        const s = x.shape;
        const expanded = tf.reshape(x, [...s.slice(0, a + 1), 1, ...s.slice(a + 1)]);
        const reps = expanded.shape.map((_, k) => (k === a + 1 ? f : 1));
        x = tf.reshape(tf.tile(expanded, reps), [...s.slice(0, a), s[a] * f, ...s.slice(a + 1)]);
      });
      return x;
    });
  }
}
tf.serialization.registerClass(UpSampling);

const RANK = (cls: string) => Number(/([123])D$/.exec(cls)![1]);

registerBuilder({
  classNames: ['ZeroPadding1D', 'ZeroPadding2D', 'ZeroPadding3D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const rank = RANK(layer.className);
    const cf = rank > 1 && c.dataFormat() === 'channelsFirst';
    if (rank === 2 && !cf) {
      // stock tfjs layer (same result) keeps the model identical to a hand-written tfjs one
      return layers.zeroPadding2d({ ...baseArgs(layer), padding: pairs(c, 'padding', 2, 1) as never, dataFormat: 'channelsLast' });
    }
    return new ZeroPadding({ ...baseArgs(layer), channelsFirst: cf, rank, padding: pairs(c, 'padding', rank, 1) });
  },
});

registerBuilder({
  classNames: ['Cropping1D', 'Cropping2D', 'Cropping3D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const rank = RANK(layer.className);
    const cf = rank > 1 && c.dataFormat() === 'channelsFirst';
    return new Cropping({ ...baseArgs(layer), channelsFirst: cf, rank, cropping: pairs(c, 'cropping', rank, rank === 1 ? 1 : 0) });
  },
});

registerBuilder({
  classNames: ['UpSampling1D', 'UpSampling2D', 'UpSampling3D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const rank = RANK(layer.className);
    const cf = rank > 1 && c.dataFormat() === 'channelsFirst';
    const interpolation = c.str('interpolation', 'nearest');
    if (interpolation !== 'nearest' && !(interpolation === 'bilinear' && rank === 2)) throw c.unsupported(`interpolation='${interpolation}'`);
    // TF1-era Keras resized without half-pixel centers; tf.keras 2.x (TF2) and Keras 3 use them
    const halfPixel = ctx.kerasMajor === 3 || !!ctx.spec.kerasVersion.tfKeras;
    return new UpSampling({ ...baseArgs(layer), channelsFirst: cf, rank, size: c.ints('size', rank, 2), interpolation: interpolation as 'nearest' | 'bilinear', halfPixel });
  },
});
