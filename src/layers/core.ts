/**
 * Core layers: Dense, Activation, dropout/noise family, Flatten, Reshape, Permute, RepeatVector,
 * Masking, ActivityRegularization, Identity. Stock tfjs layers wherever they match Keras exactly, so
 * an imported model runs as fast as one written with the tfjs-layers API.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { applyActivation, baseArgs, Cfg, clean, one, oneShape, tfActivation, tfRegularizer, weightArgs } from './common.ts';

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
    // the penalty itself cannot be attached (tfjs refuses activity regularizers); identity at inference
    if (l1 || l2) ctx.options.warn?.(`layer '${layer.name}': ActivityRegularization(l1=${l1}, l2=${l2}) is not applied in training (tfjs does not support activity regularizers)`);
    return new ActivityRegularization({ ...baseArgs(layer) });
  },
});

registerBuilder({
  classNames: ['Identity'],
  create(layer) {
    return new Identity({ ...baseArgs(layer) });
  },
});


/* ------------------------------------------------------------------ EinsumDense */

/**
 * `x ⨉ kernel` for an einsum equation "<in>,<kernel>-><out>", computed with one batched matMul:
 * labels shared by x, kernel and output are batch labels, labels of x and kernel missing from the
 * output are contracted, the rest are free. (tfjs' own einsum kernel exists on cpu only.)
 */
export function einsumMatmul(eq: string, x: tf.Tensor, k: tf.Tensor): tf.Tensor {
  const [lhs, out] = eq.split('->');
  let [lx, lk] = lhs.split(',');
  let lo = out;
  if (lx.includes('...')) {
    // the ellipsis stands for x's leading dimensions: give them fresh labels
    const n = x.rank - (lx.length - 3);
    const fresh = Array.from({ length: n }, (_, i) => String.fromCharCode(0x3b1 + i)).join('');
    lx = lx.replace('...', fresh);
    lo = lo.replace('...', fresh);
    lk = lk.replace('...', '');
  }
  const size: Record<string, number> = {};
  [...lx].forEach((c, i) => { size[c] = x.shape[i]; });
  [...lk].forEach((c, i) => { size[c] = k.shape[i]; });
  const B = [...lx].filter((c) => lk.includes(c) && lo.includes(c));
  const C = [...lx].filter((c) => lk.includes(c) && !lo.includes(c));
  const Fx = [...lx].filter((c) => !lk.includes(c));
  const Fk = [...lk].filter((c) => !lx.includes(c));
  const prod = (ls: string[]) => ls.reduce((p, c) => p * size[c], 1);
  const xt = tf.reshape(tf.transpose(x, [...B, ...Fx, ...C].map((c) => lx.indexOf(c))), [prod(B), prod(Fx), prod(C)]);
  const kt = tf.reshape(tf.transpose(k, [...B, ...C, ...Fk].map((c) => lk.indexOf(c))), [prod(B), prod(C), prod(Fk)]);
  const y = tf.reshape(tf.matMul(xt as tf.Tensor3D, kt as tf.Tensor3D), [...B, ...Fx, ...Fk].map((c) => size[c]));
  const order = [...B, ...Fx, ...Fk];
  return tf.transpose(y, [...lo].map((c) => order.indexOf(c)));
}

/** Keras EinsumDense (kernel and optional bias shaped from the equation, output_shape and bias_axes). */
export class EinsumDense extends layers.Layer {
  static className = 'KerasEinsumDense';
  private kernel: { read(): tf.Tensor } | null = null;
  private bias: { read(): tf.Tensor } | null = null;
  private outFull: (number | null)[] = [];
  constructor(readonly o: { name: string; trainable: boolean; equation: string; outputShape: (number | null)[]; biasAxes: string | null; activation: ReturnType<typeof tfActivation> }) {
    super({ name: o.name, trainable: o.trainable });
  }
  /** Keras' _analyze_einsum_string: full output shape, kernel shape, bias shape. */
  private analyze(inputShape: (number | null)[]): { out: (number | null)[]; kernel: number[]; bias: number[] | null } {
    const [lhs, outSpec] = this.o.equation.split('->');
    let [inSpec, kSpec] = lhs.split(',');
    let oSpec = outSpec;
    if (inSpec.includes('...')) {
      const n = inputShape.length - (inSpec.length - 3);
      const fresh = Array.from({ length: n }, (_, i) => String.fromCharCode(0x3b1 + i)).join('');
      inSpec = inSpec.replace('...', fresh); oSpec = oSpec.replace('...', fresh); kSpec = kSpec.replace('...', '');
    }
    // output_shape excludes the batch dimension; with an ellipsis it gives the trailing dims
    const given = this.o.outputShape;
    const out: (number | null)[] = [...oSpec].map((c, i) => {
      const j = i - (oSpec.length - given.length);
      const g = j >= 0 ? given[j] : null;
      if (g !== null && g !== undefined) return g;
      const ix = inSpec.indexOf(c);
      return ix >= 0 ? inputShape[ix] : null;
    });
    const dim = (c: string) => {
      const ix = inSpec.indexOf(c);
      const d = ix >= 0 ? inputShape[ix] : out[oSpec.indexOf(c)];
      if (d === null || d === undefined) throw new Error(`EinsumDense: size of '${c}' in ${this.o.equation} is unknown`);
      return d;
    };
    const kernel = [...kSpec].map(dim);
    let bias: number[] | null = null;
    if (this.o.biasAxes) {
      const first = Math.min(...[...this.o.biasAxes].map((c) => oSpec.indexOf(c)));
      bias = [...oSpec.slice(first)].map((c) => (this.o.biasAxes!.includes(c) ? dim(c) : 1));
    }
    return { out, kernel, bias };
  }
  override build(inputShape: (number | null)[] | (number | null)[][]): void {
    const a = this.analyze(oneShape(inputShape));
    this.outFull = a.out;
    this.kernel = this.addWeight('kernel', a.kernel, 'float32', initializers.zeros(), undefined, true) as unknown as { read(): tf.Tensor };
    if (a.bias) this.bias = this.addWeight('bias', a.bias, 'float32', initializers.zeros(), undefined, true) as unknown as { read(): tf.Tensor };
    this.built = true;
  }
  override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[] {
    return this.analyze(oneShape(inputShape)).out;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let y = einsumMatmul(this.o.equation, one(inputs), this.kernel!.read());
      if (this.bias) y = tf.add(y, this.bias.read());
      return applyActivation(this.o.activation, y);
    });
  }
}
tf.serialization.registerClass(EinsumDense);

registerBuilder({
  classNames: ['EinsumDense'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const os = c.raw('output_shape');
    const outputShape = (typeof os === 'number' ? [os] : Array.isArray(os) ? os : null) as (number | null)[] | null;
    if (!outputShape) throw c.bad('output_shape', 'must be an int or a list');
    const bias = c.raw('bias_axes');
    return new EinsumDense({ ...baseArgs(layer), equation: c.str('equation'), outputShape, biasAxes: typeof bias === 'string' && bias ? bias : null, activation: tfActivation(c.c.activation, ctx, layer.name) });
  },
});
