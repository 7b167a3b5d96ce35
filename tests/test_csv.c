/* test_csv: io/csvread.c against small fixtures (tests/data/csv/) and files
 * written to a temporary directory. Every read goes through both
 * tokenizers (the quote-free fast path and libcsv alone), which must agree
 * on values, counts and error messages. Does not read ../shared. */
#define _GNU_SOURCE /* nftw, mkdtemp, setlocale names */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <float.h>
#include <locale.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "colname.h"
#include "csvread.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must be the absolute path of tests/data"
#endif
#define DATA(name) TEST_DATA_DIR "/csv/" name

/* ---- fixture: a temporary directory per run ------------------------------ */

typedef struct Fx {
    char dir[TU_DIR_MAX]; /* first: tu_tmpdir_new's */
    char path[128];
} Fx;

static int fx_setup(void **state)
{
    *state = tu_tmpdir_new(sizeof(Fx), "test_csv");
    return *state ? 0 : -1;
}

/* Writes len bytes to fx->dir/name; returns the path (valid until the next call). */
static const char *fx_write(Fx *fx, const char *name, const char *content, size_t len)
{
    snprintf(fx->path, sizeof fx->path, "%s/%s", fx->dir, name);
    FILE *f = fopen(fx->path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return fx->path;
}

static const char *fx_text(Fx *fx, const char *name, const char *content)
{
    return fx_write(fx, name, content, strlen(content));
}

/* ---- helpers -------------------------------------------------------------- */

static void assert_table_zeroed(const Table *t)
{
    Table z;
    memset(&z, 0, sizeof z);
    assert_memory_equal(t, &z, sizeof z);
}

/* Streams path (csv_stream_*) in batches of `batch` rows and checks the
 * result against what csv_read_columns gave (rc, err, t): the same error
 * message, or the same rows bit for bit and the same missing counts. */
static void assert_stream_matches(const char *path, const char *const *names, int n, const CsvOptions *opt,
                                  size_t batch, int rc, const Err *err, const Table *t)
{
    CsvStream *s = NULL;
    Err e;
    memset(&e, 0, sizeof e);
    int src = csv_stream_open(path, names, n, opt, &s, &e);
    size_t rows = 0, got = 0;
    double *buf = malloc(batch * (size_t)(n > 0 ? n : 1) * sizeof *buf);
    assert_non_null(buf);
    if (src == 0)
        assert_non_null(s);
    while (src == 0 && (src = csv_stream_next(s, batch, buf, &got, &e)) == 0 && got > 0) {
        assert_true(got <= batch);
        if (rc == 0) { /* a failing file may give rows before the bad one */
            assert_true(rows + got <= t->nrows);
            for (int c = 0; c < n; c++)
                assert_memory_equal(buf + (size_t)c * batch, table_col(t, c) + rows, got * sizeof *buf);
        }
        rows += got;
    }
    if (rc != 0) {
        assert_int_equal(src, rc);
        assert_string_equal(e.msg, err->msg);
    } else {
        if (src != 0)
            fail_msg("stream failed where the read did not: %s", e.msg);
        assert_int_equal(rows, t->nrows);
        size_t missing[64];
        assert_true(n <= 64);
        csv_stream_missing(s, missing);
        for (int c = 0; c < n; c++)
            assert_int_equal(missing[c], t->missing[c]);
    }
    csv_stream_close(&s);
    assert_null(s);
    free(buf);
}

/* The stream check with both tokenizers, batches of 1 and 4096 rows. */
static void stream_both(const char *path, const char *const *names, int n, const CsvOptions *o1,
                        const CsvOptions *o2, int rc, const Err *err, const Table *t)
{
    static const size_t batches[] = {1, 4096};
    for (int b = 0; b < 2; b++) {
        assert_stream_matches(path, names, n, o1, batches[b], rc, err, t);
        assert_stream_matches(path, names, n, o2, batches[b], rc, err, t);
    }
}

/* Reads with the fast tokenizer and with libcsv alone: same code, message
 * and table bits. Returns the code; *t and *err are from the first read. */
static int read_both(const char *path, const char *const *names, int n, const CsvOptions *opt, Table *t,
                     Err *err)
{
    CsvOptions o1, o2;
    memset(&o1, 0, sizeof o1);
    if (opt)
        o1 = *opt;
    o2 = o1;
    o1.libcsv_only = 0;
    o2.libcsv_only = 1;
    Err e2;
    Table t2;
    memset(err, 0, sizeof *err);
    memset(&e2, 0, sizeof e2);
    memset(t, 0x5A, sizeof *t); /* garbage in: must come out zeroed on error */
    memset(&t2, 0x5A, sizeof t2);
    int rc1 = csv_read_columns(path, names, n, &o1, t, err);
    int rc2 = csv_read_columns(path, names, n, &o2, &t2, &e2);
    assert_int_equal(rc1, rc2);
    assert_int_equal(err->code, e2.code);
    assert_string_equal(err->msg, e2.msg);
    if (rc1 != 0 && rc1 != E_DATA) /* E_DATA: min_rows, which a stream does not check */
        stream_both(path, names, n, &o1, &o2, rc1, err, t);
    if (rc1 != 0) {
        assert_table_zeroed(t);
        assert_table_zeroed(&t2);
        return rc1;
    }
    assert_int_equal(t->nrows, t2.nrows);
    assert_int_equal(t->ncols, t2.ncols);
    assert_int_equal(t->ncols, n);
    for (int c = 0; c < n; c++) {
        assert_string_equal(t->names[c], names[c]);
        assert_string_equal(t2.names[c], names[c]);
        assert_int_equal(t->missing[c], t2.missing[c]);
    }
    assert_memory_equal(t->cols, t2.cols, t->nrows * (size_t)n * sizeof(double));
    table_free(&t2);
    stream_both(path, names, n, &o1, &o2, 0, err, t);
    return 0;
}

static int inspect_both(const char *path, const CsvOptions *opt, CsvColumnInfo **ci, int *nc, size_t *nr,
                        Err *err)
{
    CsvOptions o1, o2;
    memset(&o1, 0, sizeof o1);
    if (opt)
        o1 = *opt;
    o2 = o1;
    o1.libcsv_only = 0;
    o2.libcsv_only = 1;
    Err e2;
    CsvColumnInfo *c2 = NULL;
    int n2 = -1;
    size_t r2 = 99;
    memset(err, 0, sizeof *err);
    memset(&e2, 0, sizeof e2);
    int rc1 = csv_inspect(path, &o1, ci, nc, nr, err);
    int rc2 = csv_inspect(path, &o2, &c2, &n2, &r2, &e2);
    assert_int_equal(rc1, rc2);
    assert_string_equal(err->msg, e2.msg);
    if (rc1 != 0) {
        assert_null(*ci);
        assert_null(c2);
        assert_int_equal(*nc, 0);
        assert_int_equal(n2, 0);
        assert_int_equal(*nr, 0);
        assert_int_equal(r2, 0);
        return rc1;
    }
    assert_int_equal(*nc, n2);
    assert_int_equal(*nr, r2);
    for (int c = 0; c < n2; c++) {
        const CsvColumnInfo *a = &(*ci)[c], *b = &c2[c];
        assert_string_equal(a->name, b->name);
        assert_int_equal(a->is_numeric, b->is_numeric);
        assert_int_equal(a->missing, b->missing);
        assert_int_equal(a->n_numbers, b->n_numbers);
        assert_int_equal(a->text_line, b->text_line);
        assert_string_equal(a->text_example, b->text_example);
        assert_memory_equal(&a->min, &b->min, sizeof a->min);
        assert_memory_equal(&a->mean, &b->mean, sizeof a->mean);
        assert_memory_equal(&a->max, &b->max, sizeof a->max);
    }
    csv_inspect_free(&c2, &n2);
    return 0;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int rng_int(uint64_t *s, int n) { return (int)(rng_next(s) % (uint64_t)n); }

/* ---- selection, tokenizing ------------------------------------------------- */

static void test_csv_selects_columns_by_name_in_any_order(void **state)
{
    (void)state;
    const char *names[] = {"rooms", "price", "area"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("select.csv"), names, 3, NULL, &t, &e), 0);
    assert_int_equal(t.nrows, 3);
    const double rooms[] = {2, 5, 3}, price[] = {100000, 250000.75, 175000}, area[] = {50.5, 120, 80.25};
    for (size_t i = 0; i < 3; i++) {
        assert_same_double(table_col(&t, 0)[i], rooms[i]);
        assert_same_double(table_col(&t, 1)[i], price[i]);
        assert_same_double(table_col(&t, 2)[i], area[i]);
    }
    for (int c = 0; c < 3; c++)
        assert_int_equal(t.missing[c], 0);
    table_free(&t);
}

static void test_csv_reads_a_column_requested_twice(void **state)
{
    (void)state;
    const char *names[] = {"area", "price", "area"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("select.csv"), names, 3, NULL, &t, &e), 0);
    assert_memory_equal(table_col(&t, 0), table_col(&t, 2), 3 * sizeof(double));
    assert_same_double(table_col(&t, 2)[2], 80.25);
    table_free(&t);
}

