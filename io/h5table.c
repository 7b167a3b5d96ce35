/* h5table: tables in HDF5 files (see h5table.h).
 * Owns both table layouts, finding a table in a file, the type rules
 * (exact conversion to float64), and the writer of the columns layout.
 * Does not own the crash-safe rename (atomic.c), the meaning of the columns,
 * nor what to do with a missing value beyond NaN and a count (loader.c).
 *
 * Conventions as in io/h5model.c: HDF5's printing of its error stack is
 * off; every call goes through CHECK_H5 (or CLOSE_H5 under the one `done:`
 * label; both from io/h5util.h); ids start at H5I_INVALID_HID; a failed
 * call's message carries the innermost entry of HDF5's stack.
 *
 * Reading is by hyperslab: rows r0..r0+n of one column go straight into a
 * contiguous buffer (the Table's column, or the stream's column buffer,
 * which is then spread into the row-major x: HDF5 scatters into a strided
 * memory selection several times slower). Only 64-bit integers go through a
 * scratch buffer, to check that each value has an exact double. */
#include "h5table.h"
#include "csvread.h"

#define H5U_SRC "io/h5table.c"
#define H5U_PATH_PREC 256
#include "h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "colname.h"

#define OBJ_MAX 512        /* longest object path we handle */
#define WHERE_MAX (OBJ_MAX + 96)
#define CANDIDATES_MAX 24  /* tables listed in a "no table" message */

/* ---- small helpers ------------------------------------------------------ */

#define NOMEM() FAIL(E_NOMEM, "%.256s: out of memory", path)


/* ---- small readers -------------------------------------------------------- */

/* Opens path read-only after checking it is a readable HDF5 file: E_IO
 * with strerror, E_PARSE for another kind of file. */
static int open_file(const char *path, hid_t *out, Err *err)
{
    const char *where = "";
    int rc = 0, is_h5;
    TRY(h5u_probe(path, H5U_PATH_PREC, &is_h5, err));
    if (!is_h5)
        FAIL(E_PARSE, "%.256s: not an HDF5 file", path);
    CHECK_H5(*out = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT));
done:
    return rc;
}

/* Attribute obj@name holding strings (fixed or variable length, scalar or
 * 1-D) into *out, a new array of *n new strings. E_PARSE when it holds
 * something else. */
static int read_attr_strings(hid_t obj, const char *objname, const char *name, char ***out,
                             size_t *n, const char *path, Err *err)
{
    char where[WHERE_MAX];
    snprintf(where, sizeof where, "%.*s attribute \"%s\"", OBJ_MAX, objname, name);
    hid_t a = H5I_INVALID_HID;
    int rc = 0;
    CHECK_H5(a = H5Aopen(obj, name, H5P_DEFAULT));
    TRY(h5u_read_strings(a, where, out, n, path, err));
done:
    CLOSE_H5(a, H5Aclose);
    return rc;
}

/* ---- an open table ----------------------------------------------------------- */

enum {
    K_EXACT,   /* HDF5's conversion to double is exact: floats up to 64 bits, integers up to 53 bits */
    K_INT64,   /* signed integer wider than 53 bits: read as int64, each value checked */
    K_UINT64,  /* unsigned likewise */
    K_TEXT,    /* strings */
    K_OTHER    /* enum, compound, wider floats, ...: not numbers we can read */
};

typedef struct Col {
    char *name;        /* owned */
    hid_t dset;        /* columns layout: the column's dataset (owned); matrix: invalid */
    hsize_t index;     /* matrix: the column's index in the 2-D dataset */
    int kind;          /* K_* */
    char type[16];     /* for messages and inspect: "float64", "int32", "string", ... */
} Col;

typedef struct Tab {
    const char *path;
    char obj[OBJ_MAX]; /* "/" or "/houses" */
    int matrix;
    hid_t file;
    hid_t mat;         /* matrix: the 2-D dataset */
    hsize_t nrows;
    int ncols, cap;
    Col *cols;
} Tab;

static void tab_init(Tab *t, const char *path)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    t->file = H5I_INVALID_HID;
    t->mat = H5I_INVALID_HID;
}

static void tab_close(Tab *t)
{
    for (int j = 0; j < t->ncols; j++) {
        h5u_close_quietly(t->cols[j].dset);
        free(t->cols[j].name);
    }
    free(t->cols);
    h5u_close_quietly(t->mat);
    h5u_close_quietly(t->file);
    tab_init(t, t->path);
}

/* "/houses/Sale_Price", or `/houses[:, 3] ("Sale_Price")` in a matrix. */
static const char *col_where(const Tab *t, int j, char *buf, size_t cap)
{
    const Col *c = &t->cols[j];
    if (t->matrix)
        snprintf(buf, cap, "%.*s[:, %llu] (\"%.*s\")", OBJ_MAX, t->obj, (unsigned long long)c->index,
                 COLNAME_SHOW, c->name);
    else
        snprintf(buf, cap, "%.*s%s%.*s", OBJ_MAX, t->obj, strcmp(t->obj, "/") ? "/" : "", COLNAME_SHOW,
                 c->name);
    return buf;
}

