/* test_h5model: model.h5 and curves.h5 round trips, the errors a bad or
 * foreign file gives, crash-safe replacement (atomic.c), and the in-memory
 * curves log. Every test runs in a fresh temporary directory and ends by
 * checking that no HDF5 id is left open. The test crafts bad files with the
 * HDF5 API directly; the library under test never exposes a hid_t. */
#define _GNU_SOURCE /* nftw */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "h5model.h"

typedef struct Fixture {
    char dir[TU_DIR_MAX]; /* first: tu_tmpdir_new's */
    char model[128];
    char curves[128];
} Fixture;

/* ---- fixtures --------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    if (H5open() < 0)
        return -1;
    return 0;
}

static int setup(void **state)
{
    Fixture *fx = tu_tmpdir_new(sizeof *fx, "test_h5model");
    if (!fx)
        return -1;
    snprintf(fx->model, sizeof fx->model, "%s/model.h5", fx->dir);
    snprintf(fx->curves, sizeof fx->curves, "%s/curves.h5", fx->dir);
    *state = fx;
    return 0;
}

/* Fails the test when an HDF5 file, group, dataset, attribute or named
 * type is still open. (HDF5 1.10 has no public count of transient types,
 * spaces and property lists: H5Inmembers refuses library id types.) */
static void assert_no_open_ids(void)
{
    assert_int_equal(h5_open_objects(), 0);
}

/* Entries of dir whose name starts with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static void assert_contains(const char *s, const char *part)
{
    if (!strstr(s, part))
        fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

/* ---- models ----------------------------------------------------------- */

static uint64_t next_bits(uint64_t *x) /* xorshift64* */
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 2685821657736338717ULL;
}

/* A double with random bits (NaN payloads, subnormals, -0 included) when
 * seed is set, else the exact value i/8 - 1 that Python can recompute. */
static double value(uint64_t *seed, size_t i)
{
    if (!*seed)
        return (double)i * 0.125 - 1.0;
    uint64_t b = next_bits(seed);
    double v;
    memcpy(&v, &b, sizeof v);
    return isfinite(v) ? v : (double)i; /* a model file holds finite values only */
}

/* A normalisation scale: finite and > 0, as the loader requires. */
static double scale_value(uint64_t *seed, size_t i)
{
    double v = fabs(value(seed, i));
    return v > 0.0 ? v : 1.0;
}

/* Fills *m by hand (layout as net.h documents it: W_l then b_l, layer by
 * layer) for nin -> hidden... -> 1 with one activation per weight layer. */
static void make_model(Model *m, int nin, const int *hidden, int nhidden, const Activation *acts,
                       uint64_t seed)
{
    memset(m, 0, sizeof *m);
    Net *net = &m->net;
    net->nlayers = nhidden + 1;
    net->width[0] = nin;
    for (int l = 0; l < nhidden; l++)
        net->width[l + 1] = hidden[l];
    net->width[net->nlayers] = 1;
    size_t off = 0;
    for (int l = 0; l < net->nlayers; l++) {
        net->act[l] = acts[l];
        net->off_W[l] = off;
        off += (size_t)net->width[l + 1] * (size_t)net->width[l];
        net->off_b[l] = off;
        off += (size_t)net->width[l + 1];
    }
    net->nparams = off;
    net->params = malloc(off * sizeof *net->params);
    assert_non_null(net->params);
    for (size_t i = 0; i < off; i++)
        net->params[i] = value(&seed, i);

    m->norm.kind = NORM_ZSCORE;
    m->norm.target_kind = NORM_MINMAX;
    m->norm.nin = nin;
    m->norm.x_shift = malloc((size_t)nin * sizeof(double));
    m->norm.x_scale = malloc((size_t)nin * sizeof(double));
    assert_non_null(m->norm.x_shift);
    assert_non_null(m->norm.x_scale);
    for (int i = 0; i < nin; i++) {
        m->norm.x_shift[i] = value(&seed, 100 + (size_t)i);
        m->norm.x_scale[i] = scale_value(&seed, 200 + (size_t)i);
    }
    m->norm.y_shift = value(&seed, 300);
    m->norm.y_scale = scale_value(&seed, 301);

    m->nfeat = nin;
    m->feat_names = calloc((size_t)nin, sizeof *m->feat_names);
    assert_non_null(m->feat_names);
    for (int i = 0; i < nin; i++) {
        char name[32];
        /* UTF-8 and an empty-looking name must survive too */
        snprintf(name, sizeof name, i == 1 ? "fl\xc3\xa4" "che_m\xc2\xb2 %d" : "feature_%d", i);
        m->feat_names[i] = strdup(name);
    }
    m->target_name = strdup("median_house_value");
    m->config_text = strdup("[data]\npath = houses.csv\n\n[train]\nepochs = 10\n"
                            "learning_rate = 0.01\n");
}

