/* atomic: crash-safe replacement of a file.
 * A writer creates `path.tmp-<pid>` in the same directory, writes and closes
 * it, then atomic_commit() fsyncs it, renames it over path and fsyncs the
 * directory, so path is always either the old complete file or the new one.
 * On any failure the temporary file is removed and path is untouched. */
#ifndef HOUSENET_ATOMIC_H
#define HOUSENET_ATOMIC_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

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
/* Removes every temporary file of this process that is neither committed
 * nor removed yet (made by atomic_write_file or atomic_out_open).
 * Async-signal-safe (unlink only): for a handler of a signal that ends the
 * process, so that a SIGTERM leaves no `.tmp-PID` file behind. */
void atomic_remove_pending(void);
/* ---- outputs named on the command line (-o, convert's OUT) ----------------
 * atomic_out_open() decides how the name is written, from what it names:
 * - "-" or /dev/stdout: standard output, streamed;
 * - a symlink: followed (the whole chain) to its target, which is what is
 *   written; a dangling link creates its target, as `>` does;
 * - a regular file or no file: written atomically beside the target (a
 *   temporary file, then atomic_commit()), keeping the target's mode;
 * - a character device or a FIFO: opened and streamed to, never replaced;
 * - a directory, socket or block device: refused.
 * It refuses to replace a file of another kind (an HDF5 file with CSV) and
 * the input itself (same device and inode as `input`, when given). */
typedef enum OutKind {
    OUT_CSV,  /* text, streamed through a FILE */
    OUT_HDF5  /* an HDF5 file: needs a regular file (HDF5 seeks); the caller
                 writes o->tmp by name */
} OutKind;

typedef struct AtomicOut {
    char path[PATH_MAX]; /* the file written: the name given, links followed */
    char tmp[PATH_MAX];  /* the temporary file beside it; "" when streaming */
    FILE *f;             /* OUT_CSV: where to write; NULL for OUT_HDF5 */
    int is_h5;           /* the existing target is an HDF5 file (OUT_HDF5:
                            the caller checks its format) */
} AtomicOut;

/* Opens the output named name (see above) for writing `kind`; input (or
 * NULL) is the file being read, which must not be the output. E_USAGE for a
 * name that cannot or must not be written (naming what it is and what to
 * do), E_IO with strerror when it cannot be created. On success the caller
 * writes, then calls atomic_out_commit() or atomic_out_abort(). */
int atomic_out_open(AtomicOut *o, const char *name, OutKind kind, const char *input, Err *err);
/* Flushes and closes o->f (checking for write errors: E_IO with the path
 * and strerror), then atomic_commit() when o->tmp is set. Standard output
 * is flushed, not closed. On failure the temporary file is removed. */
int atomic_out_commit(AtomicOut *o, Err *err);
/* Closes o->f (not standard output) and removes the temporary file. For
 * error paths; NULL-safe, and a no-op after atomic_out_commit(). */
void atomic_out_abort(AtomicOut *o);

/* Takes an exclusive flock on dir/.lock (created if needed) without
 * waiting, and writes this process's pid into it; *fd holds the lock until
 * dir_unlock() or the process ends (a killed holder frees it). E_USAGE
 * `dir is in use by another housenet run (pid N)` when another process
 * holds it; E_IO with strerror when it cannot be created. */
int dir_lock(const char *dir, int *fd, Err *err);
/* Releases the lock of dir_lock(); NULL-safe, no-op for *fd < 0; *fd = -1. */
void dir_unlock(int *fd);

/* mkdir -p; E_IO naming the directory on failure. */
int mkdir_p(const char *dir, Err *err);
/* The first prefix of dir (dir itself included) that exists and is no
 * directory (a file, a device), where mkdir_p would fail: its length,
 * its st_mode in *mode; 0 when there is none. */
size_t dir_path_blocked(const char *dir, unsigned *mode);
/* The length of the first prefix of dir (dir itself included) that does
 * not exist, the first directory mkdir_p would make; 0 when there is
 * none. */
size_t dir_path_missing(const char *dir);

#endif
