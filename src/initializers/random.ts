/**
 * Seeded random source for weight initialisation: pure TypeScript, identical results in Node and
 * in browsers (no Node APIs). Same seed → same numbers, everywhere.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 32-bit state words so that every step is plain
 * `Math.imul` / shift arithmetic (exact in JS, fast in V8). Seeded through splitmix32 so that
 * nearby seeds give unrelated streams.
 *
 * Float32 fills (what weights use) go through the 8-lane vector engine in simd.ts (WebAssembly SIMD
 * or its bit-identical scalar twin), whose xoshiro128+ lanes are seeded from this stream: uniform
 * from the top 24 bits, normals and ±2σ truncated normals by inverse CDF.
 *
 * Float64 fills and scalar draws: the Marsaglia–Tsang ziggurat (128 layers). The layer index comes from the low 7 bits and
 * the value from the upper 25 bits of the same 32-bit draw, so index and value never share bits
 * (the flaw Doornik 2005 found in the original). Truncated normals re-draw values beyond ±2σ,
 * which is how TF / JAX / NumPy backends of Keras define `truncated_normal`.
 *
 * Keras' own bitstreams (TF Philox, JAX threefry, torch MT) cannot be reproduced from JS; a Keras
 * `seed` is used as a seed for this generator: same law, same determinism, different numbers.
 */

import { createKernels, type Kernels } from './simd.ts';

/** A seeded source of uniform and normal variates. */
export interface RandomSource {
  /** The seed this source started from (a random one when none was given). */
  readonly seed: number;
  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** Fill `out` with U[lo, hi). Float32 arrays use the vector engine (simd.ts), Float64 ones the scalar stream. */
  fillUniform(out: Float32Array | Float64Array, lo: number, hi: number): void;
  /** Fill `out` with N(mean, std). */
  fillNormal(out: Float32Array | Float64Array, mean: number, std: number): void;
  /** Fill `out` with N(mean, std) restricted to [mean − 2·std, mean + 2·std] by re-drawing. */
  fillTruncatedNormal(out: Float32Array | Float64Array, mean: number, std: number): void;
  /** An independent generator derived from this one (advances this one). */
  fork(): RandomSource;
}

// ---- ziggurat tables (Marsaglia & Tsang 2000, 128 layers, values scaled to 25-bit signed ints) ----
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
const M = 2 ** 24; // |value| < 2^24 from the 25-bit signed part
const KN = new Int32Array(128);
const WN = new Float64Array(128);
const FN = new Float64Array(128);
(() => {
  let dn = ZIG_R;
  let tn = dn;
  const q = ZIG_V / Math.exp(-0.5 * dn * dn);
  KN[0] = Math.floor((dn / q) * M);
  KN[1] = 0;
  WN[0] = q / M;
  WN[127] = dn / M;
  FN[0] = 1;
  FN[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIG_V / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = Math.floor((dn / tn) * M);
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / M;
  }
})();

const TWO_POW_32_INV = 1 / 4294967296;

let forceScalarKernels = false;
/** Testing aid: make new sources use the scalar float32 engine (identical numbers, no WebAssembly). */
export function setForceScalarKernels(on: boolean): void { forceScalarKernels = on; }

/** Scratch list of (index, raw draw) pairs the ziggurat fast loop could not finish. */
let pending = new Int32Array(1 << 14);

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [state, z >>> 0];
}

function randomSeed(): number {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint32Array): Uint32Array } }).crypto;
  if (c?.getRandomValues) return c.getRandomValues(new Uint32Array(1))[0];
  return Math.floor(Math.random() * 4294967296);
}

class Xoshiro128 implements RandomSource {
  readonly seed: number;
  /** Vector engine for float32 fills, seeded from this stream on first use. */
  private kern: Kernels | null = null;
  // state kept in plain fields; the fill loops copy them to locals for speed
  private s0: number; private s1: number; private s2: number; private s3: number;

