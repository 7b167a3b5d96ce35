/* run: config -> data -> network -> trainer -> files (see run.h).
 * With several ranks (RunArgs.comm) every rank reads the config and the
 * data and trains; rank 0 alone writes files and says anything. */
#define _GNU_SOURCE /* fopencookie: the silent stream of the other ranks */
#include "run.h"
#include "runctx.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "atomic.h"
#include "checkpoint.h"
#include "colname.h"
#include "curves.h"
#include "explain.h"
#include "h5guard.h"
#include "h5model.h"
#include "metrics.h"
#include "model.h"
#include "optim.h"
#include "progress.h"
#include "rng.h"
#include "stream.h"
#include "sysmem.h"
#include "train.h"

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


static void session_free(Session *s)
{
    stream_free(&s->stream);
    net_free(&s->net);
    splits_free(&s->sp);
    cfg_delete(s->cfg);
}

/* A bounded output activation (sigmoid, tanh, relu) that cannot reach
 * the normalised targets of the training rows (in memory; a streamed
 * run's are not): one warning on msg with the share out of reach, their
 * range and the fix. */
static void warn_output_range(const Config *c, const Dataset *train, FILE *msg)
{
    static const double LO[] = { [ACT_SIGMOID] = 0, [ACT_TANH] = -1, [ACT_RELU] = 0 };
    static const double HI[] = { [ACT_SIGMOID] = 1, [ACT_TANH] = 1, [ACT_RELU] = INFINITY };
    static const char *const REACH[] = { [ACT_SIGMOID] = "(0, 1)", [ACT_TANH] = "(-1, 1)",
                                         [ACT_RELU] = "[0, inf)" };
    int act = c->output_activation;
    if (!msg || act == ACT_LINEAR || act < 0 || act > ACT_RELU || !train->n || !train->y)
        return;
    size_t out = 0;
    double lo = train->y[0], hi = train->y[0];
    for (size_t r = 0; r < train->n; r++) {
        double y = train->y[r];
        out += y < LO[act] || y > HI[act];
        lo = y < lo ? y : lo;
        hi = y > hi ? y : hi;
    }
    if (!out)
        return;
    term_line(msg, "housenet: warning: [model] output_activation = %s reaches only %s, and %.0f%% of the training "
              "rows' targets, normalised, lie outside it (they span %.3g to %.3g); set [data] normalize_target = "
              "minmax%s, or output_activation = linear", act_name((Activation)act), REACH[act],
              100.0 * (double)out / (double)train->n, lo, hi, act == ACT_TANH ? "" : " (targets in [0, 1])");
}

/* Config, data, then the network: with --dry-run its layout only (never
 * allocated); otherwise allocated once check_memory has found room. */
static int session_open(const RunArgs *a, Session *s, Err *err)
{
    memset(s, 0, sizeof *s);
    if (!(s->cfg = cfg_new()))
        return err_set(err, E_NOMEM, "out of memory");
    const Config *c = s->cfg;
    int rc = run_load_config(a, s->cfg, err);
    if (!rc)
        rc = loader_check_data_path(c, err);
    if (!rc)
        rc = loader_guard_table(c, NULL, c->data_path, err);
    if (!rc)
        rc = c->stream ? stream_load(s->cfg, a->comm, &s->sp, &s->stream, &s->counts, err)
             : a->fold ? loader_load_fold(s->cfg, a->fold, &s->sp, err)
                       : loader_load(s->cfg, &s->sp, err);
    if (!rc)
        rc = loader_plain_inputs(s->cfg, &s->sp, err);
    /* Unseen levels warn, but not per fold of housenet cv, where rare levels
     * land in some test fold by design. */
    if (!rc)
        rc = loader_report_unknown(c, s->sp.unknown, c->data_path, c->delimiter[0], a->fold ? NULL : a->progress,
                                   0, err);
    if (!rc && !a->fold) {
        loader_report_constant_levels(c, &s->sp.enc, a->progress);
        warn_output_range(c, &s->sp.train, a->progress);
    }
    if (!rc)
        rc = net_layout(&s->net, s->sp.ninputs, c->hidden_widths, c->nhidden, 1, (Activation)c->activation,
                        (Activation)c->output_activation, err);
    if (!rc && !a->dry_run && !(rc = run_check_memory(a, s, err)))
        rc = loader_build_net(s->cfg, s->sp.ninputs, &s->net, err);
    return rc;
}

void run_dir_of(const Config *c, char *dir, size_t cap)
{
    if (c->run_dir[0])
        snprintf(dir, cap, "%s", c->run_dir);
    else
        snprintf(dir, cap, "runs/%s", c->stem);
}

/* A model file (model.h5, best.h5) of the session with net's parameters;
 * the model borrows the session's pieces. */
static int save_model(const Session *s, const Net *net, const char *path, Err *err)
{
    char *text = cfg_text_new(s->cfg);
    if (!text)
        return err_set(err, E_NOMEM, "out of memory");
    const char *names[CFG_MAX_FEATURES];
    for (int f = 0; f < s->cfg->nfeat; f++)
        names[f] = s->cfg->feature_names[f];
    Model m = { 0 };
    m.net = *net;
    m.norm = s->sp.norm;
    m.enc = s->sp.enc;
    m.data = s->sp.record;
    m.nfeat = s->cfg->nfeat;
    m.feat_names = (char **)names;
    m.target_name = (char *)s->cfg->target;
    m.config_text = text;
    int rc = h5_model_save(path, &m, err);
    free(text);
    return rc;
}


/* Column order of /curves; new columns go at the end. */
static const char *const CURVE_COLS[] = { "train_loss", "val_loss", "learning_rate", "samples_per_s",
                                          "wall_time_s", "grad_norm", "val_rmse", "val_mae" };
#define NCURVE_COLS ((int)(sizeof CURVE_COLS / sizeof CURVE_COLS[0]))
_Static_assert(NCURVE_COLS == RUN_NCURVE_COLS, "runctx.h's RUN_NCURVE_COLS counts CURVE_COLS");

/* Metrics of the network on d (normalised rows) in data units. */
void run_eval_set(RunCtx *ctx, const Net *net, const Dataset *d, Metrics *m)
{
    trainer_predict(ctx->tr, net, d, ctx->pred);
    metrics_compute(d->y, ctx->pred, d->n, ctx->norm, m);
}

/* Rewrites curves.h5 when flush_seconds have passed since the last time, or now when force. */
static int flush_curves(RunCtx *ctx, int force, Err *err)
{
    double t = train_now_s();
    if (!force && t - ctx->last_flush < ctx->cfg->flush_seconds)
        return 0;
    ctx->last_flush = t;
    int rc = h5_curves_save(ctx->curves_path, &ctx->curves, err);
    ctx->file_secs += train_now_s() - t;
    return rc;
}

