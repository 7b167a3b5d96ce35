/* train: mini-batch gradient descent over a Dataset.
 * Owns the per-block gradient slots, the per-thread workspaces and the
 * parallel loop -- the only OpenMP region that touches training. A batch is
 * cut into fixed blocks of TRAIN_BLOCK rows; each block's gradient sum goes
 * into its own slot, the slots are added in fixed groups of TRAIN_GROUP and
 * the groups in order, so parameters are bit-identical whatever the thread
 * count. Knows nothing of files:
 * per-epoch results go to a callback. */
#ifndef HOUSENET_TRAIN_H
#define HOUSENET_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "comm.h"
#include "data.h"
#include "err.h"
#include "net.h"
#include "optim.h"
#include "schedule.h"

/* Rows per block. A constant: it must never depend on the thread count. */
#define TRAIN_BLOCK NET_BLOCK

/* Blocks a thread takes at a time and adds up itself (the first level of
 * the reduction). A constant, like TRAIN_BLOCK. */
#define TRAIN_GROUP 2

/* An epoch whose mean training loss, or whose validation loss at its end,
 * is above this many times the training loss before training has diverged
 * as surely as one with a non-finite value:
 * its parameters are finite but useless, and must not become the point a
 * later rollback returns to. */
#define TRAIN_BLOWUP 1e4

/* Rows per chunk. An epoch visits the chunks of the training rows in a
 * seeded order and the units of each chunk in a seeded order; batches never
 * straddle two chunks. So a chunk is all the data a step needs at once (data
 * larger than memory streams chunk by chunk), and the shuffle touches one
 * cache-sized chunk at a time. Fixed: results depend on it. */
#define TRAIN_CHUNK 65536

/* Rows per unit of the epoch order: an epoch shuffles the units of
 * TRAIN_UNIT consecutive rows of a chunk (the last unit of a chunk may be
 * shorter), not single rows, and a unit's rows stay together and in order.
 * Drawing the order and fetching the rows then cost per unit rather than
 * per row, and a unit is read as one run of memory. It is a good shuffle
 * because the rows are stored in a random order to begin with
 * (train_rows_permute). Fixed: results depend on it. */
#define TRAIN_UNIT 16

/* The fields after `shuffle` are all off when zero, so a TrainOpts that
 * names only the first six is plain mini-batch training at a constant rate. */
typedef struct TrainOpts {
    int epochs;          /* epochs to reach (the run ends after epoch `epochs`) */
    int batch_size;      /* rows per step; the last batch of a chunk may be smaller */
    double lr;           /* base learning rate */
    uint64_t seed;       /* shuffle seed */
    int threads;         /* worker threads, >= 1 */
    int shuffle;         /* 1: a fresh seeded order every epoch */
    Sched sched;         /* learning-rate schedule and warm-up (zeroed: constant) */
    double clip_norm;    /* > 0: a gradient whose global L2 norm is above it is scaled down to it */
    int patience;        /* > 0: stop after this many epochs without a better validation loss */
    double min_delta;    /* a validation loss counts as better when below best - min_delta */
    int restore_best;    /* 1: the run ends with the parameters of its best validation epoch */
    int divergence_retries;   /* rollbacks allowed before a divergence stops the run */
    double divergence_factor; /* each rollback multiplies the learning rate by this, in (0, 1) */
} TrainOpts;

/* Where training stands. With the parameters and the optimizer state this
 * is everything needed to continue exactly: an epoch's row order is
 * recomputed from (seed, epoch), and epoch_step says how many of its
 * batches are done. */
typedef struct TrainState {
    int64_t epoch;           /* epochs finished */
    int64_t step;            /* optimizer steps taken in total */
    int64_t epoch_step;      /* steps taken in the unfinished epoch (0 at a boundary) */
    double epoch_loss_sum;   /* sum of the row losses of those steps */
    double epoch_seconds;    /* wall time spent in the unfinished epoch, as of a step at most ~1024 rows back */
    double lr;               /* learning rate of the latest step (before the first: o->lr) */
    double lr_scale;         /* product of the rate reductions so far (plateau, divergence) */
    double grad_norm_sum;    /* sum of the unfinished epoch's gradient norms (before clipping) */
    double best_val;         /* lowest validation loss so far (+inf before any) */
    int64_t best_epoch;      /* the epoch that reached it, -1 before any */
    int64_t bad_epochs;      /* epochs since best_epoch (early stopping) */
    int64_t plateau_wait;    /* epochs since the best or the last plateau reduction */
    int64_t divergences;     /* rollbacks taken */
    int64_t stopped;         /* 1: early stopping ended the run */
    double start_loss;       /* training loss before the first step, over the first chunk
                                (0: not measured) */
} TrainState;

