/* housenet: the command line. Parses the command, runs it, prints errors
 * as one line on stderr and owns the only exit status: 0 success, 1 a run
 * failed (bad data, I/O, divergence), 2 bad usage or config, 130/143 a run
 * stopped by SIGINT/SIGTERM. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "curvescmd.h"
#include "evaluate.h"
#include "predict.h"
#include "run.h"

#define HOUSENET_VERSION "0.1.0"

static const char USAGE[] =
    "usage: housenet COMMAND [ARGS]\n"
    "\n"
    "  train CONFIG [--set section.key=value]... [--quiet]\n"
    "        train a network as CONFIG says; writes RUN/model.h5 and RUN/curves.h5\n"
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
    "  help [config]\n"
    "        this text, or every config key with its default\n"
    "  --version\n";

static int exit_code(int rc)
{
    if (rc == 0)
        return 0;
    return rc == E_CONFIG || rc == E_USAGE ? 2 : 1;
}

/* Runs fn on the arguments after the command; prints the error, if any. */
static int run_command(int (*fn)(const RunArgs *, Err *), int argc, char **argv)
{
    Err err = { 0 };
    RunArgs a = { .progress = stderr, .out = stdout };
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
    if (!strcmp(cmd, "train"))
        return run_command(run_train, argc - 2, argv + 2);
    if (!strcmp(cmd, "explain"))
        return run_command(run_explain, argc - 2, argv + 2);
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
    fprintf(stderr, "housenet: unknown command \"%.40s\"; commands are train, explain, evaluate, predict, curves, help\n", cmd);
    return 2;
}