/* best.h5 from the best parameters, when it is behind them. */
static int save_best(RunCtx *ctx, Err *err)
{
    if (!ctx->best_dirty)
        return 0;
    Net net = *ctx->net;
    net.params = ctx->best.params;
    int rc = save_model(ctx->s, &net, ctx->best_path, err);
    if (rc == 0)
        ctx->best_dirty = 0;
    return rc;
}

/* The best epoch's parameters, as the trainer's early-stopping rule sees
 * them: after an epoch that set st->best_epoch. */
static void note_best(RunCtx *ctx, const Net *net, const TrainState *st)
{
    if (st->best_epoch < 0 || st->best_epoch == ctx->best.epoch || st->best_epoch != st->epoch)
        return;
    memcpy(ctx->best.params, net->params, net->nparams * sizeof(double));
    ctx->best.epoch = st->best_epoch;
    ctx->best.val_loss = st->best_val;
    ctx->best_dirty = 1;
}

/* best.h5 if behind, then the checkpoint of state st, then pruning to
 * [run] keep_checkpoints. A state already saved is not written again. */
static int save_checkpoint(RunCtx *ctx, const TrainState *st, Err *err)
{
    if (st->epoch == ctx->saved_epoch && st->step == ctx->saved_step)
        return 0;
    const char *const *names = (const char *const *)ctx->s->sp.input_names;
    const char *columns[CFG_MAX_FEATURES];
    for (int f = 0; f < ctx->cfg->nfeat; f++)
        columns[f] = ctx->cfg->feature_names[f];
    TrainState now = *st;
    Ckpt c = { .net = ctx->net, .opt = ctx->opt, .st = &now, .curves = &ctx->curves,
               .best = ctx->best, .norm = ctx->s->sp.norm, .feat_names = names,
               .target_name = ctx->cfg->target, .config_text = ctx->config_text,
               .enc = &ctx->s->sp.enc, .columns = columns,
               .data = ctx->data,
               .roll = { st->epoch_step > 0, ctx->tr->snap_state, ctx->tr->snap_t, ctx->tr->snap } };
    char path[RUN_PATH_MAX];
    int rc;
    double t = train_now_s();
    rc = save_best(ctx, err);
    if (!rc && !(rc = ckpt_name(ctx->run_dir, st, path, sizeof path, err)) && !(rc = ckpt_save(path, &c, err)))
        rc = ckpt_prune(ctx->ckpt_dir, ctx->cfg->keep_checkpoints, err);
    ctx->last_ckpt = train_now_s();
    ctx->file_secs += ctx->last_ckpt - t;
    if (rc)
        return rc;
    snprintf(ctx->ckpt_path, sizeof ctx->ckpt_path, "%s", path);
    ctx->saved_epoch = st->epoch;
    ctx->saved_step = st->step;
    return 0;
}

const char *run_signal_name(int signo, char *buf, size_t cap)
{
    if (signo == SIGINT)
        return "SIGINT";
    if (signo == SIGTERM)
        return "SIGTERM";
    if (signo == SIGUSR1)
        return "SIGUSR1";
    if (signo == SIGHUP)
        return "SIGHUP";
    if (signo == SIGPIPE)
        return "SIGPIPE";
    snprintf(buf, cap, "signal %d", signo);
    return buf;
}

/* A failure of rank 0's own work (a file only it writes): the other
 * ranks know nothing of it (main ends the job). */
static int writer_failed(const RunCtx *ctx, int rc, Err *err)
{
    if (rc && ctx->comm->size > 1 && err)
        err->local = 1;
    return rc;
}

/* Steps between two looks at the clock for checkpoint_every_seconds. */
#define CKPT_CLOCK_STEPS 64

/* 1 when [run] checkpoint_every_seconds have passed since the last
 * checkpoint. */
static int ckpt_due(const RunCtx *ctx)
{
    double every = ctx->cfg->checkpoint_every_seconds;
    return every > 0 && train_now_s() - ctx->last_ckpt >= every;
}

/* Rank 0's part of a step: the step log, the progress bar, checkpoints. */
static int step_files(RunCtx *ctx, const TrainState *st, double loss, int stop, Err *err)
{
    int log = ctx->cfg->log_every_steps;
    int rc;
    if (log > 0 && st->step % log == 0 &&
        (rc = curves_push_step(&ctx->curves, st->step, st->epoch + 1, loss, st->lr, err)))
        return rc;
    progress_step(&ctx->progress, st, loss);
    int every = ctx->cfg->checkpoint_every_steps;
    /* The clock every CKPT_CLOCK_STEPS steps: a fraction of a batch-1 step's cost. */
    if (((every > 0 && st->step % every == 0) || stop || (st->step % CKPT_CLOCK_STEPS == 0 && ckpt_due(ctx))) &&
        (rc = save_checkpoint(ctx, st, err)))
        return rc;
    return 0;
}

/* on_step's TrainHooks.step_every: its duties (step_files) fall on
 * multiples of CKPT_CLOCK_STEPS, log_every_steps and checkpoint_every_steps,
 * so it runs on the multiples of their greatest common divisor, and at a
 * stop. */
static int64_t step_hook_every(const Config *c)
{
    int64_t e = CKPT_CLOCK_STEPS;
    const int64_t each[] = { c->log_every_steps, c->checkpoint_every_steps };
    for (int i = 0; i < 2; i++)
        for (int64_t a = each[i], r; a > 0; e = a, a = r) /* e = gcd(e, a), Euclid's */
            r = e % a;
    return e;
}

static int on_step(void *p, const Net *net, const Optim *opt, const TrainState *st, double loss,
                   Err *err)
{
    (void)net;
    (void)opt;
    RunCtx *ctx = p;
    int stop = ctx->tr->stop_now; /* the stop request every rank agreed on at this step */
    int rc = ctx->writer ? step_files(ctx, st, loss, stop, err) : 0;
    if (rc)
        return writer_failed(ctx, rc, err);
    if (stop) {
        /* a rank that got no signal exits as the one that did (main's status) */
        if (ctx->args->stop && !*ctx->args->stop)
            *ctx->args->stop = stop;
        char buf[32];
        return err_set(err, E_STOP,
                       "stopped by %s after step %lld (epoch %lld, step %lld of it); checkpoint %s; "
                       "continue with the same command and --resume",
                       run_signal_name(stop, buf, sizeof buf), (long long)st->step, (long long)st->epoch + 1,
                       (long long)st->epoch_step, ctx->ckpt_path);
    }
    return 0;
}

