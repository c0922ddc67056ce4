/**
 * Haar-orthogonal matrices the way tf.keras / Keras 3 `Orthogonal` makes them: draw A ~ N(0,1) of
 * shape (max(r,c), min(r,c)), Householder QR, multiply each column of Q by sign(R[j,j]) so the result
 * is Haar-distributed, transpose when r < c.
 *
 * The QR is blocked (LAPACK dgeqrf/dorgqr style, float64, column-major): panels of NB columns are
 * factored in JS, and the block of NB reflectors is then applied column by column to the rest of the
 * matrix while each column sits in L1 — that application is ~all of the work and runs in a small
 * WebAssembly SIMD (f64x2) kernel assembled here, or in a JS twin that does the same float64
 * operations in the same order (identical results without SIMD).
 *
 * Written by hand: no npm linear-algebra package is pure TS, browser-safe and fast enough; tfjs'
 * `linalg.qr` is an op-by-op loop that takes seconds at 64×256.
 */
import type { RandomSource } from './random.ts';
import { Body, leb } from './simd.ts';

const NB = 16;

/**
 * Returns a (rows × cols) row-major Float64Array with orthonormal columns (rows ≥ cols) or
 * orthonormal rows (rows < cols).
 */
export function randomOrthogonal(rows: number, cols: number, rng: RandomSource): Float64Array {
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  // column-major m×n; the vector engine's float32 normals (rotation invariance is all Haar needs)
  const a = new Float32Array(m * n);
  rng.fillNormal(a, 0, 1);
  const q = householderQ(a, m, n);
  // q is column-major m×n: element (i, j) at q[i + j*m]
  const out = new Float64Array(rows * cols);
  if (rows >= cols) {
    for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) out[i * cols + j] = q[i + j * m];
  } else {
    out.set(q); // Qᵀ (n×m) row-major is exactly q column-major
  }
  return out;
}

/** Applies blocks of reflectors; offsets are in doubles into `mem`. */
interface BlockEngine {
  mem: Float64Array;
  /** Make `mem` hold at least `doubles` values (may replace `mem`). */
  reserve(doubles: number): void;
  /**
   * For each of `ncols` columns c (starting at `c0`, stride `ld`): for i over the kb reflectors
   * (reverse order if `reverse`): w = τ_i·(v_i·c) over rows lo…ld−1; c −= w·v_i.
   */
  applyBlock(c0: number, ncols: number, ld: number, v0: number, tau0: number, lo: number, kb: number, reverse: boolean): void;
}

class JsEngine implements BlockEngine {
  mem = new Float64Array(0);
  reserve(d: number): void { if (this.mem.length < d) this.mem = new Float64Array(d); }
  applyBlock(c0: number, ncols: number, ld: number, v0: number, tau0: number, lo: number, kb: number, reverse: boolean): void {
    const x = this.mem;
    for (let col = 0; col < ncols; col++) {
      const c = c0 + col * ld;
      for (let ii = 0; ii < kb; ii++) {
        const i = reverse ? kb - 1 - ii : ii;
        const v = v0 + i * ld;
        // same association as the f64x2 kernel: lanes (r≡0, r≡1) and (r≡2, r≡3), then (l0) + (l1)
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let r = lo; r < ld; r += 4) {
          s0 += x[v + r] * x[c + r];
          s1 += x[v + r + 1] * x[c + r + 1];
          s2 += x[v + r + 2] * x[c + r + 2];
          s3 += x[v + r + 3] * x[c + r + 3];
        }
        const w = ((s0 + s2) + (s1 + s3)) * x[tau0 + i];
        for (let r = lo; r < ld; r++) x[c + r] -= w * x[v + r];
      }
    }
  }
}

let qrModule: WebAssembly.Module | null | undefined;

class WasmEngine implements BlockEngine {
  mem: Float64Array;
  private readonly memory: WebAssembly.Memory;
  private readonly fn: (...a: number[]) => void;
  constructor(instance: WebAssembly.Instance) {
    this.memory = instance.exports.mem as WebAssembly.Memory;
    this.fn = instance.exports.apply as (...a: number[]) => void;
    this.mem = new Float64Array(this.memory.buffer);
  }
  reserve(d: number): void {
    const need = d * 8 - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / 65536));
    this.mem = new Float64Array(this.memory.buffer);
  }
  applyBlock(c0: number, ncols: number, ld: number, v0: number, tau0: number, lo: number, kb: number, reverse: boolean): void {
    this.fn(c0 * 8, ncols, ld * 8, v0 * 8, tau0 * 8, lo * 8, ld * 8, kb, reverse ? 1 : 0);
  }
}

/**
 * apply(cPtr, ncols, ldBytes, vPtr, tauPtr, loBytes, endBytes, kb, reverse): byte offsets; f64x2 with
 * two accumulators per column. Columns go four at a time (each reflector column is loaded once for
 * four target columns), the rest one by one; every column sees exactly the JS twin's operations.
 */
