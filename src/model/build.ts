/**
 * Graph assembly: ModelSpec → tfjs LayersModel. Every model (Sequential included) is a graph of
 * layer calls; we replay the calls in dependency order with tfjs SymbolicTensors, the way Keras'
 * `Functional.from_config` does, so shared layers (several calls), several inputs/outputs and nested
 * models (a LayersModel used as a layer) come out as one tfjs model with the Keras layer names.
 */
import * as tf from '@tensorflow/tfjs-core';
import { input as tfInput, layers, model as tfModel, type LayersModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { InvalidConfigError, UnsupportedLayerError } from '../errors.ts';
import type { LayerSpec, ModelSpec, NodeArg, NodeSpec, TensorRef } from '../spec/types.ts';
import '../layers/index.ts';
import { getBuilder, type BuildContext, type BuildOptions, type LayerBuilder } from '../layers/registry.ts';
import { unsupportedLayerError, userBuilderFor } from '../layers/custom.ts';
import { isOpLayerSpec, opBuilderFor } from '../layers/ops.ts';
import { Identity } from '../layers/core.ts';

/** One imported layer: its spec, the tfjs layer, and the builder that made it (for weight conversion). */
export interface BuiltLayer {
  spec: LayerSpec;
  tfLayer: layers.Layer;
  builder: LayerBuilder | null;
  ctx: BuildContext;
  /** For nested models: the inner model's layers. */
  inner?: BuiltLayer[];
}

export interface AssembledModel {
  model: LayersModel;
  /** Every non-input layer, outer model first then nested ones through `inner`. */
  layers: BuiltLayer[];
  ctx: BuildContext;
}

const INPUT_CLASSES = new Set(['InputLayer']);

export function makeContext(spec: ModelSpec, options: BuildOptions): BuildContext {
  const backend = options.theano ? 'theano' : spec.backend;
  return { spec, source: spec.source, kerasMajor: spec.kerasVersion.major, backend, options };
}

/** Build the tfjs model for `spec` (weights not yet set: they are zeros). */
export function assembleModel(spec: ModelSpec, options: BuildOptions = {}): AssembledModel {
  const ctx = makeContext(spec, options);
  return assemble(spec, ctx, options.inputShapes);
}

function assemble(spec: ModelSpec, ctx: BuildContext, userInputShapes: (number | null)[][] | undefined, nameOverride?: string): AssembledModel {
  const modelName = nameOverride ?? (spec.name || undefined);
  const file = ctx.source;
  const byName = new Map<string, LayerSpec>();
  for (const l of spec.layers) {
    if (byName.has(l.name)) throw new InvalidConfigError(`two layers are named '${l.name}'`, { file, hint: 'layer names must be unique within a model' });
    byName.set(l.name, l);
  }

  /** outputs[layer][node] = the SymbolicTensors that call produced. */
  const produced = new Map<string, SymbolicTensor[][]>();
  const built: BuiltLayer[] = [];
  const tfLayers = new Map<string, BuiltLayer>();

  // Inputs first: InputLayers (from the config, or the user's shapes when the config has none).
  const inputLayerSpecs = spec.layers.filter((l) => INPUT_CLASSES.has(l.className));
  let userIdx = 0;
  const inputByName = new Map<string, SymbolicTensor>();
  const modelInputRefs = spec.inputs.length ? spec.inputs : inputLayerSpecs.map((l) => ({ layer: l.name, node: 0, tensor: 0 }));
  const inputOrder = modelInputRefs.map((r) => r.layer);
  for (const l of inputLayerSpecs) {
    const pos = inputOrder.indexOf(l.name);
    const given = userInputShapes?.[pos >= 0 ? pos : userIdx];
    const t = makeInput(l, given, ctx);
    userIdx++;
    inputByName.set(l.name, t);
    produced.set(l.name, [[t]]);
  }

  // A Sequential model whose config records no input shape: its first call has no inputs, and
  // takes a model input the user describes (options.inputShapes / --input-shape).
  let userInput: SymbolicTensor | null = null;
  const firstCallInput = (l: LayerSpec): SymbolicTensor => {
    if (userInput) return userInput;
    const shape = userInputShapes?.[0];
    if (!shape) {
      throw new InvalidConfigError('the model config records no input shape', {
        file, layer: l.name, hint: 'pass the input shape (without the batch dimension): options.inputShapes = [[…]] or --input-shape',
      });
    }
    userInput = tfInput({ shape: [...shape], name: uniqueInputName(spec) });
    return userInput;
  };

  // Replay every call once its inputs exist (configs may list a layer before its inputs' producers).
  const pending: Array<{ layer: LayerSpec; node: number }> = [];
  for (const l of spec.layers) {
    if (INPUT_CLASSES.has(l.className)) continue;
    l.inboundNodes.forEach((_, i) => pending.push({ layer: l, node: i }));
  }
  const lookup = (ref: TensorRef): SymbolicTensor | undefined => produced.get(ref.layer)?.[ref.node]?.[ref.tensor];
  let progress = true;
  while (pending.length && progress) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      const { layer, node } = pending[i];
      const nodeSpec = layer.inboundNodes[node];
      // calls of one layer happen in order (node k's outputs are referenced as node k)
      const done = produced.get(layer.name)?.length ?? 0;
      if (done !== node) continue;
      if (!nodeSpec.inputs.every((r) => lookup(r) !== undefined)) continue;
      let out: SymbolicTensor | SymbolicTensor[];
      if (nodeSpec.inputs.length === 0 && nodeSpec.args.length === 0) {
        const x = firstCallInput(layer);
        const b = createLayer(layer, ctx, tfLayers, built, [x.shape]);
        out = applyLayer(b, layer, x, {}, ctx);
      } else {
        const ins = nodeSpec.inputs.map((r) => lookup(r)!);
        const b = createLayer(layer, ctx, tfLayers, built, ins.map((t) => t.shape));
        out = callNode(b, layer, nodeSpec, lookup, ctx);
      }
      const list = produced.get(layer.name) ?? [];
      list.push(Array.isArray(out) ? out : [out]);
      produced.set(layer.name, list);
      pending.splice(i, 1);
      i--;
      progress = true;
    }
  }
  if (pending.length) {
    const first = pending[0];
    const missing = first.layer.inboundNodes[first.node].inputs.filter((r) => lookup(r) === undefined)
      .map((r) => `${r.layer}[${r.node}][${r.tensor}]`);
    throw new InvalidConfigError(`cannot connect layer '${first.layer.name}' (call ${first.node}): its inputs ${missing.join(', ')} are never produced`, {
      file, layer: first.layer.name, hint: 'the model graph in the config is inconsistent',
    });
  }

  const inputs = modelInputRefs.map((r) => {
    const t = lookup(r);
    if (!t) throw new InvalidConfigError(`model input '${r.layer}' is not an input layer`, { file });
    return t;
  });
  if (userInput) inputs.unshift(userInput);
  const seen = new Set<SymbolicTensor>();
  const outputs = spec.outputs.map((r, i) => {
    let t = lookup(r);
    if (!t) throw new InvalidConfigError(`model output ${r.layer}[${r.node}][${r.tensor}] is never produced`, { file, layer: r.layer });
    // tfjs cannot return a model input as an output, nor the same tensor twice: pass those through
    // an identity layer (same values, a distinct tensor)
    if (seen.has(t) || inputs.includes(t)) {
      t = new Identity({ name: `${modelName ?? 'model'}_output_${i}_${r.layer}` }).apply(t) as SymbolicTensor;
    }
    seen.add(t);
    return t;
  });
  if (!outputs.length) throw new InvalidConfigError('the model has no outputs', { file });
  const m = tfModel({ inputs, outputs, name: modelName });
  return { model: m, layers: built, ctx };
}

