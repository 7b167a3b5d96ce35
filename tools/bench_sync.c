/* bench_sync: what it costs two threads of this machine to meet, the
 * figures behind the "Two threads" paragraph of docs/performance.md.
 *
 *   bench_sync
 *       Prints one line: `bench_sync region_us=.. barrier_us=..
 *       line_ns=.. cpu0_ns=.. cpu1_ns=.. both_ns=..`, each the median of
 *       5 runs (nan where a CPU is not available):
 *         region_us   an empty `omp parallel num_threads(2)`, entered and
 *                     left (what a training step with 2 threads pays once)
 *         barrier_us  an `omp barrier` of 2 threads inside one region
 *                     (what a step would pay in a region lasting across
 *                     steps)
 *         line_ns     one cache line moved from one core to the other:
 *                     half the round trip of two threads taking turns on
 *                     one counter (a lower bound for any way of meeting)
 *         cpuN_ns     the 2-2-1 block kernel (net_grad_block, 64 rows,
 *                     its own 65,536 rows) on one thread held to CPU N
 *                     alone, for CPU 0 and 1 (when the process may use
 *                     them): whether the two cores are equally fast
 *         both_ns     the same on both CPUs at once, each thread with its
 *                     own network, workspace and rows (nothing shared):
 *                     the slower thread's figure, so how much two busy
 *                     cores slow each other down
 *
 * The turn-taking counter spins on a C11 atomic: that is the measurement
 * of the hardware, not a pattern for the training code (which meets only
 * through OpenMP; STYLE.md). Built without OpenMP, it prints nothing and
 * exits 1. */
#define _GNU_SOURCE /* clock_gettime, pthread_setaffinity_np */

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bench_util.h"
#include "net.h"
#include "rng.h"

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

/* Holds the calling thread to CPU cpu; 0, or -1 when it may not run there. */
static int hold_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) ? -1 : 0;
}

/* Seconds per 64-row block of net_grad_block over rows of its own, on the
 * calling thread; NAN when out of memory. */
static double block_run(void)
{
    enum { ROWS = 65536, BLOCK = 64, REPEAT = 20 };
    Net net;
    NetWork w = { 0 };
    Err err = { 0 };
    int hidden[] = { 2 };
    double *x = malloc(2 * ROWS * sizeof *x), *y = malloc(ROWS * sizeof *y), g[9] = { 0 }, loss = 0.0;
    double dt = NAN;
    if (x && y && !net_init(&net, 2, hidden, 1, 1, ACT_SIGMOID, ACT_LINEAR, &err)) {
        if (!network_init(&w, &net, BLOCK, &err)) {
            net_init_xavier(&net, 1);
            Rng r = rng_stream(1, 1);
            for (int i = 0; i < 2 * ROWS; i++)
                x[i] = 4.0 * rng_uniform(&r) - 2.0;
            for (int i = 0; i < ROWS; i++)
                y[i] = 2.0 * rng_uniform(&r) - 1.0;
            double t0 = bench_now();
            for (int rep = 0; rep < REPEAT; rep++)
                for (int b = 0; b < ROWS; b += BLOCK)
                    loss += net_grad_block(&net, net.params, x + 2 * b, y + b, BLOCK, &w, g);
            dt = (bench_now() - t0) / (REPEAT * (ROWS / BLOCK));
            if (!(loss + g[0] == loss + g[0])) /* every call used; a NaN is a failure */
                dt = NAN;
            network_free(&w);
        }
        net_free(&net);
    }
    free(x);
    free(y);
    return dt;
}

/* block_run on CPU cpu alone (the caller's CPUs restored after), NAN when
 * this process may not use that CPU. */
static double block_on(int cpu)
{
    cpu_set_t was;
    if (pthread_getaffinity_np(pthread_self(), sizeof was, &was) || hold_to(cpu))
        return NAN;
    double dt = block_run();
    pthread_setaffinity_np(pthread_self(), sizeof was, &was);
    return dt;
}
static double cpu0_s(void) { return block_on(0); }
static double cpu1_s(void) { return block_on(1); }

/* block_run on CPUs 0 and 1 at once, thread k held to CPU k (the team's
 * CPUs restored after): the slower one. */
static double both_s(void)
{
    double worst = 0.0;
#pragma omp parallel num_threads(2) shared(worst)
    {
        cpu_set_t was;
        const int me = omp_get_thread_num();
        const int held = omp_get_num_threads() == 2 && !pthread_getaffinity_np(pthread_self(), sizeof was, &was) &&
                         !hold_to(me);
#pragma omp barrier
        double dt = held ? block_run() : NAN;
        if (held)
            pthread_setaffinity_np(pthread_self(), sizeof was, &was);
#pragma omp critical
        worst = isnan(dt) || isnan(worst) ? NAN : dt > worst ? dt : worst;
    }
    return worst;
}
#endif

int main(void)
{
#ifdef _OPENMP
    double (*const what[])(void) = { region_s, barrier_s, line_s, cpu0_s, cpu1_s, both_s };
    double med[6];
    for (int w = 0; w < 6; w++) {
        double r[RUNS];
        what[w](); /* warm: threads started, pages touched */
        for (int i = 0; i < RUNS; i++)
            r[i] = what[w]();
        qsort(r, RUNS, sizeof r[0], bench_cmp);
        med[w] = r[RUNS / 2];
    }
    printf("bench_sync region_us=%.2f barrier_us=%.2f line_ns=%.0f cpu0_ns=%.0f cpu1_ns=%.0f both_ns=%.0f\n",
           med[0] * 1e6, med[1] * 1e6, med[2] * 1e9, med[3] * 1e9, med[4] * 1e9, med[5] * 1e9);
    return 0;
#else
    fprintf(stderr, "bench_sync: built without OpenMP\n");
    return 1;
#endif
}
