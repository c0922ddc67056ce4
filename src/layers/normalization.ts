/**
 * Normalization: BatchNormalization (Keras 1 `running_std` included), LayerNormalization,
 * UnitNormalization.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { baseArgs, Cfg, clean, one, storedTensors, tfConstraint, tfRegularizer } from './common.ts';

registerBuilder({
  classNames: ['BatchNormalization'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    let axis = c.raw('axis');
    if (Array.isArray(axis)) {
      if (axis.length !== 1) throw c.unsupported(`axis=${JSON.stringify(axis)} (several axes)`);
      axis = axis[0];
    }
    if (c.bool('renorm', false)) throw c.unsupported('renorm=True');
    const mode = layer.config.keras1_mode;
    if (mode !== undefined && mode !== 0) throw c.unsupported(`Keras 1 mode=${mode} (only mode 0 has fixed inference statistics)`);
    const r = (k: string) => tfRegularizer(c.c[k], ctx, layer.name);
    const k = (k: string) => tfConstraint(c.c[k], ctx, layer.name);
    return layers.batchNormalization(clean({
      ...baseArgs(layer),
      axis: typeof axis === 'number' ? axis : -1,
      momentum: c.num('momentum', 0.99),
      epsilon: c.num('epsilon', 1e-3),
      center: c.bool('center', true),
      scale: c.bool('scale', true),
      betaInitializer: 'zeros', gammaInitializer: 'zeros', movingMeanInitializer: 'zeros', movingVarianceInitializer: 'zeros',
      betaRegularizer: r('beta_regularizer'), gammaRegularizer: r('gamma_regularizer'),
      betaConstraint: k('beta_constraint'), gammaConstraint: k('gamma_constraint'),
    }) as never);
  },
  convertWeights(layer, _tfLayer, ctx) {
    const w = storedTensors(layer);
    const v = ctx.spec.kerasVersion;
    // Keras 1.0.x kept a real standard deviation in `running_std` and normalized with (x-m)/(std+eps);
    // from 1.1 it holds the variance. Give tfjs the variance that reproduces 1.0.x exactly.
    if (v.major === 1 && v.minor === 0 && !v.inferred && w.length >= 2 && /running_std/.test(layer.weights[layer.weights.length - 1].name)) {
      const eps = new Cfg(layer, ctx).num('epsilon', 1e-3);
      const last = w.length - 1;
      w[last] = tf.sub(tf.square(tf.add(w[last], eps)), eps);
    }
    return w;
  },
});

registerBuilder({
  classNames: ['LayerNormalization'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    if (c.bool('rms_scaling', false)) throw c.unsupported('rms_scaling=True');
    const axis = c.raw('axis');
    return layers.layerNormalization(clean({
      ...baseArgs(layer),
      axis: (axis ?? -1) as number | number[],
      epsilon: c.num('epsilon', 1e-3),
      center: c.bool('center', true),
      scale: c.bool('scale', true),
      betaInitializer: 'zeros', gammaInitializer: 'zeros',
      betaRegularizer: tfRegularizer(c.c.beta_regularizer, ctx, layer.name), gammaRegularizer: tfRegularizer(c.c.gamma_regularizer, ctx, layer.name),
    }) as never);
  },
});

/** x / ||x||₂ along the given axes (Keras UnitNormalization). */
export class UnitNormalization extends layers.Layer {
  static className = 'KerasUnitNormalization';
  readonly axis: number[];
  constructor(args: { name: string; trainable: boolean; axis: number[] }) {
    super({ name: args.name, trainable: args.trainable });
    this.axis = args.axis;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const sq = tf.sum(tf.square(x), this.axis.map((a) => (a < 0 ? x.rank + a : a)), true);
      return tf.mul(x, tf.rsqrt(tf.maximum(sq, 1e-12)));
    });
  }
}
tf.serialization.registerClass(UnitNormalization);

registerBuilder({
  classNames: ['UnitNormalization'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const a = c.raw('axis');
    return new UnitNormalization({ ...baseArgs(layer), axis: Array.isArray(a) ? (a as number[]) : [typeof a === 'number' ? a : -1] });
  },
});
