/**
 * Recurrent layers (SimpleRNN, LSTM, GRU, CuDNNLSTM, CuDNNGRU, ConvLSTM1D/2D/3D) on tfjs-core ops.
 *
 * Written by hand rather than using tfjs-layers' RNN classes because those refuse GRU `reset_after=True`
 * (the Keras 2.x/3 default), only know one `hard_sigmoid` slope, and run one small matMul per gate and
 * step. Here the input projection of all timesteps is one matMul (one conv for ConvLSTM) and each step
 * is one fused matMul with the recurrent kernel, with Keras' own cell equations (formats.md §3).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers } from '@tensorflow/tfjs-layers';

const { serialization } = tf;
import { InvalidConfigError, UnsupportedFeatureError, WeightMismatchError } from '../errors.ts';
import type { LayerSpec, WeightSpec } from '../spec/types.ts';
import { registerBuilder, type BuildContext, type LayerBuilder } from './registry.ts';
import { DerivedTensors, recordingGradients } from './common.ts';

type Tensor = tf.Tensor;
type Kwargs = Record<string, unknown>;
type Shape = (number | null)[];
export type ActivationFn = ((x: Tensor) => Tensor) & {
  /** hard_sigmoid as clip(slope·x + offset, 0, 1): lets a recurrent layer fold the affine part into its weights. */
  hardSigmoid?: { slope: number; offset: number };
};

/** An activation function carrying the hard-sigmoid parameters it computes. */
function hardSigmoid(slope: number, offset: number): ActivationFn {
  const f: ActivationFn = (x) => tf.clipByValue(tf.add(tf.mul(x, slope), offset), 0, 1);
  f.hardSigmoid = { slope, offset };
  return f;
}

// ---------------------------------------------------------------------------------------------
// Activations (version-aware: hard_sigmoid changed slope in Keras 3)
// ---------------------------------------------------------------------------------------------

/** The activation name in a config value: a string, a Keras 3 `{class_name: 'function', config: name}` dict, or null. */
export function activationName(value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (value === null) return 'linear';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    if (typeof o.config === 'string') return o.config;
    if (o.config && typeof o.config === 'object' && typeof (o.config as Record<string, unknown>).name === 'string') {
      return (o.config as Record<string, unknown>).name as string;
    }
    if (typeof o.class_name === 'string') return o.class_name;
  }
  return String(value);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Keras activation by name. `kerasMajor` picks hard_sigmoid: clip(0.2x+0.5) in Keras 1/2 (and tf.keras),
 * clip(x/6+0.5) in Keras 3.
 */
