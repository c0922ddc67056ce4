/**
 * Attention layers: Attention (dot / concat scores, use_scale, causal), AdditiveAttention and
 * MultiHeadAttention (any attention_axes, output_shape, use_gate, sliding_window, masks), on tfjs-core ops
 * with Keras 3's equations (keras/src/layers/attention).
 *
 * Their calls take several tensors in different roles (query, value, key, masks), so each layer gets a
 * fixed input layout ("roles") decided from the call recorded in the file; the builder's `callNode`
 * hook feeds the graph tensors in that order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { InvalidConfigError, UnsupportedFeatureError, WeightMismatchError } from '../errors.ts';
import type { LayerSpec, NodeArg, NodeSpec, TensorRef } from '../spec/types.ts';
import { registerBuilder, type BuildContext, type LayerBuilder } from './registry.ts';
import { activationName, kerasActivation, noteMaskSource } from './recurrent.ts';

type Tensor = tf.Tensor;
type Kwargs = Record<string, unknown>;
type Shape = (number | null)[];
type LayerVar = ReturnType<layers.Layer['addWeight']>;

export type Role = 'query' | 'value' | 'key' | 'query_mask' | 'value_mask' | 'key_mask' | 'attention_mask';
const MASK_ROLES = new Set<Role>(['query_mask', 'value_mask', 'key_mask', 'attention_mask']);

// Keras: masked scores get -1e9 (float32) before the softmax.
const LARGE_NEGATIVE = 1e9;

function constKwarg(node: NodeSpec | undefined, key: string): unknown {
  const a = node?.kwargs[key];
  return a && a.kind === 'const' ? a.value : undefined;
}

function boolMask(m: Tensor): Tensor {
  return m.dtype === 'bool' ? m : tf.greater(m, 0.5);
}

/** Call-time switches (`use_causal_mask`, `return_attention_scores`) from the recorded call. */
function callFlags(layer: LayerSpec): { causal: boolean; returnScores: boolean } {
  const nodes = layer.inboundNodes.length ? layer.inboundNodes : [undefined];
  const flags = nodes.map((n) => ({
    causal: constKwarg(n, 'use_causal_mask') === true,
    returnScores: constKwarg(n, 'return_attention_scores') === true,
  }));
  // One tfjs layer serves every call, so the switches must agree.
  if (flags.some((f) => f.causal !== flags[0].causal || f.returnScores !== flags[0].returnScores)) {
    throw new UnsupportedFeatureError('a shared attention layer is called with different use_causal_mask / return_attention_scores', {
      layer: layer.name,
    });
  }
  return flags[0];
}

/** Tensors of one NodeArg, flattened; consts (e.g. a None mask) give nothing. */
function argRefs(a: NodeArg | undefined): TensorRef[] {
  if (!a) return [];
  if (a.kind === 'tensor') return [a.ref];
  if (a.kind === 'list') return a.items.flatMap(argRefs);
  if (a.kind === 'dict') return Object.values(a.items).flatMap(argRefs);
  return [];
}

/** For the Attention/AdditiveAttention call `layer([q, v, k?], mask=[qm, vm])`: (role, tensor) pairs in call order. */
function dotAttentionRoles(node: NodeSpec): Array<[Role, TensorRef]> {
  const main = node.args[0];
  const items = main?.kind === 'list' ? main.items : node.args;
  const out: Array<[Role, TensorRef]> = [];
  const names: Role[] = ['query', 'value', 'key'];
  items.slice(0, 3).forEach((a, i) => { if (a.kind === 'tensor') out.push([names[i], a.ref]); });
  const mask = node.kwargs.mask ?? (main?.kind === 'list' ? node.args[1] : undefined);
  if (mask?.kind === 'list') {
    const mnames: Role[] = ['query_mask', 'value_mask', 'key_mask'];
    mask.items.slice(0, 3).forEach((a, i) => { if (a.kind === 'tensor') out.push([mnames[i], a.ref]); });
  }
  return out;
}

/** For MHA `layer(query, value, key=None, …, attention_mask=…)`: positional then keyword tensors. */
function mhaRoles(node: NodeSpec): Array<[Role, TensorRef]> {
  const out: Array<[Role, TensorRef]> = [];
  const positional: Role[] = ['query', 'value', 'key'];
  node.args.slice(0, 3).forEach((a, i) => { if (a.kind === 'tensor') out.push([positional[i], a.ref]); });
  for (const role of ['query', 'value', 'key', 'query_mask', 'value_mask', 'key_mask', 'attention_mask'] as Role[]) {
    const a = node.kwargs[role];
    if (a?.kind === 'tensor') out.push([role, a.ref]);
  }
  return out;
}

/** The roles each input plays; one tensor can play several (self-attention: query and value). */
export type InputRoles = Role[][];

