/* runsum: what a run prints besides progress: --dry-run's report and
 * memory estimate, the memory check before the network is allocated, and
 * the summary of a finished run (see runctx.h). */
#include "runctx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim.h"
#include "sysmem.h"

/* "12.3 MiB" */
static const char *fmt_bytes(char *buf, size_t cap, double b)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    int u = 0;
    while (b >= 1024 && u < 4) {
        b /= 1024;
        u++;
    }
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", b, units[u]);
    return buf;
}

/* What a run of s needs in memory, in bytes, by part; s->net may be a
 * layout only (net_layout). */
typedef struct RunBytes {
    double data, params, optim, trainer, curves, pred, total;
} RunBytes;

static RunBytes run_bytes(const Session *s, int threads, int bs)
{
    const Config *c = s->cfg;
    const Splits *sp = &s->sp;
    const Net *net = &s->net;
    RunBytes m;
    double d8 = sizeof(double);
    m.data = (double)(sp->train.n + sp->val.n + sp->test.n) * (sp->ninputs + 1) * d8;
    m.params = (double)net->nparams * d8;
    m.optim = (double)optim_nbufs((OptimKind)c->optimizer) * m.params;
    m.trainer = (double)trainer_bytes(net, bs, threads, sp->train.n) +
                (c->precision == TRAIN_F32 ? (double)trainer_f32_bytes(net, threads, sp->train.n) : 0.0);
    int64_t steps = train_steps_per_epoch(sp->train.n, bs) * c->epochs;
    m.curves = (double)(c->epochs + 1) * (RUN_NCURVE_COLS + 1) * d8 +
               (c->log_every_steps ? (double)(steps / c->log_every_steps + 1) * 4 * d8 : 0.0);
    m.pred = (double)(sp->val.n > sp->test.n ? sp->val.n : sp->test.n) * d8;
    m.total = m.data + m.params + m.optim + m.trainer + m.curves + m.pred;
    return m;
}

/* One row of the --dry-run data table: column k (nin = the target) of the
 * training rows, in data units. */
