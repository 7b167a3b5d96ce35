/* kern_isa: every numeric kernel of one instruction set -- kern.h's array
 * kernels and net.h's block kernels -- and the KernIsa table that holds
 * them. Compiled once per x86-64 level: kern_baseline.c, kern_avx2.c and
 * kern_avx512.c each define KERN_ISA (the table's name suffix) and
 * KERN_ISA_NAME, then include this file; CMakeLists.txt gives each its
 * -m flags. kern.c chooses among the tables. Everything here is static but
 * the table, so the three copies never meet at link time.
 * The arithmetic is the same in each copy (kern.h's note above KernIsa):
 * only the instructions differ. */
#include <math.h>
#include <string.h>

#include "kern.h"
#include "net.h"

#ifndef KERN_ISA
#error "kern_isa.c is included by kern_baseline.c, kern_avx2.c or kern_avx512.c"
#endif
#define KERN_ISA_TABLE_(suffix) kern_isa_##suffix
#define KERN_ISA_TABLE(suffix) KERN_ISA_TABLE_(suffix)

/* 32 elements at a time (four vectors whose chains interleave), then 8,
 * then the tail padded to a vector: every element goes through the same
 * operations wherever it sits. */
static void exp_d(double *out, const double *in, size_t n)
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
#define KG_FMA kern_fma
#define KG_SIGMOIDN kern_sigmoidn
#define KG_TANHN kern_tanhn
#define KG_TILE gemm_tile
#define KG_PANEL gemm_panel
#define KG_GEMM gemm_d
#define KG_GEMM_DOT gemm_dot_d
#define KG_TRANSPOSE transpose_d
#define KG_SIGMOID sigmoid_d
#define KG_TANH tanh_d
#define KG_BLOCK8 transpose8
#include "gemm.inc"

#define KG_T float
#define KG_V KernF16
#define KG_W 16
#define KG_SPLAT kern_splatf
#define KG_LOAD kern_loadf
#define KG_STORE kern_storef
#define KG_HSUM kern_hsumf
#define KG_FMA kern_fmaf
#define KG_SIGMOIDN kern_sigmoidfn
#define KG_TANHN kern_tanhfn
#define KG_TILE gemm_tilef
#define KG_PANEL gemm_panelf
#define KG_GEMM gemmf
#define KG_GEMM_DOT gemm_dotf
#define KG_TRANSPOSE transposef
#define KG_SIGMOID sigmoidf
#define KG_TANH tanhf_
#include "gemm.inc"

/* The layered block kernels in float64 (net_forward_block,
 * net_backward_block) and float32 (forward_blockf, backward_blockf): one
 * source, layers.inc, included once per precision. */
#define NL_T double
#define NL_W 8
#define NL_GEMM gemm_d
#define NL_GEMM_DOT gemm_dot_d
#define NL_TRANSPOSE transpose_d
#define NL_SIGMOID sigmoid_d
#define NL_TANH tanh_d
#define NL_A(w) (w)->a
#define NL_DELTA(w) (w)->delta
#define NL_SCRATCH(w) (w)->scratch
#define NL_SCOPE static
#define NL_DENSE_FORWARD dense_forward
#define NL_ACT_BACKWARD act_backward
#define NL_DENSE_BACKWARD dense_backward
#define NL_LOSS block_loss
#define NL_FORWARD forward_block
#define NL_BACKWARD backward_block
#include "layers.inc"

#define NL_T float
#define NL_W 16
#define NL_GEMM gemmf
#define NL_GEMM_DOT gemm_dotf
#define NL_TRANSPOSE transposef
#define NL_SIGMOID sigmoidf
#define NL_TANH tanhf_
#define NL_A(w) (w)->af
#define NL_DELTA(w) (w)->deltaf
#define NL_SCRATCH(w) (w)->scratchf
#define NL_SCOPE static
#define NL_DENSE_FORWARD dense_forwardf
#define NL_ACT_BACKWARD act_backwardf
#define NL_DENSE_BACKWARD dense_backwardf
#define NL_LOSS block_lossf
#define NL_FORWARD forward_blockf
#define NL_BACKWARD backward_blockf
#include "layers.inc"

/* Rows s .. s + 8 of the 2-2-1 forward pass (forward221), from the 16
 * inputs at xs (8 rows x 2) into 8 outputs at out and 16 hidden values at
 * hid, both row-major. */
static inline __attribute__((always_inline)) void forward221_8(const double *p, const double *xs, double *hid,
                                                               double *out)
{
    const KernV8 lo = kern_load(xs), hi = kern_load(xs + 8);
    const KernV8 a = __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14);
    const KernV8 b = __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15);
    KernV8 h[2];
    h[0] = kern_splat(p[4]) + kern_splat(p[0]) * a + kern_splat(p[1]) * b;
    h[1] = kern_splat(p[5]) + kern_splat(p[2]) * a + kern_splat(p[3]) * b;
    kern_sigmoidn(h, 2);
    kern_store(out, kern_splat(p[8]) + h[0] * kern_splat(p[6]) + h[1] * kern_splat(p[7]));
    kern_store(hid, __builtin_shufflevector(h[0], h[1], 0, 8, 1, 9, 2, 10, 3, 11));
    kern_store(hid + 8, __builtin_shufflevector(h[0], h[1], 4, 12, 5, 13, 6, 14, 7, 15));
}

