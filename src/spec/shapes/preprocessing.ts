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

/**
 * CategoryEncoding (and Discretization with a non-int output_mode): one_hot appends num_tokens (or replaces a
 * trailing 1); multi_hot / count / tf_idf reduce a (batch, n) input to (batch, num_tokens).
 */
function encode(x: Shape | undefined, mode: string, tokens: number): Shape[] | undefined {
  if (!x || !known(tokens) || tokens < 1) return undefined;
  if (mode === 'int') return [x.slice()];
  if (mode === 'one_hot') return [x[x.length - 1] === 1 && x.length > 1 ? [...x.slice(0, -1), tokens] : [...x, tokens]];
  if (mode === 'multi_hot' || mode === 'count' || mode === 'tf_idf') return [x.length <= 2 ? [x[0], tokens] : [...x.slice(0, -1), tokens]];
  return undefined;
}

export const preprocessingRules: Registry = {
  CategoryEncoding: { output: (l, [x]) => encode(x, String(cfgOf(l).output_mode ?? 'multi_hot'), num(cfgOf(l), 'num_tokens', NaN)) },
  Discretization: {
    output: (l, [x]) => {
      const c = cfgOf(l), b = c.bin_boundaries;
      const bins = Array.isArray(b) ? b.length + 1 : num(c, 'num_bins', NaN);
      return encode(x, String(c.output_mode ?? 'int'), bins);
    },
  },
  Resizing: sized,
  CenterCrop: sized,
  RandomCrop: sized,
  Rescaling: same,
  RandomFlip: same, RandomRotation: same, RandomZoom: same, RandomTranslation: same, RandomContrast: same,
  RandomBrightness: same,
};
