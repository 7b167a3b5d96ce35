/* kern: dense kernels on row-major double arrays -- an exp that vectorises,
 * the logistic function over an array, and the small matrix products of a
 * network layer over a block of samples. Pure: no allocation, no threads,
 * no knowledge of networks (net.c owns the layers).
 *
 * Vectors are GCC/Clang vector extensions of 8 doubles (one AVX-512
 * register; the compiler splits them on narrower machines), so the same
 * source builds with or without -march=native and without intrinsics.
 * Every kernel is deterministic: a result depends only on the inputs and
 * the shapes, never on alignment, the thread count or the other rows. */
#ifndef HOUSENET_KERN_H
#define HOUSENET_KERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"

#include <math.h>

#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

/* Every function taking or returning a vector is static inline, so no
 * vector crosses a translation unit and the note that its calling
 * convention differs with and without AVX-512 does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"
/* Always inlined, never cloned: a clone would pass vectors after all. */
#define KERN_INLINE static inline __attribute__((always_inline))

/* Keeps the vector v in a register, opaque to the optimiser: a load the
 * compiler would fold into each use, or a loop of loads and stores it
 * would turn into a call to memcpy, stays as written. */
#if defined(__AVX512F__) && (defined(__GNUC__) || defined(__clang__))
#define KERN_IN_REGISTER(v) __asm__("" : "+v"(v))
#else
#define KERN_IN_REGISTER(v) ((void)0)
#endif

typedef double KernV8 __attribute__((vector_size(64)));
typedef int64_t KernI8 __attribute__((vector_size(64)));

KERN_INLINE KernV8 kern_splat(double d) { return (KernV8){ d, d, d, d, d, d, d, d }; }
KERN_INLINE KernV8 kern_load(const double *p) { KernV8 v; memcpy(&v, p, sizeof v); return v; }
KERN_INLINE void kern_store(double *p, KernV8 v) { memcpy(p, &v, sizeof v); }
/* Lane-wise m ? a : b for a mask m of all-ones / all-zeros lanes. */
KERN_INLINE KernV8 kern_select(KernI8 m, KernV8 a, KernV8 b) { return (KernV8)((m & (KernI8)a) | (~m & (KernI8)b)); }
/* a * b + c lane by lane, rounded once (a fused multiply-add) on every
 * path: one instruction with AVX-512 or FMA, libm's fma() (exact by its
 * definition, emulated on CPUs without FMA) on the baseline. */
KERN_INLINE KernV8 kern_fma(KernV8 a, KernV8 b, KernV8 c)
{
#if defined(__AVX512F__)
    return (KernV8)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
#elif defined(__FMA__)
    __m256d lo = _mm256_fmadd_pd(__builtin_shufflevector(a, a, 0, 1, 2, 3), __builtin_shufflevector(b, b, 0, 1, 2, 3),
                                 __builtin_shufflevector(c, c, 0, 1, 2, 3));
    __m256d hi = _mm256_fmadd_pd(__builtin_shufflevector(a, a, 4, 5, 6, 7), __builtin_shufflevector(b, b, 4, 5, 6, 7),
                                 __builtin_shufflevector(c, c, 4, 5, 6, 7));
    return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7);
#else
    for (int i = 0; i < 8; i++)
        c[i] = fma(a[i], b[i], c[i]);
    return c;
#endif
}

/* Sum of the 8 lanes, in a fixed order. */
KERN_INLINE double kern_hsum(KernV8 v)
{
    return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}

/* max(lo, min(hi, x)) lane by lane; NaN stays NaN. */
KERN_INLINE KernV8 kern_clamp8(KernV8 x, double lo, double hi)
{
#ifdef __AVX512F__
    /* vmaxpd/vminpd return their second operand when either is NaN. */
    __m512d v = _mm512_max_pd(_mm512_set1_pd(lo), (__m512d)x);
    return (KernV8)_mm512_min_pd(_mm512_set1_pd(hi), v);
#else
    x = kern_select((KernI8)(x < kern_splat(lo)), kern_splat(lo), x);
    return kern_select((KernI8)(x > kern_splat(hi)), kern_splat(hi), x);
#endif
}

