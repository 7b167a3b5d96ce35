/* loader: config -> normalised splits (see loader.h).
 * Two stages: load_rows reads the file and applies the missing-value
 * policy to whole rows (the same for training and for evaluation), then
 * build_sets cuts the rows by a partition, fills means from the training
 * rows and normalises. loader_load draws the partition from the seed. */
#include "loader.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "colname.h"
#include "csvread.h"
#include "csvrows.h"
#include "h5guard.h"
#include "h5model.h"
#include "h5table.h"
#include "rng.h"

static const char *const MISSING_NAMES[] = { "error", "drop", "mean" };

void splits_free(Splits *s)
{
    if (!s)
        return;
    data_free(&s->train);
    data_free(&s->val);
    data_free(&s->test);
    norm_free(&s->norm);
    data_record_free(&s->record);
    for (int f = 0; f < s->nlv && s->lv; f++)
        if (s->lv[f]) {
            levels_free(s->lv[f]);
            free(s->lv[f]);
        }
    free(s->lv);
    enc_free(&s->enc);
    for (int i = 0; i < s->ninputs && s->input_names; i++)
        free(s->input_names[i]);
    free(s->input_names);
    free(s->unknown);
    memset(s, 0, sizeof *s);
}

/* The texts of t's text columns after the codes, so that the same codes
 * with other texts differ; a table without text hashes as before. */
static uint64_t fingerprint_text(uint64_t h, const Table *t)
{
    for (int c = 0; c < t->ncols && t->text; c++)
        for (int code = 0; t->text[c] && code < t->text[c]->n; code++)
            h = rng_fnv1a(h, t->text[c]->names[code], t->text[c]->len[code] + 1);
    return h;
}

uint64_t loader_fingerprint(const Table *t)
{
    size_t n = t->nrows * (size_t)t->ncols;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return fingerprint_text(rng_fnv1a(RNG_FNV_INIT, t->cols, n * sizeof(double)), t);
#else
    uint64_t h = RNG_FNV_INIT;
    for (size_t i = 0; i < n; i++) {
        uint64_t b;
        unsigned char le[8];
        memcpy(&b, &t->cols[i], sizeof b);
        for (int k = 0; k < 8; k++)
            le[k] = (unsigned char)(b >> (8 * k));
        h = rng_fnv1a(h, le, sizeof le);
    }
    return fingerprint_text(h, t);
#endif
}

size_t loader_drop_missing(Dataset *d, size_t *rowid, int all_cols)
{
    unsigned char *keep = malloc(d->n ? d->n : 1);
    if (!keep)
        return (size_t)-1;
    size_t nin = (size_t)d->nin;
    for (size_t r = 0; r < d->n; r++) {
        const double *x = d->x + r * nin;
        int bad = isnan(d->y[r]);
        for (size_t f = 0; f < nin && all_cols && !bad; f++)
            bad = isnan(x[f]);
        keep[r] = !bad;
    }
    size_t gone = data_keep_rows(d, rowid, keep);
    free(keep);
    return gone;
}

int loader_columns(const Config *c, const char **names)
{
    int n = 0;
    for (int f = 0; f < c->nfeat; f++)
        names[n++] = c->feature_names[f];
    names[n++] = c->target;
    for (int i = 0; i < c->nfilter; i++) {
        const char *col = c->filter_cond[i].column;
        int seen = cfg_column(c, col) >= 0;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(c->filter_cond[j].column, col) == 0;
        if (!seen)
            names[n++] = col;
    }
    return n;
}

int loader_filter(const Config *c, const Table *t, Dataset *d, size_t *rowid, size_t *gone, const char *path,
                  Err *err)
{
    *gone = 0;
    if (c->nfilter == 0)
        return 0;
    unsigned char *keep = malloc(d->n ? d->n : 1);
    if (!keep)
        return err_set(err, E_NOMEM, "%s: out of memory", path);
    memset(keep, 1, d->n);
    for (int i = 0; i < c->nfilter; i++) {
        int col = table_find(t, c->filter_cond[i].column);
        if (col < 0) {
            free(keep);
            return err_set(err, E_STATE, "%s: [data] filter column \"%.60s\" was not read", path,
                           c->filter_cond[i].column);
        }
        if (table_text(t, col)) {
            free(keep);
            return err_set(err, E_CONFIG, "%s: [data] filter: column \"%.60s\" holds text, and a filter compares "
                           "numbers; remove the condition", path, c->filter_cond[i].column);
        }
        const double *v = table_col(t, col);
        for (size_t r = 0; r < d->n; r++)
            keep[r] &= (unsigned char)cmp_holds(c->filter_cond[i].op, v[r], c->filter_cond[i].value);
    }
    *gone = data_keep_rows(d, rowid, keep);
    free(keep);
    return 0;
}

