/**
 * Importing this module registers every built-in layer family with the registry.
 * Each family module calls registerBuilder() at import time; add one line per family.
 */
import './core.ts';
import './conv.ts';
import './pooling.ts';
import './reshaping.ts';
import './normalization.ts';
import './merge.ts';
import './activation.ts';
import './embedding.ts';
import './ops.ts';
import './preprocessing.ts';
import './recurrent.ts';
import './wrappers.ts';
import './attention.ts';
import './augmentation.ts';
import './adaptive-pooling.ts';
import './categorical.ts';

export { registerBuilder, getBuilder, registeredClassNames } from './registry.ts';
export type { LayerBuilder, BuildContext, BuildOptions } from './registry.ts';
export { registerCustomLayer, registerLambdaLayer, unregisterCustomLayer, unregisterLambdaLayer } from './custom.ts';
export type { CustomLayerFactory, CustomLayerOptions, LambdaFn, LambdaOptions } from './custom.ts';
export { registerActivation, unregisterActivation } from './common.ts';
