"""Fit the rational Φ⁻¹ used for ±2σ truncated normals in src/initializers/simd.ts, and check it
exhaustively in float32.

    /tmp/kv/bin/python scripts/fit-truncated-normal.py [m n]     (needs numpy and scipy)

The kernel maps an odd integer k, |k| < 2^24, to q = k·H·2^-24 ∈ (−H, H), H = Φ(2) − ½, and returns
z = q·P(v)/Q(v) with v = ¼ − q² (P of degree m, Q monic of degree n). In v the singularity of
Φ⁻¹(½ + q) sits at v = 0, just outside [¼ − H², ¼], and the fitted P and Q have positive
coefficients, so the float32 evaluation has no cancellation. The fit minimises the relative error
(Lawson-weighted least squares on the linearised problem, Loeb's iteration for the denominator);
scipy.special.ndtri is the reference. Then every one of the 2^24 kernel inputs is evaluated with
float32 rounding after each operation, exactly as the WebAssembly kernel does, and compared with
ndtri at that float32 q: the printed maxima are what the docs quote.
"""
import sys
import numpy as np
from scipy.special import ndtri, ndtr

f32 = np.float32
H = 0.4772498680518208  # Φ(2) − ½


def fit(m, n, nodes=20000, iters=300):
    t = np.cos(np.linspace(0, np.pi, nodes)) * 0.5 + 0.5  # Chebyshev-like, dense at both ends
    q = H * t
    q = q[q > 1e-4]
    v = 0.25 - q * q
    g = ndtri(0.5 + q) / q
    w = np.full(v.shape, 1 / v.size)
    q_prev = np.ones_like(v)
    best = None
    for it in range(iters):
        a_cols = v[:, None] ** np.arange(m + 1)
        b_cols = -(g[:, None] * v[:, None] ** np.arange(n))
        s = np.sqrt(w) / (g * q_prev)
        coef, *_ = np.linalg.lstsq(np.hstack([a_cols, b_cols]) * s[:, None], g * v ** n * s, rcond=None)
        a = coef[:m + 1]
        b = np.concatenate([coef[m + 1:], [1.0]])
        P = np.polyval(a[::-1], v)
        Q = np.polyval(b[::-1], v)
        err = P / Q / g - 1
        e = np.abs(err).max()
        if best is None or e < best[0]:
            best = (e, a.copy(), b.copy())
        q_prev = Q
        if it > 3:  # Lawson: move weight to where the error is largest
            w = w * np.sqrt(np.abs(err)) + 1e-300
            w /= w.sum()
    return best


def kernel_f32(a, b):
    """z for every positive kernel input, float32 after each operation, in the kernel's order."""
    k = np.arange(1, 2 ** 24, 2, dtype=np.int64)
    q = k.astype(f32) * f32(H * 2 ** -24)
    v = f32(0.25) - q * q
    P = f32(a[-1])
    for c in a[-2::-1]:
        P = P * v + f32(c)
    Q = v + f32(b[-2])
    for c in b[-3::-1]:
        Q = Q * v + f32(c)
    return q, (P * q) / Q


def main():
    m, n = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) > 2 else (4, 4)
    e, a, b = fit(m, n)
    a = [float(f32(x)) for x in a]
    b = [float(f32(x)) for x in b]
    q, z = kernel_f32(a, b)
    qd = q.astype(np.float64)
    ref = ndtri(0.5 + qd)
    vd = 0.25 - qd * qd
    exact = qd * np.polyval(a[::-1], vd) / np.polyval(b[::-1], vd)  # float32 coefficients, exact arithmetic
    ulp = np.spacing(ref.astype(f32)).astype(np.float64)
    approx_ulps = np.abs(exact - ref) / ulp
    f32_ulps = np.abs(z.astype(np.float64) - ref) / ulp
    # error as a probability, in units of the input grid (adjacent inputs are 2^-24·2H apart in p)
    grid = np.abs(ndtr(z.astype(np.float64)) - (0.5 + qd)) / (H * 2 ** -23)
    print(f'(m, n) = ({m}, {n})')
    print(f'approximation (exact arithmetic): max relative error {np.max(np.abs(exact / ref - 1)):.3g}, max {approx_ulps.max():.2f} ulp')
    print(f'float32 kernel, all 2^23 positive inputs: max {f32_ulps.max():.2f} ulp, mean {f32_ulps.mean():.3f} ulp; '
          f'probability error ≤ {grid.max():.2f} input steps; max z = {float(z.max())!r} (< 2: no clamp needed)')
    fmt = lambda xs: ', '.join(repr(float(f32(x))) for x in xs)
    print(f'const TN_P = [{fmt(a)}]; // P(v) = Σ TN_P[i]·v^i')
    print(f'const TN_Q = [{fmt(b[:-1])}]; // Q(v) = v^{n} + Σ TN_Q[i]·v^i')


if __name__ == '__main__':
    main()
