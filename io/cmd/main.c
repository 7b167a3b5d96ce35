/* housenet: the program. Finds the command in the table (io/cmd/cmd.c),
 * runs it, and is the only place that prints an error (one line on
 * stderr) and maps it to the exit status: 0 success, 1 a run failed (bad
 * data, I/O, divergence), 2 bad usage or config, 130/143 a run stopped by
 * SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "kern.h"

#define HOUSENET_VERSION "0.1.0"

static int exit_code(int rc)
{
    if (rc == 0)
        return 0;
    if (rc == E_STOP)
        return 128 + (cmd_stop_signal() ? cmd_stop_signal() : SIGINT);
    return rc == E_CONFIG || rc == E_USAGE ? 2 : 1;
}

/* Runs the command argv[1] on the arguments after it. */
static int dispatch(int argc, char **argv, Err *err)
{
    int rc = kern_isa_status(err);
    if (rc)
        return rc;
    if (argc < 2)
        return err_set(err, E_USAGE, "no command; housenet help lists them");
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h"))
        name = "help";
    if (!strcmp(name, "--version")) {
        printf("housenet %s\nkernels %s (available: %s; HOUSENET_ISA chooses)\narithmetic %d\n", HOUSENET_VERSION,
               kern_active->name, kern_isa_available(), NET_ARITHMETIC);
        return 0;
    }
    const Cmd *c = cmd_find(name);
    if (!c) {
        char names[256] = "";
        for (int i = 0; i < NCMDS; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", CMDS[i].name);
        return err_set(err, E_USAGE, "unknown command \"%.40s\"; commands are %s", argv[1], names);
    }
    rc = c->fn(argc - 2, argv + 2, err);
    if (rc == E_HELP) {
        printf("usage:\n%s", c->usage);
        rc = 0;
    }
    return rc;
}

int main(int argc, char **argv)
{
    Err err = { 0 };
    int rc = dispatch(argc, argv, &err);
    fflush(stdout);
    if (rc)
        fprintf(stderr, "housenet: %s\n", err.msg);
    return exit_code(rc);
}
