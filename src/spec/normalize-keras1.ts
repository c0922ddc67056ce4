/**
 * Keras 1 → Keras 2 class and config-key renames (formats.md §2.2; Keras 2 `legacy/interfaces.py`).
 * Applied to every layer whatever the recorded version: the renames only fire on Keras-1-only keys,
 * so Keras 2/3 configs pass through unchanged (files saved by Keras 2.0 with a Keras 1 config exist).
 * Keras-1-only facts without a Keras 2 equivalent are kept under `keras1_*` keys: `keras1_dim_ordering`
 * ('th'/'tf', next to the mapped `data_format`), `keras1_mode` (BatchNormalization mode), `keras1_output_shape`
 * (Deconvolution2D), `keras1_input_dtype` (dtype of the model input, e.g. int32 for Embedding),
 * `keras1_dropout` (Embedding), `keras1_forget_bias_init` (when not 'one').
 */

export const KERAS1_CLASS_RENAMES: Record<string, string> = {
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  Convolution3D: 'Conv3D',
  AtrousConvolution1D: 'Conv1D',
  AtrousConvolution2D: 'Conv2D',
  Deconvolution2D: 'Conv2DTranspose',
  Deconvolution3D: 'Conv3DTranspose',
  SeparableConvolution2D: 'SeparableConv2D',
  SeparableConvolution1D: 'SeparableConv1D',
  // tf.keras / Keras 2 internal aliases that are the same layer
  BatchNormalizationV1: 'BatchNormalization',
  BatchNormalizationV2: 'BatchNormalization',
  UnifiedLSTM: 'LSTM',
  UnifiedGRU: 'GRU',
  LSTMV1: 'LSTM',
  GRUV1: 'GRU',
  LSTMV2: 'LSTM',
  GRUV2: 'GRU',
  DenseV1: 'Dense',
};

/** Keras 1 `Merge` modes with a Keras 2 layer. Anything else (lambda/function modes) stays `Merge`. */
const MERGE_MODES: Record<string, string> = {
  sum: 'Add',
  mul: 'Multiply',
  concat: 'Concatenate',
  ave: 'Average',
  max: 'Maximum',
  dot: 'Dot',
  cos: 'Dot',
};

/** Keys that only Keras 1 writes (checked by the tests; `output_dim`/`input_dim` stay legal on Embedding). */
export const KERAS1_ONLY_KEYS = [
  'output_dim', 'input_dim', 'init', 'inner_init', 'inner_activation', 'forget_bias_init', 'nb_filter', 'nb_row', 'nb_col',
  'filter_length', 'kernel_dim1', 'kernel_dim2', 'kernel_dim3', 'subsample', 'subsample_length', 'border_mode',
  'dim_ordering', 'W_regularizer', 'b_regularizer', 'U_regularizer', 'W_constraint', 'b_constraint', 'U_constraint',
  'bias', 'dropout_W', 'dropout_U', 'consume_less', 'p', 'sigma', 'pool_length', 'stride', 'length', 'beta_init',
  'gamma_init', 'input_dtype', 'atrous_rate', 'mode',
] as const;

type Cfg = Record<string, unknown>;

function move(cfg: Cfg, from: string, to: string, conv?: (v: unknown) => unknown): void {
  if (!(from in cfg)) return;
  const v = cfg[from];
  delete cfg[from];
  if (!(to in cfg)) cfg[to] = conv ? conv(v) : v;
}

function tuple(v: unknown, n: number): unknown {
  if (v === null || v === undefined) return v;
  if (Array.isArray(v)) return v;
  return Array.from({ length: n }, () => v);
}

const RNN = new Set(['SimpleRNN', 'GRU', 'LSTM', 'ConvLSTM2D']);
const CONV1D = new Set(['Conv1D', 'LocallyConnected1D']);
const CONV2D = new Set(['Conv2D', 'Conv2DTranspose', 'SeparableConv2D', 'LocallyConnected2D', 'ConvLSTM2D', 'DepthwiseConv2D']);
const CONV3D = new Set(['Conv3D', 'Conv3DTranspose']);
const POOL1D = new Set(['MaxPooling1D', 'AveragePooling1D']);
/** Keras 1 layers whose `output_dim` is Keras 2 `units` (Embedding keeps `output_dim`). */
const UNITS = new Set(['Dense', 'SimpleRNN', 'GRU', 'LSTM', 'Highway', 'MaxoutDense', 'TimeDistributedDense']);
/** Keras 1 layers that took `input_dim` (+`input_length`) as a shortcut for the input shape. */
const INPUT_DIM = new Set(['Dense', 'SimpleRNN', 'GRU', 'LSTM', 'Conv1D', 'LocallyConnected1D', 'Highway', 'MaxoutDense', 'TimeDistributedDense']);

