/* bench_h5: the driver behind tools/bench_h5.sh.
 *   bench_h5 read H5 CSV REPS     times h5_table_read(x1, x2, y) of the HDF5
 *                                 table REPS times, prints the median, and
 *                                 checks every value against csv_read_columns
 *                                 of CSV (bit for bit)
 *   bench_h5 stream H5 BATCH REPS times reading the whole table through
 *                                 h5_stream_read, BATCH rows at a time
 *                                 (features x1, x2 row-major; target y)
 * Output: one line of key=value pairs. */
#define _DEFAULT_SOURCE /* clock_gettime */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "csvread.h"
#include "h5table.h"

static const char *const NAMES[] = {"x1", "x2", "y"};

static int bench_read(const char *h5, const char *csv, int reps)
{
    double t[99];
    Table tab = {0}, ref = {0};
    Err err = {0};
    for (int r = 0; r < reps; r++) {
        table_free(&tab);
        double t0 = bench_now();
        if (h5_table_read(h5, NULL, NAMES, 3, 0, &tab, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        t[r] = bench_now() - t0;
    }
    if (csv_read_columns(csv, NAMES, 3, NULL, &ref, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    size_t bad = ref.nrows == tab.nrows ? 0 : 1;
    if (!bad && memcmp(ref.cols, tab.cols, 3 * tab.nrows * sizeof *tab.cols) != 0)
        for (size_t i = 0; i < 3 * tab.nrows; i++)
            bad += memcmp(&ref.cols[i], &tab.cols[i], sizeof *tab.cols) != 0;
    qsort(t, (size_t)reps, sizeof t[0], bench_cmp);
    double med = t[reps / 2], bytes = 3.0 * 8.0 * (double)tab.nrows;
    printf("rows=%zu value_bytes=%.0f seconds=%.4f mb_per_s=%.1f mismatches=%zu\n", tab.nrows, bytes, med,
           bytes / 1e6 / med, bad);
    table_free(&tab);
    table_free(&ref);
    return bad != 0;
}

static int bench_stream(const char *h5, size_t batch, int reps)
{
    double t[99];
    H5Stream *s = NULL;
    Err err = {0};
    double *x = malloc(2 * batch * sizeof *x), *y = malloc(batch * sizeof *y);
    if (!x || !y || h5_stream_open(h5, NULL, NAMES, 3, batch, &s, &err)) {
        fprintf(stderr, "%s\n", err.msg[0] ? err.msg : "out of memory");
        return 1;
    }
    size_t n = h5_stream_rows(s);
    double check = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        for (size_t r0 = 0; r0 < n; r0 += batch) {
            size_t k = n - r0 < batch ? n - r0 : batch;
            if (h5_stream_read(s, r0, k, x, y, &err)) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            check += y[0];
        }
        t[r] = bench_now() - t0;
    }
    qsort(t, (size_t)reps, sizeof t[0], bench_cmp);
    double med = t[reps / 2], bytes = 3.0 * 8.0 * (double)n;
    printf("rows=%zu batch=%zu seconds=%.4f mb_per_s=%.1f check=%g\n", n, batch, med, bytes / 1e6 / med, check);
    h5_stream_close(&s);
    free(x);
    free(y);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "read")) {
        int reps = atoi(argv[4]);
        return bench_read(argv[2], argv[3], reps >= 1 && reps <= 99 ? reps : 3);
    }
    if (argc == 5 && !strcmp(argv[1], "stream")) {
        int reps = atoi(argv[4]);
        long batch = atol(argv[3]);
        return bench_stream(argv[2], batch > 0 ? (size_t)batch : 4096, reps >= 1 && reps <= 99 ? reps : 3);
    }
    fprintf(stderr, "usage: bench_h5 read H5 CSV REPS | bench_h5 stream H5 BATCH REPS\n");
    return 2;
}
