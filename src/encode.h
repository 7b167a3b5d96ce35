/* encode: categorical features as one-hot inputs. A Vocab per feature says
 * how a feature becomes inputs: one input for a numeric feature; for a
 * categorical one, one input per level kept from the training rows (sorted
 * by bytes), then one for the rare levels ("other") and one for a missing
 * cell ("missing") when there were any. An Encoding is a model's list of
 * them; the inputs of the network are the features' inputs in feature
 * order. Knows nothing of files: the levels of a text column come as
 * Levels (src/levels.h), the raw rows as codes in a Dataset. */
#ifndef HOUSENET_ENCODE_H
#define HOUSENET_ENCODE_H

#include <stddef.h>

#include "data.h"
#include "err.h"
#include "levels.h"

/* At most this many levels kept per categorical feature: more is an
 * E_DATA error that suggests [data] min_category_count. */
#define ENC_MAX_LEVELS 1024

typedef struct Vocab {
    int is_cat;          /* 0: a numeric feature, one input */
    int nlevels;
    char **levels;       /* owned, nlevels texts, ascending (strcmp), one input each */
    int nrare;
    char **rare;         /* owned, ascending: training levels seen fewer than
                            min_category_count times; they share the "other" input */
    int other;           /* 1: an "other" input follows the levels (nrare > 0) */
    int missing;         /* 1: a "missing" input comes last */
} Vocab;

typedef struct Encoding {
    int nfeat;
    Vocab *v;            /* owned, (nfeat); NULL when every feature is numeric */
} Encoding;

/* Cells of one feature that have no input of their own (a level the
 * training rows never held, or a missing cell without a "missing"
 * input): they are encoded as all zeros and counted here. */
#define ENC_SHOW 3
typedef struct EncUnknown {
    size_t count;
    size_t first_row;    /* row of the first such cell in the raw Dataset */
    int nshow;
    char show[ENC_SHOW][40]; /* the first distinct texts, cut; "(missing)" for a missing cell */
} EncUnknown;

/* Counts one cell of u's feature that has no input: row (its row in the
 * raw rows) becomes u->first_row when it is the first, and text (cut to
 * fit show[]) joins u->show when it is new and there is room. */
void enc_note_unknown(EncUnknown *u, size_t row, const char *text);

/* Inputs of feature f: 1 for a numeric one. */
int enc_feat_width(const Vocab *v);
/* Inputs of the network, and the first input of feature f. */
int enc_width(const Encoding *e);
int enc_offset(const Encoding *e, int f);
/* 1 when feature f is categorical. */
int enc_is_cat(const Encoding *e, int f);
/* 1 when any feature is categorical. */
int enc_any(const Encoding *e);

/* Fits the vocabularies on the training rows: train holds nfeat raw
 * columns, a categorical feature's (lv[f] != NULL) cells being codes of
 * lv[f] or NaN. Levels seen at least min_count times are kept; the others
 * go to "other"; a NaN cell makes a "missing" input when with_missing.
 * E_DATA naming the feature (names may be NULL) when more than
 * ENC_MAX_LEVELS are kept, E_NOMEM. */
int enc_fit(Encoding *e, int nfeat, const Levels *const *lv, const Dataset *train, int min_count,
            int with_missing, const char *const *names, Err *err);

/* The one-hot rows of raw (nfeat columns, categorical cells as codes of
 * lv[f], which must be set for every categorical feature) into *out
 * (data_alloc'ed here, enc_width inputs; y copied). A numeric cell is
 * copied as it is. unk (nfeat entries, zeroed by the caller; may be NULL)
 * counts the cells encoded as all zeros. E_NOMEM. */
int enc_apply(const Encoding *e, const Levels *const *lv, const Dataset *raw, Dataset *out, EncUnknown *unk,
              Err *err);

/* fixed[i] = 1 for every one-hot input (norm_fit keeps them 0/1), else 0. */
void enc_fixed_mask(const Encoding *e, unsigned char *fixed);

/* The names of the inputs as new strings in *out (enc_width of them, the
 * caller's; free each and the array): the feature's name for a numeric
 * one, "name=level", "name=(other)" and "name=(missing)" for one-hot
 * inputs. E_NOMEM. */
int enc_input_names_new(const Encoding *e, const char *const *feat_names, char ***out, Err *err);

/* Checks a vocabulary read from a file: levels and rare texts ascending
 * and distinct, other == (nrare > 0), at most ENC_MAX_LEVELS levels, a
 * categorical feature with at least one input. E_PARSE naming feature f. */
int enc_check(const Encoding *e, Err *err);

/* A deep copy of src into *dst (zeroed first). E_NOMEM. */
int enc_copy(Encoding *dst, const Encoding *src, Err *err);
/* NULL-safe; leaves *e zeroed. */
void enc_free(Encoding *e);
void vocab_free(Vocab *v);

#endif