export function kerasActivation(name: string, kerasMajor: 1 | 2 | 3, where: { file: string; layer: string }): ActivationFn {
  switch (name) {
    case 'linear': return (x) => x;
    case 'tanh': return (x) => tf.tanh(x);
    case 'sigmoid': return (x) => tf.sigmoid(x);
    case 'hard_sigmoid':
      // Keras 3: relu6(x + 3) / 6 = clip(x/6 + ½, 0, 1)
      return kerasMajor === 3 ? hardSigmoid(1 / 6, 0.5) : hardSigmoid(0.2, 0.5);
    case 'relu': return (x) => tf.relu(x);
    case 'relu6': return (x) => tf.relu6(x);
    case 'elu': return (x) => tf.elu(x);
    case 'selu': return (x) => tf.selu(x);
    case 'softplus': return (x) => tf.softplus(x);
    case 'softsign': return (x) => tf.div(x, tf.add(tf.abs(x), 1));
    case 'exponential': return (x) => tf.exp(x);
    case 'swish': case 'silu': return (x) => tf.mul(x, tf.sigmoid(x));
    case 'hard_silu': case 'hard_swish':
      return (x) => tf.mul(x, tf.div(tf.clipByValue(tf.add(x, 3), 0, 6), 6));
    case 'gelu':
      // Keras 3 default approximate=False: x·Φ(x) via erf.
      return (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
    case 'gelu_approximate':
      return (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
    case 'mish': return (x) => tf.mul(x, tf.tanh(tf.softplus(x)));
    case 'leaky_relu': return (x) => tf.leakyRelu(x, 0.2);
    case 'softmax': return (x) => tf.softmax(x, -1);
    case 'log_softmax': return (x) => tf.logSoftmax(x, -1);
    default:
      throw new UnsupportedFeatureError(`activation '${name}' is not supported in a recurrent layer`, {
        file: where.file, layer: where.layer, hint: 'use a built-in Keras activation (tanh, sigmoid, hard_sigmoid, relu, linear, …)',
      });
  }
}

// ---------------------------------------------------------------------------------------------
// Config helpers
// ---------------------------------------------------------------------------------------------

function cfgBool(cfg: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = cfg[key];
  return v === undefined || v === null ? dflt : Boolean(v);
}

function cfgPositiveInt(layer: LayerSpec, ctx: BuildContext, key: string): number {
  const v = layer.config[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new InvalidConfigError(`'${key}' must be a positive integer, got ${JSON.stringify(v)}`, {
      file: ctx.source, layer: layer.name, hint: 'the layer configuration is damaged',
    });
  }
  return v;
}

function cfgTuple(layer: LayerSpec, ctx: BuildContext, key: string, rank: number, dflt: number): number[] {
  const v = layer.config[key];
  if (v === undefined || v === null) return new Array(rank).fill(dflt);
  const arr = typeof v === 'number' ? new Array(rank).fill(v) : Array.isArray(v) ? v : null;
  if (!arr || arr.length !== rank || arr.some((n) => typeof n !== 'number' || !Number.isInteger(n) || n <= 0)) {
    throw new InvalidConfigError(`'${key}' must be ${rank} positive integer(s), got ${JSON.stringify(v)}`, {
      file: ctx.source, layer: layer.name,
    });
  }
  return arr as number[];
}

/** Default recurrent activation when a config omits it: Keras 1 and standalone Keras 2 used hard_sigmoid. */
function defaultRecurrentActivation(ctx: BuildContext): string {
  if (ctx.kerasMajor === 1) return 'hard_sigmoid';
  if (ctx.kerasMajor === 2 && !ctx.spec.kerasVersion.tfKeras) return 'hard_sigmoid';
  return 'sigmoid';
}

// ---------------------------------------------------------------------------------------------
// The RNN layer
// ---------------------------------------------------------------------------------------------

export type CellKind = 'simple' | 'lstm' | 'gru';

export interface KerasRNNArgs {
  name: string;
  trainable?: boolean;
  kind: CellKind;
  units: number;
  activation: ActivationFn;
  recurrentActivation: ActivationFn;
  useBias: boolean;
  /** GRU only. */
  resetAfter: boolean;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  /** Masked steps output zeros instead of the previous output (Keras' Bidirectional forces this). */
  zeroOutputForMask: boolean;
}

function gatesOf(kind: CellKind): number {
  return kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
}

/**
 * Splits a time-major tensor [T, …] into its T steps. On wasm, tfjs' slice/unstack cost grows with the
 * size of the source (hundreds of ms for a long sequence), so the steps are cut from one host copy there.
 */
export function splitTime(x: Tensor): Tensor[] {
  const steps = x.shape[0];
  // (a host copy is not on the gradient tape: while gradients are recorded, unstack)
  if (tf.getBackend() !== 'wasm' || steps <= 1 || recordingGradients()) return tf.unstack(x);
  const data = x.dataSync();
  const per = x.size / steps;
  const shape = x.shape.slice(1);
  return Array.from({ length: steps }, (_, t) => tf.tensor(data.subarray(t * per, (t + 1) * per), shape, x.dtype));
}

/**
 * Boolean step masks [T][B,1] from a Keras mask [B,T] (bool or 0/1), in processing order. Reversal and
 * transposition run on float32: the wasm backend crashes reversing bool tensors.
 */
function stepMasks(mask: Tensor, goBackwards: boolean): Tensor[] {
  let m = mask.dtype === 'bool' ? tf.cast(mask, 'float32') : tf.cast(tf.notEqual(mask, 0), 'float32');
  if (m.rank !== 2) m = tf.reshape(m, [m.shape[0], m.shape[1] ?? 1]);
  if (goBackwards) m = tf.reverse(m, 1);
  return splitTime(tf.expandDims(tf.transpose(m, [1, 0]), 2)).map((t) => tf.greater(t, 0.5));
}

function firstMask(kwargs: Kwargs | undefined): Tensor | null {
  const m = kwargs?.mask as Tensor | Tensor[] | null | undefined;
  if (m == null) return null;
  if (Array.isArray(m)) return m[0] ?? null;
  return m;
}

/**
 * Runs a recurrence over `steps` (processing order) with Keras' masking rule: a masked step keeps every
 * state and outputs the previous output (or zeros). Returns the per-step outputs (when asked), the last
 * output and the final states. Each step runs in its own tidy so memory stays flat over long sequences.
 */
function scan(
  steps: Tensor[][],
  initial: Tensor[],
  masks: Tensor[] | null,
  zeroOutputForMask: boolean,
  keepSequence: boolean,
  step: (x: Tensor[], states: Tensor[]) => Tensor[],
): { outputs: Tensor[]; last: Tensor; states: Tensor[] } {
  let states = initial;
  let prevOut: Tensor = tf.zerosLike(initial[0]);
  const outputs: Tensor[] = [];
  const kept = new Set<Tensor>();
  for (let t = 0; t < steps.length; t++) {
    const next = tf.tidy(() => {
      const newStates = step(steps[t], states);
      if (!masks) return [newStates[0], ...newStates];
      // Every state has the output's shape (h, c), so one broadcast mask serves all.
      const m = tf.broadcastTo(masks[t], newStates[0].shape);
      const out = tf.where(m, newStates[0], zeroOutputForMask ? tf.zerosLike(newStates[0]) : prevOut);
      return [out, ...newStates.map((s, i) => tf.where(m, s, states[i]))];
    });
    const [out, ...rest] = next;
    // Free the previous step's tensors as soon as nothing needs them (the enclosing tidy frees the rest);
    // the same tensor can be both output and state, and initial states belong to the caller.
    if (keepSequence) kept.add(out);
    const live = new Set<Tensor>([out, ...rest, ...initial]);
    for (const old of new Set<Tensor>([prevOut, ...states])) {
      if (!live.has(old) && !kept.has(old)) old.dispose();
    }
    if (keepSequence) outputs.push(out);
    prevOut = out;
    states = rest;
  }
  return { outputs, last: prevOut, states };
}

/**
 * Whether a graph tensor can carry a Keras mask, following Keras' propagation rules back to its source
 * (Masking, Embedding(mask_zero), layers that pass masks on). Needed because tfjs' executor keeps handing
 * the last mask it saw to every later layer, even to ones whose input has none (e.g. after
 * LSTM(return_sequences=False) → RepeatVector); unknown producers count as mask-carrying.
 */
export function mayCarryMask(st: unknown, depth = 0): boolean {
  const t = st as { sourceLayer?: unknown; inputs?: unknown[]; outputTensorIndex?: number } | null;
  const src = t?.sourceLayer as (layers.Layer & { maskZero?: boolean; outputCarriesMask?: (index: number) => boolean }) | undefined;
  if (!src || depth > 500) return true;
  const cls = src.getClassName();
  if (cls === 'InputLayer') return false;
  if (cls === 'Masking') return true;
  if (cls === 'Embedding') return Boolean(src.maskZero);
  if (typeof src.outputCarriesMask === 'function') return src.outputCarriesMask(t!.outputTensorIndex ?? 0);
  if (!src.supportsMasking) return false;
  const first = t!.inputs?.[0];
  return first ? mayCarryMask(first, depth + 1) : false;
}

/** Remembers, per layer, whether any graph input feeding it can carry a mask (see mayCarryMask). */
export function noteMaskSource(layer: layers.Layer, inputs: unknown): void {
  const first = Array.isArray(inputs) ? inputs[0] : inputs;
  if (!first || typeof first !== 'object' || !('sourceLayer' in first)) return; // eager call: nothing to learn
  const l = layer as layers.Layer & { inputMaskable?: boolean };
  l.inputMaskable = (l.inputMaskable ?? false) || mayCarryMask(first);
}

/** The Keras mask for this call: the executor's kwargs.mask unless the layer's input cannot have one. */
export function callMask(layer: layers.Layer, kwargs: Kwargs | undefined): Tensor | null {
  if ((layer as layers.Layer & { inputMaskable?: boolean }).inputMaskable === false) return null;
  return firstMask(kwargs);
}

/**
 * tfjs passes RNN `initial_state` as the `initialState` kwarg (the runtime maps Keras' call kwarg to it);
 * our layers take initial states as extra inputs so they are wired into the graph like any tensor.
 */
export function applyWithInitialState(
  layer: layers.Layer,
  base: (inputs: ApplyInput, kwargs?: Kwargs) => ApplyOutput,
  inputs: ApplyInput,
  kwargs?: Kwargs,
): ApplyOutput {
  noteMaskSource(layer, inputs);
  const init = kwargs?.initialState as ApplyInput | null | undefined;
  if (init == null) return base.call(layer, inputs, kwargs);
  const { initialState: _drop, ...rest } = kwargs!;
  const list = (Array.isArray(inputs) ? inputs : [inputs]) as unknown[];
  const states = (Array.isArray(init) ? init : [init]) as unknown[];
  return base.call(layer, [...list, ...states] as ApplyInput, rest);
}
type ApplyInput = Parameters<layers.Layer['apply']>[0];
type ApplyOutput = ReturnType<layers.Layer['apply']>;

export class KerasRNN extends layers.Layer {
  static className = 'KerasImportRNN';
  readonly args: KerasRNNArgs;
  private vars: { kernel: LayerVar; recurrent: LayerVar; bias: LayerVar | null } | null = null;

  constructor(args: KerasRNNArgs) {
    super({ name: args.name, trainable: args.trainable ?? true });
    this.args = args;
    this.supportsMasking = true;
  }

  get stateCount(): number {
    return this.args.kind === 'lstm' ? 2 : 1;
  }

  override apply(inputs: ApplyInput, kwargs?: Kwargs): ApplyOutput {
    return applyWithInitialState(this, super.apply, inputs, kwargs);
  }

  /** Keras: the sequence output keeps the input mask; last outputs and states have none. */
  outputCarriesMask(index: number): boolean {
    return index === 0 && this.args.returnSequences && (this as { inputMaskable?: boolean }).inputMaskable !== false;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const inDim = shape[shape.length - 1];
    if (shape.length !== 3 || typeof inDim !== 'number') {
      throw new InvalidConfigError(`expects input of shape (batch, timesteps, features), got (${shape.join(', ')})`, { layer: this.name });
    }
    const { units, kind, useBias, resetAfter } = this.args;
    const g = gatesOf(kind);
    const zeros = initializers.zeros();
    this.vars = {
      kernel: this.addWeight('kernel', [inDim, g * units], 'float32', zeros),
      recurrent: this.addWeight('recurrent_kernel', [units, g * units], 'float32', zeros),
      bias: useBias
        ? this.addWeight('bias', kind === 'gru' && resetAfter ? [2, g * units] : [g * units], 'float32', zeros)
        : null,
    };
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const { units, returnSequences, returnState } = this.args;
    const out: Shape = returnSequences ? [shape[0], shape[1], units] : [shape[0], units];
    if (!returnState) return out;
    return [out, ...new Array(this.stateCount).fill([shape[0], units])];
  }

  override computeMask(_inputs: Tensor | Tensor[], mask?: Tensor | Tensor[]): Tensor | Tensor[] {
    const m = mask == null ? null : Array.isArray(mask) ? mask[0] ?? null : mask;
    const outMask = this.args.returnSequences ? m : null;
    // tfjs types masks as non-null, but null (no mask) is what its executor expects.
    if (this.args.returnState) return [outMask, ...new Array(this.stateCount).fill(null)] as Tensor[];
    return outMask as Tensor;
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const mask = callMask(this, kwargs);
    return tf.tidy(() => this.run(list[0], list.slice(1), mask));
  }

  /**
   * The weights split per gate (and hard-sigmoid-folded). Outside gradient recording they are kept until a
   * variable changes (keyed on the variables' dataIds): recomputing them per call costs a few ops, and fresh
   * tensors also make XNNPACK re-create and re-pack its matMul operators for every call.
   */
  private gateWeights(): GateWeights {
    if (recordingGradients()) return this.computeGateWeights();
    const v = this.vars!;
    this.cachedGates ??= new DerivedTensors(() => {
      const w = this.computeGateWeights();
      const tensors = [...w.kParts, ...w.rParts, ...w.bParts, w.recHBias].filter((t): t is Tensor => t !== null);
      return { value: w, tensors };
    });
    return this.cachedGates.get([v.kernel.read(), v.recurrent.read(), ...(v.bias ? [v.bias.read()] : [])]);
  }

  private cachedGates: DerivedTensors<GateWeights> | null = null;

  override dispose(): ReturnType<layers.Layer['dispose']> {
    this.cachedGates?.dispose();
    return super.dispose();
  }

  private computeGateWeights(): GateWeights {
    const { kind, units, recurrentActivation: ract } = this.args;
    const kernel = this.vars!.kernel.read();
    const recurrent = this.vars!.recurrent.read();
    const bias = this.vars!.bias ? this.vars!.bias.read() : null;
    let inputBias: Tensor | null = bias;
    let recurrentBias: Tensor | null = null;
    if (bias && kind === 'gru' && this.args.resetAfter) {
      [inputBias, recurrentBias] = tf.unstack(bias);
    }
    // One matMul per gate (input projection and recurrent step): gates are kept in separate tensors so no
    // step has to slice a fused [B, G*u] result (slicing is costly on wasm).
    const g = gatesOf(kind);
    const kParts = g === 1 ? [kernel] : tf.split(kernel, g, 1);
    const rParts = g === 1 ? [recurrent] : tf.split(recurrent, g, 1);
    const bParts: (Tensor | null)[] = inputBias ? (g === 1 ? [inputBias] : tf.split(inputBias, g)) : new Array(g).fill(null);
    let recHBias: Tensor | null = null;
    if (recurrentBias) {
      // reset_after: the recurrent biases of z and r are plain additions, so they join the input stream.
      const [bz, br, bh] = tf.split(recurrentBias, 3);
      bParts[0] = bParts[0] ? tf.add(bParts[0], bz) : bz;
      bParts[1] = bParts[1] ? tf.add(bParts[1], br) : br;
      recHBias = bh;
    }
    // A hard-sigmoid gate is clip(s·(x·K + h·U + b) + o): scaling K, U and b by s and adding o to b once
    // leaves only the clip in every step (the same numbers up to float32 rounding).
    let gateAct = ract;
    if (ract.hardSigmoid) {
      const { slope, offset } = ract.hardSigmoid;
      for (const i of kind === 'lstm' ? [0, 1, 3] : kind === 'gru' ? [0, 1] : []) {
        kParts[i] = tf.mul(kParts[i], slope);
        rParts[i] = tf.mul(rParts[i], slope);
        bParts[i] = bParts[i] ? tf.add(tf.mul(bParts[i]!, slope), offset) : tf.fill([units], offset);
      }
      if (kind !== 'simple') gateAct = (t) => tf.clipByValue(t, 0, 1);
    }
    return { kParts, rParts, bParts, recHBias, gateAct };
  }

  /** Sequence in, outputs per Keras: [output, ...states] with return_state, else output. */
  run(x: Tensor, initialStates: Tensor[], mask: Tensor | null): Tensor | Tensor[] {
    if (!this.vars) throw new InvalidConfigError('layer used before it was built', { layer: this.name });
    const { kind, units, activation: act, goBackwards, returnSequences, returnState } = this.args;
    const [batch, steps, feat] = x.shape;
    const { kParts, rParts, bParts, recHBias, gateAct } = this.gateWeights();
    const seq = goBackwards ? tf.reverse(x, 1) : x;
    const xFlat = tf.reshape(tf.transpose(seq, [1, 0, 2]), [steps * batch, feat]);
    const streams = kParts.map((k, i) => {
      let p = tf.matMul(xFlat, k);
      if (bParts[i]) p = tf.add(p, bParts[i]!);
      return splitTime(tf.reshape(p, [steps, batch, units]));
    });
    const xs = Array.from({ length: steps }, (_, t) => streams.map((st) => st[t]));
    const masks = mask ? stepMasks(mask, goBackwards) : null;

    const zerosState = () => tf.zeros([batch, units]);
    const initial = initialStates.length
      ? initialStates.slice(0, this.stateCount)
      : new Array(this.stateCount).fill(0).map(zerosState);
    if (initial.length !== this.stateCount) {
      throw new InvalidConfigError(`got ${initialStates.length} initial state tensor(s), expected ${this.stateCount}`, { layer: this.name });
    }

    let step: (xt: Tensor[], s: Tensor[]) => Tensor[];
    if (kind === 'simple') {
      step = ([xt], [h]) => [act(tf.add(xt, tf.matMul(h, rParts[0])))];
    } else if (kind === 'lstm') {
      const [ui, uf, uc, uo] = rParts;
      step = ([xi, xf, xc, xo], [h, c]) => {
        const cNew = tf.add(tf.mul(gateAct(tf.add(xf, tf.matMul(h, uf))), c), tf.mul(gateAct(tf.add(xi, tf.matMul(h, ui))), act(tf.add(xc, tf.matMul(h, uc)))));
        const hNew = tf.mul(gateAct(tf.add(xo, tf.matMul(h, uo))), act(cNew));
        return [hNew, cNew];
      };
    } else {
      const [uz, ur, uh] = rParts;
      const resetAfter = this.args.resetAfter;
      step = ([xz, xr, xh], [h]) => {
        const zg = gateAct(tf.add(xz, tf.matMul(h, uz)));
        const rg = gateAct(tf.add(xr, tf.matMul(h, ur)));
        let hh: Tensor;
        if (resetAfter) {
          let ih = tf.matMul(h, uh);
          if (recHBias) ih = tf.add(ih, recHBias);
          hh = act(tf.add(xh, tf.mul(rg, ih)));
        } else {
          hh = act(tf.add(xh, tf.matMul(tf.mul(rg, h), uh)));
        }
        return [tf.add(tf.mul(zg, h), tf.mul(tf.sub(1, zg), hh))];
      };
    }

    const res = scan(xs, initial, masks, this.args.zeroOutputForMask, returnSequences, step);
    const output = returnSequences
      ? (steps === 0 ? tf.zeros([batch, 0, units]) : tf.stack(res.outputs, 1))
      : res.last;
    return returnState ? [output, ...res.states] : output;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { kind, units, useBias, resetAfter, returnSequences, returnState, goBackwards } = this.args;
    return { ...super.getConfig(), kind, units, useBias, resetAfter, returnSequences, returnState, goBackwards };
  }
}
serialization.registerClass(KerasRNN);

type LayerVar = ReturnType<layers.Layer['addWeight']>;
interface GateWeights { kParts: Tensor[]; rParts: Tensor[]; bParts: (Tensor | null)[]; recHBias: Tensor | null; gateAct: ActivationFn }

// ---------------------------------------------------------------------------------------------
// ConvLSTM1D / 2D / 3D
// ---------------------------------------------------------------------------------------------

export interface KerasConvLSTMArgs {
  name: string;
  trainable?: boolean;
  rank: 1 | 2 | 3;
  filters: number;
  kernelSize: number[];
  strides: number[];
  dilationRate: number[];
  padding: 'valid' | 'same';
  channelsFirst: boolean;
  activation: ActivationFn;
  recurrentActivation: ActivationFn;
  useBias: boolean;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  zeroOutputForMask: boolean;
}

function convOutLen(len: number | null, k: number, s: number, d: number, padding: string): number | null {
  if (len === null) return null;
  const eff = (k - 1) * d + 1;
  return padding === 'same' ? Math.ceil(len / s) : Math.floor((len - eff) / s) + 1;
}

function convNd(x: Tensor, w: Tensor, strides: number[], padding: 'valid' | 'same', dilation: number[]): Tensor {
  switch (x.rank) {
    case 3: return tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, strides[0], padding, 'NWC', dilation[0]);
    case 4: return tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides as [number, number], padding, 'NHWC', dilation as [number, number]);
    default: return tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, strides as [number, number, number], padding, 'NDHWC', dilation as [number, number, number]);
  }
}

