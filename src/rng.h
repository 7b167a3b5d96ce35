/* rng: small, fast, seedable random numbers (splitmix64).
 * The whole state is one uint64_t, so checkpoints store it exactly. Streams
 * derived from (seed, stream id) are independent of each other, so that the
 * shuffle of epoch e can be recomputed from the seed alone on resume. */
#ifndef HOUSENET_RNG_H
#define HOUSENET_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct Rng { uint64_t s; } Rng;

/* Stream ids used by the program; a new use takes a new id. Some add a
 * number above bit 32 (ROWS: the part, SHUFFLE: the epoch, FOLDS and
 * FOLD_VAL: the repeat) and SHUFFLE also 1 + a chunk below it (FOLD_VAL:
 * the fold). */
enum { RNG_STREAM_INIT = 1, RNG_STREAM_SPLIT = 2, RNG_STREAM_ROWS = 3, RNG_STREAM_FOLDS = 4, RNG_STREAM_FOLD_VAL = 5,
       RNG_STREAM_SHUFFLE = 0x100 };

/* State for stream `stream` of `seed`. */
Rng rng_stream(uint64_t seed, uint64_t stream);
uint64_t rng_u64(Rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double rng_uniform(Rng *r);
/* Uniform integer in [0, n), unbiased; n > 0. */
uint64_t rng_below(Rng *r, uint64_t n);
/* Uniform in [0, 1) with 53 bits from a counter-based hash of (seed,
 * stream, counter): no state, so draw `counter` can be made in any order
 * (the streamed split draws one per file row). */
double rng_hash_uniform(uint64_t seed, uint64_t stream, uint64_t counter);
/* Fisher-Yates shuffle of idx[0..n). */
void rng_shuffle(Rng *r, size_t *idx, size_t n);
/* 64-bit FNV-1a over bytes, continuing from h (start with RNG_FNV_INIT). */
#define RNG_FNV_INIT 0xcbf29ce484222325ULL
uint64_t rng_fnv1a(uint64_t h, const void *data, size_t n);

#endif
