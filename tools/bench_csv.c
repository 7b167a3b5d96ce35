/* bench_csv: the driver behind tools/bench_csv.sh.
 *   bench_csv gen N PATH        writes N rows "x1,x2,y" (header + %.17g)
 *   bench_csv read PATH REPS    times csv_read_columns(x1, x2, y) REPS times,
 *                               prints the median MB/s, and checks every value
 *                               against the generator (bit for bit)
 * Data: x1, x2 ~ N(0,1) (splitmix64 + Box-Muller, seed 12345),
 * y = 0.6 x1 + 0.3 x2 + 0.1 sin(3 x1) + 0.05 N(0,1); regenerated for the
 * check, so gen and read must get the same N. Set BENCH_LIBCSV_ONLY=1 to
 * time libcsv's tokenizer without the quote-free fast path. */
#define _DEFAULT_SOURCE /* M_PI, clock_gettime */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_util.h"
#include "csvread.h"

static uint64_t bench_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* uniform in (0, 1) */
static double bench_u01(uint64_t *s) { return ((double)(bench_next(s) >> 11) + 0.5) * 0x1.0p-53; }

/* v is (3, n): x1, x2, y */
static void bench_data(size_t n, double *v)
{
    uint64_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        double u1 = bench_u01(&s), u2 = bench_u01(&s), u3 = bench_u01(&s), u4 = bench_u01(&s);
        double r1 = sqrt(-2.0 * log(u1)), r2 = sqrt(-2.0 * log(u3));
        double x1 = r1 * cos(2 * M_PI * u2), x2 = r1 * sin(2 * M_PI * u2), nz = r2 * cos(2 * M_PI * u4);
        v[i] = x1;
        v[n + i] = x2;
        v[2 * n + i] = 0.6 * x1 + 0.3 * x2 + 0.1 * sin(3 * x1) + 0.05 * nz;
    }
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "gen")) {
        size_t n = (size_t)atoll(argv[2]);
        double *v = malloc(3 * n * sizeof *v);
        FILE *f = fopen(argv[3], "wb");
        if (!v || !f) {
            perror(argv[3]);
            return 1;
        }
        bench_data(n, v);
        fprintf(f, "x1,x2,y\n");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%.17g,%.17g,%.17g\n", v[i], v[n + i], v[2 * n + i]);
        if (fclose(f)) {
            perror(argv[3]);
            return 1;
        }
        free(v);
        return 0;
    }
    if (argc != 4 || strcmp(argv[1], "read")) {
        fprintf(stderr, "usage: bench_csv gen N PATH | bench_csv read PATH REPS\n");
        return 2;
    }
    const char *path = argv[2];
    int reps = atoi(argv[3]);
    if (reps < 1 || reps > 99)
        reps = 3;
    struct stat st;
    if (stat(path, &st)) {
        perror(path);
        return 1;
    }
    const char *names[] = {"x1", "x2", "y"};
    CsvOptions opt = {0};
    const char *lo = getenv("BENCH_LIBCSV_ONLY");
    opt.libcsv_only = lo && *lo == '1';
    double t[99];
    Table tab = {0};
    Err err = {0};
    for (int r = 0; r < reps; r++) {
        table_free(&tab);
        double t0 = bench_now();
        if (csv_read_columns(path, names, 3, &opt, &tab, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        t[r] = bench_now() - t0;
    }
    /* check against the generator */
    double *v = malloc(3 * tab.nrows * sizeof *v);
    if (!v)
        return 1;
    bench_data(tab.nrows, v);
    size_t bad = 0;
    if (memcmp(v, tab.cols, 3 * tab.nrows * sizeof *v) != 0)
        for (size_t i = 0; i < 3 * tab.nrows; i++)
            bad += memcmp(&v[i], &tab.cols[i], sizeof *v) != 0;
    qsort(t, (size_t)reps, sizeof t[0], bench_cmp);
    double med = t[reps / 2];
    printf("rows=%zu bytes=%lld seconds=%.4f mb_per_s=%.1f mismatches=%zu\n", tab.nrows, (long long)st.st_size, med,
           (double)st.st_size / 1e6 / med, bad);
    free(v);
    table_free(&tab);
    return bad != 0;
}
