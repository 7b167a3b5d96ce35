/* trainloop: the epoch loop of train_run and what it keeps between steps:
 * the state fields a checkpoint stores, the clock, the divergence guard
 * with its rollback snapshot, best-epoch tracking and early stopping (see
 * train.h). The blocks, their reduction over threads and ranks and the
 * orders are train.c's. */
#include "train.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kern.h"
#include "rng.h"
#include "row221.h"
#include "schedule.h"

static int memory_chunk(void *ctx, size_t first, size_t n, Dataset *view, Err *err)
{
    (void)err;
    const Dataset *d = ctx;
    view->n = n;
    view->nin = d->nin;
    view->x = d->x + first * (size_t)d->nin;
    view->y = d->y + first;
    return 0;
}

TrainData train_data_memory(const Dataset *d)
{
    TrainData td = { d->n, d->nin, (void *)d, memory_chunk };
    return td;
}

static const TrainStateField STATE_FIELDS[] = {
    { "epoch", offsetof(TrainState, epoch), TSF_I64, 0, 0 },
    { "step", offsetof(TrainState, step), TSF_I64, 0, 0 },
    { "epoch_step", offsetof(TrainState, epoch_step), TSF_I64, 0, 0 },
    { "epoch_loss_sum", offsetof(TrainState, epoch_loss_sum), TSF_F64, 0, 0 },
    { "epoch_seconds", offsetof(TrainState, epoch_seconds), TSF_F64, 0, 0 },
    { "lr", offsetof(TrainState, lr), TSF_F64, 0, 1 },
    { "lr_scale", offsetof(TrainState, lr_scale), TSF_F64, 0, 1 },
    { "grad_norm_sum", offsetof(TrainState, grad_norm_sum), TSF_F64, 0, 0 },
    { "best_val", offsetof(TrainState, best_val), TSF_F64, 0, 0 },
    { "best_epoch", offsetof(TrainState, best_epoch), TSF_I64, -1, 0 },
    { "bad_epochs", offsetof(TrainState, bad_epochs), TSF_I64, 0, 0 },
    { "plateau_wait", offsetof(TrainState, plateau_wait), TSF_I64, 0, 0 },
    { "divergences", offsetof(TrainState, divergences), TSF_I64, 0, 0 },
    { "stopped", offsetof(TrainState, stopped), TSF_I64, 0, 0 },
    { "start_loss", offsetof(TrainState, start_loss), TSF_F64, 0, 0 },
};

const TrainStateField *train_state_fields(int *count)
{
    *count = (int)(sizeof STATE_FIELDS / sizeof STATE_FIELDS[0]);
    return STATE_FIELDS;
}

double train_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* 1 when every v[k] is finite. v[k] * 0 is 0 for a finite value and NaN
 * for inf or NaN; a vector sum of those has no branch per element, unlike
 * a loop that tests and leaves early. Four sums whose chains interleave:
 * one sum would be a chain of n / 8 dependent adds (docs/performance.md). */
int train_all_finite(const double *v, size_t n)
{
    if (n < 32) { /* a small network: its elements one by one cost less than the vectors */
        double t = 0.0;
        for (size_t k = 0; k < n; k++)
            t += v[k] * 0.0;
        return isfinite(t);
    }
    KernV8 z[4] = { { 0 } };
    size_t k = 0;
    for (; k + 32 <= n; k += 32)
        for (int j = 0; j < 4; j++)
            z[j] += kern_load(v + k + 8 * j) * 0.0;
    for (; k + 8 <= n; k += 8)
        z[0] += kern_load(v + k) * 0.0;
    double t = kern_hsum((z[0] + z[1]) + (z[2] + z[3]));
    for (; k < n; k++)
        t += v[k] * 0.0;
    return isfinite(t);
}
/* Mean loss over the first chunk of the training rows (all of them up to
 * TRAIN_CHUNK rows), for epoch 0 and the divergence guard. Not a full
 * pass: on large data that costs as much as a good part of an epoch, and
 * the rows are stored in a random order, so the first chunk is a sample. */
static int start_loss(Trainer *t, const Net *net, const TrainData *td, double *out, Err *err)
{
    const size_t n = td->nrows < TRAIN_CHUNK ? td->nrows : TRAIN_CHUNK;
    Dataset view;
    int rc = td->chunk(td->ctx, 0, n, &view, err);
    if (rc)
        return rc;
    *out = trainer_loss(t, net, &view);
    return 0;
}