function roleIndex(roles: InputRoles, r: Role): number {
  return roles.findIndex((rs) => rs.includes(r));
}

/**
 * Groups (role, tensor) pairs by tensor, in first-use order. Passing a tensor once matters: tfjs'
 * executor frees a tensor after as many uses as it has *distinct* consumers, so a layer taking the
 * same tensor twice would free it while later layers still need it.
 */
function groupRoles(pairs: Array<[Role, TensorRef]>): { roles: InputRoles; refs: TensorRef[] } {
  const roles: InputRoles = [];
  const refs: TensorRef[] = [];
  for (const [role, ref] of pairs) {
    const i = refs.findIndex((r) => r.layer === ref.layer && r.node === ref.node && r.tensor === ref.tensor);
    if (i >= 0) roles[i].push(role);
    else { refs.push(ref); roles.push([role]); }
  }
  return { roles, refs };
}

function rolesEqual(a: InputRoles, b: InputRoles): boolean {
  return a.length === b.length && a.every((rs, i) => rs.length === b[i].length && rs.every((r, j) => r === b[i][j]));
}

/** Picks the tensors by role from the layer's input list; Keras masks (kwargs.mask) fill the mask roles not given explicitly. */
function byRole(roles: InputRoles, list: Tensor[], kwargs: Kwargs): Partial<Record<Role, Tensor>> {
  const got: Partial<Record<Role, Tensor>> = {};
  roles.forEach((rs, i) => { if (list[i]) for (const r of rs) got[r] = list[i]; });
  const m = kwargs?.mask as Tensor | (Tensor | null)[] | null | undefined;
  if (m != null) {
    const masks = Array.isArray(m) ? m : [m];
    // Masks arrive per input in input order (tfjs passes the first input's mask only).
    roles.forEach((rs, i) => {
      for (const r of rs) {
        if (MASK_ROLES.has(r)) continue;
        const key = `${r}_mask` as Role;
        if (got[key] === undefined && masks[i] != null) got[key] = masks[i]!;
      }
    });
  }
  // Self-attention passes the same tensor as query and value: it has the same Keras mask.
  if (got.value_mask === undefined && got.query_mask !== undefined && got.value === got.query) got.value_mask = got.query_mask;
  return got;
}

/** kwargs without the executor's mask when the layer's first input cannot carry one (see mayCarryMask). */
function maskGated(layer: layers.Layer, kwargs: Kwargs): Kwargs {
  if ((layer as layers.Layer & { inputMaskable?: boolean }).inputMaskable !== false || kwargs?.mask == null) return kwargs;
  const { mask: _stale, ...rest } = kwargs;
  return rest;
}

type ApplyInput = Parameters<layers.Layer['apply']>[0];
type ApplyOutput = ReturnType<layers.Layer['apply']>;

/** Causal mask [1, Tq, Tv]: query i sees keys j ≤ i (top-left aligned, as Keras). */
function causalMask(tq: number, tv: number): Tensor {
  return tf.expandDims(tf.greaterEqual(tf.expandDims(tf.range(0, tq, 1, 'int32'), 1), tf.expandDims(tf.range(0, tv, 1, 'int32'), 0)), 0);
}

function andMasks(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (!a) return b;
  if (!b) return a;
  return tf.logicalAnd(a, b);
}

// ---------------------------------------------------------------------------------------------
// Attention / AdditiveAttention
// ---------------------------------------------------------------------------------------------

export interface DotAttentionArgs {
  name: string;
  trainable?: boolean;
  /** 'dot' and 'concat' are Attention's score modes; 'additive' is AdditiveAttention. */
  scoreMode: 'dot' | 'concat' | 'additive';
  useScale: boolean;
  causal: boolean;
  returnScores: boolean;
  roles: InputRoles;
}

export class KerasDotAttention extends layers.Layer {
  static className = 'KerasImportAttention';
  readonly args: DotAttentionArgs;
  private scale: LayerVar | null = null;
  private concatWeight: LayerVar | null = null;

  constructor(args: DotAttentionArgs) {
    super({ name: args.name, trainable: args.trainable ?? true });
    this.args = args;
    this.supportsMasking = true;
  }

  override apply(inputs: ApplyInput, kwargs?: Kwargs): ApplyOutput {
    noteMaskSource(this, inputs);
    return super.apply(inputs, kwargs);
  }