/* The core of kern_expn for x[j] = max(lo, min(hi, v[j])): x = k ln2 + r,
 * with p[j] = exp(r) - 1 and k[j] = k. */
KERN_INLINE void kern_exp_core(const KernV8 *v, int m, double lo, double hi, KernV8 *p, KernI8 *k)
{
    const KernV8 shift = kern_splat(0x1.8p52); /* adding it rounds to an integer in the low bits */
    KernV8 r[8], n[8], r2[8], r4[8], r8[8], q0[8], q1[8], q2[8], q3[8];
    for (int j = 0; j < m; j++) {
        KernV8 x = kern_clamp8(v[j], lo, hi);
        KernV8 t = x * kern_splat(0x1.71547652b82fep0) + shift;
        n[j] = t - shift;
        k[j] = (KernI8)t - (KernI8)shift;
        r[j] = x - n[j] * kern_splat(0x1.62e42fee00000p-1); /* ln2, high part: n * it is exact */
    }
    for (int j = 0; j < m; j++)
        r[j] = r[j] - n[j] * kern_splat(0x1.a39ef35793c76p-33); /* ln2, low part */
    for (int j = 0; j < m; j++)
        r2[j] = r[j] * r[j];
    for (int j = 0; j < m; j++) {
        /* exp(r) - 1 = r + r^2 (1/2 + r/6) + r^4 (...) + r^8 (...) */
        q0[j] = kern_splat(1.0 / 2) + r[j] * kern_splat(1.0 / 6);
        q1[j] = kern_splat(1.0 / 24) + r[j] * kern_splat(1.0 / 120);
        q2[j] = kern_splat(1.0 / 720) + r[j] * kern_splat(1.0 / 5040);
        q3[j] = kern_splat(1.0 / 40320) + r[j] * kern_splat(1.0 / 362880);
    }
    for (int j = 0; j < m; j++) {
        r4[j] = r2[j] * r2[j];
        q1[j] = q1[j] + q2[j] * r2[j];
        q2[j] = (kern_splat(1.0 / 3628800) + r[j] * kern_splat(1.0 / 39916800)) +
                (kern_splat(1.0 / 479001600) + r[j] * kern_splat(1.0 / 6227020800.0)) * r2[j];
        q0[j] = r[j] + q0[j] * r2[j];
    }
    for (int j = 0; j < m; j++) {
        r8[j] = r4[j] * r4[j];
        q0[j] = q0[j] + q1[j] * r4[j];
        q3[j] = q3[j] + q2[j] * r2[j];
    }
    for (int j = 0; j < m; j++)
        p[j] = q0[j] + q3[j] * r8[j];
}

/* 2^k lane by lane, as an exponent field (k within the normal range). */
KERN_INLINE KernV8 kern_pow2(KernI8 k) { return (KernV8)((k + 1023) << 52); }

/* exp(x) lane by lane for the m vectors v[0..m), in place: within 2 ulp
 * of the exact value for x in [-708, 709]; arguments outside are clamped
 * to that range (so exp(-inf) is 3.3e-308, not 0, and exp(+inf) is
 * 8.2e307); NaN stays NaN.
 * Cody-Waite reduction x = k ln2 + r, |r| <= ln2/2, the degree-13 Taylor
 * polynomial of exp(r) (truncation error below 5e-18) evaluated by
 * Estrin's scheme, then 2^k as an exponent field. Every step runs over the
 * m vectors before the next one: with m a constant the independent chains
 * interleave and the polynomial's latency hides behind the other vectors'
 * work. */
