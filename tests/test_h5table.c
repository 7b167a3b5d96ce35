/* test_h5table: io/h5table.c (both table layouts, type conversion, the
 * search for a table, errors, the row-range stream, the writer) and
 * io/datafile.c's convert (CSV -> HDF5, bit-identical to the CSV reader,
 * atomic). Fixtures are written with the HDF5 C API in each test's fresh
 * temporary directory; one test also runs h5py. Every test ends by checking
 * that no HDF5 id is left open. */
#define _GNU_SOURCE /* nftw, mkdtemp */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <ftw.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csvread.h"
#include "datafile.h"
#include "h5model.h"
#include "h5table.h"

typedef struct Fx {
    char dir[TU_DIR_MAX]; /* first: tu_tmpdir_new's */
    char path[160];   /* the HDF5 fixture */
    char csv[160];    /* a CSV fixture */
    char out[160];    /* convert's output */
} Fx;

/* ---- fixtures ------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    return H5open() < 0 ? -1 : 0;
}

static int setup(void **state)
{
    Fx *fx = tu_tmpdir_new(sizeof *fx, "test_h5table");
    if (!fx)
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/houses.h5", fx->dir);
    snprintf(fx->csv, sizeof fx->csv, "%s/houses.csv", fx->dir);
    snprintf(fx->out, sizeof fx->out, "%s/out.h5", fx->dir);
    *state = fx;
    return 0;
}

static void assert_no_open_ids(void)
{
    assert_int_equal(h5_open_objects(), 0);
}

static void assert_contains(const char *s, const char *part)
{
    if (!strstr(s, part))
        fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

/* Entries of dir other than "." and "..". */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* ---- writing fixtures with the HDF5 API -------------------------------------- */

static hid_t fx_create(const char *path)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

static void fx_close(hid_t f)
{
    assert_true(H5Fclose(f) >= 0);
}

static hid_t fx_group(hid_t f, const char *name, int track_order)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    assert_true(gcpl >= 0);
    if (track_order)
        assert_true(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0);
    hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    assert_true(g >= 0);
    assert_true(H5Pclose(gcpl) >= 0);
    return g;
}

/* Dataset name in loc: rank 1 (n) or 2 (n, m) of file type ftype, data in
 * mtype; chunk > 0 makes it chunked. */
static hid_t fx_dataset(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank, hsize_t n, hsize_t m,
                        hsize_t chunk, const void *data)
{
    hsize_t dims[2] = {n, m};
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    assert_true(sp >= 0 && dcpl >= 0);
    if (chunk) {
        hsize_t c[2] = {chunk, m};
        assert_true(H5Pset_chunk(dcpl, rank, c) >= 0);
    }
    hid_t d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(d >= 0);
    if (data && n)
        assert_true(H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    assert_true(H5Pclose(dcpl) >= 0);
    assert_true(H5Sclose(sp) >= 0);
    return d;
}

static void fx_column(hid_t loc, const char *name, hid_t ftype, hid_t mtype, hsize_t n, const void *data)
{
    assert_true(H5Dclose(fx_dataset(loc, name, ftype, mtype, 1, n, 0, 0, data)) >= 0);
}

/* String attribute(s) on obj: n strings, variable length, or fixed length
 * (null-padded, as numpy's S dtype) when fixed > 0. n == 0: one scalar. */
static void fx_str_attr(hid_t obj, const char *name, const char *const *s, hsize_t n, size_t fixed)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    assert_true(t >= 0);
    hid_t sp = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
    assert_true(sp >= 0);
    char buf[16][32];
    const void *data = s;
    if (fixed) {
        assert_true(H5Tset_size(t, fixed) >= 0);
        assert_true(H5Tset_strpad(t, H5T_STR_NULLPAD) >= 0);
        memset(buf, 0, sizeof buf);
        for (hsize_t i = 0; i < (n ? n : 1); i++)
            strncpy(buf[i], s[i], fixed);
        /* pack at stride `fixed` */
        char *packed = calloc(16, fixed);
        assert_non_null(packed);
        for (hsize_t i = 0; i < (n ? n : 1); i++)
            memcpy(packed + i * fixed, buf[i], fixed);
        hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
        assert_true(a >= 0);
        assert_true(H5Awrite(a, t, packed) >= 0);
        assert_true(H5Aclose(a) >= 0);
        free(packed);
    } else {
        assert_true(H5Tset_size(t, H5T_VARIABLE) >= 0);
        assert_true(H5Tset_cset(t, H5T_CSET_UTF8) >= 0);
        hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
        assert_true(a >= 0);
        assert_true(H5Awrite(a, t, data) >= 0);
        assert_true(H5Aclose(a) >= 0);
    }
    assert_true(H5Sclose(sp) >= 0);
    assert_true(H5Tclose(t) >= 0);
}

/* The standard fixture: group /houses (creation order tracked) with
 * area (float64), rooms (int32), price (float64, NaN at row 2), city
 * (strings), 4 rows. */
static const double AREA[4] = {1710.5, 1262.0, 1786.25, 0.1};
static const int32_t ROOMS[4] = {8, 6, 6, 7};
static const double PRICE[4] = {208500, 181500, NAN, 140000};

static void make_houses(const char *path)
{
    hid_t f = fx_create(path);
    hid_t g = fx_group(f, "houses", 1);
    fx_column(g, "area", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, AREA);
    fx_column(g, "rooms", H5T_STD_I32LE, H5T_NATIVE_INT32, 4, ROOMS);
    fx_column(g, "price", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, PRICE);
    const char *city[4] = {"Ames", "Ames", "Nevada", "Gilbert"};
    hid_t st = H5Tcopy(H5T_C_S1);
    assert_true(H5Tset_size(st, H5T_VARIABLE) >= 0);
    fx_column(g, "city", st, st, 4, city);
    assert_true(H5Tclose(st) >= 0);
    assert_true(H5Gclose(g) >= 0);
    fx_close(f);
}

/* ---- the columns layout ------------------------------------------------------- */

