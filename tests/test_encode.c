/* Categorical features: interning texts (src/levels.c), vocabularies and
 * one-hot rows (src/encode.c), the CSV reader's text columns, and the
 * vocabulary's round trip through model.h5. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "csvread.h"
#include "encode.h"
#include "h5model.h"
#include "levels.h"
#include "model.h"
#include "testutil.h"

/* ---- levels ----------------------------------------------------------- */

static void test_levels_number_texts_in_the_order_first_seen(void **state)
{
    (void)state;
    Levels l = { 0 };
    assert_int_equal(levels_intern(&l, "South", 5), 0);
    assert_int_equal(levels_intern(&l, "North", 5), 1);
    assert_int_equal(levels_intern(&l, "Southwest", 5), 0); /* only the first 5 bytes */
    assert_int_equal(levels_intern(&l, "North", 5), 1);
    assert_int_equal(levels_find(&l, "North"), 1);
    assert_int_equal(levels_find(&l, "East"), -1);
    /* past several rehashes, every code stays findable */
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof buf, "level-%d", i);
        assert_int_equal(levels_intern(&l, buf, (size_t)n), i + 2);
    }
    for (int i = 0; i < 5000; i += 7) {
        snprintf(buf, sizeof buf, "level-%d", i);
        assert_int_equal(levels_find(&l, buf), i + 2);
    }
    Levels c;
    assert_int_equal(levels_copy(&c, &l), 0);
    assert_int_equal(c.n, l.n);
    assert_int_equal(levels_find(&c, "level-4999"), 5001);
    assert_string_equal(c.names[0], "South");
    levels_free(&c);
    levels_free(&l);
    assert_null(l.names);
}

/* ---- vocabularies and one-hot rows ------------------------------------ */

/* Levels of a "hood" column: codes 0..4 in first-seen order. */
static void hood_levels(Levels *l)
{
    static const char *const T[] = { "West", "East", "North", "Rare", "Mars" };
    memset(l, 0, sizeof *l);
    for (int i = 0; i < 5; i++)
        assert_int_equal(levels_intern(l, T[i], strlen(T[i])), i);
}

/* Rows (size, hood code): West x2, East x3, North x2, Rare x1, one missing;
 * "Mars" (code 4) never appears in training. */
static void training_rows(Dataset *d)
{
    static const double X[][2] = { { 1, 0 }, { 2, 1 }, { 3, 2 }, { 4, 1 }, { 5, 0 },
                                   { 6, 3 }, { 7, 2 }, { 8, 1 }, { 9, NAN } };
    Err e = { 0 };
    assert_int_equal(data_alloc(d, 9, 2, &e), 0);
    for (size_t r = 0; r < 9; r++) {
        d->x[2 * r] = X[r][0];
        d->x[2 * r + 1] = X[r][1];
        d->y[r] = (double)r;
    }
}

static void test_vocabulary_is_sorted_and_rare_levels_share_other(void **state)
{
    (void)state;
    Levels hood;
    hood_levels(&hood);
    const Levels *lv[2] = { NULL, &hood };
    const char *names[2] = { "size", "hood" };
    Dataset d = { 0 };
    Encoding e;
    Err err = { 0 };
    training_rows(&d);
    assert_int_equal(enc_fit(&e, 2, lv, &d, 2, 1, names, &err), 0);
    assert_false(enc_is_cat(&e, 0));
    assert_true(enc_is_cat(&e, 1));
    const Vocab *v = &e.v[1];
    assert_int_equal(v->nlevels, 3); /* East 3, North 2, West 2: sorted by bytes */
    assert_string_equal(v->levels[0], "East");
    assert_string_equal(v->levels[1], "North");
    assert_string_equal(v->levels[2], "West");
    assert_int_equal(v->nrare, 1);
    assert_string_equal(v->rare[0], "Rare");
    assert_int_equal(v->other, 1);
    assert_int_equal(v->missing, 1);
    assert_int_equal(enc_width(&e), 1 + 3 + 1 + 1);
    assert_int_equal(enc_offset(&e, 1), 1);

    char **in = NULL;
    assert_int_equal(enc_input_names_new(&e, names, &in, &err), 0);
    static const char *const WANT[] = { "size", "hood=East", "hood=North", "hood=West", "hood=(other)",
                                        "hood=(missing)" };
    for (int i = 0; i < 6; i++) {
        assert_string_equal(in[i], WANT[i]);
        free(in[i]);
    }
    free(in);
    unsigned char fixed[6];
    enc_fixed_mask(&e, fixed);
    assert_int_equal(fixed[0], 0);
    for (int i = 1; i < 6; i++)
        assert_int_equal(fixed[i], 1);

    /* without missing = mean there is no missing input; min_count 1 keeps Rare */
    Encoding e1;
    assert_int_equal(enc_fit(&e1, 2, lv, &d, 1, 0, names, &err), 0);
    assert_int_equal(e1.v[1].nlevels, 4);
    assert_int_equal(e1.v[1].other + e1.v[1].missing, 0);
    enc_free(&e1);
    enc_free(&e);
    data_free(&d);
    levels_free(&hood);
}