void loader_norm_transforms(const Config *c, const Encoding *enc, Norm *nm)
{
    nm->y_transform = (TargetTransform)c->target_transform;
    for (int f = 0; f < nm->nin && nm->x_log; f++)
        nm->x_log[f] = 0;
    for (int i = 0; i < c->nlog && nm->x_log; i++) {
        int f = cfg_column(c, c->log_names[i]);
        if (f >= 0 && f < c->nfeat && enc_offset(enc, f) < nm->nin)
            nm->x_log[enc_offset(enc, f)] = 1;
    }
}

/* Where data row `row` (0-based) and column `name` of a CSV file are:
 * the physical line of the record and the field's position. */
typedef struct RowLocate {
    size_t row, line;
    const char *name;
    int col;
} RowLocate;

static int locate_row(void *ctx, size_t record, size_t line, int ncells, char *const *cells, const size_t *lens,
                      Err *err)
{
    RowLocate *l = ctx;
    (void)lens;
    if (ncells == 0)
        return 0;
    if (record == 0) {
        for (int i = 0; i < ncells && !l->col; i++) {
            const char *p = cells[i], *e = p + strlen(p);
            csv_trim(&p, &e);
            if ((size_t)(e - p) == strlen(l->name) && !memcmp(p, l->name, (size_t)(e - p)))
                l->col = i + 1;
        }
        return 0;
    }
    if (record - 1 < l->row)
        return 0;
    l->line = line;
    return err_set(err, E_STATE, "found"); /* stops the reader */
}

/* "path:line:col" of data row `row`, column name: the physical position
 * in a CSV file, or "path: row N" for an HDF5 table. */
static void where_cell(const char *path, char delim, size_t row, const char *name, char *buf, size_t cap)
{
    RowLocate l = { .row = row, .name = name };
    Err e = { 0 };
    if (!h5_table_path_is_hdf5(path)) {
        csv_rows_read(path, delim, locate_row, &l, &e);
        if (l.line && l.col) {
            snprintf(buf, cap, "%s:%zu:%d", path, l.line, l.col);
            return;
        }
    }
    snprintf(buf, cap, "%s: data row %zu", path, row + 1);
}

int loader_transform(const Config *c, Dataset *d, const size_t *rowid, const char *path, char delim, Err *err)
{
    unsigned char logf[CFG_MAX_FEATURES] = { 0 };
    for (int i = 0; i < c->nlog; i++) {
        int f = cfg_column(c, c->log_names[i]);
        if (f >= 0 && f < d->nin)
            logf[f] = 1;
    }
    size_t nin = (size_t)d->nin;
    for (size_t r = 0; r < d->n; r++) {
        int bad = -1;
        double *x = d->x + r * nin;
        for (size_t f = 0; f < nin && bad < 0; f++)
            if (logf[f] && transform_forward(TRANSFORM_LOG1P, x[f], &x[f]))
                bad = (int)f;
        if (bad < 0 && !transform_forward((TargetTransform)c->target_transform, d->y[r], &d->y[r]))
            continue;
        char where[CFG_PATH_MAX + 64];
        const char *name = bad >= 0 ? c->feature_names[bad] : c->target;
        double v = bad >= 0 ? x[bad] : d->y[r];
        where_cell(path, delim, rowid ? rowid[r] : r, name, where, sizeof where);
        if (bad >= 0)
            return err_set(err, E_DATA, "%s: column \"%.60s\": %g is outside the domain of log1p ([data] "
                           "log_features needs values above -1); remove the column from log_features, or leave "
                           "the row out with [data] filter = %.60s > -1", where, name, v, name);
        return err_set(err, E_DATA, "%s: column \"%.60s\": %g is outside the domain of %s ([data] "
                       "target_transform = %s needs values above %s); leave such rows out with [data] filter = "
                       "%.60s > %s%s", where, name, v, transform_name((TargetTransform)c->target_transform),
                       transform_name((TargetTransform)c->target_transform),
                       c->target_transform == TRANSFORM_LOG ? "0" : "-1", name,
                       c->target_transform == TRANSFORM_LOG ? "0" : "-1",
                       c->target_transform == TRANSFORM_LOG && v == 0.0 ? ", or use log1p" : "");
    }
    return 0;
}

/* Fills NaN features of d with means[]; returns the number filled. */
static size_t fill_means(Dataset *d, const double *means)
{
    size_t filled = 0, nin = (size_t)d->nin;
    for (size_t r = 0; r < d->n; r++)
        for (size_t f = 0; f < nin; f++)
            if (isnan(d->x[r * nin + f])) {
                d->x[r * nin + f] = means[f];
                filled++;
            }
    return filled;
}

/* The columns c reads into names, how each is read into mode (both
 * CFG_MAX_FEATURES + 1 + CFG_MAX_FILTERS long); returns their count. A
 * feature is text when m (may be NULL) encodes it, or when c lists it in
 * [data] categorical; without m, a feature whose every cell is text is
 * text too (CSV_COL_AUTO). */
