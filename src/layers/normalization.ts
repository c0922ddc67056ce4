/**
 * Normalization: BatchNormalization (Keras 1 `running_std` included), LayerNormalization,
 * UnitNormalization.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers } from '@tensorflow/tfjs-layers';
import { registerBuilder } from './registry.ts';
import { baseArgs, Cfg, clean, DerivedTensors, one, recordingGradients, storedTensors, tfConstraint, tfRegularizer } from './common.ts';

// tfjs' BatchNormalization class (not exported): taken from an instance so the subclass keeps its
// weights, training path and serialization.
const BatchNormBase = layers.batchNormalization({}).constructor as unknown as new (args: Record<string, unknown>) => layers.Layer;

/**
 * tfjs' inference kernels broadcast the statistics along the last axis only (a channels_first BN
 * gives wrong numbers on cpu) and stop at rank 4; other axes/ranks use plain broadcasting ops.
 */
export class KerasBatchNormalization extends BatchNormBase {
  static className = 'KerasBatchNormalization';
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const x = one(inputs);
    const self = this as unknown as { axis: number; epsilon: number; movingMean: V; movingVariance: V; gamma: V | null; beta: V | null };
    const axis = self.axis < 0 ? self.axis + x.rank : self.axis;
    if (kwargs?.training) return super.call(inputs, kwargs);
    // (not while gradients are recorded: the cached scale and shift are not on the tape)
    if (axis === x.rank - 1 && x.size > 0 && tf.getBackend() === 'wasm' && !recordingGradients()) return this.affineAsDepthwise(x, self);
    if (axis === x.rank - 1 && x.rank <= 4) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const shape = x.shape.map((d, i) => (i === axis ? d : 1));
      const r = (v: V) => tf.reshape(v.read(), shape);
      let scale = tf.rsqrt(tf.add(r(self.movingVariance), self.epsilon));
      if (self.gamma) scale = tf.mul(scale, r(self.gamma));
      let y = tf.mul(tf.sub(x, r(self.movingMean)), scale);
      if (self.beta) y = tf.add(y, r(self.beta));
      return y;
    });
  }

  /**
   * Inference with channels last on wasm: y = x·s + t with s = γ/√(σ²+ε), t = β − μ·s, applied as a
   * 1×1 depthwise convolution with bias. XNNPACK runs that ~1.7× faster than tfjs' FusedBatchNorm
   * kernel (3.0 → 1.8 ms on a [32,32,32,16] batch); results differ by float32 rounding only.
   */
  private affineAsDepthwise(x: tf.Tensor, self: { epsilon: number; movingMean: V; movingVariance: V; gamma: V | null; beta: V | null }): tf.Tensor {
    const { filter, shift } = this.inferenceAffine(self);
    return tf.tidy(() => {
      const c = x.shape[x.rank - 1];
      // any rank → [batch, 1, rest, C]; the depthwise kernel only sees channels-last pixels
      const rows = x.shape[0];
      const x4 = tf.reshape(x, [rows, 1, x.size / rows / c, c]) as tf.Tensor4D;
      const y = tf.fused.depthwiseConv2d({ x: x4, filter, strides: 1, pad: 'valid', bias: shift });
      return tf.reshape(y, x.shape);
    });
  }

  /** s and t for inference, kept until a weight changes. */
  private affine: DerivedTensors<{ filter: tf.Tensor4D; shift: tf.Tensor1D }> | null = null;
  private inferenceAffine(self: { epsilon: number; movingMean: V; movingVariance: V; gamma: V | null; beta: V | null }): { filter: tf.Tensor4D; shift: tf.Tensor1D } {
    const weights = () => [self.movingMean, self.movingVariance, self.gamma, self.beta].map((v) => v?.read() ?? null);
    this.affine ??= new DerivedTensors(() => {
      const [mean, variance, gamma, beta] = weights();
      let s = tf.rsqrt(tf.add(variance!, self.epsilon));
      if (gamma) s = tf.mul(s, gamma);
      let t = tf.neg(tf.mul(mean!, s));
      if (beta) t = tf.add(t, beta);
      const filter = tf.reshape(s, [1, 1, s.size, 1]) as tf.Tensor4D, shift = t as tf.Tensor1D;
      return { value: { filter, shift }, tensors: [filter, shift] };
    });
    return this.affine.get(weights().filter((t): t is tf.Tensor => t !== null));
  }

  override dispose(): ReturnType<layers.Layer['dispose']> {
    this.affine?.dispose();
    return super.dispose();
  }
}
type V = { read(): tf.Tensor };
tf.serialization.registerClass(KerasBatchNormalization as never);