KERN_INLINE void kern_expn(KernV8 *v, int m)
{
    KernV8 p[8];
    KernI8 k[8];
    kern_exp_core(v, m, -708.0, 709.0, p, k);
    for (int j = 0; j < m; j++)
        v[j] = (kern_splat(1.0) + p[j]) * kern_pow2(k[j]); /* the 1 added last, in one rounding */
}

/* tanh lane by lane for v[0..m), in place, from libm-free operations only
 * (glibc's tanh gives other bits on CPUs with and without FMA): with
 * t = expm1(2|x|) = 2^k p + (2^k - 1) from kern_exp_core, tanh |x| =
 * t / (t + 2), the sign of x put back. 2|x| is clamped to 44, where tanh is
 * 1 in double. Within 4 ulp of tanh() (tests/test_net.c); NaN stays NaN. */
KERN_INLINE void kern_tanhn(KernV8 *v, int m)
{
    const KernI8 sign = (KernI8)kern_splat(-0.0);
    KernV8 z[8], p[8];
    KernI8 k[8];
    for (int j = 0; j < m; j++)
        z[j] = (KernV8)((KernI8)v[j] & ~sign) * kern_splat(2.0);
    kern_exp_core(z, m, 0.0, 44.0, p, k);
    for (int j = 0; j < m; j++) {
        KernV8 s = kern_pow2(k[j]);
        KernV8 t = s * p[j] + (s - kern_splat(1.0));
        KernV8 h = t / (t + kern_splat(2.0));
        v[j] = (KernV8)((KernI8)h | ((KernI8)v[j] & sign));
    }
}

KERN_INLINE KernV8 kern_exp8(KernV8 x)
{
    kern_expn(&x, 1);
    return x;
}

/* The logistic function 1 / (1 + exp(-z)) lane by lane for v[0..m), in place. */
KERN_INLINE void kern_sigmoidn(KernV8 *v, int m)
{
    for (int j = 0; j < m; j++)
        v[j] = -v[j];
    kern_expn(v, m);
    for (int j = 0; j < m; j++)
        v[j] = kern_splat(1.0) / (kern_splat(1.0) + v[j]);
}

KERN_INLINE KernV8 kern_sigmoid8(KernV8 z)
{
    kern_sigmoidn(&z, 1);
    return z;
}

/* One lane of kern_expn, in scalar code: the same operations in the same
 * order (so the same bits on every path, -ffp-contract=off), for a single
 * sample, where a vector would carry seven idle lanes (tests/test_net.c
 * compares the two on every value class). */
KERN_INLINE double kern_exp1(double v)
{
    const double shift = 0x1.8p52, lo = -708.0, hi = 709.0;
    double x = v < lo ? lo : v; /* kern_clamp8: NaN stays NaN */
    x = x > hi ? hi : x;
    const double t = x * 0x1.71547652b82fep0 + shift;
    const double n = t - shift;
    uint64_t tb, sb;
    memcpy(&tb, &t, sizeof tb);
    memcpy(&sb, &shift, sizeof sb);
    const uint64_t k = tb - sb; /* two's complement: k + 1023 >= 0 below */
    double r = x - n * 0x1.62e42fee00000p-1;
    r = r - n * 0x1.a39ef35793c76p-33;
    const double r2 = r * r;
    double q0 = 1.0 / 2 + r * (1.0 / 6);
    double q1 = 1.0 / 24 + r * (1.0 / 120);
    double q2 = 1.0 / 720 + r * (1.0 / 5040);
    double q3 = 1.0 / 40320 + r * (1.0 / 362880);
    const double r4 = r2 * r2;
    q1 = q1 + q2 * r2;
    q2 = (1.0 / 3628800 + r * (1.0 / 39916800)) + (1.0 / 479001600 + r * (1.0 / 6227020800.0)) * r2;
    q0 = r + q0 * r2;
    const double r8 = r4 * r4;
    q0 = q0 + q1 * r4;
    q3 = q3 + q2 * r2;
    const double p = q0 + q3 * r8;
    const uint64_t eb = (k + 1023) << 52;
    double s;
    memcpy(&s, &eb, sizeof s);
    return (1.0 + p) * s;
}

