/* Tests of src/optim.c and src/schedule.c: every update rule and schedule
 * against a calculation written out by hand. The problem is the quadratic
 * L(p) = 1/2 (p - 3)^2 in one parameter from p = 1, so dL/dp = p - 3. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <math.h>
#include <string.h>

#include "optim.h"
#include "schedule.h"

/* Two steps of kind on the quadratic at rate lr; returns p after each. */
static void two_steps(OptimKind kind, double lr, double weight_decay, double p_out[2])
{
    Optim o;
    Err err = { 0 };
    assert_int_equal(optim_init(&o, kind, 1, &err), 0);
    o.hp.weight_decay = weight_decay;
    double p = 1.0;
    for (int s = 0; s < 2; s++) {
        double g = p - 3.0;
        optim_step(&o, &p, &g, lr);
        p_out[s] = p;
    }
    assert_int_equal(o.t, 2);
    optim_free(&o);
}

static void test_sgd_steps_down_the_gradient(void **state)
{
    (void)state;
    double p[2];
    two_steps(OPT_SGD, 0.1, 0.0, p);
    /* g = -2: p = 1 + 0.2; g = -1.8: p = 1.2 + 0.18 */
    assert_close(p[0], 1.2, 1e-15);
    assert_close(p[1], 1.38, 1e-15);
}

static void test_momentum_accumulates_the_velocity(void **state)
{
    (void)state;
    double p[2];
    two_steps(OPT_MOMENTUM, 0.1, 0.0, p);
    /* v = -2, p = 1.2; g = -1.8, v = 0.9 * -2 - 1.8 = -3.6, p = 1.2 + 0.36 */
    assert_close(p[0], 1.2, 1e-15);
    assert_close(p[1], 1.56, 1e-15);
}

static void test_nesterov_steps_along_gradient_plus_decayed_velocity(void **state)
{
    (void)state;
    double p[2];
    two_steps(OPT_NESTEROV, 0.1, 0.0, p);
    /* v = -2, p = 1 - 0.1 (-2 + 0.9 * -2) = 1.38;
     * g = -1.62, v = 0.9 * -2 - 1.62 = -3.42, p = 1.38 - 0.1 (-1.62 + 0.9 * -3.42) = 1.8498 */
    assert_close(p[0], 1.38, 1e-15);
    assert_close(p[1], 1.8498, 1e-14);
}

static void test_adam_matches_two_steps_by_hand(void **state)
{
    (void)state;
    double p[2];
    two_steps(OPT_ADAM, 0.1, 0.0, p);
    /* step 1: g = -2, m = 0.1 * -2 = -0.2, v = 0.001 * 4 = 0.004;
     *   m^ = -0.2 / (1 - 0.9) = -2, v^ = 0.004 / (1 - 0.999) = 4;
     *   p = 1 - 0.1 * -2 / (2 + 1e-8) */
    double p1 = 1.0 + 0.2 / (2.0 + 1e-8);
    assert_close(p[0], p1, 1e-15);
    /* step 2: g = p1 - 3, m = 0.9 * -0.2 + 0.1 g, v = 0.999 * 0.004 + 0.001 g^2;
     *   m^ = m / (1 - 0.81), v^ = v / (1 - 0.998001) */
    double g = p1 - 3.0;
    double m = -0.18 + 0.1 * g, v = 0.003996 + 0.001 * g * g;
    double p2 = p1 - 0.1 * (m / 0.19) / (sqrt(v / 0.001999) + 1e-8);
    assert_close(p[1], p2, 1e-14);
    /* about 1.0999999995 then 1.1998...: each step moves by about lr */
    assert_close(p[1] - p[0], 0.1, 2e-3);
}

static void test_weight_decay_shrinks_the_parameters_before_the_step(void **state)
{
    (void)state;
    double p[2];
    two_steps(OPT_SGD, 0.1, 0.5, p);
    /* p = 1 (1 - 0.1 * 0.5) + 0.1 * 2 = 1.15; then 1.15 * 0.95 + 0.1 * 1.85 = 1.2775 */
    assert_close(p[0], 1.15, 1e-15);
    assert_close(p[1], 1.2775, 1e-15);
}

