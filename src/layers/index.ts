/**
 * Importing this module registers every built-in layer family with the registry.
 * Each family module calls registerBuilder() at import time; add one line per family.
 */
import './core.ts';

export { registerBuilder, getBuilder, registeredClassNames } from './registry.ts';
export type { LayerBuilder, BuildContext, BuildOptions } from './registry.ts';
export { registerCustomLayer, registerLambdaLayer, unregisterCustomLayer, unregisterLambdaLayer } from './custom.ts';
export type { CustomLayerFactory, CustomLayerOptions, LambdaFn, LambdaOptions } from './custom.ts';
