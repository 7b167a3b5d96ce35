/* curves: the per-epoch training log held in memory, one row per epoch.
 * Columns are named float64 series next to an int64 epoch column; io/
 * writes them to curves.h5. The whole log is kept so that a checkpoint can
 * carry it and a resumed run continues it with no missing or duplicated row. */
#ifndef HOUSENET_CURVES_H
#define HOUSENET_CURVES_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CURVES_MAX_COLS 16

typedef struct Curves {
    size_t n, cap;
    int ncols;
    const char *names[CURVES_MAX_COLS]; /* static strings, or owned_names[c] */
    char *owned_names[CURVES_MAX_COLS]; /* names read from a file (NULL when static), freed by curves_free */
    int64_t *epoch;                     /* owned, (cap) */
    double *cols[CURVES_MAX_COLS];      /* owned, (cap) each */
} Curves;

/* Starts an empty log with the given column names (static strings; at most
 * CURVES_MAX_COLS, none NULL). E_CONFIG on a bad column count, E_NOMEM. */
int curves_init(Curves *c, const char *const *names, int ncols, Err *err);
/* Appends a row; vals has ncols values. E_NOMEM on failure. */
int curves_push(Curves *c, int64_t epoch, const double *vals, Err *err);
/* Grows capacity to at least cap rows (n unchanged). E_NOMEM on failure. */
int curves_reserve(Curves *c, size_t cap, Err *err);
/* Drops rows so that n = min(n, keep). */
void curves_truncate(Curves *c, size_t keep);
/* Index of the named column or -1. */
int curves_col(const Curves *c, const char *name);
/* NULL-safe; frees the columns and owned names, leaves *c zeroed. */
void curves_free(Curves *c);

#endif