/* Every TrainState field, for checkpoints: a new field of TrainState gets a
 * row in the table in train.c, and is then saved and restored with no
 * other change. */
typedef enum { TSF_I64, TSF_F64 } TrainStateFieldType;
typedef struct TrainStateField {
    const char *name;
    size_t offset;
    TrainStateFieldType type;
    int64_t least; /* TSF_I64: the smallest value a sound state holds (counts 0, best_epoch -1) */
    int finite;    /* TSF_F64: 1 when a sound state holds a finite value (rates; losses may be NaN) */
} TrainStateField;
const TrainStateField *train_state_fields(int *count);

/* What the epoch hook sees after every epoch (epoch 0: before training). */
typedef struct EpochStats {
    int64_t epoch;
    double train_loss;   /* mean 1/2 (y - h)^2 over the epoch's steps (epoch 0: over the
                            first chunk, see train_run) */
    double val_loss;     /* mean over the validation rows after the epoch; NaN without them */
    double lr;
    double seconds;      /* wall time of the epoch */
    double samples_per_s;
    double grad_norm;    /* mean over the epoch's steps of the gradient's L2 norm before
                            clipping (epoch 0: NaN) */
} EpochStats;

/* Training rows, reached a chunk at a time. chunk() makes rows
 * [first, first + n) (n <= TRAIN_CHUNK) available as *view, valid until
 * the next call; in memory it is a view, streamed it is a read. */
typedef struct TrainData {
    size_t nrows;
    int nin;
    void *ctx;
    int (*chunk)(void *ctx, size_t first, size_t n, Dataset *view, Err *err);
} TrainData;

/* A TrainData over a Dataset held in memory (no copy; d must outlive it). */
TrainData train_data_memory(const Dataset *d);

/* Called after each step and each epoch, and for each event. Return 0 to go
 * on, or a negative code with err set to stop (E_STOP for a requested
 * stop). Any may be NULL. Events (kind, then a one-line message):
 *   rollback      a non-finite loss, gradient or parameter; the parameters,
 *                 optimizer and state went back to the last good point
 *                 (st is that point) and the rate was lowered
 *   diverged      the same with no retry left: the run stops with E_NUMERIC
 *   lr_reduced    the plateau schedule lowered the rate
 *   early_stop    patience epochs without a better validation loss
 *   restore_best  the run ended on its best epoch's parameters (or could not) */
typedef struct TrainHooks {
    void *ctx;
    int (*on_step)(void *ctx, const Net *net, const Optim *opt, const TrainState *st,
                   double batch_loss, Err *err);
    /* on_step runs after the steps whose count (st->step) is a multiple of
     * step_every (0 or 1: every step), and after any step at which a stop
     * was requested (Trainer.stop_now). A call at every step of one row
     * was a tenth of the step's time (docs/performance.md). */
    int64_t step_every;
    int (*on_epoch)(void *ctx, const Net *net, const Optim *opt, const TrainState *st,
                    const EpochStats *s, Err *err);
    int (*on_event)(void *ctx, const TrainState *st, const char *kind, const char *msg, Err *err);
    /* Optional, (validation rows, noutputs): when set, every validation
     * loss train_run computes comes from trainer_predict_loss, and these
     * are its predictions when on_epoch runs (one forward pass serves
     * both the loss and the caller's metrics). */
    double *val_pred;
} TrainHooks;

/* The arithmetic of the block kernels. Parameters, optimizer state and
 * every reduction past a block stay double either way. */
typedef enum TrainPrecision { TRAIN_F64 = 0, TRAIN_F32 = 1 } TrainPrecision;

