/**
 * Keras-like model summary: per-layer output shape, parameter counts and connections, and totals.
 * Stored weights are the truth for counts; inference decides which of them are trainable (BN moving
 * statistics and frozen layers are not) and supplies counts when a file has no weights.
 */
import type { LayerSpec, ModelSpec, Shape, WeightSpec } from './types.ts';
import { inferModelShapes, type InferredModel, type WeightShape } from './shapes/index.ts';
import { describeLayerInitializers, type InitializerSummary } from '../initializers/layers.ts';

export interface LayerSummary {
  name: string;
  className: string;
  /** One shape, a list for multi-output layers, null when unknown. */
  outputShape: Shape | Shape[] | null;
  params: number;
  trainableParams: number;
  /** False when neither stored weights nor inference give the count (then params is 0 and the total is a lower bound). */
  paramsKnown: boolean;
  /** Keras 3 style: `layer[node][tensor]` for every input tensor of every call. */
  connectedTo: string[];
  weights: { name: string; shape: number[]; dtype: string }[];
  /**
   * Each initializer of a layer that has weights: as in the file (`keras`), what it maps to
   * (`weightInit`: a WeightInit preset or an implementation with its parameters), whether the mapping
   * is exact, and why not. A custom initializer shows as UNSUPPORTED with the message saying what to do.
   */
  initializers?: Record<string, InitializerSummary>;
}

export interface ModelSummary {
  format: string;
  source: string;
  kerasVersion: string | null;
  backend: string | null;
  modelClass: string;
  name: string;
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** Layers whose parameter count is unknown (custom classes without stored weights, unknown input shapes). */
  unknownParamLayers: string[];
  inputs: { name: string; shape: Shape | null }[];
  outputs: { name: string; shape: Shape | null }[];
  layers: LayerSummary[];
}

const size = (shape: number[]): number => shape.reduce((a, d) => a * d, 1);

/** Weight names that Keras never trains, for stored weights that inference cannot pair up. */
const NON_TRAINABLE_NAME = /(^|\/)(moving_mean|moving_variance|running_mean|running_std|moving_stddev|renorm_mean|renorm_stddev|count)(:\d+)?$/;
const shortName = (n: string): string => n.replace(/:\d+$/, '').split('/').pop() ?? n;

function trainableFlags(layer: LayerSpec, stored: WeightSpec[], inferred: WeightShape[] | undefined): boolean[] {
  if (!layer.trainable) return stored.map(() => false);
  // Same count and shapes (up to the element count): inference knows the split position by position.
  if (inferred && inferred.length === stored.length && inferred.every((w, i) => size(w.shape) === size(stored[i].shape))) {
    return inferred.map((w) => w.trainable);
  }
  return stored.map((w) => !NON_TRAINABLE_NAME.test(w.name));
}

function connections(layer: LayerSpec): string[] {
  return layer.inboundNodes.flatMap((n) => n.inputs.map((r) => `${r.layer}[${r.node}][${r.tensor}]`));
}

function layerDtype(layer: LayerSpec): string {
  const d = layer.config.dtype;
  if (typeof d === 'string') return d.startsWith('mixed_') ? 'float32' : d;
  const name = d && typeof d === 'object' ? ((d as Record<string, unknown>).config as Record<string, unknown> | undefined)?.name : undefined;
  if (typeof name === 'string') return name.startsWith('mixed_') ? 'float32' : name;
  return 'float32';
}

function outputShapeOf(inf: InferredModel, layer: LayerSpec): Shape | Shape[] | null {
  const first = inf.nodeOutputs.get(layer.name)?.[0];
  if (!first || first.some((s) => s === undefined)) return null;
  return first.length === 1 ? first[0] : first;
}

export function summarizeLayer(layer: LayerSpec, inf: InferredModel, spec?: Pick<ModelSpec, 'kerasVersion' | 'source' | 'backend'>): LayerSummary {
  const inferred = inf.layerWeights.get(layer.name);
  let params = 0, trainable = 0, known = true;
  let weights: LayerSummary['weights'];
  if (layer.weights.length > 0) {
    const flags = trainableFlags(layer, layer.weights, inferred);
    layer.weights.forEach((w, i) => { const n = size(w.shape); params += n; if (flags[i]) trainable += n; });
    weights = layer.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: w.dtype }));
  } else if (layer.innerModel && layer.innerModel.layers.some((l) => l.weights.length > 0)) {
    // Nested model whose weights were attached to its own layers: sum them (frozen outer layer freezes all).
    const inner = summarizeModel(layer.innerModel);
    params = inner.totalParams;
    trainable = layer.trainable ? inner.trainableParams : 0;
    known = inner.unknownParamLayers.length === 0;
    weights = inner.layers.flatMap((l) => l.weights);
  } else if (inferred) {
    for (const w of inferred) { const n = size(w.shape); params += n; if (w.trainable) trainable += n; }
    const dtype = layerDtype(layer);
    weights = inferred.map((w) => ({ name: w.name, shape: w.shape, dtype: w.name === 'count' && !w.trainable ? 'int64' : dtype }));
  } else {
    known = false;
    weights = [];
  }
  const summary: LayerSummary = {
    name: layer.name,
    className: layer.className,
    outputShape: outputShapeOf(inf, layer),
    params,
    trainableParams: trainable,
    paramsKnown: known,
    connectedTo: connections(layer),
    weights,
  };
  if (spec && weights.length > 0 && !layer.innerModel) {
    const inits = describeLayerInitializers(layer, spec.kerasVersion, { tolerant: true, source: spec.source, backend: spec.backend });
    if (Object.keys(inits).length > 0) summary.initializers = inits;
  }
  return summary;
}

