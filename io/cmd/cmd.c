/* cmd: the command table, `housenet help`, and the stop signals of a
 * training run (see cmd.h). */
#include "cmd.h"

#include "atomic.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "opt.h"

/* One row per command: name, function, usage. Adding a command is adding
 * a row here (and its file; see cmd.h). */
const Cmd CMDS[] = {
    { "train", cmd_train,
      "  train CONFIG [--set section.key=value]... [--quiet] [--resume [RUN_DIR|CKPT]] [--force]\n"
      "        train a network as CONFIG says; writes RUN/model.h5, RUN/curves.h5, RUN/best.h5\n"
      "        and RUN/checkpoints/; --resume continues from the newest good checkpoint;\n"
      "        --force resumes despite a changed config, or replaces an earlier run\n"
      "  train CONFIG --dry-run\n"
      "        print the resolved config, a data summary and the memory needed; train nothing\n"
      "        (mpirun -np K housenet train ...: the same run on K processes, the same bytes)\n", 1 },
    { "cv", cmd_cv,
      "  cv CONFIG [--folds K] [--repeats R] [--seed S] [--json] [--set section.key=value]... [--quiet]\n"
      "        repeated K-fold cross-validation (default 5 folds, 1 repeat, S = [train] seed): each\n"
      "        fold trained in RUN/cv/r<R>-f<F>/ (early stopping on rows of its training folds);\n"
      "        mean and sd of RMSE, MAE, MAPE and R^2 in the target's units beside the training\n"
      "        mean, least squares and ridge on the same folds; per fold: RUN/cv/folds.csv\n", 0 },
    { "sweep", cmd_sweep,
      "  sweep CONFIG [--grid section.key=v1,v2,...]... [--seeds N] [--cv K] [--budget N --random S]\n"
      "        [--workers W] [--json] [--resume] [--force] [--set section.key=value]... [--quiet]\n"
      "        one run per point of the grid ([sweep] section, then --grid; values of a list key split\n"
      "        by ';': model.hidden=2;8;16,16), first key slowest, --seeds N as the last key; or N\n"
      "        random points drawn with seed S. Each run in RUN/sweep/<id>/, W at a time (default: one\n"
      "        per CPU); with --cv K each point scored by K-fold cross-validation. Table in\n"
      "        RUN/sweep/results.csv, .json, .h5; the best point and the command that retrains it.\n"
      "        --resume continues a stopped sweep (a changed grid needs --force); see docs/sweep.md\n"
      "        (mpirun -np K housenet sweep ...: rank 0 hands the points out to the K - 1 others)\n", 1 },
    { "explain", cmd_explain,
      "  explain CONFIG [--set section.key=value]...\n"
      "        one forward and backward pass on the first training row, term by term\n", 0 },
    { "evaluate", cmd_evaluate,
      "  evaluate --model RUN/model.h5 [DATA.csv] [--json] [--delimiter C]\n"
      "        RMSE, MAE, MAPE and R^2 in the target's units beside the training mean and\n"
      "        least squares; default rows: the model's own test split (--model RUN: RUN/model.h5)\n", 0 },
    { "predict", cmd_predict,
      "  predict --model RUN/model.h5 INPUT.csv [-o OUT.csv] [--delimiter C]\n"
      "        INPUT's rows with a predicted_<target> column in the target's units (--model RUN:\n"
      "        RUN/model.h5)\n", 0 },
    { "curves", cmd_curves,
      "  curves export RUN/curves.h5 --csv [--steps | --events] [-o OUT.csv]\n"
      "        the loss curves (or the step log, or the events) as CSV, for gnuplot (RUN alone:\n"
      "        RUN/curves.h5)\n", 0 },
    { "inspect", cmd_inspect,
      "  inspect FILE [--table NAME] [--delimiter C] [--na-values LIST]\n"
      "        rows of a CSV file or HDF5 table; per column its type, missing count, min, mean, max;\n"
      "        or what a model or checkpoint file holds (checkpoints: checksum verified)\n", 0 },
    { "convert", cmd_convert,
      "  convert IN.csv OUT.h5 [--table NAME] [--delimiter C] [--na-values LIST] [--quiet] [--compress]\n"
      "        the numeric columns of a CSV file as an HDF5 table (one dataset per column), streaming;\n"
      "        uncompressed unless --compress (shuffle + deflate: smaller, about 3x slower to write)\n", 0 },
    { "help", cmd_help,
      "  help [COMMAND | config]\n"
      "        this text, one command's usage, or every config key with its default\n", 0 },
};
const int NCMDS = (int)(sizeof CMDS / sizeof CMDS[0]);

const Cmd *cmd_find(const char *name)
{
    for (int i = 0; i < NCMDS; i++)
        if (!strcmp(CMDS[i].name, name))
            return &CMDS[i];
    return NULL;
}

static int no_option(void *ctx, int id, const char *name, const char *value, Err *err)
{
    return 0;
}

int cmd_help(int argc, char **argv, Err *err)
{
    const char *pos[1];
    int npos, rc = opt_parse("help", argc, argv, NULL, 0, no_option, NULL, pos, 1, &npos, err);
    if (rc)
        return rc;
    if (npos == 0) {
        fputs("usage: housenet COMMAND [ARGS]   (housenet COMMAND --help: one command)\n\n", stdout);
        for (int i = 0; i < NCMDS; i++)
            fputs(CMDS[i].usage, stdout);
        fputs("  --version\n", stdout);
        return 0;
    }
    if (!strcmp(pos[0], "config")) {
        cfg_help(stdout);
        return 0;
    }
    const Cmd *c = cmd_find(pos[0]);
    if (!c)
        return err_set(err, E_USAGE, "help: no command \"%.40s\"; housenet help lists them", pos[0]);
    printf("usage:\n%s", c->usage);
    return 0;
}

