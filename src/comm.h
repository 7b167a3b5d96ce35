/* comm: the ranks of a parallel run, behind one small interface.
 * A Comm is a table of functions over an opaque context: the one-process
 * implementation here (comm_self, pure, no MPI), Open MPI's in
 * io/comm_mpi.c (a shared object loaded only under mpirun, see
 * io/commload.h), and an in-process one of threads in tests/test_comm.c.
 * The trainer knows only this header. Everything that crosses ranks is
 * bytes: sums are never reduced by the transport (MPI_Allreduce's order
 * may change with the process count), they are gathered and added in
 * block order by the caller, so every rank holds the same bits.
 * Every function but send and recv is collective: all ranks call it, in
 * the same order. send and recv (point to point) carry housenet sweep's
 * hand-out of runs (io/sweep.c); training never uses them. */
#ifndef HOUSENET_COMM_H
#define HOUSENET_COMM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct Comm Comm;
struct Comm {
    int rank;        /* 0 .. size - 1; rank 0 alone writes files */
    int size;        /* ranks in the job, >= 1 */
    void *ctx;       /* the implementation's */
    /* In place: rank q's counts[q] bytes at buf + displs[q] reach every
     * rank's buf at the same place; the caller's own part is already
     * there. Returns 0 or a negative code with err set. */
    int (*allgatherv)(const Comm *c, void *buf, const size_t *counts, const size_t *displs, Err *err);
    /* n bytes of root's buf into every rank's buf. */
    int (*bcast)(const Comm *c, void *buf, size_t n, int root, Err *err);
    /* Ends every rank of the job with a non-zero status; does not return. */
    void (*abort)(const Comm *c, int status);
    /* Leaves the job (after the last collective); c is unusable after. */
    void (*finalize)(const Comm *c);
    /* Point to point, not collective: n bytes of buf to rank dest. */
    int (*send)(const Comm *c, const void *buf, size_t n, int dest, Err *err);
    /* n bytes from rank src (-1: whichever sends first) into buf; *from
     * gets the sender. Waits without keeping a core busy. */
    int (*recv)(const Comm *c, void *buf, size_t n, int src, int *from, Err *err);
};

/* The one-process Comm (rank 0 of 1): gathers and broadcasts are no-ops,
 * abort exits. Static storage; never finalized. */
const Comm *comm_self(void);

/* Collective calls through c (NULL: comm_self()). */
int comm_allgatherv(const Comm *c, void *buf, const size_t *counts, const size_t *displs, Err *err);
int comm_bcast(const Comm *c, void *buf, size_t n, int root, Err *err);

/* Point to point through c; E_STATE on a Comm without it (one process:
 * there is no other rank). */
int comm_send(const Comm *c, const void *buf, size_t n, int dest, Err *err);
int comm_recv(const Comm *c, void *buf, size_t n, int src, int *from, Err *err);

/* Agreement on an outcome: every rank brings its rc (0 or a negative
 * code) and, when failing, err's message. Returns 0 when every rc is 0;
 * else, on every rank alike, the lowest failing rank's code with err set
 * to its message ("rank R: ..." for a rank R > 0). So a failure
 * on one rank ends every rank at the same point, and rank 0 can print it
 * once. */
int comm_agree(const Comm *c, int rc, Err *err);

/* The contiguous share of n items (blocks, groups, rows) that rank r of k
 * takes: [comm_share(n, r, k), comm_share(n, r + 1, k)). Earlier ranks
 * take no more than later ones; a rank may take none (n < k). */
size_t comm_share(size_t n, int r, int k);

/* A fingerprint of this build's floating-point arithmetic: NET_ARITHMETIC
 * and a few operations whose rounding would differ between builds
 * (contraction into fma, the kernels' exp, tanh and powers, float32
 * conversion); the same on every kernel path and CPU. Ranks compare it at
 * start-up: builds that round differently would give other bits. */
uint64_t comm_arith_fingerprint(void);

#endif
