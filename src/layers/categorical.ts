/**
 * CategoryEncoding (one_hot / multi_hot / count over num_tokens) and Discretization (bucket index by
 * bin_boundaries, then the same encodings), as Keras 3.15 computes them on JAX
 * (keras/src/utils/numerical_utils.encode_categorical_inputs): one_hot drops a trailing axis of 1 and
 * appends num_tokens; multi_hot (max) and count (sum) of the one-hot codes reduce axis 1 of a rank-2
 * input (axis 0 of a rank-1 one). Out-of-range ids encode to all zeros, as in jax.nn.one_hot.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { baseArgs, Cfg, one, oneShape } from './common.ts';
import { UnsupportedFeatureError } from '../errors.ts';

type Shape = (number | null)[];
type Mode = 'int' | 'one_hot' | 'multi_hot' | 'count';

function encodedShape(s: Shape, mode: Mode, depth: number): Shape {
  if (mode === 'int') return s.slice();
  if (mode === 'one_hot') return s.length > 1 && s[s.length - 1] === 1 ? [...s.slice(0, -1), depth] : [...s, depth];
  return [...s.slice(0, -1), depth];
}

function encode(ids: tf.Tensor, mode: Mode, depth: number): tf.Tensor {
  if (mode === 'int') return ids;
  let x = ids;
  if (mode === 'one_hot' && x.rank > 1 && x.shape[x.rank - 1] === 1) x = tf.squeeze(x, [x.rank - 1]);
  const codes = tf.cast(tf.oneHot(tf.cast(x, 'int32') as tf.Tensor, depth), 'float32');
  if (mode === 'one_hot') return codes;
  const axis = x.rank > 1 ? 1 : 0;
  return mode === 'multi_hot' ? tf.max(codes, axis) : tf.sum(codes, axis);
}

class Categorical extends layers.Layer {
  constructor(readonly o: { name: string; trainable: boolean; mode: Mode; depth: number; boundaries: number[] | null; source: string }) {
    super({ name: o.name, trainable: false });
  }
  override build(inputShape: Shape | Shape[]): void {
    const s = oneShape(inputShape);
    // Keras' multi_hot/count reduce axis 1, which only matches its declared (…, num_tokens) shape up to rank 2
    if ((this.o.mode === 'multi_hot' || this.o.mode === 'count') && s.length > 2) {
      throw new UnsupportedFeatureError(`${this.getClassName()}: output_mode='${this.o.mode}' on a rank-${s.length} input is not supported`, {
        file: this.o.source, layer: this.name, hint: 'feed a (batch, n) input, or register a replacement with registerCustomLayer()',
      });
    }
    this.built = true;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return encodedShape(oneShape(inputShape), this.o.mode, this.o.depth);
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = one(inputs);
      if (this.o.boundaries) {
        // numpy.digitize (right=False): the number of boundaries <= x
        const xf = tf.cast(x, 'float32');
        x = this.o.boundaries.length === 0
          ? tf.zeros(xf.shape, 'int32')
          : tf.addN(this.o.boundaries.map((b) => tf.cast(tf.greaterEqual(xf, b), 'int32')));
      }
      return encode(x, this.o.mode, this.o.depth);
    });
  }
  override getConfig() {
    return { ...super.getConfig(), mode: this.o.mode, depth: this.o.depth, boundaries: this.o.boundaries };
  }
}

export class CategoryEncoding extends Categorical {
  static className = 'KerasCategoryEncoding';
}
tf.serialization.registerClass(CategoryEncoding);

export class Discretization extends Categorical {
  static className = 'KerasDiscretization';
}
tf.serialization.registerClass(Discretization);

function mode(c: Cfg, dflt: string, allowed: Mode[]): Mode {
  let m = c.str('output_mode', dflt);
  if (m === 'binary') m = 'multi_hot'; // Keras' old name
  if (!(allowed as string[]).includes(m)) throw c.unsupported(`output_mode='${m}'`);
  if (c.bool('sparse', false)) throw c.unsupported('sparse=True');
  return m as Mode;
}

registerBuilder({
  classNames: ['CategoryEncoding'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const depth = c.int('num_tokens');
    if (depth < 1) throw c.bad('num_tokens', 'must be at least 1');
    return new CategoryEncoding({ ...baseArgs(layer), mode: mode(c, 'multi_hot', ['one_hot', 'multi_hot', 'count']), depth, boundaries: null, source: ctx.source });
  },
});

registerBuilder({
  classNames: ['Discretization'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const b = c.c.bin_boundaries;
    if (!Array.isArray(b) || !b.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw c.bad('bin_boundaries', 'must be a list of numbers (a layer adapted in Keras stores them; num_bins alone is not enough)');
    }
    const boundaries = b as number[];
    return new Discretization({ ...baseArgs(layer), mode: mode(c, 'int', ['int', 'one_hot', 'multi_hot', 'count']), depth: boundaries.length + 1, boundaries, source: ctx.source });
  },
});
