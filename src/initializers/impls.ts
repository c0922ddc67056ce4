/**
 * The initializer implementations (`IWeightInit`). Each one is a small parametric value generator;
 * the `WeightInit` enum (presets.ts) names the common parameter sets.
 */
import { InvalidConfigError, UnsupportedFeatureError } from '../errors.ts';
import type { Fans } from './fans.ts';
import { createRandom, type RandomSource } from './random.ts';
import { randomOrthogonal } from './qr.ts';

/** Std of a standard normal truncated to ±2: Keras ≥ 2.2 divides by it so the truncated law keeps the target std. */
export const TRUNCATION_STD = 0.87962566103423978;

export type InitKind = 'constant' | 'normal' | 'uniform' | 'truncated_normal' | 'variance_scaling' | 'orthogonal' | 'identity' | 'stft' | 'custom';

/** A JSON-safe description of an implementation and its parameters. */
export interface SerializedInit {
  kind: InitKind;
  [param: string]: unknown;
}

export interface IWeightInit {
  readonly kind: InitKind;
  /** Whether the values depend on fan-in / fan-out. */
  readonly usesFans: boolean;
  /**
   * The Keras `seed`, when the file gave one: values are then drawn from a generator seeded with it
   * (so repeated calls give the same values, as Keras 3 does), not from the caller's source.
   */
  readonly seed: number | null;
  /**
   * Values for `shape` (row-major), given the fans Keras would have computed and a random source.
   * `out`, when given, receives the values (it must hold exactly prod(shape)) and is returned.
   */
  generate(shape: number[], fans: Fans, rng: RandomSource, out?: Float32Array): Float32Array;
  serialize(): SerializedInit;
  /** One line, e.g. "VarianceScaling(scale=2, mode=fan_in, distribution=truncated_normal)". */
  describe(): string;
}

const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The caller's buffer (checked) or a new one. */
function target(shape: number[], out?: Float32Array): Float32Array {
  const n = count(shape);
  if (!out) return new Float32Array(n);
  if (out.length !== n) throw new RangeError(`output buffer holds ${out.length} values, shape [${shape}] needs ${n}`);
  return out;
}
const fmt = (x: number): string => (Number.isInteger(x) ? `${x}` : `${+x.toPrecision(8)}`);

abstract class Base implements IWeightInit {
  abstract readonly kind: InitKind;
  readonly usesFans: boolean = false;
  readonly seed: number | null = null;
  abstract generate(shape: number[], fans: Fans, rng: RandomSource, out?: Float32Array): Float32Array;
  abstract serialize(): SerializedInit;
  abstract describe(): string;
  protected source(rng: RandomSource): RandomSource {
    return this.seed === null ? rng : createRandom(this.seed);
  }
}

export class ConstantInit extends Base {
  readonly kind = 'constant' as const;
  constructor(readonly value: number) { super(); }
  generate(shape: number[], _fans?: Fans, _rng?: RandomSource, out?: Float32Array): Float32Array {
    return target(shape, out).fill(this.value);
  }
  serialize(): SerializedInit { return { kind: this.kind, value: this.value }; }
  describe(): string { return `Constant(${fmt(this.value)})`; }
}

export class NormalInit extends Base {
  readonly kind = 'normal' as const;
  constructor(readonly mean: number, readonly stddev: number, override readonly seed: number | null = null) { super(); }
  generate(shape: number[], _fans: Fans, rng: RandomSource, into?: Float32Array): Float32Array {
    const out = target(shape, into);
    this.source(rng).fillNormal(out, this.mean, this.stddev);
    return out;
  }
  serialize(): SerializedInit { return { kind: this.kind, mean: this.mean, stddev: this.stddev, seed: this.seed }; }
  describe(): string { return `Normal(mean=${fmt(this.mean)}, stddev=${fmt(this.stddev)})`; }
}

