/* housenet: the command line. Parses arguments, runs one command, prints
 * results on stdout and progress and errors on stderr, and owns the only
 * exit status. Exit status: 0 success, 1 a run failed (bad data, I/O,
 * divergence), 2 bad usage or config. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "atomic.h"
#include "config.h"
#include "curves.h"
#include "datacmd.h"
#include "explain.h"
#include "h5model.h"
#include "loader.h"
#include "model.h"
#include "net.h"
#include "train.h"

#define HOUSENET_VERSION "0.1.0"

static const char USAGE[] =
    "usage: housenet COMMAND [ARGS]\n"
    "\n"
    "  train CONFIG [--set section.key=value]... [--quiet]\n"
    "        train a network as CONFIG says; writes RUN/model.h5 and RUN/curves.h5\n"
    "  explain CONFIG [--set section.key=value]...\n"
    "        one forward and backward pass on the first training row, term by term\n"
    "  inspect FILE [--table NAME] [--delimiter C] [--na-values LIST]\n"
    "        rows of a CSV file or HDF5 table; per column its type, missing count, min, mean, max\n"
    "  convert IN.csv OUT.h5 [--table NAME] [--delimiter C] [--na-values LIST] [--quiet]\n"
    "        the numeric columns of a CSV file as an HDF5 table (one dataset per column), streaming\n"
    "  help [config]\n"
    "        this text, or every config key with its default\n"
    "  --version\n";

typedef struct Cli {
    const char *config;
    const char *sets[64];
    int nsets;
    int quiet;
} Cli;

static int exit_code(int rc)
{
    return rc == E_CONFIG || rc == E_USAGE ? 2 : 1;
}

static int fail(const Err *err)
{
    fprintf(stderr, "housenet: %s\n", err->msg);
    return exit_code(err->code);
}

static int parse_cli(int argc, char **argv, Cli *cli, Err *err)
{
    memset(cli, 0, sizeof *cli);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--set") || !strncmp(a, "--set=", 6)) {
            const char *v = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v)
                return err_set(err, E_USAGE, "--set needs section.key=value");
            if (cli->nsets == 64)
                return err_set(err, E_USAGE, "at most 64 --set options");
            cli->sets[cli->nsets++] = v;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            cli->quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            return err_set(err, E_USAGE, "unknown option %.40s; see housenet help", a);
        } else if (!cli->config) {
            cli->config = a;
        } else {
            return err_set(err, E_USAGE, "unexpected argument %.80s; see housenet help", a);
        }
    }
    if (!cli->config)
        return err_set(err, E_USAGE, "missing CONFIG; e.g. housenet train configs/ames.ini");
    return 0;
}

/* Config file, then --set overrides, then the cross-key checks. */
static int load_config(const Cli *cli, Config *c, Err *err)
{
    cfg_defaults(c);
    int rc = cfg_load(c, cli->config, err);
    for (int i = 0; !rc && i < cli->nsets; i++)
        rc = cfg_set(c, cli->sets[i], err);
    return rc ? rc : cfg_finish(c, err);
}