static void test_one_hot_rows_and_unknown_levels(void **state)
{
    (void)state;
    Levels hood;
    hood_levels(&hood);
    const Levels *lv[2] = { NULL, &hood };
    const char *names[2] = { "size", "hood" };
    Dataset d = { 0 }, out = { 0 }, rows = { 0 };
    Encoding e;
    Err err = { 0 };
    training_rows(&d);
    assert_int_equal(enc_fit(&e, 2, lv, &d, 2, 0, names, &err), 0); /* East North West (other) */
    /* rows: North, Rare (-> other), Mars (unknown), missing (no missing input), West, Mars */
    static const double X[][2] = { { 10, 2 }, { 11, 3 }, { 12, 4 }, { 13, NAN }, { 14, 0 }, { 15, 4 } };
    assert_int_equal(data_alloc(&rows, 6, 2, &err), 0);
    for (size_t r = 0; r < 6; r++) {
        rows.x[2 * r] = X[r][0];
        rows.x[2 * r + 1] = X[r][1];
        rows.y[r] = 100.0 + (double)r;
    }
    EncUnknown unk[2] = { { 0 } };
    assert_int_equal(enc_apply(&e, lv, &rows, &out, unk, &err), 0);
    assert_int_equal(out.nin, 5);
    static const double WANT[][5] = { { 10, 0, 1, 0, 0 }, { 11, 0, 0, 0, 1 }, { 12, 0, 0, 0, 0 },
                                      { 13, 0, 0, 0, 0 }, { 14, 0, 0, 1, 0 }, { 15, 0, 0, 0, 0 } };
    for (size_t r = 0; r < 6; r++) {
        for (int i = 0; i < 5; i++)
            assert_same_double(out.x[r * 5 + (size_t)i], WANT[r][i]);
        assert_same_double(out.y[r], 100.0 + (double)r);
    }
    assert_int_equal(unk[0].count, 0);
    assert_int_equal(unk[1].count, 3);
    assert_int_equal(unk[1].first_row, 2);
    assert_int_equal(unk[1].nshow, 2); /* Mars once, then (missing) */
    assert_string_equal(unk[1].show[0], "Mars");
    assert_string_equal(unk[1].show[1], "(missing)");
    data_free(&out);
    data_free(&rows);
    enc_free(&e);
    data_free(&d);
    levels_free(&hood);
}

static void test_too_many_levels_is_an_error_naming_the_column(void **state)
{
    (void)state;
    Levels l = { 0 };
    Dataset d = { 0 };
    Encoding e;
    Err err = { 0 };
    char buf[32];
    size_t n = ENC_MAX_LEVELS + 1;
    assert_int_equal(data_alloc(&d, n, 1, &err), 0);
    for (size_t r = 0; r < n; r++) {
        int len = snprintf(buf, sizeof buf, "id%zu", r);
        d.x[r] = (double)levels_intern(&l, buf, (size_t)len);
        d.y[r] = 0;
    }
    const Levels *lv[1] = { &l };
    const char *names[1] = { "Parcel" };
    assert_int_equal(enc_fit(&e, 1, lv, &d, 1, 0, names, &err), E_DATA);
    assert_msg(&err, "column \"Parcel\" has %d levels in the training rows, more than %d; raise "
               "[data] min_category_count, or leave the column out", ENC_MAX_LEVELS + 1, ENC_MAX_LEVELS);
    assert_null(e.v);
    /* seen twice each, they are all rare under min_count 2: one "other" input */
    assert_int_equal(enc_fit(&e, 1, lv, &d, 2, 0, names, &err), 0);
    assert_int_equal(enc_width(&e), 1);
    enc_free(&e);
    data_free(&d);
    levels_free(&l);
}

