/* test_loader: io/loader.c, from a config to normalised splits -- the
 * missing-value policies and their counts, the row minimum, constant
 * columns, normalisation fitted on the training rows only, the seeded
 * split and its record (file rows), HDF5 input read like CSV input, and
 * re-deriving a saved model's split (changed-data detection). Each test
 * writes its CSV into a fresh temporary directory. */
#define _GNU_SOURCE /* nftw, mkdtemp */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "datafile.h"
#include "h5model.h"
#include "loader.h"
#include "rng.h"

typedef struct Fx {
    char dir[TU_DIR_MAX]; /* first: tu_tmpdir_new's */
    char csv[160];
    char h5[160];
    char model[160];
} Fx;

static int setup(void **state)
{
    Fx *fx = tu_tmpdir_new(sizeof *fx, "test_loader");
    if (!fx)
        return -1;
    snprintf(fx->csv, sizeof fx->csv, "%s/data.csv", fx->dir);
    snprintf(fx->h5, sizeof fx->h5, "%s/data.h5", fx->dir);
    snprintf(fx->model, sizeof fx->model, "%s/model.h5", fx->dir);
    *state = fx;
    return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static void assert_same_dataset(const Dataset *a, const Dataset *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->nin, b->nin);
    assert_memory_equal(a->x, b->x, a->n * (size_t)a->nin * sizeof(double) + (a->n == 0));
    assert_memory_equal(a->y, b->y, a->n * sizeof(double) + (a->n == 0));
}

/* A config for path: features (comma list), target, then NULL-terminated
 * `section.key=value` overrides. Every key not given keeps its default
 * (validation_fraction 0.2, normalize zscore, missing error, seed 1). */
static void make_cfg(Config *c, const char *path, const char *features, const char *target, ...)
{
    char a[1200];
    Err e = {0};
    cfg_defaults(c);
    snprintf(a, sizeof a, "data.path=%s", path);
    assert_int_equal(cfg_set(c, a, &e), 0);
    snprintf(a, sizeof a, "data.features=%s", features);
    assert_int_equal(cfg_set(c, a, &e), 0);
    snprintf(a, sizeof a, "data.target=%s", target);
    assert_int_equal(cfg_set(c, a, &e), 0);
    va_list ap;
    va_start(ap, target);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        if (cfg_set(c, s, &e))
            fail_msg("%s", e.msg);
    va_end(ap);
    if (cfg_finish(c, &e))
        fail_msg("%s", e.msg);
}

/* A CSV of n rows a,b,y: a = i + 1, b = a pseudo-random value, y = 3a - b;
 * row i's cell is left empty when miss_a[i] / miss_y[i] (either may be NULL). */
static void write_rows(const char *path, int n, const int *miss_a, const int *miss_y)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "a,b,y\n");
    uint64_t s = 42;
    for (int i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double b = (double)(s >> 40) / 1024.0;
        double a = i + 1.0;
        char ca[32] = "", cy[32] = "";
        if (!miss_a || !miss_a[i])
            snprintf(ca, sizeof ca, "%.17g", a);
        if (!miss_y || !miss_y[i])
            snprintf(cy, sizeof cy, "%.17g", 3 * a - b);
        fprintf(f, "%s,%.17g,%s\n", ca, b, cy);
    }
    assert_int_equal(fclose(f), 0);
}

/* Row r of the file written by write_rows: a, b, y. */
static void row_values(int r, double *a, double *b, double *y)
{
    uint64_t s = 42;
    for (int i = 0; i <= r; i++)
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    *b = (double)(s >> 40) / 1024.0;
    *a = r + 1.0;
    *y = 3 * *a - *b;
}

static int in_rows(uint64_t r, const uint64_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i] == r)
            return 1;
    return 0;
}

/* ---- missing values ------------------------------------------------------------- */

