/* h5util: the HDF5 plumbing shared by io/h5model.c, io/checkpoint.c and
 * io/h5table.c. Owns turning a failed HDF5 call into an Err (with the
 * innermost entry of HDF5's error stack), the one check macro, and the few
 * helpers whose code was the same in those files: checking a file before
 * opening it, building a file in memory and taking its image, writing an
 * attribute, finding a missing link, reading variable-length strings,
 * listing a shape, freeing a string array. Does not own any file layout;
 * the messages that say what a file lacks stay with the callers.
 *
 * Only io/ includes this header (no hid_t leaves io/). A file that uses the
 * macros defines, before including it:
 *   H5U_SRC        its name as messages show it, e.g. "io/h5model.c"
 *   H5U_PATH_PREC  the printf precision of the file path in an HDF5-failure
 *                  message (-1: the whole path) */
#ifndef HOUSENET_H5UTIL_H
#define HOUSENET_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <sys/types.h> /* ssize_t */

#include "err.h"

#if !defined(H5U_SRC) || !defined(H5U_PATH_PREC)
#error "define H5U_SRC and H5U_PATH_PREC before including h5util.h"
#endif

#define H5U_WHY_MAX 160

/* The innermost entry of HDF5's error stack (its description, on one line)
 * into why (H5U_WHY_MAX bytes); "" when the stack is empty. Must run right
 * after the failing call, before another HDF5 call clears the stack. */
void h5u_why(char *why);

/* Records a failed HDF5 call in err and returns E_HDF5:
 * `path: where: H5Xxx failed (hdf5 says) [src:line]` (no `where: ` when
 * where is ""), with path printed at precision path_prec (-1: all of it).
 * call is the call's source text; its function name is the identifier just
 * before the first '('. Must run right after the failing call, before
 * another HDF5 call clears the error stack. */
int h5u_fail(Err *err, const char *src, int path_prec, const char *path, const char *where,
             const char *call, int line);

/* Each use site has `int rc`, `const char *path`, `where` (the HDF5 object
 * being handled, for the message), `Err *err` and a `done:` label. */
