/* train: the parallel block loop, the reduction and the epoch loop (see train.h).
 *
 * Determinism: a batch of n rows is cut into ceil(n / TRAIN_BLOCK) blocks.
 * Whichever thread runs block b, its gradient sum lands in slot b and is
 * computed in row order; the slots of each group of TRAIN_GROUP blocks are
 * added in block order, then the groups in group order. Neither the blocks,
 * the groups nor any summation order depend on the thread count. */
#include "train.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "kern.h"
#include "rng.h"
#include "schedule.h"

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
    t->nchunks = (nrows + TRAIN_CHUNK - 1) / TRAIN_CHUNK;
    size_t nunits = ((nrows < TRAIN_CHUNK ? nrows : TRAIN_CHUNK) + TRAIN_UNIT - 1) / TRAIN_UNIT;
    t->units = malloc((nunits ? nunits : 1) * sizeof(size_t));
    t->chunks = malloc((t->nchunks ? t->nchunks : 1) * sizeof(size_t));
    t->snap = calloc((1 + OPTIM_MAX_BUFS) * net->nparams, sizeof(double));
    t->best = calloc(net->nparams, sizeof(double));
    t->best_held = -1;
    if (!t->slots || !t->slot_loss || !t->grad || !t->ybuf || !t->work || !t->units || !t->chunks ||
        !t->snap || !t->best)
        goto nomem;
    for (int k = 0; k < threads; k++)
        if (network_init(&t->work[k], net, TRAIN_BLOCK, err))
            goto nomem;
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
    free(t->units);
    free(t->chunks);
    free(t->snap);
    free(t->best);
    free(t->xf);
    free(t->yf);
    free(t->pf);
    free(t->bf);
    free(t->gbuf);
    free(t->gcounts);
    free(t->gdispls);
    memset(t, 0, sizeof *t);
}

size_t trainer_gather_bytes(size_t nparams, int batch, int ranks)
{
    size_t nblocks = ((size_t)batch + TRAIN_BLOCK - 1) / TRAIN_BLOCK;
    size_t ngroups = (nblocks + TRAIN_GROUP - 1) / TRAIN_GROUP;
    return (ngroups * TRAINER_REC(nparams) + (size_t)ranks) * sizeof(double);
}

int trainer_set_comm(Trainer *t, const Comm *c, Err *err)
{
    free(t->gbuf);
    free(t->gcounts);
    free(t->gdispls);
    t->gbuf = NULL;
    t->gcounts = t->gdispls = NULL;
    t->comm = NULL;
    if (!c || c->size == 1)
        return 0;
    t->gbuf = malloc(trainer_gather_bytes(t->nparams, t->batch_cap, c->size));
    t->gcounts = malloc((size_t)c->size * sizeof(size_t));
    t->gdispls = malloc((size_t)c->size * sizeof(size_t));
    if (!t->gbuf || !t->gcounts || !t->gdispls)
        return err_set(err, E_NOMEM, "out of memory for the gather of %zu bytes a step",
                       trainer_gather_bytes(t->nparams, t->batch_cap, c->size));
    t->comm = c;
    return 0;
}

/* n floats (at least one) on a 64-byte boundary, for free(); NULL when out of memory. */
static float *aligned_f32(size_t n)
{
    size_t bytes = ((n ? n : 1) * sizeof(float) + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes);
}

int trainer_use_f32(Trainer *t, const Net *net, const Dataset *rows, Err *err)
{
    if (rows->n != t->nrows || rows->nin != net->width[0])
        return err_set(err, E_STATE, "trainer sized for %zu rows of %d, got %zu of %d", t->nrows,
                       net->width[0], rows->n, rows->nin);
    const size_t nin = (size_t)rows->nin, nx = rows->n * nin;
    /* On 64-byte lines: a unit's rows are then whole vectors that never
     * straddle two lines (a 2-feature unit is 128 bytes). */
    float *xf = aligned_f32(nx), *yf = aligned_f32(rows->n), *pf = aligned_f32(t->nparams);
    float *bf = aligned_f32((size_t)t->threads * TRAIN_BLOCK * (nin + 1));
    if (!xf || !yf || !pf || !bf) {
        free(xf);
        free(yf);
        free(pf);
        free(bf);
        return err_set(err, E_NOMEM, "out of memory for a float32 copy of %zu training rows", rows->n);
    }
    for (size_t k = 0; k < nx; k++)
        xf[k] = (float)rows->x[k];
    for (size_t k = 0; k < rows->n; k++)
        yf[k] = (float)rows->y[k];
    free(t->xf);
    free(t->yf);
    free(t->pf);
    free(t->bf);
    t->xf = xf;
    t->yf = yf;
    t->pf = pf;
    t->bf = bf;
    t->precision = TRAIN_F32;
    return 0;
}

