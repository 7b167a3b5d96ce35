/* stream: hashed split, first pass and chunked training rows (see stream.h).
 * A file block is TRAIN_CHUNK consecutive file rows; before[b] counts the
 * training rows in the blocks ahead of block b, so training row t lies in
 * the block b with before[b] <= t < before[b + 1]. Which rows of a block
 * are training rows is decided again on every read, from the row's values
 * ([data] filter, missing policy) and its number (split): nothing per row
 * is stored. */
#include "stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "h5table.h"
#include "rng.h"

struct StreamTrain {
    H5Stream *h5;
    const Comm *comm;     /* borrowed; NULL: one process */
    size_t *xfer;         /* owned with comm, (2 * size): a block's bytes and offsets per rank */
    size_t rows_read;     /* file rows this rank read */
    const char *path;     /* borrowed from the config */
    int nin;
    int missing;          /* MISSING_* */
    uint64_t seed;
    int shuffle;          /* [train] shuffle: chunks handed out in a seeded order */
    double val_frac, test_frac;
    int nfilter;          /* [data] filter: column (feature index, nin = target), op, value */
    int fcol[CFG_MAX_FILTERS];
    CmpOp fop[CFG_MAX_FILTERS];
    double fval[CFG_MAX_FILTERS];
    size_t rows;          /* file rows */
    size_t nblocks;
    size_t ntrain;
    size_t *before;       /* owned, (nblocks + 1) */
    double *means;        /* owned, (nin): fill values (missing = mean) */
    Norm norm;            /* owned copy of the Splits' */
    double *bx, *by;      /* owned, (TRAIN_CHUNK, nin) and (TRAIN_CHUNK): a file block as read */
    double *x, *y;        /* owned, the same shapes: the chunk handed out */
};

int stream_part(uint64_t seed, double val_frac, double test_frac, uint64_t row)
{
    double u = rng_hash_uniform(seed, RNG_STREAM_SPLIT, row);
    if (u < val_frac)
        return DATA_PART_VAL;
    if (u < val_frac + test_frac)
        return DATA_PART_TEST;
    return DATA_PART_TRAIN;
}

/* ROW_FILTERED: the row fails [data] filter; ROW_DROPPED: a missing
 * target, or any missing cell under missing = drop; else its part. x is
 * (nin), y one value. */
enum { ROW_FILTERED = -2, ROW_DROPPED = -1 };
static int row_part(const StreamTrain *st, const double *x, double y, size_t row)
{
    for (int i = 0; i < st->nfilter; i++)
        if (!cmp_holds(st->fop[i], st->fcol[i] < st->nin ? x[st->fcol[i]] : y, st->fval[i]))
            return ROW_FILTERED;
    if (isnan(y))
        return ROW_DROPPED;
    if (st->missing == MISSING_DROP)
        for (int f = 0; f < st->nin; f++)
            if (isnan(x[f]))
                return ROW_DROPPED;
    return stream_part(st->seed, st->val_frac, st->test_frac, row);
}

/* Fills and normalises one row into x[0..nin), *y. */
static void prepare_row(const StreamTrain *st, const double *rx, double ry, double *x, double *y)
{
    for (int f = 0; f < st->nin; f++) {
        double v = rx[f];
        if (isnan(v))
            v = st->means[f];
        x[f] = (v - st->norm.x_shift[f]) / st->norm.x_scale[f];
    }
    *y = (ry - st->norm.y_shift) / st->norm.y_scale;
}

static size_t block_rows(const StreamTrain *st, size_t b)
{
    size_t r0 = b * TRAIN_CHUNK;
    return st->rows - r0 < TRAIN_CHUNK ? st->rows - r0 : TRAIN_CHUNK;
}