export class KerasConvLSTM extends layers.Layer {
  static className = 'KerasImportConvLSTM';
  readonly args: KerasConvLSTMArgs;
  private vars: { kernel: LayerVar; recurrent: LayerVar; bias: LayerVar | null } | null = null;

  constructor(args: KerasConvLSTMArgs) {
    super({ name: args.name, trainable: args.trainable ?? true });
    this.args = args;
    this.supportsMasking = true;
  }

  readonly stateCount = 2;

  override apply(inputs: ApplyInput, kwargs?: Kwargs): ApplyOutput {
    return applyWithInitialState(this, super.apply, inputs, kwargs);
  }

  /** Keras: the sequence output keeps the input mask; last outputs and states have none. */
  outputCarriesMask(index: number): boolean {
    return index === 0 && this.args.returnSequences && (this as { inputMaskable?: boolean }).inputMaskable !== false;
  }

  private stateShape(shape: Shape): Shape {
    const { rank, filters, kernelSize, strides, dilationRate, padding, channelsFirst } = this.args;
    const spatialIn = channelsFirst ? shape.slice(3) : shape.slice(2, 2 + rank);
    const spatial = spatialIn.map((n, i) => convOutLen(n, kernelSize[i], strides[i], dilationRate[i], padding));
    return channelsFirst ? [shape[0], filters, ...spatial] : [shape[0], ...spatial, filters];
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const { rank, filters, kernelSize, useBias, channelsFirst } = this.args;
    const inDim = channelsFirst ? shape[2] : shape[shape.length - 1];
    if (shape.length !== rank + 3 || typeof inDim !== 'number') {
      throw new InvalidConfigError(`expects a ${rank + 3}D input (batch, time, ${rank} spatial, channels), got (${shape.join(', ')})`, { layer: this.name });
    }
    const zeros = initializers.zeros();
    this.vars = {
      kernel: this.addWeight('kernel', [...kernelSize, inDim, 4 * filters], 'float32', zeros),
      recurrent: this.addWeight('recurrent_kernel', [...kernelSize, filters, 4 * filters], 'float32', zeros),
      bias: useBias ? this.addWeight('bias', [4 * filters], 'float32', zeros) : null,
    };
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const st = this.stateShape(shape);
    const out: Shape = this.args.returnSequences ? [shape[0], shape[1], ...st.slice(1)] : st;
    return this.args.returnState ? [out, st, st] : out;
  }

