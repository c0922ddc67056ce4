/**
 * Shape inference for Keras layers and whole models: per-layer output shapes, weight shapes in Keras'
 * stored order (as the writing Keras version stores them), and a graph walk over a ModelSpec.
 * Unknown classes (Lambda outputs, custom and quantized layers) give `undefined` — never a guess.
 */
import type { LayerSpec, ModelSpec, NodeArg, NodeSpec, Shape, TensorRef } from '../types.ts';
import { activationRules } from './activation.ts';
import { attentionRules } from './attention.ts';
import { convRules } from './conv.ts';
import { coreRules } from './core.ts';
import { embeddingRules } from './embedding.ts';
import { mergeRules } from './merge.ts';
import { normalizationRules } from './normalization.ts';
import { inferOpOutput, isOpLayer } from './ops.ts';
import { poolingRules } from './pooling.ts';
import { preprocessingRules } from './preprocessing.ts';
import { augmentationRules } from './augmentation.ts';
import { makeWrapperRules, recurrentRules } from './recurrent.ts';
import { reshapingRules } from './reshaping.ts';
import type { LayerRule, Registry, ShapeContext, WeightShape } from './util.ts';

export type { LayerRule, ShapeContext, WeightShape } from './util.ts';

const baseRules: Registry = {
  ...coreRules, ...activationRules, ...convRules, ...poolingRules, ...reshapingRules, ...normalizationRules,
  ...recurrentRules, ...mergeRules, ...attentionRules, ...embeddingRules, ...preprocessingRules, ...augmentationRules,
};

/** Class-name aliases seen in real configs (tf.keras internal versions, Keras 1 names). */
const ALIASES: Record<string, string> = {
  BatchNormalizationV1: 'BatchNormalization', BatchNormalizationV2: 'BatchNormalization', SyncBatchNormalization: 'BatchNormalization',
  GroupQueryAttention: 'GroupedQueryAttention', // keras.layers alias of the class
  UnifiedLSTM: 'LSTM', UnifiedGRU: 'GRU', LSTMV1: 'LSTM', GRUV1: 'GRU', LSTMV2: 'LSTM', GRUV2: 'GRU',
  DenseFeatures: '', // needs feature columns: unknown
};

const rules: Registry = { ...baseRules, ...makeWrapperRules(resolveRule) };

/** Class names with a shape rule (aliases excluded). */
export function registeredClasses(): string[] {
  return Object.keys(rules).sort();
}

/** Exactly the built-in Keras classes; a registered custom class (`pkg>Name`) never matches. */
export function resolveRule(layer: LayerSpec): LayerRule | undefined {
  if (layer.registeredName && !layer.registeredName.startsWith('keras')) return undefined;
  if (isOpLayer(layer)) return undefined;
  const name = ALIASES[layer.className] ?? layer.className;
  return Object.prototype.hasOwnProperty.call(rules, name) ? rules[name] : undefined;
}

/** Output shapes of one call; `undefined` = cannot infer (Lambda, custom, unknown, inconsistent input). */
export function inferLayerOutputShapes(layer: LayerSpec, inputShapes: Shape[], ctx: ShapeContext): Shape[] | undefined {
  // Rules may assume well-formed shapes (rank ≥ 1: a batch dim); whatever they return is checked again,
  // so an odd config can only ever produce `undefined`, never a made-up size.
  if (!inputShapes.every((s) => isShape(s) && s.length >= 1)) return undefined;
  const out = outputShapesUnchecked(layer, inputShapes, ctx);
  return out && out.length > 0 && out.every(isShape) ? out : undefined;
}

function isShape(s: unknown): s is Shape {
  return Array.isArray(s) && s.every((d) => d === null || (Number.isInteger(d) && d >= 0));
}

function outputShapesUnchecked(layer: LayerSpec, inputShapes: Shape[], ctx: ShapeContext): Shape[] | undefined {
  if (layer.innerModel) {
    const inner = inferModelShapes(layer.innerModel, { inputShapes });
    const outs = layer.innerModel.outputs.map((r) => refShape(inner.nodeOutputs, r));
    return outs.every((s) => s !== undefined) ? (outs as Shape[]) : undefined;
  }
  const rule = resolveRule(layer);
  if (!rule) return undefined;
  const ins = mainInputs(layer, inputShapes);
  if (!ins) return undefined;
  if (rule.output) {
    const out = rule.output(layer, ins, ctx);
    // A layer with activation='glu' (Keras 3) halves its last axis; Keras' own symbolic shape misses this
    // ((None, 6) for Dense(6, activation='glu')) but predict() returns (batch, 3), and the data is what counts.
    if (out && layer.className !== 'Activation' && layer.config.activation === 'glu') {
      const o = out[0], last = o[o.length - 1];
      out[0] = [...o.slice(0, -1), last === null ? null : last / 2];
    }
    return out;
  }
  // Shape-preserving layer.
  return [ins[0].slice()];
}