/* L2 norm of g (n): 32 lanes of squares (four vectors whose chains
 * interleave, see train_all_finite), the four vectors added into one, the last
 * n mod 8 squares into its lanes, then the lanes in a fixed order. The
 * result depends on g alone. */
static double l2_norm(const double *g, size_t n)
{
    double s[8] = { 0 };
    size_t k = 0;
    if (n < 32) { /* the same sums, lane k & 7 by lane, without the vectors */
        for (; k < 16; k++)
            if (k < n)
                s[k & 7] += g[k] * g[k];
    } else {
        KernV8 acc[4] = { { 0 } };
        for (; k + 32 <= n; k += 32)
            for (int j = 0; j < 4; j++) {
                KernV8 x = kern_load(g + k + 8 * j);
                acc[j] += x * x;
            }
        for (; k + 8 <= n; k += 8) {
            KernV8 x = kern_load(g + k);
            acc[0] += x * x;
        }
        KernV8 v = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        memcpy(s, &v, sizeof s);
    }
    for (; k < n; k++)
        s[k & 7] += g[k] * g[k];
    return sqrt(((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])));
}
static void snapshot_take(Trainer *t, const Net *net, const Optim *opt, const TrainState *st)
{
    const size_t np = net->nparams;
    memcpy(t->snap, net->params, np * sizeof(double));
    for (int b = 0; b < opt->nbufs; b++)
        memcpy(t->snap + (size_t)(1 + b) * np, opt->buf[b], np * sizeof(double));
    t->snap_t = opt->t;
    t->snap_state = *st;
}

static void snapshot_restore(const Trainer *t, Net *net, Optim *opt, TrainState *st)
{
    const size_t np = net->nparams;
    memcpy(net->params, t->snap, np * sizeof(double));
    for (int b = 0; b < opt->nbufs; b++)
        memcpy(opt->buf[b], t->snap + (size_t)(1 + b) * np, np * sizeof(double));
    opt->t = t->snap_t;
    *st = t->snap_state;
}

/* Formats the message and hands the event to the hook (if any). */
__attribute__((format(printf, 5, 6)))
static int event(const TrainHooks *h, const TrainState *st, Err *err, const char *kind, const char *fmt, ...)
{
    if (!h->on_event)
        return 0;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return h->on_event(h->ctx, st, kind, msg, err);
}

/* Epoch `epoch` went wrong (what says how): back to the snapshot with a
 * lower rate, or stop with E_NUMERIC. */
static int diverged(Trainer *t, Net *net, Optim *opt, const TrainOpts *o, TrainState *st,
                    const TrainHooks *h, int64_t epoch, const char *what, Err *err)
{
    const double at_lr = st->lr;
    snapshot_restore(t, net, opt, st);
    if (st->divergences < o->divergence_retries) {
        st->divergences++;
        st->lr_scale *= o->divergence_factor;
        t->snap_state = *st; /* a second rollback keeps the lower rate */
        return event(h, st, err, "rollback",
                     "epoch %lld: %s at learning rate %g; rolled back to step %lld, learning rate x %g "
                     "(rollback %lld of %d)", (long long)epoch, what, at_lr, (long long)st->step,
                     o->divergence_factor, (long long)st->divergences, o->divergence_retries);
    }
    Err ignored = { 0 }; /* the divergence is the error to report */
    event(h, st, &ignored, "diverged", "epoch %lld: %s at learning rate %g; stopped", (long long)epoch, what,
          at_lr);
    return err_set(err, E_NUMERIC,
                   "training diverged at epoch %lld (%s, learning rate %g) after %lld rollback%s; "
                   "the last good point was epoch %lld, step %lld; lower [train] "
                   "learning_rate (now %g) or set [train] clip_norm",
                   (long long)epoch, what, at_lr, (long long)st->divergences,
                   st->divergences == 1 ? "" : "s", (long long)st->epoch, (long long)st->step, o->lr);
}

/* After epoch st->epoch's validation loss: best epoch, early-stopping and
 * plateau counters. Returns 1 when the loss is a new best. */
