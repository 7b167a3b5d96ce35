/* datacmd: `housenet inspect` and `housenet convert` (see datacmd.h).
 * Owns the two commands' arguments and output, and the order of the
 * conversion's passes. Reading and writing belong to csvread.c and
 * h5table.c; this file opens no file itself. */
#include "datacmd.h"

#include "checkpoint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliargs.h"
#include "csvrows.h"
#include "h5table.h"

#define NA_MAX 64

/* ---- arguments --------------------------------------------------------- */

typedef struct DataArgs {
    const char *pos[2];        /* FILE, or IN and OUT */
    int npos;
    const char *table;
    char delimiter;
    char na_buf[4096];         /* --na-values, split in place */
    const char *na[NA_MAX];
    int nna;
    int quiet;
} DataArgs;

static int exit_status(int rc) { return rc == E_CONFIG || rc == E_USAGE ? 2 : 1; }

static int fail(const Err *err)
{
    fprintf(stderr, "housenet: %s\n", err->msg);
    return exit_status(err->code);
}

/* Parses [--table NAME] [--delimiter C] [--na-values LIST] [--quiet] and up
 * to npos positional arguments (exactly npos required). usage is the
 * command's one-line synopsis for messages. */
static int parse_args(int argc, char **argv, int npos, int allow_quiet, const char *usage, DataArgs *a,
                      Err *err)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i], *v;
        if (cli_opt_is(s, "--table")) {
            if (!(v = cli_opt_value(argc, argv, &i, "--table")) || !v[0])
                return err_set(err, E_USAGE, "--table needs a name; usage: %s", usage);
            a->table = v;
        } else if (cli_opt_is(s, "--delimiter")) {
            if (!(v = cli_opt_value(argc, argv, &i, "--delimiter")))
                return err_set(err, E_USAGE, "--delimiter needs a character; usage: %s", usage);
            int rc = csv_parse_delimiter(v, "--delimiter", &a->delimiter, err);
            if (rc)
                return rc;
        } else if (cli_opt_is(s, "--na-values")) {
            if (!(v = cli_opt_value(argc, argv, &i, "--na-values")))
                return err_set(err, E_USAGE, "--na-values needs a comma list, e.g. --na-values NA,?");
            if (strlen(v) >= sizeof a->na_buf)
                return err_set(err, E_USAGE, "--na-values: the list is longer than %zu characters",
                               sizeof a->na_buf - 1);
            strcpy(a->na_buf, v);
            a->nna = 0;
            /* Comma-separated, each token trimmed of spaces (as cells are), empty ones skipped. */
            for (char *p = a->na_buf, *end; p; p = end ? end + 1 : NULL) {
                if ((end = strchr(p, ',')))
                    *end = '\0';
                while (*p == ' ' || *p == '\t')
                    p++;
                for (size_t n = strlen(p); n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'); n--)
                    p[n - 1] = '\0';
                if (!*p)
                    continue;
                if (a->nna == NA_MAX)
                    return err_set(err, E_USAGE, "--na-values: more than %d tokens", NA_MAX);
                a->na[a->nna++] = p;
            }
        } else if (allow_quiet && (!strcmp(s, "--quiet") || !strcmp(s, "-q"))) {
            a->quiet = 1;
        } else if (s[0] == '-' && s[1]) {
            return err_set(err, E_USAGE, "unknown option %.40s; usage: %s", s, usage);
        } else if (a->npos < npos) {
            a->pos[a->npos++] = s;
        } else {
            return err_set(err, E_USAGE, "unexpected argument %.80s; usage: %s", s, usage);
        }
    }
    if (a->npos < npos)
        return err_set(err, E_USAGE, "missing argument; usage: %s", usage);
    return 0;
}

static CsvOptions csv_options(const DataArgs *a)
{
    CsvOptions o;
    memset(&o, 0, sizeof o);
    o.delimiter = a->delimiter;
    o.na_values = a->na;
    o.n_na_values = a->nna;
    o.allow_missing = 1;
    return o;
}

/* ---- inspect ------------------------------------------------------------ */

/* Describers of the files housenet itself writes, by their root `format`
 * attribute. An entry with no function is recognised but not described
 * yet: `inspect` says so instead of reading it as a data table. The
 * checkpoint and model describers go here. */
