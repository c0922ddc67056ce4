import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/initializers/random.ts';
import { ks1, ksCrit1, moments, normalCdf, phi, truncatedNormalCdf, uniformCdf } from './stats.ts';

const N = 200_000;

test('same seed gives the same stream; different seeds differ', () => {
  const a = new Float32Array(1000), b = new Float32Array(1000), c = new Float32Array(1000);
  createRandom(42).fillNormal(a, 0, 1);
  createRandom(42).fillNormal(b, 0, 1);
  createRandom(43).fillNormal(c, 0, 1);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(createRandom(7).nextUint32(), createRandom(7).nextUint32());
  assert.equal(createRandom(7).seed, 7);
});

test('a fixed seed gives fixed numbers (the stream is part of the contract: Node and browsers agree)', () => {
  // values of xoshiro128** seeded through splitmix32 — recomputed by hand-rolled BigInt reference below
  const r = createRandom(1);
  const got = [r.nextUint32(), r.nextUint32(), r.nextUint32()];
  assert.deepEqual(got, referenceXoshiro(1, 3));
});

/** Independent BigInt implementation of splitmix32 seeding + xoshiro128**. */
function referenceXoshiro(seed: number, n: number): number[] {
  const M = 0xffffffffn;
  let st = BigInt(seed >>> 0);
  const s: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    st = (st + 0x9e3779b9n) & M;
    let z = st;
    z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M;
    z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M;
    z ^= z >> 16n;
    s.push(z);
  }
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(Number((rotl((s[1] * 5n) & M, 7n) * 9n) & M));
    const t = (s[1] << 9n) & M;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11n);
  }
  return out;
}

test('uniform fill: within [lo, hi), KS against U(lo, hi)', () => {
  const a = new Float32Array(N);
  createRandom(5).fillUniform(a, -0.3, 0.7);
  const m = moments(a);
  assert.ok(m.min >= -0.3 && m.max < 0.7, `range ${m.min} … ${m.max}`);
  assert.ok(ks1(a, uniformCdf(-0.3, 0.7)) < ksCrit1(N));
});

test('normal fill: KS against N(mean, std), tails present', () => {
  const a = new Float64Array(N);
  createRandom(6).fillNormal(a, 1.5, 2);
  assert.ok(ks1(a, normalCdf(1.5, 2)) < ksCrit1(N));
  const m = moments(a);
  assert.ok(Math.abs(m.std - 2) < 0.02 && Math.abs(m.mean - 1.5) < 0.02);
  // P(|z| > 3.44) ≈ 5.8e-4: the ziggurat tail branch must produce values there
  let tail = 0; for (const v of a) if (Math.abs((v - 1.5) / 2) > 3.5) tail++;
  assert.ok(tail > 40 && tail < 150, `tail count ${tail}`);
});

test('truncated normal fill: KS against the truncated law, never beyond 2σ; the plain normal is rejected', () => {
  const a = new Float64Array(N);
  createRandom(7).fillTruncatedNormal(a, -1, 0.5);
  const m = moments(a);
  assert.ok(m.min >= -2 && m.max <= 0, `range ${m.min} … ${m.max}`);
  assert.ok(ks1(a, truncatedNormalCdf(-1, 0.5)) < ksCrit1(N));
  assert.ok(ks1(a, normalCdf(-1, 0.5)) > ksCrit1(N), 'test has power: the untruncated CDF must fail');
  // std of N(0,1) truncated to ±2 is 0.8796 (spec constant)
  assert.ok(Math.abs(m.std / 0.5 - 0.87962566) < 0.005);
});

test('scalar draws agree in law with the fills', () => {
  const r = createRandom(8);
  const a = new Float64Array(50_000);
  for (let i = 0; i < a.length; i++) a[i] = r.normal();
  assert.ok(ks1(a, normalCdf(0, 1)) < ksCrit1(a.length));
  for (let i = 0; i < a.length; i++) a[i] = r.uniform();
  assert.ok(ks1(a, uniformCdf(0, 1)) < ksCrit1(a.length));
});

test('fork gives an independent deterministic stream', () => {
  const a = createRandom(9); const b = createRandom(9);
  const fa = a.fork(), fb = b.fork();
  assert.equal(fa.nextUint32(), fb.nextUint32());
  assert.notEqual(a.nextUint32(), fa.nextUint32());
});

test('unseeded sources record their seed so runs can be repeated', () => {
  const r = createRandom();
  const again = createRandom(r.seed);
  assert.equal(r.nextUint32(), again.nextUint32());
});

test('bad seeds are refused', () => {
  assert.throws(() => createRandom(Number.NaN), RangeError);
});