/** Layers that take several tensors as their input (everything else takes exactly one). */
const MULTI_INPUT = new Set([
  'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Dot', 'Merge', 'Lambda',
  'Attention', 'AdditiveAttention', 'MultiHeadAttention', 'GroupedQueryAttention', 'GroupQueryAttention',
]);
/** Recurrent layers may get initial states as extra tensors (Keras 2 lists them in the same node); the first is the sequence. */
const RECURRENT = /^(SimpleRNN|LSTM|GRU|CuDNNLSTM|CuDNNGRU|ConvLSTM[123]D|RNN|Bidirectional|UnifiedLSTM|UnifiedGRU)$/;

function mainInputs(layer: LayerSpec, inputs: Shape[]): Shape[] | undefined {
  if (layer.className === 'InputLayer' || MULTI_INPUT.has(layer.className)) return inputs;
  if (inputs.length === 1) return inputs;
  if (inputs.length > 1 && RECURRENT.test(layer.className)) return [inputs[0]];
  return undefined;
}

/** Weights in Keras order (trainable then non-trainable) with shapes; `undefined` = cannot infer. */
export function inferWeightShapes(layer: LayerSpec, inputShapes: Shape[], ctx: ShapeContext): WeightShape[] | undefined {
  if (!inputShapes.every((s) => isShape(s) && s.length >= 1)) return undefined;
  const ws = weightShapesUnchecked(layer, inputShapes, ctx);
  return ws && ws.every((x) => isShape(x.shape) && x.shape.every((d) => d !== null)) ? ws : undefined;
}

function weightShapesUnchecked(layer: LayerSpec, inputShapes: Shape[], ctx: ShapeContext): WeightShape[] | undefined {
  let ws: WeightShape[] | undefined;
  if (layer.innerModel) ws = nestedModelWeights(layer.innerModel, inputShapes);
  else if (isOpLayer(layer, ctx.kerasMajor)) ws = [];
  else {
    const rule = resolveRule(layer);
    if (!rule) return undefined;
    // Weights of a layer whose inputs are unknown may still be known (Embedding): rules see [] then.
    const ins = inputShapes.length === 0 ? [] : mainInputs(layer, inputShapes);
    if (!ins) return undefined;
    ws = rule.weights ? rule.weights(layer, ins, ctx) : [];
  }
  if (!ws) return undefined;
  // A frozen layer keeps its variables, all non-trainable; Keras then lists them in creation order.
  return layer.trainable === false ? ws.map((x) => ({ ...x, trainable: false })) : ws;
}

/** A model used as a layer stores all trainable weights of its sub-layers first, then the non-trainable ones. */
function nestedModelWeights(model: ModelSpec, inputShapes: Shape[]): WeightShape[] | undefined {
  const inner = inferModelShapes(model, { inputShapes });
  const all: WeightShape[] = [];
  for (const l of model.layers) {
    const ws = inner.layerWeights.get(l.name);
    if (!ws) return undefined;
    all.push(...ws);
  }
  return [...all.filter((x) => x.trainable), ...all.filter((x) => !x.trainable)];
}

export interface InferredModel {
  /** Per layer name, per call: the output shapes, or undefined when unknown. */
  nodeOutputs: Map<string, (Shape[] | undefined)[]>;
  /** Per layer name: weight shapes inferred from its first call (undefined when unknown). */
  layerWeights: Map<string, WeightShape[] | undefined>;
}

export function contextOf(spec: ModelSpec): ShapeContext {
  return { kerasMajor: spec.kerasVersion.major, kerasMinor: spec.kerasVersion.minor, source: spec.source };
}

function refShape(outputs: Map<string, (Shape[] | undefined)[]>, ref: TensorRef): Shape | undefined {
  return outputs.get(ref.layer)?.[ref.node]?.[ref.tensor];
}

function tensorRefs(args: NodeArg[]): TensorRef[] {
  const out: TensorRef[] = [];
  for (const a of args) {
    if (a.kind === 'tensor') out.push(a.ref);
    else if (a.kind === 'list') out.push(...tensorRefs(a.items));
    else if (a.kind === 'dict') out.push(...tensorRefs(Object.values(a.items)));
  }
  return out;
}

/**
 * The tensors a layer computes on: positional tensor arguments, plus attention's query/value/key when passed
 * by keyword. Masks, initial states and `training` flags do not shape the output.
 */
export function mainInputRefs(node: NodeSpec): TensorRef[] {
  const refs = tensorRefs(node.args);
  for (const k of ['inputs', 'query', 'value', 'key']) {
    const a = node.kwargs[k];
    if (a) refs.push(...tensorRefs([a]));
  }
  return refs.length > 0 || node.args.length > 0 ? refs : node.inputs;
}

/** Call arguments that add outputs: attention layers called with return_attention_scores=True. */
function withCallOutputs(layer: LayerSpec, node: NodeSpec, inputs: Shape[], out: Shape[] | undefined): Shape[] | undefined {
  const flag = node.kwargs.return_attention_scores;
  if (!out || !flag || flag.kind !== 'const' || flag.value !== true) return out;
  const [q, v] = inputs;
  if (!q || !v || q.length !== 3 || v.length !== 3) return undefined;
  if (layer.className === 'Attention' || layer.className === 'AdditiveAttention') return [...out, [q[0], q[1], v[1]]];
  if (layer.className === 'MultiHeadAttention') {
    const h = layer.config.num_heads;
    return typeof h === 'number' ? [...out, [q[0], h, q[1], v[1]]] : undefined;
  }
  return undefined;
}

