/* configread: reading a config file or text through inih (see config.h):
 * line bounds, the `;` of a delimiter, continued lines of long lists, and
 * every key handed to cfg_assign (config.c). */
#include "config.h"
#include "colname.h"
#include "configkeys.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

/* The longest config file read: a bound on time and memory for a path that
 * names something endless (docs/hardening.md). */
#define CFG_FILE_MAX (1 << 20)

typedef struct LoadCtx {
    Config *c;
    FILE *f;             /* the file, or NULL to read text */
    const char *text;    /* cfg_load_text: what is left to read */
    int line;            /* lines read so far = the line inih is handling */
    int indented;        /* that line starts with a space or tab: inih continues the last value */
    char last_section[64], last_name[64]; /* the key the last value went to */
    const char *path;
    char base_dir[CFG_PATH_MAX];
    Err *err;
    int failed;
    size_t bytes;        /* read so far from f */
} LoadCtx;

/* inih takes a ';' after a space for the start of a comment, so that
 * `delimiter = ;` would read as an empty value: the line is given to inih
 * as `delimiter = semicolon` (what cfg_text_new writes), whatever follows.
 * line holds cap bytes; a line without room is left as it is. */
static void semicolon_value(char *line, size_t cap)
{
    char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncmp(p, "delimiter", 9))
        return;
    p += 9;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != '=')
        return;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != ';')
        return;
    size_t len = strlen(line), word = strlen("semicolon");
    if (len + word > cap - 1)
        return;
    memmove(p + word, p + 1, len - (size_t)(p + 1 - line) + 1);
    memcpy(p, "semicolon", word);
}

/* A section header line s[0..len) that inih would take in part: without
 * its closing ']' (inih's bare "syntax error", reported after any error of
 * a later line) or with text after it, which inih drops ("[train] epochs
 * = 3" would not set epochs); or one of a section no run has. 0 for any
 * other line, or an error. */
static int section_line_bad(const char *s, size_t len, const char *where, Err *err)
{
    size_t i = strspn(s, " \t");
    if (i >= len || s[i] != '[')
        return 0;
    const char *close = memchr(s + i, ']', len - i);
    if (!close)
        return err_set(err, E_CONFIG, "%s: the section header \"%.*s\" has no closing ']'; write [data], [model], "
                       "[train], [run] or [init]", where, (int)(len - i < 40 ? len - i : 40), s + i);
    size_t a = (size_t)(close + 1 - s);
    a += strspn(s + a, " \t");
    if (a < len && s[a] != ';' && s[a] != '#')
        return err_set(err, E_CONFIG, "%s: \"%.*s\" follows the section header %.*s on its line, where it would be "
                       "ignored; put it on a line of its own", where, (int)(len - a < 40 ? len - a : 40), s + a,
                       (int)(close + 1 - (s + i)) < 40 ? (int)(close + 1 - (s + i)) : 40, s + i);
    /* an unknown section, named at its header: one without keys is
     * refused too ([trian] left empty would leave its keys' defaults) */
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(close - (s + i + 1)), s + i + 1);
    return strcmp(name, "sweep") ? cfg_check_section(name, where, err) : 0; /* [sweep]: housenet sweep's grid */
}

/* One line (as fgets would) from the file or the text. A line that does
 * not fit inih's buffer stops the parse with an error: inih would read its
 * tail as a line of its own. */