static void assert_models_equal(const Model *a, const Model *b)
{
    assert_int_equal(a->net.nlayers, b->net.nlayers);
    for (int l = 0; l <= a->net.nlayers; l++)
        assert_int_equal(a->net.width[l], b->net.width[l]);
    for (int l = 0; l < a->net.nlayers; l++) {
        assert_int_equal(a->net.act[l], b->net.act[l]);
        assert_int_equal(a->net.off_W[l], b->net.off_W[l]);
        assert_int_equal(a->net.off_b[l], b->net.off_b[l]);
    }
    assert_int_equal(a->net.nparams, b->net.nparams);
    assert_memory_equal(a->net.params, b->net.params, a->net.nparams * sizeof(double));

    assert_int_equal(a->norm.kind, b->norm.kind);
    assert_int_equal(a->norm.target_kind, b->norm.target_kind);
    assert_int_equal(a->norm.nin, b->norm.nin);
    assert_memory_equal(a->norm.x_shift, b->norm.x_shift, (size_t)a->norm.nin * sizeof(double));
    assert_memory_equal(a->norm.x_scale, b->norm.x_scale, (size_t)a->norm.nin * sizeof(double));
    assert_memory_equal(&a->norm.y_shift, &b->norm.y_shift, sizeof(double));
    assert_memory_equal(&a->norm.y_scale, &b->norm.y_scale, sizeof(double));

    assert_int_equal(a->nfeat, b->nfeat);
    for (int i = 0; i < a->nfeat; i++)
        assert_string_equal(a->feat_names[i], b->feat_names[i]);
    assert_string_equal(a->target_name, b->target_name);
    assert_string_equal(a->config_text, b->config_text);
}

static void save_and_load_is_identical(const Fixture *fx, int nin, const int *hidden,
                                       int nhidden, const Activation *acts)
{
    Model m, back;
    Err err = {0};
    make_model(&m, nin, hidden, nhidden, acts, 0x9E3779B97F4A7C15ULL);
    int rc = h5_model_save(fx->model, &m, &err);
    if (rc)
        fail_msg("save: %s", err.msg);
    rc = h5_model_load(fx->model, &back, &err);
    if (rc)
        fail_msg("load: %s", err.msg);
    assert_models_equal(&m, &back);
    assert_int_equal(count_prefixed(fx->dir, "model.h5.tmp"), 0);
    model_free(&m);
    model_free(&back);
    assert_null(back.net.params); /* model_free leaves the struct zeroed */
    assert_no_open_ids();
}

static void save_default_model(const Fixture *fx)
{
    static const int hidden[] = {2};
    static const Activation acts[] = {ACT_SIGMOID, ACT_LINEAR};
    Model m;
    Err err = {0};
    make_model(&m, 2, hidden, 1, acts, 0);
    if (h5_model_save(fx->model, &m, &err))
        fail_msg("save: %s", err.msg);
    model_free(&m);
}

/* ---- crafting bad files with the HDF5 API ----------------------------- */

static void set_root_attr(const char *path, const char *name, const char *str, int ival)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Adelete(f, name) >= 0);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t t = str ? H5Tcopy(H5T_C_S1) : H5Tcopy(H5T_STD_I32LE);
    assert_true(sp >= 0 && t >= 0);
    if (str) { /* fixed-length, null-padded, as some writers do */
        assert_true(H5Tset_size(t, strlen(str)) >= 0);
        assert_true(H5Tset_strpad(t, H5T_STR_NULLPAD) >= 0);
    }
    hid_t a = H5Acreate2(f, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Awrite(a, str ? t : H5T_NATIVE_INT, str ? (const void *)str : &ival) >= 0);
    assert_true(H5Aclose(a) >= 0);
    assert_true(H5Tclose(t) >= 0);
    assert_true(H5Sclose(sp) >= 0);
    assert_true(H5Fclose(f) >= 0);
}

static void replace_dataset(const char *path, const char *obj, int rank, const hsize_t *dims)
{
    double zeros[64] = {0};
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Ldelete(f, obj, H5P_DEFAULT) >= 0);
    if (rank >= 0) {
        hid_t sp = H5Screate_simple(rank, dims, NULL);
        assert_true(sp >= 0);
        hid_t d = H5Dcreate2(f, obj, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        assert_true(d >= 0);
        assert_true(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros) >= 0);
        assert_true(H5Dclose(d) >= 0);
        assert_true(H5Sclose(sp) >= 0);
    }
    assert_true(H5Fclose(f) >= 0);
}

/* ---- model tests ------------------------------------------------------ */

static void test_model_2_2_1_round_trip_is_bit_identical(void **state)
{
    static const int hidden[] = {2};
    static const Activation acts[] = {ACT_SIGMOID, ACT_LINEAR};
    save_and_load_is_identical(*state, 2, hidden, 1, acts);
}

static void test_model_3_4_5_1_round_trip_keeps_each_layer_activation(void **state)
{
    static const int hidden[] = {4, 5};
    static const Activation acts[] = {ACT_TANH, ACT_RELU, ACT_LINEAR};
    save_and_load_is_identical(*state, 3, hidden, 2, acts);
}

