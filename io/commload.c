/* commload: finding and loading the MPI Comm at start-up (see commload.h). */
#include "commload.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMMLOAD_LIB "libhousenet_mpi.so"

int commload_wanted(const char **why)
{
    static const char *const VARS[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK" };
    for (size_t i = 0; i < sizeof VARS / sizeof VARS[0]; i++)
        if (getenv(VARS[i])) {
            if (why)
                *why = VARS[i];
            return 1;
        }
    return 0;
}

/* The library's path: HOUSENET_MPI_LIB, else next to /proc/self/exe. */
static void lib_path(char *p, size_t cap)
{
    const char *env = getenv("HOUSENET_MPI_LIB");
    if (env && env[0]) {
        snprintf(p, cap, "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(p, cap, "%s", COMMLOAD_LIB);
        return;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(p, cap, "%s/%s", exe, COMMLOAD_LIB);
}

int commload_open(Comm *out, Err *err)
{
    const char *why = NULL;
    *out = *comm_self();
    if (!commload_wanted(&why))
        return 0;
    char path[PATH_MAX + 32];
    lib_path(path, sizeof path);
    /* RTLD_GLOBAL: Open MPI's own plugins resolve symbols of libmpi. */
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!h)
        return err_set(err, E_USAGE, "started by mpirun (%s is set) but %.300s cannot be loaded: %.200s; "
                       "build with MPI (cmake -DHOUSENET_MPI=ON, tools/setup.sh installs Open MPI) or run "
                       "without mpirun", why, path, dlerror());
    CommOpenFn open_fn;
    *(void **)&open_fn = dlsym(h, "housenet_mpi_open");
    if (!open_fn) {
        dlclose(h);
        return err_set(err, E_USAGE, "%.300s: no housenet_mpi_open in it; rebuild housenet", path);
    }
    int rc = open_fn(out, err);
    /* The library stays loaded: MPI cannot be unloaded and started again. */
    return rc;
}

void commload_close(Comm *c)
{
    if (c && c->size > 0 && c->finalize)
        c->finalize(c);
}
