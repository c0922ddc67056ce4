/**
 * Core layers: Dense, Activation, dropout/noise family, Flatten, Reshape, Permute, RepeatVector,
 * Masking, ActivityRegularization, Identity. Stock tfjs layers wherever they match Keras exactly, so
 * an imported model runs as fast as one written with the tfjs-layers API.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { baseArgs, Cfg, clean, one, oneShape, tfActivation, tfRegularizer, weightArgs } from './common.ts';

type Kwargs = Record<string, unknown>;

/** Identity at inference; drops whole feature maps (channels) while training, like Keras' SpatialDropoutND. */
export class SpatialDropout extends layers.Layer {
  static className = 'KerasSpatialDropout';
  readonly rate: number;
  readonly channelsFirst: boolean;
  constructor(args: { rate: number; channelsFirst: boolean; name?: string; trainable?: boolean }) {
    super(args);
    this.rate = args.rate;
    this.channelsFirst = args.channelsFirst;
  }
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = one(inputs);
    if (!kwargs?.training || this.rate <= 0) return x;
    return tf.tidy(() => {
      const noise = x.shape.map((d, i) => (i === 0 || i === (this.channelsFirst ? 1 : x.rank - 1) ? d : 1));
      return tf.dropout(x, this.rate, noise);
    });
  }
  override getConfig() {
    return { ...super.getConfig(), rate: this.rate, channelsFirst: this.channelsFirst };
  }
}
tf.serialization.registerClass(SpatialDropout);

/** Identity in the forward pass; adds Keras' l1/l2 activity penalty while training. */
export class ActivityRegularization extends layers.Layer {
  static className = 'KerasActivityRegularization';
  constructor(args: Record<string, unknown>) {
    super(args);
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return one(inputs);
  }
}
tf.serialization.registerClass(ActivityRegularization);

/** Passes its input through unchanged (Keras `Identity`, `InputSpec`-free placeholders). */
export class Identity extends layers.Layer {
  static className = 'KerasIdentity';
  constructor(args: Record<string, unknown>) {
    super(args);
    this.supportsMasking = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return inputs;
  }
}
tf.serialization.registerClass(Identity);

registerBuilder({
  classNames: ['Dense', 'TimeDistributedDense'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return layers.dense(clean({
      ...baseArgs(layer),
      ...weightArgs(c),
      units: c.int('units', c.has('output_dim') ? c.int('output_dim') : undefined),
      activation: tfActivation(c.c.activation, ctx, layer.name) as never,
      useBias: c.bool('use_bias', c.bool('bias', true)),
    }) as never);
  },
});

registerBuilder({
  classNames: ['Activation'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return layers.activation({ ...baseArgs(layer), activation: tfActivation(c.c.activation, ctx, layer.name) as never });
  },
});

registerBuilder({
  classNames: ['Dropout'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return layers.dropout({ ...baseArgs(layer), rate: c.num('rate', c.num('p', 0.5)) });
  },
});

registerBuilder({
  classNames: ['SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return new SpatialDropout({ ...baseArgs(layer), rate: c.num('rate', c.num('p', 0.5)), channelsFirst: c.dataFormat() === 'channelsFirst' });
  },
});

registerBuilder({
  classNames: ['GaussianNoise'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return layers.gaussianNoise({ ...baseArgs(layer), stddev: c.num('stddev', c.num('sigma', 0)) });
  },
});

registerBuilder({
  classNames: ['GaussianDropout'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return layers.gaussianDropout({ ...baseArgs(layer), rate: c.num('rate', c.num('p', 0)) });
  },
});

registerBuilder({
  classNames: ['AlphaDropout'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return layers.alphaDropout({ ...baseArgs(layer), rate: c.num('rate', 0) });
  },
});

registerBuilder({
  classNames: ['Flatten'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return layers.flatten({ ...baseArgs(layer), dataFormat: c.dataFormat() });
  },
});

/** Keras Reshape: resolves a -1 dimension from the known input size (tfjs leaves it unknown). */
export class Reshape extends layers.Layer {
  static className = 'KerasReshape';
  readonly targetShape: number[];
  constructor(args: { name: string; trainable: boolean; targetShape: number[] }) {
    super(args);
    this.targetShape = args.targetShape;
  }
  override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[] {
    const s = oneShape(inputShape);
    const known = s.slice(1).every((d) => d !== null);
    const total = known ? (s.slice(1) as number[]).reduce((a, b) => a * b, 1) : null;
    const fixed = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    return [s[0], ...this.targetShape.map((d) => (d === -1 ? (total === null ? null : total / fixed) : d))];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    return tf.reshape(x, [x.shape[0], ...this.targetShape]);
  }
  override getConfig() {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
}
tf.serialization.registerClass(Reshape);

registerBuilder({
  classNames: ['Reshape'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const target = c.raw('target_shape');
    if (!Array.isArray(target) || !target.every((d) => typeof d === 'number' && Number.isInteger(d))) throw c.bad('target_shape', 'must be a list of integers');
    if (!target.includes(-1)) return layers.reshape({ ...baseArgs(layer), targetShape: target as number[] });
    return new Reshape({ ...baseArgs(layer), targetShape: target as number[] });
  },
});

registerBuilder({
  classNames: ['Permute'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const dims = c.raw('dims');
    if (!Array.isArray(dims)) throw c.bad('dims', 'must be a list of integers');
    return layers.permute({ ...baseArgs(layer), dims: dims as number[] });
  },
});

registerBuilder({
  classNames: ['RepeatVector'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return layers.repeatVector({ ...baseArgs(layer), n: c.int('n') });
  },
});

registerBuilder({
  classNames: ['Masking'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return layers.masking({ ...baseArgs(layer), maskValue: c.num('mask_value', 0) });
  },
});

registerBuilder({
  classNames: ['ActivityRegularization'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const l1 = c.num('l1', 0), l2 = c.num('l2', 0);
    return new ActivityRegularization({ ...baseArgs(layer), activityRegularizer: tfRegularizer({ class_name: 'L1L2', config: { l1, l2 } }, ctx, layer.name) });
  },
});

registerBuilder({
  classNames: ['Identity'],
  create(layer) {
    return new Identity({ ...baseArgs(layer) });
  },
});

