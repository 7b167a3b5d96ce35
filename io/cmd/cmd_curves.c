/* cmd_curves: `housenet curves export RUN/curves.h5 --csv [--steps |
 * --events] [-o OUT.csv]` (see cmd.h). The CSV is io/curvescsv.c's. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "curvescsv.h"
#include "h5guard.h"
#include "opt.h"

enum { O_CSV, O_STEPS, O_EVENTS, O_OUTPUT };

typedef struct CurvesArgs {
    int csv;
    CurvesCsvTable what;
    const char *output;
} CurvesArgs;

static int on_curves_opt(void *ctx, int id, const char *name, const char *v, Err *err)
{
    CurvesArgs *a = ctx;
    switch (id) {
    case O_CSV: a->csv = 1; break;
    case O_STEPS: a->what = CURVES_CSV_STEPS; break;
    case O_EVENTS: a->what = CURVES_CSV_EVENTS; break;
    case O_OUTPUT: a->output = v; break;
    }
    return 0;
}

int cmd_curves(int argc, char **argv, Err *err)
{
    static const Opt opts[] = {
        { O_CSV, "--csv", NULL, OPT_FLAG, NULL },
        { O_STEPS, "--steps", NULL, OPT_FLAG, NULL },
        { O_EVENTS, "--events", NULL, OPT_FLAG, NULL },
        { O_OUTPUT, "--output", "-o", OPT_REQUIRED, "a file name, e.g. -o curves.csv" },
    };
    CurvesArgs a = { .what = CURVES_CSV_EPOCHS };
    const char *pos[2];
    int npos, rc = opt_parse("curves", argc, argv, opts, 4, on_curves_opt, &a, pos, 2, &npos, err);
    if (rc)
        return rc;
    if (npos < 1 || strcmp(pos[0], "export"))
        return err_set(err, E_USAGE, "curves: expected the subcommand export; see housenet curves --help");
    if (npos < 2)
        return err_set(err, E_USAGE, "curves export: missing the curves file; see housenet curves --help");
    if (!a.csv)
        return err_set(err, E_USAGE, "curves export: name the format, --csv (the only one so far); "
                       "e.g. housenet curves export runs/ames/curves.h5 --csv");
    char buf[4096];
    const char *path;
    if ((rc = cmd_run_file(pos[1], "curves.h5", "curves export reads a curves file, or a run directory for its "
                           "curves.h5", buf, sizeof buf, &path, err)) ||
        (rc = h5guard_curves(path, err)))
        return rc;
    return curves_csv_export(path, a.what, a.output, stdout, err);
}