#define CHECK_H5(call)                                                          \
    do {                                                                        \
        if ((call) < 0) {                                                       \
            rc = h5u_fail(err, H5U_SRC, H5U_PATH_PREC, path, where, #call, __LINE__); \
            goto done;                                                          \
        }                                                                       \
    } while (0)

/* Under `done:`: closes id if open and sets it to H5I_INVALID_HID. A close
 * that fails after everything else succeeded is an error too: it is where
 * HDF5 flushes. */
#define CLOSE_H5(id, closefn)                                                   \
    do {                                                                        \
        if ((id) >= 0 && closefn(id) < 0 && rc == 0)                            \
            rc = h5u_fail(err, H5U_SRC, H5U_PATH_PREC, path, where, #closefn "(", __LINE__); \
        (id) = H5I_INVALID_HID;                                                 \
    } while (0)

/* A failure that is not an HDF5 call's: err_set(err, ...) and `goto done`. */
#define FAIL(...)                                                               \
    do {                                                                        \
        rc = err_set(err, __VA_ARGS__);                                         \
        goto done;                                                              \
    } while (0)

/* Runs expr (a fallible call that filled err) and goes to `done:` on failure. */
#define TRY(expr)                                                               \
    do {                                                                        \
        if ((rc = (expr)) != 0)                                                 \
            goto done;                                                          \
    } while (0)

/* Attribute obj@name of file: a scalar when n == 0, else n values; buf in
 * mtype (for strings: an array of char *, ftype = mtype = a variable-length
 * string type). Failures name `obj attribute "name"`; path is the file's
 * name for messages. */
int h5u_write_attr(hid_t file, const char *obj, const char *name, hid_t ftype, hid_t mtype,
                   hsize_t n, const void *buf, const char *path, Err *err);

/* A new empty HDF5 file *out that lives in memory only (the core driver, no
 * backing store): path is HDF5's name for it, nothing is created on disk.
 * Also turns HDF5's own printing of its error stack off. The caller closes
 * *out. */
int h5u_mem_create(const char *path, hid_t *out, Err *err);

/* The bytes of the in-memory file f into a new buffer *buf of *n bytes; the
 * caller frees it. Every object of f other than f itself must be closed.
 * what names the file in the out-of-memory message ("a %zd-byte <what>
 * image"). H5Fget_file_image (1.10) does not flush the metadata cache: the
 * image misses object headers ("bad object header version number") unless
 * the file is flushed first, which this does. The default libver bounds must
 * be kept: with a v2/v3 superblock, HDF5 < 2.0 leaves a wrong superblock
 * checksum in the image (HDFGroup/hdf5#5489); v0 has none. */
int h5u_mem_image(hid_t f, const char *what, void **buf, size_t *n, const char *path, Err *err);

/* Before opening path read-only: checks it can be opened (E_IO with
 * strerror, also for a directory), turns HDF5's printing of its error stack
 * off, and sets *is_h5 to whether it is an HDF5 file (the caller words the
 * message when it is not). path is printed at precision path_prec (-1: all
 * of it). */
int h5u_probe(const char *path, int path_prec, int *is_h5, Err *err);

/* The first link of obj (an absolute path) that does not exist in file,
 * as a path, into missing (room for strlen(obj) + 1 bytes); "" when obj
 * exists. Walks obj's prefixes because H5Lexists fails, rather than
 * answering 0, when a parent is missing. HDF5 failures name obj. */
int h5u_first_missing(hid_t file, const char *obj, char *missing, const char *path, Err *err);

/* H5Tget_size and H5Tget_precision signal failure with 0: this maps it to
 * the < 0 of every other call, so that CHECK_H5 applies. */
static inline ssize_t h5u_size_or_fail(size_t s) { return s ? (ssize_t)s : -1; }

/* The kind of an HDF5 type class, for messages: "integer", "float",
 * "string", "compound", "enum", else "non-numeric". */
const char *h5u_class_name(H5T_class_t c);

/* The memory type that reads strings of file type t as C strings: the
 * file's character set (HDF5 does not convert between character sets);
 * variable length when t is (*is_vl = 1), else t's size + 1 bytes, NUL
 * terminated (HDF5 terminates each), with *size = t's size. The caller
 * closes *mt (H5I_INVALID_HID on failure). Messages name `where`. */
int h5u_string_memtype(hid_t t, hid_t *mt, int *is_vl, size_t *size, const char *where, const char *path,
                       Err *err);

/* Every element of a string attribute or dataset id (fixed or variable
 * length, a scalar or 1-D) into *out, a new array of *n new strings
 * (h5u_free_strings). E_PARSE naming `where` when id holds something else. */
int h5u_read_strings(hid_t id, const char *where, char ***out, size_t *n, const char *path, Err *err);

/* The count variable-length strings of attribute (is_attr) or dataset id
 * into s[0..count) as new strings (the caller owns and frees them, also on
 * failure; s has room for count). mt is the memory string type (variable
 * length), sp the object's dataspace, dxpl the transfer list for a dataset.
 * HDF5's own copies are reclaimed here. Messages name `where`. */
int h5u_read_vl_strings(hid_t id, int is_attr, hid_t mt, hid_t sp, hid_t dxpl, size_t count,
                        char **s, const char *where, const char *path, Err *err);

/* E_PARSE `path: obj: value i is nan; the file is damaged ...` unless
 * every one of v[0..n) is finite (no file we write holds a non-finite
 * parameter or statistic). */
int h5u_check_finite(const double *v, size_t n, const char *obj, const char *path, Err *err);

/* E_PARSE `path: where declares shape (2, 1099511627776) (1.8e+13 bytes)
 * but the file stores 0 bytes for it; the file is damaged or was not
 * completely written` when the dataset or attribute id declares far more
 * bytes than the file stores for it: past 4096:1 and 1 MiB (deflate packs
 * at most ~1032:1). Every reader calls it before allocating for what id
 * declares, so that a damaged shape is an error, not gigabytes of fill
 * values. Virtual datasets and external raw files (bytes that live
 * elsewhere) are not checked. */
int h5u_check_stored(hid_t id, const char *where, const char *path, Err *err);

/* "(3, 2)", "(5,)" or "()" as numpy prints shapes, into buf (cap bytes,
 * truncated if short); returns buf. */
const char *h5u_fmt_shape(char *buf, size_t cap, int rank, const hsize_t *dims);

/* Frees s[0..n) and s. NULL-safe. */
void h5u_free_strings(char **s, size_t n);

/* Closes an id of any kind on a path that is already failing or cannot
 * fail usefully (a read-only file), without HDF5's error printing;
 * negative ids are ignored. */
void h5u_close_quietly(hid_t id);

#endif
