/* model: what a trained model is made of, as saved to and loaded from
 * model.h5 (io/h5model.h): the network, the normalisation, the names of the
 * feature and target columns, the resolved config text, and the record of
 * the data it was trained on (the split, a fingerprint, missing values). */
#ifndef HOUSENET_MODEL_H
#define HOUSENET_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"
#include "encode.h"
#include "net.h"

/* How a model's data was read and split: model.h5's /split and /data
 * groups (docs/formats.md, "Files a run writes"). The loader fills it; a model file
 * written before the groups existed loads with has_split = has_data = 0.
 * Row numbers count the data rows of the file from 0 (the header and
 * blank lines of a CSV are not rows). */
typedef struct DataRecord {
    int has_split;
    uint64_t seed;
    double validation_fraction, test_fraction;
    uint64_t rows_read;          /* data rows in the file */
    uint64_t fingerprint;        /* of the selected columns as read (loader.h) */
    size_t nval, ntest;
    uint64_t *val_rows;          /* owned, (nval): the validation rows, ascending */
    uint64_t *test_rows;         /* owned, (ntest): the test rows, ascending */
    int hashed;                  /* 1: [data] stream's per-row hashed split (io/stream.h);
                                    no row lists (nval = ntest = 0), /split attribute split = "hash" */
    int has_data;
    char missing_policy[8];      /* "error", "drop" or "mean" */
    uint64_t rows_dropped;       /* rows left out for a missing value */
    uint64_t rows_filtered;      /* rows left out by [data] filter */
    uint64_t cells_filled;       /* cells filled by missing = mean */
    int ncols;                   /* features + 1 */
    uint64_t *missing;           /* owned, (ncols): missing cells per feature, then the target */
} DataRecord;

/* NULL-safe; frees the row and count arrays and leaves *r zeroed. */
void data_record_free(DataRecord *r);

typedef struct Model {
    Net net;
    Norm norm;           /* per input: model_inputs(m) of them */
    int nfeat;
    char **feat_names;   /* owned, nfeat strings: the columns the model reads */
    Encoding enc;        /* owned: how the features become inputs (enc.nfeat == nfeat;
                            enc.v NULL when every feature is numeric) */
    char *target_name;   /* owned */
    char *config_text;   /* owned, resolved config (INI text) */
    DataRecord data;     /* owned arrays */
} Model;

/* NULL-safe; frees every member and leaves *m zeroed. */
void model_free(Model *m);
/* The network inputs the features make: nfeat, more with one-hot features. */
int model_inputs(const Model *m);

#endif
