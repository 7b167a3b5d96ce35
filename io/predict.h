/* predict: what `housenet predict --model RUN/model.h5 INPUT.csv [-o OUT.csv]
 * [--delimiter C]` (default ',', also for the output).
 * Takes the model's feature columns by name from any CSV, applies the
 * stored normalisation, and writes every input row back with one more
 * column, predicted_<target>, in the target's own units (dollars for a
 * price). Other columns pass through unchanged (re-quoted only where CSV
 * needs it). Inputs far outside the training data get one warning line
 * per column. OUT.csv is written atomically; default standard output. */
#ifndef HOUSENET_PREDICT_H
#define HOUSENET_PREDICT_H

#include <stdio.h>

#include "err.h"

/* Predicts every row of in_path (fields separated by delim, also in the
 * output) with the model at model_path; the CSV goes to out_path
 * (atomically) or, when NULL, to out; warnings to msg. E_PARSE naming
 * line and column for a missing feature column or a cell that is not a
 * number. */
int predict_run(const char *model_path, const char *in_path, const char *out_path, char delim, FILE *out,
                FILE *msg, Err *err);

#endif
