/* Tests of src/train.c: the worked example through the trainer, the block
 * reduction, thread invariance on the Ames data, convergence, and the
 * float32 mode against float64. */
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
#include "optim.h"
#include "run.h"
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

/* What a run looked like from its hooks. */
typedef struct Log {
    int nevents;
    char kinds[32][16];
    char msgs[32][256];
    int64_t event_step[32];
    double val[512];          /* validation loss after each epoch, from 0 */
    double lr[512];           /* the rate of each epoch's last step (epoch 0: the first step's) */
    double *params[512];      /* owned copies of the parameters after each epoch */
    double train_loss[512], grad_norm[512];
    int64_t nepochs;
} Log;

static int log_epoch(void *ctx, const Net *net, const Optim *opt, const TrainState *st,
                     const EpochStats *s, Err *err)
{
    (void)opt;
    (void)st;
    (void)err;
    Log *l = ctx;
    assert_true(s->epoch < 512);
    l->val[s->epoch] = s->val_loss;
    l->lr[s->epoch] = s->lr;
    l->train_loss[s->epoch] = s->train_loss;
    l->grad_norm[s->epoch] = s->grad_norm;
    free(l->params[s->epoch]);
    l->params[s->epoch] = malloc(net->nparams * sizeof(double));
    memcpy(l->params[s->epoch], net->params, net->nparams * sizeof(double));
    l->nepochs = s->epoch + 1;
    return 0;
}

static int log_event(void *ctx, const TrainState *st, const char *kind, const char *msg, Err *err)
{
    (void)err;
    Log *l = ctx;
    if (l->nevents < 32) {
        snprintf(l->kinds[l->nevents], sizeof l->kinds[0], "%s", kind);
        snprintf(l->msgs[l->nevents], sizeof l->msgs[0], "%s", msg);
        l->event_step[l->nevents] = st->step;
        l->nevents++;
    }
    return 0;
}

static void log_free(Log *l)
{
    for (int i = 0; i < 512; i++)
        free(l->params[i]);
    memset(l, 0, sizeof *l);
}

/* Trainer.general_steps of the runs train_logged makes. */
static int general_steps;

/* Trains net on s's rows from scratch as c says; returns train_run's code,
 * leaves the final state in *out and the hooks' view in *log (either may
 * be NULL). */
static int train_logged(const Config *c, Splits *s, Net *net, int threads, TrainState *out, Log *log,
                        Err *err)
{
    Trainer t;
    Optim opt;
    int bs = c->batch_size < (int)s->train.n ? c->batch_size : (int)s->train.n;
    assert_int_equal(trainer_init(&t, net, bs, threads, s->train.n, err), 0);
    trainer_auto_threads(&t, c->threads == 0); /* as io/run.c */
    t.general_steps = general_steps;
    if (c->precision == TRAIN_F32) /* as io/run.c: after any permutation of the rows */
        assert_int_equal(trainer_use_f32(&t, net, &s->train, err), 0);
    assert_int_equal(run_optim_init(c, net->nparams, &opt, err), 0);
    TrainOpts o = run_train_opts(c, bs, threads);
    TrainState st = train_state_start(&o);
    TrainData td = train_data_memory(&s->train);
    TrainHooks hooks = { .ctx = log, .on_epoch = log ? log_epoch : NULL, .on_event = log ? log_event : NULL };
    int rc = train_run(&t, net, &opt, &td, s->val.n ? &s->val : NULL, &o, &st, &hooks, err);
    if (rc == 0 && !st.stopped)
        assert_int_equal(st.epoch, c->epochs);
    if (out)
        *out = st;
    optim_free(&opt);
    trainer_free(&t);
    return rc;
}

/* An Ames run with the overrides sp[0..n), its rows in the stored order of
 * housenet train (io/run.c), trained on `threads` threads with its epochs
 * and events logged. Release with run_free. */
typedef struct Run {
    Config c;
    Splits s;
    Net net;
    TrainState st;
    Log log;
} Run;

static int run_ames(Run *r, const char *const *sp, int n, int threads, Err *err)
{
    memset(r, 0, sizeof *r);
    load(SOURCE_DIR "/configs/ames.ini", sp, n, &r->c, &r->s, &r->net);
    if (r->c.shuffle)
        train_rows_permute(&r->s.train, r->c.seed, 0);
    return train_logged(&r->c, &r->s, &r->net, threads, &r->st, &r->log, err);
}

static void run_free(Run *r)
{
    log_free(&r->log);
    net_free(&r->net);
    splits_free(&r->s);
    cfg_free(&r->c);
}

