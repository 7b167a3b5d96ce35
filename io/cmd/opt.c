/* opt: the option parser of every command (see opt.h). */
#include "opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "colname.h"

/* The form of arg that names opt: 0 no, 1 alone, 2 with "=value". */
static int names(const char *arg, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (!n || strncmp(arg, name, n) != 0)
        return 0;
    return arg[n] == '\0' ? 1 : arg[n] == '=' ? 2 : 0;
}

/* "unknown option" with the closest of the command's long names ("--sett":
 * "--set"), the part before any '=' compared. */
static int unknown_option(const char *cmd, const char *s, const Opt *opts, int nopts, Err *err)
{
    enum { MAX_OPTS = 64 };
    const char *list[MAX_OPTS];
    int n = 0;
    for (int k = 0; k < nopts && n < MAX_OPTS; k++)
        if (opts[k].name)
            list[n++] = opts[k].name;
    char want[64];
    size_t len = strcspn(s, "=");
    snprintf(want, sizeof want, "%.*s", (int)(len < sizeof want ? len : sizeof want - 1), s);
    int best = colname_closest(want, list, n);
    char hint[96] = "";
    if (best >= 0)
        snprintf(hint, sizeof hint, " (did you mean %s?)", list[best]);
    return err_set(err, E_USAGE, "%s: unknown option %.40s%s; see housenet %s --help", cmd, s, hint, cmd);
}

int opt_parse(const char *cmd, int argc, char **argv, const Opt *opts, int nopts, OptFn fn, void *ctx,
              const char **pos, int maxpos, int *npos, Err *err)
{
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (s[0] != '-' || s[1] == '\0') {
            if (*npos == maxpos)
                return err_set(err, E_USAGE, "%s: unexpected argument %.80s; see housenet %s --help", cmd, s, cmd);
            pos[(*npos)++] = s;
            continue;
        }
        if (!strcmp(s, "--help") || !strcmp(s, "-h"))
            return E_HELP;
        const Opt *o = NULL;
        int form = 0;
        for (int k = 0; k < nopts && !o; k++) {
            if ((form = names(s, opts[k].name)) || (form = names(s, opts[k].alias)))
                o = &opts[k];
        }
        if (!o)
            return unknown_option(cmd, s, opts, nopts, err);
        if (form == 2 && o->value == OPT_FLAG)
            return err_set(err, E_USAGE, "%s: %.40s takes no value; see housenet %s --help", cmd, o->name, cmd);
        const char *v = NULL;
        if (form == 2)
            v = strchr(s, '=') + 1;
        else if (o->value == OPT_REQUIRED || o->value == OPT_REQUIRED_OR_EMPTY)
            v = i + 1 < argc ? argv[++i] : NULL;
        const char *as_written = s[1] == '-' ? o->name : o->alias;
        if (o->value != OPT_FLAG && o->value != OPT_EQUALS_ONLY &&
            (!v || (!v[0] && o->value == OPT_REQUIRED)))
            return err_set(err, E_USAGE, "%.40s needs %s", as_written, o->needs);
        int rc = fn(ctx, o->id, as_written, v, err);
        if (rc)
            return rc;
    }
    return 0;
}

int opt_whole(const char *name, const char *v, unsigned long long lo, unsigned long long hi,
              unsigned long long *out, Err *err)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (v[0] == '-' || *end || end == v || errno || x < lo || x > hi)
        return err_set(err, E_USAGE, "%s: \"%.40s\" is not a whole number from %llu to %llu", name, v, lo, hi);
    *out = x;
    return 0;
}