/* Every rank's share of a block of m rows of `width` doubles each, in buf. */
static int gather_rows(const StreamTrain *st, double *buf, size_t width, size_t m, Err *err)
{
    const Comm *c = st->comm;
    const size_t k = (size_t)c->size;
    size_t *counts = st->xfer, *displs = st->xfer + k;
    for (size_t q = 0; q < k; q++) {
        size_t qa = comm_share(m, (int)q, c->size), qb = comm_share(m, (int)q + 1, c->size);
        counts[q] = (qb - qa) * width * sizeof(double);
        displs[q] = qa * width * sizeof(double);
    }
    return comm_allgatherv(c, buf, counts, displs, err);
}

/* File rows [r0, r0 + m) into st->bx and st->by. With ranks, rank q
 * reads rows [comm_share(m, q, K), comm_share(m, q + 1, K)) of them, and
 * two allgathers (features, target) give every rank the whole block; own
 * (may be NULL) gets this rank's range. */
static int read_block(StreamTrain *st, size_t r0, size_t m, size_t own[2], Err *err)
{
    const Comm *c = st->comm;
    const size_t nin = (size_t)st->nin;
    size_t a = 0, b = m;
    if (c && c->size > 1) {
        a = comm_share(m, c->rank, c->size);
        b = comm_share(m, c->rank + 1, c->size);
    }
    int rc = b > a ? h5_stream_read(st->h5, r0 + a, b - a, st->bx + a * nin, st->by + a, err) : 0;
    if (c && c->size > 1 &&
        ((rc = comm_agree(c, rc, err)) || (rc = gather_rows(st, st->bx, nin, m, err)) ||
         (rc = gather_rows(st, st->by, 1, m, err))))
        return rc;
    if (rc)
        return rc;
    st->rows_read += b - a;
    if (own) {
        own[0] = a;
        own[1] = b;
    }
    return 0;
}

size_t stream_rows_read(const StreamTrain *st)
{
    return st->rows_read;
}

static int stream_chunk(void *ctx, size_t first, size_t n, Dataset *view, Err *err)
{
    StreamTrain *st = ctx;
    size_t nin = (size_t)st->nin;
    if (n > TRAIN_CHUNK || first > st->ntrain || n > st->ntrain - first)
        return err_set(err, E_STATE, "%s: training rows %zu..%zu asked of %zu", st->path,
                       first, first + n, st->ntrain);
    /* The last block whose training rows start at or before first. */
    size_t lo = 0, hi = st->nblocks;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->before[mid] <= first)
            lo = mid;
        else
            hi = mid;
    }
    size_t t = st->before[lo], out = 0;
    for (size_t b = lo; out < n && b < st->nblocks; b++) {
        if (st->before[b + 1] <= first) {
            t = st->before[b + 1];
            continue;
        }
        size_t r0 = b * TRAIN_CHUNK, m = block_rows(st, b);
        int rc = read_block(st, r0, m, NULL, err);
        if (rc)
            return rc;
        for (size_t i = 0; i < m && out < n; i++) {
            if (row_part(st, st->bx + i * nin, st->by[i], r0 + i) != DATA_PART_TRAIN)
                continue;
            if (t++ < first)
                continue;
            prepare_row(st, st->bx + i * nin, st->by[i], st->x + out * nin, st->y + out);
            out++;
        }
        if (t != st->before[b + 1] && out < n)
            break;
    }
    if (out != n)
        return err_set(err, E_STATE, "%s changed while training: block of training row %zu holds other rows "
                       "than the first pass found; restart the run", st->path, first + out);
    view->n = n;
    view->nin = st->nin;
    view->x = st->x;
    view->y = st->y;
    /* A file's rows may come sorted: the epoch's order of units of rows
     * is a good shuffle only over rows in a random order (train.h). */
    if (st->shuffle)
        train_rows_permute(view, st->seed, 1 + first / TRAIN_CHUNK);
    return 0;
}

TrainData stream_train_data(StreamTrain *st)
{
    TrainData td = { st->ntrain, st->nin, st, stream_chunk };
    return td;
}

