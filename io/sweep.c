/* sweep: the grid, the points, the worker pool and resume (see sweep.h).
 * Each point runs in a child process (fork) that calls run_train or cv_run
 * and leaves its row in RUN/sweep/<id>/result.txt; the parent hands out
 * the points in table order, at most `workers` at a time, and collects
 * the rows. A run's bytes depend on its config alone, so the table (its
 * seconds aside) and the run dirs do not depend on the workers or the
 * order in which the points finish. */
#define _GNU_SOURCE /* open_memstream */
#include "sweep.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "checkpoint.h"
#include "colname.h"
#include "cv.h"
#include "rng.h"
#include "train.h"

static const char *const METRICS[2][SWEEP_NMETRICS + 1] = {
    { "val_rmse", "val_mae", "val_r2", "test_rmse", "test_mae", "test_r2", "epochs" },
    { "cv_rmse_mean", "cv_rmse_sd", "cv_mae_mean", "cv_mae_sd", "cv_r2_mean", "cv_r2_sd", "folds" },
};

const char *const *sweep_metric_names(int cv)
{
    return METRICS[cv ? 1 : 0];
}

void sweep_free(Sweep *s)
{
    if (!s)
        return;
    for (int k = 0; k < s->nkeys; k++)
        free(s->key[k].v);
    free(s->index);
    free(s->id);
    free(s->row);
    memset(s, 0, sizeof *s);
}

const char *sweep_value(const Sweep *s, size_t p, int k)
{
    uint64_t i = s->index[p];
    for (int j = s->nkeys - 1; j > k; j--)
        i /= (uint64_t)s->key[j].n;
    return s->key[k].v[i % (uint64_t)s->key[k].n];
}

long sweep_best(const Sweep *s)
{
    long best = -1;
    for (size_t p = 0; p < s->npoints; p++)
        if (s->row[p].status == SWEEP_OK && !isnan(s->row[p].m[0]) &&
            (best < 0 || s->row[p].m[0] < s->row[(size_t)best].m[0]))
            best = (long)p;
    return best;
}

/* ---- the grid ---- */

static char *trim(char *t)
{
    while (*t == ' ' || *t == '\t')
        t++;
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        t[--n] = '\0';
    return t;
}

/* Key `name` = `values` (where: "file:line" or "--grid") into s->key[],
 * replacing a key of the same name. */
static int add_key(Sweep *s, const char *name, const char *values, const char *where, Err *err)
{
    const char *dot = strchr(name, '.');
    char section[64], key[64];
    if (!dot || dot == name || (size_t)(dot - name) >= sizeof section || strlen(dot + 1) >= sizeof key)
        return err_set(err, E_USAGE, "%s: \"%.60s\" is not section.key, e.g. train.learning_rate=0.01,0.1",
                       where, name);
    memcpy(section, name, (size_t)(dot - name));
    section[dot - name] = '\0';
    strcpy(key, dot + 1);
    if (!cfg_key_default(section, key))
        return err_set(err, E_USAGE, "%s: unknown config key %.60s; housenet help config lists them", where, name);
    if (!strcmp(name, "run.dir"))
        return err_set(err, E_USAGE, "%s: run.dir cannot be swept: each point runs in RUN/sweep/<id>", where);
    int k = 0;
    while (k < s->nkeys && strcmp(s->key[k].name, name))
        k++;
    if (k == SWEEP_MAX_KEYS)
        return err_set(err, E_USAGE, "%s: more than %d swept keys", where, SWEEP_MAX_KEYS);
    SweepKey nk = { 0 };
    snprintf(nk.name, sizeof nk.name, "%s", name);
    nk.v = calloc(SWEEP_MAX_VALUES, sizeof *nk.v);
    char *text = strdup(values);
    if (!nk.v || !text) {
        free(nk.v);
        free(text);
        return err_set(err, E_NOMEM, "out of memory");
    }
    const char *sep = strchr(text, ';') ? ";" : ",";
    int rc = 0;
    char *piece = text;
    for (char *end; piece && !rc; piece = end) {
        end = strpbrk(piece, sep);
        if (end)
            *end++ = '\0';
        char *v = trim(piece);
        if (!*v && !end && *sep == ';' && nk.n) /* "16,16;": one list value */
            break;
        if (!*v)
            rc = err_set(err, E_USAGE, "%s: %s: an empty value in \"%.60s\"", where, name, values);
        else if (strlen(v) >= SWEEP_VALUE_MAX)
            rc = err_set(err, E_USAGE, "%s: %s: a value longer than %d characters", where, name, SWEEP_VALUE_MAX - 1);
        else if (nk.n == SWEEP_MAX_VALUES)
            rc = err_set(err, E_USAGE, "%s: %s: more than %d values", where, name, SWEEP_MAX_VALUES);
        for (int j = 0; j < nk.n && !rc; j++)
            if (!strcmp(nk.v[j], v))
                rc = err_set(err, E_USAGE, "%s: %s: value \"%.60s\" given twice", where, name, v);
        if (!rc)
            snprintf(nk.v[nk.n++], SWEEP_VALUE_MAX, "%s", v);
    }
    free(text);
    if (rc) {
        free(nk.v);
        return rc;
    }
    if (k < s->nkeys)
        free(s->key[k].v);
    else
        s->nkeys++;
    s->key[k] = nk;
    return 0;
}

