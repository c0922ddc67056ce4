/*
 * Winograd F(2x2, 3x3) convolution, NHWC, stride 1, dilation 1, float32, for WebAssembly SIMD.
 *
 * The module imports tfjs' wasm backend memory and works on tensors in place, so it must not own
 * any of that memory: no data segments, no shadow stack (every temporary lives in wasm locals or in
 * the caller-provided workspace). scripts/build-winograd.sh checks the binary for both.
 *
 * Hand-written because no library gives us a Winograd kernel inside tfjs' heap (XNNPACK, which tfjs
 * links, only exposes its direct/GEMM convolution there).
 *
 * Workspace layout (floats), sizes from wg_workspace_floats():
 *   U[16][Kp/8][Cp][8]  transformed filter (G g Gᵀ), zero beyond C / K, in the 8-wide
 *                  output-channel panels the GEMM micro-kernel streams
 *   V[16][T][Cp]   transformed input tiles of one block (Bᵀ d B)
 *   M[16][T][Kp]   V·U products of one block
 *   Z[Cp]          zeros: the "pixel" read for padding and out-of-image positions
 * Cp = C rounded up to 4, Kp = K rounded up to 8, T = tiles per block (multiple of 4).
 */
#include <wasm_simd128.h>

typedef v128_t v;
#define EXPORT(n) __attribute__((export_name(n)))
#define LD(p) wasm_v128_load(p)
#define ST(p, x) wasm_v128_store(p, x)
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul

/* Plane strides get one extra cache line: power-of-two strides would put the 16 planes a tile
   touches in the same L1 sets (and trip 4K store/load aliasing). */
#define PAD 16
static inline int cp_of(int c) { return (c + 3) & ~3; }
static inline int kp_of(int k) { return (k + 7) & ~7; }

/* First n (1..3) floats of p, zeros after; no read past p[n-1]. */
static inline v load_part(const float *p, int n) {
  v r = wasm_f32x4_splat(0.f);
  r = wasm_f32x4_replace_lane(r, 0, p[0]);
  if (n > 1) r = wasm_f32x4_replace_lane(r, 1, p[1]);
  if (n > 2) r = wasm_f32x4_replace_lane(r, 2, p[2]);
  return r;
}
static inline v load_n(const float *p, int n) { return n >= 4 ? LD(p) : load_part(p, n); }
static inline void store_part(float *p, v x, int n) {
  p[0] = wasm_f32x4_extract_lane(x, 0);
  if (n > 1) p[1] = wasm_f32x4_extract_lane(x, 1);
  if (n > 2) p[2] = wasm_f32x4_extract_lane(x, 2);
}

EXPORT("wg_workspace_floats")
int wg_workspace_floats(int C, int K, int T) {
  int Cp = cp_of(C), Kp = kp_of(K);
  return 16 * (Cp * Kp + PAD) + 16 * (T * Cp + PAD) + 16 * (T * Kp + PAD) + Cp;
}

/* U = G g Gᵀ, G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]; g is HWIO [3][3][C][K]. */
static void filter_transform(const float *g, float *U, int C, int K) {
  int Cp = cp_of(C), Kp = kp_of(K), us = Cp * Kp + PAD;
  const v h = wasm_f32x4_splat(0.5f), z = wasm_f32x4_splat(0.f);
  for (int c = 0; c < Cp; c++) {
    for (int k = 0; k < Kp; k += 4) {
      float *u = U + ((k >> 3) * Cp + c) * 8 + (k & 7);
      int n = K - k;
      if (c >= C || n <= 0) {
        for (int e = 0; e < 16; e++) ST(u + e * us, z);
        continue;
      }
      v w[3][3];
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) w[i][j] = load_n(g + ((i * 3 + j) * C + c) * K + k, n);
      v t[4][3];
      for (int j = 0; j < 3; j++) {
        t[0][j] = w[0][j];
        t[1][j] = MUL(h, ADD(ADD(w[0][j], w[1][j]), w[2][j]));
        t[2][j] = MUL(h, ADD(SUB(w[0][j], w[1][j]), w[2][j]));
        t[3][j] = w[2][j];
      }
      for (int r = 0; r < 4; r++) {
        ST(u + (r * 4 + 0) * us, t[r][0]);
        ST(u + (r * 4 + 1) * us, MUL(h, ADD(ADD(t[r][0], t[r][1]), t[r][2])));
        ST(u + (r * 4 + 2) * us, MUL(h, ADD(SUB(t[r][0], t[r][1]), t[r][2])));
        ST(u + (r * 4 + 3) * us, t[r][2]);
      }
    }
  }
}

