/* train: mini-batch gradient descent over a Dataset.
 * Owns the per-block gradient slots, the per-thread workspaces and the
 * parallel loop -- the only OpenMP region that touches training. A batch is
 * cut into fixed blocks of TRAIN_BLOCK rows; each block's gradient sum goes
 * into its own slot and the slots are added in block order, so parameters
 * are bit-identical whatever the thread count. Knows nothing of files:
 * per-epoch results go to a callback. */
#ifndef HOUSENET_TRAIN_H
#define HOUSENET_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "err.h"
#include "net.h"

/* Rows per block. A constant: it must never depend on the thread count. */
#define TRAIN_BLOCK 64

typedef struct TrainOpts {
    int epochs;          /* epochs to reach (the run ends after epoch `epochs`) */
    int batch_size;      /* rows per step; the last batch of an epoch may be smaller */
    double lr;           /* learning rate */
    uint64_t seed;       /* shuffle seed */
    int threads;         /* worker threads, >= 1 */
    int shuffle;         /* 1: a fresh seeded permutation of the rows every epoch */
} TrainOpts;

/* Where training stands; everything needed to continue is here or in the
 * parameters. An epoch's row order is recomputed from (seed, epoch). */
typedef struct TrainState {
    int64_t epoch;       /* epochs finished */
    int64_t step;        /* optimizer steps taken in total */
} TrainState;

/* What the callback sees after every epoch (epoch 0: before training). */
typedef struct EpochStats {
    int64_t epoch;
    double train_loss;   /* mean 1/2 (y - h)^2 over the epoch's steps (epoch 0: full pass) */
    double val_loss;     /* mean over the validation rows after the epoch; NaN without them */
    double lr;
    double seconds;      /* wall time of the epoch */
    double samples_per_s;
} EpochStats;

/* Returns 0 to go on, a negative code (with err set) to stop the run. */
typedef int (*EpochFn)(void *ctx, const Net *net, const TrainState *st,
                       const EpochStats *s, Err *err);

typedef struct Trainer {
    size_t nparams;
    int batch_cap;       /* largest batch a step takes */
    int nblocks_cap;     /* ceil(batch_cap / TRAIN_BLOCK) */
    int threads;
    double *slots;       /* owned, (nblocks_cap, nparams): per-block gradient sums */
    double *slot_loss;   /* owned, (nblocks_cap) */
    double *grad;        /* owned, (nparams): gradient of the batch's mean loss */
    double *ybuf;        /* owned, (threads, TRAIN_BLOCK * noutputs) gathered targets */
    NetWork *work;       /* owned, (threads) workspaces of TRAIN_BLOCK rows */
    size_t *perm;        /* owned, (nrows): the epoch's row order */
    size_t nrows;
} Trainer;

/* Sizes every buffer up front: the training step allocates nothing.
 * nrows is the number of training rows (for the permutation). */
int trainer_init(Trainer *t, const Net *net, int batch_cap, int threads, size_t nrows, Err *err);
void trainer_free(Trainer *t);

/* Gradient of the mean loss over rows idx[0..n) of d into t->grad (n <=
 * batch_cap); returns that mean loss. */
double trainer_grad(Trainer *t, const Net *net, const Dataset *d, const size_t *idx, size_t n);

/* Mean loss 1/2 (y - h)^2 over all rows of d (NaN when d has none). */
double trainer_loss(Trainer *t, const Net *net, const Dataset *d);

/* Predictions for all rows of d, in the model's (normalised) units, into
 * out (d->n * noutputs). */
void trainer_predict(Trainer *t, const Net *net, const Dataset *d, double *out);

/* The row order of epoch `epoch` (1-based) into t->perm. */
void trainer_epoch_order(Trainer *t, const TrainOpts *o, int64_t epoch);

/* Runs epochs st->epoch + 1 .. o->epochs, calling fn after each (and once
 * for epoch 0 when st->epoch == 0). Stops at the first non-zero return of
 * fn. Non-finite loss stops the run with E_NUMERIC before the update. */
int train_run(Trainer *t, Net *net, const Dataset *train, const Dataset *val,
              const TrainOpts *o, TrainState *st, EpochFn fn, void *ctx, Err *err);

/* Plain gradient descent: params -= lr * grad. */
void sgd_update(double *params, const double *grad, size_t n, double lr);

#endif
