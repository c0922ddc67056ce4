/**
 * Preprocessing layers that are plain math: Rescaling, Normalization (adapted mean/variance as
 * weights or config), Resizing, CenterCrop. Lookup/text layers need vocabularies and are not built in.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { baseArgs, Cfg, one } from './common.ts';

type Shape = (number | null)[];
type V = { read(): tf.Tensor };

registerBuilder({
  classNames: ['Rescaling'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const scale = c.raw('scale'), offset = c.raw('offset');
    if (typeof scale !== 'number' || (offset !== undefined && offset !== null && typeof offset !== 'number')) {
      const s = tf.tensor(scale as number[]), o = tf.tensor((offset ?? 0) as number[]);
      return new Affine({ ...baseArgs(layer), scale: tf.keep(s), offset: tf.keep(o) });
    }
    return layers.rescaling({ ...baseArgs(layer), scale, offset: (offset as number | null) ?? 0 });
  },
});

/** x·scale + offset with per-channel scale/offset. */
export class Affine extends layers.Layer {
  static className = 'KerasAffine';
  constructor(readonly o: { name: string; trainable: boolean; scale: tf.Tensor; offset: tf.Tensor }) {
    super({ name: o.name, trainable: o.trainable });
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(tf.mul(one(inputs), this.o.scale), this.o.offset));
  }
}
tf.serialization.registerClass(Affine);

/** (x − mean) / max(√variance, ε) over the kept axes; `invert` undoes it. */
export class Normalization extends layers.Layer {
  static className = 'KerasNormalization';
  private mean: V | tf.Tensor | null = null;
  private variance: V | tf.Tensor | null = null;
  constructor(readonly o: { name: string; trainable: boolean; axis: number[]; mean: unknown; variance: unknown; invert: boolean; withCount: boolean }) {
    super({ name: o.name, trainable: false });
  }
  private kept(rank: number): number[] {
    return this.o.axis.map((a) => (a < 0 ? a + rank : a));
  }
  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const kept = this.kept(s.length);
    const shape = kept.map((a) => s[a] as number);
    if (this.o.mean !== null && this.o.mean !== undefined) {
      this.mean = tf.keep(tf.tensor(this.o.mean as number[]));
      this.variance = tf.keep(tf.tensor(this.o.variance as number[]));
    } else {
      this.mean = this.addWeight('mean', shape, 'float32', initializers.zeros(), undefined, false) as unknown as V;
      this.variance = this.addWeight('variance', shape, 'float32', initializers.ones(), undefined, false) as unknown as V;
      if (this.o.withCount) this.addWeight('count', [], 'int32', initializers.zeros(), undefined, false);
    }
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const kept = this.kept(x.rank);
      const bshape = x.shape.map((d, i) => (kept.includes(i) ? d : 1));
      const val = (v: V | tf.Tensor) => (v instanceof tf.Tensor ? v : v.read());
      // config statistics may be scalars (broadcast) or per-channel lists
      const fit = (t: tf.Tensor) => (t.size === bshape.reduce((p, q) => p * q, 1) ? tf.reshape(t, bshape) : t);
      const mean = fit(val(this.mean!));
      const std = tf.maximum(tf.sqrt(fit(val(this.variance!))), 1e-7);
      return this.o.invert ? tf.add(mean, tf.mul(x, std)) : tf.div(tf.sub(x, mean), std);
    });
  }
}
tf.serialization.registerClass(Normalization);

registerBuilder({
  classNames: ['Normalization'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const a = c.raw('axis');
    const axis = a === null ? [] : a === undefined ? [-1] : Array.isArray(a) ? (a as number[]) : [a as number];
    // the count variable exists when the stored weights include it (tf.keras 2.x, Keras 3)
    const withCount = layer.weights.length === 3 || (layer.weights.length === 0 && ctx.kerasMajor >= 2);
    return new Normalization({ ...baseArgs(layer), axis, mean: c.raw('mean'), variance: c.raw('variance'), invert: c.bool('invert', false), withCount });
  },
});

/** An image batch's shape with its spatial size replaced by (height, width), in either data format. */
function imageShapeWithSize(inputShape: Shape | Shape[], o: { height: number; width: number; channelsFirst: boolean }): Shape {
  const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
  return o.channelsFirst ? [s[0], s[1], o.height, o.width] : [s[0], o.height, o.width, s[3]];
}

/** Image resize to (height, width) like keras.layers.Resizing (half-pixel centers, as TF2/JAX). */
export class Resizing extends layers.Layer {
  static className = 'KerasResizing';
  constructor(readonly o: { name: string; trainable: boolean; height: number; width: number; interpolation: string; channelsFirst: boolean; cropToAspect: boolean }) {
    super({ name: o.name, trainable: o.trainable });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return imageShapeWithSize(inputShape, this.o);
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = one(inputs) as tf.Tensor4D;
      if (this.o.channelsFirst) x = tf.transpose(x, [0, 2, 3, 1]);
      if (this.o.cropToAspect) x = cropToAspect(x, this.o.height / this.o.width);
      const size: [number, number] = [this.o.height, this.o.width];
      let y = this.o.interpolation === 'nearest' ? tf.image.resizeNearestNeighbor(x, size, false, true) : tf.image.resizeBilinear(x, size, false, true);
      if (this.o.channelsFirst) y = tf.transpose(y, [0, 3, 1, 2]);
      return y;
    });
  }
}
tf.serialization.registerClass(Resizing);

function cropToAspect(x: tf.Tensor4D, ratio: number): tf.Tensor4D {
  const [h, w] = [x.shape[1], x.shape[2]];
  const ch = Math.min(h, Math.floor(w * ratio));
  const cw = Math.min(w, Math.floor(h / ratio));
  return tf.slice(x, [0, Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), 0], [-1, ch, cw, -1]);
}

registerBuilder({
  classNames: ['Resizing'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const interpolation = c.str('interpolation', 'bilinear');
    if (!['bilinear', 'nearest'].includes(interpolation)) throw c.unsupported(`interpolation='${interpolation}'`);
    if (c.bool('pad_to_aspect_ratio', false)) throw c.unsupported('pad_to_aspect_ratio=True');
    if (c.bool('antialias', false)) throw c.unsupported('antialias=True');
    return new Resizing({ ...baseArgs(layer), height: c.int('height'), width: c.int('width'), interpolation, channelsFirst: c.dataFormat() === 'channelsFirst', cropToAspect: c.bool('crop_to_aspect_ratio', false) });
  },
});

/** Central crop to (height, width). */
export class CenterCrop extends layers.Layer {
  static className = 'KerasCenterCrop';
  constructor(readonly o: { name: string; trainable: boolean; height: number; width: number; channelsFirst: boolean }) {
    super({ name: o.name, trainable: o.trainable });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return imageShapeWithSize(inputShape, this.o);
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = one(inputs) as tf.Tensor4D;
      if (this.o.channelsFirst) x = tf.transpose(x, [0, 2, 3, 1]);
      const [h, w] = [x.shape[1], x.shape[2]];
      let y: tf.Tensor4D;
      if (h < this.o.height || w < this.o.width) {
        // Keras resizes (crop to aspect ratio) when the image is smaller than the target
        y = tf.image.resizeBilinear(cropToAspect(x, this.o.height / this.o.width), [this.o.height, this.o.width], false, true);
      } else {
        y = tf.slice(x, [0, Math.floor((h - this.o.height) / 2), Math.floor((w - this.o.width) / 2), 0], [-1, this.o.height, this.o.width, -1]);
      }
      return this.o.channelsFirst ? tf.transpose(y, [0, 3, 1, 2]) : y;
    });
  }
}
tf.serialization.registerClass(CenterCrop);

registerBuilder({
  classNames: ['CenterCrop'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return new CenterCrop({ ...baseArgs(layer), height: c.int('height'), width: c.int('width'), channelsFirst: c.dataFormat() === 'channelsFirst' });
  },
});
