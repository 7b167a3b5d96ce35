/* Tests of src/net.c and src/kern.c: the worked example to 1e-12,
 * finite-difference gradient checks over several architectures and
 * activations, seeded initialisation, the vector exp and the blocked matrix
 * kernels against plain loops, the fused 2-2-1 kernel against the layered
 * one, trainer_grad's bit-identity across thread counts with each, and
 * the float32 exp and 2-2-1 kernel against their float64 counterparts
 * within a tolerance. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"
#include "net.h"
#include "rng.h"
#include "train.h"

/* The 2-2-1 network of ../shared/seed/worked_example.md. */
static void worked_net(Net *net)
{
    int hidden[] = { 2 };
    Err err = { 0 };
    assert_int_equal(net_init(net, 2, hidden, 1, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
    const double W1[] = { 0.2, 0.15, 0.5, 0.6 }, b1[] = { 0.1, 0.25 }, W2[] = { 0.3, 0.2 }, b2[] = { 0.4 };
    memcpy(net_W(net, net->params, 0), W1, sizeof W1);
    memcpy(net_b(net, net->params, 0), b1, sizeof b1);
    memcpy(net_W(net, net->params, 1), W2, sizeof W2);
    memcpy(net_b(net, net->params, 1), b2, sizeof b2);
}

static const double X[] = { -0.32, -0.66 };
static const double Y = -0.54;

static void test_worked_example_forward_values_match_the_text(void **state)
{
    (void)state;
    Net net;
    NetWork w;
    Err err = { 0 };
    worked_net(&net);
    assert_int_equal(network_init(&w, &net, 1, &err), 0);
    const double *h = net_forward_block(&net, net.params, X, 1, &w);
    assert_close(w.a[1][0], 0.48425520724575394, 1e-12);
    assert_close(w.a[1][1], 0.42409139255332623, 1e-12);
    assert_close(h[0], 0.6300948406843915, 1e-12);
    assert_close(net_loss_block(&net, net.params, X, &Y, 1, &w), 0.684560968098116, 1e-12);
    network_free(&w);
    net_free(&net);
}

static void test_worked_example_gradients_and_update_match_the_text(void **state)
{
    (void)state;
    Net net;
    NetWork w;
    Err err = { 0 };
    worked_net(&net);
    assert_int_equal(network_init(&w, &net, 1, &err), 0);
    double *g = calloc(net.nparams, sizeof(double));
    net_forward_block(&net, net.params, X, 1, &w);
    double loss = net_backward_block(&net, net.params, X, &Y, 1, &w, g);
    assert_close(loss, 0.684560968098116, 1e-12);
    const double *gW1 = net_W(&net, g, 0), *gb1 = net_b(&net, g, 0);
    const double *gW2 = net_W(&net, g, 1), *gb2 = net_b(&net, g, 1);
    assert_close(gW2[0], 0.5666245195728075, 1e-12);
    assert_close(gW2[1], 0.496227150405306, 1e-12);
    assert_close(gb2[0], 1.1700948406843916, 1e-12);
    assert_close(gW1[0], -0.028054429959988973, 1e-12);
    assert_close(gW1[1], -0.05786226179247726, 1e-12);
    assert_close(gW1[2], -0.018290015178697657, 1e-12);
    assert_close(gW1[3], -0.037723156306063925, 1e-12);
    assert_close(gb1[0], 0.08767009362496554, 1e-12);
    assert_close(gb1[1], 0.05715629743343018, 1e-12);

    for (size_t k = 0; k < net.nparams; k++)
        net.params[k] -= 0.2 * g[k];
    const double W1[] = { 0.2056108859919978, 0.16157245235849543, 0.5036580030357395, 0.6075446312612127 };
    const double b1[] = { 0.0824659812750069, 0.23856874051331395 };
    const double W2[] = { 0.18667509608543847, 0.1007545699189388 };
    for (int k = 0; k < 4; k++)
        assert_close(net_W(&net, net.params, 0)[k], W1[k], 1e-12);
    for (int k = 0; k < 2; k++) {
        assert_close(net_b(&net, net.params, 0)[k], b1[k], 1e-12);
        assert_close(net_W(&net, net.params, 1)[k], W2[k], 1e-12);
    }
    assert_close(net_b(&net, net.params, 1)[0], 0.1659810318631217, 1e-12);
    const double *h = net_forward_block(&net, net.params, X, 1, &w);
    assert_close(h[0], 0.2974198371667385, 1e-12);
    assert_close(net_loss_block(&net, net.params, X, &Y, 1, &w), 0.3506359918401834, 1e-12);
    free(g);
    network_free(&w);
    net_free(&net);
}

/* Central differences of the summed loss of an N-sample block against the
 * backward pass. */
static void check_gradient_n(int nin, const int *hidden, int nhidden, Activation act, Activation out_act, int N)
{
    Net net;
    NetWork w;
    Err err = { 0 };
    assert_int_equal(net_init(&net, nin, hidden, nhidden, 1, act, out_act, &err), 0);
    net_init_uniform(&net, 7, 0.8);
    assert_int_equal(network_init(&w, &net, N, &err), 0);
    double x[16 * 16], y[16];
    assert_true(N <= 16 && nin <= 16);
    Rng r = rng_stream(3, 99);
    for (int k = 0; k < N * nin; k++)
        x[k] = 2.0 * rng_uniform(&r) - 1.0;
    for (int k = 0; k < N; k++)
        y[k] = 2.0 * rng_uniform(&r) - 1.0;
    double *g = calloc(net.nparams, sizeof(double));
    net_forward_block(&net, net.params, x, N, &w);
    net_backward_block(&net, net.params, x, y, N, &w, g);
    double worst = 0.0;
    for (size_t k = 0; k < net.nparams; k++) {
        double keep = net.params[k], eps = 1e-6;
        net.params[k] = keep + eps;
        double lp = net_loss_block(&net, net.params, x, y, N, &w);
        net.params[k] = keep - eps;
        double lm = net_loss_block(&net, net.params, x, y, N, &w);
        net.params[k] = keep;
        double fd = (lp - lm) / (2 * eps);
        /* Central differences are good to ~1e-10 absolute at eps = 1e-6. */
        double bad = fabs(fd - g[k]) / (1e-8 + 1e-6 * fabs(fd));
        worst = bad > worst ? bad : worst;
    }
    if (worst > 1.0)
        fail_msg("gradient check %s/%s, %d hidden layers: worst error %g of tolerance (1e-8 + 1e-6 |fd|)",
                 act_name(act), act_name(out_act), nhidden, worst);
    free(g);
    network_free(&w);
    net_free(&net);
}

static void check_gradient(int nin, const int *hidden, int nhidden, Activation act, Activation out_act)
{
    check_gradient_n(nin, hidden, nhidden, act, out_act, 5);
}

static void test_backward_matches_finite_differences_for_every_activation(void **state)
{
    (void)state;
    int h1[] = { 2 }, h2[] = { 5, 4 }, h3[] = { 3, 6, 2 };
    check_gradient(2, h1, 1, ACT_SIGMOID, ACT_LINEAR);
    check_gradient(3, h2, 2, ACT_TANH, ACT_LINEAR);
    check_gradient(4, h3, 3, ACT_SIGMOID, ACT_SIGMOID);
    check_gradient(2, h2, 2, ACT_RELU, ACT_LINEAR);
    check_gradient(5, h1, 1, ACT_LINEAR, ACT_TANH);
    check_gradient(3, NULL, 0, ACT_SIGMOID, ACT_LINEAR); /* no hidden layer */
}

/* Units in the last place between got and want (want finite, nonzero). */
static double ulps(double got, double want)
{
    return fabs(got - want) / (nextafter(fabs(want), INFINITY) - fabs(want));
}

static void test_vector_exp_is_within_two_ulp_of_libm(void **state)
{
    (void)state;
    enum { N = 20011 }; /* not a multiple of 8 or 32: the tail runs too */
    double *x = malloc(N * sizeof(double)), *e = malloc(N * sizeof(double));
    Rng r = rng_stream(5, 1);
    for (int i = 0; i < N; i++)
        x[i] = i < N / 2 ? -708.0 + 1417.0 * rng_uniform(&r) : 8.0 * (rng_uniform(&r) - 0.5);
    kern_exp(e, x, N);
    double worst = 0.0;
    for (int i = 0; i < N; i++) {
        double u = ulps(e[i], exp(x[i]));
        worst = u > worst ? u : worst;
    }
    if (worst > 2.0)
        fail_msg("kern_exp is %g ulp from exp()", worst);
    const double odd[] = { NAN, -INFINITY, INFINITY, -1000.0, 0.0, -0.0, 1e-300 };
    double out[7];
    kern_exp(out, odd, 7);
    assert_true(isnan(out[0]));
    assert_true(out[1] > 0.0 && out[1] < 1e-307 && out[3] == out[1]);
    assert_true(isfinite(out[2]) && out[2] > 1e307);
    assert_true(out[4] == 1.0 && out[5] == 1.0 && out[6] == 1.0);
    free(x);
    free(e);
}

static void test_vector_tanh_is_within_four_ulp_of_libm(void **state)
{
    (void)state;
    enum { N = 20011 };
    double *x = malloc(N * sizeof(double)), *t = malloc(N * sizeof(double));
    float *xf = malloc(N * sizeof(float)), *tf = malloc(N * sizeof(float));
    Rng r = rng_stream(6, 1);
    for (int i = 0; i < N; i++) {
        double u = rng_uniform(&r);
        x[i] = i % 3 == 0 ? 50.0 * (u - 0.5) : i % 3 == 1 ? 4.0 * (u - 0.5) : ldexp(u - 0.5, -(i % 60));
        xf[i] = (float)x[i];
    }
    memcpy(t, x, N * sizeof(double));
    memcpy(tf, xf, N * sizeof(float));
    kern_tanh(t, N);
    kern_tanhf(tf, N);
    double worst = 0.0, worstf = 0.0;
    for (int i = 0; i < N; i++) {
        double want = tanh(x[i]), u = want == 0.0 ? fabs(t[i]) : ulps(t[i], want);
        worst = u > worst ? u : worst;
        float wf = tanhf(xf[i]);
        double uf = wf == 0.0f ? fabs(tf[i]) : fabs(tf[i] - wf) / (nextafterf(fabsf(wf), INFINITY) - fabsf(wf));
        worstf = uf > worstf ? uf : worstf;
    }
    if (worst > 4.0 || worstf > 4.0)
        fail_msg("kern_tanh is %g ulp from tanh(), kern_tanhf %g ulp from tanhf()", worst, worstf);
    double odd[] = { NAN, -INFINITY, INFINITY, -0.0, 0.0, 1e-300, -30.0 };
    kern_tanh(odd, 7);
    assert_true(isnan(odd[0]));
    assert_true(odd[1] == -1.0 && odd[2] == 1.0 && odd[6] == -1.0);
    assert_true(odd[3] == 0.0 && signbit(odd[3]) && odd[4] == 0.0 && !signbit(odd[4]) && odd[5] == 1e-300);
    free(x);
    free(t);
    free(xf);
    free(tf);
}

static void test_vector_sigmoid_matches_the_formula(void **state)
{
    (void)state;
    double v[45], want[45];
    for (int i = 0; i < 45; i++) {
        v[i] = -40.0 + 2.0 * i;
        want[i] = 1.0 / (1.0 + exp(-v[i]));
    }
    kern_sigmoid(v, 45);
    for (int i = 0; i < 45; i++)
        if (ulps(v[i], want[i]) > 3.0)
            fail_msg("sigmoid(%g) = %.17g, want %.17g", -40.0 + 2.0 * i, v[i], want[i]);
    double big[2] = { -1e6, 1e6 };
    kern_sigmoid(big, 2);
    assert_true(big[0] >= 0.0 && big[0] < 1e-300 && big[1] == 1.0);
}

/* C = base + A B by plain loops, A(i, p) = a[i sa + p sp]. */
static void gemm_ref(int m, int n, int k, const double *a, ptrdiff_t sa, ptrdiff_t sp, const double *b,
                     ptrdiff_t ldb, double *c, ptrdiff_t ldc, const double *bias, int add)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = add ? c[i * ldc + j] : bias ? bias[j] : 0.0;
            for (int p = 0; p < k; p++)
                s += a[i * sa + p * sp] * b[p * ldb + j];
            c[i * ldc + j] = s;
        }
}