/* One lane of kern_sigmoidn. */
KERN_INLINE double kern_sigmoid1(double z) { return 1.0 / (1.0 + kern_exp1(-z)); }

/* float32 vectors of 16 lanes (one AVX-512 register), for the float32
 * training mode: twice the samples per instruction of KernV8. */
typedef float KernF16 __attribute__((vector_size(64)));
typedef int32_t KernJ16 __attribute__((vector_size(64)));

KERN_INLINE KernF16 kern_splatf(float f)
{
    return (KernF16){ f, f, f, f, f, f, f, f, f, f, f, f, f, f, f, f };
}
KERN_INLINE KernF16 kern_loadf(const float *p) { KernF16 v; memcpy(&v, p, sizeof v); return v; }
KERN_INLINE void kern_storef(float *p, KernF16 v) { memcpy(p, &v, sizeof v); }
/* Lane-wise m ? a : b for a mask m of all-ones / all-zeros lanes. */
KERN_INLINE KernF16 kern_selectf(KernJ16 m, KernF16 a, KernF16 b)
{
    return (KernF16)((m & (KernJ16)a) | (~m & (KernJ16)b));
}
/* kern_fma in float. */
KERN_INLINE KernF16 kern_fmaf(KernF16 a, KernF16 b, KernF16 c)
{
#if defined(__AVX512F__)
    return (KernF16)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
#elif defined(__FMA__)
    __m256 lo = _mm256_fmadd_ps(__builtin_shufflevector(a, a, 0, 1, 2, 3, 4, 5, 6, 7),
                                __builtin_shufflevector(b, b, 0, 1, 2, 3, 4, 5, 6, 7),
                                __builtin_shufflevector(c, c, 0, 1, 2, 3, 4, 5, 6, 7));
    __m256 hi = _mm256_fmadd_ps(__builtin_shufflevector(a, a, 8, 9, 10, 11, 12, 13, 14, 15),
                                __builtin_shufflevector(b, b, 8, 9, 10, 11, 12, 13, 14, 15),
                                __builtin_shufflevector(c, c, 8, 9, 10, 11, 12, 13, 14, 15));
    return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#else
    for (int i = 0; i < 16; i++)
        c[i] = fmaf(a[i], b[i], c[i]);
    return c;
#endif
}

/* Sum of the 16 lanes, in a fixed order. */
KERN_INLINE float kern_hsumf(KernF16 v)
{
    KernF16 h = v + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    return ((h[0] + h[4]) + (h[2] + h[6])) + ((h[1] + h[5]) + (h[3] + h[7]));
}

/* max(lo, min(hi, x)) lane by lane; NaN stays NaN. */
KERN_INLINE KernF16 kern_clampf(KernF16 v, float lo, float hi)
{
#ifdef __AVX512F__
    __m512 c = _mm512_max_ps(_mm512_set1_ps(lo), (__m512)v);
    return (KernF16)_mm512_min_ps(_mm512_set1_ps(hi), c);
#else
    KernF16 x = kern_selectf((KernJ16)(v < kern_splatf(lo)), kern_splatf(lo), v);
    return kern_selectf((KernJ16)(x > kern_splatf(hi)), kern_splatf(hi), x);
#endif
}

/* The core of kern_expfn for x[j] = max(lo, min(hi, v[j])): x = k ln2 + r,
 * with p[j] = exp(r) - 1 and k[j] = k. */
