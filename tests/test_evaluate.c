/* Tests of what `housenet evaluate` is built from: the metrics
 * (src/metrics.c), the least-squares baseline (src/ols.c), block-wise
 * inference (src/infer.c) and the check that a re-derived split is the
 * model's own (io/evaluate.c). Expected values are worked out by hand in
 * the comments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "infer.h"
#include "metrics.h"
#include "ols.h"
#include "rng.h"

static void test_metrics_match_a_hand_calculation(void **state)
{
    (void)state;
    /* errors -10, 10, -30, 0: SSE 1100, |e| 50, |e|/y = .1 .05 .1 0;
     * mean y = 250, SST = 150^2 + 50^2 + 50^2 + 150^2 = 50000 */
    const double y[] = { 100, 200, 300, 400 }, h[] = { 110, 190, 330, 400 };
    Metrics m;
    metrics_compute(y, h, 4, NULL, &m);
    assert_int_equal(m.rows, 4);
    assert_close(m.rmse, sqrt(1100.0 / 4), 1e-12);
    assert_close(m.mae, 12.5, 1e-12);
    assert_close(m.mape, 6.25, 1e-12);
    assert_close(m.r2, 1.0 - 1100.0 / 50000.0, 1e-15);
    /* the same in normalised units (v - 250) / 100 mapped back */
    double yn[4], hn[4];
    for (int i = 0; i < 4; i++) {
        yn[i] = (y[i] - 250) / 100;
        hn[i] = (h[i] - 250) / 100;
    }
    Metrics b;
    Norm nm = { .y_shift = 250.0, .y_scale = 100.0 };
    metrics_compute(yn, hn, 4, &nm, &b);
    assert_close(b.rmse, m.rmse, 1e-10);
    assert_close(b.mae, m.mae, 1e-10);
    assert_close(b.mape, m.mape, 1e-10);
    assert_close(b.r2, m.r2, 1e-14);
    /* and out of log space: log(y) standardised, mapped back through exp */
    for (int i = 0; i < 4; i++) {
        yn[i] = (log(y[i]) - 5.0) / 0.5;
        hn[i] = (log(h[i]) - 5.0) / 0.5;
    }
    nm = (Norm){ .y_shift = 5.0, .y_scale = 0.5, .y_transform = TRANSFORM_LOG };
    metrics_compute(yn, hn, 4, &nm, &b);
    assert_close(b.rmse, m.rmse, 1e-9);
    assert_close(b.mape, m.mape, 1e-9);
    assert_close(b.r2, m.r2, 1e-12);
}

static void test_transforms_refuse_values_outside_their_domain_and_clip_on_the_way_back(void **state)
{
    (void)state;
    double v;
    assert_int_equal(transform_forward(TRANSFORM_LOG, 0.0, &v), -1);
    assert_int_equal(transform_forward(TRANSFORM_LOG, -3.0, &v), -1);
    assert_int_equal(transform_forward(TRANSFORM_LOG1P, -1.0, &v), -1);
    assert_int_equal(transform_forward(TRANSFORM_LOG1P, INFINITY, &v), -1);
    assert_int_equal(transform_forward(TRANSFORM_LOG1P, 0.0, &v), 0);
    assert_close(v, 0.0, 0.0);
    assert_int_equal(transform_forward(TRANSFORM_LOG, NAN, &v), 0); /* missing stays missing */
    assert_true(isnan(v));
    assert_int_equal(transform_forward(TRANSFORM_NONE, -5.0, &v), 0);
    assert_close(v, -5.0, 0.0);
    assert_int_equal(transform_forward(TRANSFORM_LOG, 215000.0, &v), 0);
    assert_close(transform_back(TRANSFORM_LOG, v), 215000.0, 1e-9);
    assert_int_equal(transform_forward(TRANSFORM_LOG1P, 3.5, &v), 0);
    assert_close(transform_back(TRANSFORM_LOG1P, v), 3.5, 1e-14);
    /* a wild log-space output stays finite: exp(1e6) would be inf */
    assert_close(transform_back(TRANSFORM_LOG, 1e6), exp(DATA_LOG_CLIP), 0.0);
    assert_close(transform_back(TRANSFORM_LOG, -1e6), exp(-DATA_LOG_CLIP), 0.0);
    assert_true(isfinite(transform_back(TRANSFORM_LOG1P, 1e300)));
}