static void test_csv_skips_utf8_byte_order_mark(void **state)
{
    (void)state;
    const char *names[] = {"a", "b"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("bom.csv"), names, 2, NULL, &t, &e), 0);
    assert_int_equal(t.nrows, 2);
    assert_same_double(table_col(&t, 0)[1], 3);
    table_free(&t);
}

static void test_csv_reads_crlf_and_counts_its_lines(void **state)
{
    (void)state;
    const char *a[] = {"a"}, *b[] = {"b"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("crlf.csv"), a, 1, NULL, &t, &e), 0);
    assert_int_equal(t.nrows, 3);
    assert_same_double(table_col(&t, 0)[2], 5);
    table_free(&t);
    assert_int_equal(read_both(DATA("crlf.csv"), b, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:4:2: column \"b\": expected a number, got \"x\"", DATA("crlf.csv"));
}

static void test_csv_reads_quoted_comma_quote_and_newline(void **state)
{
    (void)state;
    const char *names[] = {"value"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("quoted.csv"), names, 1, NULL, &t, &e), 0);
    assert_int_equal(t.nrows, 5);
    for (size_t i = 0; i < 5; i++)
        assert_same_double(table_col(&t, 0)[i], (double)(i + 1)); /* " 5 " is trimmed */
    table_free(&t);
}

static void test_csv_counts_lines_inside_quoted_fields(void **state)
{
    /* records span lines 2-3 (CRLF inside quotes), 4, 5-7; the bad cell is on line 8 */
    const char *names[] = {"value"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("quoted_bad.csv"), names, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:8:2: column \"value\": expected a number, got \"oops\"", DATA("quoted_bad.csv"));

    /* a lone CR (old Mac line end) inside quotes is a line break too */
    Fx *fx = *state;
    const char *p = fx_text(fx, "lone_cr.csv", "note,value\n\"p\rq\",1\nr,2\ns,bad\n");
    assert_int_equal(read_both(p, names, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:5:2: column \"value\": expected a number, got \"bad\"", p);
}

static void test_csv_reads_semicolon_and_tab_delimiters(void **state)
{
    (void)state;
    CsvOptions o = {0};
    Table t;
    Err e;
    const char *xy[] = {"y", "x"};
    o.delimiter = ';';
    assert_int_equal(read_both(DATA("semicolon.csv"), xy, 2, &o, &t, &e), 0);
    assert_same_double(table_col(&t, 0)[1], 4.25);
    assert_same_double(table_col(&t, 1)[0], 1.5);
    table_free(&t);

    assert_int_equal(read_both(DATA("semicolon_comma.csv"), xy, 2, &o, &t, &e), E_PARSE);
    assert_msg(&e, "%s:3:2: column \"y\": expected a number, got \"4,25\"; it is a number written with a decimal "
               "comma: write plain numbers (350000, 12, 1.5)", DATA("semicolon_comma.csv"));

    const char *tab[] = {"y z", "x"};
    o.delimiter = '\t';
    assert_int_equal(read_both(DATA("tab.tsv"), tab, 2, &o, &t, &e), 0);
    assert_int_equal(t.nrows, 2);
    assert_same_double(table_col(&t, 0)[1], 4);
    assert_same_double(table_col(&t, 1)[1], 3);
    table_free(&t);
}

static void test_csv_hints_at_the_delimiter_when_the_header_has_one_column(void **state)
{
    (void)state;
    const char *names[] = {"x"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("semicolon.csv"), names, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:1: no column \"x\"; columns are: x;y; the header has one column: is the delimiter ';'?",
               DATA("semicolon.csv"));
    /* a spreadsheet's "sep=;" line first: read as the header, split or not */
    CsvOptions o = {0};
    for (int k = 0; k < 2; k++) {
        o.delimiter = k ? ';' : ',';
        assert_int_equal(read_both(DATA("sep_line.csv"), names, 1, &o, &t, &e), E_PARSE);
        assert_msg(&e, "%s:1: no column \"x\"; columns are: %s; the first line, \"sep=\" and a delimiter, is a "
                   "spreadsheet's delimiter line, not the header: delete it (sed -i 1d on the file), and give that "
                   "delimiter if it is not ','", DATA("sep_line.csv"), k ? "sep=, " : "sep=;");
    }
}

static void test_csv_rejects_a_delimiter_that_cannot_work(void **state)
{
    (void)state;
    CsvOptions o = {0};
    const char *names[] = {"a"};
    Table t;
    Err e;
    o.delimiter = '.';
    assert_int_equal(read_both(DATA("bom.csv"), names, 1, &o, &t, &e), E_CONFIG);
    assert_non_null(strstr(e.msg, "the delimiter '.' cannot be used"));
}

static void test_csv_skips_blank_lines_and_a_trailing_empty_line(void **state)
{
    Fx *fx = *state;
    const char *names[] = {"b"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("trailing_blank.csv"), names, 1, NULL, &t, &e), 0);
    assert_int_equal(t.nrows, 2);
    assert_same_double(table_col(&t, 0)[1], 4);
    table_free(&t);
    /* blank lines (also of spaces, and CRLF ones) still count as lines */
    const char *p = fx_text(fx, "blank.csv", "a,b\n1,2\n\n  \n\r\n3,4\n5,?\n\n");
    assert_int_equal(read_both(p, names, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:7:2: column \"b\": expected a number, got \"?\"" CSV_MISSING_HINT, p);
}

static void test_csv_reads_a_last_line_without_newline(void **state)
{
    Fx *fx = *state;
    const char *names[] = {"a", "b"};
    Table t;
    Err e;
    const char *p = fx_text(fx, "nonl.csv", "a,b\n1,2\n3,4");
    assert_int_equal(read_both(p, names, 2, NULL, &t, &e), 0);
    assert_int_equal(t.nrows, 2);
    assert_same_double(table_col(&t, 1)[1], 4);
    table_free(&t);
    p = fx_text(fx, "nonl_empty.csv", "a,b\n1,2\n3,");
    assert_int_equal(read_both(p, names, 2, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:3:2: column \"b\": missing value; set [data] missing = drop or mean, or fill the cell", p);
}

static void test_csv_matches_header_names_after_trimming_spaces(void **state)
{
    (void)state;
    const char *names[] = {"area", " sale price"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("header_spaces.csv"), names, 2, NULL, &t, &e), 0);
    assert_same_double(table_col(&t, 0)[1], 4);
    assert_same_double(table_col(&t, 1)[1], 3);
    assert_string_equal(t.names[1], " sale price"); /* the requested name, as given */
    table_free(&t);
}

static void test_csv_ignores_unselected_text_columns(void **state)
{
    (void)state;
    const char *names[] = {"area", "price"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("text_columns.csv"), names, 2, NULL, &t, &e), 0);
    assert_int_equal(t.nrows, 4);
    const double area[] = {50, 60, 70, 80};
    for (size_t i = 0; i < 4; i++) {
        assert_same_double(table_col(&t, 0)[i], area[i]);
        assert_same_double(table_col(&t, 1)[i], 100.0 * (double)(i + 1));
    }
    table_free(&t);
}