export function buildQrModule(): Uint8Array<ArrayBuffer> {
  const B = new Body();
  const C0 = 0, NC = 1, LD = 2, V0 = 3, TAU = 4, LO = 5, END = 6, KB = 7, REV = 8;
  const COL = 9, CC = 10, II = 11, I = 12, V = 13, R = 14, VR = 15, CR = 16, CG = [17, 18, 19, 20]; // i32
  const W = 21; // f64
  const A0 = [22, 23, 24, 25], A1 = [26, 27, 28, 29], WV = [30, 31, 32, 33], TV0 = 34, TV1 = 35; // v128
  const op = (o: number) => B.raw(0xfd, ...leb(o));
  const ADD = 0xf0, SUB = 0xf1, MUL = 0xf2;
  const vload = (off: number) => B.raw(0xfd, 0x00, 4, ...leb(off));
  const vstore = (off: number) => B.raw(0xfd, 0x0b, 4, ...leb(off));
  const zero = () => B.raw(0xfd, 0x0c, ...new Array(16).fill(0));
  const group = (G: number) => {
    B.i32(0).set(II);
    B.raw(0x02, 0x40, 0x03, 0x40); // block / loop over reflectors
    B.get(II).get(KB).raw(0x4f).raw(0x0d, 1);
    B.get(KB).i32(1).raw(0x6b).get(II).raw(0x6b).get(II).get(REV).raw(0x1b).set(I); // i = rev ? kb-1-ii : ii
    B.get(V0).get(I).get(LD).raw(0x6c).raw(0x6a).set(V);
    for (let g = 0; g < G; g++) { zero(); B.set(A0[g]); zero(); B.set(A1[g]); }
    B.get(LO).set(R);
    B.raw(0x02, 0x40, 0x03, 0x40); // dot loop
    B.get(R).get(END).raw(0x4f).raw(0x0d, 1);
    B.get(V).get(R).raw(0x6a).tee(VR); vload(0); B.set(TV0).get(VR); vload(16); B.set(TV1);
    for (let g = 0; g < G; g++) {
      B.get(CG[g]).get(R).raw(0x6a).set(CR);
      B.get(A0[g]).get(TV0).get(CR); vload(0); op(MUL); op(ADD); B.set(A0[g]);
      B.get(A1[g]).get(TV1).get(CR); vload(16); op(MUL); op(ADD); B.set(A1[g]);
    }
    B.get(R).i32(32).raw(0x6a).set(R).raw(0x0c, 0);
    B.raw(0x0b, 0x0b);
    B.get(TAU).get(I).i32(3).raw(0x74).raw(0x6a).raw(0x2b, 3, 0).set(W); // τ_i
    for (let g = 0; g < G; g++) {
      // w = ((a0+a1).l0 + (a0+a1).l1) · τ_i
      B.get(A0[g]).get(A1[g]); op(ADD); B.set(A0[g]);
      B.get(A0[g]); op(0x21); B.raw(0).get(A0[g]); op(0x21); B.raw(1).raw(0xa0).get(W).raw(0xa2);
      op(0x14); B.set(WV[g]);
    }
    B.get(LO).set(R);
    B.raw(0x02, 0x40, 0x03, 0x40); // axpy loop
    B.get(R).get(END).raw(0x4f).raw(0x0d, 1);
    B.get(V).get(R).raw(0x6a).tee(VR); vload(0); B.set(TV0).get(VR); vload(16); B.set(TV1);
    for (let g = 0; g < G; g++) {
      B.get(CG[g]).get(R).raw(0x6a).set(CR);
      B.get(CR).get(CR); vload(0); B.get(WV[g]).get(TV0); op(MUL); op(SUB); vstore(0);
      B.get(CR).get(CR); vload(16); B.get(WV[g]).get(TV1); op(MUL); op(SUB); vstore(16);
    }
    B.get(R).i32(32).raw(0x6a).set(R).raw(0x0c, 0);
    B.raw(0x0b, 0x0b);
    B.get(II).i32(1).raw(0x6a).set(II).raw(0x0c, 0);
    B.raw(0x0b, 0x0b);
  };
  B.get(C0).set(CC).i32(0).set(COL);
  B.raw(0x02, 0x40, 0x03, 0x40); // four columns at a time
  B.get(COL).i32(4).raw(0x6a).get(NC).raw(0x4b).raw(0x0d, 1); // col + 4 > ncols → done
  for (let g = 0; g < 4; g++) B.get(CC).get(LD).i32(g).raw(0x6c).raw(0x6a).set(CG[g]);
  group(4);
  B.get(CC).get(LD).i32(4).raw(0x6c).raw(0x6a).set(CC).get(COL).i32(4).raw(0x6a).set(COL).raw(0x0c, 0);
  B.raw(0x0b, 0x0b);
  B.raw(0x02, 0x40, 0x03, 0x40); // the rest one by one
  B.get(COL).get(NC).raw(0x4f).raw(0x0d, 1);
  B.get(CC).set(CG[0]);
  group(1);
  B.get(CC).get(LD).raw(0x6a).set(CC).get(COL).i32(1).raw(0x6a).set(COL).raw(0x0c, 0);
  B.raw(0x0b, 0x0b);
  B.raw(0x0b); // end function
  const body = [0x03, 12, 0x7f, 1, 0x7c, 14, 0x7b, ...B.code];
  const func = [...leb(body.length), ...body];
  const section = (id: number, content: number[]) => [id, ...leb(content.length), ...content];
  const str = (t: string) => [...leb(t.length), ...[...t].map((ch) => ch.charCodeAt(0))];
  const type = section(1, [1, 0x60, 9, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]);
  const funcs = section(3, [1, 0]);
  const memory = section(5, [1, 0x00, 1]);
  const exports = section(7, [2, ...str('apply'), 0x00, 0, ...str('mem'), 0x02, 0]);
  const code = section(10, [1, ...func]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0, 0, 0, ...type, ...funcs, ...memory, ...exports, ...code]);
}

