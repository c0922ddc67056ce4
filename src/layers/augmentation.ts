/**
 * Image augmentation layers. Keras applies them only in training: with training=False (predict,
 * inference calls) Keras 3.15 returns the images unchanged, so at import they are the identity.
 * Each class here was checked with real Keras 3.15.1 (predict and layer(x, training=False) return the
 * input bit for bit, for [0, 1] and [0, 255] images); the `augmentation_identity` fixture proves it.
 *
 * Not here on purpose: AutoContrast and Equalization change the data at inference too; RandomCrop
 * returns the uncropped image at inference while Keras declares a (height, width) output, so a model
 * using it is inconsistent in Keras itself.
 */
import { registerBuilder } from './registry.ts';
import { baseArgs } from './common.ts';
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
