/**
 * `keras-import sample '<initializer JSON or name>' --shape 300,200 [--seed N] [--keras-version V]
 * [--layout L] --out x.npy`: draw one initializer exactly as the mapping would for a weight of that
 * shape (fans computed as that Keras version computed them) and save it as float32 .npy.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidInputError, KerasImportError } from '../errors.ts';
import type { KerasVersion } from '../spec/types.ts';
import { writeNpy } from '../io/npy.ts';
import { computeFans, createRandom, mapInitializer, VarianceScalingInit, type KernelLayout, type MappedInitializer } from '../initializers/index.ts';

const LAYOUTS: KernelLayout[] = ['dense', 'conv', 'conv_transpose', 'depthwise', 'recurrent', 'embedding', 'vector', 'generic'];

/** "3.15.1", "2.2.4-tf", "1.2.2" → KerasVersion. */
export function parseKerasVersion(raw: string): KerasVersion {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(raw.trim());
  if (!m || !['1', '2', '3'].includes(m[1])) {
    throw new InvalidInputError(`unrecognised Keras version '${raw}'`, { hint: 'give it like 1.2.2, 2.2.4, 2.2.4-tf, 2.15.0 or 3.15.1' });
  }
  const major = Number(m[1]) as 1 | 2 | 3, minor = Number(m[2]), patch = Number(m[3] ?? 0);
  return { raw, major, minor, patch, tfKeras: raw.endsWith('-tf') || (major === 2 && minor >= 4), inferred: false };
}

/** The initializer argument: JSON (object or quoted string) or a bare name. */
export function parseInitializerArg(text: string): unknown {
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('"') || t === 'null') {
    try { return JSON.parse(t); } catch (e) {
      throw new InvalidInputError(`the initializer is not valid JSON: ${(e as Error).message}`, { hint: `quote it for the shell, e.g. '{"class_name": "HeNormal", "config": {}}'` });
    }
  }
  return t;
}

export function parseShape(text: string): number[] {
  const dims = text.split(/[, ]+/).filter(Boolean).map(Number);
  if (!dims.length || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InvalidInputError(`bad --shape '${text}'`, { hint: 'give non-negative integers separated by commas, e.g. --shape 3,3,64,128' });
  }
  return dims;
}

export interface SampleOptions {
  shape: string;
  out: string;
  seed?: string;
  kerasVersion?: string;
  layout?: string;
  /** Keras 1 conv kernels: the layer's dim_ordering (changes Conv3D fans). */
  dimOrdering?: string;
}

export interface SampleResult {
  mapped: MappedInitializer;
  shape: number[];
  fans: { fanIn: number; fanOut: number };
  seed: number;
  values: Float32Array;
}

export function sample(initializer: string, opts: Omit<SampleOptions, 'out'>): SampleResult {
  const kerasVersion = parseKerasVersion(opts.kerasVersion ?? '3.15.1');
  const shape = parseShape(opts.shape);
  const layout = (opts.layout ?? (shape.length === 1 ? 'vector' : shape.length === 2 ? 'dense' : 'conv')) as KernelLayout;
  if (!LAYOUTS.includes(layout)) throw new InvalidInputError(`unknown --layout '${opts.layout}'`, { hint: `one of ${LAYOUTS.join(', ')}` });
  let seed: number | undefined;
  if (opts.seed !== undefined) {
    seed = Number(opts.seed);
    if (!Number.isInteger(seed)) throw new InvalidInputError(`bad --seed '${opts.seed}'`, { hint: 'give an integer' });
  }
  const mapped = mapInitializer(parseInitializerArg(initializer), { kerasVersion, param: 'initializer', source: '<command line>' });
  const rng = createRandom(seed);
  if (opts.dimOrdering !== undefined && opts.dimOrdering !== 'th' && opts.dimOrdering !== 'tf') {
    throw new InvalidInputError(`bad --dim-ordering '${opts.dimOrdering}'`, { hint: "use 'th' or 'tf' (Keras 1 only)" });
  }
  const fo = {
    ...(opts.dimOrdering ? { dimOrdering: opts.dimOrdering as 'th' | 'tf' } : {}),
    ...(mapped.init instanceof VarianceScalingInit ? { inputAxes: mapped.init.inputAxes, outputAxes: mapped.init.outputAxes } : {}),
  };
  const fans = computeFans(shape, layout, kerasVersion, fo);
  const values = mapped.init.generate(shape, fans, rng);
  return { mapped, shape, fans, seed: mapped.init.seed ?? rng.seed, values };
}

export function runSample(initializer: string, opts: SampleOptions, write: (t: string) => void = (t) => { process.stdout.write(t); }): void {
  const r = sample(initializer, opts);
  try {
    writeFileSync(opts.out, writeNpy(r.values, r.shape));
  } catch (e) {
    throw new KerasImportError(`cannot write ${opts.out}: ${(e as Error).message}`, { hint: 'check the --out path' });
  }
  let s = 0, s2 = 0, min = Infinity, max = -Infinity;
  for (const v of r.values) { s += v; s2 += v * v; if (v < min) min = v; if (v > max) max = v; }
  const n = r.values.length || 1;
  const mean = s / n;
  write([
    `initializer: ${r.mapped.weightInit ?? '-'}  ${r.mapped.init.describe()}${r.mapped.exact ? '' : '  (approximation)'}`,
    ...(r.mapped.note ? [`note: ${r.mapped.note}`] : []),
    `shape: [${r.shape.join(', ')}]  fan_in=${r.fans.fanIn} fan_out=${r.fans.fanOut}  seed=${r.seed}`,
    `mean=${mean.toPrecision(6)} std=${Math.sqrt(Math.max(0, s2 / n - mean * mean)).toPrecision(6)} min=${min.toPrecision(6)} max=${max.toPrecision(6)}`,
    `wrote ${opts.out}`,
    '',
  ].join('\n'));
}

export function register(program: Command): void {
  program
    .command('sample')
    .description('draw one Keras initializer into a float32 .npy (fans computed as that Keras version computed them)')
    .argument('<initializer>', `initializer name or JSON as in a Keras config, e.g. he_normal or '{"class_name": "VarianceScaling", "config": {"scale": 2.0}}'`)
    .requiredOption('--shape <dims>', 'weight shape, e.g. 300,200 or 3,3,64,128 (Keras layout)')
    .requiredOption('--out <file.npy>', 'output .npy file')
    .option('--seed <n>', 'seed for the random source (default: random, printed)')
    .option('--keras-version <v>', 'Keras version whose semantics apply (default 3.15.1)')
    .option('--layout <layout>', `kernel layout for the fans: ${LAYOUTS.join(', ')} (default by rank)`)
    .option('--dim-ordering <th|tf>', 'Keras 1 conv layers: the dim_ordering (Conv3D fans differ)')
    .action((initializer: string, opts: SampleOptions) => { runSample(initializer, opts); });
}
