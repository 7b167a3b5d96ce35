/* Tests of src/comm.c and of train_run split over ranks: K ranks run as K
 * threads of this process over an in-process Comm (below), so the logic of
 * a parallel run -- which rank takes which groups, the one gather a step,
 * the additions in block order, the agreed stop -- is tested without
 * mpirun. tests/mpi_test.sh runs the program under mpirun. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "kern.h"
#include "optim.h"
#include "rng.h"
#include "train.h"

enum { MAX_RANKS = 4 };

/* The ranks' meeting point: each collective publishes every rank's buffer,
 * then each rank copies what it lacks from the others. */
typedef struct Hub {
    int size;
    pthread_barrier_t bar;
    void *bufs[MAX_RANKS];
} Hub;

static int hub_allgatherv(const Comm *c, void *buf, const size_t *counts, const size_t *displs, Err *err)
{
    Hub *h = c->ctx;
    h->bufs[c->rank] = buf;
    pthread_barrier_wait(&h->bar);
    for (int q = 0; q < h->size; q++)
        if (q != c->rank)
            memcpy((char *)buf + displs[q], (const char *)h->bufs[q] + displs[q], counts[q]);
    pthread_barrier_wait(&h->bar);
    return 0;
}

static int hub_bcast(const Comm *c, void *buf, size_t n, int root, Err *err)
{
    Hub *h = c->ctx;
    h->bufs[c->rank] = buf;
    pthread_barrier_wait(&h->bar);
    if (c->rank != root)
        memcpy(buf, h->bufs[root], n);
    pthread_barrier_wait(&h->bar);
    return 0;
}

static void hub_abort(const Comm *c, int status)
{
    fail_msg("rank %d aborted with status %d", c->rank, status);
}

static void hub_finalize(const Comm *c)
{
}

/* Synthetic rows: y = 0.6 x1 - 0.3 x2 + noise, the first n_train for
 * training, the rest for validation. */
static void synthetic(Dataset *d, size_t n, uint64_t seed)
{
    Err err = { 0 };
    assert_int_equal(data_alloc(d, n, 2, &err), 0);
    Rng r = rng_stream(seed, 6);
    for (size_t i = 0; i < n; i++) {
        d->x[2 * i] = rng_uniform(&r) * 2 - 1;
        d->x[2 * i + 1] = rng_uniform(&r) * 2 - 1;
        d->y[i] = 0.6 * d->x[2 * i] - 0.3 * d->x[2 * i + 1] + 0.05 * (rng_uniform(&r) - 0.5);
    }
}

/* One rank's run and what it ended with. */
typedef struct RankRun {
    const Comm *comm;            /* NULL: one process */
    const Dataset *train, *val;
    TrainOpts o;
    TrainPrecision precision;
    volatile sig_atomic_t stop;  /* this rank's stop request, as a signal handler sets it */
    int rc;
    Err err;
    TrainState st;
    int stop_now;
    double params[64];
    size_t nparams;
    char events[512];            /* "kind@step " for each event */
} RankRun;

/* What the hooks see. */
typedef struct HookCtx {
    const Trainer *t;
    RankRun *r;
} HookCtx;

static int on_step(void *ctx, const Net *net, const Optim *opt, const TrainState *st, double loss, Err *err)
{
    const HookCtx *h = ctx;
    return h->t->stop_now ? err_set(err, E_STOP, "stopped by signal %d", h->t->stop_now) : 0;
}

static int on_event(void *ctx, const TrainState *st, const char *kind, const char *msg, Err *err)
{
    RankRun *r = ((HookCtx *)ctx)->r;
    size_t used = strlen(r->events);
    snprintf(r->events + used, sizeof r->events - used, "%s@%lld ", kind, (long long)st->step);
    return 0;
}

