/* bench_kern: the 2-2-1 block kernel alone, float64 (net_grad_block) next
 * to float32 (net_grad_block_f32), for the Float32 figures of docs/performance.md.
 *
 *   bench_kern
 *       Prints one line: `bench_kern block=64 f64_ns=.. f32_ns=..
 *       ratio=..`, nanoseconds per 64-row block, the median of 5 runs
 *       over 65,536 rows (1,024 blocks, in L2) repeated 200 times. */
#define _DEFAULT_SOURCE /* clock_gettime */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_util.h"
#include "net.h"
#include "rng.h"

int main(void)
{
    enum { ROWS = 65536, BLOCK = 64, REPEAT = 200, RUNS = 5 };
    Net net;
    NetWork w;
    Err err = { 0 };
    int hidden[] = { 2 };
    double *x = malloc(2 * ROWS * sizeof *x), *y = malloc(ROWS * sizeof *y);
    float *xf = malloc(2 * ROWS * sizeof *xf), *yf = malloc(ROWS * sizeof *yf);
    if (!x || !y || !xf || !yf || net_init(&net, 2, hidden, 1, 1, ACT_SIGMOID, ACT_LINEAR, &err) ||
        network_init(&w, &net, BLOCK, &err)) {
        fprintf(stderr, "bench_kern: %s\n", err.msg[0] ? err.msg : "out of memory");
        return 1;
    }
    net_init_xavier(&net, 1);
    float pf[9];
    for (int k = 0; k < 9; k++)
        pf[k] = (float)net.params[k];
    Rng r = rng_stream(1, 1);
    for (int i = 0; i < 2 * ROWS; i++)
        xf[i] = (float)(x[i] = 4.0 * rng_uniform(&r) - 2.0);
    for (int i = 0; i < ROWS; i++)
        yf[i] = (float)(y[i] = 2.0 * rng_uniform(&r) - 1.0);
    double t64[RUNS], t32[RUNS], g[9] = { 0 }, loss = 0.0;
    for (int run = 0; run < RUNS; run++) {
        double t0 = bench_now();
        for (int rep = 0; rep < REPEAT; rep++)
            for (int b = 0; b < ROWS; b += BLOCK)
                loss += net_grad_block(&net, net.params, x + 2 * b, y + b, BLOCK, &w, g);
        double t1 = bench_now();
        for (int rep = 0; rep < REPEAT; rep++)
            for (int b = 0; b < ROWS; b += BLOCK)
                loss += net_grad_block_f32(&net, pf, xf + 2 * b, yf + b, BLOCK, &w, g);
        double t2 = bench_now();
        t64[run] = (t1 - t0) / (REPEAT * (ROWS / BLOCK)) * 1e9;
        t32[run] = (t2 - t1) / (REPEAT * (ROWS / BLOCK)) * 1e9;
    }
    qsort(t64, RUNS, sizeof t64[0], bench_cmp);
    qsort(t32, RUNS, sizeof t32[0], bench_cmp);
    /* loss and g are printed to stderr so that no call can be dropped */
    fprintf(stderr, "bench_kern: checksum %g\n", loss + g[0]);
    printf("bench_kern block=%d f64_ns=%.1f f32_ns=%.1f ratio=%.2f\n", BLOCK, t64[RUNS / 2], t32[RUNS / 2],
           t64[RUNS / 2] / t32[RUNS / 2]);
    network_free(&w);
    net_free(&net);
    free(x);
    free(y);
    free(xf);
    free(yf);
    return 0;
}
