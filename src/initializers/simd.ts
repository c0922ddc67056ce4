/**
 * Vectorised float32 fills: 8 interleaved xoshiro128+ lanes (two WebAssembly SIMD vectors; its
 * authors' generator for floating point, which uses only the upper bits — its lowest four are the
 * weak ones — and we use at most the top 25), uniform by scaling the top 24 bits, normals by the
 * inverse CDF (Giles 2010 single-precision erfinv with a Cephes logf). Truncated normals need no
 * rejection at all: the top 25 bits give q uniform on (Φ(−2) − ½, Φ(2) − ½), and a rational
 * Φ⁻¹(½ + q) fitted for that range (see TN_P) gives the ±2σ-truncated law directly, within a few
 * float32 ulps.
 *
 * The module is assembled here from opcodes (no binary blob, no build step) and runs in Node and
 * browsers alike. Where WebAssembly SIMD is unavailable, `ScalarKernels` performs the very same
 * float32 operations in JS (each rounded with Math.fround), so a seed gives identical numbers
 * everywhere; it is only slower.
 *
 * Element i of a fill comes from lane i mod 8; a fill always consumes whole 8-lane steps.
 */

// Cephes logf polynomial (|rel err| ≈ 1e-7 on [√½−1, √2−1])
const LOG_P = [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1];
// Giles erfinv, central branch w < 5 (w − 2.5), and tail branch (√w − 3)
const ERFINV_C = [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941];
const ERFINV_T = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682];

// Φ⁻¹(½ + q) = q·P(v)/Q(v), v = ¼ − q², for |q| ≤ H = Φ(2) − ½ (the ±2σ range). In v the singularity
// of Φ⁻¹ at q = ½ sits at v = 0, just outside [¼ − H², ¼], and P and Q have positive coefficients, so
// float32 evaluation has no cancellation. Fitted (minimax relative error) and checked on every kernel
// input by scripts/fit-truncated-normal.py: approximation error ≤ 0.31 ulp, the float32 kernel ≤ 6.3
// ulp (mean 0.83); as a probability, less than 2 steps of the input grid (2^−24 of the truncated
// mass each). |z| < 2 for every input, so |a + b·z − a| ≤ 2|b| needs no clamp.
const TN_P = [0.00016091509314719588, 0.03525303676724434, 1.150109052658081, 7.633953094482422, 8.15817928314209]; // Σ TN_P[i]·v^i
const TN_Q = [2.5378609279869124e-05, 0.007393468637019396, 0.31821146607398987, 3.012249708175659, 5.824368000030518]; // v^5 + Σ TN_Q[i]·v^i
const HALF_TRUNC = 0.4772498680518208; // Φ(2) − ½

export type FillKind = 0 | 1 | 2; // uniform | normal | truncated normal (±2σ)

/** A fill engine: 8 lanes × 4 state words, advanced by whole steps. */
export interface Kernels {
  readonly simd: boolean;
  /** Seed the 32 state words (lane-major: word w of lane l at index w*8 + l). */
  setState(words: Int32Array): void;
  getState(): Int32Array;
  /** out[i] = a + b·g_i for g uniform on [0,1) (then clamped below `top`), standard normal, or truncated normal. */
  fill(out: Float32Array, kind: FillKind, a: number, b: number, top: number): void;
}

// ---------------------------------------------------------------- scalar reference (same float32 ops)
const f = Math.fround;

export class ScalarKernels implements Kernels {
  readonly simd = false;
  private s = new Int32Array(32);
  setState(words: Int32Array): void { this.s.set(words); }
  getState(): Int32Array { return this.s.slice(); }
  fill(out: Float32Array, kind: FillKind, a: number, b: number, top: number): void {
    const s = this.s;
    const n = out.length;
    const fa = f(a), fb = f(b), ftop = f(top);
    const lane = new Int32Array(8);
    for (let base = 0; base < n; base += 8) {
      for (let l = 0; l < 8; l++) {
        const s0 = s[l], s1 = s[8 + l], s2 = s[16 + l], s3 = s[24 + l];
        lane[l] = (s0 + s3) | 0; // xoshiro128+
        const t = s1 << 9;
        const n2 = s2 ^ s0, n3 = s3 ^ s1, n1 = s1 ^ n2, n0 = s0 ^ n3;
        s[l] = n0; s[8 + l] = n1; s[16 + l] = n2 ^ t; s[24 + l] = (n3 << 11) | (n3 >>> 21);
      }
      for (let l = 0; l < 8 && base + l < n; l++) out[base + l] = scalarValue(lane[l], kind, fa, fb, ftop);
    }
  }
}