static void *rank_main(void *p)
{
    RankRun *r = p;
    Err err = { 0 };
    Net net;
    int hidden[] = { 6 };
    Trainer t;
    Optim opt;
    if (net_init(&net, 2, hidden, 1, 1, ACT_TANH, ACT_LINEAR, &err) ||
        trainer_init(&t, &net, r->o.batch_size, r->o.threads, r->train->n, &err)) {
        r->rc = -100;
        return NULL;
    }
    net_init_xavier(&net, 9);
    optim_init(&opt, OPT_ADAM, net.nparams, &err);
    opt.hp = (OptimHyper){ .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8 };
    t.stop = &r->stop;
    if ((r->precision == TRAIN_F32 && trainer_use_f32(&t, &net, r->train, &err)) ||
        trainer_set_comm(&t, r->comm, &err))
        r->rc = -101;
    r->st = train_state_start(&r->o);
    r->events[0] = '\0';
    TrainData td = train_data_memory(r->train);
    HookCtx hc = { &t, r };
    TrainHooks hooks = { .ctx = &hc, .on_step = on_step, .on_event = on_event };
    if (!r->rc)
        r->rc = train_run(&t, &net, &opt, &td, r->val, &r->o, &r->st, &hooks, &r->err);
    r->stop_now = t.stop_now;
    r->nparams = net.nparams;
    memcpy(r->params, net.params, net.nparams * sizeof(double));
    optim_free(&opt);
    trainer_free(&t);
    net_free(&net);
    return NULL;
}

/* Runs the same training on k ranks (threads) into runs[0..k). */
static void run_ranks(int k, RankRun *runs)
{
    Hub hub = { .size = k };
    Comm comms[MAX_RANKS];
    pthread_t th[MAX_RANKS];
    assert_int_equal(pthread_barrier_init(&hub.bar, NULL, (unsigned)k), 0);
    for (int q = 0; q < k; q++) {
        /* no send or recv: training uses collectives only */
        comms[q] = (Comm){ q, k, &hub, hub_allgatherv, hub_bcast, hub_abort, hub_finalize, NULL, NULL };
        runs[q].comm = &comms[q];
        assert_int_equal(pthread_create(&th[q], NULL, rank_main, &runs[q]), 0);
    }
    for (int q = 0; q < k; q++)
        pthread_join(th[q], NULL);
    pthread_barrier_destroy(&hub.bar);
}

static void assert_same_params(const RankRun *got, const RankRun *want, const char *what)
{
    assert_int_equal(got->nparams, want->nparams);
    if (memcmp(got->params, want->params, want->nparams * sizeof(double)) != 0)
        fail_msg("%s: parameters differ from the one-process run", what);
    if (got->st.step != want->st.step || got->st.epoch != want->st.epoch ||
        memcmp(&got->st.epoch_loss_sum, &want->st.epoch_loss_sum, sizeof(double)) != 0 ||
        got->st.divergences != want->st.divergences || got->st.best_epoch != want->st.best_epoch ||
        got->st.stopped != want->st.stopped)
        fail_msg("%s: the training state differs from the one-process run", what);
    if (strcmp(got->events, want->events) != 0)
        fail_msg("%s: events \"%s\", one process: \"%s\"", what, got->events, want->events);
}

static void test_share_covers_every_item_once_in_rank_order(void **state)
{
    for (size_t n = 0; n < 40; n++)
        for (int k = 1; k <= 7; k++) {
            assert_int_equal(comm_share(n, 0, k), 0);
            assert_int_equal(comm_share(n, k, k), n);
            for (int r = 0; r < k; r++) {
                size_t a = comm_share(n, r, k), b = comm_share(n, r + 1, k);
                assert_true(a <= b);
                assert_true(b - a <= n / (size_t)k + 1);
            }
        }
}

/* Parameters and state after 3 epochs on 1..4 ranks x 1 and 2 threads a
 * rank, at batches from one block (fewer groups than ranks) to the whole
 * training set, float64 and float32: the one-process bits every time. */
static void test_k_ranks_end_bit_identical_to_one_process(void **state)
{
    Dataset train, val;
    synthetic(&train, 3000, 5);
    synthetic(&val, 300, 6);
    const int batches[] = { 1, 64, 200, 1000, 3000 };
    for (int p = 0; p < 2; p++)
        for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++) {
            RankRun one = { .train = &train, .val = &val, .precision = (TrainPrecision)p,
                            .o = { .epochs = batches[bi] == 1 ? 1 : 3, .batch_size = batches[bi], .lr = 0.01,
                                   .seed = 3, .threads = 1, .shuffle = 1 } };
            rank_main(&one);
            assert_int_equal(one.rc, 0);
            for (int k = 1; k <= MAX_RANKS; k++)
                for (int threads = 1; threads <= 2; threads++) {
                    RankRun runs[MAX_RANKS];
                    for (int q = 0; q < k; q++) {
                        runs[q] = one;
                        runs[q].o.threads = threads;
                        runs[q].rc = 0;
                        runs[q].st = (TrainState){ 0 };
                        memset(runs[q].params, 0, sizeof runs[q].params);
                    }
                    run_ranks(k, runs);
                    for (int q = 0; q < k; q++) {
                        char what[96];
                        snprintf(what, sizeof what, "%s, batch %d, %d ranks x %d threads, rank %d",
                                 p ? "float32" : "float64", batches[bi], k, threads, q);
                        assert_int_equal(runs[q].rc, 0);
                        assert_same_params(&runs[q], &one, what);
                    }
                }
        }
    data_free(&train);
    data_free(&val);
}

