/* housenet: the program. Finds the command in the table (io/cmd/cmd.c),
 * runs it, and is the only place that prints an error (one line on
 * stderr) and maps it to the exit status: 0 success, 1 a run failed (bad
 * data, I/O, divergence), 2 bad usage or config, 130/143 a run stopped by
 * SIGINT/SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "colname.h"
#include "h5table.h"
#include "commload.h"
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

/* Runs the command argv[1] on the arguments after it; a command with
 * `ranks` under mpirun joins the job in *comm first. */
static int dispatch(int argc, char **argv, Comm *comm, Err *err)
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
        char names[256] = "", hint[64] = "";
        const char *list[NCMDS];
        for (int i = 0; i < NCMDS; i++) {
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", CMDS[i].name);
            list[i] = CMDS[i].name;
        }
        int best = colname_closest(argv[1], list, NCMDS);
        if (best >= 0)
            snprintf(hint, sizeof hint, " (did you mean %s?)", list[best]);
        return err_set(err, E_USAGE, "unknown command \"%.40s\"%s; commands are %s", argv[1], hint, names);
    }
    if (c->ranks && (rc = commload_open(comm, err)))
        return rc;
    cmd_set_comm(comm);
    rc = c->fn(argc - 2, argv + 2, err);
    if (rc == E_HELP) {
        printf("usage:\n%s", c->usage);
        rc = 0;
    }
    return rc;
}

/* Results went to stdout through its buffer: a write error (a full disk,
 * /dev/full) shows only when it is flushed and closed, here, once for
 * every command. An earlier error keeps its own message. */
static int close_stdout(int rc, Err *err)
{
    errno = 0;
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (fclose(stdout) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad && rc == 0)
        rc = err_set(err, E_IO, "cannot write the results to standard output: %s", strerror(e ? e : EIO));
    return rc;
}

/* In a job of several ranks an error that every rank reached together is
 * printed by rank 0 alone; one that only this rank has (err.local: rank
 * 0 could not write a file) is printed with the rank and ends the whole
 * job (the others may be waiting for this one in a collective). */
/* err's message as it may reach a terminal: one line, and no byte from the
 * input (a column name, a cell) that acts on the terminal (term_escape). */
static const char *shown_msg(const Err *err)
{
    static char shown[4 * ERR_MSG_MAX];
    term_escape(shown, sizeof shown, err->msg);
    return shown;
}

int main(int argc, char **argv)
{
    Err err = { 0 };
    /* Past `ulimit -f` a write fails with EFBIG, reported as any write
     * error (and the temporary file removed), instead of SIGXFSZ killing
     * the process mid-write. */
    signal(SIGXFSZ, SIG_IGN);
    cmd_catch_fatal_signals();
    h5_no_atexit();
    /* Off a terminal the results go out in one flush, in close_stdout, whose
     * errno names a write error; a stdio buffer that fills up on the way
     * (8 KiB: `help config` is larger) would hit the error earlier and lose
     * its errno. predict and curves export write more, and name their own. */
    static char outbuf[1 << 16]; /* glibc ignores the size unless given the buffer */
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    Comm comm = *comm_self();
    int rc = dispatch(argc, argv, &comm, &err);
    if (rc && comm.size > 1 && err.local) {
        fflush(stdout);
        fprintf(stderr, "housenet: rank %d: %s\n", comm.rank, shown_msg(&err));
        fflush(stderr);
        comm.abort(&comm, exit_code(rc));
    }
    rc = close_stdout(rc, &err);
    if (rc && comm.rank == 0)
        fprintf(stderr, "housenet: %s\n", shown_msg(&err));
    commload_close(&comm);
    return exit_code(rc);
}
