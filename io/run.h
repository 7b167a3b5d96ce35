/* run: a training run from a config, end to end.
 * Owns the order of a run -- config, data, network, trainer, then the files
 * in the run directory -- and the per-step and per-epoch hooks that log
 * curves and progress. Nothing is written to the run directory before the
 * config and the data have been read and checked. Progress goes to the
 * `progress` stream, results to `out`; errors are returned, not printed. */
#ifndef HOUSENET_RUN_H
#define HOUSENET_RUN_H

#include <signal.h>
#include <stdio.h>

#include "comm.h"
#include "config.h"
#include "err.h"
#include "loader.h"
#include "metrics.h"
#include "net.h"
#include "optim.h"
#include "train.h"

#define RUN_MAX_SETS 64

/* What a finished run measured, in the target's units (RunArgs.result). */
typedef struct RunResult {
    long long epochs;                   /* the epoch it ended at */
    Metrics val, test;                  /* rows 0: the split has no such rows */
} RunResult;

typedef struct RunArgs {
    const char *config;                 /* the INI file */
    const char *sets[RUN_MAX_SETS];     /* section.key=value overrides, in order */
    int nsets;
    int quiet;                          /* no progress output */
    int resume;                         /* --resume: continue from a checkpoint */
    const char *resume_from;            /* its RUN_DIR or CKPT argument; NULL: the config's run dir */
    int force;                          /* --force: resume despite config changes, or
                                           replace an earlier run in the run dir */
    volatile sig_atomic_t *stop;        /* when it becomes nonzero (a signal number), training
                                           stops after the current step with a checkpoint and
                                           E_STOP; may be NULL. Set by main's signal handler. */
    int dry_run;                        /* train: print what would run, train and write nothing */
    FILE *progress;                     /* progress lines (stderr) */
    FILE *out;                          /* results (stdout) */
    const Comm *comm;                   /* the ranks of the job (NULL: one process);
                                           rank 0 alone writes files and output */
    const DataFold *fold;               /* housenet cv (io/cv.h): train on this fold's rows
                                           (loader_load_fold) instead of the seeded split */
    RunResult *result;                  /* NULL, or filled by run_train at the end (housenet sweep) */
    void (*loading)(int on, int writer); /* NULL, or called with on = 1 before the data load
                                            and 0 after it, when nothing of the run is on disk
                                            yet (housenet train: a stop signal then ends the
                                            process at once, cmd_loading) */
} RunArgs;

/* Config file, then the overrides, then the cross-key checks. c is
 * zeroed, from cfg_new(), or a Config an earlier call filled: what it
 * holds is freed first (a Config left uninitialised on the stack made
 * `housenet sweep` free stack garbage: fuzz_argv). */
int run_load_config(const RunArgs *a, Config *c, Err *err);

/* The run directory c names: [run] dir, or runs/<config file stem>. */
void run_dir_of(const Config *c, char *dir, size_t cap);

/* Worker threads for [train] threads (0 = all cores). */
int run_threads(int threads);

/* "SIGTERM" for a stop signal housenet catches, else "signal N" in buf. */
const char *run_signal_name(int signo, char *buf, size_t cap);

/* Removes a run's files from dir: its checkpoints (then CKPT_SUBDIR when
 * that leaves it empty), model.h5, best.h5, curves.h5 and .lock. Best
 * effort; the caller holds the lock or made the directory. */
void run_remove_files(const char *dir);

/* The trainer's options as c says, for batches of bs rows on `threads`
 * workers (bs: [train] batch_size, at most the training rows). */
TrainOpts run_train_opts(const Config *c, int bs, int threads);
/* The optimizer c names, for n parameters, with c's hyperparameters. */
int run_optim_init(const Config *c, size_t n, Optim *opt, Err *err);

/* `housenet train`: trains and writes RUN/model.h5, RUN/curves.h5,
 * RUN/best.h5 (lowest validation loss) and checkpoints in RUN/checkpoints/
 * (at the start, every [run] checkpoint_every epochs and
 * checkpoint_every_steps steps, on a stop request, and at the end);
 * progress on a->progress, a summary (best epoch, validation and test
 * metrics in target units, time) on a->out. With a->dry_run: the resolved
 * config, a data summary and the memory the run needs, and nothing else.
 * Refuses (E_USAGE) to start afresh in a run dir that holds another run's
 * files unless a->force. With a->resume, continues from the newest good
 * checkpoint (damaged ones are renamed *.damaged with a warning), refusing
 * (E_STATE, naming the keys) a config or data change that would alter the
 * result unless a->force. E_STOP after a stop request, with the
 * checkpoint's path in the message. */
int run_train(const RunArgs *a, Err *err);

/* `housenet explain`: one explained step on the first training row. */
int run_explain(const RunArgs *a, Err *err);

#endif