/* net_forward_block of the 2-2-1 sigmoid/linear network, 8 rows a vector:
 * each unit's sum in gemm_dot's order, bias first ((b + w0 x0) + w1 x1),
 * and the sigmoid of kern_sigmoidn, so the bits of the layered pass
 * (tests/test_net.c); the hidden activations go to w->a[1] as there. */
static const double *forward221(const double *p, const double *x, int n, struct NetWork *w)
{
    double *hid = w->a[1], *out = w->a[2];
    int s = 0;
    for (; s + 8 <= n; s += 8)
        forward221_8(p, x + 2 * s, hid + 2 * s, out + s);
    if (s < n) {
        double xt[16] = { 0 }, ht[16], ot[8];
        const size_t m = (size_t)(n - s);
        memcpy(xt, x + 2 * s, 2 * m * sizeof(double));
        forward221_8(p, xt, ht, ot);
        memcpy(hid + 2 * s, ht, 2 * m * sizeof(double));
        memcpy(out + s, ot, m * sizeof(double));
    }
    return out;
}

/* The forward pass: fused for the 2-2-1 network, a layer at a time for any other. */
static const double *forward_any(const struct Net *net, const double *params, const double *x, int n,
                                 struct NetWork *w)
{
    return net_is_221(net) ? forward221(params, x, n, w) : forward_block(net, params, x, n, w);
}

static double loss_block(const struct Net *net, const double *params, const double *x, const double *y, int n,
                         struct NetWork *w)
{
    const double *h = forward_any(net, params, x, n, w);
    return block_loss(h, y, (size_t)n * (size_t)net->width[net->nlayers]);
}

/* The fused 2-2-1 block kernel in float64 (grad221) and float32
 * (grad221f): one source, grad221.inc, included once per precision. */
#define G221_NAME grad221
#define G221_T double
#define G221_V KernV8
#define G221_W 8
#define G221_NV 2
#define G221_SPLAT kern_splat
#define G221_LOAD kern_load
#define G221_STORE kern_store
#define G221_HSUM kern_hsum
#define G221_SIGMOIDN kern_sigmoidn
#define G221_EVEN(lo, hi) __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14)
#define G221_ODD(lo, hi) __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15)
#include "grad221.inc"

#define G221_NAME grad221f
#define G221_T float
#define G221_V KernF16
#define G221_W 16
#define G221_NV 4
#define G221_SPLAT kern_splatf
#define G221_LOAD kern_loadf
#define G221_STORE kern_storef
#define G221_HSUM kern_hsumf
#define G221_SIGMOIDN kern_sigmoidfn
#define G221_EVEN(lo, hi) __builtin_shufflevector(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
#define G221_ODD(lo, hi) __builtin_shufflevector(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31)
#include "grad221.inc"

static double grad_block_f32(const struct Net *net, const float *params, const float *x, const float *y, int n,
                             struct NetWork *w, double *grad)
{
    /* A whole block (the trainer's, TRAIN_BLOCK rows) gets a copy of the
     * kernel with n constant: no tail code. */
    if (net_is_221(net)) {
        const NetRun all = { 0, n };
        return n == NET_BLOCK ? grad221f(params, x, y, &all, NET_BLOCK, grad) : grad221f(params, x, y, &all, n, grad);
    }
    memset(w->gradf, 0, net->nparams * sizeof(float));
    forward_blockf(net, params, x, n, w);
    double loss = backward_blockf(net, params, x, y, n, w, w->gradf);
    for (size_t k = 0; k < net->nparams; k++)
        grad[k] += (double)w->gradf[k];
    return loss;
}

static double grad_block(const struct Net *net, const double *params, const double *x, const double *y, int n,
                         struct NetWork *w, double *grad)
{
    if (net_is_221(net)) { /* n constant for a whole block: see grad_block_f32 */
        const NetRun all = { 0, n };
        return n == NET_BLOCK ? grad221(params, x, y, &all, NET_BLOCK, grad) : grad221(params, x, y, &all, n, grad);
    }
    forward_block(net, params, x, n, w);
    return backward_block(net, params, x, y, n, w, grad);
}

/* net_grad_runs221 and net_grad_runs221_f32: the rows read in place, n
 * constant for a whole block as above. */
static double grad_runs221(const double *params, const double *x, const double *y, const NetRun *runs, int n,
                           double *grad)
{
    return n == NET_BLOCK ? grad221(params, x, y, runs, NET_BLOCK, grad) : grad221(params, x, y, runs, n, grad);
}

static double grad_runs221f(const float *params, const float *x, const float *y, const NetRun *runs, int n,
                            double *grad)
{
    return n == NET_BLOCK ? grad221f(params, x, y, runs, NET_BLOCK, grad) : grad221f(params, x, y, runs, n, grad);
}

const KernIsa KERN_ISA_TABLE(KERN_ISA) = {
    .name = KERN_ISA_NAME,
    .exp = exp_d,
    .sigmoid = sigmoid_d,
    .tanh = tanh_d,
    .gemm = gemm_d,
    .gemm_dot = gemm_dot_d,
    .transpose = transpose_d,
    .sigmoidf = sigmoidf,
    .tanhf = tanhf_,
    .gemmf = gemmf,
    .gemm_dotf = gemm_dotf,
    .transposef = transposef,
    .forward_block = forward_any,
    .backward_block = backward_block,
    .loss_block = loss_block,
    .sq_loss = block_loss,
    .grad_block = grad_block,
    .grad_block_f32 = grad_block_f32,
    .grad_runs221 = grad_runs221,
    .grad_runs221_f32 = grad_runs221f,
};