  private shapes(inputShape: Shape | Shape[]): Shape[] {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const qi = roleIndex(this.args.roles, 'query');
    const vi = roleIndex(this.args.roles, 'value');
    if (qi < 0 || vi < 0 || qi >= shapes.length || vi >= shapes.length) {
      throw new InvalidConfigError('Attention needs a list of inputs [query, value(, key)]', { layer: this.name });
    }
    return shapes;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = this.shapes(inputShape);
    const ones = initializers.ones();
    const { scoreMode, useScale } = this.args;
    if (scoreMode === 'additive') {
      const dim = shapes[0][shapes[0].length - 1];
      if (useScale) this.scale = this.addWeight('scale', [dim as number], 'float32', ones);
    } else {
      if (useScale) this.scale = this.addWeight('scale', [], 'float32', ones);
      if (scoreMode === 'concat') this.concatWeight = this.addWeight('concat_score_weight', [], 'float32', ones);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const shapes = this.shapes(inputShape);
    const q = shapes[roleIndex(this.args.roles, 'query')];
    const v = shapes[roleIndex(this.args.roles, 'value')];
    const out: Shape = [...q.slice(0, -1), v[v.length - 1]];
    if (!this.args.returnScores) return out;
    return [out, [q[0], q[1], v[1]]];
  }

  override computeMask(_inputs: Tensor | Tensor[], mask?: Tensor | Tensor[]): Tensor | Tensor[] {
    const qi = roleIndex(this.args.roles, 'query_mask');
    const list = mask == null ? [] : Array.isArray(mask) ? mask : [mask];
    const m = (qi >= 0 ? null : list[0]) ?? null;
    return (this.args.returnScores ? [m, null] : m) as Tensor;
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => {
      const t = byRole(this.args.roles, list, maskGated(this, kwargs));
      if (!t.query || !t.value) throw new InvalidConfigError('Attention needs query and value inputs', { layer: this.name });
      const q = t.query;
      const v = t.value;
      const k = t.key ?? v;
      const { scoreMode } = this.args;
      let scores: Tensor;
      if (scoreMode === 'dot') {
        scores = tf.matMul(q, k, false, true);
        if (this.scale) scores = tf.mul(scores, this.scale.read());
      } else {
        let sum = tf.add(tf.expandDims(q, -2), tf.expandDims(k, -3)); // [B, Tq, Tv, D]
        if (scoreMode === 'concat') {
          if (this.scale) sum = tf.mul(this.scale.read(), sum);
          scores = tf.mul(this.concatWeight!.read(), tf.sum(tf.tanh(sum), -1));
        } else {
          const th = tf.tanh(sum);
          scores = tf.sum(this.scale ? tf.mul(this.scale.read(), th) : th, -1);
        }
      }
      const [, tq, tv] = scores.shape;
      let scoreMask: Tensor | null = t.value_mask ? tf.expandDims(boolMask(t.value_mask), -2) : null;
      if (this.args.causal) scoreMask = andMasks(scoreMask, causalMask(tq, tv));
      if (scoreMask) scores = tf.where(tf.broadcastTo(scoreMask, scores.shape), scores, tf.sub(scores, LARGE_NEGATIVE));
      const weights = tf.softmax(scores, -1);
      let out = tf.matMul(weights, v);
      if (t.query_mask) {
        const qm = tf.expandDims(boolMask(t.query_mask), -1);
        out = tf.where(tf.broadcastTo(qm, out.shape), out, tf.zerosLike(out));
      }
      return this.args.returnScores ? [out, weights] : out;
    });
  }
}
tf.serialization.registerClass(KerasDotAttention);

// ---------------------------------------------------------------------------------------------
// MultiHeadAttention
// ---------------------------------------------------------------------------------------------

export interface MhaArgs {
  name: string;
  trainable?: boolean;
  numHeads: number;
  keyDim: number;
  valueDim: number;
  useBias: boolean;
  useGate: boolean;
  /** Output feature dims; null = the query's last dim. */
  outputShape: number[] | null;
  /** As configured (null = every axis except batch, heads, features). */
  attentionAxes: number[] | null;
  slidingWindow: number | null;
  causal: boolean;
  returnScores: boolean;
  roles: InputRoles;
}

interface Dense3 { kernel: LayerVar; bias: LayerVar | null }

export class KerasMultiHeadAttention extends layers.Layer {
  static className = 'KerasImportMultiHeadAttention';
  readonly args: MhaArgs;
  private dense: { query: Dense3; key: Dense3; gate: Dense3 | null; value: Dense3; output: Dense3 } | null = null;

  constructor(args: MhaArgs) {
    super({ name: args.name, trainable: args.trainable ?? true });
    this.args = args;
    this.supportsMasking = true;
  }

  override apply(inputs: ApplyInput, kwargs?: Kwargs): ApplyOutput {
    noteMaskSource(this, inputs);
    return super.apply(inputs, kwargs);
  }

  private shapeOf(inputShape: Shape | Shape[], role: Role): Shape | null {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const i = roleIndex(this.args.roles, role);
    return i >= 0 && i < shapes.length ? shapes[i] : null;
  }

  private outDims(queryShape: Shape): number[] {
    return this.args.outputShape ?? [queryShape[queryShape.length - 1] as number];
  }