static void test_csv_unknown_column_suggests_the_closest_name(void **state)
{
    Fx *fx = *state;
    const char *names[] = {"Gr_Liv_Area", "Sale_Prize"};
    Table t;
    Err e;
    const char *p = fx_text(fx, "data.csv", "Lot_Area,Gr_Liv_Area,Sale_Price\n1,2,3\n4,5,6\n");
    assert_int_equal(read_both(p, names, 2, NULL, &t, &e), E_PARSE);
    assert_msg(&e,
               "%s:1: no column \"Sale_Prize\" (did you mean \"Sale_Price\"?); "
               "columns are: Lot_Area, Gr_Liv_Area, Sale_Price",
               p);

    const char *far[] = {"zzzzzz"};
    assert_int_equal(read_both(p, far, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:1: no column \"zzzzzz\"; columns are: Lot_Area, Gr_Liv_Area, Sale_Price", p);

    const char *cased[] = {"sale_price"};
    assert_int_equal(read_both(p, cased, 1, NULL, &t, &e), E_PARSE);
    assert_non_null(strstr(e.msg, "(did you mean \"Sale_Price\"?)"));
}

static void test_csv_bounds_the_list_of_columns(void **state)
{
    Fx *fx = *state;
    char head[8192];
    size_t o = 0;
    for (int c = 0; c < 200; c++)
        o += (size_t)snprintf(head + o, sizeof head - o, "%scolumn_number_%03d", c ? "," : "", c);
    o += (size_t)snprintf(head + o, sizeof head - o, "\n");
    for (int r = 0; r < 2; r++) {
        for (int c = 0; c < 200; c++)
            o += (size_t)snprintf(head + o, sizeof head - o, "%s1", c ? "," : "");
        o += (size_t)snprintf(head + o, sizeof head - o, "\n");
    }
    const char *p = fx_write(fx, "wide.csv", head, o);
    const char *names[] = {"column_number_1999"};
    Table t;
    Err e;
    assert_int_equal(read_both(p, names, 1, NULL, &t, &e), E_PARSE);
    assert_true(strlen(e.msg) < 700);
    assert_non_null(strstr(e.msg, "columns are: column_number_000, column_number_001, "));
    assert_non_null(strstr(e.msg, " more)"));
    assert_non_null(strstr(e.msg, "(did you mean \"column_number_199\"?)"));
}

/* ---- numbers ----------------------------------------------------------------- */

static void test_csv_reports_line_and_column_of_bad_cell(void **state)
{
    Fx *fx = *state;
    char buf[16384];
    size_t o = (size_t)snprintf(buf, sizeof buf,
                                "Id,Lot_Area,Street,Year_Built,Gr_Liv_Area,Neighborhood,Sale_Price,Note\n");
    for (int line = 2; line <= 120; line++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%d,8450,\"Pave\",2003,1710,\"North Ames\",%s,x\n", line,
                              line == 118 ? "N/A" : "208500");
    const char *p = fx_write(fx, "data.csv", buf, o);
    const char *names[] = {"Gr_Liv_Area", "Sale_Price"};
    Table t;
    Err e;
    assert_int_equal(read_both(p, names, 2, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:118:7: column \"Sale_Price\": expected a number, got \"N/A\"" CSV_MISSING_HINT, p);
}

static void test_csv_rejects_each_malformed_number_form(void **state)
{
    Fx *fx = *state;
    static const struct {
        const char *raw;   /* as written in the file */
        const char *shown; /* as quoted in the message */
    } bad[] = {
        {"\"1,200\"", "1,200"}, {"$350k", "$350k"},   {"12abc", "12abc"},   {"inf", "inf"},
        {"-inf", "-inf"},       {"Infinity", "Infinity"}, {"nan", "nan"},   {"NaN", "NaN"},
        {"0x10", "0x10"},       {"0X1p3", "0X1p3"},   {"1e", "1e"},         {"1e+", "1e+"},
        {"e5", "e5"},           {".", "."},           {"-", "-"},           {"+-1", "+-1"},
        {"--1", "--1"},         {"1.2.3", "1.2.3"},   {"1e5.5", "1e5.5"},   {"1 000", "1 000"},
        {"\" 12 3 \"", "12 3"}, {"1d5", "1d5"},       {"N/A", "N/A"},       {"\"1\n2\"", "1\\n2"},
        {"5 %", "5 %"},         {"1_000", "1_000"},   {"\"\"\"7\"\"\"", "\"7\""},
        {"0123456789abcdefghijklmnopqrstuvwxyz", "0123456789abcdefghijklmnopqrstuv..."},
        {"0123456789abcdefghijklmnopqrstuv", "0123456789abcdefghijklmnopqrstuv"},
        {"1\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
         "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9",
         "1\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
         "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9..."}, /* 1 + 16 two-byte letters: cut before the 16th */
    };
    const char *names[] = {"price"};
    char buf[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int n = snprintf(buf, sizeof buf, "id,price\n1,100\n2,%s\n3,300\n", bad[i].raw);
        const char *p = fx_write(fx, "bad.csv", buf, (size_t)n);
        Table t;
        Err e;
        assert_int_equal(read_both(p, names, 1, NULL, &t, &e), E_PARSE);
        /* a cell that reads as a missing marker gets the hint to declare it */
        int marker = !strcmp(bad[i].raw, "nan") || !strcmp(bad[i].raw, "NaN") || !strcmp(bad[i].raw, ".") ||
                     !strcmp(bad[i].raw, "-") || !strcmp(bad[i].raw, "N/A");
        /* and one written as a spreadsheet shows it, the fix */
        const char *format = !strcmp(bad[i].raw, "\"1,200\"") ? "; it is a number written with thousands "
                             "separators: write plain numbers (350000, 12, 1.5)" : "";
        assert_msg(&e, "%s:3:2: column \"price\": expected a number, got \"%s\"%s", p, bad[i].shown,
                   marker ? CSV_MISSING_HINT : format);
    }
    /* beyond the double range: strtod would give inf */
    const char *big[] = {"1e400", "-1.8e308", "179769313486231590000000000000000000000000000000000000000000000000000"
                         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                         "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                         "000000000000000000000000000000000000000000000000000000000000000000000000"};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        char b2[1024];
        int n = snprintf(b2, sizeof b2, "id,price\n1,100\n2,%s\n", big[i]);
        const char *p = fx_write(fx, "big.csv", b2, (size_t)n);
        Table t;
        Err e;
        assert_int_equal(read_both(p, names, 1, NULL, &t, &e), E_PARSE);
        assert_non_null(strstr(e.msg, ":3:2: column \"price\": expected a number, got \""));
        assert_non_null(strstr(e.msg, "(beyond the range of a double)"));
    }
}

static void test_csv_accepts_every_valid_number_form(void **state)
{
    Fx *fx = *state;
    static const char *const good[] = {
        "+5", "-0", "0", ".5", "5.", "-.5e-3", "1e5", "1E-5", "1e+05", "007", "  -3.25  ", "\" 42 \"", "\"\t8\t\"",
        "0e999", "0.000e-99999", "1e-400", "4.9e-324", "2.2250738585072011e-308", "1.7976931348623157e308",
        "123456789012345678901234567890", "0.1000000000000000055511151231257827", "9007199254740993",
        "4503599627370496.5", "18446744073709551615", "99999999999999999999e-20", "1e0000000000000000000001",
    };
    const char *names[] = {"v"};
    char buf[256], cell[64];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int n = snprintf(buf, sizeof buf, "v\n1\n%s\n", good[i]);
        const char *p = fx_write(fx, "good.csv", buf, (size_t)n);
        Table t;
        Err e;
        int rc = read_both(p, names, 1, NULL, &t, &e);
        if (rc)
            fail_msg("%s: %s", good[i], e.msg);
        /* what strtod makes of the cell without quotes and spaces */
        const char *s = good[i];
        size_t len = strlen(s);
        while (*s == ' ' || *s == '"' || *s == '\t')
            s++, len--;
        while (len && (s[len - 1] == ' ' || s[len - 1] == '"' || s[len - 1] == '\t'))
            len--;
        memcpy(cell, s, len);
        cell[len] = '\0';
        assert_same_double(table_col(&t, 0)[1], strtod(cell, NULL));
        table_free(&t);
    }
}

/* A decimal string of one of several shapes; each is in strtod's grammar. */
static void random_number(uint64_t *s, char *out, size_t size)
{
    int kind = rng_int(s, 8);
    double d;
    uint64_t bits;
    switch (kind) {
    case 0: /* free-form digits, point and exponent */
    case 1: {
        size_t o = 0;
        int r = rng_int(s, 3);
        if (r == 1)
            out[o++] = '-';
        else if (r == 2 && rng_int(s, 4) == 0)
            out[o++] = '+';
        int ni = rng_int(s, 24), nf = rng_int(s, 24);
        if (ni + nf == 0)
            ni = 1;
        for (int i = 0; i < ni; i++)
            out[o++] = (char)('0' + (i == 0 && rng_int(s, 3) ? 1 + rng_int(s, 9) : rng_int(s, 10)));
        if (nf || rng_int(s, 2))
            out[o++] = '.';
        for (int i = 0; i < nf; i++)
            out[o++] = (char)('0' + rng_int(s, 10));
        out[o] = '\0';
        if (rng_int(s, 2)) {
            int e = rng_int(s, 4) ? rng_int(s, 61) - 30 : rng_int(s, 700) - 350;
            snprintf(out + o, size - o, "%c%d", rng_int(s, 2) ? 'e' : 'E', e);
        }
        break;
    }
    case 2: /* round trip of a random double, as %.17g writes it */
        bits = rng_next(s);
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d))
            d = 1.5;
        snprintf(out, size, "%.17g", d);
        break;
    case 3: { /* 15 to 19 digits of a point halfway between two doubles */
        d = ldexp((double)(rng_next(s) >> 11) * 0x1p-53 + 0.5, rng_int(s, 160) - 80);
        long double mid = ((long double)d + (long double)nextafter(d, INFINITY)) / 2;
        snprintf(out, size, "%.*Le", 14 + rng_int(s, 5), mid);
        break;
    }
    case 4: { /* exact halfway points in [2^52, 2^64): integers or .5 */
        uint64_t a = (rng_next(s) >> 12) | (UINT64_C(1) << 52); /* 53 bits */
        int sh = rng_int(s, 12);
        if (sh == 0)
            snprintf(out, size, "%llu.5", (unsigned long long)a);
        else
            snprintf(out, size, "%llu", (unsigned long long)((2 * a + 1) << (sh - 1)));
        break;
    }
    case 5: /* what a housing file holds */
        snprintf(out, size, "%.*f", rng_int(s, 7), (double)(rng_next(s) % 100000000) / 97.0);
        break;
    case 6: /* tiny and huge */
        bits = rng_next(s) & ~(UINT64_C(0x7FF) << 52);
        if (rng_int(s, 2))
            bits |= (uint64_t)(2046 - rng_int(s, 20)) << 52;
        memcpy(&d, &bits, sizeof d);
        snprintf(out, size, "%.*g", 1 + rng_int(s, 19), d);
        break;
    default: /* %.17g of a normal number, the benchmark's format */
        d = ldexp((double)(rng_next(s) >> 11) * 0x1p-53, rng_int(s, 40) - 20);
        snprintf(out, size, "%.17g", rng_int(s, 2) ? -d : d);
        break;
    }
}