static void test_loader_missing_error_names_file_line_and_column(void **state)
{
    Fx *fx = *state;
    tu_write_text(fx->csv, "a,b,y\n1,2,3\n4,,6\n7,8,9\n");
    Config c;
    Splits s;
    Err e = {0};
    make_cfg(&c, fx->csv, "a,b", "y", NULL);
    assert_int_equal(loader_load(&c, &s, &e), E_PARSE);
    assert_msg(&e, "%s:3:2: column \"b\": missing value; set [data] missing = drop or mean, or fill the cell",
               fx->csv);
    assert_null(s.train.x);
}

static void test_loader_missing_drop_removes_rows_and_counts_them(void **state)
{
    Fx *fx = *state;
    int miss_a[10] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, miss_y[10] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0};
    write_rows(fx->csv, 10, miss_a, miss_y);
    Config c;
    Splits s;
    Err e = {0};
    make_cfg(&c, fx->csv, "a,b", "y", "data.missing=drop", "data.validation_fraction=0", "data.normalize=none",
             NULL);
    if (loader_load(&c, &s, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(s.rows_read, 10);
    assert_int_equal(s.rows_dropped, 2);
    assert_int_equal(s.missing[0], 1);
    assert_int_equal(s.missing[1], 0);
    assert_int_equal(s.missing[2], 1);
    assert_int_equal(s.cells_filled, 0);
    assert_int_equal(s.train.n, 8);
    for (size_t k = 0, r = 0; r < 10; r++) { /* the kept rows, in file order */
        if (r == 3 || r == 7)
            continue;
        double a, b, y;
        row_values((int)r, &a, &b, &y);
        assert_same_double(s.train.x[2 * k], a);
        assert_same_double(s.train.x[2 * k + 1], b);
        assert_same_double(s.train.y[k], y);
        k++;
    }
    const DataRecord *d = &s.record;
    assert_true(d->has_data);
    assert_string_equal(d->missing_policy, "drop");
    assert_true(d->rows_dropped == 2 && d->missing[0] == 1 && d->missing[2] == 1);
    splits_free(&s);
}

static void test_loader_missing_mean_fills_with_the_training_rows_mean(void **state)
{
    Fx *fx = *state;
    enum { N = 40 };
    int miss_a[N] = {0}, miss_y[N] = {0};
    for (int i = 0; i < N; i += 5)
        miss_a[i] = 1;
    miss_y[33] = 1; /* a missing target drops its row even under mean */
    write_rows(fx->csv, N, miss_a, miss_y);
    Config c;
    Splits s;
    Err e = {0};
    make_cfg(&c, fx->csv, "a,b", "y", "data.missing=mean", "data.validation_fraction=0.25",
             "data.test_fraction=0.25", "data.normalize=none", "train.seed=3", NULL);
    if (loader_load(&c, &s, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(s.rows_dropped, 1);
    assert_int_equal(s.missing[0], N / 5);
    assert_int_equal(s.missing[2], 1);
    assert_int_equal(s.cells_filled, N / 5);
    assert_true(s.record.cells_filled == N / 5);

    /* the expected fill: a's mean over the training rows that have it, in file order */
    const DataRecord *d = &s.record;
    double sum = 0, all_sum = 0;
    size_t n = 0, all_n = 0;
    for (int r = 0; r < N; r++) {
        if (miss_a[r] || miss_y[r])
            continue;
        all_sum += r + 1.0;
        all_n++;
        if (in_rows((uint64_t)r, d->val_rows, d->nval) || in_rows((uint64_t)r, d->test_rows, d->ntest))
            continue;
        sum += r + 1.0;
        n++;
    }
    double mean = sum / (double)n;
    assert_true(mean != all_sum / (double)all_n); /* the test tells the two apart */
    size_t filled = 0;
    const Dataset *sets[3] = {&s.train, &s.val, &s.test};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < sets[k]->n; i++) {
            double a = sets[k]->x[2 * i];
            if (a != floor(a)) { /* a filled cell (every real a is a whole number) */
                assert_same_double(a, mean);
                filled++;
            }
        }
    assert_int_equal(filled, N / 5);
    splits_free(&s);
}

static void test_loader_needs_two_usable_rows_when_a_split_is_requested(void **state)
{
    Fx *fx = *state;
    int miss_a[3] = {1, 0, 1};
    write_rows(fx->csv, 3, miss_a, NULL);
    Config c;
    Splits s;
    Err e = {0};
    make_cfg(&c, fx->csv, "a,b", "y", "data.missing=drop", NULL);
    assert_int_equal(loader_load(&c, &s, &e), E_DATA);
    assert_msg(&e, "%s: 1 usable rows (of 3 read); at least 2 are needed (2 dropped for missing values)",
               fx->csv);
    /* without a split one row is enough (the worked example) */
    make_cfg(&c, fx->csv, "a,b", "y", "data.missing=drop", "data.validation_fraction=0", "data.normalize=none",
             NULL);
    assert_int_equal(loader_load(&c, &s, &e), 0);
    assert_int_equal(s.train.n, 1);
    splits_free(&s);
}

/* ---- normalisation ------------------------------------------------------------------ */

static void test_loader_constant_column_is_an_error_naming_it(void **state)
{
    Fx *fx = *state;
    tu_write_text(fx->csv, "a,b,y\n5,1,10\n5,2,11\n5,3,12\n5,4,13\n5,5,14\n");
    Config c;
    Splits s;
    Err e = {0};
    static const char *const kinds[] = {"data.normalize=zscore", "data.normalize=minmax"};
    for (int k = 0; k < 2; k++) {
        make_cfg(&c, fx->csv, "b,a", "y", kinds[k], NULL);
        assert_int_equal(loader_load(&c, &s, &e), E_DATA);
        assert_msg(&e, "%s: feature \"a\" is constant on the training rows (value 5); drop it or use "
                   "normalize = none", fx->csv);
    }
    tu_write_text(fx->csv, "a,b,y\n1,1,7\n2,2,7\n3,3,7\n4,4,7\n5,5,7\n");
    make_cfg(&c, fx->csv, "a,b", "y", NULL);
    assert_int_equal(loader_load(&c, &s, &e), E_DATA);
    assert_msg(&e, "%s: target \"y\" is constant on the training rows (value 7); drop it or use normalize = none",
               fx->csv);
    /* a constant target is fine when the target is not scaled */
    make_cfg(&c, fx->csv, "a,b", "y", "data.normalize_target=none", NULL);
    assert_int_equal(loader_load(&c, &s, &e), 0);
    splits_free(&s);
    /* 0.1 seven times: the rounded mean gave it an sd of about 1e-17 */
    tu_write_text(fx->csv, "a,b,y\n0.1,1,1\n0.1,2,2\n0.1,3,3\n0.1,4,4\n0.1,5,5\n0.1,6,6\n0.1,7,7\n");
    make_cfg(&c, fx->csv, "a,b", "y", "data.validation_fraction=0", NULL);
    assert_int_equal(loader_load(&c, &s, &e), E_DATA);
    assert_msg(&e, "%s: feature \"a\" is constant on the training rows (value 0.10000000000000001); drop it or use "
               "normalize = none", fx->csv);
}

/* A spread beyond float64 is named as such, not as a constant column. */
static void test_loader_spread_beyond_float64_is_named(void **state)
{
    Fx *fx = *state;
    Config c;
    Splits s;
    Err e = {0};
    tu_write_text(fx->csv, "a,b,y\n1e308,1,1\n-1e308,2,2\n1e308,3,3\n-1e308,4,4\n");
    make_cfg(&c, fx->csv, "a,b", "y", "data.validation_fraction=0", NULL);
    assert_int_equal(loader_load(&c, &s, &e), E_DATA);
    assert_msg(&e, "%s: feature \"a\" spans -1e+308 to 1e+308 on the training rows, beyond what float64 arithmetic "
               "holds (its standard deviation overflows); divide the column by a power of ten", fx->csv);
    make_cfg(&c, fx->csv, "a,b", "y", "data.validation_fraction=0", "data.normalize=minmax", NULL);
    assert_int_equal(loader_load(&c, &s, &e), E_DATA);
    assert_msg(&e, "%s: feature \"a\" spans -1e+308 to 1e+308 on the training rows, beyond what float64 arithmetic "
               "holds (its range overflows); divide the column by a power of ten", fx->csv);
    tu_write_text(fx->csv, "a,b,y\n1e-200,1,1\n2e-200,2,2\n1e-200,3,3\n2e-200,4,4\n");
    make_cfg(&c, fx->csv, "a,b", "y", "data.validation_fraction=0", NULL);
    assert_int_equal(loader_load(&c, &s, &e), E_DATA);
    assert_msg(&e, "%s: feature \"a\" spans 9.9999999999999998e-201 to 2e-200 on the training rows, a spread whose "
               "squares are below what float64 holds; multiply the column by a power of ten", fx->csv);
    /* minmax has no squares: the same column is fine */
    make_cfg(&c, fx->csv, "a,b", "y", "data.validation_fraction=0", "data.normalize=minmax", NULL);
    assert_int_equal(loader_load(&c, &s, &e), 0);
    splits_free(&s);
}

/* Population mean and sd of column f of the file rows that are training
 * rows, in file order (the loader's order). */
static void train_stats(const DataRecord *d, int nrows, int f, double *mean, double *sd, double *lo, double *hi)
{
    double sum = 0, ss = 0;
    size_t n = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int pass = 0; pass < 2; pass++)
        for (int r = 0; r < nrows; r++) {
            if (in_rows((uint64_t)r, d->val_rows, d->nval) || in_rows((uint64_t)r, d->test_rows, d->ntest))
                continue;
            double v[3];
            row_values(r, &v[0], &v[1], &v[2]);
            if (pass == 0) {
                sum += v[f];
                n++;
                *lo = v[f] < *lo ? v[f] : *lo;
                *hi = v[f] > *hi ? v[f] : *hi;
            } else {
                double e = v[f] - sum / (double)n;
                ss += e * e;
            }
        }
    *mean = sum / (double)n;
    *sd = sqrt(ss / (double)n);
}

static void test_loader_fits_normalisation_on_the_training_rows_only(void **state)
{
    Fx *fx = *state;
    enum { N = 50 };
    write_rows(fx->csv, N, NULL, NULL);
    Config c;
    Splits s;
    Err e = {0};
    make_cfg(&c, fx->csv, "b,a", "y", "data.validation_fraction=0.2", "data.test_fraction=0.2",
             "data.normalize=zscore", "data.normalize_target=minmax", NULL);
    if (loader_load(&c, &s, &e))
        fail_msg("%s", e.msg);
    double mean, sd, lo, hi;
    train_stats(&s.record, N, 1, &mean, &sd, &lo, &hi); /* feature 0 is b */
    assert_int_equal(s.norm.kind, NORM_ZSCORE);
    assert_same_double(s.norm.x_shift[0], mean);
    assert_same_double(s.norm.x_scale[0], sd);
    train_stats(&s.record, N, 0, &mean, &sd, &lo, &hi);
    assert_same_double(s.norm.x_shift[1], mean);
    assert_true(mean != (N + 1) / 2.0); /* all rows would give 25.5: the fit saw only training rows */
    train_stats(&s.record, N, 2, &mean, &sd, &lo, &hi);
    assert_int_equal(s.norm.target_kind, NORM_MINMAX);
    assert_same_double(s.norm.y_shift, lo);
    assert_same_double(s.norm.y_scale, hi - lo);
    /* every set is normalised with those statistics */
    for (size_t i = 0; i < s.val.n; i++) {
        double a, b, y;
        row_values((int)s.record.val_rows[i], &a, &b, &y);
        assert_same_double(s.val.x[2 * i], (b - s.norm.x_shift[0]) / s.norm.x_scale[0]);
        assert_same_double(s.val.y[i], (y - lo) / (hi - lo));
    }
    splits_free(&s);

    make_cfg(&c, fx->csv, "b,a", "y", "data.normalize=none", NULL);
    assert_int_equal(loader_load(&c, &s, &e), 0);
    assert_int_equal(s.norm.target_kind, NORM_NONE); /* same = as normalize */
    assert_true(s.norm.x_shift[0] == 0 && s.norm.x_scale[0] == 1 && s.norm.y_scale == 1);
    splits_free(&s);
}

/* ---- the split ----------------------------------------------------------------------- */

static void test_loader_split_is_reproducible_by_seed(void **state)
{
    Fx *fx = *state;
    write_rows(fx->csv, 60, NULL, NULL);
    Config c;
    Splits s1, s2, s3;
    Err e = {0};
    make_cfg(&c, fx->csv, "a,b", "y", "data.test_fraction=0.1", "train.seed=7", NULL);
    assert_int_equal(loader_load(&c, &s1, &e), 0);
    assert_int_equal(loader_load(&c, &s2, &e), 0);
    assert_same_dataset(&s1.train, &s2.train);
    assert_same_dataset(&s1.val, &s2.val);
    assert_same_dataset(&s1.test, &s2.test);
    assert_int_equal(s1.record.nval, 12);
    assert_int_equal(s1.record.ntest, 6);
    assert_memory_equal(s1.record.val_rows, s2.record.val_rows, 12 * sizeof(uint64_t));
    assert_memory_equal(s1.record.test_rows, s2.record.test_rows, 6 * sizeof(uint64_t));
    make_cfg(&c, fx->csv, "a,b", "y", "data.test_fraction=0.1", "train.seed=8", NULL);
    assert_int_equal(loader_load(&c, &s3, &e), 0);
    assert_true(memcmp(s1.record.val_rows, s3.record.val_rows, 12 * sizeof(uint64_t)) != 0);
    splits_free(&s1);
    splits_free(&s2);
    splits_free(&s3);
}

static void test_loader_records_the_split_as_file_rows(void **state)
{
    Fx *fx = *state;
    enum { N = 30 };
    int miss_a[N] = {0};
    miss_a[2] = miss_a[11] = miss_a[12] = 1;
    write_rows(fx->csv, N, miss_a, NULL);
    Config c;
    Splits s;
    Err e = {0};
    make_cfg(&c, fx->csv, "a,b", "y", "data.missing=drop", "data.validation_fraction=0.3",
             "data.test_fraction=0.2", "data.normalize=none", "train.seed=11", NULL);
    if (loader_load(&c, &s, &e))
        fail_msg("%s", e.msg);
    const DataRecord *d = &s.record;
    assert_true(d->has_split && d->seed == 11 && d->rows_read == N && d->fingerprint == s.fingerprint);
    assert_same_double(d->validation_fraction, 0.3);
    assert_int_equal(d->nval, s.val.n);
    assert_int_equal(d->ntest, s.test.n);
    assert_int_equal(s.train.n + s.val.n + s.test.n, N - 3);
    const Dataset *sets[2] = {&s.val, &s.test};
    const uint64_t *rows[2] = {d->val_rows, d->test_rows};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < sets[k]->n; i++) {
            uint64_t r = rows[k][i];
            assert_false(miss_a[r]);             /* a dropped row is in no set */
            assert_true(i == 0 || rows[k][i - 1] < r); /* ascending */
            double a, b, y;
            row_values((int)r, &a, &b, &y);
            assert_same_double(sets[k]->x[2 * i], a);
            assert_same_double(sets[k]->y[i], y);
        }
    splits_free(&s);
}