export class UniformInit extends Base {
  readonly kind = 'uniform' as const;
  constructor(readonly minval: number, readonly maxval: number, override readonly seed: number | null = null) { super(); }
  generate(shape: number[], _fans: Fans, rng: RandomSource, into?: Float32Array): Float32Array {
    const out = target(shape, into);
    this.source(rng).fillUniform(out, this.minval, this.maxval);
    return out;
  }
  serialize(): SerializedInit { return { kind: this.kind, minval: this.minval, maxval: this.maxval, seed: this.seed }; }
  describe(): string { return `Uniform(${fmt(this.minval)}, ${fmt(this.maxval)})`; }
}

/** N(mean, stddev) re-drawn outside mean ± 2·stddev (no std correction: Keras' TruncatedNormal). */
export class TruncatedNormalInit extends Base {
  readonly kind = 'truncated_normal' as const;
  constructor(readonly mean: number, readonly stddev: number, override readonly seed: number | null = null) { super(); }
  generate(shape: number[], _fans: Fans, rng: RandomSource, into?: Float32Array): Float32Array {
    const out = target(shape, into);
    this.source(rng).fillTruncatedNormal(out, this.mean, this.stddev);
    return out;
  }
  serialize(): SerializedInit { return { kind: this.kind, mean: this.mean, stddev: this.stddev, seed: this.seed }; }
  describe(): string { return `TruncatedNormal(mean=${fmt(this.mean)}, stddev=${fmt(this.stddev)})`; }
}

export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
/** `truncated_normal` honours `correctTruncation`; `untruncated_normal` is a plain normal. */
export type VsDistribution = 'uniform' | 'truncated_normal' | 'untruncated_normal';

export interface VarianceScalingParams {
  scale: number;
  mode: FanMode;
  distribution: VsDistribution;
  /** Divide the truncated std by 0.8796 (Keras ≥ 2.2, tf.keras, Keras 3) or not (Keras 2.0–2.1). */
  correctTruncation: boolean;
  seed?: number | null;
  inputAxes?: number[] | null;
  outputAxes?: number[] | null;
}

/** Keras' VarianceScaling: s = scale / n(mode), n clamped to ≥ 1. */
export class VarianceScalingInit extends Base {
  readonly kind = 'variance_scaling' as const;
  override readonly usesFans = true;
  override readonly seed: number | null;
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: VsDistribution;
  readonly correctTruncation: boolean;
  readonly inputAxes: number[] | null;
  readonly outputAxes: number[] | null;
  constructor(p: VarianceScalingParams) {
    super();
    this.scale = p.scale;
    this.mode = p.mode;
    this.distribution = p.distribution;
    this.correctTruncation = p.distribution === 'truncated_normal' ? p.correctTruncation : true;
    this.seed = p.seed ?? null;
    this.inputAxes = p.inputAxes ?? null;
    this.outputAxes = p.outputAxes ?? null;
  }
  /** The variance target s = scale / max(1, n). */
  variance(fans: Fans): number {
    const n = this.mode === 'fan_in' ? fans.fanIn : this.mode === 'fan_out' ? fans.fanOut : (fans.fanIn + fans.fanOut) / 2;
    return this.scale / Math.max(1, n);
  }
  generate(shape: number[], fans: Fans, rng: RandomSource, into?: Float32Array): Float32Array {
    const s = this.variance(fans);
    const out = target(shape, into);
    const src = this.source(rng);
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * s);
      src.fillUniform(out, -limit, limit);
    } else if (this.distribution === 'untruncated_normal') {
      src.fillNormal(out, 0, Math.sqrt(s));
    } else {
      src.fillTruncatedNormal(out, 0, this.correctTruncation ? Math.sqrt(s) / TRUNCATION_STD : Math.sqrt(s));
    }
    return out;
  }
  serialize(): SerializedInit {
    const o: SerializedInit = { kind: this.kind, scale: this.scale, mode: this.mode, distribution: this.distribution };
    if (this.distribution === 'truncated_normal') o.correctTruncation = this.correctTruncation;
    o.seed = this.seed;
    if (this.inputAxes || this.outputAxes) { o.inputAxes = this.inputAxes; o.outputAxes = this.outputAxes; }
    return o;
  }
  describe(): string {
    const corr = this.distribution === 'truncated_normal' && !this.correctTruncation ? ', no 0.88 std correction' : '';
    return `VarianceScaling(scale=${fmt(this.scale)}, mode=${this.mode}, distribution=${this.distribution}${corr})`;
  }
}

