/* Tests of src/train.c: the worked example through the trainer, the block
 * reduction, thread invariance on the Ames data, and convergence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "loader.h"
#include "rng.h"
#include "train.h"

static void load(const char *config, const char *const *sets, int nsets, Config *c, Splits *s, Net *net)
{
    Err err = { 0 };
    cfg_defaults(c);
    int rc = cfg_load(c, config, &err);
    for (int i = 0; !rc && i < nsets; i++)
        rc = cfg_set(c, sets[i], &err);
    if (!rc)
        rc = cfg_finish(c, &err);
    if (!rc)
        rc = loader_load(c, s, &err);
    if (!rc)
        rc = loader_build_net(c, c->nfeat, net, &err);
    if (rc)
        fail_msg("%s", err.msg);
}

/* Trains net on s's rows from scratch with plain SGD; returns train_run's code. */
static int train(const Config *c, Splits *s, Net *net, int threads, Err *err)
{
    Trainer t;
    Optim opt;
    int bs = c->batch_size < (int)s->train.n ? c->batch_size : (int)s->train.n;
    assert_int_equal(trainer_init(&t, net, bs, threads, s->train.n, err), 0);
    assert_int_equal(optim_init(&opt, OPT_SGD, net->nparams, err), 0);
    TrainOpts o = { c->epochs, bs, c->learning_rate, c->seed, threads, c->shuffle };
    TrainState st = train_state_start(&o);
    TrainData td = train_data_memory(&s->train);
    int rc = train_run(&t, net, &opt, &td, s->val.n ? &s->val : NULL, &o, &st, NULL, err);
    if (rc == 0)
        assert_int_equal(st.epoch, c->epochs);
    optim_free(&opt);
    trainer_free(&t);
    return rc;
}

static void test_training_the_seed_config_gives_the_worked_example_update(void **state)
{
    (void)state;
    Config c;
    Splits s;
    Net net;
    Trainer t;
    Err err = { 0 };
    load(SOURCE_DIR "/configs/seed_example.ini", NULL, 0, &c, &s, &net);
    assert_int_equal(s.train.n, 1);
    assert_int_equal(train(&c, &s, &net, 1, &err), 0);
    assert_int_equal(trainer_init(&t, &net, 1, 1, 1, &err), 0);
    const double want[] = { 0.2056108859919978, 0.16157245235849543, 0.5036580030357395, 0.6075446312612127,
                            0.0824659812750069, 0.23856874051331395,
                            0.18667509608543847, 0.1007545699189388, 0.1659810318631217 };
    assert_int_equal(net.nparams, 9);
    for (int k = 0; k < 9; k++)
        assert_close(net.params[k], want[k], 1e-12);
    assert_close(trainer_loss(&t, &net, &s.train), 0.3506359918401834, 1e-12);
    trainer_free(&t);
    net_free(&net);
    splits_free(&s);
    cfg_free(&c);
}

/* The batch gradient is the mean of the per-row gradients. */
static void test_batch_gradient_is_the_mean_of_row_gradients(void **state)
{
    (void)state;
    Err err = { 0 };
    Net net;
    int hidden[] = { 5, 3 };
    assert_int_equal(net_init(&net, 3, hidden, 2, 1, ACT_TANH, ACT_LINEAR, &err), 0);
    net_init_xavier(&net, 3);
    Dataset d;
    const size_t n = 200; /* four blocks, the last one partial */
    assert_int_equal(data_alloc(&d, n, 3, &err), 0);
    Rng r = rng_stream(1, 2);
    for (size_t k = 0; k < n * 3; k++)
        d.x[k] = rng_uniform(&r) - 0.5;
    for (size_t k = 0; k < n; k++)
        d.y[k] = rng_uniform(&r);
    Trainer t;
    assert_int_equal(trainer_init(&t, &net, (int)n, 2, n, &err), 0);
    size_t idx[200];
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    double loss = trainer_grad(&t, &net, &d, idx, n);
    double *mean = calloc(net.nparams, sizeof(double));
    double lsum = 0.0;
    NetWork w;
    assert_int_equal(network_init(&w, &net, 1, &err), 0);
    for (size_t i = 0; i < n; i++) {
        double *g = calloc(net.nparams, sizeof(double));
        net_forward_block(&net, net.params, d.x + i * 3, 1, &w);
        lsum += net_backward_block(&net, net.params, d.x + i * 3, d.y + i, 1, &w, g);
        for (size_t k = 0; k < net.nparams; k++)
            mean[k] += g[k] / (double)n;
        free(g);
    }
    assert_close(loss, lsum / (double)n, 1e-12);
    for (size_t k = 0; k < net.nparams; k++)
        assert_close(t.grad[k], mean[k], 1e-12);
    free(mean);
    network_free(&w);
    trainer_free(&t);
    data_free(&d);
    net_free(&net);
}

