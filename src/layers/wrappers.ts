/**
 * Keras wrappers: Bidirectional (every merge mode, return_state, custom backward_layer) over our own
 * recurrent layers, and TimeDistributed over any registered layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';
import { InvalidConfigError, UnsupportedFeatureError, UnsupportedLayerError, WeightMismatchError } from '../errors.ts';
import type { LayerSpec } from '../spec/types.ts';
import { getBuilder, registerBuilder, type BuildContext, type LayerBuilder } from './registry.ts';
import {
  KerasConvLSTM, KerasRNN, KerasStackedRNN, applyWithInitialState, callMask, convLstmArgsFromSpec, convertConvLstmWeights, convertGenericRnnWeights,
  convertRnnWeights, createGenericRnn, rnnArgsFromSpec,
} from './recurrent.ts';

type Tensor = tf.Tensor;
type Kwargs = Record<string, unknown>;
type Shape = (number | null)[];
type LayerVar = ReturnType<layers.Layer['addWeight']>;
type SeqLayer = KerasRNN | KerasConvLSTM | KerasStackedRNN;

function firstShape(inputShape: Shape | Shape[]): Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
}

/**
 * The wrapped layer as a LayerSpec: the normalizer's `innerLayers[i]` when present, else the raw
 * `{class_name, config}` found under `key` in the wrapper config.
 */
function innerSpec(layer: LayerSpec, ctx: BuildContext, index: number, key: string): LayerSpec | null {
  const normalized = layer.innerLayers?.[index];
  if (normalized) return normalized;
  const raw = layer.config[key] as { class_name?: unknown; config?: unknown } | null | undefined;
  if (raw == null) return null;
  if (typeof raw !== 'object' || typeof raw.class_name !== 'string' || typeof raw.config !== 'object' || raw.config === null) {
    throw new InvalidConfigError(`'${key}' is not a layer configuration`, { file: ctx.source, layer: layer.name });
  }
  const config = raw.config as Record<string, unknown>;
  return {
    name: String(config.name ?? `${layer.name}_${key}`), className: raw.class_name, module: null, registeredName: null,
    config, originalConfig: raw, inboundNodes: [], weights: [], trainable: layer.trainable && config.trainable !== false,
  };
}

// ---------------------------------------------------------------------------------------------
// Bidirectional
// ---------------------------------------------------------------------------------------------

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

export class KerasBidirectional extends layers.Layer {
  static className = 'KerasImportBidirectional';
  readonly forward: SeqLayer;
  readonly backward: SeqLayer;
  readonly mergeMode: MergeMode;

  constructor(name: string, forward: SeqLayer, backward: SeqLayer, mergeMode: MergeMode, trainable = true) {
    super({ name, trainable });
    this.forward = forward;
    this.backward = backward;
    this.mergeMode = mergeMode;
    this.supportsMasking = true;
  }

  override apply(inputs: Parameters<layers.Layer['apply']>[0], kwargs?: Kwargs): ReturnType<layers.Layer['apply']> {
    return applyWithInitialState(this, super.apply, inputs, kwargs);
  }

  /** The merged sequence output(s) keep the input mask; states have none. */
  outputCarriesMask(index: number): boolean {
    const outs = this.mergeMode === null ? 2 : 1;
    return index < outs && this.returnSequences && (this as { inputMaskable?: boolean }).inputMaskable !== false;
  }

  private get returnSequences(): boolean { return this.forward.args.returnSequences; }
  private get returnState(): boolean { return this.forward.args.returnState; }

  override build(inputShape: Shape | Shape[]): void {
    const shape = firstShape(inputShape);
    this.forward.build(shape);
    this.backward.build(shape);
    this.built = true;
  }

