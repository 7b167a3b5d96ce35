/* train: the parallel block loop, the reduction and the epoch loop (see train.h).
 *
 * Determinism: a batch of n rows is cut into ceil(n / TRAIN_BLOCK) blocks.
 * Whichever thread runs block b, its gradient sum lands in slot b and is
 * computed in row order; the slots are then added in block order. Neither
 * the blocks nor any summation order depend on the thread count. */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "rng.h"

int trainer_init(Trainer *t, const Net *net, int batch_cap, int threads, size_t nrows, Err *err)
{
    memset(t, 0, sizeof *t);
    if (batch_cap < 1)
        return err_set(err, E_CONFIG, "batch size must be at least 1, got %d", batch_cap);
    if (threads < 1)
        threads = 1;
    t->nparams = net->nparams;
    t->batch_cap = batch_cap;
    t->nblocks_cap = (batch_cap + TRAIN_BLOCK - 1) / TRAIN_BLOCK;
    t->threads = threads;
    t->nrows = nrows;
    int nout = net->width[net->nlayers];
    t->slots = malloc((size_t)t->nblocks_cap * net->nparams * sizeof(double));
    t->slot_loss = malloc((size_t)t->nblocks_cap * sizeof(double));
    t->grad = malloc(net->nparams * sizeof(double));
    t->ybuf = malloc((size_t)threads * TRAIN_BLOCK * (size_t)nout * sizeof(double));
    t->work = calloc((size_t)threads, sizeof(NetWork));
    t->perm = malloc((nrows ? nrows : 1) * sizeof(size_t));
    if (!t->slots || !t->slot_loss || !t->grad || !t->ybuf || !t->work || !t->perm)
        goto nomem;
    for (int k = 0; k < threads; k++)
        if (network_init(&t->work[k], net, TRAIN_BLOCK, err))
            goto nomem;
    for (size_t r = 0; r < nrows; r++)
        t->perm[r] = r;
    return 0;
nomem:
    trainer_free(t);
    return err_set(err, E_NOMEM, "out of memory for training buffers (batch %d, %zu parameters)",
                   batch_cap, net->nparams);
}

void trainer_free(Trainer *t)
{
    if (!t)
        return;
    if (t->work)
        for (int k = 0; k < t->threads; k++)
            network_free(&t->work[k]);
    free(t->work);
    free(t->slots);
    free(t->slot_loss);
    free(t->grad);
    free(t->ybuf);
    free(t->perm);
    memset(t, 0, sizeof *t);
}

static int thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Copies rows idx[0..n) (or rows first..first+n when idx is NULL) of d into
 * the block buffers x (n, nin) and y (n). */
static void gather(const Dataset *d, const size_t *idx, size_t first, int n, double *x, double *y)
{
    const size_t nin = (size_t)d->nin;
    if (!idx) {
        memcpy(x, d->x + first * nin, (size_t)n * nin * sizeof(double));
        memcpy(y, d->y + first, (size_t)n * sizeof(double));
        return;
    }
    /* Element loops, not memcpy: rows are a few doubles wide. Two features
     * (the common case) get a loop of their own that the compiler unrolls:
     * the generic one costs 1.7x as much per row. */
    if (nin == 2) {
        for (int s = 0; s < n; s++) {
            size_t r = idx[s];
            x[2 * s] = d->x[2 * r];
            x[2 * s + 1] = d->x[2 * r + 1];
            y[s] = d->y[r];
        }
        return;
    }
    for (int s = 0; s < n; s++) {
        size_t r = idx[s];
        for (size_t j = 0; j < nin; j++)
            x[(size_t)s * nin + j] = d->x[r * nin + j];
        y[s] = d->y[r];
    }
}

/* Threads worth waking for nblocks blocks. A team costs a few microseconds
 * to wake and join, and every block a second thread takes costs cache-line
 * transfers between cores (its part of the row order, its slot; ~300 ns
 * each on the VM measured). So a second thread joins only when every thread
 * gets at least TRAIN_MIN_WORK of work, counted as 6 flops per parameter and
 * row (forward and the two backward products) plus 64 per row (activations,
 * gathering). Measured, 2 threads over 1 at the margins: 2-16-16-1 at batch
 * 256 (0.27 M a thread) 0.84x, at batch 1024 (1.07 M) 1.2x; 2-64-64-1 at
 * batch 256 1.33x; 2-2-1 at batch 1024 0.43x, at 65536 (3.9 M) 1.08x. Never
 * more than the blocks. Only speed depends on this: the blocks, and so the
 * results, do not. */
static int threads_for(const Trainer *t, size_t nblocks)
{
    enum { TRAIN_MIN_WORK = 1 << 20 };
    const double block_work = (6.0 * (double)t->nparams + 64.0) * TRAIN_BLOCK;
    size_t per_thread = (size_t)ceil(TRAIN_MIN_WORK / block_work);
    size_t useful = nblocks / (per_thread ? per_thread : 1);
    if (useful < 1)
        useful = 1;
    return useful < (size_t)t->threads ? (int)useful : t->threads;
}

