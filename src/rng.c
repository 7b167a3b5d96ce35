/* rng: splitmix64 generator and helpers (see rng.h). */
#include "rng.h"

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

Rng rng_stream(uint64_t seed, uint64_t stream)
{
    Rng r = { mix64(seed ^ mix64(stream + 0x9e3779b97f4a7c15ULL)) };
    return r;
}

uint64_t rng_u64(Rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return mix64(r->s);
}

double rng_uniform(Rng *r)
{
    return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

double rng_hash_uniform(uint64_t seed, uint64_t stream, uint64_t counter)
{
    Rng r = rng_stream(seed, stream);
    /* Two rounds: counter + 1 keeps counter 0 away from the stream's state. */
    uint64_t z = mix64(mix64(r.s ^ mix64((counter + 1) * 0x9e3779b97f4a7c15ULL)));
    return (double)(z >> 11) * 0x1.0p-53;
}

uint64_t rng_below(Rng *r, uint64_t n)
{
    /* Lemire's multiply-shift with rejection of the biased low zone. */
    uint64_t x = rng_u64(r);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t t = -n % n;
        while (lo < t) {
            x = rng_u64(r);
            m = (__uint128_t)x * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

void rng_shuffle(Rng *r, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

uint64_t rng_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
