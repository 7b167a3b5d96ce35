/* fuzz_csv_number: libFuzzer target for the number grammar and conversion
 * of io/csvnum.c (docs/development.md).
 *
 * The input is one cell, handed to csv_parse_number in a buffer of exactly
 * its length (no NUL after it), so that ASan sees any read past the end.
 * Checked against an independent reading of the grammar in csvread.h and
 * against strtod on the same (trimmed) text:
 *  - a cell the grammar accepts is a number (0) or beyond the range of a
 *    double (-2, strtod gives +-inf); any other cell is -1;
 *  - a number is bit-identical to strtod's value;
 *  - the same cell as the one data row of a CSV file, through
 *    csv_read_columns (whose exact paths differ: x87), gives the same bits
 *    or the same refusal. */
#define _DEFAULT_SOURCE /* getpid */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvread.h"
#include "table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* [+-]? ( digits [. digits?] | . digits ) ( [eE] [+-]? digits )?, in full. */
static int grammar_ok(const char *s, size_t n)
{
    size_t i = 0, d = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < n && is_digit(s[i]); i++)
        d++;
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit(s[i]); i++)
            d++;
    if (d == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i == n || !is_digit(s[i]))
            return 0;
        while (i < n && is_digit(s[i]))
            i++;
    }
    return i == n;
}

static int same_bits(double a, double b)
{
    uint64_t x, y;
    memcpy(&x, &a, sizeof x);
    memcpy(&y, &b, sizeof y);
    return x == y;
}

/* The cell as the one data row of column "x", read by csv_read_columns:
 * the return code, and the value in *v when it is 0. */
static int read_as_file(const char *cell, size_t n, double *v)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/dev/shm/housenet-fuzz-number-%ld.csv", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fputs("x\n", f);
    fwrite(cell, 1, n, f);
    fputc('\n', f);
    if (fclose(f) != 0)
        abort();
    const char *names[] = { "x" };
    Table t;
    Err err = { 0 };
    int rc = csv_read_columns(path, names, 1, NULL, &t, &err);
    if (rc == 0) {
        *v = t.cols[0];
        table_free(&t);
    }
    unlink(path);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *cell = malloc(size ? size : 1); /* exactly size bytes: no NUL after the cell */
    if (!cell)
        return 0;
    memcpy(cell, data, size);
    double v = 0;
    int rc = csv_parse_number(cell, size, &v);

    /* the cell trimmed of spaces and tabs, NUL-terminated, for strtod */
    size_t b = 0, e = size;
    while (b < e && (cell[b] == ' ' || cell[b] == '\t'))
        b++;
    while (e > b && (cell[e - 1] == ' ' || cell[e - 1] == '\t'))
        e--;
    size_t n = e - b;
    char *text = malloc(n + 1);
    if (!text)
        abort();
    memcpy(text, cell + b, n);
    text[n] = '\0';
    int number = grammar_ok(text, n);

    if (rc != 0 && rc != -1 && rc != -2) {
        fprintf(stderr, "csv_parse_number returned %d\n", rc);
        abort();
    }
    if (!number && rc != -1) {
        fprintf(stderr, "csv_parse_number accepted \"%s\", which is not a number (%d)\n", text, rc);
        abort();
    }
    if (number) {
        char *end = NULL;
        double ref = strtod(text, &end);
        if (end != text + n)
            abort(); /* the grammar is a subset of strtod's */
        int ref_rc = isinf(ref) ? -2 : 0;
        if (rc != ref_rc || (rc == 0 && !same_bits(v, ref))) {
            fprintf(stderr, "\"%s\": csv_parse_number %d %a, strtod %d %a\n", text, rc, v, ref_rc, ref);
            abort();
        }
        /* the reader has its own fast paths; a newline or delimiter in the
         * cell would change the file's shape, and the grammar has none */
        double fv = 0;
        int frc = read_as_file(cell, size, &fv);
        if ((rc == 0) != (frc == 0) || (frc == 0 && !same_bits(fv, ref))) {
            fprintf(stderr, "\"%s\": csv_read_columns %d %a, strtod %d %a\n", text, frc, fv, ref_rc, ref);
            abort();
        }
    }
    free(text);
    free(cell);
    return 0;
}