static void test_model_save_replaces_an_existing_file(void **state)
{
    const Fixture *fx = *state;
    static const int hidden[] = {4, 5};
    static const Activation acts[] = {ACT_TANH, ACT_RELU, ACT_LINEAR};
    save_default_model(fx);
    save_and_load_is_identical(fx, 3, hidden, 2, acts);
}

/* A split and data record as the loader fills them. */
static void add_record(Model *m)
{
    DataRecord *d = &m->data;
    d->has_split = 1;
    d->seed = 18446744073709551557ULL; /* above 2^63: unsigned all the way */
    d->validation_fraction = 0.15;
    d->test_fraction = 0.1;
    d->rows_read = 2930;
    d->fingerprint = 0xfedcba9876543210ULL;
    d->nval = 3;
    d->ntest = 2;
    d->val_rows = malloc(3 * sizeof *d->val_rows);
    d->test_rows = malloc(2 * sizeof *d->test_rows);
    assert_non_null(d->val_rows);
    assert_non_null(d->test_rows);
    d->val_rows[0] = 0;
    d->val_rows[1] = 17;
    d->val_rows[2] = 2929;
    d->test_rows[0] = 5;
    d->test_rows[1] = 6;
    d->has_data = 1;
    snprintf(d->missing_policy, sizeof d->missing_policy, "mean");
    d->rows_dropped = 4;
    d->cells_filled = 207;
    d->ncols = m->nfeat + 1;
    d->missing = calloc((size_t)d->ncols, sizeof *d->missing);
    assert_non_null(d->missing);
    d->missing[1] = 207;
    d->missing[d->ncols - 1] = 4;
}

static void test_model_round_trip_keeps_the_split_and_data_records(void **state)
{
    const Fixture *fx = *state;
    static const int hidden[] = {2};
    static const Activation acts[] = {ACT_SIGMOID, ACT_LINEAR};
    Model m, back;
    Err err = {0};
    make_model(&m, 3, hidden, 1, acts, 0);
    add_record(&m);
    if (h5_model_save(fx->model, &m, &err))
        fail_msg("save: %s", err.msg);
    if (h5_model_load(fx->model, &back, &err))
        fail_msg("load: %s", err.msg);
    assert_models_equal(&m, &back);
    const DataRecord *a = &m.data, *b = &back.data;
    assert_true(b->has_split && b->has_data);
    assert_true(a->seed == b->seed && a->rows_read == b->rows_read && a->fingerprint == b->fingerprint);
    assert_memory_equal(&a->validation_fraction, &b->validation_fraction, sizeof(double));
    assert_memory_equal(&a->test_fraction, &b->test_fraction, sizeof(double));
    assert_int_equal(b->nval, 3);
    assert_int_equal(b->ntest, 2);
    assert_memory_equal(a->val_rows, b->val_rows, 3 * sizeof *a->val_rows);
    assert_memory_equal(a->test_rows, b->test_rows, 2 * sizeof *a->test_rows);
    assert_string_equal(b->missing_policy, "mean");
    assert_true(b->rows_dropped == 4 && b->cells_filled == 207);
    assert_int_equal(b->ncols, 4);
    assert_memory_equal(a->missing, b->missing, 4 * sizeof *a->missing);
    model_free(&m);
    model_free(&back);
    assert_no_open_ids();
}