test('float32 fills: the WebAssembly SIMD engine and its scalar twin give identical numbers', async () => {
  const { createKernels } = await import('../../src/initializers/simd.ts');
  const simd = createKernels();
  const scalar = createKernels(true);
  assert.equal(simd.simd, true, 'Node 20 has WebAssembly SIMD');
  const words = new Int32Array(32).map((_, i) => Math.imul(i + 1, 0x9e3779b1));
  simd.setState(words); scalar.setState(words);
  for (const kind of [0, 1, 2] as const) {
    const a = new Float32Array(20_003), b = new Float32Array(20_003);
    simd.fill(a, kind, 0.25, 3, 3.25); scalar.fill(b, kind, 0.25, 3, 3.25);
    assert.deepEqual(a, b, `kind ${kind}`);
  }
  assert.deepEqual(simd.getState(), scalar.getState());
});

test('float32 fills: KS for uniform, normal (incl. the w ≥ 5 tail branch) and truncated normal', () => {
  const r = createRandom(31);
  const n = new Float32Array(N); r.fillNormal(n, 0, 1);
  assert.ok(ks1(n, normalCdf(0, 1)) < ksCrit1(N));
  let tail = 0; for (const v of n) if (Math.abs(v) > 3) tail++;
  // P(|Z| > 3) = 0.0027 → 540 expected
  assert.ok(tail > 440 && tail < 640, `tail ${tail}`);
  const t = new Float32Array(N); r.fillTruncatedNormal(t, 0, 1);
  assert.ok(ks1(t, truncatedNormalCdf(0, 1)) < ksCrit1(N));
  assert.ok(moments(t).max <= 2 && moments(t).min >= -2);
  const u = new Float32Array(N); r.fillUniform(u, -1, 1);
  assert.ok(ks1(u, uniformCdf(-1, 1)) < ksCrit1(N));
  assert.ok(moments(u).max < 1);
});

test('truncated normal transform: within 8 float32 ulps of Φ⁻¹ and below |z| = 2, edges included', async () => {
  const { truncatedZ } = await import('../../src/initializers/simd.ts');
  // Reference Φ⁻¹ by Newton's method on stats.ts' erfc (|err| < 1e-15), independent of the kernel
  const invPhi = (p: number): number => {
    let z = 0;
    for (let i = 0; i < 50; i++) {
      const step = (phi(z) - p) / (Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI));
      z -= step;
      if (Math.abs(step) < 1e-15 * Math.max(1, Math.abs(z))) break;
    }
    return z;
  };
  const H = phi(2) - 0.5;
  const ulp = (x: number) => { const a = Math.abs(Math.fround(x)); return 2 ** (Math.floor(Math.log2(a)) - 23); };
  // the kernel's input is the top 25 bits t of a draw; k = t | 1 is odd, |k| < 2^24, q = k·H·2^−24
  const tops: number[] = [];
  for (let t = 2 ** 24 - 20_000; t < 2 ** 24; t++) tops.push(t, -t - 1); // both edges (|z| → 2)
  for (let t = 0; t < 5_000; t++) tops.push(t, -t - 1); // the centre (z → 0)
  for (let t = 0; t < 2 ** 24; t += 337) tops.push(t, -t - 1); // everything in between
  let worstUlp = 0, worstP = 0, maxAbs = 0;
  for (const t of tops) {
    const z = truncatedZ(t << 7);
    const q = Math.fround(((t | 1)) * Math.fround(H * 2 ** -24));
    const ref = invPhi(0.5 + q);
    worstUlp = Math.max(worstUlp, Math.abs(z - ref) / ulp(ref));
    worstP = Math.max(worstP, Math.abs(phi(z) - (0.5 + q)) / (H * 2 ** -23)); // in steps of the input grid
    maxAbs = Math.max(maxAbs, Math.abs(z));
  }
  assert.ok(worstUlp <= 8, `max error ${worstUlp.toFixed(2)} ulp`);
  assert.ok(worstP <= 2, `max probability error ${worstP.toFixed(2)} grid steps`);
  assert.ok(maxAbs < 2 && maxAbs > 1.99999, `max |z| ${maxAbs}`);
});

test('src/initializers uses no Node-only APIs (it must run in browsers)', async () => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const dir = new URL('../../src/initializers/', import.meta.url);
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const src = readFileSync(new URL(f, dir), 'utf8');
    assert.doesNotMatch(src, /from 'node:|require\(|\bprocess\.|\bBuffer\b/, f);
    for (const m of src.matchAll(/from '([^']+)'/g)) assert.ok(m[1].startsWith('.'), `${f} imports ${m[1]}`);
  }
});

test('WebAssembly modules stay under the 4 KiB browsers compile synchronously', async () => {
  const { buildModule } = await import('../../src/initializers/simd.ts');
  const { buildQrModule } = await import('../../src/initializers/qr.ts');
  for (const b of [buildModule(), buildQrModule()]) {
    assert.ok(WebAssembly.validate(b));
    assert.ok(b.length < 4096, `${b.length} bytes`);
  }
});