  override computeMask(_inputs: Tensor | Tensor[], mask?: Tensor | Tensor[]): Tensor | Tensor[] {
    const m = mask == null ? null : Array.isArray(mask) ? mask[0] ?? null : mask;
    const outMask = this.args.returnSequences ? m : null;
    return this.args.returnState ? ([outMask, null, null] as Tensor[]) : (outMask as Tensor);
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const mask = callMask(this, kwargs);
    return tf.tidy(() => this.run(list[0], list.slice(1), mask));
  }

  run(x: Tensor, initialStates: Tensor[], mask: Tensor | null): Tensor | Tensor[] {
    if (!this.vars) throw new InvalidConfigError('layer used before it was built', { layer: this.name });
    const { rank, filters, strides, dilationRate, padding, channelsFirst, activation: act, recurrentActivation: ract } = this.args;
    const kernel = this.vars.kernel.read();
    const recurrent = this.vars.recurrent.read();
    const bias = this.vars.bias ? this.vars.bias.read() : null;
    const [batch, steps] = x.shape;
    // Work channels-last internally; channels_first inputs/outputs are transposed at the edges.
    const toLast = [0, ...Array.from({ length: rank }, (_, i) => i + 2), 1];
    const toFirst = [0, rank + 1, ...Array.from({ length: rank }, (_, i) => i + 1)];
    let seq = x;
    if (channelsFirst) seq = tf.transpose(seq, [0, 1, ...toLast.slice(1).map((a) => a + 1)]);
    if (this.args.goBackwards) seq = tf.reverse(seq, 1);
    const frame = seq.shape.slice(2);
    // One convolution over all timesteps: time folded into the batch.
    const timeMajor = tf.transpose(seq, [1, 0, ...frame.map((_, i) => i + 2)]);
    let xc = convNd(tf.reshape(timeMajor, [steps * batch, ...frame]), kernel, strides, padding, dilationRate);
    if (bias) xc = tf.add(xc, bias);
    const outFrame = xc.shape.slice(1);
    const xs = splitTime(tf.reshape(xc, [steps, batch, ...outFrame]));
    const stateShape = [batch, ...outFrame.slice(0, rank), filters];
    const masks = mask ? stepMasks(mask, this.args.goBackwards).map((m) => tf.reshape(m, [batch, ...new Array(rank + 1).fill(1)])) : null;

    let initial: Tensor[];
    if (initialStates.length) {
      if (initialStates.length !== 2) throw new InvalidConfigError(`got ${initialStates.length} initial states, expected 2`, { layer: this.name });
      initial = channelsFirst ? initialStates.map((s) => tf.transpose(s, toLast)) : initialStates;
    } else {
      initial = [tf.zeros(stateShape), tf.zeros(stateShape)];
    }
    const ones = new Array(rank).fill(1);
    const step = ([xt]: Tensor[], [h, c]: Tensor[]): Tensor[] => {
      const z = tf.add(xt, convNd(h, recurrent, ones, 'same', ones));
      const [zi, zf, zc, zo] = tf.split(z, 4, rank + 1);
      const cNew = tf.add(tf.mul(ract(zf), c), tf.mul(ract(zi), act(zc)));
      return [tf.mul(ract(zo), act(cNew)), cNew];
    };
    const res = scan(xs.map((t) => [t]), initial, masks, this.args.zeroOutputForMask, this.args.returnSequences, step);
    const back = (t: Tensor) => (channelsFirst ? tf.transpose(t, toFirst) : t);
    let output: Tensor;
    if (this.args.returnSequences) {
      output = tf.stack(res.outputs, 1);
      if (channelsFirst) output = tf.transpose(output, [0, 1, ...toFirst.slice(1).map((a) => a + 1)]);
    } else {
      output = back(res.last);
    }
    return this.args.returnState ? [output, ...res.states.map(back)] : output;
  }
}
serialization.registerClass(KerasConvLSTM);

