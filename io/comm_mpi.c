/* comm_mpi: the Comm of a job started by mpirun, over MPI_COMM_WORLD.
 * Built alone into libhousenet_mpi.so (CMake option HOUSENET_MPI), which
 * io/commload.c loads only when the environment says mpirun started us:
 * the program itself never links libmpi. Bytes only: MPI_Allgatherv,
 * MPI_Bcast, and MPI_Send/MPI_Recv (sweeps) of MPI_BYTE, never a reduction (comm.h says why). Errors come
 * back as codes (MPI_ERRORS_RETURN); a rank that dies is mpirun's to
 * notice, which ends the job. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <mpi.h>

#include "comm.h"
#include "commload.h"

typedef struct MpiCtx {
    int *counts, *displs; /* (size) */
} MpiCtx;

static int mpi_fail(Err *err, int mrc, const char *what)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(mrc, s, &len) != MPI_SUCCESS)
        snprintf(s, sizeof s, "error %d", mrc);
    err_set(err, E_IO, "MPI: %s failed: %.200s [io/comm_mpi.c]", what, s);
    if (err)
        err->local = 1; /* the others may not have seen it: main ends the job */
    return E_IO;
}

static int mpi_allgatherv(const Comm *c, void *buf, const size_t *counts, const size_t *displs, Err *err)
{
    MpiCtx *m = c->ctx;
    for (int q = 0; q < c->size; q++) {
        if (counts[q] > INT_MAX || displs[q] > INT_MAX)
            return err_set(err, E_IO, "MPI: a gather of %zu bytes at %zu is past MPI's int counts; "
                           "use a smaller [train] batch_size [io/comm_mpi.c:%d]", counts[q], displs[q], __LINE__);
        m->counts[q] = (int)counts[q];
        m->displs[q] = (int)displs[q];
    }
    int mrc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, m->counts, m->displs, MPI_BYTE,
                             MPI_COMM_WORLD);
    return mrc == MPI_SUCCESS ? 0 : mpi_fail(err, mrc, "MPI_Allgatherv");
}

static int mpi_bcast(const Comm *c, void *buf, size_t n, int root, Err *err)
{
    if (n > INT_MAX)
        return err_set(err, E_IO, "MPI: a broadcast of %zu bytes is past MPI's int counts [io/comm_mpi.c:%d]", n,
                       __LINE__);
    int mrc = MPI_Bcast(buf, (int)n, MPI_BYTE, root, MPI_COMM_WORLD);
    return mrc == MPI_SUCCESS ? 0 : mpi_fail(err, mrc, "MPI_Bcast");
}

/* The sweep's hand-out messages: one tag, point to point. */
#define SWEEP_TAG 7

static int mpi_send(const Comm *c, const void *buf, size_t n, int dest, Err *err)
{
    if (n > INT_MAX)
        return err_set(err, E_IO, "MPI: a message of %zu bytes [io/comm_mpi.c:%d]", n, __LINE__);
    int mrc = MPI_Send(buf, (int)n, MPI_BYTE, dest, SWEEP_TAG, MPI_COMM_WORLD);
    return mrc == MPI_SUCCESS ? 0 : mpi_fail(err, mrc, "MPI_Send");
}

/* Open MPI's blocking receive polls, keeping a core busy for as long as
 * it waits; a rank that hands out runs waits for seconds, so it probes
 * every millisecond and sleeps in between. */
static int mpi_recv(const Comm *c, void *buf, size_t n, int src, int *from, Err *err)
{
    if (n > INT_MAX)
        return err_set(err, E_IO, "MPI: a message of %zu bytes [io/comm_mpi.c:%d]", n, __LINE__);
    int source = src < 0 ? MPI_ANY_SOURCE : src, flag = 0, mrc;
    MPI_Status st;
    while ((mrc = MPI_Iprobe(source, SWEEP_TAG, MPI_COMM_WORLD, &flag, &st)) == MPI_SUCCESS && !flag) {
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL);
    }
    if (mrc != MPI_SUCCESS)
        return mpi_fail(err, mrc, "MPI_Iprobe");
    mrc = MPI_Recv(buf, (int)n, MPI_BYTE, st.MPI_SOURCE, SWEEP_TAG, MPI_COMM_WORLD, &st);
    if (mrc != MPI_SUCCESS)
        return mpi_fail(err, mrc, "MPI_Recv");
    if (from)
        *from = st.MPI_SOURCE;
    return 0;
}

static void mpi_abort(const Comm *c, int status)
{
    MPI_Abort(MPI_COMM_WORLD, status ? status : 1);
    exit(status ? status : 1); /* MPI_Abort does not return; in case it does */
}

static void mpi_finalize(const Comm *c)
{
    MpiCtx *m = c->ctx;
    MPI_Finalize();
    free(m->counts);
    free(m->displs);
    free(m);
}

int housenet_mpi_open(Comm *out, Err *err)
{
    int provided = 0, rank = 0, size = 0;
    /* Only the thread that calls train_run talks to MPI; OpenMP workers never do. */
    int mrc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (mrc != MPI_SUCCESS)
        return mpi_fail(err, mrc, "MPI_Init_thread");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MpiCtx *m = calloc(1, sizeof *m);
    if (m) {
        m->counts = calloc((size_t)size, sizeof(int));
        m->displs = calloc((size_t)size, sizeof(int));
    }
    if (!m || !m->counts || !m->displs) {
        MPI_Abort(MPI_COMM_WORLD, 1);
        return err_set(err, E_NOMEM, "out of memory");
    }
    *out = (Comm){ rank, size, m, mpi_allgatherv, mpi_bcast, mpi_abort, mpi_finalize, mpi_send, mpi_recv };
    return 0;
}