static void test_h5table_reads_columns_layout_by_name_in_any_order(void **state)
{
    Fx *fx = *state;
    make_houses(fx->path);
    const char *names[] = {"price", "area", "rooms", "area"};
    Table t;
    Err e = {0};
    if (h5_table_read(fx->path, "houses", names, 4, 1, &t, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(t.nrows, 4);
    assert_int_equal(t.ncols, 4);
    for (int i = 0; i < 4; i++) {
        assert_same_double(table_col(&t, 1)[i], AREA[i]);
        assert_same_double(table_col(&t, 3)[i], AREA[i]);
        assert_same_double(table_col(&t, 2)[i], (double)ROOMS[i]);
        if (i != 2)
            assert_same_double(table_col(&t, 0)[i], PRICE[i]);
    }
    assert_true(isnan(table_col(&t, 0)[2]));
    assert_int_equal(t.missing[0], 1);
    assert_int_equal(t.missing[1], 0);
    assert_string_equal(t.names[0], "price");
    table_free(&t);
    /* "/houses" and "houses/" name the same group */
    assert_int_equal(h5_table_read(fx->path, "/houses/", names + 1, 1, 1, &t, &e), 0);
    table_free(&t);
    assert_no_open_ids();
}

static void test_h5table_missing_value_is_an_error_unless_allowed(void **state)
{
    Fx *fx = *state;
    make_houses(fx->path);
    const char *names[] = {"area", "price"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "houses", names, 2, 0, &t, &e), E_PARSE);
    assert_msg(&e, "%s: /houses/price: row 2: missing value (NaN); set [data] missing = drop or mean, or fill the cell",
               fx->path);
    assert_null(t.cols);
    assert_no_open_ids();
}

static void test_h5table_stores_every_nan_as_the_canonical_nan(void **state)
{
    Fx *fx = *state;
    uint64_t bits[3] = {0xfff8000000000001ULL, 0x7ff0000000000001ULL, 0x4000000000000000ULL};
    double v[3];
    memcpy(v, bits, sizeof v);
    hid_t f = fx_create(fx->path);
    fx_column(f, "x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, v);
    fx_close(f);
    const char *names[] = {"x"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "", names, 1, 1, &t, &e), 0);
    assert_int_equal(t.missing[0], 2);
    assert_same_double(t.cols[0], NAN);
    assert_same_double(t.cols[1], NAN);
    assert_same_double(t.cols[2], 2.0);
    table_free(&t);
    assert_no_open_ids();
}

static void test_h5table_default_table_is_the_root_group(void **state)
{
    Fx *fx = *state;
    hid_t f = fx_create(fx->path);
    fx_column(f, "b", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, AREA);
    fx_column(f, "a", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, PRICE);
    hid_t g = fx_group(f, "elsewhere", 0);
    fx_column(g, "c", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, AREA); /* not part of the root table */
    assert_true(H5Gclose(g) >= 0);
    fx_close(f);
    const char *names[] = {"b"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "", names, 1, 1, &t, &e), 0);
    assert_int_equal(t.nrows, 4);
    assert_same_double(t.cols[3], AREA[3]);
    table_free(&t);
    H5TableInfo info;
    assert_int_equal(h5_table_inspect(fx->path, NULL, &info, &e), 0);
    assert_string_equal(info.table, "/");
    assert_int_equal(info.ncols, 2); /* no creation order: by name */
    assert_string_equal(info.cols[0].name, "a");
    assert_string_equal(info.cols[1].name, "b");
    h5_table_info_free(&info);
    assert_no_open_ids();
}

