/**
 * The canonical model description every reader produces and every later stage consumes.
 *
 * Data flows one way: bytes → container (HDF5 / zip / JSON) → normalizer (Keras 1/2/3 → ModelSpec)
 * → initializers and weight loading → layer builders → tfjs LayersModel.
 * Nothing downstream of the normalizer looks at version-specific config syntax again.
 */

/** Which container the model came from (sniffed from bytes, never from the file name). */
export type ModelFormat =
  | 'legacy-h5' // model.save('x.h5'): HDF5 with model_config + model_weights (Keras 1.0.7 … Keras 3)
  | 'legacy-h5-weights' // save_weights('w.h5') legacy layout, paired with a JSON architecture
  | 'keras-v3' // .keras zip archive (config.json + metadata.json + model.weights.h5)
  | 'keras-v3-weights' // *.weights.h5 store (layers/…/vars/N), paired with a JSON architecture
  | 'json'; // architecture only (model.to_json())

/** The Keras that wrote the file. `major` drives every version-dependent rule. */
export interface KerasVersion {
  /** As recorded (e.g. "2.2.4-tf", "3.15.1"), or null when the file records none. */
  raw: string | null;
  major: 1 | 2 | 3;
  minor: number;
  patch: number;
  /** tf.keras (a "-tf" suffix, or 2.4+ which only exists inside TensorFlow). */
  tfKeras: boolean;
  /** True when no version was recorded and it was inferred (config style, missing attributes). */
  inferred: boolean;
}

/** A reference to one output tensor of one call of a layer: Keras' (layer, node_index, tensor_index). */
export interface TensorRef {
  layer: string;
  /** 0-based call index of that layer *after* removing the historical nested-model offsets. */
  node: number;
  tensor: number;
}

/**
 * An argument of a layer call. Ordinary layers only see tensors; Keras 3 op nodes and tf.keras
 * TFOpLambda nodes may also get constants, lists and slices, so the structure is kept.
 */
export type NodeArg =
  | { kind: 'tensor'; ref: TensorRef }
  | { kind: 'list'; items: NodeArg[] }
  | { kind: 'dict'; items: Record<string, NodeArg> }
  | { kind: 'const'; value: unknown };

/** One call of a layer (one Keras "inbound node"). */
export interface NodeSpec {
  /** Positional call arguments. For an ordinary multi-input layer: one `list` arg of tensors. */
  args: NodeArg[];
  /** Keyword arguments (e.g. `training`, `mask`, `initial_state`), tensors kept as `tensor` args. */
  kwargs: Record<string, NodeArg>;
  /** Every tensor the call consumes, flattened in order (args first, then kwargs). */
  inputs: TensorRef[];
}

/** One stored weight, in Keras order. Values are always delivered as float32 (ints for int datasets). */
export interface WeightSpec {
  /** As stored (e.g. "dense_1/kernel:0", "vars/0"). */
  name: string;
  shape: number[];
  /** Stored dtype: float32, float16, bfloat16, float64, int32, int64, int8, uint8, bool … */
  dtype: string;
  values: Float32Array | Int32Array;
}

/** Layer-level description. `config` is normalized to Keras 2/3 key names. */
export interface LayerSpec {
  name: string;
  /** Canonical class name (Keras 1 names mapped: Convolution2D → Conv2D, …). */
  className: string;
  /** Keras 3 `module` (e.g. "keras.layers", "keras.src.ops.numpy"); needed to tell ops from layers. */
  module: string | null;
  /** Keras 3 `registered_name` when it differs from a built-in ("pkg>Name"), else null. */
  registeredName: string | null;
  /** Normalized config: Keras 2/3 keys, dtype-policy wrappers unwrapped, initializers left as found. */
  config: Record<string, unknown>;
  /** The config exactly as in the file, for reference and error messages. */
  originalConfig: unknown;
  /** One entry per call (empty for an InputLayer and for layers never called). */
  inboundNodes: NodeSpec[];
  /** Weights in Keras order (trainable then non-trainable). Empty when the file has none. */
  weights: WeightSpec[];
  /** For a model used as a layer (nested Sequential / Functional). */
  innerModel?: ModelSpec;
  /** For wrappers (Bidirectional, TimeDistributed): the wrapped layer, normalized. */
  innerLayers?: LayerSpec[];
  trainable: boolean;
}

export interface ModelSpec {
  format: ModelFormat;
  /** File name or a label for byte input; used in every error message. */
  source: string;
  kerasVersion: KerasVersion;
  /** Backend that wrote the file (tensorflow, theano, cntk, jax, torch) or null when not recorded (Keras 1). */
  backend: string | null;
  /** As written: Sequential, Model, Functional. */
  modelClass: string;
  name: string;
  /**
   * Layers in config order. A Sequential model gets an explicit InputLayer (named like Keras would)
   * when the file gives an input shape, and synthesized inbound nodes, so every model is a graph.
   */
  layers: LayerSpec[];
  inputs: TensorRef[];
  outputs: TensorRef[];
  /** Input names when the model was called with a dict, in `inputs` order. */
  inputNames?: string[];
  trainingConfig: Record<string, unknown> | null;
  /** The top-level config JSON as found. */
  originalConfig: unknown;
  /** Whether weights were loaded (false for architecture-only imports). */
  hasWeights: boolean;
}

/** Shape with `null` for unknown (batch) dimensions. `undefined` result from inference = cannot infer. */
export type Shape = (number | null)[];
