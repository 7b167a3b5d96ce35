/* csvnum: the CSV reader's number grammar and its exact conversion (see
 * csvnum.h, and the grammar in csvread.c's header). */
#include "csvnum.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"

#if defined(__FAST_MATH__)
#error "io/csvnum.c relies on exact IEEE arithmetic; do not build it with -ffast-math"
#endif

/* The x87 80-bit long double (64-bit significand) gives an exact path for
 * 17-19 digit mantissas such as those printed by %.17g (see csv_number). */
#if (defined(__x86_64__) || defined(__i386__)) && LDBL_MANT_DIG == 64
#define CSV_HAVE_X87 1
#endif

int csv_x87_ok(void)
{
#ifdef CSV_HAVE_X87
    volatile long double one = 1.0L, tiny = LDBL_EPSILON;
    return one + tiny != one; /* 64-bit precision control (the Linux default) */
#else
    return 0;
#endif
}

/* ---- numbers ------------------------------------------------------------ */

static const double csv_p10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#ifdef CSV_HAVE_X87
/* 10^k for k <= 27 is exact in 64 bits: 10^k = 5^k 2^k and 5^27 < 2^63. */
static const long double csv_p10l[28] = {
    1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L,
    1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L,
    1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
#endif

/* Value of the decimal digits b[0..e-b) appended to m (the caller knows the
 * result fits in 64 bits). Eight digits at a time where it can: the bytes
 * become 4 two-digit, then 2 four-digit, then one eight-digit number, with
 * no chain of 8 dependent multiplies. */
static uint64_t csv_digits(const char *b, const char *e, uint64_t m)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; e - b >= 8; b += 8) {
        uint64_t v;
        memcpy(&v, b, 8);
        v -= UINT64_C(0x3030303030303030);  /* byte i = digit i (first digit lowest) */
        v = v * 10 + (v >> 8);              /* byte 2i = 10 d[2i] + d[2i+1] */
        uint64_t lo = (v & UINT64_C(0x000000FF000000FF)) * (100 + (UINT64_C(1000000) << 32));
        uint64_t hi = ((v >> 16) & UINT64_C(0x000000FF000000FF)) * (1 + (UINT64_C(10000) << 32));
        m = m * 100000000u + (uint32_t)((lo + hi) >> 32);
    }
#endif
    for (; b < e; b++)
        m = m * 10 + (uint64_t)(*b - '0');
    return m;
}

/* Parses s[0..n), n >= 1, already trimmed, as a whole decimal number.
 * Returns 0 and *out, -1 when it is not one, -2 when it is beyond the
 * double range (strtod would give +-inf). s[n] must not be a digit, '.',
 * 'e', 'E', '+' or '-' (it is a delimiter, a space, a line end or NUL).
 *
 * Exactness: with the digits as an integer m and the value m * 10^k,
 *  - m <= 2^53, |k| <= 22: m and 10^|k| are exact doubles, so one IEEE
 *    multiply or divide is correctly rounded (Clinger 1990);
 *  - x87, m < 10^19 < 2^64, |k| <= 27: m and 10^|k| are exact in 64 bits,
 *    so one x87 operation gives x = the value rounded to 64 bits; rounding
 *    x to 53 bits gives the same double as rounding the value itself unless
 *    x is exactly halfway between two doubles (low 11 bits 0x400), since
 *    halfway points lie on the 64-bit grid. That case goes to strtod;
 *  - anything else (more than 19 significant digits, large exponents) goes
 *    to strtod. strtod reads the decimal point from LC_NUMERIC, so the
 *    caller runs us under the "C" locale (csv_run uses uselocale).
 * Round to nearest even is assumed (the default; fesetround would change
 * strtod and this code differently). */
int csv_number(const char *s, size_t n, int x87_ok, double *out)
{
    const char *p = s, *end = s + n;
    int neg = 0;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    const char *ib = p; /* integer digits ib..ie, fraction digits fb..fe */
    while (p < end && csv_isdigit(*p))
        p++;
    const char *ie = p, *fb = p, *fe = p;
    if (p < end && *p == '.') {
        fb = ++p;
        while (p < end && csv_isdigit(*p))
            p++;
        fe = p;
    }
    if (ie == ib && fe == fb)
        return CSV_NUM_NOT;
    long k = 0;
    if (p < end && (*p | 0x20) == 'e') {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p == end || !csv_isdigit(*p))
            return CSV_NUM_NOT;
        for (; p < end && csv_isdigit(*p); p++)
            if (k < 1000000)
                k = k * 10 + (*p - '0');
        if (eneg)
            k = -k;
    }
    if (p != end)
        return CSV_NUM_NOT;
    k -= (long)(fe - fb);

    const char *q = ib; /* first significant digit */
    while (q < ie && *q == '0')
        q++;
    size_t nsig = (size_t)(ie - q) + (size_t)(fe - fb);
    if (q == ie) {
        const char *z = fb;
        while (z < fe && *z == '0')
            z++;
        nsig = (size_t)(fe - z);
    }
    if (nsig == 0) {
        *out = neg ? -0.0 : 0.0;
        return 0;
    }
    if (nsig <= 19) {
        uint64_t m = csv_digits(fb, fe, csv_digits(q, ie, 0)); /* < 10^19: leading zeros add nothing */
#if FLT_EVAL_METHOD == 0
        if (m <= (UINT64_C(1) << 53) && k >= -22 && k <= 22) {
            double v = (double)m;
            v = k < 0 ? v / csv_p10[-k] : v * csv_p10[k];
            *out = neg ? -v : v;
            return 0;
        }
#endif
#ifdef CSV_HAVE_X87
        if (x87_ok && k >= -27 && k <= 27) {
            long double x = (long double)m;
            x = k < 0 ? x / csv_p10l[-k] : x * csv_p10l[k];
            uint64_t sig;
            memcpy(&sig, &x, sizeof sig); /* x87 layout: the low 8 bytes are the significand */
            if ((sig & 0x7FF) != 0x400) {
                double v = (double)x;
                *out = neg ? -v : v;
                return 0;
            }
        }
#endif
    }
    (void)x87_ok;
    char *qe = NULL;
    double v = strtod(s, &qe);
    if (qe != end)
        return CSV_NUM_NOT;
    if (isinf(v))
        return CSV_NUM_RANGE;
    *out = v;
    return 0;
}

int csv_parse_number(const char *s, size_t len, double *out)
{
    const char *p = s, *e = s + len;
    csv_trim(&p, &e);
    if (p == e)
        return CSV_NUM_NOT;
    /* csv_number needs a byte after the cell that cannot continue a number
     * (its strtod reads on to one); s[len] may not exist. A cell longer
     * than buf is rare but valid (csv_read_columns takes 0.000...1 of any
     * length), so it gets a copy of its own rather than a refusal. */
    char buf[128], *copy = buf;
    size_t n = (size_t)(e - p);
    if (n >= sizeof buf && !(copy = malloc(n + 1)))
        return CSV_NUM_NOMEM;
    memcpy(copy, p, n);
    copy[n] = '\0';
    int rc = csv_number(copy, n, 0, out);
    if (copy != buf)
        free(copy);
    return rc;
}
