/* csvstream: a CSV file read a batch of rows at a time (csv_stream_*,
 * see csvread.h), through the same reader and callbacks as csv_read_columns:
 * the column block holds only the rows not yet handed out. */
#define _DEFAULT_SOURCE /* strdup */

#include "csvread.h"
#include "csvreader.h"

#include <stdlib.h>
#include <string.h>

/* ---- streaming ------------------------------------------------------------- */

struct CsvStream {
    CsvReader r;                /* read mode; r.cols holds rows pos..nrows-1 not yet handed out */
    CsvInput in;
    size_t pos;
    CsvOptions opt;             /* copies: the caller's may go away */
    char *path;
    char **names;
    char **na;
    int nna;
    unsigned char *text;        /* copy of opt->text, or NULL */
};

void csv_stream_close(CsvStream **sp)
{
    if (!sp || !*sp)
        return;
    CsvStream *s = *sp;
    for (int c = 0; c < s->r.nwant && s->names; c++)
        free(s->names[c]);
    free(s->names);
    csv_input_close(&s->in);
    csv_reader_free(&s->r);
    for (int i = 0; i < s->nna; i++)
        free(s->na[i]);
    free(s->na);
    free(s->text);
    free(s->path);
    free(s);
    *sp = NULL;
}

int csv_stream_open(const char *path, const char *const *names, int ncols, const CsvOptions *opt,
                    CsvStream **out, Err *err)
{
    *out = NULL;
    if (ncols < 1)
        return err_set(err, E_CONFIG, "%.256s: no columns requested", path);
    CsvStream *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(err, E_NOMEM, "%.256s: out of memory", path);
    int rc = 0;
    CsvReader *r = &s->r;
    if (opt)
        s->opt = *opt;
    s->path = strdup(path);
    s->names = calloc((size_t)ncols, sizeof *s->names);
    s->na = calloc((size_t)(s->opt.n_na_values > 0 ? s->opt.n_na_values : 1), sizeof *s->na);
    r->src = malloc((size_t)ncols * sizeof *r->src);
    r->missing = calloc((size_t)ncols, sizeof *r->missing);
    r->nwant = ncols;
    int bad = !s->path || !s->names || !s->na || !r->src || !r->missing;
    for (int c = 0; c < ncols && !bad; c++)
        bad = !(s->names[c] = strdup(names[c]));
    for (int i = 0; i < s->opt.n_na_values && !bad; i++, s->nna++)
        bad = !(s->na[i] = strdup(s->opt.na_values[i]));
    if (!bad && s->opt.text) { /* text columns: their levels grow as rows are read */
        bad = !(s->text = malloc((size_t)ncols)) || !(r->tc = calloc((size_t)ncols, sizeof *r->tc));
        if (!bad)
            memcpy(s->text, s->opt.text, (size_t)ncols);
        s->opt.text = s->text;
    }
    if (bad) {
        rc = err_set(err, E_NOMEM, "%.256s: out of memory", path);
        goto done;
    }
    s->opt.na_values = (const char *const *)s->na;
    r->path = s->path;
    r->opt = &s->opt;
    r->want = (const char *const *)s->names;
    r->stream = 1;
    r->err = err;
    /* The header is read here, so that an unknown column fails the open. */
    rc = csv_input_open(r, &s->in);
    while (rc == 0 && !r->have_header && !s->in.done)
        rc = csv_input_chunk(r, &s->in);
done:
    if (rc) {
        csv_stream_close(&s);
        return rc;
    }
    r->err = NULL;
    *out = s;
    return 0;
}

int csv_stream_next(CsvStream *s, size_t max, double *cols, size_t *nrows, Err *err)
{
    CsvReader *r = &s->r;
    *nrows = 0;
    if (max == 0)
        return err_set(err, E_STATE, "%.256s: csv_stream_next asked for 0 rows", r->path);
    if (r->code)
        return err_set(err, r->code, "%.256s: reading stopped at an earlier error", r->path);
    r->err = err;
    while (r->nrows - s->pos < max && !s->in.done) {
        if (s->pos > 0) {
            /* Drop the rows handed out. A record that libcsv has half
             * emitted (it spans two chunks) sits at index nrows: keep it. */
            size_t keep = r->nrows - s->pos + (r->field > 0 && r->nrows < r->cap);
            for (int c = 0; c < r->nwant; c++)
                if (r->sel[r->src[c]] == c)
                    memmove(r->cols + (size_t)c * r->cap, r->cols + (size_t)c * r->cap + s->pos,
                            keep * sizeof *r->cols);
            r->rows_done += s->pos;
            r->nrows -= s->pos;
            s->pos = 0;
        }
        if (csv_input_chunk(r, &s->in)) {
            r->err = NULL;
            return r->code;
        }
    }
    r->err = NULL;
    size_t n = r->nrows - s->pos < max ? r->nrows - s->pos : max;
    for (int c = 0; c < r->nwant && n > 0; c++) {
        int c0 = r->sel[r->src[c]]; /* a name requested twice is read once */
        memcpy(cols + (size_t)c * max, r->cols + (size_t)c0 * r->cap + s->pos, n * sizeof *cols);
    }
    s->pos += n;
    *nrows = n;
    return 0;
}

void csv_stream_missing(const CsvStream *s, size_t *missing)
{
    const CsvReader *r = &s->r;
    for (int c = 0; c < r->nwant; c++)
        missing[c] = r->missing[r->sel[r->src[c]]];
}

const Levels *csv_stream_levels(const CsvStream *s, int c)
{
    const CsvReader *r = &s->r;
    if (!r->tc || c < 0 || c >= r->nwant || s->opt.text[c] != CSV_COL_TEXT)
        return NULL;
    return &r->tc[r->sel[r->src[c]]].lv;
}
