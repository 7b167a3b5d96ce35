/* run: config -> data -> network -> trainer -> files (see run.h). */
#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "atomic.h"
#include "curves.h"
#include "explain.h"
#include "h5model.h"
#include "metrics.h"
#include "model.h"
#include "optim.h"
#include "progress.h"
#include "train.h"

int run_parse_args(int argc, char **argv, RunArgs *a, Err *err)
{
    FILE *progress = a->progress, *out = a->out;
    memset(a, 0, sizeof *a);
    a->progress = progress;
    a->out = out;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--set") || !strncmp(s, "--set=", 6)) {
            const char *v = s[5] == '=' ? s + 6 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v)
                return err_set(err, E_USAGE, "--set needs section.key=value, e.g. --set train.epochs=50");
            if (a->nsets == RUN_MAX_SETS)
                return err_set(err, E_USAGE, "at most %d --set options", RUN_MAX_SETS);
            a->sets[a->nsets++] = v;
        } else if (!strcmp(s, "--quiet") || !strcmp(s, "-q")) {
            a->quiet = 1;
        } else if (!strcmp(s, "--dry-run")) {
            a->dry_run = 1;
        } else if (s[0] == '-' && s[1]) {
            return err_set(err, E_USAGE, "unknown option %.40s; see housenet help", s);
        } else if (!a->config) {
            a->config = s;
        } else {
            return err_set(err, E_USAGE, "unexpected argument %.80s; see housenet help", s);
        }
    }
    if (!a->config)
        return err_set(err, E_USAGE, "missing CONFIG; e.g. housenet train configs/ames.ini");
    return 0;
}

int run_load_config(const RunArgs *a, Config *c, Err *err)
{
    cfg_free(c);
    cfg_defaults(c);
    int rc = cfg_load(c, a->config, err);
    for (int i = 0; !rc && i < a->nsets; i++)
        rc = cfg_set(c, a->sets[i], err);
    return rc ? rc : cfg_finish(c, err);
}

int run_threads(int threads)
{
#ifdef _OPENMP
    return threads > 0 ? threads : omp_get_num_procs();
#else
    (void)threads;
    return 1;
#endif
}

TrainOpts run_train_opts(const Config *c, int bs, int threads)
{
    TrainOpts o = {
        .epochs = c->epochs, .batch_size = bs, .lr = c->learning_rate, .seed = c->seed,
        .threads = threads, .shuffle = c->shuffle,
        .sched = { .kind = (SchedKind)c->lr_schedule, .warmup_epochs = c->warmup_epochs,
                   .step_size = c->step_size, .gamma = c->gamma, .min_lr = c->min_lr,
                   .plateau_factor = c->plateau_factor, .plateau_patience = c->plateau_patience },
        .clip_norm = c->clip_norm, .patience = c->patience, .min_delta = c->min_delta,
        .restore_best = c->restore_best, .divergence_retries = c->divergence_retries,
        .divergence_factor = c->divergence_factor,
    };
    return o;
}