function scalarValue(r: number, kind: FillKind, a: number, b: number, top: number): number {
  const u = (r >>> 8); // exact in float32 (< 2^24)
  if (kind === 0) {
    const v = f(a + f(u * f(b * 2 ** -24)));
    return v < top ? v : prevBelow(top);
  }
  if (kind === 2) return f(a + f(b * truncatedZ(r)));
  // v = (2u + 1 − 2^24)·2^−24·k ∈ (−k, k)
  const k = f(2 ** -24);
  const v = f(f(f(u * 2) + (1 - 2 ** 24)) * k);
  const z = erfinvSqrt2(v, true);
  return f(a + f(b * z));
}

/**
 * ±2σ-truncated standard normal from a raw 32-bit draw r: its top 25 bits, as the odd integer
 * k = (r >> 7) | 1 ∈ (−2^24, 2^24) (exact in float32), give q = k·H·2^−24, uniform on (−H, H) in
 * steps of H·2^−23; z = Φ⁻¹(½ + q) by the rational above. Exported for the accuracy test.
 */
export function truncatedZ(r: number): number {
  const q = f(((r >> 7) | 1) * f(HALF_TRUNC * 2 ** -24));
  const v = f(0.25 - f(q * q));
  let p = f(TN_P[TN_P.length - 1]);
  for (let i = TN_P.length - 2; i >= 0; i--) p = f(f(p * v) + f(TN_P[i]));
  let d = f(v + f(TN_Q[TN_Q.length - 1]));
  for (let i = TN_Q.length - 2; i >= 0; i--) d = f(f(d * v) + f(TN_Q[i]));
  return f(f(p * q) / d);
}

/**
 * Degree-8 polynomial c[0]x⁸ + … + c[8] by Estrin's scheme (half the dependency depth of Horner,
 * which is what bounds the SIMD kernel); float32 rounding after every operation, as in WebAssembly.
 */
function estrin(c: number[], x: number): number {
  const x2 = f(x * x), x4 = f(x2 * x2), x8 = f(x4 * x4);
  const q0 = f(f(f(c[7]) * x) + f(c[8]));
  const q1 = f(f(f(c[5]) * x) + f(c[6]));
  const q2 = f(f(f(c[3]) * x) + f(c[4]));
  const q3 = f(f(f(c[1]) * x) + f(c[2]));
  const r0 = f(q0 + f(q1 * x2));
  const r1 = f(q2 + f(q3 * x2));
  const s = f(r0 + f(r1 * x4));
  return f(s + f(f(c[0]) * x8));
}

/** √2·erfinv(x) with the float32 operation sequence of the SIMD kernel. */
function erfinvSqrt2(x: number, tail: boolean): number {
  const w = f(-logf(f(f(1 - x) * f(1 + x))));
  let p: number;
  p = estrin(ERFINV_C, f(w - 2.5));
  if (tail) {
    const q = estrin(ERFINV_T, f(f(Math.sqrt(w)) - 3));
    if (!(w < 5)) p = q;
  }
  return f(f(p * x) * f(Math.SQRT2));
}

const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);
function logf(x: number): number {
  F32[0] = x;
  const bits = I32[0];
  let e = (bits >>> 23) - 126;
  I32[0] = (bits & 0x7fffff) | 0x3f000000;
  let m = F32[0];
  let mask = 0;
  if (m < f(Math.SQRT1_2)) mask = -1;
  e += mask;
  m = f(f(m - 1) + (mask ? m : 0));
  const z = f(m * m);
  const p = estrin(LOG_P, m);
  let y = f(f(p * m) * z);
  const ef = e;
  y = f(y + f(ef * f(-2.12194440e-4)));
  y = f(y - f(0.5 * z));
  return f(f(m + y) + f(ef * f(0.693359375)));
}