  // setWeights/getWeights see forward weights then backward weights, as Keras stores them.
  override get trainableWeights(): LayerVar[] {
    return [...this.forward.trainableWeights, ...this.backward.trainableWeights];
  }
  override set trainableWeights(_w: LayerVar[]) { /* owned by the sub-layers */ }
  override get nonTrainableWeights(): LayerVar[] {
    return [...this.forward.nonTrainableWeights, ...this.backward.nonTrainableWeights];
  }
  override set nonTrainableWeights(_w: LayerVar[]) { /* owned by the sub-layers */ }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = firstShape(inputShape);
    const f = this.forward.computeOutputShape(shape);
    const b = this.backward.computeOutputShape(shape);
    const fOut = (this.returnState ? f[0] : f) as Shape;
    const bOut = (this.returnState ? b[0] : b) as Shape;
    const states = this.returnState ? [...(f as Shape[]).slice(1), ...(b as Shape[]).slice(1)] : [];
    let outs: Shape[];
    if (this.mergeMode === 'concat') {
      const last = fOut[fOut.length - 1]; const lastB = bOut[bOut.length - 1];
      outs = [[...fOut.slice(0, -1), last === null || lastB === null ? null : last + lastB]];
    } else if (this.mergeMode === null) {
      outs = [fOut, bOut];
    } else {
      outs = [fOut];
    }
    const all = [...outs, ...states];
    return all.length === 1 ? all[0] : all;
  }

  override computeMask(_inputs: Tensor | Tensor[], mask?: Tensor | Tensor[]): Tensor | Tensor[] {
    const m = mask == null ? null : Array.isArray(mask) ? mask[0] ?? null : mask;
    const out = this.returnSequences ? m : null;
    const outs = this.mergeMode === null ? [out, out] : [out];
    const states = this.returnState ? new Array(this.forward.stateCount + this.backward.stateCount).fill(null) : [];
    const all = [...outs, ...states];
    // tfjs types masks as non-null; null (no mask) is what its executor expects.
    return (all.length === 1 ? all[0] : all) as Tensor | Tensor[];
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const mask = callMask(this, kwargs);
    return tf.tidy(() => {
      const x = list[0];
      const init = list.slice(1);
      if (init.length % 2 !== 0) {
        throw new InvalidConfigError(`got ${init.length} initial state tensors; Bidirectional needs forward then backward states`, { layer: this.name });
      }
      const half = init.length / 2;
      const f = this.forward.run(x, init.slice(0, half), mask);
      const b = this.backward.run(x, init.slice(half), mask);
      const fl = Array.isArray(f) ? f : [f];
      const bl = Array.isArray(b) ? b : [b];
      const y = fl[0];
      let yRev = bl[0];
      if (this.returnSequences) yRev = tf.reverse(yRev, 1);
      let outs: Tensor[];
      switch (this.mergeMode) {
        case 'concat': outs = [tf.concat([y, yRev], -1)]; break;
        case 'sum': outs = [tf.add(y, yRev)]; break;
        case 'ave': outs = [tf.div(tf.add(y, yRev), 2)]; break;
        case 'mul': outs = [tf.mul(y, yRev)]; break;
        default: outs = [y, yRev];
      }
      const all = [...outs, ...(this.returnState ? [...fl.slice(1), ...bl.slice(1)] : [])];
      return all.length === 1 ? all[0] : all;
    });
  }
}
tf.serialization.registerClass(KerasBidirectional);

const MERGE_MODES = new Set(['concat', 'sum', 'mul', 'ave']);

function createSeqLayer(spec: LayerSpec, ctx: BuildContext, overrides: { name: string; goBackwards?: boolean; zeroOutputForMask: boolean }): SeqLayer {
  if (/^ConvLSTM[123]D$/.test(spec.className)) return new KerasConvLSTM(convLstmArgsFromSpec(spec, ctx, overrides));
  if (spec.className === 'RNN') {
    const { name, ...rest } = overrides;
    const l = createGenericRnn({ ...spec, name }, ctx, rest);
    return l;
  }
  if (['SimpleRNN', 'LSTM', 'GRU', 'CuDNNLSTM', 'CuDNNGRU', 'UnifiedLSTM', 'UnifiedGRU'].includes(spec.className)) {
    return new KerasRNN(rnnArgsFromSpec(spec, ctx, overrides));
  }
  throw new UnsupportedLayerError(`Bidirectional over '${spec.className}' is not supported`, {
    file: ctx.source, layer: spec.name, hint: 'supported: SimpleRNN, LSTM, GRU, CuDNNLSTM, CuDNNGRU, RNN(cell), ConvLSTM1D/2D/3D',
  });
}

