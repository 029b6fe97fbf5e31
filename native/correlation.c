/*
 * Pearson correlation matrix of `series` rows of `window` samples.
 *
 * Design (why it is fast):
 *  1. Normalisation: one vectorised pass per row computes the sum, checks finiteness and whether
 *     every sample equals the first (zero variance); a second pass writes the centred row into a
 *     reused, 64-byte aligned scratch buffer and accumulates the centred sum of squares. Centring
 *     before the product (rather than Σxy − n·x̄·ȳ) keeps prices like 30 000 ± 1 exact.
 *  2. Product: the Gram matrix G = Xc·Xcᵀ of the centred rows, upper triangle only, with a 3×4
 *     register tile (12 FMA accumulators + 3 row registers + 1 column register = all 16 ymm
 *     registers on AVX2), blocked over the sample dimension so the tile rows stay in L1.
 *  3. r_ij = G_ij / sqrt(G_ii' G_jj') with the centred sums of squares, clamped to [-1, 1],
 *     mirrored to the lower triangle; diagonal exactly 1. A zero-variance series (all samples
 *     equal) gets NaN in its whole row and column, diagonal included.
 *
 * Paths: AVX2+FMA (x86-64, chosen once at init by __builtin_cpu_supports), NEON (aarch64), and a
 * portable scalar twin. BOT4_SIMD=0 in the environment at load forces the scalar path; setSimd()
 * flips it per N-API environment (main thread or worker) and each call may also name a path explicitly (tests compare them).
 *
 * C returns status codes; native/correlation.ts maps them to CorrelationInputError.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bot4.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define B4_HAVE_X86 1
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#define B4_HAVE_NEON 1
#endif

/* Status codes shared with native/correlation.ts (CORR_STATUS). Never renumber. */
enum {
  B4C_OK = 0,
  B4C_LENGTH_MISMATCH = 1,
  B4C_TOO_FEW_SERIES = 2,
  B4C_TOO_FEW_SAMPLES = 3,
  B4C_NON_FINITE = 4,
  B4C_OUT_LENGTH = 5,
  B4C_BAD_ARGUMENT = 6,
  B4C_NO_MEMORY = 7
};

/* Kernel selector passed from JS: 0 = the environment's current choice, 1 = scalar, 2 = best SIMD. */
enum { SEL_CURRENT = 0, SEL_SCALAR = 1, SEL_SIMD = 2 };
enum { PATH_SCALAR = 0, PATH_AVX2 = 1, PATH_NEON = 2 };

/* Samples per block of the product: 3 + 4 rows × KC doubles = 28 KiB, inside a 32–48 KiB L1. */
#ifndef KC
#define KC 512
#endif
#define ALIGN 64

/* Best path the CPU supports; computed once (idempotent, so no lock is needed across workers). */
static _Atomic int g_best_path = -1;

static int detect_best_path(void) {
  if (g_best_path >= 0) return g_best_path;
  int p = PATH_SCALAR;
#if defined(B4_HAVE_X86) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) p = PATH_AVX2;
#elif defined(B4_HAVE_NEON)
  p = PATH_NEON; /* NEON (Advanced SIMD) is mandatory on AArch64. */
#endif
  g_best_path = p;
  return p;
}

/* Per-environment state (one per main thread / worker): the scratch buffer and the active path. */
typedef struct {
  double *scratch;
  size_t cap; /* doubles */
  int active_path;
  int forced_off; /* BOT4_SIMD=0 at load */
} corr_state;

/* Freed by an environment cleanup hook (not instance data: counters.c may own that slot). */
static void state_cleanup(void *data) {
  corr_state *s = (corr_state *)data;
  if (s) {
    free(s->scratch);
    free(s);
  }
}

static double *scratch_get(corr_state *s, size_t doubles) {
  if (s->cap >= doubles) return s->scratch;
  size_t bytes = doubles * sizeof(double);
  bytes = (bytes + ALIGN - 1) / ALIGN * ALIGN; /* aligned_alloc wants a multiple of the alignment */
  void *p = aligned_alloc(ALIGN, bytes);
  if (!p) return NULL;
  free(s->scratch);
  s->scratch = (double *)p;
  s->cap = bytes / sizeof(double);
  return s->scratch;
}