/* [train] threads = 0: the calls that would run on several threads are
 * timed now and then against the same calls on one thread, and the faster
 * goes on, so that a machine whose other cores are busy (another process,
 * a shared node) does not make the run slower than one thread. Only speed
 * depends on it: blocks, groups and sums, and so the results, are those
 * of any thread count. A probe times THREAD_PROBE_CALLS calls on one
 * thread, then as many on all of them, stopping as soon as those have
 * taken longer (they cannot win: a slow parallel call is paid at most
 * once per probe); the choice then holds for THREAD_PROBE_HOLD times the
 * probe's duration (at least THREAD_PROBE_MIN_S), then the next probe. */
enum { THREAD_PROBE_CALLS = 8, THREAD_PROBE_HOLD = 50 };
enum { TRAIN_PROBE_GRAD = 0, TRAIN_PROBE_LOSS = 1, TRAIN_PROBE_PREDICT = 2 };
#define THREAD_PROBE_MIN_S 0.25
typedef struct ThreadProbe {
    int on;              /* 1: choose per step as above */
    int phase;           /* 0: timing one thread, 1: timing many, 2: holding the choice */
    int calls;           /* calls timed in this phase */
    int one;             /* the choice held: 1 = one thread */
    double sec[2];       /* seconds of the calls timed: [0] one thread, [1] many */
    double started;      /* when this probe began */
    double hold_until;   /* phase 2: when the next probe begins */
    double t0;           /* the call being timed: its start */
    int64_t steps[2];    /* calls run on many threads and on one, for the summary */
} ThreadProbe;

/* The threads a call that would use nt (> 1) runs on at time now; the
 * caller calls thread_probe_done with its end time. */

int thread_probe_pick(ThreadProbe *p, int nt, double now);
void thread_probe_done(ThreadProbe *p, int used, double now);

typedef struct Trainer {
    size_t nparams;
    int batch_cap;       /* largest batch a step takes */
    int nblocks_cap;     /* ceil(batch_cap / TRAIN_BLOCK) */
    int threads;
    int row221;          /* 1: the network is 2-2-1: a one-row step runs net_grad_row221,
                          * a block reads its rows in place (net_grad_runs221) */
    size_t per_thread[2]; /* blocks each thread must get: [0] a training step, [1] a forward pass */
    ThreadProbe probe[3]; /* threads = 0: one thread when that is faster (above), for the
                             TRAIN_PROBE_* kinds of calls, each timed on its own */
    double *slots;       /* owned, (nblocks_cap, nparams): per-block gradient sums */
    double *slot_loss;   /* owned, (nblocks_cap) */
    double *grad;        /* owned, (nparams): gradient of the batch's mean loss */
    double *ybuf;        /* owned, (threads, TRAIN_BLOCK * noutputs) gathered targets */
    NetWork *work;       /* owned, (threads) workspaces of TRAIN_BLOCK rows */
    size_t *units;       /* owned, (TRAIN_CHUNK / TRAIN_UNIT): the order of a chunk's units */
    size_t chunk_rows;   /* rows of the chunk units[] orders */
    size_t short_at;     /* where its last unit, if shorter than TRAIN_UNIT, is in units[] */
    size_t *chunks;      /* owned, (nchunks): the epoch's chunk order */
    size_t nrows;        /* training rows */
    size_t nchunks;
    /* The last good point, for rolling back after a divergence: params,
     * then OPTIM_MAX_BUFS optimizer buffers, all (nparams); taken at every
     * epoch start, and when train_run starts unless snap_held. A run
     * stopped mid-epoch keeps it in its checkpoint (the epoch's start);
     * the caller that restores it there sets snap_held, so that a resumed
     * run rolls back to where the uninterrupted one would. */
    double *snap;        /* owned, ((1 + OPTIM_MAX_BUFS) * nparams) */
    int64_t snap_t;      /* optimizer updates at the snapshot */
    TrainState snap_state;
    int snap_held;       /* 1: snap holds the resumed epoch's start (train_run clears it) */
    /* The parameters of the best validation epoch (with restore_best).
     * best_held is the epoch they belong to, -1 when none: a resumed run
     * holds them only if the caller restored this buffer too. */
    double *best;        /* owned, (nparams) */
    int64_t best_held;
    /* float32 mode (trainer_use_f32); all NULL in float64. */
    TrainPrecision precision;
    float *xf, *yf;      /* owned, (nrows, nin), (nrows): the training rows in float */
    float *pf;           /* owned, (nparams): params in float, refreshed every step */
    float *bf;           /* owned, (threads, TRAIN_BLOCK * (nin + 1)): gathered block rows and targets */
    /* Stop requests: *stop (set by a signal handler; may be NULL) is read
     * once a step; stop_now is the request the step's ranks agreed on
     * (the largest signal number any rank saw, 0 for none), the same on
     * every rank after the same step. */
    volatile sig_atomic_t *stop;
    int stop_now;
    /* 1: every step through the general step, none through the one-row
     * loop of the 2-2-1 network (trainloop.c); tests compare the two. */
    int general_steps;
    /* Ranks (trainer_set_comm); comm NULL: one process, and the rest NULL. */
    const Comm *comm;    /* borrowed */
    double *gbuf;        /* owned, (ngroups_cap * TRAINER_REC(nparams) + size): a step's gathered groups */
    size_t *gcounts, *gdispls; /* owned, (size): bytes and offsets of each rank's part of gbuf */
} Trainer;