function stripPrefix(name: string, prefix: string): string {
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

export function createBidirectional(layer: LayerSpec, ctx: BuildContext): KerasBidirectional {
  const where = { file: ctx.source, layer: layer.name };
  const inner = innerSpec(layer, ctx, 0, 'layer');
  if (!inner) throw new InvalidConfigError('Bidirectional has no wrapped layer', where);
  const rawMode = layer.config.merge_mode === undefined ? 'concat' : layer.config.merge_mode;
  if (rawMode !== null && !MERGE_MODES.has(String(rawMode))) {
    throw new InvalidConfigError(`unknown merge_mode ${JSON.stringify(rawMode)}`, { ...where, hint: "expected 'concat', 'sum', 'mul', 'ave' or None" });
  }
  const returnSequences = inner.config.return_sequences === true;
  const backSpec = innerSpec(layer, ctx, 1, 'backward_layer');
  const base = stripPrefix(stripPrefix(inner.name, 'forward_'), 'backward_');
  // Keras forces zero outputs at masked steps when returning sequences (so the reversed merge lines up).
  const forward = createSeqLayer(inner, ctx, { name: `${layer.name}_forward_${base}`, zeroOutputForMask: returnSequences });
  const backward = backSpec
    ? createSeqLayer(backSpec, ctx, { name: `${layer.name}_${backSpec.name}`, zeroOutputForMask: returnSequences })
    : createSeqLayer(inner, ctx, { name: `${layer.name}_backward_${base}`, goBackwards: !forwardGoesBackwards(inner), zeroOutputForMask: returnSequences });
  if (forward.args.goBackwards === backward.args.goBackwards) {
    throw new InvalidConfigError('forward and backward layers must have different go_backwards', where);
  }
  if (forward.args.returnSequences !== backward.args.returnSequences || forward.args.returnState !== backward.args.returnState) {
    throw new InvalidConfigError('forward and backward layers must agree on return_sequences and return_state', where);
  }
  return new KerasBidirectional(layer.name, forward, backward, rawMode as MergeMode, layer.trainable);
}

function forwardGoesBackwards(spec: LayerSpec): boolean {
  return spec.config.go_backwards === true;
}

export function convertBidirectionalWeights(layer: LayerSpec, tfLayer: KerasBidirectional, ctx: BuildContext): Tensor[] {
  const ws = layer.weights;
  if (ws.length % 2 !== 0) {
    throw new WeightMismatchError(`Bidirectional needs forward and backward weights (an even count), the file has ${ws.length}`, {
      file: ctx.source, layer: layer.name,
    });
  }
  const half = ws.length / 2;
  // CuDNN detection in convertRnnWeights looks at the class name: use the wrapped layers' specs.
  const fwInner = innerSpec(layer, ctx, 0, 'layer');
  const bwInner = innerSpec(layer, ctx, 1, 'backward_layer') ?? fwInner;
  const fwSpec = fwInner ? { ...fwInner, name: layer.name } : layer;
  const bwSpec = bwInner ? { ...bwInner, name: layer.name } : layer;
  const convert = (sub: SeqLayer, spec: LayerSpec, part: typeof ws): Tensor[] => {
    if (sub instanceof KerasConvLSTM) return convertConvLstmWeights(spec, sub.args, part, ctx);
    if (sub instanceof KerasStackedRNN) return convertGenericRnnWeights({ ...spec, weights: part }, sub, ctx);
    return convertRnnWeights(spec, sub.args, part, ctx);
  };
  const f = convert(tfLayer.forward, fwSpec, ws.slice(0, half));
  const b = convert(tfLayer.backward, bwSpec, ws.slice(half));
  return [...f, ...b];
}

// ---------------------------------------------------------------------------------------------
// TimeDistributed
// ---------------------------------------------------------------------------------------------

export class KerasTimeDistributed extends layers.Layer {
  static className = 'KerasImportTimeDistributed';
  readonly inner: layers.Layer;

  constructor(name: string, inner: layers.Layer, trainable = true) {
    super({ name, trainable });
    this.inner = inner;
    this.supportsMasking = true;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = firstShape(inputShape);
    if (shape.length < 3) throw new InvalidConfigError(`TimeDistributed needs an input of rank ≥ 3, got (${shape.join(', ')})`, { layer: this.name });
    if (!this.inner.built) this.inner.build([shape[0], ...shape.slice(2)]);
    this.inner.built = true;
    this.built = true;
  }

  override get trainableWeights(): LayerVar[] { return this.inner.trainableWeights; }
  override set trainableWeights(_w: LayerVar[]) { /* owned by the inner layer */ }
  override get nonTrainableWeights(): LayerVar[] { return this.inner.nonTrainableWeights; }
  override set nonTrainableWeights(_w: LayerVar[]) { /* owned by the inner layer */ }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = firstShape(inputShape);
    const inner = this.inner.computeOutputShape([shape[0], ...shape.slice(2)]) as Shape | Shape[];
    if (Array.isArray(inner[0])) {
      throw new UnsupportedFeatureError('TimeDistributed over a layer with several outputs is not supported', { layer: this.name });
    }
    const s = inner as Shape;
    return [s[0], shape[1], ...s.slice(1)];
  }

  override computeMask(_inputs: Tensor | Tensor[], mask?: Tensor | Tensor[]): Tensor | Tensor[] {
    // The time axis is kept, so the (batch, time) mask still applies to the output.
    const m = mask == null ? null : Array.isArray(mask) ? mask[0] ?? null : mask;
    return m as Tensor;
  }

  override call(inputs: Tensor | Tensor[], _kwargs: Kwargs): Tensor | Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const [b, t, ...rest] = x.shape;
      const y = this.inner.apply(tf.reshape(x, [b * t, ...rest]), {}) as Tensor | Tensor[];
      const out = Array.isArray(y) ? y[0] : y;
      return tf.reshape(out, [b, t, ...out.shape.slice(1)]);
    });
  }
}
tf.serialization.registerClass(KerasTimeDistributed);

