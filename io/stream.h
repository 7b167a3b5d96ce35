/* stream: training rows of an HDF5 table read a chunk at a time
 * ([data] stream = true), for data larger than memory. Owns the hashed
 * split, the first pass over the file (missing values, counts, the
 * normalisation statistics, the validation rows, a fingerprint) and the
 * TrainData whose chunk() reads, filters, fills and normalises training
 * rows on demand. Does not own the in-memory loader (loader.c), whose
 * split differs, nor the reading itself (h5table.c).
 *
 * Split: file row r goes to validation when u(r) < validation_fraction,
 * to test when u(r) < validation_fraction + test_fraction, else to
 * training, with u(r) = rng_hash_uniform(seed, RNG_STREAM_SPLIT, r). A
 * per-row draw: the fractions hold on average, not exactly, and the rows
 * differ from the in-memory split's.
 *
 * Memory: two blocks of TRAIN_CHUNK rows (the read buffer and the chunk
 * handed out), one size_t per block of the file, and the validation rows,
 * at most STREAM_VAL_CAP of them (the first in file order; the rest are
 * counted and not used). Test rows are only counted. */
#ifndef HOUSENET_STREAM_H
#define HOUSENET_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "comm.h"
#include "config.h"
#include "err.h"
#include "loader.h"
#include "train.h"

#define STREAM_VAL_CAP 1000000

typedef struct StreamTrain StreamTrain;

/* What the first pass found besides what Splits holds. */
typedef struct StreamCounts {
    size_t ntrain;        /* training rows */
    size_t nval;          /* validation rows drawn (s->val holds min(nval, STREAM_VAL_CAP)) */
    size_t ntest;         /* test rows drawn (not kept) */
    size_t own_rows;      /* file rows this rank read in the first pass (all of them alone) */
    size_t own_train;     /* training rows among them */
} StreamCounts;

/* DATA_PART_TRAIN, _VAL or _TEST for file row `row` (the split above). */
int stream_part(uint64_t seed, double val_frac, double test_frac, uint64_t row);

/* The first pass over c->data_path (c->stream set, an HDF5 table): fills
 * s as loader_load does -- except that s->train and s->test stay empty,
 * s->ntrain counts the training rows, the fingerprint is FNV-1a over the
 * per-column FNV-1a hashes (features, then the target; each column's
 * little-endian float64 values in file order), and s->record is marked
 * hashed, with no row lists -- and opens *out for
 * reading the training rows. With ranks (comm, NULL: one process) every
 * read of a block of the file, here and in chunk(), is shared: each rank
 * reads a contiguous 1/K of the block's rows and the ranks exchange them
 * as read (bytes), so every rank holds the same block and all that
 * follows is the one-process arithmetic; a failed open or read on any
 * rank fails every rank alike (comm_agree). Errors as loader_load (a missing value under
 * missing = error names the column and the row). *out is the caller's
 * (stream_free); on failure it is NULL and s is zeroed. */
int stream_load(const Config *c, const Comm *comm, Splits *s, StreamTrain **out, StreamCounts *counts, Err *err);

/* File rows this rank has read so far (first pass and training). */
size_t stream_rows_read(const StreamTrain *st);

/* The training rows as TrainData (chunk(): rows [first, first + n) of the
 * training rows in file order, filled, normalised and, with [train]
 * shuffle, put in the order train_rows_permute draws for (seed, 1 + first /
 * TRAIN_CHUNK); valid until the next call). st must outlive it. */
TrainData stream_train_data(StreamTrain *st);

/* NULL-safe; closes the file and frees *st, leaving it NULL. */
void stream_free(StreamTrain **st);

#endif
