/* h5tablew: `housenet convert`'s side of the table layout: the writer of
 * an HDF5 table, one dataset per column, appended in chunks (see
 * h5table.h; the layout and the readers are h5table.c's). */
#include "h5table.h"

#define H5U_SRC "io/h5tablew.c"
#define H5U_PATH_PREC 256
#include "h5util.h"

#include <hdf5.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "colname.h"
#include "h5guard.h"

#define OBJ_MAX 512 /* longest object path we handle */
#define WHERE_MAX (OBJ_MAX + 96)
#define NOMEM() FAIL(E_NOMEM, "%.256s: out of memory", path)

struct H5TableWriter {
    char *path;         /* owned: the file to produce */
    AtomicOut out;      /* the file written (links followed) and its temporary file */
    hid_t file;
    hid_t *dsets;       /* owned, (n) */
    unsigned char *text;/* owned, (n): 1 for a string column */
    hid_t str;          /* the variable-length UTF-8 string type of text columns */
    int n;
    hsize_t rows;
    int compressed;
    int committed;
};

static void writer_close_ids(H5TableWriter *w)
{
    for (int c = 0; c < w->n && w->dsets; c++) {
        h5u_close_quietly(w->dsets[c]);
        w->dsets[c] = H5I_INVALID_HID;
    }
    h5u_close_quietly(w->str);
    w->str = H5I_INVALID_HID;
    h5u_close_quietly(w->file);
    w->file = H5I_INVALID_HID;
}

void h5_table_writer_free(H5TableWriter **wp)
{
    if (!wp || !*wp)
        return;
    H5TableWriter *w = *wp;
    writer_close_ids(w);
    if (!w->committed)
        atomic_out_abort(&w->out);
    free(w->dsets);
    free(w->text);
    free(w->path);
    free(w);
    *wp = NULL;
}

size_t h5_table_chunk_rows(int ncols)
{
    size_t rows = H5TABLE_BATCH_BYTES / sizeof(double) / (size_t)(ncols > 0 ? ncols : 1);
    return rows < 1 ? 1 : rows > H5TABLE_CHUNK_ROWS ? H5TABLE_CHUNK_ROWS : rows;
}

static int probe_format(const char *path, void *ctx, Err *err)
{
    char format[64];
    return h5_file_format(path, format, sizeof format, err);
}

int h5_table_out_open(AtomicOut *o, const char *path, const char *source, Err *err)
{
    char format[64] = "";
    Err damaged = { 0 };
    int rc = atomic_out_open(o, path, OUT_HDF5, source, err);
    if (rc || !o->is_h5)
        return rc;
    /* read first in a child process (h5guard.h): a file that crashes or
     * hangs HDF5 is an unreadable one */
    if (h5guard_check(o->path, H5GUARD_FILE, probe_format, NULL, &damaged) == 0 &&
        h5_file_format(o->path, format, sizeof format, err) == 0 && format[0] &&
        strcmp(format, H5TABLE_FORMAT) != 0) {
        atomic_out_abort(o);
        return err_set(err, E_USAGE, "%.256s: is a %.40s file, not a table; convert does not replace it: "
                       "name another output file", path, format);
    }
    return 0; /* a table, another program's HDF5 file or an unreadable one: replaced */
}

/* A string (scalar) or int32 (scalar) attribute on obj. */
static int write_attr(hid_t obj, const char *name, const char *str, int ival, const char *path, Err *err)
{
    char where[WHERE_MAX];
    snprintf(where, sizeof where, "/ attribute \"%s\"", name);
    hid_t t = H5I_INVALID_HID, sp = H5I_INVALID_HID, a = H5I_INVALID_HID;
    int rc = 0;
    CHECK_H5(sp = H5Screate(H5S_SCALAR));
    if (str) {
        CHECK_H5(t = H5Tcopy(H5T_C_S1));
        CHECK_H5(H5Tset_size(t, H5T_VARIABLE));
        CHECK_H5(H5Tset_cset(t, H5T_CSET_UTF8));
        CHECK_H5(a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT));
        CHECK_H5(H5Awrite(a, t, &str));
    } else {
        CHECK_H5(a = H5Acreate2(obj, name, H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT));
        CHECK_H5(H5Awrite(a, H5T_NATIVE_INT, &ival));
    }
