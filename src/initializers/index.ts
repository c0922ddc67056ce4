/**
 * Weight initializers: every Keras initializer (Keras 1 … 3.15) mapped to a `WeightInit` preset or
 * an `IWeightInit` implementation, reproduced with the semantics of the Keras that wrote the file.
 * Pure TypeScript (no Node APIs): usable in browsers.
 */
export { createRandom, type RandomSource } from './random.ts';
export { computeFans, eraOf, type Fans, type FanOptions, type KernelLayout, type KerasEra } from './fans.ts';
export {
  ConstantInit, CustomInit, IdentityInit, NormalInit, OrthogonalInit, StftInit, TruncatedNormalInit, UniformInit,
  VarianceScalingInit, TRUNCATION_STD,
  type IWeightInit, type InitKind, type SerializedInit, type FanMode, type VsDistribution, type VarianceScalingParams,
} from './impls.ts';
export { WeightInit, PRESETS, presetInit, matchPreset } from './presets.ts';
export {
  mapInitializer, registerInitializer, unregisterInitializer,
  type MapContext, type MappedInitializer, type InitializerFactory, type GenerateFn,
} from './mapping.ts';
export {
  describeLayerInitializers, mapLayerInitializers, initializeWeights,
  type InitializerSummary, type WeightShapeEntry, type LayerInitOptions,
} from './layers.ts';
export { randomOrthogonal, householderQ } from './qr.ts';