static void fill(double *v, size_t n, Rng *r)
{
    for (size_t i = 0; i < n; i++)
        v[i] = 2.0 * rng_uniform(r) - 1.0;
}

static void test_blocked_matrix_kernels_match_plain_loops(void **state)
{
    (void)state;
    const int ms[] = { 1, 3, 4, 5, 13 }, ns[] = { 1, 7, 8, 9, 24, 33, 64, 70 }, ks[] = { 1, 2, 7, 8, 64 };
    enum { MAXM = 13, MAXN = 70, MAXK = 64, LD = 80 };
    double *a = malloc(MAXM * MAXK * sizeof(double)), *b = malloc(MAXK * LD * sizeof(double));
    double *bt = malloc(LD * MAXK * sizeof(double)), *bias = malloc(MAXN * sizeof(double));
    double *c = malloc(MAXM * LD * sizeof(double)), *want = malloc(MAXM * LD * sizeof(double));
    double *t = malloc(LD * MAXM * sizeof(double));
    Rng r = rng_stream(9, 4);
    for (size_t im = 0; im < sizeof ms / sizeof ms[0]; im++)
        for (size_t in = 0; in < sizeof ns / sizeof ns[0]; in++)
            for (size_t ik = 0; ik < sizeof ks / sizeof ks[0]; ik++)
                for (int mode = 0; mode < 6; mode++) {
                    int m = ms[im], n = ns[in], k = ks[ik], add = mode % 3 == 2, trans = mode >= 3;
                    const double *bi = mode % 3 == 1 ? bias : NULL;
                    /* A (m, k) row-major, or stored transposed (k, m) as the weight gradient reads it */
                    ptrdiff_t sa = trans ? 1 : k, sp = trans ? m : 1;
                    fill(a, (size_t)m * k, &r);
                    fill(b, (size_t)k * LD, &r);
                    fill(bias, MAXN, &r);
                    fill(c, (size_t)m * LD, &r);
                    memcpy(want, c, (size_t)m * LD * sizeof(double));
                    gemm_ref(m, n, k, a, sa, sp, b, LD, want, LD, bi, add);
                    kern_gemm(m, n, k, a, sa, sp, b, LD, c, LD, bi, add);
                    for (int i = 0; i < m * LD; i++)
                        if (fabs(c[i] - want[i]) > 1e-12)
                            fail_msg("kern_gemm m %d n %d k %d mode %d: C[%d] = %.17g, want %.17g", m, n, k, mode, i,
                                     c[i], want[i]);
                    if (trans)
                        continue;
                    /* the same product through dot products: Bt = B^T */
                    kern_transpose(k, n, b, LD, bt, MAXK);
                    for (int p = 0; p < k; p++)
                        for (int j = 0; j < n; j++)
                            assert_true(bt[j * MAXK + p] == b[p * LD + j]);
                    fill(c, (size_t)m * LD, &r);
                    memcpy(want, c, (size_t)m * LD * sizeof(double));
                    gemm_ref(m, n, k, a, sa, sp, b, LD, want, LD, bi, add);
                    kern_gemm_dot(m, n, k, a, k, bt, MAXK, c, LD, bi, add);
                    for (int i = 0; i < m * LD; i++)
                        if (fabs(c[i] - want[i]) > 1e-12)
                            fail_msg("kern_gemm_dot m %d n %d k %d mode %d: C[%d] = %.17g, want %.17g", m, n, k,
                                     mode, i, c[i], want[i]);
                }
    free(a);
    free(b);
    free(bt);
    free(bias);
    free(c);
    free(want);
    free(t);
}

