/**
 * Fan-in / fan-out exactly as the Keras that wrote the file computed them (spec §2.1).
 *
 * Shapes are always given in the Keras ≥ 2 layout that the rest of keras-import uses (channels-last
 * conv kernels `(*spatial, in, out)`, transposed conv `(*spatial, out, in)`, dense `(in, out)`). For
 * Keras 1 files the layout (plus the layer's `dim_ordering`) tells how Keras 1 itself saw the
 * kernel, because its fan rules depended on that layout, not only on the rank.
 */
import type { KerasVersion } from '../spec/types.ts';

/** How a weight is laid out, in Keras ≥ 2 terms. */
export type KernelLayout =
  | 'dense' // (in, out)
  | 'conv' // (*spatial, in, out): Conv1D/2D/3D, LocallyConnected, SeparableConv pointwise
  | 'conv_transpose' // (*spatial, out, in)
  | 'depthwise' // (*spatial, in, depth_multiplier)
  | 'recurrent' // (units, gates·units) or (input, gates·units)
  | 'embedding' // (vocab, dim)
  | 'vector' // 1-D: bias, gamma, beta, moving stats
  | 'generic'; // anything else: the rank rules alone

export interface Fans {
  fanIn: number;
  fanOut: number;
}

export interface FanOptions {
  /** Keras 1 `dim_ordering` of a conv layer ('th' or 'tf'); matters for Keras 1 3-D convolutions. */
  dimOrdering?: 'th' | 'tf';
  /** Keras 3.15+ VarianceScaling `input_axes` / `output_axes` (both given → products of those axes). */
  inputAxes?: number[] | null;
  outputAxes?: number[] | null;
}

/** The Keras generation whose rules apply. */
export type KerasEra = 'k1' | 'k2' | 'modern';

export function eraOf(v: KerasVersion): KerasEra {
  if (v.major === 1) return 'k1';
  if (v.major === 2 && !v.tfKeras) return 'k2';
  return 'modern';
}

/** True when the file's Keras is at least major.minor.patch (multi-backend Keras 2 numbering). */
export function atLeast(v: KerasVersion, major: number, minor: number, patch = 0): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}

const prod = (a: number[]): number => a.reduce((x, y) => x * y, 1);

export function computeFans(shape: number[], layout: KernelLayout, kerasVersion: KerasVersion, opts: FanOptions = {}): Fans {
  const era = eraOf(kerasVersion);
  if (era === 'modern' && Array.isArray(opts.inputAxes) && Array.isArray(opts.outputAxes)) {
    // Keras 3.15 (keras#22789): explicit axes win over the rank rules
    const at = (ax: number) => shape[ax < 0 ? shape.length + ax : ax];
    return { fanIn: prod(opts.inputAxes.map(at)), fanOut: prod(opts.outputAxes.map(at)) };
  }
  if (era === 'k1') return keras1Fans(shape, layout, opts.dimOrdering ?? 'tf');
  if (era === 'k2') return keras2Fans(shape, kerasVersion);
  return modernFans(shape);
}

/** tf.keras and Keras 3 `compute_fans`. */
function modernFans(shape: number[]): Fans {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  const rf = prod(shape.slice(0, -2));
  return { fanIn: shape[shape.length - 2] * rf, fanOut: shape[shape.length - 1] * rf };
}

/** Keras 2.0.0–2.3.1 `_compute_fans` (2.0.0–2.0.5 took the receptive field as shape[0]·shape[1]). */
function keras2Fans(shape: number[], v: KerasVersion): Fans {
  const r = shape.length;
  if (r === 2) return { fanIn: shape[0], fanOut: shape[1] };
  if (r >= 3 && r <= 5) {
    // PR #7200 (2.0.6) fixed the receptive field for 3-D and 5-D kernels
    const rf = atLeast(v, 2, 0, 6) ? prod(shape.slice(0, -2)) : shape[0] * shape[1];
    return { fanIn: shape[r - 2] * rf, fanOut: shape[r - 1] * rf };
  }
  const s = Math.sqrt(prod(shape));
  return { fanIn: s, fanOut: s };
}

/**
 * Keras 1.2 `get_fans(shape, dim_ordering)`, evaluated on the kernel as Keras 1 stored it.
 * Conv1D's kernel was `(filter_length, 1, input_dim, nb_filter)` and always evaluated as 'th'.
 */
function keras1Fans(shape: number[], layout: KernelLayout, dimOrdering: 'th' | 'tf'): Fans {
  const r = shape.length;
  if (r === 2) return { fanIn: shape[0], fanOut: shape[1] };
  if ((layout === 'conv' || layout === 'conv_transpose' || layout === 'depthwise') && r >= 3 && r <= 5) {
    if (r === 3) {
      // Keras 2 layout (k, in, out) ← Keras 1 (k, 1, in, out) read as th: rf = in·out
      const [k, cin, cout] = shape;
      return { fanIn: 1 * cin * cout, fanOut: k * cin * cout };
    }
    const spatial = shape.slice(0, -2);
    // (Keras 1 Deconvolution2D stored (rows, cols, nb_filter, stack) / (stack, nb_filter, rows, cols):
    // its "fan_in" counted filters, as Keras 2's does for the (…, out, in) layout)
    const cin = shape[r - 2];
    const cout = shape[r - 1];
    // th: rf = prod(all spatial); tf: rf = s0·s1 (drops the 3rd spatial dim of a 3-D kernel)
    const rf = dimOrdering === 'th' ? prod(spatial) : spatial[0] * spatial[1];
    return { fanIn: cin * rf, fanOut: cout * rf };
  }
  if (r === 4 || r === 5) {
    // tf ordering on the shape as stored
    const rf = shape[0] * shape[1];
    return { fanIn: shape[r - 2] * rf, fanOut: shape[r - 1] * rf };
  }
  const s = Math.sqrt(prod(shape));
  return { fanIn: s, fanOut: s };
}
