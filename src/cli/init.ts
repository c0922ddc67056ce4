/**
 * `keras-import init <model> --out weights.h5 [--seed N] [--fallback PRESET]`: read the architecture
 * only, draw every weight through the initializer mapping (the semantics of the Keras that wrote the
 * file), and write a weights-only HDF5 in the legacy Keras `save_weights` layout, which
 * `model.load_weights('weights.h5')` of Keras 2 and 3 reads (layers matched by order).
 */
import type { Command } from 'commander';
import { readModelFile } from '../import.ts';
import { InvalidInputError, KerasImportError, UnsupportedFeatureError } from '../errors.ts';
import type { LayerSpec, ModelSpec } from '../spec/types.ts';
import { inferModelShapes } from '../spec/shapes/index.ts';
import type { WeightShape } from '../spec/shapes/index.ts';
import { createRandom, initializeWeights, mapLayerInitializers, WeightInit, type RandomSource } from '../initializers/index.ts';

export type ModelReader = (pathOrBytes: string | Uint8Array, options?: Record<string, unknown>) => Promise<ModelSpec>;

export interface InitializedWeight {
  /** As written in `weight_names`, e.g. "dense_1/kernel:0". */
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface InitializedLayer {
  name: string;
  weights: InitializedWeight[];
  /** Initializers that are not exact reproductions, with why. */
  approximations: string[];
}

export interface InitOptions {
  seed?: number;
  fallback?: WeightInit;
}

/** Draw every weight of the model, layer by layer in config order, as Keras would have initialised it. */
export function initializeModel(spec: ModelSpec, rng: RandomSource, opts: InitOptions = {}): InitializedLayer[] {
  const { layerWeights } = inferModelShapes(spec);
  return spec.layers.map((layer) => initLayer(layer, layerWeights.get(layer.name), spec, rng, opts, ''));
}

function initLayer(layer: LayerSpec, shapes: WeightShape[] | undefined, spec: ModelSpec, rng: RandomSource, opts: InitOptions, prefix: string): InitializedLayer {
  const lopts = { source: spec.source, backend: spec.backend, fallback: opts.fallback };
  if (shapes === undefined) {
    throw new UnsupportedFeatureError(`cannot work out the weight shapes of ${layer.className} '${layer.name}'`, {
      file: spec.source, layer: layer.name, hint: 'give the model an input shape, or load real weights instead of initializing them',
    });
  }
  if (shapes.length === 0) return { name: layer.name, weights: [], approximations: [] };
  if (layer.innerModel) {
    // a nested model stores its sub-layers' weights under its own group: trainable first, then the rest
    const innerLayers = initializeModelNested(layer.innerModel, rng, opts, `${prefix}`);
    const all = innerLayers.flatMap((l) => l.weights.map((w, i) => ({ w, trainable: l.trainable[i] })));
    return {
      name: layer.name,
      weights: [...all.filter((x) => x.trainable), ...all.filter((x) => !x.trainable)].map((x) => x.w),
      approximations: innerLayers.flatMap((l) => l.approximations),
    };
  }
  const named = bidirectionalNames(layer, shapes);
  const values = initializeWeights(layer, named, spec.kerasVersion, rng, lopts);
  const suffix = spec.kerasVersion.major >= 3 ? '' : ':0'; // tf.keras / Keras 2 variable names carry ':0'
  const approximations = Object.entries(mapLayerInitializers(layer, spec.kerasVersion, lopts))
    .filter(([, m]) => !m.exact).map(([k, m]) => `${layer.name}.${k}: ${m.note ?? 'approximation'}`);
  return {
    name: layer.name,
    weights: named.map((w, i) => ({ name: `${prefix}${layer.name}/${w.name}${suffix}`, shape: w.shape, values: values[i] })),
    approximations,
  };
}

/** Bidirectional lists forward then backward weights; tell initializeWeights which half is which. */
function bidirectionalNames(layer: LayerSpec, shapes: WeightShape[]): WeightShape[] {
  if (layer.className !== 'Bidirectional') return shapes;
  const half = shapes.length / 2;
  const inner = layer.innerLayers ?? [];
  const fwd = inner[0]?.name ?? 'layer';
  const bwd = inner[1]?.name ?? fwd;
  // Keras names them forward_<layer>/… and backward_<layer>/…; initializeWeights keys on that prefix
  return shapes.map((w, i) => ({ ...w, name: i < half ? `forward_${fwd}/${w.name}` : `backward_${bwd}/${w.name}` }));
}

function initializeModelNested(model: ModelSpec, rng: RandomSource, opts: InitOptions, prefix: string) {
  const { layerWeights } = inferModelShapes(model);
  return model.layers.map((l) => {
    const shapes = layerWeights.get(l.name);
    const r = initLayer(l, shapes, model, rng, opts, prefix);
    return { ...r, trainable: (shapes ?? []).map((s) => s.trainable) };
  });
}

/** Write the legacy `save_weights` HDF5 layout: root attrs layer_names / keras_version / backend, one group per layer. */
export async function writeLegacyWeights(path: string, layers: InitializedLayer[], attrs: { kerasVersion: string; backend: string }): Promise<void> {
  // Written through h5wasm's Node build (real files); the reader's in-memory module refuses writes by design.
  const h5 = (await import('h5wasm/node')).default;
  await h5.ready;
  const f = new h5.File(path, 'w');
  try {
    f.create_attribute('layer_names', layers.map((l) => l.name));
    f.create_attribute('keras_version', attrs.kerasVersion);
    f.create_attribute('backend', attrs.backend);
    for (const l of layers) {
      const g = f.create_group(l.name);
      // Keras' loader reads a missing weight_names as "no weights"
      if (l.weights.length) g.create_attribute('weight_names', l.weights.map((w) => w.name));
      for (const w of l.weights) {
        // "dense_1/kernel:0" → subgroup dense_1, dataset kernel:0 (h5py creates the same intermediate group)
        const parts = w.name.split('/');
        let parent = g;
        for (const p of parts.slice(0, -1)) {
          const existing = parent.get(p);
          parent = (existing && 'create_group' in existing ? existing : parent.create_group(p)) as typeof g;
        }
        parent.create_dataset({ name: parts[parts.length - 1], data: w.values, shape: w.shape, dtype: '<f4' });
      }
    }
  } finally {
    f.close();
  }
}


export interface InitCliOptions {
  out: string;
  seed?: string;
  fallback?: string;
  kerasVersion?: string;
}

export async function runInit(model: string, opts: InitCliOptions, deps: { read?: ModelReader; write?: (t: string) => void } = {}): Promise<InitializedLayer[]> {
  const write = deps.write ?? ((t: string) => { process.stdout.write(t); });
  let seed: number | undefined;
  if (opts.seed !== undefined) {
    seed = Number(opts.seed);
    if (!Number.isInteger(seed)) throw new InvalidInputError(`bad --seed '${opts.seed}'`, { hint: 'give an integer' });
  }
  let fallback: WeightInit | undefined;
  if (opts.fallback !== undefined) {
    if (!(Object.values(WeightInit) as string[]).includes(opts.fallback)) {
      throw new InvalidInputError(`unknown --fallback '${opts.fallback}'`, { hint: `one of ${Object.values(WeightInit).join(', ')}` });
    }
    fallback = opts.fallback as WeightInit;
  }
  const read = deps.read ?? (readModelFile as ModelReader);
  const spec = await read(model, opts.kerasVersion ? { kerasVersion: opts.kerasVersion } : {});
  const rng = createRandom(seed);
  const layers = initializeModel(spec, rng, { seed, fallback });
  try {
    await writeLegacyWeights(opts.out, layers, { kerasVersion: spec.kerasVersion.raw ?? `${spec.kerasVersion.major}.${spec.kerasVersion.minor}.${spec.kerasVersion.patch}`, backend: spec.backend ?? 'tensorflow' });
  } catch (e) {
    if (e instanceof KerasImportError) throw e;
    throw new KerasImportError(`cannot write ${opts.out}: ${(e as Error).message}`, { hint: 'check the --out path' });
  }
  const nWeights = layers.reduce((a, l) => a + l.weights.length, 0);
  const nParams = layers.reduce((a, l) => a + l.weights.reduce((b, w) => b + w.values.length, 0), 0);
  const approx = layers.flatMap((l) => l.approximations);
  write([
    `initialized ${nWeights} weights (${nParams} parameters) in ${layers.filter((l) => l.weights.length).length} layers with Keras ${spec.kerasVersion.raw ?? spec.kerasVersion.major} semantics, seed ${rng.seed}`,
    ...approx.map((a) => `approximation: ${a}`),
    `wrote ${opts.out} (Keras save_weights layout: model.load_weights('${opts.out}'))`,
    '',
  ].join('\n'));
  return layers;
}

export function register(program: Command): void {
  program
    .command('init')
    .description('initialize every weight of an architecture as its Keras version would, and write a weights-only .h5')
    .argument('<model>', 'model file (.json, .h5, .keras); only the architecture is used')
    .requiredOption('--out <weights.h5>', 'output weights file (legacy save_weights layout)')
    .option('--seed <n>', 'seed (default: random, printed)')
    .option('--keras-version <v>', 'override the Keras version whose semantics apply')
    .option('--fallback <preset>', 'explicitly substitute this WeightInit preset for unknown initializers (e.g. XAVIER_UNIFORM)')
    .action(async (model: string, opts: InitCliOptions) => { await runInit(model, opts); });
}