/* Sets c->kind and c->type from the dataset's type t. */
static int classify(hid_t t, Col *c, const char *path, const char *where, Err *err)
{
    H5T_class_t cls;
    ssize_t size, prec;
    int rc = 0;
    CHECK_H5(cls = H5Tget_class(t));
    CHECK_H5(size = h5u_size_or_fail(H5Tget_size(t)));
    switch (cls) {
    case H5T_FLOAT: {
        size_t spos, epos, esize, mpos, msize;
        CHECK_H5(H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize));
        snprintf(c->type, sizeof c->type, "float%d", (int)(8 * size));
        c->kind = msize <= 52 && esize <= 11 ? K_EXACT : K_OTHER;
        break;
    }
    case H5T_INTEGER: {
        H5T_sign_t sign;
        CHECK_H5(sign = H5Tget_sign(t));
        CHECK_H5(prec = h5u_size_or_fail(H5Tget_precision(t)));
        snprintf(c->type, sizeof c->type, "%sint%d", sign == H5T_SGN_NONE ? "u" : "", (int)(8 * size));
        c->kind = prec <= 53 ? K_EXACT : size > 8 ? K_OTHER : sign == H5T_SGN_NONE ? K_UINT64 : K_INT64;
        break;
    }
    case H5T_STRING:
        snprintf(c->type, sizeof c->type, "string");
        c->kind = K_TEXT;
        break;
    default:
        snprintf(c->type, sizeof c->type, "%s",
                 cls == H5T_ENUM ? "enum" : cls == H5T_COMPOUND ? "compound" : cls == H5T_BITFIELD ? "bitfield"
                 : cls == H5T_ARRAY ? "array" : cls == H5T_VLEN ? "vlen" : cls == H5T_OPAQUE ? "opaque"
                 : cls == H5T_REFERENCE ? "reference" : cls == H5T_TIME ? "time" : "unknown");
        c->kind = K_OTHER;
        break;
    }
done:
    return rc;
}

static int tab_add(Tab *t, const char *name, hid_t dset, hsize_t index, Err *err)
{
    if (t->ncols == t->cap) {
        int ncap = t->cap ? 2 * t->cap : 16;
        Col *p = realloc(t->cols, (size_t)ncap * sizeof *p);
        if (!p)
            return err_set(err, E_NOMEM, "%.256s: out of memory", t->path);
        t->cols = p;
        t->cap = ncap;
    }
    Col *c = &t->cols[t->ncols];
    memset(c, 0, sizeof *c);
    c->dset = H5I_INVALID_HID;
    if (!(c->name = strdup(name)))
        return err_set(err, E_NOMEM, "%.256s: out of memory", t->path);
    c->dset = dset;
    c->index = index;
    t->ncols++;
    return 0;
}

/* The 1-D datasets of group t->obj become the columns (creation order when
 * the group tracks it, else name order); they must all have one length. */
static int group_columns(Tab *t, Err *err)
{
    const char *path = t->path, *where = t->obj;
    hid_t g = H5I_INVALID_HID, gcpl = H5I_INVALID_HID, o = H5I_INVALID_HID, sp = H5I_INVALID_HID,
          ty = H5I_INVALID_HID;
    unsigned order = 0;
    H5G_info_t info;
    H5_index_t index;
    char *name = NULL, cw[WHERE_MAX], fw[WHERE_MAX];
    int rc = 0;

    CHECK_H5(g = H5Gopen2(t->file, t->obj, H5P_DEFAULT));
    CHECK_H5(gcpl = H5Gget_create_plist(g));
    CHECK_H5(H5Pget_link_creation_order(gcpl, &order));
    index = (order & H5P_CRT_ORDER_TRACKED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    CHECK_H5(H5Gget_info(g, &info));
    for (hsize_t i = 0; i < info.nlinks; i++) {
        H5L_info_t li;
        ssize_t len;
        int rank;
        hsize_t dims[H5S_MAX_RANK];
        H5I_type_t type;
        CHECK_H5(H5Lget_info_by_idx(g, ".", index, H5_ITER_INC, i, &li, H5P_DEFAULT));
        if (li.type != H5L_TYPE_HARD) /* soft and external links are not columns */
            continue;
        CHECK_H5(len = H5Lget_name_by_idx(g, ".", index, H5_ITER_INC, i, NULL, 0, H5P_DEFAULT));
        free(name);
        if (!(name = malloc((size_t)len + 1)))
            NOMEM();
        CHECK_H5(H5Lget_name_by_idx(g, ".", index, H5_ITER_INC, i, name, (size_t)len + 1, H5P_DEFAULT));
        CHECK_H5(o = H5Oopen(g, name, H5P_DEFAULT));
        CHECK_H5(type = H5Iget_type(o));
        if (type == H5I_DATASET) {
            CHECK_H5(sp = H5Dget_space(o));
            CHECK_H5(rank = H5Sget_simple_extent_dims(sp, dims, NULL));
            if (rank == 1) {
                if (t->ncols == 0)
                    t->nrows = dims[0];
                TRY(tab_add(t, name, o, 0, err));
                o = H5I_INVALID_HID; /* the column owns it */
                Col *c = &t->cols[t->ncols - 1];
                CHECK_H5(ty = H5Dget_type(c->dset));
                TRY(classify(ty, c, path, col_where(t, t->ncols - 1, cw, sizeof cw), err));
                CLOSE_H5(ty, H5Tclose);
                if (dims[0] != t->nrows)
                    FAIL(E_PARSE, "%.256s: %s has %llu rows and %s has %llu; the columns of a table have one length",
                         path, col_where(t, t->ncols - 1, cw, sizeof cw), (unsigned long long)dims[0],
                         col_where(t, 0, fw, sizeof fw), (unsigned long long)t->nrows);
            }
            CLOSE_H5(sp, H5Sclose);
        }
        CLOSE_H5(o, H5Oclose);
    }
done:
    free(name);
    CLOSE_H5(ty, H5Tclose);
    CLOSE_H5(sp, H5Sclose);
    CLOSE_H5(o, H5Oclose);
    CLOSE_H5(gcpl, H5Pclose);
    CLOSE_H5(g, H5Gclose);
    return rc;
}

/* The columns of the 2-D dataset t->mat, named by its `columns` attribute. */
static int matrix_columns(Tab *t, Err *err)
{
    const char *path = t->path, *where = t->obj;
    hid_t sp = H5I_INVALID_HID, ty = H5I_INVALID_HID;
    hsize_t dims[2];
    char **names = NULL;
    size_t n = 0;
    Col proto;
    int rc = 0;
    memset(&proto, 0, sizeof proto);

    CHECK_H5(sp = H5Dget_space(t->mat));
    CHECK_H5(H5Sget_simple_extent_dims(sp, dims, NULL));
    CHECK_H5(ty = H5Dget_type(t->mat));
    TRY(classify(ty, &proto, path, where, err));
    TRY(read_attr_strings(t->mat, t->obj, "columns", &names, &n, path, err));
    if (n != dims[1])
        FAIL(E_PARSE, "%.256s: %s attribute \"columns\": %zu names for %llu columns", path, t->obj, n,
             (unsigned long long)dims[1]);
    t->nrows = dims[0];
    for (size_t j = 0; j < n; j++) {
        TRY(tab_add(t, names[j], H5I_INVALID_HID, j, err));
        t->cols[j].kind = proto.kind;
        memcpy(t->cols[j].type, proto.type, sizeof proto.type);
    }
done:
    h5u_free_strings(names, n);
    CLOSE_H5(ty, H5Tclose);
    CLOSE_H5(sp, H5Sclose);
    return rc;
}

/* What H5Ovisit2 collects: the tables of a file. */
typedef struct Found {
    char names[CANDIDATES_MAX][OBJ_MAX];
    int n, more;
    int failed;
} Found;

static void found_add(Found *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->names[i], name) == 0)
            return;
    if (f->n == CANDIDATES_MAX) {
        f->more++;
        return;
    }
    snprintf(f->names[f->n++], OBJ_MAX, "%s", name);
}