static int track_best(Trainer *t, const Net *net, const TrainOpts *o, TrainState *st, double val)
{
    if (isnan(val))
        return 0;
    if (st->best_epoch < 0 || val < st->best_val - o->min_delta) {
        st->best_val = val;
        st->best_epoch = st->epoch;
        st->bad_epochs = 0;
        st->plateau_wait = 0;
        if (o->restore_best) {
            memcpy(t->best, net->params, net->nparams * sizeof(double));
            t->best_held = st->epoch;
        }
        return 1;
    }
    st->bad_epochs++;
    st->plateau_wait++;
    return 0;
}

/* The run is over (last epoch or early stop): the best parameters back. */
static int finish(Trainer *t, Net *net, const TrainOpts *o, TrainState *st, const TrainHooks *h,
                  Err *err)
{
    if (!o->restore_best || st->best_epoch < 0 || st->best_epoch == st->epoch)
        return 0;
    if (t->best_held != st->best_epoch)
        return event(h, st, err, "restore_best",
                     "the parameters of the best epoch %lld were not kept across a resume; the last "
                     "epoch's are kept", (long long)st->best_epoch);
    memcpy(net->params, t->best, net->nparams * sizeof(double));
    return event(h, st, err, "restore_best", "parameters of epoch %lld restored (validation loss %.6g)",
                 (long long)st->best_epoch, st->best_val);
}

/* After an epoch's hook: early stopping, and at the end of the run the
 * best parameters back. A checkpoint written by the hook holds the state
 * before this decision, so a run resumed from it decides the same way at
 * its start (train_run) and ends exactly as the uninterrupted run. */
static int epoch_end(Trainer *t, Net *net, const TrainOpts *o, const Dataset *val, TrainState *st,
                     const TrainHooks *hooks, Err *err)
{
    int rc;
    if (!st->stopped && o->patience > 0 && val && st->bad_epochs >= o->patience) {
        st->stopped = 1;
        if ((rc = event(hooks, st, err, "early_stop",
                        "no validation loss below %.6g - %g for %d epochs (best at epoch %lld)",
                        st->best_val, o->min_delta, o->patience, (long long)st->best_epoch)))
            return rc;
    }
    if (st->stopped || st->epoch == o->epochs)
        return finish(t, net, o, st, hooks, err);
    return 0;
}

/* What train_run's stages share: its arguments, and the step count and
 * clock period of the run. */
typedef struct Loop {
    Trainer *t;
    Net *net;
    Optim *opt;
    const TrainData *train;
    const Dataset *val;
    const TrainOpts *o;
    TrainState *st;
    const TrainHooks *hooks;
    int64_t spe;         /* steps per epoch */
    int64_t clock_every; /* steps between reads of the clock */
    int64_t hook_at;     /* the next step count at which on_step runs (TrainHooks.step_every) */
} Loop;

/* The validation loss, and the hooks' val_pred with it when they ask. */
static double val_loss(const Loop *L)
{
    return L->hooks->val_pred ? trainer_predict_loss(L->t, L->net, L->val, L->hooks->val_pred)
                              : trainer_loss(L->t, L->net, L->val);
}

/* The arguments train_run refuses. */
static int loop_check(const Loop *L, Err *err)
{
    const TrainOpts *o = L->o;
    if (L->train->nrows == 0)
        return err_set(err, E_DATA, "no training rows");
    if (L->train->nrows != L->t->nrows)
        return err_set(err, E_STATE, "trainer sized for %zu rows, data has %zu",
                       L->t->nrows, L->train->nrows);
    if (o->divergence_retries > 0 && !(o->divergence_factor > 0 && o->divergence_factor < 1))
        return err_set(err, E_CONFIG, "divergence_factor must be between 0 and 1, got %g",
                       o->divergence_factor);
    return 0;
}

/* Before the first epoch: epoch 0's losses and hook on a new run; on a run
 * resumed at an epoch boundary, the decision that followed that epoch. */
static int loop_start(Loop *L, Err *err)
{
    Trainer *t = L->t;
    const TrainOpts *o = L->o;
    TrainState *st = L->st;
    int rc = 0;
    if (!t->snap_held || st->epoch_step == 0)
        snapshot_take(t, L->net, L->opt, st);
    t->snap_held = 0;
    if (st->epoch == 0 && st->epoch_step == 0) {
        double lr0 = sched_lr(&o->sched, o->lr, st->lr_scale, 1, o->epochs, 0, L->spe);
        EpochStats s0 = { 0, 0.0, L->val ? val_loss(L) : NAN, lr0, 0.0, 0.0, NAN };
        if ((rc = start_loss(t, L->net, L->train, &s0.train_loss, err)))
            return rc;
        st->start_loss = isfinite(s0.train_loss) ? s0.train_loss : 0.0;
        track_best(t, L->net, o, st, s0.val_loss);
        if (L->hooks->on_epoch && (rc = L->hooks->on_epoch(L->hooks->ctx, L->net, L->opt, st, &s0, err)))
            return rc;
    } else if (st->epoch_step == 0 && !st->stopped) {
        rc = epoch_end(t, L->net, o, L->val, st, L->hooks, err);
    }
    return rc;
}

