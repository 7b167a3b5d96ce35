/* evaluate: the model against the truth and two baselines, in data units
 * (see evaluate.h). Owns the re-derivation of the test split, the
 * baselines and the text and JSON output (the command line is
 * io/cmd/cmd_evaluate.c's). Does not own the metrics (src/metrics.c), the least squares fit
 * (src/ols.c) or reading files (h5model.c, loader.c, csvread.c). */
#include "evaluate.h"

#include "colname.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"
#include "csvrows.h"
#include "h5guard.h"
#include "infer.h"
#include "ols.h"

/* Whether two encodings make the same inputs from the same levels. */
static int same_levels(const Encoding *a, const Encoding *b)
{
    if (enc_any(a) != enc_any(b) || a->nfeat != b->nfeat)
        return 0;
    for (int f = 0; f < a->nfeat && a->v; f++) {
        const Vocab *x = &a->v[f], *y = &b->v[f];
        if (x->is_cat != y->is_cat || x->nlevels != y->nlevels || x->nrare != y->nrare || x->other != y->other ||
            x->missing != y->missing)
            return 0;
        for (int i = 0; i < x->nlevels; i++)
            if (strcmp(x->levels[i], y->levels[i]))
                return 0;
        for (int i = 0; i < x->nrare; i++)
            if (strcmp(x->rare[i], y->rare[i]))
                return 0;
    }
    return 1;
}

int eval_check_split(const char *model_path, const Model *m, const Config *c, const Splits *sp, Err *err)
{
    if (m->nfeat != c->nfeat)
        return err_set(err, E_STATE, "%s: the model reads %d features, its stored config lists %d",
                       model_path, m->nfeat, c->nfeat);
    for (int f = 0; f < c->nfeat; f++)
        if (strcmp(m->feat_names[f], c->feature_names[f]))
            return err_set(err, E_STATE, "%s: feature %d is \"%.60s\" in the model, \"%.60s\" in its stored config",
                           model_path, f + 1, m->feat_names[f], c->feature_names[f]);
    const Norm *a = &m->norm, *b = &sp->norm;
    const char *what = NULL;
    int which = -1;
    if (a->nin != b->nin || !same_levels(&m->enc, &sp->enc))
        what = "levels";
    for (int i = 0; i < a->nin && !what; i++)
        if (a->x_shift[i] != b->x_shift[i] || a->x_scale[i] != b->x_scale[i]) {
            what = "feature";
            which = i;
        }
    if (!what && (a->y_shift != b->y_shift || a->y_scale != b->y_scale || a->kind != b->kind ||
                  a->target_kind != b->target_kind))
        what = "target";
    if (what)
        return err_set(err, E_STATE,
                       "%s: %s no longer holds the rows the model was trained on (the training rows' statistics "
                       "of %s \"%.60s\" differ), so its test split cannot be re-derived; pass the rows to "
                       "evaluate as DATA.csv",
                       model_path, c->data_path, what, which >= 0 ? (sp->input_names ? sp->input_names[which] : c->feature_names[which])
                       : !strcmp(what, "levels") ? "of the categorical features" : c->target);
    return 0;
}

/* Whether a and b hold the same validation and test rows. */
static int same_rows(const DataRecord *a, const DataRecord *b)
{
    return a->nval == b->nval && a->ntest == b->ntest &&
           (a->nval == 0 || !memcmp(a->val_rows, b->val_rows, a->nval * sizeof *a->val_rows)) &&
           (a->ntest == 0 || !memcmp(a->test_rows, b->test_rows, a->ntest * sizeof *a->test_rows));
}

/* The training rows re-read from the model's config into *sp: the split
 * to evaluate on, and what the baselines fit. Returns 0, or the code of
 * the failure described in *lerr (a relative data path gets a hint). The
 * split of a model that records other rows than the seed's (a fold of
 * housenet cv) is those rows. */
static int eval_training_rows(const char *model_path, const Model *m, const Config *c, Splits *sp, Err *lerr)
{
    int lrc = loader_guard_table(c, NULL, c->data_path, lerr);
    if (!lrc)
        lrc = loader_load(c, sp, lerr);
    if (lrc == E_IO) { /* the stored path is relative to where the model was trained */
        size_t len = strlen(lerr->msg);
        snprintf(lerr->msg + len, sizeof lerr->msg - len,
                 " (the data path stored in %s, relative to where it was trained: run from there, or pass "
                 "DATA.csv)", model_path);
    }
    if (!lrc)
        lrc = eval_check_split(model_path, m, c, sp, lerr);
    if (lrc == E_STATE && m->data.has_split && !m->data.hashed && !same_rows(&m->data, &sp->record)) {
        /* not the seed's split (a fold of housenet cv): the rows it records */
        Err ferr = { 0 };
        splits_free(sp);
        if (loader_load_recorded(c, m, sp, &ferr) == 0)
            lrc = 0;
    }
    return lrc;
}

/* No DATA file: the rows are the test split of sp, which must have loaded
 * (lrc, lerr) and hold rows; its unknown levels are reported on msg. */
