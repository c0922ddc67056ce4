/**
 * Image augmentation layers beyond the classic six in preprocessing.ts: Keras applies them only in
 * training, so at inference (and in Keras' own compute_output_shape) the output shape is the input's.
 * AutoContrast changes values, never the shape.
 */
import type { LayerRule, Registry } from './util.ts';

const same: LayerRule = {};

export const augmentationRules: Registry = Object.fromEntries([
  'RandomHue', 'RandomSaturation', 'RandomSharpness', 'RandomShear', 'RandomGrayscale', 'RandomInvert',
  'RandomPosterization', 'RandomColorDegeneration', 'RandomColorJitter', 'RandomGaussianBlur', 'RandomErasing',
  'RandomPerspective', 'RandomElasticTransform', 'AugMix', 'CutMix', 'MixUp', 'RandAugment', 'Solarization', 'AutoContrast',
].map((n) => [n, same]));
