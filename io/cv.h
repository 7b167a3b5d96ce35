/* cv: what `housenet cv CONFIG [--folds K] [--repeats R] [--seed S]
 * [--json]` does: repeated K-fold cross-validation of the network a config
 * describes, beside the training mean, least squares and ridge on the same
 * folds. Each fold is a full training run (io/run.h) in RUN/cv/r<R>-f<F>/
 * whose model.h5 records the fold's rows, so that `housenet evaluate
 * --model RUN/cv/r1-f1/model.h5` measures it on its fold again; the
 * per-fold figures go to RUN/cv/folds.csv. Results on out; errors are
 * returned, not printed. Does not own training (run.c), the folds
 * (data_fold_parts) or the metrics and baselines (evaluate.c). */
#ifndef HOUSENET_CV_H
#define HOUSENET_CV_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "evaluate.h"
#include "run.h"

typedef struct CvArgs {
    RunArgs run;        /* config, --set overrides, quiet, progress, out */
    int folds;          /* K >= 2 */
    int repeats;        /* R >= 1 */
    uint64_t seed;      /* of the folds */
    int has_seed;       /* 0: [train] seed */
    int json;
} CvArgs;

/* Mean and sample sd (n - 1 in the denominator; 0 for one value). */
typedef struct CvStat {
    double mean, sd;
} CvStat;

/* One learner (the network or a baseline) over all folds. */
typedef struct CvSummary {
    CvStat rmse, mae, mape, r2;
} CvSummary;

/* cv_run's result: folds x repeats fold results, repeat-major. */
typedef struct CvResult {
    int folds, repeats;
    size_t rows;                     /* usable rows: each is a test row once per repeat */
    EvalResult *fold;                /* owned, (folds * repeats) */
    CvSummary model, mean, ols, ridge;
    char dir[CFG_PATH_MAX + 8];      /* RUN/cv */
} CvResult;

/* Trains and measures every fold (in order: repeat 1 fold 1, 2, ...,
 * repeat 2 ...; one line of progress per fold unless quiet), writes
 * RUN/cv/folds.csv and fills *r (cv_free). A failed fold stops the lot
 * with its error, prefixed by the fold. The results depend on the config,
 * K, R and S only: not on the threads, nor on what RUN/cv held before. */
int cv_run(const CvArgs *a, CvResult *r, Err *err);
/* The table (or, with json, one JSON object) of r on out. */
void cv_print(FILE *out, const CvResult *r, const char *config, const char *target, int json);
/* NULL-safe; leaves *r zeroed. */
void cv_free(CvResult *r);

#endif
