/* atomic: crash-safe replacement of a file (see atomic.h).
 * Owns the temporary name, the write/fsync/rename/fsync sequence and
 * mkdir -p. Knows nothing of what is written: io/h5model.c builds its files
 * in memory and hands over the bytes. */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* The temporary files that exist now, for atomic_remove_pending() in a
 * signal handler: a name is copied into its slot before the slot is marked
 * used and the file created, and the mark is cleared once the file is
 * renamed or removed. A file made while every slot is in use is not
 * tracked (no command has more than one open at a time). */
#define PENDING_MAX 4
static char pending[PENDING_MAX][PATH_MAX];
static volatile sig_atomic_t pending_used[PENDING_MAX];

static void pending_add(const char *tmp)
{
    for (int i = 0; i < PENDING_MAX; i++)
        if (!pending_used[i]) {
            snprintf(pending[i], sizeof pending[i], "%s", tmp);
            pending_used[i] = 1;
            return;
        }
}

static void pending_drop(const char *tmp)
{
    for (int i = 0; i < PENDING_MAX; i++)
        if (pending_used[i] && strcmp(pending[i], tmp) == 0)
            pending_used[i] = 0;
}

void atomic_remove_pending(void)
{
    for (int i = 0; i < PENDING_MAX; i++)
        if (pending_used[i])
            (void)unlink(pending[i]);
}

int atomic_tmp_name(const char *path, char *tmp, size_t cap, Err *err)
{
    int n = snprintf(tmp, cap, "%s.tmp-%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= cap)
        return err_set(err, E_IO, "%s: path too long for its temporary file name", path);
    return 0;
}

/* What an error creating path's temporary file adds: the directory that
 * is missing or not writable, with the fix; "" for other errors. */
static const char *create_hint(const char *path, int e, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    int dlen = slash ? (int)(slash - path) : 1;
    const char *dir = slash ? (slash == path ? "/" : path) : ".";
    if (slash == path)
        dlen = 1;
    char d[PATH_MAX];
    struct stat st;
    snprintf(d, sizeof d, "%.*s", dlen, dir);
    if (e == ENOENT && stat(d, &st) != 0) /* /proc exists and makes no files: ENOENT too */
        snprintf(out, cap, " (there is no directory %.1000s: make it first, mkdir -p %.1000s)", d, d);
    else if (e == EACCES || e == EROFS)
        snprintf(out, cap, " (the directory %.1000s is not writable by this user: write elsewhere)", d);
    else
        out[0] = '\0';
    return out;
}

int atomic_write_file(const char *path, const void *buf, size_t n, Err *err)
{
    char tmp[PATH_MAX];
    const char *p = buf;
    int rc = atomic_tmp_name(path, tmp, sizeof tmp, err);
    if (rc)
        return rc;
    pending_add(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        pending_drop(tmp);
        char hint[2100];
        return err_set(err, E_IO, "%s: cannot create %s: %s%s", path, tmp, strerror(e),
                       create_hint(path, e, hint, sizeof hint));
    }
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            atomic_abort(tmp);
            return err_set(err, E_IO, "%s: cannot write %s: %s", path, tmp, strerror(e));
        }
        p += k;
        n -= (size_t)k;
    }
    if (close(fd) < 0) {
        int e = errno;
        atomic_abort(tmp);
        return err_set(err, E_IO, "%s: cannot close %s: %s", path, tmp, strerror(e));
    }
    return atomic_commit(tmp, path, err);
}

/* The directory holding path ("." when path has no slash) into dir. */
static int dir_of(const char *path, char *dir, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return snprintf(dir, cap, ".") < (int)cap ? 0 : -1;
    size_t len = slash == path ? 1 : (size_t)(slash - path); /* "/x" -> "/" */
    if (len >= cap)
        return -1;
    memcpy(dir, path, len);
    dir[len] = '\0';
    return 0;
}