  /** Attention axes of the projected tensors (rank = query rank + 1), as Keras normalizes them. */
  attnAxes(queryRank: number): number[] {
    const rank = queryRank + 1;
    if (this.args.attentionAxes === null) return Array.from({ length: rank - 3 }, (_, i) => i + 1);
    return this.args.attentionAxes.map((a) => (a >= 0 ? a : rank - 1 + a));
  }

  override build(inputShape: Shape | Shape[]): void {
    const q = this.shapeOf(inputShape, 'query');
    const v = this.shapeOf(inputShape, 'value') ?? q;
    const k = this.shapeOf(inputShape, 'key') ?? v;
    if (!q || !v || !k) throw new InvalidConfigError('MultiHeadAttention needs query and value inputs', { layer: this.name });
    const last = (s: Shape) => s[s.length - 1] as number;
    const { numHeads: h, keyDim, valueDim, useBias, useGate } = this.args;
    const zeros = initializers.zeros();
    const mk = (name: string, kShape: number[], bShape: number[]): Dense3 => ({
      kernel: this.addWeight(`${name}/kernel`, kShape, 'float32', zeros),
      bias: useBias ? this.addWeight(`${name}/bias`, bShape, 'float32', zeros) : null,
    });
    // Creation order = Keras weight order: query, key, (gate), value, output.
    const query = mk('query', [last(q), h, keyDim], [h, keyDim]);
    const key = mk('key', [last(k), h, keyDim], [h, keyDim]);
    const gate = useGate ? mk('gate', [last(q), h, valueDim], [h, valueDim]) : null;
    const value = mk('value', [last(v), h, valueDim], [h, valueDim]);
    const outDims = this.outDims(q);
    const output = mk('attention_output', [h, valueDim, ...outDims], outDims);
    this.dense = { query, key, gate, value, output };
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const q = this.shapeOf(inputShape, 'query')!;
    const v = this.shapeOf(inputShape, 'value') ?? q;
    const out: Shape = [...q.slice(0, -1), ...this.outDims(q)];
    if (!this.args.returnScores) return out;
    const axes = this.attnAxes(q.length);
    const batchAxes = Array.from({ length: q.length - 1 }, (_, i) => i).filter((a) => !axes.includes(a));
    return [out, [...batchAxes.map((a) => q[a]), this.args.numHeads, ...axes.map((a) => q[a]), ...axes.map((a) => v[a])]];
  }

  override computeMask(inputs: Tensor | Tensor[], mask?: Tensor | Tensor[]): Tensor | Tensor[] {
    // Keras sets the query's mask on the output.
    const list = mask == null ? [] : Array.isArray(mask) ? mask : [mask];
    const qi = roleIndex(this.args.roles, 'query');
    const explicit = roleIndex(this.args.roles, 'query_mask');
    const ins = Array.isArray(inputs) ? inputs : [inputs];
    const m = explicit >= 0 ? ins[explicit] ?? null : list[qi] ?? null;
    return (this.args.returnScores ? [m, null] : m) as Tensor;
  }

