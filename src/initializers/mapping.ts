/**
 * Serialized Keras initializer (any version's form) → `IWeightInit`, with the semantics of the Keras
 * version that wrote the file (spec §1–§3). Names resolve case-sensitively, as Keras' registries do.
 * Unknown names raise UnsupportedInitializerError unless registered or an explicit fallback is given.
 */
import { InvalidConfigError, UnsupportedInitializerError } from '../errors.ts';
import type { KerasVersion } from '../spec/types.ts';
import { atLeast, eraOf, type KerasEra } from './fans.ts';
import {
  ConstantInit, CustomInit, IdentityInit, NormalInit, OrthogonalInit, StftInit, TruncatedNormalInit, UniformInit,
  VarianceScalingInit, type FanMode, type IWeightInit, type VsDistribution,
} from './impls.ts';
import type { Fans } from './fans.ts';
import type { RandomSource } from './random.ts';
import { matchPreset, presetInit, WeightInit } from './presets.ts';

export interface MapContext {
  kerasVersion: KerasVersion;
  /** Layer name, for messages. */
  layer?: string;
  /** Config key, e.g. "kernel_initializer". */
  param: string;
  /** File name, for messages. */
  source?: string;
  /** Layer class, for messages. */
  className?: string;
  /** Backend that wrote the file (theano/cntk truncated normals differ). */
  backend?: string | null;
  /**
   * Explicit opt-in: substitute this preset for an initializer that is neither built in nor
   * registered (the result says so in `note` and has exact = false). Never applied implicitly.
   */
  fallback?: WeightInit;
}

export interface MappedInitializer {
  /** The value as found in the file. */
  keras: unknown;
  init: IWeightInit;
  /** The preset this equals, or null when only the implementation with its parameters describes it. */
  weightInit: WeightInit | null;
  /** Same law as Keras of that version (values are never bit-identical: different generator). */
  exact: boolean;
  note?: string;
}

/** What a registered factory gets and may return. */
export type GenerateFn = (shape: number[], fans: Fans, rng: RandomSource) => Float32Array | number[];
export type InitializerFactory = (config: Record<string, unknown>, ctx: MapContext) => IWeightInit | GenerateFn;

const registry = new Map<string, InitializerFactory>();

/**
 * Register a custom initializer under the name that appears in files: a Keras 3 `registered_name`
 * ("package>Name"), a `class_name`, or a serialized function's name. Registered names win over
 * built-ins, so a registration can also replace a built-in deliberately.
 */
export function registerInitializer(name: string, factory: InitializerFactory): void {
  if (!name) throw new TypeError('registerInitializer: name must be a non-empty string');
  if (typeof factory !== 'function') throw new TypeError(`registerInitializer('${name}'): factory must be a function`);
  registry.set(name, factory);
}

export function unregisterInitializer(name: string): boolean {
  return registry.delete(name);
}

interface Parsed {
  className: string;
  config: Record<string, unknown>;
  module: string | null;
  registeredName: string | null;
  /** For a serialized Python function ({"class_name": "function", "config": "name"}). */
  functionName: string | null;
}

// canonical built-in → every spelling the registries of Keras 1, 2, tf.keras and 3 accept
const ALIASES: Record<string, string[]> = {
  Zeros: ['Zeros', 'zeros', 'zero'],
  Ones: ['Ones', 'ones', 'one'],
  Constant: ['Constant', 'constant'],
  RandomNormal: ['RandomNormal', 'random_normal', 'normal'],
  RandomUniform: ['RandomUniform', 'random_uniform', 'uniform'],
  TruncatedNormal: ['TruncatedNormal', 'truncated_normal'],
  VarianceScaling: ['VarianceScaling', 'variance_scaling'],
  Orthogonal: ['Orthogonal', 'orthogonal', 'OrthogonalInitializer', 'orthogonal_initializer'],
  Identity: ['Identity', 'identity', 'IdentityInitializer', 'identity_initializer'],
  GlorotUniform: ['GlorotUniform', 'glorot_uniform'],
  GlorotNormal: ['GlorotNormal', 'glorot_normal'],
  HeUniform: ['HeUniform', 'he_uniform'],
  HeNormal: ['HeNormal', 'he_normal'],
  LecunUniform: ['LecunUniform', 'lecun_uniform'],
  LecunNormal: ['LecunNormal', 'lecun_normal'],
  STFT: ['STFT', 'stft', 'STFTInitializer', 'stft_initializer'],
};
const CANONICAL = new Map<string, string>();
for (const [canon, names] of Object.entries(ALIASES)) for (const n of names) CANONICAL.set(n, canon);

