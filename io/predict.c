/* predict: model features in, the input rows plus a prediction out (see
 * predict.h). Owns the column mapping, the range check and the output
 * file (the command line is io/cmd/cmd_predict.c's). Rows stream
 * through: one record is read, predicted and written at a time. */
#include "predict.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "colname.h"
#include "config.h"
#include "csvread.h"
#include "csvrows.h"
#include "h5guard.h"
#include "infer.h"
#include "loader.h"
#include "model.h"

/* An input is "far outside" the training data: beyond this many sd of the
 * training mean (zscore), or outside [min - range, max + range] (minmax). */
#define FAR_SD 5.0

typedef struct Pred {
    const char *path;        /* the input, for messages */
    const Model *m;
    Infer inf;
    FILE *out;
    const char *out_path;    /* where out writes, for messages */
    char delim;
    int term;                /* out is a terminal: cells from the input are escaped (term_write) */
    int ncols;               /* cells per record (the header's count) */
    const Config *c;         /* the model's config */
    int *col;                /* owned, (nfeat): input column of each feature */
    int *off;                /* owned, (nfeat): each feature's first network input */
    double *x;               /* owned, (model_inputs): the row's normalised inputs */
    EncUnknown *unk;         /* owned, (nfeat): levels the model does not know */
    char out_name[300];      /* predicted_<target> */
    size_t rows;
    size_t *far;             /* owned, (nfeat): rows far outside, per feature */
    size_t *far_line;        /* owned, (nfeat): the first such row's line */
} Pred;

/* Header: find each feature; the output gets one more column. */
static int on_header(Pred *p, size_t line, int ncells, char *const *cells, const size_t *lens, Err *err)
{
    const Model *m = p->m;
    p->ncols = ncells;
    for (int f = 0; f < m->nfeat; f++) {
        p->col[f] = -1;
        for (int c = 0; c < ncells; c++) {
            const char *s = cells[c], *e = s + lens[c];
            csv_trim(&s, &e);
            if ((size_t)(e - s) != strlen(m->feat_names[f]) || memcmp(s, m->feat_names[f], (size_t)(e - s)))
                continue;
            if (p->col[f] >= 0) /* which one the model should read, only the file's author knows */
                return err_set(err, E_PARSE, "%.256s:%zu: column \"%.60s\" appears twice in the header (columns %d "
                               "and %d); rename one of them", p->path, line, m->feat_names[f], p->col[f] + 1, c + 1);
            p->col[f] = c;
        }
        if (p->col[f] < 0) {
            const char *const *head = (const char *const *)cells;
            int best = colname_closest(m->feat_names[f], head, ncells);
            char hint[128] = "";
            if (best >= 0)
                snprintf(hint, sizeof hint, " (did you mean \"%.60s\"?)", cells[best]);
            return err_set(err, E_PARSE, "%.256s:%zu: no column \"%.60s\"%s, which the model reads; its features "
                                         "are %s%s%s (a header row names the columns)%s",
                           p->path, line, m->feat_names[f], hint, m->feat_names[0], m->nfeat > 1 ? ", " : "",
                           m->nfeat > 1 ? m->feat_names[1] : "", csv_delim_hint(head, ncells, p->delim));
        }
    }
    for (int c = 0; c < ncells; c++)
        if (!strcmp(cells[c], p->out_name))
            return err_set(err, E_PARSE, "%.256s:%zu:%d: the input already has a column \"%s\"; rename or drop it",
                           p->path, line, c + 1, p->out_name);
    for (int c = 0; c < ncells; c++) {
        csv_write_cell(p->out, cells[c], lens[c], p->delim, p->term);
        fputc(p->delim, p->out);
    }
    csv_write_cell(p->out, p->out_name, strlen(p->out_name), p->delim, p->term);
    fputc('\n', p->out);
    return 0;
}

/* Whether the NUL-terminated t is s[0..n). */
static int same_text(const char *t, const char *s, size_t n)
{
    return strlen(t) == n && !memcmp(t, s, n);
}

/* Whether the trimmed cell s[0..n) is missing: empty, or one of the
 * model's [data] na_values. */
static int missing_cell(const Pred *p, const char *s, size_t n)
{
    int missing = n == 0;
    for (int i = 0; i < p->c->nna && !missing; i++)
        missing = same_text(p->c->na_list[i], s, n);
    return missing;
}

/* A categorical feature's cell: its one-hot inputs in p->x. A level the
 * model does not know (or a missing cell without a "missing" input) is all
 * zeros and counted, or an error under [data] unknown_category = error. */