  private project(x: Tensor, d: Dense3, outDims: number[]): Tensor {
    const inDim = x.shape[x.rank - 1];
    const kernel = d.kernel.read();
    const flatOut = outDims.reduce((a, b) => a * b, 1);
    let y = tf.matMul(tf.reshape(x, [-1, inDim]), tf.reshape(kernel, [inDim, flatOut]));
    y = tf.reshape(y, [...x.shape.slice(0, -1), ...outDims]);
    return d.bias ? tf.add(y, d.bias.read()) : y;
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => this.run(byRole(this.args.roles, list, maskGated(this, kwargs))));
  }

  private run(t: Partial<Record<Role, Tensor>>): Tensor | Tensor[] {
    if (!this.dense) throw new InvalidConfigError('layer used before it was built', { layer: this.name });
    const { numHeads: h, keyDim, valueDim, returnScores } = this.args;
    const query = t.query;
    if (!query) throw new InvalidConfigError('MultiHeadAttention needs a query', { layer: this.name });
    const value = t.value ?? query;
    const key = t.key ?? value;
    const rank = query.rank; // R; projected tensors have rank R+1
    const axes = this.attnAxes(rank);
    const batchAxes = Array.from({ length: rank - 1 }, (_, i) => i).filter((a) => !axes.includes(a));

    // Keras mask: (B,T,1) & (B,1,S) & causal (1,T,S) & sliding window & attention_mask.
    let mask: Tensor | null = null;
    if (t.query_mask) mask = tf.expandDims(boolMask(t.query_mask), -1);
    if (t.value_mask) mask = andMasks(mask, tf.expandDims(boolMask(t.value_mask), -2));
    if (t.key_mask && t.key && t.key !== t.value) mask = andMasks(mask, tf.expandDims(boolMask(t.key_mask), -2));
    const tq = query.shape[1] as number;
    const tv = value.shape[1] as number;
    if (this.args.causal) mask = andMasks(mask, causalMask(tq, tv));
    if (this.args.slidingWindow !== null) {
      const diff = tf.abs(tf.sub(tf.reshape(tf.range(0, tq, 1, 'int32'), [1, tq, 1]), tf.reshape(tf.range(0, tv, 1, 'int32'), [1, 1, tv])));
      mask = andMasks(mask, tf.less(diff, this.args.slidingWindow));
    }
    if (t.attention_mask) mask = andMasks(boolMask(t.attention_mask), mask);
    if (mask && (rank !== 3 || axes.length !== 1 || axes[0] !== 1)) {
      throw new UnsupportedFeatureError('masks on MultiHeadAttention are only supported for (batch, time, features) inputs', { layer: this.name });
    }

    const q = tf.mul(this.project(query, this.dense.query, [h, keyDim]), 1 / Math.sqrt(keyDim));
    const k = this.project(key, this.dense.key, [h, keyDim]);
    const v = this.project(value, this.dense.value, [h, valueDim]);

    // Bring each projected tensor to [prod(batch axes), heads, prod(attention axes), features].
    const perm = [...batchAxes, rank - 1, ...axes, rank];
    const flat = (x: Tensor): Tensor => {
      const tt = tf.transpose(x, perm);
      const bsz = batchAxes.reduce((a, ax) => a * x.shape[ax], 1);
      const n = axes.reduce((a, ax) => a * x.shape[ax], 1);
      return tf.reshape(tt, [bsz, h, n, x.shape[rank]]);
    };
    let scores = tf.matMul(flat(q), flat(k), false, true); // [Bf, H, Nq, Nk]
    let probs: Tensor;
    if (mask) {
      const m = tf.broadcastTo(tf.expandDims(mask, 1), scores.shape); // [B,1,T,S] → [B,H,T,S]
      if (returnScores) {
        // Keras' Softmax-layer path: masked scores → -1e9, masked probabilities → 0.
        scores = tf.where(m, scores, tf.fill(scores.shape, -LARGE_NEGATIVE));
        probs = tf.where(m, tf.softmax(scores, -1), tf.zerosLike(scores));
      } else {
        // Keras' dot_product_attention path: masked logits → a large negative, no zeroing afterwards
        // (a fully masked query row attends uniformly, as Keras does).
        probs = tf.softmax(tf.where(m, scores, tf.fill(scores.shape, -0.7 * 3.4028234663852886e38)), -1);
      }
    } else {
      probs = tf.softmax(scores, -1);
    }
    const attn = tf.matMul(probs, flat(v)); // [Bf, H, Nq, Dv]
    // Back to the projected query layout [B, …, H, Dv].
    const permShape = perm.slice(0, -1).map((ax) => q.shape[ax]);
    const unflat = tf.reshape(attn, [...permShape, valueDim]);
    const inv = new Array(perm.length).fill(0);
    perm.forEach((p, i) => { inv[p] = i; });
    let out = tf.transpose(unflat, inv);
    if (this.dense.gate) out = tf.mul(out, tf.sigmoid(this.project(query, this.dense.gate, [h, valueDim])));
    // Output projection over (heads, value_dim).
    const outDims = this.outDims(query.shape);
    const flatOut = outDims.reduce((a, b) => a * b, 1);
    let y = tf.matMul(tf.reshape(out, [-1, h * valueDim]), tf.reshape(this.dense.output.kernel.read(), [h * valueDim, flatOut]));
    y = tf.reshape(y, [...query.shape.slice(0, -1), ...outDims]);
    if (this.dense.output.bias) y = tf.add(y, this.dense.output.bias.read());
    if (!returnScores) return y;
    const scoreShape = [...batchAxes.map((a) => query.shape[a]), h, ...axes.map((a) => query.shape[a]), ...axes.map((a) => key.shape[a])];
    return [y, tf.reshape(probs, scoreShape)];
  }
}
tf.serialization.registerClass(KerasMultiHeadAttention);

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

function positiveInt(layer: LayerSpec, ctx: BuildContext, key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidConfigError(`'${key}' must be a positive integer, got ${JSON.stringify(value)}`, { file: ctx.source, layer: layer.name });
  }
  return value;
}

const DEFAULT_ROLES: InputRoles = [['query'], ['value'], ['key']];

function rolesFor(layer: LayerSpec, pick: (n: NodeSpec) => Array<[Role, TensorRef]>): InputRoles {
  const node = layer.inboundNodes[0];
  if (!node) return DEFAULT_ROLES;
  const { roles } = groupRoles(pick(node));
  return roles.length ? roles : DEFAULT_ROLES;
}

