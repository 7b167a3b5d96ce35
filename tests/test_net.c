/* Tests of src/net.c: the worked example to 1e-12, finite-difference
 * gradient checks over several architectures and activations, and seeded
 * initialisation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "rng.h"

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

/* Central differences of the summed block loss against the backward pass. */
static void check_gradient(int nin, const int *hidden, int nhidden, Activation act, Activation out_act)
{
    Net net;
    NetWork w;
    Err err = { 0 };
    assert_int_equal(net_init(&net, nin, hidden, nhidden, 1, act, out_act, &err), 0);
    net_init_uniform(&net, 7, 0.8);
    enum { N = 5 };
    assert_int_equal(network_init(&w, &net, N, &err), 0);
    double x[N * 16], y[N];
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
        cmocka_unit_test(test_one_step_lowers_the_loss),
        cmocka_unit_test(test_xavier_init_is_seeded_and_bounded),
        cmocka_unit_test(test_net_init_rejects_a_bad_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