/* ---- errors lead with the file ----------------------------------------------------------- */

static void test_loader_errors_lead_with_the_data_file(void **state)
{
    Fx *fx = *state;
    char nofile[200];
    snprintf(nofile, sizeof nofile, "%s/none.csv", fx->dir);
    Config c;
    Splits s;
    Err e = {0};
    struct {
        const char *text;     /* the CSV, NULL: no file */
        const char *features;
        const char *set[2];   /* overrides, NULL-terminated */
        int code;
    } cases[] = {
        {NULL, "a", {NULL}, E_IO},
        {"a,y\n1,2\nx,3\n", "a", {NULL}, E_PARSE},                         /* bad cell */
        {"a,y\n1,2\n2,3\n", "b", {NULL}, E_PARSE},                         /* unknown column */
        {"a,y\n1,2\n,3\n", "a", {"data.missing=drop", NULL}, E_DATA},      /* too few rows */
        {"a,y\n1,2\n1,3\n1,5\n", "a", {NULL}, E_DATA},                     /* constant feature */
        {"a,y\n1,2\n2,3\n", "a", {"data.validation_fraction=0.5", "data.test_fraction=0.4"}, E_DATA}, /* no training rows */
        {"a,y\n,2\n,3\n,4\n", "a", {"data.missing=mean", NULL}, E_DATA},   /* a mean of nothing */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *path = cases[k].text ? fx->csv : nofile;
        if (cases[k].text)
            tu_write_text(fx->csv, cases[k].text);
        make_cfg(&c, path, cases[k].features, "y", cases[k].set[0], cases[k].set[0] ? cases[k].set[1] : NULL, NULL);
        int rc = loader_load(&c, &s, &e);
        if (rc != cases[k].code)
            fail_msg("case %zu: code %d (%s), expected %d", k, rc, e.msg, cases[k].code);
        if (strncmp(e.msg, path, strlen(path)) != 0 || (e.msg[strlen(path)] != ':' && e.msg[strlen(path)] != ' '))
            fail_msg("case %zu: \"%s\" does not lead with %s", k, e.msg, path);
    }
}

