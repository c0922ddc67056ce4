import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choleskyQ, householderQ, randomOrthogonal, setForceJsQr } from '../../src/initializers/qr.ts';
import { createRandom } from '../../src/initializers/index.ts';

/** max |QᵀQ − I| for a column-major m×n Q, computed directly. */
function gramErr(q: Float64Array, m: number, n: number): number {
  let e = 0;
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) {
    let s = 0;
    for (let r = 0; r < m; r++) s += q[r + i * m] * q[r + j * m];
    e = Math.max(e, Math.abs(s - (i === j ? 1 : 0)));
  }
  return e;
}

function normals(m: number, n: number, seed: number): Float32Array {
  const a = new Float32Array(m * n);
  createRandom(seed).fillNormal(a, 0, 1);
  return a;
}

test('CholeskyQR gives the sign-corrected Householder Q (same input, within 1e-12) for many shapes', () => {
  for (const [m, n] of [[1, 1], [5, 1], [3, 3], [7, 5], [70, 45], [257, 13], [64, 64], [130, 129], [300, 100]]) {
    const a = normals(m, n, m * 1000 + n);
    const c = choleskyQ(a, m, n);
    assert.ok(c, `${m}×${n}: CholeskyQR gave up on a Gaussian matrix`);
    const h = householderQ(a, m, n);
    let d = 0;
    for (let i = 0; i < h.length; i++) d = Math.max(d, Math.abs(h[i] - c[i]));
    assert.ok(d < 1e-12, `${m}×${n}: max |Q_chol − Q_householder| = ${d}`);
    assert.ok(gramErr(c, m, n) < 1e-13, `${m}×${n}: QᵀQ − I = ${gramErr(c, m, n)}`);
    // R = QᵀA has a positive diagonal (independent check of the sign correction)
    for (let j = 0; j < n; j++) {
      let rjj = 0;
      for (let r = 0; r < m; r++) rjj += c[r + j * m] * a[r + j * m];
      assert.ok(rjj > 0, `${m}×${n}: R[${j},${j}] = ${rjj}`);
    }
  }
});

test('CholeskyQR: an ill-conditioned A takes the second pass or gives up (null), and the Q is still exact', () => {
  const m = 60, n = 20;
  // κ ≈ 1e6: second pass needed; κ = ∞ (duplicate column): Cholesky breaks down → null
  const a = normals(m, n, 5);
  const b = Float64Array.from(a);
  for (let r = 0; r < m; r++) b[r + 7 * m] = b[r + 3 * m] + 1e-6 * b[r + 7 * m];
  const cb = choleskyQ(b, m, n);
  assert.ok(cb, 'κ ≈ 1e6 is within CholeskyQR2 reach');
  const hb = householderQ(b, m, n);
  let d = 0;
  for (let i = 0; i < hb.length; i++) d = Math.max(d, Math.abs(hb[i] - cb[i]));
  assert.ok(d < 1e-8, `max |Q_chol − Q_householder| = ${d}`);
  assert.ok(gramErr(cb, m, n) < 1e-13);
  // rank-deficient (duplicate column): whatever path is taken, the Q is orthonormal and its columns
  // before the dependency are the well-determined Householder ones
  const s = Float64Array.from(a);
  for (let r = 0; r < m; r++) s[r + 7 * m] = s[r + 3 * m];
  const cs = choleskyQ(s, m, n) ?? householderQ(s, m, n), hs = householderQ(s, m, n);
  assert.ok(gramErr(cs, m, n) < 1e-13, `duplicate column: QᵀQ − I = ${gramErr(cs, m, n)}`);
  for (let i = 0; i < 7 * m; i++) assert.ok(Math.abs(cs[i] - hs[i]) < 1e-12);
  // a zero column: the Cholesky breaks down and the caller must use Householder
  const z = Float64Array.from(a);
  z.fill(0, 4 * m, 5 * m);
  assert.equal(choleskyQ(z, m, n), null);
});

test('randomOrthogonal: WebAssembly and JS engines agree bit for bit on the CholeskyQR path; 512×2048 is orthonormal', () => {
  const a = randomOrthogonal(200, 64, createRandom(8));
  setForceJsQr(true);
  const sq = randomOrthogonal(40, 36, createRandom(8)); // near-square: the Householder path
  try {
    assert.deepEqual(randomOrthogonal(200, 64, createRandom(8)), a);
    assert.deepEqual(randomOrthogonal(40, 36, createRandom(8)), sq);
  } finally { setForceJsQr(false); }
  assert.ok(gramErr(Float64Array.from({ length: 40 * 36 }, (_, k) => sq[(k % 40) * 36 + Math.floor(k / 40)]), 40, 36) < 1e-13);
  const rows = 512, cols = 2048;
  const q = randomOrthogonal(rows, cols, createRandom(9)); // row-major, orthonormal rows
  // rows of a row-major rows×cols matrix are the columns of the column-major cols×rows matrix
  assert.ok(gramErr(q, cols, rows) < 1e-12);
  assert.deepEqual(randomOrthogonal(rows, cols, createRandom(9)), q, 'same seed, same matrix');
});