/* Rank 0's part of an epoch's end: the curves, best.h5, checkpoints. */
static int epoch_files(RunCtx *ctx, const Net *net, const TrainState *st, const EpochStats *s, Err *err)
{
    Metrics m = { .rmse = NAN, .mae = NAN, .mape = NAN, .r2 = NAN };
    if (ctx->val)
        metrics_errors(ctx->val->y, ctx->pred, ctx->val->n, ctx->norm, &m); /* train_run's predictions (val_pred) */
    double vals[NCURVE_COLS] = { s->train_loss, s->val_loss, s->lr, s->samples_per_s, s->seconds,
                                 s->grad_norm, m.rmse, m.mae };
    int rc = curves_push(&ctx->curves, s->epoch, vals, err);
    if (rc)
        return rc;
    note_best(ctx, net, st);
    progress_epoch(&ctx->progress, s, m.rmse, m.mae);
    ctx->epoch_secs += s->seconds;
    /* not forced at the last epoch: end_files writes the curves once more anyway */
    if ((rc = flush_curves(ctx, 0, err)))
        return rc;
    /* Never at epoch 0: its row is logged by train_run on every fresh start.
     * Always at the last epoch (epochs reached, or early stopping about to
     * end the run): before the trainer puts the best parameters back, so
     * that a resume with more epochs continues from the last epoch's. */
    int every = ctx->cfg->checkpoint_every;
    int last = s->epoch >= ctx->cfg->epochs ||
               (ctx->cfg->patience > 0 && ctx->val && st->bad_epochs >= ctx->cfg->patience);
    if (s->epoch > 0 && ((every > 0 && s->epoch % every == 0) || last || ckpt_due(ctx)) &&
        (rc = save_checkpoint(ctx, st, err)))
        return rc;
    return 0;
}

static int on_epoch(void *p, const Net *net, const Optim *opt, const TrainState *st,
                    const EpochStats *s, Err *err)
{
    RunCtx *ctx = p;
    return ctx->writer ? writer_failed(ctx, epoch_files(ctx, net, st, s, err), err) : 0;
}

/* Rank 0's part of an event: the checkpoints past a rollback, the log. */
static int event_files(RunCtx *ctx, const TrainState *st, const char *kind, const char *msg, Err *err)
{
    int rc;
    if (!strcmp(kind, "rollback")) {
        /* The run went back to st: steps past it never happened, and no
         * checkpoint may claim them. */
        int removed = 0;
        curves_truncate_steps(&ctx->curves, st->step);
        if ((rc = ckpt_remove_newer(ctx->ckpt_dir, st, &removed, err)))
            return rc;
        if (ctx->saved_step > st->step)
            ctx->saved_epoch = ctx->saved_step = -1;
    }
    progress_event(&ctx->progress, kind, msg);
    rc = curves_push_event(&ctx->curves, st->epoch, st->step, kind, msg, err);
    return rc ? rc : flush_curves(ctx, 1, err);
}

static int on_event(void *p, const TrainState *st, const char *kind, const char *msg, Err *err)
{
    RunCtx *ctx = p;
    return ctx->writer ? writer_failed(ctx, event_files(ctx, st, kind, msg, err), err) : 0;
}

/* Locks the run dir once it exists (atomic.h dir_lock): before anything
 * in it is read or removed, and at the latest right after it is created. */
static int lock_run_dir(RunCtx *ctx, Err *err)
{
    if (ctx->lock >= 0 || access(ctx->run_dir, F_OK) != 0)
        return 0;
    return dir_lock(ctx->run_dir, &ctx->lock, err);
}

/* The files a run writes in its directory, besides CKPT_SUBDIR and the
 * lock. */
static const char *const RUN_FILES[] = { "model.h5", "best.h5", "curves.h5" };
#define RUN_NFILES (sizeof RUN_FILES / sizeof RUN_FILES[0])

void run_remove_files(const char *dir)
{
    char p[PATH_MAX];
    Err e = { 0 };
    if (snprintf(p, sizeof p, "%s/" CKPT_SUBDIR, dir) >= (int)sizeof p)
        return; /* no name cut short is removed */
    (void)ckpt_prune(p, 0, &e);
    (void)rmdir(p);
    for (size_t i = 0; i <= RUN_NFILES; i++)
        if (snprintf(p, sizeof p, "%s/%s", dir, i < RUN_NFILES ? RUN_FILES[i] : ".lock") < (int)sizeof p)
            (void)unlink(p);
}

/* 2: a name of a run's own files (model.h5.tmp-PID too); 1: one the
 * directory may hold besides (the cv/ and sweep/ of other commands, the
 * lock); 0: another. */
static int own_name(const char *name)
{
    static const char *const BESIDE[] = { ".", "..", ".lock", "cv", "sweep" };
    for (size_t k = 0; k < RUN_NFILES; k++)
        if (!strncmp(name, RUN_FILES[k], strlen(RUN_FILES[k])))
            return 2;
    if (!strncmp(name, CKPT_SUBDIR, strlen(CKPT_SUBDIR)))
        return 2;
    for (size_t k = 0; k < sizeof BESIDE / sizeof BESIDE[0]; k++)
        if (!strcmp(name, BESIDE[k]))
            return 1;
    return 0;
}

/* E_CONFIG naming [run] dir's origin when run_dir, or a directory it
 * would be made in, is a file or a device (`dir = data.csv/run`). */
static int run_dir_usable(const Config *c, const char *run_dir, Err *err)
{
    unsigned mode = 0;
    size_t n = dir_path_blocked(run_dir, &mode);
    if (!n)
        return 0;
    char where[CFG_PATH_MAX + 32];
    cfg_where_key(c, "run", "dir", where, sizeof where);
    return err_set(err, E_CONFIG, "%s: [run] dir \"%s\": %.*s is %s, not a directory; set [run] dir to a directory "
                   "(one that does not exist yet is made)", where, run_dir, (int)n, run_dir,
                   S_ISREG(mode) ? "a file" : S_ISCHR(mode) || S_ISBLK(mode) ? "a device" : "no directory");
}

/* A fresh run into a directory that holds no run but other files (a
 * [run] dir of "/" or ".", a data folder): E_USAGE naming a few, unless
 * --force. */
static int foreign_files(RunCtx *ctx, Err *err)
{
    DIR *d = opendir(ctx->run_dir);
    if (!d)
        return 0; /* not made yet; any other trouble is met when the run writes there */
    char names[200] = "";
    size_t used = 0, n = 0;
    int run = 0;
    for (struct dirent *e; (e = readdir(d));) {
        int own = own_name(e->d_name);
        run |= own == 2;
        if (own)
            continue;
        if (n++ < 3 && used < sizeof names)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%.40s", used ? ", " : "", e->d_name);
    }
    closedir(d);
    if (!n || run || ctx->args->force) /* a run's directory is claim_run_dir's to judge */
        return 0;
    return err_set(err, E_USAGE, "%s holds no housenet run but other files (%s%s); a run writes model.h5, best.h5, "
                   "curves.h5 and checkpoints/ there: set [run] dir to a new or empty directory, or pass --force "
                   "to write beside them", ctx->run_dir, names, n > 3 ? ", ..." : "");
}

