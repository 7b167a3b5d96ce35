/* cmd: the commands of the housenet program, one table of them (cmd.c,
 * CMDS[]) and the one signature they share.
 *
 * A command is `int cmd_NAME(int argc, char **argv, Err *err)`: argv holds
 * the arguments after the command's name. It parses them with opt_parse
 * (opt.h), does its work through the io/ and src/ modules, prints its
 * results on stdout (warnings and progress on stderr), and returns 0 or a
 * negative code with err set. It never prints an error and never exits:
 * main does both, from the code (E_USAGE and E_CONFIG: 2; E_STOP:
 * 128 + the signal; E_HELP: the command's usage on stdout, 0; any other
 * failure: 1).
 *
 * Adding a command: write cmd_NAME in io/cmd/cmd_NAME.c, declare it
 * below, add its row to CMDS[] in cmd.c, and its file to
 * HOUSENET_CMD_SOURCES in CMakeLists.txt. */
#ifndef HOUSENET_CMD_H
#define HOUSENET_CMD_H

#include <signal.h>

#include "comm.h"
#include "err.h"
#include "run.h"

typedef int (*CmdFn)(int argc, char **argv, Err *err);

/* One row of the command table. */
typedef struct Cmd {
    const char *name;   /* what follows `housenet` */
    CmdFn fn;
    const char *usage;  /* synopsis lines, each followed by what it does
                           (indented), as `housenet help` lists them */
    int ranks;          /* 1: runs as the ranks of an MPI job under mpirun (cmd_comm);
                           0: every process runs it alone */
} Cmd;

/* The command table, in the order `housenet help` lists it. */
extern const Cmd CMDS[];
extern const int NCMDS;

/* The row named name, or NULL. */
const Cmd *cmd_find(const char *name);

int cmd_train(int argc, char **argv, Err *err);
int cmd_cv(int argc, char **argv, Err *err);
int cmd_sweep(int argc, char **argv, Err *err);
int cmd_explain(int argc, char **argv, Err *err);
int cmd_evaluate(int argc, char **argv, Err *err);
int cmd_predict(int argc, char **argv, Err *err);
int cmd_curves(int argc, char **argv, Err *err);
int cmd_inspect(int argc, char **argv, Err *err);
int cmd_convert(int argc, char **argv, Err *err);
/* `housenet help [COMMAND | config]`: the command list, one command's usage,
 * or every config key. E_USAGE for an unknown name. */
int cmd_help(int argc, char **argv, Err *err);

/* Parses the arguments of `housenet train` and `housenet explain`
 * (`CONFIG [--set s.k=v]... [--quiet] [--dry-run] [--resume [RUN_DIR|CKPT]]
 * [--force]`) into *a; argv is borrowed; a's stop, progress and out are
 * kept. E_USAGE with a hint on a bad argument; E_HELP on --help. */
int cmd_train_args(const char *cmd, int argc, char **argv, RunArgs *a, Err *err);

/* The Comm of the job that runs the command: main sets it once, before
 * the command runs (commload_open for a command with `ranks`,
 * comm_self() otherwise). */
void cmd_set_comm(const Comm *c);
const Comm *cmd_comm(void);

/* SIGINT, SIGTERM and SIGUSR1 (a batch system's warning before the end
 * of a job's time) ask a training run to stop (the step in progress
 * finishes, a checkpoint is written, E_STOP); a second one kills at once.
 * cmd_stop_signal() is the signal that asked, 0 before one arrived. */
void cmd_catch_stop_signals(void);
/* For a training run, besides: SIGHUP (the terminal or ssh session
 * closed) and SIGPIPE (the reader of its output gone) ask it to stop as
 * SIGTERM does, unless they were ignored when housenet started (nohup);
 * after a first SIGPIPE the writes to the pipe fail instead. */
void cmd_catch_hangup_signals(void);
/* SIGINT, SIGTERM and SIGHUP (those not ignored) end the process as by
 * default, after removing the temporary files being written
 * (atomic_remove_pending): what main sets for every command; a training
 * run then replaces SIGINT and SIGTERM with cmd_catch_stop_signals(),
 * whose second signal does the same. */
void cmd_catch_fatal_signals(void);
/* After a training run: SIGINT, SIGTERM, SIGUSR1 and SIGHUP end the
 * process at once, as cmd_catch_fatal_signals' do, and SIGPIPE as by
 * default (unless ignored). What is left to do is main's
 * flush of the summary, which a full pipe can hold up without end. */
void cmd_end_stop_signals(void);
/* While on (RunArgs.loading: `housenet train` reading its config and
 * data, before anything of the run is on disk), a stop signal, or one
 * that came before, ends the process at once with status 128 + it and,
 * for the writer, the line "stopped by SIGTERM while the config and data
 * loaded, before anything was written": a load that blocks (a FIFO
 * without a writer, a stalled network file system) or takes minutes is
 * never waited for. */
void cmd_loading(int on, int writer);
volatile sig_atomic_t *cmd_stop_flag(void);
int cmd_stop_signal(void);

/* dir/name in buf (one '/' between them); -1 when it does not fit. */
int cmd_join(const char *dir, const char *name, char *buf, size_t cap);

/* The file a command reads, given a run directory: path itself unless it
 * is a directory, then path/name (`--model runs/ames`: runs/ames/model.h5)
 * in buf, or, when the directory holds no name, E_USAGE saying so. */
int cmd_run_file(const char *path, const char *name, const char *what, char *buf, size_t cap, const char **out,
                 Err *err);

#endif
