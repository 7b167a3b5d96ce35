/* h5guard: the child process that reads an HDF5 file first (see h5guard.h).
 * Owns the fork, the wait and the message; the probes are the callers'
 * (but for the two plain readers below).
 *
 * The fork may happen in a process that holds OpenMP threads (a training
 * run's libgomp pool, a sweep's or cv's earlier runs): the child has only
 * the thread that forked, and runs nothing but the probe, HDF5 and malloc,
 * never an OpenMP region. glibc makes that safe (malloc's and stdio's
 * locks are reset in the child), and HDF5 is never inside a call at the
 * fork, since it is only called outside OpenMP regions (STYLE 11). The
 * child ends with _exit: no atexit handler runs (HDF5's, LeakSanitizer's)
 * and no stdio buffer copied from the parent is flushed.
 *
 * The child ignores SIGINT, SIGTERM, SIGHUP and SIGUSR1 instead of
 * inheriting the handlers of io/cmd/cmd.c, which remove the parent's
 * temporary files or set its stop flag: neither is the child's to do. A
 * Ctrl-C reaches the whole process group; the parent acts on it (a
 * training run notes it and reads on), and a parent that dies takes the
 * child with it (PR_SET_PDEATHSIG), so that an endless read never
 * outlives the command.
 *
 * Before it ends, the child writes one byte on a pipe: the probe finished.
 * A child that ends without it crashed, whether or not a signal shows it
 * (under AddressSanitizer a SIGSEGV is reported and the process exits 1).
 * The parent waits for the byte with poll(), so that the time limit needs
 * no SIGCHLD or SIGALRM handler of its own. */
#define _GNU_SOURCE /* sigabbrev_np */

#include "h5guard.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "curves.h"
#include "h5model.h"
#include "model.h"

/* The hint of the message, by what the file is. */
static const char *const HINTS[] = {
    [H5GUARD_FILE] = "restore it from a copy, or write it again",
    [H5GUARD_MODEL] = "restore it from a copy, or train again",
    [H5GUARD_CHECKPOINT] = "restore it from a copy, or resume from an earlier checkpoint",
    [H5GUARD_CURVES] = "restore it from a copy, or train again",
    [H5GUARD_TABLE] = "restore it from a copy, or write it again",
};

static int time_limit(void)
{
    const char *s = getenv(H5GUARD_SECONDS_ENV);
    char *end = NULL;
    long v = s && *s ? strtol(s, &end, 10) : 0;
    return end && !*end && v >= 1 && v <= 3600 ? (int)v : H5GUARD_SECONDS;
}

/* The child: runs the probe quietly and says on fd that it finished. */
static void child_run(const char *path, H5GuardProbe probe, void *ctx, int fd, pid_t parent)
{
    static const int QUIET[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };
    for (size_t i = 0; i < sizeof QUIET / sizeof QUIET[0]; i++)
        signal(QUIET[i], SIG_IGN);
    struct rlimit no_core = { 0, 0 };
    (void)setrlimit(RLIMIT_CORE, &no_core); /* a crash leaves no core file behind */
#ifdef __linux__
    (void)prctl(PR_SET_DUMPABLE, 0);        /* nor a core through a core_pattern pipe */
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() != parent) /* the parent died before the line above */
        _exit(2);
    int null = open("/dev/null", O_RDWR);
    for (int d = 0; d <= 2; d++)
        if (null < 0 || dup2(null, d) < 0)
            close(d);
    Err e = { 0 };
    char done = probe(path, ctx, &e) ? 'n' : 'y';
    _exit(write(fd, &done, 1) == 1 ? 0 : 2);
}

/* Waits at most seconds for the child's byte on fd: 1 it came, 0 the
 * child ended without it, -1 the time ran out. */
static int wait_done(int fd, int seconds)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long left = seconds * 1000LL - (long long)(now.tv_sec - t0.tv_sec) * 1000 -
                         (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (left <= 0)
            return -1;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno != EINTR)
            return 0;
        if (n <= 0) /* EINTR: a training run's stop signal, acted on after the read */
            continue;
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        return r == 1;
    }
}

int h5guard_check(const char *path, H5GuardKind kind, H5GuardProbe probe, void *ctx, Err *err)
{
    int fds[2], status = 0;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        int e = errno;
        return err_set(err, E_IO, "%.256s: cannot start the process that reads it first: %s", path, strerror(e));
    }
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return err_set(err, E_IO, "%.256s: cannot start the process that reads it first: %s", path, strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        child_run(path, probe, ctx, fds[1], parent);
    }
    close(fds[1]);
    int seconds = time_limit(), done = wait_done(fds[0], seconds);
    close(fds[0]);
    if (done != 1)
        kill(pid, SIGKILL);
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    if (done == 1)
        return 0;
    const char *hint = HINTS[kind];
    if (done < 0)
        return err_set(err, E_PARSE, "%.256s: the file is damaged: the HDF5 library did not finish reading it "
                       "within %d s; %s", path, seconds, hint);
    char how[48] = "it ended early"; /* not our child to wait for: SIGCHLD ignored */
    const char *abbrev = w == pid && WIFSIGNALED(status) ? sigabbrev_np(WTERMSIG(status)) : NULL;
    if (abbrev)
        snprintf(how, sizeof how, "SIG%s", abbrev);
    else if (w == pid && WIFSIGNALED(status))
        snprintf(how, sizeof how, "signal %d", WTERMSIG(status));
    else if (w == pid && WIFEXITED(status))
        snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
    return err_set(err, E_PARSE, "%.256s: the file is damaged: the HDF5 library crashed reading it (%s); %s", path,
                   how, hint);
}

static int probe_model(const char *path, void *ctx, Err *err)
{
    Model m = { 0 };
    int rc = h5_model_load(path, &m, err);
    model_free(&m);
    return rc;
}

static int probe_curves(const char *path, void *ctx, Err *err)
{
    Curves c = { 0 };
    int rc = h5_curves_load(path, &c, err);
    curves_free(&c);
    return rc;
}

int h5guard_model(const char *path, Err *err)
{
    return h5guard_check(path, H5GUARD_MODEL, probe_model, NULL, err);
}

int h5guard_curves(const char *path, Err *err)
{
    return h5guard_check(path, H5GUARD_CURVES, probe_curves, NULL, err);
}