function createDotAttention(layer: LayerSpec, ctx: BuildContext): KerasDotAttention {
  const cfg = layer.config;
  const additive = layer.className === 'AdditiveAttention';
  const mode = additive ? 'additive' : String(cfg.score_mode ?? 'dot');
  if (mode !== 'dot' && mode !== 'concat' && mode !== 'additive') {
    throw new InvalidConfigError(`unknown score_mode ${JSON.stringify(cfg.score_mode)}`, { file: ctx.source, layer: layer.name, hint: "expected 'dot' or 'concat'" });
  }
  const flags = callFlags(layer);
  return new KerasDotAttention({
    name: layer.name,
    trainable: layer.trainable,
    scoreMode: mode,
    // AdditiveAttention's use_scale defaults to True, Attention's to False.
    useScale: cfg.use_scale === undefined || cfg.use_scale === null ? additive : Boolean(cfg.use_scale),
    // tf.keras 2.x stored causality in the config (`causal`); Keras 3 passes it at call time.
    causal: cfg.causal === true || flags.causal,
    returnScores: flags.returnScores,
    roles: rolesFor(layer, dotAttentionRoles),
  });
}

function createMha(layer: LayerSpec, ctx: BuildContext): KerasMultiHeadAttention {
  const cfg = layer.config;
  const where = { file: ctx.source, layer: layer.name };
  const numHeads = positiveInt(layer, ctx, 'num_heads', cfg.num_heads);
  const keyDim = positiveInt(layer, ctx, 'key_dim', cfg.key_dim);
  const valueDim = cfg.value_dim == null ? keyDim : positiveInt(layer, ctx, 'value_dim', cfg.value_dim);
  let outputShape: number[] | null = null;
  if (cfg.output_shape != null) {
    const raw = typeof cfg.output_shape === 'number' ? [cfg.output_shape] : cfg.output_shape;
    if (!Array.isArray(raw) || raw.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d <= 0)) {
      throw new InvalidConfigError(`invalid output_shape ${JSON.stringify(cfg.output_shape)}`, where);
    }
    outputShape = raw as number[];
  }
  let attentionAxes: number[] | null = null;
  if (cfg.attention_axes != null) {
    const raw = typeof cfg.attention_axes === 'number' ? [cfg.attention_axes] : cfg.attention_axes;
    if (!Array.isArray(raw) || raw.some((d) => typeof d !== 'number' || !Number.isInteger(d))) {
      throw new InvalidConfigError(`invalid attention_axes ${JSON.stringify(cfg.attention_axes)}`, where);
    }
    attentionAxes = raw as number[];
  }
  const sw = cfg.sliding_window;
  const flags = callFlags(layer);
  return new KerasMultiHeadAttention({
    name: layer.name,
    trainable: layer.trainable,
    numHeads, keyDim, valueDim, outputShape, attentionAxes,
    useBias: cfg.use_bias === undefined || cfg.use_bias === null ? true : Boolean(cfg.use_bias),
    useGate: cfg.use_gate === true,
    slidingWindow: typeof sw === 'number' ? sw : null,
    causal: flags.causal,
    returnScores: flags.returnScores,
    roles: rolesFor(layer, mhaRoles),
  });
}

/** Stored weights checked against the layer's own shapes (same order, same layout in every Keras). */
function checkedWeights(layer: LayerSpec, tfLayer: layers.Layer, ctx: BuildContext): Tensor[] {
  const want = tfLayer.weights;
  if (layer.weights.length !== want.length) {
    throw new WeightMismatchError(`expected ${want.length} weight tensors, the file has ${layer.weights.length}`, {
      file: ctx.source, layer: layer.name, hint: 'the stored weights do not fit this layer configuration',
    });
  }
  return layer.weights.map((w, i) => {
    const shape = want[i].shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const same = w.shape.length === shape.length && w.shape.every((d, j) => d === shape[j]);
    // tf.keras 2.x MHA stored the same values; a scalar may come as shape [] or [1].
    if (!same && !(w.values.length === size && size === 1)) {
      throw new WeightMismatchError(`weight ${i} (${w.name}) has shape [${w.shape}], expected [${shape}]`, { file: ctx.source, layer: layer.name });
    }
    return tf.tensor(Float32Array.from(w.values), shape, 'float32');
  });
}

type CallNodeFn = (l: LayerSpec, b: layers.Layer, n: NodeSpec, look: (r: TensorRef) => SymbolicTensor | undefined, c: BuildContext) => SymbolicTensor | SymbolicTensor[];