/* A 1-D dataset makes its group a table; a 2-D dataset with a columns
 * attribute is one. */
static herr_t visit_cb(hid_t o, const char *name, const H5O_info_t *info, void *data)
{
    Found *f = data;
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    hid_t d = H5Dopen2(o, name, H5P_DEFAULT), sp = H5I_INVALID_HID;
    int rank = -1;
    htri_t has_cols = 0;
    if (d >= 0 && (sp = H5Dget_space(d)) >= 0)
        rank = H5Sget_simple_extent_ndims(sp);
    if (rank == 2)
        has_cols = H5Aexists(d, "columns");
    h5u_close_quietly(sp);
    h5u_close_quietly(d);
    if (rank < 0 || has_cols < 0) {
        f->failed = 1;
        return -1;
    }
    char obj[OBJ_MAX];
    if (rank == 1) {
        const char *slash = strrchr(name, '/');
        snprintf(obj, sizeof obj, "/%.*s", slash ? (int)(slash - name) : 0, name);
        found_add(f, obj);
    } else if (rank == 2 && has_cols) {
        snprintf(obj, sizeof obj, "/%.*s", OBJ_MAX - 2, name);
        found_add(f, obj);
    }
    return 0;
}

/* The error for a table that is not there: names the tables the file has
 * (and the closest one to `want` when it is close). want NULL: no table
 * was named and the root holds no columns. */
static int no_table(Tab *t, const char *want, Err *err)
{
    const char *path = t->path, *where = "/";
    Found *f = calloc(1, sizeof *f);
    const char *names[CANDIDATES_MAX];
    char list[COLNAME_LIST_MAX + 64], hint[OBJ_MAX + 32] = "";
    int rc = 0;
    if (!f)
        NOMEM();
    CHECK_H5(H5Ovisit2(t->file, H5_INDEX_NAME, H5_ITER_INC, visit_cb, f, H5O_INFO_BASIC));
    for (int i = 0; i < f->n; i++)
        names[i] = f->names[i];
    colname_list(list, sizeof list, names, f->n);
    if (want) {
        int best = colname_closest(want, names, f->n);
        if (best >= 0)
            snprintf(hint, sizeof hint, " (did you mean \"%.*s\"?)", COLNAME_SHOW, names[best]);
    }
    if (f->n == 0)
        FAIL(E_PARSE, "%.256s: %s%.*s%sthe file holds no table (a group of 1-D datasets, one per column, "
             "or a 2-D dataset with a \"columns\" attribute)",
             path, want ? "no table \"" : "", COLNAME_SHOW, want ? want : "", want ? "\"; " : "");
    if (want)
        FAIL(E_PARSE, "%.256s: no table \"%.*s\"%s; tables in the file: %s", path, COLNAME_SHOW, want, hint,
             list);
    FAIL(E_PARSE, "%.256s: the root group holds no columns; name the table ([data] table or --table): %s", path,
         list);
done:
    free(f);
    return rc;
}