static int cat_cell(Pred *p, int f, size_t record, size_t line, const char *cell, size_t len, Err *err)
{
    const Vocab *v = &p->m->enc.v[f];
    double *x = p->x + p->off[f];
    const char *s = cell, *e = cell + len;
    csv_trim(&s, &e);
    size_t n = (size_t)(e - s);
    char text[40];
    int missing = missing_cell(p, s, n), k = -1;
    snprintf(text, sizeof text, "%.*s", missing ? 9 : (int)(n < sizeof text ? n : sizeof text - 1),
             missing ? "(missing)" : s);
    for (int i = 0; i < enc_feat_width(v); i++)
        x[i] = 0.0;
    if (missing) {
        k = v->missing ? v->nlevels + v->other : -1;
    } else {
        for (int i = 0; i < v->nlevels && k < 0; i++)
            k = same_text(v->levels[i], s, n) ? i : -1;
        for (int i = 0; i < v->nrare && k < 0 && v->other; i++)
            k = same_text(v->rare[i], s, n) ? v->nlevels : -1;
    }
    if (k >= 0) {
        x[k] = 1.0;
        return 0;
    }
    if (p->c->unknown_category == UNKNOWN_ERROR) {
        char shown[COLNAME_SHOW * 4 + 8];
        term_escape(shown, sizeof shown, text);
        return err_set(err, E_DATA, "%.256s:%zu:%d: column \"%.60s\": level \"%s\" is not one the model was "
                       "trained on ([data] unknown_category = error); fix the value, or train with "
                       "[data] unknown_category = zeros to encode such levels as all zeros", p->path, line, p->col[f] + 1,
                       p->m->feat_names[f], shown);
    }
    enc_note_unknown(&p->unk[f], record - 1, text);
    return 0;
}

static int on_row(void *ctx, size_t record, size_t line, int ncells, char *const *cells, const size_t *lens,
                  Err *err)
{
    Pred *p = ctx;
    const Model *m = p->m;
    if (record == 0)
        return on_header(p, line, ncells, cells, lens, err);
    if (ncells != p->ncols)
        return err_set(err, E_PARSE, "%.256s:%zu: row has %d field%s, the header has %d; a value that holds the "
                                     "delimiter must be quoted", p->path, line, ncells, ncells == 1 ? "" : "s",
                       p->ncols);
    const Norm *nm = &m->norm;
    for (int f = 0; f < m->nfeat; f++) {
        int c = p->col[f], i = p->off[f];
        double v;
        if (enc_is_cat(&m->enc, f)) {
            if (cat_cell(p, f, record, line, cells[c], lens[c], err))
                return err->code;
            continue;
        }
        int rc = csv_parse_number(cells[c], lens[c], &v);
        if (rc == CSV_NUM_NOMEM)
            return err_set(err, E_NOMEM, "%.256s:%zu:%d: out of memory for a cell of %zu bytes",
                           p->path, line, c + 1, lens[c]);
        if (rc) {
            const char *s = cells[c], *e = s + lens[c];
            csv_trim(&s, &e);
            /* [data] missing drops or fills training rows; a prediction needs the value */
            if (missing_cell(p, s, (size_t)(e - s)))
                return err_set(err, E_PARSE, "%.256s:%zu:%d: column \"%.60s\": missing value; the model needs "
                               "every feature of a row to predict it: fill the cell, or drop the row", p->path, line,
                               c + 1, m->feat_names[f]);
            char hint[256];
            colname_space_hint(hint, sizeof hint, cells[c], lens[c], p->path);
            return err_set(err, E_PARSE, "%.256s:%zu:%d: column \"%.60s\": %s \"%.32s\"%s", p->path, line, c + 1,
                           m->feat_names[f], rc == CSV_NUM_RANGE ? "number out of range:" : "expected a number, got",
                           cells[c], hint);
        }
        if (nm->x_log[i] && transform_forward(TRANSFORM_LOG1P, v, &v))
            return err_set(err, E_PARSE, "%.256s:%zu:%d: column \"%.60s\": %g is outside the domain of log1p (the "
                           "model's [data] log_features needs values above -1)", p->path, line, c + 1,
                           m->feat_names[f], v);
        double z = (v - nm->x_shift[i]) / nm->x_scale[i];
        int far = nm->kind == NORM_ZSCORE ? fabs(z) > FAR_SD : nm->kind == NORM_MINMAX ? z < -1.0 || z > 2.0 : 0;
        if (far && p->far[f]++ == 0)
            p->far_line[f] = line;
        p->x[i] = z;
    }
    double h;
    infer_rows(&p->inf, p->x, 1, &h);
    for (int c = 0; c < ncells; c++) {
        csv_write_cell(p->out, cells[c], lens[c], p->delim, p->term);
        fputc(p->delim, p->out);
    }
    fprintf(p->out, "%.10g\n", norm_target_back(nm, h));
    p->rows++;
    if (ferror(p->out)) {
        int e = errno;
        return err_set(err, E_IO, "%s: cannot write the predictions: %s", p->out_path, strerror(e ? e : EIO));
    }
    return 0;
}

