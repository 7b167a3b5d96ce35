/* Tests of `housenet predict` and the CSV row API under it
 * (io/csvrows.c, io/predict.c): cells come back unchanged, quoting is
 * correct, the prediction is the hand-set model's, and errors name the
 * line and column. Every test works in a fresh temporary directory. */
#define _GNU_SOURCE /* nftw, mkdtemp */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvread.h"
#include "csvrows.h"
#include "h5model.h"
#include "predict.h"

typedef struct Fx {
    char dir[TU_DIR_MAX]; /* first: tu_tmpdir_new's */
    char model[128];
} Fx;

/* model.h5: size, rooms -> 1 linear unit, y = 100 + 50 (2 z_size - z_rooms + 1)
 * with z_size = (size - 1000) / 500 and z_rooms = (rooms - 5) / 2. */
static int setup(void **state)
{
    Fx *fx = tu_tmpdir_new(sizeof *fx, "test_predict");
    if (!fx)
        return -1;
    snprintf(fx->model, sizeof fx->model, "%s/model.h5", fx->dir);
    Err err = { 0 };
    Model m = { 0 };
    if (net_init(&m.net, 2, NULL, 0, 1, ACT_LINEAR, ACT_LINEAR, &err) || norm_alloc(&m.norm, 2, &err))
        return -1;
    const double p[] = { 2, -1, 1 };
    memcpy(m.net.params, p, sizeof p);
    m.norm.kind = m.norm.target_kind = NORM_ZSCORE;
    m.norm.x_shift[0] = 1000;
    m.norm.x_scale[0] = 500;
    m.norm.x_shift[1] = 5;
    m.norm.x_scale[1] = 2;
    m.norm.y_shift = 100;
    m.norm.y_scale = 50;
    char *names[] = { "size", "rooms" };
    m.nfeat = 2;
    m.feat_names = names;
    m.target_name = "price";
    m.config_text = "[data]\npath = none.csv\nfeatures = size, rooms\ntarget = price\n";
    int rc = h5_model_save(fx->model, &m, &err);
    net_free(&m.net);
    norm_free(&m.norm);
    *state = fx;
    return rc ? -1 : 0;
}

static double want_price(double size, double rooms)
{
    return 100 + 50 * (2 * (size - 1000) / 500 - (rooms - 5) / 2 + 1);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Runs predict on input text; returns its code, output in *out (static). */
static int predict(const Fx *fx, const char *input, char **out, char *msg, size_t msgcap, Err *err)
{
    char in[160], outp[160];
    snprintf(in, sizeof in, "%s/in.csv", fx->dir);
    snprintf(outp, sizeof outp, "%s/out.csv", fx->dir);
    write_file(in, input);
    remove(outp);
    FILE *m = fmemopen(msg, msgcap, "w");
    int rc = predict_run(fx->model, in, outp, ',', stdout, m, err);
    fclose(m);
    *out = rc ? NULL : read_file(outp);
    return rc;
}

static void test_predict_appends_the_hand_computed_price_and_keeps_every_cell(void **state)
{
    const Fx *fx = *state;
    char *out, msg[512] = "";
    Err err = { 0 };
    const char *in = "id,rooms,note,size\r\n"
                     "1,5,\"big, old\",1000\r\n"
                     "2,7,\"says \"\"hi\"\"\",1500\r\n"
                     "3,4,\"two\nlines\",250.5\r\n"
                     "4,3,\"  padded  \",1e3\r\n";
    if (predict(fx, in, &out, msg, sizeof msg, &err))
        fail_msg("%s", err.msg);
    char want[1024];
    snprintf(want, sizeof want,
             "id,rooms,note,size,predicted_price\n"
             "1,5,\"big, old\",1000,%.10g\n"
             "2,7,\"says \"\"hi\"\"\",1500,%.10g\n"
             "3,4,\"two\nlines\",250.5,%.10g\n"
             "4,3,\"  padded  \",1e3,%.10g\n",
             want_price(1000, 5), want_price(1500, 7), want_price(250.5, 4), want_price(1000, 3));
    assert_string_equal(out, want);
    assert_string_equal(msg, "");
    /* 1000 sq ft and 5 rooms are the means: the price is y_shift + y_scale * b */
    assert_close(want_price(1000, 5), 150.0, 0);
}

static void test_predict_warns_once_per_column_far_outside_the_training_data(void **state)
{
    const Fx *fx = *state;
    char *out, msg[1024] = "";
    Err err = { 0 };
    /* size sd 500: 4000 is 6 sd out, 3400 is 4.8 sd; rooms sd 2: 17 is 6 sd */
    assert_int_equal(predict(fx, "size,rooms\n4000,5\n3400,5\n4500,17\n", &out, msg, sizeof msg, &err), 0);
    assert_non_null(strstr(msg, "column \"size\": 2 of 3 rows are more than 5 sd from the training mean (1000, sd 500), first at line 2"));
    assert_non_null(strstr(msg, "column \"rooms\": 1 of 3 rows"));
    assert_int_equal(strchr(strchr(msg, '\n') + 1, '\n') - msg + 1, (long)strlen(msg)); /* two lines */
}

static void test_predict_errors_name_the_line_and_column(void **state)
{
    const Fx *fx = *state;
    char *out, msg[256];
    Err err = { 0 };
    assert_int_equal(predict(fx, "size,bedrooms\n1,2\n", &out, msg, sizeof msg, &err), E_PARSE);
    assert_non_null(strstr(err.msg, "in.csv:1: no column \"rooms\""));
    assert_int_equal(predict(fx, "size,rooms\n1,2\n\n3,N/A\n", &out, msg, sizeof msg, &err), E_PARSE);
    assert_non_null(strstr(err.msg, "in.csv:4:2: column \"rooms\": missing value; the model needs every feature"));
    assert_int_equal(predict(fx, "size,rooms\n1,2\n\n3,2x\n", &out, msg, sizeof msg, &err), E_PARSE);
    assert_non_null(strstr(err.msg, "in.csv:4:2: column \"rooms\": expected a number, got \"2x\""));
    assert_int_equal(predict(fx, "size,rooms\n1,2,3\n", &out, msg, sizeof msg, &err), E_PARSE);
    assert_non_null(strstr(err.msg, "in.csv:2: row has 3 fields, the header has 2"));
    assert_int_equal(predict(fx, "size,rooms,predicted_price\n1,2,3\n", &out, msg, sizeof msg, &err), E_PARSE);
    assert_non_null(strstr(err.msg, "already has a column \"predicted_price\""));
    /* nothing is left behind */
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s/out.csv", fx->dir);
    assert_int_equal(access(tmp, F_OK), -1);
}

static void test_write_cell_quotes_only_what_needs_it(void **state)
{
    (void)state;
    char buf[256];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    const char *cells[] = { "plain", "a,b", "say \"x\"", "two\nlines", " lead", "", "semi;colon" };
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        csv_write_cell(f, cells[i], strlen(cells[i]), ',', 0);
        fputc('|', f);
    }
    fclose(f);
    assert_string_equal(buf, "plain|\"a,b\"|\"say \"\"x\"\"\"|\"two\nlines\"|\" lead\"||semi;colon|");
}