/* Set once by main before the command runs, like the signal below a
 * piece of process state the commands reach without an argument. */
static const Comm *job_comm;

void cmd_set_comm(const Comm *c)
{
    job_comm = c;
}

const Comm *cmd_comm(void)
{
    return job_comm ? job_comm : comm_self();
}

/* The signal that asked training to stop, 0 before one arrives, and the
 * phase it arrives in (cmd_loading: 1 while the data load, 2 on the rank
 * that prints). With job_comm the only mutable globals: a signal handler
 * can reach nothing else. run.c polls stop_signal after every step
 * (RunArgs.stop). */
static volatile sig_atomic_t stop_signal, loading;

/* Ends the process by signo as its default action would, after removing
 * the temporary files being written (atomic.h): a killed command leaves
 * no `.tmp-PID` file. */
static void die_by_signal(int signo)
{
    atomic_remove_pending();
    signal(signo, SIG_DFL);
    raise(signo);
}

/* The end of a stop during the data load: async-signal-safe. */
static void end_while_loading(int signo)
{
    if (loading == 2) {
        /* every signal that reaches here has a name: no snprintf */
        char buf[24];
        const char *name = run_signal_name(signo, buf, sizeof buf);
        static const char head[] = "housenet: stopped by ";
        static const char tail[] = " while the config and data loaded, before anything was written\n";
        char line[sizeof head + sizeof tail + 16];
        size_t n = strlen(name);
        memcpy(line, head, sizeof head - 1);
        memcpy(line + sizeof head - 1, name, n);
        memcpy(line + sizeof head - 1 + n, tail, sizeof tail - 1);
        ssize_t w = write(STDERR_FILENO, line, sizeof head - 1 + n + sizeof tail - 1);
        (void)w;
    }
    atomic_remove_pending();
    _exit(128 + signo);
}

static void on_stop_signal(int signo)
{
    if (loading)
        end_while_loading(signo);
    if (stop_signal)
        die_by_signal(signo); /* the second one */
    stop_signal = signo;
}

/* handler for signo; keep_ignored: not where the signal is ignored (a
 * job started in the background by a shell ignores SIGINT). */
static void catch_signal(int signo, void (*handler)(int), int flags, int keep_ignored)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    if (keep_ignored && sigaction(signo, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
        return;
    sigaction(signo, &sa, NULL);
}

/* A write to a pipe whose reader is gone (`train 2>&1 | head`): the
 * first asks the run to stop as SIGTERM does; the writes after it fail
 * (EPIPE) instead of signalling again, which would kill at once. */
static void on_broken_pipe(int signo)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    if (loading)
        end_while_loading(signo);
    if (!stop_signal)
        stop_signal = signo;
}

void cmd_loading(int on, int writer)
{
    loading = on ? (writer ? 2 : 1) : 0;
    if (on && stop_signal)
        end_while_loading(stop_signal);
}

void cmd_catch_stop_signals(void)
{
    catch_signal(SIGINT, on_stop_signal, SA_RESTART, 0);
    catch_signal(SIGTERM, on_stop_signal, SA_RESTART, 0);
    catch_signal(SIGUSR1, on_stop_signal, SA_RESTART, 0);
}

void cmd_catch_hangup_signals(void)
{
    catch_signal(SIGHUP, on_stop_signal, SA_RESTART, 1);
    catch_signal(SIGPIPE, on_broken_pipe, SA_RESTART, 1);
}

void cmd_catch_fatal_signals(void)
{
    catch_signal(SIGINT, die_by_signal, 0, 1);
    catch_signal(SIGTERM, die_by_signal, 0, 1);
    catch_signal(SIGHUP, die_by_signal, 0, 1);
}

void cmd_end_stop_signals(void)
{
    catch_signal(SIGINT, die_by_signal, 0, 0);
    catch_signal(SIGTERM, die_by_signal, 0, 0);
    catch_signal(SIGUSR1, die_by_signal, 0, 0);
    catch_signal(SIGHUP, die_by_signal, 0, 1);
    catch_signal(SIGPIPE, SIG_DFL, 0, 1); /* ignored after a first one: the summary's writes fail */
}

volatile sig_atomic_t *cmd_stop_flag(void)
{
    return &stop_signal;
}

int cmd_stop_signal(void)
{
    return stop_signal;
}

int cmd_join(const char *dir, const char *name, char *buf, size_t cap)
{
    size_t len = strlen(dir);
    int n = snprintf(buf, cap, "%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/", name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int cmd_run_file(const char *path, const char *name, const char *what, char *buf, size_t cap, const char **out,
                 Err *err)
{
    struct stat st;
    *out = path;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0; /* a file, or what opening it will say */
    if (cmd_join(path, name, buf, cap))
        return err_set(err, E_USAGE, "%.200s: the path is too long", path);
    if (access(buf, F_OK) != 0)
        return err_set(err, E_USAGE, "%.200s is a directory without %s; %s", path, name, what);
    *out = buf;
    return 0;
}
