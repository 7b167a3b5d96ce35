/* atomic: crash-safe replacement of a file.
 * A writer creates `path.tmp-<pid>` in the same directory, writes and closes
 * it, then atomic_commit() fsyncs it, renames it over path and fsyncs the
 * directory, so path is always either the old complete file or the new one.
 * On any failure the temporary file is removed and path is untouched. */
#ifndef HOUSENET_ATOMIC_H
#define HOUSENET_ATOMIC_H

#include <stddef.h>

#include "err.h"

/* Writes the temporary name for path into tmp (size cap). E_IO if too long. */
int atomic_tmp_name(const char *path, char *tmp, size_t cap, Err *err);
/* Writes the n bytes of buf to path atomically: path.tmp-<pid> is created,
 * written and closed, then atomic_commit(). E_IO naming path, the step and
 * strerror (`path: cannot write path.tmp-12: No space left on device`);
 * the temporary file is removed on failure and path is untouched. */
int atomic_write_file(const char *path, const void *buf, size_t n, Err *err);
/* fsync(tmp), rename(tmp, path), fsync(dir of path). Removes tmp on failure. */
int atomic_commit(const char *tmp, const char *path, Err *err);
/* Removes tmp if it exists; for error paths. */
void atomic_abort(const char *tmp);
/* mkdir -p; E_IO naming the directory on failure. */
int mkdir_p(const char *dir, Err *err);

#endif
