/* cliargs: shared command-line option forms (see cliargs.h). */
#include "cliargs.h"

#include <string.h>

#include "csvrows.h"

int cli_opt_is(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

const char *cli_opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

int cli_model_option(int argc, char **argv, int *i, const char **model, char *delim, int *taken, Err *err)
{
    const char *s = argv[*i], *v;
    *taken = 1;
    if (cli_opt_is(s, "--model")) {
        if (!(v = cli_opt_value(argc, argv, i, "--model")) || !v[0])
            return err_set(err, E_USAGE, "--model needs a path, e.g. --model runs/ames/model.h5");
        *model = v;
        return 0;
    }
    const char *name = cli_opt_is(s, "--delimiter") ? "--delimiter" : cli_opt_is(s, "-d") ? "-d" : NULL;
    if (name) {
        if (!(v = cli_opt_value(argc, argv, i, name)))
            return err_set(err, E_USAGE, "%s needs a character, e.g. %s ';'", name, name);
        return csv_parse_delimiter(v, name, delim, err);
    }
    *taken = 0;
    return 0;
}