/* Whether the object at absolute path obj exists (H5Lexists fails rather
 * than answering 0 when a parent is missing, so every prefix is asked). */
static int obj_exists(hid_t file, const char *obj, int *out, const char *path, Err *err)
{
    const char *where = obj;
    char prefix[OBJ_MAX];
    size_t len = strlen(obj);
    htri_t e = 1;
    int rc = 0;
    for (size_t i = 1; i <= len && e > 0; i++) {
        if (obj[i] != '/' && obj[i] != '\0')
            continue;
        memcpy(prefix, obj, i);
        prefix[i] = '\0';
        CHECK_H5(e = H5Lexists(file, prefix, H5P_DEFAULT));
    }
    *out = e > 0;
done:
    return rc;
}

/* Finds the table (see h5table.h) and lists its columns. */
static int tab_open(const char *path, const char *table, Tab *t, Err *err)
{
    const char *where = "/";
    char **deflt = NULL;
    size_t ndeflt = 0;
    hid_t o = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    H5I_type_t type;
    htri_t has;
    int rc = 0, exists, rank;

    tab_init(t, path);
    TRY(open_file(path, &t->file, err));
    if (!table || !table[0]) {
        snprintf(t->obj, sizeof t->obj, "/");
        TRY(group_columns(t, err));
        if (t->ncols > 0)
            goto done;
        CHECK_H5(has = H5Aexists(t->file, "table"));
        if (!has)
            TRY(no_table(t, NULL, err));
        TRY(read_attr_strings(t->file, "/", "table", &deflt, &ndeflt, path, err));
        if (ndeflt != 1)
            FAIL(E_PARSE, "%.256s: / attribute \"table\": %zu strings, expected 1", path, ndeflt);
        table = deflt[0];
    }
    if (strlen(table) + 2 > sizeof t->obj)
        FAIL(E_PARSE, "%.256s: table name \"%.40s...\" is too long", path, table);
    snprintf(t->obj, sizeof t->obj, "%s%s", table[0] == '/' ? "" : "/", table);
    for (size_t n = strlen(t->obj); n > 1 && t->obj[n - 1] == '/'; n--)
        t->obj[n - 1] = '\0';
    TRY(obj_exists(t->file, t->obj, &exists, path, err));
    if (!exists)
        TRY(no_table(t, t->obj, err));
    where = t->obj;
    CHECK_H5(o = H5Oopen(t->file, t->obj, H5P_DEFAULT));
    CHECK_H5(type = H5Iget_type(o));
    if (type == H5I_GROUP) {
        CHECK_H5(has = H5Aexists(o, "pandas_type")); /* DataFrame.to_hdf: blocks of columns, names apart */
        if (has)
            FAIL(E_PARSE, "%.256s: %s was written by pandas (DataFrame.to_hdf, the PyTables layout), which housenet "
                 "does not read: write one 1-D dataset per column with h5py (docs/data.md) or save it with to_csv",
                 path, t->obj);
        TRY(group_columns(t, err));
        if (t->ncols == 0)
            FAIL(E_PARSE, "%.256s: %s holds no 1-D datasets; a table is a group of 1-D datasets (one per column) "
                 "or a 2-D dataset with a \"columns\" attribute", path, t->obj);
    } else if (type == H5I_DATASET) {
        CHECK_H5(sp = H5Dget_space(o));
        CHECK_H5(rank = H5Sget_simple_extent_ndims(sp));
        if (rank == 1) {
            char *slash = strrchr(t->obj, '/');
            FAIL(E_PARSE, "%.256s: %s is one column (a 1-D dataset); name its group \"%.*s\" as the table", path,
                 t->obj, slash == t->obj ? 1 : (int)(slash - t->obj), t->obj);
        }
        if (rank != 2)
            FAIL(E_PARSE, "%.256s: %s: a dataset of rank %d is not a table; a table is a group of 1-D datasets "
                 "or a 2-D dataset (rows, columns)", path, t->obj, rank);
        CHECK_H5(has = H5Aexists(o, "columns"));
        if (!has)
            FAIL(E_PARSE, "%.256s: %s: a 2-D table needs a \"columns\" attribute naming its columns "
                 "(h5py: d.attrs[\"columns\"] = [\"a\", \"b\"])", path, t->obj);
        t->matrix = 1;
        t->mat = o;
        o = H5I_INVALID_HID;
        TRY(matrix_columns(t, err));
    } else {
        FAIL(E_PARSE, "%.256s: %s is a named datatype, not a table", path, t->obj);
    }
done:
    h5u_free_strings(deflt, ndeflt);
    CLOSE_H5(sp, H5Sclose);
    CLOSE_H5(o, H5Oclose);
    if (rc == 0 && t->nrows == 0)
        rc = err_set(err, E_PARSE, "%.256s: %s: the table has no rows", path, t->obj);
    if (rc)
        tab_close(t);
    return rc;
}

/* Index of the column named want: E_PARSE with a did-you-mean and the
 * list of columns when there is none (and absent after it), or when a
 * matrix names it twice. */
