/* data: the training view of a table: feature matrix and target, the seeded
 * split, and normalisation. Knows nothing of files. */
#ifndef HOUSENET_DATA_H
#define HOUSENET_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "table.h"

typedef struct Dataset {
    size_t n;          /* rows */
    int nin;           /* features */
    double *x;         /* owned, (n, nin) row-major */
    double *y;         /* owned, (n) */
} Dataset;

typedef enum NormKind { NORM_NONE = 0, NORM_ZSCORE = 1, NORM_MINMAX = 2 } NormKind;

/* A transform of the target before training ([data] target_transform):
 * the network learns log(y) or log1p(y), and every metric and prediction
 * goes back through exp or expm1 (norm_target_back). */
typedef enum TargetTransform { TRANSFORM_NONE = 0, TRANSFORM_LOG = 1, TRANSFORM_LOG1P = 2 } TargetTransform;

/* Log-space values are clipped to [-DATA_LOG_CLIP, DATA_LOG_CLIP] before
 * exp/expm1, so that a wild prediction stays finite (exp(700) ~ 1e304). */
#define DATA_LOG_CLIP 700.0

/* v under the transform (log, log1p or v itself); NaN stays NaN. Returns
 * 0, or -1 when v is outside its domain (v <= 0 under log, v <= -1 under
 * log1p; an infinity under any): the caller reports where. */
int transform_forward(TargetTransform t, double v, double *out);
/* The inverse, with v clipped to +-DATA_LOG_CLIP first under log and log1p. */
double transform_back(TargetTransform t, double v);
const char *transform_name(TargetTransform t);

/* Normalisation: v' = (v - shift) / scale per feature and for the target.
 * zscore: shift = mean, scale = population std; minmax: shift = min,
 * scale = max - min; none: shift 0, scale 1. Fitted on training rows only. */
typedef struct Norm {
    NormKind kind;
    NormKind target_kind;
    int nin;
    double *x_shift;   /* owned, (nin) */
    double *x_scale;   /* owned, (nin) */
    double y_shift;
    double y_scale;
    /* The transforms taken before the statistics were fitted: the shifts
     * and scales are in log space where these say so. Not in model.h5's
     * /norm: the stored config ([data] target_transform, log_features)
     * carries them and the loader sets them (loader_norm_transforms). */
    TargetTransform y_transform;
    unsigned char *x_log;  /* owned, (nin): 1 = the feature is log1p(value) */
} Norm;

/* A comparison of a row filter ([data] filter): value op constant. */
typedef enum CmpOp { CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_EQ, CMP_NE } CmpOp;

/* The operator's text ("<", "<=", ...). */
const char *cmp_name(CmpOp op);
/* Parses the operator at the start of s ("<=" before "<"); returns its
 * length, or 0 when s does not start with one. */
size_t cmp_parse(const char *s, CmpOp *op);
/* Whether a op b holds; never for a NaN (a missing value). */
int cmp_holds(CmpOp op, double a, double b);

const char *norm_name(NormKind k);
int norm_parse(const char *name, NormKind *out);

/* Keeps the rows r of d with keep[r] != 0, in order, moving rowid[] (when
 * not NULL) along; returns how many rows went. */
size_t data_keep_rows(Dataset *d, size_t *rowid, const unsigned char *keep);

/* Builds a Dataset from a table: features = the columns named in feats (in
 * that order), target = the column named target. Fails with E_DATA naming
 * a column that is not in the table. */
int data_from_table(const Table *t, const char *const *feats, int nfeat,
                    const char *target, Dataset *out, Err *err);
int data_alloc(Dataset *d, size_t n, int nin, Err *err);
void data_free(Dataset *d);

/* Seeded split: a permutation of the rows drawn from seed; the first
 * round(n * val_frac) rows of it go to val, the next round(n * test_frac)
 * to test, the rest to train (each keeps the file's row order). Any of the
 * outputs may be NULL. Fails with E_DATA when train would be empty. */
int data_split(const Dataset *all, double val_frac, double test_frac, uint64_t seed,
               Dataset *train, Dataset *val, Dataset *test, Err *err);

/* The two halves of data_split. data_split_parts writes the assignment
 * for n rows into part[0..n): DATA_PART_TRAIN, _VAL or _TEST (E_DATA when
 * train would be empty, E_NOMEM). data_split_by_parts copies the rows of
 * all into train, val and test by part[] (any may be NULL; on failure all
 * three are freed). A caller that keeps part knows which rows went where. */
enum { DATA_PART_TRAIN = 0, DATA_PART_VAL = 1, DATA_PART_TEST = 2 };
int data_split_parts(size_t n, double val_frac, double test_frac, uint64_t seed,
                     unsigned char *part, Err *err);
int data_split_by_parts(const Dataset *all, const unsigned char *part, Dataset *train, Dataset *val,
                        Dataset *test, Err *err);

/* One fold of repeated K-fold cross-validation (`housenet cv`): repeat
 * (from 0) deals the rows into `folds` folds by a permutation drawn from
 * (seed, repeat), and fold `fold` (from 0) is the test part. */
typedef struct DataFold {
    int folds, repeat, fold;
    uint64_t seed;
} DataFold;

/* part[0..n) for fold f: the rows perm[i] with i % folds == f->fold are
 * DATA_PART_TEST; of the others, round(m * val_frac) (m = their count),
 * drawn from (seed, repeat, fold), are DATA_PART_VAL, the rest TRAIN. So
 * every row is a test row exactly once per repeat, and the validation
 * rows (early stopping) come from the training folds alone. E_DATA when
 * n < folds or no training row would be left, E_NOMEM. */
int data_fold_parts(size_t n, const DataFold *f, double val_frac, unsigned char *part, Err *err);

/* Fits the statistics on d (the training rows). A constant feature or
 * target under zscore/minmax fails with E_DATA naming it (names may be NULL).
 * Inputs with fixed[f] != 0 (one-hot columns; fixed may be NULL) keep
 * shift 0 and scale 1 whatever the kind. */
int norm_fit(Norm *nm, NormKind kind, NormKind target_kind, const Dataset *d, const unsigned char *fixed,
             const char *const *feat_names, const char *target_name, Err *err);
/* The scale of a column under kind (zscore: sd, minmax: hi - lo), its
 * values from lo to hi: 0 when it is finite and above 0, else E_DATA
 * naming what: constant (hi == lo), or a spread beyond float64 (sd or
 * mean overflowing, squares underflowing), with the fix. norm_fit's
 * check, and the streamed statistics'. */
int norm_scale_check(NormKind kind, double scale, double lo, double hi, const char *what, Err *err);
/* Normalises d in place. */
void norm_apply(const Norm *nm, Dataset *d);
/* Target value back in data units: de-normalised, then through the
 * inverse of y_transform (clipped, see DATA_LOG_CLIP). */
static inline double norm_target_back(const Norm *nm, double v)
{
    return transform_back(nm->y_transform, v * nm->y_scale + nm->y_shift);
}
int norm_alloc(Norm *nm, int nin, Err *err);
void norm_free(Norm *nm);
/* Checks statistics read from a file: every shift finite, every scale
 * finite and > 0 (what norm_fit gives). E_PARSE naming the first bad one
 * as `x_scale[1]` or `y_scale`, its value, and that the file is damaged;
 * the caller prefixes the file. */
int norm_check(const Norm *nm, Err *err);

#endif