static void test_enc_check_refuses_unsorted_levels(void **state)
{
    (void)state;
    char *lv[2] = { "b", "a" };
    Vocab v = { .is_cat = 1, .nlevels = 2, .levels = lv };
    Encoding e = { 1, &v };
    Err err = { 0 };
    assert_int_equal(enc_check(&e, &err), E_PARSE);
    assert_msg(&err, "categorical feature 1: levels not in ascending order; the file is damaged");
    lv[0] = "a";
    lv[1] = "b";
    assert_int_equal(enc_check(&e, &err), 0);
    v.other = 1; /* other without rare levels */
    assert_int_equal(enc_check(&e, &err), E_PARSE);
}

/* ---- CSV text columns ------------------------------------------------- */

typedef struct Fixture {
    char dir[TU_DIR_MAX]; /* first: tu_tmpdir_new's */
    char path[128];
} Fixture;

static int setup(void **state)
{
    Fixture *fx = tu_tmpdir_new(sizeof *fx, "test_encode");
    if (!fx)
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/t.csv", fx->dir);
    *state = fx;
    return 0;
}

static int read_modes(const Fixture *fx, const char *text, const unsigned char *modes, int allow, Table *t,
                      Err *err)
{
    static const char *const NAMES[] = { "a", "b", "c" };
    tu_write_text(fx->path, text);
    static const char *const NA[] = { "NA" };
    CsvOptions opt = { .text = modes, .allow_missing = allow, .na_values = NA, .n_na_values = 1 };
    return csv_read_columns(fx->path, NAMES, 3, &opt, t, err);
}

