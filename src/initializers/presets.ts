/**
 * `WeightInit`: named presets of the implementations. A mapped Keras initializer reports the preset
 * whose implementation and parameters equal its own, or null when no preset fits (then the
 * implementation with its parameters is the answer). docs/initializers.md is the contract.
 */
import {
  ConstantInit, IdentityInit, NormalInit, OrthogonalInit, TruncatedNormalInit, UniformInit, VarianceScalingInit,
  type IWeightInit, type FanMode, type VsDistribution,
} from './impls.ts';

export enum WeightInit {
  /** Constant 0 (Keras zeros / Zeros / zero, Constant(0)). */
  ZERO = 'ZERO',
  /** Constant 1 (ones / Ones / one, Constant(1)). */
  ONES = 'ONES',
  /** N(0, 0.05) untruncated: RandomNormal() defaults, Keras 1 `normal`. */
  NORMAL = 'NORMAL',
  /** U(−0.05, 0.05): RandomUniform() defaults, Keras 1 `uniform`, the Embedding default. */
  UNIFORM = 'UNIFORM',
  /** N(0, 0.05) re-drawn beyond ±2σ, no std correction: TruncatedNormal() defaults. */
  TRUNCATED_NORMAL = 'TRUNCATED_NORMAL',
  /** gain·I (rectangular eye: Keras ≥ 2.2.5), gain 1. */
  IDENTITY = 'IDENTITY',
  /** Square-only identity, gain 1 (Keras 1, Keras 2.0.0–2.2.2). */
  IDENTITY_SQUARE = 'IDENTITY_SQUARE',
  /** Long side a multiple of the short side, tiled identities, gain 1 (Keras 2.2.3–2.2.4). */
  IDENTITY_TILED = 'IDENTITY_TILED',
  /** Haar orthogonal, gain 1 (Keras ≥ 2 Orthogonal()). */
  ORTHOGONAL = 'ORTHOGONAL',
  /** Keras 1 `orthogonal`: gain 1.1, flattened as (shape[0], prod(shape[1:])). */
  ORTHOGONAL_KERAS1 = 'ORTHOGONAL_KERAS1',
  /** U(±sqrt(3/fan_in)). */
  LECUN_UNIFORM = 'LECUN_UNIFORM',
  /** Truncated normal with std sqrt(1/fan_in) after truncation (Keras ≥ 2.2). */
  LECUN_NORMAL = 'LECUN_NORMAL',
  /** glorot_normal: truncated normal with std sqrt(2/(fan_in+fan_out)) after truncation (Keras ≥ 2.2). */
  XAVIER = 'XAVIER',
  /** glorot_uniform: U(±sqrt(6/(fan_in+fan_out))), all versions. */
  XAVIER_UNIFORM = 'XAVIER_UNIFORM',
  /** he_normal: truncated normal with std sqrt(2/fan_in) after truncation (Keras ≥ 2.2). */
  RELU = 'RELU',
  /** he_uniform: U(±sqrt(6/fan_in)), all versions. */
  RELU_UNIFORM = 'RELU_UNIFORM',
  /** Keras 1 glorot_normal: untruncated N(0, sqrt(2/(fan_in+fan_out))). */
  XAVIER_UNTRUNCATED = 'XAVIER_UNTRUNCATED',
  /** Keras 1 he_normal: untruncated N(0, sqrt(2/fan_in)). */
  RELU_UNTRUNCATED = 'RELU_UNTRUNCATED',
  /** Keras 2.0–2.1 lecun_normal: N(0, sqrt(1/fan_in)) truncated at ±2σ without correction. */
  LECUN_NORMAL_UNCORRECTED = 'LECUN_NORMAL_UNCORRECTED',
  /** Keras 2.0–2.1 glorot_normal (no truncation correction). */
  XAVIER_UNCORRECTED = 'XAVIER_UNCORRECTED',
  /** Keras 2.0–2.1 he_normal (no truncation correction). */
  RELU_UNCORRECTED = 'RELU_UNCORRECTED',
}

const vs = (scale: number, mode: FanMode, distribution: VsDistribution, correctTruncation = true) =>
  () => new VarianceScalingInit({ scale, mode, distribution, correctTruncation });

/** Factory of each preset's implementation (unseeded). */
export const PRESETS: Record<WeightInit, () => IWeightInit> = {
  [WeightInit.ZERO]: () => new ConstantInit(0),
  [WeightInit.ONES]: () => new ConstantInit(1),
  [WeightInit.NORMAL]: () => new NormalInit(0, 0.05),
  [WeightInit.UNIFORM]: () => new UniformInit(-0.05, 0.05),
  [WeightInit.TRUNCATED_NORMAL]: () => new TruncatedNormalInit(0, 0.05),
  [WeightInit.IDENTITY]: () => new IdentityInit(1, 'padded'),
  [WeightInit.IDENTITY_SQUARE]: () => new IdentityInit(1, 'square'),
  [WeightInit.IDENTITY_TILED]: () => new IdentityInit(1, 'tiled'),
  [WeightInit.ORTHOGONAL]: () => new OrthogonalInit(1),
  [WeightInit.ORTHOGONAL_KERAS1]: () => new OrthogonalInit(1.1, null, 'first'),
  [WeightInit.LECUN_UNIFORM]: vs(1, 'fan_in', 'uniform'),
  [WeightInit.LECUN_NORMAL]: vs(1, 'fan_in', 'truncated_normal'),
  [WeightInit.XAVIER]: vs(1, 'fan_avg', 'truncated_normal'),
  [WeightInit.XAVIER_UNIFORM]: vs(1, 'fan_avg', 'uniform'),
  [WeightInit.RELU]: vs(2, 'fan_in', 'truncated_normal'),
  [WeightInit.RELU_UNIFORM]: vs(2, 'fan_in', 'uniform'),
  [WeightInit.XAVIER_UNTRUNCATED]: vs(1, 'fan_avg', 'untruncated_normal'),
  [WeightInit.RELU_UNTRUNCATED]: vs(2, 'fan_in', 'untruncated_normal'),
  [WeightInit.LECUN_NORMAL_UNCORRECTED]: vs(1, 'fan_in', 'truncated_normal', false),
  [WeightInit.XAVIER_UNCORRECTED]: vs(1, 'fan_avg', 'truncated_normal', false),
  [WeightInit.RELU_UNCORRECTED]: vs(2, 'fan_in', 'truncated_normal', false),
};

/** Build a preset's implementation. */
export function presetInit(w: WeightInit): IWeightInit {
  return PRESETS[w]();
}

const keyOf = (init: IWeightInit): string => {
  const { seed: _seed, ...rest } = init.serialize();
  return JSON.stringify(rest);
};
let presetKeys: Map<string, WeightInit> | null = null;

/** The preset with exactly this implementation and these parameters (a seed does not matter), or null. */
export function matchPreset(init: IWeightInit): WeightInit | null {
  if (!presetKeys) {
    presetKeys = new Map();
    for (const w of Object.values(WeightInit)) presetKeys.set(keyOf(PRESETS[w]()), w);
  }
  return presetKeys.get(keyOf(init)) ?? null;
}