static void test_metrics_skip_zero_targets_in_mape_and_give_nan_for_constant_y(void **state)
{
    (void)state;
    const double y[] = { 0, 5, 5 }, h[] = { 1, 4, 5 };
    Metrics m;
    metrics_compute(y, h, 3, NULL, &m);
    assert_close(m.mape, 100.0 * (1.0 / 5) / 2, 1e-12); /* rows 2 and 3 only */
    const double c[] = { 7, 7 }, hc[] = { 7, 8 };
    metrics_compute(c, hc, 2, NULL, &m);
    assert_true(isnan(m.r2));
    metrics_compute(c, hc, 0, NULL, &m);
    assert_true(isnan(m.rmse));
}

static void test_ols_fits_a_line_by_hand(void **state)
{
    (void)state;
    /* x = 1..4, y = 2 3 5 6: Sxy = 7, Sxx = 5, slope 1.4, intercept 4 - 1.4 * 2.5 = 0.5 */
    const double x[] = { 1, 2, 3, 4 }, y[] = { 2, 3, 5, 6 }, at[] = { 0, 5 };
    Ols o;
    Err err = { 0 };
    assert_int_equal(ols_fit(&o, x, y, 4, 1, &err), 0);
    double out[2];
    ols_predict(&o, at, 2, out);
    assert_close(out[0], 0.5, 1e-12);
    assert_close(out[1], 7.5, 1e-12);
    ols_free(&o);
    assert_null(o.beta);
}

static void test_ols_recovers_an_exact_plane_and_ignores_a_constant_column(void **state)
{
    (void)state;
    /* y = 3 + 2 x1 - x2 (x3 = 4 always) on 50 scattered rows */
    enum { N = 50 };
    double x[N * 3], y[N];
    Rng r = rng_stream(3, 4);
    for (int i = 0; i < N; i++) {
        x[3 * i] = 1000 * rng_uniform(&r);
        x[3 * i + 1] = rng_uniform(&r) - 0.5;
        x[3 * i + 2] = 4;
        y[i] = 3 + 2 * x[3 * i] - x[3 * i + 1];
    }
    Ols o;
    Err err = { 0 };
    if (ols_fit(&o, x, y, N, 3, &err))
        fail_msg("%s", err.msg);
    assert_true(o.beta[3] == 0.0);
    const double at[] = { 10, 2, 4 };
    double out;
    ols_predict(&o, at, 1, &out);
    assert_close(out, 3 + 20 - 2, 1e-9);
    ols_free(&o);
}

static void test_ols_reports_collinear_features(void **state)
{
    (void)state;
    double x[20], y[10];
    for (int i = 0; i < 10; i++) {
        x[2 * i] = i;
        x[2 * i + 1] = 3 * i + 1; /* an affine copy of the first */
        y[i] = i * i;
    }
    Ols o;
    Err err = { 0 };
    assert_int_equal(ols_fit(&o, x, y, 10, 2, &err), E_DATA);
    assert_non_null(strstr(err.msg, "collinear"));
    assert_null(o.beta);
}

static void test_ridge_shrinks_by_hand_and_fits_collinear_features(void **state)
{
    (void)state;
    /* one feature x = 0..9: z = (x - 4.5) / sd, sum z^2 = n, so
     * b1 = sum z y / (n + lambda) and b0 = mean y (not penalised) */
    double x[20], x1[10], y[10], sd = sqrt(8.25), szy = 0.0, my = 0.0;
    for (int i = 0; i < 10; i++) {
        x1[i] = x[2 * i] = i;
        x[2 * i + 1] = 3 * i + 1; /* an affine copy of the first */
        y[i] = i * i;
        szy += (i - 4.5) / sd * y[i];
        my += y[i] / 10;
    }
    Ols o;
    Err err = { 0 };
    assert_int_equal(ols_fit_ridge(&o, x1, y, 10, 1, 2.5, &err), 0);
    assert_close(o.beta[0], my, 1e-12);
    assert_close(o.beta[1], szy / (10 + 2.5), 1e-12);
    ols_free(&o);
    /* two identical standardised columns share the weight: b = sum z y / (2n + lambda) each */
    assert_int_equal(ols_fit_ridge(&o, x, y, 10, 2, 2.5, &err), 0);
    assert_close(o.beta[1], szy / (20 + 2.5), 1e-10);
    assert_close(o.beta[2], szy / (20 + 2.5), 1e-10);
    double h[1];
    ols_predict(&o, x, 1, h);
    assert_close(h[0], my - 2 * 4.5 / sd * szy / 22.5, 1e-9);
    ols_free(&o);
    assert_int_equal(ols_fit_ridge(&o, x, y, 10, 2, 0.0, &err), E_USAGE);
    assert_null(o.beta);
}

