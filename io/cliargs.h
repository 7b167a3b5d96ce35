/* cliargs: the command-line option forms the commands share: `--opt value`
 * or `--opt=value`, and the --model and --delimiter options of the
 * commands that read a model file (evaluate, predict). */
#ifndef HOUSENET_CLIARGS_H
#define HOUSENET_CLIARGS_H

#include "err.h"

/* Whether arg is option name (e.g. "--table"), alone or as name=value. */
int cli_opt_is(const char *arg, const char *name);
/* The value of option argv[*i] (cli_opt_is(argv[*i], name)): after '=', or
 * the next argument (then *i moves to it); NULL when there is none. */
const char *cli_opt_value(int argc, char **argv, int *i, const char *name);

/* Takes argv[*i] when it is --model PATH or --delimiter C (also -d C, and
 * the =value forms): sets *model or *delim (csv_delimiter_parse), moves *i
 * past the value and sets *taken = 1; else *taken = 0. Returns E_USAGE
 * with a message naming the option when its value is missing or bad. */
int cli_model_option(int argc, char **argv, int *i, const char **model, char *delim, int *taken, Err *err);

#endif