KERN_INLINE void kern_expf_core(const KernF16 *v, int m, float lo, float hi, KernF16 *p, KernJ16 *k)
{
    const KernF16 shift = kern_splatf(0x1.8p23f);
    KernF16 r[8], n[8], r2[8], q0[8], q1[8];
    for (int j = 0; j < m; j++) {
        KernF16 x = kern_clampf(v[j], lo, hi);
        KernF16 t = x * kern_splatf(0x1.715476p0f) + shift;
        n[j] = t - shift;
        k[j] = (KernJ16)t - (KernJ16)shift;
        r[j] = x - n[j] * kern_splatf(0x1.62e4p-1f);        /* ln2, high part: n * it is exact */
        r[j] = r[j] - n[j] * kern_splatf(0x1.7f7d1cp-20f); /* ln2, low part */
    }
    for (int j = 0; j < m; j++) {
        r2[j] = r[j] * r[j];
        q0[j] = kern_splatf(1.0f / 2) + r[j] * kern_splatf(1.0f / 6);
        q1[j] = kern_splatf(1.0f / 24) + r[j] * kern_splatf(1.0f / 120);
    }
    for (int j = 0; j < m; j++) {
        KernF16 q2 = kern_splatf(1.0f / 720) + r[j] * kern_splatf(1.0f / 5040);
        KernF16 r4 = r2[j] * r2[j];
        q0[j] = r[j] + q0[j] * r2[j];
        q1[j] = q1[j] + q2 * r2[j];
        p[j] = q0[j] + q1[j] * r4;
    }
}

KERN_INLINE KernF16 kern_pow2f(KernJ16 k) { return (KernF16)((k + 127) << 23); }

/* expf lane by lane for v[0..m), in place: within 2 ulp of the exact value
 * for x in [-87, 88] (tests/test_net.c checks it against expf); arguments
 * outside are clamped to that range; NaN stays NaN. The scheme of
 * kern_expn in float: x = k ln2 + r, |r| <= ln2/2, then the degree-7
 * Taylor polynomial of exp(r) (truncation error below 6e-9, a tenth of a
 * float ulp) by Estrin's scheme, then 2^k as an exponent field. */
KERN_INLINE void kern_expfn(KernF16 *v, int m)
{
    KernF16 p[8];
    KernJ16 k[8];
    kern_expf_core(v, m, -87.0f, 88.0f, p, k);
    for (int j = 0; j < m; j++)
        v[j] = (kern_splatf(1.0f) + p[j]) * kern_pow2f(k[j]);
}

/* kern_tanhn in float: 2|x| clamped to 20, where tanhf is 1. */
KERN_INLINE void kern_tanhfn(KernF16 *v, int m)
{
    const KernJ16 sign = (KernJ16)kern_splatf(-0.0f);
    KernF16 z[8], p[8];
    KernJ16 k[8];
    for (int j = 0; j < m; j++)
        z[j] = (KernF16)((KernJ16)v[j] & ~sign) * kern_splatf(2.0f);
    kern_expf_core(z, m, 0.0f, 20.0f, p, k);
    for (int j = 0; j < m; j++) {
        KernF16 s = kern_pow2f(k[j]);
        KernF16 t = s * p[j] + (s - kern_splatf(1.0f));
        KernF16 h = t / (t + kern_splatf(2.0f));
        v[j] = (KernF16)((KernJ16)h | ((KernJ16)v[j] & sign));
    }
}

/* The logistic function in float lane by lane for v[0..m), in place. */
KERN_INLINE void kern_sigmoidfn(KernF16 *v, int m)
{
    for (int j = 0; j < m; j++)
        v[j] = -v[j];
    kern_expfn(v, m);
    for (int j = 0; j < m; j++)
        v[j] = kern_splatf(1.0f) / (kern_splatf(1.0f) + v[j]);
}

/* out[i] = exp(in[i]) (kern_exp8) for i < n; out may be in. */
void kern_exp(double *out, const double *in, size_t n);
/* v[i] = 1 / (1 + exp(-v[i])) for i < n, in place. */
void kern_sigmoid(double *v, size_t n);
/* v[i] = tanh(v[i]) (kern_tanhn) for i < n, in place. */
void kern_tanh(double *v, size_t n);

