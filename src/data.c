/* data: datasets, the seeded split and normalisation (see data.h). */
#include "data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

static const char *const NORM_NAMES[] = { "none", "zscore", "minmax" };

const char *norm_name(NormKind k)
{
    return (unsigned)k < 3 ? NORM_NAMES[k] : "?";
}

int norm_parse(const char *name, NormKind *out)
{
    for (int i = 0; i < 3; i++) {
        if (strcmp(name, NORM_NAMES[i]) == 0) {
            *out = (NormKind)i;
            return 0;
        }
    }
    return E_CONFIG;
}

int data_alloc(Dataset *d, size_t n, int nin, Err *err)
{
    memset(d, 0, sizeof *d);
    d->x = malloc((n ? n : 1) * (size_t)nin * sizeof(double));
    d->y = malloc((n ? n : 1) * sizeof(double));
    if (!d->x || !d->y) {
        data_free(d);
        return err_set(err, E_NOMEM, "out of memory for %zu rows of %d features", n, nin);
    }
    d->n = n;
    d->nin = nin;
    return 0;
}

void data_free(Dataset *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

static const char *const CMP_NAMES[] = { "<", "<=", ">", ">=", "==", "!=" };

const char *cmp_name(CmpOp op)
{
    return op >= CMP_LT && op <= CMP_NE ? CMP_NAMES[op] : "?";
}

size_t cmp_parse(const char *s, CmpOp *op)
{
    /* two-character operators first, so that "<=" is not read as "<" */
    static const CmpOp order[] = { CMP_LE, CMP_GE, CMP_EQ, CMP_NE, CMP_LT, CMP_GT };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        size_t len = strlen(CMP_NAMES[order[i]]);
        if (strncmp(s, CMP_NAMES[order[i]], len) == 0) {
            *op = order[i];
            return len;
        }
    }
    return 0;
}

int cmp_holds(CmpOp op, double a, double b)
{
    switch (op) {
    case CMP_LT: return a < b;
    case CMP_LE: return a <= b;
    case CMP_GT: return a > b;
    case CMP_GE: return a >= b;
    case CMP_EQ: return a == b;
    case CMP_NE: return !isnan(a) && a != b;
    }
    return 0;
}

size_t data_keep_rows(Dataset *d, size_t *rowid, const unsigned char *keep)
{
    size_t k = 0, nin = (size_t)d->nin;
    for (size_t r = 0; r < d->n; r++) {
        if (!keep[r])
            continue;
        if (k != r) {
            memmove(d->x + k * nin, d->x + r * nin, nin * sizeof(double));
            d->y[k] = d->y[r];
            if (rowid)
                rowid[k] = rowid[r];
        }
        k++;
    }
    size_t gone = d->n - k;
    d->n = k;
    return gone;
}

int data_from_table(const Table *t, const char *const *feats, int nfeat,
                    const char *target, Dataset *out, Err *err)
{
    int tc = table_find(t, target);
    if (tc < 0)
        return err_set(err, E_DATA, "target column \"%.64s\" was not read", target);
    int rc = data_alloc(out, t->nrows, nfeat, err);
    if (rc)
        return rc;
    for (int f = 0; f < nfeat; f++) {
        int c = table_find(t, feats[f]);
        if (c < 0) {
            data_free(out);
            return err_set(err, E_DATA, "feature column \"%.64s\" was not read", feats[f]);
        }
        const double *col = table_col(t, c);
        for (size_t r = 0; r < t->nrows; r++)
            out->x[r * (size_t)nfeat + (size_t)f] = col[r];
    }
    memcpy(out->y, table_col(t, tc), t->nrows * sizeof(double));
    return 0;
}

/* Copies the rows flagged `which` in part[] to out, in file order. */
static int take_rows(const Dataset *all, const unsigned char *part, unsigned char which,
                     Dataset *out, Err *err)
{
    size_t count = 0;
    for (size_t r = 0; r < all->n; r++)
        count += part[r] == which;
    int rc = data_alloc(out, count, all->nin, err);
    if (rc)
        return rc;
    size_t k = 0;
    for (size_t r = 0; r < all->n; r++) {
        if (part[r] != which)
            continue;
        memcpy(out->x + k * (size_t)all->nin, all->x + r * (size_t)all->nin,
               (size_t)all->nin * sizeof(double));
        out->y[k++] = all->y[r];
    }
    return 0;
}

int data_split_parts(size_t n, double val_frac, double test_frac, uint64_t seed,
                     unsigned char *part, Err *err)
{
    size_t nval = (size_t)llround((double)n * val_frac);
    size_t ntest = (size_t)llround((double)n * test_frac);
    if (nval + ntest >= n)
        return err_set(err, E_DATA,
                       "%zu rows leave no training rows after %zu validation and %zu test rows; "
                       "lower validation_fraction or test_fraction", n, nval, ntest);
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!perm)
        return err_set(err, E_NOMEM, "out of memory for a split of %zu rows", n);
    for (size_t r = 0; r < n; r++) {
        perm[r] = r;
        part[r] = DATA_PART_TRAIN;
    }
    Rng rng = rng_stream(seed, RNG_STREAM_SPLIT);
    rng_shuffle(&rng, perm, n);
    for (size_t k = 0; k < nval; k++)
        part[perm[k]] = DATA_PART_VAL;
    for (size_t k = nval; k < nval + ntest; k++)
        part[perm[k]] = DATA_PART_TEST;
    free(perm);
    return 0;
}