  constructor(seed: number, key: number = seed) {
    this.seed = seed;
    let st = key | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) { const [ns, z] = splitmix32(st); st = ns; words.push(z | 0); }
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1; // all-zero state is a fixed point
    [this.s0, this.s1, this.s2, this.s3] = words;
  }

  nextUint32(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0; this.s3 ^= this.s1; this.s1 ^= this.s2; this.s0 ^= this.s3;
    this.s2 ^= t; this.s3 = rotl(this.s3, 11);
    return r >>> 0;
  }

  uniform(): number {
    return this.nextUint32() * TWO_POW_32_INV;
  }

  normal(): number {
    for (;;) {
      const u = this.nextUint32() | 0;
      const iz = u & 127;
      const hz = u >> 7;
      if ((hz < 0 ? -hz : hz) < KN[iz]) return hz * WN[iz];
      const x = this.zigSlow(hz, iz);
      if (x === x) return x; // NaN = rejected, draw again
    }
  }

  /** Ziggurat slow path for a draw outside the rectangle: returns a value, or NaN to reject. */
  private zigSlow(hz: number, iz: number): number {
    if (iz === 0) {
      // tail beyond R (Marsaglia 1964)
      let x: number; let y: number;
      do {
        x = -Math.log(1 - this.uniform()) / ZIG_R;
        y = -Math.log(1 - this.uniform());
      } while (y + y < x * x);
      return hz > 0 ? ZIG_R + x : -ZIG_R - x;
    }
    const x = hz * WN[iz];
    if (FN[iz] + this.uniform() * (FN[iz - 1] - FN[iz]) < Math.exp(-0.5 * x * x)) return x;
    return NaN;
  }

  private kernels(): Kernels {
    if (!this.kern) {
      const words = new Int32Array(32);
      for (let i = 0; i < 32; i++) words[i] = this.nextUint32() | 0;
      this.kern = createKernels(forceScalarKernels);
      this.kern.setState(words);
    }
    return this.kern;
  }

  fillUniform(out: Float32Array | Float64Array, lo: number, hi: number): void {
    if (out instanceof Float32Array) { this.kernels().fill(out, 0, lo, hi - lo, hi); return; }
    const n = out.length;
    const span = (hi - lo) * TWO_POW_32_INV;
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0; i < n; i++) {
      const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = lo + r * span;
    }
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
  }

  fillNormal(out: Float32Array | Float64Array, mean: number, std: number): void {
    if (out instanceof Float32Array) { this.kernels().fill(out, 1, mean, std, 0); return; }
    this.fillZig(out, mean, std, Infinity);
  }

  fillTruncatedNormal(out: Float32Array | Float64Array, mean: number, std: number): void {
    if (out instanceof Float32Array) { this.kernels().fill(out, 2, mean, std, 0); return; }
    this.fillZig(out, mean, std, 2);
  }

  /**
   * Ziggurat fill. The loop keeps only the fast path (≈97% of draws, branch-free sign handling);
   * draws that leave the rectangles or the ±bound window are queued and finished afterwards with
   * the complete algorithm. Each slot still receives "the first accepted draw" of its own sequence,
   * so the law is exactly the ziggurat's (or, with a bound, the normal restricted by rejection).
   */
  private fillZig(out: Float32Array | Float64Array, mean: number, std: number, bound: number): void {
    const n = out.length;
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    let pend = pending;
    let np = 0;
    for (let i = 0; i < n; i++) {
      const x0 = Math.imul(s1, 5);
      const u = Math.imul((x0 << 7) | (x0 >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
      const iz = u & 127;
      const hz = u >> 7;
      const m = hz >> 31;
      const x = hz * WN[iz];
      if (((hz ^ m) - m) < KN[iz] && Math.abs(x) <= bound) {
        out[i] = mean + std * x;
      } else {
        if (np + 2 > pend.length) { const p2 = new Int32Array(pend.length * 2); p2.set(pend); pend = pending = p2; }
        pend[np++] = i; pend[np++] = u;
      }
    }
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
    for (let k = 0; k < np; k += 2) {
      const u = pend[k + 1];
      const hz = u >> 7;
      const iz = u & 127;
      // finish the interrupted draw: rectangle miss → wedge/tail test; accepted but out of bounds → reject
      let x = (hz < 0 ? -hz : hz) < KN[iz] ? NaN : this.zigSlow(hz, iz);
      while (!(Math.abs(x) <= bound)) x = this.normal();
      out[pend[k]] = mean + std * x;
    }
  }

  fork(): RandomSource {
    return new Xoshiro128(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A seeded random source. Without a seed, one is drawn from `crypto.getRandomValues` (Node and
 * browsers) and recorded in `.seed` so that the run can be repeated.
 */
export function createRandom(seed?: number): RandomSource {
  if (seed === undefined || seed === null) return new Xoshiro128(randomSeed());
  if (!Number.isFinite(seed)) throw new RangeError(`random seed must be a finite number, got ${seed}`);
  // seeds beyond 32 bits keep their high bits (Keras seeds are often large ints)
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return new Xoshiro128(seed, (lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0);
}
