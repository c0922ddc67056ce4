/**
 * Test-only: turns a Keras 3 model config (as `serialize_keras_object` writes it) into a ModelSpec, just enough
 * for the shape/summary tests (Keras 3 dict inbound nodes, nested Sequential/Functional, Sequential chains).
 * The real normalizer lives in src/spec; this stays minimal on purpose.
 */
import type { KerasVersion, LayerSpec, ModelSpec, NodeArg, NodeSpec, TensorRef } from '../../src/spec/types.ts';

type J = Record<string, any>;

export const K3: KerasVersion = { raw: '3.15.1', major: 3, minor: 15, patch: 1, tfKeras: false, inferred: false };

function arg(v: unknown): NodeArg {
  if (Array.isArray(v)) return { kind: 'list', items: v.map(arg) };
  if (v && typeof v === 'object' && (v as J).class_name === '__keras_tensor__') {
    const [layer, node, tensor] = (v as J).config.keras_history;
    return { kind: 'tensor', ref: { layer, node, tensor } };
  }
  if (v && typeof v === 'object') return { kind: 'dict', items: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, arg(x)])) };
  return { kind: 'const', value: v };
}

function refs(a: NodeArg): TensorRef[] {
  if (a.kind === 'tensor') return [a.ref];
  if (a.kind === 'list') return a.items.flatMap(refs);
  if (a.kind === 'dict') return Object.values(a.items).flatMap(refs);
  return [];
}

function node(n: J): NodeSpec {
  const args = (n.args ?? []).map(arg);
  const kwargs = Object.fromEntries(Object.entries(n.kwargs ?? {}).map(([k, v]) => [k, arg(v)]));
  return { args, kwargs, inputs: [...args.flatMap(refs), ...Object.values(kwargs).flatMap(refs)] };
}

const triples = (v: unknown): TensorRef[] => {
  const a = v as unknown[];
  const list = typeof a[0] === 'string' ? [a] : (a as unknown[][]);
  return list.map(([layer, n, t]) => ({ layer: layer as string, node: n as number, tensor: t as number }));
};

function layerSpec(e: J): LayerSpec {
  const cfg = e.config as J;
  const spec: LayerSpec = {
    name: e.name ?? cfg.name, className: e.class_name, module: e.module ?? null, registeredName: null, config: cfg,
    originalConfig: e, inboundNodes: (e.inbound_nodes ?? []).map(node), weights: [], trainable: cfg.trainable !== false,
  };
  if (e.class_name === 'Functional' || e.class_name === 'Sequential') spec.innerModel = modelSpec(e);
  return spec;
}

export function modelSpec(m: J, source = 'test'): ModelSpec {
  const cfg = m.config as J;
  let layers: LayerSpec[];
  let inputs: TensorRef[], outputs: TensorRef[];
  if (m.class_name === 'Sequential') {
    layers = cfg.layers.map((e: J) => layerSpec({ ...e, name: e.config.name }));
    // Chain the layers like the normalizer does for Sequential models.
    for (let i = 1; i < layers.length; i++) {
      const ref = { layer: layers[i - 1].name, node: 0, tensor: 0 };
      layers[i].inboundNodes = [{ args: [{ kind: 'tensor', ref }], kwargs: {}, inputs: [ref] }];
    }
    inputs = [{ layer: layers[0].name, node: 0, tensor: 0 }];
    outputs = [{ layer: layers[layers.length - 1].name, node: 0, tensor: 0 }];
  } else {
    layers = cfg.layers.map(layerSpec);
    inputs = triples(cfg.input_layers);
    outputs = triples(cfg.output_layers);
  }
  return {
    format: 'keras-v3', source, kerasVersion: K3, backend: 'jax', modelClass: m.class_name, name: cfg.name, layers, inputs, outputs,
    trainingConfig: null, originalConfig: m, hasWeights: false,
  };
}
