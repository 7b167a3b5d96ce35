/* bench_ref: the tight C reference of tools/bench_step.sh -- the 2-2-1
 * network (sigmoid hidden layer, linear output) trained by plain SGD on
 * 1/2 mean (y - yhat)^2 in the shortest loop C allows: contiguous rows in
 * file order, no shuffle, no checks, no checkpoints, libm's exp. What a
 * student would write by hand; the bound housenet's per-step overhead is
 * measured against.
 *
 *   bench_ref run BATCH ROWS      prints `ref batch=.. rows=.. epochs=..
 *                                 samples_per_s=.. final=..`: the median of
 *                                 REPS runs of whole epochs lasting about
 *                                 TARGET seconds each (defaults 3 and 1)
 *   bench_ref csv ROWS PATH       writes the data as CSV (x1,x2,y; %.17g)
 *
 * Data: bench_train's generator (the peers' set: x1, x2 standard normal,
 * y = 0.6 x1 + 0.3 x2 + 0.1 sin(3 x1) + 0.05 noise), seed 12345. */
#define _DEFAULT_SOURCE /* M_PI, clock_gettime */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

static uint64_t sm_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double sm_unit(uint64_t *s) { return ((double)(sm_next(s) >> 11) + 0.5) * 0x1.0p-53; }

/* x (n, 2) row-major and y (n) */
static void make_data(size_t n, double *x, double *y)
{
    uint64_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        double u1 = sm_unit(&s), u2 = sm_unit(&s), u3 = sm_unit(&s), u4 = sm_unit(&s);
        double r1 = sqrt(-2.0 * log(u1)), r2 = sqrt(-2.0 * log(u3));
        double a = r1 * cos(2.0 * M_PI * u2), b = r1 * sin(2.0 * M_PI * u2), e = r2 * cos(2.0 * M_PI * u4);
        x[2 * i] = a;
        x[2 * i + 1] = b;
        y[i] = 0.6 * a + 0.3 * b + 0.1 * sin(3.0 * a) + 0.05 * e;
    }
}

/* One epoch of SGD at batch bs over rows in order; p = W1 (2x2), b1, W2, b2. */
static void epoch(double *p, const double *x, const double *y, size_t n, size_t bs, double lr)
{
    for (size_t b0 = 0; b0 < n; b0 += bs) {
        size_t m = n - b0 < bs ? n - b0 : bs;
        double g[9] = { 0 };
        for (size_t i = b0; i < b0 + m; i++) {
            double a = x[2 * i], b = x[2 * i + 1];
            double u = 1.0 / (1.0 + exp(-(p[0] * a + p[1] * b + p[4])));
            double v = 1.0 / (1.0 + exp(-(p[2] * a + p[3] * b + p[5])));
            double e = p[6] * u + p[7] * v + p[8] - y[i];
            double d0 = e * p[6] * u * (1.0 - u), d1 = e * p[7] * v * (1.0 - v);
            g[0] += d0 * a;
            g[1] += d0 * b;
            g[2] += d1 * a;
            g[3] += d1 * b;
            g[4] += d0;
            g[5] += d1;
            g[6] += e * u;
            g[7] += e * v;
            g[8] += e;
        }
        const double f = lr / (double)m;
        for (int k = 0; k < 9; k++)
            p[k] -= f * g[k];
    }
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "csv") == 0) {
        size_t n = (size_t)strtoull(argv[2], NULL, 10);
        double *x = malloc(2 * n * sizeof(double)), *y = malloc(n * sizeof(double));
        FILE *f = fopen(argv[3], "w");
        if (!x || !y || !f)
            return 1;
        make_data(n, x, y);
        fprintf(f, "x1,x2,y\n");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%.17g,%.17g,%.17g\n", x[2 * i], x[2 * i + 1], y[i]);
        free(x);
        free(y);
        return fclose(f) != 0;
    }
    if (argc != 4 || strcmp(argv[1], "run") != 0) {
        fprintf(stderr, "usage: bench_ref run BATCH ROWS | bench_ref csv ROWS PATH\n");
        return 2;
    }
    size_t bs = (size_t)strtoull(argv[2], NULL, 10), n = (size_t)strtoull(argv[3], NULL, 10);
    double *x = malloc(2 * n * sizeof(double)), *y = malloc(n * sizeof(double));
    if (!x || !y || bs < 1 || n < 1)
        return 1;
    make_data(n, x, y);
    const char *te = getenv("TARGET"), *re = getenv("REPS");
    const double target = te ? atof(te) : 1.0;
    const int reps = re ? atoi(re) : 3;
    double rates[64], p[9];
    int runs = reps < 1 ? 1 : reps < 64 ? reps : 64;
    long epochs = 0;
    for (int r = 0; r < runs; r++) {
        const double p0[9] = { 0.2, 0.15, 0.5, 0.6, 0.1, 0.25, 0.3, 0.2, 0.4 };
        memcpy(p, p0, sizeof p);
        double t0 = bench_now(), t;
        epochs = 0;
        do {
            epoch(p, x, y, n, bs, 0.01);
            epochs++;
        } while ((t = bench_now() - t0) < target);
        rates[r] = (double)epochs * (double)n / t;
    }
    qsort(rates, (size_t)runs, sizeof rates[0], bench_cmp);
    printf("ref batch=%zu rows=%zu epochs=%ld samples_per_s=%.4g final=%.6g\n", bs, n, epochs, rates[runs / 2],
           p[8]);
    free(x);
    free(y);
    return 0;
}
