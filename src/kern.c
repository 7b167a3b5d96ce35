/* kern: the array kernels (see kern.h). The matrix products are register
 * tiled by hand: a tile of MR rows x NV vectors of C stays in registers
 * while p runs over k, so each B vector loaded is used MR times and each A
 * element broadcast NV times. With AVX-512 the 4 x 4 tile holds 16
 * accumulators of the 32 vector registers. */
#include "kern.h"

/* 32 elements at a time (four vectors whose chains interleave), then 8,
 * then the tail padded to a vector: every element goes through the same
 * operations wherever it sits. */
void kern_exp(double *out, const double *in, size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        KernV8 v[4];
        for (int j = 0; j < 4; j++)
            v[j] = kern_load(in + i + 8 * j);
        kern_expn(v, 4);
        for (int j = 0; j < 4; j++)
            kern_store(out + i + 8 * j, v[j]);
    }
    for (; i + 8 <= n; i += 8)
        kern_store(out + i, kern_exp8(kern_load(in + i)));
    if (i < n) {
        double t[8] = { 0 };
        memcpy(t, in + i, (n - i) * sizeof(double));
        kern_store(t, kern_exp8(kern_load(t)));
        memcpy(out + i, t, (n - i) * sizeof(double));
    }
}

void kern_sigmoid(double *v, size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        KernV8 z[4];
        for (int j = 0; j < 4; j++)
            z[j] = kern_load(v + i + 8 * j);
        kern_sigmoidn(z, 4);
        for (int j = 0; j < 4; j++)
            kern_store(v + i + 8 * j, z[j]);
    }
    for (; i + 8 <= n; i += 8)
        kern_store(v + i, kern_sigmoid8(kern_load(v + i)));
    if (i < n) {
        double t[8] = { 0 };
        memcpy(t, v + i, (n - i) * sizeof(double));
        kern_store(t, kern_sigmoid8(kern_load(t)));
        memcpy(v + i, t, (n - i) * sizeof(double));
    }
}

/* One tile of kern_gemm: rows [0, MR) and columns [0, 8 NV) of C. MR and NV
 * are constants at every call, so the loops unroll and acc lives in
 * registers. */
static inline __attribute__((always_inline)) void gemm_tile(int MR, int NV, int k, const double *a, ptrdiff_t sa,
                                                            ptrdiff_t sp, const double *b, ptrdiff_t ldb, double *c,
                                                            ptrdiff_t ldc, const double *bias, int add)
{
    KernV8 acc[4][4];
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++)
            acc[i][v] = add ? kern_load(c + i * ldc + 8 * v) : bias ? kern_load(bias + 8 * v) : kern_splat(0.0);
    for (int p = 0; p < k; p++) {
        const double *bp = b + p * ldb;
        KernV8 bv[4];
        for (int v = 0; v < NV; v++) {
            bv[v] = kern_load(bp + 8 * v);
            /* left alone, GCC folds this load into every FMA that uses
             * it (MR loads instead of one), and loads then bound the tile */
            KERN_IN_REGISTER(bv[v]);
        }
        for (int i = 0; i < MR; i++) {
            KernV8 av = kern_splat(a[i * sa + p * sp]);
            for (int v = 0; v < NV; v++)
                acc[i][v] += av * bv[v];
        }
    }
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < NV; v++)
            kern_store(c + i * ldc + 8 * v, acc[i][v]);
}

/* Columns [0, 8 NV) of C, all m rows: 4-row tiles, then single rows. */
static inline __attribute__((always_inline)) void gemm_panel(int NV, int m, int k, const double *a, ptrdiff_t sa,
                                                             ptrdiff_t sp, const double *b, ptrdiff_t ldb, double *c,
                                                             ptrdiff_t ldc, const double *bias, int add)
{
    int i = 0;
    for (; i + 4 <= m; i += 4)
        gemm_tile(4, NV, k, a + i * sa, sa, sp, b, ldb, c + i * ldc, ldc, bias, add);
    for (; i < m; i++)
        gemm_tile(1, NV, k, a + i * sa, sa, sp, b, ldb, c + i * ldc, ldc, bias, add);
}

