/* loader: from a Config to normalised training, validation and test sets.
 * Reads the data file (CSV through csvread.h), applies the missing-value
 * policy, splits with the seed and fits the normalisation on the training
 * rows only. Everything a run needs to know about its data ends up in
 * Splits, so the run writes nothing until loading has succeeded. */
#ifndef HOUSENET_LOADER_H
#define HOUSENET_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "data.h"
#include "err.h"
#include "net.h"

typedef struct Splits {
    Dataset train, val, test;  /* normalised */
    Norm norm;
    size_t rows_read;          /* data rows in the file */
    size_t rows_dropped;       /* removed by missing = drop (or a missing target) */
    size_t cells_filled;       /* filled by missing = mean */
    size_t missing[CFG_MAX_FEATURES + 1]; /* missing cells per feature, then the target */
    uint64_t fingerprint;      /* FNV-1a of the selected values as read, in file order */
} Splits;

/* Loads, splits and normalises the data named by c. Errors name the file
 * and, for a bad cell, its line and column. */
int loader_load(const Config *c, Splits *s, Err *err);
void splits_free(Splits *s);

/* The network the config describes, with its initial parameters
 * (xavier or uniform from the seed, or the [init] values). */
int loader_build_net(const Config *c, int ninputs, Net *net, Err *err);

#endif
