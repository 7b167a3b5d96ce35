/* fuzz_util: what the fuzz targets of tools/fuzz_*.c share: a private
 * temporary directory for the files a target hands to the readers (which
 * take paths: the file as the program meets it), the check that a failure
 * is a negative code with its message, and copies of directories for the
 * command-line target. Not part of the program. */
#ifndef HOUSENET_FUZZ_UTIL_H
#define HOUSENET_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The process's own directory (on /dev/shm when it exists, else $TMPDIR or
 * /tmp), made at the first call and removed at exit. Aborts when it cannot
 * be made. */
const char *fuzz_dir(void);

/* Writes data[0..size) to fuzz_dir()/name (replaced) and returns the path
 * in a static buffer, valid until the next call. Aborts on a failure. */
const char *fuzz_file(const char *name, const void *data, size_t size);

/* Reports what failed (target, call, detail) on stderr and aborts. */
void fuzz_fail(const char *what, const char *detail);

/* A call's result: 0, or a negative code that err holds with a message. */
void fuzz_check_err(const char *what, int rc, const Err *err);

/* The input "CONFIG\0DATA" (no NUL: all CONFIG, DATA empty): DATA is
 * written to fuzz_dir()/name, CONFIG read into *c (cfg_defaults, then
 * cfg_load_text as "fuzz.ini") with [data] path set to that file and
 * stream as given; when it names no features, pick(c, path, err) names
 * them; then cfg_finish. 0, or the failure's code with err set (checked
 * by fuzz_check_err). cfg_free(c) either way. */
int fuzz_config_and_data(const uint8_t *data, size_t size, const char *name, int stream,
                         int (*pick)(Config *c, const char *path, Err *err), Config *c, Err *err);

/* /dev/null opened for writing once; aborts when it cannot be. */
FILE *fuzz_null(void);

/* Aborts when an HDF5 object (file, group, dataset, datatype, attribute)
 * is still open: a reader that fails must close what it opened. */
void fuzz_check_h5_closed(const char *what);

/* Removes path and everything under it (a missing path is not an error). */
void fuzz_remove_tree(const char *path);

/* Copies directory from (regular files and directories) to a new to. */
void fuzz_copy_tree(const char *from, const char *to);

#endif