void stream_free(StreamTrain **pst)
{
    StreamTrain *st = pst ? *pst : NULL;
    if (!st)
        return;
    h5_stream_close(&st->h5);
    free(st->before);
    free(st->xfer);
    free(st->means);
    norm_free(&st->norm);
    free(st->bx);
    free(st->by);
    free(st->x);
    free(st->y);
    free(st);
    *pst = NULL;
}

/* Running statistics of one column over the training rows, combined
 * block by block in file order: within a block a two-pass mean and sum of
 * squared deviations, across blocks Chan et al.'s update. Order-fixed,
 * so the same file gives the same bits. */
typedef struct ColStats {
    size_t n;             /* non-missing training values */
    double mean, m2, lo, hi;
    double sum;           /* plain sum in file order, for the fill value */
} ColStats;

/* Adds the values v[i * stride] with keep[i] and not NaN, i < m. */
static void stats_add_block(ColStats *cs, const double *v, size_t stride, const unsigned char *keep, size_t m)
{
    size_t nb = 0;
    double sum = 0.0;
    for (size_t i = 0; i < m; i++)
        if (keep[i] && !isnan(v[i * stride])) {
            double x = v[i * stride];
            sum += x;
            cs->sum += x;
            nb++;
            if (cs->n == 0 && nb == 1)
                cs->lo = cs->hi = x;
            cs->lo = x < cs->lo ? x : cs->lo;
            cs->hi = x > cs->hi ? x : cs->hi;
        }
    if (nb == 0)
        return;
    double mb = sum / (double)nb, m2b = 0.0;
    for (size_t i = 0; i < m; i++)
        if (keep[i] && !isnan(v[i * stride])) {
            double e = v[i * stride] - mb;
            m2b += e * e;
        }
    if (cs->n == 0) {
        cs->n = nb;
        cs->mean = mb;
        cs->m2 = m2b;
        return;
    }
    double na = (double)cs->n, nbd = (double)nb, nt = na + nbd, delta = mb - cs->mean;
    cs->mean += delta * (nbd / nt);
    cs->m2 += m2b + delta * delta * (na * nbd / nt);
    cs->n += nb;
}

/* shift and scale of one column as norm_fit gives them on the filled
 * training rows (ntrain of them): a filled value is the mean, so it moves
 * neither the mean, the squared deviations, the min nor the max. */
static int stats_norm(const ColStats *cs, NormKind kind, size_t ntrain, double *shift, double *scale,
                      const char *what, Err *err)
{
    *shift = 0.0;
    *scale = 1.0;
    if (kind == NORM_NONE)
        return 0;
    double sh = kind == NORM_ZSCORE ? cs->mean : cs->lo;
    double sc = kind == NORM_ZSCORE ? sqrt(cs->m2 / (double)ntrain) : cs->hi - cs->lo;
    int rc = norm_scale_check(kind, sc, cs->lo, cs->hi, what, err);
    if (!rc) {
        *shift = sh;
        *scale = sc;
    }
    return rc;
}

/* Little-endian bytes of v into h (FNV-1a). */
static uint64_t fnv_double(uint64_t h, double v)
{
    uint64_t b;
    unsigned char le[8];
    memcpy(&b, &v, sizeof b);
    for (int k = 0; k < 8; k++)
        le[k] = (unsigned char)(b >> (8 * k));
    return rng_fnv1a(h, le, sizeof le);
}

/* A StreamTrain with the config's split, missing and filter settings,
 * nothing open or allocated; NULL when out of memory. */
static StreamTrain *stream_new(const Config *c)
{
    StreamTrain *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->path = c->data_path;
    st->nin = c->nfeat;
    st->missing = c->missing;
    st->seed = c->seed;
    st->shuffle = c->shuffle;
    st->val_frac = c->validation_fraction;
    st->test_frac = c->test_fraction;
    st->nfilter = c->nfilter;
    for (int i = 0; i < c->nfilter; i++) {
        st->fcol[i] = cfg_column(c, c->filter_cond[i].column); /* >= 0: checked by cfg_finish */
        st->fop[i] = c->filter_cond[i].op;
        st->fval[i] = c->filter_cond[i].value;
    }
    return st;
}