static char *reader(char *str, int num, void *stream)
{
    LoadCtx *ctx = stream;
    char *r = NULL;
    int more = 0; /* the line goes on past num - 1 bytes */
    if (ctx->failed)
        return NULL;
    if (ctx->f) {
        /* fgets, but a NUL byte, a read error (a directory) and a file
         * without end (/dev/zero, a stream of newlines) are errors */
        size_t len = 0;
        int ch = 0;
        while (len + 1 < (size_t)num && (ch = getc(ctx->f)) != EOF && ch != '\0') {
            str[len++] = (char)ch;
            if (ch == '\n')
                break;
        }
        str[len] = '\0';
        ctx->bytes += len;
        const BinaryKind *k = ctx->line == 0 ? binary_kind(str, len) : NULL;
        if (k) {
            err_set(ctx->err, E_CONFIG, "%s: this is %s, not an INI config; %s", ctx->path, k->name, k->as_config);
            ctx->failed = 1;
            return NULL;
        }
        if (ch == '\0' || ferror(ctx->f) || ctx->bytes > CFG_FILE_MAX) {
            int e = errno;
            if (ch == '\0')
                err_set(ctx->err, E_CONFIG, "%s:%d:%zu: a NUL byte; a config is a text file", ctx->path,
                        ctx->line + 1, len + 1);
            else if (ctx->bytes > CFG_FILE_MAX)
                err_set(ctx->err, E_CONFIG, "%s:%d: the config is longer than %d bytes (the limit); is it a "
                        "config file?", ctx->path, ctx->line + 1, CFG_FILE_MAX);
            else
                err_set(ctx->err, E_IO, "%s: cannot read config: %s", ctx->path, strerror(e));
            ctx->failed = 1;
            return NULL;
        }
        r = len ? str : NULL;
        if (r && len == (size_t)num - 1 && r[len - 1] != '\n') {
            ch = getc(ctx->f);
            more = ch != EOF;
        }
    } else if (*ctx->text && num > 1) {
        size_t len = strcspn(ctx->text, "\n");
        len += ctx->text[len] == '\n';
        if (len > (size_t)num - 1) {
            len = (size_t)num - 1;
            more = 1;
        }
        memcpy(str, ctx->text, len);
        str[len] = '\0';
        ctx->text += len;
        r = str;
    }
    if (!r)
        return NULL;
    semicolon_value(str, (size_t)num);
    ctx->line++;
    if (more) {
        err_set(ctx->err, E_CONFIG, "%s:%d: line longer than %d characters; a long list goes on over indented "
                                    "lines below its key", ctx->path, ctx->line, num - 2);
        ctx->failed = 1;
        return NULL;
    }
    /* the line's end (LF, or CRLF) is the one control byte a line holds */
    size_t len = strlen(str);
    len -= len && str[len - 1] == '\n';
    len -= len && str[len - 1] == '\r';
    char where[CFG_PATH_MAX + 32];
    snprintf(where, sizeof where, "%s:%d", ctx->path, ctx->line);
    if (cfg_check_text(str, len, where, 1, ctx->err)) {
        ctx->failed = 1;
        return NULL;
    }
    if (section_line_bad(str, len, where, ctx->err)) {
        ctx->failed = 1;
        return NULL;
    }
    ctx->indented = str[0] == ' ' || str[0] == '\t';
    return r;
}

/* The value so far and an indented line's value as one list, "a, b," +
 * "c" -> "a, b, c", for lists and [init] alike, so that a resolved text
 * broken after a comma reads back to the same text. NULL when out of
 * memory; the caller frees. */
static char *join_continued(const char *cur, const char *value)
{
    size_t len = strlen(cur), n = len + strlen(value) + 3;
    char *joined = malloc(n);
    while (len > 0 && (cur[len - 1] == ' ' || cur[len - 1] == ','))
        len--;
    if (joined)
        snprintf(joined, n, "%.*s, %s", (int)len, cur, value);
    return joined;
}

/* An indented line went on with the value of the last key: lists (and
 * [init] values) take it as more items; any other key is an error. */
