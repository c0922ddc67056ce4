/**
 * Layer builder registry: one `LayerBuilder` per Keras class (or group of classes). Family modules
 * (core, conv, recurrent, …) call `registerBuilder` when imported; src/layers/index.ts imports them all.
 *
 * A builder turns a normalized LayerSpec into a tfjs layer, and (optionally) converts the stored Keras
 * weights into the values and order tfjs' `layer.setWeights` expects.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { layers } from '@tensorflow/tfjs-layers';
import type { LayerSpec, ModelSpec } from '../spec/types.ts';

export interface BuildOptions {
  /** Treat conv kernels as Theano-trained (flipped) where the file does not record the backend (Keras 1). */
  theano?: boolean;
  /** Input shapes (without batch dimension … or with a leading null) when the file has none. */
  inputShapes?: (number | null)[][];
  /** Seed for architecture-only weight initialization. */
  seed?: number;
  /** Receives notes about settings that tfjs cannot reproduce (they never change inference results). */
  warn?: (message: string) => void;
}

export interface BuildContext {
  spec: ModelSpec;
  /** File name / label for error messages. */
  source: string;
  kerasMajor: 1 | 2 | 3;
  /** Backend that wrote the file (spec.backend, or 'theano' when options.theano). */
  backend: string | null;
  options: BuildOptions;
}

export interface LayerBuilder {
  classNames: string[];
  /** Create the tfjs layer for this Keras layer (not yet built). */
  create(layer: LayerSpec, ctx: BuildContext): layers.Layer;
  /**
   * Convert the stored Keras weights (layer.weights, Keras order) into the values tfjs'
   * layer.setWeights expects, in its order. Omit when identical. Called after the layer is built.
   */
  convertWeights?(layer: LayerSpec, tfLayer: layers.Layer, ctx: BuildContext): tf.Tensor[];
}

const builders = new Map<string, LayerBuilder>();

export function registerBuilder(builder: LayerBuilder): void {
  for (const name of builder.classNames) builders.set(name, builder);
}

/**
 * The builder for a Keras class. `module` (Keras 3) is accepted so ops (keras.src.ops.*) can be told
 * apart from layers of the same name; an op node is looked up as `op:<module-tail>.<name>` first.
 */
export function getBuilder(className: string, module?: string | null): LayerBuilder | undefined {
  if (module && /(^|\.)ops(\.|$)/.test(module)) {
    const tail = module.split('.').pop();
    return builders.get(`op:${tail}.${className}`) ?? builders.get(`op:${className}`);
  }
  return builders.get(className);
}

/** All registered class names (for diagnostics and tests). */
export function registeredClassNames(): string[] {
  return [...builders.keys()].sort();
}