static int tab_find(const Tab *t, const char *want, const char *absent, int *out, Err *err)
{
    int first = -1;
    for (int j = 0; j < t->ncols; j++) {
        if (strcmp(t->cols[j].name, want) != 0)
            continue;
        if (first >= 0)
            return err_set(err, E_PARSE, "%.256s: %s attribute \"columns\": \"%.*s\" appears twice ([:, %d] and "
                           "[:, %d]); rename one of them", t->path, t->obj, COLNAME_SHOW, want, first, j);
        first = j;
    }
    if (first >= 0) {
        *out = first;
        return 0;
    }
    size_t nc = t->ncols > 0 ? (size_t)t->ncols : 1;
    const char **names = malloc(nc * sizeof *names);
    if (!names)
        return err_set(err, E_NOMEM, "%.256s: out of memory", t->path);
    for (int j = 0; j < t->ncols; j++)
        names[j] = t->cols[j].name;
    char list[COLNAME_LIST_MAX + 64], hint[COLNAME_SHOW + 32] = "";
    colname_list(list, sizeof list, names, t->ncols);
    int best = colname_closest(want, names, t->ncols);
    if (best >= 0)
        snprintf(hint, sizeof hint, " (did you mean \"%.*s\"?)", COLNAME_SHOW, names[best]);
    free(names);
    return err_set(err, E_PARSE, "%.256s: %s: no column \"%.*s\"%s; columns are: %s%s", t->path, t->obj,
                   COLNAME_SHOW, want, hint, list, absent);
}

/* E_PARSE when column j's dataset declares far more bytes than the file
 * stores for it (h5u_check_stored): reading would only allocate memory for
 * fill values (a declared 2^40 rows: 8 TiB). */
static int tab_stored(const Tab *t, int j, Err *err)
{
    char w[WHERE_MAX];
    return h5u_check_stored(t->matrix ? t->mat : t->cols[j].dset, col_where(t, j, w, sizeof w), t->path, err);
}

/* E_PARSE unless column j holds numbers we can read, and its file stores
 * enough for its rows (tab_stored). */
static int tab_numeric(const Tab *t, int j, Err *err)
{
    const Col *c = &t->cols[j];
    char w[WHERE_MAX];
    if (c->kind == K_TEXT)
        return err_set(err, E_PARSE, "%.256s: %s holds text (strings), not numbers; choose another column",
                       t->path, col_where(t, j, w, sizeof w));
    if (c->kind == K_OTHER)
        return err_set(err, E_PARSE, "%.256s: %s holds %s values, which have no exact float64; store numbers "
                       "(integers, float32 or float64)", t->path, col_where(t, j, w, sizeof w), c->type);
    return tab_stored(t, j, err);
}

static int col_is_wide_int(const Col *c) { return c->kind == K_INT64 || c->kind == K_UINT64; }

/* Rows r0 .. r0+n-1 of column j as doubles into dst[0..n). scratch holds
 * n 64-bit integers (wide integer columns only). exact: a wide integer
 * with no exact double is an E_PARSE error naming its row; otherwise it is
 * rounded (inspect). NaN is left as read. */
static int tab_read(const Tab *t, int j, hsize_t r0, hsize_t n, double *dst, void *scratch, int exact,
                    Err *err)
{
    const Col *c = &t->cols[j];
    const char *path = t->path;
    char where[WHERE_MAX];
    col_where(t, j, where, sizeof where);
    hid_t d = t->matrix ? t->mat : c->dset;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    hsize_t mdims[1] = {n};
    int rc = 0;
    if (n == 0)
        return 0;
    CHECK_H5(fs = H5Dget_space(d));
    if (t->matrix) {
        hsize_t start[2] = {r0, c->index}, count[2] = {n, 1};
        CHECK_H5(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL));
    } else {
        hsize_t start[1] = {r0}, count[1] = {n};
        CHECK_H5(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL));
    }
    CHECK_H5(ms = H5Screate_simple(1, mdims, NULL));
    if (c->kind == K_INT64) {
        const int64_t *v = scratch;
        CHECK_H5(H5Dread(d, H5T_NATIVE_INT64, ms, fs, H5P_DEFAULT, scratch));
        for (hsize_t i = 0; i < n; i++) {
            double x = (double)v[i];
            if (exact && (x >= 0x1p63 || (int64_t)x != v[i]))
                FAIL(E_PARSE, "%.256s: %s: row %llu: %lld has no exact float64 value; store the column as float64",
                     path, where, (unsigned long long)(r0 + i), (long long)v[i]);
            dst[i] = x;
        }
    } else if (c->kind == K_UINT64) {
        const uint64_t *v = scratch;
        CHECK_H5(H5Dread(d, H5T_NATIVE_UINT64, ms, fs, H5P_DEFAULT, scratch));
        for (hsize_t i = 0; i < n; i++) {
            double x = (double)v[i];
            if (exact && (x >= 0x1p64 || (uint64_t)x != v[i]))
                FAIL(E_PARSE, "%.256s: %s: row %llu: %llu has no exact float64 value; store the column as float64",
                     path, where, (unsigned long long)(r0 + i), (unsigned long long)v[i]);
            dst[i] = x;
        }
    } else {
        CHECK_H5(H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, dst));
    }
done:
    CLOSE_H5(ms, H5Sclose);
    CLOSE_H5(fs, H5Sclose);
    return rc;
}

