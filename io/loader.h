/* loader: from a Config to normalised training, validation and test sets.
 * Reads the data file (a CSV through csvread.h, an HDF5 table through
 * h5table.h, by the path's extension), applies the missing-value policy,
 * splits with the seed and fits the normalisation on the training rows
 * only. Everything a run needs to know about its data ends up in Splits --
 * including the DataRecord a model keeps, so that evaluation can later use
 * exactly the same test rows -- and the run writes nothing until loading
 * has succeeded. Every error message leads with the data file. */
#ifndef HOUSENET_LOADER_H
#define HOUSENET_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "data.h"
#include "encode.h"
#include "err.h"
#include "model.h"
#include "net.h"

typedef struct Splits {
    Dataset train, val, test;  /* normalised */
    size_t ntrain;             /* training rows: train.n, or the rows streamed ([data] stream, io/stream.h) */
    Norm norm;
    size_t rows_read;          /* data rows in the file */
    size_t rows_filtered;      /* left out by [data] filter */
    size_t rows_dropped;       /* removed by missing = drop (or a missing target) */
    size_t cells_filled;       /* filled by missing = mean */
    size_t missing[CFG_MAX_FEATURES + 1]; /* missing cells per feature, then the target */
    uint64_t fingerprint;      /* see loader_fingerprint() */
    DataRecord record;         /* the split and missing values as a model keeps them (owned) */
    Encoding enc;              /* owned: the features' vocabularies, fitted on the training rows
                                  (or the model's, loader_load_recorded); enc.nfeat = features */
    Levels **lv;               /* owned, NULL or (nlv): the levels of each text feature as read */
    int nlv;                   /* entries of lv (the features), set with it */
    int ninputs;               /* network inputs (enc_width); train/val/test have this many */
    char **input_names;        /* owned, (ninputs): feature names, "name=level" for one-hot inputs */
    EncUnknown *unknown;       /* owned, NULL or (nfeat): validation and test cells encoded as all
                                  zeros (first_row: a data row of the file) */
} Splits;

/* Loads, splits and normalises the data named by c. Errors name the file
 * and, for a bad cell, its line and column. s->record holds the seed, the
 * fractions, rows_read, the fingerprint, the validation and test rows (as
 * data rows of the file) and the missing-value counts: a run hands it to
 * the Model it saves (m.data = s->record, borrowed like m.norm). */
int loader_load(const Config *c, Splits *s, Err *err);
/* (E_STATE when c->stream: streamed data are loaded by stream_load, io/stream.h.) */
/* As loader_load, with fold f of a cross-validation (data_fold_parts) in
 * place of the seeded split: its test rows are the fold, its validation
 * rows a validation_fraction of the other folds' rows. The record holds
 * them, so that evaluate re-derives the fold from the model. */
int loader_load_fold(const Config *c, const DataFold *f, Splits *s, Err *err);
/* The split model m records (its validation and test rows, as file rows),
 * re-derived from the data file c names, with m's normalisation: how
 * evaluate finds a cv fold's test rows. E_STATE when m records no rows
 * (a streamed model), the file changed since (rows read, fingerprint), or
 * a recorded row is not a usable row under c. */
int loader_load_recorded(const Config *c, const Model *m, Splits *s, Err *err);
void splits_free(Splits *s);

/* Everything of d but the row lists, from the config and what loading
 * found: seed, fractions, rows read, fingerprint and the missing-value
 * counts. d->missing must hold nfeat + 1 values. */
void loader_record_header(const Config *c, const Splits *s, DataRecord *d);

/* FNV-1a (64 bit, rng_fnv1a) over the bytes of the selected columns as
 * read -- features in config order, then the target, column by column,
 * each value a little-endian float64 with missing values as the canonical
 * quiet NaN -- so that a CSV file and its `housenet convert`ed HDF5 table
 * have the same fingerprint. t holds the columns in that order, followed
 * by the columns only [data] filter names (loader_columns). */
uint64_t loader_fingerprint(const Table *t);

/* The columns c reads from a data file: its features, its target, then
 * the columns that only [data] filter names (each once); returns their
 * count (at most CFG_MAX_FEATURES + 1 + CFG_MAX_FILTERS). */
int loader_columns(const Config *c, const char **names);

