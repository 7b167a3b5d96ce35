/* bench_sync: what it costs two threads of this machine to meet, the
 * figures behind the README's "Two threads" paragraph.
 *
 *   bench_sync
 *       Prints one line: `bench_sync region_us=.. barrier_us=..
 *       line_ns=..`, each the median of 5 runs:
 *         region_us   an empty `omp parallel num_threads(2)`, entered and
 *                     left (what a training step with 2 threads pays once)
 *         barrier_us  an `omp barrier` of 2 threads inside one region
 *                     (what a step would pay in a region lasting across
 *                     steps)
 *         line_ns     one cache line moved from one core to the other:
 *                     half the round trip of two threads taking turns on
 *                     one counter (a lower bound for any way of meeting)
 *
 * The turn-taking counter spins on a C11 atomic: that is the measurement
 * of the hardware, not a pattern for the training code (which meets only
 * through OpenMP; STYLE.md). Built without OpenMP, it prints nothing and
 * exits 1. */
#define _DEFAULT_SOURCE /* clock_gettime */

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bench_util.h"

enum { RUNS = 5, N = 100000 };

#ifdef _OPENMP
/* Seconds for one empty parallel region of 2 threads. */
static double region_s(void)
{
    double t0 = bench_now();
    for (int i = 0; i < N; i++) {
#pragma omp parallel num_threads(2)
        {
            __asm__ volatile("" ::: "memory");
        }
    }
    return (bench_now() - t0) / N;
}

/* Seconds for one barrier of 2 threads (the region's own cost spread over N). */
static double barrier_s(void)
{
    double t0 = bench_now();
#pragma omp parallel num_threads(2)
    for (int i = 0; i < N; i++) {
#pragma omp barrier
    }
    return (bench_now() - t0) / N;
}

/* Seconds for one cache line to move between the threads' cores: thread
 * t waits for the counter to reach a value of its parity and adds 1, so
 * every add moves the line across. */
static double line_s(void)
{
    static _Alignas(64) atomic_long turn;
    atomic_store(&turn, 0);
    double t = 0;
#pragma omp parallel num_threads(2) shared(turn, t)
    {
        const long me = omp_get_thread_num();
        if (omp_get_num_threads() == 2) {
#pragma omp barrier
            double t0 = bench_now();
            for (long k = me; k < 2L * N; k += 2) {
                while (atomic_load_explicit(&turn, memory_order_acquire) != k)
                    ;
                atomic_store_explicit(&turn, k + 1, memory_order_release);
            }
            if (me == 0)
                t = (bench_now() - t0) / (2.0 * N);
        }
    }
    return t;
}
#endif

int main(void)
{
#ifdef _OPENMP
    double (*const what[])(void) = { region_s, barrier_s, line_s };
    double med[3];
    for (int w = 0; w < 3; w++) {
        double r[RUNS];
        what[w](); /* warm: threads started, pages touched */
        for (int i = 0; i < RUNS; i++)
            r[i] = what[w]();
        qsort(r, RUNS, sizeof r[0], bench_cmp);
        med[w] = r[RUNS / 2];
    }
    printf("bench_sync region_us=%.2f barrier_us=%.2f line_ns=%.0f\n", med[0] * 1e6, med[1] * 1e6, med[2] * 1e9);
    return 0;
#else
    fprintf(stderr, "bench_sync: built without OpenMP\n");
    return 1;
#endif
}
