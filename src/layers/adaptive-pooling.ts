/**
 * Adaptive{Average,Max}Pooling1D/2D/3D (Keras 3.15): pool to a fixed `output_size` whatever the input size.
 *
 * Keras' windows (keras/src/backend/jax/nn.py, "two-pool gather"): along an axis of length L pooled to n,
 * window i starts at floor(i·L/n); PyTorch's end would be ceil((i+1)·L/n), but Keras only keeps two window
 * sizes, small = ceil(L/n) and big = small + 1: window i has the big size when end − start equals it,
 * else the small one. We reproduce that rule exactly (it differs from PyTorch when a window is shorter
 * than ceil(L/n)). Pooling is separable, so each spatial axis is reduced in turn, as Keras does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { baseArgs, Cfg, one, oneShape } from './common.ts';
import { InvalidConfigError } from '../errors.ts';

type Shape = (number | null)[];

/** Keras' [start, size] windows for pooling an axis of length `len` to `out` values. */
export function adaptiveWindows(len: number, out: number): [number, number][] {
  const small = Math.ceil(len / out), big = small + 1;
  const wins: [number, number][] = [];
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * len) / out);
    const end = Math.ceil(((i + 1) * len) / out);
    wins.push([start, end - start === big ? big : small]);
  }
  return wins;
}

export class AdaptivePooling extends layers.Layer {
  static className = 'KerasAdaptivePooling';
  constructor(readonly o: { name: string; trainable: boolean; mode: 'avg' | 'max'; outputSize: number[]; channelsFirst: boolean; source: string }) {
    super({ name: o.name, trainable: o.trainable });
  }
  private axes(rank: number): number[] {
    const nd = this.o.outputSize.length;
    return Array.from({ length: nd }, (_, i) => (this.o.channelsFirst ? i + 2 : i + 1)).filter((a) => a < rank);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = oneShape(inputShape).slice();
    this.axes(s.length).forEach((a, i) => (s[a] = this.o.outputSize[i]));
    return s;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = one(inputs);
      const axes = this.axes(x.rank);
      if (axes.length !== this.o.outputSize.length) {
        throw new InvalidConfigError(`${this.name}: input of rank ${x.rank} does not fit ${this.o.outputSize.length}D adaptive pooling`, { file: this.o.source, layer: this.name });
      }
      axes.forEach((axis, i) => {
        const len = x.shape[axis];
        const parts = adaptiveWindows(len, this.o.outputSize[i]).map(([start, size]) => {
          if (start + size > len) {
            // Keras would read past the axis here (its gather clamps); no real model has this
            throw new InvalidConfigError(`${this.name}: cannot pool length ${len} to ${this.o.outputSize[i]}`, { file: this.o.source, layer: this.name });
          }
          const begin = x.shape.map((_, k) => (k === axis ? start : 0));
          const sz = x.shape.map((d, k) => (k === axis ? size : d));
          const w = tf.slice(x, begin, sz);
          return this.o.mode === 'avg' ? tf.mean(w, axis, true) : tf.max(w, axis, true);
        });
        x = parts.length === 1 ? parts[0] : tf.concat(parts, axis);
      });
      return x;
    });
  }
  override getConfig() {
    return { ...super.getConfig(), mode: this.o.mode, outputSize: this.o.outputSize, channelsFirst: this.o.channelsFirst };
  }
}
tf.serialization.registerClass(AdaptivePooling);

for (const nd of [1, 2, 3]) {
  for (const [kind, mode] of [['Average', 'avg'], ['Max', 'max']] as const) {
    registerBuilder({
      classNames: [`Adaptive${kind}Pooling${nd}D`],
      create(layer, ctx) {
        const c = new Cfg(layer, ctx);
        const outputSize = c.ints('output_size', nd);
        if (outputSize.some((v) => v < 1)) throw c.bad('output_size', 'must be positive');
        return new AdaptivePooling({ ...baseArgs(layer), mode, outputSize, channelsFirst: c.dataFormat() === 'channelsFirst', source: ctx.source });
      },
    });
  }
}