/* A fresh run must not silently replace another run's files: E_USAGE
 * naming them, or with --force, their removal. */
static int claim_run_dir(RunCtx *ctx, Err *err)
{
    char found[256] = "", p[RUN_PATH_MAX];
    char **ckpts = NULL;
    size_t nckpts = 0, used = 0;
    int rc = ckpt_list(ctx->ckpt_dir, &ckpts, &nckpts, err);
    ckpt_list_free(ckpts, nckpts);
    if (rc)
        return rc;
    for (size_t i = 0; i < RUN_NFILES; i++) {
        snprintf(p, sizeof p, "%s/%s", ctx->run_dir, RUN_FILES[i]);
        if (access(p, F_OK) == 0)
            used += (size_t)snprintf(found + used, sizeof found - used, "%s%s", used ? ", " : "", RUN_FILES[i]);
    }
    if (nckpts)
        snprintf(found + used, sizeof found - used, "%s%zu checkpoint%s", used ? ", " : "", nckpts,
                 nckpts == 1 ? "" : "s");
    if (!found[0])
        return 0;
    if (!ctx->args->force)
        return err_set(err, E_USAGE,
                       "%s already holds a run (%s); continue it with --resume, set [run] dir to a "
                       "new directory, or pass --force to replace it",
                       ctx->run_dir, found);
    for (size_t i = 0; i < RUN_NFILES; i++) {
        snprintf(p, sizeof p, "%s/%s", ctx->run_dir, RUN_FILES[i]);
        if (unlink(p) < 0 && errno != ENOENT) {
            int e = errno;
            return err_set(err, E_IO, "%s: cannot remove it for --force: %s", p, strerror(e));
        }
    }
    if ((rc = ckpt_prune(ctx->ckpt_dir, 0, err)))
        return rc;
    if (!ctx->args->fold) /* a fold's directory is cv's own, which replaces it without a word per fold */
        fprintf(ctx->args->progress, "housenet: --force: removed the earlier run's files from %s (%s)\n",
                ctx->run_dir, found);
    return 0;
}

/* Checks, after the config, that the checkpoint was made from these data,
 * split and normalisation: E_STATE, or warnings with --force. */
static int check_data(RunCtx *ctx, const Ckpt *c, const char *path, Err *err)
{
    const CkptDataId *was = &c->data, *is = &ctx->data;
    const Norm *a = &c->norm, *b = &ctx->s->sp.norm;
    size_t nin = (size_t)b->nin;
    Err e = { 0 };
    if (was->fingerprint != is->fingerprint || was->rows_read != is->rows_read)
        err_set(&e, E_STATE,
                "%s: [data] path: %s holds other data than the checkpoint's run (%llu rows, "
                "fingerprint 0x%016llx; the checkpoint's: %llu rows, 0x%016llx)",
                path, ctx->cfg->data_path, (unsigned long long)is->rows_read,
                (unsigned long long)is->fingerprint, (unsigned long long)was->rows_read,
                (unsigned long long)was->fingerprint);
    else if (memcmp(was->rows, is->rows, sizeof was->rows) ||
             memcmp(was->split_hash, is->split_hash, sizeof was->split_hash) || a->nin != b->nin ||
             a->kind != b->kind || a->target_kind != b->target_kind ||
             memcmp(a->x_shift, b->x_shift, nin * sizeof(double)) ||
             memcmp(a->x_scale, b->x_scale, nin * sizeof(double)) ||
             memcmp(&a->y_shift, &b->y_shift, sizeof a->y_shift) ||
             memcmp(&a->y_scale, &b->y_scale, sizeof a->y_scale))
        err_set(&e, E_STATE,
                "%s: the split or the normalisation differs from the checkpoint's although the "
                "config and the data agree (made by another housenet version?)", path);
    if (!e.code)
        return 0;
    if (!ctx->args->force)
        return err_set(err, e.code, "%.900s; pass --force to continue anyway", e.msg);
    term_line(ctx->args->progress, "housenet: warning: --force: %s", e.msg);
    return 0;
}

/* 1 when file lies in directory dir (both existing; compared resolved). */
static int same_dir(const char *file, const char *dir)
{
    char a[PATH_MAX], b[PATH_MAX], f[PATH_MAX];
    snprintf(f, sizeof f, "%s", file);
    char *slash = strrchr(f, '/');
    if (slash)
        *slash = '\0';
    return realpath(slash ? f : ".", a) && realpath(dir, b) && strcmp(a, b) == 0;
}

/* The checkpoints --resume may start from, newest first, into *paths (*n
 * of them, ckpt_list_free): those of run dir target (its checkpoints/, or
 * target itself when it is that directory; *from_dir = 1), or target alone
 * when it is a file. E_USAGE when target does not exist, E_STATE when the
 * run dir holds none. */