/* V[e][t][c..c+3] = (Bᵀ d B)[e] for the 16 input vectors d, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]. */
static inline void in_tile(v d[16], float *o, int es) {
  v w[16];
  for (int i = 0; i < 4; i++) {
    v a = d[i * 4], b = d[i * 4 + 1], c = d[i * 4 + 2], e = d[i * 4 + 3];
    w[i * 4 + 0] = SUB(a, c);
    w[i * 4 + 1] = ADD(b, c);
    w[i * 4 + 2] = SUB(c, b);
    w[i * 4 + 3] = SUB(b, e);
  }
  for (int j = 0; j < 4; j++) {
    v a = w[j], b = w[4 + j], c = w[8 + j], e = w[12 + j];
    ST(o + (0 + j) * es, SUB(a, c));
    ST(o + (4 + j) * es, ADD(b, c));
    ST(o + (8 + j) * es, SUB(c, b));
    ST(o + (12 + j) * es, SUB(b, e));
  }
}

/* 4 tiles × 8 output channels of M[e] = V[e]·U[e] over all Cp input channels; u is the 8-wide
   panel [Cp][8], so both of its loads have constant offsets. Not unrolled: clang then regroups the
   products per accumulator across iterations, keeping more vectors live than V8 has registers
   (measured ~25% slower). */
static inline void gemm_4x8(const float *Ve, const float *u, float *Me, int Cp, int Kp) {
  v a0 = wasm_f32x4_splat(0.f), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
  const float *p0 = Ve, *p1 = Ve + Cp, *p2 = Ve + 2 * Cp, *p3 = Ve + 3 * Cp;
#pragma clang loop unroll(disable)
  for (int c = 0; c < Cp; c++, u += 8) {
    v u0 = LD(u), u1 = LD(u + 4);
    v s = wasm_v128_load32_splat(p0 + c);
    a0 = ADD(a0, MUL(s, u0)); a1 = ADD(a1, MUL(s, u1));
    s = wasm_v128_load32_splat(p1 + c);
    b0 = ADD(b0, MUL(s, u0)); b1 = ADD(b1, MUL(s, u1));
    s = wasm_v128_load32_splat(p2 + c);
    c0 = ADD(c0, MUL(s, u0)); c1 = ADD(c1, MUL(s, u1));
    s = wasm_v128_load32_splat(p3 + c);
    d0 = ADD(d0, MUL(s, u0)); d1 = ADD(d1, MUL(s, u1));
  }
  ST(Me, a0); ST(Me + 4, a1);
  ST(Me + Kp, b0); ST(Me + Kp + 4, b1);
  ST(Me + 2 * Kp, c0); ST(Me + 2 * Kp + 4, c1);
  ST(Me + 3 * Kp, d0); ST(Me + 3 * Kp + 4, d1);
}

/*
 * y[N][OH][OW][K] = act(conv(x[N][H][W][C], g[3][3][C][K]) + bias), top/left zero padding padT/padL
 * (bottom/right padding is implied by OH/OW). bias may be 0 (none). act: 0 linear, 1 relu.
 * T: tiles per block, a positive multiple of 4.
 */
/* Padding tiles of a block (ntp rounds nt up to the micro-kernel's 4 tiles): zeros in every plane, never
   denormal garbage. */
