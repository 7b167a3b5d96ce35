/* table: named float64 columns as read from a data file.
 * Owns the Table type only; readers live in io/. Column-major storage:
 * column c is cols + c * nrows. A missing cell (when the reader is told to
 * keep them) is NaN, and missing[c] counts them. */
#ifndef HOUSENET_TABLE_H
#define HOUSENET_TABLE_H

#include <stddef.h>

#include "levels.h"

typedef struct Table {
    size_t nrows;
    int ncols;
    char **names;      /* owned, ncols strings */
    double *cols;      /* owned, ncols * nrows, column-major */
    size_t *missing;   /* owned, ncols counts of missing cells */
    Levels **text;     /* owned, NULL or ncols entries: text[c] != NULL for a text
                          column, whose cells hold the codes of text[c]'s levels */
} Table;

static inline double *table_col(const Table *t, int c) { return t->cols + (size_t)c * t->nrows; }

/* The index of the column called name, -1 when there is none. */
int table_find(const Table *t, const char *name);
/* The levels of column c when it is a text column, else NULL. */
static inline const Levels *table_text(const Table *t, int c) { return t->text ? t->text[c] : NULL; }
/* NULL-safe; leaves *t zeroed. */
void table_free(Table *t);

#endif