registerBuilder({
  classNames: ['BatchNormalization'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    let axis = c.raw('axis');
    if (Array.isArray(axis)) {
      if (axis.length !== 1) throw c.unsupported(`axis=${JSON.stringify(axis)} (several axes)`);
      axis = axis[0];
    }
    if (c.bool('renorm', false)) throw c.unsupported('renorm=True');
    const mode = layer.config.keras1_mode;
    if (mode !== undefined && mode !== 0) throw c.unsupported(`Keras 1 mode=${mode} (only mode 0 has fixed inference statistics)`);
    const r = (k: string) => tfRegularizer(c.c[k], ctx, layer.name);
    const k = (k: string) => tfConstraint(c.c[k], ctx, layer.name);
    return new KerasBatchNormalization(clean({
      ...baseArgs(layer),
      axis: typeof axis === 'number' ? axis : -1,
      momentum: c.num('momentum', 0.99),
      epsilon: c.num('epsilon', 1e-3),
      center: c.bool('center', true),
      scale: c.bool('scale', true),
      betaInitializer: 'zeros', gammaInitializer: 'zeros', movingMeanInitializer: 'zeros', movingVarianceInitializer: 'zeros',
      betaRegularizer: r('beta_regularizer'), gammaRegularizer: r('gamma_regularizer'),
      betaConstraint: k('beta_constraint'), gammaConstraint: k('gamma_constraint'),
    }) as never);
  },
  convertWeights(layer, _tfLayer, ctx) {
    const w = storedTensors(layer);
    const v = ctx.spec.kerasVersion;
    // Keras 1.0.x kept a real standard deviation in `running_std` and normalized with (x-m)/(std+eps);
    // from 1.1 it holds the variance. Give tfjs the variance that reproduces 1.0.x exactly.
    if (v.major === 1 && v.minor === 0 && !v.inferred && w.length >= 2 && /running_std/.test(layer.weights[layer.weights.length - 1].name)) {
      const eps = new Cfg(layer, ctx).num('epsilon', 1e-3);
      const last = w.length - 1;
      w[last] = tf.sub(tf.square(tf.add(w[last], eps)), eps);
    }
    return w;
  },
});

registerBuilder({
  classNames: ['LayerNormalization'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const axis = c.raw('axis');
    const axes = axisList(c, -1);
    const rms = c.bool('rms_scaling', false);
    // Our own layer unless training-time regularizers need tfjs-layers' one: tfjs' layerNormalization
    // tiles mean/variance/gamma/beta to the full input shape, and the wasm Tile kernel made it ~3× slower.
    const regularized = c.c.beta_regularizer != null || c.c.gamma_regularizer != null;
    if (rms || axes.length !== 1 || axes[0] !== -1 || !regularized) {
      return new KerasNorm({ ...baseArgs(layer), kind: rms ? 'layer_rms' : 'layer', axis: axes, epsilon: c.num('epsilon', 1e-3), center: c.bool('center', true), scale: c.bool('scale', true), groups: 1 });
    }
    return layers.layerNormalization(clean({
      ...baseArgs(layer),
      axis: (axis ?? -1) as number | number[],
      epsilon: c.num('epsilon', 1e-3),
      center: c.bool('center', true),
      scale: c.bool('scale', true),
      betaInitializer: 'zeros', gammaInitializer: 'zeros',
      betaRegularizer: tfRegularizer(c.c.beta_regularizer, ctx, layer.name), gammaRegularizer: tfRegularizer(c.c.gamma_regularizer, ctx, layer.name),
    }) as never);
  },
});

/** x / ||x||₂ along the given axes (Keras UnitNormalization). */
export class UnitNormalization extends layers.Layer {
  static className = 'KerasUnitNormalization';
  readonly axis: number[];
  constructor(args: { name: string; trainable: boolean; axis: number[] }) {
    super({ name: args.name, trainable: args.trainable });
    this.axis = args.axis;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const sq = tf.sum(tf.square(x), this.axis.map((a) => (a < 0 ? x.rank + a : a)), true);
      return tf.mul(x, tf.rsqrt(tf.maximum(sq, 1e-12)));
    });
  }
}
tf.serialization.registerClass(UnitNormalization);

registerBuilder({
  classNames: ['UnitNormalization'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    const a = c.raw('axis');
    return new UnitNormalization({ ...baseArgs(layer), axis: Array.isArray(a) ? (a as number[]) : [typeof a === 'number' ? a : -1] });
  },
});