void kern_gemm(int m, int n, int k, const double *a, ptrdiff_t sa, ptrdiff_t sp,
               const double *b, ptrdiff_t ldb, double *c, ptrdiff_t ldc, const double *bias, int add)
{
    int j = 0;
    for (; j + 32 <= n; j += 32)
        gemm_panel(4, m, k, a, sa, sp, b + j, ldb, c + j, ldc, bias ? bias + j : NULL, add);
    switch ((n - j) / 8) {
    case 3:
        gemm_panel(3, m, k, a, sa, sp, b + j, ldb, c + j, ldc, bias ? bias + j : NULL, add);
        j += 24;
        break;
    case 2:
        gemm_panel(2, m, k, a, sa, sp, b + j, ldb, c + j, ldc, bias ? bias + j : NULL, add);
        j += 16;
        break;
    case 1:
        gemm_panel(1, m, k, a, sa, sp, b + j, ldb, c + j, ldc, bias ? bias + j : NULL, add);
        j += 8;
        break;
    default:
        break;
    }
    for (; j < n; j++)
        for (int i = 0; i < m; i++) {
            double s = add ? c[i * ldc + j] : bias ? bias[j] : 0.0;
            for (int p = 0; p < k; p++)
                s += a[i * sa + p * sp] * b[p * ldb + j];
            c[i * ldc + j] = s;
        }
}

void kern_gemm_dot(int m, int n, int k, const double *a, ptrdiff_t lda, const double *bt, ptrdiff_t ldbt,
                   double *c, ptrdiff_t ldc, const double *bias, int add)
{
    const int k8 = k & ~7;
    for (int i = 0; i < m; i++) {
        const double *ai = a + i * lda;
        for (int j = 0; j < n; j++) {
            const double *bj = bt + j * ldbt;
            double s = add ? c[i * ldc + j] : bias ? bias[j] : 0.0;
            if (k8) {
                KernV8 acc = kern_load(ai) * kern_load(bj);
                for (int p = 8; p < k8; p += 8)
                    acc += kern_load(ai + p) * kern_load(bj + p);
                s += kern_hsum(acc);
            }
            for (int p = k8; p < k; p++)
                s += ai[p] * bj[p];
            c[i * ldc + j] = s;
        }
    }
}

/* T (8, 8) = S (8, 8)^T in three rounds of two-vector shuffles: pairs,
 * then pairs of pairs, then halves. */
static void transpose8(const double *s, ptrdiff_t lds, double *t, ptrdiff_t ldt)
{
    KernV8 r[8], u[8];
    for (int i = 0; i < 8; i++)
        r[i] = kern_load(s + i * lds);
    for (int i = 0; i < 8; i += 2) {
        u[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 2, 10, 4, 12, 6, 14);
        u[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 1, 9, 3, 11, 5, 13, 7, 15);
    }
    for (int i = 0; i < 8; i += 4)
        for (int j = 0; j < 2; j++) {
            r[i + j] = __builtin_shufflevector(u[i + j], u[i + j + 2], 0, 1, 8, 9, 4, 5, 12, 13);
            r[i + j + 2] = __builtin_shufflevector(u[i + j], u[i + j + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        }
    /* r[0..3] now hold columns 0..3 (low half) and 4..7 (high half) of rows 0-3; r[4..7] of rows 4-7. */
    for (int j = 0; j < 4; j++) {
        kern_store(t + j * ldt, __builtin_shufflevector(r[j], r[j + 4], 0, 1, 2, 3, 8, 9, 10, 11));
        kern_store(t + (j + 4) * ldt, __builtin_shufflevector(r[j], r[j + 4], 4, 5, 6, 7, 12, 13, 14, 15));
    }
}

void kern_transpose(int m, int n, const double *s, ptrdiff_t lds, double *t, ptrdiff_t ldt)
{
    const int m8 = m & ~7, n8 = n & ~7;
    for (int i0 = 0; i0 < m8; i0 += 8)
        for (int j0 = 0; j0 < n8; j0 += 8)
            transpose8(s + i0 * lds + j0, lds, t + j0 * ldt + i0, ldt);
    for (int i = 0; i < m; i++)
        for (int j = i < m8 ? n8 : 0; j < n; j++)
            t[j * ldt + i] = s[i * lds + j];
}