/** Feeds a recorded call's tensors in the layer's role order (the runtime calls this for every node). */
function callNodeWith(pick: (n: NodeSpec) => Array<[Role, TensorRef]>): CallNodeFn {
  return (l, b, n, look, c) => {
    const { roles, refs } = groupRoles(pick(n));
    const want = (b as unknown as { args: { roles: InputRoles } }).args.roles;
    if (!rolesEqual(roles, want)) {
      throw new UnsupportedFeatureError('a shared attention layer is called with different arguments', { file: c.source, layer: l.name });
    }
    const ins = refs.map((ref) => look(ref)!);
    return b.apply(ins.length === 1 ? ins[0] : ins) as SymbolicTensor | SymbolicTensor[];
  };
}

export const attentionBuilder: LayerBuilder & { callNode: CallNodeFn } = {
  classNames: ['Attention', 'AdditiveAttention'],
  create: (layer, ctx) => createDotAttention(layer, ctx),
  convertWeights: checkedWeights,
  callNode: callNodeWith(dotAttentionRoles),
};

export const multiHeadAttentionBuilder: LayerBuilder & { callNode: CallNodeFn } = {
  classNames: ['MultiHeadAttention'],
  create: (layer, ctx) => createMha(layer, ctx),
  convertWeights: checkedWeights,
  callNode: callNodeWith(mhaRoles),
};

registerBuilder(attentionBuilder);
registerBuilder(multiHeadAttentionBuilder);

// ---------------------------------------------------------------------------------------------
// EinsumDense (the projection layer of Keras 3 transformers; MultiHeadAttention's building block)
// ---------------------------------------------------------------------------------------------

interface EinsumPlan {
  x: string; k: string; o: string;
}

/** Parses "abc,cd->abd" (also with "..." in the input and output), naming the ellipsis axes for a given input rank. */
function parseEinsum(equation: string, inputRank: number, where: { layer: string }): EinsumPlan {
  const m = /^\s*([a-zA-Z.]+)\s*,\s*([a-zA-Z]+)\s*->\s*([a-zA-Z.]+)\s*$/.exec(equation);
  if (!m) throw new UnsupportedFeatureError(`EinsumDense equation '${equation}' is not of the form 'in,kernel->out'`, where);
  let [, x, k, o] = m;
  if (x.includes('...') || o.includes('...')) {
    const used = new Set((x + k + o).replace(/\./g, ''));
    const free = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('').filter((c) => !used.has(c));
    const n = inputRank - x.replace('...', '').length;
    if (n < 0) throw new InvalidConfigError(`EinsumDense equation '${equation}' does not fit an input of rank ${inputRank}`, where);
    const ell = free.slice(0, n).join('');
    x = x.replace('...', ell);
    o = o.replace('...', ell);
  }
  for (const s of [x, k, o]) {
    if (new Set(s).size !== s.length || s.includes('.')) {
      throw new UnsupportedFeatureError(`EinsumDense equation '${equation}' repeats an index within one operand`, where);
    }
  }
  if (x.length !== inputRank) throw new InvalidConfigError(`EinsumDense equation '${equation}' does not fit an input of rank ${inputRank}`, where);
  return { x, k, o };
}

/** Two-operand einsum by transpose + batched matMul (tfjs' einsum lacks ellipsis and some contractions). */
export function einsum2(plan: EinsumPlan, x: Tensor, k: Tensor): Tensor {
  const size = new Map<string, number>();
  [...plan.x].forEach((c, i) => size.set(c, x.shape[i]));
  [...plan.k].forEach((c, i) => size.set(c, k.shape[i]));
  // Indices only one operand has and the output drops are summed out first.
  const xOnlyDrop = [...plan.x].filter((c) => !plan.k.includes(c) && !plan.o.includes(c));
  const kOnlyDrop = [...plan.k].filter((c) => !plan.x.includes(c) && !plan.o.includes(c));
  let xs = plan.x; let ks = plan.k;
  if (xOnlyDrop.length) { x = tf.sum(x, xOnlyDrop.map((c) => xs.indexOf(c))); xs = [...xs].filter((c) => !xOnlyDrop.includes(c)).join(''); }
  if (kOnlyDrop.length) { k = tf.sum(k, kOnlyDrop.map((c) => ks.indexOf(c))); ks = [...ks].filter((c) => !kOnlyDrop.includes(c)).join(''); }
  const batch = [...xs].filter((c) => ks.includes(c) && plan.o.includes(c));
  const contracted = [...xs].filter((c) => ks.includes(c) && !plan.o.includes(c));
  const xFree = [...xs].filter((c) => !ks.includes(c));
  const kFree = [...ks].filter((c) => !xs.includes(c));
  const prod = (cs: string[]) => cs.reduce((a, c) => a * size.get(c)!, 1);
  const xt = tf.reshape(tf.transpose(x, [...batch, ...xFree, ...contracted].map((c) => xs.indexOf(c))), [prod(batch), prod(xFree), prod(contracted)]);
  const kt = tf.reshape(tf.transpose(k, [...batch, ...contracted, ...kFree].map((c) => ks.indexOf(c))), [prod(batch), prod(contracted), prod(kFree)]);
  const order = [...batch, ...xFree, ...kFree];
  const r = tf.reshape(tf.matMul(xt, kt), order.map((c) => size.get(c)!));
  return tf.transpose(r, [...plan.o].map((c) => order.indexOf(c)));
}

