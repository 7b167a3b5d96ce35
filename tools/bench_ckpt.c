/* bench_ckpt: how long writing and reading a checkpoint takes.
 *
 *   cmake --build build/release --target bench_ckpt
 *   build/release/bench_ckpt [DIR] [REPS]     # DIR default /tmp, REPS 50
 *
 * For 2-2-1, 2-16-16-1, 2-64-64-1 and 2-256-256-1 networks with plain SGD,
 * 201 curve rows (a 200-epoch run) and the rest of a real checkpoint, times
 * ckpt_save into DIR (built in memory, checksummed, written, fsynced,
 * renamed, directory fsynced), ckpt_load (checksum verified) and, for
 * comparison, h5_model_save (model.h5, best.h5). Prints the median and the
 * largest of REPS runs, and the file sizes. The fsyncs make the write time
 * depend on the disk under DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "checkpoint.h"
#include "h5model.h"
#include "model.h"

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void die(const Err *err)
{
    fprintf(stderr, "bench_ckpt: %s\n", err->msg);
    exit(1);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int reps = argc > 2 ? atoi(argv[2]) : 50;
    if (reps < 1)
        reps = 1;
    static const char *const cols[] = { "train_loss", "val_loss", "learning_rate", "samples_per_s",
                                        "wall_time_s" };
    static const char *const feats[] = { "Gr_Liv_Area", "TotRms_AbvGrd" };
    const int shapes[][2] = { { 1, 2 }, { 2, 16 }, { 2, 64 }, { 2, 256 } };
    double *t_save = malloc((size_t)reps * sizeof(double));
    double *t_load = malloc((size_t)reps * sizeof(double));
    double *t_model = malloc((size_t)reps * sizeof(double));
    char ckpt[4096], model[4096];
    snprintf(ckpt, sizeof ckpt, "%s/bench_ckpt-%ld.h5", dir, (long)getpid());
    snprintf(model, sizeof model, "%s/bench_model-%ld.h5", dir, (long)getpid());
    printf("%-12s %8s %11s %11s %11s %11s %11s %11s\n", "network", "params", "ckpt bytes",
           "save med", "save max", "load med", "model bytes", "model med");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        Err err = { 0 };
        Net net, back;
        Optim opt, opt2;
        Curves cv, cv2;
        int hidden[2] = { shapes[s][1], shapes[s][1] };
        int nh = shapes[s][0];
        if (net_init(&net, 2, hidden, nh, 1, ACT_SIGMOID, ACT_LINEAR, &err) ||
            net_init(&back, 2, hidden, nh, 1, ACT_SIGMOID, ACT_LINEAR, &err) ||
            optim_init(&opt, OPT_SGD, net.nparams, &err) || optim_init(&opt2, OPT_SGD, net.nparams, &err) ||
            curves_init(&cv, cols, 5, &err) || curves_init(&cv2, cols, 5, &err))
            die(&err);
        net_init_xavier(&net, 42);
        for (int e = 0; e <= 200; e++) {
            double v[5] = { 1.0 / (e + 1), 1.1 / (e + 1), 0.05, 1e6, 1e-3 };
            if (curves_push(&cv, e, v, &err))
                die(&err);
        }
        double *best = malloc(net.nparams * sizeof(double)), *best2 = malloc(net.nparams * sizeof(double));
        memcpy(best, net.params, net.nparams * sizeof(double));
        TrainState st = { .epoch = 200, .step = 13000, .lr = 0.05, .lr_scale = 1.0 }, st2;
        Ckpt c = { .net = &net, .opt = &opt, .st = &st, .curves = &cv, .best = { 110, 0.26, best },
                   .feat_names = feats, .target_name = "Sale_Price",
                   .config_text = "[data]\npath = ames.csv\n[train]\nepochs = 200\n" };
        if (norm_alloc(&c.norm, 2, &err))
            die(&err);
        c.norm.x_scale[0] = c.norm.x_scale[1] = 1.0;
        Model m = { .net = net, .norm = c.norm, .nfeat = 2, .feat_names = (char **)feats,
                    .target_name = "Sale_Price", .config_text = (char *)c.config_text };
        for (int r = 0; r < reps; r++) {
            double t0 = bench_now();
            if (ckpt_save(ckpt, &c, &err))
                die(&err);
            double t1 = bench_now();
            Ckpt l = { .net = &back, .opt = &opt2, .st = &st2, .curves = &cv2, .best = { 0, 0, best2 } };
            if (ckpt_load(ckpt, &l, &err))
                die(&err);
            double t2 = bench_now();
            ckpt_release(&l);
            if (h5_model_save(model, &m, &err))
                die(&err);
            double t3 = bench_now();
            t_save[r] = t1 - t0;
            t_load[r] = t2 - t1;
            t_model[r] = t3 - t2;
        }
        if (memcmp(back.params, net.params, net.nparams * sizeof(double)) != 0) {
            fprintf(stderr, "bench_ckpt: the loaded parameters differ\n");
            return 1;
        }
        qsort(t_save, (size_t)reps, sizeof(double), bench_cmp);
        qsort(t_load, (size_t)reps, sizeof(double), bench_cmp);
        qsort(t_model, (size_t)reps, sizeof(double), bench_cmp);
        char name[32];
        snprintf(name, sizeof name, nh == 1 ? "2-%d-1" : "2-%d-%d-1", hidden[0], hidden[1]);
        printf("%-12s %8zu %11ld %9.2f ms %8.2f ms %8.2f ms %11ld %8.2f ms\n", name, net.nparams,
               file_size(ckpt), 1e3 * t_save[reps / 2], 1e3 * t_save[reps - 1], 1e3 * t_load[reps / 2],
               file_size(model), 1e3 * t_model[reps / 2]);
        norm_free(&c.norm);
        free(best);
        free(best2);
        curves_free(&cv);
        curves_free(&cv2);
        optim_free(&opt);
        optim_free(&opt2);
        net_free(&net);
        net_free(&back);
    }
    unlink(ckpt);
    unlink(model);
    free(t_save);
    free(t_load);
    free(t_model);
    return 0;
}