typedef int (*InspectFn)(const char *path, FILE *out, Err *err);
static const struct {
    const char *format;
    InspectFn fn;
} OWN_FORMATS[] = {
    {"housenet-model", ckpt_describe},
    {"housenet-checkpoint", ckpt_describe},
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
    char lo[32] = "-", mid[32] = "-", hi[32] = "-";
    if (numeric && !isnan(mean)) {
        snprintf(lo, sizeof lo, "%.10g", min);
        snprintf(mid, sizeof mid, "%.10g", mean);
        snprintf(hi, sizeof hi, "%.10g", max);
    }
    fprintf(out, "%-*s  %-7s  %7zu  %14s  %14s  %14s%s%s\n", width, name, type, missing, lo, mid, hi,
            note[0] ? "  " : "", note);
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
    fprintf(out, "file %s\nformat csv\nrows %zu\ncolumns %d\n", path, nr, nc);
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
    for (size_t i = 0; i < sizeof OWN_FORMATS / sizeof OWN_FORMATS[0]; i++) {
        if (strcmp(format, OWN_FORMATS[i].format) != 0)
            continue;
        if (OWN_FORMATS[i].fn)
            return OWN_FORMATS[i].fn(path, out, err);
        return err_set(err, E_USAGE, "%.256s: a %s file; inspect describes data tables (CSV, HDF5) only so far",
                       path, format);
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
    fprintf(out, "file %s\nformat hdf5 table %s (%s)\nrows %zu\ncolumns %d\n", path, t.table,
            t.matrix ? "one 2-D dataset" : "one dataset per column", t.nrows, t.ncols);
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

int cmd_inspect(int argc, char **argv)
{
    static const char usage[] = "housenet inspect FILE [--table NAME] [--delimiter C] [--na-values LIST]";
    Err err = {0};
    DataArgs a;
    int rc = parse_args(argc, argv, 1, 0, usage, &a, &err);
    if (rc)
        return fail(&err);
    if (h5_table_path_is_hdf5(a.pos[0])) {
        rc = inspect_h5(a.pos[0], a.table, stdout, &err);
    } else {
        if (a.table)
            return fail(&(Err){E_USAGE, "--table applies to HDF5 files (.h5, .hdf5) only"});
        CsvOptions o = csv_options(&a);
        rc = inspect_csv(a.pos[0], &o, stdout, &err);
    }
    return rc ? fail(&err) : 0;
}

/* ---- convert ------------------------------------------------------------- */

void datacmd_report_free(ConvertReport *rep)
{
    if (!rep)
        return;
    csv_inspect_free(&rep->cols, &rep->ncols);
    memset(rep, 0, sizeof *rep);
}

int datacmd_convert(const char *in, const char *out, const char *table, const CsvOptions *csv,
                    ConvertReport *rep, Err *err)
{
    CsvStream *s = NULL;
    H5TableWriter *w = NULL;
    const char **names = NULL;
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

    /* Pass 1: which columns are numbers, judged on the whole file. */
    if ((rc = csv_inspect(in, &o, &rep->cols, &rep->ncols, &nrows, err)))
        goto done;
    if (!(names = malloc((size_t)rep->ncols * sizeof *names))) {
        rc = err_set(err, E_NOMEM, "%.256s: out of memory", in);
        goto done;
    }
    for (int c = 0; c < rep->ncols; c++)
        if (rep->cols[c].is_numeric)
            names[rep->written++] = rep->cols[c].name;
    if (rep->written == 0) {
        rc = err_set(err, E_DATA, "%.256s: no numeric column to convert (every column holds text; "
                     "--na-values may name the tokens that mean missing)", in);
        goto done;
    }

    /* Pass 2: the numeric columns, a chunk of rows at a time. */
    if ((rc = csv_stream_open(in, names, rep->written, &o, &s, err)) ||
        (rc = h5_table_writer_open(out, table ? table : "table", names, rep->written, in, &w, err)))
        goto done;
    rep->compressed = h5_table_writer_compressed(w);
    if (!(buf = malloc((size_t)H5TABLE_CHUNK_ROWS * (size_t)rep->written * sizeof *buf))) {
        rc = err_set(err, E_NOMEM, "%.256s: out of memory for a batch of rows", in);
        goto done;
    }
    while ((rc = csv_stream_next(s, H5TABLE_CHUNK_ROWS, buf, &got, err)) == 0 && got > 0) {
        if ((rc = h5_table_writer_append(w, buf, H5TABLE_CHUNK_ROWS, got, err)))
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
    return rc;
}

int cmd_convert(int argc, char **argv)
{
    static const char usage[] =
        "housenet convert IN.csv OUT.h5 [--table NAME] [--delimiter C] [--na-values LIST] [--quiet]";
    Err err = {0};
    DataArgs a;
    ConvertReport rep;
    memset(&rep, 0, sizeof rep);
    int rc = parse_args(argc, argv, 2, 1, usage, &a, &err);
    if (rc)
        return fail(&err);
    CsvOptions o = csv_options(&a);
    rc = datacmd_convert(a.pos[0], a.pos[1], a.table, &o, &rep, &err);
    if (rc == 0 && !a.quiet) /* notes only when there is no error line: an error is one line */
        for (int c = 0; c < rep.ncols; c++)
            if (!rep.cols[c].is_numeric)
                fprintf(stderr, "housenet: convert: skipping text column \"%.40s\" (first text at line %zu: \"%s\")\n",
                        rep.cols[c].name, rep.cols[c].text_line, rep.cols[c].text_example);
    if (rc == 0)
        printf("converted %zu rows x %d columns of %s into %s (table /%s, float64, chunks of %d rows, %s)\n",
               rep.rows, rep.written, a.pos[0], a.pos[1], a.table ? a.table : "table", H5TABLE_CHUNK_ROWS,
               rep.compressed ? "shuffle + deflate" : "uncompressed: this HDF5 has no deflate encoder");
    datacmd_report_free(&rep);
    return rc ? fail(&err) : 0;
}
