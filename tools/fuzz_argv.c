/* fuzz_argv: libFuzzer target for the command line: the command table
 * (io/cmd/cmd.c), the option parser (io/cmd/opt.c) and every command
 * behind them, as main dispatches them (docs/development.md,
 * docs/hardening.md).
 *
 * Input: the arguments after `housenet`, separated by NUL bytes (at most
 * 32). Each input runs in a fresh copy of a fixture directory made at the
 * first call: cfg.ini (a 3-2-1 network, 2 epochs), data.csv (40 rows),
 * table.h5 (its conversion) and the run cfg.ini writes (runs/cfg/:
 * model.h5, best.h5, curves.h5, checkpoints). The command runs with that
 * copy as the working directory and stdout and stderr going to /dev/null.
 * To keep every write inside the copy and every run short, an input is
 * skipped when an argument holds "..", a '/' that does not follow a name
 * character (an absolute path, "=/x"), or names the keys that size a run
 * (epochs, hidden). Nothing may crash, leak or hang; a command returns 0,
 * E_HELP or a negative code with a message. */
#define _DEFAULT_SOURCE

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "comm.h"
#include "fuzz_util.h"

enum { MAX_ARGS = 32 };

static const char CONFIG[] =
    "[data]\npath = data.csv\nfeatures = a, b, c\ntarget = y\nvalidation_fraction = 0.2\n"
    "test_fraction = 0.2\n[model]\nhidden = 2\n[train]\nepochs = 2\nbatch_size = 8\nthreads = 1\n"
    "seed = 7\n";

static char fixture[1024], work[1024];

/* Runs `housenet argv[0] ...` as main does (without mpirun). */
static int dispatch(int argc, char **argv, Err *err)
{
    const char *name = argc > 0 ? argv[0] : "";
    if (!strcmp(name, "--help") || !strcmp(name, "-h"))
        name = "help";
    const Cmd *c = cmd_find(name);
    if (!c)
        return err_set(err, E_USAGE, "unknown command");
    cmd_set_comm(comm_self());
    /* stdout by its descriptor (the C++ runtime of libFuzzer flushes the
     * FILE at exit); stderr's FILE only, so that a sanitizer's report,
     * written to descriptor 2, is still seen */
    FILE *errs = stderr, *null = fuzz_null();
    int out = dup(STDOUT_FILENO);
    fflush(stdout);
    if (out < 0 || dup2(fileno(null), STDOUT_FILENO) < 0)
        fuzz_fail("fuzz_argv", "cannot send stdout to /dev/null");
    stderr = null;
    int rc = c->fn(argc - 1, argv + 1, err);
    fflush(stdout);
    clearerr(stdout);
    stderr = errs;
    if (dup2(out, STDOUT_FILENO) < 0 || close(out) < 0)
        fuzz_fail("fuzz_argv", "cannot restore stdout");
    return rc;
}

static void run_in(const char *dir, int argc, char **argv)
{
    int back = open(".", O_RDONLY | O_DIRECTORY);
    if (back < 0 || chdir(dir) < 0)
        fuzz_fail(dir, strerror(errno));
    Err err = { 0 };
    int rc = dispatch(argc, argv, &err);
    if (rc != E_HELP)
        fuzz_check_err(argv[0], rc, &err);
    if (fchdir(back) < 0)
        fuzz_fail("fchdir", strerror(errno));
    close(back);
}

/* The fixture directory: the config, its data, the table and one run. */
static void make_fixture(void)
{
    snprintf(fixture, sizeof fixture, "%s/fixture", fuzz_dir());
    snprintf(work, sizeof work, "%s/work", fuzz_dir());
    char csv[4096] = "a,b,c,y\n";
    uint32_t s = 12345;
    for (int i = 0; i < 40; i++) {
        double v[3];
        for (int k = 0; k < 3; k++) {
            s = s * 1103515245u + 12345u;
            v[k] = (double)(s >> 16 & 1023) / 64.0;
        }
        snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "%.4f,%.4f,%.4f,%.4f\n", v[0], v[1], v[2],
                 2 * v[0] - v[1] + 0.5 * v[2]);
    }
    char path[1100];
    if (mkdir(fixture, 0700) < 0)
        fuzz_fail(fixture, strerror(errno));
    FILE *f;
    if (!(f = fopen(strcat(strcpy(path, fixture), "/cfg.ini"), "w")) || fputs(CONFIG, f) < 0 || fclose(f))
        fuzz_fail(path, "cannot write");
    if (!(f = fopen(strcat(strcpy(path, fixture), "/data.csv"), "w")) || fputs(csv, f) < 0 || fclose(f))
        fuzz_fail(path, "cannot write");
    char *train[] = { "train", "cfg.ini", "--quiet", NULL };
    char *convert[] = { "convert", "data.csv", "table.h5", NULL };
    run_in(fixture, 3, train);
    run_in(fixture, 3, convert);
}

/* 1 when arg could reach outside the working directory or make a long run. */
static int unsafe(const char *arg)
{
    if (strstr(arg, "..") || strstr(arg, "epochs") || strstr(arg, "hidden"))
        return 1;
    for (const char *p = arg; (p = strchr(p, '/')); p++)
        if (p == arg || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '-' || p[-1] == '.'))
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fixture[0])
        make_fixture();
    char *buf = malloc(size + 1), *argv[MAX_ARGS + 1];
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    int argc = 0;
    for (size_t i = 0; i <= size && argc < MAX_ARGS;) {
        argv[argc] = buf + i;
        if (unsafe(argv[argc])) {
            free(buf);
            return 0;
        }
        argc++;
        i += strlen(buf + i) + 1;
    }
    argv[argc] = NULL;
    fuzz_remove_tree(work);
    fuzz_copy_tree(fixture, work);
    run_in(work, argc, argv);
    free(buf);
    fuzz_check_h5_closed("fuzz_argv");
    return 0;
}
