/* csvnum: the number grammar of the CSV readers and its exact conversion
 * (private to csvread.c and csvnum.c; the public entry is csvread.h's
 * csv_parse_number). */
#ifndef HOUSENET_CSVNUM_H
#define HOUSENET_CSVNUM_H

#include <stddef.h>

/* 1 when long double arithmetic rounds to a 64-bit significand (x87
 * precision control, the Linux default): csv_number may then take its
 * exact path for 17-19 digit mantissas. */
int csv_x87_ok(void);

/* s[0..n) (already trimmed; s[n] must exist and not continue a number) as
 * a number by the grammar of csvread.c's header, bit-identical to glibc's
 * strtod. Returns CSV_NUM_OK with *out, CSV_NUM_NOT or CSV_NUM_RANGE. */
int csv_number(const char *s, size_t n, int x87_ok, double *out);

static inline int csv_isdigit(char c) { return (unsigned)(c - '0') < 10u; }

#endif