/* Opens the table's ncol columns names; with ranks, every rank opened the
 * file and sees as many rows as rank 0 before the first shared read. */
static int stream_open(StreamTrain *st, const Config *c, const char *const *names, int ncol, const Comm *comm,
                       Err *err)
{
    int rc = h5_stream_open(c->data_path, c->data_table, names, ncol, TRAIN_CHUNK, &st->h5, err);
    if (!comm || comm->size <= 1)
        return rc;
    st->comm = comm;
    uint64_t rows0 = rc ? 0 : h5_stream_rows(st->h5);
    if ((rc = comm_agree(comm, rc, err)) || (rc = comm_bcast(comm, &rows0, sizeof rows0, 0, err)))
        return rc;
    if (h5_stream_rows(st->h5) != rows0)
        rc = err_set(err, E_DATA, "%s: %zu rows here, %llu for rank 0; every node must see the same file",
                     c->data_path, h5_stream_rows(st->h5), (unsigned long long)rows0);
    if ((rc = comm_agree(comm, rc, err)))
        return rc;
    if (!(st->xfer = malloc(2 * (size_t)comm->size * sizeof *st->xfer)))
        comm->abort(comm, 1); /* the others would wait for this rank's part */
    return 0;
}

/* What the first pass keeps over the columns (the features, then the
 * target) while it reads the file. */
typedef struct Pass {
    const Config *c;
    const char *names[CFG_MAX_FEATURES + 1];
    ColStats cs[CFG_MAX_FEATURES + 1];        /* over the training rows */
    uint64_t colhash[CFG_MAX_FEATURES + 1];   /* over every row: the data's fingerprint */
    unsigned char *keep;                      /* owned, (TRAIN_CHUNK): a block's training rows */
    size_t val_cap;                           /* rows the validation buffers hold */
} Pass;

/* The block index and the buffers of st, and p->keep. */
static int stream_alloc(StreamTrain *st, Pass *p, Err *err)
{
    st->rows = h5_stream_rows(st->h5);
    st->nblocks = (st->rows + TRAIN_CHUNK - 1) / TRAIN_CHUNK;
    size_t nx = (size_t)TRAIN_CHUNK * (size_t)st->nin;
    st->before = calloc(st->nblocks + 1, sizeof *st->before);
    st->means = calloc((size_t)st->nin, sizeof *st->means);
    st->bx = malloc(nx * sizeof(double));
    st->by = malloc(TRAIN_CHUNK * sizeof(double));
    st->x = malloc(nx * sizeof(double));
    st->y = malloc(TRAIN_CHUNK * sizeof(double));
    p->keep = malloc(TRAIN_CHUNK);
    if (!st->before || !st->means || !st->bx || !st->by || !st->x || !st->y || !p->keep)
        return err_set(err, E_NOMEM, "%s: out of memory", st->path);
    return 0;
}

/* Row (x, y) to the validation rows v, growing them up to STREAM_VAL_CAP. */
static int val_append(Dataset *v, size_t *val_cap, const double *x, double y, int nin, const char *path,
                      Err *err)
{
    if (v->n == *val_cap) {
        size_t cap = *val_cap ? 2 * *val_cap : 4096;
        cap = cap > STREAM_VAL_CAP ? STREAM_VAL_CAP : cap;
        double *vx = realloc(v->x, cap * (size_t)nin * sizeof(double));
        if (vx)
            v->x = vx;
        double *vy = vx ? realloc(v->y, cap * sizeof(double)) : NULL;
        if (!vy)
            return err_set(err, E_NOMEM, "%s: out of memory for %zu validation rows", path, cap);
        v->y = vy;
        *val_cap = cap;
    }
    memcpy(v->x + v->n * (size_t)nin, x, (size_t)nin * sizeof(double));
    v->y[v->n++] = y;
    v->nin = nin;
    return 0;
}