static void test_csv_numbers_are_bit_identical_to_strtod(void **state)
{
    Fx *fx = *state;
    enum { N = 100000 };
    char *buf = malloc((size_t)N * 64 + 16);
    char(*strs)[64] = malloc((size_t)N * sizeof *strs);
    assert_non_null(buf);
    assert_non_null(strs);
    uint64_t seed = 20240601;
    size_t o = (size_t)sprintf(buf, "v\n");
    int n = 0;
    while (n < N) {
        random_number(&seed, strs[n], sizeof strs[n]);
        if (isinf(strtod(strs[n], NULL)))
            continue; /* our reader rejects these (tested above) */
        int pad = rng_int(&seed, 8) == 0;
        o += (size_t)sprintf(buf + o, pad ? "  %s \n" : "%s\n", strs[n]);
        n++;
    }
    const char *p = fx_write(fx, "random.csv", buf, o);
    const char *names[] = {"v"};
    Table t;
    Err e;
    int rc = read_both(p, names, 1, NULL, &t, &e);
    if (rc)
        fail_msg("%s", e.msg);
    assert_int_equal(t.nrows, N);
    for (int i = 0; i < N; i++) {
        double want = strtod(strs[i], NULL), got = table_col(&t, 0)[i];
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("\"%s\": got %a, strtod gives %a", strs[i], got, want);
    }
    table_free(&t);
    free(strs);
    free(buf);
}

/* A cell of 128 bytes or more is as much a number for csv_parse_number
 * (predict) as for csv_read_columns (training), read from a buffer of
 * exactly its length. */
static void test_csv_parse_number_takes_a_long_cell_like_the_reader(void **state)
{
    Fx *fx = *state;
    char text[200] = "3467.4";
    memset(text + 6, '1', 150);
    memcpy(text + 156, "3650", 5);
    size_t n = strlen(text);
    char *cell = malloc(n); /* no NUL after it: ASan sees a read past the end */
    assert_non_null(cell);
    memcpy(cell, text, n);
    double v = 0, want = strtod(text, NULL);
    assert_int_equal(csv_parse_number(cell, n, &v), 0);
    assert_memory_equal(&v, &want, sizeof v);

    char file[256];
    int len = snprintf(file, sizeof file, "x\n%s\n", text);
    const char *p = fx_write(fx, "long.csv", file, (size_t)len);
    const char *names[] = {"x"};
    Table t;
    Err e;
    if (read_both(p, names, 1, NULL, &t, &e))
        fail_msg("%s", e.msg);
    assert_memory_equal(&table_col(&t, 0)[0], &want, sizeof want);
    table_free(&t);
    free(cell);
}

/* Makes LC_NUMERIC a locale with a decimal comma: an installed one, or
 * de_DE built by localedef into dir (cap bytes; "" when not made) and
 * found through LOCPATH, as a fresh Debian has no generated locale but
 * the locales package's sources. 0, or -1 when neither works. */
static int set_comma_locale(char *dir, size_t cap)
{
    static const char *const commas[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "nl_NL.UTF-8"};
    dir[0] = '\0';
    for (size_t i = 0; i < sizeof commas / sizeof commas[0]; i++)
        if (setlocale(LC_NUMERIC, commas[i]))
            return 0;
    if (tu_tmpdir(dir, cap, "test_csv_locale") != 0)
        return -1;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", dir);
    if (system(cmd) == -1) /* localedef's status may be 1 for warnings: setlocale decides */
        return -1;
    setenv("LOCPATH", dir, 1);
    return setlocale(LC_NUMERIC, "de_DE.UTF-8") ? 0 : -1;
}

/* Under a decimal-comma LC_NUMERIC the readers read "." numbers as in C:
 * a short one (the exact path) and one of 24 digits, which goes to strtod. */
static void test_csv_does_not_depend_on_the_locale(void **state)
{
    Fx *fx = *state;
    const char *names[] = {"area"};
    const char *long_digits = "123.456789012345678901234";
    const double want = strtod(long_digits, NULL); /* under "C", the tests' locale */
    char text[80];
    snprintf(text, sizeof text, "area\n80.25\n%s\n", long_digits);
    const char *path = fx_text(fx, "dot.csv", text);
    char dir[TU_DIR_MAX];
    int have = set_comma_locale(dir, sizeof dir) == 0;
    int comma = have && !strcmp(localeconv()->decimal_point, ",");
    Table t;
    Err e;
    int rc = have ? read_both(path, names, 1, NULL, &t, &e) : 0;
    setlocale(LC_NUMERIC, "C");
    unsetenv("LOCPATH");
    if (dir[0])
        tu_rm_tree(dir);
    if (!have)
        skip(); /* neither an installed locale with a decimal comma nor localedef and its sources */
    assert_true(comma);
    assert_int_equal(rc, 0);
    assert_same_double(table_col(&t, 0)[0], 80.25);
    assert_same_double(table_col(&t, 0)[1], want);
    table_free(&t);
}

/* ---- missing values -------------------------------------------------------- */

static void test_csv_missing_value_is_an_error_unless_allowed(void **state)
{
    (void)state;
    const char *names[] = {"price", "area"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("inspect.csv"), names, 2, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:3:3: column \"price\": missing value; set [data] missing = drop or mean, or fill the cell",
               DATA("inspect.csv"));
}

static void test_csv_stores_missing_as_nan_and_counts_them(void **state)
{
    (void)state;
    static const char *const na[] = {"NA", "?"};
    CsvOptions o = {0};
    o.na_values = na;
    o.n_na_values = 2;
    o.allow_missing = 1;
    const char *names[] = {"b", "a"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("na.csv"), names, 2, &o, &t, &e), 0);
    assert_int_equal(t.nrows, 3);
    assert_true(isnan(table_col(&t, 0)[0]));
    assert_same_double(table_col(&t, 0)[1], 2);
    assert_true(isnan(table_col(&t, 1)[1]));
    assert_same_double(table_col(&t, 1)[2], 3);
    assert_int_equal(t.missing[0], 1);
    assert_int_equal(t.missing[1], 1);
    table_free(&t);

    /* an empty cell (also quoted, also spaces only) is missing without any token */
    const char *price[] = {"price"};
    assert_int_equal(read_both(DATA("inspect.csv"), price, 1, &o, &t, &e), 0);
    assert_int_equal(t.missing[0], 1);
    assert_true(isnan(table_col(&t, 0)[1]));
    table_free(&t);
}