// ---------------------------------------------------------------------------------------------
// Builders: config → layer, stored Keras weights → the fused (kernel, recurrent_kernel, bias) form
// ---------------------------------------------------------------------------------------------

const RNN_CLASSES: Record<string, CellKind> = {
  SimpleRNN: 'simple', LSTM: 'lstm', GRU: 'gru', CuDNNLSTM: 'lstm', CuDNNGRU: 'gru',
  // TF 1.13 / 2.0-alpha class names (tfjs-converter maps them the same way).
  UnifiedLSTM: 'lstm', UnifiedGRU: 'gru',
};

function checkSupportedRnnConfig(layer: LayerSpec, ctx: BuildContext): void {
  const cfg = layer.config;
  if (cfg.time_major) {
    throw new UnsupportedFeatureError('time_major=True recurrent layers are not supported', { file: ctx.source, layer: layer.name });
  }
}

/** Options for a plain RNN layer from a normalized config (used by Bidirectional too). */
export function rnnArgsFromSpec(layer: LayerSpec, ctx: BuildContext, overrides: Partial<KerasRNNArgs> = {}): KerasRNNArgs {
  const kind = RNN_CLASSES[layer.className];
  if (!kind) throw new UnsupportedFeatureError(`'${layer.className}' is not a recurrent layer`, { file: ctx.source, layer: layer.name });
  checkSupportedRnnConfig(layer, ctx);
  const cfg = layer.config;
  const where = { file: ctx.source, layer: layer.name };
  const cudnn = layer.className.startsWith('CuDNN');
  const units = cfgPositiveInt(layer, ctx, 'units');
  // CuDNN layers have fixed activations (tanh, sigmoid) and GRU reset_after semantics.
  const actName = cudnn ? 'tanh' : activationName(cfg.activation, 'tanh');
  const ractName = cudnn ? 'sigmoid' : activationName(cfg.recurrent_activation, defaultRecurrentActivation(ctx));
  const resetAfter = cudnn ? true : cfgBool(cfg, 'reset_after', ctx.kerasMajor === 3);
  return {
    name: layer.name,
    trainable: layer.trainable,
    kind,
    units,
    activation: kerasActivation(actName, ctx.kerasMajor, where),
    recurrentActivation: kerasActivation(ractName, ctx.kerasMajor, where),
    useBias: cudnn ? true : cfgBool(cfg, 'use_bias', true),
    resetAfter: kind === 'gru' && resetAfter,
    returnSequences: cfgBool(cfg, 'return_sequences', false),
    returnState: cfgBool(cfg, 'return_state', false),
    goBackwards: cfgBool(cfg, 'go_backwards', false),
    zeroOutputForMask: cfgBool(cfg, 'zero_output_for_mask', false),
    ...overrides,
  };
}