int data_fold_parts(size_t n, const DataFold *f, double val_frac, unsigned char *part, Err *err)
{
    if (f->folds < 2 || n < (size_t)f->folds)
        return err_set(err, E_DATA, "%zu usable rows cannot make %d folds; use %zu folds or fewer", n, f->folds,
                       n > 1 ? n : 2);
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!perm)
        return err_set(err, E_NOMEM, "out of memory for %d folds of %zu rows", f->folds, n);
    for (size_t r = 0; r < n; r++)
        perm[r] = r;
    Rng rng = rng_stream(f->seed, RNG_STREAM_FOLDS | (uint64_t)f->repeat << 32);
    rng_shuffle(&rng, perm, n);
    size_t m = 0; /* the other folds' rows, gathered in perm[0..m) in file order */
    for (size_t i = 0; i < n; i++)
        part[perm[i]] = i % (size_t)f->folds == (size_t)f->fold ? DATA_PART_TEST : DATA_PART_TRAIN;
    for (size_t r = 0; r < n; r++)
        if (part[r] == DATA_PART_TRAIN)
            perm[m++] = r;
    size_t nval = (size_t)llround((double)m * val_frac);
    if (nval >= m) {
        free(perm);
        return err_set(err, E_DATA, "a fold's %zu training rows leave none after %zu validation rows; lower "
                       "validation_fraction", m, nval);
    }
    rng = rng_stream(f->seed, RNG_STREAM_FOLD_VAL | (uint64_t)f->repeat << 32 | (uint64_t)f->fold << 8);
    rng_shuffle(&rng, perm, m);
    for (size_t k = 0; k < nval; k++)
        part[perm[k]] = DATA_PART_VAL;
    free(perm);
    return 0;
}

int data_split_by_parts(const Dataset *all, const unsigned char *part, Dataset *train, Dataset *val,
                        Dataset *test, Err *err)
{
    int rc = 0;
    if (train && (rc = take_rows(all, part, DATA_PART_TRAIN, train, err)))
        goto done;
    if (val && (rc = take_rows(all, part, DATA_PART_VAL, val, err)))
        goto done;
    if (test && (rc = take_rows(all, part, DATA_PART_TEST, test, err)))
        goto done;
done:
    if (rc) {
        data_free(train);
        data_free(val);
        data_free(test);
    }
    return rc;
}

int data_split(const Dataset *all, double val_frac, double test_frac, uint64_t seed,
               Dataset *train, Dataset *val, Dataset *test, Err *err)
{
    unsigned char *part = malloc(all->n ? all->n : 1);
    if (!part)
        return err_set(err, E_NOMEM, "out of memory for a split of %zu rows", all->n);
    int rc = data_split_parts(all->n, val_frac, test_frac, seed, part, err);
    if (rc == 0)
        rc = data_split_by_parts(all, part, train, val, test, err);
    free(part);
    return rc;
}

int transform_forward(TargetTransform t, double v, double *out)
{
    if (t == TRANSFORM_NONE || isnan(v)) {
        *out = v;
        return 0;
    }
    if (isinf(v) || (t == TRANSFORM_LOG ? v <= 0.0 : v <= -1.0))
        return -1;
    *out = t == TRANSFORM_LOG ? log(v) : log1p(v);
    return 0;
}

double transform_back(TargetTransform t, double v)
{
    if (t == TRANSFORM_NONE)
        return v;
    v = v > DATA_LOG_CLIP ? DATA_LOG_CLIP : v < -DATA_LOG_CLIP ? -DATA_LOG_CLIP : v;
    return t == TRANSFORM_LOG ? exp(v) : expm1(v);
}

const char *transform_name(TargetTransform t)
{
    return t == TRANSFORM_LOG ? "log" : t == TRANSFORM_LOG1P ? "log1p" : "none";
}

int norm_alloc(Norm *nm, int nin, Err *err)
{
    memset(nm, 0, sizeof *nm);
    nm->x_shift = calloc((size_t)(nin > 0 ? nin : 1), sizeof(double));
    nm->x_scale = calloc((size_t)(nin > 0 ? nin : 1), sizeof(double));
    nm->x_log = calloc((size_t)(nin > 0 ? nin : 1), 1);
    if (!nm->x_shift || !nm->x_scale || !nm->x_log) {
        norm_free(nm);
        return err_set(err, E_NOMEM, "out of memory for normalisation statistics");
    }
    nm->nin = nin;
    nm->y_scale = 1.0;
    for (int f = 0; f < nin; f++)
        nm->x_scale[f] = 1.0;
    return 0;
}