/* The blocks of one step and their reduction (see trainer_grad). Orphaned
 * worksharing loops: inside a parallel region the team splits the blocks
 * and then the parameters; called outside one, the calling thread does all
 * of it with no OpenMP overhead. */
static void grad_blocks(Trainer *t, const Net *net, const Dataset *d, const size_t *idx, size_t n, int nblocks)
{
    const size_t np = net->nparams;
    double *slots = t->slots, *grad = t->grad;
    NetWork *w = &t->work[thread_id()];
    double *yb = t->ybuf + (size_t)thread_id() * TRAIN_BLOCK;
#pragma omp for schedule(static)
    for (int b = 0; b < nblocks; b++) {
        size_t first = (size_t)b * TRAIN_BLOCK;
        int m = (int)(n - first < TRAIN_BLOCK ? n - first : TRAIN_BLOCK);
        double *g = slots + (size_t)b * np;
        /* Another core read these slots in the last reduction, so writing
         * them costs a cache-line transfer each (~300 ns on a VM here),
         * and the stores that wait for it stall the block. Ask for block
         * b + 2's lines now, for writing: with 2 threads this took a 2-2-1
         * block from 390 to 250 ns (220 ns alone). */
        if (b + 2 < nblocks) {
            const char *q = (const char *)(slots + (size_t)(b + 2) * np);
            for (size_t o = 0; o < np * sizeof(double) + 63; o += 64)
                __builtin_prefetch(q + o, 1, 3);
            __builtin_prefetch(t->slot_loss + b + 2, 1, 3);
        }
        memset(g, 0, np * sizeof(double));
        gather(d, idx + first, 0, m, w->a[0], yb);
        /* Rows of a large data set come from DRAM in an order no hardware
         * prefetcher can guess: block b + 2's rows start on their way while
         * this block computes (the first block also asks for the second).
         * 33.5 M rows at batch 1024: 80 M samples/s without, 130 M with. */
        for (size_t s = first + (b ? 2 : 1) * TRAIN_BLOCK; s < first + 3 * TRAIN_BLOCK && s < n; s++) {
            __builtin_prefetch(d->x + idx[s] * (size_t)d->nin, 0, 2);
            __builtin_prefetch(d->y + idx[s], 0, 2);
        }
        t->slot_loss[b] = net_grad_block(net, net->params, w->a[0], yb, m, w, g);
    }
    /* Slots added in block order, per parameter: any thread may own a
     * range of k. Ranges of 512 keep the loops over k long enough to
     * vectorise and the partial sums in L1. */
    const double inv_n = 1.0 / (double)n;
    const size_t nranges = (np + 511) / 512;
#pragma omp for schedule(static)
    for (size_t c = 0; c < nranges; c++) {
        const size_t k0 = c * 512, k1 = k0 + 512 < np ? k0 + 512 : np;
        memcpy(grad + k0, slots + k0, (k1 - k0) * sizeof(double));
        for (int b = 1; b < nblocks; b++) {
            const double *sb = slots + (size_t)b * np;
            for (size_t k = k0; k < k1; k++)
                grad[k] += sb[k];
        }
        for (size_t k = k0; k < k1; k++)
            grad[k] *= inv_n;
    }
}

double trainer_grad(Trainer *t, const Net *net, const Dataset *d, const size_t *idx, size_t n)
{
    const int nblocks = (int)((n + TRAIN_BLOCK - 1) / TRAIN_BLOCK);
    const int nt = threads_for(t, (size_t)nblocks);
    if (nt > 1) {
#pragma omp parallel num_threads(nt) default(none) shared(t, net, d, idx, n, nblocks)
        grad_blocks(t, net, d, idx, n, nblocks);
    } else {
        grad_blocks(t, net, d, idx, n, nblocks);
    }
    double loss = 0.0;
    for (int b = 0; b < nblocks; b++)
        loss += t->slot_loss[b];
    return loss / (double)n;
}

/* Forward-only pass over all rows; per-block sums into slot_loss-sized
 * chunks so the total is added in block order. */
