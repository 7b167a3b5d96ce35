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
#include "model.h"
#include "optim.h"
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
    const RunArgs *args;
    Curves curves;
    char curves_path[CFG_PATH_MAX + 32];
    double last_flush;
    int tty;
    double y_scale;
} RunCtx;

static const char *const CURVE_COLS[] = { "train_loss", "val_loss", "learning_rate", "samples_per_s",
                                          "wall_time_s" };
#define NCURVE_COLS ((int)(sizeof CURVE_COLS / sizeof CURVE_COLS[0]))

static int on_epoch(void *p, const Net *net, const Optim *opt, const TrainState *st,
                    const EpochStats *s, Err *err)
{
    (void)net;
    (void)opt;
    (void)st;
    RunCtx *ctx = p;
    double vals[NCURVE_COLS] = { s->train_loss, s->val_loss, s->lr, s->samples_per_s, s->seconds };
    int rc = curves_push(&ctx->curves, s->epoch, vals, err);
    if (rc)
        return rc;
    double t = now_s();
    int last = s->epoch >= ctx->cfg->epochs;
    if (last || t - ctx->last_flush >= ctx->cfg->flush_seconds) {
        if ((rc = h5_curves_save(ctx->curves_path, &ctx->curves, err)))
            return rc;
        ctx->last_flush = t;
    }
    if (!ctx->args->quiet) {
        FILE *f = ctx->args->progress;
        double rmse = isnan(s->val_loss) ? NAN : sqrt(2.0 * s->val_loss) * ctx->y_scale;
        fprintf(f, "%sepoch %lld/%d  train_loss %.6g  val_loss %.6g  val_rmse %.6g  %.3g samples/s%s",
                ctx->tty ? "\r" : "", (long long)s->epoch, ctx->cfg->epochs, s->train_loss, s->val_loss,
                rmse, s->samples_per_s, ctx->tty && !last ? "   " : "\n");
        fflush(f);
    }
    return 0;
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
    if ((rc = trainer_init(&tr, &s.net, bs, threads, s.sp.train.n, err)) ||
        (rc = run_optim_init(c, s.net.nparams, &opt, err)))
        goto done;
    char run_dir[CFG_PATH_MAX];
    run_dir_of(c, run_dir, sizeof run_dir);
    if ((rc = mkdir_p(run_dir, err)))
        goto done;
    ctx.cfg = c;
    ctx.args = a;
    ctx.tty = isatty(fileno(a->progress));
    ctx.y_scale = s.sp.norm.y_scale;
    ctx.last_flush = now_s();
    snprintf(ctx.curves_path, sizeof ctx.curves_path, "%s/curves.h5", run_dir);
    if ((rc = curves_init(&ctx.curves, CURVE_COLS, NCURVE_COLS, err)))
        goto done;
    if (!a->quiet)
        fprintf(a->progress, "housenet: %zu rows from %s (%zu train, %zu validation, %zu test), %zu parameters, %d thread%s\n",
                s.sp.rows_read, c->data_path, s.sp.train.n, s.sp.val.n, s.sp.test.n, s.net.nparams, threads,
                threads == 1 ? "" : "s");
    TrainOpts o = run_train_opts(c, bs, threads);
    TrainState st = train_state_start(&o);
    TrainData td = train_data_memory(&s.sp.train);
    TrainHooks hooks = { .ctx = &ctx, .on_epoch = on_epoch };
    double t0 = now_s();
    rc = train_run(&tr, &s.net, &opt, &td, s.sp.val.n ? &s.sp.val : NULL, &o, &st, &hooks, err);
    if (rc) {
        /* Keep what was logged: the curves up to the failure are still good. */
        Err e2 = { 0 };
        h5_curves_save(ctx.curves_path, &ctx.curves, &e2);
        goto done;
    }
    double secs = now_s() - t0;
    char model_path[CFG_PATH_MAX + 32];
    snprintf(model_path, sizeof model_path, "%s/model.h5", run_dir);
    if ((rc = save_model(&s, model_path, err)))
        goto done;
    size_t last = ctx.curves.n - 1;
    double train = ctx.curves.cols[curves_col(&ctx.curves, "train_loss")][last];
    double val = ctx.curves.cols[curves_col(&ctx.curves, "val_loss")][last];
    fprintf(a->out, "model %s\ncurves %s\nepochs %lld  steps %lld  seconds %.3f\n", model_path,
            ctx.curves_path, (long long)st.epoch, (long long)st.step, secs);
    fprintf(a->out, "train_loss %.9g  val_loss %.9g  (normalised units)\n", train, val);
    if (!isnan(val))
        fprintf(a->out, "val_rmse %.9g  (%s units)\n", sqrt(2.0 * val) * s.sp.norm.y_scale, c->target);
done:
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
