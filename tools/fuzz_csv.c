/* fuzz_csv: libFuzzer target for the CSV readers of io/csvread.c and
 * io/csvrows.c (docs/development.md).
 *
 * Input: one option byte, then the file. The option byte picks the
 * delimiter, allow_missing, an NA token, min_rows and the stream's batch.
 * The fuzz build reads 64-byte chunks (CSV_CHUNK_BYTES in CMakeLists.txt),
 * so records straddle chunk boundaries and the hand-over from the
 * quote-free tokenizer to libcsv.
 * The file goes through csv_inspect, csv_read_columns (with the quote-free
 * tokenizer and libcsv only), the stream reader (a few rows at a time) and
 * csv_rows_read, asking for the header's first columns. Nothing may crash,
 * leak or hang; a failure returns a negative code with a message; and the
 * two tokenizers and the stream agree with csv_read_columns on the code,
 * the message and every value bit for bit. */
#define _DEFAULT_SOURCE /* getpid */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvread.h"
#include "csvrows.h"
#include "table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_COLS = 3 };

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_csv: %s: %s\n", what, detail);
    abort();
}

/* A failed call must say why. */
static void check_err(const char *what, int rc, const Err *err)
{
    if (rc > 0)
        fail(what, "positive return code");
    if (rc < 0 && (err->code != rc || err->msg[0] == '\0'))
        fail(what, "a failure without its code and message");
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static int count_row(void *ctx, size_t record, size_t line, int ncells, char *const *cells, const size_t *lens,
                     Err *err)
{
    size_t *chars = ctx;
    for (int i = 0; i < ncells; i++) {
        if (cells[i][lens[i]] != '\0')
            fail("csv_rows_read", "a cell that is not NUL-terminated");
        *chars += lens[i];
    }
    return 0;
}

/* Reads names[0..ncols) a few rows at a time and compares with t (the
 * result of csv_read_columns, rc_read its code and msg its message). */
static void check_stream(const char *path, const char *const *names, int ncols, const CsvOptions *opt,
                         size_t batch, int rc_read, const Table *t, const char *msg)
{
    CsvStream *s = NULL;
    Err err = { 0 };
    double *cols = malloc(batch * (size_t)ncols * sizeof *cols);
    if (!cols)
        abort();
    int rc = csv_stream_open(path, names, ncols, opt, &s, &err);
    check_err("csv_stream_open", rc, &err);
    size_t row = 0, n = 0;
    while (rc == 0) {
        rc = csv_stream_next(s, batch, cols, &n, &err);
        check_err("csv_stream_next", rc, &err);
        if (rc < 0 || n == 0)
            break;
        for (size_t i = 0; i < n && rc_read == 0; i++)
            for (int c = 0; c < ncols; c++)
                if (row + i >= t->nrows || !same_bits(cols[(size_t)c * batch + i], table_col(t, c)[row + i]))
                    fail("csv_stream_next", "a value differs from csv_read_columns");
        row += n;
    }
    /* min_rows is not the stream's business (E_DATA from csv_read_columns) */
    if (rc_read != E_DATA) {
        if (rc != rc_read)
            fail("csv_stream_next", "the code differs from csv_read_columns");
        if (rc < 0 && strcmp(err.msg, msg) != 0)
            fail("csv_stream_next", "the message differs from csv_read_columns");
        if (rc == 0 && row != t->nrows)
            fail("csv_stream_next", "the row count differs from csv_read_columns");
    }
    if (rc == 0 && rc_read == 0) {
        size_t missing[MAX_COLS];
        csv_stream_missing(s, missing);
        for (int c = 0; c < ncols; c++)
            if (missing[c] != t->missing[c])
                fail("csv_stream_missing", "the count differs from csv_read_columns");
    }
    csv_stream_close(&s);
    free(cols);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[] = { ',', ';', '\t', ' ', '|', ',', ',', ',' };
    static const char *const na[] = { "NA", "?" };
    static char path[64];
    if (size < 1)
        return 0;
    if (!path[0])
        snprintf(path, sizeof path, "/dev/shm/housenet-fuzz-csv-%ld.csv", (long)getpid());
    uint8_t o = data[0];
    data++;
    size--;

    CsvOptions opt = { 0 };
    opt.delimiter = delims[o & 7];
    opt.allow_missing = (o >> 3) & 1;
    opt.na_values = na;
    opt.n_na_values = (o >> 4) & 1 ? 2 : 0;
    opt.min_rows = (o >> 5) & 1 ? 2 : 0;
    size_t batch = 1 + ((o >> 6) & 1) * 2;

    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();

    /* the header as csv_inspect sees it names the columns to read */
    CsvColumnInfo *info = NULL;
    int ninfo = 0;
    size_t nrows = 0;
    Err err = { 0 };
    int rc = csv_inspect(path, &opt, &info, &ninfo, &nrows, &err);
    check_err("csv_inspect", rc, &err);
    if (rc == 0 && ninfo < 1)
        fail("csv_inspect", "success without columns");
    const char *names[MAX_COLS] = { "a", "b", "c" };
    int ncols = 0;
    for (; rc == 0 && ncols < MAX_COLS && ncols < ninfo; ncols++)
        names[ncols] = info[ninfo - 1 - ncols].name; /* the last first: not in file order */
    if (ncols == 0)
        ncols = 2;

    Table t[2];
    Err e[2] = { { 0 }, { 0 } };
    int r[2];
    for (int libcsv_only = 0; libcsv_only < 2; libcsv_only++) {
        opt.libcsv_only = libcsv_only;
        r[libcsv_only] = csv_read_columns(path, names, ncols, &opt, &t[libcsv_only], &e[libcsv_only]);
        check_err("csv_read_columns", r[libcsv_only], &e[libcsv_only]);
    }
    if (r[0] != r[1] || strcmp(e[0].msg, e[1].msg) != 0)
        fail("csv_read_columns", "the quote-free tokenizer and libcsv disagree on the error");
    if (r[0] == 0) {
        if (t[0].nrows != t[1].nrows || memcmp(t[0].missing, t[1].missing, (size_t)ncols * sizeof *t[0].missing))
            fail("csv_read_columns", "the quote-free tokenizer and libcsv disagree on the rows");
        for (size_t i = 0; i < (size_t)ncols * t[0].nrows; i++)
            if (!same_bits(t[0].cols[i], t[1].cols[i]))
                fail("csv_read_columns", "the quote-free tokenizer and libcsv disagree on a value");
        if (rc == 0 && t[0].nrows != nrows)
            fail("csv_read_columns", "the row count differs from csv_inspect");
    }
    opt.libcsv_only = 0;
    check_stream(path, names, ncols, &opt, batch, r[0], &t[0], e[0].msg);
    table_free(&t[0]);
    table_free(&t[1]);
    csv_inspect_free(&info, &ninfo);

    size_t chars = 0;
    rc = csv_rows_read(path, opt.delimiter, count_row, &chars, &err);
    check_err("csv_rows_read", rc, &err);
    unlink(path);
    return 0;
}
