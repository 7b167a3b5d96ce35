/* run: a training run from a config, end to end.
 * Owns the order of a run -- config, data, network, trainer, then the files
 * in the run directory -- and the per-step and per-epoch hooks that log
 * curves and progress. Nothing is written to the run directory before the
 * config and the data have been read and checked. Progress goes to the
 * `progress` stream, results to `out`; errors are returned, not printed. */
#ifndef HOUSENET_RUN_H
#define HOUSENET_RUN_H

#include <stdio.h>

#include "config.h"
#include "err.h"
#include "loader.h"
#include "net.h"
#include "optim.h"
#include "train.h"

#define RUN_MAX_SETS 64

typedef struct RunArgs {
    const char *config;                 /* the INI file */
    const char *sets[RUN_MAX_SETS];     /* section.key=value overrides, in order */
    int nsets;
    int quiet;                          /* no progress output */
    int dry_run;                        /* train: print what would run, train and write nothing */
    FILE *progress;                     /* progress lines (stderr) */
    FILE *out;                          /* results (stdout) */
} RunArgs;

/* Parses `CONFIG [--set s.k=v]... [--quiet] [--dry-run]` into *a (argv is borrowed).
 * E_USAGE with a hint on a bad argument. */
int run_parse_args(int argc, char **argv, RunArgs *a, Err *err);

/* Config file, then the overrides, then the cross-key checks. */
int run_load_config(const RunArgs *a, Config *c, Err *err);

/* Worker threads for [train] threads (0 = all cores). */
int run_threads(int threads);

/* The trainer's options as c says, for batches of bs rows on `threads`
 * workers (bs: [train] batch_size, at most the training rows). */
TrainOpts run_train_opts(const Config *c, int bs, int threads);
/* The optimizer c names, for n parameters, with c's hyperparameters. */
int run_optim_init(const Config *c, size_t n, Optim *opt, Err *err);

/* `housenet train`: trains and writes RUN/model.h5 and RUN/curves.h5,
 * progress on a->progress, a summary (best epoch, validation and test
 * metrics in target units, time) on a->out. With a->dry_run: the resolved
 * config, a data summary and the memory the run needs, and nothing else. */
int run_train(const RunArgs *a, Err *err);

/* `housenet explain`: one explained step on the first training row. */
int run_explain(const RunArgs *a, Err *err);

#endif