/* Doubles a group takes in a step's gather: its gradient sum (nparams),
 * then its blocks' loss sums (TRAIN_GROUP; 0 past the batch's last block). */
#define TRAINER_REC(nparams) ((size_t)(nparams) + TRAIN_GROUP)

/* Sizes every buffer up front: the training step allocates nothing.
 * nrows is the number of training rows. */
int trainer_init(Trainer *t, const Net *net, int batch_cap, int threads, size_t nrows, Err *err);
/* Sets every probe of t (ThreadProbe) on or off: run.c sets them on for
 * [train] threads = 0; they stay off with one thread. */
void trainer_auto_threads(Trainer *t, int on);
/* threads = 0 on a machine whose other cores are busy now (the caller
 * knows; src/ reads no files): every probe starts by holding one thread
 * for secs, then probes as usual. */
void trainer_auto_start_one(Trainer *t, double secs);
/* Switches t to float32 block kernels: keeps a float copy of rows (the
 * training rows, in the order train_run will see them, so after
 * train_rows_permute) and float block buffers. From then on train_run
 * computes each block's gradient in float (net_grad_block_f32) and adds
 * it into the double slots in block order, so results stay independent of
 * the thread count; trainer_grad, trainer_loss and trainer_predict stay
 * double. rows must be the rows train_run's TrainData hands out, held in
 * memory. Fails with E_STATE when rows does not match t, E_NOMEM. */
int trainer_use_f32(Trainer *t, const Net *net, const Dataset *rows, Err *err);

/* Splits every step over the ranks of c (c->size > 1; borrowed, must
 * outlive t): rank r computes the contiguous groups [comm_share(ngroups,
 * r, K), comm_share(ngroups, r + 1, K)) of each step, one allgatherv
 * hands every rank all the groups' sums and block losses and every rank's
 * stop request, and every rank adds them in group and block order as one
 * process does: the same bits for any K. Validation losses and
 * predictions stay whole on every rank. E_NOMEM. */
int trainer_set_comm(Trainer *t, const Comm *c, Err *err);
/* Bytes a step's gather moves to each rank for batches of batch rows over
 * nparams parameters on `ranks` ranks. */
size_t trainer_gather_bytes(size_t nparams, int batch, int ranks);

/* Bytes trainer_init allocates for these sizes (with the network's block
 * workspaces), for --dry-run. */
size_t trainer_bytes(const Net *net, int batch_cap, int threads, size_t nrows);
/* Bytes trainer_use_f32 adds for these sizes. */
size_t trainer_f32_bytes(const Net *net, int threads, size_t nrows);
/* Optimizer steps in one epoch of nrows rows at batch_size. */
int64_t train_steps_per_epoch(size_t nrows, int batch_size);
/* Steps between two reads of the clock for steps of rows_per_step rows:
 * about every 1024 rows (a power of two of steps), at least every step. A read is costly next to a
 * small step (docs/performance.md); the trainer (the epoch's time) and the
 * progress bar read it this often. */
int64_t train_clock_every(size_t rows_per_step);
/* Seconds on the monotonic clock (CLOCK_MONOTONIC): for differences only. */
double train_now_s(void);
/* 1 when every v[k] (n) is finite, else 0. Branch-free vector sums: the
 * trainer checks the parameters after every step with it. */
int train_all_finite(const double *v, size_t n);
void trainer_free(Trainer *t);

