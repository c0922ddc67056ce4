/** Preprocessing layers with a computable output shape (image resizing/cropping, scaling, augmentation). */
import type { Shape } from '../types.ts';
import { cfgOf, dataFormat, joinSpatial, known, num, splitSpatial, type LayerRule, type Registry } from './util.ts';

/** Image layers on (batch, h, w, c) or unbatched (h, w, c): replace h and w. */
function resizeTo(x: Shape | undefined, h: number, wd: number, cfg: Record<string, unknown>): Shape[] | undefined {
  if (!x || !known(h, wd)) return undefined;
  const df = dataFormat(cfg);
  const sp = splitSpatial(x, 2, df);
  if (!sp) return undefined;
  return [joinSpatial(sp.batch, [h, wd], sp.channels, df)];
}

const sized: LayerRule = { output: (l, [x]) => resizeTo(x, num(cfgOf(l), 'height', NaN), num(cfgOf(l), 'width', NaN), cfgOf(l)) };
const same: LayerRule = {};

export const preprocessingRules: Registry = {
  Resizing: sized,
  CenterCrop: sized,
  RandomCrop: sized,
  Rescaling: same,
  RandomFlip: same, RandomRotation: same, RandomZoom: same, RandomTranslation: same, RandomContrast: same,
  RandomBrightness: same,
};
