/* h5guard: an HDF5 file the user hands over, read first in a child
 * process. Some damaged files crash or hang inside libhdf5 1.10.8 itself
 * (docs/hardening.md, "What HDF5 1.10.8 does with damaged files"), where
 * housenet cannot catch it; read in a child, such a file kills or holds
 * up only the child, and the command reports one error line instead.
 *
 * The commands call it just before their real read, with a probe: the
 * reader they are about to run, into throwaway output. The readers
 * themselves never call it, so the fuzz targets keep fuzzing them in
 * process. Owns the fork, the time limit and the message; not what is
 * read (the probes are their callers'). */
#ifndef HOUSENET_H5GUARD_H
#define HOUSENET_H5GUARD_H

#include "err.h"

/* The child's time limit. A probe reads what the command then reads
 * again: the files it guards (models, checkpoints, curves, tables loaded
 * whole) read in well under a second. */
#define H5GUARD_SECONDS 60
/* Overrides H5GUARD_SECONDS (1 to 3600 seconds) for the tests, which
 * would otherwise wait a minute for each hang. */
#define H5GUARD_SECONDS_ENV "HOUSENET_H5GUARD_SECONDS"

/* What the file is: it picks the hint of the message. */
typedef enum H5GuardKind {
    H5GUARD_FILE,       /* any HDF5 file (inspect) */
    H5GUARD_MODEL,      /* model.h5, best.h5 */
    H5GUARD_CHECKPOINT,
    H5GUARD_CURVES,
    H5GUARD_TABLE       /* a data table */
} H5GuardKind;

/* The reader run in the child: reads path as the command will (ctx is the
 * caller's; the child has its own copy of the process, so the probe may
 * write into the caller's objects). Returns 0 or a negative code; its
 * message is dropped. */
typedef int (*H5GuardProbe)(const char *path, void *ctx, Err *err);

/* Runs probe(path, ctx) in a child process (stdin, stdout and stderr on
 * /dev/null, no core file) and waits for it, at most H5GUARD_SECONDS.
 * Returns 0 when the probe finished, whatever it found: the caller's real
 * read then reports an ordinary error itself. E_PARSE, nothing else done,
 * when the child died before it finished (`model.h5: the file is damaged:
 * the HDF5 library crashed reading it (SIGSEGV); restore it from a copy,
 * or train again`) or did not finish in time (it is killed). E_IO when no
 * child can be started. */
int h5guard_check(const char *path, H5GuardKind kind, H5GuardProbe probe, void *ctx, Err *err);

/* h5guard_check with h5_model_load as the probe (evaluate, predict). */
int h5guard_model(const char *path, Err *err);
/* h5guard_check with h5_curves_load as the probe (curves export). */
int h5guard_curves(const char *path, Err *err);

#endif