int atomic_commit(const char *tmp, const char *path, Err *err)
{
    char dir[PATH_MAX];
    int rc = 0, e = 0;
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        e = errno;
        rc = err_set(err, E_IO, "%s: cannot open %s to sync it: %s", path, tmp, strerror(e));
        goto fail;
    }
    if (fsync(fd) < 0) {
        e = errno;
        close(fd);
        rc = err_set(err, E_IO, "%s: cannot fsync %s: %s", path, tmp, strerror(e));
        goto fail;
    }
    if (close(fd) < 0) {
        e = errno;
        rc = err_set(err, E_IO, "%s: cannot close %s: %s", path, tmp, strerror(e));
        goto fail;
    }
    if (rename(tmp, path) < 0) {
        e = errno;
        rc = err_set(err, E_IO, "%s: cannot rename %s over it: %s", path, tmp, strerror(e));
        goto fail;
    }
    pending_drop(tmp);

    /* The new file is in place; make the rename itself durable. A failure
     * here is still reported (the file may revert after a crash), but there
     * is no temporary file left to remove. */
    if (dir_of(path, dir, sizeof dir) < 0)
        return err_set(err, E_IO, "%s: directory name too long", path);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        e = errno;
        return err_set(err, E_IO, "%s: cannot open directory %s to sync it: %s", path, dir,
                       strerror(e));
    }
    if (fsync(fd) < 0) {
        e = errno;
        close(fd);
        return err_set(err, E_IO, "%s: cannot fsync directory %s: %s", path, dir, strerror(e));
    }
    if (close(fd) < 0) {
        e = errno;
        return err_set(err, E_IO, "%s: cannot close directory %s: %s", path, dir, strerror(e));
    }
    return 0;

fail:
    atomic_abort(tmp);
    return rc;
}

/* ---- outputs named on the command line ------------------------------------ */

/* name with its symlinks followed (the whole chain, as open() would) into
 * out (PATH_MAX bytes). A dangling link gives its target's name. */
static int follow_links(const char *name, char *out, Err *err)
{
    char link[PATH_MAX], dir[PATH_MAX];
    if (strlen(name) >= PATH_MAX)
        return err_set(err, E_USAGE, "%.256s...: path too long", name);
    strcpy(out, name);
    for (int hops = 0;; hops++) {
        struct stat st;
        if (lstat(out, &st) < 0 || !S_ISLNK(st.st_mode))
            return 0; /* not there (created later) or not a link */
        if (hops == 40)
            return err_set(err, E_USAGE, "%s: too many levels of symbolic links", name);
        ssize_t n = readlink(out, link, sizeof link - 1);
        if (n < 0) {
            int e = errno;
            return err_set(err, E_IO, "%s: cannot read the symbolic link %s: %s", name, out, strerror(e));
        }
        link[n] = '\0';
        if (link[0] != '/') {
            if (dir_of(out, dir, sizeof dir) < 0 ||
                snprintf(out, PATH_MAX, "%s/%s", dir, link) >= PATH_MAX)
                return err_set(err, E_USAGE, "%s: the target of its symbolic link is too long", name);
        } else {
            strcpy(out, link);
        }
    }
}

/* 1 when the regular file fd starts with the HDF5 signature at 0 or at a
 * user-block size (512, 1024, ... bytes), as HDF5 looks for it. */
