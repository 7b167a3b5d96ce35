/* train: the parallel block loop and the reduction (see train.h); the epoch
 * loop is trainloop.c.
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

/* The blocks a thread must get before a second one is worth waking (see
 * threads_for): for a training step, or a forward_only pass. */
static size_t blocks_per_thread(size_t nparams, int forward_only)
{
    enum { TRAIN_MIN_WORK = 1 << 18 };
    const double block_work = ((forward_only ? 2.0 : 6.0) * (double)nparams + 64.0) * TRAIN_BLOCK;
    size_t per_thread = (size_t)ceil(TRAIN_MIN_WORK / block_work);
    return per_thread ? per_thread : 1;
}

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
    t->row221 = net_is_221(net);
    t->per_thread[0] = blocks_per_thread(net->nparams, 0);
    t->per_thread[1] = blocks_per_thread(net->nparams, 1);
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
    if (rows_per_step >= CLOCK_ROWS || rows_per_step == 0)
        return 1;
    int64_t every = 1; /* a power of two: a mask, not a division, every step */
    while (every * 2 <= (int64_t)(CLOCK_ROWS / rows_per_step))
        every *= 2;
    return every;
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

/* Units before the short one (if any) are full, so a position finds its
 * unit by division. */
size_t trainer_order_run(const Trainer *t, size_t pos, size_t m, size_t *row)
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
    trainer_order_run(t, pos, 1, &row);
    return row;
}

/* gather() for the rows at positions pos .. pos + m of the chunk order:
 * copied run by run, not row by row. */
static void gather_order(const Trainer *t, const Dataset *d, size_t pos, size_t m, double *x, double *y)
{
    const size_t nin = (size_t)d->nin;
    for (size_t s = 0, r, len; s < m; s += len) {
        len = trainer_order_run(t, pos + s, m - s, &r);
        const double *sx = d->x + r * nin, *sy = d->y + r;
        for (size_t k = 0; k < len * nin; k++)
            x[s * nin + k] = sx[k];
        for (size_t k = 0; k < len; k++)
            y[s + k] = sy[k];
    }
}

/* The rows at positions pos .. pos + m of the chunk order as its runs of
 * consecutive rows (trainer_order_run), into runs; the runs' lengths add up to m. */