int run_optim_init(const Config *c, size_t n, Optim *opt, Err *err)
{
    int rc = optim_init(opt, (OptimKind)c->optimizer, n, err);
    if (rc == 0)
        opt->hp = (OptimHyper){ .momentum = c->momentum, .beta1 = c->beta1, .beta2 = c->beta2,
                                .eps = c->eps, .weight_decay = c->weight_decay };
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* What the hooks of one run share. */
typedef struct RunCtx {
    const Config *cfg;
    Curves curves;
    char curves_path[CFG_PATH_MAX + 32];
    double last_flush;
    Progress progress;
    Trainer *tr;          /* for predictions between steps */
    const Dataset *val;   /* NULL without validation rows */
    double *pred;         /* owned, (max(validation rows, test rows)) */
    const Norm *norm;
} RunCtx;

/* Column order of /curves; new columns go at the end. */
static const char *const CURVE_COLS[] = { "train_loss", "val_loss", "learning_rate", "samples_per_s",
                                          "wall_time_s", "grad_norm", "val_rmse", "val_mae" };
#define NCURVE_COLS ((int)(sizeof CURVE_COLS / sizeof CURVE_COLS[0]))

/* Metrics of the network on d (normalised rows) in data units. */
static void eval_set(RunCtx *ctx, const Net *net, const Dataset *d, Metrics *m)
{
    trainer_predict(ctx->tr, net, d, ctx->pred);
    metrics_compute(d->y, ctx->pred, d->n, ctx->norm->y_scale, ctx->norm->y_shift, m);
}

/* Rewrites curves.h5 when flush_seconds have passed since the last time, or now when force. */
static int flush_curves(RunCtx *ctx, int force, Err *err)
{
    double t = now_s();
    if (!force && t - ctx->last_flush < ctx->cfg->flush_seconds)
        return 0;
    ctx->last_flush = t;
    return h5_curves_save(ctx->curves_path, &ctx->curves, err);
}

static int on_step(void *p, const Net *net, const Optim *opt, const TrainState *st, double loss, Err *err)
{
    (void)net;
    (void)opt;
    RunCtx *ctx = p;
    int every = ctx->cfg->log_every_steps;
    if (every > 0 && st->step % every == 0) {
        int rc = curves_push_step(&ctx->curves, st->step, st->epoch + 1, loss, st->lr, err);
        if (rc)
            return rc;
    }
    progress_step(&ctx->progress, st, loss);
    return 0;
}

static int on_epoch(void *p, const Net *net, const Optim *opt, const TrainState *st,
                    const EpochStats *s, Err *err)
{
    (void)opt;
    (void)st;
    RunCtx *ctx = p;
    Metrics m = { .rmse = NAN, .mae = NAN, .mape = NAN, .r2 = NAN };
    if (ctx->val)
        eval_set(ctx, net, ctx->val, &m);
    double vals[NCURVE_COLS] = { s->train_loss, s->val_loss, s->lr, s->samples_per_s, s->seconds,
                                 s->grad_norm, m.rmse, m.mae };
    int rc = curves_push(&ctx->curves, s->epoch, vals, err);
    if (rc)
        return rc;
    progress_epoch(&ctx->progress, s, m.rmse, m.mae);
    return flush_curves(ctx, s->epoch >= ctx->cfg->epochs, err);
}

static int on_event(void *p, const TrainState *st, const char *kind, const char *msg, Err *err)
{
    RunCtx *ctx = p;
    if (!strcmp(kind, "rollback"))
        curves_truncate_steps(&ctx->curves, st->step);
    progress_event(&ctx->progress, kind, msg);
    int rc = curves_push_event(&ctx->curves, st->epoch, st->step, kind, msg, err);
    return rc ? rc : flush_curves(ctx, 1, err);
}

/* The pieces every command that trains or explains needs. */
typedef struct Session {
    Config cfg;
    Splits sp;
    Net net;
} Session;

static void session_free(Session *s)
{
    net_free(&s->net);
    splits_free(&s->sp);
    cfg_free(&s->cfg);
}

static int session_open(const RunArgs *a, Session *s, Err *err)
{
    memset(s, 0, sizeof *s);
    int rc = run_load_config(a, &s->cfg, err);
    if (!rc)
        rc = loader_load(&s->cfg, &s->sp, err);
    if (!rc)
        rc = loader_build_net(&s->cfg, s->cfg.nfeat, &s->net, err);
    return rc;
}

static void run_dir_of(const Config *c, char *dir, size_t cap)
{
    if (c->run_dir[0])
        snprintf(dir, cap, "%s", c->run_dir);
    else
        snprintf(dir, cap, "runs/%s", c->stem);
}

/* model.h5 of a finished run; the model borrows the session's pieces. */
static int save_model(const Session *s, const char *path, Err *err)
{
    char *text = cfg_text_new(&s->cfg);
    if (!text)
        return err_set(err, E_NOMEM, "out of memory");
    const char *names[CFG_MAX_FEATURES];
    for (int f = 0; f < s->cfg.nfeat; f++)
        names[f] = s->cfg.feature_names[f];
    Model m = { 0 };
    m.net = s->net;
    m.norm = s->sp.norm;
    m.nfeat = s->cfg.nfeat;
    m.feat_names = (char **)names;
    m.target_name = (char *)s->cfg.target;
    m.config_text = text;
    int rc = h5_model_save(path, &m, err);
    free(text);
    return rc;
}

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

/* One row of the --dry-run data table: column k (nin = the target) of the
 * training rows, in data units. */
static void summary_row(FILE *out, const Splits *sp, int k, const char *name, size_t missing)
{
    const Dataset *d = &sp->train;
    int is_y = k == d->nin;
    double scale = is_y ? sp->norm.y_scale : sp->norm.x_scale[k];
    double shift = is_y ? sp->norm.y_shift : sp->norm.x_shift[k];
    double sum = 0.0, lo = INFINITY, hi = -INFINITY;
    for (size_t r = 0; r < d->n; r++) {
        double v = (is_y ? d->y[r] : d->x[r * (size_t)d->nin + (size_t)k]) * scale + shift;
        sum += v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    double mean = sum / (double)d->n, ss = 0.0;
    for (size_t r = 0; r < d->n; r++) {
        double v = (is_y ? d->y[r] : d->x[r * (size_t)d->nin + (size_t)k]) * scale + shift - mean;
        ss += v * v;
    }
    fprintf(out, "  %-24.24s %-7s %14.6g %14.6g %14.6g %14.6g %8zu\n", name, is_y ? "target" : "feature",
            mean, sqrt(ss / (double)d->n), lo, hi, missing);
}

/* --dry-run: the resolved config, the data and the memory the run would
 * use; nothing is trained or written. */
static int dry_run(const RunArgs *a, const Session *s, int threads, int bs, Err *err)
{
    const Config *c = &s->cfg;
    const Splits *sp = &s->sp;
    FILE *out = a->out;
    char *text = cfg_text_new(c);
    if (!text)
        return err_set(err, E_NOMEM, "out of memory");
    fprintf(out, "# resolved config (%s)\n%s\n", a->config, text);
    free(text);
    fprintf(out, "# data\n%s: %zu rows read, %zu dropped, %zu cells filled; %zu training, %zu validation, "
                 "%zu test rows\n", c->data_path, sp->rows_read, sp->rows_dropped, sp->cells_filled,
            sp->train.n, sp->val.n, sp->test.n);
    fprintf(out, "  %-24s %-7s %14s %14s %14s %14s %8s   (training rows, data units)\n", "column", "role", "mean",
            "sd", "min", "max", "missing");
    for (int f = 0; f < c->nfeat; f++)
        summary_row(out, sp, f, c->feature_names[f], sp->missing[f]);
    summary_row(out, sp, c->nfeat, c->target, sp->missing[c->nfeat]);

    const Net *net = &s->net;
    double d8 = sizeof(double);
    double data = (double)(sp->train.n + sp->val.n + sp->test.n) * (c->nfeat + 1) * d8;
    double params = (double)net->nparams * d8;
    double optim = (double)optim_nbufs((OptimKind)c->optimizer) * params;
    double trainer = (double)trainer_bytes(net, bs, threads, sp->train.n);
    int64_t steps = train_steps_per_epoch(sp->train.n, bs) * c->epochs;
    double curves = (double)(c->epochs + 1) * (NCURVE_COLS + 1) * d8 +
                    (c->log_every_steps ? (double)(steps / c->log_every_steps + 1) * 4 * d8 : 0.0);
    double pred = (double)(sp->val.n > sp->test.n ? sp->val.n : sp->test.n) * d8;
    char b[7][32];
    fprintf(out, "# memory\nabout %s: data %s, parameters %s (%zu), optimizer %s state %s, trainer buffers %s "
                 "(batch %d, %d thread%s), curves %s, predictions %s\n",
            fmt_bytes(b[0], sizeof b[0], data + params + optim + trainer + curves + pred),
            fmt_bytes(b[1], sizeof b[1], data), fmt_bytes(b[2], sizeof b[2], params), net->nparams,
            optim_name((OptimKind)c->optimizer), fmt_bytes(b[3], sizeof b[3], optim),
            fmt_bytes(b[4], sizeof b[4], trainer), bs, threads, threads == 1 ? "" : "s",
            fmt_bytes(b[5], sizeof b[5], curves), fmt_bytes(b[6], sizeof b[6], pred));
    fprintf(out, "%lld steps (%lld per epoch); nothing trained, nothing written (--dry-run)\n", (long long)steps,
            (long long)train_steps_per_epoch(sp->train.n, bs));
    return 0;
}

/* The results of a finished run on stdout. */
static void summary(FILE *out, RunCtx *ctx, const Session *s, const TrainState *st, const char *model_path,
                    double secs)
{
    const Config *c = &s->cfg;
    fprintf(out, "model %s\ncurves %s\n", model_path, ctx->curves_path);
    fprintf(out, "epochs %lld  steps %lld  seconds %.3f%s\n", (long long)st->epoch, (long long)st->step, secs,
            st->stopped ? "  (stopped early)" : "");
    size_t last = ctx->curves.n - 1;
    fprintf(out, "train_loss %.9g  val_loss %.9g  (normalised units, epoch %lld)\n",
            ctx->curves.cols[curves_col(&ctx->curves, "train_loss")][last],
            ctx->curves.cols[curves_col(&ctx->curves, "val_loss")][last], (long long)st->epoch);
    if (st->best_epoch >= 0)
        fprintf(out, "best_epoch %lld  val_loss %.9g%s\n", (long long)st->best_epoch, st->best_val,
                c->restore_best ? "  (the saved parameters)" : "");
    if (st->divergences)
        fprintf(out, "rollbacks %lld  (learning rate x %g)\n", (long long)st->divergences, st->lr_scale);
    const Dataset *sets[2] = { &s->sp.val, &s->sp.test };
    const char *names[2] = { "val", "test" };
    for (int i = 0; i < 2; i++) {
        if (!sets[i]->n)
            continue;
        Metrics m;
        eval_set(ctx, &s->net, sets[i], &m);
        fprintf(out, "%s_rmse %.9g  %s_mae %.9g  %s_r2 %.6f  (%s units, %zu rows)\n", names[i], m.rmse, names[i],
                m.mae, names[i], m.r2, c->target, m.rows);
    }
}

int run_train(const RunArgs *a, Err *err)
{
    Session s;
    Trainer tr = { 0 };
    Optim opt = { 0 };
    RunCtx ctx = { 0 };
    int rc = session_open(a, &s, err);
    if (rc)
        goto done;
    const Config *c = &s.cfg;
    int threads = run_threads(c->threads);
    int bs = c->batch_size < (int)s.sp.train.n ? c->batch_size : (int)s.sp.train.n;
    if (a->dry_run) {
        rc = dry_run(a, &s, threads, bs, err);
        goto done;
    }
    size_t npred = s.sp.val.n > s.sp.test.n ? s.sp.val.n : s.sp.test.n;
    if (!(ctx.pred = malloc((npred ? npred : 1) * sizeof(double)))) {
        rc = err_set(err, E_NOMEM, "out of memory for %zu predictions", npred);
        goto done;
    }
    if ((rc = trainer_init(&tr, &s.net, bs, threads, s.sp.train.n, err)) ||
        (rc = run_optim_init(c, s.net.nparams, &opt, err)))
        goto done;
    char run_dir[CFG_PATH_MAX];
    run_dir_of(c, run_dir, sizeof run_dir);
    if ((rc = mkdir_p(run_dir, err)))
        goto done;
    ctx.cfg = c;
    ctx.tr = &tr;
    ctx.val = s.sp.val.n ? &s.sp.val : NULL;
    ctx.norm = &s.sp.norm;
    ctx.last_flush = now_s();
    snprintf(ctx.curves_path, sizeof ctx.curves_path, "%s/curves.h5", run_dir);
    if ((rc = curves_init(&ctx.curves, CURVE_COLS, NCURVE_COLS, err)))
        goto done;
    if (!a->quiet)
        fprintf(a->progress, "housenet: %zu rows from %s (%zu train, %zu validation, %zu test), %zu parameters, "
                             "%s, %d thread%s\n",
                s.sp.rows_read, c->data_path, s.sp.train.n, s.sp.val.n, s.sp.test.n, s.net.nparams,
                optim_name(opt.kind), threads, threads == 1 ? "" : "s");
    TrainOpts o = run_train_opts(c, bs, threads);
    TrainState st = train_state_start(&o);
    TrainData td = train_data_memory(&s.sp.train);
    progress_init(&ctx.progress, a->progress, isatty(fileno(a->progress)), a->quiet, c->epochs,
                  train_steps_per_epoch(s.sp.train.n, bs), s.sp.train.n, st.epoch, c->target);
    TrainHooks hooks = { .ctx = &ctx, .on_step = on_step, .on_epoch = on_epoch, .on_event = on_event };
    double t0 = now_s();
    rc = train_run(&tr, &s.net, &opt, &td, ctx.val, &o, &st, &hooks, err);
    progress_end(&ctx.progress);
    if (rc) {
        /* Keep what was logged: the curves up to the failure are still good. */
        Err e2 = { 0 };
        h5_curves_save(ctx.curves_path, &ctx.curves, &e2);
        goto done;
    }
    double secs = now_s() - t0;
    char model_path[CFG_PATH_MAX + 32];
    snprintf(model_path, sizeof model_path, "%s/model.h5", run_dir);
    if ((rc = save_model(&s, model_path, err)) || (rc = flush_curves(&ctx, 1, err)))
        goto done;
    summary(a->out, &ctx, &s, &st, model_path, secs);
done:
    free(ctx.pred);
    curves_free(&ctx.curves);
    optim_free(&opt);
    trainer_free(&tr);
    session_free(&s);
    return rc;
}

int run_explain(const RunArgs *a, Err *err)
{
    Session s;
    int rc = session_open(a, &s, err);
    if (!rc) {
        const char *names[CFG_MAX_FEATURES + 1];
        for (int f = 0; f < s.cfg.nfeat; f++)
            names[f] = s.cfg.feature_names[f];
        names[s.cfg.nfeat] = s.cfg.target;
        fprintf(a->out, "Config %s: first training row of %s\n", a->config, s.cfg.data_path);
        rc = explain_step(a->out, &s.net, s.sp.train.x, s.sp.train.y[0], s.cfg.learning_rate, names, err);
    }
    session_free(&s);
    return rc;
}