static size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

/* ---------------------------------------------------------------------------------------------
 * Normalisation: returns B4C_OK or B4C_NON_FINITE. Writes centred rows (zero-padded to ld) and
 * inv[i] = 1/sqrt(Σ centred²), or NaN for a zero-variance series.
 * ------------------------------------------------------------------------------------------- */
static int center_scalar(const double *x, size_t n, size_t w, double *xc, size_t ld, double *inv) {
  for (size_t i = 0; i < n; i++) {
    const double *row = x + i * w;
    double *dst = xc + i * ld;
    const double first = row[0];
    double s0 = 0, s1 = 0, z = 0;
    int same = 1;
    size_t k = 0;
    for (; k + 1 < w; k += 2) {
      s0 += row[k];
      s1 += row[k + 1];
      z += row[k] * 0.0 + row[k + 1] * 0.0; /* NaN iff some sample is NaN or ±Inf */
      same &= (row[k] == first) & (row[k + 1] == first);
    }
    for (; k < w; k++) {
      s0 += row[k];
      z += row[k] * 0.0;
      same &= row[k] == first;
    }
    if (z != 0.0) return B4C_NON_FINITE; /* NaN compares unequal to 0 */
    const double mean = (s0 + s1) / (double)w;
    double q0 = 0, q1 = 0;
    k = 0;
    for (; k + 1 < w; k += 2) {
      const double c0 = row[k] - mean, c1 = row[k + 1] - mean;
      dst[k] = c0;
      dst[k + 1] = c1;
      q0 += c0 * c0;
      q1 += c1 * c1;
    }
    for (; k < w; k++) {
      const double c0 = row[k] - mean;
      dst[k] = c0;
      q0 += c0 * c0;
    }
    for (; k < ld; k++) dst[k] = 0.0;
    const double ss = q0 + q1;
    inv[i] = (same || !(ss > 0.0)) ? NAN : 1.0 / sqrt(ss);
  }
  return B4C_OK;
}

#if defined(B4_HAVE_X86)
__attribute__((target("avx2,fma"))) static inline double hsum256(__m256d v) {
  __m128d lo = _mm256_castpd256_pd128(v);
  __m128d hi = _mm256_extractf128_pd(v, 1);
  lo = _mm_add_pd(lo, hi);
  return _mm_cvtsd_f64(_mm_add_sd(lo, _mm_unpackhi_pd(lo, lo)));
}

__attribute__((target("avx2,fma"))) static int center_avx2(const double *x, size_t n, size_t w, double *xc, size_t ld,
                                                             double *inv) {
  for (size_t i = 0; i < n; i++) {
    const double *row = x + i * w;
    double *dst = xc + i * ld;
    const double first = row[0];
    const __m256d vfirst = _mm256_set1_pd(first);
    const __m256d zero = _mm256_setzero_pd();
    __m256d s0 = zero, s1 = zero, z = zero, diff = zero;
    size_t k = 0;
    for (; k + 8 <= w; k += 8) {
      const __m256d a = _mm256_loadu_pd(row + k), b = _mm256_loadu_pd(row + k + 4);
      s0 = _mm256_add_pd(s0, a);
      s1 = _mm256_add_pd(s1, b);
      z = _mm256_add_pd(z, _mm256_fmadd_pd(a, zero, _mm256_mul_pd(b, zero)));
      diff = _mm256_or_pd(diff, _mm256_or_pd(_mm256_cmp_pd(a, vfirst, _CMP_NEQ_UQ), _mm256_cmp_pd(b, vfirst, _CMP_NEQ_UQ)));
    }
    double s = hsum256(_mm256_add_pd(s0, s1));
    double zs = hsum256(z);
    int same = _mm256_movemask_pd(diff) == 0;
    for (; k < w; k++) {
      s += row[k];
      zs += row[k] * 0.0;
      same &= row[k] == first;
    }
    if (zs != 0.0) return B4C_NON_FINITE;
    const double mean = s / (double)w;
    const __m256d vmean = _mm256_set1_pd(mean);
    __m256d q0 = zero, q1 = zero;
    k = 0;
    /* dst rows are 64-byte aligned and ld is a multiple of 4, so aligned stores are valid. */
    for (; k + 8 <= w; k += 8) {
      const __m256d a = _mm256_sub_pd(_mm256_loadu_pd(row + k), vmean);
      const __m256d b = _mm256_sub_pd(_mm256_loadu_pd(row + k + 4), vmean);
      _mm256_store_pd(dst + k, a);
      _mm256_store_pd(dst + k + 4, b);
      q0 = _mm256_fmadd_pd(a, a, q0);
      q1 = _mm256_fmadd_pd(b, b, q1);
    }
    double ss = hsum256(_mm256_add_pd(q0, q1));
    for (; k < w; k++) {
      const double c = row[k] - mean;
      dst[k] = c;
      ss += c * c;
    }
    for (; k < ld; k++) dst[k] = 0.0;
    inv[i] = (same || !(ss > 0.0)) ? NAN : 1.0 / sqrt(ss);
  }
  return B4C_OK;
}