/** Walk the graph in dependency order (nodes may refer forward, as in Keras configs). */
export function inferModelShapes(spec: ModelSpec, opts: { inputShapes?: Shape[] } = {}): InferredModel {
  const ctx = contextOf(spec);
  const nodeOutputs = new Map<string, (Shape[] | undefined)[]>();
  const layerWeights = new Map<string, WeightShape[] | undefined>();
  const byName = new Map(spec.layers.map((l) => [l.name, l]));

  // Model inputs: the InputLayer's own shape, overridden by the caller's shapes (nested model calls).
  for (const l of spec.layers) {
    if (l.inboundNodes.length === 0 && l.className === 'InputLayer') nodeOutputs.set(l.name, [inferLayerOutputShapes(l, [], ctx)]);
  }
  spec.inputs.forEach((ref, i) => {
    const given = opts.inputShapes?.[i];
    if (!given) return;
    const list = nodeOutputs.get(ref.layer) ?? [];
    const calls = (list[ref.node] ?? []).slice();
    calls[ref.tensor] = given;
    list[ref.node] = calls;
    nodeOutputs.set(ref.layer, list);
  });

  const done = new Set<string>(); // `${layer}#${node}`
  const isResolved = (r: TensorRef) => {
    const l = byName.get(r.layer);
    if (!l) return true; // dangling reference: unknown, but don't wait for it
    if (l.inboundNodes.length === 0) return true;
    return done.has(`${r.layer}#${r.node}`);
  };
  const firstInputs = new Map<string, Shape[] | undefined>();
  let progress = true;
  while (progress) {
    progress = false;
    for (const l of spec.layers) {
      l.inboundNodes.forEach((node, ni) => {
        const key = `${l.name}#${ni}`;
        if (done.has(key) || !node.inputs.every(isResolved)) return;
        done.add(key);
        progress = true;
        const op = isOpLayer(l, ctx.kerasMajor);
        // Ops see every tensor of their positional arguments, in order (constants are read from the node).
        const refs = op ? tensorRefs(node.args) : mainInputRefs(node);
        const shapes = refs.map((r) => refShape(nodeOutputs, r));
        const allKnown = shapes.every((s) => s !== undefined);
        let out: Shape[] | undefined;
        if (!allKnown) out = undefined;
        else if (op) out = inferOpOutput(l, node, shapes as Shape[]);
        else out = withCallOutputs(l, node, shapes as Shape[], inferLayerOutputShapes(l, shapes as Shape[], ctx));
        const list = nodeOutputs.get(l.name) ?? [];
        list[ni] = out;
        nodeOutputs.set(l.name, list);
        if (ni === 0) firstInputs.set(l.name, allKnown ? (shapes as Shape[]) : undefined);
      });
    }
  }
  // Nodes whose inputs never resolved (cycles, missing layers) stay unknown.
  for (const l of spec.layers) {
    const list = nodeOutputs.get(l.name) ?? [];
    for (let ni = 0; ni < l.inboundNodes.length; ni++) if (!done.has(`${l.name}#${ni}`)) list[ni] = undefined;
    nodeOutputs.set(l.name, list);
  }

  for (const l of spec.layers) {
    if (l.className === 'InputLayer' && l.inboundNodes.length === 0) { layerWeights.set(l.name, []); continue; }
    const ins = firstInputs.get(l.name);
    // Never called, or inputs unknown: some layers (Embedding, Attention) still know their weights.
    layerWeights.set(l.name, inferWeightShapes(l, ins ?? [], ctx));
  }
  return { nodeOutputs, layerWeights };
}

export interface WeightShapeMismatch {
  /** Layer name, with the enclosing nested models' names first ("outer/inner"). */
  layer: string;
  className: string;
  /** What the config implies (Keras order and layout of the writing version). */
  expected: number[][];
  /** What the file stores. */
  stored: number[][];
}

/**
 * Layers whose stored weight shapes disagree with what their config implies (a weights file paired with the
 * wrong architecture, a truncated save). Layers whose shapes cannot be inferred are skipped, not reported.
 */
export function weightShapeMismatches(spec: ModelSpec, prefix = ''): WeightShapeMismatch[] {
  const inf = inferModelShapes(spec);
  const out: WeightShapeMismatch[] = [];
  for (const l of spec.layers) {
    if (l.innerModel) out.push(...weightShapeMismatches(l.innerModel, `${prefix}${l.name}/`));
    if (l.weights.length === 0) continue;
    const ws = inf.layerWeights.get(l.name);
    if (!ws) continue;
    const expected = ws.map((w) => w.shape), stored = l.weights.map((w) => w.shape);
    if (JSON.stringify(expected) !== JSON.stringify(stored)) out.push({ layer: prefix + l.name, className: l.className, expected, stored });
  }
  return out;
}