static void test_optimizer_names_round_trip_and_state_sizes(void **state)
{
    (void)state;
    const char *names[] = { "sgd", "momentum", "nesterov", "adam" };
    const int bufs[] = { 0, 1, 1, 2 };
    for (int k = 0; k < 4; k++) {
        OptimKind kind;
        assert_int_equal(optim_parse(names[k], &kind), 0);
        assert_int_equal(kind, k);
        assert_string_equal(optim_name(kind), names[k]);
        Optim o;
        Err err = { 0 };
        assert_int_equal(optim_init(&o, kind, 5, &err), 0);
        assert_int_equal(o.nbufs, bufs[k]);
        for (int b = 0; b < o.nbufs; b++)
            for (int i = 0; i < 5; i++)
                assert_true(o.buf[b][i] == 0.0);
        optim_free(&o);
        assert_null(o.buf[0]);
    }
    OptimKind kind;
    assert_int_equal(optim_parse("adamw", &kind), E_CONFIG);
}

static void test_step_schedule_multiplies_by_gamma_every_step_size_epochs(void **state)
{
    (void)state;
    Sched s = { .kind = SCHED_STEP, .step_size = 2, .gamma = 0.5 };
    const double want[] = { 0.1, 0.1, 0.05, 0.05, 0.025 };
    for (int e = 1; e <= 5; e++)
        assert_close(sched_lr(&s, 0.1, 1.0, e, 5, 0, 10), want[e - 1], 1e-17);
}

static void test_cosine_schedule_falls_from_the_rate_to_min_lr(void **state)
{
    (void)state;
    Sched s = { .kind = SCHED_COSINE, .min_lr = 0.01 };
    /* epoch e of 5: 0.01 + 0.09 (1 + cos(pi (e - 1) / 4)) / 2 */
    assert_close(sched_lr(&s, 0.1, 1.0, 1, 5, 0, 10), 0.1, 1e-17);
    assert_close(sched_lr(&s, 0.1, 1.0, 2, 5, 0, 10), 0.01 + 0.09 * (1 + sqrt(0.5)) / 2, 1e-16);
    assert_close(sched_lr(&s, 0.1, 1.0, 3, 5, 0, 10), 0.055, 1e-16);
    assert_close(sched_lr(&s, 0.1, 1.0, 5, 5, 0, 10), 0.01, 1e-16);
}

static void test_warmup_ramps_linearly_by_step(void **state)
{
    (void)state;
    Sched s = { .kind = SCHED_CONSTANT, .warmup_epochs = 2 };
    /* 2 epochs of 10 steps: step k runs at (k + 1) / 20 of the rate */
    assert_close(sched_lr(&s, 0.1, 1.0, 1, 5, 0, 10), 0.005, 1e-17);
    assert_close(sched_lr(&s, 0.1, 1.0, 1, 5, 9, 10), 0.05, 1e-17);
    assert_close(sched_lr(&s, 0.1, 1.0, 2, 5, 19, 10), 0.1, 1e-17);
    assert_close(sched_lr(&s, 0.1, 1.0, 3, 5, 25, 10), 0.1, 1e-17);
    /* the reductions multiply in */
    assert_close(sched_lr(&s, 0.1, 0.5, 3, 5, 25, 10), 0.05, 1e-17);
}

static void test_plateau_reduction_stops_at_min_lr(void **state)
{
    (void)state;
    Sched s = { .kind = SCHED_PLATEAU, .plateau_factor = 0.5, .min_lr = 0.02 };
    double scale = 1.0;
    const double want[] = { 0.5, 0.25, 0.2, 0.2 }; /* 0.1 * 0.2 = min_lr */
    for (int i = 0; i < 4; i++) {
        scale = sched_plateau_reduce(&s, 0.1, scale);
        assert_close(scale, want[i], 1e-16);
    }
    /* plateau runs at base * scale */
    assert_close(sched_lr(&s, 0.1, 0.25, 7, 10, 60, 10), 0.025, 1e-17);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_steps_down_the_gradient),
        cmocka_unit_test(test_momentum_accumulates_the_velocity),
        cmocka_unit_test(test_nesterov_steps_along_gradient_plus_decayed_velocity),
        cmocka_unit_test(test_adam_matches_two_steps_by_hand),
        cmocka_unit_test(test_weight_decay_shrinks_the_parameters_before_the_step),
        cmocka_unit_test(test_optimizer_names_round_trip_and_state_sizes),
        cmocka_unit_test(test_step_schedule_multiplies_by_gamma_every_step_size_epochs),
        cmocka_unit_test(test_cosine_schedule_falls_from_the_rate_to_min_lr),
        cmocka_unit_test(test_warmup_ramps_linearly_by_step),
        cmocka_unit_test(test_plateau_reduction_stops_at_min_lr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
