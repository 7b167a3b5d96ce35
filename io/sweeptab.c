/* sweeptab: the results table of a sweep as CSV, JSON and HDF5 (see
 * sweep.h; the layout is in docs/sweep.md). Rows in point order, columns
 * in a fixed order: id, the swept keys, the metrics (sweep_metric_names),
 * seconds, status, error. Each file is built in memory and written
 * atomically, so a reader never sees half a table. */
#define _GNU_SOURCE /* open_memstream */
#include "sweep.h"

#define H5U_SRC "io/sweeptab.c"
#define H5U_PATH_PREC 256
#include "h5util.h"

#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "evaluate.h"
#include "h5io.h"

#define SWEEP_FORMAT "housenet-sweep"
#define SWEEP_VERSION 1

static const char *status_name(SweepStatus st)
{
    return st == SWEEP_OK ? "ok" : st == SWEEP_FAILED ? "failed" : "pending";
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *v)
{
    if (!strpbrk(v, ",\"\n\r")) {
        fputs(v, f);
        return;
    }
    fputc('"', f);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', f);
        fputc(*v, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.17g", v);
    else
        fputc(',', f);
}

static void write_csv(FILE *f, const Sweep *s)
{
    const char *const *mn = sweep_metric_names(s->cv);
    fputs("id", f);
    for (int k = 0; k < s->nkeys; k++)
        fprintf(f, ",%s", s->key[k].name);
    for (int i = 0; i <= SWEEP_NMETRICS; i++)
        fprintf(f, ",%s", mn[i]);
    fputs(",seconds,status,error\n", f);
    for (size_t p = 0; p < s->npoints; p++) {
        const SweepRow *r = &s->row[p];
        fputs(s->id[p], f);
        for (int k = 0; k < s->nkeys; k++) {
            fputc(',', f);
            csv_field(f, sweep_value(s, p, k));
        }
        for (int i = 0; i < SWEEP_NMETRICS; i++)
            csv_num(f, r->status == SWEEP_OK ? r->m[i] : NAN);
        if (r->status == SWEEP_OK)
            fprintf(f, ",%lld", r->epochs);
        else
            fputc(',', f);
        csv_num(f, r->status == SWEEP_PENDING ? NAN : r->seconds);
        fprintf(f, ",%s,", status_name(r->status));
        csv_field(f, r->error);
        fputc('\n', f);
    }
}

void sweep_json(FILE *f, const Sweep *s)
{
    const char *const *mn = sweep_metric_names(s->cv);
    fputs("{\"config\": ", f);
    json_str(f, s->config);
    fputs(", \"dir\": ", f);
    json_str(f, s->dir);
    fputs(", \"target\": ", f);
    json_str(f, s->target);
    fprintf(f, ", \"cv\": %d, \"keys\": [", s->cv);
    for (int k = 0; k < s->nkeys; k++) {
        fputs(k ? ", " : "", f);
        json_str(f, s->key[k].name);
    }
    fputs("], \"points\": [", f);
    for (size_t p = 0; p < s->npoints; p++) {
        const SweepRow *r = &s->row[p];
        fputs(p ? ",\n  {\"id\": " : "\n  {\"id\": ", f);
        json_str(f, s->id[p]);
        fputs(", \"overrides\": {", f);
        for (int k = 0; k < s->nkeys; k++) {
            fputs(k ? ", " : "", f);
            json_str(f, s->key[k].name);
            fputs(": ", f);
            json_str(f, sweep_value(s, p, k));
        }
        fputs("}, ", f);
        for (int i = 0; i < SWEEP_NMETRICS; i++)
            json_num(f, mn[i], r->status == SWEEP_OK ? r->m[i] : NAN, ", ");
        json_num(f, mn[SWEEP_NMETRICS], r->status == SWEEP_OK ? (double)r->epochs : NAN, ", ");
        json_num(f, "seconds", r->status == SWEEP_PENDING ? NAN : r->seconds, ", \"status\": ");
        json_str(f, status_name(r->status));
        fputs(", \"error\": ", f);
        json_str(f, r->error);
        fputc('}', f);
    }
    long b = sweep_best(s);
    fputs("],\n \"best\": ", f);
    if (b < 0)
        fputs("null", f);
    else
        json_str(f, s->id[b]);
    fputs("}\n", f);
}

/* results.h5: group /results, one dataset per column (strings variable
 * length UTF-8, numbers float64, NaN where a row has none), and the
 * column names in order as its attribute `columns`. */
static int h5_image(const Sweep *s, const char *path, void **img, size_t *n, Err *err)
{
    const char *where = "";
    hid_t f = H5I_INVALID_HID, str = H5I_INVALID_HID;
    const char **text = NULL, **cols = NULL;
    double *num = NULL;
    int rc = 0;
    int ncols = 1 + s->nkeys + SWEEP_NMETRICS + 1 + 3;
    hsize_t rows = s->npoints, nc = (hsize_t)ncols;
    const char *const *mn = sweep_metric_names(s->cv);
    text = calloc(rows ? rows : 1, sizeof *text);
    num = calloc(rows ? rows : 1, sizeof *num);
    cols = calloc((size_t)ncols, sizeof *cols);
    char names[SWEEP_MAX_KEYS + SWEEP_NMETRICS + 5][96];
    if (!text || !num || !cols)
        FAIL(E_NOMEM, "%.256s: out of memory", path);
    TRY(h5u_mem_create(path, &f, err));
    TRY(h5io_str_type_new(&str, path, err));
    TRY(h5io_write_header(f, SWEEP_FORMAT, SWEEP_VERSION, str, path, err));
    TRY(h5io_make_group(f, "/results", 1, path, err));
    int c = 0;
    cols[c++] = "id";
    for (int k = 0; k < s->nkeys; k++)
        cols[c++] = s->key[k].name;
    for (int i = 0; i <= SWEEP_NMETRICS; i++)
        cols[c++] = mn[i];
    cols[c++] = "seconds";
    cols[c++] = "status";
    cols[c++] = "error";
    for (c = 0; c < ncols; c++) {
        snprintf(names[c], sizeof names[c], "/results/%s", cols[c]);
        int is_text = c <= s->nkeys || c >= ncols - 2;
        for (size_t p = 0; p < s->npoints; p++) {
            const SweepRow *r = &s->row[p];
            int m = c - 1 - s->nkeys;
            if (c == 0)
                text[p] = s->id[p];
            else if (c <= s->nkeys)
                text[p] = sweep_value(s, p, c - 1);
            else if (c == ncols - 2)
                text[p] = status_name(r->status);
            else if (c == ncols - 1)
                text[p] = r->error;
            else if (m < SWEEP_NMETRICS)
                num[p] = r->status == SWEEP_OK ? r->m[m] : NAN;
            else if (m == SWEEP_NMETRICS)
                num[p] = r->status == SWEEP_OK ? (double)r->epochs : NAN;
            else
                num[p] = r->status == SWEEP_PENDING ? NAN : r->seconds;
        }
        if (is_text)
            TRY(h5io_write_dset(f, names[c], str, str, 1, &rows, 0, text, path, err));
        else
            TRY(h5io_write_dset(f, names[c], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &rows, 0, num, path, err));
    }
    TRY(h5u_write_attr(f, "/results", "columns", str, str, nc, cols, path, err));
    TRY(h5u_write_attr(f, "/results", "config", str, str, 0, &(const char *){ s->config }, path, err));
    TRY(h5u_write_attr(f, "/results", "target", str, str, 0, &(const char *){ s->target }, path, err));
    TRY(h5u_mem_image(f, "sweep table", img, n, path, err));
done:
    CLOSE_H5(str, H5Tclose);
    CLOSE_H5(f, H5Fclose);
    free(text);
    free(num);
    free(cols);
    return rc;
}

/* One text file by its writer, atomically. */
static int write_text(const char *path, void (*fn)(FILE *, const Sweep *), const Sweep *s, Err *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return err_set(err, E_NOMEM, "%s: out of memory", path);
    fn(f, s);
    int bad = fclose(f) != 0 || !text;
    int rc = bad ? err_set(err, E_NOMEM, "%s: out of memory", path) : atomic_write_file(path, text, len, err);
    free(text);
    return rc;
}

int sweep_write_tables(const Sweep *s, Err *err)
{
    char path[CFG_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/results.csv", s->dir);
    int rc = write_text(path, write_csv, s, err);
    snprintf(path, sizeof path, "%s/results.json", s->dir);
    if (!rc)
        rc = write_text(path, sweep_json, s, err);
    snprintf(path, sizeof path, "%s/results.h5", s->dir);
    void *img = NULL;
    size_t n = 0;
    if (!rc && !(rc = h5_image(s, path, &img, &n, err)))
        rc = atomic_write_file(path, img, n, err);
    free(img);
    return rc;
}