static int fd_is_hdf5(int fd, off_t size)
{
    static const unsigned char sig[8] = { 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n' };
    unsigned char b[8];
    for (off_t at = 0; at + 8 <= size; at = at ? 2 * at : 512)
        if (pread(fd, b, 8, at) == 8 && memcmp(b, sig, 8) == 0)
            return 1;
    return 0;
}

static int is_stdout_name(const char *name)
{
    return !strcmp(name, "-") || !strcmp(name, "/dev/stdout") || !strcmp(name, "/dev/fd/1") ||
           !strcmp(name, "/proc/self/fd/1");
}

int atomic_out_open(AtomicOut *o, const char *name, OutKind kind, const char *input, Err *err)
{
    struct stat st, in;
    int rc, fd = -1;
    memset(o, 0, sizeof *o);
    if (is_stdout_name(name)) {
        if (kind == OUT_HDF5)
            return err_set(err, E_USAGE, "%s: an HDF5 file cannot go to standard output (HDF5 needs a "
                           "regular file it can seek in); name a file", name);
        snprintf(o->path, sizeof o->path, "standard output");
        o->f = stdout;
        return 0;
    }
    if ((rc = follow_links(name, o->path, err)))
        return rc;
    if (stat(o->path, &st) < 0) {
        int e = errno;
        if (e != ENOENT)
            return err_set(err, E_IO, "%s: cannot stat %s: %s", name, o->path, strerror(e));
        st.st_mode = 0; /* created below */
    }
    if (S_ISDIR(st.st_mode))
        return err_set(err, E_USAGE, "%s: is a directory; name a file in it", name);
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
        const char *what = S_ISCHR(st.st_mode) ? "a character device" : "a FIFO";
        if (kind == OUT_HDF5)
            return err_set(err, E_USAGE, "%s: is %s; an HDF5 file needs a regular file (HDF5 seeks in it)",
                           name, what);
        if ((fd = open(o->path, O_WRONLY | O_NOCTTY | O_CLOEXEC)) < 0) {
            int e = errno;
            return err_set(err, E_IO, "%s: cannot open %s for writing: %s", name, what, strerror(e));
        }
    } else if (st.st_mode && !S_ISREG(st.st_mode)) {
        return err_set(err, E_USAGE, "%s: is neither a regular file, a character device nor a FIFO; "
                       "name a file", name);
    } else {
        if (st.st_mode && input && stat(input, &in) == 0 && in.st_dev == st.st_dev && in.st_ino == st.st_ino)
            return err_set(err, E_USAGE, "%s: is the input %s itself; name another output file", name, input);
        if (st.st_mode) {
            int rfd = open(o->path, O_RDONLY | O_CLOEXEC);
            o->is_h5 = rfd >= 0 && fd_is_hdf5(rfd, st.st_size);
            if (rfd >= 0)
                close(rfd);
            if (o->is_h5 && kind == OUT_CSV)
                return err_set(err, E_USAGE, "%s: is an HDF5 file (a model, checkpoint, curves or table?) "
                               "and this writes CSV; name another output file", name);
        }
        if ((rc = atomic_tmp_name(o->path, o->tmp, sizeof o->tmp, err)))
            return rc;
        pending_add(o->tmp);
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) {
            int e = errno;
            pending_drop(o->tmp);
            char hint[2100];
            rc = err_set(err, E_IO, "%s: cannot create %s: %s%s", name, o->tmp, strerror(e),
                         create_hint(o->path, e, hint, sizeof hint));
            o->tmp[0] = '\0'; /* nothing to remove */
            return rc;
        }
        if (st.st_mode)
            (void)fchmod(fd, st.st_mode & 07777); /* the replacement keeps the old mode; best effort */
    }
    if (kind == OUT_HDF5) {
        close(fd);
        return 0;
    }
    if (!(o->f = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        atomic_out_abort(o);
        return err_set(err, E_NOMEM, "%s: cannot open a stream: %s", name, strerror(e));
    }
    return 0;
}

int atomic_out_commit(AtomicOut *o, Err *err)
{
    int e = 0;
    if (o->f) {
        errno = 0;
        if (fflush(o->f) != 0)
            e = errno ? errno : EIO;
        else if (ferror(o->f))
            e = EIO;
        if (o->f != stdout && fclose(o->f) != 0 && !e)
            e = errno ? errno : EIO;
        o->f = NULL;
    }
    if (e) {
        atomic_out_abort(o);
        return err_set(err, E_IO, "%s: cannot write: %s", o->path, strerror(e));
    }
    if (!o->tmp[0])
        return 0;
    int rc = atomic_commit(o->tmp, o->path, err);
    o->tmp[0] = '\0'; /* committed, or removed by atomic_commit */
    return rc;
}

void atomic_out_abort(AtomicOut *o)
{
    if (!o)
        return;
    if (o->f && o->f != stdout)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp[0])
        atomic_abort(o->tmp);
    o->tmp[0] = '\0';
}

void atomic_abort(const char *tmp)
{
    if (!tmp)
        return;
    int e = errno; /* callers may still want to report the original errno */
    (void)unlink(tmp); /* ENOENT: nothing was created; anything else: nothing better to do */
    pending_drop(tmp);
    errno = e;
}