function prevBelow(top: number): number {
  F32[0] = top;
  if (top > 0) I32[0] -= 1; else if (top < 0) I32[0] += 1; else return -1.401298464324817e-45;
  return F32[0];
}

// ---------------------------------------------------------------- WebAssembly SIMD assembler
export const leb = (n: number): number[] => { const o: number[] = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
export const sleb = (n: number): number[] => {
  const o: number[] = [];
  for (;;) { const b = n & 0x7f; n >>= 7; if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) { o.push(b); return o; } o.push(b | 0x80); }
};
const f32bytes = (x: number): number[] => { const b = new Uint8Array(new Float32Array([x]).buffer); return [...b]; };
const simd = (op: number): number[] => [0xfd, ...leb(op)];

const OP = {
  load: 0x00, store: 0x0b, i32splat: 0x11, f32splat: 0x13, and: 0x4e, or: 0x50, xor: 0x51, bitselect: 0x52,
  f32lt: 0x43, i32shl: 0xab, i32shrs: 0xac, i32shru: 0xad, i32add: 0xae, i32mul: 0xb5,
  f32sqrt: 0xe3, f32add: 0xe4, f32sub: 0xe5, f32mul: 0xe6, f32div: 0xe7, f32pmin: 0xea, f32neg: 0xe1, cvt: 0xfa,
};

export class Body {
  code: number[] = [];
  get(i: number) { this.code.push(0x20, ...leb(i)); return this; }
  set(i: number) { this.code.push(0x21, ...leb(i)); return this; }
  tee(i: number) { this.code.push(0x22, ...leb(i)); return this; }
  i32(n: number) { this.code.push(0x41, ...sleb(n)); return this; }
  f32(x: number) { this.code.push(0x43, ...f32bytes(x)); return this; }
  op(o: number) { this.code.push(...simd(o)); return this; }
  raw(...b: number[]) { this.code.push(...b); return this; }
  /**
   * Splatted constants (f32 / i32 in all four lanes). A v128.const costs V8 three instructions (two on
   * the shuffle port) at every use inside a loop, and so does a local set from one, which V8
   * rematerialises. Between `constantsFrom(base, firstLocal)` and `constantsDone()` each distinct
   * constant instead goes once into a data segment at base…, is loaded into a local of its own
   * before the code emitted in between, and each use reads that local: the register allocator keeps
   * it in a register or reads its spill slot as a memory operand.
   */
  fs(x: number) { return this.splat(f32bytes(x)); }
  is(n: number) { return this.splat([...new Uint8Array(new Int32Array([n]).buffer)]); }
  private consts: { base: number; at: number; local: Map<string, number>; next: number; bytes: number[] } | null = null;
  private constData: { base: number; bytes: number[] } | null = null;
  constantsFrom(base: number, firstLocal: number) {
    this.consts = { base, at: this.code.length, local: new Map(), next: firstLocal, bytes: [] };
    return this;
  }
  /** Emit the loads of the constants used since `constantsFrom`; returns how many locals they took. */
  constantsDone(): number {
    const c = this.consts!;
    this.consts = null;
    this.constData = { base: c.base, bytes: c.bytes };
    const loads: number[] = [];
    let offset = c.base;
    for (const l of c.local.values()) { loads.push(0x41, 0, ...simd(0x09), 2, ...leb(offset), 0x21, ...leb(l)); offset += 4; } // v128.load32_splat
    this.code.splice(c.at, 0, ...loads);
    return c.local.size;
  }
  private splat(b: number[]) {
    if (!this.consts) { this.code.push(...simd(0x0c), ...b, ...b, ...b, ...b); return this; }
    const key = b.join(',');
    let l = this.consts.local.get(key);
    if (l === undefined) { l = this.consts.next++; this.consts.local.set(key, l); this.consts.bytes.push(...b); }
    return this.get(l);
  }
  /** The data section holding the constants (empty when none were used). */
  dataSection(): number[] {
    if (!this.constData?.bytes.length) return [];
    const { base, bytes } = this.constData;
    const body = [1, 0, 0x41, ...sleb(base), 0x0b, ...leb(bytes.length), ...bytes]; // one active segment in memory 0
    return [11, ...leb(body.length), ...body];
  }
  mem(o: number, offset: number) { this.code.push(...simd(o), 4, ...leb(offset)); return this; }
}