/* Gradient and loss of n samples through net_grad_block, and by
 * net_forward_block + net_backward_block one sample at a time (the
 * narrow kernels), compared to 1e-12. */
static void check_block_against_rows(Net *net, int n, uint64_t seed)
{
    Err err = { 0 };
    NetWork wb, w1;
    assert_int_equal(network_init(&wb, net, n, &err), 0);
    assert_int_equal(network_init(&w1, net, 1, &err), 0);
    const int nin = net->width[0];
    double *x = malloc((size_t)n * nin * sizeof(double)), *y = malloc((size_t)n * sizeof(double));
    double *g = calloc(net->nparams, sizeof(double)), *want = calloc(net->nparams, sizeof(double));
    Rng r = rng_stream(seed, 7);
    fill(x, (size_t)n * nin, &r);
    fill(y, (size_t)n, &r);
    double loss = net_grad_block(net, net->params, x, y, n, &wb, g), lwant = 0.0;
    for (int s = 0; s < n; s++) {
        net_forward_block(net, net->params, x + (size_t)s * nin, 1, &w1);
        lwant += net_backward_block(net, net->params, x + (size_t)s * nin, y + s, 1, &w1, want);
    }
    assert_close(loss, lwant, 1e-12);
    for (size_t k = 0; k < net->nparams; k++)
        if (fabs(g[k] - want[k]) > 1e-12)
            fail_msg("%s kernel, %d samples: gradient[%zu] = %.17g, per-sample sum %.17g", net_block_kernel(net), n,
                     k, g[k], want[k]);
    free(x);
    free(y);
    free(g);
    free(want);
    network_free(&wb);
    network_free(&w1);
}

/* The worked example's loss and some of its gradient, from the text, to tol. */
static void worked_gradient_within(double loss, const double *g, double tol)
{
    assert_close(loss, 0.684560968098116, tol);
    assert_close(g[0], -0.028054429959988973, tol);
    assert_close(g[3], -0.037723156306063925, tol);
    assert_close(g[5], 0.05715629743343018, tol);
    assert_close(g[7], 0.496227150405306, tol);
    assert_close(g[8], 1.1700948406843916, tol);
}