/* 3×4 tile over samples [0, kn): acc[r*4+c] (+)= Σ_k a_r[k]·b_c[k]. kn is a multiple of 4. */
__attribute__((target("avx2,fma"))) static void tile3x4_avx2(const double *a, const double *b, size_t ld, size_t kn,
                                                               double *acc, int add) {
  const double *a0 = a, *a1 = a + ld, *a2 = a + 2 * ld;
  const double *b0 = b, *b1 = b + ld, *b2 = b + 2 * ld, *b3 = b + 3 * ld;
  __m256d c00 = _mm256_setzero_pd(), c01 = c00, c02 = c00, c03 = c00;
  __m256d c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  __m256d c20 = c00, c21 = c00, c22 = c00, c23 = c00;
  for (size_t k = 0; k < kn; k += 4) {
    const __m256d x0 = _mm256_load_pd(a0 + k), x1 = _mm256_load_pd(a1 + k), x2 = _mm256_load_pd(a2 + k);
    __m256d y = _mm256_load_pd(b0 + k);
    c00 = _mm256_fmadd_pd(x0, y, c00);
    c10 = _mm256_fmadd_pd(x1, y, c10);
    c20 = _mm256_fmadd_pd(x2, y, c20);
    y = _mm256_load_pd(b1 + k);
    c01 = _mm256_fmadd_pd(x0, y, c01);
    c11 = _mm256_fmadd_pd(x1, y, c11);
    c21 = _mm256_fmadd_pd(x2, y, c21);
    y = _mm256_load_pd(b2 + k);
    c02 = _mm256_fmadd_pd(x0, y, c02);
    c12 = _mm256_fmadd_pd(x1, y, c12);
    c22 = _mm256_fmadd_pd(x2, y, c22);
    y = _mm256_load_pd(b3 + k);
    c03 = _mm256_fmadd_pd(x0, y, c03);
    c13 = _mm256_fmadd_pd(x1, y, c13);
    c23 = _mm256_fmadd_pd(x2, y, c23);
  }
  /* Reduce four accumulators at once: hadd pairs, then fold the 128-bit halves. */
#define B4_RED4(r, p, q, s, t)                                                                                  \
  do {                                                                                                          \
    const __m256d h0 = _mm256_hadd_pd(p, q), h1 = _mm256_hadd_pd(s, t);                                        \
    const __m256d sw = _mm256_permute2f128_pd(h0, h1, 0x21);                                                  \
    const __m256d bl = _mm256_blend_pd(h0, h1, 0xC);                                                          \
    const __m256d v = _mm256_add_pd(sw, bl);                                                                  \
    if (add) _mm256_storeu_pd(acc + (r) * 4, _mm256_add_pd(_mm256_loadu_pd(acc + (r) * 4), v));               \
    else _mm256_storeu_pd(acc + (r) * 4, v);                                                                   \
  } while (0)
  B4_RED4(0, c00, c01, c02, c03);
  B4_RED4(1, c10, c11, c12, c13);
  B4_RED4(2, c20, c21, c22, c23);
#undef B4_RED4
}