export function createTimeDistributed(layer: LayerSpec, ctx: BuildContext): { tfLayer: KerasTimeDistributed; innerSpec: LayerSpec } {
  const inner = innerSpec(layer, ctx, 0, 'layer');
  if (!inner) throw new InvalidConfigError('TimeDistributed has no wrapped layer', { file: ctx.source, layer: layer.name });
  const builder = getBuilder(inner.className, inner.module);
  if (!builder) {
    throw new UnsupportedLayerError(`TimeDistributed wraps '${inner.className}', which has no implementation`, {
      file: ctx.source, layer: layer.name, hint: 'register a builder for that layer class',
    });
  }
  const innerLayer = builder.create({ ...inner, name: `${layer.name}_${inner.name}` }, ctx);
  return { tfLayer: new KerasTimeDistributed(layer.name, innerLayer, layer.trainable), innerSpec: inner };
}

export const bidirectionalBuilder: LayerBuilder = {
  classNames: ['Bidirectional'],
  create: (layer, ctx) => createBidirectional(layer, ctx),
  convertWeights: (layer, tfLayer, ctx) => convertBidirectionalWeights(layer, tfLayer as KerasBidirectional, ctx),
};

export const timeDistributedBuilder: LayerBuilder = {
  classNames: ['TimeDistributed'],
  create: (layer, ctx) => createTimeDistributed(layer, ctx).tfLayer,
  convertWeights: (layer, tfLayer, ctx) => {
    const td = tfLayer as KerasTimeDistributed;
    const inner = innerSpec(layer, ctx, 0, 'layer')!;
    const builder = getBuilder(inner.className, inner.module)!;
    const spec = { ...inner, weights: layer.weights };
    if (builder.convertWeights) return builder.convertWeights(spec, td.inner, ctx);
    return layer.weights.map((w) => tf.tensor(Float32Array.from(w.values), w.shape, 'float32'));
  },
};

registerBuilder(bidirectionalBuilder);
registerBuilder(timeDistributedBuilder);