/* Clipping: g (n) scaled to norm clip_norm when its norm gnorm is above. */
static inline void clip(const TrainOpts *o, double *g, size_t n, double gnorm)
{
    if (o->clip_norm > 0 && gnorm > o->clip_norm) {
        const double f = o->clip_norm / gnorm;
        for (size_t k = 0; k < n; k++)
            g[k] *= f;
    }
}

/* A step's bookkeeping once its update is in (its mean loss over m rows,
 * its gradient norm): the counters and the clock. 1 when the step hook is
 * due (TrainHooks.step_every, or a stop request): step_hook. */
static inline int step_done(Loop *L, double loss, size_t m, double gnorm, double t0)
{
    TrainState *st = L->st;
    st->step++;
    st->epoch_step++;
    st->epoch_loss_sum += loss * (double)m;
    st->grad_norm_sum += gnorm;
    if ((st->epoch_step & (L->clock_every - 1)) == 0)
        st->epoch_seconds = train_now_s() - t0;
    return L->hooks->on_step && (st->step == L->hook_at || L->t->stop_now);
}

static int step_hook(Loop *L, double loss, Err *err)
{
    if (L->st->step == L->hook_at)
        L->hook_at += L->hooks->step_every > 1 ? L->hooks->step_every : 1;
    return L->hooks->on_step(L->hooks->ctx, L->net, L->opt, L->st, loss, err);
}

/* One optimizer step of epoch on rows b0..b0+m of the chunk view (its
 * first row is the training row first); t0 is the epoch's start on the
 * clock. A non-finite loss, gradient or parameter rolls back (sets
 * *rolled_back) or stops. */
static int loop_step(Loop *L, const Dataset *view, size_t first, size_t b0, size_t m, int64_t epoch, double t0,
                     int *rolled_back, Err *err)
{
    Trainer *t = L->t;
    Net *net = L->net;
    const TrainOpts *o = L->o;
    TrainState *st = L->st;
    int rc;
    st->lr = sched_lr(&o->sched, o->lr, st->lr_scale, epoch, o->epochs, st->step, L->spe);
    double loss;
    if ((rc = trainer_grad_rows(t, net, view, first, NULL, b0, m, &loss, err)))
        return rc;
    /* inf or NaN when an element is, or when the squares overflow (diverged too) */
    double gnorm = l2_norm(t->grad, net->nparams);
    int bad = !isfinite(loss) || !isfinite(gnorm);
    if (!bad) {
        clip(o, t->grad, net->nparams, gnorm);
        optim_step(L->opt, net->params, t->grad, st->lr);
        bad = !train_all_finite(net->params, net->nparams);
    }
    if (bad) {
        char what[96];
        snprintf(what, sizeof what, "non-finite value at step %lld (loss %g)", (long long)st->step + 1, loss);
        *rolled_back = 1;
        return diverged(t, net, L->opt, o, st, L->hooks, epoch, what, err);
    }
    return step_done(L, loss, m, gnorm, t0) ? step_hook(L, loss, err) : 0;
}

/* Plain SGD steps of one row each on the 2-2-1 network in float64 in one
 * process (rows221_fits), at positions b .. n of the chunk view: loop_step's
 * sequence with the parameters held in registers from one step to the
 * next and the row's gradient inline (docs/performance.md: 1.15x at batch
 * 1), the same bits (test_train compares). Stops before a step that is
 * not finite, for loop_step to take it again and roll back, and when the
 * step hook fails (*rc). Returns the position reached. */
