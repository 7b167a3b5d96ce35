/* cmd_cv: `housenet cv`, the command line of repeated K-fold
 * cross-validation (see cmd.h); the work is io/cv.c's. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "cv.h"
#include "opt.h"

enum { O_SET, O_QUIET, O_FOLDS, O_REPEATS, O_SEED, O_JSON };

static const Opt CV_OPTS[] = {
    { O_SET, "--set", NULL, OPT_REQUIRED, "section.key=value, e.g. --set train.epochs=50" },
    { O_QUIET, "--quiet", "-q", OPT_FLAG, NULL },
    { O_FOLDS, "--folds", "-k", OPT_REQUIRED, "a whole number from 2, e.g. --folds 5" },
    { O_REPEATS, "--repeats", "-r", OPT_REQUIRED, "a whole number from 1, e.g. --repeats 3" },
    { O_SEED, "--seed", NULL, OPT_REQUIRED, "a whole number, e.g. --seed 42" },
    { O_JSON, "--json", NULL, OPT_FLAG, NULL },
};

static int on_cv_opt(void *ctx, int id, const char *name, const char *v, Err *err)
{
    CvArgs *a = ctx;
    unsigned long long x = 0;
    int rc = 0;
    switch (id) {
    case O_SET:
        if (a->run.nsets == RUN_MAX_SETS - 1) /* one is cv's: each fold's run.dir */
            return err_set(err, E_USAGE, "at most %d --set options", RUN_MAX_SETS - 1);
        a->run.sets[a->run.nsets++] = v;
        break;
    case O_QUIET: a->run.quiet = 1; break;
    case O_JSON: a->json = 1; break;
    case O_FOLDS:
        if (!(rc = opt_whole(name, v, 2, 1000, &x, err)))
            a->folds = (int)x;
        break;
    case O_REPEATS:
        if (!(rc = opt_whole(name, v, 1, 1000, &x, err)))
            a->repeats = (int)x;
        break;
    case O_SEED:
        if (!(rc = opt_whole(name, v, 0, UINT64_MAX, &x, err))) {
            a->seed = x;
            a->has_seed = 1;
        }
        break;
    }
    return rc;
}

int cmd_cv(int argc, char **argv, Err *err)
{
    CvArgs a = { .folds = 5, .repeats = 1 };
    a.run.progress = stderr;
    const char *pos[1];
    int npos;
    int rc = opt_parse("cv", argc, argv, CV_OPTS, (int)(sizeof CV_OPTS / sizeof CV_OPTS[0]), on_cv_opt, &a, pos,
                       1, &npos, err);
    if (rc)
        return rc;
    if (npos == 0)
        return err_set(err, E_USAGE, "missing CONFIG; e.g. housenet cv configs/ames.ini --folds 5 --repeats 3");
    a.run.config = pos[0];
    CvResult r;
    if ((rc = cv_run(&a, &r, err)))
        return rc;
    Config *c = cfg_new();
    rc = c ? run_load_config(&a.run, c, err) : err_set(err, E_NOMEM, "out of memory");
    if (!rc)
        cv_print(stdout, &r, a.run.config, c->target, a.json);
    cfg_delete(c);
    cv_free(&r);
    return rc;
}