/* Gradient of the mean loss over rows idx[0..n) of d into t->grad (n <=
 * batch_cap); returns that mean loss. Always in this process alone, even
 * with trainer_set_comm (train_run is what splits steps over ranks). */
double trainer_grad(Trainer *t, const Net *net, const Dataset *d, const size_t *idx, size_t n);

/* trainer_grad over rows idx[0..n), or with idx NULL over the rows at
 * positions pos .. pos + n of the chunk order (trainer_chunk_order) of
 * chunk d, which starts at training row chunk_first; with trainer_set_comm
 * the step's groups are split over the ranks and gathered (train_run's
 * step). The mean loss into *loss_out; fails only when the ranks cannot
 * exchange the groups. */
int trainer_grad_rows(Trainer *t, const Net *net, const Dataset *d, size_t chunk_first, const size_t *idx,
                      size_t pos, size_t n, double *loss_out, Err *err);

/* Mean loss 1/2 (y - h)^2 over all rows of d (NaN when d has none). */
double trainer_loss(Trainer *t, const Net *net, const Dataset *d);

/* Predictions for all rows of d, in the model's (normalised) units, into
 * out (d->n * noutputs). */
void trainer_predict(Trainer *t, const Net *net, const Dataset *d, double *out);

/* trainer_predict and trainer_loss from one forward pass: the predictions
 * into out, the loss (the bits of trainer_loss) returned. */
double trainer_predict_loss(Trainer *t, const Net *net, const Dataset *d, double *out);

/* The order of epoch `epoch` (1-based): t->chunks gets the chunk order. */
void trainer_epoch_order(Trainer *t, const TrainOpts *o, int64_t epoch);
/* The row order inside chunk c (of n rows) of that epoch: the chunk's
 * units in a seeded order, into t->units[0 .. ceil(n / TRAIN_UNIT)) (unit
 * u is rows u * TRAIN_UNIT up to (u + 1) * TRAIN_UNIT or n), each unit's
 * rows in order. Without o->shuffle, the units in order. */
void trainer_chunk_order(Trainer *t, const TrainOpts *o, int64_t epoch, size_t c, size_t n);
/* The rows at positions pos .. pos + m of that order come in runs of
 * consecutive rows (a unit or what is left of one): the first run's first
 * row into *row, its length (<= m) returned. */
size_t trainer_order_run(const Trainer *t, size_t pos, size_t m, size_t *row);
/* Row number `pos` (< n) of that order, for tests. */
size_t trainer_order_row(const Trainer *t, size_t pos);

/* Puts the rows of d in a random order drawn from (seed, part) alone (in
 * place, x and y together), so that the unit order of an epoch is a good
 * shuffle whatever order the rows came in. For training rows held in
 * memory, once before the first train_run (part 0); a source that reads
 * chunks from a file does it to each chunk c it reads (part 1 + c). */
void train_rows_permute(Dataset *d, uint64_t seed, uint64_t part);

/* Runs from *st to the end of epoch o->epochs, or until early stopping:
 * finishes the epoch in progress (skipping its first st->epoch_step
 * batches), then whole epochs. Calls hooks after every step and epoch (and
 * the epoch hook once for epoch 0 when starting from scratch). Each step's
 * rate is sched_lr() of o->sched at st->lr_scale; the gradient is clipped
 * to o->clip_norm. With validation rows, the best epoch is tracked in *st;
 * with o->restore_best the run ends on its parameters.
 * Divergence: a non-finite loss, gradient or updated parameter never
 * stays in params, and an epoch whose mean training loss or final
 * validation loss is above TRAIN_BLOWUP x st->start_loss is not kept. Up to
 * o->divergence_retries times, params, optimizer and *st go back to the
 * snapshot (the epoch start; where this call began when it began mid-epoch
 * without t->snap_held) and st->lr_scale is multiplied by o->divergence_factor; after
 * that the run stops with E_NUMERIC and params, optimizer and *st at the
 * snapshot. Returns 0 when done (st->stopped = 1 after an early stop). */
int train_run(Trainer *t, Net *net, Optim *opt, const TrainData *train, const Dataset *val,
              const TrainOpts *o, TrainState *st, const TrainHooks *hooks, Err *err);

/* A fresh state for o: epoch 0, step 0, no best epoch, lr_scale 1,
 * learning rate o->lr. */
TrainState train_state_start(const TrainOpts *o);

#endif