/* Replaces every NaN of v[i * stride], i < n, by the canonical quiet NaN;
 * returns how many there were and the first one's index in *first. */
static size_t canon_nan(double *v, size_t n, size_t stride, size_t *first)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i * stride])) {
            if (k++ == 0)
                *first = i;
            v[i * stride] = NAN;
        }
    }
    return k;
}

/* ---- whole columns ----------------------------------------------------------- */

int h5_table_path_is_hdf5(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (strcasecmp(dot, ".h5") == 0 || strcasecmp(dot, ".hdf5") == 0);
}

/* Column j's n rows as doubles into col (tab_read, exact): a float column
 * in one read, a wide integer one H5TABLE_CHUNK_ROWS rows at a time
 * through a scratch buffer of its own. NaN is left as read. */
static int tab_read_column(const Tab *t, int j, size_t n, double *col, Err *err)
{
    const char *path = t->path;
    void *scratch = NULL;
    size_t step = n;
    int rc = 0;
    if (col_is_wide_int(&t->cols[j])) {
        if (!(scratch = malloc(H5TABLE_CHUNK_ROWS * sizeof(int64_t))))
            NOMEM();
        step = H5TABLE_CHUNK_ROWS;
    }
    for (size_t r0 = 0; r0 < n; r0 += step)
        TRY(tab_read(t, j, r0, n - r0 < step ? n - r0 : step, col + r0, scratch, 1, err));
done:
    free(scratch);
    return rc;
}

/* Column j as levels into *lv and codes into col (n rows; NaN for a
 * missing cell): a string column's texts ("" is missing), or a numeric
 * column's values printed with %.17g. *missing counts the missing cells. */
static int tab_read_text(const Tab *t, int j, size_t n, Levels *lv, double *col, size_t *missing, Err *err)
{
    const Col *c = &t->cols[j];
    const char *path = t->path;
    char where[WHERE_MAX], **s = NULL, num[32];
    size_t got = 0;
    int rc = 0;
    col_where(t, j, where, sizeof where);
    if (c->kind == K_TEXT) {
        if (t->matrix)
            FAIL(E_PARSE, "%.256s: %s: a 2-D dataset of strings is not a table; store one dataset per column",
                 path, where);
        TRY(tab_stored(t, j, err));
        TRY(h5u_read_strings(c->dset, where, &s, &got, path, err));
        if (got != n)
            FAIL(E_PARSE, "%.256s: %s: %zu texts for %zu rows", path, where, got, n);
    } else {
        TRY(tab_numeric(t, j, err));
        TRY(tab_read_column(t, j, n, col, err));
    }
    for (size_t i = 0; i < n; i++) {
        const char *text = s ? s[i] : num;
        if (!s && !isnan(col[i]))
            snprintf(num, sizeof num, "%.17g", col[i]);
        if (s ? !text[0] : isnan(col[i])) {
            col[i] = NAN;
            (*missing)++;
            continue;
        }
        size_t len = strlen(text);
        if (colname_utf8_invalid(text, len) >= 0) /* a level is stored in the model file as UTF-8 */
            FAIL(E_PARSE, "%.256s: %s: row %zu: the text \"%.32s\" is not UTF-8; store the column as UTF-8 text",
                 path, where, i + 1, text);
        int code = levels_intern(lv, text, len);
        if (code == -1)
            NOMEM();
        if (code < 0)
            FAIL(E_PARSE, "%.256s: %s: more than %d distinct texts: an identifier, not a category; leave the column "
                 "out of [data] features", path, where, LEVELS_MAX);
        col[i] = (double)code;
    }
done:
    h5u_free_strings(s, got);
    return rc;
}

int h5_table_read(const char *path, const char *table, const char *const *names, int ncols,
                  int allow_missing, Table *out, Err *err)
{
    return h5_table_read_typed(path, table, names, ncols, allow_missing, NULL, NULL, out, err);
}

/* Opens table into *t and finds names[0..ncols) in it (idx[c]), each of a
 * type mode[c] allows; text[c] = 1 for a column read as text: everything
 * h5_table_read_typed does before it reads a value. */
static int tab_select(const char *path, const char *table, const char *const *names, int ncols,
                      const unsigned char *mode, const ReadFix *fix, Tab *t, int *idx, unsigned char *text,
                      Err *err)
{
    int rc = 0;
    if (ncols < 1)
        return err_set(err, E_CONFIG, "%.256s: no columns requested", path);
    TRY(tab_open(path, table, t, err));
    for (int c = 0; c < ncols; c++) {
        TRY(tab_find(t, names[c], READ_FIX_ABSENT(fix, c), &idx[c], err));
        int m = mode ? mode[c] : CSV_COL_NUMBER;
        text[c] = m == CSV_COL_TEXT || (m == CSV_COL_AUTO && t->cols[idx[c]].kind == K_TEXT);
        if (!text[c])
            TRY(tab_numeric(t, idx[c], err));
    }
done:
    return rc;
}

int h5_table_check_typed(const char *path, const char *table, const char *const *names, int ncols,
                         const unsigned char *mode, Err *err)
{
    Tab t;
    size_t nsel = (size_t)(ncols > 0 ? ncols : 1);
    int *idx = malloc(nsel * sizeof *idx);
    unsigned char *text = malloc(nsel);
    int rc = 0;
    tab_init(&t, path);
    if (!idx || !text)
        NOMEM();
    rc = tab_select(path, table, names, ncols, mode, NULL, &t, idx, text, err);
done:
    tab_close(&t);
    free(idx);
    free(text);
    return rc;
}

