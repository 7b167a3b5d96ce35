/* bench_train: the driver behind tools/bench. Times housenet's training loop
 * as a user runs it: train_run (trainer_grad + the SGD update) over freshly
 * shuffled epochs, on the peers' synthetic data set in memory.
 *
 *   bench_train run ARCH BATCH THREADS [ROWS [ORDER]]
 *       ARCH 2-H1-...-Hk-1, e.g. 2-2-1 or 2-64-64-1 (sigmoid hidden
 *       layers, linear output; the data has 2 features); BATCH 0 =
 *       full batch; ROWS default 65536; ORDER is accepted for older
 *       scripts and ignored: the rows are put in a seeded random order
 *       once (train_rows_permute, as `housenet train` does; its seconds
 *       are printed as permute_s, outside samples_per_s), and train_run's
 *       order is always the chunk scheme (a seeded order of chunks of
 *       65536 rows and of the 16-row units of each, batches never
 *       straddling chunks).
 *       Prints one line: `housenet arch=.. batch=.. threads=.. rows=..
 *       order=.. kernel=.. epochs=.. samples_per_s=.. final_loss=..
 *       other_cpu=.. permute_s=..` (median of REPS runs of whole epochs, each run lasting
 *       about TARGET seconds; other_cpu is the CPU, in cores, that other
 *       programs used meanwhile: above ~0.1 the figure is suspect).
 *   bench_train pair ARCH BATCH [ROWS]
 *       The same job with 1 and with 2 threads, taking turns in one
 *       process on the same network and trainer: PAIRS (default 15)
 *       rounds of about TARGET seconds each way, the order flipped every
 *       round, so that the machine's drift (10-30 % from minute to minute
 *       on the VM measured) falls on both alike. Checks every round that
 *       both end on bit-identical
 *       parameters (exit 1 if not). Prints one line: `housenet pair
 *       arch=.. batch=.. rows=.. rounds=.. one_sps=.. two_sps=..
 *       ratio=.. ratio_lo=.. ratio_hi=.. other_cpu=..`: the medians of the
 *       rates and of the rounds' ratios (2 threads over 1), the quartiles
 *       of the ratio, and the CPU other programs took meanwhile.
 *   bench_train data N PATH
 *       writes the data set as raw float64 x1[N] x2[N] y[N] for the Python
 *       peers.
 *
 * Data (the peers' generator): x1, x2, noise ~ N(0,1) from splitmix64 +
 * Box-Muller (seed 12345, four uniforms a row), x1 and x2 standardised,
 * y = 0.6 x1 + 0.3 x2 + 0.1 sin(3 x1) + 0.05 noise.
 * Environment: TARGET (seconds a run lasts, default 1; pair: 0.1), REPS (default 3),
 * LR (default 0.1), PRECISION (float64, the default, or float32: the block
 * kernels in float, as `[train] precision = float32`; printed as
 * precision=..). */
#define _DEFAULT_SOURCE /* M_PI, clock_gettime */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "optim.h"
#include "rng.h"
#include "train.h"


/* CPU seconds used by every process on the machine (/proc/stat, all cores;
 * NAN where unavailable) and by this one: their difference over a run is
 * the load other programs put on the machine meanwhile. */
static double bench_cpu_all(void)
{
    FILE *f = fopen("/proc/stat", "r");
    unsigned long long v[8] = { 0 };
    int ok = f && fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                         &v[5], &v[6], &v[7]) == 8;
    if (f)
        fclose(f);
    /* user nice system idle iowait irq softirq steal: busy = all but idle, iowait */
    return ok ? (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK) : NAN;
}

static double bench_cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}

static uint64_t bench_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* uniform in (0, 1) */
static double bench_u01(uint64_t *s) { return ((double)(bench_next(s) >> 11) + 0.5) * 0x1.0p-53; }