/**
 * Rename a Keras 1 layer (class and config) to Keras 2 terms, in place on `cfg` (a private copy).
 * Returns the canonical class name.
 */
export function convertKeras1Layer(className: string, cfg: Cfg): string {
  const original = className;
  let cls = KERAS1_CLASS_RENAMES[className] ?? className;

  if (cls === 'Merge') cls = convertMerge(cfg);

  // generic renames shared by many layers
  if ('dim_ordering' in cfg) {
    const d = cfg.dim_ordering;
    delete cfg.dim_ordering;
    cfg.keras1_dim_ordering = d;
    // Keras 2's value conversion: 'default' (unresolved) → None, i.e. the backend default (channels_last)
    if (!('data_format' in cfg)) cfg.data_format = d === 'th' ? 'channels_first' : d === 'tf' ? 'channels_last' : d === 'default' ? null : d;
  }
  move(cfg, 'border_mode', 'padding');
  move(cfg, 'W_regularizer', cls === 'Embedding' ? 'embeddings_regularizer' : 'kernel_regularizer');
  move(cfg, 'W_constraint', cls === 'Embedding' ? 'embeddings_constraint' : 'kernel_constraint');
  move(cfg, 'b_regularizer', 'bias_regularizer');
  move(cfg, 'b_constraint', 'bias_constraint');
  move(cfg, 'U_regularizer', 'recurrent_regularizer');
  move(cfg, 'U_constraint', 'recurrent_constraint');
  move(cfg, 'bias', 'use_bias');
  // Keras 1 `input_dtype` is the dtype of the model input (Embedding: int32), not of the layer's weights
  move(cfg, 'input_dtype', cls === 'InputLayer' ? 'dtype' : 'keras1_input_dtype');

  if (cls === 'Embedding') {
    move(cfg, 'init', 'embeddings_initializer');
    if ('dropout' in cfg) {
      // Keras 2 dropped Embedding dropout (training-only); keep the value for reference
      cfg.keras1_dropout = cfg.dropout;
      delete cfg.dropout;
    }
  } else if (cls === 'SeparableConv2D' || cls === 'SeparableConv1D') {
    if ('init' in cfg) {
      const init = cfg.init;
      delete cfg.init;
      if (!('depthwise_initializer' in cfg)) cfg.depthwise_initializer = init;
      if (!('pointwise_initializer' in cfg)) cfg.pointwise_initializer = init;
    }
  } else if (cls === 'PReLU') {
    move(cfg, 'init', 'alpha_initializer');
  } else {
    move(cfg, 'init', 'kernel_initializer');
  }

  if (UNITS.has(cls)) move(cfg, 'output_dim', 'units');
  move(cfg, 'nb_filter', 'filters');

  if (RNN.has(cls)) {
    move(cfg, 'inner_init', 'recurrent_initializer');
    move(cfg, 'inner_activation', 'recurrent_activation');
    move(cfg, 'dropout_W', 'dropout');
    move(cfg, 'dropout_U', 'recurrent_dropout');
    move(cfg, 'consume_less', 'implementation', (v) => (v === 'cpu' ? 0 : v === 'mem' ? 1 : v === 'gpu' ? 2 : v));
    if ('forget_bias_init' in cfg) {
      const f = cfg.forget_bias_init;
      delete cfg.forget_bias_init;
      // Keras 2 maps 'one' to unit_forget_bias and ignores any other value (with a warning)
      if (!('unit_forget_bias' in cfg)) cfg.unit_forget_bias = f === 'one' || f === 'ones';
      if (f !== 'one' && f !== 'ones') cfg.keras1_forget_bias_init = f;
    }
  }

  // kernel sizes / strides
  if (CONV1D.has(cls)) {
    move(cfg, 'filter_length', 'kernel_size', (v) => tuple(v, 1));
    move(cfg, 'subsample_length', 'strides', (v) => tuple(v, 1));
    move(cfg, 'atrous_rate', 'dilation_rate', (v) => tuple(v, 1));
  }
  if (CONV2D.has(cls) && ('nb_row' in cfg || 'nb_col' in cfg)) {
    const k = [cfg.nb_row, cfg.nb_col];
    delete cfg.nb_row;
    delete cfg.nb_col;
    if (!('kernel_size' in cfg)) cfg.kernel_size = k;
  }
  if (CONV3D.has(cls) && ('kernel_dim1' in cfg || 'kernel_dim2' in cfg || 'kernel_dim3' in cfg)) {
    const k = [cfg.kernel_dim1, cfg.kernel_dim2, cfg.kernel_dim3];
    delete cfg.kernel_dim1;
    delete cfg.kernel_dim2;
    delete cfg.kernel_dim3;
    if (!('kernel_size' in cfg)) cfg.kernel_size = k;
  }
  if (CONV2D.has(cls) || CONV3D.has(cls)) {
    move(cfg, 'subsample', 'strides');
    move(cfg, 'atrous_rate', 'dilation_rate', (v) => tuple(v, CONV3D.has(cls) ? 3 : 2));
  }
  if (cls === 'Conv2DTranspose' && original === 'Deconvolution2D' && 'output_shape' in cfg) {
    // Keras 2 has no output_shape for Conv2DTranspose; it is derived from the input
    cfg.keras1_output_shape = cfg.output_shape;
    delete cfg.output_shape;
  }

  if (POOL1D.has(cls)) {
    move(cfg, 'pool_length', 'pool_size', (v) => tuple(v, 1));
    move(cfg, 'stride', 'strides', (v) => tuple(v, 1));
  }
  if (cls === 'UpSampling1D') move(cfg, 'length', 'size');
  if (cls === 'Dropout' || cls === 'GaussianDropout' || cls.startsWith('SpatialDropout')) move(cfg, 'p', 'rate');
  if (cls === 'GaussianNoise') move(cfg, 'sigma', 'stddev');

  if (cls === 'BatchNormalization') {
    move(cfg, 'beta_init', 'beta_initializer');
    move(cfg, 'gamma_init', 'gamma_initializer');
    move(cfg, 'mode', 'keras1_mode');
  }

  if (cls === 'ZeroPadding2D' && cfg.padding !== null && typeof cfg.padding === 'object') {
    const p = cfg.padding as Record<string, unknown> | unknown[];
    if (!Array.isArray(p)) {
      cfg.padding = [
        [p.top_pad ?? 0, p.bottom_pad ?? 0],
        [p.left_pad ?? 0, p.right_pad ?? 0],
      ];
    } else if (p.length === 4 && p.every((x) => typeof x === 'number')) {
      cfg.padding = [
        [p[0], p[1]],
        [p[2], p[3]],
      ];
    }
  }

  // input_dim (+ input_length) → batch_input_shape, as Keras' layer constructors do
  if ('input_dim' in cfg && INPUT_DIM.has(cls)) {
    const dim = cfg.input_dim;
    const len = cfg.input_length;
    delete cfg.input_dim;
    const seq = RNN.has(cls) || CONV1D.has(cls) || cls === 'TimeDistributedDense';
    if (seq) delete cfg.input_length;
    if (typeof dim === 'number' && !Array.isArray(cfg.batch_input_shape)) {
      cfg.batch_input_shape = seq ? [null, len ?? null, dim] : [null, dim];
    }
  }
  return cls;
}

/** Keras 1 `Merge(mode=…)` → the Keras 2 merge layer; lambda modes keep `Merge` (runtime rejects it). */
function convertMerge(cfg: Cfg): string {
  const mode = cfg.mode;
  const modeType = cfg.mode_type;
  if (typeof mode !== 'string' || (modeType !== undefined && modeType !== 'raw') || !(mode in MERGE_MODES)) return 'Merge';
  const cls = MERGE_MODES[mode];
  const keep: Cfg = {};
  for (const k of ['name', 'trainable', 'dtype']) if (k in cfg) keep[k] = cfg[k];
  if (mode === 'concat') keep.axis = cfg.concat_axis ?? -1;
  if (mode === 'dot' || mode === 'cos') {
    keep.axes = cfg.dot_axes ?? -1;
    keep.normalize = mode === 'cos';
  }
  for (const k of Object.keys(cfg)) if (k !== 'layers') delete cfg[k];
  Object.assign(cfg, keep);
  return cls;
}
