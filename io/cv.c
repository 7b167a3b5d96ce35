/* cv: repeated K-fold cross-validation (see cv.h). Owns the loop over the
 * folds, the per-fold run directories, folds.csv and the summary; each
 * fold is trained by run_train (io/run.c) on loader_load_fold's rows and
 * measured by eval_run (io/evaluate.c) on the rows its model records. */
#define _GNU_SOURCE /* open_memstream */
#include "cv.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "checkpoint.h"
#include "loader.h"
#include "run.h"

void cv_free(CvResult *r)
{
    if (!r)
        return;
    free(r->fold);
    memset(r, 0, sizeof *r);
}

static CvStat stat_of(const double *v, int n)
{
    CvStat s = { 0.0, 0.0 };
    for (int i = 0; i < n; i++)
        s.mean += v[i];
    s.mean /= n;
    double ss = 0.0;
    for (int i = 0; i < n; i++)
        ss += (v[i] - s.mean) * (v[i] - s.mean);
    s.sd = n > 1 ? sqrt(ss / (n - 1)) : 0.0;
    return s;
}

/* The learner's metrics of every fold (which: offset of a Metrics in EvalResult). */
static CvSummary summarise(const CvResult *r, size_t which, double *buf)
{
    int n = r->folds * r->repeats;
    CvSummary s;
    CvStat *out[4] = { &s.rmse, &s.mae, &s.mape, &s.r2 };
    for (int k = 0; k < 4; k++) {
        for (int i = 0; i < n; i++) {
            const Metrics *m = (const Metrics *)((const char *)&r->fold[i] + which);
            const double v[4] = { m->rmse, m->mae, m->mape, m->r2 };
            buf[i] = v[k];
        }
        *out[k] = stat_of(buf, n);
    }
    return s;
}

static const struct {
    const char *name;
    size_t offset;
} LEARNERS[] = {
    { "model", offsetof(EvalResult, model) },
    { "mean", offsetof(EvalResult, mean) },
    { "ols", offsetof(EvalResult, ols) },
    { "ridge", offsetof(EvalResult, ridge) },
};
#define NLEARNERS 4

static const Metrics *learner(const EvalResult *e, int l)
{
    return (const Metrics *)((const char *)e + LEARNERS[l].offset);
}

/* RUN/cv/folds.csv: one row per fold, every learner's four metrics. */
static int write_folds_csv(const CvResult *r, Err *err)
{
    char path[CFG_PATH_MAX + 128], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/folds.csv", r->dir);
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return err_set(err, E_NOMEM, "%s: out of memory", path);
    fputs("repeat,fold,rows", f);
    for (int l = 0; l < NLEARNERS; l++)
        fprintf(f, ",%s_rmse,%s_mae,%s_mape,%s_r2", LEARNERS[l].name, LEARNERS[l].name, LEARNERS[l].name,
                LEARNERS[l].name);
    fputc('\n', f);
    for (int i = 0; i < r->folds * r->repeats; i++) {
        fprintf(f, "%d,%d,%zu", i / r->folds + 1, i % r->folds + 1, r->fold[i].model.rows);
        for (int l = 0; l < NLEARNERS; l++) {
            const Metrics *m = learner(&r->fold[i], l);
            fprintf(f, ",%.17g,%.17g,%.17g,%.17g", m->rmse, m->mae, m->mape, m->r2);
        }
        fputc('\n', f);
    }
    int bad = fclose(f) != 0 || !text;
    int rc = bad ? err_set(err, E_NOMEM, "%s: out of memory", path) : atomic_write_file(path, text, len, err);
    free(text);
    return rc;
}