/** Emit Estrin's scheme for c on local x, using locals t2, t4, t8 as scratch; leaves the value on the stack. */
function emitEstrin(B: Body, c: number[], x: number, t2: number, t4: number, t8: number): void {
  B.get(x).get(x).op(OP.f32mul).tee(t2).get(t2).op(OP.f32mul).tee(t4).get(t4).op(OP.f32mul).set(t8);
  B.fs(c[7]).get(x).op(OP.f32mul).fs(c[8]).op(OP.f32add);
  B.fs(c[5]).get(x).op(OP.f32mul).fs(c[6]).op(OP.f32add).get(t2).op(OP.f32mul).op(OP.f32add);
  B.fs(c[3]).get(x).op(OP.f32mul).fs(c[4]).op(OP.f32add);
  B.fs(c[1]).get(x).op(OP.f32mul).fs(c[2]).op(OP.f32add).get(t2).op(OP.f32mul).op(OP.f32add);
  B.get(t4).op(OP.f32mul).op(OP.f32add);
  B.fs(c[0]).get(t8).op(OP.f32mul).op(OP.f32add);
}

const CHUNK_STEPS = 2048; // 16384 floats = 64 KiB per call, stays in cache
/** Memory: state words at bytes 0…127, the chunk at 128…, then the loop's constants (2 pages in all). */
const CONST_BASE = 128 + CHUNK_STEPS * 32;

/**
 * fill(ptr, nsteps, a, b, top, kind): state words at bytes 0..127; params 0..5; locals: 6..13 = two generator states (s0..s3 ×2),
 * 14..15 raw outputs, 16 tmp, 17 end, 18..20 = splats of a, b, top, 21..30 scratch, 31… constants.
 * The module's bytes. Browsers compile modules synchronously only below 4 KiB: keep it under.
 */
