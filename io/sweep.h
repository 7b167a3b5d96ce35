/* sweep: what `housenet sweep CONFIG [--grid section.key=v1,v2,...]...
 * [--seeds N] [--cv K] [--budget N --random S] [--json] [--resume]
 * [--force]` does: many training runs of one config, each with its own
 * overrides, in a pool of worker processes, and one results table.
 *
 * The grid: the config's [sweep] section (lines `section.key = values`,
 * which `housenet train` ignores), then each --grid (replacing a key the
 * section named, else appended), then --seeds N as a last key train.seed
 * (the config's seed, +1, ..., +N-1). Values are separated by commas, or
 * by semicolons when the text holds one (model.hidden=2;8;16,16: three
 * values, the last a two-layer list). The points are the Cartesian
 * product, the first key varying slowest, or --budget N of them drawn
 * with seed S (kept in product order).
 *
 * A point is a normal run in RUN/sweep/<id>/ (RUN: the config's run
 * directory): `housenet train CONFIG --set ... --set train.threads=1
 * --set run.dir=RUN/sweep/<id>` (threads 1 when the config says 0: one run
 * per core). <id>: 12 hex digits, the top 48 bits of FNV-1a 64 (then splitmix64's finaliser) of the point's
 * `section.key=value\n` lines sorted by key. With --cv K, the point's
 * K-fold cross-validation (io/cv.h) in RUN/sweep/<id>/cv/.
 *
 * Files in RUN/sweep: points.txt (the grid; --resume compares it),
 * results.csv, results.json, results.h5 (rows in point order, rewritten
 * as points finish), and per point <id>/result.txt (its row). Does not own
 * training (run.c), cross-validation (cv.c) or the tables' formats
 * (sweeptab.c). Errors are returned, not printed; progress on
 * a->run.progress, the table and the best point on a->run.out. */
#ifndef HOUSENET_SWEEP_H
#define HOUSENET_SWEEP_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "err.h"
#include "run.h"

#define SWEEP_MAX_KEYS 16
#define SWEEP_MAX_VALUES 256
#define SWEEP_VALUE_MAX 256
#define SWEEP_MAX_POINTS 100000
#define SWEEP_ID_LEN 12

typedef struct SweepArgs {
    RunArgs run;                         /* config, --set overrides, quiet, stop, progress, out */
    const char *grids[SWEEP_MAX_KEYS];   /* --grid section.key=values, in order */
    int ngrids;
    int seeds;                           /* --seeds N; 0: none */
    int cv;                              /* --cv K; 0: one split */
    long budget;                         /* --budget N random points; 0: the whole product */
    uint64_t random_seed;                /* --random S */
    int workers;                         /* --workers W; 0: the CPUs / the threads a run takes */
    int json, resume, force;
} SweepArgs;

typedef enum { SWEEP_PENDING = 0, SWEEP_OK = 1, SWEEP_FAILED = 2 } SweepStatus;

#define SWEEP_NMETRICS 6
/* One row of the table: m[] is val_rmse, val_mae, val_r2, test_rmse,
 * test_mae, test_r2 in the target's units (NaN for a split without such
 * rows), or with cv the mean and sd of rmse, mae and r2 over the folds. */
typedef struct SweepRow {
    SweepStatus status;
    double m[SWEEP_NMETRICS];
    long long epochs;                    /* cv: the folds */
    double seconds;                      /* wall time of the point (timing: varies) */
    char error[ERR_MSG_MAX];             /* failed: the run's one-line error, escaped as term_escape does (it
                                          * may quote the data file; the tables store it as UTF-8 text) */
} SweepRow;

typedef struct SweepKey {
    char name[64];                       /* section.key */
    int n;
    char (*v)[SWEEP_VALUE_MAX];          /* owned, (n) */
} SweepKey;

typedef struct Sweep {
    char config[CFG_PATH_MAX];           /* CONFIG as given */
    char dir[CFG_PATH_MAX + 8];          /* RUN/sweep */
    char target[256];
    int nkeys;
    SweepKey key[SWEEP_MAX_KEYS];
    int cv;
    int one_thread;                      /* each point runs with train.threads=1 */
    size_t npoints;
    uint64_t *index;                     /* owned, (npoints): the point's place in the product */
    char (*id)[SWEEP_ID_LEN + 1];        /* owned, (npoints) */
    SweepRow *row;                       /* owned, (npoints) */
} Sweep;

/* Builds the grid and the points, runs every point not yet finished
 * (--resume) on the workers, writes the tables and fills *s (sweep_free).
 * A point that fails is a row with its error; the sweep goes on. E_USAGE
 * for a bad grid or option, or a changed grid on --resume without
 * --force; E_STOP (the points in progress checkpointed) after a stop
 * signal. */
int sweep_run(const SweepArgs *a, Sweep *s, Err *err);
/* The table, the best point and the command that retrains it on out (or
 * one JSON object with json). */
void sweep_print(FILE *out, const Sweep *s, const SweepArgs *a);
/* E_DATA when every point of s failed, naming the first one's error (a
 * sweep that had some fail still succeeds: the table says which); 0 else. */
int sweep_all_failed(const Sweep *s, Err *err);
/* NULL-safe; leaves *s zeroed. */
void sweep_free(Sweep *s);

/* The value of key k at point p. */
const char *sweep_value(const Sweep *s, size_t p, int k);
/* The best finished point (lowest val_rmse, or cv mean rmse; the first of
 * equals), or -1 when none has one. */
long sweep_best(const Sweep *s);
/* The table's column names after id and the keys, in order (cv or not). */
const char *const *sweep_metric_names(int cv);

/* sweeptab.c: RUN/sweep/results.csv, results.json and results.h5, each
 * written atomically. */
int sweep_write_tables(const Sweep *s, Err *err);
/* The table as JSON on out (results.json's bytes). */
void sweep_json(FILE *out, const Sweep *s);

#endif