function uniqueInputName(spec: ModelSpec): string {
  let name = 'input_1';
  for (let i = 1; spec.layers.some((l) => l.name === name); i++) name = `input_${i + 1}`;
  return name;
}

function makeInput(l: LayerSpec, given: (number | null)[] | undefined, ctx: BuildContext): SymbolicTensor {
  const c = l.config ?? {};
  const batch = (c.batch_shape ?? c.batch_input_shape) as (number | null)[] | undefined;
  const inputShape = c.input_shape as (number | null)[] | undefined;
  let shape: (number | null)[] | undefined;
  let batchSize: number | null = null;
  if (Array.isArray(batch)) { shape = batch.slice(1); batchSize = batch[0] ?? null; }
  else if (Array.isArray(inputShape)) shape = inputShape;
  else if (given) shape = given;
  if (!shape) {
    throw new InvalidConfigError(`input layer '${l.name}' has no shape in the config`, {
      file: ctx.source, layer: l.name, hint: 'pass the input shape (without the batch dimension): options.inputShapes or --input-shape',
    });
  }
  // A fixed batch size from the file would forbid predicting other batch sizes; Keras itself only
  // enforces it for stateful RNNs, so keep it only where a layer is stateful.
  void batchSize;
  const dtype = typeof c.dtype === 'string' && /int|bool/.test(c.dtype) ? 'int32' : 'float32';
  return tfInput({ shape: shape.map((d) => (d === undefined ? null : d)), name: l.name, dtype });
}

