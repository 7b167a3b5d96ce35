/* colname: choosing among column names for messages. Shared by the CSV and
 * HDF5 table readers so that both answer an unknown column the same way:
 * the closest name as a did-you-mean hint and a bounded list of the names.
 * Knows nothing of files. */
#ifndef HOUSENET_COLNAME_H
#define HOUSENET_COLNAME_H

#include <stddef.h>

/* Bytes of one name quoted in a message, and of a whole "columns are" list. */
#define COLNAME_SHOW 40
#define COLNAME_LIST_MAX 480

/* Index of the name closest to want (edit distance, ASCII case folded, first
 * 63 bytes) when it is close enough to be a likely typo -- at most about a
 * third of want's length, or equal up to case -- else -1. */
int colname_closest(const char *want, const char *const *names, int n);

/* Writes "a, b, c" into out (cap bytes; cap >= COLNAME_LIST_MAX + 48 shows
 * everything that fits the budget): each name cut to COLNAME_SHOW bytes, the
 * list cut before COLNAME_LIST_MAX bytes, then ", ... (N more)". */
void colname_list(char *out, size_t cap, const char *const *names, int n);

/* Copies s into out (cap bytes, NUL-terminated, cut at a whole character
 * when short) with every byte that could act on a terminal written as
 * \xNN: control bytes (ESC, CR, LF, ...), DEL and bytes that are not
 * part of valid UTF-8. For text from the input on its way to stderr or a
 * terminal (docs/hardening.md). */
void term_escape(char *out, size_t cap, const char *s);

#endif