static void zero_pad_tiles(float *V, int planes, int vs, int nt, int ntp, int Cp) {
  const v zero = wasm_f32x4_splat(0.f);
  for (int t = nt; t < ntp; t++)
    for (int e = 0; e < planes; e++)
      for (int c = 0; c < Cp; c += 4) ST(V + e * vs + t * Cp + c, zero);
}

/* One independent GEMM per transform plane, M_e = V_e · U_e. Kept out of line: unrolled over a constant plane
   count (36 for F(4x4)), clang's code ran slower under V8. */
__attribute__((noinline))
static void gemm_planes(const float *V, const float *U, float *M, int planes, int vs, int us, int ms, int ntp, int Cp, int Kp) {
  for (int e = 0; e < planes; e++) {
    const float *Ve = V + e * vs, *Ue = U + e * us;
    float *Me = M + e * ms;
    for (int k = 0; k < Kp; k += 8)
      for (int t = 0; t < ntp; t += 4)
        gemm_4x8(Ve + t * Cp, Ue + k * Cp, Me + t * Kp + k, Cp, Kp);
  }
}

EXPORT("wg_conv")
void wg_conv(const float *x, const float *g, const float *bias, float *y, float *ws,
             int N, int H, int W, int C, int K, int OH, int OW, int padT, int padL, int act, int T) {
  const int Cp = cp_of(C), Kp = kp_of(K);
  const int us = Cp * Kp + PAD, vs = T * Cp + PAD, ms = T * Kp + PAD;  /* strides between the 16 e-planes */
  float *U = ws, *V = U + 16 * us, *M = V + 16 * vs, *Z = M + 16 * ms;
  const v zero = wasm_f32x4_splat(0.f);
  for (int c = 0; c < Cp; c += 4) ST(Z + c, zero);
  filter_transform(g, U, C, K);

  const int TH = (OH + 1) >> 1, TW = (OW + 1) >> 1, per = TH * TW, total = N * per;
  for (int t0 = 0; t0 < total; t0 += T) {
    const int nt = total - t0 < T ? total - t0 : T, ntp = (nt + 3) & ~3;

    /* input transform */
    int n = t0 / per, ty = (t0 % per) / TW, tx = (t0 % per) % TW;
    for (int t = 0; t < nt; t++) {
      const float *p[16];
      const int r0 = 2 * ty - padT, q0 = 2 * tx - padL;
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
          int r = r0 + i, q = q0 + j;
          p[i * 4 + j] = (r >= 0 && r < H && q >= 0 && q < W) ? x + ((n * H + r) * W + q) * C : Z;
        }
      float *o = V + t * Cp;
      int c = 0;
      for (; c + 4 <= C; c += 4) {
        v d[16];
        for (int e = 0; e < 16; e++) d[e] = LD(p[e] + c);
        in_tile(d, o + c, vs);
      }
      if (c < C) {
        v d[16];
        for (int e = 0; e < 16; e++) d[e] = load_part(p[e] + c, C - c);
        in_tile(d, o + c, vs);
      }
      if (++tx == TW) { tx = 0; if (++ty == TH) { ty = 0; n++; } }
    }
    zero_pad_tiles(V, 16, vs, nt, ntp, Cp);
    /* 16 independent GEMMs */
    gemm_planes(V, U, M, 16, vs, us, ms, ntp, Cp, Kp);

    /* output transform Aᵀ m A, Aᵀ = [1 1 1 0; 0 1 −1 −1], + bias, activation */
    n = t0 / per; ty = (t0 % per) / TW; tx = (t0 % per) % TW;
    for (int t = 0; t < nt; t++) {
      const int oy = 2 * ty, ox = 2 * tx;
      const int two_r = oy + 1 < OH, two_c = ox + 1 < OW;
      float *y00 = y + ((n * OH + oy) * OW + ox) * K;
      const float *m = M + t * Kp;
      for (int k = 0; k < K; k += 4) {
        v s[4][2];
        for (int i = 0; i < 4; i++) {
          v a = LD(m + (i * 4 + 0) * ms + k), b = LD(m + (i * 4 + 1) * ms + k);
          v c = LD(m + (i * 4 + 2) * ms + k), d = LD(m + (i * 4 + 3) * ms + k);
          s[i][0] = ADD(ADD(a, b), c);
          s[i][1] = SUB(SUB(b, c), d);
        }
        const int nk = K - k;
        v bb = bias ? load_n(bias + k, nk) : zero;
        v o[2][2];
        for (int j = 0; j < 2; j++) {
          o[0][j] = ADD(ADD(ADD(s[0][j], s[1][j]), s[2][j]), bb);
          o[1][j] = ADD(SUB(SUB(s[1][j], s[2][j]), s[3][j]), bb);
        }
        if (act == 1)
          for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) o[i][j] = wasm_f32x4_max(o[i][j], zero);
        float *q = y00 + k;
        if (nk >= 4) {
          ST(q, o[0][0]);
          if (two_c) ST(q + K, o[0][1]);
          if (two_r) { ST(q + OW * K, o[1][0]); if (two_c) ST(q + OW * K + K, o[1][1]); }
        } else {
          store_part(q, o[0][0], nk);
          if (two_c) store_part(q + K, o[0][1], nk);
          if (two_r) { store_part(q + OW * K, o[1][0], nk); if (two_c) store_part(q + OW * K + K, o[1][1], nk); }
        }
      }
      if (++tx == TW) { tx = 0; if (++ty == TH) { ty = 0; n++; } }
    }
  }
}