function createLayer(l: LayerSpec, ctx: BuildContext, cache: Map<string, BuiltLayer>, built: BuiltLayer[], callShapes: (number | null)[][]): BuiltLayer {
  const existing = cache.get(l.name);
  if (existing) return existing;
  let b: BuiltLayer;
  if (l.innerModel) {
    const innerCtx: BuildContext = { ...ctx, spec: l.innerModel };
    // Keras refers to a nested model by its layer name (normally the inner model's name too). An inner
    // Sequential without its own input shape takes the shape of what the outer model feeds it.
    const inner = assemble(l.innerModel, innerCtx, callShapes.map((s) => s.slice(1)), l.name);
    b = { spec: l, tfLayer: inner.model as unknown as layers.Layer, builder: null, ctx: innerCtx, inner: inner.layers };
  } else {
    const op = isOpLayerSpec(l, ctx.kerasMajor);
    const builder = userBuilderFor(l) ?? (op ? opBuilderFor(l) : getBuilder(l.className, l.module));
    if (!builder) throw unsupportedLayerError(l, ctx);
    let tfLayer: layers.Layer;
    try {
      tfLayer = builder.create(l, ctx);
    } catch (e) {
      throw wrapLayerError(e, l, ctx);
    }
    b = { spec: l, tfLayer, builder, ctx };
  }
  cache.set(l.name, b);
  built.push(b);
  return b;
}

/** tfjs' own errors (shape mismatches…) get the file and layer attached. */
export function wrapLayerError(e: unknown, l: LayerSpec, ctx: BuildContext): Error {
  if (e instanceof Error && e.name !== 'Error' && (e as { file?: string }).file !== undefined) return e;
  if (e instanceof UnsupportedLayerError || (e instanceof Error && 'hint' in e)) return e as Error;
  const msg = e instanceof Error ? e.message : String(e);
  return new InvalidConfigError(`${l.className} could not be built: ${msg}`, { file: ctx.source, layer: l.name, cause: e });
}

/** Keyword arguments of a call that tfjs understands (RNN initial_state/constants); the rest is call-time only. */
function callKwargs(node: NodeSpec, lookup: (r: TensorRef) => SymbolicTensor | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const tensors = (a: NodeArg): SymbolicTensor[] => {
    if (a.kind === 'tensor') { const t = lookup(a.ref); return t ? [t] : []; }
    if (a.kind === 'list') return a.items.flatMap(tensors);
    return [];
  };
  const init = node.kwargs.initial_state;
  if (init) out.initialState = tensors(init);
  const constants = node.kwargs.constants;
  if (constants) out.constants = tensors(constants);
  return out;
}

function argTensors(a: NodeArg, lookup: (r: TensorRef) => SymbolicTensor | undefined): SymbolicTensor | SymbolicTensor[] | null {
  if (a.kind === 'tensor') return lookup(a.ref) ?? null;
  if (a.kind === 'list') {
    const items = a.items.map((x) => argTensors(x, lookup));
    if (items.every((x) => x !== null && !Array.isArray(x))) return items as SymbolicTensor[];
    return null;
  }
  return null;
}

function callNode(b: BuiltLayer, l: LayerSpec, node: NodeSpec, lookup: (r: TensorRef) => SymbolicTensor | undefined, ctx: BuildContext): SymbolicTensor | SymbolicTensor[] {
  const builder = b.builder as (LayerBuilder & { structuredCall?: boolean }) | null;
  if (builder && (builder as { callNode?: unknown }).callNode) {
    // op layers (Keras 3 ops, TFOpLambda): the builder sees the whole call structure
    const fn = (builder as unknown as { callNode: (l: LayerSpec, b: layers.Layer, n: NodeSpec, look: typeof lookup, c: BuildContext) => SymbolicTensor | SymbolicTensor[] }).callNode;
    try {
      return fn(l, b.tfLayer, node, lookup, ctx);
    } catch (e) {
      throw wrapLayerError(e, l, ctx);
    }
  }
  // Ordinary layer: first positional argument is the input (a tensor or a list of tensors).
  let x: SymbolicTensor | SymbolicTensor[] | null = node.args.length ? argTensors(node.args[0], lookup) : null;
  if (x === null) {
    const direct = node.inputs.map((r) => lookup(r)!);
    x = direct.length === 1 ? direct[0] : direct;
  }
  const kwargs = callKwargs(node, lookup);
  return applyLayer(b, l, x, kwargs, ctx);
}

function applyLayer(b: BuiltLayer, l: LayerSpec, x: SymbolicTensor | SymbolicTensor[], kwargs: Record<string, unknown>, ctx: BuildContext): SymbolicTensor | SymbolicTensor[] {
  try {
    const input = Array.isArray(x) && x.length === 1 && !isMultiInput(l) ? x[0] : x;
    return b.tfLayer.apply(input as never, kwargs) as SymbolicTensor | SymbolicTensor[];
  } catch (e) {
    throw wrapLayerError(e, l, ctx);
  }
}

const MULTI = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Dot', 'Merge']);
function isMultiInput(l: LayerSpec): boolean {
  return MULTI.has(l.className) || !!l.innerModel;
}

export { tf };