/* Row i of the block of file rows from r0 (own: this rank's range of it):
 * hashed, counted, its part decided; a training row counts in *nb and is
 * marked in p->keep, a validation row is kept. */
static int pass_row(StreamTrain *st, Pass *p, Splits *s, StreamCounts *counts, size_t r0, size_t i,
                    const size_t own[2], size_t *nb, Err *err)
{
    const int nin = st->nin, ncol = nin + 1;
    const double *x = st->bx + i * (size_t)nin;
    double y = st->by[i];
    size_t nanx = 0;
    for (int k = 0; k < ncol; k++) {
        double v = k < nin ? x[k] : y;
        p->colhash[k] = fnv_double(p->colhash[k], v);
        if (isnan(v)) {
            s->missing[k]++;
            nanx += k < nin;
            if (st->missing == MISSING_ERROR)
                return err_set(err, E_PARSE, "%s: column \"%.60s\": row %zu: missing value (NaN); set "
                               "[data] missing = drop or mean", st->path, p->names[k], r0 + i);
        }
    }
    int part = row_part(st, x, y, r0 + i);
    p->keep[i] = part == DATA_PART_TRAIN;
    counts->own_train += p->keep[i] && i >= own[0] && i < own[1];
    if (part < 0) {
        if (part == ROW_FILTERED)
            s->rows_filtered++;
        else
            s->rows_dropped++;
        return 0;
    }
    s->cells_filled += nanx;
    if (part == DATA_PART_TRAIN)
        (*nb)++;
    else if (part == DATA_PART_TEST)
        counts->ntest++;
    else if (counts->nval++ < STREAM_VAL_CAP)
        return val_append(&s->val, &p->val_cap, x, y, nin, st->path, err);
    return 0;
}

/* The first pass: every block read once, its rows sorted into parts, the
 * training rows' statistics added block by block; then the counts and
 * the fingerprint. */
static int pass_blocks(StreamTrain *st, Pass *p, Splits *s, StreamCounts *counts, Err *err)
{
    const int nin = st->nin, ncol = nin + 1;
    int rc;
    s->rows_read = st->rows;
    for (size_t b = 0; b < st->nblocks; b++) {
        size_t r0 = b * TRAIN_CHUNK, m = block_rows(st, b), nb = 0, own[2];
        if ((rc = read_block(st, r0, m, own, err)))
            return rc;
        counts->own_rows += own[1] - own[0];
        for (size_t i = 0; i < m; i++)
            if ((rc = pass_row(st, p, s, counts, r0, i, own, &nb, err)))
                return rc;
        for (int k = 0; k < ncol; k++)
            stats_add_block(&p->cs[k], k < nin ? st->bx + k : st->by, k < nin ? (size_t)nin : 1, p->keep, m);
        st->before[b + 1] = st->before[b] + nb;
    }
    st->ntrain = counts->ntrain = s->ntrain = st->before[st->nblocks];
    s->val.nin = nin;
    s->fingerprint = RNG_FNV_INIT;
    for (int k = 0; k < ncol; k++)
        s->fingerprint = rng_fnv1a(s->fingerprint, &p->colhash[k], sizeof p->colhash[k]);
    if (st->ntrain == 0)
        return err_set(err, E_DATA, "%s: no training rows (of %zu read, %zu left out by [data] filter, %zu "
                       "dropped for missing values)", st->path, s->rows_read, s->rows_filtered, s->rows_dropped);
    return 0;
}

/* From the first pass's statistics: the fill values, then the
 * normalisation (the Splits' and st's copy); the validation rows filled
 * and normalised. */
