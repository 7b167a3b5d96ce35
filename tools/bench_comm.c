/* bench_comm: the time of one allgatherv of the Comm housenet trains with
 * (io/commload.h, libhousenet_mpi.so) against its payload: the bytes every
 * rank ends with, split evenly over the ranks, as a step's gather of group
 * sums is. Run under mpirun, e.g.
 *   mpirun -np 2 --mca btl vader,self build/release/bench_comm
 *   mpirun -np 2 --mca btl tcp,self build/release/bench_comm
 * Rank 0 prints one line per payload: bytes, the median over 7 batches of
 * the mean time of one collective, and the payload over that time. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "commload.h"

int main(void)
{
    Comm c;
    Err err = { 0 };
    if (commload_open(&c, &err)) {
        fprintf(stderr, "bench_comm: %s\n", err.msg);
        return 1;
    }
    const size_t k = (size_t)c.size;
    size_t *counts = malloc(2 * k * sizeof *counts);
    char *buf = malloc((size_t)32 << 20);
    if (!counts || !buf)
        c.abort(&c, 1);
    if (c.rank == 0)
        printf("ranks %d\n%12s %12s %10s\n", c.size, "payload_B", "median_us", "GB/s");
    for (size_t total = 64; total <= ((size_t)32 << 20); total *= 4) {
        for (size_t q = 0; q < k; q++) {
            counts[k + q] = comm_share(total, (int)q, c.size);
            counts[q] = comm_share(total, (int)q + 1, c.size) - counts[k + q];
        }
        memset(buf, c.rank + 1, total);
        size_t reps = (size_t)(2e8 / (double)total);
        reps = reps < 5 ? 5 : reps > 2000 ? 2000 : reps;
        enum { BATCHES = 7 };
        double t[BATCHES];
        for (int b = -1; b < BATCHES; b++) { /* b = -1: warm-up */
            double t0 = bench_now();
            for (size_t r = 0; r < reps; r++)
                if (comm_allgatherv(&c, buf, counts, counts + k, &err)) {
                    fprintf(stderr, "bench_comm: %s\n", err.msg);
                    c.abort(&c, 1);
                }
            if (b >= 0)
                t[b] = (bench_now() - t0) / (double)reps;
        }
        qsort(t, BATCHES, sizeof t[0], bench_cmp);
        if (c.rank == 0)
            printf("%12zu %12.2f %10.3f\n", total, t[BATCHES / 2] * 1e6, (double)total / t[BATCHES / 2] / 1e9);
    }
    free(buf);
    free(counts);
    commload_close(&c);
    return 0;
}