void norm_free(Norm *nm)
{
    if (!nm)
        return;
    free(nm->x_shift);
    free(nm->x_scale);
    free(nm->x_log);
    memset(nm, 0, sizeof *nm);
}

int norm_scale_check(NormKind kind, double scale, double lo, double hi, const char *what, Err *err)
{
    if (kind == NORM_NONE)
        return 0;
    if (!(hi > lo)) /* also when rounding in the mean gave a constant column an sd above 0 */
        return err_set(err, E_DATA,
                       "%s is constant on the training rows (value %.17g); drop it or use normalize = none",
                       what, lo);
    if (scale > 0.0 && isfinite(scale))
        return 0;
    if (scale > 0.0 || isnan(scale)) /* inf, or NaN from a mean that overflowed */
        return err_set(err, E_DATA, "%s spans %.17g to %.17g on the training rows, beyond what float64 "
                       "arithmetic holds (its %s overflows); divide the column by a power of ten", what, lo, hi,
                       kind == NORM_ZSCORE ? "standard deviation" : "range");
    return err_set(err, E_DATA, "%s spans %.17g to %.17g on the training rows, a spread whose squares are below "
                   "what float64 holds; multiply the column by a power of ten", what, lo, hi);
}

/* Statistics of v[0], v[stride], ... (n values) under kind. Two passes for
 * the mean and the population variance, in row order (reproducible). */
static int fit_one(NormKind kind, const double *v, size_t n, size_t stride,
                   double *shift, double *scale, const char *what, Err *err)
{
    *shift = 0.0;
    *scale = 1.0;
    if (kind == NORM_NONE)
        return 0;
    double lo = v[0], hi = v[0], sum = 0.0;
    for (size_t r = 0; r < n; r++) {
        double x = v[r * stride];
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
        sum += x;
    }
    double sh = lo, sc = hi - lo;
    if (kind == NORM_ZSCORE) {
        double mean = sum / (double)n, ss = 0.0;
        for (size_t r = 0; r < n; r++) {
            double e = v[r * stride] - mean;
            ss += e * e;
        }
        sh = mean;
        sc = sqrt(ss / (double)n);
    }
    int rc = norm_scale_check(kind, sc, lo, hi, what, err);
    if (!rc) {
        *shift = sh;
        *scale = sc;
    }
    return rc;
}

/* The one value of norm_check: 0 when sound. */
static int norm_check_one(const char *name, int idx, double shift, double scale, Err *err)
{
    char at[16] = "";
    if (idx >= 0)
        snprintf(at, sizeof at, "[%d]", idx);
    if (!isfinite(shift))
        return err_set(err, E_PARSE, "%s_shift%s is %g; the file is damaged (expected a finite value)", name, at,
                       shift);
    if (!(scale > 0.0) || !isfinite(scale))
        return err_set(err, E_PARSE, "%s_scale%s is %g; the file is damaged (expected a finite value > 0)", name,
                       at, scale);
    return 0;
}

int norm_check(const Norm *nm, Err *err)
{
    for (int f = 0; f < nm->nin; f++)
        if (norm_check_one("x", f, nm->x_shift[f], nm->x_scale[f], err))
            return E_PARSE;
    return norm_check_one("y", -1, nm->y_shift, nm->y_scale, err);
}

int norm_fit(Norm *nm, NormKind kind, NormKind target_kind, const Dataset *d, const unsigned char *fixed,
             const char *const *feat_names, const char *target_name, Err *err)
{
    int rc = norm_alloc(nm, d->nin, err);
    if (rc)
        return rc;
    nm->kind = kind;
    nm->target_kind = target_kind;
    if (d->n == 0)
        return 0;
    char what[128];
    for (int f = 0; f < d->nin; f++) {
        if (fixed && fixed[f])
            continue;
        snprintf(what, sizeof what, "feature \"%.64s\"", feat_names ? feat_names[f] : "?");
        rc = fit_one(kind, d->x + f, d->n, (size_t)d->nin, &nm->x_shift[f], &nm->x_scale[f], what, err);
        if (rc)
            goto fail;
    }
    snprintf(what, sizeof what, "target \"%.64s\"", target_name ? target_name : "?");
    rc = fit_one(target_kind, d->y, d->n, 1, &nm->y_shift, &nm->y_scale, what, err);
    if (rc)
        goto fail;
    return 0;
fail:
    norm_free(nm);
    return rc;
}

void norm_apply(const Norm *nm, Dataset *d)
{
    for (size_t r = 0; r < d->n; r++) {
        double *x = d->x + r * (size_t)d->nin;
        for (int f = 0; f < d->nin; f++)
            x[f] = (x[f] - nm->x_shift[f]) / nm->x_scale[f];
        d->y[r] = (d->y[r] - nm->y_shift) / nm->y_scale;
    }
}
