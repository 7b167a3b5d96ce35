/* housenet: the command line. Parses the command, runs it, prints errors
 * as one line on stderr and owns the only exit status: 0 success, 1 a run
 * failed (bad data, I/O, divergence), 2 bad usage or config, 130/143 a run
 * stopped by SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "curvescmd.h"
#include "datacmd.h"
#include "evaluate.h"
#include "predict.h"
#include "run.h"

#define HOUSENET_VERSION "0.1.0"

static const char USAGE[] =
    "usage: housenet COMMAND [ARGS]\n"
    "\n"
    "  train CONFIG [--set section.key=value]... [--quiet] [--resume [RUN_DIR|CKPT]] [--force]\n"
    "        train a network as CONFIG says; writes RUN/model.h5, RUN/curves.h5, RUN/best.h5\n"
    "        and RUN/checkpoints/; --resume continues from the newest good checkpoint;\n"
    "        --force resumes despite a changed config, or replaces an earlier run\n"
    "  train CONFIG --dry-run\n"
    "        print the resolved config, a data summary and the memory needed; train nothing\n"
    "  explain CONFIG [--set section.key=value]...\n"
    "        one forward and backward pass on the first training row, term by term\n"
    "  evaluate --model RUN/model.h5 [DATA.csv] [--json] [--delimiter C]\n"
    "        RMSE, MAE, MAPE and R^2 in the target's units beside the training mean and\n"
    "        least squares; default rows: the model's own test split\n"
    "  predict --model RUN/model.h5 INPUT.csv [-o OUT.csv] [--delimiter C]\n"
    "        INPUT's rows with a predicted_<target> column in the target's units\n"
    "  curves export RUN/curves.h5 --csv [--steps | --events] [-o OUT.csv]\n"
    "        the loss curves (or the step log, or the events) as CSV, for gnuplot\n"
    "  inspect FILE [--table NAME] [--delimiter C] [--na-values LIST]\n"
    "        rows of a CSV file or HDF5 table; per column its type, missing count, min, mean, max;\n"
    "        or what a model or checkpoint file holds (checkpoints: checksum verified)\n"
    "  convert IN.csv OUT.h5 [--table NAME] [--delimiter C] [--na-values LIST] [--quiet]\n"
    "        the numeric columns of a CSV file as an HDF5 table (one dataset per column), streaming\n"
    "  help [config]\n"
    "        this text, or every config key with its default\n"
    "  --version\n";

/* The signal that asked training to stop, 0 before one arrives. The only
 * mutable global: a signal handler can reach nothing else. run.c polls it
 * after every step (RunArgs.stop). */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int signo)
{
    stop_signal = signo;
}

/* SIGINT and SIGTERM finish the current step, then stop with a
 * checkpoint. SA_RESETHAND: a second one kills at once. */
static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int exit_code(int rc)
{
    if (rc == 0)
        return 0;
    if (rc == E_STOP)
        return 128 + (stop_signal ? stop_signal : SIGINT);
    return rc == E_CONFIG || rc == E_USAGE ? 2 : 1;
}

/* Runs fn on the arguments after the command; prints the error, if any. */
static int run_command(int (*fn)(const RunArgs *, Err *), int argc, char **argv)
{
    Err err = { 0 };
    RunArgs a = { .progress = stderr, .out = stdout, .stop = &stop_signal };
    int rc = run_parse_args(argc, argv, &a, &err);
    if (!rc)
        rc = fn(&a, &err);
    fflush(stdout);
    if (rc)
        fprintf(stderr, "housenet: %s\n", err.msg);
    return exit_code(rc);
}

/* Runs a command that parses its own arguments; prints the error, if any. */
static int tool_command(int (*fn)(int, char **, FILE *, FILE *, Err *), int argc, char **argv)
{
    Err err = { 0 };
    int rc = fn(argc, argv, stdout, stderr, &err);
    fflush(stdout);
    if (rc)
        fprintf(stderr, "housenet: %s\n", err.msg);
    return exit_code(rc);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "train")) {
        catch_stop_signals();
        return run_command(run_train, argc - 2, argv + 2);
    }
    if (!strcmp(cmd, "explain"))
        return run_command(run_explain, argc - 2, argv + 2);
    if (!strcmp(cmd, "inspect"))
        return cmd_inspect(argc - 2, argv + 2);
    if (!strcmp(cmd, "convert"))
        return cmd_convert(argc - 2, argv + 2);
    if (!strcmp(cmd, "evaluate"))
        return tool_command(eval_main, argc - 2, argv + 2);
    if (!strcmp(cmd, "predict"))
        return tool_command(predict_main, argc - 2, argv + 2);
    if (!strcmp(cmd, "curves"))
        return tool_command(curves_cmd_main, argc - 2, argv + 2);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        if (argc > 2 && !strcmp(argv[2], "config"))
            cfg_help(stdout);
        else
            fputs(USAGE, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("housenet %s\n", HOUSENET_VERSION);
        return 0;
    }
    fprintf(stderr, "housenet: unknown command \"%.40s\"; commands are train, explain, evaluate, predict, "
                    "curves, inspect, convert, help\n", cmd);
    return 2;
}