static int read_columns(const Config *c, const Model *m, const char **names, unsigned char *mode)
{
    memset(mode, 0, CFG_MAX_FEATURES + 1 + CFG_MAX_FILTERS);
    for (int f = 0; f < c->nfeat; f++) {
        mode[f] = m ? (enc_is_cat(&m->enc, f) ? CSV_COL_TEXT : CSV_COL_NUMBER)
                    : cfg_is_categorical(c, f) ? CSV_COL_TEXT : CSV_COL_AUTO;
    }
    return loader_columns(c, names);
}

/* The columns c reads (read_columns) of the CSV or HDF5 file path. */
static int read_table(const Config *c, const Model *m, const char *path, char delim, const ReadFix *fix,
                      Table *t, Err *err)
{
    const char *names[CFG_MAX_FEATURES + 1 + CFG_MAX_FILTERS];
    unsigned char mode[CFG_MAX_FEATURES + 1 + CFG_MAX_FILTERS];
    int n = read_columns(c, m, names, mode);
    int allow = c->missing != MISSING_ERROR;
    if (h5_table_path_is_hdf5(path))
        return h5_table_read_typed(path, c->data_table, names, n, allow, mode, fix, t, err);
    const char *na[CSV_NA_MAX];
    for (int i = 0; i < c->nna; i++)
        na[i] = c->na_list[i];
    CsvOptions opt = { .delimiter = delim, .na_values = na, .n_na_values = c->nna, .allow_missing = allow,
                       .text = mode, .fix = fix };
    return csv_read_columns(path, names, n, &opt, t, err);
}

/* What loader_guard_table's child reads. */
typedef struct GuardRead {
    const Config *c;
    const Model *m;
} GuardRead;

/* The table's metadata, as read_table (and stream_load's h5_stream_open)
 * meets it before the values. */
static int probe_table(const char *path, void *ctx, Err *err)
{
    const GuardRead *g = ctx;
    const char *names[CFG_MAX_FEATURES + 1 + CFG_MAX_FILTERS];
    unsigned char mode[CFG_MAX_FEATURES + 1 + CFG_MAX_FILTERS];
    int n = read_columns(g->c, g->m, names, mode);
    return h5_table_check_typed(path, g->c->data_table, names, n, mode, err);
}

