/* bench_stream: writes the table tools/bench_stream.sh trains on, straight
 * into HDF5 (no CSV in between): `bench_stream OUT.h5 ROWS` writes columns
 * x1, x2, y of ROWS rows, 65536 at a time, through h5_table_writer (the
 * layout `housenet convert` writes). x1 = u, x2 = 1000 v, y = 2u - v + 0.1 w
 * with u, v, w uniform from a fixed seed. Memory does not grow with ROWS. */
#include <stdio.h>
#include <stdlib.h>

#include "h5table.h"
#include "rng.h"

#define BATCH 65536

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_stream OUT.h5 ROWS\n");
        return 2;
    }
    size_t rows = strtoull(argv[2], NULL, 10);
    static double cols[3 * BATCH];
    const char *names[] = { "x1", "x2", "y" };
    H5TableWriter *w = NULL;
    Err e = { 0 };
    Rng r = rng_stream(1, 77);
    int rc = h5_table_writer_open(argv[1], "table", names, 3, "bench_stream", 0, &w, &e);
    for (size_t done = 0; !rc && done < rows; done += BATCH) {
        size_t n = rows - done < BATCH ? rows - done : BATCH;
        for (size_t i = 0; i < n; i++) {
            double u = rng_uniform(&r), v = rng_uniform(&r);
            cols[i] = u;
            cols[BATCH + i] = 1000.0 * v;
            cols[2 * BATCH + i] = 2.0 * u - v + 0.1 * rng_uniform(&r);
        }
        rc = h5_table_writer_append(w, cols, BATCH, n, &e);
    }
    if (!rc)
        rc = h5_table_writer_commit(w, &e);
    h5_table_writer_free(&w);
    if (rc) {
        fprintf(stderr, "bench_stream: %s\n", e.msg);
        return 1;
    }
    return 0;
}
