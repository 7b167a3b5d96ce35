/* atomic: crash-safe replacement of a file (see atomic.h).
 * Owns the temporary name, the write/fsync/rename/fsync sequence and
 * mkdir -p. Knows nothing of what is written: io/h5model.c builds its files
 * in memory and hands over the bytes. */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

int atomic_tmp_name(const char *path, char *tmp, size_t cap, Err *err)
{
    int n = snprintf(tmp, cap, "%s.tmp-%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= cap)
        return err_set(err, E_IO, "%s: path too long for its temporary file name", path);
    return 0;
}

int atomic_write_file(const char *path, const void *buf, size_t n, Err *err)
{
    char tmp[PATH_MAX];
    const char *p = buf;
    int rc = atomic_tmp_name(path, tmp, sizeof tmp, err);
    if (rc)
        return rc;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        return err_set(err, E_IO, "%s: cannot create %s: %s", path, tmp, strerror(e));
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

void atomic_abort(const char *tmp)
{
    if (!tmp)
        return;
    int e = errno; /* callers may still want to report the original errno */
    (void)unlink(tmp); /* ENOENT: nothing was created; anything else: nothing better to do */
    errno = e;
}

int mkdir_p(const char *dir, Err *err)
{
    char buf[PATH_MAX];
    size_t len = strlen(dir);
    if (len >= sizeof buf)
        return err_set(err, E_IO, "%s: directory name too long", dir);
    memcpy(buf, dir, len + 1);

    /* Create every prefix ending before a '/', then the whole name. */
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        if (buf[i - 1] == '/')
            continue; /* "a//b" or a trailing slash */
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) < 0) {
            int e = errno;
            struct stat st;
            if (e != EEXIST)
                return err_set(err, E_IO, "%s: cannot create directory: %s", buf, strerror(e));
            if (stat(buf, &st) < 0) {
                e = errno;
                return err_set(err, E_IO, "%s: cannot stat: %s", buf, strerror(e));
            }
            if (!S_ISDIR(st.st_mode))
                return err_set(err, E_IO, "%s: exists and is not a directory", buf);
        }
        buf[i] = c;
    }
    return 0;
}
