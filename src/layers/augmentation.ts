/**
 * Image augmentation layers. Keras applies them only in training: with training=False (predict,
 * inference calls) Keras 3.15 returns the images unchanged, so at import they are the identity.
 * Each class here was checked with real Keras 3.15.1 (predict and layer(x, training=False) return the
 * input bit for bit, for [0, 1] and [0, 255] images); the `augmentation_identity` fixture proves it.
 *
 * AutoContrast changes the data at inference too and is computed below, as Keras does.
 * RandomCrop is registered on its own below: Keras 3.15 also returns the uncropped image at inference,
 * although it declares a (height, width) output.
 * Not here on purpose: Equalization (changes data at inference; Keras 3.15 cannot even use it in a
 * functional model).
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { baseArgs, Cfg, one } from './common.ts';
import { Identity } from './core.ts';

export const INFERENCE_IDENTITY_AUGMENTATIONS = [
  'RandomFlip', 'RandomRotation', 'RandomZoom', 'RandomTranslation', 'RandomContrast', 'RandomBrightness',
  'RandomHue', 'RandomSaturation', 'RandomSharpness', 'RandomShear', 'RandomGrayscale', 'RandomInvert',
  'RandomPosterization', 'RandomColorDegeneration', 'RandomColorJitter', 'RandomGaussianBlur', 'RandomErasing',
  'RandomPerspective', 'RandomElasticTransform', 'AugMix', 'CutMix', 'MixUp', 'RandAugment', 'Solarization',
];

registerBuilder({
  classNames: INFERENCE_IDENTITY_AUGMENTATIONS,
  create(layer) {
    return new Identity({ ...baseArgs(layer) });
  },
});

/**
 * RandomCrop at inference: Keras 3.15's transform_images returns the images untouched when not training
 * (checked with real Keras: predict gives the full-size image), even though its compute_output_shape says
 * (height, width). We follow the data. A model whose later layers depend on the declared size (Flatten →
 * Dense) fails in Keras' own predict, and here with a weight-shape error.
 */
registerBuilder({
  classNames: ['RandomCrop'],
  create(layer) {
    return new Identity({ ...baseArgs(layer) });
  },
});

/** Keras' _transform_value_range: a linear map from one value range to another (same op order). */
function remap(x: tf.Tensor, from: [number, number], to: [number, number]): tf.Tensor {
  if (from[0] === to[0] && from[1] === to[1]) return x;
  return tf.add(tf.mul(tf.div(tf.sub(x, from[0]), from[1] - from[0]), to[1] - to[0]), to[0]);
}

/**
 * AutoContrast (applied at inference too): per image, stretch each channel's [min, max] over axes 1 and 2
 * (Keras uses those axes whatever the data_format) to the full value range; a constant channel
 * (0/0 → NaN in Keras) keeps its input values.
 */
export class AutoContrast extends layers.Layer {
  static className = 'KerasAutoContrast';
  constructor(readonly o: { name: string; trainable: boolean; valueRange: [number, number] }) {
    super({ name: o.name, trainable: o.trainable });
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = tf.cast(one(inputs), 'float32');
      const y = remap(x, this.o.valueRange, [0, 255]);
      const low = tf.min(y, [1, 2], true), high = tf.max(y, [1, 2], true);
      const scale = tf.div(255, tf.sub(high, low));
      const z = tf.add(tf.mul(y, scale), tf.mul(tf.neg(low), scale));
      // decide NaN before clipping: backends differ on clip(NaN), Keras keeps NaN there
      const nan = tf.isNaN(z);
      const r = remap(tf.clipByValue(z, 0, 255), [0, 255], this.o.valueRange);
      return tf.where(nan, x, r);
    });
  }
  override getConfig() {
    return { ...super.getConfig(), valueRange: this.o.valueRange };
  }
}
tf.serialization.registerClass(AutoContrast);

registerBuilder({
  classNames: ['AutoContrast'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const v = c.raw('value_range') ?? [0, 255];
    if (!Array.isArray(v) || v.length !== 2 || !v.every((n) => typeof n === 'number' && Number.isFinite(n)) || v[0] === v[1]) {
      throw c.bad('value_range', 'must be two different numbers');
    }
    const [a, b] = (v as number[]).slice().sort((p, q) => p - q);
    return new AutoContrast({ ...baseArgs(layer), valueRange: [a, b] });
  },
});