static void test_model_without_records_loads_as_an_older_file(void **state)
{
    const Fixture *fx = *state;
    Model back;
    Err err = {0};
    save_default_model(fx); /* no record: the layout of files before /split existed */
    hid_t f = H5Fopen(fx->model, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_int_equal(H5Lexists(f, "/split", H5P_DEFAULT), 0);
    assert_int_equal(H5Lexists(f, "/data", H5P_DEFAULT), 0);
    assert_true(H5Fclose(f) >= 0);
    assert_int_equal(h5_model_load(fx->model, &back, &err), 0);
    assert_false(back.data.has_split);
    assert_false(back.data.has_data);
    assert_null(back.data.val_rows);
    model_free(&back);
    assert_no_open_ids();
}

static void test_model_load_rejects_a_split_row_beyond_rows_read(void **state)
{
    const Fixture *fx = *state;
    static const int hidden[] = {2};
    static const Activation acts[] = {ACT_SIGMOID, ACT_LINEAR};
    Model m, back;
    Err err = {0};
    make_model(&m, 2, hidden, 1, acts, 0);
    add_record(&m);
    m.data.rows_read = 2; /* three validation rows cannot come from two */
    assert_int_equal(h5_model_save(fx->model, &m, &err), 0);
    assert_int_equal(h5_model_load(fx->model, &back, &err), E_PARSE);
    assert_contains(err.msg, "/split/val_rows: rank 1 and 3 rows, expected 1 and at most rows_read (2)");
    model_free(&m);
    assert_no_open_ids();
}

static void test_model_load_rejects_another_format_naming_it(void **state)
{
    const Fixture *fx = *state;
    Model m;
    Err err = {0};
    char want[256];
    save_default_model(fx);
    set_root_attr(fx->model, "format", "something-else", 0);
    assert_int_equal(h5_model_load(fx->model, &m, &err), E_PARSE);
    snprintf(want, sizeof want,
             "%s: not a housenet model file (format attribute is \"something-else\")", fx->model);
    assert_string_equal(err.msg, want);
    assert_null(m.net.params);
    assert_no_open_ids();
}

static void test_model_load_rejects_a_curves_file(void **state)
{
    const Fixture *fx = *state;
    static const char *const names[] = {"train_loss"};
    Curves c;
    Model m;
    Err err = {0};
    char want[256];
    assert_int_equal(curves_init(&c, names, 1, &err), 0);
    assert_int_equal(h5_curves_save(fx->curves, &c, &err), 0);
    curves_free(&c);
    assert_int_equal(h5_model_load(fx->curves, &m, &err), E_PARSE);
    snprintf(want, sizeof want,
             "%s: not a housenet model file (format attribute is \"housenet-curves\")",
             fx->curves);
    assert_string_equal(err.msg, want);
    assert_no_open_ids();
}

static void test_model_load_rejects_a_newer_version(void **state)
{
    const Fixture *fx = *state;
    Model m;
    Err err = {0};
    char want[256];
    save_default_model(fx);
    set_root_attr(fx->model, "version", NULL, 7);
    assert_int_equal(h5_model_load(fx->model, &m, &err), E_PARSE);
    snprintf(want, sizeof want, "%s: model version 7 is newer than this housenet (%d)", fx->model, MODEL_VERSION);
    assert_string_equal(err.msg, want);
    assert_no_open_ids();
}

static void test_model_load_reports_a_weight_of_the_wrong_shape(void **state)
{
    const Fixture *fx = *state;
    const hsize_t dims[2] = {1, 3}; /* W2 of a 2-2-1 net is (1, 2) */
    Model m;
    Err err = {0};
    save_default_model(fx);
    replace_dataset(fx->model, "/model/W2", 2, dims);
    assert_int_equal(h5_model_load(fx->model, &m, &err), E_PARSE);
    assert_contains(err.msg, fx->model);
    assert_contains(err.msg, "/model/W2: shape (1, 3), expected (1, 2)");
    assert_null(m.net.params);
    assert_no_open_ids();
}

static void test_model_load_reports_a_missing_dataset(void **state)
{
    const Fixture *fx = *state;
    Model m;
    Err err = {0};
    char want[256];
    save_default_model(fx);
    replace_dataset(fx->model, "/norm/x_scale", -1, NULL);
    assert_int_equal(h5_model_load(fx->model, &m, &err), E_PARSE);
    snprintf(want, sizeof want, "%s: /norm/x_scale: not found (expected a dataset)", fx->model);
    assert_string_equal(err.msg, want);
    assert_no_open_ids();
}

static void test_model_load_of_a_non_hdf5_file_names_the_path(void **state)
{
    const Fixture *fx = *state;
    Model m;
    Err err = {0};
    char want[256];
    tu_write_text(fx->model, "longitude,latitude\n1,2\n");
    assert_int_equal(h5_model_load(fx->model, &m, &err), E_PARSE);
    snprintf(want, sizeof want, "%s: not an HDF5 file (expected a housenet model file)",
             fx->model);
    assert_string_equal(err.msg, want);
    assert_no_open_ids();
}

static void test_model_load_of_a_missing_file_is_an_io_error(void **state)
{
    const Fixture *fx = *state;
    Model m;
    Err err = {0};
    char want[256];
    assert_int_equal(h5_model_load(fx->model, &m, &err), E_IO);
    snprintf(want, sizeof want, "%s: cannot open: %s", fx->model, strerror(ENOENT));
    assert_string_equal(err.msg, want);
    assert_no_open_ids();
}

static void test_model_save_into_a_missing_directory_leaves_no_file(void **state)
{
    const Fixture *fx = *state;
    char path[192];
    struct stat st;
    Model m;
    Err err = {0};
    static const int hidden[] = {2};
    static const Activation acts[] = {ACT_SIGMOID, ACT_LINEAR};
    snprintf(path, sizeof path, "%s/no/such/dir/model.h5", fx->dir);
    make_model(&m, 2, hidden, 1, acts, 0);
    assert_int_equal(h5_model_save(path, &m, &err), E_IO);
    assert_contains(err.msg, path);
    assert_contains(err.msg, strerror(ENOENT));
    assert_int_equal(count_prefixed(fx->dir, ""), 2); /* "." and ".." */
    assert_int_equal(stat(path, &st), -1);
    model_free(&m);
    assert_no_open_ids();
}

static void test_model_failed_save_keeps_the_previous_file(void **state)
{
    const Fixture *fx = *state;
    static const int hidden[] = {4, 5};
    static const Activation acts[] = {ACT_TANH, ACT_RELU, ACT_LINEAR};
    Model good, bad, back;
    Err err = {0};
    make_model(&good, 3, hidden, 2, acts, 42);
    assert_int_equal(h5_model_save(fx->model, &good, &err), 0);

    make_model(&bad, 3, hidden, 2, acts, 7);
    bad.net.nlayers = 0; /* no weight layers */
    assert_int_equal(h5_model_save(fx->model, &bad, &err), E_STATE);
    assert_contains(err.msg, fx->model);
    assert_contains(err.msg, "inconsistent model");
    bad.net.nlayers = 3;
    bad.nfeat = 2; /* two names for three inputs */
    assert_int_equal(h5_model_save(fx->model, &bad, &err), E_STATE);
    bad.nfeat = 3;
    bad.net.nparams -= 1; /* the last bias lies outside params */
    assert_int_equal(h5_model_save(fx->model, &bad, &err), E_STATE);
    bad.net.nparams += 1;
    bad.net.act[1] = (Activation)9;
    assert_int_equal(h5_model_save(fx->model, &bad, &err), E_STATE);
    bad.net.act[1] = ACT_RELU;

    assert_int_equal(h5_model_load(fx->model, &back, &err), 0);
    assert_models_equal(&good, &back);
    assert_int_equal(count_prefixed(fx->dir, "model.h5.tmp"), 0);
    model_free(&good);
    model_free(&bad);
    model_free(&back);
    assert_no_open_ids();
}

/* A write that fails part way (here: the file size limit, as a full disk
 * would) must leave the previous file in place and no temporary file. */
static void test_model_save_failing_mid_write_keeps_the_previous_file(void **state)
{
    const Fixture *fx = *state;
    static const int small[] = {2};
    static const Activation small_acts[] = {ACT_SIGMOID, ACT_LINEAR};
    static const int big[] = {64, 64}; /* ~ 4500 params: 36 kB of weights */
    static const Activation big_acts[] = {ACT_RELU, ACT_RELU, ACT_LINEAR};
    struct rlimit old, lim;
    Model good, huge, back;
    Err err = {0};
    make_model(&good, 3, small, 1, small_acts, 1);
    make_model(&huge, 3, big, 2, big_acts, 2);
    assert_int_equal(h5_model_save(fx->model, &good, &err), 0);

    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 16384;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = h5_model_save(fx->model, &huge, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);

    assert_int_equal(rc, E_IO);
    assert_contains(err.msg, fx->model);
    assert_contains(err.msg, strerror(EFBIG));
    assert_int_equal(count_prefixed(fx->dir, "model.h5.tmp"), 0);
    assert_int_equal(h5_model_load(fx->model, &back, &err), 0);
    assert_models_equal(&good, &back);
    model_free(&good);
    model_free(&huge);
    model_free(&back);
    assert_no_open_ids();
}

/* The rename is the last step: make it fail by putting a non-empty
 * directory where the file goes. The temporary file must be gone. */
static void test_model_save_whose_rename_fails_removes_the_tmp_file(void **state)
{
    const Fixture *fx = *state;
    char inner[192];
    struct stat st;
    static const int hidden[] = {2};
    static const Activation acts[] = {ACT_SIGMOID, ACT_LINEAR};
    Model m;
    Err err = {0};
    assert_int_equal(mkdir(fx->model, 0777), 0);
    snprintf(inner, sizeof inner, "%s/keep", fx->model);
    tu_write_text(inner, "x");
    make_model(&m, 2, hidden, 1, acts, 0);
    assert_int_equal(h5_model_save(fx->model, &m, &err), E_IO);
    assert_contains(err.msg, fx->model);
    assert_contains(err.msg, "cannot rename");
    assert_int_equal(count_prefixed(fx->dir, "model.h5.tmp"), 0);
    assert_int_equal(stat(inner, &st), 0);
    model_free(&m);
    assert_no_open_ids();
}

/* ---- curves tests ----------------------------------------------------- */

static void test_curves_push_grows_and_truncate_keeps_a_prefix(void **state)
{
    (void)state;
    static const char *const names[] = {"train_loss", "val_loss"};
    Curves c;
    Err err = {0};
    assert_int_equal(curves_init(&c, names, 2, &err), 0);
    for (int i = 0; i < 1000; i++) {
        double v[2] = {i * 0.5, -i * 0.25};
        assert_int_equal(curves_push(&c, i + 1, v, &err), 0);
    }
    assert_int_equal(c.n, 1000);
    assert_true(c.cap >= 1000);
    assert_true(c.epoch[999] == 1000 && c.cols[0][999] == 499.5 && c.cols[1][10] == -2.5);
    assert_int_equal(curves_col(&c, "val_loss"), 1);
    assert_int_equal(curves_col(&c, "lr"), -1);
    curves_truncate(&c, 20);
    assert_int_equal(c.n, 20);
    curves_truncate(&c, 30);
    assert_int_equal(c.n, 20);
    double v[2] = {7, 8};
    assert_int_equal(curves_push(&c, 21, v, &err), 0);
    assert_true(c.n == 21 && c.epoch[20] == 21 && c.cols[1][20] == 8);
    curves_free(&c);
    assert_null(c.epoch);
    curves_free(&c); /* NULL-safe and idempotent */
    assert_int_equal(curves_init(&c, names, CURVES_MAX_COLS + 1, &err), E_CONFIG);
}

static void test_curves_round_trip_keeps_column_order_and_values(void **state)
{
    const Fixture *fx = *state;
    /* not in name order, and more rows than one chunk */
    static const char *const names[] = {"train_loss", "val_loss", "lr", "grad_norm"};
    Curves c, back;
    Err err = {0};
    assert_int_equal(curves_init(&c, names, 4, &err), 0);
    uint64_t seed = 12345;
    for (int i = 0; i < 2500; i++) {
        double v[4];
        for (int j = 0; j < 4; j++)
            v[j] = value(&seed, 0);
        assert_int_equal(curves_push(&c, (int64_t)i + 1 + ((int64_t)1 << 40), v, &err), 0);
    }
    if (h5_curves_save(fx->curves, &c, &err))
        fail_msg("save: %s", err.msg);
    if (h5_curves_load(fx->curves, &back, &err))
        fail_msg("load: %s", err.msg);
    assert_int_equal(back.n, c.n);
    assert_int_equal(back.ncols, 4);
    for (int j = 0; j < 4; j++) {
        assert_string_equal(back.names[j], names[j]);
        assert_memory_equal(back.cols[j], c.cols[j], c.n * sizeof(double));
    }
    assert_memory_equal(back.epoch, c.epoch, c.n * sizeof(int64_t));
    assert_int_equal(curves_col(&back, "lr"), 2);
    /* a loaded log keeps growing like a new one (resume) */
    double v[4] = {1, 2, 3, 4};
    assert_int_equal(curves_push(&back, 2501, v, &err), 0);
    assert_int_equal(back.n, 2501);
    assert_int_equal(count_prefixed(fx->dir, "curves.h5.tmp"), 0);
    curves_free(&c);
    curves_free(&back);
    assert_no_open_ids();
}

static void test_curves_empty_log_round_trips(void **state)
{
    const Fixture *fx = *state;
    static const char *const names[] = {"train_loss"};
    Curves c, back;
    Err err = {0};
    assert_int_equal(curves_init(&c, names, 1, &err), 0);
    if (h5_curves_save(fx->curves, &c, &err))
        fail_msg("save: %s", err.msg);
    if (h5_curves_load(fx->curves, &back, &err))
        fail_msg("load: %s", err.msg);
    assert_int_equal(back.n, 0);
    assert_int_equal(back.ncols, 1);
    assert_string_equal(back.names[0], "train_loss");
    curves_free(&c);
    curves_free(&back);
    assert_no_open_ids();
}

static void test_curves_step_rows_and_events_round_trip(void **state)
{
    const Fixture *fx = *state;
    static const char *const names[] = {"train_loss"};
    Curves c, back;
    Err err = {0};
    assert_int_equal(curves_init(&c, names, 1, &err), 0);
    for (int64_t s = 1; s <= 300; s++)
        assert_int_equal(curves_push_step(&c, s, 1 + s / 100, 1.0 / (double)s, 0.01, &err), 0);
    curves_truncate_steps(&c, 250); /* a rollback to step 250 */
    assert_int_equal(c.nsteps, 250);
    assert_int_equal(curves_push_event(&c, 2, 250, "rollback", "epoch 3: non-finite, \"quoted\", \u00e9", &err), 0);
    assert_int_equal(curves_push_event(&c, 3, 300, "early_stop", "no better loss", &err), 0);
    if (h5_curves_save(fx->curves, &c, &err))
        fail_msg("save: %s", err.msg);
    if (h5_curves_load(fx->curves, &back, &err))
        fail_msg("load: %s", err.msg);
    assert_int_equal(back.nsteps, 250);
    assert_memory_equal(back.step_no, c.step_no, 250 * sizeof(int64_t));
    assert_memory_equal(back.step_epoch, c.step_epoch, 250 * sizeof(int64_t));
    assert_memory_equal(back.step_loss, c.step_loss, 250 * sizeof(double));
    assert_memory_equal(back.step_lr, c.step_lr, 250 * sizeof(double));
    assert_int_equal(back.nevents, 2);
    assert_int_equal(back.events[0].epoch, 2);
    assert_int_equal(back.events[0].step, 250);
    assert_string_equal(back.events[0].kind, "rollback");
    assert_string_equal(back.events[0].msg, c.events[0].msg);
    assert_string_equal(back.events[1].kind, "early_stop");
    curves_free(&c);
    curves_free(&back);
    assert_no_open_ids();
}

/* A curves file written before /steps and /events existed still loads. */
static void test_curves_file_without_steps_or_events_loads_empty(void **state)
{
    const Fixture *fx = *state;
    hid_t f = H5Fcreate(fx->curves, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, H5T_VARIABLE);
    hid_t sp = H5Screate(H5S_SCALAR);
    const char *fmt = "housenet-curves";
    int version = 1;
    hid_t a = H5Acreate2(f, "format", str, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, str, &fmt);
    H5Aclose(a);
    a = H5Acreate2(f, "version", H5T_NATIVE_INT, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &version);
    H5Aclose(a);
    hid_t g = H5Gcreate2(f, "curves", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n = 2;
    hid_t sp1 = H5Screate_simple(1, &n, NULL);
    int64_t e[2] = {0, 1};
    double v[2] = {0.5, 0.25};
    hid_t d = H5Dcreate2(g, "epoch", H5T_STD_I64LE, sp1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, e);
    H5Dclose(d);
    d = H5Dcreate2(g, "train_loss", H5T_IEEE_F64LE, sp1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(d);
    H5Sclose(sp1);
    H5Gclose(g);
    H5Sclose(sp);
    H5Tclose(str);
    H5Fclose(f);
    Curves back;
    Err err = {0};
    if (h5_curves_load(fx->curves, &back, &err))
        fail_msg("load: %s", err.msg);
    assert_int_equal(back.n, 2);
    assert_int_equal(back.nsteps, 0);
    assert_int_equal(back.nevents, 0);
    curves_free(&back);
    assert_no_open_ids();
}

static void test_curves_save_rejects_a_bad_column_name(void **state)
{
    const Fixture *fx = *state;
    static const char *const names[] = {"train_loss", "a/b"};
    static const char *const dup[] = {"loss", "loss"};
    Curves c;
    Err err = {0};
    assert_int_equal(curves_init(&c, names, 2, &err), 0);
    assert_int_equal(h5_curves_save(fx->curves, &c, &err), E_STATE);
    assert_contains(err.msg, "\"a/b\"");
    curves_free(&c);
    assert_int_equal(curves_init(&c, dup, 2, &err), 0);
    assert_int_equal(h5_curves_save(fx->curves, &c, &err), E_STATE);
    assert_contains(err.msg, "twice");
    curves_free(&c);
    assert_int_equal(count_prefixed(fx->dir, "curves.h5"), 0);
    assert_no_open_ids();
}

static void test_curves_load_of_a_model_file_is_rejected(void **state)
{
    const Fixture *fx = *state;
    Curves c;
    Err err = {0};
    char want[256];
    save_default_model(fx);
    assert_int_equal(h5_curves_load(fx->model, &c, &err), E_PARSE);
    snprintf(want, sizeof want,
             "%s: not a housenet curves file (format attribute is \"housenet-model\")",
             fx->model);
    assert_string_equal(err.msg, want);
    assert_null(c.epoch);
    assert_no_open_ids();
}

/* ---- atomic.c --------------------------------------------------------- */

static void test_atomic_tmp_name_and_mkdir_p(void **state)
{
    const Fixture *fx = *state;
    char tmp[64], want[64], dir[192], file[192];
    struct stat st;
    Err err = {0};
    assert_int_equal(atomic_tmp_name("out/model.h5", tmp, sizeof tmp, &err), 0);
    snprintf(want, sizeof want, "out/model.h5.tmp-%ld", (long)getpid());
    assert_string_equal(tmp, want);
    assert_int_equal(atomic_tmp_name("out/model.h5", tmp, 8, &err), E_IO);

    snprintf(dir, sizeof dir, "%s/a//b/c/", fx->dir);
    assert_int_equal(mkdir_p(dir, &err), 0);
    assert_int_equal(mkdir_p(dir, &err), 0); /* exists already: fine */
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    snprintf(file, sizeof file, "%s/a/f", fx->dir);
    tu_write_text(file, "x");
    snprintf(dir, sizeof dir, "%s/a/f/g", fx->dir);
    assert_int_equal(mkdir_p(dir, &err), E_IO);
    assert_contains(err.msg, file);
    atomic_abort(file);
    atomic_abort(file); /* already gone: ignored */
    assert_int_equal(stat(file, &st), -1);
}

/* ---- readable without our code ---------------------------------------- */

static const char h5py_check[] =
    "import sys, h5py, numpy as np\n"
    "m = h5py.File(sys.argv[1], 'r')\n"
    "assert m.attrs['format'] == 'housenet-model', m.attrs['format']\n"
    "assert m.attrs['version'] == 1 and m.attrs['version'].dtype == np.int32\n"
    "assert list(m['model'].attrs['layers']) == [3, 4, 5, 1]\n"
    "assert list(m['model'].attrs['activations']) == ['tanh', 'relu', 'linear']\n"
    "W1 = m['model/W1'][()]\n"
    "assert W1.dtype == np.dtype('<f8') and W1.shape == (4, 3), (W1.dtype, W1.shape)\n"
    "assert (W1 == np.arange(12).reshape(4, 3) * 0.125 - 1.0).all(), W1\n"
    "assert (m['model/b1'][()] == np.arange(12, 16) * 0.125 - 1.0).all()\n"
    "assert m['model/W3'].shape == (1, 5)\n"
    "assert m['norm'].attrs['kind'] == 'zscore' and m['norm'].attrs['target_kind'] == 'minmax'\n"
    "assert m['norm'].attrs['target_name'] == 'median_house_value'\n"
    "assert m['norm/x_shift'].shape == (3,)\n"
    "assert list(m['norm/feature_names'].asstr()[()]) == "
    "['feature_0', 'fl\\u00e4che_m\\u00b2 1', 'feature_2']\n"
    "assert m['config'].asstr()[()].startswith('[data]\\npath = houses.csv')\n"
    "s = m['split']\n"
    "assert s.attrs['seed'] == 18446744073709551557 and s.attrs['rows_read'] == 2930\n"
    "assert s.attrs['fingerprint'] == 0xfedcba9876543210 and s.attrs['test_fraction'] == 0.1\n"
    "assert s['val_rows'].dtype == np.uint64 and list(s['val_rows'][()]) == [0, 17, 2929]\n"
    "assert list(s['test_rows'][()]) == [5, 6]\n"
    "d = m['data']\n"
    "assert d.attrs['missing_policy'] == 'mean' and d.attrs['cells_filled'] == 207\n"
    "assert list(d['missing'][()]) == [0, 207, 0, 4]\n"
    "c = h5py.File(sys.argv[2], 'r')\n"
    "assert c.attrs['format'] == 'housenet-curves' and c.attrs['version'] == 1\n"
    "assert list(c['curves']) == ['epoch', 'train_loss', 'val_loss'], list(c['curves'])\n"
    "ep = c['curves/epoch'][()]\n"
    "assert ep.dtype == np.int64 and list(ep) == list(range(1, 31))\n"
    "tl = c['curves/train_loss'][()]\n"
    "assert tl.dtype == np.float64 and (tl == 1.0 / ep).all(), tl\n"
    "assert c['curves/train_loss'].maxshape == (None,)\n";

static void test_h5py_reads_model_and_curves(void **state)
{
    const Fixture *fx = *state;
    if (system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0)
        skip();
    static const int hidden[] = {4, 5};
    static const Activation acts[] = {ACT_TANH, ACT_RELU, ACT_LINEAR};
    static const char *const names[] = {"train_loss", "val_loss"};
    char script[128], cmd[512];
    Model m;
    Curves c;
    Err err = {0};
    make_model(&m, 3, hidden, 2, acts, 0);
    add_record(&m);
    assert_int_equal(h5_model_save(fx->model, &m, &err), 0);
    assert_int_equal(curves_init(&c, names, 2, &err), 0);
    for (int e = 1; e <= 30; e++) {
        double v[2] = {1.0 / e, 2.0 / e};
        assert_int_equal(curves_push(&c, e, v, &err), 0);
    }
    assert_int_equal(h5_curves_save(fx->curves, &c, &err), 0);
    snprintf(script, sizeof script, "%s/check.py", fx->dir);
    tu_write_text(script, h5py_check);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s", script, fx->model, fx->curves);
    assert_int_equal(system(cmd), 0);
    model_free(&m);
    curves_free(&c);
    assert_no_open_ids();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, tu_tmpdir_teardown)
        T(test_model_2_2_1_round_trip_is_bit_identical),
        T(test_model_3_4_5_1_round_trip_keeps_each_layer_activation),
        T(test_model_save_replaces_an_existing_file),
        T(test_model_round_trip_keeps_the_split_and_data_records),
        T(test_model_without_records_loads_as_an_older_file),
        T(test_model_load_rejects_a_split_row_beyond_rows_read),
        T(test_model_load_rejects_another_format_naming_it),
        T(test_model_load_rejects_a_curves_file),
        T(test_model_load_rejects_a_newer_version),
        T(test_model_load_reports_a_weight_of_the_wrong_shape),
        T(test_model_load_reports_a_missing_dataset),
        T(test_model_load_of_a_non_hdf5_file_names_the_path),
        T(test_model_load_of_a_missing_file_is_an_io_error),
        T(test_model_save_into_a_missing_directory_leaves_no_file),
        T(test_model_failed_save_keeps_the_previous_file),
        T(test_model_save_failing_mid_write_keeps_the_previous_file),
        T(test_model_save_whose_rename_fails_removes_the_tmp_file),
        T(test_curves_push_grows_and_truncate_keeps_a_prefix),
        T(test_curves_round_trip_keeps_column_order_and_values),
        T(test_curves_empty_log_round_trips),
        T(test_curves_step_rows_and_events_round_trip),
        T(test_curves_file_without_steps_or_events_loads_empty),
        T(test_curves_save_rejects_a_bad_column_name),
        T(test_curves_load_of_a_model_file_is_rejected),
        T(test_atomic_tmp_name_and_mkdir_p),
        T(test_h5py_reads_model_and_curves),
#undef T
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
