/* fuzz_checkpoint: libFuzzer target for the checkpoint reader
 * (io/checkpoint.c, io/ckptwalk.c) and `housenet inspect` of a checkpoint
 * (docs/development.md, docs/hardening.md).
 *
 * Input: an HDF5 file image, written to a file in the target's temporary
 * directory, then read as `--resume` reads it: ckpt_read_config (format,
 * version, checksum, the stored config), the config through
 * cfg_load_text and cfg_finish, ckpt_config_check against itself, and
 * ckpt_load into a network, optimizer, state and curves of the shapes that
 * config gives (as io/run.c builds them); and described as `inspect`
 * does (ckpt_describe). The fuzz build compiles the libraries with
 * FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, under which a checksum
 * mismatch is not an error, so that changed bytes reach the readers behind
 * it; the replay build keeps the check. Nothing may crash, leak or hang; a
 * failure returns a negative code with a message. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "checkpoint.h"
#include "config.h"
#include "fuzz_util.h"
#include "loader.h"
#include "run.h"
#include "runctx.h"

/* The columns of a run's /curves, in run.c's order (CURVE_COLS). */
static const char *const COLS[] = { "train_loss", "val_loss", "learning_rate", "samples_per_s",
                                    "wall_time_s", "grad_norm", "val_rmse", "val_mae" };
_Static_assert(sizeof COLS / sizeof COLS[0] == RUN_NCURVE_COLS, "run.c's curve columns");

/* Parameters of the network c describes; a config may ask for any size,
 * and the target skips the large ones rather than allocate them. */
static double count_params(const Config *c)
{
    double n = 0, in = c->nfeat;
    for (int l = 0; l <= c->nhidden; l++) {
        double out = l < c->nhidden ? c->hidden_widths[l] : 1;
        n += (in + 1) * out;
        in = out;
    }
    return n;
}

/* ckpt_load into objects of the shapes cfg gives, as a resume does. */
static void load(const char *path, const Config *cfg)
{
    Net net = { 0 };
    Optim opt = { 0 };
    Curves curves = { 0 };
    Err err = { 0 };
    int rc = loader_build_net(cfg, cfg->nfeat, &net, &err);
    if (rc == 0)
        rc = run_optim_init(cfg, net.nparams, &opt, &err);
    if (rc == 0)
        rc = curves_init(&curves, COLS, RUN_NCURVE_COLS, &err);
    fuzz_check_err("shapes", rc, &err);
    double *best = rc == 0 ? malloc(net.nparams * sizeof *best) : NULL;
    double *snap = rc == 0 ? malloc((1 + (size_t)opt.nbufs) * net.nparams * sizeof *snap) : NULL;
    if (best && snap) {
        TrainOpts o = run_train_opts(cfg, cfg->batch_size, 1);
        TrainState st = train_state_start(&o);
        Ckpt c = { .net = &net, .opt = &opt, .st = &st, .curves = &curves,
                   .best = { -1, NAN, best }, .roll = { .vals = snap } };
        rc = ckpt_load(path, &c, &err);
        fuzz_check_err("ckpt_load", rc, &err);
        ckpt_release(&c);
    }
    free(best);
    free(snap);
    curves_free(&curves);
    optim_free(&opt);
    net_free(&net);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *null = fuzz_null();
    const char *path = fuzz_file("ckpt-e1-s1.h5", data, size);
    Err err = { 0 };
    fuzz_check_err("ckpt_describe", ckpt_describe(path, null, &err), &err);
    char *text = NULL;
    int rc = ckpt_read_config(path, &text, &err);
    fuzz_check_err("ckpt_read_config", rc, &err);
    if (rc == 0) {
        Config cfg;
        cfg_defaults(&cfg);
        rc = cfg_load_text(&cfg, text, "ckpt:/config", &err);
        if (rc == 0)
            rc = cfg_finish(&cfg, &err);
        fuzz_check_err("config", rc, &err);
        if (rc == 0 && (rc = ckpt_config_check(text, text, &err)) != 0)
            fuzz_fail("ckpt_config_check", err.msg);
        if (rc == 0 && count_params(&cfg) <= 1e6)
            load(path, &cfg);
        cfg_free(&cfg);
    }
    free(text);
    fuzz_check_h5_closed("fuzz_checkpoint");
    return 0;
}
