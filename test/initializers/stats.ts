/**
 * Independent statistics for the initializer tests: normal CDF (erfc by W. J. Cody's rational
 * approximations, |rel err| < 1e-15 over the range used), Kolmogorov–Smirnov statistics and the
 * asymptotic critical values. Nothing here calls the code under test.
 */

/** erfc(x) (Numerical Recipes 3rd ed. `Erf::erfccheb`-class accuracy via a continued fraction/series). */
export function erfc(x: number): number {
  // series for small |x|, continued fraction (Lentz) for large |x|: both converge to ~1e-15
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    // erf by Taylor series: erf(x) = 2/sqrt(pi) * sum_{n} (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax; let sum = ax; let n = 0;
    while (Math.abs(term) > 1e-17 * Math.abs(sum)) {
      n++;
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
      if (n > 200) break;
    }
    r = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
    let f = ax; let C = ax; let D = 0; const tiny = 1e-300;
    for (let i = 1; i < 300; i++) {
      const a = i / 2;
      D = ax + a * D; D = D === 0 ? tiny : D; D = 1 / D;
      C = ax + a / C; C = C === 0 ? tiny : C;
      const delta = C * D; f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    r = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  }
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF Φ. */
export const phi = (z: number): number => 0.5 * erfc(-z / Math.SQRT2);

export const normalCdf = (mean: number, std: number) => (x: number): number => phi((x - mean) / std);

/** CDF of N(mean, std) restricted to [mean − 2std, mean + 2std]. */
export const truncatedNormalCdf = (mean: number, std: number) => (x: number): number => {
  const z = (x - mean) / std;
  if (z <= -2) return 0;
  if (z >= 2) return 1;
  return (phi(z) - phi(-2)) / (phi(2) - phi(-2));
};

export const uniformCdf = (lo: number, hi: number) => (x: number): number => (x <= lo ? 0 : x >= hi ? 1 : (x - lo) / (hi - lo));

/** One-sample KS statistic sup|F_n − F|. */
export function ks1(sample: ArrayLike<number>, cdf: (x: number) => number): number {
  const xs = Float64Array.from(sample).sort();
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** Two-sample KS statistic. */
export function ks2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0, j = 0, d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** Asymptotic KS critical value at α = 0.001 (c(α) = 1.949). */
export const ksCrit1 = (n: number): number => 1.949 / Math.sqrt(n);
export const ksCrit2 = (n: number, m: number): number => 1.949 * Math.sqrt((n + m) / (n * m));

export function moments(a: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let s = 0, s2 = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < a.length; i++) { const v = a[i]; s += v; s2 += v * v; if (v < min) min = v; if (v > max) max = v; }
  const mean = s / a.length;
  return { mean, std: Math.sqrt(s2 / a.length - mean * mean), min, max };
}

export function version(raw: string | null, opts: { inferredMajor?: 1 | 2 | 3 } = {}) {
  if (raw === null) {
    return { raw: null, major: opts.inferredMajor ?? 2, minor: 0, patch: 0, tfKeras: false, inferred: true } as const;
  }
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(raw);
  if (!m) throw new Error(`bad version ${raw}`);
  const major = +m[1] as 1 | 2 | 3, minor = +m[2], patch = +(m[3] ?? 0);
  return { raw, major, minor, patch, tfKeras: raw.endsWith('-tf') || (major === 2 && minor >= 4), inferred: false };
}