static int pass_norm(StreamTrain *st, const Pass *p, Splits *s, Err *err)
{
    const Config *c = p->c;
    const int nin = st->nin, ncol = nin + 1;
    int rc = 0;
    for (int f = 0; f < nin; f++) {
        if (c->missing == MISSING_MEAN && p->cs[f].n == 0)
            return err_set(err, E_DATA, "%s: column \"%.60s\" has no value in the training rows; drop the column",
                           c->data_path, p->names[f]);
        st->means[f] = p->cs[f].n ? p->cs[f].sum / (double)p->cs[f].n : 0.0;
    }
    if ((rc = norm_alloc(&s->norm, nin, err)))
        return rc;
    NormKind tk = c->normalize_target == NORM_SAME ? (NormKind)c->normalize : (NormKind)c->normalize_target;
    s->norm.kind = (NormKind)c->normalize;
    s->norm.target_kind = tk;
    char what[128];
    for (int k = 0; k < ncol && !rc; k++) {
        snprintf(what, sizeof what, "%s \"%.64s\"", k < nin ? "feature" : "target", p->names[k]);
        rc = k < nin ? stats_norm(&p->cs[k], s->norm.kind, st->ntrain, &s->norm.x_shift[k], &s->norm.x_scale[k],
                                  what, err)
                     : stats_norm(&p->cs[k], tk, st->ntrain, &s->norm.y_shift, &s->norm.y_scale, what, err);
    }
    if (rc) {
        err_prefix(err, "%s: ", c->data_path);
        return rc;
    }
    if ((rc = norm_alloc(&st->norm, nin, err)))
        return rc;
    st->norm.kind = s->norm.kind;
    st->norm.target_kind = s->norm.target_kind;
    memcpy(st->norm.x_shift, s->norm.x_shift, (size_t)nin * sizeof(double));
    memcpy(st->norm.x_scale, s->norm.x_scale, (size_t)nin * sizeof(double));
    st->norm.y_shift = s->norm.y_shift;
    st->norm.y_scale = s->norm.y_scale;
    for (size_t r = 0; r < s->val.n; r++)
        prepare_row(st, s->val.x + r * (size_t)nin, s->val.y[r], s->val.x + r * (size_t)nin, &s->val.y[r]);
    return 0;
}

/* The record: hashed, no row lists (the split is re-drawn from the seed). */
static int stream_record(const Config *c, Splits *s, Err *err)
{
    DataRecord *d = &s->record;
    d->val_rows = malloc(sizeof *d->val_rows);
    d->test_rows = malloc(sizeof *d->test_rows);
    if (!(d->missing = malloc((size_t)(c->nfeat + 1) * sizeof *d->missing)) || !d->val_rows || !d->test_rows)
        return err_set(err, E_NOMEM, "%s: out of memory", c->data_path);
    loader_record_header(c, s, d);
    d->hashed = 1;
    return 0;
}

int stream_load(const Config *c, const Comm *comm, Splits *s, StreamTrain **out, StreamCounts *counts, Err *err)
{
    memset(s, 0, sizeof *s);
    memset(counts, 0, sizeof *counts);
    *out = NULL;
    const int nin = c->nfeat, ncol = c->nfeat + 1;
    Pass p;
    p.c = c;
    p.keep = NULL;
    p.val_cap = 0;
    for (int k = 0; k < ncol; k++) {
        p.names[k] = k < nin ? c->feature_names[k] : c->target;
        p.cs[k] = (ColStats){ 0 };
        p.colhash[k] = RNG_FNV_INIT;
    }
    StreamTrain *st = stream_new(c);
    if (!st)
        return err_set(err, E_NOMEM, "%s: out of memory", c->data_path);
    int rc = stream_open(st, c, p.names, ncol, comm, err);
    if (!rc)
        rc = stream_alloc(st, &p, err);
    if (!rc)
        rc = pass_blocks(st, &p, s, counts, err);
    if (!rc)
        rc = pass_norm(st, &p, s, err);
    if (!rc)
        rc = stream_record(c, s, err);
    free(p.keep);
    if (rc) {
        stream_free(&st);
        splits_free(s);
        memset(counts, 0, sizeof *counts);
    }
    *out = st;
    return rc;
}
