/* opt: the one option parser of the commands. A command lists its options
 * in a table (long name, an alias, whether it takes a value) and gets each
 * option it meets, in order, through one callback; the other arguments
 * are its positionals. Forms: `--name`, `--name value`, `--name=value`,
 * and the same for the alias (`-o FILE`). `--help` and `-h` are every
 * command's: opt_parse returns E_HELP, and main prints the usage. */
#ifndef HOUSENET_OPT_H
#define HOUSENET_OPT_H

#include "err.h"

/* Whether and how an option takes a value. */
typedef enum OptValue {
    OPT_FLAG,        /* no value: `--quiet` */
    OPT_REQUIRED,    /* `--name value` or `--name=value`; never empty */
    OPT_REQUIRED_OR_EMPTY, /* the same, and an empty value is allowed */
    OPT_EQUALS_ONLY  /* a flag that may carry `=value`: `--resume` or `--resume=DIR` */
} OptValue;

/* One row of a command's option table. */
typedef struct Opt {
    int id;              /* what the callback gets (the command's own enum) */
    const char *name;    /* "--model" */
    const char *alias;   /* "-d", or NULL */
    OptValue value;
    const char *needs;   /* with a value: what it is, for the message
                            "--model needs a path, e.g. ..." */
} Opt;

/* Called for each option met, in argv order: its id, its name as the user
 * wrote it (the long name or the alias, for messages), its value (NULL for
 * a flag). Returns 0, or a negative code with err set, which stops the
 * parse. */
typedef int (*OptFn)(void *ctx, int id, const char *name, const char *value, Err *err);

/* Parses argv[0..argc) (the arguments after the command name) against
 * opts[0..nopts). Positionals go to pos[0..maxpos) in order, their count
 * to *npos. `-` alone is a positional. E_HELP on --help or -h; E_USAGE,
 * naming the argument and pointing at `housenet CMD --help` (cmd is the
 * command's name), on an unknown option, a missing value or too many
 * positionals. */
int opt_parse(const char *cmd, int argc, char **argv, const Opt *opts, int nopts, OptFn fn, void *ctx,
              const char **pos, int maxpos, int *npos, Err *err);

/* v as a whole number from lo to hi into *out; E_USAGE naming the option
 * (name, as written) otherwise. */
int opt_whole(const char *name, const char *v, unsigned long long lo, unsigned long long hi,
              unsigned long long *out, Err *err);

#endif