export function buildModule(): Uint8Array<ArrayBuffer> {
  const B = new Body();
  const P = { ptr: 0, n: 1, a: 2, b: 3, top: 4, kind: 5 };
  const S = [[6, 7, 8, 9], [10, 11, 12, 13]];
  const R = [14, 15], T = 16, END = 17, VA = 18, VB = 19, VT = 20, X = 21, W = 22, PQ = 23, M = 24, E = 25, Z = 26, Y = 27, X2 = 28, X4 = 29, X8 = 30;
  B.get(P.ptr).get(P.n).i32(5).raw(0x74).raw(0x6a).set(END); // end = ptr + n*32
  for (let g = 0; g < 2; g++) for (let w = 0; w < 4; w++) B.i32(0).mem(OP.load, 32 * w + 16 * g).set(S[g][w]); // state at 0..127
  B.get(P.a).op(OP.f32splat).set(VA).get(P.b).op(OP.f32splat).set(VB).get(P.top).op(OP.f32splat).set(VT);
  B.constantsFrom(CONST_BASE, 31);
  // One loop per kind (not a branch inside one loop): V8 then keeps the generator state in registers.
  const loop = (body: () => void) => {
    B.raw(0x03, 0x40); // loop
    for (let g = 0; g < 2; g++) {
      const [s0, s1, s2, s3] = S[g];
      B.get(s0).get(s3).op(OP.i32add).set(R[g]); // xoshiro128+ output
      B.get(s1).i32(9).op(OP.i32shl).set(T);
      B.get(s2).get(s0).op(OP.xor).set(s2);
      B.get(s3).get(s1).op(OP.xor).set(s3);
      B.get(s1).get(s2).op(OP.xor).set(s1);
      B.get(s0).get(s3).op(OP.xor).set(s0);
      B.get(s2).get(T).op(OP.xor).set(s2);
      B.get(s3).i32(11).op(OP.i32shl).get(s3).i32(21).op(OP.i32shru).op(OP.or).set(s3);
    }
    body();
    B.get(P.ptr).i32(32).raw(0x6a).tee(P.ptr).get(END).raw(0x49).raw(0x0d, 0x00); // ptr += 32; br_if ptr < end
    B.raw(0x0b); // end loop
  };
  B.get(P.kind).raw(0x45).raw(0x04, 0x40); // if kind == 0: uniform
  loop(() => {
    for (let g = 0; g < 2; g++) {
      B.get(P.ptr);
      B.get(R[g]).i32(8).op(OP.i32shru).op(OP.cvt).get(VB).fs(2 ** -24).op(OP.f32mul).op(OP.f32mul).get(VA).op(OP.f32add).get(VT).op(OP.f32pmin); // pmin: one instruction; min's NaN/−0 rules cost seven
      B.mem(OP.store, 16 * g);
    }
  });
  B.raw(0x05); // else
  B.get(P.kind).i32(2).raw(0x46).raw(0x04, 0x40); // if kind == 2: truncated, z = q·P(v)/Q(v) (see truncatedZ)
  loop(() => {
    for (let g = 0; g < 2; g++) {
      B.get(R[g]).i32(7).op(OP.i32shrs).is(1).op(OP.or).op(OP.cvt).fs(HALF_TRUNC * 2 ** -24).op(OP.f32mul).set(X); // q
      B.fs(0.25).get(X).get(X).op(OP.f32mul).op(OP.f32sub).set(Y); // v = ¼ − q²
      B.fs(TN_P[TN_P.length - 1]);
      for (let i = TN_P.length - 2; i >= 0; i--) B.get(Y).op(OP.f32mul).fs(TN_P[i]).op(OP.f32add);
      B.get(X).op(OP.f32mul);
      B.get(Y).fs(TN_Q[TN_Q.length - 1]).op(OP.f32add);
      for (let i = TN_Q.length - 2; i >= 0; i--) B.get(Y).op(OP.f32mul).fs(TN_Q[i]).op(OP.f32add);
      B.op(OP.f32div).set(W);
      B.get(P.ptr).get(VB).get(W).op(OP.f32mul).get(VA).op(OP.f32add);
      B.mem(OP.store, 16 * g);
    }
  });
  B.raw(0x05); // else: kind 1, untruncated normal
  loop(() => {
    for (let g = 0; g < 2; g++) {
      // X = (2u + 1 − 2^24)·2^−24 ∈ (−1, 1)
      B.get(R[g]).i32(8).op(OP.i32shru).op(OP.cvt).fs(2).op(OP.f32mul).fs(1 - 2 ** 24).op(OP.f32add);
      B.fs(2 ** -24);
      B.op(OP.f32mul).set(X);
      // logf((1 − X)(1 + X))
      B.fs(1).get(X).op(OP.f32sub).fs(1).get(X).op(OP.f32add).op(OP.f32mul).tee(Y);
      B.i32(23).op(OP.i32shru).is(126).raw(...simd(0xb1)).set(E); // e = (bits >> 23) − 126   (i32x4.sub = 0xb1)
      B.get(Y).is(0x7fffff).op(OP.and).is(0x3f000000).op(OP.or).set(M);
      B.get(M).fs(Math.fround(Math.SQRT1_2)).op(OP.f32lt).tee(T); // mask
      B.get(E).op(OP.i32add).set(E);
      B.get(M).fs(1).op(OP.f32sub).get(M).get(T).op(OP.and).op(OP.f32add).set(M);
      B.get(M).get(M).op(OP.f32mul).set(Z);
      emitEstrin(B, LOG_P, M, X2, X4, X8);
      B.get(M).op(OP.f32mul).get(Z).op(OP.f32mul).set(Y);
      B.get(E).op(OP.cvt).set(E); // e as float from here on
      B.get(Y).get(E).fs(-2.1219444e-4).op(OP.f32mul).op(OP.f32add).get(Z).fs(0.5).op(OP.f32mul).op(OP.f32sub).set(Y);
      B.get(M).get(Y).op(OP.f32add).get(E).fs(0.693359375).op(OP.f32mul).op(OP.f32add).op(OP.f32neg).set(W); // w = −log(...)
      // central branch
      B.get(W).fs(2.5).op(OP.f32sub).set(PQ);
      emitEstrin(B, ERFINV_C, PQ, X2, X4, X8);
      B.set(PQ);
      // tail branch, selected where w ≥ 5
      B.get(W).op(OP.f32sqrt).fs(3).op(OP.f32sub).set(T);
      emitEstrin(B, ERFINV_T, T, X2, X4, X8);
      B.set(T).get(PQ).get(T).get(W).fs(5).op(OP.f32lt).op(OP.bitselect).set(PQ); // w < 5 ? central : tail
      B.get(P.ptr);
      B.get(PQ).get(X).op(OP.f32mul).fs(Math.SQRT2).op(OP.f32mul).get(VB).op(OP.f32mul).get(VA).op(OP.f32add);
      B.mem(OP.store, 16 * g);
    }
  });
  B.raw(0x0b); // end if kind == 2
  B.raw(0x0b); // end if kind == 0
  const nConsts = B.constantsDone();
  for (let g = 0; g < 2; g++) for (let w = 0; w < 4; w++) B.i32(0).get(S[g][w]).mem(OP.store, 32 * w + 16 * g);
  B.raw(0x0b); // end function

  // locals: 6..16 v128 (11), 17 i32, 18..30 v128 (13), then one v128 per constant
  const localDecl = [0x03, 11, 0x7b, 1, 0x7f, ...leb(13 + nConsts), 0x7b];
  const body = [...localDecl, ...B.code];
  const func = [...leb(body.length), ...body];
  const section = (id: number, content: number[]) => [id, ...leb(content.length), ...content];
  const str = (s: string) => [...leb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
  const type = section(1, [1, 0x60, 6, 0x7f, 0x7f, 0x7d, 0x7d, 0x7d, 0x7f, 0]);
  const funcs = section(3, [1, 0]);
  const memory = section(5, [1, 0x00, ...leb(Math.ceil((CONST_BASE + 1024) / 65536))]); // state, one chunk, constants
  const exports = section(7, [2, ...str('fill'), 0x00, 0, ...str('mem'), 0x02, 0]);
  const code = section(10, [1, ...func]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0, 0, 0, ...type, ...funcs, ...memory, ...exports, ...code, ...B.dataSection()]);
}