export function summarizeModel(spec: ModelSpec): ModelSummary {
  const inf = inferModelShapes(spec);
  const layers = spec.layers.map((l) => summarizeLayer(l, inf, spec));
  const total = layers.reduce((a, l) => a + l.params, 0);
  const trainable = layers.reduce((a, l) => a + l.trainableParams, 0);
  const tensorShape = (r: { layer: string; node: number; tensor: number }): Shape | null => inf.nodeOutputs.get(r.layer)?.[r.node]?.[r.tensor] ?? null;
  return {
    format: spec.format,
    source: spec.source,
    kerasVersion: spec.kerasVersion.raw,
    backend: spec.backend,
    modelClass: spec.modelClass,
    name: spec.name,
    totalParams: total,
    trainableParams: trainable,
    nonTrainableParams: total - trainable,
    unknownParamLayers: layers.filter((l) => !l.paramsKnown).map((l) => l.name),
    inputs: spec.inputs.map((r) => ({ name: r.layer, shape: tensorShape(r) })),
    outputs: spec.outputs.map((r) => ({ name: r.layer, shape: tensorShape(r) })),
    layers,
  };
}

// ---------------------------------------------------------------- rendering

/** Python-style tuple: (None, 28, 28, 3); a 1-tuple keeps its comma like Keras prints it. */
export function formatShape(s: Shape | Shape[] | null): string {
  if (s === null) return '?';
  if (s.length > 0 && Array.isArray(s[0])) return `[${(s as Shape[]).map((x) => formatShape(x)).join(', ')}]`;
  const dims = (s as Shape).map((d) => (d === null ? 'None' : String(d)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

const commas = (n: number): string => n.toLocaleString('en-US');

function wrapCell(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= 0) cut = width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) lines.push(rest);
  return lines;
}

/** Text table like Keras' model.summary(), plus the writing Keras version and backend. */
export function renderSummary(s: ModelSummary): string {
  const functional = s.modelClass !== 'Sequential' || s.layers.some((l) => l.connectedTo.length > 1);
  const cols = functional ? [36, 28, 12, 34] : [40, 32, 14];
  const head = functional ? ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'] : ['Layer (type)', 'Output Shape', 'Param #'];
  const totalWidth = cols.reduce((a, b) => a + b, 0) + cols.length - 1;
  const row = (cells: string[]): string[] => {
    const wrapped = cells.map((c, i) => wrapCell(c, cols[i]));
    const h = Math.max(...wrapped.map((x) => x.length));
    const out: string[] = [];
    for (let k = 0; k < h; k++) {
      out.push(wrapped.map((lines, i) => {
        const t = lines[k] ?? '';
        return i === 2 ? t.padStart(cols[i]) : t.padEnd(cols[i]);
      }).join(' ').trimEnd());
    }
    return out;
  };
  const lines: string[] = [`Model: "${s.name}" (${s.modelClass})`, '_'.repeat(totalWidth), ...row(head), '='.repeat(totalWidth)];
  // Keras lists no InputLayer row for a Sequential model (the JSON form keeps it).
  const rows = s.modelClass === 'Sequential' ? s.layers.filter((l) => l.className !== 'InputLayer') : s.layers;
  rows.forEach((l, i) => {
    const paramText = l.paramsKnown ? commas(l.params) : '?';
    const cells = [`${l.name} (${l.className})`, formatShape(l.outputShape), paramText];
    if (functional) cells.push(l.connectedTo.join(', ') || '-');
    lines.push(...row(cells));
    lines.push(i === rows.length - 1 ? '='.repeat(totalWidth) : '_'.repeat(totalWidth));
  });
  if (rows.length === 0) lines.push('='.repeat(totalWidth));
  const approx = s.unknownParamLayers.length > 0 ? ' (at least; unknown for: ' + s.unknownParamLayers.join(', ') + ')' : '';
  lines.push(`Total params: ${commas(s.totalParams)}${approx}`);
  lines.push(`Trainable params: ${commas(s.trainableParams)}`);
  lines.push(`Non-trainable params: ${commas(s.nonTrainableParams)}`);
  lines.push('_'.repeat(totalWidth));
  lines.push(`Format: ${s.format}   Keras version: ${s.kerasVersion ?? 'not recorded'}   Backend: ${s.backend ?? 'not recorded'}`);
  lines.push(...renderInitializers(s.layers));
  return lines.join('\n') + '\n';
}

/** A short form of an initializer as found in the file: `GlorotUniform(seed=1)`, `'glorot_uniform'`. */
function kerasInitText(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const cls = typeof o.class_name === 'string' ? o.class_name : '?';
    const cfg = o.config && typeof o.config === 'object' ? Object.entries(o.config as Record<string, unknown>).filter(([, x]) => x !== null) : [];
    return `${cls}(${cfg.map(([k, x]) => `${k}=${typeof x === 'object' ? JSON.stringify(x) : String(x)}`).join(', ')})`;
  }
  return JSON.stringify(v) ?? 'default';
}

function renderInitializers(layers: LayerSummary[]): string[] {
  const rows = layers.flatMap((l) => Object.entries(l.initializers ?? {}).map(([k, m]) => ({ key: `${l.name}.${k}`, m })));
  if (rows.length === 0) return [];
  const w = Math.max(...rows.map((r) => r.key.length));
  const out = ['', 'Initializers (as in the file → keras-import):'];
  for (const { key, m } of rows) {
    const flag = m.exact ? '' : m.weightInit === 'UNSUPPORTED' ? '  [UNSUPPORTED]' : '  [approximation]';
    out.push(`  ${key.padEnd(w)}  ${m.keras === undefined ? 'default' : kerasInitText(m.keras)} → ${m.weightInit}${flag}${m.note && !m.exact ? `: ${m.note}` : ''}`);
  }
  return out;
}