static size_t loop_rows221(Loop *L, const Dataset *view, size_t b, size_t n, int64_t epoch, double t0, int *rc,
                           Err *err)
{
    Trainer *t = L->t;
    Net *net = L->net;
    const TrainOpts *o = L->o;
    TrainState *st = L->st;
    double p[9];
    memcpy(p, net->params, sizeof p);
    size_t at = b;
    for (size_t r = 0, left = 0; at < n; at++, r++, left--) {
        if (!left)
            left = trainer_order_run(t, at, n - at, &r);
        const double lr = sched_lr(&o->sched, o->lr, st->lr_scale, epoch, o->epochs, st->step, L->spe);
        double g[9] = { 0 }, q[9];
        const double loss = 0.0 + row221_grad(p, view->x + 2 * r, view->y[r], g);
        const double gnorm = l2_norm(g, 9);
        if (!isfinite(loss) || !isfinite(gnorm))
            break;
        clip(o, g, 9, gnorm);
        memcpy(q, p, sizeof q);
        optim_sgd(L->opt, q, g, 9, lr);
        if (!train_all_finite(q, 9))
            break;
        memcpy(p, q, sizeof p);
        L->opt->t++;
        st->lr = lr;
        t->stop_now = t->stop ? *t->stop : 0;
        if (step_done(L, loss, 1, gnorm, t0)) {
            memcpy(net->params, p, sizeof p);
            if ((*rc = step_hook(L, loss, err)))
                return at + 1;
        }
    }
    memcpy(net->params, p, sizeof p);
    return at;
}

/* 1 when loop_rows221 takes the steps: one row a step, the 2-2-1 network,
 * sgd, float64, one process. */
static int rows221_fits(const Loop *L)
{
    const Trainer *t = L->t;
    return L->o->batch_size == 1 && t->row221 && !t->comm && t->precision == TRAIN_F64 &&
           L->opt->kind == OPT_SGD && !t->general_steps;
}

/* The steps of epoch, chunk by chunk in the epoch's order, skipping the
 * st->epoch_step batches a resumed run has done; stops at a rollback. */
static int loop_steps(Loop *L, int64_t epoch, double t0, int *rolled_back, Err *err)
{
    Trainer *t = L->t;
    const TrainData *train = L->train;
    const size_t bs = (size_t)L->o->batch_size;
    int64_t skip = L->st->epoch_step; /* batches of this epoch already done */
    int rc;
    /* the first multiple of step_every after st->step, which a resumed run
     * or a rollback may have set anywhere */
    const int64_t every = L->hooks->step_every > 1 ? L->hooks->step_every : 1;
    L->hook_at = (L->st->step / every + 1) * every;
    trainer_epoch_order(t, L->o, epoch);
    for (size_t ci = 0; ci < t->nchunks && !*rolled_back; ci++) {
        size_t c = t->chunks[ci];
        size_t first = c * TRAIN_CHUNK;
        size_t n = train->nrows - first < TRAIN_CHUNK ? train->nrows - first : TRAIN_CHUNK;
        int64_t nbatches = (int64_t)((n + bs - 1) / bs);
        if (skip >= nbatches) {
            skip -= nbatches;
            continue;
        }
        Dataset view;
        if ((rc = train->chunk(train->ctx, first, n, &view, err)))
            return rc;
        trainer_chunk_order(t, L->o, epoch, c, n);
        size_t b = (size_t)skip * bs;
        if (rows221_fits(L) && (b = loop_rows221(L, &view, b, n, epoch, t0, &rc, err), rc))
            return rc;
        for (size_t b0 = b; b0 < n && !*rolled_back; b0 += bs) {
            size_t m = n - b0 < bs ? n - b0 : bs;
            if ((rc = loop_step(L, &view, first, b0, m, epoch, t0, rolled_back, err)))
                return rc;
        }
        skip = 0;
    }
    return 0;
}

/* An epoch may end on parameters that have blown up while its mean
 * training loss still looks fine: the validation loss shows it. A loss
 * over TRAIN_BLOWUP x the start rolls back (sets *rolled_back) or stops. */
static int loop_blowup(Loop *L, int64_t epoch, double mean_loss, double val_loss, int *rolled_back, Err *err)
{
    TrainState *st = L->st;
    const double bound = TRAIN_BLOWUP * st->start_loss;
    const int train_blew = !(mean_loss <= bound), val_blew = L->val && !(val_loss <= bound);
    if (!(st->start_loss > 0 && (train_blew || val_blew)))
        return 0;
    char what[128];
    if (train_blew)
        snprintf(what, sizeof what, "mean training loss %g, over %g x the initial %g", mean_loss,
                 TRAIN_BLOWUP, st->start_loss);
    else
        snprintf(what, sizeof what, "validation loss %g, over %g x the initial training loss %g",
                 val_loss, TRAIN_BLOWUP, st->start_loss);
    *rolled_back = 1;
    return diverged(L->t, L->net, L->opt, L->o, st, L->hooks, epoch, what, err);
}