int h5_table_read_typed(const char *path, const char *table, const char *const *names, int ncols,
                        int allow_missing, const unsigned char *mode, const ReadFix *fix, Table *out, Err *err)
{
    Tab t;
    int *idx = NULL, rc = 0;
    unsigned char *text = NULL;
    char w[WHERE_MAX];
    tab_init(&t, path);
    memset(out, 0, sizeof *out);
    size_t nsel = (size_t)(ncols > 0 ? ncols : 1);
    if (!(idx = malloc(nsel * sizeof *idx)) || !(text = malloc(nsel)))
        NOMEM();
    TRY(tab_select(path, table, names, ncols, mode, fix, &t, idx, text, err));
    out->ncols = ncols; /* table_free sees the text columns on failure */
    for (int c = 0; c < ncols; c++) {
        if (!text[c])
            continue;
        if (!out->text && !(out->text = calloc((size_t)ncols, sizeof *out->text)))
            NOMEM();
        if (!(out->text[c] = calloc(1, sizeof *out->text[c])))
            NOMEM();
    }
    size_t n = (size_t)t.nrows;
    if (n > SIZE_MAX / sizeof(double) / (size_t)ncols)
        FAIL(E_NOMEM, "%.256s: %s: %zu rows do not fit in memory", path, t.obj, n);
    out->cols = malloc(n * (size_t)ncols * sizeof *out->cols);
    out->missing = calloc((size_t)ncols, sizeof *out->missing);
    out->names = calloc((size_t)ncols, sizeof *out->names);
    if (!out->cols || !out->missing || !out->names)
        NOMEM();
    out->ncols = ncols;
    for (int c = 0; c < ncols; c++)
        if (!(out->names[c] = strdup(names[c])))
            NOMEM();
    for (int c = 0; c < ncols; c++) {
        double *col = out->cols + (size_t)c * n;
        if (table_text(out, c)) {
            TRY(tab_read_text(&t, idx[c], n, out->text[c], col, &out->missing[c], err));
            if (out->missing[c] && !allow_missing)
                FAIL(E_PARSE, "%.256s: %s: missing value (an empty text); %s", path,
                     col_where(&t, idx[c], w, sizeof w), READ_FIX_MISSING(fix));
            continue;
        }
        TRY(tab_read_column(&t, idx[c], n, col, err));
        size_t first = 0;
        out->missing[c] = canon_nan(col, n, 1, &first);
        if (out->missing[c] && !allow_missing)
            FAIL(E_PARSE, "%.256s: %s: row %zu: missing value (NaN); %s", path,
                 col_where(&t, idx[c], w, sizeof w), first, READ_FIX_MISSING(fix));
    }
    out->nrows = n;
done:
    tab_close(&t);
    free(idx);
    free(text);
    if (rc)
        table_free(out);
    return rc;
}

/* ---- describing ---------------------------------------------------------------- */

void h5_table_info_free(H5TableInfo *t)
{
    if (!t)
        return;
    for (int c = 0; c < t->ncols && t->cols; c++)
        free(t->cols[c].name);
    free(t->cols);
    free(t->table);
    memset(t, 0, sizeof *t);
}

int h5_table_inspect(const char *path, const char *table, H5TableInfo *out, Err *err)
{
    Tab t;
    double *buf = NULL;
    void *scratch = NULL;
    int rc = 0;
    tab_init(&t, path);
    memset(out, 0, sizeof *out);
    TRY(tab_open(path, table, &t, err));
    buf = malloc(H5TABLE_CHUNK_ROWS * sizeof *buf);
    scratch = malloc(H5TABLE_CHUNK_ROWS * sizeof(int64_t));
    out->table = strdup(t.obj);
    out->cols = calloc((size_t)t.ncols, sizeof *out->cols);
    if (!buf || !scratch || !out->table || !out->cols)
        NOMEM();
    out->matrix = t.matrix;
    out->nrows = (size_t)t.nrows;
    out->ncols = t.ncols;
    for (int j = 0; j < t.ncols; j++) {
        H5ColumnInfo *ci = &out->cols[j];
        const Col *c = &t.cols[j];
        if (!(ci->name = strdup(c->name)))
            NOMEM();
        memcpy(ci->type, c->type, sizeof ci->type);
        ci->is_numeric = c->kind == K_EXACT || col_is_wide_int(c);
        ci->min = ci->mean = ci->max = NAN;
        if (!ci->is_numeric)
            continue;
        TRY(tab_stored(&t, j, err)); /* not hours of reading fill values */
        double lo = INFINITY, hi = -INFINITY, sum = 0.0, comp = 0.0;
        size_t count = 0;
        for (size_t r0 = 0; r0 < out->nrows; r0 += H5TABLE_CHUNK_ROWS) {
            size_t nb = out->nrows - r0 < H5TABLE_CHUNK_ROWS ? out->nrows - r0 : H5TABLE_CHUNK_ROWS;
            TRY(tab_read(&t, j, r0, nb, buf, scratch, 0, err));
            for (size_t i = 0; i < nb; i++) {
                double v = buf[i];
                if (isnan(v)) {
                    ci->missing++;
                    continue;
                }
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
                double s = sum + v; /* Neumaier, as csv_inspect */
                comp += fabs(sum) >= fabs(v) ? (sum - s) + v : (v - s) + sum;
                sum = s;
                count++;
            }
        }
        if (count) {
            ci->min = lo;
            ci->max = hi;
            ci->mean = (sum + comp) / (double)count;
        }
    }
done:
    tab_close(&t);
    free(buf);
    free(scratch);
    if (rc)
        h5_table_info_free(out);
    return rc;
}