double trainer_loss(Trainer *t, const Net *net, const Dataset *d)
{
    if (d->n == 0)
        return NAN;
    const size_t n = d->n;
    const size_t nblocks = (n + TRAIN_BLOCK - 1) / TRAIN_BLOCK;
    const double *params = net->params;
    NetWork *work = t->work;
    double *ybuf = t->ybuf;
    const int nt = threads_for(t, nblocks);
    (void)nt;
    /* Blocks are summed in fixed groups of 64 so that only a small array of
     * partial sums is needed; group order and block order are fixed. */
    enum { GROUP = 64 };
    double total = 0.0;
    for (size_t g0 = 0; g0 < nblocks; g0 += GROUP) {
        double part[GROUP];
        const size_t gn = nblocks - g0 < GROUP ? nblocks - g0 : GROUP;
#pragma omp parallel for num_threads(nt) if (nt > 1 && gn > 1) schedule(static) default(none) \
    shared(net, d, n, g0, gn, params, work, ybuf, part)
        for (size_t j = 0; j < gn; j++) {
            NetWork *w = &work[thread_id()];
            double *yb = ybuf + (size_t)thread_id() * TRAIN_BLOCK;
            size_t first = (g0 + j) * TRAIN_BLOCK;
            int m = (int)(n - first < TRAIN_BLOCK ? n - first : TRAIN_BLOCK);
            gather(d, NULL, first, m, w->a[0], yb);
            part[j] = net_loss_block(net, params, w->a[0], yb, m, w);
        }
        for (size_t j = 0; j < gn; j++)
            total += part[j];
    }
    return total / (double)n;
}

void trainer_predict(Trainer *t, const Net *net, const Dataset *d, double *out)
{
    const size_t n = d->n;
    const size_t nblocks = (n + TRAIN_BLOCK - 1) / TRAIN_BLOCK;
    const size_t nout = (size_t)net->width[net->nlayers];
    const double *params = net->params;
    NetWork *work = t->work;
    double *ybuf = t->ybuf;
    const int nt = threads_for(t, nblocks);
    (void)nt;
#pragma omp parallel for num_threads(nt) if (nt > 1) schedule(static) default(none) \
    shared(net, d, n, nblocks, nout, params, work, ybuf, out)
    for (size_t b = 0; b < nblocks; b++) {
        NetWork *w = &work[thread_id()];
        double *yb = ybuf + (size_t)thread_id() * TRAIN_BLOCK;
        size_t first = b * TRAIN_BLOCK;
        int m = (int)(n - first < TRAIN_BLOCK ? n - first : TRAIN_BLOCK);
        gather(d, NULL, first, m, w->a[0], yb);
        const double *h = net_forward_block(net, params, w->a[0], m, w);
        memcpy(out + first * nout, h, (size_t)m * nout * sizeof(double));
    }
}

void trainer_epoch_order(Trainer *t, const TrainOpts *o, int64_t epoch)
{
    for (size_t r = 0; r < t->nrows; r++)
        t->perm[r] = r;
    if (o->shuffle) {
        Rng r = rng_stream(o->seed, RNG_STREAM_SHUFFLE + (uint64_t)epoch);
        rng_shuffle(&r, t->perm, t->nrows);
    }
}

void sgd_update(double *params, const double *grad, size_t n, double lr)
{
    for (size_t k = 0; k < n; k++)
        params[k] -= lr * grad[k];
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int all_finite(const double *v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(v[k]))
            return 0;
    return 1;
}

int train_run(Trainer *t, Net *net, const Dataset *train, const Dataset *val,
              const TrainOpts *o, TrainState *st, EpochFn fn, void *ctx, Err *err)
{
    if (train->n == 0)
        return err_set(err, E_DATA, "no training rows");
    if (train->n != t->nrows)
        return err_set(err, E_STATE, "trainer sized for %zu rows, data has %zu [src/train.c:%d]",
                       t->nrows, train->n, __LINE__);
    int rc;
    if (st->epoch == 0 && fn) {
        EpochStats s0 = { 0, trainer_loss(t, net, train), val ? trainer_loss(t, net, val) : NAN,
                          o->lr, 0.0, 0.0 };
        if ((rc = fn(ctx, net, st, &s0, err)))
            return rc;
    }
    const size_t bs = (size_t)o->batch_size;
    while (st->epoch < o->epochs) {
        int64_t epoch = st->epoch + 1;
        double t0 = now_s();
        trainer_epoch_order(t, o, epoch);
        double loss_sum = 0.0;
        for (size_t first = 0; first < train->n; first += bs) {
            size_t m = train->n - first < bs ? train->n - first : bs;
            double loss = trainer_grad(t, net, train, t->perm + first, m);
            if (!isfinite(loss) || !all_finite(t->grad, net->nparams))
                return err_set(err, E_NUMERIC,
                               "training diverged at epoch %lld step %lld (loss %g): parameters kept "
                               "from the step before; lower [train] learning_rate (now %g)",
                               (long long)epoch, (long long)st->step + 1, loss, o->lr);
            sgd_update(net->params, t->grad, net->nparams, o->lr);
            loss_sum += loss * (double)m;
            st->step++;
        }
        st->epoch = epoch;
        double dt = now_s() - t0;
        EpochStats s = { epoch, loss_sum / (double)train->n, val ? trainer_loss(t, net, val) : NAN,
                         o->lr, dt, dt > 0 ? (double)train->n / dt : 0.0 };
        if (fn && (rc = fn(ctx, net, st, &s, err)))
            return rc;
    }
    return 0;
}