static int train(const Config *c, Splits *s, Net *net, int threads, Err *err)
{
    return train_logged(c, s, net, threads, NULL, NULL, err);
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

/* Parameters after a few epochs on Ames with `threads` workers (-1: two,
 * chosen per call as [train] threads = 0 does); extra is one more --set
 * (or NULL). */
static double *ames_params(int threads, const char *batch, const char *hidden, const char *extra, size_t *np)
{
    char sets[3][64];
    snprintf(sets[0], sizeof sets[0], "train.batch_size=%s", batch);
    snprintf(sets[1], sizeof sets[1], "model.hidden=%s", hidden);
    snprintf(sets[2], sizeof sets[2], "train.epochs=3");
    const char *sp[] = { sets[0], sets[1], sets[2], extra };
    Config c;
    Splits s;
    Net net;
    Err err = { 0 };
    load(SOURCE_DIR "/configs/ames.ini", sp, extra ? 4 : 3, &c, &s, &net);
    TrainState st;
    c.threads = threads < 0 ? 0 : threads;
    assert_int_equal(train_logged(&c, &s, &net, threads < 0 ? 2 : threads, &st, NULL, &err), 0);
    if (extra && strstr(extra, "learning_rate=30"))
        assert_true(st.divergences > 0); /* the case exists to cover rollbacks */
    double *p = malloc(net.nparams * sizeof(double));
    memcpy(p, net.params, net.nparams * sizeof(double));
    *np = net.nparams;
    net_free(&net);
    splits_free(&s);
    cfg_free(&c);
    return p;
}

/* Every case runs with 1, 2, 3 and 8 threads; `extra` picks the optimizer
 * or a feature that changes the update (clipping, decay, schedule,
 * divergence rollbacks). */
/* The choice [train] threads = 0 makes between all threads and one: a
 * probe times THREAD_PROBE_CALLS calls on one thread, then on many, and
 * holds the faster; a slower parallel call ends the probe at once. */
static void test_thread_probe_keeps_the_faster_and_probes_again_later(void **state)
{
    (void)state;
    ThreadProbe p = { .on = 1 };
    double now = 0.0;
    /* one thread 1 s a call, four threads 0.5 s: four threads win */
    for (int i = 0; i < THREAD_PROBE_CALLS; i++) {
        assert_int_equal(thread_probe_pick(&p, 4, now), 1);
        thread_probe_done(&p, 1, now += 1.0);
    }
    for (int i = 0; i < THREAD_PROBE_CALLS; i++) {
        assert_int_equal(thread_probe_pick(&p, 4, now), 4);
        thread_probe_done(&p, 4, now += 0.5);
    }
    assert_int_equal(p.phase, 2);
    assert_int_equal(p.one, 0);
    /* held for THREAD_PROBE_HOLD times the probe's 12 s */
    assert_true(p.hold_until == now + THREAD_PROBE_HOLD * 12.0);
    assert_int_equal(thread_probe_pick(&p, 4, now + 100.0), 4);
    thread_probe_done(&p, 4, now + 100.5);
    now = p.hold_until;
    /* the next probe: now the parallel call is slow (a busy core); it ends
     * the probe after one call, and one thread is held */
    for (int i = 0; i < THREAD_PROBE_CALLS; i++) {
        assert_int_equal(thread_probe_pick(&p, 4, now), 1);
        thread_probe_done(&p, 1, now += 0.01);
    }
    assert_int_equal(thread_probe_pick(&p, 4, now), 4);
    thread_probe_done(&p, 4, now += 1.0);
    assert_int_equal(p.phase, 2);
    assert_int_equal(p.one, 1);
    assert_int_equal(thread_probe_pick(&p, 4, now + 1.0), 1);
    thread_probe_done(&p, 1, now + 1.01);
    assert_true(p.steps[0] == THREAD_PROBE_CALLS + 2 && p.steps[1] == 2 * THREAD_PROBE_CALLS + 1);
}

static void test_parameters_are_bit_identical_for_1_2_3_and_8_threads(void **state)
{
    (void)state;
    static const struct { const char *batch, *hidden, *extra; } cases[] = {
        { "32", "2", NULL },
        { "300", "2", NULL },
        { "1000", "16,8", NULL },
        { "32", "2", "train.optimizer=sgd" }, /* the cases above use the config's optimizer */
        { "32", "2", "train.optimizer=momentum" },
        { "300", "16,8", "train.optimizer=nesterov" },
        { "100", "16,8", "train.optimizer=adam" },
        { "64", "8", "train.clip_norm=0.05" },
        { "64", "8", "train.weight_decay=0.01" },
        { "64", "8", "train.lr_schedule=cosine" },
        { "200", "8", "train.learning_rate=30" }, /* diverges and rolls back */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n1, nk;
        double *p1 = ames_params(1, cases[c].batch, cases[c].hidden, cases[c].extra, &n1);
        const int threads[] = { 2, 3, 8, -1 };
        for (int i = 0; i < 4; i++) {
            double *pk = ames_params(threads[i], cases[c].batch, cases[c].hidden, cases[c].extra, &nk);
            assert_int_equal(n1, nk);
            if (memcmp(p1, pk, n1 * sizeof(double)) != 0)
                fail_msg("batch %s hidden %s %s: %d threads differ from 1 thread", cases[c].batch,
                         cases[c].hidden, cases[c].extra ? cases[c].extra : "", threads[i]);
            free(pk);
        }
        free(p1);
    }
}

/* The tolerance of the float32 mode on configs/ames.ini, relative to the
 * float64 run's validation loss (docs/performance.md, Float32). */
#define F32_VAL_RTOL 1e-4

static void test_a_float32_ames_run_ends_within_a_tolerance_of_the_float64_run(void **state)
{
    (void)state;
    const char *sp32[] = { "train.precision=float32" };
    Run r64, r32;
    Err err = { 0 };
    assert_int_equal(run_ames(&r64, NULL, 0, 2, &err), 0);
    assert_int_equal(run_ames(&r32, sp32, 1, 2, &err), 0);
    const int64_t last = r64.log.nepochs - 1;
    assert_int_equal(last, r64.c.epochs);
    assert_int_equal(r32.log.nepochs - 1, last);
    assert_close(r32.log.val[last], r64.log.val[last], F32_VAL_RTOL * r64.log.val[last]);
    assert_close(r32.st.best_val, r64.st.best_val, F32_VAL_RTOL * r64.st.best_val);
    /* and it learned: the last validation loss well below the initial one */
    assert_true(r32.log.val[last] < 0.5 * r32.log.val[0]);
    run_free(&r64);
    run_free(&r32);
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
    const char *sp[] = { "train.learning_rate=1e9", "train.epochs=5", "train.divergence_retries=0" };
    Config c;
    Splits s;
    Net net;
    Err err = { 0 };
    load(SOURCE_DIR "/configs/ames.ini", sp, 3, &c, &s, &net);
    assert_int_equal(train(&c, &s, &net, 1, &err), E_NUMERIC);
    assert_non_null(strstr(err.msg, "lower [train] learning_rate"));
    for (size_t k = 0; k < net.nparams; k++)
        assert_true(isfinite(net.params[k]));
    net_free(&net);
    splits_free(&s);
    cfg_free(&c);
}

static int count_events(const Log *l, const char *kind)
{
    int n = 0;
    for (int i = 0; i < l->nevents; i++)
        n += strcmp(l->kinds[i], kind) == 0;
    return n;
}

static void test_divergence_at_a_huge_rate_rolls_back_then_stops_with_finite_parameters(void **state)
{
    (void)state;
    const char *sp[] = { "train.learning_rate=1e6", "train.epochs=5", "train.divergence_retries=3",
                         "train.divergence_factor=0.1" };
    Run r;
    Err err = { 0 };
    assert_int_equal(run_ames(&r, sp, 4, 2, &err), E_NUMERIC);
    assert_non_null(strstr(err.msg, "training diverged at epoch"));
    assert_non_null(strstr(err.msg, "after 3 rollbacks"));
    assert_non_null(strstr(err.msg, "lower [train] learning_rate"));
    assert_int_equal(count_events(&r.log, "rollback"), 3);
    assert_int_equal(count_events(&r.log, "diverged"), 1);
    assert_int_equal(r.st.divergences, 3);
    assert_close(r.st.lr_scale, 1e-3, 1e-18);
    for (size_t k = 0; k < r.net.nparams; k++)
        assert_true(isfinite(r.net.params[k]));
    run_free(&r);
}

static void test_divergence_rollback_lowers_the_rate_and_training_recovers(void **state)
{
    (void)state;
    const char *sp[] = { "train.learning_rate=30", "train.epochs=5", "train.divergence_retries=3",
                         "train.divergence_factor=0.1", "model.hidden=8" };
    Run r;
    Err err = { 0 };
    if (run_ames(&r, sp, 5, 2, &err))
        fail_msg("%s", err.msg);
    assert_true(r.st.divergences >= 1 && r.st.divergences <= 3);
    assert_int_equal(count_events(&r.log, "rollback"), r.st.divergences);
    assert_close(r.st.lr_scale, pow(0.1, (double)r.st.divergences), 1e-15);
    assert_non_null(strstr(r.log.msgs[0], "rolled back to step"));
    /* every logged epoch is finite and the run ends better than it began */
    for (int64_t e = 0; e < r.log.nepochs; e++)
        assert_true(isfinite(r.log.val[e]));
    assert_true(r.log.val[r.st.best_epoch] < r.log.val[0]);
    run_free(&r);
}

/* A rate warming up to 4 blows the parameters up within epoch 6 while
 * that epoch's mean training loss stays under the bound: its validation
 * loss gives it away, and the epoch is rolled back instead of kept. */
static void test_an_epoch_ending_on_blown_up_parameters_is_rolled_back_by_its_validation_loss(void **state)
{
    (void)state;
    const char *sp[] = { "train.optimizer=sgd", "train.learning_rate=4", "train.warmup_epochs=10",
                         "model.hidden=16,16", "train.epochs=8", "train.divergence_retries=5" };
    Run r;
    Err err = { 0 };
    if (run_ames(&r, sp, 6, 1, &err))
        fail_msg("%s", err.msg);
    int by_val = 0;
    for (int i = 0; i < r.log.nevents; i++)
        by_val += strcmp(r.log.kinds[i], "rollback") == 0 && strstr(r.log.msgs[i], ": validation loss ") != NULL;
    assert_true(by_val >= 1);
    for (int64_t e = 0; e < r.log.nepochs; e++) /* no kept epoch ends blown up */
        assert_true(r.log.val[e] <= TRAIN_BLOWUP * r.st.start_loss);
    run_free(&r);
}

static void test_early_stopping_ends_on_the_best_epochs_parameters(void **state)
{
    (void)state;
    /* a rate high enough that the validation loss stops improving early */
    const char *sp[] = { "train.learning_rate=0.5", "train.batch_size=8", "train.epochs=200",
                         "train.patience=4", "train.restore_best=true" };
    Run r;
    Err err = { 0 };
    if (run_ames(&r, sp, 5, 2, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(r.st.stopped, 1);
    assert_true(r.st.epoch < 200);
    assert_int_equal(r.st.epoch - r.st.best_epoch, 4);
    assert_int_equal(count_events(&r.log, "early_stop"), 1);
    /* the best epoch is the first with the lowest validation loss */
    for (int64_t e = 0; e < r.log.nepochs; e++)
        assert_true(r.log.val[e] >= r.log.val[r.st.best_epoch]);
    for (int64_t e = 0; e < r.st.best_epoch; e++)
        assert_true(r.log.val[e] > r.log.val[r.st.best_epoch]);
    assert_true(r.log.val[r.st.best_epoch] == r.st.best_val);
    if (memcmp(r.net.params, r.log.params[r.st.best_epoch], r.net.nparams * sizeof(double)) != 0)
        fail_msg("parameters differ from those of the best epoch %lld", (long long)r.st.best_epoch);
    assert_int_equal(count_events(&r.log, "restore_best"), 1);
    run_free(&r);
}

static void test_early_stopping_without_improvement_restores_the_initial_parameters(void **state)
{
    (void)state;
    /* no epoch beats the initial loss by min_delta */
    const char *sp[] = { "train.epochs=50", "train.patience=3", "train.min_delta=10" };
    Config c;
    Splits s;
    Net net;
    Err err = { 0 };
    Log log = { 0 };
    TrainState st;
    load(SOURCE_DIR "/configs/ames.ini", sp, 3, &c, &s, &net);
    double *init = malloc(net.nparams * sizeof(double));
    memcpy(init, net.params, net.nparams * sizeof(double));
    if (train_logged(&c, &s, &net, 1, &st, &log, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(st.stopped, 1);
    assert_int_equal(st.epoch, 3);
    assert_int_equal(st.best_epoch, 0);
    assert_memory_equal(net.params, init, net.nparams * sizeof(double));
    free(init);
    log_free(&log);
    net_free(&net);
    splits_free(&s);
    cfg_free(&c);
}

static void test_plateau_halves_the_rate_after_patience_flat_epochs(void **state)
{
    (void)state;
    const char *sp[] = { "train.epochs=6", "train.learning_rate=1e-9", "train.lr_schedule=plateau",
                         "train.plateau_patience=2", "train.plateau_factor=0.5", "train.min_delta=10",
                         "train.min_lr=0" };
    Run r;
    Err err = { 0 };
    if (run_ames(&r, sp, 7, 1, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(count_events(&r.log, "lr_reduced"), 3); /* after epochs 2, 4 and 6 */
    assert_close(r.st.lr_scale, 0.125, 0);
    assert_non_null(strstr(r.log.msgs[0], "learning rate 1e-09 -> 5e-10"));
    run_free(&r);
}

static void test_schedule_and_warmup_set_each_steps_rate(void **state)
{
    (void)state;
    const char *sp[] = { "train.epochs=5", "train.learning_rate=0.01", "train.lr_schedule=step",
                         "train.step_size=2", "train.gamma=0.5", "train.warmup_epochs=2" };
    Run r;
    Err err = { 0 };
    if (run_ames(&r, sp, 6, 1, &err))
        fail_msg("%s", err.msg);
    double spe = (double)train_steps_per_epoch(r.s.train.n, r.c.batch_size); /* 2050 rows / 64 = 33 */
    assert_close(spe, 33, 0);
    /* warm-up over 66 steps: step k at (k + 1) / 66; then x 0.5 every 2 epochs */
    const double *lr = r.log.lr;
    assert_close(lr[0], 0.01 / 66, 1e-18);
    assert_close(lr[1], 0.01 * 33 / 66, 1e-18);
    assert_close(lr[2], 0.01, 1e-18);
    assert_close(lr[3], 0.005, 1e-18);
    assert_close(lr[4], 0.005, 1e-18);
    assert_close(lr[5], 0.0025, 1e-18);
    run_free(&r);
}

static void test_clipping_bounds_the_step_of_sgd(void **state)
{
    (void)state;
    /* one step on the worked example's row: |dL/dp| is about 1.3, clipped to 0.1 */
    const char *sp[] = { "train.clip_norm=0.1" };
    Config c;
    Splits s;
    Net net;
    Err err = { 0 };
    load(SOURCE_DIR "/configs/seed_example.ini", sp, 1, &c, &s, &net);
    double before[9];
    assert_int_equal(net.nparams, 9);
    memcpy(before, net.params, sizeof before);
    assert_int_equal(train(&c, &s, &net, 1, &err), 0);
    double d2 = 0.0;
    for (int k = 0; k < 9; k++)
        d2 += (net.params[k] - before[k]) * (net.params[k] - before[k]);
    assert_close(sqrt(d2), 0.2 * 0.1, 1e-15); /* learning rate x clip_norm */
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
    TrainOpts o = { .epochs = 2, .batch_size = 1000, .lr = 0.05, .seed = 77, .threads = threads, .shuffle = 1 };
    assert_int_equal(trainer_init(&t, &net, o.batch_size, threads, d->n, &err), 0);
    assert_int_equal(optim_init(&opt, OPT_SGD, net.nparams, &err), 0);
    TrainState st = train_state_start(&o);
    TrainData td = train_data_memory(d);
    StopAt at = { stop };
    TrainHooks hooks = { .ctx = &at, .on_step = stop_at_step };
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

/* The one-row loop of the 2-2-1 network (loop_rows221) against the
 * general step, bit for bit: the parameters and figures of every epoch,
 * the events and the final state, for plain sgd, decay, clipping, a
 * schedule with warm-up and a rate that diverges and rolls back. */
static void test_the_one_row_loop_gives_the_general_steps_bits(void **state)
{
    (void)state;
    static const char *const cases[] = { NULL, "train.weight_decay=0.01", "train.clip_norm=0.05",
                                         "train.lr_schedule=cosine", "train.warmup_epochs=1",
                                         "train.learning_rate=30" };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *sp[] = { "train.batch_size=1", "model.hidden=2", "train.epochs=3", "train.optimizer=sgd",
                             "train.threads=1", cases[c] };
        Run r[2];
        Err err = { 0 };
        for (int g = 0; g < 2; g++) {
            general_steps = g;
            int rc = run_ames(&r[g], sp, cases[c] ? 6 : 5, 1, &err);
            general_steps = 0;
            assert_int_equal(rc, 0);
        }
        const char *what = cases[c] ? cases[c] : "plain sgd";
        if (c == 5)
            assert_true(r[1].st.divergences > 0); /* the case exists to cover rollbacks */
        assert_int_equal(r[0].st.step, r[1].st.step);
        assert_int_equal(r[0].st.divergences, r[1].st.divergences);
        assert_int_equal(r[0].log.nepochs, r[1].log.nepochs);
        assert_int_equal(r[0].log.nevents, r[1].log.nevents);
        for (int i = 0; i < r[0].log.nevents; i++)
            if (strcmp(r[0].log.msgs[i], r[1].log.msgs[i]) != 0 || r[0].log.event_step[i] != r[1].log.event_step[i])
                fail_msg("%s: event %d differs: \"%s\" against \"%s\"", what, i, r[0].log.msgs[i], r[1].log.msgs[i]);
        for (int64_t e = 0; e < r[0].log.nepochs; e++) {
            const double a[4] = { r[0].log.val[e], r[0].log.lr[e], r[0].log.train_loss[e], r[0].log.grad_norm[e] };
            const double b[4] = { r[1].log.val[e], r[1].log.lr[e], r[1].log.train_loss[e], r[1].log.grad_norm[e] };
            if (memcmp(a, b, sizeof a) != 0 ||
                memcmp(r[0].log.params[e], r[1].log.params[e], r[0].net.nparams * sizeof(double)) != 0)
                fail_msg("%s: epoch %lld differs from the general step's", what, (long long)e);
        }
        if (memcmp(r[0].net.params, r[1].net.params, r[0].net.nparams * sizeof(double)) != 0)
            fail_msg("%s: the final parameters differ from the general step's", what);
        run_free(&r[0]);
        run_free(&r[1]);
    }
}

/* The steps on_step ran after, and the stop it answers with E_STOP. */
typedef struct StepLog { int64_t at[64]; int n; } StepLog;

static int log_steps(void *ctx, const Net *net, const Optim *opt, const TrainState *st, double loss, Err *err)
{
    (void)net;
    (void)opt;
    (void)loss;
    StepLog *l = ctx;
    if (l->n < 64)
        l->at[l->n] = st->step;
    l->n++;
    return st->step % 8 ? err_set(err, E_STOP, "stop requested") : 0; /* off the multiples: the stop */
}

static void test_on_step_runs_at_multiples_of_step_every_and_at_a_stop(void **state)
{
    (void)state;
    Err err = { 0 };
    Dataset d;
    synthetic(&d, 100);
    Net net;
    int hidden[] = { 2 };
    assert_int_equal(net_init(&net, 2, hidden, 1, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
    net_init_xavier(&net, 3);
    Trainer t;
    Optim opt;
    TrainOpts o = { .epochs = 2, .batch_size = 1, .lr = 0.05, .seed = 9, .threads = 1, .shuffle = 1 };
    assert_int_equal(trainer_init(&t, &net, 1, 1, d.n, &err), 0);
    assert_int_equal(optim_init(&opt, OPT_SGD, net.nparams, &err), 0);
    volatile sig_atomic_t stop = SIGTERM; /* requested before the first step */
    t.stop = &stop;
    TrainState st = train_state_start(&o);
    TrainData td = train_data_memory(&d);
    StepLog l = { .n = 0 };
    TrainHooks hooks = { .ctx = &l, .on_step = log_steps, .step_every = 8 };
    assert_int_equal(train_run(&t, &net, &opt, &td, NULL, &o, &st, &hooks, &err), E_STOP);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.at[0], 1); /* the stop's step, not a multiple */
    stop = 0;
    l.n = 0;
    assert_int_equal(train_run(&t, &net, &opt, &td, NULL, &o, &st, &hooks, &err), 0);
    assert_int_equal(st.step, 200);
    assert_int_equal(l.n, 200 / 8); /* the resumed run: 8, 16, ..., 200 */
    for (int i = 0; i < l.n; i++)
        assert_int_equal(l.at[i], 8 * (i + 1));
    /* the stopped and resumed run ends on the bits of runs never stopped,
     * through the one-row loop and through the general step */
    double resumed[9];
    memcpy(resumed, net.params, sizeof resumed);
    for (int g = 0; g < 2; g++) {
        t.general_steps = g;
        net_init_xavier(&net, 3);
        optim_free(&opt);
        assert_int_equal(optim_init(&opt, OPT_SGD, net.nparams, &err), 0);
        st = train_state_start(&o);
        assert_int_equal(train_run(&t, &net, &opt, &td, NULL, &o, &st, &hooks, &err), 0);
        if (memcmp(resumed, net.params, sizeof resumed) != 0)
            fail_msg("the resumed run differs from one never stopped (%s)", g ? "general step" : "one-row loop");
    }
    optim_free(&opt);
    trainer_free(&t);
    net_free(&net);
    data_free(&d);
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

static void test_chunk_order_is_whole_units_in_order_drawn_from_seed_epoch_and_chunk(void **state)
{
    (void)state;
    Err err = { 0 };
    Net net;
    int hidden[] = { 2 };
    assert_int_equal(net_init(&net, 2, hidden, 1, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
    enum { N = 40 * TRAIN_UNIT + 7 }; /* the last unit short */
    const size_t n = N;
    Trainer t;
    assert_int_equal(trainer_init(&t, &net, 32, 1, n, &err), 0);
    TrainOpts o = { .epochs = 1, .batch_size = 32, .lr = 0.1, .seed = 3, .threads = 1, .shuffle = 1 };
    size_t first[N], seen[N], again[N];
    trainer_chunk_order(&t, &o, 2, 0, n);
    for (size_t s = 0; s < n; s++)
        first[s] = trainer_order_row(&t, s);
    memset(seen, 0, sizeof seen);
    size_t moved = 0;
    for (size_t s = 0; s < n; s++) {
        assert_true(first[s] < n);
        seen[first[s]]++;
        /* a unit starts at a multiple of TRAIN_UNIT; its rows follow in order */
        if (first[s] % TRAIN_UNIT)
            assert_true(s > 0 && first[s] == first[s - 1] + 1);
        moved += first[s] != s;
    }
    for (size_t r = 0; r < n; r++)
        assert_int_equal(seen[r], 1);
    assert_true(moved > n / 2);
    assert_true(t.short_at < n / TRAIN_UNIT); /* the short unit is not last: positions past it count */
    trainer_chunk_order(&t, &o, 2, 0, n); /* the same again: nothing else feeds it */
    for (size_t s = 0; s < n; s++)
        again[s] = trainer_order_row(&t, s);
    assert_memory_equal(first, again, sizeof first);
    trainer_chunk_order(&t, &o, 3, 0, n);
    for (size_t s = 0; s < n; s++)
        again[s] = trainer_order_row(&t, s);
    assert_memory_not_equal(first, again, sizeof first);
    o.shuffle = 0;
    trainer_chunk_order(&t, &o, 2, 0, n);
    for (size_t s = 0; s < n; s++)
        assert_int_equal(trainer_order_row(&t, s), s);
    trainer_free(&t);
    net_free(&net);
}

static void test_rows_permute_keeps_each_target_with_its_features_and_depends_on_the_seed(void **state)
{
    (void)state;
    Dataset a, b;
    const size_t n = 1003;
    synthetic(&a, n);
    synthetic(&b, n);
    for (size_t i = 0; i < n; i++) /* a target that names its row */
        a.y[i] = b.y[i] = a.x[2 * i] * 3 + a.x[2 * i + 1];
    train_rows_permute(&a, 11, 0);
    train_rows_permute(&b, 11, 0);
    assert_memory_equal(a.x, b.x, n * 2 * sizeof(double));
    assert_memory_equal(a.y, b.y, n * sizeof(double));
    size_t moved = 0;
    Dataset c;
    synthetic(&c, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(a.y[i] == a.x[2 * i] * 3 + a.x[2 * i + 1]);
        moved += a.x[2 * i] != c.x[2 * i];
    }
    assert_true(moved > n / 2);
    train_rows_permute(&c, 12, 0);
    assert_memory_not_equal(a.x, c.x, n * 2 * sizeof(double));
    data_free(&a);
    data_free(&b);
    data_free(&c);
}

/* One epoch of a 2-3-1 network (seed-9 Xavier start, SGD, seed 5) on d;
 * params (13) and *st as it ends, *loss0 the loss of the first chunk's
 * rows before it. */
static void one_epoch(const Dataset *d, int batch, double lr, int shuffle, double *params, TrainState *st,
                      double *loss0)
{
    Err err = { 0 };
    Net net;
    int hidden[] = { 3 };
    assert_int_equal(net_init(&net, 2, hidden, 1, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
    net_init_xavier(&net, 9);
    Trainer t;
    Optim opt;
    TrainOpts o = { .epochs = 1, .batch_size = batch, .lr = lr, .seed = 5, .threads = 1, .shuffle = shuffle };
    assert_int_equal(trainer_init(&t, &net, batch, 1, d->n, &err), 0);
    assert_int_equal(optim_init(&opt, OPT_SGD, net.nparams, &err), 0);
    Dataset first = *d;
    first.n = d->n < TRAIN_CHUNK ? d->n : TRAIN_CHUNK;
    *loss0 = trainer_loss(&t, &net, &first);
    *st = train_state_start(&o);
    TrainData td = train_data_memory(d);
    assert_int_equal(train_run(&t, &net, &opt, &td, NULL, &o, st, NULL, &err), 0);
    assert_int_equal(net.nparams, 13);
    memcpy(params, net.params, 13 * sizeof(double));
    optim_free(&opt);
    trainer_free(&t);
    net_free(&net);
}

/* One full-batch step over a shuffled chunk with a short last unit: the
 * rows fetched unit by unit are all the rows, each once. */
static void test_a_full_batch_step_does_not_depend_on_the_row_order(void **state)
{
    (void)state;
    Dataset d;
    const size_t n = 70 * TRAIN_UNIT + 9;
    synthetic(&d, n);
    double p[2][13], loss0;
    TrainState st;
    for (int shuffle = 0; shuffle < 2; shuffle++) {
        one_epoch(&d, (int)n, 0.5, shuffle, p[shuffle], &st, &loss0);
        assert_int_equal(st.step, 1);
    }
    for (int k = 0; k < 13; k++)
        assert_true(fabs(p[0][k] - p[1][k]) < 1e-12);
    data_free(&d);
}

static void test_the_start_loss_is_the_first_chunks_loss_before_training(void **state)
{
    (void)state;
    Dataset d;
    synthetic(&d, TRAIN_CHUNK + 300);
    double p[13], loss0;
    TrainState st;
    one_epoch(&d, 512, 0.05, 1, p, &st, &loss0);
    assert_true(st.start_loss == loss0);
    data_free(&d);
}

/* Parameters of the 2-h[0]-..-1 sigmoid/linear network (nh hidden layers)
 * after 2 epochs over d at `batch` rows a step, in float32 on `threads`
 * threads (float64 when threads is 0: one thread), into out (nparams). */
static void run_f32(const Dataset *d, const int *hidden, int nh, int batch, int threads, double *out)
{
    Err err = { 0 };
    Net net;
    Trainer t;
    Optim opt;
    assert_int_equal(net_init(&net, 2, hidden, nh, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
    net_init_xavier(&net, 4);
    TrainOpts o = { .epochs = 2, .batch_size = batch, .lr = 0.2, .seed = 3, .threads = threads ? threads : 1,
                    .shuffle = 1 };
    assert_int_equal(trainer_init(&t, &net, batch, o.threads, d->n, &err), 0);
    if (threads)
        assert_int_equal(trainer_use_f32(&t, &net, d, &err), 0);
    assert_int_equal(optim_init(&opt, OPT_SGD, net.nparams, &err), 0);
    TrainState st = train_state_start(&o);
    TrainData td = train_data_memory(d);
    assert_int_equal(train_run(&t, &net, &opt, &td, NULL, &o, &st, NULL, &err), 0);
    memcpy(out, net.params, net.nparams * sizeof(double));
    optim_free(&opt);
    trainer_free(&t);
    net_free(&net);
}

/* Batches large enough that a step takes 2 and 3 threads (threads_for),
 * over two chunks, the second with a short last batch and unit; the 2-2-1
 * network (fused kernel) and 2-16-16-1 (layered, 337 parameters). */
static void test_float32_parameters_are_bit_identical_for_1_2_and_3_threads(void **state)
{
    (void)state;
    Dataset d;
    synthetic(&d, TRAIN_CHUNK + 20000 + 9);
    const struct { int nh, h[2], batch; } cases[] = {
        { 1, { 2 }, 8192 }, { 1, { 2 }, 30000 }, { 2, { 16, 16 }, 1024 }, { 2, { 16, 16 }, 30000 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double p1[337], pk[337], p64[337];
        const size_t np = cases[c].nh == 1 ? 9 : 337;
        run_f32(&d, cases[c].h, cases[c].nh, cases[c].batch, 1, p1);
        for (int threads = 2; threads <= 3; threads++) {
            run_f32(&d, cases[c].h, cases[c].nh, cases[c].batch, threads, pk);
            if (memcmp(p1, pk, np * sizeof(double)) != 0)
                fail_msg("float32, %zu parameters, batch %d: %d threads differ from 1 thread", np, cases[c].batch,
                         threads);
        }
        /* float32 is a computation of its own; after a few hundred steps
         * its parameters are still within 1e-3 of float64's (1e-4 apart
         * measured on 2-2-1) */
        run_f32(&d, cases[c].h, cases[c].nh, cases[c].batch, 0, p64);
        assert_true(memcmp(p1, p64, np * sizeof(double)) != 0);
        for (size_t k = 0; k < np; k++)
            assert_close(p1[k], p64[k], 1e-3);
    }
    data_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_training_the_seed_config_gives_the_worked_example_update),
        cmocka_unit_test(test_batch_gradient_is_the_mean_of_row_gradients),
        cmocka_unit_test(test_parameters_are_bit_identical_for_1_2_3_and_8_threads),
        cmocka_unit_test(test_thread_probe_keeps_the_faster_and_probes_again_later),
        cmocka_unit_test(test_training_lowers_the_validation_loss_on_ames),
        cmocka_unit_test(test_float32_parameters_are_bit_identical_for_1_2_and_3_threads),
        cmocka_unit_test(test_a_float32_ames_run_ends_within_a_tolerance_of_the_float64_run),
        cmocka_unit_test(test_divergence_stops_before_the_update),
        cmocka_unit_test(test_divergence_at_a_huge_rate_rolls_back_then_stops_with_finite_parameters),
        cmocka_unit_test(test_divergence_rollback_lowers_the_rate_and_training_recovers),
        cmocka_unit_test(test_an_epoch_ending_on_blown_up_parameters_is_rolled_back_by_its_validation_loss),
        cmocka_unit_test(test_early_stopping_ends_on_the_best_epochs_parameters),
        cmocka_unit_test(test_early_stopping_without_improvement_restores_the_initial_parameters),
        cmocka_unit_test(test_plateau_halves_the_rate_after_patience_flat_epochs),
        cmocka_unit_test(test_schedule_and_warmup_set_each_steps_rate),
        cmocka_unit_test(test_clipping_bounds_the_step_of_sgd),
        cmocka_unit_test(test_a_run_continued_from_its_state_mid_epoch_is_bit_identical),
        cmocka_unit_test(test_on_step_runs_at_multiples_of_step_every_and_at_a_stop),
        cmocka_unit_test(test_the_one_row_loop_gives_the_general_steps_bits),
        cmocka_unit_test(test_chunk_order_is_whole_units_in_order_drawn_from_seed_epoch_and_chunk),
        cmocka_unit_test(test_rows_permute_keeps_each_target_with_its_features_and_depends_on_the_seed),
        cmocka_unit_test(test_a_full_batch_step_does_not_depend_on_the_row_order),
        cmocka_unit_test(test_the_start_loss_is_the_first_chunks_loss_before_training),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