static void test_csv_auto_columns_become_numbers_or_levels(void **state)
{
    Fixture *fx = *state;
    const unsigned char modes[3] = { CSV_COL_AUTO, CSV_COL_AUTO, CSV_COL_TEXT };
    Table t = { 0 };
    Err err = { 0 };
    int rc = read_modes(fx, "a,b,c\n1.5, x ,20\n2,\"y,z\",30\n3,x,\n4,NA,20\n", modes, 1, &t, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_null(table_text(&t, 0)); /* every cell a number */
    assert_same_double(table_col(&t, 0)[1], 2.0);
    const Levels *b = table_text(&t, 1), *c = table_text(&t, 2);
    assert_non_null(b);
    assert_int_equal(b->n, 2);
    assert_string_equal(b->names[0], "x");
    assert_string_equal(b->names[0], "x"); /* trimmed */
    assert_string_equal(b->names[1], "y,z"); /* quoted */
    assert_same_double(table_col(&t, 1)[2], 0.0);
    assert_true(isnan(table_col(&t, 1)[3])); /* NA is missing, not a level */
    assert_non_null(c); /* declared text: numbers are levels */
    assert_int_equal(c->n, 2);
    assert_string_equal(c->names[1], "30");
    assert_true(isnan(table_col(&t, 2)[2]));
    assert_int_equal(t.missing[2], 1);
    table_free(&t);
}

static void test_csv_mixed_column_names_the_odd_cell(void **state)
{
    Fixture *fx = *state;
    const unsigned char modes[3] = { CSV_COL_AUTO, CSV_COL_AUTO, CSV_COL_AUTO };
    Table t = { 0 };
    Err err = { 0 };
    assert_int_equal(read_modes(fx, "a,b,c\n1,x,5\n2,y,6\n3,z,seven\n", modes, 0, &t, &err), E_PARSE);
    assert_msg(&err, "%s:4:3: column \"c\": expected a number, got \"seven\"; 2 other cells are numbers: fix the "
               "cell, or list the column in [data] categorical to read every value as a level", fx->path);
    assert_int_equal(read_modes(fx, "a,b,c\n1,x,5\n2,7,6\n3,z,7\n", modes, 0, &t, &err), E_PARSE);
    assert_msg(&err, "%s:3:2: column \"b\": a number among text: \"7\"; 2 other cells are text: fix the cell, or "
               "list the column in [data] categorical to read every value as a level", fx->path);
    /* a text cell that reads like a missing marker says how to declare it */
    assert_int_equal(read_modes(fx, "a,b,c\n1,x,5\n2,y,?\n", modes, 0, &t, &err), E_PARSE);
    assert_msg(&err, "%s:3:3: column \"c\": expected a number, got \"?\"%s", fx->path, CSV_MISSING_HINT);
    /* without text modes a text cell stays the error it always was */
    assert_int_equal(read_modes(fx, "a,b,c\n1,x,5\n", NULL, 0, &t, &err), E_PARSE);
    assert_msg(&err, "%s:2:2: column \"b\": expected a number, got \"x\"", fx->path);
}

/* ---- model.h5 --------------------------------------------------------- */

static void test_model_file_keeps_the_vocabulary(void **state)
{
    Fixture *fx = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/model.h5", fx->dir);
    Levels hood;
    hood_levels(&hood);
    const Levels *lv[2] = { NULL, &hood };
    const char *names[2] = { "size", "hood" };
    Dataset d = { 0 };
    Model m, back;
    Err err = { 0 };
    memset(&m, 0, sizeof m);
    training_rows(&d);
    assert_int_equal(enc_fit(&m.enc, 2, lv, &d, 2, 1, names, &err), 0);
    int hidden[1] = { 3 };
    assert_int_equal(net_init(&m.net, enc_width(&m.enc), hidden, 1, 1, ACT_SIGMOID, ACT_LINEAR, &err), 0);
    net_init_xavier(&m.net, 7);
    assert_int_equal(norm_alloc(&m.norm, enc_width(&m.enc), &err), 0);
    m.nfeat = 2;
    m.feat_names = calloc(2, sizeof *m.feat_names);
    m.feat_names[0] = strdup("size");
    m.feat_names[1] = strdup("hood");
    m.target_name = strdup("price");
    m.config_text = strdup("[data]\n");
    if (h5_model_save(path, &m, &err))
        fail_msg("save: %s", err.msg);
    if (h5_model_load(path, &back, &err))
        fail_msg("load: %s", err.msg);
    assert_int_equal(back.nfeat, 2);
    assert_string_equal(back.feat_names[1], "hood");
    assert_int_equal(model_inputs(&back), 6);
    assert_false(enc_is_cat(&back.enc, 0));
    const Vocab *v = &back.enc.v[1];
    assert_int_equal(v->nlevels, 3);
    assert_string_equal(v->levels[2], "West");
    assert_int_equal(v->nrare, 1);
    assert_string_equal(v->rare[0], "Rare");
    assert_int_equal(v->other, 1);
    assert_int_equal(v->missing, 1);
    assert_int_equal(h5_open_objects(), 0);
    model_free(&back);
    model_free(&m);
    data_free(&d);
    levels_free(&hood);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_number_texts_in_the_order_first_seen),
        cmocka_unit_test(test_vocabulary_is_sorted_and_rare_levels_share_other),
        cmocka_unit_test(test_one_hot_rows_and_unknown_levels),
        cmocka_unit_test(test_too_many_levels_is_an_error_naming_the_column),
        cmocka_unit_test(test_enc_check_refuses_unsorted_levels),
        cmocka_unit_test_setup_teardown(test_csv_auto_columns_become_numbers_or_levels, setup, tu_tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_csv_mixed_column_names_the_odd_cell, setup, tu_tmpdir_teardown),
        cmocka_unit_test_setup_teardown(test_model_file_keeps_the_vocabulary, setup, tu_tmpdir_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