/* Rollbacks, early stopping and restore_best on 3 ranks: the same events
 * at the same steps, the same end. */
static void test_rollback_and_early_stopping_agree_on_three_ranks(void **state)
{
    Dataset train, val;
    synthetic(&train, 2000, 7);
    synthetic(&val, 200, 8);
    const double rates[] = { 40.0, 0.05 };
    for (int i = 0; i < 2; i++) {
        RankRun one = { .train = &train, .val = &val,
                        .o = { .epochs = 40, .batch_size = 500, .lr = rates[i], .seed = 11, .threads = 1,
                               .shuffle = 1, .patience = 3, .min_delta = 1e-3, .restore_best = 1,
                               .divergence_retries = 4, .divergence_factor = 0.1 } };
        rank_main(&one);
        RankRun runs[3] = { one, one, one };
        run_ranks(3, runs);
        if (i == 0)
            assert_true(one.st.divergences > 0 && strstr(one.events, "rollback@"));
        else
            assert_true(one.st.stopped == 1 && strstr(one.events, "early_stop@") &&
                        strstr(one.events, "restore_best@"));
        for (int q = 0; q < 3; q++) {
            assert_int_equal(runs[q].rc, one.rc);
            assert_same_params(&runs[q], &one, i ? "early stopping" : "rollback");
        }
    }
    data_free(&train);
    data_free(&val);
}

/* A stop request on one rank alone stops every rank after the same step,
 * with the same parameters. */
static void test_a_stop_on_one_rank_stops_every_rank_at_the_same_step(void **state)
{
    Dataset train;
    synthetic(&train, 3000, 5);
    RankRun runs[3];
    for (int q = 0; q < 3; q++)
        runs[q] = (RankRun){ .train = &train,
                             .o = { .epochs = 2, .batch_size = 256, .lr = 0.01, .seed = 3, .threads = 1,
                                    .shuffle = 1 } };
    runs[2].stop = SIGTERM;
    run_ranks(3, runs);
    for (int q = 0; q < 3; q++) {
        assert_int_equal(runs[q].rc, E_STOP);
        assert_int_equal(runs[q].stop_now, SIGTERM);
        assert_int_equal(runs[q].st.step, 1);
        assert_same_params(&runs[q], &runs[0], "stopped");
    }
    data_free(&train);
}

static void test_the_arithmetic_fingerprint_is_stable_in_one_build(void **state)
{
    assert_true(comm_arith_fingerprint() == comm_arith_fingerprint());
    assert_true(comm_arith_fingerprint() != RNG_FNV_INIT);
    /* nodes with and without AVX-512 or FMA run one job */
    const uint64_t want = comm_arith_fingerprint();
    const KernIsa *was = kern_active;
    char paths[64];
    snprintf(paths, sizeof paths, "%s", kern_isa_available());
    for (char *save = NULL, *p = strtok_r(paths, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
        assert_int_equal(kern_isa_use(p, NULL), 0);
        if (comm_arith_fingerprint() != want)
            fail_msg("the arithmetic fingerprint differs on the %s kernels", p);
    }
    kern_active = was;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_covers_every_item_once_in_rank_order),
        cmocka_unit_test(test_k_ranks_end_bit_identical_to_one_process),
        cmocka_unit_test(test_rollback_and_early_stopping_agree_on_three_ranks),
        cmocka_unit_test(test_a_stop_on_one_rank_stops_every_rank_at_the_same_step),
        cmocka_unit_test(test_the_arithmetic_fingerprint_is_stable_in_one_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
