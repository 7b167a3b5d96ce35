/* ckptdir: a run's checkpoint directory: names, listing, pruning and the
 * cleanup of killed writers' temporary files (see checkpoint.h). */
#include "checkpoint.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

int ckpt_name(const char *run_dir, const TrainState *st, char *out, size_t cap, Err *err)
{
    int n = snprintf(out, cap, "%s/" CKPT_SUBDIR "/ckpt-e%06lld-s%09lld.h5", run_dir,
                     (long long)st->epoch, (long long)st->step);
    if (n < 0 || (size_t)n >= cap)
        return err_set(err, E_IO, "%s: run directory name too long for a checkpoint path", run_dir);
    return 0;
}

/* Parses "ckpt-e<epoch>-s<step>.h5" exactly; 0 on success. */
static int parse_name(const char *name, long long *epoch, long long *step)
{
    int end = -1;
    if (sscanf(name, "ckpt-e%lld-s%lld.h5%n", epoch, step, &end) != 2 || end < 0)
        return -1;
    return name[end] == '\0' && isdigit((unsigned char)name[6]) ? 0 : -1;
}

typedef struct Found {
    long long epoch, step;
    char *path;
} Found;

static int newest_first(const void *x, const void *y)
{
    const Found *a = x, *b = y;
    if (a->epoch != b->epoch)
        return a->epoch < b->epoch ? 1 : -1;
    if (a->step != b->step)
        return a->step < b->step ? 1 : -1;
    return 0;
}

void ckpt_list_free(char **paths, size_t n)
{
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
}

int ckpt_list(const char *dir, char ***paths, size_t *n, Err *err)
{
    Found *found = NULL;
    char **out = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    *paths = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        if (e == ENOENT)
            return 0;
        return err_set(err, E_IO, "%s: cannot list checkpoints: %s", dir, strerror(e));
    }
    for (struct dirent *de; (de = readdir(d));) {
        long long ep, st;
        if (parse_name(de->d_name, &ep, &st))
            continue;
        if (count == cap) {
            size_t nc = cap ? 2 * cap : 16;
            Found *g = realloc(found, nc * sizeof *g);
            if (!g) {
                rc = err_set(err, E_NOMEM, "%s: out of memory listing checkpoints", dir);
                goto done;
            }
            found = g;
            cap = nc;
        }
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        found[count].epoch = ep;
        found[count].step = st;
        if (!(found[count].path = malloc(len))) {
            rc = err_set(err, E_NOMEM, "%s: out of memory listing checkpoints", dir);
            goto done;
        }
        snprintf(found[count].path, len, "%s/%s", dir, de->d_name);
        count++;
    }
    if (count)
        qsort(found, count, sizeof *found, newest_first);
    if (!(out = calloc(count + 1, sizeof *out))) {
        rc = err_set(err, E_NOMEM, "%s: out of memory listing checkpoints", dir);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        out[i] = found[i].path;
        found[i].path = NULL;
    }
    *paths = out;
    *n = count;
done:
    for (size_t i = 0; i < count; i++)
        free(found[i].path);
    free(found);
    closedir(d);
    return rc;
}

/* A writer's temporary file (atomic.h: NAME.h5.tmp-<pid>) whose writer is gone. */
static int stale_tmp(const char *name)
{
    const char *t = strstr(name, ".h5.tmp-");
    if (!t)
        return 0;
    char *end;
    long pid = strtol(t + 8, &end, 10);
    if (*end || pid <= 0 || pid == (long)getpid())
        return 0;
    return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

void ckpt_remove_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        if (!stale_tmp(de->d_name))
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        (void)unlink(p); /* a dead writer's leftover: best effort */
    }
    if (d)
        closedir(d);
}

int ckpt_prune(const char *dir, int keep, Err *err)
{
    char **paths = NULL;
    size_t n = 0;
    int rc = ckpt_list(dir, &paths, &n, err);
    for (size_t i = (size_t)(keep > 0 ? keep : 0); rc == 0 && i < n; i++)
        if (unlink(paths[i]) < 0 && errno != ENOENT) {
            int e = errno;
            rc = err_set(err, E_IO, "%s: cannot remove an old checkpoint: %s", paths[i], strerror(e));
        }
    ckpt_list_free(paths, n);
    if (rc == 0)
        ckpt_remove_stale_tmp(dir);
    return rc;
}

int ckpt_remove_newer(const char *dir, const TrainState *st, int *removed, Err *err)
{
    char **paths = NULL;
    size_t n = 0;
    *removed = 0;
    int rc = ckpt_list(dir, &paths, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *base = strrchr(paths[i], '/');
        long long epoch, step;
        if (parse_name(base ? base + 1 : paths[i], &epoch, &step) != 0)
            continue;
        if (epoch < st->epoch || (epoch == st->epoch && step <= st->step))
            break; /* newest first: the rest are older */
        if (unlink(paths[i]) < 0 && errno != ENOENT) {
            int e = errno;
            rc = err_set(err, E_IO, "%s: cannot remove: %s", paths[i], strerror(e));
        } else {
            (*removed)++;
        }
    }
    ckpt_list_free(paths, n);
    return rc;
}
