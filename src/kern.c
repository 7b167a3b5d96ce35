/* kern: the array kernels (see kern.h). The matrix products are register
 * tiled by hand: a tile of MR rows x NV vectors of C stays in registers
 * while p runs over k, so each B vector loaded is used MR times and each A
 * element broadcast NV times. With AVX-512 the 4 x 4 tile holds 16
 * accumulators of the 32 vector registers. They and the array logistic are
 * written once (gemm.inc) for double and for float. */
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

/* The float64 kernels, then the float32 ones: one source, gemm.inc. */
#define KG_T double
#define KG_V KernV8
#define KG_W 8
#define KG_SPLAT kern_splat
#define KG_LOAD kern_load
#define KG_STORE kern_store
#define KG_HSUM kern_hsum
#define KG_SIGMOIDN kern_sigmoidn
#define KG_TILE gemm_tile
#define KG_PANEL gemm_panel
#define KG_GEMM kern_gemm
#define KG_GEMM_DOT kern_gemm_dot
#define KG_TRANSPOSE kern_transpose
#define KG_SIGMOID kern_sigmoid
#define KG_BLOCK8 transpose8
#include "gemm.inc"

#define KG_T float
#define KG_V KernF16
#define KG_W 16
#define KG_SPLAT kern_splatf
#define KG_LOAD kern_loadf
#define KG_STORE kern_storef
#define KG_HSUM kern_hsumf
#define KG_SIGMOIDN kern_sigmoidfn
#define KG_TILE gemm_tilef
#define KG_PANEL gemm_panelf
#define KG_GEMM kern_gemmf
#define KG_GEMM_DOT kern_gemm_dotf
#define KG_TRANSPOSE kern_transposef
#define KG_SIGMOID kern_sigmoidf
#include "gemm.inc"