/* Parameters after a few epochs on Ames with `threads` workers. */
static double *ames_params(int threads, const char *batch, const char *hidden, size_t *np)
{
    char sets[3][64];
    snprintf(sets[0], sizeof sets[0], "train.batch_size=%s", batch);
    snprintf(sets[1], sizeof sets[1], "model.hidden=%s", hidden);
    snprintf(sets[2], sizeof sets[2], "train.epochs=3");
    const char *sp[] = { sets[0], sets[1], sets[2] };
    Config c;
    Splits s;
    Net net;
    Err err = { 0 };
    load(SOURCE_DIR "/configs/ames.ini", sp, 3, &c, &s, &net);
    assert_int_equal(train(&c, &s, &net, threads, &err), 0);
    double *p = malloc(net.nparams * sizeof(double));
    memcpy(p, net.params, net.nparams * sizeof(double));
    *np = net.nparams;
    net_free(&net);
    splits_free(&s);
    cfg_free(&c);
    return p;
}

static void test_parameters_are_bit_identical_for_1_2_3_and_8_threads(void **state)
{
    (void)state;
    const char *cases[][2] = { { "32", "2" }, { "300", "2" }, { "1000", "16,8" } };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n1, nk;
        double *p1 = ames_params(1, cases[c][0], cases[c][1], &n1);
        const int threads[] = { 2, 3, 8 };
        for (int i = 0; i < 3; i++) {
            double *pk = ames_params(threads[i], cases[c][0], cases[c][1], &nk);
            assert_int_equal(n1, nk);
            if (memcmp(p1, pk, n1 * sizeof(double)) != 0)
                fail_msg("batch %s hidden %s: %d threads differ from 1 thread", cases[c][0], cases[c][1], threads[i]);
            free(pk);
        }
        free(p1);
    }
}

static void test_training_lowers_the_validation_loss_on_ames(void **state)
{
    (void)state;
    const char *sp[] = { "train.epochs=30" };
    Config c;
    Splits s;
    Net net;
    Trainer t;
    Err err = { 0 };
    load(SOURCE_DIR "/configs/ames.ini", sp, 1, &c, &s, &net);
    assert_int_equal(trainer_init(&t, &net, c.batch_size, 2, s.train.n, &err), 0);
    double before = trainer_loss(&t, &net, &s.val);
    assert_int_equal(train(&c, &s, &net, 2, &err), 0);
    double after = trainer_loss(&t, &net, &s.val);
    if (!(after < 0.5 * before))
        fail_msg("validation loss %g after 30 epochs, %g before", after, before);
    trainer_free(&t);
    net_free(&net);
    splits_free(&s);
    cfg_free(&c);
}

static void test_divergence_stops_before_the_update(void **state)
{
    (void)state;
    const char *sp[] = { "train.learning_rate=1e9", "train.epochs=5" };
    Config c;
    Splits s;
    Net net;
    Err err = { 0 };
    load(SOURCE_DIR "/configs/ames.ini", sp, 2, &c, &s, &net);
    assert_int_equal(train(&c, &s, &net, 1, &err), E_NUMERIC);
    assert_non_null(strstr(err.msg, "lower [train] learning_rate"));
    for (size_t k = 0; k < net.nparams; k++)
        assert_true(isfinite(net.params[k]));
    net_free(&net);
    splits_free(&s);
    cfg_free(&c);
}