typedef struct IniCtx {
    Sweep *s;
    const char *path;
    Err *err;
    int rc;
} IniCtx;

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    IniCtx *x = user;
    if (x->rc || strcmp(section, "sweep"))
        return 1;
    char where[CFG_PATH_MAX + 32];
    snprintf(where, sizeof where, "%s: [sweep]", x->path);
    x->rc = add_key(x->s, name, value, where, x->err);
    return 1;
}

/* The [sweep] section of the config file (the config itself was read and
 * checked by run_load_config already). */
static int read_sweep_section(Sweep *s, const char *path, Err *err)
{
    IniCtx x = { s, path, err, 0 };
    int r = ini_parse(path, on_ini, &x);
    if (x.rc)
        return x.rc;
    if (r < 0)
        return err_set(err, E_IO, "%s: cannot read config", path);
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The points: the whole product, or budget of them drawn with seed
 * (Floyd's sampling, then sorted into product order). */
static int make_points(Sweep *s, const SweepArgs *a, Err *err)
{
    uint64_t total = 1;
    for (int k = 0; k < s->nkeys; k++) {
        total *= (uint64_t)s->key[k].n;
        if (total > (uint64_t)1 << 40)
            break;
    }
    size_t n = a->budget > 0 ? (size_t)a->budget : (size_t)(total < (uint64_t)1 << 40 ? total : 0);
    if (a->budget > 0 && (uint64_t)a->budget > total)
        return err_set(err, E_USAGE, "--budget %ld: the grid has only %llu points", a->budget,
                       (unsigned long long)total);
    if (n == 0 || n > SWEEP_MAX_POINTS)
        return err_set(err, E_USAGE, "the grid has %llu points, more than %d; draw some with --budget N --random S",
                       (unsigned long long)total, SWEEP_MAX_POINTS);
    s->npoints = n;
    s->index = calloc(n, sizeof *s->index);
    s->id = calloc(n, sizeof *s->id);
    s->row = calloc(n, sizeof *s->row);
    if (!s->index || !s->id || !s->row)
        return err_set(err, E_NOMEM, "out of memory for %zu points", n);
    if (a->budget > 0) {
        Rng r = rng_stream(a->random_seed, 0x5eed);
        size_t m = 0;
        for (uint64_t j = total - n; j < total; j++) {
            uint64_t t = rng_below(&r, j + 1);
            int seen = 0;
            for (size_t q = 0; q < m && !seen; q++)
                seen = s->index[q] == t;
            s->index[m++] = seen ? j : t;
        }
        qsort(s->index, n, sizeof *s->index, cmp_u64);
    } else {
        for (size_t p = 0; p < n; p++)
            s->index[p] = p;
    }
    for (size_t p = 0; p < n; p++) {
        /* the id hashes the lines sorted by key, so it does not depend on
         * the order the keys were given in */
        int order[SWEEP_MAX_KEYS];
        for (int k = 0; k < s->nkeys; k++) {
            int j = k;
            while (j > 0 && strcmp(s->key[order[j - 1]].name, s->key[k].name) > 0) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = k;
        }
        uint64_t h = RNG_FNV_INIT;
        for (int k = 0; k < s->nkeys; k++) {
            const SweepKey *key = &s->key[order[k]];
            const char *v = sweep_value(s, p, order[k]);
            h = rng_fnv1a(h, key->name, strlen(key->name));
            h = rng_fnv1a(h, "=", 1);
            h = rng_fnv1a(h, v, strlen(v));
            h = rng_fnv1a(h, "\n", 1);
        }
        h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL; /* splitmix64's finaliser: near lines, far ids */
        h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
        h ^= h >> 31;
        snprintf(s->id[p], sizeof s->id[p], "%012llx", (unsigned long long)(h >> 16));
    }
    return 0;
}

/* ---- files ---- */

/* points.txt: what --resume compares. */
static char *points_text_new(const Sweep *s, uint64_t config_hash)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "# housenet sweep: the points of %s (--resume compares this file)\nconfig %016llx\ncv %d\n",
            s->config, (unsigned long long)config_hash, s->cv);
    for (size_t p = 0; p < s->npoints; p++) {
        fprintf(f, "point %s", s->id[p]);
        for (int k = 0; k < s->nkeys; k++)
            fprintf(f, " %s=%s", s->key[k].name, sweep_value(s, p, k));
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static char *read_text_new(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            char *t = realloc(text, cap);
            if (!t)
                break;
            text = t;
        }
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    if (text)
        text[len] = '\0';
    return text;
}

static void point_dir(const Sweep *s, size_t p, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/%s", s->dir, s->id[p]);
}

/* <id>/result.txt: one `name value` a line; the error last. */
static int write_result(const char *dir, const SweepRow *r, int cv, Err *err)
{
    char path[CFG_PATH_MAX + 64], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/result.txt", dir);
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return err_set(err, E_NOMEM, "%s: out of memory", path);
    fprintf(f, "status %s\n", r->status == SWEEP_OK ? "ok" : "failed");
    for (int i = 0; i < SWEEP_NMETRICS; i++)
        fprintf(f, "%s %.17g\n", METRICS[cv][i], r->m[i]);
    fprintf(f, "%s %lld\nseconds %.3f\nerror %s\n", METRICS[cv][SWEEP_NMETRICS], r->epochs, r->seconds, r->error);
    int bad = fclose(f) != 0 || !text;
    int rc = bad ? err_set(err, E_NOMEM, "%s: out of memory", path) : atomic_write_file(path, text, len, err);
    free(text);
    return rc;
}

/* The row in dir/result.txt; SWEEP_PENDING when there is none (or it
 * cannot be read: the point runs again). */
static void read_result(const char *dir, int cv, SweepRow *r)
{
    char path[CFG_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/result.txt", dir);
    memset(r, 0, sizeof *r);
    char *text = read_text_new(path);
    if (!text)
        return;
    int seen = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp++ = '\0';
        if (!strcmp(line, "status")) {
            r->status = !strcmp(sp, "ok") ? SWEEP_OK : SWEEP_FAILED;
            seen |= 1;
        } else if (!strcmp(line, "seconds")) {
            r->seconds = strtod(sp, NULL);
        } else if (!strcmp(line, METRICS[cv][SWEEP_NMETRICS])) {
            r->epochs = strtoll(sp, NULL, 10);
            seen |= 2;
        } else if (!strcmp(line, "error")) {
            term_escape(r->error, sizeof r->error, sp);
        } else {
            for (int i = 0; i < SWEEP_NMETRICS; i++)
                if (!strcmp(line, METRICS[cv][i]))
                    r->m[i] = strtod(sp, NULL);
        }
    }
    free(text);
    if (seen != 3)
        memset(r, 0, sizeof *r);
}

/* The point's run dir holds a checkpoint --resume can start from: a name
 * ckpt_list takes, not a ".tmp-PID" file that a kill cut short (which
 * made the resume of a point killed in its first checkpoint write fail
 * with "no checkpoint to resume from"). */
static int has_checkpoint(const char *dir)
{
    char path[CFG_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/" CKPT_SUBDIR, dir);
    char **paths = NULL;
    size_t n = 0;
    Err e = { 0 };
    int found = ckpt_list(path, &paths, &n, &e) == 0 && n > 0;
    ckpt_list_free(paths, n);
    return found;
}

/* ---- one point, in the child ---- */

/* The --set list of point p: the user's, the point's, the threads and
 * the run dir (the strings live in buf). */
static int point_sets(const Sweep *s, const SweepArgs *a, size_t p, int one_thread, RunArgs *ra,
                      char (*buf)[CFG_PATH_MAX + 80], Err *err)
{
    *ra = a->run;
    ra->comm = NULL; /* a point is one process; the ranks share out points, not steps */
    if (ra->nsets + s->nkeys + 2 > RUN_MAX_SETS - 1) /* cv adds one */
        return err_set(err, E_USAGE, "too many --set options and swept keys (at most %d)", RUN_MAX_SETS - 3);
    int b = 0;
    for (int k = 0; k < s->nkeys; k++) {
        snprintf(buf[b], sizeof buf[b], "%s=%s", s->key[k].name, sweep_value(s, p, k));
        ra->sets[ra->nsets++] = buf[b++];
    }
    if (one_thread)
        ra->sets[ra->nsets++] = "train.threads=1";
    char dir[CFG_PATH_MAX + 32];
    point_dir(s, p, dir, sizeof dir);
    snprintf(buf[b], sizeof buf[b], "run.dir=%s", dir);
    ra->sets[ra->nsets++] = buf[b++];
    return 0;
}

/* Runs point p (resuming from its checkpoint when resume says so) and
 * fills *r; E_STOP when stopped (no row). */
static int run_point(const Sweep *s, const SweepArgs *a, size_t p, int one_thread, int resume, SweepRow *r,
                     Err *err)
{
    char buf[SWEEP_MAX_KEYS + 1][CFG_PATH_MAX + 80];
    RunArgs ra;
    int rc = point_sets(s, a, p, one_thread, &ra, buf, err);
    if (rc)
        return rc;
    char *text = NULL;
    size_t len = 0;
    FILE *sink = open_memstream(&text, &len);
    if (!sink)
        return err_set(err, E_NOMEM, "out of memory");
    ra.quiet = 1;
    ra.out = sink;
    ra.dry_run = 0;
    ra.resume = resume && !s->cv;
    ra.resume_from = NULL;
    ra.force = !ra.resume || a->force;
    double t0 = train_now_s();
    memset(r, 0, sizeof *r);
    if (s->cv) {
        CvArgs ca = { .run = ra, .folds = s->cv, .repeats = 1 };
        CvResult cr;
        if (!(rc = cv_run(&ca, &cr, err))) {
            const CvStat st[3] = { cr.model.rmse, cr.model.mae, cr.model.r2 };
            for (int i = 0; i < 3; i++) {
                r->m[2 * i] = st[i].mean;
                r->m[2 * i + 1] = st[i].sd;
            }
            r->epochs = cr.folds;
            cv_free(&cr);
        }
    } else {
        RunResult res;
        ra.result = &res;
        if (!(rc = run_train(&ra, err))) {
            const Metrics *m[2] = { &res.val, &res.test };
            for (int i = 0; i < 2; i++) {
                r->m[3 * i] = m[i]->rows ? m[i]->rmse : NAN;
                r->m[3 * i + 1] = m[i]->rows ? m[i]->mae : NAN;
                r->m[3 * i + 2] = m[i]->rows ? m[i]->r2 : NAN;
            }
            r->epochs = res.epochs;
        }
    }
    fclose(sink);
    free(text);
    r->seconds = train_now_s() - t0;
    if (rc == E_STOP)
        return rc;
    r->status = rc ? SWEEP_FAILED : SWEEP_OK;
    if (rc) {
        for (int i = 0; i < SWEEP_NMETRICS; i++)
            r->m[i] = NAN;
        term_escape(r->error, sizeof r->error, err->msg);
    }
    return 0;
}

/* Runs point p and writes its row; E_STOP when stopped (no row). */
static int point_do(const Sweep *s, const SweepArgs *a, size_t p, int one_thread, int resume, Err *err)
{
    SweepRow r;
    int rc = run_point(s, a, p, one_thread, resume, &r, err);
    if (rc)
        return rc;
    char dir[CFG_PATH_MAX + 32];
    point_dir(s, p, dir, sizeof dir);
    if ((rc = mkdir_p(dir, err)) || (rc = write_result(dir, &r, s->cv ? 1 : 0, err)))
        err_prefix(err, "sweep point %s: ", s->id[p]);
    return rc;
}

/* Ends the child at once: exit_group, not _exit, which sanitizers hook
 * to scan a copy of the parent's heap for leaks in every child. */
static _Noreturn void child_exit(int status)
{
    fflush(stderr);
    for (;;)
        syscall(SYS_exit_group, status);
}

/* The child: runs point p, writes its row, exits (0, or 1 when the row
 * could not be written, or 128 + the signal after a stop). */
static _Noreturn void child(const Sweep *s, const SweepArgs *a, size_t p, int one_thread, int resume)
{
    Err err = { 0 };
    int rc = point_do(s, a, p, one_thread, resume, &err);
    if (rc == E_STOP)
        child_exit(128 + (a->run.stop && *a->run.stop ? *a->run.stop : SIGTERM));
    if (rc)
        term_line(stderr, "housenet: %s", err.msg); /* as main prints an error */
    child_exit(rc ? 1 : 0);
}

/* ---- the pool ---- */

static void on_child(int signo)
{
    (void)signo; /* wakes sigsuspend */
}

typedef struct Pool {
    pid_t pid;
    size_t point;
} Pool;

static void progress_line(FILE *f, const Sweep *s, size_t done, size_t ran, size_t todo, double t0, int tty)
{
    size_t failed = 0;
    for (size_t p = 0; p < s->npoints; p++)
        failed += s->row[p].status == SWEEP_FAILED;
    double el = train_now_s() - t0;
    long best = sweep_best(s);
    char left[32] = "?";
    if (ran)
        snprintf(left, sizeof left, "%.0f s", el / (double)ran * (double)(todo - ran));
    fprintf(f, "%shousenet: sweep %zu/%zu points done, %zu failed, %s left", tty ? "\r\033[K" : "", done,
            s->npoints, failed, left);
    if (best >= 0)
        fprintf(f, ", best %s %.6g (%s)", METRICS[s->cv ? 1 : 0][0], s->row[best].m[0], s->id[best]);
    fputs(tty ? "" : "\n", f);
    fflush(f);
}

/* Runs the points todo[0..ntodo) on `workers` children at a time. */
static int run_pool(Sweep *s, const SweepArgs *a, const size_t *todo, size_t ntodo, int workers, int one_thread,
                    Err *err)
{
    Pool *pool = calloc((size_t)workers, sizeof *pool);
    if (!pool)
        return err_set(err, E_NOMEM, "out of memory");
    FILE *pf = a->run.progress;
    int tty = pf && isatty(fileno(pf)), quiet = a->run.quiet || !pf;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGUSR1);
    struct sigaction sa, old_sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_child;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, &old_sa);
    sigprocmask(SIG_BLOCK, &block, &old);
    size_t next = 0, ran = 0, done = 0;
    for (size_t p = 0; p < s->npoints; p++)
        done += s->row[p].status != SWEEP_PENDING;
    int running = 0, stopping = 0, rc = 0;
    pid_t parent = getpid();
    double t0 = train_now_s();
    while (next < ntodo || running) {
        int sig = a->run.stop ? *a->run.stop : 0;
        if (sig && !stopping) {
            stopping = sig;
            for (int w = 0; w < workers; w++)
                if (pool[w].pid > 0)
                    kill(pool[w].pid, sig);
        }
        while (!stopping && !rc && running < workers && next < ntodo) {
            int w = 0;
            while (pool[w].pid > 0)
                w++;
            size_t p = todo[next++];
            char dir[CFG_PATH_MAX + 32];
            point_dir(s, p, dir, sizeof dir);
            int resume = a->resume && has_checkpoint(dir);
            fflush(NULL);
            pid_t pid = fork();
            if (pid < 0) {
                int e = errno;
                rc = err_set(err, E_IO, "sweep: cannot start a worker process: %s", strerror(e));
                break;
            }
            if (pid == 0) {
                /* a sweep killed outright takes its runs with it, so that a
                 * --resume never meets a run still writing */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                    child_exit(1);
                /* Its own process group: Ctrl-C on a terminal reaches the
                 * sweep alone, which forwards it once (a second SIGINT
                 * would end the run before its checkpoint). */
                setpgid(0, 0);
                sigaction(SIGCHLD, &old_sa, NULL);
                sigprocmask(SIG_SETMASK, &old, NULL);
                child(s, a, p, one_thread, resume);
            }
            pool[w].pid = pid;
            pool[w].point = p;
            running++;
        }
        if (rc && !running)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == 0 || (pid < 0 && errno == EINTR)) {
            if (!(a->run.stop && *a->run.stop && !stopping))
                sigsuspend(&old);
            continue;
        }
        if (pid < 0)
            break;
        int w = 0;
        while (w < workers && pool[w].pid != pid)
            w++;
        if (w == workers)
            continue;
        size_t p = pool[w].point;
        pool[w].pid = 0;
        running--;
        char dir[CFG_PATH_MAX + 32];
        point_dir(s, p, dir, sizeof dir);
        read_result(dir, s->cv ? 1 : 0, &s->row[p]);
        if (s->row[p].status == SWEEP_PENDING && !stopping) {
            /* the worker died without a row: the point failed */
            SweepRow *r = &s->row[p];
            r->status = SWEEP_FAILED;
            for (int i = 0; i < SWEEP_NMETRICS; i++)
                r->m[i] = NAN;
            if (WIFSIGNALED(status))
                snprintf(r->error, sizeof r->error, "the run's process was killed by signal %d", WTERMSIG(status));
            else
                snprintf(r->error, sizeof r->error, "the run's process ended with status %d and no result",
                         WEXITSTATUS(status));
            Err e2 = { 0 };
            if (mkdir_p(dir, &e2) == 0)
                write_result(dir, r, s->cv ? 1 : 0, &e2);
        }
        if (s->row[p].status != SWEEP_PENDING) {
            done++;
            ran++;
        }
        if (!rc)
            rc = sweep_write_tables(s, err);
        if (!quiet)
            progress_line(pf, s, done, ran, ntodo, t0, tty);
    }
    if (tty && !quiet)
        fputc('\n', pf);
    sigprocmask(SIG_SETMASK, &old, NULL);
    sigaction(SIGCHLD, &old_sa, NULL);
    free(pool);
    char sig[24];
    if (!rc && stopping)
        rc = err_set(err, E_STOP, "sweep stopped by %s: %zu of %zu points done, the others checkpointed; "
                     "continue with housenet sweep %s ... --resume",
                     run_signal_name(stopping, sig, sizeof sig), done, s->npoints, s->config);
    return rc;
}

