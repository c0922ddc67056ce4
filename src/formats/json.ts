/**
 * JSON inputs: `model.to_json()` architectures (`{class_name, config, keras_version?, backend?}`) and
 * `.keras` `config.json`. Recognises JSON that is not a model config (sharded-weights indexes, Keras
 * preprocessing objects, arbitrary JSON) and says so.
 */
import { InvalidConfigError, MissingWeightsError } from '../errors.ts';
import { parseKerasJson } from '../spec/json.ts';

export interface JsonArchitecture {
  /** The top-level `{class_name, config, …}` object. */
  config: Record<string, unknown>;
  /** `keras_version` recorded in the JSON (to_json adds it), else null. */
  kerasVersion: string | null;
  backend: string | null;
}

export function decodeText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

export function readJsonArchitecture(text: string, source: string): JsonArchitecture {
  const value = parseKerasJson(text, source);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidConfigError('the JSON is not a Keras model configuration (expected an object)', {
      file: source,
      hint: 'pass the output of model.to_json() or a .keras config.json',
    });
  }
  const obj = value as Record<string, unknown>;
  if ('weight_map' in obj && typeof obj.metadata === 'object') {
    throw new MissingWeightsError('this is a sharded Keras weights index (*.weights.json), not a model architecture', {
      file: source,
      hint: 'pass the architecture JSON (model.to_json()) as the model and this index as options.weights',
    });
  }
  if (typeof obj.class_name !== 'string' || !('config' in obj)) {
    const what = typeof obj.class_name === 'string' ? `a '${obj.class_name}' object` : 'JSON without class_name/config';
    throw new InvalidConfigError(`the JSON is not a Keras model configuration (${what})`, {
      file: source,
      hint: 'pass the output of model.to_json() or a .keras config.json',
    });
  }
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null);
  return { config: obj, kerasVersion: str(obj.keras_version), backend: str(obj.backend) };
}