/* ---- HDF5 input ----------------------------------------------------------------------------- */

static void test_loader_reads_an_hdf5_table_as_it_reads_the_csv(void **state)
{
    Fx *fx = *state;
    enum { N = 200 };
    int miss_a[N] = {0};
    for (int i = 3; i < N; i += 17)
        miss_a[i] = 1;
    write_rows(fx->csv, N, miss_a, NULL);
    ConvertReport rep;
    Err e = {0};
    assert_int_equal(datafile_convert(fx->csv, fx->h5, NULL, NULL, 0, &rep, &e), 0);
    datafile_report_free(&rep);
    Config c1, c2;
    Splits s1, s2;
    make_cfg(&c1, fx->csv, "b,a", "y", "data.missing=mean", "data.test_fraction=0.1", NULL);
    make_cfg(&c2, fx->h5, "b,a", "y", "data.missing=mean", "data.test_fraction=0.1", NULL);
    assert_int_equal(loader_load(&c1, &s1, &e), 0);
    if (loader_load(&c2, &s2, &e))
        fail_msg("%s", e.msg);
    assert_true(s1.fingerprint == s2.fingerprint);
    assert_int_equal(s1.rows_read, s2.rows_read);
    assert_int_equal(s1.missing[1], s2.missing[1]);
    assert_int_equal(s1.cells_filled, s2.cells_filled);
    assert_same_dataset(&s1.train, &s2.train);
    assert_same_dataset(&s1.val, &s2.val);
    assert_same_dataset(&s1.test, &s2.test);
    assert_memory_equal(s1.norm.x_scale, s2.norm.x_scale, 2 * sizeof(double));
    splits_free(&s1);
    splits_free(&s2);

    /* missing = error names the dataset and row; [data] table names another group */
    make_cfg(&c2, fx->h5, "b,a", "y", NULL);
    assert_int_equal(loader_load(&c2, &s2, &e), E_PARSE);
    assert_msg(&e, "%s: /table/a: row 3: missing value (NaN); set [data] missing = drop or mean, or fill the cell", fx->h5);
    make_cfg(&c2, fx->h5, "b,a", "y", "data.table=houses", NULL);
    assert_int_equal(loader_load(&c2, &s2, &e), E_PARSE);
    assert_msg(&e, "%s: no table \"/houses\"; tables in the file: /table", fx->h5);
}