function wtensor(w: WeightSpec): Tensor {
  return tf.tensor(Float32Array.from(w.values), w.shape, 'float32');
}

function mismatch(layer: LayerSpec, ctx: BuildContext, why: string): WeightMismatchError {
  return new WeightMismatchError(why, {
    file: ctx.source, layer: layer.name,
    hint: 'the stored weights do not fit this layer configuration; check that the weights belong to this architecture',
  });
}

/** Splits the last axis into `n` blocks and applies `f` to each block, re-concatenating. */
function perGate(t: Tensor, n: number, f: (b: Tensor) => Tensor): Tensor {
  return tf.concat(tf.split(t, n, t.rank - 1).map(f), t.rank - 1);
}

/** CuDNN input-kernel block (in,u) → plain: its C-order buffer read as (u,in), transposed (formats.md §2.5). */
function cudnnInputBlock(b: Tensor): Tensor {
  const [inDim, u] = b.shape;
  return tf.transpose(tf.reshape(b, [u, inDim]));
}

/**
 * Stored RNN weights (any Keras generation) → [kernel, recurrent_kernel, bias?] as KerasRNN holds them.
 * Handles Keras 1 per-gate lists (LSTM 12 tensors i,c,f,o; GRU 9 tensors z,r,h), CuDNN biases (8u / 6u)
 * and flat (6u) GRU biases.
 */
export function convertRnnWeights(layer: LayerSpec, args: KerasRNNArgs, weights: WeightSpec[], ctx: BuildContext): Tensor[] {
  return tf.tidy(() => {
    const { kind, units, useBias, resetAfter } = args;
    const g = gatesOf(kind);
    let ws = weights.map(wtensor);
    if (kind === 'lstm' && ws.length === 12) {
      // Keras 1: W_i,U_i,b_i, W_c,U_c,b_c, W_f,U_f,b_f, W_o,U_o,b_o → fused i,f,c,o.
      ws = [0, 1, 2].map((k) => tf.concat([ws[k], ws[6 + k], ws[3 + k], ws[9 + k]], -1));
    } else if (kind === 'gru' && ws.length === 9) {
      ws = [0, 1, 2].map((k) => tf.concat([ws[k], ws[3 + k], ws[6 + k]], -1));
    }
    const expected = useBias ? 3 : 2;
    if (ws.length !== expected) {
      throw mismatch(layer, ctx, `expected ${expected} weight tensors (kernel, recurrent_kernel${useBias ? ', bias' : ''}), the file has ${weights.length}`);
    }
    let [kernel, recurrent, bias] = ws;
    if (kernel.rank !== 2 || kernel.shape[1] !== g * units) {
      throw mismatch(layer, ctx, `kernel has shape [${kernel.shape}], expected [input_dim, ${g * units}]`);
    }
    if (recurrent.rank !== 2 || recurrent.shape[0] !== units || recurrent.shape[1] !== g * units) {
      throw mismatch(layer, ctx, `recurrent_kernel has shape [${recurrent.shape}], expected [${units}, ${g * units}]`);
    }
    const fromCudnn = layer.className.startsWith('CuDNN') || (bias !== undefined && bias.rank === 1 && bias.shape[0] === 2 * g * units && kind !== 'simple');
    if (fromCudnn && bias) {
      if (kind === 'gru' && !resetAfter) {
        throw mismatch(layer, ctx, 'CuDNNGRU weights (two bias sets) cannot be used by a GRU with reset_after=False');
      }
      if (bias.rank !== 1 || bias.shape[0] !== 2 * g * units) throw mismatch(layer, ctx, `CuDNN bias has shape [${bias.shape}], expected [${2 * g * units}]`);
      kernel = perGate(kernel, g, cudnnInputBlock);
      recurrent = perGate(recurrent, g, (b) => tf.transpose(b));
      const [bIn, bRec] = tf.split(bias, 2);
      bias = kind === 'lstm' ? tf.add(bIn, bRec) : tf.stack([bIn, bRec]);
    }
    if (bias) {
      const want = kind === 'gru' && resetAfter ? [2, g * units] : [g * units];
      if (bias.size !== want[0] * (want[1] ?? 1)) {
        throw mismatch(layer, ctx, `bias has shape [${bias.shape}], expected [${want}]${kind === 'gru' ? ` (reset_after=${resetAfter ? 'True' : 'False'})` : ''}`);
      }
      if (bias.rank !== want.length) bias = tf.reshape(bias, want);
      if (bias.shape.some((n, i) => n !== want[i])) throw mismatch(layer, ctx, `bias has shape [${bias.shape}], expected [${want}]`);
    }
    return bias ? [kernel, recurrent, bias] : [kernel, recurrent];
  });
}

export function createRnn(layer: LayerSpec, ctx: BuildContext, overrides: Partial<KerasRNNArgs> = {}): KerasRNN {
  return new KerasRNN(rnnArgsFromSpec(layer, ctx, overrides));
}

// ---------------------------------------------------------------------------------------------
// Generic RNN(cell=…) and StackedRNNCells
// ---------------------------------------------------------------------------------------------

const CELL_CLASSES: Record<string, string> = { SimpleRNNCell: 'SimpleRNN', LSTMCell: 'LSTM', GRUCell: 'GRU' };

interface RawLayer { class_name?: unknown; config?: unknown }

function rawCells(layer: LayerSpec, ctx: BuildContext): RawLayer[] {
  const cell = layer.config.cell as RawLayer | RawLayer[] | undefined;
  const where = { file: ctx.source, layer: layer.name };
  if (cell == null) throw new InvalidConfigError('RNN has no cell configuration', where);
  const list = Array.isArray(cell) ? cell : cell.class_name === 'StackedRNNCells'
    ? ((cell.config as Record<string, unknown> | undefined)?.cells as RawLayer[] | undefined) ?? [] : [cell];
  if (!list.length) throw new InvalidConfigError('RNN has an empty cell stack', where);
  for (const c of list) {
    if (typeof c !== 'object' || c === null || typeof c.class_name !== 'string' || typeof c.config !== 'object' || c.config === null) {
      throw new InvalidConfigError('RNN cell is not a layer configuration', where);
    }
    if (!CELL_CLASSES[c.class_name as string]) {
      throw new UnsupportedFeatureError(`RNN cell '${c.class_name}' is not supported`, {
        ...where, hint: 'supported cells: SimpleRNNCell, LSTMCell, GRUCell and StackedRNNCells of them',
      });
    }
  }
  return list;
}

