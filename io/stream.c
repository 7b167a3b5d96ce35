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
        int rc = h5_stream_read(st->h5, r0, m, st->bx, st->by, err);
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
    if (kind == NORM_ZSCORE) {
        double sd = sqrt(cs->m2 / (double)ntrain);
        if (!(sd > 0.0) || !isfinite(sd))
            return err_set(err, E_DATA,
                           "%s is constant on the training rows (value %.17g); drop it or use normalize = none",
                           what, cs->mean);
        *shift = cs->mean;
        *scale = sd;
        return 0;
    }
    if (!(cs->hi > cs->lo) || !isfinite(cs->hi - cs->lo))
        return err_set(err, E_DATA,
                       "%s is constant on the training rows (value %.17g); drop it or use normalize = none",
                       what, cs->lo);
    *shift = cs->lo;
    *scale = cs->hi - cs->lo;
    return 0;
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

int stream_load(const Config *c, Splits *s, StreamTrain **out, StreamCounts *counts, Err *err)
{
    memset(s, 0, sizeof *s);
    memset(counts, 0, sizeof *counts);
    *out = NULL;
    const int nin = c->nfeat, ncol = c->nfeat + 1;
    const char *names[CFG_MAX_FEATURES + 1];
    ColStats cs[CFG_MAX_FEATURES + 1];
    uint64_t colhash[CFG_MAX_FEATURES + 1];
    unsigned char *keep = NULL;
    size_t val_cap = 0;
    int rc = 0;
    StreamTrain *st = calloc(1, sizeof *st);
    if (!st)
        return err_set(err, E_NOMEM, "%s: out of memory", c->data_path);
    for (int k = 0; k < ncol; k++) {
        names[k] = k < nin ? c->feature_names[k] : c->target;
        cs[k] = (ColStats){ 0 };
        colhash[k] = RNG_FNV_INIT;
    }
    st->path = c->data_path;
    st->nin = nin;
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
    if ((rc = h5_stream_open(c->data_path, c->data_table, names, ncol, TRAIN_CHUNK, &st->h5, err)))
        goto done;
    st->rows = h5_stream_rows(st->h5);
    st->nblocks = (st->rows + TRAIN_CHUNK - 1) / TRAIN_CHUNK;
    size_t nx = (size_t)TRAIN_CHUNK * (size_t)nin;
    st->before = calloc(st->nblocks + 1, sizeof *st->before);
    st->means = calloc((size_t)nin, sizeof *st->means);
    st->bx = malloc(nx * sizeof(double));
    st->by = malloc(TRAIN_CHUNK * sizeof(double));
    st->x = malloc(nx * sizeof(double));
    st->y = malloc(TRAIN_CHUNK * sizeof(double));
    keep = malloc(TRAIN_CHUNK);
    if (!st->before || !st->means || !st->bx || !st->by || !st->x || !st->y || !keep) {
        rc = err_set(err, E_NOMEM, "%s: out of memory", c->data_path);
        goto done;
    }
    s->rows_read = st->rows;
    for (size_t b = 0; b < st->nblocks; b++) {
        size_t r0 = b * TRAIN_CHUNK, m = block_rows(st, b), nb = 0;
        if ((rc = h5_stream_read(st->h5, r0, m, st->bx, st->by, err)))
            goto done;
        for (size_t i = 0; i < m; i++) {
            const double *x = st->bx + i * (size_t)nin;
            double y = st->by[i];
            size_t nanx = 0;
            for (int k = 0; k < ncol; k++) {
                double v = k < nin ? x[k] : y;
                colhash[k] = fnv_double(colhash[k], v);
                if (isnan(v)) {
                    s->missing[k]++;
                    nanx += k < nin;
                    if (c->missing == MISSING_ERROR) {
                        rc = err_set(err, E_PARSE, "%s: column \"%.60s\": row %zu: missing value (NaN); set "
                                     "[data] missing = drop or mean", c->data_path, names[k], r0 + i);
                        goto done;
                    }
                }
            }
            int part = row_part(st, x, y, r0 + i);
            keep[i] = part == DATA_PART_TRAIN;
            if (part < 0) {
                if (part == ROW_FILTERED)
                    s->rows_filtered++;
                else
                    s->rows_dropped++;
                continue;
            }
            s->cells_filled += nanx;
            if (part == DATA_PART_TRAIN) {
                nb++;
            } else if (part == DATA_PART_TEST) {
                counts->ntest++;
            } else if (counts->nval++ < STREAM_VAL_CAP) {
                Dataset *v = &s->val;
                if (v->n == val_cap) {
                    size_t cap = val_cap ? 2 * val_cap : 4096;
                    cap = cap > STREAM_VAL_CAP ? STREAM_VAL_CAP : cap;
                    double *vx = realloc(v->x, cap * (size_t)nin * sizeof(double));
                    if (vx)
                        v->x = vx;
                    double *vy = vx ? realloc(v->y, cap * sizeof(double)) : NULL;
                    if (!vy) {
                        rc = err_set(err, E_NOMEM, "%s: out of memory for %zu validation rows", c->data_path, cap);
                        goto done;
                    }
                    v->y = vy;
                    val_cap = cap;
                }
                memcpy(v->x + v->n * (size_t)nin, x, (size_t)nin * sizeof(double));
                v->y[v->n++] = y;
                v->nin = nin;
            }
        }
        for (int k = 0; k < ncol; k++)
            stats_add_block(&cs[k], k < nin ? st->bx + k : st->by, k < nin ? (size_t)nin : 1, keep, m);
        st->before[b + 1] = st->before[b] + nb;
    }
    st->ntrain = counts->ntrain = s->ntrain = st->before[st->nblocks];
    s->val.nin = nin;
    s->fingerprint = RNG_FNV_INIT;
    for (int k = 0; k < ncol; k++)
        s->fingerprint = rng_fnv1a(s->fingerprint, &colhash[k], sizeof colhash[k]);
    if (st->ntrain == 0) {
        rc = err_set(err, E_DATA, "%s: no training rows (of %zu read, %zu left out by [data] filter, %zu "
                     "dropped for missing values)", c->data_path, s->rows_read, s->rows_filtered, s->rows_dropped);
        goto done;
    }
    /* The fill values, then the normalisation. */
    for (int f = 0; f < nin; f++) {
        if (c->missing == MISSING_MEAN && cs[f].n == 0) {
            rc = err_set(err, E_DATA, "%s: column \"%.60s\" has no value in the training rows; drop the column",
                         c->data_path, names[f]);
            goto done;
        }
        st->means[f] = cs[f].n ? cs[f].sum / (double)cs[f].n : 0.0;
    }
    if ((rc = norm_alloc(&s->norm, nin, err)))
        goto done;
    NormKind tk = c->normalize_target == NORM_SAME ? (NormKind)c->normalize : (NormKind)c->normalize_target;
    s->norm.kind = (NormKind)c->normalize;
    s->norm.target_kind = tk;
    char what[128];
    for (int k = 0; k < ncol && !rc; k++) {
        snprintf(what, sizeof what, "%s \"%.64s\"", k < nin ? "feature" : "target", names[k]);
        rc = k < nin ? stats_norm(&cs[k], s->norm.kind, st->ntrain, &s->norm.x_shift[k], &s->norm.x_scale[k],
                                  what, err)
                     : stats_norm(&cs[k], tk, st->ntrain, &s->norm.y_shift, &s->norm.y_scale, what, err);
    }
    if (rc) {
        err_prefix(err, "%s: ", c->data_path);
        goto done;
    }
    if ((rc = norm_alloc(&st->norm, nin, err)))
        goto done;
    st->norm.kind = s->norm.kind;
    st->norm.target_kind = s->norm.target_kind;
    memcpy(st->norm.x_shift, s->norm.x_shift, (size_t)nin * sizeof(double));
    memcpy(st->norm.x_scale, s->norm.x_scale, (size_t)nin * sizeof(double));
    st->norm.y_shift = s->norm.y_shift;
    st->norm.y_scale = s->norm.y_scale;
    for (size_t r = 0; r < s->val.n; r++)
        prepare_row(st, s->val.x + r * (size_t)nin, s->val.y[r], s->val.x + r * (size_t)nin, &s->val.y[r]);
    /* The record: hashed, no row lists (the split is re-drawn from the seed). */
    DataRecord *d = &s->record;
    d->val_rows = malloc(sizeof *d->val_rows);
    d->test_rows = malloc(sizeof *d->test_rows);
    if (!(d->missing = malloc((size_t)ncol * sizeof *d->missing)) || !d->val_rows || !d->test_rows) {
        rc = err_set(err, E_NOMEM, "%s: out of memory", c->data_path);
        goto done;
    }
    loader_record_header(c, s, d);
    d->hashed = 1;
done:
    free(keep);
    if (rc) {
        stream_free(&st);
        splits_free(s);
        memset(counts, 0, sizeof *counts);
    }
    *out = st;
    return rc;
}