static void test_csv_na_token_is_a_number_error_without_na_values(void **state)
{
    (void)state;
    CsvOptions o = {0};
    o.allow_missing = 1;
    const char *names[] = {"b"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("na.csv"), names, 1, &o, &t, &e), E_PARSE);
    assert_msg(&e, "%s:2:2: column \"b\": expected a number, got \"NA\"" CSV_MISSING_HINT, DATA("na.csv"));
}

static void test_csv_na_token_can_be_a_number(void **state)
{
    Fx *fx = *state;
    static const char *const na[] = {"-999"};
    CsvOptions o = {0};
    o.na_values = na;
    o.n_na_values = 1;
    o.allow_missing = 1;
    const char *names[] = {"a"};
    const char *p = fx_text(fx, "sentinel.csv", "a\n1\n-999\n -999 \n-9990\n");
    Table t;
    Err e;
    assert_int_equal(read_both(p, names, 1, &o, &t, &e), 0);
    assert_int_equal(t.missing[0], 2);
    assert_same_double(table_col(&t, 0)[3], -9990);
    table_free(&t);
}

/* ---- file-level errors ----------------------------------------------------- */

static void test_csv_reports_ragged_row(void **state)
{
    (void)state;
    const char *names[] = {"a"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("ragged.csv"), names, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e,
               "%s:3: row has 2 fields, the header has 3; "
               "fill the missing fields (empty is allowed) or check the delimiter",
               DATA("ragged.csv"));
    assert_int_equal(read_both(DATA("ragged_long.csv"), names, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:3: row has 4 fields, the header has 3; a value that holds the delimiter must be quoted",
               DATA("ragged_long.csv"));
}

static void test_csv_reports_ragged_row_before_a_bad_cell_in_it(void **state)
{
    Fx *fx = *state;
    const char *names[] = {"b", "c"};
    Table t;
    Err e;
    const char *p = fx_text(fx, "shift.csv", "a,b,c\n1,2,3\n4,1,200,x\n");
    assert_int_equal(read_both(p, names, 2, NULL, &t, &e), E_PARSE);
    assert_non_null(strstr(e.msg, ":3: row has 4 fields, the header has 3"));
}

static void test_csv_reports_empty_file(void **state)
{
    Fx *fx = *state;
    const char *names[] = {"a"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("empty.csv"), names, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s: file is empty; expected a header row", DATA("empty.csv"));
    const char *p = fx_text(fx, "blank_only.csv", "\xEF\xBB\xBF\n  \r\n\n");
    assert_int_equal(read_both(p, names, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s: file is empty; expected a header row", p);
}

static void test_csv_reports_header_only(void **state)
{
    (void)state;
    const char *names[] = {"a"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("header_only.csv"), names, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s: no data rows after the header (line 1)", DATA("header_only.csv"));
}

static void test_csv_reads_one_data_row_unless_more_are_required(void **state)
{
    (void)state;
    const char *names[] = {"b", "a"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("one_row.csv"), names, 2, NULL, &t, &e), 0); /* the worked example */
    assert_int_equal(t.nrows, 1);
    assert_same_double(table_col(&t, 0)[0], 2);
    assert_same_double(table_col(&t, 1)[0], 1);
    table_free(&t);
    CsvOptions o = {0};
    o.min_rows = 2;
    assert_int_equal(read_both(DATA("one_row.csv"), names, 2, &o, &t, &e), E_DATA);
    assert_msg(&e, "%s: only 1 data row after the header; need at least 2", DATA("one_row.csv"));
    o.min_rows = 3;
    assert_int_equal(read_both(DATA("bom.csv"), names, 2, &o, &t, &e), E_DATA);
    assert_msg(&e, "%s: only 2 data rows after the header; need at least 3", DATA("bom.csv"));
}

static void test_csv_reports_duplicate_requested_column(void **state)
{
    (void)state;
    const char *names[] = {"c", "a"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("duplicate.csv"), names, 2, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:1: column \"a\" appears twice in the header (columns 1 and 3); rename one of them",
               DATA("duplicate.csv"));
    /* a duplicate that is not requested does not matter */
    const char *bc[] = {"c", "b"};
    assert_int_equal(read_both(DATA("duplicate.csv"), bc, 2, NULL, &t, &e), 0);
    assert_same_double(table_col(&t, 0)[1], 8);
    table_free(&t);
}

static void test_csv_reports_file_that_cannot_be_opened(void **state)
{
    (void)state;
    const char *names[] = {"a"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("no_such_file.csv"), names, 1, NULL, &t, &e), E_IO);
    assert_msg(&e, "%s: cannot open: No such file or directory", DATA("no_such_file.csv"));
    assert_int_equal(read_both(TEST_DATA_DIR "/csv", names, 1, NULL, &t, &e), E_IO);
    assert_msg(&e, "%s: read error: Is a directory", TEST_DATA_DIR "/csv");
}

static void test_csv_reports_unclosed_quote(void **state)
{
    (void)state;
    const char *names[] = {"a"};
    Table t;
    Err e;
    assert_int_equal(read_both(DATA("unclosed.csv"), names, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:3:2: a quoted field is not closed; a '\"' inside a quoted value must be doubled (\"\")",
               DATA("unclosed.csv"));
}

static void test_csv_rejects_no_requested_columns(void **state)
{
    (void)state;
    Table t;
    Err e;
    memset(&t, 0x5A, sizeof t);
    assert_int_equal(csv_read_columns(DATA("select.csv"), NULL, 0, NULL, &t, &e), E_CONFIG);
    assert_table_zeroed(&t);
}

/* ---- chunks and the two tokenizers ----------------------------------------- */

/* More than two read chunks: quote-free at first (fast tokenizer), then
 * quoted text with line breaks (libcsv from that chunk on), LF and CRLF
 * mixed, blank lines; the bad cell near the end must carry its line. */
static void test_csv_keeps_line_numbers_across_read_chunks(void **state)
{
    Fx *fx = *state;
    size_t cap = 4u << 20, o = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t line = 1, rows = 0, bad_line = 0;
    o += (size_t)snprintf(buf + o, cap - o, "id,x,note\n");
    line++;
    while (o < 3u << 20) {
        int quoted = o > (3u << 19); /* the second half has quoted notes */
        const char *eol = rows % 3 == 0 ? "\r\n" : "\n";
        if (quoted && rows % 7 == 0) {
            o += (size_t)snprintf(buf + o, cap - o, "%zu,%zu.25,\"two\nlines, \"\"quoted\"\"\"%s", rows, rows, eol);
            line += 2;
        } else {
            o += (size_t)snprintf(buf + o, cap - o, "%zu,%zu.25,plain note %zu%s", rows, rows, rows, eol);
            line++;
        }
        rows++;
        if (rows % 1000 == 0) {
            o += (size_t)snprintf(buf + o, cap - o, "\n");
            line++;
        }
    }
    bad_line = line;
    o += (size_t)snprintf(buf + o, cap - o, "%zu,1.5x,end\n", rows);
    const char *p = fx_write(fx, "chunks.csv", buf, o);
    const char *names[] = {"x", "id"};
    Table t;
    Err e;
    assert_int_equal(read_both(p, names, 2, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:%zu:2: column \"x\": expected a number, got \"1.5x\"", p, bad_line);

    /* the same without the bad row reads every value */
    p = fx_write(fx, "chunks_ok.csv", buf, o - (size_t)snprintf(NULL, 0, "%zu,1.5x,end\n", rows));
    assert_int_equal(read_both(p, names, 2, NULL, &t, &e), 0);
    assert_int_equal(t.nrows, rows);
    for (size_t i = 0; i < rows; i++) {
        assert_same_double(table_col(&t, 0)[i], (double)i + 0.25);
        assert_same_double(table_col(&t, 1)[i], (double)i);
    }
    table_free(&t);
    free(buf);
}

/* A file of 20 bytes, a line 3 of `big` bytes, then two short lines; line 5
 * holds a bad cell. */
static const char *write_long_line(Fx *fx, size_t big)
{
    size_t cap = big + 4096, o = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    o += (size_t)snprintf(buf + o, cap - o, "a,text,b\n1,short,2\n3,");
    memset(buf + o, 'x', big);
    o += big;
    o += (size_t)snprintf(buf + o, cap - o, ",4\n5,short,6\n7,z,y\n");
    const char *p = fx_write(fx, "long_line.csv", buf, o);
    free(buf);
    return p;
}

/* A line just within CSV_RECORD_MAX_BYTES crosses the 1 MiB read chunk
 * and is read; one past it is refused, naming its line. */
static void test_csv_reads_a_line_up_to_the_record_limit(void **state)
{
    Fx *fx = *state;
    const char *names[] = {"b", "a"};
    Table t;
    Err e;
    const char *p = write_long_line(fx, CSV_RECORD_MAX_BYTES - 64);
    assert_int_equal(read_both(p, names, 2, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:5:3: column \"b\": expected a number, got \"y\"", p);
    p = write_long_line(fx, CSV_RECORD_MAX_BYTES + 12345);
    assert_int_equal(read_both(p, names, 2, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:3: a record longer than %d bytes (the limit); is this a CSV file, and are its quotes closed?",
               p, CSV_RECORD_MAX_BYTES);
}

/* More than CSV_RECORD_MAX_FIELDS fields, in the header or a row, is
 * refused at once, naming the line. */
static void test_csv_refuses_more_fields_than_the_limit(void **state)
{
    Fx *fx = *state;
    size_t cap = 8 * (CSV_RECORD_MAX_FIELDS + 2) + 64, o = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    o += (size_t)snprintf(buf + o, cap - o, "a,b\n1,2\n");
    for (int i = 0; i <= CSV_RECORD_MAX_FIELDS; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s1", i ? "," : "");
    o += (size_t)snprintf(buf + o, cap - o, "\n");
    const char *p = fx_write(fx, "wide.csv", buf, o);
    free(buf);
    const char *names[] = {"a"};
    Table t;
    Err e;
    assert_int_equal(read_both(p, names, 1, NULL, &t, &e), E_PARSE);
    assert_msg(&e, "%s:3: more than %d fields in one record (the limit); is the delimiter right?", p,
               CSV_RECORD_MAX_FIELDS);
}

/* A stream holds a window of rows, not the file: with 32 MB of CSV (13 MB
 * of values) the heap never grows by more than 4 MB while streaming. The
 * count comes from glibc's malloc (mallinfo2); under a sanitizer, whose
 * allocator glibc does not see, the check is vacuous. */
static void test_csv_stream_memory_does_not_grow_with_the_file(void **state)
{
    Fx *fx = *state;
    snprintf(fx->path, sizeof fx->path, "%s/big.csv", fx->dir);
    FILE *f = fopen(fx->path, "wb");
    assert_non_null(f);
    fprintf(f, "x,y,z\n");
    uint64_t seed = 3;
    size_t rows = 0;
    while (ftell(f) < (32L << 20)) {
        double v[3];
        for (int c = 0; c < 3; c++)
            v[c] = (double)(int64_t)rng_next(&seed) * 0x1p-60;
        fprintf(f, "%.17g,%.17g,%.17g\n", v[0], v[1], v[2]);
        rows++;
    }
    assert_int_equal(fclose(f), 0);
    const char *names[] = {"z", "x"};
    enum { BATCH = 1000 };
    static double buf[2 * BATCH];
    CsvStream *s = NULL;
    Err e = {0};
    struct mallinfo2 m0 = mallinfo2();
    size_t base = m0.uordblks + m0.hblkhd, peak = 0, got = 0, total = 0;
    assert_int_equal(csv_stream_open(fx->path, names, 2, NULL, &s, &e), 0);
    seed = 3;
    while (csv_stream_next(s, BATCH, buf, &got, &e) == 0 && got > 0) {
        struct mallinfo2 m = mallinfo2();
        size_t used = m.uordblks + m.hblkhd - base;
        peak = used > peak ? used : peak;
        for (size_t i = 0; i < got; i++) { /* the values are right too */
            double v[3];
            for (int c = 0; c < 3; c++)
                v[c] = (double)(int64_t)rng_next(&seed) * 0x1p-60;
            char txt[32];
            snprintf(txt, sizeof txt, "%.17g", v[2]);
            assert_same_double(buf[i], strtod(txt, NULL));
            snprintf(txt, sizeof txt, "%.17g", v[0]);
            assert_same_double(buf[BATCH + i], strtod(txt, NULL));
        }
        total += got;
    }
    assert_int_equal(e.code, 0);
    assert_int_equal(total, rows);
    assert_true(rows * 2 * sizeof(double) > (8u << 20));
    if (peak > (4u << 20))
        fail_msg("the stream holds %zu bytes for %zu rows", peak, rows);
    csv_stream_close(&s);
}

/* One random cell for the tokenizer comparison: numbers, empties, NA
 * tokens, text, padding; quoted forms (with the delimiter, "" and line
 * breaks inside) only when quotes is set. */
static size_t random_cell(uint64_t *s, char *out, size_t size, char delim, int quotes)
{
    static const char *const pads[] = {"", "", "", " ", "  ", "\t", " \t "};
    static const char *const words[] = {"", "NA", "x", "plain text", "-", "1,5", "N/A", "nan", "12abc"};
    char core[96];
    int kind = rng_int(s, 12);
    if (kind < 10)
        random_number(s, core, sizeof core);
    else
        snprintf(core, sizeof core, "%s", words[rng_int(s, (int)(sizeof words / sizeof words[0]))]);
    const char *l = pads[rng_int(s, 7)], *r = pads[rng_int(s, 7)];
    if (delim == '\t') { /* tabs would split the cell */
        l = " ";
        r = "";
    }
    if (quotes && rng_int(s, 3) == 0) {
        static const char *const inner[] = {"\"\"", "\n", "\r\n", "\r", ",", ";", "\t", " "};
        const char *in = rng_int(s, 2) ? inner[rng_int(s, 8)] : "";
        return (size_t)snprintf(out, size, "%s\"%s%s\"%s", l, core, in, r);
    }
    for (char *c = core; *c; c++)
        if (*c == delim)
            *c = '|';
    if (quotes && rng_int(s, 20) == 0)
        return (size_t)snprintf(out, size, "%s%s\"x%s", l, core, r); /* a quote inside an unquoted field */
    return (size_t)snprintf(out, size, "%s%s%s", l, core, r);
}

/* Random small files, structured (rows of cells, LF/CRLF/CR line ends,
 * blank lines, now and then a ragged row or an unclosed quote) or plain
 * noise: csv_inspect and csv_read_columns must give the same answer with
 * either tokenizer. */
static void test_csv_fast_tokenizer_agrees_with_libcsv(void **state)
{
    Fx *fx = *state;
    static const char noise[] = "0123456789.-+eE  \t\t,,,,;\n\n\n\r\r\"xNA";
    static const char *const eols[] = {"\n", "\n", "\r\n", "\r"};
    static const char *const na[] = {"NA", "x"};
    uint64_t seed = 7;
    char buf[4096];
    int ok = 0;
    for (int iter = 0; iter < 4000; iter++) {
        CsvOptions opt = {0};
        int r = rng_int(&seed, 6);
        opt.delimiter = r == 0 ? ';' : r == 1 ? '\t' : ',';
        char d = opt.delimiter;
        int quotes = iter % 2;
        size_t o = 0;
        if (rng_int(&seed, 8) == 0)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "\xEF\xBB\xBF");
        o += (size_t)snprintf(buf + o, sizeof buf - o, "a%c b %c%sc%s", d, d, quotes ? "\"" : "",
                              quotes ? "\"\n" : "\n");
        if (iter % 10 == 9) { /* noise */
            size_t len = (size_t)rng_int(&seed, 200);
            for (size_t i = 0; i < len; i++)
                buf[o++] = rng_int(&seed, 50) == 0 ? '\0' : noise[rng_int(&seed, (int)sizeof noise - 1)];
        } else {
            int rows = 1 + rng_int(&seed, 9);
            for (int row = 0; row < rows && o < sizeof buf - 800; row++) {
                if (rng_int(&seed, 8) == 0) { /* a blank line, maybe of spaces or tabs */
                    static const char *const blank[] = {"", "", "  ", "\t", " \t "};
                    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", blank[rng_int(&seed, 5)],
                                          eols[rng_int(&seed, 4)]);
                }
                int cells = rng_int(&seed, 40) == 0 ? 2 + 2 * rng_int(&seed, 2) : 3;
                for (int c = 0; c < cells; c++) {
                    if (c)
                        buf[o++] = d;
                    o += random_cell(&seed, buf + o, sizeof buf - o, d, quotes);
                }
                if (row < rows - 1 || rng_int(&seed, 3))
                    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", eols[rng_int(&seed, 4)]);
            }
            if (quotes && rng_int(&seed, 30) == 0)
                o += (size_t)snprintf(buf + o, sizeof buf - o, "1%c\"open%c3\n", d, d);
        }
        const char *p = fx_write(fx, "fuzz.csv", buf, o);
        opt.allow_missing = rng_int(&seed, 4) != 0;
        if (rng_int(&seed, 2)) {
            opt.na_values = na;
            opt.n_na_values = 2;
        }
        CsvColumnInfo *ci = NULL;
        int nc = 0;
        size_t nr = 0;
        Err e;
        if (inspect_both(p, &opt, &ci, &nc, &nr, &e) == 0) {
            ok++;
            csv_inspect_free(&ci, &nc);
        }
        const char *names[] = {"c", "b"};
        Table t;
        if (read_both(p, names, 2, &opt, &t, &e) == 0)
            table_free(&t);
    }
    assert_true(ok > 1000); /* most files are well formed: the comparison covers real reads */
}

/* ---- inspect ------------------------------------------------------------------ */

static void test_csv_inspect_describes_every_column(void **state)
{
    (void)state;
    static const char *const na[] = {"NA"};
    CsvOptions o = {0};
    o.na_values = na;
    o.n_na_values = 1;
    CsvColumnInfo *ci = NULL;
    int nc = 0;
    size_t nr = 0;
    Err e;
    assert_int_equal(inspect_both(DATA("inspect.csv"), &o, &ci, &nc, &nr, &e), 0);
    assert_int_equal(nc, 4);
    assert_int_equal(nr, 3);
    assert_string_equal(ci[0].name, "id");
    assert_true(ci[0].is_numeric);
    assert_same_double(ci[0].min, 1);
    assert_same_double(ci[0].mean, 2);
    assert_same_double(ci[0].max, 3);
    assert_string_equal(ci[1].name, "city");
    assert_false(ci[1].is_numeric);
    assert_int_equal(ci[1].text_line, 2);
    assert_string_equal(ci[1].text_example, "Davis");
    assert_true(isnan(ci[1].mean));
    assert_true(ci[2].is_numeric);
    assert_int_equal(ci[2].missing, 1);
    assert_int_equal(ci[2].n_numbers, 2);
    assert_same_double(ci[2].mean, 200);
    assert_true(ci[3].is_numeric);
    assert_int_equal(ci[3].missing, 1);
    assert_same_double(ci[3].max, 70);
    csv_inspect_free(&ci, &nc);
    assert_null(ci);
    assert_int_equal(nc, 0);

    /* without the NA token, "NA" makes area a text column */
    assert_int_equal(inspect_both(DATA("inspect.csv"), NULL, &ci, &nc, &nr, &e), 0);
    assert_false(ci[3].is_numeric);
    assert_int_equal(ci[3].text_line, 4);
    assert_string_equal(ci[3].text_example, "NA");
    assert_int_equal(ci[3].n_numbers, 2);
    csv_inspect_free(&ci, &nc);
}

static void test_csv_inspect_reports_file_errors(void **state)
{
    (void)state;
    CsvColumnInfo *ci = NULL;
    int nc = 0;
    size_t nr = 0;
    Err e;
    assert_int_equal(inspect_both(DATA("empty.csv"), NULL, &ci, &nc, &nr, &e), E_PARSE);
    assert_int_equal(inspect_both(DATA("ragged.csv"), NULL, &ci, &nc, &nr, &e), E_PARSE);
    assert_non_null(strstr(e.msg, ":3: row has 2 fields, the header has 3"));
    assert_int_equal(inspect_both(DATA("no_such_file.csv"), NULL, &ci, &nc, &nr, &e), E_IO);
    /* one data row is enough to describe a file */
    assert_int_equal(inspect_both(DATA("one_row.csv"), NULL, &ci, &nc, &nr, &e), 0);
    assert_int_equal(nr, 1);
    csv_inspect_free(&ci, &nc);
    csv_inspect_free(NULL, NULL);
}

/* ---- colname: UTF-8 and terminal escaping --------------------------------- */

static void test_utf8_check_finds_the_first_invalid_byte(void **state)
{
    (void)state;
    assert_int_equal(colname_utf8_invalid("price", 5), -1);
    assert_int_equal(colname_utf8_invalid("Caf\xC3\xA9 \xF0\x9F\x98\x80", 10), -1); /* 2- and 4-byte characters */
    assert_int_equal(colname_utf8_invalid("Caf\xE9", 4), 3);                         /* Latin-1 */
    assert_int_equal(colname_utf8_invalid("a\xC0\xAF", 3), 1);                       /* overlong '/' */
    assert_int_equal(colname_utf8_invalid("ab\xED\xA0\x80", 5), 2);                  /* a surrogate */
    assert_int_equal(colname_utf8_invalid("\xF4\x90\x80\x80", 4), 0);                /* past U+10FFFF */
    assert_int_equal(colname_utf8_invalid("x\xC3\xA9", 2), 1);                       /* cut by len */
    assert_int_equal(colname_utf8_invalid("\xE2\x82", 2), 0);                        /* cut at the end */
}

static void test_plain_text_check_finds_control_bytes_but_keeps_tabs(void **state)
{
    (void)state;
    assert_int_equal(colname_text_invalid("a\tb Caf\xC3\xA9 \xC2\xA0", 12), -1); /* TAB, U+00E9, U+00A0 */
    assert_int_equal(colname_text_invalid("ab\x1B[31m", 7), 2);
    assert_int_equal(colname_text_invalid("a\rb", 3), 1);
    assert_int_equal(colname_text_invalid("a\nb", 3), 1);
    assert_int_equal(colname_text_invalid("ab\x7F", 3), 2);                /* DEL */
    assert_int_equal(colname_text_invalid("a\xC2\x85", 3), 1);            /* C1 NEL */
    assert_int_equal(colname_text_invalid("a\x01", 2), 1);
    assert_int_equal(colname_text_invalid("Caf\xE9\x1B", 5), 3);           /* not UTF-8 comes first */
    assert_int_equal(colname_utf8_invalid("a\xC2\x85", 3), -1);            /* a C1 control is valid UTF-8 */
}

static void test_term_escape_writes_controls_and_invalid_bytes_as_hex(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(term_escape(out, sizeof out, "a\x1B[31mb\x07"), "a\\x1B[31mb\\x07");
    assert_string_equal(term_escape(out, sizeof out, "Caf\xC3\xA9\x7F"), "Caf\xC3\xA9\\x7F");
    assert_string_equal(term_escape(out, sizeof out, "\xC2\x9B" "2J"), "\\xC2\\x9B2J"); /* C1 CSI */
    assert_string_equal(term_escape(out, sizeof out, "x\xE9"), "x\\xE9");
    assert_string_equal(term_escape(out, 6, "ab\x1B" "cd"), "ab"); /* an escape that does not fit is left out */
    char *whole = term_escape_new("\x1B\x1B\x1B\xE9"); /* every byte escaped: nothing cut */
    assert_non_null(whole);
    assert_string_equal(whole, "\\x1B\\x1B\\x1B\\xE9");
    free(whole);
}

/* term_write's output for s[0..len) as a string (len may hold a NUL). */
static void term_written(char *out, size_t cap, const char *s, size_t len, int keep_newlines)
{
    FILE *f = fmemopen(out, cap, "w");
    assert_non_null(f);
    term_write(f, s, len, keep_newlines);
    assert_int_equal(fclose(f), 0);
}

static void test_term_write_keeps_line_feeds_only_when_asked(void **state)
{
    (void)state;
    char out[64];
    term_written(out, sizeof out, "a\nb\x1B\0c", 6, 1);
    assert_string_equal(out, "a\nb\\x1B\\x00c");
    term_written(out, sizeof out, "a\nb\x1B\0c", 6, 0);
    assert_string_equal(out, "a\\x0Ab\\x1B\\x00c");
    term_written(out, sizeof out, "Caf\xC3", 4, 0); /* a character cut by len */
    assert_string_equal(out, "Caf\\xC3");
}

/* Numbers written as a spreadsheet shows them ("$350,000", "12%", "1,5"):
 * a column of them (auto) is an error, not levels in silence; one such cell
 * among numbers, or in a number column, gets the fix; a column declared
 * categorical keeps them as levels; other text is not taken for one. */
/* csv_read_columns through both tokenizers, which must agree (read_both
 * also streams, and a stream takes no auto columns). */
static int read_both_tokenizers(const char *path, const char *const *names, int n, CsvOptions o, Table *t, Err *e)
{
    Table t2;
    Err e2 = { 0 };
    o.libcsv_only = 1;
    int rc2 = csv_read_columns(path, names, n, &o, &t2, &e2);
    o.libcsv_only = 0;
    int rc = csv_read_columns(path, names, n, &o, t, e);
    assert_int_equal(rc, rc2);
    if (rc)
        assert_string_equal(e->msg, e2.msg);
    else
        table_free(&t2);
    return rc;
}

static void test_csv_formatted_numbers_are_named_not_taken_as_levels(void **state)
{
    Fx *fx = *state;
    const char *names[] = {"price"};
    unsigned char automatic = CSV_COL_AUTO, text = CSV_COL_TEXT, number = CSV_COL_NUMBER;
    CsvOptions o = { .text = &automatic };
    Table t;
    Err e;
    const char *path = fx_text(fx, "money.csv", "price\n\"$350,000\"\n\"$1,000.50\"\n");
    assert_int_equal(read_both_tokenizers(path, names, 1, o, &t, &e), E_PARSE);
    assert_msg(&e, "%s:2:1: column \"price\": expected a number, got \"$350,000\"; it is a number written with a "
               "currency sign and thousands separators: write plain numbers (350000, 12, 1.5), or list the column "
               "in [data] categorical to read its values as levels", path);
    o.text = &text;
    assert_int_equal(read_both_tokenizers(path, names, 1, o, &t, &e), 0);
    assert_non_null(t.text);
    table_free(&t);
    static const struct { const char *cell, *how; } MIXED[] = {
        { "\"1,000\"", "thousands separators" },
        { "12%", "a percent sign" },
        { "\"1,5\"", "a decimal comma" },
        { "\"1.234,5\"", "a decimal comma and '.' between thousands" },
        { "\"\xE2\x82\xAC 1,234.50\"", "a currency sign and thousands separators" },
    };
    for (size_t i = 0; i < sizeof MIXED / sizeof MIXED[0]; i++) {
        char text_[96], want[160];
        snprintf(text_, sizeof text_, "price\n7\n%s\n", MIXED[i].cell);
        path = fx_text(fx, "mixed.csv", text_);
        snprintf(want, sizeof want, "; it is a number written with %s: write plain numbers", MIXED[i].how);
        o.text = &automatic;
        assert_int_equal(read_both_tokenizers(path, names, 1, o, &t, &e), E_PARSE);
        if (!strstr(e.msg, want))
            fail_msg("%s: %s", MIXED[i].cell, e.msg);
        o.text = &number;
        assert_int_equal(read_both_tokenizers(path, names, 1, o, &t, &e), E_PARSE);
        if (!strstr(e.msg, want))
            fail_msg("%s as a number column: %s", MIXED[i].cell, e.msg);
    }
    /* text that is no number: levels, as before */
    path = fx_text(fx, "words.csv", "price\nhigh\n\"1,2,3\"\n1.2.3\n2020-01-01\n\"$ high\"\n");
    o.text = &automatic;
    assert_int_equal(read_both_tokenizers(path, names, 1, o, &t, &e), 0);
    assert_non_null(t.text);
    table_free(&t);
}

/* The did-you-mean: a typo of about a third of a name, a name in another
 * case; never one single-letter name for another. */
static void test_closest_name_is_a_likely_typo_only(void **state)
{
    (void)state;
    const char *names[] = { "a", "Sale_Price", "y2", "Gr_Liv_Area" };
    assert_int_equal(colname_closest("Sale_Prce", names, 4), 1);
    assert_int_equal(colname_closest("sale_price", names, 4), 1);
    assert_int_equal(colname_closest("gr_liv_area", names, 4), 3);
    assert_int_equal(colname_closest("y", names, 4), -1); /* one letter off "a": no typo */
    assert_int_equal(colname_closest("A", names, 4), 0);  /* the same up to case */
    assert_int_equal(colname_closest("y3", names, 4), 2);
    assert_int_equal(colname_closest("Lot_Area", names, 4), -1);
    /* a '#' comment a config left in the name: the name before it */
    assert_int_equal(colname_closest("a  # the area", names, 4), 0);
    assert_int_equal(colname_closest("Gr_Liv_Area\t# sq ft", names, 4), 3);
    assert_int_equal(colname_closest("y2#", names, 4), 2); /* no space before '#': edit distance 1 */
    assert_int_equal(colname_hash_comment("#N/A"), -1);
    assert_int_equal(colname_hash_comment("Unit #"), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_selects_columns_by_name_in_any_order),
        cmocka_unit_test(test_csv_reads_a_column_requested_twice),
        cmocka_unit_test(test_csv_skips_utf8_byte_order_mark),
        cmocka_unit_test(test_csv_reads_crlf_and_counts_its_lines),
        cmocka_unit_test(test_csv_reads_quoted_comma_quote_and_newline),
        cmocka_unit_test(test_csv_counts_lines_inside_quoted_fields),
        cmocka_unit_test(test_csv_reads_semicolon_and_tab_delimiters),
        cmocka_unit_test(test_csv_hints_at_the_delimiter_when_the_header_has_one_column),
        cmocka_unit_test(test_csv_rejects_a_delimiter_that_cannot_work),
        cmocka_unit_test(test_csv_skips_blank_lines_and_a_trailing_empty_line),
        cmocka_unit_test(test_csv_reads_a_last_line_without_newline),
        cmocka_unit_test(test_csv_matches_header_names_after_trimming_spaces),
        cmocka_unit_test(test_csv_ignores_unselected_text_columns),
        cmocka_unit_test(test_csv_unknown_column_suggests_the_closest_name),
        cmocka_unit_test(test_csv_bounds_the_list_of_columns),
        cmocka_unit_test(test_csv_reports_line_and_column_of_bad_cell),
        cmocka_unit_test(test_csv_rejects_each_malformed_number_form),
        cmocka_unit_test(test_csv_accepts_every_valid_number_form),
        cmocka_unit_test(test_csv_numbers_are_bit_identical_to_strtod),
        cmocka_unit_test(test_csv_parse_number_takes_a_long_cell_like_the_reader),
        cmocka_unit_test_setup_teardown(test_csv_does_not_depend_on_the_locale, fx_setup, tu_tmpdir_teardown),
        cmocka_unit_test(test_csv_missing_value_is_an_error_unless_allowed),
        cmocka_unit_test(test_csv_stores_missing_as_nan_and_counts_them),
        cmocka_unit_test(test_csv_na_token_is_a_number_error_without_na_values),
        cmocka_unit_test(test_csv_na_token_can_be_a_number),
        cmocka_unit_test(test_csv_reports_ragged_row),
        cmocka_unit_test(test_csv_reports_ragged_row_before_a_bad_cell_in_it),
        cmocka_unit_test(test_csv_reports_empty_file),
        cmocka_unit_test(test_csv_reports_header_only),
        cmocka_unit_test(test_csv_reads_one_data_row_unless_more_are_required),
        cmocka_unit_test(test_csv_reports_duplicate_requested_column),
        cmocka_unit_test(test_csv_reports_file_that_cannot_be_opened),
        cmocka_unit_test(test_csv_reports_unclosed_quote),
        cmocka_unit_test(test_csv_rejects_no_requested_columns),
        cmocka_unit_test(test_csv_keeps_line_numbers_across_read_chunks),
        cmocka_unit_test(test_csv_reads_a_line_up_to_the_record_limit),
        cmocka_unit_test(test_csv_refuses_more_fields_than_the_limit),
        cmocka_unit_test(test_csv_fast_tokenizer_agrees_with_libcsv),
        cmocka_unit_test(test_csv_stream_memory_does_not_grow_with_the_file),
        cmocka_unit_test(test_csv_inspect_describes_every_column),
        cmocka_unit_test(test_csv_inspect_reports_file_errors),
        cmocka_unit_test(test_utf8_check_finds_the_first_invalid_byte),
        cmocka_unit_test(test_plain_text_check_finds_control_bytes_but_keeps_tabs),
        cmocka_unit_test(test_term_escape_writes_controls_and_invalid_bytes_as_hex),
        cmocka_unit_test(test_term_write_keeps_line_feeds_only_when_asked),
        cmocka_unit_test(test_closest_name_is_a_likely_typo_only),
        cmocka_unit_test_setup_teardown(test_csv_formatted_numbers_are_named_not_taken_as_levels, fx_setup,
                                        tu_tmpdir_teardown),
    };
    return cmocka_run_group_tests(tests, fx_setup, tu_tmpdir_teardown);
}