/*
 * Winograd F(4x4, 3x3): 6x6 input tiles, 36 GEMMs, 2.25 multiplications per output and input
 * channel instead of F(2x2)'s 4. Points 0, ±1, ±2, ∞ (Lavin & Gray 2016), the usual choice that
 * keeps the transforms' rounding error smallest for this tile size. Same conventions and workspace
 * layout as wg_conv, with 36 planes instead of 16:
 *   U[36][Kp/8][Cp][8], V[36][T][Cp], M[36][T][Kp], Z[Cp].
 */
EXPORT("wg4_workspace_floats")
int wg4_workspace_floats(int C, int K, int T) {
  int Cp = cp_of(C), Kp = kp_of(K);
  return 36 * (Cp * Kp + PAD) + 36 * (T * Cp + PAD) + 36 * (T * Kp + PAD) + Cp;
}

/* G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1], applied to 3 vectors. */
static inline void g_rows(v a, v b, v c, v t[6]) {
  const v q = wasm_f32x4_splat(0.25f), s = wasm_f32x4_splat(1.f / 6.f);
  const v s24 = wasm_f32x4_splat(1.f / 24.f), s12 = wasm_f32x4_splat(1.f / 12.f);
  v ac = ADD(a, c);
  t[0] = MUL(q, a);
  t[1] = MUL(s, SUB(wasm_f32x4_neg(ac), b));
  t[2] = MUL(s, SUB(b, ac));
  v p = ADD(MUL(s24, a), MUL(s, c)), m = MUL(s12, b);
  t[3] = ADD(p, m);
  t[4] = SUB(p, m);
  t[5] = c;
}

static void filter_transform4(const float *g, float *U, int C, int K) {
  int Cp = cp_of(C), Kp = kp_of(K), us = Cp * Kp + PAD;
  const v z = wasm_f32x4_splat(0.f);
  for (int c = 0; c < Cp; c++) {
    for (int k = 0; k < Kp; k += 4) {
      float *u = U + ((k >> 3) * Cp + c) * 8 + (k & 7);
      int n = K - k;
      if (c >= C || n <= 0) {
        _Pragma("clang loop unroll(full)")
        for (int e = 0; e < 36; e++) ST(u + e * us, z);
        continue;
      }
      v w[3][3];
      _Pragma("clang loop unroll(full)")
      for (int i = 0; i < 3; i++)
        _Pragma("clang loop unroll(full)")
        for (int j = 0; j < 3; j++) w[i][j] = load_n(g + ((i * 3 + j) * C + c) * K + k, n);
      v t[3][6];  /* t[j] = G · column j */
      _Pragma("clang loop unroll(full)")
      for (int j = 0; j < 3; j++) g_rows(w[0][j], w[1][j], w[2][j], t[j]);
      _Pragma("clang loop unroll(full)")
      for (int r = 0; r < 6; r++) {
        v o[6];
        g_rows(t[0][r], t[1][r], t[2][r], o);
        _Pragma("clang loop unroll(full)")
        for (int j = 0; j < 6; j++) ST(u + (r * 6 + j) * us, o[j]);
      }
    }
  }
}

/* Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
   applied to 6 vectors. */
static inline void bt_rows(v d0, v d1, v d2, v d3, v d4, v d5, v t[6]) {
  const v f4 = wasm_f32x4_splat(4.f), f5 = wasm_f32x4_splat(5.f), f2 = wasm_f32x4_splat(2.f);
  t[0] = ADD(SUB(MUL(f4, d0), MUL(f5, d2)), d4);
  v a = SUB(d4, MUL(f4, d2)), b = SUB(d3, MUL(f4, d1));
  t[1] = ADD(a, b);
  t[2] = SUB(a, b);
  v c = SUB(d4, d2), e = MUL(f2, SUB(d3, d1));
  t[3] = ADD(c, e);
  t[4] = SUB(c, e);
  t[5] = ADD(SUB(MUL(f4, d1), MUL(f5, d3)), d5);
}

/* V[e][t][c..c+3] = (Bᵀ d B)[e] for the 36 input vectors d (row-major 6x6). */
static inline void in_tile6(const v d[36], float *o, int es) {
  v w[6][6];  /* w[i] = Bᵀ applied along row i */
  _Pragma("clang loop unroll(full)")
  for (int i = 0; i < 6; i++)
    bt_rows(d[i * 6], d[i * 6 + 1], d[i * 6 + 2], d[i * 6 + 3], d[i * 6 + 4], d[i * 6 + 5], w[i]);
  _Pragma("clang loop unroll(full)")
  for (int j = 0; j < 6; j++) {
    v r[6];
    bt_rows(w[0][j], w[1][j], w[2][j], w[3][j], w[4][j], w[5][j], r);
    _Pragma("clang loop unroll(full)")
    for (int i = 0; i < 6; i++) ST(o + (i * 6 + j) * es, r[i]);
  }
}

/* Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1] applied to 6 vectors. */
static inline void at_rows(v m0, v m1, v m2, v m3, v m4, v m5, v o[4]) {
  const v f2 = wasm_f32x4_splat(2.f), f4 = wasm_f32x4_splat(4.f), f8 = wasm_f32x4_splat(8.f);
  v p = ADD(m1, m2), q = SUB(m1, m2), r = ADD(m3, m4), s = SUB(m3, m4);
  o[0] = ADD(ADD(m0, p), r);
  o[1] = ADD(q, MUL(f2, s));
  o[2] = ADD(p, MUL(f4, r));
  o[3] = ADD(ADD(q, MUL(f8, s)), m5);
}

/* y[i][j][k] (i < nr, j < nc) = act((Aᵀ m A)[i][j] + bias) for one tile; m[e * ms + k]. Inlined
   twice, once with nr = nc = 4 so full tiles store without checks. */
static inline __attribute__((always_inline)) void out_tile6(const float *m, int ms, float *y00, int OW, int K,
                                                     const float *bias, int act, int nr, int nc) {
  const v zero = wasm_f32x4_splat(0.f);
  for (int k = 0; k < K; k += 4) {
    v s[6][4];
    _Pragma("clang loop unroll(full)")
    for (int i = 0; i < 6; i++) {
      const float *mi = m + i * 6 * ms + k;
      at_rows(LD(mi), LD(mi + ms), LD(mi + 2 * ms), LD(mi + 3 * ms), LD(mi + 4 * ms), LD(mi + 5 * ms), s[i]);
    }
    const int nk = K - k;
    v bb = bias ? load_n(bias + k, nk) : zero;
    _Pragma("clang loop unroll(full)")
    for (int j = 0; j < 4; j++) {
      v o[4];
      at_rows(s[0][j], s[1][j], s[2][j], s[3][j], s[4][j], s[5][j], o);
      _Pragma("clang loop unroll(full)")
      for (int i = 0; i < 4; i++) {
        if (i >= nr || j >= nc) continue;
        v r = ADD(o[i], bb);
        if (act == 1) r = wasm_f32x4_max(r, zero);
        float *q = y00 + (i * OW + j) * K + k;
        if (nk >= 4) ST(q, r); else store_part(q, r, nk);
      }
    }
  }
}