__attribute__((target("avx2,fma"))) static void gram_avx2(const double *xc, size_t n, size_t ld, size_t w, double *out,
                                                            double *tiles) {
  /* tiles: per (i-block, j-block) 12 partial sums, kept across sample blocks. */
  const size_t nb_i = (n + 2) / 3, nb_j = (n + 3) / 4;
  const size_t kw = round_up(w, 4);
  for (size_t k0 = 0; k0 < kw; k0 += KC) {
    const size_t kn = kw - k0 < KC ? kw - k0 : KC;
    for (size_t bi = 0; bi < nb_i; bi++) {
      const size_t i0 = bi * 3;
      for (size_t bj = i0 / 4; bj < nb_j; bj++) {
        tile3x4_avx2(xc + i0 * ld + k0, xc + bj * 4 * ld + k0, ld, kn, tiles + (bi * nb_j + bj) * 12, k0 != 0);
      }
    }
  }
  for (size_t bi = 0; bi < nb_i; bi++) {
    const size_t i0 = bi * 3;
    for (size_t bj = i0 / 4; bj < nb_j; bj++) {
      const double *t = tiles + (bi * nb_j + bj) * 12;
      for (size_t r = 0; r < 3; r++) {
        const size_t i = i0 + r;
        if (i >= n) break;
        for (size_t c = 0; c < 4; c++) {
          const size_t j = bj * 4 + c;
          if (j >= i && j < n) out[i * n + j] = t[r * 4 + c];
        }
      }
    }
  }
}
#endif /* B4_HAVE_X86 */

#if defined(B4_HAVE_NEON)
/* 4×4 tile with 2-lane vectors: 16 accumulators + 4 + 1 of the 32 NEON registers. */
static void tile4x4_neon(const double *a, const double *b, size_t ld, size_t kn, double *acc, int add) {
  float64x2_t c[4][4];
  for (int r = 0; r < 4; r++)
    for (int q = 0; q < 4; q++) c[r][q] = vdupq_n_f64(0.0);
  for (size_t k = 0; k < kn; k += 2) {
    float64x2_t x[4];
    for (int r = 0; r < 4; r++) x[r] = vld1q_f64(a + r * ld + k);
    for (int q = 0; q < 4; q++) {
      const float64x2_t y = vld1q_f64(b + q * ld + k);
      for (int r = 0; r < 4; r++) c[r][q] = vfmaq_f64(c[r][q], x[r], y);
    }
  }
  for (int r = 0; r < 4; r++)
    for (int q = 0; q < 4; q++) {
      const double v = vaddvq_f64(c[r][q]);
      acc[r * 4 + q] = add ? acc[r * 4 + q] + v : v;
    }
}

static void gram_neon(const double *xc, size_t n, size_t ld, size_t w, double *out, double *tiles) {
  const size_t nb = (n + 3) / 4;
  const size_t kw = round_up(w, 4);
  for (size_t k0 = 0; k0 < kw; k0 += KC) {
    const size_t kn = kw - k0 < KC ? kw - k0 : KC;
    for (size_t bi = 0; bi < nb; bi++)
      for (size_t bj = bi; bj < nb; bj++)
        tile4x4_neon(xc + bi * 4 * ld + k0, xc + bj * 4 * ld + k0, ld, kn, tiles + (bi * nb + bj) * 16, k0 != 0);
  }
  for (size_t bi = 0; bi < nb; bi++)
    for (size_t bj = bi; bj < nb; bj++) {
      const double *t = tiles + (bi * nb + bj) * 16;
      for (size_t r = 0; r < 4; r++) {
        const size_t i = bi * 4 + r;
        if (i >= n) break;
        for (size_t q = 0; q < 4; q++) {
          const size_t j = bj * 4 + q;
          if (j >= i && j < n) out[i * n + j] = t[r * 4 + q];
        }
      }
    }
}
#endif /* B4_HAVE_NEON */