/** One cell of `RNN(cell)` as the equivalent full layer spec (the RNN's return/go_backwards flags applied). */
function cellSpec(layer: LayerSpec, cell: RawLayer, i: number, flags: Record<string, unknown>): LayerSpec {
  const config = { ...(cell.config as Record<string, unknown>), ...flags };
  return {
    name: `${layer.name}_cell${i}`, className: CELL_CLASSES[cell.class_name as string], module: null, registeredName: null,
    config, originalConfig: cell, inboundNodes: [], weights: [], trainable: layer.trainable,
  };
}

/**
 * RNN over StackedRNNCells: each step feeds cell k's output to cell k+1, which equals running the cells
 * one after another over whole sequences (no cell depends on a later one). go_backwards reverses the
 * input (and mask) once for the whole stack.
 */
export class KerasStackedRNN extends layers.Layer {
  static className = 'KerasImportStackedRNN';
  readonly cells: KerasRNN[];
  readonly args: { returnSequences: boolean; returnState: boolean; goBackwards: boolean; zeroOutputForMask: boolean };

  constructor(name: string, cells: KerasRNN[], args: KerasStackedRNN['args'], trainable = true) {
    super({ name, trainable });
    this.cells = cells;
    this.args = args;
    this.supportsMasking = true;
  }

  get stateCount(): number { return this.cells.reduce((n, c) => n + c.stateCount, 0); }

  override apply(inputs: ApplyInput, kwargs?: Kwargs): ApplyOutput {
    return applyWithInitialState(this, super.apply, inputs, kwargs);
  }

  /** Keras: the sequence output keeps the input mask; last outputs and states have none. */
  outputCarriesMask(index: number): boolean {
    return index === 0 && this.args.returnSequences && (this as { inputMaskable?: boolean }).inputMaskable !== false;
  }

  override build(inputShape: Shape | Shape[]): void {
    let shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    for (const c of this.cells) {
      c.build(shape);
      shape = [shape[0], shape[1], c.args.units];
    }
    this.built = true;
  }

  override get trainableWeights(): LayerVar[] { return this.cells.flatMap((c) => c.trainableWeights); }
  override set trainableWeights(_w: LayerVar[]) { /* owned by the cells */ }
  override get nonTrainableWeights(): LayerVar[] { return this.cells.flatMap((c) => c.nonTrainableWeights); }
  override set nonTrainableWeights(_w: LayerVar[]) { /* owned by the cells */ }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const units = this.cells[this.cells.length - 1].args.units;
    const out: Shape = this.args.returnSequences ? [shape[0], shape[1], units] : [shape[0], units];
    if (!this.args.returnState) return out;
    return [out, ...this.cells.flatMap((c) => new Array(c.stateCount).fill([shape[0], c.args.units]) as Shape[])];
  }

  override computeMask(_inputs: Tensor | Tensor[], mask?: Tensor | Tensor[]): Tensor | Tensor[] {
    const m = mask == null ? null : Array.isArray(mask) ? mask[0] ?? null : mask;
    const outMask = this.args.returnSequences ? m : null;
    if (this.args.returnState) return [outMask, ...new Array(this.stateCount).fill(null)] as Tensor[];
    return outMask as Tensor;
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => this.run(list[0], list.slice(1), callMask(this, kwargs)));
  }

  run(x: Tensor, initialStates: Tensor[], mask: Tensor | null): Tensor | Tensor[] {
    let seq = this.args.goBackwards ? tf.reverse(x, 1) : x;
    const m = mask && this.args.goBackwards ? tf.greater(tf.reverse(tf.cast(mask, 'float32'), 1), 0.5) : mask;
    if (initialStates.length && initialStates.length !== this.stateCount) {
      throw new InvalidConfigError(`got ${initialStates.length} initial states, expected ${this.stateCount}`, { layer: this.name });
    }
    const states: Tensor[] = [];
    let offset = 0;
    this.cells.forEach((c, i) => {
      const init = initialStates.length ? initialStates.slice(offset, offset + c.stateCount) : [];
      offset += c.stateCount;
      const last = i === this.cells.length - 1;
      const res = c.run(seq, init, m) as Tensor[];
      seq = res[0];
      states.push(...res.slice(1));
      if (last && this.args.zeroOutputForMask && m) {
        const mm = tf.expandDims(m.dtype === 'bool' ? m : tf.greater(m, 0.5), 2);
        seq = tf.where(tf.broadcastTo(mm, seq.shape), seq, tf.zerosLike(seq));
      }
    });
    const steps = seq.shape[1] as number;
    const output = this.args.returnSequences ? seq : tf.squeeze(tf.slice(seq, [0, steps - 1, 0], [-1, 1, -1]), [1]);
    return this.args.returnState ? [output, ...states] : output;
  }
}
tf.serialization.registerClass(KerasStackedRNN);

/** `RNN(cell)`: one cell → our plain recurrent layer; StackedRNNCells → KerasStackedRNN. */
export function createGenericRnn(layer: LayerSpec, ctx: BuildContext, overrides: Partial<KerasRNNArgs> = {}): KerasRNN | KerasStackedRNN {
  const cfg = layer.config;
  const cells = rawCells(layer, ctx);
  const flags = {
    return_sequences: cfg.return_sequences ?? false, return_state: cfg.return_state ?? false,
    go_backwards: cfg.go_backwards ?? false, zero_output_for_mask: cfg.zero_output_for_mask ?? false,
  };
  if (cells.length === 1 && !(cfg.cell as RawLayer).class_name?.toString().startsWith('Stacked')) {
    return createRnn({ ...cellSpec(layer, cells[0], 0, flags), name: layer.name }, ctx, overrides);
  }
  const subs = cells.map((c, i) => createRnn(cellSpec(layer, c, i, {}), ctx, {
    returnSequences: true, returnState: true, goBackwards: false, zeroOutputForMask: false,
  }));
  return new KerasStackedRNN(layer.name, subs, {
    returnSequences: Boolean(overrides.returnSequences ?? flags.return_sequences),
    returnState: Boolean(overrides.returnState ?? flags.return_state),
    goBackwards: Boolean(overrides.goBackwards ?? flags.go_backwards),
    zeroOutputForMask: Boolean(overrides.zeroOutputForMask ?? flags.zero_output_for_mask),
  }, layer.trainable);
}

export function convertGenericRnnWeights(layer: LayerSpec, tfLayer: KerasRNN | KerasStackedRNN, ctx: BuildContext): Tensor[] {
  const cells = tfLayer instanceof KerasStackedRNN ? tfLayer.cells : [tfLayer];
  const need = cells.reduce((n, c) => n + (c.args.useBias ? 3 : 2), 0);
  if (layer.weights.length !== need) {
    throw mismatch(layer, ctx, `expected ${need} weight tensors for ${cells.length} cell(s), the file has ${layer.weights.length}`);
  }
  let offset = 0;
  return cells.flatMap((c) => {
    const n = c.args.useBias ? 3 : 2;
    const part = layer.weights.slice(offset, offset + n);
    offset += n;
    return convertRnnWeights(layer, c.args, part, ctx);
  });
}