static void order_runs(const Trainer *t, size_t pos, size_t m, NetRun *runs)
{
    int k = 0;
    for (size_t s = 0, r, len; s < m; s += len, k++) {
        len = trainer_order_run(t, pos + s, m - s, &r);
        runs[k] = (NetRun){ r, (int)len };
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
        len = trainer_order_run(t, pos + s, m - s, &r);
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
            len = trainer_order_run(t, pos + s, m - s, &r);
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
 * 6 flops per parameter and row (forward and the two backward products;
 * 2 for a forward_only pass: a loss or predictions) plus 64 per row
 * (activations, gathering); the threshold comes from the 2-over-1-thread
 * ratios in docs/performance.md. Never more than the groups. Only speed
 * depends on this: the blocks and groups, and so the results, do not. */
static int threads_for(const Trainer *t, size_t nblocks, int forward_only)
{
    const size_t per_thread = t->per_thread[forward_only];
    if (t->threads == 1 || nblocks < 2 * per_thread)
        return 1; /* a second thread would get too little: decided without a division */
    size_t useful = nblocks / per_thread;
    const size_t ngroups = (nblocks + TRAIN_GROUP - 1) / TRAIN_GROUP;
    useful = useful < ngroups ? useful : ngroups;
    if (useful < 1)
        useful = 1;
    return useful < (size_t)t->threads ? (int)useful : t->threads;
}

/* Group gi of the blocks of one step (see trainer_grad): its blocks into
 * their slots, then the group's slots added into its first slot, in block
 * order; trainer_grad_rows adds the groups in order. In float32 (t->precision,
 * idx NULL) the rows come from t->xf and t->yf, from row chunk_first on
 * (the chunk d views). */
static void grad_group(Trainer *t, const Net *net, const Dataset *d, size_t chunk_first, const size_t *idx,
                       size_t pos, size_t n, int nblocks, int gi)
{
    const int f32 = t->precision == TRAIN_F32 && !idx;
    /* The fused 2-2-1 kernel reads the chunk order's runs in place: no copy
     * (docs/performance.md has the gain). */
    const int in_place = !idx && t->row221;
    NetRun runs[TRAIN_BLOCK];
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
        if (in_place)
            order_runs(t, pos + first, (size_t)m, runs);
        else if (f32)
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
        if (in_place)
            t->slot_loss[b] = f32 ? net_grad_runs221_f32(t->pf, xf, yf, runs, m, g)
                                  : net_grad_runs221(net->params, d->x, d->y, runs, m, g);
        else
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

int thread_probe_pick(ThreadProbe *p, int nt, double now)
{
    if (p->phase == 2 && now >= p->hold_until) { /* time for the next probe */
        p->phase = 0;
        p->calls = 0;
        p->sec[0] = p->sec[1] = 0.0;
    }
    if (p->phase == 0 && p->calls == 0)
        p->started = now;
    p->t0 = now;
    return p->phase == 0 || (p->phase == 2 && p->one) ? 1 : nt;
}

/* Holds the choice for THREAD_PROBE_HOLD times the probe's duration. */
static void probe_settle(ThreadProbe *p, int one, double now)
{
    double took = now - p->started;
    p->one = one;
    p->phase = 2;
    p->calls = 0;
    p->hold_until = now + (THREAD_PROBE_HOLD * took > THREAD_PROBE_MIN_S ? THREAD_PROBE_HOLD * took
                                                                         : THREAD_PROBE_MIN_S);
}

void thread_probe_done(ThreadProbe *p, int used, double now)
{
    p->steps[used == 1]++;
    if (p->phase == 2)
        return;
    p->sec[p->phase] += now - p->t0;
    p->calls++;
    if (p->phase == 1 && p->sec[1] > p->sec[0]) { /* many threads cannot win any more: stop timing them */
        probe_settle(p, 1, now);
        return;
    }
    if (p->calls < THREAD_PROBE_CALLS)
        return;
    if (p->phase == 0) { /* one thread timed; now as many calls on many threads */
        p->phase = 1;
        p->calls = 0;
        return;
    }
    probe_settle(p, 0, now); /* many threads took no longer than one over the same calls */
}

void trainer_auto_threads(Trainer *t, int on)
{
    for (int k = 0; k < 3; k++)
        t->probe[k].on = on && t->threads > 1;
}

void trainer_auto_start_one(Trainer *t, double secs)
{
    for (int k = 0; k < 3; k++) {
        t->probe[k].phase = 2;
        t->probe[k].one = 1;
        t->probe[k].hold_until = train_now_s() + secs;
    }
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

/* Group gi's gradient sum: its gathered record under ranks, else its
 * first slot. */
static double *group_sum(const Trainer *t, int ngroups, int gi)
{
    return t->comm ? gathered(t, ngroups, gi) : t->slots + (size_t)gi * TRAIN_GROUP * t->nparams;
}

/* Block b's loss, from the same place. */
static double block_loss(const Trainer *t, int ngroups, int b)
{
    return t->comm ? gathered(t, ngroups, b / TRAIN_GROUP)[t->nparams + (size_t)(b % TRAIN_GROUP)] : t->slot_loss[b];
}

/* The sums of groups [ga, gb) of a step of ngroups groups and nblocks
 * blocks added in group order into the running sum in group 0's, and
 * their blocks' losses in block order into *loss: one link of the chain
 * that gives a step its gradient sum and loss, s0 + s1 + ... and
 * l0 + l1 + ..., whoever computed the groups (a thread, or the ranks). */
static void add_groups(Trainer *t, int ngroups, int nblocks, int ga, int gb, double *loss)
{
    const size_t np = t->nparams;
    double *s0 = group_sum(t, ngroups, 0);
    for (int gi = ga > 1 ? ga : 1; gi < gb; gi++) {
        const double *sg = group_sum(t, ngroups, gi);
        for (size_t k = 0; k < np; k++)
            s0[k] += sg[k];
    }
    const int b1 = gb * TRAIN_GROUP < nblocks ? gb * TRAIN_GROUP : nblocks;
    double l = *loss;
    for (int b = ga * TRAIN_GROUP; b < b1; b++)
        l += block_loss(t, ngroups, b);
    *loss = l;
}

/* Groups [g0, g1) of a step of nblocks blocks (see grad_group), on as
 * many threads as they are worth; with loss not NULL (g0 = 0) also added
 * up (add_groups): the step's gradient sum into group 0's first slot and
 * its loss into *loss. */
static void grad_groups(Trainer *t, const Net *net, const Dataset *d, size_t chunk_first, const size_t *idx,
                        size_t pos, size_t n, int nblocks, int g0, int g1, double *loss)
{
    if (g1 <= g0)
        return;
    const int b1 = g1 * TRAIN_GROUP < nblocks ? g1 * TRAIN_GROUP : nblocks;
    int nt = threads_for(t, (size_t)(b1 - g0 * TRAIN_GROUP), 0);
    ThreadProbe *probe = nt > 1 && t->probe[TRAIN_PROBE_GRAD].on ? &t->probe[TRAIN_PROBE_GRAD] : NULL;
    if (probe)
        nt = thread_probe_pick(probe, nt, train_now_s());
    /* Each thread takes one contiguous share of the groups and, in thread
     * order, adds them to the running sum itself. Had one thread added up
     * every group, it would have pulled the others' slots into its cache,
     * and their next step would wait for every slot's cache line to come
     * back: a second thread then did its half of a full 2-2-1 batch 40 %
     * slower than the first (docs/performance.md). The order of the sums
     * is group order, whichever thread adds which groups. One thread runs
     * no OpenMP code at all: an orphaned loop costs a call into the
     * runtime even then, a large part of a batch-1 step. */
    if (nt > 1) {
#pragma omp parallel num_threads(nt) default(none) shared(t, net, d, chunk_first, idx, pos, n, nblocks, g0, g1, loss)
        {
            const int m = omp_get_num_threads();
            const size_t ng = (size_t)(g1 - g0);
            const int me = omp_get_thread_num();
            const int a = g0 + (int)comm_share(ng, me, m), b = g0 + (int)comm_share(ng, me + 1, m);
            for (int gi = a; gi < b; gi++)
                grad_group(t, net, d, chunk_first, idx, pos, n, nblocks, gi);
            if (loss) {
                /* iteration q runs on thread q (static, 1), after q - 1's */
#pragma omp for ordered schedule(static, 1) nowait
                for (int q = 0; q < m; q++) {
#pragma omp ordered
                    add_groups(t, g1, nblocks, g0 + (int)comm_share(ng, q, m), g0 + (int)comm_share(ng, q + 1, m), loss);
                }
            }
        }
    } else {
        for (int gi = g0; gi < g1; gi++)
            grad_group(t, net, d, chunk_first, idx, pos, n, nblocks, gi);
        if (loss)
            add_groups(t, g1, nblocks, g0, g1, loss);
    }
    if (probe)
        thread_probe_done(probe, nt, train_now_s());
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
    grad_groups(t, net, d, chunk_first, idx, pos, n, nblocks, g0, g1, NULL);
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

/* trainer_grad_rows for one row of the 2-2-1 network in one process
 * (float64): the row's gradient and loss straight from net_grad_row221,
 * the bits of the block path below (one block, one group, a slot cleared
 * then added to, scaled by 1 / 1), without its slots and loops: at batch 1
 * those were most of a step (docs/performance.md). */
static int grad_row(Trainer *t, const Net *net, const Dataset *d, const size_t *idx, size_t pos, double *loss_out)
{
    size_t r;
    if (idx)
        r = idx[0];
    else
        trainer_order_run(t, pos, 1, &r);
    double *g = t->grad;
    for (int k = 0; k < 9; k++)
        g[k] = 0.0;
    *loss_out = 0.0 + net_grad_row221(net->params, d->x + 2 * r, d->y[r], g);
    t->stop_now = t->stop ? *t->stop : 0;
    return 0;
}

/* trainer_grad over rows idx[0..n), or with idx NULL over the rows at
 * positions pos .. pos + n of the chunk order (trainer_chunk_order) of the
 * chunk d, which starts at training row chunk_first. The mean loss into
 * *loss; fails only when ranks cannot exchange the groups. */
int trainer_grad_rows(Trainer *t, const Net *net, const Dataset *d, size_t chunk_first, const size_t *idx,
                     size_t pos, size_t n, double *loss_out, Err *err)
{
    const int nblocks = (int)((n + TRAIN_BLOCK - 1) / TRAIN_BLOCK);
    const int ngroups = (nblocks + TRAIN_GROUP - 1) / TRAIN_GROUP;
    if (t->precision == TRAIN_F32 && !idx)
        for (size_t k = 0; k < net->nparams; k++)
            t->pf[k] = (float)net->params[k];
    if (n == 1 && t->row221 && !t->comm && !(t->precision == TRAIN_F32 && !idx))
        return grad_row(t, net, d, idx, pos, loss_out);
    const size_t np = net->nparams;
    const double inv_n = 1.0 / (double)n;
    double *grad = t->grad;
    double loss = 0.0;
    if (t->comm) {
        int rc = gather_groups(t, net, d, chunk_first, idx, pos, n, nblocks, ngroups, err);
        if (rc)
            return rc;
        add_groups(t, ngroups, nblocks, 0, ngroups, &loss); /* over the gathered records */
    } else {
        grad_groups(t, net, d, chunk_first, idx, pos, n, nblocks, 0, ngroups, &loss);
        t->stop_now = t->stop ? *t->stop : 0;
    }
    /* the sum scaled into grad in one pass */
    const double *s0 = group_sum(t, ngroups, 0);
    for (size_t k = 0; k < np; k++)
        grad[k] = s0[k] * inv_n;
    *loss_out = loss / (double)n;
    return 0;
}

double trainer_grad(Trainer *t, const Net *net, const Dataset *d, const size_t *idx, size_t n)
{
    double loss = NAN;
    Err ignored = { 0 }; /* one process: nothing to exchange, nothing fails */
    const Comm *c = t->comm;
    t->comm = NULL;
    trainer_grad_rows(t, net, d, 0, idx, 0, n, &loss, &ignored);
    t->comm = c;
    return loss;
}

/* The forward pass over all rows of d, a block at a time: the outputs
 * into out (n, noutputs) when out is not NULL, and the mean loss returned
 * when with_loss (else 0). The block losses are summed in block order,
 * through a small array of partial sums a group of 64 blocks at a time;
 * with or without out, the same bits (net_loss_block is net_sq_loss of
 * net_forward_block's outputs). kind: the TRAIN_PROBE_* of the call. */
static double forward_pass(Trainer *t, const Net *net, const Dataset *d, double *out, int with_loss, int kind)
{
    const size_t n = d->n;
    const size_t nblocks = (n + TRAIN_BLOCK - 1) / TRAIN_BLOCK;
    const size_t nout = (size_t)net->width[net->nlayers];
    const double *params = net->params;
    NetWork *work = t->work;
    double *ybuf = t->ybuf;
    int nt = threads_for(t, nblocks, 1);
    ThreadProbe *probe = nt > 1 && t->probe[kind].on ? &t->probe[kind] : NULL;
    if (probe)
        nt = thread_probe_pick(probe, nt, train_now_s());
    enum { GROUP = 64 };
    double total = 0.0;
    for (size_t g0 = 0; g0 < nblocks; g0 += GROUP) {
        double part[GROUP];
        const size_t gn = nblocks - g0 < GROUP ? nblocks - g0 : GROUP;
#pragma omp parallel for num_threads(nt) if (nt > 1 && gn > 1) schedule(static) default(none) \
    shared(net, d, n, nout, g0, gn, params, work, ybuf, part, out, with_loss)
        for (size_t j = 0; j < gn; j++) {
            NetWork *w = &work[thread_id()];
            double *yb = ybuf + (size_t)thread_id() * TRAIN_BLOCK;
            size_t first = (g0 + j) * TRAIN_BLOCK;
            int m = (int)(n - first < TRAIN_BLOCK ? n - first : TRAIN_BLOCK);
            gather(d, NULL, first, m, w->a[0], yb);
            const double *h = net_forward_block(net, params, w->a[0], m, w);
            if (out)
                memcpy(out + first * nout, h, (size_t)m * nout * sizeof(double));
            part[j] = with_loss ? net_sq_loss(h, yb, (size_t)m * nout) : 0.0;
        }
        for (size_t j = 0; j < gn; j++)
            total += part[j];
    }
    if (probe)
        thread_probe_done(probe, nt, train_now_s());
    return total / (double)n;
}

double trainer_loss(Trainer *t, const Net *net, const Dataset *d)
{
    return d->n ? forward_pass(t, net, d, NULL, 1, TRAIN_PROBE_LOSS) : NAN;
}

double trainer_predict_loss(Trainer *t, const Net *net, const Dataset *d, double *out)
{
    return d->n ? forward_pass(t, net, d, out, 1, TRAIN_PROBE_LOSS) : NAN;
}

void trainer_predict(Trainer *t, const Net *net, const Dataset *d, double *out)
{
    if (d->n)
        forward_pass(t, net, d, out, 0, TRAIN_PROBE_PREDICT);
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