/** Names Keras 1's `initializations.get` knew. */
const KERAS1_NAMES = new Set(['uniform', 'normal', 'lecun_uniform', 'glorot_normal', 'glorot_uniform', 'he_normal', 'he_uniform', 'orthogonal', 'identity', 'zero', 'one']);

function canonicalName(name: string): string | null {
  const direct = CANONICAL.get(name);
  if (direct) return direct;
  // tf.keras v1/v2 compatibility registrations: GlorotUniformV2, glorot_uniformV2, ConstantV2 …
  if (name.endsWith('V2')) return CANONICAL.get(name.slice(0, -2)) ?? null;
  return null;
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  try {
    const s = JSON.stringify(v);
    return s.length > 160 ? `${s.slice(0, 157)}...` : s;
  } catch { return String(v); }
}

function parse(value: unknown, ctx: MapContext): Parsed {
  if (typeof value === 'string') return { className: value, config: {}, module: null, registeredName: null, functionName: null };
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const cls = o.class_name;
    if (typeof cls !== 'string') {
      throw configError(ctx, `${ctx.param} has no 'class_name': ${describeValue(value)}`);
    }
    const module = typeof o.module === 'string' ? o.module : null;
    const registeredName = typeof o.registered_name === 'string' ? o.registered_name : null;
    if (cls === 'function') {
      // Keras 3 serialized Python function: config is the function's name
      const fname = typeof o.config === 'string' ? o.config : registeredName;
      return { className: cls, config: {}, module, registeredName, functionName: fname };
    }
    const cfg = o.config ?? {};
    if (typeof cfg !== 'object' || Array.isArray(cfg) || cfg === null) {
      throw configError(ctx, `${ctx.param} has a config that is not an object: ${describeValue(value)}`);
    }
    return { className: cls, config: cfg as Record<string, unknown>, module, registeredName, functionName: null };
  }
  throw configError(ctx, `${ctx.param} must be an initializer name or a {class_name, config} object, got ${describeValue(value)}`);
}

function configError(ctx: MapContext, msg: string): InvalidConfigError {
  return new InvalidConfigError(msg, { file: ctx.source, layer: ctx.layer, hint: 'the file is damaged or was not written by Keras; fix the layer config' });
}

/** A built-in's module is keras.* (or tf.keras' keras.initializers); anything else is someone's custom class. */
function isForeign(p: Parsed): boolean {
  if (p.functionName !== null) return true;
  if (p.registeredName && p.registeredName.includes('>')) return true;
  if (p.module && !/^(keras|tensorflow|tf_keras)(\.|$)/.test(p.module)) return true;
  return false;
}

function lookupRegistered(p: Parsed): [string, InitializerFactory] | null {
  for (const n of [p.registeredName, p.className, p.functionName]) {
    if (n && registry.has(n)) return [n, registry.get(n)!];
  }
  return null;
}