static int resolve_threads(int threads)
{
#ifdef _OPENMP
    return threads > 0 ? threads : omp_get_num_procs();
#else
    (void)threads;
    return 1;
#endif
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct RunCtx {
    const Config *cfg;
    Curves curves;
    char curves_path[CFG_PATH_MAX + 32];
    double last_flush;
    int quiet;
    int tty;
    double y_scale;
} RunCtx;

static const char *const CURVE_COLS[] = { "train_loss", "val_loss", "learning_rate", "samples_per_s", "wall_time_s" };

static int on_epoch(void *p, const Net *net, const TrainState *st, const EpochStats *s, Err *err)
{
    (void)net;
    (void)st;
    RunCtx *ctx = p;
    double vals[5] = { s->train_loss, s->val_loss, s->lr, s->samples_per_s, s->seconds };
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
    if (!ctx->quiet) {
        double rmse = isnan(s->val_loss) ? NAN : sqrt(2.0 * s->val_loss) * ctx->y_scale;
        fprintf(stderr, "%sepoch %lld/%d  train_loss %.6g  val_loss %.6g  val_rmse %.6g  %.3g samples/s%s",
                ctx->tty ? "\r" : "", (long long)s->epoch, ctx->cfg->epochs, s->train_loss, s->val_loss,
                rmse, s->samples_per_s, ctx->tty && !last ? "   " : "\n");
        fflush(stderr);
    }
    return 0;
}

static int cmd_train(int argc, char **argv)
{
    Err err = { 0 };
    Cli cli;
    Config cfg;
    Splits sp = { 0 };
    Net net = { 0 };
    Trainer tr = { 0 };
    RunCtx ctx = { 0 };
    Model m = { 0 };
    char *text = NULL;
    int rc;
    cfg_defaults(&cfg);
    if ((rc = parse_cli(argc, argv, &cli, &err)) || (rc = load_config(&cli, &cfg, &err)))
        goto done;
    if ((rc = loader_load(&cfg, &sp, &err)) || (rc = loader_build_net(&cfg, cfg.nfeat, &net, &err)))
        goto done;
    int threads = resolve_threads(cfg.threads);
    int bs = cfg.batch_size < (int)sp.train.n ? cfg.batch_size : (int)sp.train.n;
    if ((rc = trainer_init(&tr, &net, bs, threads, sp.train.n, &err)))
        goto done;
    char run_dir[CFG_PATH_MAX];
    if (cfg.run_dir[0])
        snprintf(run_dir, sizeof run_dir, "%s", cfg.run_dir);
    else
        snprintf(run_dir, sizeof run_dir, "runs/%s", cfg.stem);
    if ((rc = mkdir_p(run_dir, &err)))
        goto done;
    ctx.cfg = &cfg;
    ctx.quiet = cli.quiet;
    ctx.tty = isatty(2);
    ctx.y_scale = sp.norm.y_scale;
    ctx.last_flush = now_s();
    snprintf(ctx.curves_path, sizeof ctx.curves_path, "%s/curves.h5", run_dir);
    if ((rc = curves_init(&ctx.curves, CURVE_COLS, 5, &err)))
        goto done;
    if (!cli.quiet)
        fprintf(stderr, "housenet: %zu rows from %s (%zu train, %zu validation, %zu test), %zu parameters, %d thread%s\n",
                sp.rows_read, cfg.data_path, sp.train.n, sp.val.n, sp.test.n, net.nparams, threads,
                threads == 1 ? "" : "s");
    TrainOpts o = { cfg.epochs, bs, cfg.learning_rate, cfg.seed, threads, cfg.shuffle };
    TrainState st = { 0, 0 };
    double t0 = now_s();
    rc = train_run(&tr, &net, &sp.train, sp.val.n ? &sp.val : NULL, &o, &st, on_epoch, &ctx, &err);
    if (rc) {
        /* Keep what was logged: the curves up to the failure are still good. */
        Err e2 = { 0 };
        h5_curves_save(ctx.curves_path, &ctx.curves, &e2);
        goto done;
    }
    double secs = now_s() - t0;
    text = cfg_text_new(&cfg);
    if (!text) {
        rc = err_set(&err, E_NOMEM, "out of memory");
        goto done;
    }
    /* The model borrows the run's pieces; nothing is freed through it. */
    const char *names[CFG_MAX_FEATURES];
    for (int f = 0; f < cfg.nfeat; f++)
        names[f] = cfg.feature_names[f];
    m.net = net;
    m.norm = sp.norm;
    m.nfeat = cfg.nfeat;
    m.feat_names = (char **)names;
    m.target_name = cfg.target;
    m.config_text = text;
    char model_path[CFG_PATH_MAX + 32];
    snprintf(model_path, sizeof model_path, "%s/model.h5", run_dir);
    if ((rc = h5_model_save(model_path, &m, &err)))
        goto done;
    int ic = curves_col(&ctx.curves, "val_loss");
    size_t last = ctx.curves.n - 1;
    double val = ic >= 0 ? ctx.curves.cols[ic][last] : NAN;
    printf("model %s\ncurves %s\nepochs %lld  steps %lld  seconds %.3f\n", model_path, ctx.curves_path,
           (long long)st.epoch, (long long)st.step, secs);
    printf("train_loss %.9g  val_loss %.9g  (normalised units)\n", ctx.curves.cols[0][last], val);
    if (!isnan(val))
        printf("val_rmse %.9g  (%s units)\n", sqrt(2.0 * val) * sp.norm.y_scale, cfg.target);
done:
    free(text);
    curves_free(&ctx.curves);
    trainer_free(&tr);
    net_free(&net);
    splits_free(&sp);
    cfg_free(&cfg);
    return rc ? fail(&err) : 0;
}

static int cmd_explain(int argc, char **argv)
{
    Err err = { 0 };
    Cli cli;
    Config cfg;
    Splits sp = { 0 };
    Net net = { 0 };
    int rc;
    cfg_defaults(&cfg);
    if ((rc = parse_cli(argc, argv, &cli, &err)) || (rc = load_config(&cli, &cfg, &err)))
        goto done;
    if ((rc = loader_load(&cfg, &sp, &err)) || (rc = loader_build_net(&cfg, cfg.nfeat, &net, &err)))
        goto done;
    const char *names[CFG_MAX_FEATURES + 1];
    for (int f = 0; f < cfg.nfeat; f++)
        names[f] = cfg.feature_names[f];
    names[cfg.nfeat] = cfg.target;
    printf("Config %s: first training row of %s\n", cli.config, cfg.data_path);
    rc = explain_step(stdout, &net, sp.train.x, sp.train.y[0], cfg.learning_rate, names, &err);
done:
    net_free(&net);
    splits_free(&sp);
    cfg_free(&cfg);
    return rc ? fail(&err) : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "train"))
        return cmd_train(argc - 2, argv + 2);
    if (!strcmp(cmd, "explain"))
        return cmd_explain(argc - 2, argv + 2);
    if (!strcmp(cmd, "inspect"))
        return cmd_inspect(argc - 2, argv + 2);
    if (!strcmp(cmd, "convert"))
        return cmd_convert(argc - 2, argv + 2);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        if (argc > 2 && !strcmp(argv[2], "config"))
            cfg_help(stdout);
        else
            fputs(USAGE, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("housenet %s\n", HOUSENET_VERSION);
        return 0;
    }
    fprintf(stderr, "housenet: unknown command \"%.40s\"; commands are train, explain, inspect, convert, help\n", cmd);
    return 2;
}
