/** Activation layers: ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax. */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { baseArgs, Cfg, clean, one, softmaxAxis, tfConstraint, tfRegularizer } from './common.ts';

/** A weightless elementwise layer. */
export class ElementwiseLayer extends layers.Layer {
  static className = 'KerasElementwise';
  private readonly fn: (x: tf.Tensor) => tf.Tensor;
  constructor(args: { name: string; trainable: boolean }, fn: (x: tf.Tensor) => tf.Tensor) {
    super(args);
    this.fn = fn;
    this.supportsMasking = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => this.fn(one(inputs)));
  }
}
tf.serialization.registerClass(ElementwiseLayer as never);

registerBuilder({
  classNames: ['ReLU'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const max = c.optNum('max_value');
    const slope = c.num('negative_slope', 0);
    const threshold = c.num('threshold', 0);
    if (slope === 0 && threshold === 0) return layers.reLU(clean({ ...baseArgs(layer), maxValue: max ?? undefined }));
    // Keras: x ≥ max → max; threshold ≤ x < max → x; else slope·(x − threshold)
    return new ElementwiseLayer(baseArgs(layer), (x) => {
      let y = tf.where(tf.greaterEqual(x, threshold), x, tf.mul(tf.sub(x, threshold), slope));
      if (max !== null) y = tf.minimum(y, max);
      return y;
    });
  },
});

registerBuilder({
  classNames: ['LeakyReLU'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return layers.leakyReLU({ ...baseArgs(layer), alpha: c.num('negative_slope', c.num('alpha', 0.3)) });
  },
});

registerBuilder({
  classNames: ['PReLU'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const shared = c.raw('shared_axes');
    return layers.prelu(clean({
      ...baseArgs(layer),
      alphaInitializer: 'zeros',
      alphaRegularizer: tfRegularizer(c.c.alpha_regularizer, ctx, layer.name),
      alphaConstraint: tfConstraint(c.c.alpha_constraint, ctx, layer.name),
      sharedAxes: shared === null || shared === undefined ? undefined : (Array.isArray(shared) ? shared : [shared]) as number[],
    }) as never);
  },
});

registerBuilder({
  classNames: ['ELU'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const alpha = c.num('alpha', 1);
    if (alpha === 1) return layers.elu(baseArgs(layer));
    return new ElementwiseLayer(baseArgs(layer), (x) => tf.where(tf.greater(x, 0), x, tf.mul(alpha, tf.sub(tf.exp(x), 1))));
  },
});

registerBuilder({
  classNames: ['ThresholdedReLU'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return layers.thresholdedReLU({ ...baseArgs(layer), theta: c.num('theta', 1) });
  },
});

registerBuilder({
  classNames: ['Softmax'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    let axis = c.raw('axis') ?? -1;
    if (Array.isArray(axis)) {
      if (axis.length !== 1) throw c.unsupported(`axis=${JSON.stringify(axis)}`);
      axis = axis[0];
    }
    if (typeof axis !== 'number') throw c.bad('axis', 'must be an integer');
    if (axis === -1) return layers.softmax({ ...baseArgs(layer), axis: -1 });
    const ax = axis;
    return new ElementwiseLayer(baseArgs(layer), (x) => softmaxAxis(x, ax));
  },
});
