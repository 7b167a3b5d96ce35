/* levels: the distinct texts of one text column, numbered in the order
 * they are first seen (code 0, 1, ...). A reader interns every cell of a
 * text column and stores its code as a double in the Table; the encoder
 * (src/encode.h) turns codes into one-hot inputs. */
#ifndef HOUSENET_LEVELS_H
#define HOUSENET_LEVELS_H

#include <stddef.h>

typedef struct Levels {
    int n;              /* distinct texts */
    char **names;       /* owned, n NUL-terminated texts, first-seen order */
    size_t *len;        /* owned, (n) their lengths */
    int cap;
    int *slot;          /* owned hash index: code + 1, or 0 for an empty slot */
    size_t nslot;       /* a power of two, > 2 n */
} Levels;

/* At most this many distinct texts per column: a text column with more is
 * an identifier, not a category (the reader's error says so). */
#define LEVELS_MAX 65536

/* The code of s[0..len) (no NUL needed), interned when new. Returns the
 * code (>= 0), -1 when out of memory, -2 when the column already has
 * LEVELS_MAX texts. */
int levels_intern(Levels *l, const char *s, size_t len);
/* The code of the NUL-terminated s, or -1 when it is not a level. */
int levels_find(const Levels *l, const char *s);
/* A deep copy of src into *dst (zeroed first); -1 when out of memory. */
int levels_copy(Levels *dst, const Levels *src);
/* NULL-safe; leaves *l zeroed. */
void levels_free(Levels *l);

#endif