static int resume_candidates(const char *target, char ***paths, size_t *n, int *from_dir, Err *err)
{
    char dir[RUN_PATH_MAX];
    struct stat sb;
    int rc = 0;
    if (stat(target, &sb) < 0) {
        int e = errno;
        return err_set(err, E_USAGE, "--resume %s: %s; name a run directory or a checkpoint", target,
                       strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        *from_dir = 1;
        snprintf(dir, sizeof dir, "%s/" CKPT_SUBDIR, target);
        rc = ckpt_list(dir, paths, n, err);
        if (rc == 0 && *n == 0) { /* RUN/checkpoints itself */
            ckpt_list_free(*paths, *n);
            rc = ckpt_list(target, paths, n, err);
        }
        if (rc == 0 && *n == 0)
            rc = err_set(err, E_STATE, "%s: no checkpoint to resume from; start the run without --resume",
                         target);
    } else if (!(*paths = calloc(2, sizeof **paths)) || !((*paths)[0] = strdup(target))) {
        rc = err_set(err, E_NOMEM, "out of memory");
    } else {
        *n = 1;
    }
    return rc;
}

/* What the resume reads of a checkpoint, run first in a child process
 * (h5guard.h): its config, then the checkpoint into the run's objects
 * (the child's copies of them). */
static int probe_checkpoint(const char *path, void *ctx, Err *err)
{
    char *text = NULL;
    int rc = ckpt_read_config(path, &text, err);
    free(text);
    return rc ? rc : ckpt_load(path, ctx, err);
}

/* The first of paths[0..n) whose config can be read: its index in *at,
 * its config text in *saved (free). From a run dir (from_dir) a damaged
 * one (one that crashes or hangs HDF5 too, found by reading it first
 * into c in a child process) is renamed *.damaged (by the writer) with a
 * warning, and the previous one tried; a checkpoint named alone must
 * read. */
static int resume_pick(const RunCtx *ctx, const char *target, char **paths, size_t n, int from_dir, Ckpt *c,
                       char **saved, size_t *at, Err *err)
{
    size_t i;
    for (i = 0; i < n; i++) {
        Err e = { 0 };
        if (h5guard_check(paths[i], H5GUARD_CHECKPOINT, probe_checkpoint, c, &e) == 0 &&
            ckpt_read_config(paths[i], saved, &e) == 0)
            break;
        if (!from_dir) {
            *err = e;
            return e.code;
        }
        char damaged[RUN_PATH_MAX + 16];
        snprintf(damaged, sizeof damaged, "%s.damaged", paths[i]);
        int moved = ctx->writer && e.code == E_PARSE && rename(paths[i], damaged) == 0;
        term_line(ctx->args->progress, "housenet: warning: %s%s%s; trying the previous checkpoint", e.msg,
                  moved ? "; renamed to " : "", moved ? damaged : "");
    }
    if (i == n)
        return err_set(err, E_STATE, "%s: none of its %zu checkpoints can be read; start the run "
                       "without --resume", target, n);
    *at = i;
    return 0;
}

/* The run's config against saved, the config of checkpoint path: a
 * difference is an E_STATE error naming it, or under --force a warning. */
static int resume_config(const RunCtx *ctx, const char *path, const char *saved, Err *err)
{
    const RunArgs *a = ctx->args;
    Err diff = { 0 };
    if (!ckpt_config_check(saved, ctx->config_text, &diff))
        return 0;
    if (!a->force)
        return err_set(err, E_STATE, "%s: the config differs from the checkpoint's: %.700s; undo "
                       "the change or pass --force", path, diff.msg);
    term_line(a->progress, "housenet: warning: --force: the config differs from the checkpoint's: %s",
              diff.msg);
    return 0;
}

/* Checkpoint c, loaded from path (st its state), is where the run goes
 * on: its best epoch, its held rollback snapshot, the last checkpoint
 * saved. Checkpoints newer than it belong to an abandoned continuation
 * and are removed (by the writer), with a warning. */
static int resume_adopt(RunCtx *ctx, const Ckpt *c, const TrainState *st, const char *path, Err *err)
{
    int rc, removed = 0;
    ctx->best.epoch = c->best.epoch;
    ctx->best.val_loss = c->best.val_loss;
    ctx->best_dirty = c->best.epoch >= 0; /* best.h5 may be missing or ahead of it */
    if (c->roll.held) { /* stopped mid-epoch: a divergence later in it goes back to the epoch's start */
        ctx->tr->snap_state = c->roll.st;
        ctx->tr->snap_t = c->roll.t;
        ctx->tr->snap_held = 1;
    }
    snprintf(ctx->ckpt_path, sizeof ctx->ckpt_path, "%s", path);
    ctx->saved_epoch = st->epoch;
    ctx->saved_step = st->step;
    if (ctx->writer && (rc = ckpt_remove_newer(ctx->ckpt_dir, st, &removed, err)))
        return rc;
    if (removed)
        fprintf(ctx->args->progress, "housenet: warning: removed %d checkpoint%s newer than %s\n", removed,
                removed == 1 ? "" : "s", path);
    return 0;
}

/* --resume: the newest good checkpoint of the run dir (or the one named)
 * into the run's objects and *st. Damaged checkpoints are renamed
 * *.damaged with a warning, and the previous one is tried. Checkpoints
 * newer than the one resumed from belong to an abandoned continuation and
 * are removed. */
static int resume(RunCtx *ctx, TrainState *st, Err *err)
{
    const RunArgs *a = ctx->args;
    const char *target = a->resume_from ? a->resume_from : ctx->run_dir;
    Ckpt c = { .net = ctx->net, .opt = ctx->opt, .st = st, .curves = &ctx->curves, .best = ctx->best,
               .roll = { .vals = ctx->tr->snap } };
    char **paths = NULL, *saved = NULL;
    size_t n = 0, i = 0;
    int rc, from_dir = 0;
    if ((rc = resume_candidates(target, &paths, &n, &from_dir, err)) ||
        (rc = resume_pick(ctx, target, paths, n, from_dir, &c, &saved, &i, err)) ||
        (rc = resume_config(ctx, paths[i], saved, err)))
        goto done;
    /* A checkpoint from elsewhere continues into this run dir: the same
     * rule as a new run protects what the dir holds. */
    if (ctx->writer && !same_dir(paths[i], ctx->ckpt_dir) && (rc = claim_run_dir(ctx, err)))
        goto done;
    if ((rc = ckpt_load(paths[i], &c, err)) || (rc = check_data(ctx, &c, paths[i], err)))
        goto done;
    rc = resume_adopt(ctx, &c, st, paths[i], err);
done:
    ckpt_release(&c);
    free(saved);
    ckpt_list_free(paths, n);
    return rc;
}

/* The silent stream of the ranks other than 0: what they would print
 * goes nowhere. */
static ssize_t discard(void *cookie, const char *buf, size_t n)
{
    return (ssize_t)n;
}

static FILE *silent_stream(void)
{
    cookie_io_functions_t io = { .write = discard };
    return fopencookie(NULL, "w", io);
}

/* What the ranks compare at start-up: runs that differ in any of these
 * would give other bytes, or fight over the run directory. */
typedef struct StartId {
    uint64_t config;  /* FNV-1a of the resolved config text */
    uint64_t data;    /* the data's fingerprint */
    uint64_t rows;    /* rows read */
    uint64_t arith;   /* comm_arith_fingerprint() of the build */
    uint64_t state;   /* FNV-1a of the parameters, optimizer buffers and step to start from */
} StartId;

static StartId start_id(const RunCtx *ctx, const TrainState *st)
{
    const Net *net = ctx->net;
    const Optim *opt = ctx->opt;
    uint64_t h = rng_fnv1a(RNG_FNV_INIT, net->params, net->nparams * sizeof(double));
    for (int b = 0; b < opt->nbufs; b++)
        h = rng_fnv1a(h, opt->buf[b], net->nparams * sizeof(double));
    h = rng_fnv1a(h, &st->step, sizeof st->step);
    h = rng_fnv1a(h, &st->epoch, sizeof st->epoch);
    StartId id = { rng_fnv1a(RNG_FNV_INIT, ctx->config_text, strlen(ctx->config_text)),
                   ctx->s->sp.fingerprint, ctx->s->sp.rows_read, comm_arith_fingerprint(), h };
    return id;
}

/* Start-up of a run of several ranks: each rank's outcome so far (a
 * failure on any rank ends all of them, with its message), then the
 * StartIds of every rank against rank 0's. The same answer on every rank. */
static int agree_start(RunCtx *ctx, const TrainState *st, int rc, Err *err)
{
    const Comm *comm = ctx->comm;
    if ((rc = comm_agree(comm, rc, err)))
        return rc;
    const size_t k = (size_t)comm->size;
    StartId *ids = calloc(k, sizeof *ids);
    size_t *counts = malloc(2 * k * sizeof *counts);
    if (!ids || !counts)
        comm->abort(comm, 1); /* cannot take part in the collective */
    for (size_t q = 0; q < k; q++) {
        counts[q] = sizeof *ids;
        counts[k + q] = q * sizeof *ids;
    }
    ids[comm->rank] = start_id(ctx, st);
    rc = comm_allgatherv(comm, ids, counts, counts + k, err);
    for (size_t q = 1; !rc && q < k; q++) {
        const StartId *r = &ids[q], *z = &ids[0];
        if (r->arith != z->arith)
            rc = err_set(err, E_CONFIG, "rank %zu: its build rounds floating point differently from rank 0's "
                         "(arithmetic fingerprint 0x%016llx, rank 0: 0x%016llx); run one housenet build, made "
                         "by the same compiler and flags, on every node", q, (unsigned long long)r->arith,
                         (unsigned long long)z->arith);
        else if (r->config != z->config)
            rc = err_set(err, E_CONFIG, "rank %zu: its resolved config differs from rank 0's (hash 0x%016llx, "
                         "rank 0: 0x%016llx); give every rank the same CONFIG file and --set options", q,
                         (unsigned long long)r->config, (unsigned long long)z->config);
        else if (r->data != z->data || r->rows != z->rows)
            rc = err_set(err, E_DATA, "rank %zu: [data] path: %s holds other data there (%llu rows, "
                         "fingerprint 0x%016llx; rank 0: %llu rows, 0x%016llx); every node must see the same file",
                         q, ctx->cfg->data_path, (unsigned long long)r->rows, (unsigned long long)r->data,
                         (unsigned long long)z->rows, (unsigned long long)z->data);
        else if (r->state != z->state)
            rc = err_set(err, E_STATE, "rank %zu: its starting point (parameters, optimizer, step) differs from "
                         "rank 0's; with --resume every node must see the same run directory", q);
    }
    free(ids);
    free(counts);
    return rc;
}

/* Everything before the ranks agree to start: the trainer, the optimizer,
 * the hooks' context, and the checkpoint (--resume) or the claim on the
 * run dir (rank 0). Nothing written. */
static int prepare(RunCtx *ctx, const RunArgs *a, Session *s, Trainer *tr, Optim *opt, int bs, int threads,
                   TrainOpts *o, TrainState *st, Err *err)
{
    const Config *c = s->cfg;
    size_t npred = s->sp.val.n > s->sp.test.n ? s->sp.val.n : s->sp.test.n;
    if (!(ctx->pred = malloc((npred ? npred : 1) * sizeof(double))))
        return err_set(err, E_NOMEM, "out of memory for %zu predictions", npred);
    int rc;
    if ((rc = trainer_init(tr, &s->net, bs, threads, s->sp.ntrain, err)) ||
        (rc = trainer_set_comm(tr, ctx->comm, err)) || (rc = run_optim_init(c, s->net.nparams, opt, err)))
        return rc;
    tr->stop = a->stop;
    trainer_auto_threads(tr, c->threads == 0);
    int others = c->threads == 0 && threads > 1 ? sysmem_runnable_others() : -1;
    if (others >= threads - 1 && others > 0) /* the other cores are busy now: one thread first */
        trainer_auto_start_one(tr, RUN_BUSY_HOLD_S);
    ctx->cfg = c;
    ctx->args = a;
    ctx->s = s;
    ctx->net = &s->net;
    ctx->opt = opt;
    ctx->tr = tr;
    ctx->val = s->sp.val.n ? &s->sp.val : NULL;
    ctx->norm = &s->sp.norm;
    ctx->saved_epoch = ctx->saved_step = -1;
    ctx->best = (CkptBest){ -1, NAN, malloc(s->net.nparams * sizeof(double)) };
    ctx->config_text = cfg_text_new(c);
    if (!ctx->best.params || !ctx->config_text)
        return err_set(err, E_NOMEM, "out of memory");
    /* Until an epoch has a validation loss (best.epoch -1) checkpoints
     * carry the initial parameters as the best. */
    memcpy(ctx->best.params, s->net.params, s->net.nparams * sizeof(double));
    ctx->data = ckpt_data_id(&s->sp);
    run_dir_of(c, ctx->run_dir, sizeof ctx->run_dir);
    snprintf(ctx->ckpt_dir, sizeof ctx->ckpt_dir, "%s/" CKPT_SUBDIR, ctx->run_dir);
    snprintf(ctx->curves_path, sizeof ctx->curves_path, "%s/curves.h5", ctx->run_dir);
    snprintf(ctx->best_path, sizeof ctx->best_path, "%s/best.h5", ctx->run_dir);
    if ((rc = curves_init(&ctx->curves, CURVE_COLS, NCURVE_COLS, err)))
        return rc;
    *o = run_train_opts(c, bs, threads);
    *st = train_state_start(o);
    /* Both read the run dir and may refuse; nothing is written before.
     * Rank 0 alone locks it: the run is one run however many ranks. A
     * directory of other files is refused before the lock file goes in. */
    if (ctx->writer && (rc = run_dir_usable(c, ctx->run_dir, err)))
        return rc;
    if (ctx->writer && !a->resume && (rc = foreign_files(ctx, err)))
        return rc;
    if (ctx->writer && (rc = lock_run_dir(ctx, err)))
        return rc;
    if (a->resume)
        return resume(ctx, st, err);
    return ctx->writer ? claim_run_dir(ctx, err) : 0;
}

/* The outermost directory of dir ("a/b/c": "a", "a/b" or "a/b/c") that
 * does not exist yet into out, "" when dir exists. */
static void first_missing_dir(const char *dir, char *out, size_t cap)
{
    size_t n = dir_path_missing(dir);
    out[0] = '\0';
    if (n && n < cap)
        snprintf(out, cap, "%.*s", (int)n, dir);
}

/* A run that created its directory and failed before its first epoch
 * ended (bad data or a config found out late, a failed first write)
 * leaves nothing: its files, then the directories it made, which are
 * removed only when empty. Best effort, after the lock is released. */
static void remove_new_run(const RunCtx *ctx)
{
    char p[RUN_PATH_MAX];
    run_remove_files(ctx->run_dir);
    snprintf(p, sizeof p, "%s", ctx->run_dir);
    for (size_t keep = strlen(ctx->made_dir); rmdir(p) == 0 && strlen(p) > keep;) {
        char *slash = strrchr(p, '/');
        if (!slash)
            break;
        *slash = '\0';
    }
}

/* Rank 0's start: the run dir, what the run is, and its first files. */
static int start_files(RunCtx *ctx, const TrainState *st, int threads, Err *err)
{
    const RunArgs *a = ctx->args;
    const Session *s = ctx->s;
    const Config *c = ctx->cfg;
    int rc;
    first_missing_dir(ctx->run_dir, ctx->made_dir, sizeof ctx->made_dir);
    if ((rc = mkdir_p(ctx->run_dir, err)) || (rc = lock_run_dir(ctx, err)) || (rc = mkdir_p(ctx->ckpt_dir, err)))
        return rc;
    ckpt_remove_stale_tmp(ctx->run_dir); /* a killed run's model.h5.tmp-<pid> ... */
    if (!a->quiet) {
        char ranks[32] = "";
        if (ctx->comm->size > 1)
            snprintf(ranks, sizeof ranks, " a rank x %d ranks", ctx->comm->size);
        if (s->stream)
            fprintf(a->progress, "housenet: %zu rows from %s streamed (%zu train, %zu validation, %zu test; "
                                 "hashed split), %zu parameters, %s, %d thread%s%s\n",
                    s->sp.rows_read, c->data_path, s->sp.ntrain, s->counts.nval, s->counts.ntest, s->net.nparams,
                    optim_name(ctx->opt->kind), threads, threads == 1 ? "" : "s", ranks);
        else
            fprintf(a->progress, "housenet: %zu row%s from %s (%zu train, %zu validation, %zu test), %zu parameters, "
                                 "%s, %d thread%s%s\n",
                    s->sp.rows_read, s->sp.rows_read == 1 ? "" : "s", c->data_path, s->sp.train.n, s->sp.val.n, s->sp.test.n, s->net.nparams,
                    optim_name(ctx->opt->kind), threads, threads == 1 ? "" : "s", ranks);
        if (s->sp.rows_filtered)
            fprintf(a->progress, "housenet: %zu of the %zu rows left out by [data] filter (%s)\n",
                    s->sp.rows_filtered, s->sp.rows_read, c->filter);
        if (s->stream && s->counts.nval > s->sp.val.n)
            fprintf(a->progress, "housenet: warning: validation uses the first %zu of the %zu validation rows "
                                 "(the cap of a streamed run)\n", s->sp.val.n, s->counts.nval);
        if (a->resume)
            fprintf(a->progress, "housenet: resuming from %s: epoch %lld done, step %lld (%lld into epoch %lld)\n",
                    ctx->ckpt_path, (long long)st->epoch, (long long)st->step, (long long)st->epoch_step,
                    (long long)st->epoch + 1);
    }
    if (a->resume && st->epoch > c->epochs)
        fprintf(a->progress, "housenet: warning: the checkpoint is at epoch %lld, past [train] epochs = %d; "
                "nothing to train\n", (long long)st->epoch, c->epochs);
    /* A resumed run's curves.h5 loses at once any row past the checkpoint,
     * and the checkpoint it starts from is its last one (checkpoint_every_seconds
     * counts from now, not from the boot); a fresh run starts with a
     * checkpoint of its initial state. */
    if (a->resume) {
        ctx->last_ckpt = train_now_s();
        return h5_curves_save(ctx->curves_path, &ctx->curves, err);
    }
    return save_checkpoint(ctx, st, err);
}

/* Streamed with ranks, at the end of training: what each rank read, for
 * rank 0's summary (the shares of the reads are visible and testable). */
static int gather_rank_rows(RunCtx *ctx, Err *err)
{
    const Comm *comm = ctx->comm;
    const size_t k = (size_t)comm->size;
    uint64_t *v = calloc(3 * k, sizeof *v);
    size_t *counts = malloc(2 * k * sizeof *counts);
    if (!v || !counts)
        comm->abort(comm, 1); /* the others wait for this rank's part */
    for (size_t q = 0; q < k; q++) {
        counts[q] = 3 * sizeof *v;
        counts[k + q] = q * 3 * sizeof *v;
    }
    uint64_t *mine = v + 3 * (size_t)comm->rank;
    mine[0] = ctx->s->counts.own_rows;
    mine[1] = ctx->s->counts.own_train;
    mine[2] = stream_rows_read(ctx->s->stream);
    int rc = comm_allgatherv(comm, v, counts, counts + k, err);
    free(counts);
    ctx->rank_rows = v;
    return rc;
}

/* Rank 0's end: the last checkpoint, best.h5, model.h5, curves.h5 and the summary. */
static int end_files(RunCtx *ctx, const TrainState *st, double secs, Err *err)
{
    char model_path[RUN_PATH_MAX];
    snprintf(model_path, sizeof model_path, "%s/model.h5", ctx->run_dir);
    int rc;
    if ((rc = save_checkpoint(ctx, st, err)) || (rc = save_best(ctx, err)) ||
        (rc = save_model(ctx->s, ctx->net, model_path, err)) || (rc = flush_curves(ctx, 1, err)))
        return rc;
    FILE *out = ctx->args->out;
    run_summary(out, ctx, ctx->s, st, model_path, secs);
    fprintf(out, "checkpoint %s\n", ctx->ckpt_path);
    if (ctx->best.epoch >= 0)
        fprintf(out, "best %s\n", ctx->best_path);
    for (int q = 0; ctx->rank_rows && q < ctx->comm->size; q++)
        fprintf(out, "stream_rank %d file_rows %llu train_rows %llu rows_read %llu\n", q,
                (unsigned long long)ctx->rank_rows[3 * q], (unsigned long long)ctx->rank_rows[3 * q + 1],
                (unsigned long long)ctx->rank_rows[3 * q + 2]);
    return 0;
}

/* After prepare and the ranks' agreement: the run's first files, the best
 * epoch's parameters a resume brings, the rows in training order and
 * their float32 copy. */
static int run_begin(RunCtx *ctx, Session *s, Trainer *tr, const TrainState *st, int threads, Err *err)
{
    const Config *c = s->cfg;
    int rc;
    if (ctx->writer && (rc = writer_failed(ctx, start_files(ctx, st, threads, err), err)))
        return rc;
    /* The trainer restores the best epoch's parameters at the end of a run
     * (restore_best): after a resume it needs them from the checkpoint. */
    if (ctx->best.epoch >= 0 && ctx->best.epoch == st->best_epoch) {
        memcpy(tr->best, ctx->best.params, s->net.nparams * sizeof(double));
        tr->best_held = ctx->best.epoch;
    }
    ctx->last_flush = train_now_s();
    /* After ckpt_data_id, which hashes the rows in the loader's order.
     * Without shuffling the rows stay in file order. */
    if (!s->stream && c->shuffle)
        train_rows_permute(&s->sp.train, c->seed, 0);
    /* The float32 copy after the permutation: the rows in train_run's order. */
    if (c->precision == TRAIN_F32 && (rc = trainer_use_f32(tr, &s->net, &s->sp.train, err)))
        return rc;
    return 0;
}

/* The epochs, with the progress display and the hooks; ctx->train_secs
 * gets their wall time. On a failure the curves logged so far are kept. */
static int run_epochs(RunCtx *ctx, Session *s, Trainer *tr, Optim *opt, const TrainOpts *o, TrainState *st,
                      int bs, Err *err)
{
    const RunArgs *a = ctx->args;
    const Config *c = s->cfg;
    TrainData td = s->stream ? stream_train_data(s->stream) : train_data_memory(&s->sp.train);
    progress_init(&ctx->progress, a->progress, isatty(fileno(a->progress)), a->quiet, c->epochs,
                  train_steps_per_epoch(s->sp.ntrain, bs), s->sp.ntrain, st->epoch, c->target);
    ctx->progress.no_val = !ctx->val;
    TrainHooks hooks = { .ctx = ctx, .on_step = on_step, .step_every = step_hook_every(c), .on_epoch = on_epoch,
                         .on_event = on_event, .val_pred = ctx->val ? ctx->pred : NULL };
    double t0 = train_now_s(), files0 = ctx->file_secs;
    int rc = train_run(tr, &s->net, opt, &td, ctx->val, o, st, &hooks, err);
    ctx->run_file_secs = ctx->file_secs - files0;
    progress_end(&ctx->progress);
    if (rc && ctx->writer) {
        /* Keep what was logged: the curves up to the failure are still good. */
        Err e2 = { 0 };
        h5_curves_save(ctx->curves_path, &ctx->curves, &e2);
        size_t len = strlen(err->msg);
        if (rc == E_NUMERIC && st->epoch > 0) /* what a divergence leaves on disk (epoch 1: run_train says) */
            snprintf(err->msg + len, sizeof err->msg - len, "; the run directory keeps the curves up to it "
                     "and the checkpoints written before it");
    }
    ctx->train_secs = train_now_s() - t0;
    return rc;
}

/* After the last epoch: the ranks' row counts, the final files and the
 * summary; a stop requested meanwhile still ends the run as stopped. */
static int run_end(RunCtx *ctx, const TrainState *st, Err *err)
{
    const RunArgs *a = ctx->args;
    int rc = 0;
    if (ctx->s->stream && ctx->comm->size > 1)
        rc = gather_rank_rows(ctx, err);
    if (!rc && ctx->writer)
        rc = writer_failed(ctx, end_files(ctx, st, ctx->train_secs, err), err);
    /* A stop requested after the last step: the files are complete, but
     * the run still ends as a stopped one. */
    char sig[24];
    if (!rc && a->stop && *a->stop)
        rc = err_set(err, E_STOP, "stopped by %s as the run finished; its files in %s are complete",
                     run_signal_name((int)*a->stop, sig, sizeof sig), ctx->run_dir);
    return rc;
}

int run_train(const RunArgs *args, Err *err)
{
    const Comm *comm = args->comm ? args->comm : comm_self();
    const int writer = comm->rank == 0;
    RunArgs silent = *args;
    FILE *nowhere = NULL;
    if (!writer) {
        nowhere = silent_stream();
        silent.quiet = 1;
        silent.progress = silent.out = nowhere ? nowhere : stderr;
    }
    const RunArgs *a = writer ? args : &silent;
    Session s;
    Trainer tr = { 0 };
    Optim opt = { 0 };
    RunCtx ctx = { .comm = comm, .writer = writer, .lock = -1, .t_start = train_now_s() };
    TrainOpts o = { 0 };
    TrainState st = { 0 };
    if (a->loading)
        a->loading(1, writer);
    int rc = session_open(a, &s, err);
    if (a->loading)
        a->loading(0, writer);
    /* A stop requested while the data loaded (without a->loading):
     * --dry-run ends here; a run stops after its first step, with a
     * checkpoint (train_run polls). */
    char sig[24];
    if (!rc && a->dry_run && a->stop && *a->stop)
        rc = err_set(err, E_STOP, "stopped by %s while the data loaded; nothing printed",
                     run_signal_name((int)*a->stop, sig, sizeof sig));
    const Config *c = s.cfg;
    int threads = c ? run_threads(c->threads) : 1, bs = 1; /* c: NULL when out of memory */
    if (!rc) {
        bs = (size_t)c->batch_size < s.sp.ntrain ? c->batch_size : (int)s.sp.ntrain;
        if (a->dry_run) {
            rc = writer ? run_dry_run(a, &s, threads, bs, err) : 0;
            goto done;
        }
        rc = prepare(&ctx, a, &s, &tr, &opt, bs, threads, &o, &st, err);
    }
    if (comm->size > 1 && !a->dry_run)
        rc = agree_start(&ctx, &st, rc, err);
    if (rc)
        goto done;
    if (!(rc = run_begin(&ctx, &s, &tr, &st, threads, err)) &&
        !(rc = run_epochs(&ctx, &s, &tr, &opt, &o, &st, bs, err)))
        rc = run_end(&ctx, &st, err);
done:
    dir_unlock(&ctx.lock);
    if (rc && rc != E_STOP && writer && ctx.made_dir[0] && st.epoch == 0) {
        remove_new_run(&ctx);
        size_t len = strlen(err->msg);
        if (rc == E_NUMERIC) /* what a divergence leaves on disk: nothing (the same words in every
                              * directory: a sweep's table compares them) */
            snprintf(err->msg + len, sizeof err->msg - len, "; a run that fails in its first epoch leaves no "
                     "files, so its run directory holds none");
    }
    free(ctx.rank_rows);
    free(ctx.pred);
    free(ctx.best.params);
    free(ctx.config_text);
    curves_free(&ctx.curves);
    optim_free(&opt);
    trainer_free(&tr);
    session_free(&s);
    if (nowhere)
        fclose(nowhere);
    return rc;
}

int run_explain(const RunArgs *a, Err *err)
{
    Session s;
    if (a->resume || a->force)
        return err_set(err, E_USAGE, "explain takes no --resume or --force");
    int rc = session_open(a, &s, err);
    if (!rc && s.stream)
        rc = err_set(err, E_USAGE, "explain works on data in memory; run it with --set data.stream=false");
    if (!rc) {
        /* the inputs of a text feature are named for its levels, cells of
         * the data file: shown escaped */
        int n = s.sp.ninputs;
        char **names = calloc((size_t)n + 1, sizeof *names);
        for (int i = 0; names && i <= n && !rc; i++)
            if (!(names[i] = term_escape_new(i < n ? s.sp.input_names[i] : s.cfg->target)))
                rc = err_set(err, E_NOMEM, "out of memory");
        if (!names)
            rc = err_set(err, E_NOMEM, "out of memory");
        if (!rc) {
            fprintf(a->out, "Config %s: first training row of %s\n", a->config, s.cfg->data_path);
            rc = explain_step(a->out, &s.net, s.sp.train.x, s.sp.train.y[0], s.cfg->learning_rate,
                              (const char *const *)names, err);
        }
        for (int i = 0; names && i <= n; i++)
            free(names[i]);
        free(names);
    }
    session_free(&s);
    return rc;
}
