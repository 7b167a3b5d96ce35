/* Helpers shared by the cmocka tests. Include after <cmocka.h>.
 * tu_rm_tree and the tu_tmpdir fixture exist only in files that define
 * _GNU_SOURCE before their first include: glibc declares nftw under it. */
#ifndef HOUSENET_TESTUTIL_H
#define HOUSENET_TESTUTIL_H

#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"

/* Number of HDF5 files, groups, datasets, attributes and named types open
 * in this process (tests assert 0 after each reader and writer). */
static inline long h5_open_objects(void)
{
    return (long)H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL);
}

/* Fails with both values when |a - b| > tol. */
#define assert_close(a, b, tol) \
    do { \
        double a_ = (a), b_ = (b); \
        if (!(fabs(a_ - b_) <= (tol))) \
            fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, a_, b_, (double)(tol)); \
    } while (0)

/* Fails unless e->msg is exactly the printf-formatted fmt. */
static inline void assert_msg(const Err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void assert_msg(const Err *e, const char *fmt, ...)
{
    char want[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    assert_string_equal(e->msg, want);
}

/* Fails unless got and want are the same double bit for bit (NaN payloads
 * and the sign of zero included). */
static inline void assert_same_double(double got, double want)
{
    if (memcmp(&got, &want, sizeof got) != 0)
        fail_msg("got %.17g (%a), want %.17g (%a)", got, got, want, want);
}

#ifdef _GNU_SOURCE
#include <ftw.h>

static inline int tu_rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Removes dir and everything below it (a fixture's temporary directory),
 * not following links. Best effort: a teardown has nothing to report. */
static inline void tu_rm_tree(const char *dir)
{
    nftw(dir, tu_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Bytes of a fixture's directory name, "/tmp/NAME-XXXXXX". */
#define TU_DIR_MAX 64

/* Makes dir (cap bytes) a new empty directory /tmp/NAME-XXXXXX. Returns 0,
 * or -1 when the name does not fit or mkdtemp fails. */
static inline int tu_tmpdir(char *dir, size_t cap, const char *name)
{
    int n = snprintf(dir, cap, "/tmp/%s-XXXXXX", name);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

/* A fixture with its own temporary directory: size zeroed bytes of a
 * struct whose first member is `char dir[TU_DIR_MAX]`, that dir made by
 * tu_tmpdir(NAME). Returns it (free it with tu_tmpdir_free), or NULL when
 * either step fails (a setup then returns -1). */
static inline void *tu_tmpdir_new(size_t size, const char *name)
{
    char *fx = calloc(1, size);
    if (fx && tu_tmpdir(fx, TU_DIR_MAX, name) != 0) {
        free(fx);
        fx = NULL;
    }
    return fx;
}

/* Removes a tu_tmpdir_new fixture's directory with all below it, and frees
 * the fixture. NULL-safe. */
static inline void tu_tmpdir_free(void *fx)
{
    if (fx)
        tu_rm_tree(fx);
    free(fx);
}

/* The cmocka teardown of a tu_tmpdir_new fixture in *state. */
static inline int tu_tmpdir_teardown(void **state)
{
    tu_tmpdir_free(*state);
    return 0;
}
#endif

/* Writes text to a new file at path (replacing it); fails the test when
 * it cannot. */
static inline void tu_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

#endif
