/* checkpoint: the files that let a run continue exactly, in RUN/checkpoints/.
 * Owns the checkpoint's HDF5 layout (docs/formats.md, "Checkpoint files"),
 * its content checksum, the naming, listing and pruning of a run's
 * checkpoints, the comparison of a checkpoint's config with the current one,
 * and `housenet inspect` of checkpoint and model files. Does not own when a
 * checkpoint is written nor what a resume does with it (io/run.c).
 *
 * A checkpoint holds everything a run needs to continue bit for bit: the
 * parameters, the optimizer (kind, t, every state buffer), the TrainState
 * (every field of train_state_fields(), so new fields need no change here),
 * the curves so far, the best parameters so far, the point a divergence
 * rolls back to (mid-epoch checkpoints), the normalisation, the resolved
 * config and an identity of the training data. There is no RNG
 * state: epoch e's row order is drawn from (seed, e) alone, so the seed in
 * the config and the TrainState suffice. No hid_t leaves this module. */
#ifndef HOUSENET_CHECKPOINT_H
#define HOUSENET_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "curves.h"
#include "data.h"
#include "err.h"
#include "loader.h"
#include "net.h"
#include "optim.h"
#include "train.h"

#define CKPT_FORMAT "housenet-checkpoint"
#define CKPT_VERSION 1
#define CKPT_SUBDIR "checkpoints" /* inside the run directory */

/* What identifies the training data: a resume refuses other data. */
typedef struct CkptDataId {
    uint64_t fingerprint;     /* Splits.fingerprint: the selected values as read */
    uint64_t rows_read;
    uint64_t rows[3];         /* train, validation, test rows */
    uint64_t split_hash[3];   /* FNV-1a of each part's normalised x, then y */
} CkptDataId;

/* The identity of sp's data (pure; no allocation). */
CkptDataId ckpt_data_id(const Splits *sp);

/* The best parameters so far (lowest validation loss at an epoch end). */
typedef struct CkptBest {
    int64_t epoch;            /* -1: none yet (or no validation rows) */
    double val_loss;          /* NaN when epoch is -1 */
    double *params;           /* (nparams), the params layout */
} CkptBest;

/* Where a divergence later in the epoch rolls back to (Trainer.snap): the
 * epoch's start, after any rollback within it. Only a checkpoint taken
 * mid-epoch (st->epoch_step > 0) holds one. */
typedef struct CkptRollback {
    int held;                 /* save: write it; load: 1 when the file has one */
    TrainState st;
    int64_t t;                /* optimizer updates */
    double *vals;             /* (1 + opt->nbufs) x nparams: params, then the optimizer buffers;
                                 borrowed (load: the caller's room) */
} CkptRollback;

/* Everything a checkpoint holds. ckpt_save reads every member (all
 * borrowed). ckpt_load writes into the caller's objects, which must have
 * the run's shapes already (from its config): net->params, opt->t and its
 * buffers, *st, *curves (same columns), best (best.params has nparams
 * slots), and sets the members it owns afterwards: norm (norm_free) and
 * config_text (free), both NULL/zero before the call. */
typedef struct Ckpt {
    Net *net;
    Optim *opt;
    TrainState *st;
    Curves *curves;
    CkptBest best;
    Norm norm;
    const char *const *feat_names;  /* save only: net->width[0] names */
    const char *target_name;        /* save only */
    const Encoding *enc;            /* save only: NULL, or the features' vocabularies */
    const char *const *columns;     /* save only, with enc: its nfeat feature names */
    char *config_text;              /* the resolved config (cfg_text_new) */
    CkptDataId data;
    CkptRollback roll;              /* load: roll.vals needs room; NULL skips it */
} Ckpt;

/* Writes c to path atomically (atomic.h): built in memory, checksummed,
 * then written to a temporary file that replaces path once synced. Fails,
 * leaving path untouched and no temporary file, with E_NUMERIC when a
 * parameter or optimizer state value is not finite (a checkpoint never
 * holds one), E_STATE when c is inconsistent, E_IO naming the path, step
 * and strerror, E_HDF5 naming the object, E_NOMEM. */
int ckpt_save(const char *path, const Ckpt *c, Err *err);

/* Reads path into c (see Ckpt) after verifying the format, the version and
 * the checksum of the whole content. E_IO when path cannot be opened;
 * E_PARSE when it is not a checkpoint, is newer, is damaged (truncated:
 * HDF5 cannot read it; any changed byte of content: checksum mismatch) or
 * lacks an object; E_STATE when it does not fit c's shapes (network,
 * optimizer kind or buffers, state fields, curve columns). On failure the
 * caller's objects hold unspecified values and c owns nothing. */
int ckpt_load(const char *path, Ckpt *c, Err *err);

/* Releases what ckpt_load gave c (norm, config_text); NULL-safe. */
void ckpt_release(Ckpt *c);

/* Verifies format, version and checksum (E_PARSE as ckpt_load), then reads its resolved config text into
 * *text (a new string; free). Lets a resume name a changed key before
 * ckpt_load would fail on a changed shape. */
int ckpt_read_config(const char *path, char **text, Err *err);

/* Compares a checkpoint's resolved config with the current one key by key
 * (both cfg_text_new() text). Keys whose KEYS[] row is resume_safe may
 * differ. Otherwise E_STATE naming every differing key with both values:
 * `[model] hidden: checkpoint "2", now "8"`. */
int ckpt_config_check(const char *saved, const char *now, Err *err);

/* RUN/checkpoints/ckpt-e<epoch>-s<step>.h5 for st into out. E_IO if long. */
int ckpt_name(const char *run_dir, const TrainState *st, char *out, size_t cap, Err *err);

/* The checkpoint files (ckpt-e*-s*.h5) of directory dir, newest (highest
 * epoch, then step) first: *paths is a new array of *n new strings
 * (ckpt_list_free). A missing directory is an empty list. E_IO, E_NOMEM. */
int ckpt_list(const char *dir, char ***paths, size_t *n, Err *err);
void ckpt_list_free(char **paths, size_t n);

/* Removes all but the newest keep checkpoints of dir, and leftover
 * temporary files of writers that no longer run. E_IO naming a file. */
int ckpt_prune(const char *dir, int keep, Err *err);

/* Removes the temporary files (NAME.h5.tmp-<pid>, atomic.h) in dir whose
 * writer no longer runs, as a killed run leaves them. Best effort. */
void ckpt_remove_stale_tmp(const char *dir);

/* Removes the checkpoints of dir newer than state st (an abandoned
 * continuation of a resumed run); *removed gets their number. E_IO. */
int ckpt_remove_newer(const char *dir, const TrainState *st, int *removed, Err *err);

/* `housenet inspect FILE` of a checkpoint or model file: format, version,
 * checksum (checkpoints), then every group, dataset and attribute with its
 * type, shape and values (long arrays abridged), then the config text.
 * A checksum mismatch is printed and returned as E_PARSE after the listing. */
int ckpt_describe(const char *path, FILE *out, Err *err);

#endif