/**
 * Orthogonal(gain). `flatten: 'last'` = Keras ≥ 2 ((prod(shape[:-1]), shape[-1])); `'first'` = Keras 1
 * ((shape[0], prod(shape[1:]))), which differs only for kernels of rank > 2.
 */
export class OrthogonalInit extends Base {
  readonly kind = 'orthogonal' as const;
  constructor(readonly gain: number, override readonly seed: number | null = null, readonly flatten: 'last' | 'first' = 'last') { super(); }
  generate(shape: number[], _fans: Fans, rng: RandomSource, into?: Float32Array): Float32Array {
    if (shape.length < 2) {
      throw new InvalidConfigError(`Orthogonal initializer needs a weight of rank ≥ 2, got shape [${shape}]`, { hint: 'Keras raises the same error for this layer; use another initializer' });
    }
    const rows = this.flatten === 'last' ? count(shape.slice(0, -1)) : shape[0];
    const cols = this.flatten === 'last' ? shape[shape.length - 1] : count(shape.slice(1));
    let q: Float64Array;
    try {
      q = randomOrthogonal(rows, cols, this.source(rng));
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      throw new UnsupportedFeatureError(`${e.message} (weight shape [${shape}])`, { hint: 'load real weights for this layer instead of initializing it' });
    }
    const out = target(shape, into);
    for (let i = 0; i < q.length; i++) out[i] = this.gain * q[i];
    return out;
  }
  serialize(): SerializedInit { return { kind: this.kind, gain: this.gain, seed: this.seed, flatten: this.flatten }; }
  describe(): string { return `Orthogonal(gain=${fmt(this.gain)}${this.flatten === 'first' ? ', Keras 1 flattening' : ''})`; }
}

/**
 * Identity(gain), with the shape rule of the writing Keras:
 * 'square' (Keras 1, 2.0.0–2.2.2), 'tiled' (2.2.3–2.2.4: long side a multiple of the short one),
 * 'padded' (2.2.5+, tf.keras, Keras 3: rectangular eye).
 */
export class IdentityInit extends Base {
  readonly kind = 'identity' as const;
  constructor(readonly gain: number, readonly rule: 'square' | 'tiled' | 'padded' = 'padded') { super(); }
  generate(shape: number[], _fans?: Fans, _rng?: RandomSource, into?: Float32Array): Float32Array {
    const bad = (why: string) => new InvalidConfigError(`Identity initializer cannot fill shape [${shape}]: ${why}`, { hint: 'the Keras version that wrote this file raises the same error; use another initializer' });
    if (shape.length !== 2) throw bad('it needs a 2-D weight');
    const [r, c] = shape;
    const out = target(shape, into).fill(0);
    if (this.rule === 'square' && r !== c) throw bad('this Keras version only accepts square matrices');
    if (this.rule === 'tiled') {
      const lo = Math.min(r, c), hi = Math.max(r, c);
      if (lo === 0 || hi % lo !== 0) throw bad('this Keras version needs the long side to be a multiple of the short side');
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) if (i % lo === j % lo) out[i * c + j] = this.gain;
      return out;
    }
    for (let i = 0; i < Math.min(r, c); i++) out[i * c + i] = this.gain;
    return out;
  }
  serialize(): SerializedInit { return { kind: this.kind, gain: this.gain, rule: this.rule }; }
  describe(): string { return `Identity(gain=${fmt(this.gain)}${this.rule === 'padded' ? '' : `, ${this.rule}`})`; }
}