/* Trains fold f of repeat rep into RUN/cv/r<rep+1>-f<f+1> and measures it. */
static int run_fold(const CvArgs *a, const DataFold *df, const char *dir, FILE *sink, EvalResult *res, Err *err)
{
    char set[CFG_PATH_MAX + 128], model[CFG_PATH_MAX + 128];
    RunArgs ra = a->run;
    if (ra.nsets == RUN_MAX_SETS)
        return err_set(err, E_USAGE, "cv: at most %d --set options", RUN_MAX_SETS - 1);
    snprintf(set, sizeof set, "run.dir=%s", dir);
    ra.sets[ra.nsets++] = set;
    ra.quiet = 1;
    ra.force = 1; /* a fold's directory is cv's own: a new cv replaces it */
    ra.resume = 0;
    ra.dry_run = 0;
    ra.out = sink;
    ra.fold = df;
    int rc = run_train(&ra, err);
    if (rc)
        return rc;
    Model m = { 0 };
    Config *c = cfg_new();
    if (!c)
        return err_set(err, E_NOMEM, "out of memory");
    snprintf(model, sizeof model, "%s/model.h5", dir);
    if ((rc = loader_open_model(model, &m, c, err))) {
        cfg_delete(c);
        return rc;
    }
    /* A level that only a test fold holds is expected here, not an error
     * or a warning per fold: its rows are scored with all-zero inputs. */
    c->unknown_category = UNKNOWN_ZEROS;
    rc = eval_run(model, &m, c, NULL, 0, NULL, res, err);
    if (!rc && !res->have_baselines)
        rc = err_set(err, E_STATE, "%s: the fold's training rows could not be re-read [io/cv.c:%d]", model,
                     __LINE__);
    cfg_delete(c);
    model_free(&m);
    return rc;
}

/* The fold directories of an earlier cv of the config that this one does
 * not make (`--folds 2` after `--folds 3`: r1-f3), which would stand
 * beside its own as if they were: a run's own files go, then the
 * directory when that leaves it empty; one that another process holds is
 * left alone. Best effort. */
static void remove_stale_folds(const CvResult *r)
{
    DIR *d = opendir(r->dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        int rep, fold, end = -1;
        if (sscanf(e->d_name, "r%d-f%d%n", &rep, &fold, &end) != 2 || end < 0 || e->d_name[end] ||
            (rep >= 1 && rep <= r->repeats && fold >= 1 && fold <= r->folds))
            continue;
        char dir[CFG_PATH_MAX + 300];
        int lock = -1;
        Err ignored = { 0 };
        snprintf(dir, sizeof dir, "%s/%s", r->dir, e->d_name);
        if (dir_lock(dir, &lock, &ignored))
            continue;
        run_remove_files(dir);
        dir_unlock(&lock);
        (void)rmdir(dir);
    }
    closedir(d);
}

int cv_run(const CvArgs *a, CvResult *r, Err *err)
{
    memset(r, 0, sizeof *r);
    Config *c = cfg_new();
    char *sunk = NULL;
    size_t nsunk = 0;
    FILE *sink = NULL;
    double *buf = NULL;
    int rc = c ? run_load_config(&a->run, c, err) : err_set(err, E_NOMEM, "out of memory");
    if (!rc) /* once, not as fold 1's */
        rc = loader_check_data_path(c, err);
    if (rc)
        goto done;
    if (c->stream) {
        rc = err_set(err, E_CONFIG, "%s: [data] stream = true: cv needs the rows in memory; set stream = false",
                     c->source);
        goto done;
    }
    char run_dir[CFG_PATH_MAX];
    run_dir_of(c, run_dir, sizeof run_dir);
    snprintf(r->dir, sizeof r->dir, "%s/cv", run_dir);
    r->folds = a->folds;
    r->repeats = a->repeats;
    int n = a->folds * a->repeats;
    r->fold = calloc((size_t)n, sizeof *r->fold);
    buf = calloc((size_t)n, sizeof *buf);
    sink = open_memstream(&sunk, &nsunk); /* each fold's train summary: cv prints its own */
    if (!r->fold || !buf || !sink) {
        rc = err_set(err, E_NOMEM, "out of memory for %d folds", n);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        DataFold df = { a->folds, i / a->folds, i % a->folds, a->has_seed ? a->seed : c->seed };
        char dir[CFG_PATH_MAX + 64];
        snprintf(dir, sizeof dir, "%s/r%d-f%d", r->dir, df.repeat + 1, df.fold + 1);
        if ((rc = run_fold(a, &df, dir, sink, &r->fold[i], err))) {
            err_prefix(err, "cv repeat %d fold %d: ", df.repeat + 1, df.fold + 1);
            goto done;
        }
        rewind(sink);
        if (!a->run.quiet)
            fprintf(a->run.progress, "housenet: cv repeat %d/%d fold %d/%d: r2 %.4f rmse %.6g (least squares "
                    "r2 %.4f) %zu test rows, %s\n", df.repeat + 1, a->repeats, df.fold + 1, a->folds,
                    r->fold[i].model.r2, r->fold[i].model.rmse, r->fold[i].ols.r2, r->fold[i].model.rows, dir);
    }
    for (int i = 0; i < a->folds; i++)
        r->rows += r->fold[i].model.rows;
    r->model = summarise(r, LEARNERS[0].offset, buf);
    r->mean = summarise(r, LEARNERS[1].offset, buf);
    r->ols = summarise(r, LEARNERS[2].offset, buf);
    r->ridge = summarise(r, LEARNERS[3].offset, buf);
    rc = write_folds_csv(r, err);
    if (!rc)
        remove_stale_folds(r);
done:
    if (sink)
        fclose(sink);
    free(sunk);
    free(buf);
    cfg_delete(c);
    if (rc)
        cv_free(r);
    return rc;
}

