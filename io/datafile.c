/* datafile: what `housenet inspect` and `housenet convert` do (see
 * datafile.h). Owns inspect's table of columns and the order of the
 * conversion's passes. Reading and writing belong to csvread.c and
 * h5table.c; this file opens no file itself. */
#define _DEFAULT_SOURCE /* strndup */

#include "datafile.h"

#include "checkpoint.h"
#include "colname.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"
#include "csvrows.h"
#include "h5table.h"

/* ---- inspect ------------------------------------------------------------ */

/* Describers of the files housenet itself writes, by their root `format`
 * attribute: such a file is described, never read as a data table. */
typedef int (*InspectFn)(const char *path, FILE *out, Err *err);
static const struct {
    const char *format;
    InspectFn fn;
} OWN_FORMATS[] = {
    {"housenet-model", ckpt_describe},
    {"housenet-checkpoint", ckpt_describe},
    {"housenet-curves", ckpt_describe},
};

static int name_width(const char *const *names, int n)
{
    int w = 6;
    for (int i = 0; i < n; i++) {
        int l = (int)strlen(names[i]);
        w = l > w ? l : w;
    }
    return w > 40 ? 40 : w;
}

/* One line per column: name, type, missing, min, mean, max, note. */
static void print_column(FILE *out, int width, const char *name, const char *type, size_t missing, int numeric,
                         double min, double mean, double max, const char *note)
{
    char lo[32] = "-", mid[32] = "-", hi[32] = "-", shown[4 * COLNAME_SHOW + 1], shown_note[4 * 96];
    if (numeric && !isnan(mean)) {
        snprintf(lo, sizeof lo, "%.10g", min);
        snprintf(mid, sizeof mid, "%.10g", mean);
        snprintf(hi, sizeof hi, "%.10g", max);
    }
    /* the name and the note come from the file: escaped, the name cut to its shown width */
    char cut[COLNAME_SHOW + 1];
    snprintf(cut, sizeof cut, "%s", name);
    fprintf(out, "%-*s  %-7s  %7zu  %14s  %14s  %14s%s%s\n", width, term_escape(shown, sizeof shown, cut), type,
            missing, lo, mid, hi, note[0] ? "  " : "", term_escape(shown_note, sizeof shown_note, note));
}

static void print_head(FILE *out, int width)
{
    fprintf(out, "%-*s  %-7s  %7s  %14s  %14s  %14s\n", width, "column", "type", "missing", "min", "mean", "max");
}

static int inspect_csv(const char *path, const CsvOptions *opt, FILE *out, Err *err)
{
    CsvColumnInfo *ci = NULL;
    int nc = 0;
    size_t nr = 0;
    int rc = csv_inspect(path, opt, &ci, &nc, &nr, err);
    if (rc)
        return rc;
    const char **names = malloc((size_t)(nc > 0 ? nc : 1) * sizeof *names);
    if (!names) {
        csv_inspect_free(&ci, &nc);
        return err_set(err, E_NOMEM, "%.256s: out of memory", path);
    }
    for (int c = 0; c < nc; c++)
        names[c] = ci[c].name;
    int w = name_width(names, nc);
    term_line(out, "file %s", path);
    fprintf(out, "format csv\nrows %zu\ncolumns %d\n", nr, nc);
    print_head(out, w);
    for (int c = 0; c < nc; c++) {
        char note[96] = "";
        if (!ci[c].is_numeric)
            snprintf(note, sizeof note, "first text at line %zu: \"%s\"", ci[c].text_line, ci[c].text_example);
        print_column(out, w, ci[c].name, ci[c].is_numeric ? "numeric" : "text", ci[c].missing, ci[c].is_numeric,
                     ci[c].min, ci[c].mean, ci[c].max, note);
    }
    free(names);
    csv_inspect_free(&ci, &nc);
    return 0;
}