done:
    CLOSE_H5(a, H5Aclose);
    CLOSE_H5(t, H5Tclose);
    CLOSE_H5(sp, H5Sclose);
    return rc;
}

/* 1 when the library can encode with filter id (deflate needs zlib). */
static int filter_can_encode(H5Z_filter_t id)
{
    unsigned flags = 0;
    htri_t avail = H5Zfilter_avail(id);
    return avail > 0 && H5Zget_filter_info(id, &flags) >= 0 && (flags & H5Z_FILTER_CONFIG_ENCODE_ENABLED);
}

/* A name HDF5 can use for one link: non-empty, no '/', not ".". */
static int bad_link_name(const char *s) { return !s[0] || strchr(s, '/') || strcmp(s, ".") == 0; }

int h5_table_writer_open(const char *path, const char *table, const char *const *names, int n,
                         const char *source, int compress, H5TableWriter **out, Err *err)
{
    return h5_table_writer_open_typed(path, table, names, NULL, n, source, compress, out, err);
}

int h5_table_writer_open_typed(const char *path, const char *table, const char *const *names,
                               const unsigned char *text, int n, const char *source, int compress,
                               H5TableWriter **out, Err *err)
{
    const char *where = "";
    H5TableWriter *w = NULL;
    hid_t g = H5I_INVALID_HID, gcpl = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    char obj[OBJ_MAX];
    int rc = 0;
    *out = NULL;
    if (bad_link_name(table) || strlen(table) > OBJ_MAX - 2)
        return err_set(err, E_USAGE, "%.256s: table name \"%.40s\" cannot be an HDF5 group name: "
                       "it must be non-empty, without '/' and not \".\"", path, table);
    if (n < 1)
        return err_set(err, E_DATA, "%.256s: no numeric columns to write", path);
    for (int c = 0; c < n; c++) {
        if (bad_link_name(names[c]))
            return err_set(err, E_PARSE, "%.256s: column \"%.*s\" cannot be an HDF5 dataset name: it must be "
                           "non-empty, without '/' and not \".\"; rename it in %.256s", path, COLNAME_SHOW,
                           names[c], source ? source : "the input");
        for (int k = 0; k < c; k++)
            if (strcmp(names[k], names[c]) == 0)
                return err_set(err, E_PARSE, "%.256s: column \"%.*s\" appears twice; rename one of them in %.256s",
                               path, COLNAME_SHOW, names[c], source ? source : "the input");
    }
    if (!(w = calloc(1, sizeof *w)))
        NOMEM();
    w->file = H5I_INVALID_HID;
    w->str = H5I_INVALID_HID;
    w->path = strdup(path);
    w->dsets = malloc((size_t)n * sizeof *w->dsets);
    w->text = calloc((size_t)n, 1);
    if (!w->path || !w->dsets || !w->text)
        NOMEM();
    if (text)
        memcpy(w->text, text, (size_t)n);
    for (int c = 0; c < n; c++)
        w->dsets[c] = H5I_INVALID_HID;
    w->n = n;
    /* The temporary file is created before HDF5 sees it: a missing
     * directory or no permission is then a plain errno message. */
    TRY(h5_table_out_open(&w->out, path, source, err));
    CHECK_H5(H5Eset_auto2(H5E_DEFAULT, NULL, NULL));
    CHECK_H5(w->file = H5Fcreate(w->out.tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    TRY(write_attr(w->file, "format", H5TABLE_FORMAT, 0, path, err));
    TRY(write_attr(w->file, "version", NULL, H5TABLE_VERSION, path, err));
    snprintf(obj, sizeof obj, "/%s", table);
    TRY(write_attr(w->file, "table", obj, 0, path, err));
    TRY(write_attr(w->file, "source", source ? source : "", 0, path, err));

    where = obj;
    CHECK_H5(gcpl = H5Pcreate(H5P_GROUP_CREATE));
    CHECK_H5(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
    CHECK_H5(g = H5Gcreate2(w->file, obj, H5P_DEFAULT, gcpl, H5P_DEFAULT));
    const hsize_t zero[1] = {0}, unlimited[1] = {H5S_UNLIMITED}, chunk[1] = {h5_table_chunk_rows(n)};
    CHECK_H5(dcpl = H5Pcreate(H5P_DATASET_CREATE));
    CHECK_H5(H5Pset_chunk(dcpl, 1, chunk));
    w->compressed = compress && filter_can_encode(H5Z_FILTER_SHUFFLE) && filter_can_encode(H5Z_FILTER_DEFLATE);
    if (w->compressed) {
        CHECK_H5(H5Pset_shuffle(dcpl));
        CHECK_H5(H5Pset_deflate(dcpl, H5TABLE_DEFLATE));
    }
    CHECK_H5(sp = H5Screate_simple(1, zero, unlimited));
    CHECK_H5(w->str = H5Tcopy(H5T_C_S1));
    CHECK_H5(H5Tset_size(w->str, H5T_VARIABLE));
    CHECK_H5(H5Tset_cset(w->str, H5T_CSET_UTF8));
    for (int c = 0; c < n; c++)
        CHECK_H5(w->dsets[c] = H5Dcreate2(g, names[c], w->text[c] ? w->str : H5T_IEEE_F64LE, sp, H5P_DEFAULT,
                                          dcpl, H5P_DEFAULT));
    *out = w;
    w = NULL;
done:
    CLOSE_H5(sp, H5Sclose);
    CLOSE_H5(dcpl, H5Pclose);
    CLOSE_H5(g, H5Gclose);
    CLOSE_H5(gcpl, H5Pclose);
    h5_table_writer_free(&w);
    return rc;
}

int h5_table_writer_append(H5TableWriter *w, const double *cols, size_t stride, size_t nrows, Err *err)
{
    return h5_table_writer_append_text(w, cols, stride, nrows, NULL, err);
}

int h5_table_writer_append_text(H5TableWriter *w, const double *cols, size_t stride, size_t nrows,
                                const Levels *const *lv, Err *err)
{
    const char *path = w->path, *where = "column";
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    hsize_t start[1] = {w->rows}, count[1] = {nrows}, size[1] = {w->rows + nrows};
    const char **s = NULL;
    int rc = 0;
    if (nrows == 0)
        return 0;
    CHECK_H5(ms = H5Screate_simple(1, count, NULL));
    for (int c = 0; c < w->n; c++) {
        const double *v = cols + (size_t)c * stride;
        if (w->text[c]) { /* codes to their texts; a missing cell is "" */
            if (!lv || !lv[c])
                FAIL(E_STATE, "%.256s: text column %d written without its levels", path, c + 1);
            if (!s && !(s = malloc(nrows * sizeof *s)))
                NOMEM();
            for (size_t i = 0; i < nrows; i++)
                s[i] = isnan(v[i]) || v[i] < 0 || v[i] >= lv[c]->n ? "" : lv[c]->names[(size_t)v[i]];
        }
        CHECK_H5(H5Dset_extent(w->dsets[c], size));
        CHECK_H5(fs = H5Dget_space(w->dsets[c]));
        CHECK_H5(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL));
        if (w->text[c])
            CHECK_H5(H5Dwrite(w->dsets[c], w->str, ms, fs, H5P_DEFAULT, s));
        else
            CHECK_H5(H5Dwrite(w->dsets[c], H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, v));
        CLOSE_H5(fs, H5Sclose);
    }
    w->rows += nrows;
done:
    free(s);
    CLOSE_H5(fs, H5Sclose);
    CLOSE_H5(ms, H5Sclose);
    return rc;
}

int h5_table_writer_compressed(const H5TableWriter *w)
{
    return w->compressed;
}

int h5_table_writer_commit(H5TableWriter *w, Err *err)
{
    const char *path = w->path, *where = "";
    int rc = 0;
    for (int c = 0; c < w->n; c++)
        CLOSE_H5(w->dsets[c], H5Dclose);
    CLOSE_H5(w->str, H5Tclose);
    CLOSE_H5(w->file, H5Fclose); /* flushes: a full disk shows here */
    if (rc)
        goto done;
    TRY(atomic_out_commit(&w->out, err));
    w->committed = 1;
done:
    if (rc) {
        writer_close_ids(w);
        atomic_out_abort(&w->out);
    }
    return rc;
}