export interface EinsumDenseArgs {
  name: string;
  trainable?: boolean;
  equation: string;
  /** Output dims without the batch dim, as configured (null = inferred). */
  outputShape: (number | null)[];
  biasAxes: string | null;
  activation: (x: Tensor) => Tensor;
}

export class KerasEinsumDense extends layers.Layer {
  static className = 'KerasImportEinsumDense';
  readonly args: EinsumDenseArgs;
  private kernel: LayerVar | null = null;
  private bias: LayerVar | null = null;
  private plan: EinsumPlan | null = null;

  constructor(args: EinsumDenseArgs) {
    super({ name: args.name, trainable: args.trainable ?? true });
    this.args = args;
  }

  /** Sizes of every index: from the input shape and the configured output shape (right-aligned). */
  private sizes(inputShape: Shape): { plan: EinsumPlan; size: Map<string, number | null> } {
    const plan = parseEinsum(this.args.equation, inputShape.length, { layer: this.name });
    const size = new Map<string, number | null>();
    [...plan.x].forEach((c, i) => size.set(c, inputShape[i]));
    const out = this.args.outputShape;
    const offset = plan.o.length - out.length;
    [...plan.o].forEach((c, i) => {
      const d = i - offset >= 0 ? out[i - offset] : null;
      if (!size.has(c) || size.get(c) === null) size.set(c, d ?? size.get(c) ?? null);
    });
    return { plan, size };
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const { plan, size } = this.sizes(shape);
    const dim = (c: string): number => {
      const d = size.get(c);
      if (typeof d !== 'number') throw new InvalidConfigError(`EinsumDense cannot size index '${c}' of '${this.args.equation}'`, { layer: this.name });
      return d;
    };
    const zeros = initializers.zeros();
    this.kernel = this.addWeight('kernel', [...plan.k].map(dim), 'float32', zeros);
    if (this.args.biasAxes) {
      const first = Math.min(...[...this.args.biasAxes].map((c) => plan.o.indexOf(c)).filter((i) => i >= 0));
      if (!Number.isFinite(first)) throw new InvalidConfigError(`bias_axes '${this.args.biasAxes}' are not output indices of '${this.args.equation}'`, { layer: this.name });
      const biasShape = [...plan.o.slice(first)].map((c) => (this.args.biasAxes!.includes(c) ? dim(c) : 1));
      this.bias = this.addWeight('bias', biasShape, 'float32', zeros);
    }
    this.plan = plan;
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const { plan, size } = this.sizes(shape);
    return [...plan.o].map((c) => size.get(c) ?? null);
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const plan = this.plan && this.plan.x.length === x.rank ? this.plan : parseEinsum(this.args.equation, x.rank, { layer: this.name });
      let y = einsum2(plan, x, this.kernel!.read());
      if (this.bias) y = tf.add(y, this.bias.read());
      return this.args.activation(y);
    });
  }
}
tf.serialization.registerClass(KerasEinsumDense);

export const einsumDenseBuilder: LayerBuilder = {
  classNames: ['EinsumDense'],
  create: (layer, ctx) => {
    const cfg = layer.config;
    const where = { file: ctx.source, layer: layer.name };
    if (typeof cfg.equation !== 'string') throw new InvalidConfigError('EinsumDense has no equation', where);
    if (cfg.quantization_config != null || (typeof cfg.dtype === 'string' && /int8|int4|float8/.test(cfg.dtype))) {
      throw new UnsupportedFeatureError('quantized EinsumDense is not supported', { ...where, hint: 'save the model before quantizing it' });
    }
    const os = cfg.output_shape;
    const outputShape = typeof os === 'number' ? [os] : Array.isArray(os) ? (os as (number | null)[]) : null;
    if (!outputShape) throw new InvalidConfigError(`EinsumDense output_shape ${JSON.stringify(os)} is not a shape`, where);
    return new KerasEinsumDense({
      name: layer.name,
      trainable: layer.trainable,
      equation: cfg.equation,
      outputShape,
      biasAxes: typeof cfg.bias_axes === 'string' && cfg.bias_axes ? cfg.bias_axes : null,
      activation: kerasActivation(activationName(cfg.activation, 'linear'), ctx.kerasMajor, where),
    });
  },
  convertWeights: checkedWeights,
};

registerBuilder(einsumDenseBuilder);