typedef struct StopAt { int64_t step; } StopAt;

static int stop_at_step(void *ctx, const Net *net, const Optim *opt, const TrainState *st,
                        double loss, Err *err)
{
    (void)net;
    (void)opt;
    (void)loss;
    const StopAt *s = ctx;
    return st->step == s->step ? err_set(err, E_STOP, "stop requested") : 0;
}

/* Synthetic rows spanning several chunks: y = 0.6 x1 + 0.3 x2 + noise. */
static void synthetic(Dataset *d, size_t n)
{
    Err err = { 0 };
    assert_int_equal(data_alloc(d, n, 2, &err), 0);
    Rng r = rng_stream(5, 6);
    for (size_t i = 0; i < n; i++) {
        d->x[2 * i] = rng_uniform(&r) * 2 - 1;
        d->x[2 * i + 1] = rng_uniform(&r) * 2 - 1;
        d->y[i] = 0.6 * d->x[2 * i] + 0.3 * d->x[2 * i + 1] + 0.01 * (rng_uniform(&r) - 0.5);
    }
}

/* Training stopped at `stop` steps and continued from its TrainState ends
 * bit-identical to training straight through; 0 = no stop. */
static void run_synthetic(const Dataset *d, int64_t stop, int threads, double *out, size_t np)
{
    Err err = { 0 };
    Net net;
    int hidden[] = { 3 };
    assert_int_equal(net_init(&net, 2, hidden, 1, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
    assert_int_equal(net.nparams, np);
    net_init_xavier(&net, 9);
    Trainer t;
    Optim opt;
    TrainOpts o = { 2, 1000, 0.05, 77, threads, 1 };
    assert_int_equal(trainer_init(&t, &net, o.batch_size, threads, d->n, &err), 0);
    assert_int_equal(optim_init(&opt, OPT_SGD, net.nparams, &err), 0);
    TrainState st = train_state_start(&o);
    TrainData td = train_data_memory(d);
    StopAt at = { stop };
    TrainHooks hooks = { &at, stop_at_step, NULL };
    int rc = train_run(&t, &net, &opt, &td, NULL, &o, &st, &hooks, &err);
    if (stop) {
        assert_int_equal(rc, E_STOP);
        assert_int_equal(st.step, stop);
        at.step = -1;
        rc = train_run(&t, &net, &opt, &td, NULL, &o, &st, &hooks, &err);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(st.epoch, 2);
    memcpy(out, net.params, np * sizeof(double));
    optim_free(&opt);
    trainer_free(&t);
    net_free(&net);
}

static void test_a_run_continued_from_its_state_mid_epoch_is_bit_identical(void **state)
{
    (void)state;
    Dataset d;
    const size_t n = 2 * TRAIN_CHUNK + 5000; /* three chunks, the last one short */
    synthetic(&d, n);
    enum { NP = 13 };
    double ref[NP], got[NP];
    run_synthetic(&d, 0, 1, ref, NP);
    /* steps per epoch: 66 + 66 + 5 = 137 */
    const int64_t stops[] = { 1, 65, 66, 67, 136, 137, 138, 200 };
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        run_synthetic(&d, stops[i], i % 2 ? 2 : 1, got, NP);
        if (memcmp(ref, got, sizeof ref) != 0)
            fail_msg("stopped at step %lld: parameters differ from an uninterrupted run", (long long)stops[i]);
    }
    data_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_training_the_seed_config_gives_the_worked_example_update),
        cmocka_unit_test(test_batch_gradient_is_the_mean_of_row_gradients),
        cmocka_unit_test(test_parameters_are_bit_identical_for_1_2_3_and_8_threads),
        cmocka_unit_test(test_training_lowers_the_validation_loss_on_ames),
        cmocka_unit_test(test_divergence_stops_before_the_update),
        cmocka_unit_test(test_a_run_continued_from_its_state_mid_epoch_is_bit_identical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