static int eval_test_split(const char *model_path, const Config *c, Splits *sp, int lrc, const Err *lerr,
                           FILE *msg, EvalResult *r, Err *err)
{
    int rc;
    if (lrc) {
        *err = *lerr;
        return lrc;
    }
    if (sp->test.n == 0)
        return err_set(err, E_USAGE, "%s: the model's config has test_fraction = 0, so there is no test split; "
                                     "name the rows to evaluate on: housenet evaluate --model %s DATA.csv",
                       model_path, model_path);
    if ((rc = loader_report_unknown(c, sp->unknown, c->data_path, c->delimiter[0], msg,
                                    c->unknown_category == UNKNOWN_ERROR, err)))
        return rc;
    snprintf(r->source, sizeof r->source, "the test split of %s", c->data_path);
    return 0;
}

/* The rows of data_path for model m into *own, normalised by the model's
 * Norm; what was left out, and a missing baseline (lrc, lerr), is said on
 * msg. */
static int eval_data_file(const Model *m, const Config *c, const char *data_path, char delim, int lrc,
                          const Err *lerr, FILE *msg, Dataset *own, EvalResult *r, Err *err)
{
    size_t dropped = 0, filtered = 0;
    int rc;
    if ((rc = loader_guard_table(c, m, data_path, err)) ||
        (rc = loader_read_for_model(c, m, data_path, delim, msg, own, &filtered, &dropped, err)))
        return rc;
    if (filtered && msg)
        term_line(msg, "housenet: %s: %zu rows outside the model's [data] filter (%s) left out", data_path,
                  filtered, c->filter);
    if (dropped && msg)
        term_line(msg, "housenet: warning: %s: %zu rows with a missing cell skipped", data_path, dropped);
    norm_apply(&m->norm, own);
    snprintf(r->source, sizeof r->source, "%s", data_path);
    if (lrc && msg)
        term_line(msg, "housenet: warning: no baselines: the training data cannot be re-read (%s)", lerr->msg);
    return 0;
}

/* The model's metrics on d (normalised rows) into r->model. */
static int eval_model_metrics(const Model *m, const Dataset *d, EvalResult *r, Err *err)
{
    Infer inf = { 0 };
    double *h = malloc(d->n * sizeof(double));
    int rc = 0;
    if (!h)
        return err_set(err, E_NOMEM, "out of memory for %zu predictions", d->n);
    if ((rc = infer_init(&inf, &m->net, err)))
        goto done;
    infer_rows(&inf, d->x, d->n, h);
    metrics_compute(d->y, h, d->n, &m->norm, &r->model);
done:
    infer_free(&inf);
    free(h);
    return rc;
}

/* The baselines fitted on the training rows train, measured on d, in data
 * units (y and the training targets de-normalised): the training mean,
 * OLS and ridge, into r->mean, r->ols and r->ridge. */
static int eval_baselines(const char *model_path, const Model *m, const Dataset *train, const Dataset *d,
                          EvalResult *r, Err *err)
{
    Ols ols = { 0 };
    double *y = malloc(d->n * sizeof(double)), *base = malloc(d->n * sizeof(double));
    double *ytrain = malloc(train->n * sizeof(double));
    int rc = 0;
    if (!y || !base || !ytrain) {
        rc = err_set(err, E_NOMEM, "out of memory for the baselines");
        goto done;
    }
    for (size_t i = 0; i < d->n; i++)
        y[i] = norm_target_back(&m->norm, d->y[i]);
    double sum = 0.0;
    for (size_t i = 0; i < train->n; i++) {
        ytrain[i] = norm_target_back(&m->norm, train->y[i]);
        sum += ytrain[i];
    }
    for (size_t i = 0; i < d->n; i++)
        base[i] = sum / (double)train->n;
    metrics_compute(y, base, d->n, NULL, &r->mean);
    /* OLS and ridge on the same (normalised, hence affinely mapped)
     * features: the fits standardise them again, and a linear model does
     * not see the difference. Collinear features (one-hot columns) leave
     * OLS without a unique fit: NaNs, and ridge still stands. */
    Err oerr = { 0 };
    if (ols_fit(&ols, train->x, ytrain, train->n, train->nin, &oerr) == 0) {
        ols_predict(&ols, d->x, d->n, base);
        metrics_compute(y, base, d->n, NULL, &r->ols);
    } else if (oerr.code == E_NOMEM) {
        rc = err_set(err, E_NOMEM, "%s", oerr.msg);
        goto done;
    } else {
        metrics_compute(y, base, 0, NULL, &r->ols);
        r->ols.rows = d->n;
    }
    ols_free(&ols);
    if ((rc = ols_fit_ridge(&ols, train->x, ytrain, train->n, train->nin, EVAL_RIDGE_LAMBDA, err))) {
        err_prefix(err, "%s: ", model_path);
        goto done;
    }
    ols_predict(&ols, d->x, d->n, base);
    metrics_compute(y, base, d->n, NULL, &r->ridge);
done:
    ols_free(&ols);
    free(y);
    free(base);
    free(ytrain);
    return rc;
}