size_t trainer_bytes(const Net *net, int batch_cap, int threads, size_t nrows)
{
    /* Keep in step with trainer_init and network_init. */
    size_t np = net->nparams, nb = (size_t)(batch_cap + TRAIN_BLOCK - 1) / TRAIN_BLOCK;
    size_t nt = (size_t)(threads < 1 ? 1 : threads), nout = (size_t)net->width[net->nlayers];
    size_t widths = 0, maxw = 0;
    for (int l = 0; l <= net->nlayers; l++) {
        widths += (size_t)net->width[l];
        maxw = (size_t)net->width[l] > maxw ? (size_t)net->width[l] : maxw;
    }
    size_t work = ((size_t)TRAIN_BLOCK * (widths + 2 * maxw) + (np + 1) / 2) * sizeof(double);
    size_t nchunks = (nrows + TRAIN_CHUNK - 1) / TRAIN_CHUNK;
    size_t nunits = ((nrows < TRAIN_CHUNK ? nrows : TRAIN_CHUNK) + TRAIN_UNIT - 1) / TRAIN_UNIT;
    return (nb * np + nb + np + (1 + OPTIM_MAX_BUFS) * np + np) * sizeof(double) +
           nt * TRAIN_BLOCK * nout * sizeof(double) + nt * (sizeof(NetWork) + work) +
           (nunits + nchunks) * sizeof(size_t);
}

size_t trainer_f32_bytes(const Net *net, int threads, size_t nrows)
{
    /* Keep in step with trainer_use_f32 (rounding up to whole lines aside). */
    const size_t nin = (size_t)net->width[0], nt = (size_t)(threads < 1 ? 1 : threads);
    return (nrows * (nin + 1) + net->nparams + nt * TRAIN_BLOCK * (nin + 1)) * sizeof(float);
}

int64_t train_steps_per_epoch(size_t nrows, int batch_size)
{
    if (batch_size < 1)
        return 0;
    size_t bs = (size_t)batch_size, full = nrows / TRAIN_CHUNK, rest = nrows % TRAIN_CHUNK;
    return (int64_t)(full * ((TRAIN_CHUNK + bs - 1) / bs) + (rest + bs - 1) / bs);
}