/* C = base + A B, the shape of every layer product:
 *   C (m, n), row stride ldc;  A(i, p) = a[i * sa + p * sp] for p < k (any strides);
 *   B (k, n), row stride ldb, contiguous along n;
 *   base = C itself when add, else the row vector bias (n) when not NULL, else 0.
 * Each C(i, j) is base + A(i,0) B(0,j) + A(i,1) B(1,j) + ..., added in order of p,
 * each product fused into the sum (kern_fma) in the vectorised columns.
 * Register tiles of 4 rows x 32 columns, vectorised along n; columns past
 * the last multiple of 8 are done one at a time. C must not overlap A or B. */
void kern_gemm(int m, int n, int k, const double *a, ptrdiff_t sa, ptrdiff_t sp,
               const double *b, ptrdiff_t ldb, double *c, ptrdiff_t ldc, const double *bias, int add);

/* C = base + A Bt^T with both operands contiguous along k (dot products):
 *   C (m, n), row stride ldc;  A (m, k), row stride lda;  Bt (n, k), row stride ldbt;
 *   base as for kern_gemm. Each dot product is summed in 8 lanes (p mod 8)
 * then across them (kern_hsum), the last k mod 8 terms one by one. For
 * narrow products (n < 8, or few rows) where kern_gemm cannot fill a vector. */
void kern_gemm_dot(int m, int n, int k, const double *a, ptrdiff_t lda, const double *bt, ptrdiff_t ldbt,
                   double *c, ptrdiff_t ldc, const double *bias, int add);

/* T (n, m), row stride ldt, = the transpose of S (m, n), row stride lds. */
void kern_transpose(int m, int n, const double *s, ptrdiff_t lds, double *t, ptrdiff_t ldt);

/* kern_sigmoid, kern_tanh, kern_gemm, kern_gemm_dot and kern_transpose in float, for
 * the float32 training mode: the same contracts, vectors of 16 floats
 * (KernF16) where the double ones have 8 (so the tiles are 4 rows x 64
 * columns, and kern_gemm_dotf sums in 16 lanes, the last k mod 16 terms one
 * by one), and the logistic and tanh of kern_sigmoidfn and kern_tanhfn. */
void kern_sigmoidf(float *v, size_t n);
void kern_tanhf(float *v, size_t n);
void kern_gemmf(int m, int n, int k, const float *a, ptrdiff_t sa, ptrdiff_t sp,
                const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc, const float *bias, int add);
void kern_gemm_dotf(int m, int n, int k, const float *a, ptrdiff_t lda, const float *bt, ptrdiff_t ldbt,
                    float *c, ptrdiff_t ldc, const float *bias, int add);
void kern_transposef(int m, int n, const float *s, ptrdiff_t lds, float *t, ptrdiff_t ldt);


/* ---- one set of kernels per instruction set ------------------------------
 * src/kern_isa.c is compiled once per x86-64 level (kern_baseline.c,
 * kern_avx2.c, kern_avx512.c), each copy filling one KernIsa with its
 * kernels and the block kernels of net.c; kern.c picks one at start-up
 * from cpuid (or HOUSENET_ISA) and the functions above and net.h's block
 * functions call through it. The paths give the same bytes: the vectors are
 * 8 doubles or 16 floats on every path, every reduction is written out in
 * C in a fixed order, nothing is contracted into an FMA (-ffp-contract=off)
 * but the explicit kern_fma of the matrix tiles, which every path fuses,
 * and no libm function but fma is called (docs/reproducibility.md). */