/* x (n, 2) row-major, y (n): the peers' data set, row for row. */
static void bench_data(size_t n, double *x, double *y)
{
    uint64_t s = 12345;
    double m1 = 0, m2 = 0, v1 = 0, v2 = 0;
    for (size_t i = 0; i < n; i++) {
        double g[4];
        for (int k = 0; k < 4; k += 2) {
            double u1 = bench_u01(&s), u2 = bench_u01(&s);
            double r = sqrt(-2.0 * log(u1));
            g[k] = r * cos(2 * M_PI * u2);
            g[k + 1] = r * sin(2 * M_PI * u2);
        }
        x[2 * i] = g[0];
        x[2 * i + 1] = g[1];
        y[i] = g[2]; /* the noise, until x is standardised */
        m1 += g[0];
        m2 += g[1];
    }
    m1 /= (double)n;
    m2 /= (double)n;
    for (size_t i = 0; i < n; i++) {
        v1 += (x[2 * i] - m1) * (x[2 * i] - m1);
        v2 += (x[2 * i + 1] - m2) * (x[2 * i + 1] - m2);
    }
    double s1 = sqrt(v1 / (double)n), s2 = sqrt(v2 / (double)n);
    for (size_t i = 0; i < n; i++) {
        double x1 = (x[2 * i] - m1) / s1, x2 = (x[2 * i + 1] - m2) / s2;
        x[2 * i] = x1;
        x[2 * i + 1] = x2;
        y[i] = 0.6 * x1 + 0.3 * x2 + 0.1 * sin(3 * x1) + 0.05 * y[i];
    }
}

static double env_or(const char *name, double dflt)
{
    const char *v = getenv(name);
    return v && *v ? atof(v) : dflt;
}

/* Trains a fresh network for `epochs` epochs through train_run (the chunk
 * order: a seeded order of chunks of TRAIN_CHUNK rows and of the units of
 * TRAIN_UNIT rows of each); returns the seconds taken. */
