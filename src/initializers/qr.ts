/**
 * Haar-orthogonal matrices the way tf.keras / Keras 3 `Orthogonal` makes them: draw A ~ N(0,1) of
 * shape (max(r,c), min(r,c)), Householder QR (LAPACK dgeqr2/dorg2r, column-major, float64), multiply
 * each column of Q by sign(R[j,j]) so the result is Haar-distributed, transpose when r < c.
 *
 * Written by hand: no npm linear-algebra package is pure TS, browser-safe and fast enough; tfjs'
 * `linalg.qr` is an op-by-op Gram–Schmidt-style loop that takes seconds at 512×2048.
 */
import type { RandomSource } from './random.ts';

/**
 * Returns a (rows × cols) row-major Float64Array with orthonormal columns (rows ≥ cols) or
 * orthonormal rows (rows < cols).
 */
export function randomOrthogonal(rows: number, cols: number, rng: RandomSource): Float64Array {
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const a = new Float64Array(m * n); // column-major m×n
  rng.fillNormal(a, 0, 1);
  const q = householderQ(a, m, n);
  // q is column-major m×n: element (i, j) at q[i + j*m]
  const out = new Float64Array(rows * cols);
  if (rows >= cols) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = q[i + j * m];
  } else {
    // Qᵀ (n×m) row-major is exactly q column-major
    out.set(q);
  }
  return out;
}

/**
 * Reduced QR of the column-major m×n matrix `a` (m ≥ n, overwritten). Returns the column-major
 * m×n Q with the sign correction applied, i.e. the Q of the unique QR whose R has a positive diagonal.
 */
export function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const tau = new Float64Array(n);
  const sign = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const col = k * m;
    const alpha = a[col + k];
    let ss = 0;
    for (let i = col + k + 1; i < col + m; i++) ss += a[i] * a[i];
    const norm = Math.sqrt(alpha * alpha + ss);
    if (ss === 0 && alpha >= 0) { tau[k] = 0; sign[k] = 1; continue; } // already upper-triangular here
    const beta = alpha >= 0 ? -norm : norm;
    tau[k] = (beta - alpha) / beta;
    sign[k] = beta >= 0 ? 1 : -1; // R[k,k] = beta
    const scale = 1 / (alpha - beta);
    for (let i = col + k + 1; i < col + m; i++) a[i] *= scale; // v (v[k] = 1 implicit)
    a[col + k] = beta;
    applyReflector(a, m, k, col, k + 1, n, tau[k]);
  }
  // Q = H_0 … H_{n-1} [I; 0], accumulated backwards so each step touches only Q[k:, k:]
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j + j * m] = 1;
  for (let k = n - 1; k >= 0; k--) {
    if (tau[k] !== 0) applyReflector(q, m, k, k * m, k, n, tau[k], a);
  }
  for (let j = 0; j < n; j++) {
    if (sign[j] < 0) for (let i = j * m; i < (j + 1) * m; i++) q[i] = -q[i];
  }
  return q;
}

/**
 * target[k:, j0:n] ← (I − τ v vᵀ) target[k:, j0:n], where v = [1; src[vcol+k+1 … vcol+m-1]].
 * Columns are contiguous, so both the dot product and the update are unit-stride loops.
 */
function applyReflector(target: Float64Array, m: number, k: number, vcol: number, j0: number, n: number, t: number, src: Float64Array = target): void {
  const vs = vcol + k + 1;
  const len = m - k - 1;
  for (let j = j0; j < n; j++) {
    const cj = j * m;
    const cs = cj + k + 1;
    let w0 = target[cj + k], w1 = 0, w2 = 0, w3 = 0;
    let i = 0;
    for (; i + 3 < len; i += 4) {
      w0 += src[vs + i] * target[cs + i];
      w1 += src[vs + i + 1] * target[cs + i + 1];
      w2 += src[vs + i + 2] * target[cs + i + 2];
      w3 += src[vs + i + 3] * target[cs + i + 3];
    }
    for (; i < len; i++) w0 += src[vs + i] * target[cs + i];
    const w = t * (w0 + w1 + w2 + w3);
    if (w === 0) continue;
    target[cj + k] -= w;
    i = 0;
    for (; i + 3 < len; i += 4) {
      target[cs + i] -= w * src[vs + i];
      target[cs + i + 1] -= w * src[vs + i + 1];
      target[cs + i + 2] -= w * src[vs + i + 2];
      target[cs + i + 3] -= w * src[vs + i + 3];
    }
    for (; i < len; i++) target[cs + i] -= w * src[vs + i];
  }
}
