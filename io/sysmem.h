/* sysmem: how much memory this process may still use, for refusing a
 * network that cannot fit before allocating it (docs/hardening.md).
 * Owns reading /proc/meminfo, the cgroup's memory limit and ulimit -v;
 * knows nothing of networks. */
#ifndef HOUSENET_SYSMEM_H
#define HOUSENET_SYSMEM_H

typedef struct SysMem {
    double bytes;       /* the smallest of the limits found; < 0 when none could be read */
    const char *source; /* which: "MemAvailable", "the cgroup's memory limit", "ulimit -v" */
} SysMem;

/* The memory available to this process: the smallest of MemAvailable
 * (/proc/meminfo), the cgroup's memory.max (v2) or limit_in_bytes (v1)
 * less what the cgroup already uses, and RLIMIT_AS less the address space
 * already mapped. Never fails: bytes < 0 when nothing could be read. */
SysMem sysmem_available(void);

/* Runnable tasks on the machine other than this process, right now
 * (/proc/stat procs_running - 1), for [train] threads = 0: with them on
 * every core but one, a second thread would share a core with them and
 * wait at every step. -1 when it cannot be read. */
int sysmem_runnable_others(void);

#endif