type Shape = (number | null)[];
type Kind = 'layer' | 'layer_rms' | 'group' | 'rms';

/**
 * LayerNormalization over several axes / with rms_scaling, GroupNormalization and RMSNormalization,
 * computed as Keras 3 does (ops.layer_normalization / rms_normalization / GroupNormalization).
 */
export class KerasNorm extends layers.Layer {
  static className = 'KerasNorm';
  private gamma: V | null = null;
  private beta: V | null = null;
  constructor(readonly o: { name: string; trainable: boolean; kind: Kind; axis: number[]; epsilon: number; center: boolean; scale: boolean; groups: number }) {
    super({ name: o.name, trainable: o.trainable });
  }
  private axes(rank: number): number[] {
    return this.o.axis.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  }
  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const axes = this.axes(s.length);
    const shape = axes.map((a) => s[a] as number);
    const zeros = initializers.zeros();
    if (this.o.scale) this.gamma = this.addWeight(this.o.kind === 'rms' ? 'scale' : 'gamma', shape, 'float32', zeros, undefined, true) as unknown as V;
    if (this.o.center && this.o.kind !== 'rms' && this.o.kind !== 'layer_rms') this.beta = this.addWeight('beta', shape, 'float32', zeros, undefined, true) as unknown as V;
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const axes = this.axes(x.rank);
      const bshape = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
      const b = (v: V | null) => (v ? tf.reshape(v.read(), bshape) : null);
      const eps = this.o.epsilon;
      if (this.o.kind === 'rms') {
        let y = tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), axes, true), eps)));
        if (this.gamma) y = tf.mul(y, b(this.gamma)!);
        return y;
      }
      if (this.o.kind === 'layer_rms') {
        const { variance } = tf.moments(x, axes, true);
        let y = tf.mul(x, tf.rsqrt(tf.add(variance, eps)));
        if (this.gamma) y = tf.mul(y, b(this.gamma)!);
        return y;
      }
      if (this.o.kind === 'layer') {
        const { mean, variance } = tf.moments(x, axes, true);
        let inv = tf.rsqrt(tf.add(variance, eps));
        if (this.gamma) inv = tf.mul(inv, b(this.gamma)!);
        let res = tf.mul(tf.neg(mean), inv);
        if (this.beta) res = tf.add(res, b(this.beta)!);
        return tf.add(tf.mul(x, inv), res);
      }
      // group: split the channel axis into (groups, channels/groups)
      const ax = axes[0];
      const c = x.shape[ax];
      const g = this.o.groups === -1 ? c : this.o.groups;
      const gshape = [...x.shape.slice(0, ax), g, c / g, ...x.shape.slice(ax + 1)];
      const xr = tf.reshape(x, gshape);
      const red = Array.from({ length: gshape.length - 1 }, (_, i) => i + 1).filter((i) => i !== ax);
      const { mean, variance } = tf.moments(xr, red, true);
      const pshape = gshape.map((d, i) => (i === ax || i === ax + 1 ? d : 1));
      let inv = tf.rsqrt(tf.add(variance, eps));
      if (this.gamma) inv = tf.mul(inv, tf.reshape(this.gamma.read(), pshape));
      let res = tf.mul(tf.neg(mean), inv);
      if (this.beta) res = tf.add(res, tf.reshape(this.beta.read(), pshape));
      return tf.reshape(tf.add(tf.mul(xr, inv), res), x.shape);
    });
  }
}
tf.serialization.registerClass(KerasNorm as never);

function axisList(c: Cfg, dflt: number): number[] {
  const a = c.raw('axis');
  if (a === undefined || a === null) return [dflt];
  if (typeof a === 'number') return [a];
  if (Array.isArray(a) && a.every((x) => typeof x === 'number')) return a as number[];
  throw c.bad('axis', 'must be an int or a list of ints');
}

registerBuilder({
  classNames: ['GroupNormalization'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return new KerasNorm({ ...baseArgs(layer), kind: 'group', axis: axisList(c, -1), epsilon: c.num('epsilon', 1e-3), center: c.bool('center', true), scale: c.bool('scale', true), groups: c.int('groups', 32) });
  },
});

registerBuilder({
  classNames: ['RMSNormalization'],
  create(layer, ctx) {
    const c = new Cfg(layer, ctx);
    return new KerasNorm({ ...baseArgs(layer), kind: 'rms', axis: axisList(c, -1), epsilon: c.num('epsilon', 1e-6), center: false, scale: true, groups: 1 });
  },
});