/** Map one serialized initializer. */
export function mapInitializer(kerasValue: unknown, ctx: MapContext): MappedInitializer {
  const v = ctx.kerasVersion;
  if (kerasValue === undefined) {
    throw configError(ctx, `no value for ${ctx.param}`);
  }
  if (kerasValue === null) {
    // initializers.get(None) → None, and add_weight(initializer=None) uses glorot_uniform for floats
    const m = mapInitializer(eraOf(v) === 'modern' ? 'GlorotUniform' : 'glorot_uniform', ctx);
    return { ...m, keras: null, note: joinNotes('null initializer: Keras add_weight falls back to glorot_uniform', m.note) };
  }
  const p = parse(kerasValue, ctx);
  const reg = lookupRegistered(p);
  if (reg) {
    const [name, factory] = reg;
    const made = factory(p.config, ctx);
    const init = typeof made === 'function' ? new CustomInit(name, made, p.config) : made;
    if (!init || typeof init.generate !== 'function') {
      throw new UnsupportedInitializerError(`registered initializer '${name}' returned neither an IWeightInit nor a generator function`, { file: ctx.source, layer: ctx.layer, hint: 'fix the factory passed to registerInitializer' });
    }
    return { keras: kerasValue, init, weightInit: matchPreset(init), exact: true, note: `registered initializer '${name}'` };
  }
  const canon = isForeign(p) ? null : canonicalName(p.className);
  if (!canon) return unknown(kerasValue, p, ctx);
  const built = buildBuiltin(canon, p, ctx);
  const weightInit = matchPreset(built.init);
  return { keras: kerasValue, init: built.init, weightInit, exact: built.exact, ...(built.notes.length ? { note: built.notes.join('; ') } : {}) };
}

function unknown(kerasValue: unknown, p: Parsed, ctx: MapContext): MappedInitializer {
  const name = p.functionName ?? p.registeredName ?? p.className;
  const what = p.functionName !== null ? `the Python function '${p.functionName}'` : `'${name}'${p.module ? ` (module ${p.module})` : ''}`;
  if (ctx.fallback !== undefined) {
    const init = presetInit(ctx.fallback);
    return {
      keras: kerasValue, init, weightInit: ctx.fallback, exact: false,
      note: `${what} is not a built-in Keras initializer; ${ctx.fallback} substituted because a fallback was explicitly requested`,
    };
  }
  const where = ctx.className ? `${ctx.param} of ${ctx.className}` : ctx.param;
  throw new UnsupportedInitializerError(
    `${where} uses ${what}, which is neither a built-in Keras initializer nor registered`,
    {
      file: ctx.source, layer: ctx.layer,
      hint: `register it before importing: registerInitializer('${name}', (config) => new VarianceScalingInit({...}) or (shape, fans, rng) => values), or opt in to a substitute with the initializer fallback option (e.g. XAVIER_UNIFORM)`,
    },
  );
}

interface Built { init: IWeightInit; exact: boolean; notes: string[] }

function num(cfg: Record<string, unknown>, key: string, dflt: number, ctx: MapContext): number {
  const x = cfg[key];
  if (x === undefined || x === null) return dflt;
  if (typeof x === 'number' && Number.isFinite(x)) return x; // JSON ints are fine: 0, 1, -1
  throw configError(ctx, `${ctx.param}: '${key}' must be a finite number, got ${describeValue(x)}`);
}

function seedOf(cfg: Record<string, unknown>, ctx: MapContext): number | null {
  const s = cfg.seed;
  if (s === undefined || s === null) return null;
  if (typeof s === 'number' && Number.isFinite(s)) return Math.trunc(s);
  // Keras 3: a serialized SeedGenerator {class_name: 'SeedGenerator', config: {seed: N}}
  if (typeof s === 'object' && s !== null) {
    const inner = (s as { config?: { seed?: unknown } }).config?.seed;
    if (typeof inner === 'number' && Number.isFinite(inner)) return Math.trunc(inner);
    if (inner === null || inner === undefined) return null;
  }
  throw configError(ctx, `${ctx.param}: unreadable seed ${describeValue(s)}`);
}

function axesOf(cfg: Record<string, unknown>, key: string, ctx: MapContext): number[] | null {
  const a = cfg[key];
  if (a === undefined || a === null) return null;
  if (Array.isArray(a) && a.every((x) => Number.isInteger(x))) return a as number[];
  if (Number.isInteger(a)) return [a as number];
  throw configError(ctx, `${ctx.param}: '${key}' must be a list of axes, got ${describeValue(a)}`);
}