/* One warning line per column with inputs far outside the training data. */
static void warn_far(const Pred *p, FILE *msg)
{
    const Norm *nm = &p->m->norm;
    for (int f = 0; f < p->m->nfeat && msg; f++) {
        if (!p->far[f])
            continue;
        int i = p->off[f];
        if (nm->kind == NORM_ZSCORE)
            term_line(msg, "housenet: warning: %s: column \"%s\": %zu of %zu rows are more than %g sd from the "
                      "training mean (%g, sd %g), first at line %zu; their predictions are extrapolations",
                    p->path, p->m->feat_names[f], p->far[f], p->rows, FAR_SD, nm->x_shift[i], nm->x_scale[i],
                    p->far_line[f]);
        else
            term_line(msg, "housenet: warning: %s: column \"%s\": %zu of %zu rows are outside [min - range, max "
                      "+ range] = [%g, %g] of the training data, first at line %zu; their predictions are "
                      "extrapolations",
                    p->path, p->m->feat_names[f], p->far[f], p->rows, nm->x_shift[i] - nm->x_scale[i],
                    nm->x_shift[i] + 2 * nm->x_scale[i], p->far_line[f]);
    }
}

int predict_run(const char *model_path, const char *in_path, const char *out_path, char delim, FILE *out,
                FILE *msg, Err *err)
{
    Model m = { 0 };
    Config *c = cfg_new();
    Pred p = { .path = in_path, .m = &m, .out = out, .out_path = "standard output", .delim = delim };
    AtomicOut o;
    memset(&o, 0, sizeof o);
    int rc = c ? h5guard_model(model_path, err) : err_set(err, E_NOMEM, "out of memory");
    if (!rc)
        rc = loader_open_model(model_path, &m, c, err);
    if (rc)
        goto done;
    p.delim = delim;
    snprintf(p.out_name, sizeof p.out_name, "predicted_%s", m.target_name);
    p.c = c;
    p.col = calloc((size_t)m.nfeat, sizeof *p.col);
    p.off = calloc((size_t)m.nfeat, sizeof *p.off);
    p.unk = calloc((size_t)m.nfeat, sizeof *p.unk);
    p.x = calloc((size_t)model_inputs(&m), sizeof *p.x);
    p.far = calloc((size_t)m.nfeat, sizeof *p.far);
    p.far_line = calloc((size_t)m.nfeat, sizeof *p.far_line);
    for (int f = 0; p.off && f < m.nfeat; f++)
        p.off[f] = enc_offset(&m.enc, f);
    if (!p.col || !p.off || !p.unk || !p.x || !p.far || !p.far_line) {
        rc = err_set(err, E_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = infer_init(&p.inf, &m.net, err)))
        goto done;
    if (out_path) {
        if ((rc = atomic_out_open(&o, out_path, OUT_CSV, in_path, err)))
            goto done;
        p.out = o.f;
        p.out_path = o.path;
    }
    /* On a terminal the rows are for reading, not data: nothing from the
     * input may act on it. In a file or a pipe they are the input's bytes. */
    p.term = isatty(fileno(p.out));
    rc = csv_rows_read(in_path, p.delim, on_row, &p, err);
    if (out_path) {
        p.out = NULL;
        if (!rc)
            rc = atomic_out_commit(&o, err);
        atomic_out_abort(&o);
    } else if (fflush(out) != 0 && !rc) {
        int e = errno;
        rc = err_set(err, E_IO, "%s: cannot write the predictions: %s", p.out_path, strerror(e ? e : EIO));
    }
    if (!rc)
        warn_far(&p, msg);
    if (!rc)
        rc = loader_report_unknown(c, p.unk, in_path, p.delim, msg, 0, err);
done:
    infer_free(&p.inf);
    free(p.col);
    free(p.off);
    free(p.unk);
    free(p.x);
    free(p.far);
    free(p.far_line);
    cfg_delete(c);
    model_free(&m);
    return rc;
}