/* Removes the rows of d (built from t row for row) that fail c's [data]
 * filter, moving rowid[] (when not NULL) along; *gone = how many went.
 * A missing value fails its condition. Errors lead with path. */
int loader_filter(const Config *c, const Table *t, Dataset *d, size_t *rowid, size_t *gone, const char *path,
                  Err *err);

/* Removes the rows of d that hold a NaN (in any column when all_cols,
 * else in the target), moving rowid[] (when not NULL) along; returns how
 * many went, or (size_t)-1 when out of memory. */
size_t loader_drop_missing(Dataset *d, size_t *rowid, int all_cols);

/* Applies c's transforms to the raw rows of d in place: log1p to the
 * [data] log_features, [data] target_transform to the target (missing
 * values stay NaN). A value outside a transform's domain is E_DATA at
 * `path:line:col` of the cell (a CSV file read with delim; rowid[r] is
 * row r's data row in the file, NULL for r itself), or `path: data row N`
 * for an HDF5 table, with how to leave the row out. */
int loader_transform(const Config *c, Dataset *d, const size_t *rowid, const char *path, char delim, Err *err);
/* Sets nm's y_transform and x_log from c (the statistics are fitted, or
 * read from a model file, without them); enc places the features among
 * the inputs. */
void loader_norm_transforms(const Config *c, const Encoding *enc, Norm *nm);

/* Sets s->ninputs and s->input_names to the features themselves when
 * loading did not (streamed data: every feature numeric). */
int loader_plain_inputs(const Config *c, Splits *s, Err *err);

/* The cells unk[0..nfeat) counts (file rows, of path read with delim)
 * that were encoded as all zeros: one warning line per feature on msg
 * (may be NULL), or, when strict, an E_DATA error at the first one's
 * `path:line:col` with how to accept it. */
int loader_report_unknown(const Config *c, const EncUnknown *unk, const char *path, char delim, FILE *msg,
                          int strict, Err *err);

/* One warning line on msg (may be NULL) per categorical feature of enc
 * that is one constant input on the training rows: a single level, or
 * every level rarer than [data] min_category_count (all "other"), or
 * every cell missing. Such an input carries nothing. */
void loader_report_constant_levels(const Config *c, const Encoding *enc, FILE *msg);

/* Before a command reads path as c's data (m: the model whose encodings
 * say which features are text, or NULL, as for loader_read_for_model and
 * loader_load): when path is an HDF5 table, its metadata read first in a
 * child process (h5guard.h), so that a table that crashes or hangs
 * libhdf5 there is one E_PARSE error here; 0 for a CSV file or a table
 * whose metadata read (an ordinary error is the real read's to report).
 * The metadata is what the reader meets before the values
 * (h5_table_check_typed; h5_stream_open's with [data] stream = true): the
 * values (a text column's strings too) are read unguarded, as a second
 * read of them would cost as much as the first (docs/hardening.md). */
int loader_guard_table(const Config *c, const Model *m, const char *path, Err *err);

/* E_CONFIG at [data] path's line (or --set) when its file cannot be
 * read: missing (with the closest data file's name), a directory, or not
 * readable; each with the fix. 0 otherwise: the reader reports the rest. */
int loader_check_data_path(const Config *c, Err *err);

/* The model's columns of the CSV file path, as evaluate reads a file it
 * is given: the rows the model's [data] filter keeps (*filtered counts
 * the others), rows with a missing cell dropped (*dropped), the
 * transforms applied and the features encoded with m's vocabularies
 * (unknown levels reported as loader_report_unknown does, strict under
 * [data] unknown_category = error). *d is raw (not normalised). */
int loader_read_for_model(const Config *c, const Model *m, const char *path, char delim, FILE *msg, Dataset *d,
                          size_t *filtered, size_t *dropped, Err *err);

/* Loads the model file path into *m and its resolved config (the text it
 * stores, as cfg_load_text and cfg_finish read it) into *c, which it
 * initialises; errors about the config name `path:/config`. On failure
 * both are released. */
int loader_open_model(const char *path, Model *m, Config *c, Err *err);

/* The network the config describes, with its initial parameters
 * (xavier or uniform from the seed, or the [init] values). */
int loader_build_net(const Config *c, int ninputs, Net *net, Err *err);

#endif