EXPORT("wg4_conv")
void wg4_conv(const float *x, const float *g, const float *bias, float *y, float *ws,
              int N, int H, int W, int C, int K, int OH, int OW, int padT, int padL, int act, int T) {
  const int Cp = cp_of(C), Kp = kp_of(K);
  const int us = Cp * Kp + PAD, vs = T * Cp + PAD, ms = T * Kp + PAD;
  float *U = ws, *V = U + 36 * us, *M = V + 36 * vs, *Z = M + 36 * ms;
  const v zero = wasm_f32x4_splat(0.f);
  for (int c = 0; c < Cp; c += 4) ST(Z + c, zero);
  filter_transform4(g, U, C, K);

  const int TH = (OH + 3) >> 2, TW = (OW + 3) >> 2, per = TH * TW, total = N * per;
  for (int t0 = 0; t0 < total; t0 += T) {
    const int nt = total - t0 < T ? total - t0 : T, ntp = (nt + 3) & ~3;

    int n = t0 / per, ty = (t0 % per) / TW, tx = (t0 % per) % TW;
    for (int t = 0; t < nt; t++) {
      const float *p[36];
      const int r0 = 4 * ty - padT, q0 = 4 * tx - padL;
      if (r0 >= 0 && q0 >= 0 && r0 + 6 <= H && q0 + 6 <= W) {  /* interior tile: no bounds checks */
        const float *b = x + ((n * H + r0) * W + q0) * C;
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < 6; i++)
          _Pragma("clang loop unroll(full)")
          for (int j = 0; j < 6; j++) p[i * 6 + j] = b + (i * W + j) * C;
      } else {
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < 6; i++)
          _Pragma("clang loop unroll(full)")
          for (int j = 0; j < 6; j++) {
            int r = r0 + i, q = q0 + j;
            p[i * 6 + j] = (r >= 0 && r < H && q >= 0 && q < W) ? x + ((n * H + r) * W + q) * C : Z;
          }
      }
      float *o = V + t * Cp;
      int c = 0;
      for (; c + 4 <= C; c += 4) {
        v d[36];
        _Pragma("clang loop unroll(full)")
        for (int e = 0; e < 36; e++) d[e] = LD(p[e] + c);
        in_tile6(d, o + c, vs);
      }
      if (c < C) {
        v d[36];
        _Pragma("clang loop unroll(full)")
        for (int e = 0; e < 36; e++) d[e] = load_part(p[e] + c, C - c);
        in_tile6(d, o + c, vs);
      }
      if (++tx == TW) { tx = 0; if (++ty == TH) { ty = 0; n++; } }
    }
    zero_pad_tiles(V, 36, vs, nt, ntp, Cp);
    gemm_planes(V, U, M, 36, vs, us, ms, ntp, Cp, Kp);

    n = t0 / per; ty = (t0 % per) / TW; tx = (t0 % per) % TW;
    for (int t = 0; t < nt; t++) {
      const int oy = 4 * ty, ox = 4 * tx;
      const int nr = OH - oy < 4 ? OH - oy : 4, nc = OW - ox < 4 ? OW - ox : 4;
      float *y00 = y + ((n * OH + oy) * OW + ox) * K;
      const float *m = M + t * Kp;
      if (nr == 4 && nc == 4) out_tile6(m, ms, y00, OW, K, bias, act, 4, 4);
      else out_tile6(m, ms, y00, OW, K, bias, act, nr, nc);
      if (++tx == TW) { tx = 0; if (++ty == TH) { ty = 0; n++; } }
    }
  }
}
