/* bench_util: the wall clock and the median's sort order that every
 * benchmark in tools/ times with. Header only (each tool is one file; the
 * FANN one is built by tools/bench outside CMake). Needs _DEFAULT_SOURCE
 * (or _POSIX_C_SOURCE) defined before the first system header, for
 * clock_gettime. */
#ifndef HOUSENET_BENCH_UTIL_H
#define HOUSENET_BENCH_UTIL_H

#include <time.h>

/* Seconds on the monotonic clock. */
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* qsort order of doubles, ascending. */
static inline int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif
