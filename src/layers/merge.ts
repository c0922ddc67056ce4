/**
 * Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot. Keras 1
 * `Merge` with a named mode arrives already renamed by the normalizer; a `Merge` still here has a
 * Python-function mode and cannot run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { baseArgs, Cfg } from './common.ts';
import { unsupportedLayerError } from './custom.ts';

type Shape = (number | null)[];

/** a − b (tfjs has no Subtract layer). */
export class Subtract extends layers.Layer {
  static className = 'KerasSubtract';
  constructor(args: { name: string; trainable: boolean }) {
    super(args);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [a, b] = inputShape as Shape[];
    return a.map((d, i) => (d === null ? b[i] : d));
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [a, b] = inputs as tf.Tensor[];
    return tf.sub(a, b);
  }
}
tf.serialization.registerClass(Subtract);

const SIMPLE: Record<string, (a: { name: string; trainable: boolean }) => layers.Layer> = {
  Add: (a) => layers.add(a),
  Multiply: (a) => layers.multiply(a),
  Average: (a) => layers.average(a),
  Maximum: (a) => layers.maximum(a),
  Minimum: (a) => layers.minimum(a),
  Subtract: (a) => new Subtract(a),
};

registerBuilder({
  classNames: Object.keys(SIMPLE),
  create(layer) {
    return SIMPLE[layer.className](baseArgs(layer));
  },
});

// tfjs' Concatenate class (not exported), for a subclass that keeps its mask handling.
const ConcatenateBase = layers.concatenate().constructor as unknown as new (args: Record<string, unknown>) => layers.Layer;

/** tfjs refuses [N,10,10] with [N,None,6] at build time; Keras accepts unknown dims as compatible. */
export class Concatenate extends ConcatenateBase {
  static className = 'KerasConcatenate';
  override build(): void {
    this.built = true;
  }
}
tf.serialization.registerClass(Concatenate as never);

registerBuilder({
  classNames: ['Concatenate'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return new Concatenate({ ...baseArgs(layer), axis: c.int('axis', -1) });
  },
});

registerBuilder({
  classNames: ['Dot'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const axes = c.raw('axes');
    if (!(typeof axes === 'number' || (Array.isArray(axes) && axes.length === 2 && axes.every((x) => typeof x === 'number')))) throw c.bad('axes', 'must be an int or two ints');
    return layers.dot({ ...baseArgs(layer), axes: axes as number | [number, number], normalize: c.bool('normalize', false) });
  },
});

registerBuilder({
  classNames: ['Merge'],
  create(layer, ctx) {
    throw unsupportedLayerError(layer, ctx, `Keras 1 Merge with mode ${JSON.stringify(layer.config.mode)}: a Python function`);
  },
});
