/* fuzz_util: the fuzz targets' temporary files and checks (fuzz_util.h). */
#define _DEFAULT_SOURCE /* mkdtemp, nftw */
#define _XOPEN_SOURCE 700

#include "fuzz_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];
static char file[512];

void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, detail);
    abort();
}

void fuzz_check_err(const char *what, int rc, const Err *err)
{
    if (rc > 0)
        fuzz_fail(what, "positive return code");
    if (rc < 0 && (err->code != rc || err->msg[0] == '\0'))
        fuzz_fail(what, "a failure without its code and message");
}

void fuzz_check_h5_closed(const char *what)
{
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0)
        fuzz_fail(what, "an HDF5 object left open");
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void fuzz_remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) < 0)
        return;
    if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
        fuzz_fail(path, "cannot remove");
}

static void remove_dir(void)
{
    if (dir[0])
        fuzz_remove_tree(dir);
}

const char *fuzz_dir(void)
{
    if (dir[0])
        return dir;
    struct stat sb;
    const char *base = getenv("TMPDIR");
    if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0)
        base = "/dev/shm";
    snprintf(dir, sizeof dir, "%s/housenet-fuzz-XXXXXX", base && base[0] ? base : "/tmp");
    if (!mkdtemp(dir))
        fuzz_fail(dir, strerror(errno));
    atexit(remove_dir);
    return dir;
}

static void write_all(const char *path, const void *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fuzz_fail(path, strerror(errno));
    for (size_t off = 0; off < size;) {
        ssize_t n = write(fd, (const char *)data + off, size - off);
        if (n <= 0)
            fuzz_fail(path, strerror(errno));
        off += (size_t)n;
    }
    if (close(fd) < 0)
        fuzz_fail(path, strerror(errno));
}

const char *fuzz_file(const char *name, const void *data, size_t size)
{
    snprintf(file, sizeof file, "%s/%s", fuzz_dir(), name);
    write_all(file, data, size);
    return file;
}

void fuzz_copy_tree(const char *from, const char *to)
{
    DIR *d = opendir(from);
    if (!d || mkdir(to, 0700) < 0)
        fuzz_fail(from, strerror(errno));
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char src[1024], dst[1024];
        struct stat sb;
        snprintf(src, sizeof src, "%s/%s", from, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
        if (lstat(src, &sb) < 0)
            fuzz_fail(src, strerror(errno));
        if (S_ISDIR(sb.st_mode)) {
            fuzz_copy_tree(src, dst);
        } else if (S_ISREG(sb.st_mode)) {
            FILE *f = fopen(src, "rb");
            char *buf = malloc((size_t)sb.st_size + 1);
            if (!f || !buf || fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size)
                fuzz_fail(src, "cannot read");
            fclose(f);
            write_all(dst, buf, (size_t)sb.st_size);
            free(buf);
        }
    }
    closedir(d);
}

int fuzz_config_and_data(const uint8_t *data, size_t size, const char *name, int stream,
                         int (*pick)(Config *c, const char *path, Err *err), Config *c, Err *err)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    char *text = malloc(n + 1), set[1200];
    if (!text)
        fuzz_fail("fuzz_config_and_data", "out of memory");
    memcpy(text, data, n);
    text[n] = '\0';
    const char *path = fuzz_file(name, nul ? nul + 1 : data + size, nul ? size - n - 1 : 0);
    cfg_defaults(c);
    int rc = cfg_load_text(c, text, "fuzz.ini", err);
    snprintf(set, sizeof set, "data.path=%s", path);
    if (rc == 0)
        rc = cfg_set(c, set, err);
    if (rc == 0)
        rc = cfg_set(c, stream ? "data.stream=true" : "data.stream=false", err);
    if (rc == 0 && c->nfeat == 0)
        rc = pick(c, path, err);
    if (rc == 0)
        rc = cfg_finish(c, err);
    fuzz_check_err("config", rc, err);
    free(text);
    return rc;
}

FILE *fuzz_null(void)
{
    static FILE *null;
    if (!null && !(null = fopen("/dev/null", "w")))
        fuzz_fail("/dev/null", strerror(errno));
    return null;
}
