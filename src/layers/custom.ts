/**
 * User-supplied implementations for layers a file cannot give us: custom classes (incl. quantized
 * QKeras/hls4ml layers) through `registerCustomLayer`, and `Lambda` layers (Python bytecode we never
 * execute) through `registerLambdaLayer`. Everything else unknown is an UnsupportedLayerError that
 * says which of the two to use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { UnsupportedLayerError } from '../errors.ts';
import type { LayerSpec } from '../spec/types.ts';
import type { BuildContext, LayerBuilder } from './registry.ts';

/** Makes the tfjs layer for one Keras layer of a custom class. `config` is the normalized config. */
export type CustomLayerFactory = (config: Record<string, unknown>, layer: LayerSpec) => layers.Layer;

export interface CustomLayerOptions {
  /**
   * Convert the layer's stored Keras weights (Keras order) into what the tfjs layer's setWeights
   * expects. Default: the stored weights as they are.
   */
  convertWeights?: (weights: tf.Tensor[], layer: LayerSpec, tfLayer: layers.Layer) => tf.Tensor[];
}

export type LambdaFn = (inputs: tf.Tensor | tf.Tensor[]) => tf.Tensor | tf.Tensor[];

export interface LambdaOptions {
  /**
   * Output shape (batch dimension included, null where unknown) for the given input shape(s).
   * Default: found by running `fn` once on zeros (unknown dimensions set to 1; the batch stays null).
   */
  outputShape?: (inputShape: (number | null)[] | (number | null)[][]) => (number | null)[] | (number | null)[][];
}

const customBuilders = new Map<string, LayerBuilder>();
const lambdas = new Map<string, { fn: LambdaFn; opts: LambdaOptions }>();

/**
 * Supply the implementation of a Keras layer class the importer does not know (a custom class,
 * a QKeras/hls4ml quantized layer, …) or replace a built-in one. `className` is the config's
 * `class_name` or the Keras 3 `registered_name` (e.g. "my_pkg>MyLayer").
 */
export function registerCustomLayer(className: string, factory: CustomLayerFactory, opts: CustomLayerOptions = {}): void {
  customBuilders.set(className, {
    classNames: [className],
    create: (layer) => factory(layer.config ?? {}, layer),
    convertWeights: opts.convertWeights
      ? (layer, tfLayer) => opts.convertWeights!(layer.weights.map((w) => tf.tensor(w.values, w.shape, 'float32')), layer, tfLayer)
      : undefined,
  });
}

export function unregisterCustomLayer(className: string): void {
  customBuilders.delete(className);
}

/**
 * Supply the function of a `Lambda` layer (or an unknown TF op layer), by layer name. The function
 * gets the layer's input tensor (or list) and returns the output; it runs inside tf.tidy.
 */
export function registerLambdaLayer(layerName: string, fn: LambdaFn, opts: LambdaOptions = {}): void {
  lambdas.set(layerName, { fn, opts });
}

export function unregisterLambdaLayer(layerName: string): void {
  lambdas.delete(layerName);
}

/** The user's builder for this layer, if any (custom classes first, then lambdas by layer name). */
export function userBuilderFor(layer: LayerSpec): LayerBuilder | undefined {
  const byReg = layer.registeredName ? customBuilders.get(layer.registeredName) : undefined;
  const b = byReg ?? customBuilders.get(layer.className);
  if (b) return b;
  const lam = lambdas.get(layer.name);
  if (lam) {
    return { classNames: [layer.className], create: (l) => new LambdaLayer({ name: l.name, trainable: l.trainable !== false, fn: lam.fn, outputShape: lam.opts.outputShape }) };
  }
  return undefined;
}

/** Runs a user-supplied function as a weightless tfjs layer. */
export class LambdaLayer extends layers.Layer {
  static className = 'KerasLambda';
  private readonly fn: LambdaFn;
  private readonly shapeFn?: LambdaOptions['outputShape'];
  constructor(args: { name: string; trainable?: boolean; fn: LambdaFn; outputShape?: LambdaOptions['outputShape'] }) {
    super({ name: args.name, trainable: args.trainable });
    this.fn = args.fn;
    this.shapeFn = args.outputShape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => this.fn(Array.isArray(inputs) && inputs.length === 1 ? inputs[0] : inputs));
  }
  override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[] | (number | null)[][] {
    if (this.shapeFn) return this.shapeFn(inputShape);
    // Probe: run the function once on zeros of the input shape (unknown sizes → 1, batch kept null).
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as (number | null)[][];
    const xs = shapes.map((s) => tf.zeros(s.map((d) => d ?? 1)));
    const y = tf.tidy(() => this.fn(xs.length === 1 ? xs[0] : xs));
    const toShape = (t: tf.Tensor) => t.shape.map((d, i) => (i === 0 && shapes[0][0] === null ? null : d));
    const out = Array.isArray(y) ? y.map(toShape) : toShape(y);
    tf.dispose([xs, y]);
    return out;
  }
}
tf.serialization.registerClass(LambdaLayer);

const QUANTIZED = /^(Q[A-Z]\w*|Binary\w+|Ternary\w+|FixedPointQuantizer|Quant\w*)$/;
const OPS = new Set(['TFOpLambda', 'TensorFlowOpLayer', 'SlicingOpLambda', 'ClassMethod', 'InstanceMethod', 'InstanceProperty']);

/** The typed error for a layer we cannot run, saying how to supply an implementation. */
export function unsupportedLayerError(layer: LayerSpec, ctx: BuildContext, detail?: string): UnsupportedLayerError {
  const cls = layer.registeredName ?? layer.className;
  let why: string;
  let hint: string;
  if (layer.className === 'Lambda') {
    why = 'is a Lambda layer: its function is Python code stored in the file, which is never executed';
    hint = `supply the function: registerLambdaLayer('${layer.name}', (inputs) => …) before importing`;
  } else if (OPS.has(layer.className)) {
    why = `is a TensorFlow op layer${detail ? ` (${detail})` : ''} that keras-import has no implementation for`;
    hint = `supply the op: registerLambdaLayer('${layer.name}', (inputs) => …) before importing`;
  } else if (QUANTIZED.test(layer.className)) {
    why = `has the quantized layer class '${cls}' (QKeras / hls4ml / Larq), which is not built in`;
    hint = `supply an implementation: registerCustomLayer('${cls}', (config, layer) => new MyLayer(config)) before importing`;
  } else if (layer.module && /ops/.test(layer.module)) {
    why = `is the Keras op '${layer.module}.${layer.className}' that keras-import has no implementation for`;
    hint = `supply it: registerLambdaLayer('${layer.name}', (inputs) => …) before importing`;
  } else {
    why = `has the class '${cls}', which is not a built-in Keras layer keras-import knows${detail ? ` (${detail})` : ''}`;
    hint = `supply an implementation: registerCustomLayer('${cls}', (config, layer) => new MyLayer(config)) before importing`;
  }
  const err = new UnsupportedLayerError(`layer '${layer.name}' (class ${cls}) ${why}`, { file: ctx.source, layer: layer.name, hint });
  (err as UnsupportedLayerError & { className?: string }).className = cls;
  return err;
}