static void test_infer_rows_matches_a_hand_forward_pass_across_blocks(void **state)
{
    (void)state;
    /* 1 -> 1 tanh -> 1 linear: h = 0.5 tanh(2 x - 1) + 0.25 */
    Net net;
    Err err = { 0 };
    int hidden[] = { 1 };
    assert_int_equal(net_init(&net, 1, hidden, 1, 1, ACT_TANH, ACT_LINEAR, &err), 0);
    double p[] = { 2, -1, 0.5, 0.25 }; /* W1, b1, W2, b2 */
    memcpy(net.params, p, sizeof p);
    enum { N = INFER_BLOCK * 2 + 3 };
    double x[N], h[N];
    for (int i = 0; i < N; i++)
        x[i] = 0.01 * i - 0.5;
    Infer in;
    assert_int_equal(infer_init(&in, &net, &err), 0);
    infer_rows(&in, x, N, h);
    for (int i = 0; i < N; i++)
        assert_close(h[i], 0.5 * tanh(2 * x[i] - 1) + 0.25, 1e-15);
    infer_free(&in);
    net_free(&net);
}

/* A model and Splits whose statistics agree, or not. */
static void test_check_split_accepts_equal_statistics_and_names_a_changed_feature(void **state)
{
    (void)state;
    Err err = { 0 };
    Config c;
    cfg_defaults(&c);
    assert_int_equal(cfg_load_text(&c, "[data]\npath = d.csv\nfeatures = a, b\ntarget = y\n", "m.h5:/config", &err), 0);
    assert_int_equal(cfg_finish(&c, &err), 0);
    char *names[] = { "a", "b" };
    Model m = { 0 };
    m.nfeat = 2;
    m.feat_names = names;
    Splits sp = { 0 };
    assert_int_equal(norm_alloc(&m.norm, 2, &err), 0);
    assert_int_equal(norm_alloc(&sp.norm, 2, &err), 0);
    m.norm.x_shift[1] = sp.norm.x_shift[1] = 3.5;
    assert_int_equal(eval_check_split("m.h5", &m, &c, &sp, &err), 0);
    sp.norm.x_shift[1] = nextafter(3.5, 4.0);
    assert_int_equal(eval_check_split("m.h5", &m, &c, &sp, &err), E_STATE);
    assert_non_null(strstr(err.msg, "feature \"b\""));
    assert_non_null(strstr(err.msg, "pass the rows"));
    norm_free(&m.norm);
    norm_free(&sp.norm);
    cfg_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_match_a_hand_calculation),
        cmocka_unit_test(test_transforms_refuse_values_outside_their_domain_and_clip_on_the_way_back),
        cmocka_unit_test(test_metrics_skip_zero_targets_in_mape_and_give_nan_for_constant_y),
        cmocka_unit_test(test_ols_fits_a_line_by_hand),
        cmocka_unit_test(test_ols_recovers_an_exact_plane_and_ignores_a_constant_column),
        cmocka_unit_test(test_ols_reports_collinear_features),
        cmocka_unit_test(test_ridge_shrinks_by_hand_and_fits_collinear_features),
        cmocka_unit_test(test_infer_rows_matches_a_hand_forward_pass_across_blocks),
        cmocka_unit_test(test_check_split_accepts_equal_statistics_and_names_a_changed_feature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
