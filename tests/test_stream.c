/* test_stream: io/stream.c, training from an HDF5 table a chunk at a time
 * -- the hashed split, the chunks against a reference computed from the
 * whole table, the normalisation statistics against norm_fit, the
 * missing-value policies, the capped validation rows, and training that
 * is bit-identical across runs and thread counts. The fixture is a
 * 200,000-row table (four file blocks) written once per test into a
 * temporary directory. */
#define _GNU_SOURCE /* nftw, mkdtemp */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <ftw.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "h5table.h"
#include "loader.h"
#include "rng.h"
#include "run.h"
#include "stream.h"
#include "train.h"

#define NROWS 200000

typedef struct Fx {
    char dir[TU_DIR_MAX]; /* first: tu_tmpdir_new's */
    char h5[160];
    double *cols;   /* (3, NROWS): a, b, y as written */
} Fx;

static int setup(void **state)
{
    Fx *fx = tu_tmpdir_new(sizeof *fx, "test_stream");
    if (!fx)
        return -1;
    if (!(fx->cols = malloc(3 * (size_t)NROWS * sizeof(double)))) {
        tu_tmpdir_free(fx);
        return -1;
    }
    snprintf(fx->h5, sizeof fx->h5, "%s/data.h5", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    Fx *fx = *state;
    free(fx->cols);
    tu_tmpdir_free(fx);
    return 0;
}

/* Writes the table a, b, y: y = 3a - b + noise; a is NaN every miss_a-th
 * row and y every miss_y-th row (0: never). */
static void write_table(Fx *fx, int miss_a, int miss_y)
{
    double *a = fx->cols, *b = a + NROWS, *y = b + NROWS;
    Rng r = rng_stream(7, 99);
    for (size_t i = 0; i < NROWS; i++) {
        a[i] = (double)(i % 1000) * 0.37 + rng_uniform(&r);
        b[i] = 100.0 * rng_uniform(&r) - 50.0;
        y[i] = 3.0 * a[i] - b[i] + rng_uniform(&r);
        if (miss_a && i % (size_t)miss_a == 5)
            a[i] = NAN;
        if (miss_y && i % (size_t)miss_y == 11)
            y[i] = NAN;
    }
    const char *names[] = { "a", "b", "y" };
    H5TableWriter *w = NULL;
    Err e = { 0 };
    if (h5_table_writer_open(fx->h5, "table", names, 3, "test", 0, &w, &e) ||
        h5_table_writer_append(w, fx->cols, NROWS, NROWS, &e) || h5_table_writer_commit(w, &e))
        fail_msg("%s", e.msg);
    h5_table_writer_free(&w);
}

static void make_cfg(Config *c, const char *path, ...)
{
    char a[400];
    Err e = { 0 };
    cfg_defaults(c);
    const char *base[] = { "data.features=a,b", "data.target=y", "data.stream=true", "data.test_fraction=0.1",
                           "model.hidden=2", "train.batch_size=256", "train.epochs=1", NULL };
    snprintf(a, sizeof a, "data.path=%s", path);
    assert_int_equal(cfg_set(c, a, &e), 0);
    for (int i = 0; base[i]; i++)
        assert_int_equal(cfg_set(c, base[i], &e), 0);
    va_list ap;
    va_start(ap, path);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        if (cfg_set(c, s, &e))
            fail_msg("%s", e.msg);
    va_end(ap);
    if (cfg_finish(c, &e))
        fail_msg("%s", e.msg);
}

/* Whether row i of the table meets c's [data] filter. */
static int passes(const Fx *fx, const Config *c, size_t i)
{
    for (int k = 0; k < c->nfilter; k++) {
        int col = cfg_column(c, c->filter_cond[k].column); /* a, b, y: table columns 0, 1, 2 */
        if (!cmp_holds(c->filter_cond[k].op, fx->cols[(size_t)col * NROWS + i], c->filter_cond[k].value))
            return 0;
    }
    return 1;
}

/* The reference: every row of part `which` that c's filter and missing
 * policy keep, in file order, filled with the training rows' means
 * (missing = mean), not normalised. Computed from the whole table held in
 * memory. */
static void reference(const Fx *fx, const Config *c, int which, Dataset *out)
{
    const double *a = fx->cols, *b = a + NROWS, *y = b + NROWS;
    Err e = { 0 };
    assert_int_equal(data_alloc(out, NROWS, 2, &e), 0);
    double sum = 0.0;
    size_t n = 0, k = 0;
    for (size_t i = 0; i < NROWS; i++)
        if (!isnan(a[i]) && !isnan(y[i]) && passes(fx, c, i) &&
            stream_part(c->seed, c->validation_fraction, c->test_fraction, i) == DATA_PART_TRAIN) {
            sum += a[i];
            n++;
        }
    double mean_a = sum / (double)n;
    for (size_t i = 0; i < NROWS; i++) {
        if (!passes(fx, c, i) || isnan(y[i]) || (c->missing == MISSING_DROP && isnan(a[i])))
            continue;
        if (stream_part(c->seed, c->validation_fraction, c->test_fraction, i) != which)
            continue;
        out->x[2 * k] = isnan(a[i]) ? mean_a : a[i];
        out->x[2 * k + 1] = b[i];
        out->y[k++] = y[i];
    }
    out->n = k;
}

static void assert_rel_close(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.17g, want %.17g (relative tolerance %g)", got, want, rel);
}

static void assert_norm_close(const Norm *got, const Norm *want)
{
    assert_int_equal(got->kind, want->kind);
    for (int f = 0; f < want->nin; f++) {
        assert_rel_close(got->x_shift[f], want->x_shift[f], 1e-12);
        assert_rel_close(got->x_scale[f], want->x_scale[f], 1e-12);
    }
    assert_rel_close(got->y_shift, want->y_shift, 1e-12);
    assert_rel_close(got->y_scale, want->y_scale, 1e-12);
}

/* Rows [first, first + n) of ref as chunk() hands them out: in the order
 * train_rows_permute draws for (seed, 1 + their chunk), or in file order
 * without [train] shuffle. want is the caller's. */
static void as_handed_out(const Dataset *ref, size_t first, size_t n, const Config *c, Dataset *want)
{
    Err e = { 0 };
    assert_int_equal(data_alloc(want, n, 2, &e), 0);
    memcpy(want->x, ref->x + 2 * first, 2 * n * sizeof(double));
    memcpy(want->y, ref->y + first, n * sizeof(double));
    if (c->shuffle)
        train_rows_permute(want, c->seed, 1 + first / TRAIN_CHUNK);
}

/* Every training row through chunk() in pieces of `piece` rows equals the
 * reference normalised with the stream's statistics, bit for bit. */
/* stream_load of c, failing the test on an error. */
static StreamTrain *load(const Config *c, Splits *s, StreamCounts *cnt)
{
    StreamTrain *st = NULL;
    Err e = { 0 };
    if (stream_load(c, NULL, s, &st, cnt, &e))
        fail_msg("%s", e.msg);
    return st;
}

static void assert_chunks_match(TrainData *td, Dataset *ref, const Norm *nm, size_t piece, const Config *c)
{
    Err e = { 0 };
    norm_apply(nm, ref);
    assert_int_equal(td->nrows, ref->n);
    for (size_t first = 0; first < ref->n; first += piece) {
        size_t n = ref->n - first < piece ? ref->n - first : piece;
        Dataset v, want;
        if (td->chunk(td->ctx, first, n, &v, &e))
            fail_msg("%s", e.msg);
        assert_int_equal(v.n, n);
        as_handed_out(ref, first, n, c, &want);
        assert_memory_equal(v.x, want.x, 2 * n * sizeof(double));
        assert_memory_equal(v.y, want.y, n * sizeof(double));
        data_free(&want);
    }
}

/* The training rows st hands out against the reference: the
 * normalisation fitted on them (kind for features and target) and every
 * chunk, asked for in pieces of `piece` rows. */
static void assert_training_rows(const Fx *fx, const Config *c, const Splits *s, StreamTrain *st, NormKind kind,
                                 size_t piece)
{
    Err e = { 0 };
    Dataset ref = { 0 };
    reference(fx, c, DATA_PART_TRAIN, &ref);
    Norm want = { 0 };
    assert_int_equal(norm_fit(&want, kind, kind, &ref, NULL, NULL, NULL, &e), 0);
    assert_norm_close(&s->norm, &want);
    TrainData td = stream_train_data(st);
    assert_chunks_match(&td, &ref, &s->norm, piece, c);
    norm_free(&want);
    data_free(&ref);
}

static void test_stream_split_is_a_seeded_per_row_draw(void **state)
{
    (void)state;
    size_t count[3] = { 0 }, same = 0;
    for (uint64_t r = 0; r < NROWS; r++) {
        int p = stream_part(1, 0.2, 0.1, r);
        assert_int_equal(p, stream_part(1, 0.2, 0.1, r));
        count[p]++;
        same += p == stream_part(2, 0.2, 0.1, r);
    }
    /* 3 standard deviations of a binomial draw of 200,000 rows is under 0.3% */
    assert_true(fabs((double)count[DATA_PART_VAL] / NROWS - 0.2) < 0.003);
    assert_true(fabs((double)count[DATA_PART_TEST] / NROWS - 0.1) < 0.003);
    assert_true(same < NROWS * 6 / 10); /* another seed, another split */
    for (uint64_t r = 0; r < 1000; r++)
        assert_int_equal(stream_part(1, 0.0, 0.0, r), DATA_PART_TRAIN);
}

static void test_stream_chunks_are_the_training_rows_and_stats_match_norm_fit(void **state)
{
    Fx *fx = *state;
    write_table(fx, 0, 0);
    Config c;
    make_cfg(&c, fx->h5, NULL);
    Splits s;
    StreamTrain *st = NULL;
    StreamCounts cnt;
    Err e = { 0 };
    if (stream_load(&c, NULL, &s, &st, &cnt, &e))
        fail_msg("%s", e.msg);
    Dataset ref = { 0 }, val = { 0 };
    reference(fx, &c, DATA_PART_TRAIN, &ref);
    reference(fx, &c, DATA_PART_VAL, &val);
    assert_int_equal(s.ntrain, ref.n);
    assert_int_equal(cnt.nval, val.n);
    assert_int_equal(cnt.ntrain + cnt.nval + cnt.ntest, NROWS);
    assert_int_equal(s.train.n, 0);
    assert_int_equal(s.test.n, 0);
    Norm want = { 0 };
    assert_int_equal(norm_fit(&want, NORM_ZSCORE, NORM_ZSCORE, &ref, NULL, NULL, NULL, &e), 0);
    assert_norm_close(&s.norm, &want);
    TrainData td = stream_train_data(st);
    assert_chunks_match(&td, &ref, &s.norm, TRAIN_CHUNK, &c);
    /* pieces that start and end inside file blocks, and a read backwards */
    Dataset v;
    assert_int_equal(td.chunk(td.ctx, ref.n - 1, 1, &v, &e), 0);
    assert_memory_equal(v.y, &ref.y[ref.n - 1], sizeof(double));
    assert_int_equal(td.chunk(td.ctx, 70001, 65536, &v, &e), 0);
    Dataset piece;
    as_handed_out(&ref, 70001, 65536, &c, &piece);
    assert_memory_equal(v.x, piece.x, 2 * 65536 * sizeof(double));
    data_free(&piece);
    assert_int_equal(td.chunk(td.ctx, ref.n, 1, &v, &e), E_STATE);
    /* the validation rows, normalised with the training statistics */
    norm_apply(&s.norm, &val);
    assert_int_equal(s.val.n, val.n);
    assert_memory_equal(s.val.x, val.x, val.n * 2 * sizeof(double));
    assert_memory_equal(s.val.y, val.y, val.n * sizeof(double));
    assert_int_equal(s.record.hashed, 1);
    assert_int_equal(s.record.nval + s.record.ntest, 0);
    assert_int_equal(s.record.rows_read, NROWS);
    assert_true(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) > 0); /* the stream holds the file open */
    norm_free(&want);
    data_free(&ref);
    data_free(&val);
    stream_free(&st);
    assert_null(st);
    splits_free(&s);
    assert_int_equal(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    cfg_free(&c);
}

static void test_stream_minmax_stats_match_norm_fit(void **state)
{
    Fx *fx = *state;
    write_table(fx, 0, 0);
    Config c;
    /* and without shuffling: the rows in file order */
    make_cfg(&c, fx->h5, "data.normalize=minmax", "data.validation_fraction=0.5", "train.seed=9",
             "train.shuffle=false", NULL);
    Splits s;
    StreamTrain *st = NULL;
    StreamCounts cnt;
    Err e = { 0 };
    if (stream_load(&c, NULL, &s, &st, &cnt, &e))
        fail_msg("%s", e.msg);
    /* half the rows are validation rows: a chunk spans two file blocks */
    assert_training_rows(fx, &c, &s, st, NORM_MINMAX, 40000);
    stream_free(&st);
    splits_free(&s);
    cfg_free(&c);
}

static void test_stream_missing_drop_skips_rows_and_counts_them(void **state)
{
    Fx *fx = *state;
    write_table(fx, 97, 1009);
    Config c;
    make_cfg(&c, fx->h5, "data.missing=drop", NULL);
    Splits s;
    StreamCounts cnt;
    StreamTrain *st = load(&c, &s, &cnt);
    size_t miss_a = 0, miss_y = 0, either = 0;
    for (size_t i = 0; i < NROWS; i++) {
        miss_a += i % 97 == 5;
        miss_y += i % 1009 == 11;
        either += i % 97 == 5 || i % 1009 == 11;
    }
    assert_int_equal(s.missing[0], miss_a);
    assert_int_equal(s.missing[1], 0);
    assert_int_equal(s.missing[2], miss_y);
    assert_int_equal(s.rows_dropped, either);
    assert_int_equal(cnt.ntrain + cnt.nval + cnt.ntest, NROWS - either);
    assert_training_rows(fx, &c, &s, st, NORM_ZSCORE, 30000);
    stream_free(&st);
    splits_free(&s);
    cfg_free(&c);
}

static void test_stream_filter_skips_rows_and_counts_them(void **state)
{
    Fx *fx = *state;
    write_table(fx, 0, 0);
    Config c;
    make_cfg(&c, fx->h5, "data.filter=a < 200, b >= -20", NULL);
    Splits s;
    StreamCounts cnt;
    Err e = { 0 };
    StreamTrain *st = load(&c, &s, &cnt);
    size_t out = 0;
    for (size_t i = 0; i < NROWS; i++)
        out += !passes(fx, &c, i);
    assert_true(out > NROWS / 4 && out < NROWS); /* the filter does something, and leaves rows */
    assert_int_equal(s.rows_filtered, out);
    assert_int_equal(s.rows_dropped, 0);
    assert_int_equal(cnt.ntrain + cnt.nval + cnt.ntest, NROWS - out);
    assert_training_rows(fx, &c, &s, st, NORM_ZSCORE, 30000);
    stream_free(&st);
    splits_free(&s);
    cfg_free(&c);

    /* a filter on another column than the features and the target */
    cfg_defaults(&c);
    char a[400];
    snprintf(a, sizeof a, "data.path=%s", fx->h5);
    assert_int_equal(cfg_set(&c, a, &e), 0);
    assert_int_equal(cfg_set(&c, "data.features=a", &e), 0);
    assert_int_equal(cfg_set(&c, "data.target=y", &e), 0);
    assert_int_equal(cfg_set(&c, "data.stream=true", &e), 0);
    assert_int_equal(cfg_set(&c, "data.filter=b > 0", &e), 0);
    assert_int_equal(cfg_finish(&c, &e), E_CONFIG);
    assert_non_null(strstr(e.msg, "[data] filter: \"b\" is neither a feature nor the target; with stream = true"));
    cfg_free(&c);
}

static void test_stream_missing_mean_fills_with_the_training_rows_mean(void **state)
{
    Fx *fx = *state;
    write_table(fx, 97, 1009);
    Config c;
    make_cfg(&c, fx->h5, "data.missing=mean", NULL);
    Splits s;
    StreamTrain *st = NULL;
    StreamCounts cnt;
    Err e = { 0 };
    if (stream_load(&c, NULL, &s, &st, &cnt, &e))
        fail_msg("%s", e.msg);
    assert_true(s.cells_filled > 0);
    assert_training_rows(fx, &c, &s, st, NORM_ZSCORE, TRAIN_CHUNK);
    stream_free(&st);
    splits_free(&s);
    cfg_free(&c);
}

static void test_stream_missing_error_names_the_column_and_row(void **state)
{
    Fx *fx = *state;
    write_table(fx, 97, 0);
    Config c;
    make_cfg(&c, fx->h5, NULL);
    Splits s;
    StreamTrain *st = NULL;
    StreamCounts cnt;
    Err e = { 0 };
    assert_int_equal(stream_load(&c, NULL, &s, &st, &cnt, &e), E_PARSE);
    assert_null(st);
    char want[400];
    snprintf(want, sizeof want, "%s: column \"a\": row 5: missing value (NaN); set [data] missing = drop or mean",
             fx->h5);
    assert_string_equal(e.msg, want);
    assert_int_equal(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    cfg_free(&c);
}

static void test_stream_key_needs_an_hdf5_path(void **state)
{
    (void)state;
    Config c;
    Err e = { 0 };
    cfg_defaults(&c);
    assert_int_equal(cfg_set(&c, "data.path=houses.csv", &e), 0);
    assert_int_equal(cfg_set(&c, "data.features=a", &e), 0);
    assert_int_equal(cfg_set(&c, "data.target=y", &e), 0);
    assert_int_equal(cfg_set(&c, "data.stream=true", &e), 0);
    assert_int_equal(cfg_finish(&c, &e), E_CONFIG);
    assert_non_null(strstr(e.msg, "[data] stream applies to HDF5 files"));
    Splits s;
    assert_int_equal(loader_load(&c, &s, &e), E_STATE);
    assert_non_null(strstr(e.msg, "pass a data file to evaluate"));
    cfg_free(&c);
}

/* One streamed epoch from the config's initial parameters; the final
 * parameters into params (nparams). */
static void train_stream(const Config *c, int threads, double *params, size_t nparams)
{
    Splits s;
    StreamTrain *st = NULL;
    StreamCounts cnt;
    Net net = { 0 };
    Trainer t;
    Optim opt;
    Err e = { 0 };
    if (stream_load(c, NULL, &s, &st, &cnt, &e) || loader_build_net(c, c->nfeat, &net, &e) ||
        trainer_init(&t, &net, c->batch_size, threads, s.ntrain, &e) ||
        run_optim_init(c, net.nparams, &opt, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(net.nparams, nparams);
    TrainOpts o = run_train_opts(c, c->batch_size, threads);
    TrainState ts = train_state_start(&o);
    TrainData td = stream_train_data(st);
    if (train_run(&t, &net, &opt, &td, &s.val, &o, &ts, NULL, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(ts.epoch, c->epochs);
    memcpy(params, net.params, nparams * sizeof(double));
    optim_free(&opt);
    trainer_free(&t);
    net_free(&net);
    stream_free(&st);
    splits_free(&s);
}

static void test_stream_training_is_bit_identical_for_runs_and_thread_counts(void **state)
{
    Fx *fx = *state;
    write_table(fx, 97, 0);
    Config c;
    make_cfg(&c, fx->h5, "data.missing=mean", "train.epochs=2", "train.optimizer=adam",
             "train.learning_rate=0.01", NULL);
    double p1[9], p1b[9], p2[9];
    train_stream(&c, 1, p1, 9);
    train_stream(&c, 1, p1b, 9);
    train_stream(&c, 2, p2, 9);
    assert_memory_equal(p1, p1b, sizeof p1);
    assert_memory_equal(p1, p2, sizeof p1);
    /* it learned something: another seed ends elsewhere */
    assert_int_equal(cfg_set(&c, "train.seed=2", &(Err){ 0 }), 0);
    double q[9];
    train_stream(&c, 2, q, 9);
    assert_true(memcmp(p1, q, sizeof p1) != 0);
    cfg_free(&c);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_split_is_a_seeded_per_row_draw),
        cmocka_unit_test_setup_teardown(test_stream_chunks_are_the_training_rows_and_stats_match_norm_fit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stream_minmax_stats_match_norm_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_missing_drop_skips_rows_and_counts_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_filter_skips_rows_and_counts_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_missing_mean_fills_with_the_training_rows_mean, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_missing_error_names_the_column_and_row, setup, teardown),
        cmocka_unit_test(test_stream_key_needs_an_hdf5_path),
        cmocka_unit_test_setup_teardown(test_stream_training_is_bit_identical_for_runs_and_thread_counts, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