int64_t train_clock_every(size_t rows_per_step)
{
    enum { CLOCK_ROWS = 1024 };
    return rows_per_step >= CLOCK_ROWS || rows_per_step == 0 ? 1 : (int64_t)(CLOCK_ROWS / rows_per_step);
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
     * (the common case) get a loop of their own that the compiler unrolls,
     * which the generic loop is slower than (docs/performance.md). */
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

/* The rows at positions pos .. pos + m of the order trainer_chunk_order
 * made come in runs of consecutive rows (a unit or what is left of one):
 * the first run's first row into *row, its length (<= m) returned. Units
 * before the short one (if any) are full, so a position finds its unit by
 * division. */
static size_t order_run(const Trainer *t, size_t pos, size_t m, size_t *row)
{
    const size_t n = t->chunk_rows, short_len = n % TRAIN_UNIT, ks = t->short_at * TRAIN_UNIT;
    size_t slot, off;
    if (pos < ks) {
        slot = pos / TRAIN_UNIT;
        off = pos % TRAIN_UNIT;
    } else if (pos < ks + short_len) {
        slot = t->short_at;
        off = pos - ks;
    } else {
        slot = (pos - short_len) / TRAIN_UNIT + 1;
        off = (pos - short_len) % TRAIN_UNIT;
    }
    const size_t r0 = t->units[slot] * TRAIN_UNIT, ulen = n - r0 < TRAIN_UNIT ? n - r0 : TRAIN_UNIT;
    *row = r0 + off;
    return ulen - off < m ? ulen - off : m;
}

size_t trainer_order_row(const Trainer *t, size_t pos)
{
    size_t row;
    order_run(t, pos, 1, &row);
    return row;
}

/* gather() for the rows at positions pos .. pos + m of the chunk order:
 * copied run by run, not row by row. */
static void gather_order(const Trainer *t, const Dataset *d, size_t pos, size_t m, double *x, double *y)
{
    const size_t nin = (size_t)d->nin;
    for (size_t s = 0, r, len; s < m; s += len) {
        len = order_run(t, pos + s, m - s, &r);
        const double *sx = d->x + r * nin, *sy = d->y + r;
        for (size_t k = 0; k < len * nin; k++)
            x[s * nin + k] = sx[k];
        for (size_t k = 0; k < len; k++)
            y[s + k] = sy[k];
    }
}

/* dst[0..n) = src[0..n) in vectors of 16 floats, then one by one: GCC
 * makes a plain loop a call to memcpy, too costly for runs of 64 to 128
 * bytes (docs/performance.md). */
static inline void copy_f32(float *restrict dst, const float *restrict src, size_t n)
{
    size_t k = 0;
    for (; k + 16 <= n; k += 16) {
        KernF16 v = kern_loadf(src + k);
        KERN_IN_REGISTER(v);
        kern_storef(dst + k, v);
    }
    for (; k < n; k++) {
        __asm__("" ::: "memory"); /* no memcpy of this loop either */
        dst[k] = src[k];
    }
}

/* gather_order() from the float rows x (rows, nin) and y (rows) into float
 * buffers. */
static void gather_order_f32(const Trainer *t, const float *x, const float *y, size_t nin, size_t pos, size_t m,
                             float *xo, float *yo)
{
    for (size_t s = 0, r, len; s < m; s += len) {
        len = order_run(t, pos + s, m - s, &r);
        copy_f32(xo + s * nin, x + r * nin, len * nin);
        copy_f32(yo + s, y + r, len);
    }
}

/* Asks for rows idx[0..m) of the rows x (rows, nin) and y (rows) of
 * elements esize bytes wide, or with idx NULL the rows at positions
 * pos .. pos + m of the chunk order, a run at a time. */
static void prefetch_rows(const Trainer *t, const void *x, const void *y, size_t nin, size_t esize,
                          const size_t *idx, size_t pos, size_t m)
{
    for (size_t s = 0, r, len; s < m; s += len) {
        if (idx) {
            r = idx[s];
            len = 1;
        } else {
            len = order_run(t, pos + s, m - s, &r);
        }
        const char *px = (const char *)x + r * nin * esize, *py = (const char *)y + r * esize;
        for (size_t o = 0; o < len * nin * esize; o += 64)
            __builtin_prefetch(px + o, 0, 3);
        for (size_t o = 0; o < len * esize; o += 64)
            __builtin_prefetch(py + o, 0, 3);
    }
}

/* Threads worth waking for nblocks blocks. Waking and joining a team
 * costs microseconds, and every block a second thread takes costs
 * cache-line transfers between cores (its slot). So a second thread joins
 * only when every thread gets at least TRAIN_MIN_WORK of work, counted as
 * 6 flops per parameter and row (forward and the two backward products)
 * plus 64 per row (activations, gathering); the threshold comes from the
 * 2-over-1-thread ratios in docs/performance.md. Never more than the
 * groups. Only speed depends on this: the blocks and groups, and so the
 * results, do not. */
static int threads_for(const Trainer *t, size_t nblocks)
{
    enum { TRAIN_MIN_WORK = 1 << 18 };
    if (t->threads == 1)
        return 1; /* and no ceil and divisions every step */
    const double block_work = (6.0 * (double)t->nparams + 64.0) * TRAIN_BLOCK;
    size_t per_thread = (size_t)ceil(TRAIN_MIN_WORK / block_work);
    size_t useful = nblocks / (per_thread ? per_thread : 1);
    const size_t ngroups = (nblocks + TRAIN_GROUP - 1) / TRAIN_GROUP;
    useful = useful < ngroups ? useful : ngroups;
    if (useful < 1)
        useful = 1;
    return useful < (size_t)t->threads ? (int)useful : t->threads;
}

/* Group gi of the blocks of one step (see trainer_grad): its blocks into
 * their slots, then the group's slots added into its first slot, in block
 * order; grad_rows adds the groups in order. In float32 (t->precision,
 * idx NULL) the rows come from t->xf and t->yf, from row chunk_first on
 * (the chunk d views). */
static void grad_group(Trainer *t, const Net *net, const Dataset *d, size_t chunk_first, const size_t *idx,
                       size_t pos, size_t n, int nblocks, int gi)
{
    const int f32 = t->precision == TRAIN_F32 && !idx;
    const size_t nin = (size_t)d->nin;
    const float *xf = f32 ? t->xf + chunk_first * nin : NULL, *yf = f32 ? t->yf + chunk_first : NULL;
    float *xbf = f32 ? t->bf + (size_t)thread_id() * TRAIN_BLOCK * (nin + 1) : NULL;
    const size_t np = net->nparams;
    double *slots = t->slots;
    NetWork *w = &t->work[thread_id()];
    double *yb = t->ybuf + (size_t)thread_id() * TRAIN_BLOCK;
    const int b1 = (gi + 1) * TRAIN_GROUP < nblocks ? (gi + 1) * TRAIN_GROUP : nblocks;
    for (int b = gi * TRAIN_GROUP; b < b1; b++) {
        size_t first = (size_t)b * TRAIN_BLOCK;
        int m = (int)(n - first < TRAIN_BLOCK ? n - first : TRAIN_BLOCK);
        double *g = slots + (size_t)b * np;
        /* Another core read these slots in the last step, so writing
         * them costs a cache-line transfer each, and the stores that wait
         * for it stall the block. Ask for block b + 2's lines now, for
         * writing (docs/performance.md has the gain). */
        if (b + 2 < nblocks) {
            const char *q = (const char *)(slots + (size_t)(b + 2) * np);
            for (size_t o = 0; o < np * sizeof(double) + 63; o += 64)
                __builtin_prefetch(q + o, 1, 3);
            __builtin_prefetch(t->slot_loss + b + 2, 1, 3);
        }
        memset(g, 0, np * sizeof(double));
        if (f32)
            gather_order_f32(t, xf, yf, nin, pos + first, (size_t)m, xbf, xbf + TRAIN_BLOCK * nin);
        else if (idx)
            gather(d, idx + first, 0, m, w->a[0], yb);
        else
            gather_order(t, d, pos + first, (size_t)m, w->a[0], yb);
        /* Rows of a large data set come from DRAM in an order no hardware
         * prefetcher can guess: block b + 2's rows start on their way while
         * this block computes (the first block also asks for the second;
         * docs/performance.md has the gain). */
        const size_t p0 = first + (b ? 2 : 1) * TRAIN_BLOCK;
        const size_t p1 = first + 3 * TRAIN_BLOCK < n ? first + 3 * TRAIN_BLOCK : n;
        if (p0 < p1 && f32)
            prefetch_rows(t, xf, yf, nin, sizeof(float), NULL, pos + p0, p1 - p0);
        else if (p0 < p1)
            prefetch_rows(t, d->x, d->y, nin, sizeof(double), idx ? idx + p0 : NULL, pos + p0, p1 - p0);
        t->slot_loss[b] = f32 ? net_grad_block_f32(net, t->pf, xbf, xbf + TRAIN_BLOCK * nin, m, w, g)
                              : net_grad_block(net, net->params, w->a[0], yb, m, w, g);
    }
    double *g0 = slots + (size_t)gi * TRAIN_GROUP * np;
    for (int b = gi * TRAIN_GROUP + 1; b < b1; b++) {
        const double *sb = slots + (size_t)b * np;
        for (size_t k = 0; k < np; k++)
            g0[k] += sb[k];
    }
}

/* Groups [g0, g1) of a step of nblocks blocks (see grad_group), on as
 * many threads as they are worth. */
static void grad_groups(Trainer *t, const Net *net, const Dataset *d, size_t chunk_first, const size_t *idx,
                        size_t pos, size_t n, int nblocks, int g0, int g1)
{
    if (g1 <= g0)
        return;
    const int b1 = g1 * TRAIN_GROUP < nblocks ? g1 * TRAIN_GROUP : nblocks;
    const int nt = threads_for(t, (size_t)(b1 - g0 * TRAIN_GROUP));
    /* Nothing waits for the other threads until the region ends: a
     * barrier costs a sizeable part of a small step. Guided, not static:
     * the thread woken last takes fewer groups (which thread runs a group
     * changes no sum). One thread runs no OpenMP code at all: an orphaned
     * guided loop costs a call into the runtime even then, a large part of
     * a batch-1 step (figures in docs/performance.md). */
    if (nt > 1) {
#pragma omp parallel for num_threads(nt) schedule(guided) default(none) \
    shared(t, net, d, chunk_first, idx, pos, n, nblocks, g0, g1)
        for (int gi = g0; gi < g1; gi++)
            grad_group(t, net, d, chunk_first, idx, pos, n, nblocks, gi);
    } else {
        for (int gi = g0; gi < g1; gi++)
            grad_group(t, net, d, chunk_first, idx, pos, n, nblocks, gi);
    }
}

/* With ranks: this rank's groups of the step into its part of t->gbuf
 * (group records, then its stop request), one allgatherv, and the agreed
 * stop request. Afterwards record gi of gbuf is group gi's, whichever
 * rank computed it: rank q's part starts at record comm_share(ngroups, q,
 * K) plus the q stop words before it. */
static int gather_groups(Trainer *t, const Net *net, const Dataset *d, size_t chunk_first, const size_t *idx,
                         size_t pos, size_t n, int nblocks, int ngroups, Err *err)
{
    const Comm *c = t->comm;
    const int k = c->size;
    const size_t np = net->nparams, rec = TRAINER_REC(np);
    for (int q = 0; q < k; q++) {
        size_t a = comm_share((size_t)ngroups, q, k), b = comm_share((size_t)ngroups, q + 1, k);
        t->gdispls[q] = (a * rec + (size_t)q) * sizeof(double);
        t->gcounts[q] = ((b - a) * rec + 1) * sizeof(double);
    }
    const int g0 = (int)comm_share((size_t)ngroups, c->rank, k), g1 = (int)comm_share((size_t)ngroups, c->rank + 1, k);
    grad_groups(t, net, d, chunk_first, idx, pos, n, nblocks, g0, g1);
    double *mine = (double *)((char *)t->gbuf + t->gdispls[c->rank]);
    for (int gi = g0; gi < g1; gi++, mine += rec) {
        memcpy(mine, t->slots + (size_t)gi * TRAIN_GROUP * np, np * sizeof(double));
        for (int j = 0; j < TRAIN_GROUP; j++) {
            int b = gi * TRAIN_GROUP + j;
            mine[np + (size_t)j] = b < nblocks ? t->slot_loss[b] : 0.0;
        }
    }
    *mine = (double)(t->stop ? *t->stop : 0);
    int rc = comm_allgatherv(c, t->gbuf, t->gcounts, t->gdispls, err);
    if (rc)
        return rc;
    t->stop_now = 0;
    for (int q = 0; q < k; q++) {
        const double *w = (const double *)((const char *)t->gbuf + t->gdispls[q] + t->gcounts[q]) - 1;
        if (*w > t->stop_now)
            t->stop_now = (int)*w;
    }
    return 0;
}

/* The record of group gi in a gathered t->gbuf (see gather_groups). */
static double *gathered(const Trainer *t, int ngroups, int gi)
{
    const Comm *c = t->comm;
    int q = 0;
    while (q + 1 < c->size && comm_share((size_t)ngroups, q + 1, c->size) <= (size_t)gi)
        q++;
    return t->gbuf + (size_t)gi * TRAINER_REC(t->nparams) + (size_t)q;
}

/* trainer_grad over rows idx[0..n), or with idx NULL over the rows at
 * positions pos .. pos + n of the chunk order (trainer_chunk_order) of the
 * chunk d, which starts at training row chunk_first. The mean loss into
 * *loss; fails only when ranks cannot exchange the groups. */
static int grad_rows(Trainer *t, const Net *net, const Dataset *d, size_t chunk_first, const size_t *idx,
                     size_t pos, size_t n, double *loss_out, Err *err)
{
    const int nblocks = (int)((n + TRAIN_BLOCK - 1) / TRAIN_BLOCK);
    const int ngroups = (nblocks + TRAIN_GROUP - 1) / TRAIN_GROUP;
    if (t->precision == TRAIN_F32 && !idx)
        for (size_t k = 0; k < net->nparams; k++)
            t->pf[k] = (float)net->params[k];
    const size_t np = net->nparams;
    const double inv_n = 1.0 / (double)n;
    double *grad = t->grad;
    double loss = 0.0;
    if (t->comm) {
        int rc = gather_groups(t, net, d, chunk_first, idx, pos, n, nblocks, ngroups, err);
        if (rc)
            return rc;
        /* The same additions as below, in the same order, over the
         * gathered records. */
        double *s0 = gathered(t, ngroups, 0);
        for (int gi = 1; gi < ngroups; gi++) {
            const double *sg = gathered(t, ngroups, gi);
            for (size_t k = 0; k < np; k++)
                s0[k] += sg[k];
        }
        for (size_t k = 0; k < np; k++)
            grad[k] = s0[k] * inv_n;
        for (int b = 0; b < nblocks; b++)
            loss += gathered(t, ngroups, b / TRAIN_GROUP)[np + (size_t)(b % TRAIN_GROUP)];
        *loss_out = loss / (double)n;
        return 0;
    }
    grad_groups(t, net, d, chunk_first, idx, pos, n, nblocks, 0, ngroups);
    t->stop_now = t->stop ? *t->stop : 0;
    /* (s0 + s1 + ... ) / n: the groups added into the first slot in order
     * (the slots are cleared before their next use), then scaled into grad
     * in one pass, so the gradient is walked as few times as possible. */
    double *s0 = t->slots;
    for (int gi = 1; gi < ngroups; gi++) {
        const double *sg = t->slots + (size_t)gi * TRAIN_GROUP * np;
        for (size_t k = 0; k < np; k++)
            s0[k] += sg[k];
    }
    for (size_t k = 0; k < np; k++)
        grad[k] = s0[k] * inv_n;
    for (int b = 0; b < nblocks; b++)
        loss += t->slot_loss[b];
    *loss_out = loss / (double)n;
    return 0;
}

double trainer_grad(Trainer *t, const Net *net, const Dataset *d, const size_t *idx, size_t n)
{
    double loss = NAN;
    Err ignored = { 0 }; /* one process: nothing to exchange, nothing fails */
    const Comm *c = t->comm;
    t->comm = NULL;
    grad_rows(t, net, d, 0, idx, 0, n, &loss, &ignored);
    t->comm = c;
    return loss;
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
    for (size_t c = 0; c < t->nchunks; c++)
        t->chunks[c] = c;
    if (o->shuffle) {
        Rng r = rng_stream(o->seed, RNG_STREAM_SHUFFLE + ((uint64_t)epoch << 32));
        rng_shuffle(&r, t->chunks, t->nchunks);
    }
}

void trainer_chunk_order(Trainer *t, const TrainOpts *o, int64_t epoch, size_t c, size_t n)
{
    const size_t nunits = (n + TRAIN_UNIT - 1) / TRAIN_UNIT;
    for (size_t u = 0; u < nunits; u++)
        t->units[u] = u;
    if (o->shuffle) {
        Rng r = rng_stream(o->seed, RNG_STREAM_SHUFFLE + ((uint64_t)epoch << 32) + 1 + c);
        rng_shuffle(&r, t->units, nunits);
    }
    t->chunk_rows = n;
    t->short_at = nunits;
    if (n % TRAIN_UNIT)
        for (size_t k = 0; k < nunits; k++)
            if (t->units[k] == nunits - 1)
                t->short_at = k;
}

void train_rows_permute(Dataset *d, uint64_t seed, uint64_t part)
{
    /* Fisher-Yates on the rows themselves. On data beyond the caches each
     * swap waits for two rows from memory; the draws do not depend on the
     * data, so they are made AHEAD swaps early and those rows are
     * prefetched meanwhile. */
    enum { AHEAD = 32 };
    const size_t nin = (size_t)d->nin;
    size_t j[AHEAD];
    Rng r = rng_stream(seed, RNG_STREAM_ROWS + (part << 32));
    for (size_t i = d->n; i > 1;) {
        const size_t m = i - 1 < AHEAD ? i - 1 : AHEAD;
        for (size_t k = 0; k < m; k++) {
            j[k] = (size_t)rng_below(&r, i - k);
            __builtin_prefetch(d->x + j[k] * nin, 1, 0);
            __builtin_prefetch(d->y + j[k], 1, 0);
        }
        for (size_t k = 0; k < m; k++, i--) {
            double *a = d->x + (i - 1) * nin, *b = d->x + j[k] * nin;
            for (size_t f = 0; f < nin; f++) {
                const double v = a[f];
                a[f] = b[f];
                b[f] = v;
            }
            const double v = d->y[i - 1];
            d->y[i - 1] = d->y[j[k]];
            d->y[j[k]] = v;
        }
    }
}

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
    KernV8 acc[4] = { { 0 } };
    size_t k = 0;
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
    double s[8];
    memcpy(s, &v, sizeof s);
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
                   "parameters kept from the last good point (epoch %lld, step %lld); lower [train] "
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

int train_run(Trainer *t, Net *net, Optim *opt, const TrainData *train, const Dataset *val,
              const TrainOpts *o, TrainState *st, const TrainHooks *hooks, Err *err)
{
    static const TrainHooks none = { 0 };
    if (!hooks)
        hooks = &none;
    if (train->nrows == 0)
        return err_set(err, E_DATA, "no training rows");
    if (train->nrows != t->nrows)
        return err_set(err, E_STATE, "trainer sized for %zu rows, data has %zu",
                       t->nrows, train->nrows);
    if (o->divergence_retries > 0 && !(o->divergence_factor > 0 && o->divergence_factor < 1))
        return err_set(err, E_CONFIG, "divergence_factor must be between 0 and 1, got %g",
                       o->divergence_factor);
    const int64_t spe = train_steps_per_epoch(train->nrows, o->batch_size);
    int rc;
    if (!t->snap_held || st->epoch_step == 0)
        snapshot_take(t, net, opt, st);
    t->snap_held = 0;
    if (st->epoch == 0 && st->epoch_step == 0) {
        double lr0 = sched_lr(&o->sched, o->lr, st->lr_scale, 1, o->epochs, 0, spe);
        EpochStats s0 = { 0, 0.0, val ? trainer_loss(t, net, val) : NAN, lr0, 0.0, 0.0, NAN };
        if ((rc = start_loss(t, net, train, &s0.train_loss, err)))
            return rc;
        st->start_loss = isfinite(s0.train_loss) ? s0.train_loss : 0.0;
        track_best(t, net, o, st, s0.val_loss);
        if (hooks->on_epoch && (rc = hooks->on_epoch(hooks->ctx, net, opt, st, &s0, err)))
            return rc;
    } else if (st->epoch_step == 0 && !st->stopped && (rc = epoch_end(t, net, o, val, st, hooks, err))) {
        /* resumed at an epoch boundary: the decision that followed that epoch */
        return rc;
    }
    const size_t bs = (size_t)o->batch_size;
    /* The clock is read every clock_every steps: the epoch's time that a
     * mid-epoch checkpoint stores is at most ~1024 rows old (microseconds);
     * the epoch's own time is read at its end. */
    const int64_t clock_every = train_clock_every(bs);
    while (!st->stopped && st->epoch < o->epochs) {
        const int64_t epoch = st->epoch + 1;
        if (st->epoch_step == 0)
            snapshot_take(t, net, opt, st);
        double t0 = train_now_s() - st->epoch_seconds;
        int64_t skip = st->epoch_step; /* batches of this epoch already done */
        int rolled_back = 0;
        trainer_epoch_order(t, o, epoch);
        for (size_t ci = 0; ci < t->nchunks && !rolled_back; ci++) {
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
            trainer_chunk_order(t, o, epoch, c, n);
            for (size_t b0 = (size_t)skip * bs; b0 < n; b0 += bs) {
                size_t m = n - b0 < bs ? n - b0 : bs;
                st->lr = sched_lr(&o->sched, o->lr, st->lr_scale, epoch, o->epochs, st->step, spe);
                double loss;
                if ((rc = grad_rows(t, net, &view, first, NULL, b0, m, &loss, err)))
                    return rc;
                /* inf or NaN when an element is, or when the squares overflow (diverged too) */
                double gnorm = l2_norm(t->grad, net->nparams);
                int bad = !isfinite(loss) || !isfinite(gnorm);
                if (!bad) {
                    if (o->clip_norm > 0 && gnorm > o->clip_norm) {
                        const double f = o->clip_norm / gnorm;
                        for (size_t k = 0; k < net->nparams; k++)
                            t->grad[k] *= f;
                    }
                    optim_step(opt, net->params, t->grad, st->lr);
                    bad = !train_all_finite(net->params, net->nparams);
                }
                if (bad) {
                    char what[96];
                    snprintf(what, sizeof what, "non-finite value at step %lld (loss %g)",
                             (long long)st->step + 1, loss);
                    if ((rc = diverged(t, net, opt, o, st, hooks, epoch, what, err)))
                        return rc;
                    rolled_back = 1;
                    break;
                }
                st->step++;
                st->epoch_step++;
                st->epoch_loss_sum += loss * (double)m;
                st->grad_norm_sum += gnorm;
                if (st->epoch_step % clock_every == 0)
                    st->epoch_seconds = train_now_s() - t0;
                if (hooks->on_step && (rc = hooks->on_step(hooks->ctx, net, opt, st, loss, err)))
                    return rc;
            }
            skip = 0;
        }
        double mean_loss = st->epoch_loss_sum / (double)train->nrows;
        double dt = train_now_s() - t0;
        double val_loss = !rolled_back && val ? trainer_loss(t, net, val) : NAN;
        /* An epoch may end on parameters that have blown up while its mean
         * training loss still looks fine: the validation loss shows it. */
        const double bound = TRAIN_BLOWUP * st->start_loss;
        const int train_blew = !(mean_loss <= bound), val_blew = val && !(val_loss <= bound);
        if (!rolled_back && st->start_loss > 0 && (train_blew || val_blew)) {
            char what[128];
            if (train_blew)
                snprintf(what, sizeof what, "mean training loss %g, over %g x the initial %g", mean_loss,
                         TRAIN_BLOWUP, st->start_loss);
            else
                snprintf(what, sizeof what, "validation loss %g, over %g x the initial training loss %g",
                         val_loss, TRAIN_BLOWUP, st->start_loss);
            if ((rc = diverged(t, net, opt, o, st, hooks, epoch, what, err)))
                return rc;
            rolled_back = 1;
        }
        if (rolled_back)
            continue; /* the epoch again from the snapshot, at the lower rate */
        EpochStats s = { epoch, mean_loss, val_loss, st->lr, dt,
                         dt > 0 ? (double)train->nrows / dt : 0.0,
                         st->epoch_step ? st->grad_norm_sum / (double)st->epoch_step : NAN };
        st->epoch = epoch;
        st->epoch_step = 0;
        st->epoch_loss_sum = 0.0;
        st->epoch_seconds = 0.0;
        st->grad_norm_sum = 0.0;
        int better = track_best(t, net, o, st, s.val_loss);
        if (o->sched.kind == SCHED_PLATEAU && val && !better && o->sched.plateau_patience > 0 &&
            st->plateau_wait >= o->sched.plateau_patience) {
            double before = st->lr_scale;
            st->lr_scale = sched_plateau_reduce(&o->sched, o->lr, st->lr_scale);
            st->plateau_wait = 0;
            if (st->lr_scale != before &&
                (rc = event(hooks, st, err, "lr_reduced",
                            "validation loss flat for %d epochs (best %.6g at epoch %lld); learning rate "
                            "%g -> %g", o->sched.plateau_patience, st->best_val,
                            (long long)st->best_epoch, o->lr * before, o->lr * st->lr_scale)))
                return rc;
        }
        if (hooks->on_epoch && (rc = hooks->on_epoch(hooks->ctx, net, opt, st, &s, err)))
            return rc;
        if ((rc = epoch_end(t, net, o, val, st, hooks, err)))
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
