/* commload: the Comm of this process. Under mpirun (the environment holds
 * OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK) it loads
 * libhousenet_mpi.so from the directory of the executable (or
 * HOUSENET_MPI_LIB) and joins the job; otherwise it is comm_self() and
 * nothing is loaded, so a plain run neither needs libmpi nor pays for it.
 * Owns the handle of the shared object; does not own what the Comm does
 * (io/comm_mpi.c, src/comm.c). */
#ifndef HOUSENET_COMMLOAD_H
#define HOUSENET_COMMLOAD_H

#include "comm.h"
#include "err.h"

/* 1 when the environment says a process manager (mpirun, srun) started
 * us as one rank of a job; *why gets the variable that says so. */
int commload_wanted(const char **why);

/* The job's Comm into *out (comm_self()'s copy when not wanted). E_USAGE
 * when wanted and the library cannot be loaded (a build without MPI), or
 * when MPI does not start. Call commload_close after the last collective. */
int commload_open(Comm *out, Err *err);

/* MPI_Finalize (for a job's Comm) and the library's handle released. */
void commload_close(Comm *c);

/* The entry point of libhousenet_mpi.so: MPI_Init_thread and the Comm of
 * MPI_COMM_WORLD into *out. */
int housenet_mpi_open(Comm *out, Err *err);
typedef int (*CommOpenFn)(Comm *out, Err *err);

#endif