static double bench_epochs(Trainer *t, Net *net, const Dataset *d, int batch, int threads, int64_t epochs)
{
    const double lr = env_or("LR", 0.1);
    net_init_xavier(net, 1);
    TrainOpts o = { .epochs = (int)epochs, .batch_size = batch, .lr = lr, .seed = 7, .threads = threads,
                    .shuffle = 1 };
    TrainState st = train_state_start(&o);
    TrainData td = train_data_memory(d);
    Optim opt;
    Err err = { 0 };
    if (optim_init(&opt, OPT_SGD, net->nparams, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        exit(1);
    }
    double t0 = bench_now();
    if (train_run(t, net, &opt, &td, NULL, &o, &st, NULL, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        exit(1);
    }
    double secs = bench_now() - t0;
    optim_free(&opt);
    return secs;
}

/* Parses ARCH into net (2-H1-...-1, sigmoid hidden layers, linear
 * output); 0, or 2 with a message. */
static int bench_net(const char *arch, Net *net)
{
    int w[NET_MAX_LAYERS + 1], nw = 0;
    for (const char *p = arch; nw <= NET_MAX_LAYERS && *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 4096 || (*end && *end != '-'))
            break;
        w[nw++] = (int)v;
        p = *end ? end + 1 : end;
    }
    if (nw < 2 || w[0] != 2 || w[nw - 1] != 1 || arch[strlen(arch) - 1] == '-') {
        fprintf(stderr, "bench_train: bad ARCH %s (2-H1-...-1, e.g. 2-2-1 or 2-64-64-1)\n", arch);
        return 2;
    }
    Err err = { 0 };
    if (net_init(net, 2, w + 1, nw - 2, 1, ACT_SIGMOID, ACT_LINEAR, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* The data set of `rows` rows into d, in the seeded random order `housenet
 * train` puts it in once after loading (*permute_s: its seconds). */
static int bench_dataset(size_t rows, Dataset *d, double *permute_s)
{
    Err err = { 0 };
    if (data_alloc(d, rows, 2, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 1;
    }
    bench_data(rows, d->x, d->y);
    double p0 = bench_now();
    train_rows_permute(d, 7, 0);
    *permute_s = bench_now() - p0;
    return 0;
}

/* A trainer for net on d with `threads` threads, in the precision the
 * environment's PRECISION names (*prec). */
static int bench_trainer(Trainer *t, const Net *net, const Dataset *d, int batch, int threads, const char **prec)
{
    Err err = { 0 };
    if (trainer_init(t, net, batch, threads, d->n, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg[0] ? err.msg : "out of memory");
        return 1;
    }
    *prec = getenv("PRECISION");
    *prec = *prec && **prec ? *prec : "float64";
    if (strcmp(*prec, "float32") == 0 ? trainer_use_f32(t, net, d, &err) : strcmp(*prec, "float64") != 0) {
        fprintf(stderr, "bench_train: PRECISION %s: %s\n", *prec, err.msg[0] ? err.msg : "float64 or float32");
        return 2;
    }
    return 0;
}

/* Whole epochs lasting about `target` seconds (at least 1), found by
 * doubling from 1 until a run takes 0.2 s or `target`, whichever is less. */
static int64_t bench_calibrate(Trainer *t, Net *net, const Dataset *d, int batch, int threads, double target)
{
    const double probe = target < 0.2 ? target : 0.2;
    int64_t ep = 1;
    double el;
    while ((el = bench_epochs(t, net, d, batch, threads, ep)) < probe)
        ep *= 2;
    int64_t epochs = (int64_t)(target / (el / (double)ep) + 0.5);
    return epochs < 1 ? 1 : epochs;
}

static int bench_run(const char *arch, int batch, int threads, size_t rows)
{
    if (batch <= 0 || (size_t)batch > rows)
        batch = (int)rows;
    Net net = { 0 };
    Dataset d = { 0 };
    Trainer t = { 0 };
    double permute_s;
    const char *prec;
    int rc;
    if ((rc = bench_net(arch, &net)) || (rc = bench_dataset(rows, &d, &permute_s)) ||
        (rc = bench_trainer(&t, &net, &d, batch, threads, &prec)))
        return rc;

    /* Calibrate: whole epochs until 0.2 s, then runs of about TARGET s. */
    const double target = env_or("TARGET", 1.0);
    int reps = (int)env_or("REPS", 3);
    reps = reps < 1 ? 1 : reps > 15 ? 15 : reps;
    const int64_t epochs = bench_calibrate(&t, &net, &d, batch, threads, target);
    double sps[15];
    double all0 = bench_cpu_all(), self0 = bench_cpu_self(), wall0 = bench_now();
    for (int r = 0; r < reps; r++)
        sps[r] = (double)rows * (double)epochs /
                 bench_epochs(&t, &net, &d, batch, threads, epochs);
    double other = (bench_cpu_all() - all0 - (bench_cpu_self() - self0)) / (bench_now() - wall0);
    qsort(sps, (size_t)reps, sizeof sps[0], bench_cmp);
    double loss = trainer_loss(&t, &net, &d);
    printf("housenet arch=%s batch=%d threads=%d rows=%zu order=%s kernel=%s precision=%s epochs=%lld samples_per_s=%.4g "
           "final_loss=%.6g other_cpu=%.2f permute_s=%.3g\n",
           arch, batch, threads, rows, "chunk", net_block_kernel(&net), prec, (long long)epochs,
           sps[reps / 2], loss, other < 0 ? 0.0 : other, permute_s);
    trainer_free(&t);
    data_free(&d);
    net_free(&net);
    return 0;
}

/* bench_train pair: see the top of the file. */
static int bench_pair(const char *arch, int batch, size_t rows)
{
    enum { MAX_ROUNDS = 101 };
    if (batch <= 0 || (size_t)batch > rows)
        batch = (int)rows;
    /* One network and one trainer (sized for 2 threads) serve both: with
     * two of each, the second pair's memory alone made 2-64-64-1 at batch
     * 1 run 5 % slower, 1 thread against 1 thread. */
    Net net = { 0 };
    Dataset d = { 0 };
    Trainer t = { 0 };
    double permute_s, *first = NULL;
    const char *prec;
    int rc;
    if ((rc = bench_net(arch, &net)) || (rc = bench_dataset(rows, &d, &permute_s)) ||
        (rc = bench_trainer(&t, &net, &d, batch, 2, &prec)))
        return rc;
    if (!(first = malloc(net.nparams * sizeof *first))) {
        fprintf(stderr, "bench_train: out of memory\n");
        return 1;
    }
    int rounds = (int)env_or("PAIRS", 15);
    rounds = rounds < 1 ? 1 : rounds > MAX_ROUNDS ? MAX_ROUNDS : rounds;
    t.threads = 1; /* at most as many as trainer_init was given: it holds a workspace for each */
    const int64_t epochs = bench_calibrate(&t, &net, &d, batch, 1, env_or("TARGET", 0.1));
    t.threads = 2;
    bench_epochs(&t, &net, &d, batch, 2, 1); /* the team started, pages touched */
    double one[MAX_ROUNDS], two[MAX_ROUNDS], ratio[MAX_ROUNDS];
    double all0 = bench_cpu_all(), self0 = bench_cpu_self(), wall0 = bench_now();
    for (int r = 0; r < rounds; r++) {
        double secs[2];
        for (int k = 0; k < 2; k++) {
            const int which = (r + k) % 2; /* 1 thread first in even rounds, 2 threads first in odd ones */
            t.threads = which + 1;
            secs[which] = bench_epochs(&t, &net, &d, batch, which + 1, epochs);
            if (k == 0) {
                memcpy(first, net.params, net.nparams * sizeof *first);
            } else if (memcmp(first, net.params, net.nparams * sizeof *first) != 0) {
                fprintf(stderr, "bench_train: pair %s batch %d: 1 and 2 threads ended on different parameters\n",
                        arch, batch);
                return 1;
            }
        }
        one[r] = (double)rows * (double)epochs / secs[0];
        two[r] = (double)rows * (double)epochs / secs[1];
        ratio[r] = secs[0] / secs[1];
    }
    /* the second thread's CPU is this process's own, so other_cpu is what
     * the rest of the machine took */
    double other = (bench_cpu_all() - all0 - (bench_cpu_self() - self0)) / (bench_now() - wall0);
    qsort(one, (size_t)rounds, sizeof one[0], bench_cmp);
    qsort(two, (size_t)rounds, sizeof two[0], bench_cmp);
    qsort(ratio, (size_t)rounds, sizeof ratio[0], bench_cmp);
    printf("housenet pair arch=%s batch=%d rows=%zu precision=%s rounds=%d epochs=%lld one_sps=%.4g two_sps=%.4g "
           "ratio=%.3f ratio_lo=%.3f ratio_hi=%.3f other_cpu=%.2f\n",
           arch, batch, rows, prec, rounds, (long long)epochs, one[rounds / 2], two[rounds / 2], ratio[rounds / 2],
           ratio[rounds / 4], ratio[(3 * rounds) / 4], other < 0 ? 0.0 : other);
    free(first);
    trainer_free(&t);
    net_free(&net);
    data_free(&d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "data") == 0) {
        size_t n = (size_t)atoll(argv[2]);
        double *x = malloc(2 * n * sizeof *x), *y = malloc(n * sizeof *y), *col = malloc(n * sizeof *col);
        FILE *f = fopen(argv[3], "wb");
        if (!x || !y || !col || !f) {
            perror(argv[3]);
            return 1;
        }
        bench_data(n, x, y);
        for (int c = 0; c < 2; c++) {
            for (size_t i = 0; i < n; i++)
                col[i] = x[2 * i + (size_t)c];
            fwrite(col, sizeof *col, n, f);
        }
        fwrite(y, sizeof *y, n, f);
        if (ferror(f) | fclose(f)) {
            perror(argv[3]);
            return 1;
        }
        free(x);
        free(y);
        free(col);
        return 0;
    }
    if (argc >= 5 && argc <= 7 && strcmp(argv[1], "run") == 0) {
        size_t rows = argc >= 6 ? (size_t)atoll(argv[5]) : 65536;
        if (rows < 1) {
            fprintf(stderr, "bench_train: ROWS must be at least 1\n");
            return 2;
        }
        return bench_run(argv[2], atoi(argv[3]), atoi(argv[4]), rows);
    }
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "pair") == 0) {
        size_t rows = argc == 5 ? (size_t)atoll(argv[4]) : 65536;
        if (rows < 1) {
            fprintf(stderr, "bench_train: ROWS must be at least 1\n");
            return 2;
        }
        return bench_pair(argv[2], atoi(argv[3]), rows);
    }
    fprintf(stderr, "usage: bench_train run ARCH BATCH THREADS [ROWS [run|chunk]] | bench_train pair ARCH BATCH "
                    "[ROWS] | bench_train data N PATH\n");
    return 2;
}