/* Portable twin: upper triangle, four partial sums per pair (same shape as the SIMD lanes). */
static void gram_scalar(const double *xc, size_t n, size_t ld, size_t w, double *out) {
  for (size_t i = 0; i < n; i++) {
    const double *a = xc + i * ld;
    for (size_t j = i; j < n; j++) {
      const double *b = xc + j * ld;
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      size_t k = 0;
      for (; k + 4 <= w; k += 4) {
        s0 += a[k] * b[k];
        s1 += a[k + 1] * b[k + 1];
        s2 += a[k + 2] * b[k + 2];
        s3 += a[k + 3] * b[k + 3];
      }
      for (; k < w; k++) s0 += a[k] * b[k];
      out[i * n + j] = (s0 + s1) + (s2 + s3);
    }
  }
}

/* Scales the upper triangle into correlations, clamps, mirrors, and sets the diagonal. */
static void finish(double *out, size_t n, const double *inv) {
  for (size_t i = 0; i < n; i++) {
    const double si = inv[i];
    out[i * n + i] = isnan(si) ? NAN : 1.0;
    for (size_t j = i + 1; j < n; j++) {
      double v = out[i * n + j] * si * inv[j]; /* NaN propagates from a zero-variance series */
      v = v > 1.0 ? 1.0 : (v < -1.0 ? -1.0 : v);
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
}

/* The whole computation; `path` is a PATH_* value the CPU supports. */
static int correlate(corr_state *st, const double *x, size_t n, size_t w, double *out, int path) {
  size_t ld = round_up(w, 4);
  if ((ld * sizeof(double)) % 4096 == 0) ld += 8; /* avoid 4 KiB aliasing between the tile's rows */
  /* AVX2 tiles read rows up to round_up(n, 3) and round_up(n, 4); NEON up to round_up(n, 4). */
  const size_t rows = round_up(n, 3) > round_up(n, 4) ? round_up(n, 3) : round_up(n, 4);
  const size_t nb_tiles = ((n + 2) / 3 + 1) * ((n + 3) / 4 + 1) * 16;
  const size_t need = rows * ld + n + nb_tiles;
  double *buf = scratch_get(st, need);
  if (!buf) return B4C_NO_MEMORY;
  double *xc = buf;
  double *inv = buf + rows * ld;
  double *tiles = inv + n;
  int rc;
#if defined(B4_HAVE_X86)
  if (path == PATH_AVX2) rc = center_avx2(x, n, w, xc, ld, inv);
  else
#endif
    rc = center_scalar(x, n, w, xc, ld, inv);
  if (rc != B4C_OK) return rc;
  if (path != PATH_SCALAR) memset(xc + n * ld, 0, (rows - n) * ld * sizeof(double));
#if defined(B4_HAVE_X86)
  if (path == PATH_AVX2) gram_avx2(xc, n, ld, w, out, tiles);
  else
#endif
#if defined(B4_HAVE_NEON)
      if (path == PATH_NEON) gram_neon(xc, n, ld, w, out, tiles);
  else
#endif
    gram_scalar(xc, n, ld, w, out);
  (void)tiles;
  finish(out, n, inv);
  return B4C_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Rolling co-moment update (RollingCorrelation.push's O(series²) part). The TS side computes the
 * O(series) vectors; this adds co[i][j] += dIn_i·eIn_j − dOut_i·eOut_j (full window) or
 * co[i][j] += dIn_i·eIn_j (filling) over the upper triangle. Same operations in the same order as
 * the TS loop and no FMA contraction (-std=c11 implies -ffp-contract=off), so results are
 * bit-identical to the TS twin; the AVX2 clone just does four pairs per instruction.
 * ------------------------------------------------------------------------------------------- */
#define B4_ROLLING_BODY                                                                  \
  for (size_t i = 0; i < n; i++) {                                                       \
    const double a = din[i], b = dout[i];                                                \
    double *row = co + i * n;                                                            \
    if (full)                                                                            \
      for (size_t j = i; j < n; j++) row[j] = row[j] + (a * ein[j] - b * eout[j]);       \
    else                                                                                 \
      for (size_t j = i; j < n; j++) row[j] = row[j] + a * ein[j];                       \
  }

static void rolling_scalar(double *restrict co, const double *restrict din, const double *restrict dout,
                           const double *restrict ein, const double *restrict eout, size_t n, int full) {
  B4_ROLLING_BODY
}

#if defined(B4_HAVE_X86)
__attribute__((target("avx2"))) static void rolling_avx2(double *restrict co, const double *restrict din,
                                                          const double *restrict dout, const double *restrict ein,
                                                          const double *restrict eout, size_t n, int full) {
  B4_ROLLING_BODY
}
#endif
#undef B4_ROLLING_BODY

static napi_value make_int(napi_env env, int32_t v);
static int get_f64(napi_env env, napi_value v, double **data, size_t *len);

typedef struct {
  double *co;  /* n × n */
  double *vec; /* dIn, dOut, eIn, eOut: 4 × n */
  size_t n;
  napi_ref co_ref, vec_ref; /* keep the buffers alive while their pointers are cached */
  corr_state *st;
} rolling_bound;

static void rolling_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  rolling_bound *rb = (rolling_bound *)data;
  napi_delete_reference(env, rb->co_ref);
  napi_delete_reference(env, rb->vec_ref);
  free(rb);
}

/* The bound update: update(full: boolean) -> undefined. No argument checks beyond the flag: the
 * pointers and sizes were validated once in rollingBind. */
static napi_value js_rolling_update(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  bool full = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, &data);
  if (argc >= 1) napi_get_value_bool(env, argv[0], &full);
  rolling_bound *rb = (rolling_bound *)data;
  const size_t n = rb->n;
  double *v = rb->vec;
#if defined(B4_HAVE_X86)
  if (rb->st->active_path == PATH_AVX2) {
    rolling_avx2(rb->co, v, v + n, v + 2 * n, v + 3 * n, n, full);
    return NULL;
  }
#endif
  rolling_scalar(rb->co, v, v + n, v + 2 * n, v + 3 * n, n, full);
  return NULL;
}

/* rollingBind(co: Float64Array(n*n), vec: Float64Array(4n), n) -> update function, or a status number. */
static napi_value js_rolling_bind(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok || argc < 3) return make_int(env, B4C_BAD_ARGUMENT);
  double *co = NULL, *vec = NULL;
  size_t colen = 0, veclen = 0;
  int64_t n64 = 0;
  if (get_f64(env, argv[0], &co, &colen) || get_f64(env, argv[1], &vec, &veclen) ||
      napi_get_value_int64(env, argv[2], &n64) != napi_ok)
    return make_int(env, B4C_BAD_ARGUMENT);
  if (n64 < 2) return make_int(env, B4C_TOO_FEW_SERIES);
  if (n64 > 1 << 24 || colen != (size_t)n64 * (size_t)n64 || veclen != 4 * (size_t)n64) return make_int(env, B4C_LENGTH_MISMATCH);
  rolling_bound *rb = (rolling_bound *)calloc(1, sizeof *rb);
  if (!rb) return make_int(env, B4C_NO_MEMORY);
  rb->co = co;
  rb->vec = vec;
  rb->n = (size_t)n64;
  rb->st = (corr_state *)data;
  napi_value fn;
  if (napi_create_reference(env, argv[0], 1, &rb->co_ref) != napi_ok) {
    free(rb);
    return make_int(env, B4C_BAD_ARGUMENT);
  }
  if (napi_create_reference(env, argv[1], 1, &rb->vec_ref) != napi_ok) {
    napi_delete_reference(env, rb->co_ref);
    free(rb);
    return make_int(env, B4C_BAD_ARGUMENT);
  }
  if (napi_create_function(env, "rollingUpdate", NAPI_AUTO_LENGTH, js_rolling_update, rb, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, rb, rolling_finalize, NULL, NULL) != napi_ok) {
    napi_delete_reference(env, rb->co_ref);
    napi_delete_reference(env, rb->vec_ref);
    free(rb);
    return make_int(env, B4C_NO_MEMORY);
  }
  return fn;
}

/* --------------------------------------------------------------------------------------------- N-API */

static const char *path_name(int p) { return p == PATH_AVX2 ? "avx2" : p == PATH_NEON ? "neon" : "scalar"; }


static napi_value make_int(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

/* Reads a Float64Array argument; returns 0 on success. */
static int get_f64(napi_env env, napi_value v, double **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return -1;
  napi_typedarray_type t;
  void *p = NULL;
  if (napi_get_typedarray_info(env, v, &t, len, &p, NULL, NULL) != napi_ok || t != napi_float64_array) return -1;
  *data = (double *)p;
  return 0;
}

/* correlation(data: Float64Array, series, window, out: Float64Array, kernel 0|1|2) -> status */
static napi_value js_correlation(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok || argc < 5) return make_int(env, B4C_BAD_ARGUMENT);
  corr_state *st = (corr_state *)data;
  if (!st) return make_int(env, B4C_BAD_ARGUMENT);
  double *x = NULL, *out = NULL;
  size_t xlen = 0, olen = 0;
  int64_t n64 = 0, w64 = 0;
  int32_t sel = 0;
  if (get_f64(env, argv[0], &x, &xlen) || get_f64(env, argv[3], &out, &olen)) return make_int(env, B4C_BAD_ARGUMENT);
  if (napi_get_value_int64(env, argv[1], &n64) != napi_ok || napi_get_value_int64(env, argv[2], &w64) != napi_ok ||
      napi_get_value_int32(env, argv[4], &sel) != napi_ok)
    return make_int(env, B4C_BAD_ARGUMENT);
  if (n64 < 2) return make_int(env, B4C_TOO_FEW_SERIES);
  if (w64 < 2) return make_int(env, B4C_TOO_FEW_SAMPLES);
  const size_t n = (size_t)n64, w = (size_t)w64;
  if (n > (size_t)1 << 24 || w > SIZE_MAX / 8 / (n + 16) || n * w != xlen) return make_int(env, B4C_LENGTH_MISMATCH);
  if (olen != n * n) return make_int(env, B4C_OUT_LENGTH);
  int path = sel == SEL_SCALAR ? PATH_SCALAR : sel == SEL_SIMD ? detect_best_path() : st->active_path;
  return make_int(env, correlate(st, x, n, w, out, path));
}

/* simdInfo() -> { available: 'avx2'|'neon'|'none', active: 'avx2'|'neon'|'scalar', forcedOff: boolean } */
static napi_value js_simd_info(napi_env env, napi_callback_info info) {
  void *data = NULL;
  napi_get_cb_info(env, info, NULL, NULL, NULL, &data);
  corr_state *st = (corr_state *)data;
  napi_value obj, v;
  napi_create_object(env, &obj);
  const int best = detect_best_path();
  napi_create_string_utf8(env, best == PATH_SCALAR ? "none" : path_name(best), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "available", v);
  napi_create_string_utf8(env, path_name(st ? st->active_path : PATH_SCALAR), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "active", v);
  napi_get_boolean(env, st ? st->forced_off != 0 : false, &v);
  napi_set_named_property(env, obj, "forcedOff", v);
  return obj;
}

/* setSimd(enabled: boolean) -> the active path name after the change. */
static napi_value js_set_simd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool on = true;
  void *data = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, &data);
  if (argc >= 1) napi_get_value_bool(env, argv[0], &on);
  corr_state *st = (corr_state *)data;
  napi_value r;
  if (st) st->active_path = on ? detect_best_path() : PATH_SCALAR;
  napi_create_string_utf8(env, path_name(st ? st->active_path : PATH_SCALAR), NAPI_AUTO_LENGTH, &r);
  return r;
}

napi_status bot4_register_correlation(napi_env env, napi_value exports) {
  corr_state *st = (corr_state *)calloc(1, sizeof *st);
  if (!st) return napi_generic_failure;
  const char *simd = getenv("BOT4_SIMD");
  st->forced_off = simd != NULL && strcmp(simd, "0") == 0;
  st->active_path = st->forced_off ? PATH_SCALAR : detect_best_path();
  napi_status s = napi_add_env_cleanup_hook(env, state_cleanup, st);
  if (s != napi_ok) {
    free(st);
    return s;
  }
  napi_property_descriptor props[] = {
      {"correlation", NULL, js_correlation, NULL, NULL, NULL, napi_default, st},
      {"simdInfo", NULL, js_simd_info, NULL, NULL, NULL, napi_default, st},
      {"setSimd", NULL, js_set_simd, NULL, NULL, NULL, napi_default, st},
      {"rollingBind", NULL, js_rolling_bind, NULL, NULL, NULL, napi_default, st},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