static void test_fused_221_kernel_matches_the_layered_one(void **state)
{
    (void)state;
    Net net;
    Err err = { 0 };
    int hidden[] = { 2 };
    assert_int_equal(net_init(&net, 2, hidden, 1, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
    assert_string_equal(net_block_kernel(&net), "fused-2-2-1");
    const int ns[] = { 1, 5, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 200 };
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        net_init_uniform(&net, 3 + i, 1.5);
        check_block_against_rows(&net, ns[i], 11 + i);
    }
    /* the worked example through the fused kernel */
    net_free(&net);
    worked_net(&net);
    NetWork w;
    assert_int_equal(network_init(&w, &net, 1, &err), 0);
    double g[9] = { 0 };
    worked_gradient_within(net_grad_block(&net, net.params, X, &Y, 1, &w, g), g, 1e-12);
    network_free(&w);
    net_free(&net);
}

/* Values of every class an argument can take: ordinary, large enough to
 * overflow a product or saturate the sigmoid, tiny, signed zeros, the
 * clamp's edges, infinities and NaN. */
static double edge_value(Rng *r, int k)
{
    static const double EDGES[] = { 0.0, -0.0, 1e-310, -1e-310, 708.0, -708.0, 709.0, -709.0, 745.2, -745.2,
                                    1e200, -1e200, INFINITY, -INFINITY, NAN, 0.5, -0.5, 36.0, -36.0 };
    const int ne = (int)(sizeof EDGES / sizeof EDGES[0]);
    if (k % 3 == 0)
        return EDGES[rng_u64(r) % (uint64_t)ne];
    double u = rng_uniform(r) * 2.0 - 1.0;
    return k % 3 == 1 ? u * 4.0 : u * 800.0;
}

/* The same bits, or both NaN: the sign and payload of a NaN are not
 * arithmetic the compiler keeps (it may swap the operands of a product),
 * and a NaN step is rolled back whatever its bits. */
static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

/* Runs check(path, ctx) on every kernel path this CPU runs, then puts
 * back the path in use. */
static void each_path(void (*check)(const char *path, void *ctx), void *ctx)
{
    const KernIsa *start = kern_active;
    char names[64];
    snprintf(names, sizeof names, "%s", kern_isa_available());
    for (char *name = strtok(names, " "); name; name = strtok(NULL, " ")) {
        Err err = { 0 };
        assert_int_equal(kern_isa_use(name, &err), 0);
        check(name, ctx);
    }
    kern_active = start;
}

/* The 2-2-1 network and a workspace of a block, for the checks below. */
typedef struct Net221 {
    Net net;
    NetWork w;
    Rng r;
} Net221;

static void net221_init(Net221 *c, uint64_t seed)
{
    Err err = { 0 };
    int hidden[] = { 2 };
    assert_int_equal(net_init(&c->net, 2, hidden, 1, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
    assert_int_equal(network_init(&c->w, &c->net, NET_BLOCK, &err), 0);
    c->r = rng_stream(seed, 1);
}

static void net221_free(Net221 *c)
{
    network_free(&c->w);
    net_free(&c->net);
}

/* each_path(check) on a 2-2-1 network whose generator starts at seed. */
static void each_path_221(void (*check)(const char *path, void *ctx), uint64_t seed)
{
    Net221 c;
    net221_init(&c, seed);
    each_path(check, &c);
    net221_free(&c);
}

static void check_exp_lane(const char *path, void *ctx)
{
    const double *in = ctx;
    double ve[4096], vs[4096];
    kern_exp(ve, in, 4096);
    memcpy(vs, in, sizeof vs);
    kern_sigmoid(vs, 4096);
    for (int i = 0; i < 4096; i++) {
        double e1 = kern_exp1(in[i]), s1 = kern_sigmoid1(in[i]);
        if (!same_bits(e1, ve[i]) || !same_bits(s1, vs[i]))
            fail_msg("%s: x = %a: exp %a vs %a, sigmoid %a vs %a", path, in[i], e1, ve[i], s1, vs[i]);
    }
}

/* kern_exp1 and kern_sigmoid1 (scalar) against lanes of kern_expn and
 * kern_sigmoidn, bit for bit, on every value class and every path. */
static void test_scalar_exp_lane_matches_the_vector_bits(void **state)
{
    (void)state;
    Rng r = rng_stream(77, 1);
    double in[4096];
    for (int i = 0; i < 4096; i++)
        in[i] = edge_value(&r, i);
    each_path(check_exp_lane, in);
}

static void check_forward_221(const char *path, void *ctx)
{
    Net221 *c = ctx;
    double x[2 * NET_BLOCK];
    const double *p = c->net.params;
    for (int n = 1; n <= NET_BLOCK; n++) {
        for (int k = 0; k < 9; k++)
            c->net.params[k] = (rng_uniform(&c->r) * 2.0 - 1.0) * (n % 5 ? 3.0 : 300.0);
        for (int i = 0; i < 2 * n; i++)
            x[i] = edge_value(&c->r, i + n);
        const double *out = net_forward_block(&c->net, p, x, n, &c->w);
        const double *hid = c->w.a[1];
        for (int i = 0; i < n; i++) {
            const double a = x[2 * i], b = x[2 * i + 1];
            const double u = kern_sigmoid1(p[4] + a * p[0] + b * p[1]);
            const double v = kern_sigmoid1(p[5] + a * p[2] + b * p[3]);
            const double o = p[8] + u * p[6] + v * p[7];
            if (!same_bits(out[i], o) || !same_bits(hid[2 * i], u) || !same_bits(hid[2 * i + 1], v))
                fail_msg("%s, %d rows, row %d: fused %a (%a %a), layered %a (%a %a)", path, n, i, out[i],
                         hid[2 * i], hid[2 * i + 1], o, u, v);
        }
    }
}

/* net_forward_block of the 2-2-1 network (fused) against the layered
 * pass's arithmetic written out per row: each unit's sum bias first in
 * gemm_dot's order, the sigmoid lane kern_sigmoid1 (the vector's bits,
 * tested above); outputs and hidden activations bit for bit, for every
 * row count up to a block and on every path. */
static void test_fused_221_forward_has_the_bits_of_the_layered_one(void **state)
{
    (void)state;
    each_path_221(check_forward_221, 79);
}

static void check_row_221(const char *path, void *ctx)
{
    Net221 *c = ctx;
    for (int trial = 0; trial < 20000; trial++) {
        /* finite parameters, as every step starts with (train_run checks them after each);
         * the rows may hold anything */
        for (int k = 0; k < 9; k++)
            do
                c->net.params[k] = trial % 4 ? (rng_uniform(&c->r) * 2.0 - 1.0) * 3.0 : edge_value(&c->r, trial + k);
            while (!isfinite(c->net.params[k]));
        double x[2] = { edge_value(&c->r, trial), edge_value(&c->r, trial + 1) }, y = edge_value(&c->r, trial + 2);
        double gb[9], gr[9];
        for (int k = 0; k < 9; k++)
            gb[k] = gr[k] = trial % 2 ? 0.0 : (double)k - 4.0;
        double lb = net_grad_block(&c->net, c->net.params, x, &y, 1, &c->w, gb);
        double lr = net_grad_row221(c->net.params, x, y, gr);
        for (int k = 0; k < 10; k++) {
            double b = k < 9 ? gb[k] : lb, o = k < 9 ? gr[k] : lr;
            if (!same_bits(o, b))
                fail_msg("%s, trial %d, %s %d: the row kernel gives %a, the block %a", path, trial,
                         k < 9 ? "gradient element" : "loss", k, o, b);
        }
    }
}

/* net_grad_row221 against net_grad_block on one row, bit for bit: the
 * gradient added to a zero or nonzero start and the loss, on random and
 * extreme parameters and rows, on every path. */
static void test_row_221_kernel_matches_the_block_bits(void **state)
{
    (void)state;
    each_path_221(check_row_221, 78);
}

enum { RUN_SRC = 400, RUN_MAX = 3 * NET_BLOCK };

/* Checks net_grad_runs221 (and _f32) on the runs against net_grad_block
 * (and _f32) on the same rows gathered: gradient and loss bit for bit. */
static void check_runs_once(const char *path, Net221 *c, const double *sx, const double *sy, const NetRun *runs,
                            int nruns, int n)
{
    double x[2 * RUN_MAX], y[RUN_MAX], gb[9] = { 0 }, gr[9] = { 0 }, gbf[9] = { 0 }, grf[9] = { 0 };
    float sxf[2 * RUN_SRC], syf[RUN_SRC], xf[2 * RUN_MAX], yf[RUN_MAX], pf[9];
    for (int i = 0; i < RUN_SRC; i++) {
        sxf[2 * i] = (float)sx[2 * i];
        sxf[2 * i + 1] = (float)sx[2 * i + 1];
        syf[i] = (float)sy[i];
    }
    for (int k = 0; k < 9; k++)
        pf[k] = (float)c->net.params[k];
    for (int k = 0, s = 0; k < nruns; k++)
        for (int i = 0; i < runs[k].n; i++, s++) {
            const size_t r = runs[k].row + (size_t)i;
            memcpy(x + 2 * s, sx + 2 * r, 2 * sizeof(double));
            memcpy(xf + 2 * s, sxf + 2 * r, 2 * sizeof(float));
            y[s] = sy[r];
            yf[s] = syf[r];
        }
    const double *p = c->net.params;
    const double lb = net_grad_block(&c->net, p, x, y, n, &c->w, gb);
    const double lbf = net_grad_block_f32(&c->net, pf, xf, yf, n, &c->w, gbf);
    const double lr = net_grad_runs221(p, sx, sy, runs, n, gr);
    const double lrf = net_grad_runs221_f32(pf, sxf, syf, runs, n, grf);
    for (int k = 0; k < 10; k++) {
        double b = k < 9 ? gb[k] : lb, o = k < 9 ? gr[k] : lr;
        double bf = k < 9 ? gbf[k] : lbf, of = k < 9 ? grf[k] : lrf;
        if (!same_bits(o, b) || !same_bits(of, bf))
            fail_msg("%s, %d rows in %d runs, %s %d: in place %a (float32 %a), gathered %a (float32 %a)", path, n,
                     nruns, k < 9 ? "gradient element" : "loss", k, o, of, b, bf);
    }
}

static void check_runs_221(const char *path, void *ctx)
{
    Net221 *c = ctx;
    double sx[2 * RUN_SRC], sy[RUN_SRC];
    NetRun runs[RUN_MAX];
    for (int trial = 0; trial < 3000; trial++) {
        for (int k = 0; k < 9; k++)
            c->net.params[k] = (rng_uniform(&c->r) * 2.0 - 1.0) * (trial % 7 ? 3.0 : 300.0);
        for (int i = 0; i < RUN_SRC; i++) {
            sx[2 * i] = trial % 5 ? rng_uniform(&c->r) * 8.0 - 4.0 : edge_value(&c->r, 2 * i);
            sx[2 * i + 1] = trial % 5 ? rng_uniform(&c->r) * 8.0 - 4.0 : edge_value(&c->r, 2 * i + 1);
            sy[i] = trial % 5 ? rng_uniform(&c->r) * 8.0 - 4.0 : edge_value(&c->r, i + trial);
        }
        /* n rows in runs of 1 to 20 rows (or whole units of 16, as the
         * trainer makes them), each from anywhere in the source */
        const int n = 1 + (int)rng_below(&c->r, trial % 4 ? NET_BLOCK : RUN_MAX);
        int nruns = 0;
        for (int s = 0; s < n; nruns++) {
            int len = trial % 3 ? 1 + (int)rng_below(&c->r, 20) : 16;
            len = len < n - s ? len : n - s;
            runs[nruns] = (NetRun){ rng_below(&c->r, (uint64_t)(RUN_SRC - len + 1)), len };
            s += len;
        }
        check_runs_once(path, c, sx, sy, runs, nruns, n);
    }
}

/* net_grad_runs221 and net_grad_runs221_f32 (the rows read in place, run
 * by run) against the block kernels on the same rows copied into a block:
 * the same gradient and loss bits, for 1 to 192 rows (a block is 64; the
 * fused kernel takes more, 64 at a time, and a run may then span two) in
 * runs of any length and position, on every path. */
static void test_runs_221_kernel_matches_the_gathered_block_bits(void **state)
{
    (void)state;
    each_path_221(check_runs_221, 80);
}

/* Distance in float ulps of got from want (want rounded to float). */
static double ulpsf(float got, double want)
{
    float w = (float)want;
    return fabs((double)got - want) / (double)(nextafterf(fabsf(w), INFINITY) - fabsf(w));
}

static void test_float_exp_is_within_two_ulp_of_the_exact_value(void **state)
{
    (void)state;
    Rng r = rng_stream(6, 1);
    double worst = 0.0;
    float worst_at = 0.0f;
    for (int i = 0; i < 40000; i += 16) {
        KernF16 v;
        for (int j = 0; j < 16; j++)
            v[j] = (float)(i < 20000 ? -87.0 + 175.0 * rng_uniform(&r) : 8.0 * (rng_uniform(&r) - 0.5));
        KernF16 e = v;
        kern_expfn(&e, 1);
        for (int j = 0; j < 16; j++) {
            double u = ulpsf(e[j], exp((double)v[j]));
            if (u > worst) {
                worst = u;
                worst_at = v[j];
            }
        }
    }
    if (worst > 2.0)
        fail_msg("kern_expfn is %g ulp from exp() at %.9g", worst, (double)worst_at);
    KernF16 odd = { NAN, -INFINITY, INFINITY, -1000.0f, 0.0f, -0.0f, 1e-30f };
    kern_expfn(&odd, 1);
    assert_true(isnan(odd[0]));
    assert_true(odd[1] > 0.0f && odd[1] < 1e-37f && odd[3] == odd[1]);
    assert_true(isfinite(odd[2]) && odd[2] > 1e38f);
    assert_true(odd[4] == 1.0f && odd[5] == 1.0f && odd[6] == 1.0f);
}

/* The float32 tolerance of a block's summed gradient and loss: float
 * rounding (6e-8 relative) in the forward pass, the exp and the sums of n
 * terms of order one. */
#define F32_BLOCK_TOL(n) (1e-5 * (1.0 + (double)(n)))

static void test_float32_block_gradient_is_within_a_tolerance_of_float64(void **state)
{
    (void)state;
    Net net;
    Err err = { 0 };
    int hidden[] = { 2 };
    assert_int_equal(net_init(&net, 2, hidden, 1, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
    const int ns[] = { 1, 5, 15, 16, 17, 33, 63, 64, 65, 200 };
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        const int n = ns[i];
        net_init_uniform(&net, 30 + i, 1.5);
        NetWork w;
        assert_int_equal(network_init(&w, &net, n, &err), 0);
        double *x = malloc(2 * (size_t)n * sizeof(double)), *y = malloc((size_t)n * sizeof(double));
        float *xf = malloc(2 * (size_t)n * sizeof(float)), *yf = malloc((size_t)n * sizeof(float)), pf[9];
        Rng r = rng_stream(40 + i, 7);
        fill(x, 2 * (size_t)n, &r);
        fill(y, (size_t)n, &r);
        for (int k = 0; k < 2 * n; k++)
            xf[k] = (float)x[k];
        for (int k = 0; k < n; k++)
            yf[k] = (float)y[k];
        for (int k = 0; k < 9; k++)
            pf[k] = (float)net.params[k];
        double g[9] = { 0 }, gf[9] = { 0 };
        double loss = net_grad_block(&net, net.params, x, y, n, &w, g);
        double lossf = net_grad_block_f32(&net, pf, xf, yf, n, &w, gf);
        assert_close(lossf, loss, F32_BLOCK_TOL(n));
        for (int k = 0; k < 9; k++)
            if (!(fabs(gf[k] - g[k]) <= F32_BLOCK_TOL(n)))
                fail_msg("%d samples: float32 gradient[%d] = %.9g, float64 %.17g", n, k, gf[k], g[k]);
        free(x);
        free(y);
        free(xf);
        free(yf);
        network_free(&w);
    }
    net_free(&net);
    /* the worked example, in float */
    worked_net(&net);
    float pf[9], xf[2] = { (float)X[0], (float)X[1] }, yf = (float)Y;
    for (int k = 0; k < 9; k++)
        pf[k] = (float)net.params[k];
    double g[9] = { 0 };
    NetWork w;
    assert_int_equal(network_init(&w, &net, 1, &err), 0);
    worked_gradient_within(net_grad_block_f32(&net, pf, xf, &yf, 1, &w, g), g, 1e-6);
    network_free(&w);
    net_free(&net);
}

/* The layered float32 kernels against float64, for each hidden activation:
 * the summed loss and every gradient entry within F32_BLOCK_TOL(n) times
 * (1 + |the float64 entry|), Xavier weights, inputs and targets in [-1, 1]. */
static void test_float32_layered_block_gradient_is_within_a_tolerance_of_float64(void **state)
{
    (void)state;
    struct { int nin, nh, h[2]; int n; } shapes[] = {
        { 2, 2, { 64, 64 }, 64 }, { 2, 2, { 64, 64 }, 3 }, { 3, 2, { 12, 9 }, 13 }, { 9, 2, { 40, 17 }, 37 },
        { 2, 1, { 5 }, 64 },
    };
    const Activation acts[] = { ACT_SIGMOID, ACT_TANH, ACT_RELU, ACT_LINEAR };
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++)
        for (size_t a = 0; a < 4; a++) {
            Net net;
            NetWork w;
            Err err = { 0 };
            const int n = shapes[c].n, nin = shapes[c].nin;
            assert_int_equal(net_init(&net, nin, shapes[c].h, shapes[c].nh, 1, acts[a], ACT_LINEAR, &err), 0);
            net_init_xavier(&net, 50 + c);
            assert_int_equal(network_init(&w, &net, n, &err), 0);
            const size_t np = net.nparams, nx = (size_t)n * (size_t)nin;
            double *x = malloc(nx * sizeof(double)), *y = malloc((size_t)n * sizeof(double));
            double *g = calloc(np, sizeof(double)), *gf = calloc(np, sizeof(double));
            float *xf = malloc(nx * sizeof(float)), *yf = malloc((size_t)n * sizeof(float));
            float *pf = malloc(np * sizeof(float));
            Rng r = rng_stream(60 + c, 7);
            fill(x, nx, &r);
            fill(y, (size_t)n, &r);
            for (size_t k = 0; k < nx; k++)
                xf[k] = (float)x[k];
            for (int k = 0; k < n; k++)
                yf[k] = (float)y[k];
            for (size_t k = 0; k < np; k++)
                pf[k] = (float)net.params[k];
            double loss = net_grad_block(&net, net.params, x, y, n, &w, g);
            double lossf = net_grad_block_f32(&net, pf, xf, yf, n, &w, gf);
            assert_close(lossf, loss, F32_BLOCK_TOL(n) * (1.0 + fabs(loss)));
            for (size_t k = 0; k < np; k++)
                if (!(fabs(gf[k] - g[k]) <= F32_BLOCK_TOL(n) * (1.0 + fabs(g[k]))))
                    fail_msg("%s, shape %zu, %d samples: float32 gradient[%zu] = %.9g, float64 %.17g",
                             act_name(acts[a]), c, n, k, gf[k], g[k]);
            free(x);
            free(y);
            free(g);
            free(gf);
            free(xf);
            free(yf);
            free(pf);
            network_free(&w);
            net_free(&net);
        }
}

static void test_blocked_layers_match_per_sample_passes(void **state)
{
    (void)state;
    struct { int nin, nh, h[2]; Activation act; int n; } cases[] = {
        { 2, 2, { 64, 64 }, ACT_SIGMOID, 64 }, { 2, 2, { 64, 64 }, ACT_SIGMOID, 3 },
        { 3, 2, { 12, 9 }, ACT_TANH, 13 },     { 9, 2, { 40, 8 }, ACT_RELU, 37 },
        { 2, 1, { 33, 0 }, ACT_SIGMOID, 64 },  { 5, 1, { 2, 0 }, ACT_SIGMOID, 20 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Net net;
        Err err = { 0 };
        assert_int_equal(net_init(&net, cases[i].nin, cases[i].h, cases[i].nh, 1, cases[i].act, ACT_LINEAR, &err), 0);
        assert_string_equal(net_block_kernel(&net), "layered");
        net_init_xavier(&net, 21 + i);
        for (int l = 0; l < net.nlayers; l++) /* nonzero biases */
            for (int u = 0; u < net.width[l + 1]; u++)
                net_b(&net, net.params, l)[u] = 0.1 * (u % 5) - 0.2;
        check_block_against_rows(&net, cases[i].n, 40 + i);
        net_free(&net);
    }
}

static void test_wide_layers_match_finite_differences(void **state)
{
    (void)state;
    int h[] = { 12, 9 };
    check_gradient_n(3, h, 2, ACT_SIGMOID, ACT_LINEAR, 13);
    check_gradient_n(3, h, 2, ACT_RELU, ACT_SIGMOID, 13);
}

/* t.grad and the loss of one step for `threads` workers. */
static double *step_grad(const Net *net, const Dataset *d, int threads, double *loss)
{
    Trainer t;
    Err err = { 0 };
    assert_int_equal(trainer_init(&t, net, (int)d->n, threads, d->n, &err), 0);
    size_t *idx = malloc(d->n * sizeof *idx);
    for (size_t i = 0; i < d->n; i++)
        idx[i] = i;
    *loss = trainer_grad(&t, net, d, idx, d->n);
    free(idx);
    double *g = malloc(net->nparams * sizeof(double));
    memcpy(g, t.grad, net->nparams * sizeof(double));
    trainer_free(&t);
    return g;
}

/* Batches large enough that threads_for wakes every thread asked for. */
static void test_trainer_grad_is_bit_identical_for_1_2_and_3_threads_with_each_kernel(void **state)
{
    (void)state;
    struct { int nh, h[2]; size_t n; } cases[] = { { 1, { 2, 0 }, 65536 + 37 }, { 2, { 64, 64 }, 999 } };
    for (size_t c = 0; c < 2; c++) {
        Net net;
        Dataset d;
        Err err = { 0 };
        assert_int_equal(net_init(&net, 2, cases[c].h, cases[c].nh, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
        net_init_xavier(&net, 8);
        assert_int_equal(data_alloc(&d, cases[c].n, 2, &err), 0);
        Rng r = rng_stream(2, 3);
        fill(d.x, 2 * d.n, &r);
        fill(d.y, d.n, &r);
        double l1, lk;
        double *g1 = step_grad(&net, &d, 1, &l1);
        for (int threads = 2; threads <= 3; threads++) {
            double *gk = step_grad(&net, &d, threads, &lk);
            if (memcmp(g1, gk, net.nparams * sizeof(double)) != 0 || memcmp(&l1, &lk, sizeof l1) != 0)
                fail_msg("%s kernel: %d threads differ from 1", net_block_kernel(&net), threads);
            free(gk);
        }
        free(g1);
        data_free(&d);
        net_free(&net);
    }
}

/* trainer_predict_loss: the predictions of trainer_predict and the loss
 * of trainer_loss, bit for bit, from one pass, on 1 and 2 threads, for
 * a set that spans several groups of 64 blocks and a short last block. */
static void test_predict_loss_gives_the_bits_of_predict_and_loss(void **state)
{
    (void)state;
    struct { int nh, h[2]; size_t n; } cases[] = { { 1, { 2, 0 }, 64 * 64 * 2 + 37 }, { 2, { 16, 8 }, 333 } };
    for (size_t c = 0; c < 2; c++)
        for (int threads = 1; threads <= 2; threads++) {
            Net net;
            Dataset d;
            Trainer t;
            Err err = { 0 };
            assert_int_equal(net_init(&net, 2, cases[c].h, cases[c].nh, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
            net_init_xavier(&net, 5);
            assert_int_equal(data_alloc(&d, cases[c].n, 2, &err), 0);
            Rng r = rng_stream(4, 5);
            fill(d.x, 2 * d.n, &r);
            fill(d.y, d.n, &r);
            assert_int_equal(trainer_init(&t, &net, 64, threads, d.n, &err), 0);
            double *p1 = malloc(d.n * sizeof(double)), *p2 = malloc(d.n * sizeof(double));
            trainer_predict(&t, &net, &d, p1);
            double l1 = trainer_loss(&t, &net, &d), l2 = trainer_predict_loss(&t, &net, &d, p2);
            assert_memory_equal(p1, p2, d.n * sizeof(double));
            assert_memory_equal(&l1, &l2, sizeof l1);
            /* and the loss is the sum of the predictions' half squared errors, in row order within a block */
            double want = 0.0;
            for (size_t b = 0; b < d.n; b += NET_BLOCK) {
                double part = 0.0;
                for (size_t i = b; i < d.n && i < b + NET_BLOCK; i++)
                    part += 0.5 * (d.y[i] - p1[i]) * (d.y[i] - p1[i]);
                want += part;
            }
            assert_memory_equal(&l1, &(double){ want / (double)d.n }, sizeof l1);
            free(p1);
            free(p2);
            trainer_free(&t);
            data_free(&d);
            net_free(&net);
        }
}

static void test_one_step_lowers_the_loss(void **state)
{
    (void)state;
    Net net;
    NetWork w;
    Err err = { 0 };
    int hidden[] = { 4 };
    assert_int_equal(net_init(&net, 2, hidden, 1, 1, ACT_TANH, ACT_LINEAR, &err), 0);
    net_init_xavier(&net, 5);
    assert_int_equal(network_init(&w, &net, 4, &err), 0);
    const double x[] = { 0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7, 0.8 }, y[] = { 1, -1, 0.5, 0.2 };
    double *g = calloc(net.nparams, sizeof(double));
    net_forward_block(&net, net.params, x, 4, &w);
    double before = net_backward_block(&net, net.params, x, y, 4, &w, g);
    for (size_t k = 0; k < net.nparams; k++)
        net.params[k] -= 0.05 * g[k];
    double after = net_loss_block(&net, net.params, x, y, 4, &w);
    if (!(after < before))
        fail_msg("loss %g after one step, %g before", after, before);
    free(g);
    network_free(&w);
    net_free(&net);
}

static void test_xavier_init_is_seeded_and_bounded(void **state)
{
    (void)state;
    Net a, b;
    Err err = { 0 };
    int hidden[] = { 64, 64 };
    assert_int_equal(net_init(&a, 2, hidden, 2, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
    assert_int_equal(net_init(&b, 2, hidden, 2, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
    net_init_xavier(&a, 11);
    net_init_xavier(&b, 11);
    assert_memory_equal(a.params, b.params, a.nparams * sizeof(double));
    net_init_xavier(&b, 12);
    assert_true(memcmp(a.params, b.params, a.nparams * sizeof(double)) != 0);
    double s = sqrt(6.0 / (64 + 64));
    const double *W = net_W(&a, a.params, 1);
    for (int k = 0; k < 64 * 64; k++)
        assert_true(fabs(W[k]) <= s);
    assert_true(net_b(&a, a.params, 1)[0] == 0.0);
    net_free(&a);
    net_free(&b);
}

static void test_net_init_rejects_a_bad_shape(void **state)
{
    (void)state;
    Net net;
    Err err = { 0 };
    int hidden[] = { 0 };
    assert_int_equal(net_init(&net, 2, hidden, 1, 1, ACT_SIGMOID, ACT_LINEAR, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, "width 0"));
    assert_null(net.params);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example_forward_values_match_the_text),
        cmocka_unit_test(test_worked_example_gradients_and_update_match_the_text),
        cmocka_unit_test(test_backward_matches_finite_differences_for_every_activation),
        cmocka_unit_test(test_wide_layers_match_finite_differences),
        cmocka_unit_test(test_vector_exp_is_within_two_ulp_of_libm),
        cmocka_unit_test(test_vector_tanh_is_within_four_ulp_of_libm),
        cmocka_unit_test(test_vector_sigmoid_matches_the_formula),
        cmocka_unit_test(test_blocked_matrix_kernels_match_plain_loops),
        cmocka_unit_test(test_fused_221_kernel_matches_the_layered_one),
        cmocka_unit_test(test_scalar_exp_lane_matches_the_vector_bits),
        cmocka_unit_test(test_row_221_kernel_matches_the_block_bits),
        cmocka_unit_test(test_runs_221_kernel_matches_the_gathered_block_bits),
        cmocka_unit_test(test_fused_221_forward_has_the_bits_of_the_layered_one),
        cmocka_unit_test(test_float_exp_is_within_two_ulp_of_the_exact_value),
        cmocka_unit_test(test_float32_block_gradient_is_within_a_tolerance_of_float64),
        cmocka_unit_test(test_float32_layered_block_gradient_is_within_a_tolerance_of_float64),
        cmocka_unit_test(test_blocked_layers_match_per_sample_passes),
        cmocka_unit_test(test_trainer_grad_is_bit_identical_for_1_2_and_3_threads_with_each_kernel),
        cmocka_unit_test(test_predict_loss_gives_the_bits_of_predict_and_loss),
        cmocka_unit_test(test_one_step_lowers_the_loss),
        cmocka_unit_test(test_xavier_init_is_seeded_and_bounded),
        cmocka_unit_test(test_net_init_rejects_a_bad_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
