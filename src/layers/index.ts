/**
 * Importing this module registers every built-in layer family with the registry.
 * Each family module calls registerBuilder() at import time; add one line per family.
 */
export { registerBuilder, getBuilder, registeredClassNames } from './registry.ts';
export type { LayerBuilder, BuildContext, BuildOptions } from './registry.ts';
import './recurrent.ts';