static void json_stat(FILE *out, const char *key, CvStat s, const char *sep)
{
    fprintf(out, "\"%s\": {", key);
    json_num(out, "mean", s.mean, ", ");
    json_num(out, "sd", s.sd, "}");
    fputs(sep, out);
}

static void json_summary(FILE *out, const CvSummary *s, const char *sep)
{
    fputc('{', out);
    json_stat(out, "r2", s->r2, ", ");
    json_stat(out, "rmse", s->rmse, ", ");
    json_stat(out, "mae", s->mae, ", ");
    json_stat(out, "mape", s->mape, "}");
    fputs(sep, out);
}

static void text_row(FILE *out, const char *name, const CvSummary *s)
{
    fprintf(out, "%-28s %12.2f ± %-9.2f %12.2f ± %-9.2f %7.2f ± %-6.2f %8.4f ± %.4f\n", name, s->rmse.mean,
            s->rmse.sd, s->mae.mean, s->mae.sd, s->mape.mean, s->mape.sd, s->r2.mean, s->r2.sd);
}

void cv_print(FILE *out, const CvResult *r, const char *config, const char *target, int json)
{
    int n = r->folds * r->repeats;
    if (!json) {
        fprintf(out, "%s: %d folds x %d repeats, %zu rows; %s in its own units, mean ± sd over the %d folds\n",
                config, r->folds, r->repeats, r->rows, target, n);
        fprintf(out, "%-28s %25s %25s %17s %17s\n", "", "rmse", "mae", "mape %", "r2");
        text_row(out, "model", &r->model);
        text_row(out, "baseline: training mean", &r->mean);
        if (isnan(r->ols.rmse.mean)) /* on one fold at least */
            fprintf(out, "%-28s %s\n", "baseline: least squares", EVAL_OLS_UNDEFINED);
        else
            text_row(out, "baseline: least squares", &r->ols);
        text_row(out, "baseline: ridge (lambda 1)", &r->ridge);
        fprintf(out, "per fold: %s/folds.csv; each fold's run: %s/r<R>-f<F>/\n", r->dir, r->dir);
        return;
    }
    fprintf(out, "{\"folds\": %d, \"repeats\": %d, \"rows\": %zu, ", r->folds, r->repeats, r->rows);
    json_stat(out, "r2", r->model.r2, ", ");
    json_stat(out, "rmse", r->model.rmse, ", ");
    json_stat(out, "mae", r->model.mae, ", ");
    json_stat(out, "mape", r->model.mape, ", ");
    fputs("\"per_fold\": [", out);
    for (int i = 0; i < n; i++) {
        const Metrics *m = &r->fold[i].model;
        char dir[CFG_PATH_MAX + 64];
        snprintf(dir, sizeof dir, "%s/r%d-f%d", r->dir, i / r->folds + 1, i % r->folds + 1);
        fprintf(out, "%s{\"repeat\": %d, \"fold\": %d, \"rows\": %zu, ", i ? ", " : "", i / r->folds + 1,
                i % r->folds + 1, m->rows);
        json_num(out, "r2", m->r2, ", ");
        json_num(out, "rmse", m->rmse, ", ");
        json_num(out, "mae", m->mae, ", ");
        json_num(out, "mape", m->mape, ", ");
        fputs("\"dir\": ", out);
        json_str(out, dir);
        fputc('}', out);
    }
    fputs("], \"baselines\": {\"mean\": ", out);
    json_summary(out, &r->mean, ", \"ols\": ");
    json_summary(out, &r->ols, ", \"ridge\": ");
    json_summary(out, &r->ridge, "}, \"target\": ");
    json_str(out, target);
    fputs(", \"config\": ", out);
    json_str(out, config);
    fputs("}\n", out);
}