/* ---- a model's split, re-derived -------------------------------------------------------------- */

/* Trains nothing: a model as a run would save it after loading c. */
static void save_model(const Fx *fx, const Config *c, const Splits *s)
{
    Model m;
    Err e = {0};
    memset(&m, 0, sizeof m);
    assert_int_equal(loader_build_net(c, c->nfeat, &m.net, &e), 0);
    char *names[CFG_MAX_FEATURES];
    for (int f = 0; f < c->nfeat; f++)
        names[f] = (char *)c->feature_names[f];
    m.norm = s->norm; /* borrowed, as the run does */
    m.nfeat = c->nfeat;
    m.feat_names = names;
    m.target_name = (char *)c->target;
    m.config_text = "[data]\n";
    m.data = s->record;
    if (h5_model_save(fx->model, &m, &e))
        fail_msg("%s", e.msg);
    net_free(&m.net);
}

static void test_loader_filter_keeps_the_rows_that_meet_every_condition(void **state)
{
    Fx *fx = *state;
    /* w is read for the filter only; row 7's w is missing, which fails its condition */
    tu_write_text(fx->csv, "a,b,y,w\n1,2,3,1\n2,4,6,2\n3,6,9,0\n4,8,12,1\n5,10,15,2\n6,12,18,0\n"
                           "7,14,21,\n8,16,24,2\n9,18,27,0\n10,20,30,1\n");
    Config c;
    Splits s;
    Err e = {0};
    make_cfg(&c, fx->csv, "a,b", "y", "data.filter=a <= 7, w != 0", "data.missing=mean",
             "data.validation_fraction=0", "data.normalize=none", NULL);
    assert_int_equal(c.nfilter, 2);
    if (loader_load(&c, &s, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(s.rows_read, 10);
    assert_int_equal(s.rows_filtered, 6); /* rows a = 3, 6, 7 (missing w), 8, 9, 10 */
    assert_int_equal(s.rows_dropped, 0);
    assert_int_equal(s.missing[0] + s.missing[1] + s.missing[2], 0); /* w's missing cell is not a feature's */
    static const double want_a[] = { 1, 2, 4, 5 };
    assert_int_equal(s.train.n, 4);
    for (size_t k = 0; k < 4; k++) {
        assert_same_double(s.train.x[2 * k], want_a[k]);
        assert_same_double(s.train.x[2 * k + 1], 2 * want_a[k]);
        assert_same_double(s.train.y[k], 3 * want_a[k]);
    }
    assert_true(s.record.rows_filtered == 6);
    splits_free(&s);

    /* a filter that leaves too few rows says so */
    make_cfg(&c, fx->csv, "a,b", "y", "data.filter=a > 9", "data.missing=mean", NULL);
    assert_int_equal(loader_load(&c, &s, &e), E_DATA);
    assert_msg(&e, "%s: 1 usable rows (of 10 read); at least 2 are needed (9 left out by [data] filter)", fx->csv);
}

static void test_loader_filter_applies_before_the_split_and_its_record(void **state)
{
    Fx *fx = *state;
    enum { N = 60 };
    write_rows(fx->csv, N, NULL, NULL);
    Config c;
    Splits s, again;
    Model m;
    Err e = {0};
    make_cfg(&c, fx->csv, "a,b", "y", "data.filter=a > 10", "data.test_fraction=0.2", "train.seed=5", NULL);
    if (loader_load(&c, &s, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(s.rows_filtered, 10); /* file rows 0..9: a = 1..10 */
    assert_int_equal(s.train.n + s.val.n + s.test.n, N - 10);
    for (size_t i = 0; i < s.record.nval; i++)
        assert_true(s.record.val_rows[i] >= 10);
    for (size_t i = 0; i < s.record.ntest; i++)
        assert_true(s.record.test_rows[i] >= 10);
    save_model(fx, &c, &s);
    assert_int_equal(h5_model_load(fx->model, &m, &e), 0);
    assert_true(m.data.rows_filtered == 10);
    if (loader_load(&c, &again, &e)) /* what evaluate re-derives */
        fail_msg("%s", e.msg);
    assert_same_dataset(&s.test, &again.test);
    assert_same_dataset(&s.val, &again.val);
    assert_same_dataset(&s.train, &again.train);
    splits_free(&again);
    splits_free(&s);
    model_free(&m);
}

/* ---- transforms ---------------------------------------------------------------- */

static void test_loader_transforms_fit_in_log_space_and_point_at_a_value_they_cannot_take(void **state)
{
    Fx *fx = *state;
    enum { N = 40 };
    write_rows(fx->csv, N, NULL, NULL);
    Config c;
    Splits s;
    Err e = {0};
    make_cfg(&c, fx->csv, "b,y", "a", "data.target_transform=log", "data.log_features=b", "data.normalize=none",
             "data.validation_fraction=0", NULL);
    if (loader_load(&c, &s, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(s.norm.y_transform, TRANSFORM_LOG);
    assert_true(s.norm.x_log[0] == 1 && s.norm.x_log[1] == 0);
    assert_int_equal(s.train.n, N);
    for (int r = 0; r < N; r++) { /* no normalisation: the rows are log1p(b), y, log(a) */
        double a, b, y;
        row_values(r, &a, &b, &y);
        assert_close(s.train.x[2 * r], log1p(b), 0.0);
        assert_close(s.train.x[2 * r + 1], y, 0.0);
        assert_close(s.train.y[r], log(a), 0.0);
        assert_close(norm_target_back(&s.norm, s.train.y[r]), a, 1e-12 * a);
    }
    splits_free(&s);
    make_cfg(&c, fx->csv, "a,b", "y", "data.target_transform=log", NULL);
    /* a target of 0 under log (line 4), a feature of -1 under log1p (line 3 of the second file) */
    tu_write_text(fx->csv, "a,b,y\n1,2,3\n4,5,6\n\"7\",8,0\n1,1,1\n2,2,2\n");
    assert_int_equal(loader_load(&c, &s, &e), E_DATA);
    assert_msg(&e, "%s:4:3: column \"y\": 0 is outside the domain of log ([data] target_transform = log needs "
                   "values above 0); leave such rows out with [data] filter = y > 0, or use log1p", fx->csv);
    make_cfg(&c, fx->csv, "a,b", "y", "data.target_transform=log1p", "data.log_features=b", NULL);
    tu_write_text(fx->csv, "y,a,b\n1,2,3\n4,5,-1\n7,8,0\n1,1,1\n2,2,2\n");
    assert_int_equal(loader_load(&c, &s, &e), E_DATA);
    assert_msg(&e, "%s:3:3: column \"b\": -1 is outside the domain of log1p ([data] log_features needs values "
                   "above -1); remove the column from log_features, or leave the row out with [data] filter = "
                   "b > -1", fx->csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, tu_tmpdir_teardown)
        T(test_loader_missing_error_names_file_line_and_column),
        T(test_loader_missing_drop_removes_rows_and_counts_them),
        T(test_loader_missing_mean_fills_with_the_training_rows_mean),
        T(test_loader_needs_two_usable_rows_when_a_split_is_requested),
        T(test_loader_constant_column_is_an_error_naming_it),
        T(test_loader_spread_beyond_float64_is_named),
        T(test_loader_fits_normalisation_on_the_training_rows_only),
        T(test_loader_split_is_reproducible_by_seed),
        T(test_loader_records_the_split_as_file_rows),
        T(test_loader_errors_lead_with_the_data_file),
        T(test_loader_reads_an_hdf5_table_as_it_reads_the_csv),
        T(test_loader_filter_keeps_the_rows_that_meet_every_condition),
        T(test_loader_filter_applies_before_the_split_and_its_record),
        T(test_loader_transforms_fit_in_log_space_and_point_at_a_value_they_cannot_take),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
