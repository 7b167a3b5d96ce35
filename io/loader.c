/* loader: config -> normalised splits (see loader.h). */
#include "loader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"
#include "rng.h"

void splits_free(Splits *s)
{
    if (!s)
        return;
    data_free(&s->train);
    data_free(&s->val);
    data_free(&s->test);
    norm_free(&s->norm);
    memset(s, 0, sizeof *s);
}

/* Removes rows of d that hold a NaN (any column when all_cols, else only
 * the target); returns how many went. */
static size_t drop_rows(Dataset *d, int all_cols)
{
    size_t k = 0, nin = (size_t)d->nin;
    for (size_t r = 0; r < d->n; r++) {
        const double *x = d->x + r * nin;
        int bad = isnan(d->y[r]);
        for (size_t f = 0; f < nin && all_cols && !bad; f++)
            bad = isnan(x[f]);
        if (bad)
            continue;
        if (k != r) {
            memmove(d->x + k * nin, x, nin * sizeof(double));
            d->y[k] = d->y[r];
        }
        k++;
    }
    size_t gone = d->n - k;
    d->n = k;
    return gone;
}

/* Fills NaN features of d with means[]; returns the number filled. */
static size_t fill_means(Dataset *d, const double *means)
{
    size_t filled = 0, nin = (size_t)d->nin;
    for (size_t r = 0; r < d->n; r++)
        for (size_t f = 0; f < nin; f++)
            if (isnan(d->x[r * nin + f])) {
                d->x[r * nin + f] = means[f];
                filled++;
            }
    return filled;
}

int loader_load(const Config *c, Splits *s, Err *err)
{
    memset(s, 0, sizeof *s);
    Table t = { 0 };
    Dataset all = { 0 };
    const char *names[CFG_MAX_FEATURES + 1];
    const char *na[64];
    double *means = NULL;
    int rc;
    for (int f = 0; f < c->nfeat; f++)
        names[f] = c->feature_names[f];
    names[c->nfeat] = c->target;
    for (int i = 0; i < c->nna; i++)
        na[i] = c->na_list[i];
    CsvOptions opt = { .delimiter = c->delimiter[0], .na_values = na, .n_na_values = c->nna,
                       .allow_missing = c->missing != MISSING_ERROR };
    if ((rc = csv_read_columns(c->data_path, names, c->nfeat + 1, &opt, &t, err)))
        goto done;
    s->rows_read = t.nrows;
    for (int k = 0; k <= c->nfeat; k++)
        s->missing[k] = t.missing ? t.missing[k] : 0;
    s->fingerprint = rng_fnv1a(RNG_FNV_INIT, t.cols, t.nrows * (size_t)t.ncols * sizeof(double));
    if ((rc = data_from_table(&t, names, c->nfeat, c->target, &all, err)))
        goto done;
    table_free(&t);
    /* drop: any missing cell removes the row; mean: only a missing target does. */
    s->rows_dropped = drop_rows(&all, c->missing == MISSING_DROP);
    /* One row is enough only without a split (the worked example). */
    size_t need = c->validation_fraction > 0 || c->test_fraction > 0 ? 2 : 1;
    if (all.n < need) {
        rc = err_set(err, E_DATA, "%s: %zu usable rows (of %zu read); at least %zu are needed%s",
                     c->data_path, all.n, s->rows_read, need,
                     s->rows_dropped ? " (rows with missing values were dropped)" : "");
        goto done;
    }
    if ((rc = data_split(&all, c->validation_fraction, c->test_fraction, c->seed,
                         &s->train, &s->val, &s->test, err)))
        goto done;
    if (c->missing == MISSING_MEAN) {
        means = calloc((size_t)c->nfeat, sizeof(double));
        if (!means) {
            rc = err_set(err, E_NOMEM, "out of memory");
            goto done;
        }
        for (int f = 0; f < c->nfeat; f++) {
            double sum = 0.0;
            size_t n = 0;
            for (size_t r = 0; r < s->train.n; r++) {
                double v = s->train.x[r * (size_t)c->nfeat + (size_t)f];
                if (!isnan(v)) {
                    sum += v;
                    n++;
                }
            }
            if (n == 0) {
                rc = err_set(err, E_DATA, "%s: column \"%.60s\" has no value in the training rows; drop the column",
                             c->data_path, c->feature_names[f]);
                goto done;
            }
            means[f] = sum / (double)n;
        }
        s->cells_filled = fill_means(&s->train, means) + fill_means(&s->val, means) + fill_means(&s->test, means);
    }
    NormKind tk = c->normalize_target == NORM_SAME ? (NormKind)c->normalize : (NormKind)c->normalize_target;
    if ((rc = norm_fit(&s->norm, (NormKind)c->normalize, tk, &s->train, names, c->target, err))) {
        err_prefix(err, "%s: ", c->data_path);
        goto done;
    }
    norm_apply(&s->norm, &s->train);
    norm_apply(&s->norm, &s->val);
    norm_apply(&s->norm, &s->test);
    rc = 0;
done:
    table_free(&t);
    data_free(&all);
    free(means);
    if (rc)
        splits_free(s);
    return rc;
}

int loader_build_net(const Config *c, int ninputs, Net *net, Err *err)
{
    int rc = net_init(net, ninputs, c->hidden_widths, c->nhidden, 1, (Activation)c->activation,
                      (Activation)c->output_activation, err);
    if (rc)
        return rc;
    if (c->init == INIT_XAVIER) {
        net_init_xavier(net, c->seed);
    } else if (c->init == INIT_UNIFORM) {
        net_init_uniform(net, c->seed, c->init_scale);
    } else {
        for (int l = 0; l < net->nlayers && !rc; l++) {
            size_t nw = (size_t)net->width[l + 1] * (size_t)net->width[l];
            rc = cfg_init_values(c, l, 0, net_W(net, net->params, l), nw, err);
            if (!rc)
                rc = cfg_init_values(c, l, 1, net_b(net, net->params, l), (size_t)net->width[l + 1], err);
        }
    }
    if (rc)
        net_free(net);
    return rc;
}
