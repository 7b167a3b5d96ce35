/* cmd_sweep: `housenet sweep`, the command line of a sweep over a grid of
 * settings (see cmd.h); the work is io/sweep.c's. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "opt.h"
#include "sweep.h"

enum { O_GRID, O_SEEDS, O_CV, O_BUDGET, O_RANDOM, O_WORKERS, O_JSON, O_RESUME, O_FORCE, O_SET, O_QUIET };

static const Opt SWEEP_OPTS[] = {
    { O_GRID, "--grid", "-g", OPT_REQUIRED, "section.key=v1,v2,..., e.g. --grid train.learning_rate=0.01,0.1" },
    { O_SEEDS, "--seeds", NULL, OPT_REQUIRED, "a whole number from 1, e.g. --seeds 2" },
    { O_CV, "--cv", NULL, OPT_REQUIRED, "a whole number of folds from 2, e.g. --cv 5" },
    { O_BUDGET, "--budget", NULL, OPT_REQUIRED, "a whole number of random points from 1, e.g. --budget 20" },
    { O_RANDOM, "--random", NULL, OPT_REQUIRED, "the seed of the random points, e.g. --random 1" },
    { O_WORKERS, "--workers", "-j", OPT_REQUIRED, "a whole number of runs at once from 1, e.g. --workers 2" },
    { O_JSON, "--json", NULL, OPT_FLAG, NULL },
    { O_RESUME, "--resume", NULL, OPT_FLAG, NULL },
    { O_FORCE, "--force", NULL, OPT_FLAG, NULL },
    { O_SET, "--set", NULL, OPT_REQUIRED, "section.key=value, e.g. --set train.epochs=50" },
    { O_QUIET, "--quiet", "-q", OPT_FLAG, NULL },
};

typedef struct SweepOpts {
    SweepArgs a;
    int has_budget, has_random;
} SweepOpts;

static int on_sweep_opt(void *ctx, int id, const char *name, const char *v, Err *err)
{
    SweepOpts *o = ctx;
    SweepArgs *a = &o->a;
    unsigned long long x = 0;
    int rc = 0;
    switch (id) {
    case O_GRID:
        if (a->ngrids == SWEEP_MAX_KEYS)
            return err_set(err, E_USAGE, "at most %d --grid options", SWEEP_MAX_KEYS);
        a->grids[a->ngrids++] = v;
        break;
    case O_SET:
        if (a->run.nsets == RUN_MAX_SETS - SWEEP_MAX_KEYS - 3) /* the rest: each point's overrides */
            return err_set(err, E_USAGE, "at most %d --set options", RUN_MAX_SETS - SWEEP_MAX_KEYS - 3);
        a->run.sets[a->run.nsets++] = v;
        break;
    case O_SEEDS:
        if (!(rc = opt_whole(name, v, 1, SWEEP_MAX_VALUES, &x, err)))
            a->seeds = (int)x;
        break;
    case O_CV:
        if (!(rc = opt_whole(name, v, 2, 1000, &x, err)))
            a->cv = (int)x;
        break;
    case O_BUDGET:
        if (!(rc = opt_whole(name, v, 1, SWEEP_MAX_POINTS, &x, err)))
            a->budget = (long)x;
        o->has_budget = 1;
        break;
    case O_RANDOM:
        if (!(rc = opt_whole(name, v, 0, UINT64_MAX, &x, err)))
            a->random_seed = x;
        o->has_random = 1;
        break;
    case O_WORKERS:
        if (!(rc = opt_whole(name, v, 1, 4096, &x, err)))
            a->workers = (int)x;
        break;
    case O_JSON: a->json = 1; break;
    case O_RESUME: a->resume = 1; break;
    case O_FORCE: a->force = 1; break;
    case O_QUIET: a->run.quiet = 1; break;
    }
    return rc;
}

int cmd_sweep(int argc, char **argv, Err *err)
{
    SweepOpts o = { 0 };
    o.a.run.progress = stderr;
    o.a.run.out = stdout;
    o.a.run.stop = cmd_stop_flag();
    const char *pos[1];
    int npos;
    int rc = opt_parse("sweep", argc, argv, SWEEP_OPTS, (int)(sizeof SWEEP_OPTS / sizeof SWEEP_OPTS[0]),
                       on_sweep_opt, &o, pos, 1, &npos, err);
    if (rc)
        return rc;
    if (npos == 0)
        return err_set(err, E_USAGE, "missing CONFIG; e.g. housenet sweep configs/ames.ini --grid "
                       "train.learning_rate=0.01,0.1 --seeds 2");
    if (o.has_budget != o.has_random)
        return err_set(err, E_USAGE, "--budget N and --random S go together: N random points drawn with seed S");
    o.a.run.config = pos[0];
    o.a.run.comm = cmd_comm(); /* under mpirun: rank 0 hands out the points */
    cmd_catch_stop_signals();
    Sweep s;
    rc = sweep_run(&o.a, &s, err);
    if (!rc && o.a.run.comm->rank == 0) {
        sweep_print(stdout, &s, &o.a);
        rc = sweep_all_failed(&s, err);
    }
    sweep_free(&s);
    return rc;
}
