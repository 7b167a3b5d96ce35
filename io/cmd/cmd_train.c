/* cmd_train: `housenet train` and `housenet explain`, the commands that
 * start from a config (see cmd.h). The run itself is io/run.c's. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "opt.h"
#include "run.h"

enum { O_SET, O_QUIET, O_DRY_RUN, O_RESUME, O_FORCE };

static const Opt TRAIN_OPTS[] = {
    { O_SET, "--set", NULL, OPT_REQUIRED, "section.key=value, e.g. --set train.epochs=50" },
    { O_QUIET, "--quiet", "-q", OPT_FLAG, NULL },
    { O_DRY_RUN, "--dry-run", NULL, OPT_FLAG, NULL },
    { O_RESUME, "--resume", NULL, OPT_EQUALS_ONLY, NULL },
    { O_FORCE, "--force", NULL, OPT_FLAG, NULL },
};

static int on_train_opt(void *ctx, int id, const char *name, const char *v, Err *err)
{
    RunArgs *a = ctx;
    switch (id) {
    case O_SET:
        if (a->nsets == RUN_MAX_SETS)
            return err_set(err, E_USAGE, "at most %d --set options", RUN_MAX_SETS);
        a->sets[a->nsets++] = v;
        break;
    case O_QUIET: a->quiet = 1; break;
    case O_DRY_RUN: a->dry_run = 1; break;
    case O_RESUME:
        a->resume = 1;
        if (v && v[0])
            a->resume_from = v;
        break;
    case O_FORCE: a->force = 1; break;
    }
    return 0;
}

int cmd_train_args(const char *cmd, int argc, char **argv, RunArgs *a, Err *err)
{
    FILE *progress = a->progress, *out = a->out;
    volatile sig_atomic_t *stop = a->stop;
    const Comm *comm = a->comm;
    memset(a, 0, sizeof *a);
    a->comm = comm;
    a->progress = progress;
    a->out = out;
    a->stop = stop;
    const char *pos[2];
    int npos;
    int rc = opt_parse(cmd, argc, argv, TRAIN_OPTS, (int)(sizeof TRAIN_OPTS / sizeof TRAIN_OPTS[0]), on_train_opt,
                       a, pos, 2, &npos, err);
    if (rc)
        return rc;
    if (npos == 0)
        return err_set(err, E_USAGE, "missing CONFIG; e.g. housenet %s configs/ames.ini", cmd);
    a->config = pos[0];
    /* a positional after CONFIG: --resume's argument */
    if (npos == 2 && (!a->resume || a->resume_from))
        return err_set(err, E_USAGE, "unexpected argument %.80s; a run directory or checkpoint "
                       "goes after --resume", pos[1]);
    if (npos == 2)
        a->resume_from = pos[1];
    return 0;
}

int cmd_train(int argc, char **argv, Err *err)
{
    RunArgs a = { .progress = stderr, .out = stdout, .stop = cmd_stop_flag() };
    int rc = cmd_train_args("train", argc, argv, &a, err);
    if (rc)
        return rc;
    a.comm = cmd_comm();
    a.loading = cmd_loading;
    cmd_catch_stop_signals();
    cmd_catch_hangup_signals();
    rc = run_train(&a, err);
    /* The files are complete (or the run failed); main still has to write
     * the summary (or --dry-run's figures) to stdout, where a full pipe
     * can block it. A signal then ends the process at once (128 + it); one
     * that came since run_train last looked still makes a stopped run. */
    cmd_end_stop_signals();
    char sig[24];
    if (!rc && *a.stop)
        rc = err_set(err, E_STOP, "stopped by %s as the run ended%s", run_signal_name((int)*a.stop, sig, sizeof sig),
                     a.dry_run ? "" : "; its files are complete");
    return rc;
}

int cmd_explain(int argc, char **argv, Err *err)
{
    RunArgs a = { .progress = stderr, .out = stdout };
    int rc = cmd_train_args("explain", argc, argv, &a, err);
    return rc ? rc : run_explain(&a, err);
}