static int continue_value(LoadCtx *ctx, const char *section, const char *name, const char *value,
                          const char *where)
{
    Config *c = ctx->c;
    char *joined = NULL;
    int rc = 0;
    if (!strcmp(section, "init")) {
        int layer, is_bias;
        if (cfg_init_key(name, &layer, &is_bias))
            return err_set(ctx->err, E_CONFIG, "%s: [init] %.40s: unknown key", where, name);
        char **slot = is_bias ? &c->init_b[layer] : &c->init_W[layer];
        if (!(joined = join_continued(*slot, value)))
            return err_set(ctx->err, E_NOMEM, "%s: out of memory", where);
        char why[512];
        if (cfg_init_fits_stored_line(layer, is_bias, joined, why, sizeof why)) {
            free(joined);
            return err_set(ctx->err, E_CONFIG, "%s: [init] %s: %s", where, name, why);
        }
        free(*slot);
        *slot = joined;
        return 0;
    }
    int k = cfg_find_key(section, name);
    if (k < 0 || (CFG_KEYS[k].type != T_LIST && CFG_KEYS[k].type != T_INTLIST))
        return err_set(ctx->err, E_CONFIG, "%s: [%s] %s: this indented line continues its value; only lists "
                                           "(features, na_values, hidden) go on over several lines",
                       where, section, name);
    const char *cur = (const char *)c + CFG_KEYS[k].offset;
    if (strlen(cur) + strlen(value) + 3 > CFG_KEYS[k].size)
        return err_set(ctx->err, E_CONFIG, "%s: [%s] %s: the list is longer than %zu characters", where, section,
                       name, CFG_KEYS[k].size - 1);
    if (!(joined = join_continued(cur, value)))
        return err_set(ctx->err, E_NOMEM, "%s: out of memory", where);
    rc = cfg_assign(c, section, name, joined, ctx->base_dir, where, 0, ctx->err);
    free(joined);
    return rc;
}

/* A path key set from a config file to a value with a '#' after a space
 * (colname_hash_comment) that names nothing: the '#' was meant to start a
 * comment. (A new run directory meant to be so named is made first.) */
static int hash_in_path(LoadCtx *ctx, const char *section, const char *name, const char *value,
                        const char *where)
{
    int k = cfg_find_key(section, name);
    if (k < 0 || CFG_KEYS[k].type != T_PATH || colname_hash_comment(value) < 0)
        return 0;
    const char *path = (const char *)ctx->c + CFG_KEYS[k].offset;
    char hint[256];
    if (access(path, F_OK) == 0)
        return 0;
    return err_set(ctx->err, E_CONFIG, "%s: [%s] %s: no file or directory \"%.200s\"%s", where, section, name,
                   path, cfg_hash_hint(name, value, hint, sizeof hint));
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    LoadCtx *ctx = user;
    if (ctx->failed)
        return 1;
    char where[CFG_PATH_MAX + 32];
    snprintf(where, sizeof where, "%s:%d", ctx->path, ctx->line);
    if (!section[0]) {
        err_set(ctx->err, E_CONFIG, "%s: key \"%.40s\" comes before any [section]; put it under [data], [model], [train] or [run]",
                where, name);
        ctx->failed = 1;
        return 1;
    }
    if (!strcmp(section, "sweep")) /* housenet sweep's grid (io/sweep.h): not a run's key */
        return 1;
    int rc;
    if (ctx->indented && !strcmp(section, ctx->last_section) && !strcmp(name, ctx->last_name))
        rc = continue_value(ctx, section, name, value, where);
    else
        rc = cfg_assign(ctx->c, section, name, value, ctx->base_dir, where, ctx->line, ctx->err);
    if (!rc && !ctx->text) /* a stored config's paths were checked when it was written */
        rc = hash_in_path(ctx, section, name, value, where);
    if (rc)
        ctx->failed = 1;
    cfg_copy_str(ctx->last_section, sizeof ctx->last_section, section);
    cfg_copy_str(ctx->last_name, sizeof ctx->last_name, name);
    return 1;
}

/* 1 when name ends in one of the next endings exts. */
static int has_ending(const char *name, const char *const *exts, int next)
{
    size_t len = strlen(name);
    for (int i = 0; i < next; i++) {
        size_t n = strlen(exts[i]);
        if (len > n && !strcmp(name + len - n, exts[i]))
            return 1;
    }
    return 0;
}