int loader_check_data_path(const Config *c, Err *err)
{
    static const char *const DATA[] = { ".csv", ".tsv", ".txt", ".h5", ".hdf5" };
    const char *p = c->data_path;
    struct stat st;
    int e = stat(p, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : access(p, R_OK) != 0 ? errno : 0;
    if (!e)
        return 0;
    char w[CFG_PATH_MAX + 48], hint[CFG_PATH_MAX + 80] = "";
    cfg_where_key(c, "data", "path", w, sizeof w);
    int set = !strncmp(w, "--set", 5);
    if (!set) /* "ames.ini:3: [data] path", or "--set data.path" */
        snprintf(w + strlen(w), sizeof w - strlen(w), ": [data] path");
    if (e == ENOENT) {
        if (!strcmp(p, "-")) /* predict's name for standard input */
            snprintf(hint, sizeof hint, " (standard input is /dev/stdin here)");
        else
            cfg_missing_hint(p, DATA, (int)(sizeof DATA / sizeof DATA[0]), hint, sizeof hint);
        return err_set(err, E_CONFIG, "%s: %.1024s: no such file%s; set it to the CSV or HDF5 file to train on (a "
                       "relative path is taken from %s)", w, p, hint,
                       set ? "the current directory" : "the config file's directory");
    }
    if (e == EISDIR)
        return err_set(err, E_CONFIG, "%s: %.1024s is a directory; set it to a CSV or HDF5 file in it", w, p);
    return err_set(err, E_CONFIG, "%s: %.1024s cannot be read: %s; make it readable (chmod) or set it to a copy",
                   w, p, strerror(e));
}

int loader_guard_table(const Config *c, const Model *m, const char *path, Err *err)
{
    GuardRead g = { .c = c, .m = m };
    if (!h5_table_path_is_hdf5(path))
        return 0;
    return h5guard_check(path, H5GUARD_TABLE, probe_table, &g, err);
}

/* Moves the levels of t's text features to *lv (NULL when there is none)
 * and checks what a text feature cannot be: under [data] log_features. */
static int take_levels(const Config *c, Table *t, const char *path, Levels ***lv, Err *err)
{
    *lv = NULL;
    if (!t->text)
        return 0;
    for (int i = 0; i < c->nlog; i++) {
        int f = cfg_column(c, c->log_names[i]);
        if (f >= 0 && f < c->nfeat && t->text[f])
            return err_set(err, E_CONFIG, "%s: column \"%.60s\" holds text, so it is one-hot encoded and cannot "
                           "take a log; remove it from [data] log_features", path, c->feature_names[f]);
    }
    if (!(*lv = calloc((size_t)c->nfeat, sizeof **lv)))
        return err_set(err, E_NOMEM, "%s: out of memory", path);
    for (int f = 0; f < c->nfeat; f++) {
        (*lv)[f] = t->text[f];
        t->text[f] = NULL;
    }
    return 0;
}

/* Reads the file into *all (every row that the filter and the missing
 * policy keep) and *rowid (each row's data row in the file; the caller
 * frees it); sets rows_read, the missing counts, the fingerprint,
 * rows_filtered and rows_dropped. */
static int load_rows(const Config *c, const Model *m, Splits *s, Dataset *all, size_t **rowid, Err *err)
{
    Table t = { 0 };
    const char *names[CFG_MAX_FEATURES + 1 + CFG_MAX_FILTERS];
    int rc;
    *rowid = NULL;
    loader_columns(c, names);
    if ((rc = read_table(c, m, c->data_path, c->delimiter[0], NULL, &t, err)))
        goto done;
    s->rows_read = t.nrows;
    for (int k = 0; k <= c->nfeat; k++)
        s->missing[k] = t.missing ? t.missing[k] : 0;
    s->fingerprint = loader_fingerprint(&t);
    if ((rc = data_from_table(&t, names, c->nfeat, c->target, all, err))) {
        err_prefix(err, "%s: ", c->data_path);
        goto done;
    }
    if (!(*rowid = malloc((t.nrows ? t.nrows : 1) * sizeof **rowid))) {
        rc = err_set(err, E_NOMEM, "%s: out of memory for %zu rows", c->data_path, t.nrows);
        goto done;
    }
    for (size_t r = 0; r < t.nrows; r++)
        (*rowid)[r] = r;
    if ((rc = loader_filter(c, &t, all, *rowid, &s->rows_filtered, c->data_path, err)))
        goto done;
    if ((rc = take_levels(c, &t, c->data_path, &s->lv, err)))
        goto done;
    s->nlv = s->lv ? c->nfeat : 0; /* splits_free frees them, whatever fails from here on */
    /* drop: any missing cell removes the row; mean: only a missing target does. */
    s->rows_dropped = loader_drop_missing(all, *rowid, c->missing == MISSING_DROP);
    if (s->rows_dropped == (size_t)-1) {
        rc = err_set(err, E_NOMEM, "%s: out of memory for %zu rows", c->data_path, t.nrows);
        goto done;
    }
    if ((rc = loader_transform(c, all, *rowid, c->data_path, c->delimiter[0], err)))
        goto done;
    /* One row is enough only without a split (the worked example). */
    size_t need = c->validation_fraction > 0 || c->test_fraction > 0 ? 2 : 1;
    if (all->n < need) {
        char why[128] = "", f[48] = "", d[48] = "";
        if (s->rows_filtered)
            snprintf(f, sizeof f, "%zu left out by [data] filter", s->rows_filtered);
        if (s->rows_dropped)
            snprintf(d, sizeof d, "%zu dropped for missing values", s->rows_dropped);
        if (f[0] || d[0])
            snprintf(why, sizeof why, " (%s%s%s)", f, f[0] && d[0] ? ", " : "", d);
        rc = err_set(err, E_DATA, "%s: %zu usable rows (of %zu read); at least %zu are needed%s", c->data_path,
                     all->n, s->rows_read, need, why);
    }
done:
    table_free(&t);
    if (rc) {
        data_free(all);
        free(*rowid);
        *rowid = NULL;
    }
    return rc;
}

static int copy_norm(Norm *dst, const Norm *src, Err *err)
{
    int rc = norm_alloc(dst, src->nin, err);
    if (rc)
        return rc;
    dst->kind = src->kind;
    dst->target_kind = src->target_kind;
    memcpy(dst->x_shift, src->x_shift, (size_t)src->nin * sizeof(double));
    memcpy(dst->x_scale, src->x_scale, (size_t)src->nin * sizeof(double));
    dst->y_shift = src->y_shift;
    dst->y_scale = src->y_scale;
    dst->y_transform = src->y_transform;
    if (src->x_log)
        memcpy(dst->x_log, src->x_log, (size_t)src->nin);
    return 0;
}

/* Adds the counts of u (rows of the part `which` of all) to s->unknown,
 * first_row becoming a data row of the file (rowid). */
static void merge_unknown(Splits *s, const EncUnknown *u, const unsigned char *part, int which, const size_t *rowid,
                          size_t n)
{
    for (int f = 0; f < s->enc.nfeat; f++) {
        if (!u[f].count)
            continue;
        size_t row = 0;
        for (size_t r = 0, j = 0; r < n; r++)
            if (part[r] == which && j++ == u[f].first_row) {
                row = rowid[r];
                break;
            }
        EncUnknown *to = &s->unknown[f];
        if (!to->count || row < to->first_row)
            to->first_row = row;
        to->count += u[f].count;
        for (int i = 0; i < u[f].nshow && to->nshow < ENC_SHOW; i++) {
            int seen = 0;
            for (int k = 0; k < to->nshow; k++)
                seen |= !strcmp(to->show[k], u[f].show[i]);
            if (!seen)
                memcpy(to->show[to->nshow++], u[f].show[i], sizeof to->show[0]);
        }
    }
}

/* Cuts all by part[] into s->train/val/test and encodes categorical
 * features as one-hot inputs (vocabularies fitted on the training rows,
 * or m's): s->enc, s->ninputs, s->input_names and s->unknown. */
static int encode_sets(const Config *c, const Dataset *all, const unsigned char *part, const size_t *rowid,
                       const Model *m, Splits *s, Err *err)
{
    Dataset raw[3] = { { 0 } };
    Dataset *out[3] = { &s->train, &s->val, &s->test };
    EncUnknown *u = NULL;
    const char *names[CFG_MAX_FEATURES];
    int rc = 0, any = 0;
    for (int f = 0; f < c->nfeat; f++) {
        names[f] = c->feature_names[f];
        any |= s->lv && s->lv[f];
    }
    s->enc.nfeat = c->nfeat;
    if (!any)
        rc = data_split_by_parts(all, part, out[0], out[1], out[2], err);
    else if (!(rc = data_split_by_parts(all, part, &raw[0], &raw[1], &raw[2], err)))
        rc = m ? enc_copy(&s->enc, &m->enc, err)
               : enc_fit(&s->enc, c->nfeat, (const Levels *const *)s->lv, &raw[0], c->min_category_count,
                         c->missing == MISSING_MEAN, names, err);
    if (!rc && any && (!(s->unknown = calloc((size_t)c->nfeat, sizeof *s->unknown)) ||
                       !(u = calloc((size_t)c->nfeat, sizeof *u))))
        rc = err_set(err, E_NOMEM, "out of memory");
    for (int k = 0; k < 3 && any && !rc; k++) {
        memset(u, 0, (size_t)c->nfeat * sizeof *u);
        rc = enc_apply(&s->enc, (const Levels *const *)s->lv, &raw[k], out[k], u, err);
        if (!rc && k != DATA_PART_TRAIN)
            merge_unknown(s, u, part, k, rowid, all->n);
    }
    if (!rc && !(rc = enc_input_names_new(&s->enc, names, &s->input_names, err)))
        s->ninputs = enc_width(&s->enc);
    for (int k = 0; k < 3; k++)
        data_free(&raw[k]);
    free(u);
    if (rc)
        err_prefix(err, "%s: ", c->data_path);
    return rc;
}

/* Fills the NaN inputs of the sets with the training rows' means
 * (missing = mean; one-hot inputs hold no NaN). */
static int fill_missing(const Config *c, Splits *s, Err *err)
{
    int nin = s->ninputs, rc = 0;
    double *means = calloc((size_t)(nin ? nin : 1), sizeof(double));
    if (!means)
        return err_set(err, E_NOMEM, "%s: out of memory", c->data_path);
    for (int f = 0; f < nin && !rc; f++) {
        double sum = 0.0;
        size_t n = 0;
        for (size_t r = 0; r < s->train.n; r++) {
            double v = s->train.x[r * (size_t)nin + (size_t)f];
            if (!isnan(v)) {
                sum += v;
                n++;
            }
        }
        if (n == 0)
            rc = err_set(err, E_DATA, "%s: column \"%.60s\" has no value in the training rows; drop the column",
                         c->data_path, s->input_names[f]);
        else
            means[f] = sum / (double)n;
    }
    if (!rc)
        s->cells_filled = fill_means(&s->train, means) + fill_means(&s->val, means) + fill_means(&s->test, means);
    free(means);
    return rc;
}

/* Cuts all by part[] into s->train/val/test (encode_sets), fills missing
 * features with the training rows' means (missing = mean), then
 * normalises with statistics fitted on the training rows, or with m's. */
static int build_sets(const Config *c, const Dataset *all, const unsigned char *part, const size_t *rowid,
                      const Model *m, Splits *s, Err *err)
{
    unsigned char *fixed = NULL;
    int rc;
    if ((rc = encode_sets(c, all, part, rowid, m, s, err)))
        return rc;
    if (c->missing == MISSING_MEAN && (rc = fill_missing(c, s, err)))
        return rc;
    if (m) {
        rc = m->norm.nin == s->ninputs ? copy_norm(&s->norm, &m->norm, err)
                                       : err_set(err, E_STATE, "the model has %d inputs, the data make %d",
                                                 m->norm.nin, s->ninputs);
    } else if (!(fixed = calloc((size_t)(s->ninputs ? s->ninputs : 1), 1))) {
        rc = err_set(err, E_NOMEM, "out of memory");
    } else {
        NormKind tk = c->normalize_target == NORM_SAME ? (NormKind)c->normalize : (NormKind)c->normalize_target;
        enc_fixed_mask(&s->enc, fixed);
        rc = norm_fit(&s->norm, (NormKind)c->normalize, tk, &s->train, fixed, (const char *const *)s->input_names,
                      c->target, err);
    }
    free(fixed);
    if (rc)
        return err_prefix(err, "%s: ", c->data_path);
    loader_norm_transforms(c, &s->enc, &s->norm);
    norm_apply(&s->norm, &s->train);
    norm_apply(&s->norm, &s->val);
    norm_apply(&s->norm, &s->test);
    return 0;
}

void loader_record_header(const Config *c, const Splits *s, DataRecord *d)
{
    d->has_split = 1;
    d->seed = c->seed;
    d->validation_fraction = c->validation_fraction;
    d->test_fraction = c->test_fraction;
    d->rows_read = s->rows_read;
    d->fingerprint = s->fingerprint;
    d->has_data = 1;
    snprintf(d->missing_policy, sizeof d->missing_policy, "%s", MISSING_NAMES[c->missing]);
    d->rows_dropped = s->rows_dropped;
    d->rows_filtered = s->rows_filtered;
    d->cells_filled = s->cells_filled;
    d->ncols = c->nfeat + 1;
    for (int k = 0; k <= c->nfeat; k++)
        d->missing[k] = s->missing[k];
}

/* s->record from what loading found: rows are the file rows (rowid) of
 * the validation and test parts, ascending since rowid is. */
static int fill_record(const Config *c, const unsigned char *part, const size_t *rowid, size_t n, Splits *s,
                       Err *err)
{
    DataRecord *d = &s->record;
    data_record_free(d);
    d->val_rows = malloc((s->val.n ? s->val.n : 1) * sizeof *d->val_rows);
    d->test_rows = malloc((s->test.n ? s->test.n : 1) * sizeof *d->test_rows);
    d->missing = malloc((size_t)(c->nfeat + 1) * sizeof *d->missing);
    if (!d->val_rows || !d->test_rows || !d->missing) {
        data_record_free(d);
        return err_set(err, E_NOMEM, "%s: out of memory", c->data_path);
    }
    for (size_t r = 0; r < n; r++) {
        if (part[r] == DATA_PART_VAL)
            d->val_rows[d->nval++] = rowid[r];
        else if (part[r] == DATA_PART_TEST)
            d->test_rows[d->ntest++] = rowid[r];
    }
    loader_record_header(c, s, d);
    return 0;
}

/* part[] for the rows of all (file rows rowid[]) from the validation and
 * test rows model m records: E_STATE when the file is not the one m saw
 * (rows_read, fingerprint) or the policy dropped a recorded row. */
static int record_parts(const Config *c, const Model *m, const Splits *s, size_t n, const size_t *rowid,
                        unsigned char *part, Err *err)
{
    const DataRecord *d = &m->data;
    if (s->rows_read != d->rows_read || s->fingerprint != d->fingerprint)
        return err_set(err, E_STATE, "%s changed since the model was trained (fingerprint %016" PRIx64
                       ", model has %016" PRIx64 "); evaluate on it with an explicit file, or retrain",
                       c->data_path, s->fingerprint, d->fingerprint);
    unsigned char *filepart = calloc(s->rows_read ? s->rows_read : 1, 1);
    if (!filepart)
        return err_set(err, E_NOMEM, "%s: out of memory", c->data_path);
    for (int which = DATA_PART_VAL; which <= DATA_PART_TEST; which++) {
        const uint64_t *rows = which == DATA_PART_VAL ? d->val_rows : d->test_rows;
        size_t nr = which == DATA_PART_VAL ? d->nval : d->ntest;
        for (size_t i = 0; i < nr; i++)
            if (rows[i] < s->rows_read)
                filepart[rows[i]] = (unsigned char)which;
    }
    size_t kept = 0;
    for (size_t r = 0; r < n; r++) {
        part[r] = filepart[rowid[r]];
        kept += part[r] != DATA_PART_TRAIN;
    }
    free(filepart);
    if (kept != d->nval + d->ntest)
        return err_set(err, E_STATE, "%s: %zu of the model's validation and test rows are not usable rows of "
                       "the file under its config", c->data_path, d->nval + d->ntest - kept);
    return 0;
}

/* loader_load, loader_load_fold and loader_load_recorded: the seeded
 * split, fold f, or the rows model m records (with m's normalisation). */
static int load_split(const Config *c, const DataFold *f, const Model *m, Splits *s, Err *err)
{
    memset(s, 0, sizeof *s);
    Dataset all = { 0 };
    size_t *rowid = NULL;
    unsigned char *part = NULL;
    int rc;
    if (c->stream)
        return err_set(err, E_STATE, "%s: [data] stream = true: the data are read a chunk at a time "
                       "(io/stream.h), not loaded; a streamed model's test rows are not recorded, so "
                       "pass a data file to evaluate", c->data_path);
    if ((rc = load_rows(c, m, s, &all, &rowid, err)))
        goto done;
    if (!(part = malloc(all.n ? all.n : 1))) {
        rc = err_set(err, E_NOMEM, "%s: out of memory", c->data_path);
        goto done;
    }
    if (m) {
        if ((rc = record_parts(c, m, s, all.n, rowid, part, err)))
            goto done;
    } else {
        rc = f ? data_fold_parts(all.n, f, c->validation_fraction, part, err)
               : data_split_parts(all.n, c->validation_fraction, c->test_fraction, c->seed, part, err);
        if (rc) {
            err_prefix(err, "%s: ", c->data_path);
            goto done;
        }
    }
    if ((rc = build_sets(c, &all, part, rowid, m, s, err)))
        goto done;
    rc = fill_record(c, part, rowid, all.n, s, err);
    s->ntrain = s->train.n;
done:
    data_free(&all);
    free(rowid);
    free(part);
    if (rc)
        splits_free(s);
    return rc;
}

int loader_load(const Config *c, Splits *s, Err *err)
{
    return load_split(c, NULL, NULL, s, err);
}

int loader_load_fold(const Config *c, const DataFold *f, Splits *s, Err *err)
{
    return load_split(c, f, NULL, s, err);
}

int loader_load_recorded(const Config *c, const Model *m, Splits *s, Err *err)
{
    if (!m->data.has_split || m->data.hashed)
        return err_set(err, E_STATE, "%s: the model records no validation and test rows", c->data_path);
    return load_split(c, NULL, m, s, err);
}

int loader_build_net(const Config *c, int ninputs, Net *net, Err *err)
{
    int rc = net_init(net, ninputs, c->hidden_widths, c->nhidden, 1, (Activation)c->activation,
                      (Activation)c->output_activation, err);
    if (rc)
        return rc;
    if (c->init == INIT_XAVIER) {
        net_init_xavier(net, c->seed);
    } else if (c->init == INIT_UNIFORM) {
        net_init_uniform(net, c->seed, c->init_scale);
    } else {
        for (int l = 0; l < net->nlayers && !rc; l++) {
            size_t nw = (size_t)net->width[l + 1] * (size_t)net->width[l];
            rc = cfg_init_values(c, l, 0, net_W(net, net->params, l), nw, err);
            if (!rc)
                rc = cfg_init_values(c, l, 1, net_b(net, net->params, l), (size_t)net->width[l + 1], err);
        }
    }
    if (rc)
        net_free(net);
    return rc;
}

int loader_open_model(const char *path, Model *m, Config *c, Err *err)
{
    char origin[CFG_PATH_MAX + 16];
    snprintf(origin, sizeof origin, "%s:/config", path);
    cfg_defaults(c);
    int rc = h5_model_load(path, m, err);
    if (!rc)
        rc = cfg_load_text(c, m->config_text, origin, err);
    if (!rc)
        rc = cfg_finish(c, err);
    if (!rc)
        loader_norm_transforms(c, &m->enc, &m->norm);
    if (rc) {
        cfg_free(c);
        model_free(m);
    }
    return rc;
}

int loader_plain_inputs(const Config *c, Splits *s, Err *err)
{
    if (s->input_names)
        return 0;
    s->enc.nfeat = c->nfeat;
    if (!(s->input_names = calloc((size_t)c->nfeat, sizeof *s->input_names)))
        return err_set(err, E_NOMEM, "out of memory");
    s->ninputs = c->nfeat;
    for (int f = 0; f < c->nfeat; f++)
        if (!(s->input_names[f] = strdup(c->feature_names[f])))
            return err_set(err, E_NOMEM, "out of memory");
    return 0;
}

void loader_report_constant_levels(const Config *c, const Encoding *enc, FILE *msg)
{
    for (int f = 0; f < c->nfeat && msg && enc->v; f++) {
        const Vocab *v = &enc->v[f];
        if (!v->is_cat || v->nlevels + v->other + v->missing != 1)
            continue;
        char why[160];
        if (v->nlevels == 1)
            snprintf(why, sizeof why, "has one level on the training rows (\"%.60s\")", v->levels[0]);
        else if (v->other)
            snprintf(why, sizeof why, "has no level on %d training rows or more ([data] min_category_count), so "
                     "every level is (other)", c->min_category_count);
        else
            snprintf(why, sizeof why, "is missing on every training row");
        term_line(msg, "housenet: warning: %s: column \"%s\" %s: one constant input, which carries nothing; %s",
                  c->data_path, c->feature_names[f], why,
                  v->other ? "lower [data] min_category_count, or leave the column out" : "leave the column out");
    }
}

int loader_report_unknown(const Config *c, const EncUnknown *unk, const char *path, char delim, FILE *msg,
                          int strict, Err *err)
{
    for (int f = 0; f < c->nfeat && unk; f++) {
        const EncUnknown *u = &unk[f];
        if (!u->count)
            continue;
        char where[CFG_PATH_MAX + 64], shown[ENC_SHOW * (COLNAME_SHOW * 4 + 12)] = "";
        where_cell(path, delim, u->first_row, c->feature_names[f], where, sizeof where);
        for (int i = 0; i < u->nshow; i++) {
            char e[COLNAME_SHOW * 4 + 8];
            size_t len = strlen(shown);
            term_escape(e, sizeof e, u->show[i]);
            snprintf(shown + len, sizeof shown - len, "%s\"%s\"", i ? ", " : "", e);
        }
        if (strict)
            return err_set(err, E_DATA, "%s: column \"%.60s\": level %s is not one the model was trained on "
                           "([data] unknown_category = error); fix the value, or train with "
                       "[data] unknown_category = zeros to encode such levels as all zeros", where, c->feature_names[f], shown);
        if (msg)
            term_line(msg, "housenet: warning: %s: column \"%s\": %zu row%s with a level the training rows never "
                    "had (%s%s), first at %s; encoded as all zeros", path, c->feature_names[f], u->count,
                    u->count == 1 ? "" : "s", shown, u->nshow == ENC_SHOW && u->count > ENC_SHOW ? ", ..." : "", where);
    }
    return 0;
}

int loader_read_for_model(const Config *c, const Model *m, const char *path, char delim, FILE *msg, Dataset *d,
                          size_t *filtered, size_t *dropped, Err *err)
{
    const char *names[CFG_MAX_FEATURES + 1 + CFG_MAX_FILTERS];
    Table t = { 0 };
    Dataset raw = { 0 };
    Levels **lv = NULL;
    size_t *rowid = NULL;
    EncUnknown *unk = NULL;
    loader_columns(c, names);
    /* The model keeps its [data] settings, and new rows may lack prices. */
    char absent[sizeof c->target + 96];
    snprintf(absent, sizeof absent, "; scoring needs the target, %s: for predictions on rows without it, use "
             "housenet predict", c->target);
    ReadFix fix = { .missing = "fill the cell or drop the row (the model was trained with [data] missing = error, "
                               "which it keeps)",
                    .absent = absent, .absent_col = c->nfeat }; /* loader_columns: the features, then the target */
    int rc = read_table(c, m, path, delim, &fix, &t, err);
    if (!rc)
        rc = data_from_table(&t, names, c->nfeat, c->target, &raw, err);
    if (!rc && !(rowid = malloc((t.nrows ? t.nrows : 1) * sizeof *rowid)))
        rc = err_set(err, E_NOMEM, "%s: out of memory", path);
    for (size_t r = 0; !rc && r < t.nrows; r++)
        rowid[r] = r;
    if (!rc)
        rc = loader_filter(c, &t, &raw, rowid, filtered, path, err);
    if (!rc)
        rc = take_levels(c, &t, path, &lv, err);
    if (!rc && (*dropped = loader_drop_missing(&raw, rowid, 1)) == (size_t)-1)
        rc = err_set(err, E_NOMEM, "%s: out of memory", path);
    if (!rc)
        rc = loader_transform(c, &raw, rowid, path, delim, err);
    if (!rc && raw.n == 0)
        rc = err_set(err, E_DATA, "%s: no row with every column of the model (%s and the features)%s", path,
                     c->target, *filtered ? " that passes the model's [data] filter" : "");
    if (!rc && !lv) {
        *d = raw;
        memset(&raw, 0, sizeof raw);
    } else if (!rc && !(unk = calloc((size_t)c->nfeat, sizeof *unk))) {
        rc = err_set(err, E_NOMEM, "%s: out of memory", path);
    } else if (!rc && !(rc = enc_apply(&m->enc, (const Levels *const *)lv, &raw, d, unk, err))) {
        for (int f = 0; f < c->nfeat; f++)
            if (unk[f].count)
                unk[f].first_row = rowid[unk[f].first_row];
        rc = loader_report_unknown(c, unk, path, delim, msg, c->unknown_category == UNKNOWN_ERROR, err);
    }
    for (int f = 0; lv && f < c->nfeat; f++)
        if (lv[f]) {
            levels_free(lv[f]);
            free(lv[f]);
        }
    free(lv);
    free(unk);
    free(rowid);
    data_free(&raw);
    table_free(&t);
    if (rc)
        data_free(d);
    return rc;
}