static void test_h5table_without_a_default_lists_the_tables(void **state)
{
    Fx *fx = *state;
    hid_t f = fx_create(fx->path);
    hid_t g = fx_group(f, "sales", 0);
    fx_column(g, "price", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, PRICE);
    assert_true(H5Gclose(g) >= 0);
    g = fx_group(f, "more", 0);
    hid_t d = fx_dataset(g, "matrix", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, 2, 2, 0, AREA);
    const char *cols[] = {"x", "y"};
    fx_str_attr(d, "columns", cols, 2, 0);
    assert_true(H5Dclose(d) >= 0);
    assert_true(H5Gclose(g) >= 0);
    fx_close(f);
    const char *names[] = {"price"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "", names, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: the root group holds no columns; name the table ([data] table or --table): /more/matrix, /sales",
               fx->path);
    assert_int_equal(h5_table_read(fx->path, "sale", names, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: no table \"/sale\" (did you mean \"/sales\"?); tables in the file: /more/matrix, /sales",
               fx->path);
    assert_int_equal(h5_table_read(fx->path, "/sales/price", names, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: /sales/price is one column (a 1-D dataset); name its group \"/sales\" as the table", fx->path);
    assert_no_open_ids();
}

static void test_h5table_file_without_any_table_says_what_a_table_is(void **state)
{
    Fx *fx = *state;
    hid_t f = fx_create(fx->path);
    assert_true(H5Gclose(fx_group(f, "empty", 0)) >= 0);
    fx_close(f);
    const char *names[] = {"x"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, NULL, names, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: the file holds no table (a group of 1-D datasets, one per column, or a 2-D dataset with a "
               "\"columns\" attribute)", fx->path);
    assert_int_equal(h5_table_read(fx->path, "empty", names, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: /empty holds no 1-D datasets; a table is a group of 1-D datasets (one per column) or a 2-D "
               "dataset with a \"columns\" attribute", fx->path);
    assert_no_open_ids();
}

static void test_h5table_unknown_column_suggests_the_closest_name(void **state)
{
    Fx *fx = *state;
    make_houses(fx->path);
    const char *names[] = {"area", "prize"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "houses", names, 2, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: /houses: no column \"prize\" (did you mean \"price\"?); columns are: area, rooms, price, city",
               fx->path);
    assert_no_open_ids();
}

static void test_h5table_text_column_is_an_error_naming_the_dataset(void **state)
{
    Fx *fx = *state;
    make_houses(fx->path);
    const char *names[] = {"city"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "houses", names, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: /houses/city holds text (strings), not numbers; choose another column", fx->path);
    assert_no_open_ids();
}

static void test_h5table_columns_of_different_lengths_are_an_error(void **state)
{
    Fx *fx = *state;
    hid_t f = fx_create(fx->path);
    hid_t g = fx_group(f, "t", 1);
    fx_column(g, "a", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, AREA);
    fx_column(g, "b", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, AREA);
    assert_true(H5Gclose(g) >= 0);
    fx_close(f);
    const char *names[] = {"a"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "t", names, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: /t/b has 3 rows and /t/a has 4; the columns of a table have one length", fx->path);
    assert_no_open_ids();
}

/* A DataFrame written by pandas' to_hdf (the PyTables fixed layout: the
 * columns in 2-D blocks, their names in datasets beside them, the group
 * marked with pandas_type) is named for what it is, by every reader,
 * instead of "/df/axis1 has 4 rows and /df/axis0 has 2". */
static void test_h5table_names_a_pandas_file_for_what_it_is(void **state)
{
    Fx *fx = *state;
    hid_t f = fx_create(fx->path);
    hid_t g = fx_group(f, "df", 0);
    const char *frame[] = {"frame"};
    fx_str_attr(g, "pandas_type", frame, 0, 5);
    fx_column(g, "axis1", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 4, AREA);
    fx_column(g, "axis0", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, AREA);
    assert_true(H5Gclose(g) >= 0);
    fx_close(f);
    const char *names[] = {"axis1"};
    Table t;
    Err e = {0};
    char want[600];
    snprintf(want, sizeof want, "%s: /df was written by pandas (DataFrame.to_hdf, the PyTables layout), which "
             "housenet does not read: write one 1-D dataset per column with h5py (docs/data.md) or save it with "
             "to_csv", fx->path);
    assert_int_equal(h5_table_read(fx->path, "df", names, 1, 1, &t, &e), E_PARSE);
    assert_string_equal(e.msg, want);
    H5TableInfo info;
    assert_int_equal(h5_table_inspect(fx->path, "df", &info, &e), E_PARSE);
    assert_string_equal(e.msg, want);
    H5Stream *st = NULL;
    assert_int_equal(h5_stream_open(fx->path, "df", names, 1, 0, &st, &e), E_PARSE);
    assert_string_equal(e.msg, want);
    assert_no_open_ids();
}

/* A chunked column declaring rows the file never stored: every reader
 * refuses it before allocating for them; a fully written column that
 * deflate packs ~1000:1 (all zeros) is still read. */
static void test_h5table_refuses_rows_the_file_does_not_store(void **state)
{
    Fx *fx = *state;
    const hsize_t huge = (hsize_t)1 << 40, zeros = (hsize_t)1 << 20;
    hid_t f = fx_create(fx->path);
    hid_t g = fx_group(f, "t", 1);
    assert_true(H5Dclose(fx_dataset(g, "a", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, huge, 0, 4096, NULL)) >= 0);
    hid_t z = fx_group(f, "z", 1);
    double *zero = calloc(zeros, sizeof *zero);
    assert_non_null(zero);
    hid_t sp = H5Screate_simple(1, &zeros, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t chunk = 65536;
    assert_true(sp >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 1, &chunk) >= 0 && H5Pset_shuffle(dcpl) >= 0 &&
                H5Pset_deflate(dcpl, 9) >= 0);
    hid_t d = H5Dcreate2(z, "c", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zero) >= 0);
    assert_true(H5Dget_storage_size(d) * 500 < zeros * sizeof(double)); /* the packing this test is about */
    assert_true(H5Dclose(d) >= 0 && H5Pclose(dcpl) >= 0 && H5Sclose(sp) >= 0);
    assert_true(H5Gclose(z) >= 0 && H5Gclose(g) >= 0);
    fx_close(f);
    free(zero);

    const char *names[] = {"a"};
#define WANT "%s: /t/a declares shape (1099511627776,) (8.8e+12 bytes) but the file stores 0 bytes for it; the " \
             "file is damaged or was not completely written"
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "t", names, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, WANT, fx->path);
    H5Stream *s = NULL;
    memset(&e, 0, sizeof e);
    assert_int_equal(h5_stream_open(fx->path, "t", names, 1, 64, &s, &e), E_PARSE);
    assert_null(s);
    assert_msg(&e, WANT, fx->path);
    H5TableInfo info;
    memset(&e, 0, sizeof e);
    assert_int_equal(h5_table_inspect(fx->path, "t", &info, &e), E_PARSE);
    assert_msg(&e, WANT, fx->path);
    h5_table_info_free(&info);
#undef WANT

    const char *zname[] = {"c"};
    memset(&e, 0, sizeof e);
    assert_int_equal(h5_table_read(fx->path, "z", zname, 1, 0, &t, &e), 0);
    assert_int_equal(t.nrows, zeros);
    assert_true(t.cols[0] == 0.0 && t.cols[zeros - 1] == 0.0);
    table_free(&t);
    assert_no_open_ids();
}

/* A virtual dataset (h5py's VirtualLayout) stores nothing in its own
 * file: its rows are read from the source, not refused as unstored. */
static void test_h5table_reads_a_virtual_column_from_its_source(void **state)
{
    Fx *fx = *state;
    const hsize_t n = (hsize_t)1 << 18; /* 2 MiB: past the check's 1 MiB allowance */
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (hsize_t i = 0; i < n; i++)
        v[i] = (double)i * 0.5;
    hid_t src = fx_create(fx->csv); /* any name in the fixture's directory */
    fx_column(src, "col", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, v);
    fx_close(src);
    hid_t f = fx_create(fx->path);
    hid_t g = fx_group(f, "v", 1);
    hid_t sp = H5Screate_simple(1, &n, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    assert_true(sp >= 0 && dcpl >= 0 && H5Pset_virtual(dcpl, sp, fx->csv, "/col", sp) >= 0);
    hid_t d = H5Dcreate2(g, "a", H5T_IEEE_F64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(d >= 0 && H5Dget_storage_size(d) == 0);
    assert_true(H5Dclose(d) >= 0 && H5Pclose(dcpl) >= 0 && H5Sclose(sp) >= 0 && H5Gclose(g) >= 0);
    fx_close(f);
    const char *names[] = {"a"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "v", names, 1, 0, &t, &e), 0);
    assert_int_equal(t.nrows, n);
    assert_memory_equal(t.cols, v, n * sizeof *v);
    table_free(&t);
    free(v);
    assert_no_open_ids();
}

/* ---- types ---------------------------------------------------------------------- */

static void test_h5table_converts_integer_and_float_types_exactly(void **state)
{
    Fx *fx = *state;
    const int8_t i8[3] = {-128, 0, 127};
    const uint16_t u16[3] = {0, 1, 65535};
    const uint32_t u32[3] = {0, 4000000000u, 7};
    const float f32[3] = {0.1f, -3.4e38f, 1e-45f};
    const int64_t i64[3] = {-9007199254740992LL, 1LL << 60, -(1LL << 62) - (1LL << 10)};
    const uint64_t u64[3] = {18446744073709549568ULL, 3, 0}; /* 2^64 - 2^11 is a double */
    const double be[3] = {-0.0, 1e-310, 1.7976931348623157e308};
    hid_t f = fx_create(fx->path);
    fx_column(f, "i8", H5T_STD_I8LE, H5T_NATIVE_INT8, 3, i8);
    fx_column(f, "u16", H5T_STD_U16BE, H5T_NATIVE_UINT16, 3, u16);
    fx_column(f, "u32", H5T_STD_U32LE, H5T_NATIVE_UINT32, 3, u32);
    fx_column(f, "f32", H5T_IEEE_F32BE, H5T_NATIVE_FLOAT, 3, f32);
    fx_column(f, "i64", H5T_STD_I64LE, H5T_NATIVE_INT64, 3, i64);
    fx_column(f, "u64", H5T_STD_U64LE, H5T_NATIVE_UINT64, 3, u64);
    fx_column(f, "be", H5T_IEEE_F64BE, H5T_NATIVE_DOUBLE, 3, be);
    fx_close(f);
    const char *names[] = {"i8", "u16", "u32", "f32", "i64", "u64", "be"};
    Table t;
    Err e = {0};
    if (h5_table_read(fx->path, "", names, 7, 0, &t, &e))
        fail_msg("%s", e.msg);
    for (int i = 0; i < 3; i++) {
        assert_same_double(table_col(&t, 0)[i], (double)i8[i]);
        assert_same_double(table_col(&t, 1)[i], (double)u16[i]);
        assert_same_double(table_col(&t, 2)[i], (double)u32[i]);
        assert_same_double(table_col(&t, 3)[i], (double)f32[i]);
        assert_same_double(table_col(&t, 4)[i], (double)i64[i]);
        assert_same_double(table_col(&t, 5)[i], (double)u64[i]);
        assert_same_double(table_col(&t, 6)[i], be[i]);
    }
    table_free(&t);
    H5TableInfo info;
    assert_int_equal(h5_table_inspect(fx->path, "", &info, &e), 0);
    const char *types[] = {"be", "float64", "f32", "float32", "i64", "int64", "i8", "int8",
                           "u16", "uint16", "u32", "uint32", "u64", "uint64"};
    for (int j = 0; j < 7; j++) { /* by name */
        assert_string_equal(info.cols[j].name, types[2 * j]);
        assert_string_equal(info.cols[j].type, types[2 * j + 1]);
        assert_true(info.cols[j].is_numeric);
    }
    h5_table_info_free(&info);
    assert_no_open_ids();
}

static void test_h5table_rejects_a_64_bit_integer_without_an_exact_double(void **state)
{
    Fx *fx = *state;
    const int64_t i64[3] = {1, (1LL << 53) + 1, 2};
    const uint64_t u64[2] = {5, UINT64_MAX};
    hid_t f = fx_create(fx->path);
    fx_column(f, "id", H5T_STD_I64LE, H5T_NATIVE_INT64, 3, i64);
    fx_close(f);
    hid_t f2 = fx_create(fx->out);
    fx_column(f2, "uid", H5T_STD_U64LE, H5T_NATIVE_UINT64, 2, u64);
    fx_close(f2);
    const char *names[] = {"id"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "", names, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: /id: row 1: 9007199254740993 has no exact float64 value; store the column as float64",
               fx->path);
    const char *unames[] = {"uid"};
    assert_int_equal(h5_table_read(fx->out, "", unames, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: /uid: row 1: 18446744073709551615 has no exact float64 value; store the column as float64",
               fx->out);
    assert_no_open_ids();
}

static void test_h5table_rejects_types_that_are_not_numbers(void **state)
{
    Fx *fx = *state;
    hid_t f = fx_create(fx->path);
    hid_t en = H5Tenum_create(H5T_NATIVE_INT8); /* h5py's bool */
    int8_t no = 0, yes = 1;
    assert_true(H5Tenum_insert(en, "FALSE", &no) >= 0);
    assert_true(H5Tenum_insert(en, "TRUE", &yes) >= 0);
    const int8_t flags[2] = {0, 1};
    fx_column(f, "flag", en, en, 2, flags);
    assert_true(H5Tclose(en) >= 0);
    const long double wide[2] = {1.0L, 2.0L};
    fx_column(f, "wide", H5T_NATIVE_LDOUBLE, H5T_NATIVE_LDOUBLE, 2, wide);
    fx_close(f);
    const char *n1[] = {"flag"}, *n2[] = {"wide"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "", n1, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: /flag holds enum values, which have no exact float64; store numbers (integers, float32 or "
               "float64)", fx->path);
    assert_int_equal(h5_table_read(fx->path, "", n2, 1, 1, &t, &e), E_PARSE);
    assert_contains(e.msg, "/wide holds float128 values, which have no exact float64");
    H5TableInfo info;
    assert_int_equal(h5_table_inspect(fx->path, "", &info, &e), 0);
    assert_false(info.cols[0].is_numeric);
    assert_string_equal(info.cols[0].type, "enum");
    assert_true(isnan(info.cols[0].mean));
    h5_table_info_free(&info);
    assert_no_open_ids();
}

/* ---- the matrix layout ---------------------------------------------------------------- */

static void make_matrix(const char *path, size_t fixed)
{
    const double m[5][3] = {{1, 10, 100}, {2, 20, NAN}, {3, 30, 300}, {4, 40, 400}, {5, 50, 500}};
    hid_t f = fx_create(path);
    hid_t d = fx_dataset(f, "houses", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, 5, 3, 2, m);
    const char *cols[] = {"area", "rooms", "price"};
    fx_str_attr(d, "columns", cols, 3, fixed);
    assert_true(H5Dclose(d) >= 0);
    fx_close(f);
}

static void test_h5table_reads_matrix_layout_named_by_columns_attribute(void **state)
{
    Fx *fx = *state;
    for (size_t fixed = 0; fixed <= 8; fixed += 8) { /* variable- and fixed-length names */
        make_matrix(fx->path, fixed);
        const char *names[] = {"price", "area"};
        Table t;
        Err e = {0};
        if (h5_table_read(fx->path, "houses", names, 2, 1, &t, &e))
            fail_msg("%s", e.msg);
        assert_int_equal(t.nrows, 5);
        for (int i = 0; i < 5; i++) {
            assert_same_double(table_col(&t, 1)[i], i + 1.0);
            if (i != 1)
                assert_same_double(table_col(&t, 0)[i], 100.0 * (i + 1));
        }
        assert_int_equal(t.missing[0], 1);
        table_free(&t);
        assert_int_equal(h5_table_read(fx->path, "houses", names, 2, 0, &t, &e), E_PARSE);
        assert_msg(&e, "%s: /houses[:, 2] (\"price\"): row 1: missing value (NaN); set [data] missing = drop or "
                   "mean, or fill the cell", fx->path);
    }
    assert_no_open_ids();
}

static void test_h5table_matrix_needs_one_name_per_column(void **state)
{
    Fx *fx = *state;
    const double m[2][3] = {{1, 2, 3}, {4, 5, 6}};
    hid_t f = fx_create(fx->path);
    hid_t d = fx_dataset(f, "two", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, 2, 3, 0, m);
    const char *cols[] = {"a", "b"};
    fx_str_attr(d, "columns", cols, 2, 0);
    assert_true(H5Dclose(d) >= 0);
    assert_true(H5Dclose(fx_dataset(f, "bare", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, 2, 3, 0, m)) >= 0);
    fx_close(f);
    const char *names[] = {"a"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "two", names, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: /two attribute \"columns\": 2 names for 3 columns", fx->path);
    assert_int_equal(h5_table_read(fx->path, "bare", names, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: /bare: a 2-D table needs a \"columns\" attribute naming its columns (h5py: "
               "d.attrs[\"columns\"] = [\"a\", \"b\"])", fx->path);
    assert_no_open_ids();
}

/* ---- files ------------------------------------------------------------------------------ */

static void test_h5table_reports_files_it_cannot_read(void **state)
{
    Fx *fx = *state;
    const char *names[] = {"x"};
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "", names, 1, 1, &t, &e), E_IO);
    assert_msg(&e, "%s: cannot open: No such file or directory", fx->path);
    tu_write_text(fx->path, "x,y\n1,2\n");
    assert_int_equal(h5_table_read(fx->path, "", names, 1, 1, &t, &e), E_PARSE);
    assert_msg(&e, "%s: not an HDF5 file", fx->path);
    char format[32] = "?";
    assert_int_equal(h5_file_format(fx->path, format, sizeof format, &e), E_PARSE);
    assert_true(h5_table_path_is_hdf5("a/b.H5") && h5_table_path_is_hdf5("x.hdf5"));
    assert_false(h5_table_path_is_hdf5("x.csv") || h5_table_path_is_hdf5("h5"));
    assert_no_open_ids();
}

static void test_h5table_inspect_describes_every_column(void **state)
{
    Fx *fx = *state;
    make_houses(fx->path);
    H5TableInfo info;
    Err e = {0};
    assert_int_equal(h5_table_inspect(fx->path, "houses", &info, &e), 0);
    assert_string_equal(info.table, "/houses");
    assert_false(info.matrix);
    assert_int_equal(info.nrows, 4);
    assert_int_equal(info.ncols, 4);
    const H5ColumnInfo *c = info.cols;
    assert_string_equal(c[0].name, "area");
    assert_string_equal(c[0].type, "float64");
    assert_same_double(c[0].min, 0.1);
    assert_same_double(c[0].max, 1786.25);
    assert_same_double(c[0].mean, (1710.5 + 1262.0 + 1786.25 + 0.1) / 4);
    assert_string_equal(c[1].type, "int32");
    assert_same_double(c[1].mean, 6.75);
    assert_int_equal(c[2].missing, 1);
    assert_same_double(c[2].mean, (208500 + 181500 + 140000) / 3.0);
    assert_string_equal(c[3].name, "city");
    assert_string_equal(c[3].type, "string");
    assert_false(c[3].is_numeric);
    h5_table_info_free(&info);
    assert_null(info.cols);
    make_matrix(fx->path, 0);
    assert_int_equal(h5_table_inspect(fx->path, "houses", &info, &e), 0);
    assert_true(info.matrix);
    assert_int_equal(info.ncols, 3);
    assert_same_double(info.cols[1].max, 50);
    h5_table_info_free(&info);
    assert_no_open_ids();
}

/* ---- the row-range stream ------------------------------------------------------------------- */

static void test_h5table_stream_reads_row_ranges_as_the_table_reader_does(void **state)
{
    Fx *fx = *state;
    enum { N = 1000 };
    static double a[N], b[N];
    static int64_t c[N];
    for (int i = 0; i < N; i++) {
        a[i] = i * 0.5 - 7;
        b[i] = i % 97 == 0 ? NAN : 1.0 / (i + 1);
        c[i] = (int64_t)i * 1000003 - 5;
    }
    hid_t f = fx_create(fx->path);
    hid_t g = fx_group(f, "t", 1);
    assert_true(H5Dclose(fx_dataset(g, "a", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, N, 0, 64, a)) >= 0);
    assert_true(H5Dclose(fx_dataset(g, "b", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, N, 0, 100, b)) >= 0);
    fx_column(g, "c", H5T_STD_I64LE, H5T_NATIVE_INT64, N, c);
    assert_true(H5Gclose(g) >= 0);
    fx_close(f);

    const char *names[] = {"c", "a", "b"}; /* features c, a; target b */
    Table t;
    Err e = {0};
    assert_int_equal(h5_table_read(fx->path, "t", names, 3, 1, &t, &e), 0);
    H5Stream *s = NULL;
    if (h5_stream_open(fx->path, "t", names, 3, 300, &s, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(h5_stream_rows(s), N);
    static double x[300 * 2], y[300];
    const size_t ranges[][2] = {{0, 10}, {995, 5}, {123, 300}, {700, 300}, {500, 0}, {1, 1}};
    for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
        size_t r0 = ranges[k][0], n = ranges[k][1];
        memset(x, 0xAB, sizeof x);
        if (h5_stream_read(s, r0, n, x, y, &e))
            fail_msg("%s", e.msg);
        for (size_t i = 0; i < n; i++) {
            assert_same_double(x[2 * i], table_col(&t, 0)[r0 + i]);
            assert_same_double(x[2 * i + 1], table_col(&t, 1)[r0 + i]);
            assert_same_double(y[i], table_col(&t, 2)[r0 + i]);
        }
        uint64_t guard;
        memcpy(&guard, &x[2 * n], sizeof guard); /* nothing written past the range */
        if (2 * n < 600)
            assert_true(guard == 0xABABABABABABABABULL);
    }
    assert_int_equal(h5_stream_read(s, 900, 101, x, y, &e), E_STATE);
    assert_contains(e.msg, "rows 900..1001 are beyond the table's 1000 rows");
    assert_int_equal(h5_stream_read(s, 0, 301, x, y, &e), E_STATE);
    h5_stream_close(&s);
    assert_null(s);
    table_free(&t);

    const char *bad[] = {"a", "nope"};
    assert_int_equal(h5_stream_open(fx->path, "t", bad, 2, 10, &s, &e), E_PARSE);
    assert_null(s);
    assert_contains(e.msg, "no column \"nope\"");
    assert_no_open_ids();
}

static void test_h5table_stream_reads_the_matrix_layout(void **state)
{
    Fx *fx = *state;
    make_matrix(fx->path, 0);
    const char *names[] = {"rooms", "area", "price"};
    H5Stream *s = NULL;
    Err e = {0};
    assert_int_equal(h5_stream_open(fx->path, "houses", names, 3, 4, &s, &e), 0);
    double x[8], y[4];
    assert_int_equal(h5_stream_read(s, 1, 4, x, y, &e), 0);
    for (int i = 0; i < 4; i++) {
        assert_same_double(x[2 * i], 10.0 * (i + 2));
        assert_same_double(x[2 * i + 1], i + 2.0);
    }
    assert_true(isnan(y[0]));
    assert_same_double(y[3], 500);
    h5_stream_close(&s);
    assert_no_open_ids();
}

/* ---- the writer and convert ------------------------------------------------------------------- */

static void test_h5table_writer_without_commit_leaves_no_file(void **state)
{
    Fx *fx = *state;
    const char *names[] = {"a", "b"};
    const double cols[4] = {1, 2, 3, 4};
    H5TableWriter *w = NULL;
    Err e = {0};
    assert_int_equal(h5_table_writer_open(fx->out, "table", names, 2, "x.csv", 0, &w, &e), 0);
    assert_int_equal(h5_table_writer_append(w, cols, 2, 2, &e), 0);
    assert_int_equal(count_entries(fx->dir), 1); /* the temporary file */
    h5_table_writer_free(&w);
    assert_null(w);
    assert_int_equal(count_entries(fx->dir), 0);

    const char *slash[] = {"price/sqft"};
    assert_int_equal(h5_table_writer_open(fx->out, "table", slash, 1, "x.csv", 0, &w, &e), E_PARSE);
    assert_msg(&e, "%s: column \"price/sqft\" cannot be an HDF5 dataset name: it must be non-empty, without '/' and "
               "not \".\"; rename it in x.csv", fx->out);
    char missing_dir[200];
    snprintf(missing_dir, sizeof missing_dir, "%s/no/such/out.h5", fx->dir);
    assert_int_equal(h5_table_writer_open(missing_dir, "table", names, 2, "x.csv", 0, &w, &e), E_IO);
    assert_contains(e.msg, "No such file or directory");
    assert_int_equal(count_entries(fx->dir), 0);
    assert_no_open_ids();
}

/* A CSV of rows x (id, text, x, y) where x and y hold every kind of number
 * the reader accepts, missing cells and NA tokens; more rows than a chunk. */
static size_t write_tricky_csv(const char *path, size_t rows)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "id,city,x,y\n");
    uint64_t s = 99;
    for (size_t i = 0; i < rows; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double v = (double)(int64_t)(s >> 1) * 0x1p-40;
        char x[64], y[64];
        switch ((s >> 20) % 7) {
        case 0: snprintf(x, sizeof x, "%.3f", v); break;
        case 1: snprintf(x, sizeof x, "%g", v); break;
        case 2: snprintf(x, sizeof x, "%.10e", v); break;
        case 3: snprintf(x, sizeof x, "  %.6g ", v); break;
        case 4: snprintf(x, sizeof x, "%.0f", v); break;
        case 5: snprintf(x, sizeof x, "+%.2f", fabs(v)); break;
        default: snprintf(x, sizeof x, "%.17g", v); break;
        }
        switch ((s >> 30) % 16) {
        case 0: snprintf(y, sizeof y, "NA"); break;
        case 1: snprintf(y, sizeof y, "%s", ""); break;
        case 2: snprintf(y, sizeof y, "-0"); break;
        case 3: snprintf(y, sizeof y, "4.9e-324"); break;
        case 4: snprintf(y, sizeof y, "1.7976931348623157e308"); break;
        case 5: snprintf(y, sizeof y, "0.1000000000000000055511151231257827"); break;
        default: snprintf(y, sizeof y, "%.17g", 1.0 / (double)(i + 1)); break;
        }
        fprintf(f, "%zu,\"Town %zu, IA\",%s,%s\n", i, i % 13, x, y);
    }
    assert_int_equal(fclose(f), 0);
    return rows;
}

static void test_convert_round_trip_is_bit_identical_to_the_csv_reader(void **state)
{
    Fx *fx = *state;
    size_t rows = write_tricky_csv(fx->csv, 150000); /* three chunks of 65536 rows */
    static const char *const na[] = {"NA"};
    CsvOptions o = {0};
    o.na_values = na;
    o.n_na_values = 1;
    o.allow_missing = 1;
    ConvertReport rep;
    Err e = {0};
    if (datafile_convert(fx->csv, fx->out, NULL, &o, 1, &rep, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(rep.rows, rows);
    assert_int_equal(rep.written, 4);
    assert_int_equal(rep.text, 1);
    assert_int_equal(rep.ncols, 4);
    assert_false(rep.cols[1].is_numeric); /* city: stored as text */
    assert_string_equal(rep.cols[1].name, "city");
    assert_true(rep.compressed);
    datafile_report_free(&rep);

    const char *names[] = {"x", "id", "y"};
    Table csv, h5;
    assert_int_equal(csv_read_columns(fx->csv, names, 3, &o, &csv, &e), 0);
    if (h5_table_read(fx->out, NULL, names, 3, 1, &h5, &e)) /* found through the root attribute "table" */
        fail_msg("%s", e.msg);
    assert_int_equal(h5.nrows, csv.nrows);
    assert_memory_equal(h5.cols, csv.cols, 3 * rows * sizeof(double));
    for (int c = 0; c < 3; c++)
        assert_int_equal(h5.missing[c], csv.missing[c]);
    assert_true(csv.missing[2] > 0);
    table_free(&csv);
    table_free(&h5);
    /* the text column: the same levels in the same order, the same codes */
    const char *city[] = {"city"};
    const unsigned char text[] = {CSV_COL_TEXT};
    o.text = text;
    assert_int_equal(csv_read_columns(fx->csv, city, 1, &o, &csv, &e), 0);
    if (h5_table_read_typed(fx->out, NULL, city, 1, 1, text, NULL, &h5, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(table_text(&h5, 0)->n, 13);
    assert_int_equal(table_text(&h5, 0)->n, table_text(&csv, 0)->n);
    for (int k = 0; k < 13; k++)
        assert_string_equal(table_text(&h5, 0)->names[k], table_text(&csv, 0)->names[k]);
    assert_string_equal(table_text(&h5, 0)->names[1], "Town 1, IA");
    assert_memory_equal(h5.cols, csv.cols, rows * sizeof(double));
    table_free(&csv);
    table_free(&h5);

    /* the layout promised: chunked, shuffle then deflate, unlimited */
    hid_t f = H5Fopen(fx->out, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t d = H5Dopen2(f, "/table/y", H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t dcpl = H5Dget_create_plist(d);
    hsize_t chunk[1] = {0}, dims[1], maxdims[1];
    assert_int_equal(H5Pget_chunk(dcpl, 1, chunk), 1);
    assert_int_equal(chunk[0], H5TABLE_CHUNK_ROWS);
    assert_int_equal(H5Pget_nfilters(dcpl), 2);
    unsigned flags, cd[4];
    size_t ncd = 4;
    assert_int_equal(H5Pget_filter2(dcpl, 0, &flags, &ncd, cd, 0, NULL, NULL), H5Z_FILTER_SHUFFLE);
    ncd = 4;
    assert_int_equal(H5Pget_filter2(dcpl, 1, &flags, &ncd, cd, 0, NULL, NULL), H5Z_FILTER_DEFLATE);
    assert_int_equal(cd[0], H5TABLE_DEFLATE);
    hid_t sp = H5Dget_space(d);
    assert_int_equal(H5Sget_simple_extent_dims(sp, dims, maxdims), 1);
    assert_int_equal(dims[0], rows);
    assert_true(maxdims[0] == H5S_UNLIMITED);
    assert_true(H5Sclose(sp) >= 0 && H5Pclose(dcpl) >= 0 && H5Dclose(d) >= 0 && H5Fclose(f) >= 0);
    char format[32];
    assert_int_equal(h5_file_format(fx->out, format, sizeof format, &e), 0);
    assert_string_equal(format, H5TABLE_FORMAT);
    assert_no_open_ids();
}

static void test_convert_of_a_malformed_csv_leaves_no_output(void **state)
{
    Fx *fx = *state;
    FILE *f = fopen(fx->csv, "w");
    assert_non_null(f);
    fprintf(f, "a,b\n");
    for (int i = 0; i < 100000; i++)
        fprintf(f, "%d,%d.5\n", i, i);
    fprintf(f, "1,2,3\n"); /* ragged, far beyond the first chunk */
    assert_int_equal(fclose(f), 0);
    ConvertReport rep;
    Err e = {0};
    assert_int_equal(datafile_convert(fx->csv, fx->out, "t", NULL, 0, &rep, &e), E_PARSE);
    assert_msg(&e, "%s:100002: row has 3 fields, the header has 2; a value that holds the delimiter must be quoted",
               fx->csv);
    datafile_report_free(&rep);
    assert_int_equal(count_entries(fx->dir), 1); /* the CSV alone */

    /* an existing output survives a failed conversion untouched */
    tu_write_text(fx->out, "previous");
    assert_int_equal(datafile_convert(fx->csv, fx->out, "t", NULL, 0, &rep, &e), E_PARSE);
    datafile_report_free(&rep);
    f = fopen(fx->out, "r");
    char buf[16] = "";
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "previous");
    assert_int_equal(count_entries(fx->dir), 2);

    /* a CSV with nothing numeric converts to text columns; an HDF5 input is refused */
    tu_write_text(fx->csv, "a,b\nx,y\n");
    assert_int_equal(datafile_convert(fx->csv, fx->out, "t", NULL, 0, &rep, &e), 0);
    assert_int_equal(rep.text, 2);
    datafile_report_free(&rep);
    assert_int_equal(datafile_convert(fx->out, fx->path, "t", NULL, 0, &rep, &e), E_USAGE);
    datafile_report_free(&rep);
    assert_int_equal(count_entries(fx->dir), 2);
    assert_no_open_ids();
}

static void test_convert_commit_failure_removes_the_temporary_file(void **state)
{
    Fx *fx = *state;
    const char *names[] = {"a"};
    const double col[] = {1, 2};
    H5TableWriter *w = NULL;
    Err e = {0};
    tu_write_text(fx->csv, "a,b\n1,2\n3,4\n");
    assert_int_equal(h5_table_writer_open(fx->out, "table", names, 1, fx->csv, 0, &w, &e), 0);
    assert_int_equal(h5_table_writer_append(w, col, 2, 2, &e), 0);
    assert_int_equal(mkdir(fx->out, 0755), 0); /* appears meanwhile: the rename onto it fails */
    assert_int_equal(h5_table_writer_commit(w, &e), E_IO);
    assert_contains(e.msg, fx->out);
    h5_table_writer_free(&w);
    assert_int_equal(count_entries(fx->dir), 2); /* the CSV and the directory */
    assert_no_open_ids();
}

static void test_convert_refuses_a_directory_before_reading_the_input(void **state)
{
    Fx *fx = *state;
    ConvertReport rep;
    Err e = {0};
    tu_write_text(fx->csv, "a,b\n1,2\n3,4\n");
    assert_int_equal(mkdir(fx->out, 0755), 0);
    assert_int_equal(datafile_convert(fx->csv, fx->out, NULL, NULL, 0, &rep, &e), E_USAGE);
    assert_contains(e.msg, "is a directory");
    assert_int_equal(rep.ncols, 0); /* refused before pass 1 */
    datafile_report_free(&rep);
    assert_int_equal(count_entries(fx->dir), 2);
    assert_no_open_ids();
}

/* h5py reads what convert writes, and writes both layouts (docs/data.md's
 * snippet) in a form h5_table_read accepts with the same values. */
static const char h5py_script[] =
    "import sys, h5py, numpy as np\n"
    "out, cols, mat = sys.argv[1], sys.argv[2], sys.argv[3]\n"
    "f = h5py.File(out, 'r')\n"
    "assert f.attrs['format'] == 'housenet-table' and f.attrs['version'] == 1, dict(f.attrs)\n"
    "assert f.attrs['table'] == '/table'\n"
    "assert list(f['table']) == ['a', 'b'], list(f['table'])\n"
    "assert f['table/b'].dtype == np.float64 and f['table/b'].maxshape == (None,)\n"
    "assert list(f['table/a'][()]) == [1.5, 3.0] and np.isnan(f['table/b'][1])\n"
    "area = np.array([1710.0, 1262.0, 1786.0]); price = np.array([208500, 181500, 223500], dtype=np.int64)\n"
    "with h5py.File(cols, 'w') as g:\n"
    "    h = g.create_group('houses')\n"
    "    h['Gr_Liv_Area'] = area\n"
    "    h['Sale_Price'] = price\n"
    "with h5py.File(mat, 'w') as g:\n"
    "    d = g.create_dataset('houses', data=np.column_stack([area, price]).astype('float64'))\n"
    "    d.attrs['columns'] = ['Gr_Liv_Area', 'Sale_Price']\n";

static void test_h5py_reads_convert_output_and_writes_both_layouts(void **state)
{
    Fx *fx = *state;
    if (system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0)
        skip();
    tu_write_text(fx->csv, "a,b\n1.5,2\n3,\n");
    ConvertReport rep;
    Err e = {0};
    assert_int_equal(datafile_convert(fx->csv, fx->out, NULL, NULL, 0, &rep, &e), 0);
    datafile_report_free(&rep);
    char script[128], cols[128], mat[128], cmd[700];
    snprintf(script, sizeof script, "%s/check.py", fx->dir);
    snprintf(cols, sizeof cols, "%s/cols.h5", fx->dir);
    snprintf(mat, sizeof mat, "%s/mat.h5", fx->dir);
    tu_write_text(script, h5py_script);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s %s", script, fx->out, cols, mat);
    assert_int_equal(system(cmd), 0);
    const char *names[] = {"Sale_Price", "Gr_Liv_Area"};
    const char *files[] = {cols, mat};
    for (int k = 0; k < 2; k++) {
        Table t;
        if (h5_table_read(files[k], "houses", names, 2, 0, &t, &e))
            fail_msg("%s", e.msg);
        assert_same_double(table_col(&t, 0)[2], 223500);
        assert_same_double(table_col(&t, 1)[1], 1262);
        table_free(&t);
    }
    assert_no_open_ids();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, tu_tmpdir_teardown)
        T(test_h5table_reads_columns_layout_by_name_in_any_order),
        T(test_h5table_missing_value_is_an_error_unless_allowed),
        T(test_h5table_stores_every_nan_as_the_canonical_nan),
        T(test_h5table_default_table_is_the_root_group),
        T(test_h5table_without_a_default_lists_the_tables),
        T(test_h5table_file_without_any_table_says_what_a_table_is),
        T(test_h5table_unknown_column_suggests_the_closest_name),
        T(test_h5table_text_column_is_an_error_naming_the_dataset),
        T(test_h5table_names_a_pandas_file_for_what_it_is),
        T(test_h5table_columns_of_different_lengths_are_an_error),
        T(test_h5table_refuses_rows_the_file_does_not_store),
        T(test_h5table_reads_a_virtual_column_from_its_source),
        T(test_h5table_converts_integer_and_float_types_exactly),
        T(test_h5table_rejects_a_64_bit_integer_without_an_exact_double),
        T(test_h5table_rejects_types_that_are_not_numbers),
        T(test_h5table_reads_matrix_layout_named_by_columns_attribute),
        T(test_h5table_matrix_needs_one_name_per_column),
        T(test_h5table_reports_files_it_cannot_read),
        T(test_h5table_inspect_describes_every_column),
        T(test_h5table_stream_reads_row_ranges_as_the_table_reader_does),
        T(test_h5table_stream_reads_the_matrix_layout),
        T(test_h5table_writer_without_commit_leaves_no_file),
        T(test_convert_round_trip_is_bit_identical_to_the_csv_reader),
        T(test_convert_of_a_malformed_csv_leaves_no_output),
        T(test_convert_refuses_a_directory_before_reading_the_input),
        T(test_convert_commit_failure_removes_the_temporary_file),
        T(test_h5py_reads_convert_output_and_writes_both_layouts),
#undef T
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