int dir_lock(const char *dir, int *fd, Err *err)
{
    char path[PATH_MAX], pid[32] = "";
    *fd = -1;
    if (snprintf(path, sizeof path, "%s/.lock", dir) >= (int)sizeof path)
        return err_set(err, E_IO, "%s: directory name too long", dir);
    int f = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f < 0) {
        int e = errno;
        return err_set(err, E_IO, "%s: cannot create the lock file: %s", path, strerror(e));
    }
    while (flock(f, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        if (e == EINTR)
            continue;
        ssize_t n = e == EWOULDBLOCK ? pread(f, pid, sizeof pid - 1, 0) : -1;
        close(f);
        if (e != EWOULDBLOCK)
            return err_set(err, E_IO, "%s: cannot lock: %s", path, strerror(e));
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        return err_set(err, E_USAGE, "%s is in use by another housenet run (pid %s); wait for it to end, "
                       "or set [run] dir to another directory", dir, pid[0] ? pid : "unknown");
    }
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) < 0 || pwrite(f, pid, (size_t)n, 0) != n) {
        int e = errno;
        close(f);
        return err_set(err, E_IO, "%s: cannot write the lock file: %s", path, strerror(e));
    }
    *fd = f;
    return 0;
}

void dir_unlock(int *fd)
{
    if (!fd || *fd < 0)
        return;
    close(*fd); /* releases the flock; the file stays (removing it would race a new holder) */
    *fd = -1;
}

/* Calls fn(prefix, end, ctx) for every prefix of dir that ends before a
 * '/', then for dir itself ("a//b" and a trailing '/' give no empty
 * prefix), until fn returns non-zero; returns that, or 0. A dir of
 * PATH_MAX bytes or more has no prefix visited (the caller says so). */
static int each_prefix(const char *dir, int (*fn)(const char *prefix, size_t end, void *ctx), void *ctx)
{
    char buf[PATH_MAX];
    size_t len = strlen(dir);
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if ((buf[i] != '/' && buf[i] != '\0') || buf[i - 1] == '/')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        int rc = fn(buf, i, ctx);
        buf[i] = c;
        if (rc)
            return rc;
    }
    return 0;
}

typedef struct {
    size_t end;
    unsigned mode;
} Blocked;

static int find_blocker(const char *prefix, size_t end, void *ctx)
{
    struct stat st;
    if (stat(prefix, &st) < 0)
        return 2; /* made from here on, or mkdir_p's error */
    if (S_ISDIR(st.st_mode))
        return 0;
    Blocked *b = ctx;
    b->end = end;
    b->mode = (unsigned)st.st_mode;
    return 1;
}

size_t dir_path_blocked(const char *dir, unsigned *mode)
{
    Blocked b = {0, 0};
    if (each_prefix(dir, find_blocker, &b) != 1)
        return 0; /* or too long: mkdir_p says so */
    *mode = b.mode;
    return b.end;
}

static int find_missing(const char *prefix, size_t end, void *ctx)
{
    if (access(prefix, F_OK) == 0)
        return 0;
    *(size_t *)ctx = end;
    return 1;
}

size_t dir_path_missing(const char *dir)
{
    size_t end = 0;
    return each_prefix(dir, find_missing, &end) == 1 ? end : 0;
}

static int make_prefix(const char *prefix, size_t end, void *ctx)
{
    (void)end;
    Err *err = ctx;
    if (mkdir(prefix, 0777) == 0)
        return 0;
    int e = errno;
    struct stat st;
    if (e != EEXIST)
        return err_set(err, E_IO, "%s: cannot create directory: %s", prefix, strerror(e));
    if (stat(prefix, &st) < 0) {
        e = errno;
        return err_set(err, E_IO, "%s: cannot stat: %s", prefix, strerror(e));
    }
    if (!S_ISDIR(st.st_mode))
        return err_set(err, E_IO, "%s: exists and is not a directory", prefix);
    return 0;
}

int mkdir_p(const char *dir, Err *err)
{
    if (strlen(dir) >= PATH_MAX)
        return err_set(err, E_IO, "%s: directory name too long", dir);
    return each_prefix(dir, make_prefix, err);
}
