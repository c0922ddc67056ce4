/**
 * keras-import: the public library API.
 *
 * Reading (bytes or paths → ModelSpec): importKerasModelConfiguration, importKerasModelAndWeights,
 * importKerasSequentialModelAndWeights. Running (→ tfjs LayersModel): importModel, createModel.
 * Describing: summarizeModel / renderSummary, describeLayerInitializers.
 */
export {
  importKerasModelConfiguration, importKerasModelAndWeights, importKerasSequentialModelAndWeights, readModelFile,
  type ImportOptions as ReadOptions,
} from './import.ts';
export { importModel, createModel, type ImportOptions, type CreateOptions, type ImportInfo } from './model/index.ts';
export { useBackend, DEFAULT_BACKEND } from './runtime/backend.ts';
export { summarizeModel, renderSummary, type ModelSummary, type LayerSummary } from './spec/summary.ts';
export { inferModelShapes, inferLayerOutputShapes, inferWeightShapes } from './spec/shapes/index.ts';
export * from './initializers/index.ts';
export {
  registerCustomLayer, registerLambdaLayer, unregisterCustomLayer, unregisterLambdaLayer,
  registerActivation, unregisterActivation, registeredClassNames,
  type CustomLayerFactory, type CustomLayerOptions, type LambdaFn, type LambdaOptions,
} from './layers/index.ts';
export * from './errors.ts';
export type * from './spec/types.ts';
export { parseNpy, writeNpy, type NpyArray } from './io/npy.ts';