function seedNote(seed: number | null, v: KerasVersion): string[] {
  if (seed === null) return [];
  const inc = eraOf(v) === 'k2' && atLeast(v, 2, 3, 0) ? ' (Keras 2.3 also advanced its seed after each call; here every call with this seed repeats)' : '';
  return [`seed ${seed} seeds keras-import's generator: same law and determinism as Keras, not Keras' exact numbers${inc}`];
}

function buildBuiltin(canon: string, p: Parsed, ctx: MapContext): Built {
  const v = ctx.kerasVersion;
  let era: KerasEra = eraOf(v);
  const notes: string[] = [];
  let exact = true;
  const cfg = p.config;
  // Keras 1 only ever wrote names; a class-style value or a name Keras 1 lacked means the version
  // guess is off — use Keras 2 semantics for it and say so
  if (era === 'k1' && !KERAS1_NAMES.has(p.className)) {
    era = 'k2';
    exact = false;
    notes.push(`'${p.className}' does not exist in Keras 1; mapped with Keras 2.2 semantics`);
  }
  const k2Corrected = era !== 'k2' || atLeast(v, 2, 2, 0) || v.major === 1; // the /0.8796 correction
  const seed = seedOf(cfg, ctx);
  notes.push(...seedNote(seed, v));
  const backend = (ctx.backend ?? '').toLowerCase();
  const truncNote = () => {
    if (era === 'k2' && (backend === 'theano' || backend === 'cntk')) {
      exact = false;
      notes.push(`the ${backend} backend's truncated normal may clip at ±2σ instead of re-drawing (Theano without truncate=True); re-drawn here`);
    }
  };
  const vsParams = (scale: number, mode: FanMode, distribution: VsDistribution) => new VarianceScalingInit({
    scale, mode, distribution, correctTruncation: k2Corrected, seed,
    inputAxes: axesOf(cfg, 'input_axes', ctx), outputAxes: axesOf(cfg, 'output_axes', ctx),
  });
  // the *_normal presets: Keras 1 untruncated; Keras 2+ truncated (corrected from 2.2)
  const normalDist = (): VsDistribution => {
    if (era === 'k1') return 'untruncated_normal';
    truncNote();
    return 'truncated_normal';
  };
  let init: IWeightInit;
  switch (canon) {
    case 'Zeros': init = new ConstantInit(0); break;
    case 'Ones': init = new ConstantInit(1); break;
    case 'Constant': {
      const val = cfg.value;
      if (Array.isArray(val) || (val !== null && typeof val === 'object')) {
        throw new UnsupportedInitializerError(`${ctx.param}: Constant with a non-scalar value is not supported`, { file: ctx.source, layer: ctx.layer, hint: 'register a custom initializer for it with registerInitializer' });
      }
      init = new ConstantInit(num(cfg, 'value', 0, ctx));
      break;
    }
    case 'RandomNormal':
      init = new NormalInit(num(cfg, 'mean', 0, ctx), num(cfg, 'stddev', 0.05, ctx), seed);
      break;
    case 'RandomUniform':
      init = new UniformInit(num(cfg, 'minval', -0.05, ctx), num(cfg, 'maxval', 0.05, ctx), seed);
      break;
    case 'TruncatedNormal':
      truncNote();
      init = new TruncatedNormalInit(num(cfg, 'mean', 0, ctx), num(cfg, 'stddev', 0.05, ctx), seed);
      break;
    case 'VarianceScaling': {
      const scale = num(cfg, 'scale', 1, ctx);
      if (!(scale > 0)) throw configError(ctx, `${ctx.param}: VarianceScaling scale must be positive, got ${scale}`);
      let mode = cfg.mode ?? 'fan_in';
      let dist = cfg.distribution ?? (era === 'k2' ? 'normal' : 'truncated_normal');
      if (typeof mode !== 'string' || typeof dist !== 'string') throw configError(ctx, `${ctx.param}: VarianceScaling mode and distribution must be strings`);
      // Keras 2 multi-backend lower-cased both; tf.keras / Keras 3 lower-case only the distribution
      if (era === 'k2') mode = mode.toLowerCase();
      dist = dist.toLowerCase();
      if (mode !== 'fan_in' && mode !== 'fan_out' && mode !== 'fan_avg') {
        throw configError(ctx, `${ctx.param}: VarianceScaling mode must be fan_in, fan_out or fan_avg, got '${mode}'`);
      }
      let d: VsDistribution;
      if (dist === 'uniform') d = 'uniform';
      else if (dist === 'normal' || dist === 'truncated_normal') {
        if (era === 'k2' && dist === 'truncated_normal') { exact = false; notes.push("Keras 2.0–2.3 rejects distribution 'truncated_normal'; read as tf.keras does"); }
        truncNote();
        d = 'truncated_normal';
      } else if (dist === 'untruncated_normal') {
        if (era === 'k2') { exact = false; notes.push("Keras 2.0–2.3 rejects distribution 'untruncated_normal'; read as tf.keras does"); }
        d = 'untruncated_normal';
      } else throw configError(ctx, `${ctx.param}: VarianceScaling distribution must be uniform, normal, truncated_normal or untruncated_normal, got '${dist}'`);
      init = vsParams(scale, mode, d);
      if (d === 'truncated_normal' && era === 'k2' && !k2Corrected) notes.push('Keras 2.0–2.1: truncated normal without the 0.88 std correction (std ×0.88)');
      break;
    }
    case 'GlorotUniform': init = vsParams(1, 'fan_avg', 'uniform'); break;
    case 'GlorotNormal': init = vsParams(1, 'fan_avg', normalDist()); break;
    case 'HeUniform': init = vsParams(2, 'fan_in', 'uniform'); break;
    case 'HeNormal': init = vsParams(2, 'fan_in', normalDist()); break;
    case 'LecunUniform': init = vsParams(1, 'fan_in', 'uniform'); break;
    case 'LecunNormal': init = vsParams(1, 'fan_in', normalDist()); break;
    case 'Orthogonal':
      if (era === 'k1') init = new OrthogonalInit(num(cfg, 'scale', 1.1, ctx), seed, 'first');
      else init = new OrthogonalInit(num(cfg, 'gain', 1, ctx), seed, 'last');
      break;
    case 'Identity': {
      const gain = era === 'k1' ? num(cfg, 'scale', 1, ctx) : num(cfg, 'gain', 1, ctx);
      const rule = era === 'k1' || (era === 'k2' && !atLeast(v, 2, 2, 3)) ? 'square'
        : era === 'k2' && !atLeast(v, 2, 2, 5) ? 'tiled' : 'padded';
      init = new IdentityInit(gain, rule);
      break;
    }
    case 'STFT': {
      const side = cfg.side ?? 'real';
      const window = cfg.window === undefined ? 'hann' : cfg.window;
      const scaling = cfg.scaling === undefined ? 'density' : cfg.scaling;
      if (side !== 'real' && side !== 'imag') throw configError(ctx, `${ctx.param}: STFT side must be 'real' or 'imag'`);
      if (window !== null && typeof window !== 'string' && !(Array.isArray(window) && window.every((x) => typeof x === 'number'))) throw configError(ctx, `${ctx.param}: unreadable STFT window`);
      if (scaling !== null && scaling !== 'density' && scaling !== 'spectrum') throw configError(ctx, `${ctx.param}: STFT scaling must be density, spectrum or null`);
      init = new StftInit(side, window as string | number[] | null, scaling as 'density' | 'spectrum' | null, cfg.periodic === true);
      break;
    }
    default:
      throw new Error(`unreachable initializer ${canon}`);
  }
  if (era === 'k2' && canon === 'Orthogonal' && seed !== null && !atLeast(v, 2, 2, 5)) {
    notes.push('Keras < 2.2.5 ignored the Orthogonal seed (global NumPy state)');
  }
  return { init, exact, notes };
}

function joinNotes(...n: (string | undefined)[]): string {
  return n.filter(Boolean).join('; ');
}