/**
 * Keras 3.7+ STFT kernel (STFTSpectrogram's real/imag kernels, shape (T, 1, K)).
 * Windows: none, 'hann', 'hamming' (scipy `get_window` with fftbins = periodic) or an explicit array.
 */
export class StftInit extends Base {
  readonly kind = 'stft' as const;
  constructor(readonly side: 'real' | 'imag', readonly window: string | number[] | null, readonly scaling: 'density' | 'spectrum' | null, readonly periodic: boolean) { super(); }
  generate(shape: number[], _fans?: Fans, _rng?: RandomSource, into?: Float32Array): Float32Array {
    if (shape.length !== 3) throw new InvalidConfigError(`STFT initializer needs a (frame_length, 1, bins) weight, got [${shape}]`);
    const [T, , K] = shape;
    const N = 2 * (K - 1);
    let w: number[] | null = null;
    if (Array.isArray(this.window)) w = this.window;
    else if (this.window !== null) w = stftWindow(this.window, T, this.periodic);
    let div = 1;
    if (w && this.scaling === 'density') div = Math.sqrt(w.reduce((a, b) => a + b * b, 0));
    else if (w && this.scaling === 'spectrum') div = w.reduce((a, b) => a + Math.abs(b), 0);
    const out = target(shape, into);
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < K; k++) {
        const arg = (-2 * Math.PI * t * k) / N;
        let v = this.side === 'real' ? Math.cos(arg) : Math.sin(arg);
        if (w) v = (v * w[t]) / div;
        for (let c = 0; c < shape[1]; c++) out[(t * shape[1] + c) * K + k] = v;
      }
    }
    return out;
  }
  serialize(): SerializedInit { return { kind: this.kind, side: this.side, window: this.window, scaling: this.scaling, periodic: this.periodic }; }
  describe(): string { return `STFT(side=${this.side}, window=${Array.isArray(this.window) ? 'array' : this.window}, scaling=${this.scaling}, periodic=${this.periodic})`; }
}

function stftWindow(name: string, T: number, periodic: boolean): number[] {
  const M = periodic ? T + 1 : T; // scipy: fftbins=True computes M+1 points and drops the last
  const a0 = name === 'hann' ? 0.5 : name === 'hamming' ? 0.54 : NaN;
  if (Number.isNaN(a0)) {
    throw new InvalidConfigError(`STFT window '${name}' is not implemented`, { hint: "use window='hann', 'hamming', null, or give the window as an array" });
  }
  const w: number[] = [];
  for (let n = 0; n < T; n++) w.push(M === 1 ? 1 : a0 - (1 - a0) * Math.cos((2 * Math.PI * n) / (M - 1)));
  return w;
}

/** Wraps a user-registered generator. */
export class CustomInit extends Base {
  readonly kind = 'custom' as const;
  override readonly usesFans = true;
  constructor(readonly name: string, private readonly fn: (shape: number[], fans: Fans, rng: RandomSource) => Float32Array | number[], readonly config: unknown) { super(); }
  generate(shape: number[], fans: Fans, rng: RandomSource, into?: Float32Array): Float32Array {
    const v = this.fn(shape, fans, rng);
    let out = v instanceof Float32Array ? v : Float32Array.from(v);
    if (out.length !== count(shape)) {
      throw new InvalidConfigError(`registered initializer '${this.name}' returned ${out.length} values for shape [${shape}] (${count(shape)} expected)`, { hint: 'fix the registered factory' });
    }
    if (into) { target(shape, into).set(out); out = into; }
    return out;
  }
  serialize(): SerializedInit { return { kind: this.kind, name: this.name, config: this.config }; }
  describe(): string { return `custom '${this.name}'`; }
}
