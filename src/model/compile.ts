/**
 * Compile an imported model from the file's training configuration (Keras 2 `training_config`,
 * Keras 3 `compile_config`): optimizer with its settings, loss(es), metrics — so the model can be
 * trained further with tfjs `fit`. What tfjs cannot express is reported, never silently changed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { UnsupportedFeatureError } from '../errors.ts';
import type { ModelSpec } from '../spec/types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface CompileResult {
  compiled: boolean;
  /** Settings tfjs has no equivalent for (ignored), or why the model was not compiled. */
  notes: string[];
}

function num(c: Obj, keys: string[], dflt: number, notes: string[]): number {
  for (const k of keys) {
    const v = c[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (isObj(v)) {
      // a learning-rate schedule: start from its initial rate
      const cfg = isObj(v.config) ? v.config : {};
      const init = cfg.initial_learning_rate ?? cfg.learning_rate;
      if (typeof init === 'number') {
        notes.push(`learning-rate schedule ${String(v.class_name)} is not reproduced; using its initial rate ${init}`);
        return init;
      }
    }
  }
  return dflt;
}

/** Keras optimizer config → tfjs optimizer. */
export function makeOptimizer(v: unknown, notes: string[], source: string): tf.Optimizer {
  let cls: string;
  let c: Obj;
  if (typeof v === 'string') { cls = v; c = {}; }
  else if (isObj(v)) { cls = String(v.class_name ?? ''); c = isObj(v.config) ? v.config : {}; }
  else throw new UnsupportedFeatureError('training config has no optimizer', { file: source });
  const name = cls.toLowerCase().replace(/^keras>|^custom>/, '');
  const lr = (d: number) => num(c, ['learning_rate', 'lr'], d, notes);
  const decay = num(c, ['decay'], 0, notes);
  if (decay !== 0 && name !== 'adamax') notes.push(`optimizer decay=${decay} is not supported by tfjs and is ignored`);
  if (c.clipnorm != null || c.clipvalue != null || c.global_clipnorm != null) notes.push('gradient clipping (clipnorm/clipvalue) is not supported by tfjs and is ignored');
  switch (name) {
    case 'sgd': {
      const m = num(c, ['momentum'], 0, notes);
      return m === 0 && c.nesterov !== true ? tf.train.sgd(lr(0.01)) : tf.train.momentum(lr(0.01), m, c.nesterov === true);
    }
    case 'adam': {
      if (c.amsgrad === true) notes.push('Adam amsgrad=True is not supported by tfjs; plain Adam is used');
      return tf.train.adam(lr(0.001), num(c, ['beta_1'], 0.9, notes), num(c, ['beta_2'], 0.999, notes), num(c, ['epsilon'], 1e-7, notes));
    }
    case 'rmsprop':
      return tf.train.rmsprop(lr(0.001), num(c, ['rho'], 0.9, notes), num(c, ['momentum'], 0, notes), num(c, ['epsilon'], 1e-7, notes), c.centered === true);
    case 'adagrad':
      return tf.train.adagrad(lr(0.01), num(c, ['initial_accumulator_value'], 0.1, notes));
    case 'adadelta':
      return tf.train.adadelta(lr(1.0), num(c, ['rho'], 0.95, notes), num(c, ['epsilon'], 1e-7, notes));
    case 'adamax':
      return tf.train.adamax(lr(0.002), num(c, ['beta_1'], 0.9, notes), num(c, ['beta_2'], 0.999, notes), num(c, ['epsilon'], 1e-7, notes), decay);
  }
  throw new UnsupportedFeatureError(`optimizer '${cls}' has no tfjs equivalent`, {
    file: source, hint: 'compile the model yourself with a tfjs optimizer (sgd, momentum, adam, rmsprop, adagrad, adadelta, adamax)',
  });
}

const LOSSES: Record<string, string> = {
  categorical_crossentropy: 'categoricalCrossentropy', sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy', mean_squared_error: 'meanSquaredError', mse: 'meanSquaredError',
  mean_absolute_error: 'meanAbsoluteError', mae: 'meanAbsoluteError', mean_absolute_percentage_error: 'meanAbsolutePercentageError',
  mape: 'meanAbsolutePercentageError', mean_squared_logarithmic_error: 'meanSquaredLogarithmicError', msle: 'meanSquaredLogarithmicError',
  hinge: 'hinge', squared_hinge: 'squaredHinge', categorical_hinge: 'categoricalHinge', logcosh: 'logcosh', log_cosh: 'logcosh',
  kullback_leibler_divergence: 'kullbackLeiblerDivergence', kld: 'kullbackLeiblerDivergence', kl_divergence: 'kullbackLeiblerDivergence',
  poisson: 'poisson', cosine_proximity: 'cosineProximity', cosine_similarity: 'cosineProximity',
};

function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** One Keras loss (name, K2/K3 object) → a tfjs loss name or function. */
export function makeLoss(v: unknown, notes: string[], source: string): string | LossFn {
  let name: string;
  let c: Obj = {};
  if (typeof v === 'string') name = v;
  else if (isObj(v)) {
    name = String(v.class_name ?? '');
    c = isObj(v.config) ? v.config : {};
    if (name === 'function' && typeof v.config === 'string') name = v.config; // K3 {"class_name": "function", "config": "mse"}
  } else throw new UnsupportedFeatureError(`loss ${JSON.stringify(v)} is not a Keras loss`, { file: source });
  const key = name.includes('_') || name === name.toLowerCase() ? name.toLowerCase() : snake(name);
  const fromLogits = c.from_logits === true;
  const smoothing = typeof c.label_smoothing === 'number' ? c.label_smoothing : 0;
  if (key === 'categorical_crossentropy' && (fromLogits || smoothing)) {
    return (y, p) => tf.losses.softmaxCrossEntropy(y, fromLogits ? p : tf.log(tf.clipByValue(p, 1e-7, 1)), undefined, smoothing, tf.Reduction.NONE);
  }
  if (key === 'binary_crossentropy' && fromLogits) {
    return (y, p) => tf.mean(tf.losses.sigmoidCrossEntropy(y, p, undefined, smoothing, tf.Reduction.NONE), -1);
  }
  if (key === 'sparse_categorical_crossentropy' && fromLogits) {
    return (y, p) => {
      const labels = tf.oneHot(tf.cast(tf.reshape(y, [-1]), 'int32'), p.shape[p.rank - 1]!);
      return tf.losses.softmaxCrossEntropy(labels, tf.reshape(p, [-1, p.shape[p.rank - 1]!]), undefined, 0, tf.Reduction.NONE);
    };
  }
  if (smoothing) notes.push(`label_smoothing=${smoothing} is ignored for ${name}`);
  const tfName = LOSSES[key];
  if (!tfName) {
    throw new UnsupportedFeatureError(`loss '${name}' has no tfjs equivalent`, { file: source, hint: 'compile the model yourself with a tfjs loss' });
  }
  return tfName;
}

const METRICS: Record<string, string> = {
  accuracy: 'accuracy', acc: 'accuracy', categorical_accuracy: 'categoricalAccuracy', binary_accuracy: 'binaryAccuracy',
  sparse_categorical_accuracy: 'sparseCategoricalAccuracy', mse: 'mse', mean_squared_error: 'mse',
  mae: 'mae', mean_absolute_error: 'mae', mape: 'mape', mean_absolute_percentage_error: 'mape', precision: 'precision', recall: 'recall',
  cosine_proximity: 'cosine', categorical_crossentropy: 'categoricalCrossentropy', binary_crossentropy: 'binaryCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
};

function metricNames(v: unknown, notes: string[]): string[] {
  const out: string[] = [];
  const visit = (m: unknown): void => {
    if (m === null || m === undefined) return;
    if (Array.isArray(m)) { m.forEach(visit); return; }
    if (isObj(m) && !('class_name' in m)) { Object.values(m).forEach(visit); return; } // per-output dict
    let name: string | null = null;
    if (typeof m === 'string') name = m;
    else if (isObj(m)) {
      const c = isObj(m.config) ? m.config : {};
      name = typeof c.fn === 'string' ? c.fn : typeof c.name === 'string' ? c.name : typeof m.config === 'string' ? m.config : snake(String(m.class_name));
    }
    if (name === null) return;
    const key = name.includes('_') || name === name.toLowerCase() ? name.toLowerCase() : snake(name);
    const t = METRICS[key];
    if (t) { if (!out.includes(t)) out.push(t); } else notes.push(`metric '${name}' has no tfjs equivalent and is skipped`);
  };
  visit(v);
  return out;
}

/** Compile `model` from the spec's training config. Returns what happened; never throws for unsupported settings. */
export function compileFromTrainingConfig(model: LayersModel, spec: ModelSpec): CompileResult {
  const notes: string[] = [];
  const tc = spec.trainingConfig;
  if (!tc || (tc.optimizer_config == null && tc.optimizer == null && tc.loss == null)) return { compiled: false, notes: [] };
  try {
    const optimizer = makeOptimizer(tc.optimizer_config ?? tc.optimizer, notes, spec.source);
    const lossRaw = tc.loss;
    let loss: string | LossFn | (string | LossFn)[] | Record<string, string | LossFn>;
    const outNames = model.outputNames;
    if (Array.isArray(lossRaw)) loss = lossRaw.map((l) => makeLoss(l, notes, spec.source));
    else if (isObj(lossRaw) && !('class_name' in lossRaw)) {
      loss = outNames.map((n) => {
        if (!(n in lossRaw)) throw new UnsupportedFeatureError(`training config has no loss for output '${n}'`, { file: spec.source });
        return makeLoss(lossRaw[n], notes, spec.source);
      });
    } else if (lossRaw === null || lossRaw === undefined) {
      throw new UnsupportedFeatureError('training config has no loss', { file: spec.source });
    } else {
      const one = makeLoss(lossRaw, notes, spec.source);
      loss = outNames.length > 1 ? outNames.map(() => one) : one;
    }
    if (tc.loss_weights != null) notes.push('loss_weights are not supported by tfjs compile and are ignored');
    const metrics = metricNames(tc.metrics, notes);
    try {
      model.compile({ optimizer, loss: loss as never, metrics });
    } catch (e) {
      // tfjs rejected a setting: report it and leave the model uncompiled (inference is unaffected)
      return { compiled: false, notes: [...notes, `tfjs could not compile the model from its training config: ${(e as Error).message}`] };
    }
    return { compiled: true, notes };
  } catch (e) {
    if (e instanceof UnsupportedFeatureError) return { compiled: false, notes: [...notes, e.message] };
    throw e;
  }
}
