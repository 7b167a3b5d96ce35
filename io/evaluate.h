/* evaluate: what `housenet evaluate --model RUN/model.h5 [DATA.csv] [--json]
 * [--delimiter C]` does (DATA's delimiter, default ',').
 * Measures a saved model in the target's own units (RMSE, MAE, MAPE, R^2)
 * beside three baselines fitted on the same training rows: the training
 * mean, ordinary least squares and ridge regression on the same features.
 * Without DATA.csv the rows are the model's own test split, re-derived
 * from the config stored in the model (same data file, seed and
 * fractions), or, for a model whose split is not the seed's (a fold of
 * `housenet cv`), from the validation and test rows it records. Results on
 * `out`; errors are returned, not printed. */
#ifndef HOUSENET_EVALUATE_H
#define HOUSENET_EVALUATE_H

#include <stdio.h>

#include "config.h"
#include "err.h"
#include "loader.h"
#include "metrics.h"
#include "model.h"

/* The ridge baseline's penalty (ols_fit_ridge, on standardised features). */
#define EVAL_RIDGE_LAMBDA 1.0

/* What the command measured: the model and the baselines on `rows`. ols
 * holds NaNs when least squares has no unique fit (collinear features). */
/* What the least-squares row says when the fit has no unique solution. */
#define EVAL_OLS_UNDEFINED "undefined: no unique fit (collinear features, as a feature's one-hot levels are " \
                           "with the intercept, or fewer rows than features); ridge, below, is defined"

typedef struct EvalResult {
    Metrics model, mean, ols, ridge;
    int have_baselines;       /* 0 when the training data could not be read */
    char source[CFG_PATH_MAX + 64]; /* "the test split of PATH" or the DATA file */
} EvalResult;

/* `housenet evaluate`: loads the model at model_path, measures it on
 * data_path (fields separated by delim) or, when NULL, on its own test
 * split, and prints the table (or, with json, one JSON object) on out.
 * Warnings go to msg. E_STATE when the re-derived split cannot be the one
 * the model was trained with. */
int eval_model(const char *model_path, const char *data_path, char delim, int json, FILE *out, FILE *msg,
               Err *err);

/* The check that the training data re-read from m's stored config is the
 * data the model was trained on, so that its test split is the model's
 * own: today, the normalisation fitted on the re-derived training rows
 * must equal the stored one bit for bit. (A stored split record is
 * checked here too once model.h5 carries one.) E_STATE naming what differs. */
int eval_check_split(const char *model_path, const Model *m, const Config *c, const Splits *sp, Err *err);

/* The metrics of model m (read from model_path, with its stored config c)
 * on data_path (fields separated by delim; missing cells as c says), or on
 * its test split when data_path is NULL. */
int eval_run(const char *model_path, const Model *m, const Config *c, const char *data_path, char delim,
             FILE *msg, EvalResult *r, Err *err);

/* `"key": v` then sep, v with 17 digits, or null for NaN and infinities
 * (evaluate --json, cv --json). */
void json_num(FILE *out, const char *key, double v, const char *sep);
/* A JSON string: quotes, backslashes and control characters (C0, DEL, C1)
 * escaped; a byte that is not part of valid UTF-8 becomes the text \xNN, as
 * term_escape shows it, so that the output is UTF-8 any JSON reader takes. */
void json_str(FILE *out, const char *s);

#endif