class SimdKernels implements Kernels {
  readonly simd = true;
  private readonly fn: (ptr: number, n: number, a: number, b: number, top: number, kind: number) => void;
  private readonly mem: WebAssembly.Memory;
  constructor(instance: WebAssembly.Instance) {
    this.fn = instance.exports.fill as SimdKernels['fn'];
    this.mem = instance.exports.mem as WebAssembly.Memory;
  }
  setState(words: Int32Array): void {
    // memory layout: word w of lanes 0..7 at bytes 32w … 32w+31 (generator g = lanes 4g..4g+3)
    new Int32Array(this.mem.buffer, 0, 32).set(words);
  }
  getState(): Int32Array {
    return new Int32Array(this.mem.buffer, 0, 32).slice();
  }
  fill(out: Float32Array, kind: FillKind, a: number, b: number, top: number): void {
    const buf = new Float32Array(this.mem.buffer, 128, CHUNK_STEPS * 8);
    const topF = kind === 0 ? prevBelowOrSame(top) : Infinity;
    for (let i = 0; i < out.length; i += CHUNK_STEPS * 8) {
      const len = Math.min(CHUNK_STEPS * 8, out.length - i);
      const steps = Math.ceil(len / 8);
      this.fn(128, steps, a, b, topF, kind);
      out.set(len === buf.length ? buf : buf.subarray(0, len), i);
    }
  }
}

/** The largest float32 strictly below `top` (uniform draws are half-open). */
function prevBelowOrSame(top: number): number {
  const t = f(top);
  return prevBelow(t);
}

let cachedModule: WebAssembly.Module | null | undefined;

/** A new fill engine: SIMD when the runtime supports it, else the identical scalar one. */
export function createKernels(forceScalar = false): Kernels {
  if (!forceScalar) {
    if (cachedModule === undefined) {
      cachedModule = null;
      try {
        const W = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
        const bytes = buildModule();
        if (W && W.validate(bytes)) cachedModule = new W.Module(bytes);
      } catch { cachedModule = null; }
    }
    if (cachedModule) return new SimdKernels(new WebAssembly.Instance(cachedModule, {}));
  }
  return new ScalarKernels();
}