export const genericRnnBuilder: LayerBuilder = {
  classNames: ['RNN'],
  create: (layer, ctx) => createGenericRnn(layer, ctx),
  convertWeights: (layer, tfLayer, ctx) => convertGenericRnnWeights(layer, tfLayer as KerasRNN | KerasStackedRNN, ctx),
};

const CONV_LSTM_RANK: Record<string, 1 | 2 | 3> = { ConvLSTM1D: 1, ConvLSTM2D: 2, ConvLSTM3D: 3 };

export function convLstmArgsFromSpec(layer: LayerSpec, ctx: BuildContext, overrides: Partial<KerasConvLSTMArgs> = {}): KerasConvLSTMArgs {
  const rank = CONV_LSTM_RANK[layer.className];
  if (!rank) throw new UnsupportedFeatureError(`'${layer.className}' is not a ConvLSTM layer`, { file: ctx.source, layer: layer.name });
  const cfg = layer.config;
  const where = { file: ctx.source, layer: layer.name };
  const padding = String(cfg.padding ?? 'valid').toLowerCase();
  if (padding !== 'valid' && padding !== 'same') {
    throw new UnsupportedFeatureError(`padding '${padding}' is not supported for ${layer.className}`, { ...where, hint: "use 'valid' or 'same'" });
  }
  const df = cfg.data_format ?? 'channels_last';
  if (df !== 'channels_last' && df !== 'channels_first') {
    throw new InvalidConfigError(`unknown data_format ${JSON.stringify(df)}`, where);
  }
  return {
    name: layer.name,
    trainable: layer.trainable,
    rank,
    filters: cfgPositiveInt(layer, ctx, 'filters'),
    kernelSize: cfgTuple(layer, ctx, 'kernel_size', rank, 1),
    strides: cfgTuple(layer, ctx, 'strides', rank, 1),
    dilationRate: cfgTuple(layer, ctx, 'dilation_rate', rank, 1),
    padding,
    channelsFirst: df === 'channels_first',
    activation: kerasActivation(activationName(cfg.activation, 'tanh'), ctx.kerasMajor, where),
    recurrentActivation: kerasActivation(activationName(cfg.recurrent_activation, defaultRecurrentActivation(ctx)), ctx.kerasMajor, where),
    useBias: cfgBool(cfg, 'use_bias', true),
    returnSequences: cfgBool(cfg, 'return_sequences', false),
    returnState: cfgBool(cfg, 'return_state', false),
    goBackwards: cfgBool(cfg, 'go_backwards', false),
    zeroOutputForMask: cfgBool(cfg, 'zero_output_for_mask', false),
    ...overrides,
  };
}

/**
 * Stored ConvLSTM weights → [kernel (k…,in,4f), recurrent (k…,f,4f), bias (4f)].
 * Keras 1 stored 12 per-gate tensors (i,c,f,o), with 'th' kernels as (out,in,k…); Theano-trained kernels
 * are flipped spatially (convolution vs correlation).
 */
export function convertConvLstmWeights(layer: LayerSpec, args: KerasConvLSTMArgs, weights: WeightSpec[], ctx: BuildContext): Tensor[] {
  return tf.tidy(() => {
    const { rank, filters, kernelSize, useBias } = args;
    let ws = weights.map(wtensor);
    if (ws.length === 12) {
      // Keras 1 'th' kernels are (out, in, k…): move to (k…, in, out) before fusing gates on the last axis.
      const thOrder = ws[0].shape[0] === filters && ws[0].shape.slice(2).every((n, i) => n === kernelSize[i]) && ws[0].rank === rank + 2
        && !(ws[0].shape.slice(0, rank).every((n, i) => n === kernelSize[i]) && ws[0].shape[rank + 1] === filters);
      if (thOrder) {
        const perm = [...Array.from({ length: rank }, (_, i) => i + 2), 1, 0];
        ws = ws.map((w) => (w.rank === rank + 2 ? tf.transpose(w, perm) : w));
      }
      ws = [0, 1, 2].map((k) => tf.concat([ws[k], ws[6 + k], ws[3 + k], ws[9 + k]], -1));
    }
    const expected = useBias ? 3 : 2;
    if (ws.length !== expected) throw mismatch(layer, ctx, `expected ${expected} weight tensors, the file has ${weights.length}`);
    let [kernel, recurrent] = ws;
    const bias = ws[2];
    const kOk = kernel.rank === rank + 2 && kernel.shape.slice(0, rank).every((n, i) => n === kernelSize[i]) && kernel.shape[rank + 1] === 4 * filters;
    const rOk = recurrent.rank === rank + 2 && recurrent.shape.slice(0, rank).every((n, i) => n === kernelSize[i])
      && recurrent.shape[rank] === filters && recurrent.shape[rank + 1] === 4 * filters;
    if (!kOk) throw mismatch(layer, ctx, `kernel has shape [${kernel.shape}], expected [${kernelSize}, in, ${4 * filters}]`);
    if (!rOk) throw mismatch(layer, ctx, `recurrent_kernel has shape [${recurrent.shape}], expected [${kernelSize}, ${filters}, ${4 * filters}]`);
    if (bias && (bias.rank !== 1 || bias.shape[0] !== 4 * filters)) throw mismatch(layer, ctx, `bias has shape [${bias.shape}], expected [${4 * filters}]`);
    if (ctx.options.theano || ctx.backend === 'theano') {
      const axes = Array.from({ length: rank }, (_, i) => i);
      kernel = tf.reverse(kernel, axes);
      recurrent = tf.reverse(recurrent, axes);
    }
    return bias ? [kernel, recurrent, bias] : [kernel, recurrent];
  });
}

export const rnnBuilder: LayerBuilder = {
  classNames: Object.keys(RNN_CLASSES),
  create: (layer, ctx) => createRnn(layer, ctx),
  convertWeights: (layer, tfLayer, ctx) => convertRnnWeights(layer, (tfLayer as KerasRNN).args, layer.weights, ctx),
};

export const convLstmBuilder: LayerBuilder = {
  classNames: Object.keys(CONV_LSTM_RANK),
  create: (layer, ctx) => new KerasConvLSTM(convLstmArgsFromSpec(layer, ctx)),
  convertWeights: (layer, tfLayer, ctx) => convertConvLstmWeights(layer, (tfLayer as KerasConvLSTM).args, layer.weights, ctx),
};

registerBuilder(rnnBuilder);
registerBuilder(genericRnnBuilder);
registerBuilder(convLstmBuilder);
