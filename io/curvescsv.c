/* curvescsv: curves.h5 to CSV (see curvescsv.h). */
#include "curvescsv.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "atomic.h"
#include "csvrows.h"
#include "curves.h"
#include "h5model.h"

static void put_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.17g", v);
    else
        fputc(',', f);
}

static void write_csv(FILE *f, const Curves *c, CurvesCsvTable what)
{
    if (what == CURVES_CSV_EPOCHS) {
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
    } else if (what == CURVES_CSV_STEPS) {
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
            csv_write_cell(f, e->kind, strlen(e->kind), ',', 0);
            fputc(',', f);
            csv_write_cell(f, e->msg, strlen(e->msg), ',', 0);
            fputc('\n', f);
        }
    }
}

int curves_csv_export(const char *path, CurvesCsvTable what, const char *out_path, FILE *out, Err *err)
{
    Curves c;
    int rc = h5_curves_load(path, &c, err);
    if (rc)
        return rc;
    if (!out_path) {
        write_csv(out, &c, what);
        errno = 0;
        if (fflush(out) != 0 || ferror(out))
            rc = err_set(err, E_IO, "cannot write the CSV to standard output: %s", strerror(errno ? errno : EIO));
    } else {
        AtomicOut o;
        if (!(rc = atomic_out_open(&o, out_path, OUT_CSV, path, err))) {
            write_csv(o.f, &c, what);
            rc = atomic_out_commit(&o, err);
        }
    }
    curves_free(&c);
    return rc;
}