let forceJs = false;
/** Testing aid: use the JS block engine (identical results). */
export function setForceJsQr(on: boolean): void { forceJs = on; }

function engine(): BlockEngine {
  if (!forceJs) {
    if (qrModule === undefined) {
      qrModule = null;
      try {
        const W = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
        const bytes = buildQrModule();
        if (W && W.validate(bytes)) qrModule = new W.Module(bytes);
      } catch { qrModule = null; }
    }
    if (qrModule) return new WasmEngine(new WebAssembly.Instance(qrModule, {}));
  }
  return new JsEngine();
}

/**
 * Reduced QR of the column-major m×n matrix `a` (m ≥ n). Returns the column-major m×n Q with the
 * sign correction applied, i.e. the Q of the unique QR whose R has a positive diagonal.
 */
export function householderQ(a: Float64Array | Float32Array, m: number, n: number): Float64Array {
  const ld = Math.ceil(m / 4) * 4; // padded rows are zero and stay zero
  const eng = engine();
  const A = 0, V = ld * n, TAU = 2 * ld * n;
  if ((TAU + n) * 8 > 2 ** 31) {
    throw new RangeError(`Orthogonal initializer: a ${m}×${n} factorization needs ${(((TAU + n) * 8) / 2 ** 30).toFixed(1)} GiB of working memory`);
  }
  eng.reserve(TAU + n);
  let x = eng.mem;
  x.fill(0, 0, TAU + n);
  for (let j = 0; j < n; j++) x.set(a.subarray(j * m, (j + 1) * m), A + j * ld);
  const sign = new Float64Array(n);
  for (let k0 = 0; k0 < n; k0 += NB) {
    const kb = Math.min(NB, n - k0);
    for (let k = k0; k < k0 + kb; k++) {
      const col = A + k * ld;
      const alpha = x[col + k];
      let ss = 0;
      for (let i = col + k + 1; i < col + m; i++) ss += x[i] * x[i];
      const vcol = V + k * ld;
      x[vcol + k] = 1;
      if (ss === 0 && alpha >= 0) { x[TAU + k] = 0; sign[k] = 1; continue; } // already triangular here
      const norm = Math.sqrt(alpha * alpha + ss);
      const beta = alpha >= 0 ? -norm : norm;
      const tau = (beta - alpha) / beta;
      x[TAU + k] = tau;
      sign[k] = beta >= 0 ? 1 : -1; // R[k,k] = beta
      const scale = 1 / (alpha - beta);
      for (let i = k + 1; i < m; i++) x[vcol + i] = x[col + i] * scale;
      // apply H_k to the rest of the panel (a block of one reflector)
      if (k + 1 < k0 + kb) {
        eng.applyBlock(A + (k + 1) * ld, k0 + kb - k - 1, ld, vcol, TAU + k, k - (k % 4), 1, false);
        x = eng.mem;
      }
    }
    if (k0 + kb < n) {
      eng.applyBlock(A + (k0 + kb) * ld, n - k0 - kb, ld, V + k0 * ld, TAU + k0, k0 - (k0 % 4), kb, false);
      x = eng.mem;
    }
  }
  // Q = H_0 … H_{n-1} [I; 0], block by block from the last one
  x.fill(0, A, A + ld * n);
  for (let j = 0; j < n; j++) x[A + j * ld + j] = 1;
  const lastBlock = Math.floor((n - 1) / NB) * NB;
  for (let k0 = lastBlock; k0 >= 0; k0 -= NB) {
    const kb = Math.min(NB, n - k0);
    eng.applyBlock(A + k0 * ld, n - k0, ld, V + k0 * ld, TAU + k0, k0 - (k0 % 4), kb, true);
    x = eng.mem;
  }
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) {
    const s = sign[j];
    for (let i = 0; i < m; i++) q[j * m + i] = s * x[A + j * ld + i];
  }
  return q;
}