static void summary_row(FILE *out, const Splits *sp, int k, const char *name, size_t missing)
{
    const Dataset *d = &sp->train;
    int is_y = k == d->nin;
    double scale = is_y ? sp->norm.y_scale : sp->norm.x_scale[k];
    double shift = is_y ? sp->norm.y_shift : sp->norm.x_shift[k];
    /* back through the transform too: log_features, target_transform */
    TargetTransform t = is_y ? sp->norm.y_transform : sp->norm.x_log[k] ? TRANSFORM_LOG1P : TRANSFORM_NONE;
    double sum = 0.0, lo = INFINITY, hi = -INFINITY;
    for (size_t r = 0; r < d->n; r++) {
        double v = transform_back(t, (is_y ? d->y[r] : d->x[r * (size_t)d->nin + (size_t)k]) * scale + shift);
        sum += v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    double mean = sum / (double)d->n, ss = 0.0;
    for (size_t r = 0; r < d->n; r++) {
        double v = transform_back(t, (is_y ? d->y[r] : d->x[r * (size_t)d->nin + (size_t)k]) * scale + shift) - mean;
        ss += v * v;
    }
    fprintf(out, "  %-24.24s %-7s %14.6g %14.6g %14.6g %14.6g %8zu\n", name, is_y ? "target" : "feature",
            mean, sqrt(ss / (double)d->n), lo, hi, missing);
}

/* --dry-run: the resolved config, the data and the memory the run would
 * use; nothing is trained or written. */
int run_dry_run(const RunArgs *a, const Session *s, int threads, int bs, Err *err)
{
    const Config *c = s->cfg;
    const Splits *sp = &s->sp;
    FILE *out = a->out;
    char *text = cfg_text_new(c);
    if (!text)
        return err_set(err, E_NOMEM, "out of memory");
    fprintf(out, "# resolved config (%s)\n%s\n", a->config, text);
    free(text);
    if (s->stream) {
        fprintf(out, "# data\n%s: %zu rows read, %zu left out by the filter, %zu dropped, %zu cells filled; "
                     "streamed: %zu training, %zu validation (%zu kept), %zu test rows\n", c->data_path,
                sp->rows_read, sp->rows_filtered, sp->rows_dropped, sp->cells_filled, sp->ntrain, s->counts.nval, sp->val.n, s->counts.ntest);
        fprintf(out, "%lld steps (%lld per epoch); nothing trained, nothing written (--dry-run)\n",
                (long long)train_steps_per_epoch(sp->ntrain, bs) * c->epochs,
                (long long)train_steps_per_epoch(sp->ntrain, bs));
        return 0;
    }
    fprintf(out, "# data\n%s: %zu rows read, %zu left out by the filter, %zu dropped, %zu cells filled; "
                 "%zu training, %zu validation, %zu test rows\n", c->data_path, sp->rows_read, sp->rows_filtered,
            sp->rows_dropped, sp->cells_filled,
            sp->train.n, sp->val.n, sp->test.n);
    fprintf(out, "  %-24s %-7s %14s %14s %14s %14s %8s   (training rows, data units)\n", "column", "role", "mean",
            "sd", "min", "max", "missing");
    for (int f = 0; f < c->nfeat; f++) {
        if (!enc_is_cat(&sp->enc, f)) {
            summary_row(out, sp, enc_offset(&sp->enc, f), c->feature_names[f], sp->missing[f]);
            continue;
        }
        const Vocab *v = &sp->enc.v[f];
        fprintf(out, "  %-24.24s %-7s %14s %d level%s%s%s, %d input%s %*zu\n", c->feature_names[f], "levels", "",
                v->nlevels, v->nlevels == 1 ? "" : "s", v->other ? " + other" : "", v->missing ? " + missing" : "",
                enc_feat_width(v), enc_feat_width(v) == 1 ? "" : "s", 8, sp->missing[f]);
    }
    summary_row(out, sp, sp->train.nin, c->target, sp->missing[c->nfeat]);

    const Net *net = &s->net;
    RunBytes m = run_bytes(s, threads, bs);
    SysMem avail = sysmem_available();
    int64_t steps = train_steps_per_epoch(sp->train.n, bs) * c->epochs;
    char b[8][32];
    fprintf(out, "# memory\nabout %s: data %s, parameters %s (%zu), optimizer %s state %s, trainer buffers %s "
                 "(batch %d, %d thread%s), curves %s, predictions %s; available %s (%s)\n",
            fmt_bytes(b[0], sizeof b[0], m.total), fmt_bytes(b[1], sizeof b[1], m.data),
            fmt_bytes(b[2], sizeof b[2], m.params), net->nparams, optim_name((OptimKind)c->optimizer),
            fmt_bytes(b[3], sizeof b[3], m.optim), fmt_bytes(b[4], sizeof b[4], m.trainer), bs, threads,
            threads == 1 ? "" : "s", fmt_bytes(b[5], sizeof b[5], m.curves), fmt_bytes(b[6], sizeof b[6], m.pred),
            avail.bytes < 0 ? "unknown" : fmt_bytes(b[7], sizeof b[7], avail.bytes),
            avail.bytes < 0 ? "no limit could be read" : avail.source);
    fprintf(out, "%lld steps (%lld per epoch); nothing trained, nothing written (--dry-run)\n", (long long)steps,
            (long long)train_steps_per_epoch(sp->train.n, bs));
    return 0;
}

/* Refuses (E_CONFIG, both numbers and a hint) a run whose estimate
 * (run_bytes) exceeds the memory available (sysmem_available), before
 * anything is allocated for the network. s->net is the layout. */
int run_check_memory(const RunArgs *a, const Session *s, Err *err)
{
    const Config *c = s->cfg;
    size_t ntrain = s->sp.ntrain;
    int bs = (size_t)c->batch_size < ntrain ? c->batch_size : (int)(ntrain ? ntrain : 1);
    RunBytes m = run_bytes(s, run_threads(c->threads), bs);
    SysMem avail = sysmem_available();
    char need[32], have[32], params[32];
    if (avail.bytes < 0 || m.total <= avail.bytes)
        return 0;
    return err_set(err, E_CONFIG, "%s: the run needs about %s (%zu parameters: %s, and the optimizer's and "
                   "trainer's buffers) but %s is available (%s); make [model] hidden smaller (train --dry-run "
                   "prints the estimate)", a->config, fmt_bytes(need, sizeof need, m.total), s->net.nparams,
                   fmt_bytes(params, sizeof params, m.params), fmt_bytes(have, sizeof have, avail.bytes),
                   avail.source);
}

/* The results of a finished run on stdout. */
void run_summary(FILE *out, RunCtx *ctx, const Session *s, const TrainState *st, const char *model_path,
                 double secs)
{
    const Config *c = s->cfg;
    fprintf(out, "model %s\ncurves %s\n", model_path, ctx->curves_path);
    fprintf(out, "epochs %lld  steps %lld  seconds %.3f%s\n", (long long)st->epoch, (long long)st->step, secs,
            st->stopped ? "  (stopped early)" : "");
    /* secs: train_run's time, including the checkpoints written during it */
    double wall = train_now_s() - ctx->t_start, train = secs - ctx->run_file_secs;
    fprintf(out, "time %.3f s: training %.3f s (%.0f%%; epochs %.3f s, validation and logging %.3f s), checkpoints "
                 "and curves %.3f s, start and end %.3f s\n",
            wall, train, wall > 0 ? 100.0 * train / wall : 0.0, ctx->epoch_secs, train - ctx->epoch_secs,
            ctx->file_secs, wall - train - ctx->file_secs);
    const ThreadProbe *p = ctx->tr->probe;
    long long many = 0, one = 0;
    for (int k = 0; k < 3; k++) {
        many += p[k].steps[0];
        one += p[k].steps[1];
    }
    if (p[0].on && many + one > 0) /* threads = 0 timed threads against one */
        fprintf(out, "threads auto: %d threads for %lld calls, 1 for %lld (steps, validation and predictions: "
                "whichever was faster as the run went)\n", ctx->tr->threads, many, one);
    size_t last = ctx->curves.n - 1;
    fprintf(out, "train_loss %.9g  ", ctx->curves.cols[curves_col(&ctx->curves, "train_loss")][last]);
    if (ctx->val)
        fprintf(out, "val_loss %.9g  ", ctx->curves.cols[curves_col(&ctx->curves, "val_loss")][last]);
    fprintf(out, "(normalised units, epoch %lld%s)\n", (long long)st->epoch, ctx->val ? "" : "; no validation rows");
    if (st->best_epoch >= 0)
        fprintf(out, "best_epoch %lld  val_loss %.9g%s\n", (long long)st->best_epoch, st->best_val,
                c->restore_best ? "  (the saved parameters)" : "");
    if (st->divergences)
        fprintf(out, "rollbacks %lld  (learning rate x %g)\n", (long long)st->divergences, st->lr_scale);
    RunResult *res = ctx->args->result;
    if (res) {
        memset(res, 0, sizeof *res);
        res->epochs = st->epoch;
    }
    const Dataset *sets[2] = { &s->sp.val, &s->sp.test };
    const char *names[2] = { "val", "test" };
    for (int i = 0; i < 2; i++) {
        if (!sets[i]->n)
            continue;
        Metrics m;
        run_eval_set(ctx, &s->net, sets[i], &m);
        if (res)
            *(i ? &res->test : &res->val) = m;
        fprintf(out, "%s_rmse %.9g  %s_mae %.9g  %s_r2 %.6f  (%s units, %zu rows)\n", names[i], m.rmse, names[i],
                m.mae, names[i], m.r2, c->target, m.rows);
    }
}
