/* bench_fann: the FANN 2.2 (double) side of tools/bench.
 *
 *   bench_fann incremental|batch 2-2-1|2-64-64-1 DATA
 *
 * DATA is the file `bench_train data N PATH` writes (float64 x1[N] x2[N]
 * y[N]). The job matches housenet's: sigmoid hidden units (FANN_SIGMOID
 * with steepness 0.5 is 1/(1+e^-x)), a linear output (steepness 1), plain
 * squared error (FANN_ERRORFUNC_LINEAR; FANN's default tanh error is off),
 * no momentum, the rows shuffled (fann_shuffle_train_data) before every
 * epoch. incremental = per-sample SGD (batch 1); batch = full batch.
 * Prints `fann arch=.. batch=.. samples_per_s=..`, the median of REPS runs
 * of whole epochs lasting about TARGET seconds each (environment, defaults
 * 3 and 1). */
#define _DEFAULT_SOURCE /* clock_gettime */

#include <doublefann.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"

static struct fann *fb_net(int wide, int incremental)
{
    struct fann *ann = wide ? fann_create_standard(4, 2, 64, 64, 1) : fann_create_standard(3, 2, 2, 1);
    if (!ann)
        return NULL;
    fann_set_activation_function_hidden(ann, FANN_SIGMOID);
    fann_set_activation_function_output(ann, FANN_LINEAR);
    fann_set_activation_steepness_hidden(ann, 0.5);
    fann_set_activation_steepness_output(ann, 1.0);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    fann_set_training_algorithm(ann, incremental ? FANN_TRAIN_INCREMENTAL : FANN_TRAIN_BATCH);
    fann_set_learning_rate(ann, 0.1f);
    fann_set_learning_momentum(ann, 0.0f);
    srand(1);
    fann_randomize_weights(ann, -0.5, 0.5);
    return ann;
}

/* Seconds for `epochs` epochs of a fresh network. */
static double fb_epochs(int wide, int incremental, struct fann_train_data *data, long epochs)
{
    struct fann *ann = fb_net(wide, incremental);
    if (!ann) {
        fprintf(stderr, "bench_fann: fann_create_standard failed\n");
        exit(1);
    }
    double t0 = bench_now();
    for (long e = 0; e < epochs; e++) {
        fann_shuffle_train_data(data);
        fann_train_epoch(ann, data);
    }
    double el = bench_now() - t0;
    fann_destroy(ann);
    return el;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "incremental") && strcmp(argv[1], "batch")) ||
        (strcmp(argv[2], "2-2-1") && strcmp(argv[2], "2-64-64-1"))) {
        fprintf(stderr, "usage: bench_fann incremental|batch 2-2-1|2-64-64-1 DATA\n");
        return 2;
    }
    int incremental = strcmp(argv[1], "incremental") == 0, wide = strcmp(argv[2], "2-64-64-1") == 0;
    FILE *f = fopen(argv[3], "rb");
    if (!f || fseek(f, 0, SEEK_END)) {
        perror(argv[3]);
        return 1;
    }
    long n = ftell(f) / (3 * (long)sizeof(double));
    double *v = malloc((size_t)(3 * n) * sizeof(double));
    rewind(f);
    if (n < 1 || !v || fread(v, sizeof(double), (size_t)(3 * n), f) != (size_t)(3 * n)) {
        fprintf(stderr, "bench_fann: %s: cannot read %ld rows\n", argv[3], n);
        return 1;
    }
    fclose(f);
    struct fann_train_data *data = fann_create_train((unsigned)n, 2, 1);
    for (long i = 0; i < n; i++) {
        data->input[i][0] = v[i];
        data->input[i][1] = v[n + i];
        data->output[i][0] = v[2 * n + i];
    }
    const char *te = getenv("TARGET"), *re = getenv("REPS");
    double target = te && *te ? atof(te) : 1.0;
    int reps = re && *re ? atoi(re) : 3;
    reps = reps < 1 ? 1 : reps > 15 ? 15 : reps;
    long ep = 1;
    double el;
    while ((el = fb_epochs(wide, incremental, data, ep)) < 0.2)
        ep *= 2;
    long epochs = (long)(target / (el / (double)ep) + 0.5);
    epochs = epochs < 1 ? 1 : epochs;
    double sps[15];
    for (int r = 0; r < reps; r++)
        sps[r] = (double)n * (double)epochs / fb_epochs(wide, incremental, data, epochs);
    qsort(sps, (size_t)reps, sizeof sps[0], bench_cmp);
    printf("fann arch=%s batch=%ld rows=%ld epochs=%ld samples_per_s=%.4g\n", argv[2], incremental ? 1L : n, n, epochs,
           sps[reps / 2]);
    fann_destroy_train(data);
    free(v);
    return 0;
}