int cfg_missing_hint(const char *path, const char *const *exts, int next, char *out, size_t cap)
{
    char dir[CFG_PATH_MAX];
    cfg_dir_of(path, dir, sizeof dir);
    out[0] = '\0';
    DIR *d = opendir(dir[0] ? dir : ".");
    if (!d) {
        if (dir[0])
            snprintf(out, cap, " (no directory %s)", dir);
        return dir[0] != '\0';
    }
    enum { MAX_NAMES = 64 };
    char names[MAX_NAMES][64];
    const char *list[MAX_NAMES];
    int n = 0;
    for (struct dirent *e; n < MAX_NAMES && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < sizeof names[0] && has_ending(e->d_name, exts, next)) {
            memcpy(names[n], e->d_name, len + 1);
            list[n] = names[n];
            n++;
        }
    }
    closedir(d);
    int best = colname_closest(path + strlen(dir), list, n);
    if (best >= 0)
        snprintf(out, cap, " (did you mean %s%s?)", dir, names[best]);
    return best >= 0;
}

/* For a config that does not exist: cfg_missing_hint's of the .ini files,
 * or the file of that name in the configs/ of a source tree. */
static void missing_config_hint(const char *path, char *out, size_t cap)
{
    static const char *const INI[] = { ".ini" };
    if (cfg_missing_hint(path, INI, 1, out, cap))
        return;
    char dir[CFG_PATH_MAX], shipped[CFG_PATH_MAX + 16];
    cfg_dir_of(path, dir, sizeof dir);
    snprintf(shipped, sizeof shipped, "%sconfigs/%s", dir, path + strlen(dir));
    if (access(shipped, R_OK) == 0)
        snprintf(out, cap, " (did you mean %s?)", shipped);
}

int cfg_load(Config *c, const char *path, Err *err)
{
    LoadCtx ctx = { .c = c, .path = path, .err = err };
    /* The reports print the path, and the run directory and relative
     * paths made from it; the config's own lines are checked by reader. */
    long bad = colname_text_invalid(path, strlen(path));
    if (bad >= 0 && colname_utf8_invalid(path + bad, strlen(path + bad)) != 0)
        return err_set(err, E_CONFIG, "%s: a control byte (%.*s) in the config's path; the reports print it: rename "
                       "the file or its directory", path, (unsigned char)path[bad] == 0xC2 ? 2 : 1, path + bad);
    ctx.f = fopen(path, "r");
    if (!ctx.f) {
        int e = errno;
        char hint[CFG_PATH_MAX + 80] = "";
        if (e == ENOENT)
            missing_config_hint(path, hint, sizeof hint);
        return err_set(err, E_IO, "%s: cannot open config: %s%s", path, strerror(e), hint);
    }
    cfg_dir_of(path, ctx.base_dir, sizeof ctx.base_dir);
    cfg_copy_str(c->source, sizeof c->source, path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    cfg_copy_str(c->stem, sizeof c->stem, base);
    char *dot = strrchr(c->stem, '.');
    if (dot && dot != c->stem)
        *dot = '\0';
    int r = ini_parse_stream(reader, &ctx, handler, &ctx);
    fclose(ctx.f);
    /* inih goes on past a syntax error, and the parse stops at the first
     * line that fails here: a syntax error is always the earlier line */
    if (r > 0)
        return err_set(err, E_CONFIG, "%s:%d: syntax error; expected \"[section]\", \"key = value\" or a ; comment",
                       path, r);
    if (ctx.failed)
        return err->code;
    if (r < 0)
        return err_set(err, E_IO, "%s: cannot read config", path);
    return 0;
}

int cfg_load_text(Config *c, const char *text, const char *origin, Err *err)
{
    LoadCtx ctx = { .c = c, .text = text, .path = origin, .err = err };
    cfg_copy_str(c->source, sizeof c->source, origin);
    cfg_copy_str(c->stem, sizeof c->stem, "model");
    int r = ini_parse_stream(reader, &ctx, handler, &ctx);
    if (r != 0) /* the earlier line, as in cfg_load */
        return err_set(err, E_CONFIG, "%s:%d: syntax error in the stored config", origin, r);
    if (ctx.failed)
        return err->code;
    return 0;
}
