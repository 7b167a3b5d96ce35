/* levels: interning the texts of a column (see levels.h). Open addressing
 * over FNV-1a hashes, grown at half load. */
#include "levels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

static size_t hash_of(const char *s, size_t len)
{
    return (size_t)rng_fnv1a(RNG_FNV_INIT, s, len);
}

/* The slot that holds s or the empty slot where it would go. */
static size_t probe(const Levels *l, const char *s, size_t len)
{
    size_t mask = l->nslot - 1, i = hash_of(s, len) & mask;
    while (l->slot[i]) {
        int code = l->slot[i] - 1;
        if (l->len[code] == len && !memcmp(l->names[code], s, len))
            break;
        i = (i + 1) & mask;
    }
    return i;
}

static int rehash(Levels *l, size_t nslot)
{
    int *slot = calloc(nslot, sizeof *slot);
    if (!slot)
        return -1;
    free(l->slot);
    l->slot = slot;
    l->nslot = nslot;
    for (int code = 0; code < l->n; code++)
        l->slot[probe(l, l->names[code], l->len[code])] = code + 1;
    return 0;
}

int levels_intern(Levels *l, const char *s, size_t len)
{
    if (!l->nslot && rehash(l, 64))
        return -1;
    size_t i = probe(l, s, len);
    if (l->slot[i])
        return l->slot[i] - 1;
    if (l->n >= LEVELS_MAX)
        return -2;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **names = realloc(l->names, (size_t)cap * sizeof *names);
        if (!names)
            return -1;
        l->names = names;
        size_t *lens = realloc(l->len, (size_t)cap * sizeof *lens);
        if (!lens)
            return -1;
        l->len = lens;
        l->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    int code = l->n++;
    l->names[code] = copy;
    l->len[code] = len;
    l->slot[i] = code + 1;
    if ((size_t)l->n * 2 >= l->nslot && rehash(l, l->nslot * 2)) {
        l->n--; /* keep the index consistent: forget the new text */
        l->slot[probe(l, copy, len)] = 0;
        free(copy);
        return -1;
    }
    return code;
}

int levels_find(const Levels *l, const char *s)
{
    if (!l->nslot)
        return -1;
    size_t i = probe(l, s, strlen(s));
    return l->slot[i] ? l->slot[i] - 1 : -1;
}

int levels_copy(Levels *dst, const Levels *src)
{
    memset(dst, 0, sizeof *dst);
    for (int code = 0; code < src->n; code++)
        if (levels_intern(dst, src->names[code], src->len[code]) < 0) {
            levels_free(dst);
            return -1;
        }
    return 0;
}

void levels_free(Levels *l)
{
    if (!l)
        return;
    for (int code = 0; code < l->n; code++)
        free(l->names[code]);
    free(l->names);
    free(l->len);
    free(l->slot);
    memset(l, 0, sizeof *l);
}