/* ---- MPI: rank 0 hands out the points, the other ranks run them ---- */

enum { MSG_READY = 0, MSG_DONE = 1, MSG_STOPPED = 2 };

/* Rank 0: answers each rank's message (ready, or point p done or
 * stopped) with the next point and whether to resume it, or -1 when
 * there is none left (or a stop came). */
static int mpi_hand_out(Sweep *s, const SweepArgs *a, const size_t *todo, size_t ntodo, Err *err)
{
    const Comm *c = a->run.comm;
    FILE *pf = a->run.progress;
    int tty = pf && isatty(fileno(pf)), quiet = a->run.quiet || !pf;
    int active = c->size - 1, stopping = 0, rc = 0;
    size_t next = 0, ran = 0, done = 0;
    for (size_t p = 0; p < s->npoints; p++)
        done += s->row[p].status != SWEEP_PENDING;
    double t0 = train_now_s();
    while (active > 0) {
        int64_t msg[2], reply[2] = { -1, 0 };
        int from = 0;
        if ((rc = comm_recv(c, msg, sizeof msg, -1, &from, err)))
            return rc;
        if (msg[0] == MSG_DONE && msg[1] >= 0 && (size_t)msg[1] < s->npoints) {
            char dir[CFG_PATH_MAX + 32];
            point_dir(s, (size_t)msg[1], dir, sizeof dir);
            read_result(dir, s->cv ? 1 : 0, &s->row[msg[1]]);
            done++;
            ran++;
            if ((rc = sweep_write_tables(s, err))) {
                err->local = 1; /* the other ranks wait in a receive: main ends the job */
                return rc;
            }
            if (!quiet)
                progress_line(pf, s, done, ran, ntodo, t0, tty);
        }
        if (msg[0] == MSG_STOPPED && !stopping)
            stopping = SIGTERM;
        if (a->run.stop && *a->run.stop)
            stopping = *a->run.stop;
        if (!stopping && next < ntodo) {
            size_t p = todo[next++];
            char dir[CFG_PATH_MAX + 32];
            point_dir(s, p, dir, sizeof dir);
            reply[0] = (int64_t)p;
            reply[1] = a->resume && has_checkpoint(dir);
        } else {
            active--;
        }
        if ((rc = comm_send(c, reply, sizeof reply, from, err)))
            return rc;
    }
    if (tty && !quiet)
        fputc('\n', pf);
    char sig[24];
    if (stopping)
        return err_set(err, E_STOP, "sweep stopped by %s: %zu of %zu points done, the others checkpointed; "
                       "continue with housenet sweep %s ... --resume",
                       run_signal_name(stopping, sig, sizeof sig), done, s->npoints, s->config);
    return 0;
}

