/* runctx: what run.c and runsum.c share (private to io/run*.c): a
 * session's pieces, the state the training hooks share, and the printing
 * of a run (runsum.c: --dry-run, the memory check, the summary). */
#ifndef HOUSENET_RUNCTX_H
#define HOUSENET_RUNCTX_H

#include <stdio.h>

#include "checkpoint.h"
#include "config.h"
#include "curves.h"
#include "loader.h"
#include "metrics.h"
#include "progress.h"
#include "run.h"
#include "stream.h"
#include "train.h"

/* The pieces every command that trains or explains needs. */
typedef struct Session {
    Config *cfg;           /* owned (cfg_new) */
    Splits sp;
    Net net;
    StreamTrain *stream;   /* [data] stream: the training rows, read a chunk at a time */
    StreamCounts counts;   /* with stream: the rows the split drew */
} Session;

#define RUN_PATH_MAX (CFG_PATH_MAX + 64)

/* What the hooks of one run share. The hooks get the objects run_train
 * hands to train_run, which ctx also holds as net and opt. */
typedef struct RunCtx {
    const Comm *comm;                 /* the job's ranks */
    int writer;                       /* 1 on rank 0: writes the run dir, prints */
    const Config *cfg;
    const RunArgs *args;
    const Session *s;
    Net *net;
    Optim *opt;
    Curves curves;
    char run_dir[CFG_PATH_MAX];
    char ckpt_dir[RUN_PATH_MAX];
    char curves_path[RUN_PATH_MAX];
    char best_path[RUN_PATH_MAX];
    char ckpt_path[RUN_PATH_MAX];     /* the newest checkpoint written or resumed from */
    char *config_text;                /* owned: the resolved config */
    CkptDataId data;
    CkptBest best;                    /* params owned */
    int best_dirty;                   /* best.h5 is behind best */
    int64_t saved_epoch, saved_step;  /* state of ckpt_path; -1 for none */
    double last_flush;
    double last_ckpt;                 /* train_now_s() of the last checkpoint written */
    double t_start;                   /* train_now_s() when run_train began */
    double epoch_secs;                /* the epochs' own wall time (EpochStats.seconds), summed */
    double file_secs;                 /* wall time spent writing checkpoints, best.h5 and curves.h5 */
    double run_file_secs;             /* the part of file_secs spent inside train_run */
    double train_secs;                /* wall time of train_run */
    Progress progress;
    Trainer *tr;                      /* for predictions between steps */
    const Dataset *val;               /* NULL without validation rows */
    double *pred;                     /* owned, (max(validation rows, test rows)) */
    const Norm *norm;
    int lock;                         /* RUN/.lock held (dir_lock), -1 before */
    uint64_t *rank_rows;              /* owned, streamed with ranks: (size, 3) per rank its first
                                         pass's file rows, training rows among them, all rows read */
} RunCtx;

#define RUN_NCURVE_COLS 8 /* columns of /curves (run.c's CURVE_COLS) */
/* [train] threads = 0 starting while the other cores are busy: one thread
 * for this long before the first probe (ThreadProbe, src/train.h). */
#define RUN_BUSY_HOLD_S 2.0

/* Metrics of the network on d (normalised rows) in data units (run.c). */
void run_eval_set(RunCtx *ctx, const Net *net, const Dataset *d, Metrics *m);

/* --dry-run: the resolved config, the data and the memory the run would
 * use; nothing is trained or written. */
int run_dry_run(const RunArgs *a, const Session *s, int threads, int bs, Err *err);

/* Refuses (E_CONFIG, both numbers and a hint) a run whose estimate exceeds
 * the memory available (sysmem_available), before anything is allocated
 * for the network. s->net is the layout. */
int run_check_memory(const RunArgs *a, const Session *s, Err *err);

/* The results of a finished run on out. */
void run_summary(FILE *out, RunCtx *ctx, const Session *s, const TrainState *st, const char *model_path,
                 double secs);

#endif