static int inspect_h5(const char *path, const char *table, FILE *out, Err *err)
{
    char format[64];
    int rc = h5_file_format(path, format, sizeof format, err);
    if (rc)
        return rc;
    /* a housenet file shows what it holds, unless --table names one of its tables */
    for (size_t i = 0; !table && i < sizeof OWN_FORMATS / sizeof OWN_FORMATS[0]; i++) {
        if (strcmp(format, OWN_FORMATS[i].format) == 0)
            return OWN_FORMATS[i].fn(path, out, err);
    }
    H5TableInfo t;
    if ((rc = h5_table_inspect(path, table, &t, err)))
        return rc;
    const char **names = malloc((size_t)(t.ncols > 0 ? t.ncols : 1) * sizeof *names);
    if (!names) {
        h5_table_info_free(&t);
        return err_set(err, E_NOMEM, "%.256s: out of memory", path);
    }
    for (int c = 0; c < t.ncols; c++)
        names[c] = t.cols[c].name;
    int w = name_width(names, t.ncols);
    term_line(out, "file %s", path);
    term_line(out, "format hdf5 table %s (%s)", t.table, t.matrix ? "one 2-D dataset" : "one dataset per column");
    fprintf(out, "rows %zu\ncolumns %d\n", t.nrows, t.ncols);
    print_head(out, w);
    for (int c = 0; c < t.ncols; c++) {
        const H5ColumnInfo *ci = &t.cols[c];
        const char *type = ci->is_numeric ? "numeric" : strcmp(ci->type, "string") == 0 ? "text" : "other";
        print_column(out, w, ci->name, type, ci->missing, ci->is_numeric, ci->min, ci->mean, ci->max, ci->type);
    }
    free(names);
    h5_table_info_free(&t);
    return 0;
}

int datafile_inspect(const char *path, const char *table, const CsvOptions *csv, FILE *out, Err *err)
{
    if (h5_table_path_is_hdf5(path))
        return inspect_h5(path, table, out, err);
    if (table)
        return err_set(err, E_USAGE, "--table applies to HDF5 files (.h5, .hdf5) only");
    return inspect_csv(path, csv, out, err);
}

/* ---- convert ------------------------------------------------------------- */

void datafile_report_free(ConvertReport *rep)
{
    if (!rep)
        return;
    csv_inspect_free(&rep->cols, &rep->ncols);
    memset(rep, 0, sizeof *rep);
}

/* The header's names (trimmed), for convert's one-pass attempt. */
typedef struct Header {
    char **names;
    int n;
} Header;

static int header_row(void *ctx, size_t record, size_t line, int ncells, char *const *cells, const size_t *lens,
                      Err *err)
{
    Header *h = ctx;
    (void)record;
    (void)line;
    if (ncells == 0)
        return 0; /* a blank line before the header */
    if (!(h->names = calloc((size_t)ncells, sizeof *h->names)))
        return err_set(err, E_NOMEM, "out of memory");
    for (int c = 0; c < ncells; c++) {
        const char *p = cells[c], *e = p + lens[c];
        csv_trim(&p, &e);
        if (!(h->names[h->n] = strndup(p, (size_t)(e - p))))
            return err_set(err, E_NOMEM, "out of memory");
        h->n++;
    }
    return E_STATE; /* stops the reader after the header */
}

/* Every column as numbers in one pass: 0 when that worked; 1 when the
 * file needs the careful path (a text cell, or any error, which the
 * careful path then reports itself); an error code when the output could
 * not be committed. */
static int convert_numbers(const char *in, const char *out, const char *table, const CsvOptions *o, int compress,
                           ConvertReport *rep, Err *err)
{
    Header h = { 0 };
    Err e = { 0 };
    CsvStream *s = NULL;
    H5TableWriter *w = NULL;
    double *buf = NULL;
    size_t got = 0;
    int rc = 1;
    if (csv_rows_read(in, o->delimiter, header_row, &h, &e) != E_STATE || h.n < 1)
        goto done;
    if (csv_stream_open(in, (const char *const *)h.names, h.n, o, &s, &e) ||
        h5_table_writer_open(out, table, (const char *const *)h.names, h.n, in, compress, &w, &e))
        goto done;
    size_t batch = h5_table_chunk_rows(h.n);
    if (!(buf = malloc(batch * (size_t)h.n * sizeof *buf)))
        goto done;
    rep->rows = 0;
    while (csv_stream_next(s, batch, buf, &got, &e) == 0 && got > 0) {
        if (h5_table_writer_append(w, buf, batch, got, &e))
            goto done;
        rep->rows += got;
    }
    if (got != 0 || e.code)
        goto done;
    if ((rc = h5_table_writer_commit(w, err)))
        goto done;
    rep->written = h.n;
    rep->compressed = h5_table_writer_compressed(w);
    if ((rep->cols = calloc((size_t)h.n, sizeof *rep->cols))) {
        rep->ncols = h.n;
        for (int c = 0; c < h.n; c++) {
            rep->cols[c].name = h.names[c];
            rep->cols[c].is_numeric = 1;
            h.names[c] = NULL;
        }
    }
done:
    h5_table_writer_free(&w);
    csv_stream_close(&s);
    free(buf);
    for (int c = 0; c < h.n; c++)
        free(h.names[c]);
    free(h.names);
    return rc;
}