/* lr_schedule = plateau: after an epoch whose validation loss was not a
 * new best, lower the rate once plateau_wait reaches the patience. */
static int loop_plateau(Loop *L, int better, Err *err)
{
    const TrainOpts *o = L->o;
    TrainState *st = L->st;
    if (!(o->sched.kind == SCHED_PLATEAU && L->val && !better && o->sched.plateau_patience > 0 &&
          st->plateau_wait >= o->sched.plateau_patience))
        return 0;
    double before = st->lr_scale;
    st->lr_scale = sched_plateau_reduce(&o->sched, o->lr, st->lr_scale);
    st->plateau_wait = 0;
    if (st->lr_scale == before)
        return 0;
    return event(L->hooks, st, err, "lr_reduced",
                 "validation loss flat for %d epochs (best %.6g at epoch %lld); learning rate %g -> %g",
                 o->sched.plateau_patience, st->best_val, (long long)st->best_epoch, o->lr * before,
                 o->lr * st->lr_scale);
}

/* Epoch epoch is done: its figures to the hook, the state to the next
 * epoch, best tracking, the plateau schedule and early stopping. */
static int loop_epoch_done(Loop *L, int64_t epoch, double mean_loss, double val_loss, double dt, Err *err)
{
    TrainState *st = L->st;
    int rc;
    EpochStats s = { epoch, mean_loss, val_loss, st->lr, dt,
                     dt > 0 ? (double)L->train->nrows / dt : 0.0,
                     st->epoch_step ? st->grad_norm_sum / (double)st->epoch_step : NAN };
    st->epoch = epoch;
    st->epoch_step = 0;
    st->epoch_loss_sum = 0.0;
    st->epoch_seconds = 0.0;
    st->grad_norm_sum = 0.0;
    int better = track_best(L->t, L->net, L->o, st, s.val_loss);
    if ((rc = loop_plateau(L, better, err)))
        return rc;
    if (L->hooks->on_epoch && (rc = L->hooks->on_epoch(L->hooks->ctx, L->net, L->opt, st, &s, err)))
        return rc;
    return epoch_end(L->t, L->net, L->o, L->val, st, L->hooks, err);
}

int train_run(Trainer *t, Net *net, Optim *opt, const TrainData *train, const Dataset *val,
              const TrainOpts *o, TrainState *st, const TrainHooks *hooks, Err *err)
{
    static const TrainHooks none = { 0 };
    /* The clock is read every clock_every steps: the epoch's time that a
     * mid-epoch checkpoint stores is at most ~1024 rows old (microseconds);
     * the epoch's own time is read at its end. */
    Loop L = { t, net, opt, train, val, o, st, hooks ? hooks : &none,
               0, train_clock_every((size_t)o->batch_size), 0 };
    int rc;
    if ((rc = loop_check(&L, err)))
        return rc;
    L.spe = train_steps_per_epoch(train->nrows, o->batch_size);
    if ((rc = loop_start(&L, err)))
        return rc;
    while (!st->stopped && st->epoch < o->epochs) {
        const int64_t epoch = st->epoch + 1;
        if (st->epoch_step == 0)
            snapshot_take(t, net, opt, st);
        double t0 = train_now_s() - st->epoch_seconds;
        int rolled_back = 0;
        if ((rc = loop_steps(&L, epoch, t0, &rolled_back, err)))
            return rc;
        double mean_loss = st->epoch_loss_sum / (double)train->nrows;
        double dt = train_now_s() - t0;
        double vloss = !rolled_back && val ? val_loss(&L) : NAN;
        if (!rolled_back && (rc = loop_blowup(&L, epoch, mean_loss, vloss, &rolled_back, err)))
            return rc;
        if (rolled_back)
            continue; /* the epoch again from the snapshot, at the lower rate */
        if ((rc = loop_epoch_done(&L, epoch, mean_loss, vloss, dt, err)))
            return rc;
    }
    return 0;
}

TrainState train_state_start(const TrainOpts *o)
{
    TrainState st = { 0 };
    st.lr = o->lr;
    st.lr_scale = 1.0;
    st.best_val = INFINITY;
    st.best_epoch = -1;
    return st;
}