void h5_no_atexit(void)
{
    (void)H5dont_atexit();
}

int h5_file_format(const char *path, char *out, size_t cap, Err *err)
{
    const char *where = "/";
    hid_t f = H5I_INVALID_HID, a = H5I_INVALID_HID, ty = H5I_INVALID_HID;
    char **s = NULL;
    size_t n = 0;
    htri_t has;
    H5T_class_t cls;
    int rc = 0;
    if (cap)
        out[0] = '\0';
    TRY(open_file(path, &f, err));
    CHECK_H5(has = H5Aexists(f, "format"));
    if (!has)
        goto done;
    CHECK_H5(a = H5Aopen(f, "format", H5P_DEFAULT));
    CHECK_H5(ty = H5Aget_type(a));
    CHECK_H5(cls = H5Tget_class(ty));
    if (cls != H5T_STRING)
        goto done;
    TRY(read_attr_strings(f, "/", "format", &s, &n, path, err));
    if (n >= 1 && cap)
        snprintf(out, cap, "%s", s[0]);
done:
    h5u_free_strings(s, n);
    CLOSE_H5(ty, H5Tclose);
    CLOSE_H5(a, H5Aclose);
    CLOSE_H5(f, H5Fclose);
    return rc;
}

/* ---- reading by row range -------------------------------------------------------- */

struct H5Stream {
    Tab t;
    int n;              /* columns read: n - 1 features, then the target */
    int *idx;           /* owned, (n): their indices in t */
    size_t max_rows;
    double *col;        /* owned, (max_rows): one feature column, before it is spread into x */
    void *scratch;      /* owned, max_rows 64-bit integers when a column needs them, else NULL */
    char *path;         /* owned copy (t.path points here) */
};

void h5_stream_close(H5Stream **sp)
{
    if (!sp || !*sp)
        return;
    H5Stream *s = *sp;
    tab_close(&s->t);
    free(s->idx);
    free(s->col);
    free(s->scratch);
    free(s->path);
    free(s);
    *sp = NULL;
}

int h5_stream_open(const char *path, const char *table, const char *const *names, int n,
                   size_t max_rows, H5Stream **out, Err *err)
{
    H5Stream *s = NULL;
    int rc = 0, wide = 0;
    *out = NULL;
    if (n < 1)
        return err_set(err, E_CONFIG, "%.256s: no columns requested", path);
    if (!(s = calloc(1, sizeof *s)))
        NOMEM();
    tab_init(&s->t, path);
    if (!(s->path = strdup(path)) || !(s->idx = malloc((size_t)n * sizeof *s->idx)))
        NOMEM();
    s->n = n;
    s->max_rows = max_rows;
    TRY(tab_open(s->path, table, &s->t, err));
    for (int c = 0; c < n; c++) {
        TRY(tab_find(&s->t, names[c], "", &s->idx[c], err));
        TRY(tab_numeric(&s->t, s->idx[c], err));
        wide |= col_is_wide_int(&s->t.cols[s->idx[c]]);
    }
    if (!(s->col = malloc((max_rows ? max_rows : 1) * sizeof *s->col)))
        NOMEM();
    if (wide && !(s->scratch = malloc((max_rows ? max_rows : 1) * sizeof(int64_t))))
        NOMEM();
    *out = s;
    s = NULL;
done:
    h5_stream_close(&s);
    return rc;
}

size_t h5_stream_rows(const H5Stream *s)
{
    return (size_t)s->t.nrows;
}

int h5_stream_read(H5Stream *s, size_t first_row, size_t nrows, double *x, double *y, Err *err)
{
    const char *path = s->path;
    size_t total = (size_t)s->t.nrows, first = 0;
    int nfeat = s->n - 1, rc = 0;
    if (nrows > s->max_rows)
        return err_set(err, E_STATE, "%.256s: %s: a read of %zu rows; the stream was opened for at most %zu", path,
                       s->t.obj, nrows, s->max_rows);
    if (first_row > total || nrows > total - first_row)
        return err_set(err, E_STATE, "%.256s: %s: rows %zu..%zu are beyond the table's %zu rows",
                       path, s->t.obj, first_row, first_row + nrows, total);
    /* Each feature into a contiguous column, then spread into x: an HDF5
     * read into a strided memory selection is several times slower. */
    for (int f = 0; f < nfeat; f++) {
        TRY(tab_read(&s->t, s->idx[f], first_row, nrows, s->col, s->scratch, 1, err));
        canon_nan(s->col, nrows, 1, &first);
        for (size_t i = 0; i < nrows; i++)
            x[i * (size_t)nfeat + (size_t)f] = s->col[i];
    }
    TRY(tab_read(&s->t, s->idx[nfeat], first_row, nrows, y, s->scratch, 1, err));
    canon_nan(y, nrows, 1, &first);
done:
    return rc;
}