/* A rank above 0: asks for points and runs them until rank 0 says -1. */
static int mpi_work(const Sweep *s, const SweepArgs *a, int one_thread, Err *err)
{
    const Comm *c = a->run.comm;
    int64_t msg[2] = { MSG_READY, -1 }, reply[2];
    int stopped = 0, rc;
    for (;;) {
        if ((rc = comm_send(c, msg, sizeof msg, 0, err)) || (rc = comm_recv(c, reply, sizeof reply, 0, NULL, err)))
            return rc;
        if (reply[0] < 0)
            break;
        rc = point_do(s, a, (size_t)reply[0], one_thread, (int)reply[1], err);
        if (rc && rc != E_STOP) {
            err->local = 1; /* rank 0 waits for this rank's answer: main ends the job */
            return rc;
        }
        stopped |= rc == E_STOP;
        msg[0] = rc == E_STOP ? MSG_STOPPED : MSG_DONE;
        msg[1] = reply[0];
    }
    return stopped ? err_set(err, E_STOP, "sweep stopped") : 0;
}

/* ---- the sweep ---- */

static int check_points_file(const Sweep *s, const SweepArgs *a, const char *text, Err *err)
{
    char path[CFG_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/points.txt", s->dir);
    char *old = read_text_new(path);
    int rc = 0;
    if (a->resume && !old)
        rc = err_set(err, E_USAGE, "%s: no sweep to resume (%s is missing); start it without --resume", s->dir,
                     path);
    else if (a->resume && strcmp(old, text) && !a->force)
        rc = err_set(err, E_USAGE, "%s: the grid, the config or --cv changed since the sweep started; "
                     "resume with the same ones, or add --force to keep the finished points that remain", path);
    else if (!a->resume && old && !a->force)
        rc = err_set(err, E_USAGE, "%s holds another sweep; continue it with --resume, or start over with --force",
                     s->dir);
    free(old);
    return rc;
}

/* The CPUs this process may run on (its affinity mask), as OpenMP counts
 * them, without starting OpenMP in the process that only hands out
 * runs: its runtime would load tools (libarcher under clang) that a
 * sanitizer's leak check at exit trips over after fork. */
static int usable_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Rank 0: RUN/sweep created and locked, points.txt checked against an
 * earlier sweep's and written. */
static int open_sweep_dir(const Sweep *s, const SweepArgs *a, const char *text, int *lock, Err *err)
{
    char path[CFG_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/points.txt", s->dir);
    int rc;
    if ((rc = mkdir_p(s->dir, err)) || (rc = dir_lock(s->dir, lock, err)) || (rc = check_points_file(s, a, text, err)))
        return rc;
    return atomic_write_file(path, text, strlen(text), err);
}

int sweep_run(const SweepArgs *a, Sweep *s, Err *err)
{
    memset(s, 0, sizeof *s);
    Config c = { 0 }; /* run_load_config frees what an earlier load left: here nothing */
    size_t *todo = NULL;
    char *text = NULL, *cfg_text = NULL;
    int lock = -1;
    int rc = run_load_config(&a->run, &c, err);
    if (rc)
        return rc;
    snprintf(s->config, sizeof s->config, "%s", a->run.config);
    snprintf(s->target, sizeof s->target, "%s", c.target);
    char run_dir[CFG_PATH_MAX];
    run_dir_of(&c, run_dir, sizeof run_dir);
    snprintf(s->dir, sizeof s->dir, "%s/sweep", run_dir);
    s->cv = a->cv;
    if ((rc = read_sweep_section(s, a->run.config, err)))
        goto done;
    for (int g = 0; g < a->ngrids; g++) {
        char name[128];
        const char *eq = strchr(a->grids[g], '=');
        if (!eq || (size_t)(eq - a->grids[g]) >= sizeof name) {
            rc = err_set(err, E_USAGE, "--grid %.60s: expected section.key=v1,v2,..., e.g. --grid "
                         "train.learning_rate=0.01,0.1", a->grids[g]);
            goto done;
        }
        char where[200];
        snprintf(where, sizeof where, "--grid %.120s", a->grids[g]);
        if ((rc = cfg_check_text(a->grids[g], strlen(a->grids[g]), where, 0, err)))
            goto done;
        memcpy(name, a->grids[g], (size_t)(eq - a->grids[g]));
        name[eq - a->grids[g]] = '\0';
        if ((rc = add_key(s, trim(name), eq + 1, "--grid", err)))
            goto done;
    }
    if (a->seeds > 0) {
        char seeds[SWEEP_MAX_VALUES * 24] = "";
        for (int i = 0; i < a->seeds; i++)
            snprintf(seeds + strlen(seeds), sizeof seeds - strlen(seeds), "%s%llu", i ? "," : "",
                     (unsigned long long)(c.seed + (uint64_t)i));
        for (int k = 0; k < s->nkeys; k++)
            if (!strcmp(s->key[k].name, "train.seed")) {
                rc = err_set(err, E_USAGE, "--seeds %d: train.seed is swept already; give one or the other", a->seeds);
                goto done;
            }
        if ((rc = add_key(s, "train.seed", seeds, "--seeds", err)))
            goto done;
    }
    if (s->nkeys == 0) {
        rc = err_set(err, E_USAGE, "%s: nothing to sweep: give --grid section.key=v1,v2,..., --seeds N or a "
                     "[sweep] section", a->run.config);
        goto done;
    }
    if ((rc = make_points(s, a, err)))
        goto done;
    cfg_text = cfg_text_new(&c);
    if (!cfg_text || !(text = points_text_new(s, rng_fnv1a(RNG_FNV_INIT, cfg_text, strlen(cfg_text))))) {
        rc = err_set(err, E_NOMEM, "out of memory");
        goto done;
    }
    const Comm *comm = a->run.comm ? a->run.comm : comm_self();
    if (comm->rank == 0)
        rc = open_sweep_dir(s, a, text, &lock, err);
    /* every rank stops here on rank 0's error (printed once, by rank 0) */
    if ((rc = comm_agree(comm, rc, err)))
        goto done;
    int cpus = usable_cpus(), one_thread = c.threads == 0;
    s->one_thread = one_thread;
    if (comm->rank > 0) {
        rc = mpi_work(s, a, one_thread, err);
        goto done;
    }
    todo = calloc(s->npoints, sizeof *todo);
    if (!todo) {
        rc = err_set(err, E_NOMEM, "out of memory");
        goto done;
    }
    size_t ntodo = 0;
    for (size_t p = 0; p < s->npoints; p++) {
        char dir[CFG_PATH_MAX + 32];
        point_dir(s, p, dir, sizeof dir);
        if (a->resume)
            read_result(dir, s->cv ? 1 : 0, &s->row[p]);
        else
            memset(&s->row[p], 0, sizeof s->row[p]);
        if (s->row[p].status == SWEEP_PENDING)
            todo[ntodo++] = p;
    }
    /* one run per core when the config leaves threads to us (a small
     * run gains less from threads than from a second run at once) */
    int per_run = one_thread ? 1 : c.threads;
    int workers = a->workers > 0 ? a->workers : cpus / per_run > 0 ? cpus / per_run : 1;
    if (comm->size > 1)
        workers = comm->size - 1;
    else if ((size_t)workers > ntodo && ntodo > 0) /* no idle child per point left over */
        workers = (int)ntodo;
    if ((rc = sweep_write_tables(s, err)))
        goto done;
    if (ntodo && !a->run.quiet && a->run.progress)
        fprintf(a->run.progress, "housenet: sweep %zu points (%zu to run) of %s on %d %s%s into %s\n",
                s->npoints, ntodo, a->run.config, workers, comm->size > 1 ? "rank" : "worker",
                workers == 1 ? "" : "s", s->dir);
    rc = comm->size > 1 ? mpi_hand_out(s, a, todo, ntodo, err) : run_pool(s, a, todo, ntodo, workers, one_thread, err);
done:
    if (lock >= 0)
        dir_unlock(&lock);
    free(todo);
    free(text);
    free(cfg_text);
    cfg_free(&c);
    if (rc && rc != E_STOP)
        sweep_free(s);
    return rc;
}

/* ---- the report ---- */

/* v as a shell word: as is when it is plain, else in single quotes. */
static void shell_word(FILE *out, const char *v)
{
    if (v[strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._,=/+:-")] == '\0') {
        fputs(v, out);
        return;
    }
    fputc('\'', out);
    for (; *v; v++)
        fputs(*v == '\'' ? "'\\''" : (char[]){ *v, 0 }, out);
    fputc('\'', out);
}

int sweep_all_failed(const Sweep *s, Err *err)
{
    size_t first = s->npoints;
    for (size_t p = s->npoints; p-- > 0;) {
        if (s->row[p].status != SWEEP_FAILED)
            return 0;
        first = p;
    }
    if (first == s->npoints)
        return 0; /* no point */
    return err_set(err, E_DATA, "every point of the sweep failed (%zu of %zu); the first, %s: %s", s->npoints,
                   s->npoints, s->id[first], s->row[first].error);
}

void sweep_print(FILE *out, const Sweep *s, const SweepArgs *a)
{
    if (a->json) {
        sweep_json(out, s);
        return;
    }
    const char *const *mn = sweep_metric_names(s->cv);
    fprintf(out, "%-12s", "id");
    for (int k = 0; k < s->nkeys; k++)
        fprintf(out, " %-*s", (int)strlen(s->key[k].name) > 12 ? (int)strlen(s->key[k].name) : 12, s->key[k].name);
    fprintf(out, " %14s %14s %8s %9s  status\n", mn[0], s->cv ? mn[1] : mn[3], mn[SWEEP_NMETRICS], "seconds");
    for (size_t p = 0; p < s->npoints; p++) {
        const SweepRow *r = &s->row[p];
        fprintf(out, "%-12s", s->id[p]);
        for (int k = 0; k < s->nkeys; k++)
            fprintf(out, " %-*s", (int)strlen(s->key[k].name) > 12 ? (int)strlen(s->key[k].name) : 12,
                    sweep_value(s, p, k));
        fprintf(out, " %14.6g %14.6g %8lld %9.2f  %s%s\n", r->m[0], s->cv ? r->m[1] : r->m[3], r->epochs,
                r->seconds, r->status == SWEEP_OK ? "ok" : r->status == SWEEP_FAILED ? "failed: " : "pending",
                r->status == SWEEP_FAILED ? r->error : "");
    }
    fprintf(out, "table: %s/results.csv, results.json, results.h5; runs: %s/<id>/\n", s->dir, s->dir);
    long b = sweep_best(s);
    if (b < 0) {
        fputs("best: none (no point finished with a validation figure)\n", out);
        return;
    }
    fprintf(out, "best %s: %s %.9g", s->id[b], mn[0], s->row[b].m[0]);
    if (!s->cv && !isnan(s->row[b].m[3]))
        fprintf(out, "  test_rmse %.9g", s->row[b].m[3]);
    fputs("\nretrain: housenet ", out);
    fputs(s->cv ? "cv " : "train ", out);
    shell_word(out, s->config);
    for (int i = 0; i < a->run.nsets; i++) {
        fputs(" --set ", out);
        shell_word(out, a->run.sets[i]);
    }
    for (int k = 0; k < s->nkeys; k++) {
        fprintf(out, " --set %s=", s->key[k].name);
        shell_word(out, sweep_value(s, (size_t)b, k));
    }
    if (s->one_thread)
        fputs(" --set train.threads=1", out);
    if (s->cv)
        fprintf(out, " --folds %d", s->cv);
    fputs(" --set run.dir=", out);
    char dir[CFG_PATH_MAX + 32];
    point_dir(s, (size_t)b, dir, sizeof dir);
    shell_word(out, dir);
    fputs(s->cv ? "\n" : " --force\n", out);
}