int eval_run(const char *model_path, const Model *m, const Config *c, const char *data_path, char delim,
             FILE *msg, EvalResult *r, Err *err)
{
    Splits sp = { 0 };
    Dataset own = { 0 };
    Err lerr = { 0 };
    int rc;
    memset(r, 0, sizeof *r);
    int lrc = eval_training_rows(model_path, m, c, &sp, &lerr);
    /* The test split is normalised by the refitted Norm, equal to the stored one (checked). */
    const Dataset *d = data_path ? &own : &sp.test;
    if (data_path)
        rc = eval_data_file(m, c, data_path, delim, lrc, &lerr, msg, &own, r, err);
    else
        rc = eval_test_split(model_path, c, &sp, lrc, &lerr, msg, r, err);
    if (rc)
        goto done;
    r->have_baselines = lrc == 0;
    if ((rc = eval_model_metrics(m, d, r, err)) || !r->have_baselines)
        goto done;
    rc = eval_baselines(model_path, m, &sp.train, d, r, err);
done:
    data_free(&own);
    splits_free(&sp);
    return rc;
}

void json_num(FILE *out, const char *key, double v, const char *sep)
{
    if (isfinite(v))
        fprintf(out, "\"%s\": %.17g%s", key, v, sep);
    else
        fprintf(out, "\"%s\": null%s", key, sep);
}

void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = term_char(p, 4), ctl = term_control(p, 4); /* a NUL ends a character early: nothing past it is read */
        if (n && (*p == '"' || *p == '\\'))
            fprintf(out, "\\%c", *p);
        else if (n)
            fwrite(p, 1, (size_t)n, out);
        else if (ctl) /* C0, DEL, C1: U+0000..U+009F, the code point in the last byte */
            fprintf(out, "\\u%04x", p[ctl - 1]);
        else /* not UTF-8: the text term_escape shows */
            fprintf(out, "\\\\x%02X", *p);
        p += n ? n : ctl ? ctl : 1;
    }
    fputc('"', out);
}

static void json_metrics(FILE *out, const Metrics *m)
{
    fputc('{', out);
    json_num(out, "rmse", m->rmse, ", ");
    json_num(out, "mae", m->mae, ", ");
    json_num(out, "mape", m->mape, ", ");
    json_num(out, "r2", m->r2, ", ");
    fprintf(out, "\"rows\": %zu}", m->rows);
}

static void print_json(FILE *out, const EvalResult *r, const char *model_path, const char *target)
{
    fputc('{', out);
    json_num(out, "rmse", r->model.rmse, ", ");
    json_num(out, "mae", r->model.mae, ", ");
    json_num(out, "mape", r->model.mape, ", ");
    json_num(out, "r2", r->model.r2, ", ");
    fprintf(out, "\"rows\": %zu, \"model\": ", r->model.rows);
    json_str(out, model_path);
    fputs(", \"data\": ", out);
    json_str(out, r->source);
    fputs(", \"target\": ", out);
    json_str(out, target);
    fputs(", \"baselines\": ", out);
    if (r->have_baselines) {
        fputs("{\"mean\": ", out);
        json_metrics(out, &r->mean);
        fputs(", \"ols\": ", out);
        json_metrics(out, &r->ols);
        fputs(", \"ridge\": ", out);
        json_metrics(out, &r->ridge);
        fputc('}', out);
    } else {
        fputs("null", out);
    }
    fputs("}\n", out);
}

static void print_row(FILE *out, const char *name, const Metrics *m)
{
    char r2[32] = "undefined"; /* a constant target */
    if (!isnan(m->r2))
        snprintf(r2, sizeof r2, "%.4f", m->r2);
    fprintf(out, "%-28s %14.2f %14.2f %10.2f %10s\n", name, m->rmse, m->mae, m->mape, r2);
}

static void print_text(FILE *out, const EvalResult *r, const char *model_path, const char *target)
{
    term_line(out, "%s on %s: %zu rows, %s in its own units", model_path, r->source, r->model.rows, target);
    fprintf(out, "%-28s %14s %14s %10s %10s\n", "", "rmse", "mae", "mape %", "r2");
    print_row(out, "model", &r->model);
    if (r->have_baselines) {
        print_row(out, "baseline: training mean", &r->mean);
        if (isnan(r->ols.rmse))
            fprintf(out, "%-28s %s\n", "baseline: least squares", EVAL_OLS_UNDEFINED);
        else
            print_row(out, "baseline: least squares", &r->ols);
        print_row(out, "baseline: ridge (lambda 1)", &r->ridge);
    }
}

int eval_model(const char *model_path, const char *data_path, char delim, int json, FILE *out, FILE *msg,
               Err *err)
{
    Model m = { 0 };
    Config *c = cfg_new();
    EvalResult r;
    int rc = c ? h5guard_model(model_path, err) : err_set(err, E_NOMEM, "out of memory");
    if (!rc)
        rc = loader_open_model(model_path, &m, c, err);
    if (!rc)
        rc = eval_run(model_path, &m, c, data_path, delim, msg, &r, err);
    if (!rc) {
        if (json)
            print_json(out, &r, model_path, m.target_name);
        else
            print_text(out, &r, model_path, m.target_name);
    }
    cfg_delete(c);
    model_free(&m);
    return rc;
}