int datafile_convert(const char *in, const char *out, const char *table, const CsvOptions *csv, int compress,
                    ConvertReport *rep, Err *err)
{
    CsvStream *s = NULL;
    H5TableWriter *w = NULL;
    const char **names = NULL;
    const Levels **lv = NULL;
    unsigned char *text = NULL;
    double *buf = NULL;
    size_t nrows = 0, got = 0;
    CsvOptions o;
    int rc = 0;
    memset(rep, 0, sizeof *rep);
    memset(&o, 0, sizeof o);
    if (csv)
        o = *csv;
    o.allow_missing = 1; /* a missing cell is stored as NaN */
    if (h5_table_path_is_hdf5(in))
        return err_set(err, E_USAGE, "%.256s: convert reads a CSV file; this one is HDF5", in);

    /* The output is checked before the input is read: refusing it then
     * costs nothing. */
    AtomicOut probe;
    if ((rc = h5_table_out_open(&probe, out, in, err)))
        return rc;
    atomic_out_abort(&probe);

    /* Most files are all numbers: one pass reads and writes them. */
    if ((rc = convert_numbers(in, out, table ? table : "table", &o, compress, rep, err)) <= 0)
        return rc;
    rc = 0;
    memset(rep, 0, sizeof *rep);

    /* Pass 1: which columns are numbers, judged on the whole file; the
     * others are stored as text. */
    if ((rc = csv_inspect(in, &o, &rep->cols, &rep->ncols, &nrows, err)))
        goto done;
    names = malloc((size_t)rep->ncols * sizeof *names);
    text = malloc((size_t)rep->ncols);
    lv = calloc((size_t)rep->ncols, sizeof *lv);
    if (!names || !text || !lv) {
        rc = err_set(err, E_NOMEM, "%.256s: out of memory", in);
        goto done;
    }
    for (int c = 0; c < rep->ncols; c++) {
        names[rep->written] = rep->cols[c].name;
        text[rep->written++] = rep->cols[c].is_numeric ? CSV_COL_NUMBER : CSV_COL_TEXT;
        rep->text += !rep->cols[c].is_numeric;
    }
    o.text = text;

    /* Pass 2: every column, a chunk of rows at a time. */
    if ((rc = csv_stream_open(in, names, rep->written, &o, &s, err)) ||
        (rc = h5_table_writer_open_typed(out, table ? table : "table", names, text, rep->written, in, compress, &w,
                                         err)))
        goto done;
    for (int c = 0; c < rep->written; c++)
        lv[c] = csv_stream_levels(s, c);
    rep->compressed = h5_table_writer_compressed(w);
    size_t batch = h5_table_chunk_rows(rep->written);
    if (!(buf = malloc(batch * (size_t)rep->written * sizeof *buf))) {
        rc = err_set(err, E_NOMEM, "%.256s: out of memory for a batch of rows", in);
        goto done;
    }
    while ((rc = csv_stream_next(s, batch, buf, &got, err)) == 0 && got > 0) {
        if ((rc = h5_table_writer_append_text(w, buf, batch, got, lv, err)))
            goto done;
        rep->rows += got;
    }
    if (rc)
        goto done;
    if (rep->rows != nrows) {
        rc = err_set(err, E_IO, "%.256s: %zu rows on the first pass, %zu on the second: the file changed "
                     "while it was converted", in, nrows, rep->rows);
        goto done;
    }
    rc = h5_table_writer_commit(w, err);
done:
    h5_table_writer_free(&w); /* removes the temporary file unless committed */
    csv_stream_close(&s);
    free(buf);
    free(names);
    free(text);
    free(lv);
    return rc;
}
