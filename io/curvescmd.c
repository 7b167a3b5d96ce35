/* curvescmd: curves.h5 to CSV (see curvescmd.h). */
#include "curvescmd.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "atomic.h"
#include "csvrows.h"
#include "curves.h"
#include "h5model.h"

enum { EXPORT_EPOCHS, EXPORT_STEPS, EXPORT_EVENTS };

static void put_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.17g", v);
    else
        fputc(',', f);
}

static void write_csv(FILE *f, const Curves *c, int what)
{
    if (what == EXPORT_EPOCHS) {
        fputs("epoch", f);
        for (int j = 0; j < c->ncols; j++)
            fprintf(f, ",%s", c->names[j]);
        fputc('\n', f);
        for (size_t i = 0; i < c->n; i++) {
            fprintf(f, "%lld", (long long)c->epoch[i]);
            for (int j = 0; j < c->ncols; j++)
                put_num(f, c->cols[j][i]);
            fputc('\n', f);
        }
    } else if (what == EXPORT_STEPS) {
        fputs("step,epoch,loss,learning_rate\n", f);
        for (size_t i = 0; i < c->nsteps; i++) {
            fprintf(f, "%lld,%lld", (long long)c->step_no[i], (long long)c->step_epoch[i]);
            put_num(f, c->step_loss[i]);
            put_num(f, c->step_lr[i]);
            fputc('\n', f);
        }
    } else {
        fputs("epoch,step,kind,message\n", f);
        for (size_t i = 0; i < c->nevents; i++) {
            const CurvesEvent *e = &c->events[i];
            fprintf(f, "%lld,%lld,", (long long)e->epoch, (long long)e->step);
            csv_write_cell(f, e->kind, strlen(e->kind), ',');
            fputc(',', f);
            csv_write_cell(f, e->msg, strlen(e->msg), ',');
            fputc('\n', f);
        }
    }
}

int curves_cmd_main(int argc, char **argv, FILE *out, FILE *msg, Err *err)
{
    (void)msg;
    static const char usage[] = "usage: housenet curves export RUN/curves.h5 --csv [--steps | --events] [-o OUT.csv]";
    const char *path = NULL, *out_path = NULL;
    int what = EXPORT_EPOCHS, csv = 0;
    if (argc < 1 || strcmp(argv[0], "export"))
        return err_set(err, E_USAGE, "curves: expected the subcommand export; %s", usage);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--csv"))
            csv = 1;
        else if (!strcmp(s, "--steps"))
            what = EXPORT_STEPS;
        else if (!strcmp(s, "--events"))
            what = EXPORT_EVENTS;
        else if (!strcmp(s, "-o") || !strcmp(s, "--output")) {
            if (!(out_path = i + 1 < argc ? argv[++i] : NULL))
                return err_set(err, E_USAGE, "%s needs a file name; %s", s, usage);
        } else if (s[0] == '-' && s[1])
            return err_set(err, E_USAGE, "curves export: unknown option %.40s; %s", s, usage);
        else if (!path)
            path = s;
        else
            return err_set(err, E_USAGE, "curves export: unexpected argument %.80s; %s", s, usage);
    }
    if (!path)
        return err_set(err, E_USAGE, "curves export: missing the curves file; %s", usage);
    if (!csv)
        return err_set(err, E_USAGE, "curves export: name the format, --csv (the only one so far); %s", usage);
    Curves c;
    int rc = h5_curves_load(path, &c, err);
    if (rc)
        return rc;
    if (!out_path) {
        write_csv(out, &c, what);
        fflush(out);
        if (ferror(out))
            rc = err_set(err, E_IO, "cannot write the CSV to standard output");
    } else {
        char tmp[PATH_MAX];
        FILE *f = NULL;
        if (!(rc = atomic_tmp_name(out_path, tmp, sizeof tmp, err))) {
            if (!(f = fopen(tmp, "w"))) {
                int e = errno;
                rc = err_set(err, E_IO, "%s: cannot create %s: %s", out_path, tmp, strerror(e));
            }
        }
        if (f) {
            write_csv(f, &c, what);
            int bad = ferror(f);
            if (fclose(f) != 0 || bad) {
                rc = err_set(err, E_IO, "%s: cannot write %s", out_path, tmp);
                atomic_abort(tmp);
            } else {
                rc = atomic_commit(tmp, out_path, err);
            }
        }
    }
    curves_free(&c);
    return rc;
}