struct Net;
struct NetWork;
struct NetRun;
typedef struct KernIsa {
    const char *name; /* "baseline", "avx2" or "avx512" */
    void (*exp)(double *out, const double *in, size_t n);
    void (*sigmoid)(double *v, size_t n);
    void (*tanh)(double *v, size_t n);
    void (*gemm)(int m, int n, int k, const double *a, ptrdiff_t sa, ptrdiff_t sp, const double *b,
                 ptrdiff_t ldb, double *c, ptrdiff_t ldc, const double *bias, int add);
    void (*gemm_dot)(int m, int n, int k, const double *a, ptrdiff_t lda, const double *bt, ptrdiff_t ldbt,
                     double *c, ptrdiff_t ldc, const double *bias, int add);
    void (*transpose)(int m, int n, const double *s, ptrdiff_t lds, double *t, ptrdiff_t ldt);
    void (*sigmoidf)(float *v, size_t n);
    void (*tanhf)(float *v, size_t n);
    void (*gemmf)(int m, int n, int k, const float *a, ptrdiff_t sa, ptrdiff_t sp, const float *b,
                  ptrdiff_t ldb, float *c, ptrdiff_t ldc, const float *bias, int add);
    void (*gemm_dotf)(int m, int n, int k, const float *a, ptrdiff_t lda, const float *bt, ptrdiff_t ldbt,
                      float *c, ptrdiff_t ldc, const float *bias, int add);
    void (*transposef)(int m, int n, const float *s, ptrdiff_t lds, float *t, ptrdiff_t ldt);
    /* net.h's net_forward_block, net_backward_block, net_loss_block,
     * net_grad_block and net_grad_block_f32 */
    const double *(*forward_block)(const struct Net *net, const double *params, const double *x, int n,
                                   struct NetWork *w);
    double (*backward_block)(const struct Net *net, const double *params, const double *x, const double *y,
                             int n, struct NetWork *w, double *grad);
    double (*loss_block)(const struct Net *net, const double *params, const double *x, const double *y, int n,
                         struct NetWork *w);
    /* sum_k 1/2 (y[k] - h[k])^2 in k order: the sum loss_block takes of
     * forward_block's outputs */
    double (*sq_loss)(const double *h, const double *y, size_t count);
    double (*grad_block)(const struct Net *net, const double *params, const double *x, const double *y, int n,
                         struct NetWork *w, double *grad);
    double (*grad_block_f32)(const struct Net *net, const float *params, const float *x, const float *y,
                             int n, struct NetWork *w, double *grad);
    /* net.h's net_grad_runs221 and net_grad_runs221_f32 */
    double (*grad_runs221)(const double *params, const double *x, const double *y, const struct NetRun *runs,
                           int n, double *grad);
    double (*grad_runs221_f32)(const float *params, const float *x, const float *y, const struct NetRun *runs,
                               int n, double *grad);
} KernIsa;

/* The kernels in use: chosen before main runs, the widest path the CPU
 * supports unless HOUSENET_ISA names one. Never NULL. */
extern const KernIsa *kern_active;

/* How the start-up choice went: 0, or E_USAGE when HOUSENET_ISA named a
 * path that is unknown, not in this binary or not supported by this CPU
 * (the widest supported path is then in use; main reports it and exits). */
int kern_isa_status(Err *err);

/* Selects the path by name ("baseline", "avx2", "avx512"): 0, or E_USAGE
 * naming the paths available when name is unknown or unsupported here. */
int kern_isa_use(const char *name, Err *err);

/* The paths this binary holds that this CPU runs, narrowest first, as
 * "baseline avx2 avx512" (a static string). */
const char *kern_isa_available(void);

/* The version of the arithmetic: the exact sequence of floating-point
 * operations from a config and seed to the parameters. Stored in model.h5
 * (root attribute "arithmetic"); a change that alters any parameter byte
 * bumps it (docs/reproducibility.md says what each version means). */
#define NET_ARITHMETIC 2

/* x^e by binary powering: products only, the same bytes on every CPU
 * (libm's pow differs in the last bit between its FMA and non-FMA
 * variants). Not correctly rounded: within about 2 log2(e) ulp. */
static inline double kern_powi(double x, uint64_t e)
{
    double r = 1.0;
    for (; e; e >>= 1) {
        if (e & 1)
            r *= x;
        x *= x;
    }
    return r;
}

#endif