typedef struct Rows {
    int n;
    char cells[8][4][32];
    size_t lines[8];
    int ncells[8];
} Rows;

static int collect(void *ctx, size_t record, size_t line, int ncells, char *const *cells, const size_t *lens, Err *err)
{
    (void)err;
    Rows *r = ctx;
    assert_int_equal(record, (size_t)r->n);
    r->lines[r->n] = line;
    r->ncells[r->n] = ncells;
    for (int c = 0; c < ncells && c < 4; c++) {
        assert_int_equal(strlen(cells[c]), lens[c]);
        snprintf(r->cells[r->n][c], 32, "%s", cells[c]);
    }
    r->n++;
    return 0;
}

static void test_rows_keep_physical_lines_through_quotes_crlf_blank_lines_and_a_bom(void **state)
{
    const Fx *fx = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/rows.csv", fx->dir);
    write_file(path, "\xEF\xBB\xBF" "a;b\r\n\r\n1;\"x\r\ny\"\r\n2; z \n");
    Rows r = { 0 };
    Err err = { 0 };
    if (csv_rows_read(path, ';', collect, &r, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.cells[0][0], "a");
    assert_int_equal(r.lines[1], 3);
    assert_string_equal(r.cells[1][1], "x\r\ny");
    assert_int_equal(r.lines[2], 5);
    assert_string_equal(r.cells[2][1], "z"); /* spaces around an unquoted cell are not part of it */
    write_file(path, "a,b\n1,\"open\n");
    assert_int_equal(csv_rows_read(path, ',', collect, &(Rows){ 0 }, &err), E_PARSE);
    assert_non_null(strstr(err.msg, "not closed"));
}

static void test_parse_number_uses_the_reader_grammar(void **state)
{
    (void)state;
    double v;
    assert_int_equal(csv_parse_number(" 1.5e3\t", 7, &v), 0);
    assert_true(v == 1500.0);
    assert_int_equal(csv_parse_number("0.1", 3, &v), 0);
    assert_true(v == 0.1);
    assert_int_equal(csv_parse_number("1,200", 5, &v), CSV_NUM_NOT);
    assert_int_equal(csv_parse_number("inf", 3, &v), -1);
    assert_int_equal(csv_parse_number("", 0, &v), -1);
    assert_int_equal(csv_parse_number("1e400", 5, &v), -2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, tu_tmpdir_teardown)
        T(test_predict_appends_the_hand_computed_price_and_keeps_every_cell),
        T(test_predict_warns_once_per_column_far_outside_the_training_data),
        T(test_predict_errors_name_the_line_and_column),
        T(test_rows_keep_physical_lines_through_quotes_crlf_blank_lines_and_a_bom),
        cmocka_unit_test(test_write_cell_quotes_only_what_needs_it),
        cmocka_unit_test(test_parse_number_uses_the_reader_grammar),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
