/* config: one setter per key type, the resolved text and the checks of a
 * config (see config.h); the inih reader is configread.c. Everything about
 * a key -- where it lives, its type, default, range, help and what it does
 * beyond its type (its hook) -- is one row of KEYS[] (configkeys.c); no
 * other code names a key. */
#include "config.h"

#include "colname.h"
#include "configkeys.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "csvread.h"
#include "h5table.h"
#include "schedule.h"
#include "train.h"


#define KEYS CFG_KEYS
#define NKEYS CFG_NKEYS

static const char *const SECTIONS[] = { "data", "model", "train", "run", "init" };
#define NSECTIONS ((int)(sizeof SECTIONS / sizeof SECTIONS[0]))

/* ---- small text helpers ---------------------------------------------- */

void cfg_copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

static const char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Levenshtein distance of short strings, for did-you-mean hints. */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof prev);
    }
    return prev[lb];
}

/* Closest candidate within a distance of about a third of its length. */
static const char *closest(const char *word, const char *const *cand, int n)
{
    const char *best = NULL;
    int bd = INT_MAX;
    for (int i = 0; i < n; i++) {
        int d = edit_distance(word, cand[i]);
        if (d < bd) {
            bd = d;
            best = cand[i];
        }
    }
    return best && bd <= 1 + (int)strlen(best) / 3 ? best : NULL;
}

int cfg_find_key(const char *section, const char *name)
{
    for (int i = 0; i < NKEYS; i++)
        if (strcmp(KEYS[i].section, section) == 0 && strcmp(KEYS[i].name, name) == 0)
            return i;
    return -1;
}

/* ---- value parsing: each returns 0, or -1 with a reason in why -------- */

/* 0, or -1 for what is no number, PARSE_RANGE for one float64 cannot
 * hold (1e400, 1e-400), PARSE_NONFINITE for nan or inf. */
enum { PARSE_RANGE = -2, PARSE_NONFINITE = -3 };
static int parse_double(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end != '\0')
        return -1;
    if (errno == ERANGE)
        return PARSE_RANGE;
    if (!isfinite(d))
        return PARSE_NONFINITE;
    *out = d;
    return 0;
}

int cfg_parse_long(const char *v, long long *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end != '\0' || errno == ERANGE)
        return -1;
    *out = x;
    return 0;
}

static int parse_enum(const char *v, const char *choices)
{
    int idx = 0;
    const char *p = choices;
    size_t lv = strlen(v);
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == lv && strncmp(p, v, len) == 0)
            return idx;
        idx++;
        p += len + (bar ? 1 : 0);
    }
    return -1;
}

static const char *enum_name(const char *choices, int idx, char *buf, size_t cap)
{
    const char *p = choices;
    for (int i = 0; *p; i++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (i == idx) {
            snprintf(buf, cap, "%.*s", (int)len, p);
            return buf;
        }
        p += len + (bar ? 1 : 0);
    }
    return "?";
}

/* Splits a comma list into trimmed items; empty items are an error. */
static int split_list(const char *v, char items[][CFG_ITEM_LEN], int max_items, size_t item_cap,
                      int *count, char *why, size_t wcap)
{
    char buf[CFG_TEXT_MAX];
    cfg_copy_str(buf, sizeof buf, v);
    *count = 0;
    if (trim(buf)[0] == '\0')
        return 0;
    char *p = buf;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        const char *item = trim(p);
        if (!*item && !comma && *count > 0)
            return 0; /* "a, b," : a trailing comma, as a list continued on the next line leaves */
        if (!*item) {
            snprintf(why, wcap, "empty item in the list; write items separated by single commas");
            return -1;
        }
        if (*count >= max_items) {
            snprintf(why, wcap, "more than %d items, the most it takes (docs/hardening.md, \"Limits\"); "
                     "keep %d or fewer", max_items, max_items);
            return -1;
        }
        if (strlen(item) >= item_cap) {
            snprintf(why, wcap, "item \"%.40s...\" is longer than %zu characters", item, item_cap - 1);
            return -1;
        }
        snprintf(items[*count], item_cap, "%s", item);
        (*count)++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

void cfg_dir_of(const char *path, char *dir, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        cfg_copy_str(dir, cap, "");
    else
        snprintf(dir, cap, "%.*s", (int)(slash - path + 1), path);
}

/* inih reads lines of at most this many bytes (INI_MAX_LINE of the
 * Debian build); a longer value continues on indented lines. */
#define CFG_LINE_MAX 200

/* ---- the resolved text (cfg_text_new), also measured when a key is set ---- */

/* Appends printf output to a growing buffer; returns -1 when out of memory. */
typedef struct Sbuf { char *s; size_t n, cap; } Sbuf;

__attribute__((format(printf, 2, 3)))
static int sb_printf(Sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (w < 0)
            return -1;
        if (b->s && b->n + (size_t)w < b->cap) {
            b->n += (size_t)w;
            return 0;
        }
        size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)w;
        char *s = realloc(b->s, cap);
        if (!s)
            return -1;
        b->s = s;
        b->cap = cap;
    }
}

static void value_text(const Config *c, const KeyDef *kd, char *buf, size_t cap)
{
    const char *field = (const char *)c + kd->offset;
    switch (kd->type) {
    case T_INT:
    case T_BOOL:
        if (kd->type == T_BOOL)
            snprintf(buf, cap, "%s", *(const int *)field ? "true" : "false");
        else
            snprintf(buf, cap, "%d", *(const int *)field);
        break;
    case T_U64:
        snprintf(buf, cap, "%llu", (unsigned long long)*(const uint64_t *)field);
        break;
    case T_DOUBLE: {
        /* The shortest text that reads back as the same double. */
        double v = *(const double *)field;
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, cap, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
        break;
    }
    case T_ENUM:
        enum_name(kd->choices, *(const int *)field, buf, cap);
        break;
    default:
        if (kd->hook && kd->hook->show)
            kd->hook->show(field, buf, cap);
        else
            snprintf(buf, cap, "%s", field);
        break;
    }
}

/* An item a long list must not start a continued line with: inih drops
 * an indented line whose first character is a comment prefix instead of
 * continuing the value with it, and the reader takes one that starts with
 * '[' for a section header (configread.c), as a user who indented one
 * would mean it. */
static int starts_comment(const char *item, size_t len)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)item[i]))
        i++;
    return i < len && (item[i] == ';' || item[i] == '#' || item[i] == '[');
}

/* Lays out "name = value\n", a long comma list broken after a comma onto
 * indented lines (never before an item starts_comment names), and
 * appends it to b (NULL: only measures). Returns the longest line with
 * its newline, or 0 when out of memory. */
static size_t put_value(Sbuf *b, const char *name, const char *val, int is_list)
{
    size_t col = strlen(name) + 3, longest = 0; /* col: characters on the current line */
    int bad = b && sb_printf(b, "%s = ", name);
    if (!is_list) {
        bad |= b && sb_printf(b, "%s\n", val);
        return bad ? 0 : col + strlen(val) + 1;
    }
    const char *p = val;
    while (*p) {
        size_t item = strcspn(p, ","), comma = p[item] == ',';
        if (col + item > CFG_LINE_MAX - 40 && p != val && !starts_comment(p, item)) {
            bad |= b && sb_printf(b, "\n   ");
            longest = col + 1 > longest ? col + 1 : longest;
            col = 3;
            for (; item > 0 && isspace((unsigned char)*p); item--)
                p++; /* inih drops them from the continued line; written, they would add up trip after trip */
        }
        bad |= b && sb_printf(b, "%.*s%s", (int)item, p, comma ? "," : "");
        col += item + comma;
        p += item + comma;
    }
    bad |= b && sb_printf(b, "\n");
    longest = col + 1 > longest ? col + 1 : longest;
    return bad ? 0 : longest;
}

/* A value cfg_text_new would write so that inih reads it back otherwise
 * (a line longer than it reads, a line break, a ';' first or after a
 * space, which starts a comment) is an error when it is set, not when a model file's
 * config is read back. A value from a file has none of these but length;
 * --set values and continued lines can. */
static int fits_stored_line(const char *name, const char *val, int is_list, char *why, size_t wcap)
{
    for (size_t i = 0; val[i]; i++) {
        if (val[i] == '\n') {
            snprintf(why, wcap, "a value cannot hold a line break");
            return -1;
        }
        if (val[i] == ';' && (i == 0 || isspace((unsigned char)val[i - 1]))) { /* "name = ;..." too */
            snprintf(why, wcap, "\"%.40s\": a ';' at the start or after a space starts a comment",
                     val + (i ? i - 1 : 0));
            return -1;
        }
    }
    size_t longest = put_value(NULL, name, val, is_list);
    if (longest <= CFG_LINE_MAX - 1)
        return 0;
    snprintf(why, wcap, "\"%.40s...\" takes a line of %zu characters in the config stored in the model file, "
             "which reads at most %d; a list breaks after its commas, but a name, path or number must fit",
             val, longest - 1, CFG_LINE_MAX - 2);
    return -1;
}

/* [init] W<l> / b<l> as cfg_text_new names and writes it. */
int cfg_init_fits_stored_line(int layer, int is_bias, const char *val, char *why, size_t wcap)
{
    char key[16];
    snprintf(key, sizeof key, "%c%d", is_bias ? 'b' : 'W', layer + 1);
    return fits_stored_line(key, val, 1, why, wcap);
}

static int key_is_list(const KeyDef *kd)
{
    return kd->type == T_LIST || kd->type == T_INTLIST;
}

/* ---- one setter per key type ------------------------------------------
 * Each takes the trimmed text v of key kd and returns 0, or -1 with the
 * reason in why[wcap]; what a key does beyond its type is its row's hook
 * (configkeys.h). base_dir prefixes relative paths ("" for none). */

#define FIELD(c, kd, type) ((type *)(void *)((char *)(c) + (kd)->offset))

/* why = "EXPECTED, got "v"", with colname_space_hint's hint when v holds a
 * space that is not one (a no-break space pasted from a web page). */
static void bad_value(char *why, size_t wcap, const char *expected, const char *v)
{
    char hint[256];
    colname_space_hint(hint, sizeof hint, v, strlen(v), NULL);
    snprintf(why, wcap, "%s, got \"%.40s\"%s", expected, v, hint);
}

typedef int (*TypeSetter)(Config *c, const KeyDef *kd, const char *v, const char *base_dir, char *why,
                          size_t wcap);

static int set_int(Config *c, const KeyDef *kd, const char *v, const char *base_dir, char *why, size_t wcap)
{
    long long x;
    if (cfg_parse_long(v, &x)) {
        bad_value(why, wcap, "expected a whole number", v);
        return -1;
    }
    if ((double)x < kd->min || (double)x > kd->max) {
        snprintf(why, wcap, "%lld is out of range; use %.0f to %.0f", x, kd->min, kd->max);
        return -1;
    }
    *FIELD(c, kd, int) = (int)x;
    return 0;
}

static int set_u64(Config *c, const KeyDef *kd, const char *v, const char *base_dir, char *why, size_t wcap)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end || errno == ERANGE || v[0] == '-') {
        bad_value(why, wcap, "expected a whole number from 0 to 2^64-1", v);
        return -1;
    }
    *FIELD(c, kd, uint64_t) = (uint64_t)x;
    return 0;
}

static int set_double(Config *c, const KeyDef *kd, const char *v, const char *base_dir, char *why, size_t wcap)
{
    double d;
    int got = parse_double(v, &d);
    if (got == PARSE_RANGE) {
        snprintf(why, wcap, "%.40s is beyond float64's range; use %g to %g", v, kd->min, kd->max);
        return -1;
    }
    if (got) {
        char expected[128];
        snprintf(expected, sizeof expected, "expected a %snumber from %g to %g", got == PARSE_NONFINITE ? "finite " : "",
                 kd->min, kd->max);
        bad_value(why, wcap, expected, v);
        return -1;
    }
    if (d < kd->min || d > kd->max) {
        snprintf(why, wcap, "%g is out of range; use %g to %g", d, kd->min, kd->max);
        return -1;
    }
    *FIELD(c, kd, double) = d;
    return 0;
}

static int set_bool(Config *c, const KeyDef *kd, const char *v, const char *base_dir, char *why, size_t wcap)
{
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
        *FIELD(c, kd, int) = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off"))
        *FIELD(c, kd, int) = 0;
    else {
        bad_value(why, wcap, "expected true or false", v);
        return -1;
    }
    return 0;
}

static int set_enum(Config *c, const KeyDef *kd, const char *v, const char *base_dir, char *why, size_t wcap)
{
    int idx = parse_enum(v, kd->choices);
    if (idx < 0) {
        snprintf(why, wcap, "\"%.40s\" is not one of %s", v, kd->choices);
        return -1;
    }
    *FIELD(c, kd, int) = idx;
    return 0;
}

/* Text as written, or as the key's parse hook turns it. */
static int set_str(Config *c, const KeyDef *kd, const char *v, const char *base_dir, char *why, size_t wcap)
{
    if (strlen(v) >= kd->size) {
        snprintf(why, wcap, "value is longer than %zu characters", kd->size - 1);
        return -1;
    }
    if (kd->hook && kd->hook->parse)
        return kd->hook->parse(v, FIELD(c, kd, char), kd->size, why, wcap);
    cfg_copy_str(FIELD(c, kd, char), kd->size, v);
    return 0;
}

/* A relative path is taken from base_dir (the config file's directory);
 * "~" and "~/..." are the home directory ($HOME), as a shell reads them:
 * no shell sees a config's text, nor a --set value after its "=". */
static int set_path(Config *c, const KeyDef *kd, const char *v, const char *base_dir, char *why, size_t wcap)
{
    char in_home[CFG_PATH_MAX];
    if (v[0] == '~' && (v[1] == '/' || !v[1])) {
        const char *home = getenv("HOME");
        if (!home || home[0] != '/' || colname_text_invalid(home, strlen(home)) >= 0 ||
            strlen(home) + strlen(v) >= sizeof in_home) {
            snprintf(why, wcap, "\"%.40s\" starts with ~, and HOME is no absolute path of plain text to put in its "
                     "place: write the path in full", v);
            return -1;
        }
        snprintf(in_home, sizeof in_home, "%s%s", home, v + 1);
        v = in_home;
    }
    const char *dir = v[0] && v[0] != '/' && base_dir ? base_dir : "";
    if (colname_utf8_invalid(dir, strlen(dir)) >= 0) { /* the value itself was checked with its line */
        snprintf(why, wcap, "the config's directory \"%.200s\" is not UTF-8 text, and model files store the path "
                 "made from it as UTF-8: rename the directory, or move the config", dir);
        return -1;
    }
    if (strlen(dir) + strlen(v) >= kd->size) {
        snprintf(why, wcap, "path is longer than %zu characters", kd->size - 1);
        return -1;
    }
    snprintf(FIELD(c, kd, char), kd->size, "%s%s", dir, v);
    return 0;
}

/* A comma list of kd->min to kd->max items (T_LIST and T_INTLIST: what an
 * item means, and what Config derives from the items, is the key's hook);
 * the field keeps the list as written. */
static int set_list(Config *c, const KeyDef *kd, const char *v, const char *base_dir, char *why, size_t wcap)
{
    const KeyHook *hook = kd->hook;
    size_t item_len = hook && hook->item_len ? hook->item_len : CFG_ITEM_LEN;
    int max = (int)kd->max, n = 0;
    char (*items)[CFG_ITEM_LEN] = malloc((size_t)(max > 0 ? max : 1) * sizeof items[0]);
    if (!items) {
        snprintf(why, wcap, "out of memory");
        return -1;
    }
    int rc = split_list(v, items, max, item_len, &n, why, wcap);
    if (!rc && n < (int)kd->min) {
        snprintf(why, wcap, "expected a comma list of at least %d name(s)", (int)kd->min);
        rc = -1;
    }
    if (!rc && hook && hook->items)
        rc = hook->items(c, items, n, why, wcap);
    free(items);
    if (!rc)
        cfg_copy_str(FIELD(c, kd, char), kd->size, v);
    return rc;
}

static const TypeSetter SETTERS[] = {
    [T_INT] = set_int, [T_U64] = set_u64, [T_DOUBLE] = set_double, [T_BOOL] = set_bool, [T_STR] = set_str,
    [T_PATH] = set_path, [T_ENUM] = set_enum, [T_LIST] = set_list, [T_INTLIST] = set_list,
};

/* Sets KEYS[k] from text. base_dir prefixes relative paths ("" for none). */
static int set_key(Config *c, int k, const char *value, const char *base_dir, char *why, size_t wcap)
{
    char vbuf[CFG_TEXT_MAX];
    if (strlen(value) >= sizeof vbuf) { /* never cut short: a list cut at a comma would still parse */
        snprintf(why, wcap, "the value is longer than %zu characters", sizeof vbuf - 1);
        return -1;
    }
    cfg_copy_str(vbuf, sizeof vbuf, value);
    return SETTERS[KEYS[k].type](c, &KEYS[k], trim(vbuf), base_dir, why, wcap);
}

/* [init] keys: W<l> or b<l>, l from 1 to NET_MAX_LAYERS. */
int cfg_init_key(const char *name, int *layer, int *is_bias)
{
    if ((name[0] != 'W' && name[0] != 'b') || !isdigit((unsigned char)name[1]))
        return -1;
    char *end;
    long l = strtol(name + 1, &end, 10);
    if (*end || l < 1 || l > NET_MAX_LAYERS)
        return -1;
    *layer = (int)l - 1;
    *is_bias = name[0] == 'b';
    return 0;
}

int cfg_check_section(const char *section, const char *where, Err *err)
{
    for (int s = 0; s < NSECTIONS; s++)
        if (!strcmp(section, SECTIONS[s]))
            return 0;
    const char *hint = closest(section, SECTIONS, NSECTIONS);
    return err_set(err, E_CONFIG, "%s: unknown section [%.40s]%s%s%s; sections are [data], [model], [train], [run], [init]",
                   where, section, hint ? " (did you mean [" : "", hint ? hint : "", hint ? "]?)" : "");
}

const char *cfg_hash_hint(const char *name, const char *value, char *buf, size_t cap)
{
    long keep = colname_hash_comment(value);
    if (keep < 0)
        return "";
    snprintf(buf, cap, "; a '#' after a value is part of the value: write \"%s = %.*s\" (a comment after a "
             "value starts with ';')", name, (int)(keep < 80 ? keep : 80), value);
    return buf;
}

/* Sets (section, name) = value; where names the origin for messages
 * ("file:line" or "--set"). */
int cfg_assign(Config *c, const char *section, const char *name, const char *value,
                  const char *base_dir, const char *where, int line, Err *err)
{
    int rc = cfg_check_section(section, where, err);
    if (rc)
        return rc;
    if (!strcmp(section, "init")) {
        int layer, is_bias;
        if (cfg_init_key(name, &layer, &is_bias))
            return err_set(err, E_CONFIG,
                           "%s: [init] %.40s: unknown key; [init] takes W1, b1, W2, b2, ... (layer numbers from 1)",
                           where, name);
        char **slot = is_bias ? &c->init_b[layer] : &c->init_W[layer];
        char why[512];
        if (cfg_init_fits_stored_line(layer, is_bias, value, why, sizeof why))
            return err_set(err, E_CONFIG, "%s: [init] %s: %s", where, name, why);
        char *dup = strdup(value);
        if (!dup)
            return err_set(err, E_NOMEM, "%s: out of memory", where);
        free(*slot);
        *slot = dup;
        (is_bias ? c->init_b_line : c->init_W_line)[layer] = line > 0 ? line : -1; /* -1: --set */
        return 0;
    }
    int k = cfg_find_key(section, name);
    if (k < 0) {
        const char *names[CFG_KEYS_MAX];
        int n = 0;
        for (int i = 0; i < NKEYS; i++)
            if (!strcmp(KEYS[i].section, section))
                names[n++] = KEYS[i].name;
        const char *hint = closest(name, names, n);
        if (!hint) {
            /* Maybe the key exists in another section. */
            for (int i = 0; i < NKEYS; i++)
                if (!strcmp(KEYS[i].name, name))
                    return err_set(err, E_CONFIG, "%s: unknown key \"%.40s\" in [%s]; it belongs in [%s]",
                                   where, name, section, KEYS[i].section);
            return err_set(err, E_CONFIG,
                           "%s: unknown key \"%.40s\" in [%s]; `housenet help config` lists every key",
                           where, name, section);
        }
        return err_set(err, E_CONFIG, "%s: unknown key \"%.40s\" in [%s] (did you mean \"%s\"?)",
                       where, name, section, hint);
    }
    if (line > 0 && c->key_line[k] > 0)
        return err_set(err, E_CONFIG, "%s: [%s] %s is set twice (first at line %d); keep one",
                       where, section, name, c->key_line[k]);
    char why[512], text[CFG_TEXT_MAX];
    if (set_key(c, k, value, base_dir, why, sizeof why))
        return err_set(err, E_CONFIG, "%s: [%s] %s: %s%s", where, section, name, why,
                       cfg_hash_hint(name, value, text, sizeof text));
    value_text(c, &KEYS[k], text, sizeof text);
    if (fits_stored_line(KEYS[k].name, text, key_is_list(&KEYS[k]), why, sizeof why))
        return err_set(err, E_CONFIG, "%s: [%s] %s: %s", where, section, name, why);
    c->key_line[k] = line > 0 ? line : -1; /* -1: from --set, which later messages name */
    return 0;
}

void cfg_defaults(Config *c)
{
    memset(c, 0, sizeof *c);
    char why[256];
    for (int k = 0; k < NKEYS; k++)
        set_key(c, k, KEYS[k].def, "", why, sizeof why);
}

int cfg_check_text(const char *s, size_t len, const char *where, int line_at, Err *err)
{
    long bad = colname_text_invalid(s, len);
    if (bad < 0)
        return 0;
    const char *p = s + bad;
    size_t rest = len - (size_t)bad;
    /* The resolved config and the names in it go into model files as
     * UTF-8 strings, which h5py must decode, and the reports print them.
     * main escapes the bytes shown. */
    if (colname_utf8_invalid(p, rest) == 0) {
        size_t n = strcspn(p, "\r\n");
        if (line_at)
            return err_set(err, E_CONFIG, "%s:%ld: a byte that is not UTF-8 (\"%.*s\"); a config is UTF-8 text "
                           "(model files store it): " COLNAME_UTF8_FIX, where, bad + 1, (int)(n < 12 ? n : 12), p);
        return err_set(err, E_CONFIG, "%s: a byte that is not UTF-8 at byte %ld; a config value is UTF-8 text "
                       "(model files store it); give the value in UTF-8", where, bad + 1);
    }
    int w = (unsigned char)*p == 0xC2 ? 2 : 1; /* a C1 control is two bytes */
    if (line_at)
        return err_set(err, E_CONFIG, "%s:%ld: a control byte (%.*s) in a config line; a config is plain text: "
                       "remove it", where, bad + 1, w, p);
    return err_set(err, E_CONFIG, "%s: a control byte (%.*s) at byte %ld; a config value is plain text: remove it",
                   where, w, p, bad + 1);
}

int cfg_set(Config *c, const char *assignment, Err *err)
{
    char buf[CFG_TEXT_MAX + 128];
    if (strlen(assignment) >= sizeof buf)
        return err_set(err, E_USAGE, "--set %.80s...: longer than %zu characters", assignment, sizeof buf - 1);
    cfg_copy_str(buf, sizeof buf, assignment);
    char *eq = strchr(buf, '=');
    char *dot = strchr(buf, '.');
    if (!eq || !dot || dot > eq)
        return err_set(err, E_USAGE, "--set %.80s: expected section.key=value, e.g. --set train.epochs=50",
                       assignment);
    *eq = '\0';
    *dot = '\0';
    char where[200];
    snprintf(where, sizeof where, "--set %.120s", assignment);
    int rc = cfg_check_text(assignment, strlen(assignment), where, 0, err);
    if (rc)
        return rc;
    char *section = buf, *name = dot + 1;
    return cfg_assign(c, trim(section), trim(name), eq + 1, "", where, 0, err);
}

static int key_line(const Config *c, const char *section, const char *name)
{
    int k = cfg_find_key(section, name);
    return k >= 0 ? c->key_line[k] : 0;
}

/* Where [init] W<layer+1> (or b) was given, for messages: "path:line",
 * "--set init.W1", or the path alone. */
static const char *where_init(const Config *c, int layer, int is_bias, char *buf, size_t cap)
{
    int line = is_bias ? c->init_b_line[layer] : c->init_W_line[layer];
    if (line < 0)
        snprintf(buf, cap, "--set init.%c%d", is_bias ? 'b' : 'W', layer + 1);
    else if (line > 0)
        snprintf(buf, cap, "%s:%d", c->source, line);
    else
        snprintf(buf, cap, "%s", c->source[0] ? c->source : "config");
    return buf;
}

/* "path:line" of a key for messages, "--set section.key" when --set gave
 * its value, or the path alone when it was not set. */
const char *cfg_where_key(const Config *c, const char *section, const char *name, char *buf, size_t cap)
{
    int line = key_line(c, section, name);
    if (line < 0)
        snprintf(buf, cap, "--set %s.%s", section, name);
    else if (line > 0)
        snprintf(buf, cap, "%s:%d", c->source, line);
    else
        snprintf(buf, cap, "%s", c->source[0] ? c->source : "config");
    return buf;
}

int cfg_is_categorical(const Config *c, int f)
{
    for (int i = 0; i < c->ncat; i++)
        if (!strcmp(c->cat_names[i], c->feature_names[f]))
            return 1;
    return 0;
}

int cfg_column(const Config *c, const char *name)
{
    for (int f = 0; f < c->nfeat; f++)
        if (!strcmp(c->feature_names[f], name))
            return f;
    return strcmp(c->target, name) == 0 ? c->nfeat : -1;
}

int cfg_finish(Config *c, Err *err)
{
    char w[CFG_PATH_MAX + 32];
    if (!c->data_path[0])
        return err_set(err, E_CONFIG, "%s: [data] path is missing; name the CSV or HDF5 file to train on",
                       cfg_where_key(c, "data", "path", w, sizeof w));
    if (c->data_table[0] && !h5_table_path_is_hdf5(c->data_path))
        return err_set(err, E_CONFIG, "%s: [data] table applies to HDF5 files (.h5, .hdf5), and %.256s is not one; "
                       "remove it", cfg_where_key(c, "data", "table", w, sizeof w), c->data_path);
    if (c->stream && !h5_table_path_is_hdf5(c->data_path))
        return err_set(err, E_CONFIG, "%s: [data] stream applies to HDF5 files (.h5, .hdf5), and %.256s is not one; "
                       "convert it with housenet convert, or set stream = false",
                       cfg_where_key(c, "data", "stream", w, sizeof w), c->data_path);
    if (c->nfeat < 1)
        return err_set(err, E_CONFIG, "%s: [data] features is missing; list the input columns, e.g. features = Gr_Liv_Area, TotRms_AbvGrd",
                       cfg_where_key(c, "data", "features", w, sizeof w));
    if (!c->target[0])
        return err_set(err, E_CONFIG, "%s: [data] target is missing; name the column to predict",
                       cfg_where_key(c, "data", "target", w, sizeof w));
    for (int f = 0; f < c->nfeat; f++)
        if (!strcmp(c->feature_names[f], c->target))
            return err_set(err, E_CONFIG, "%s: [data] features: \"%.60s\" is also the target; remove it from features",
                           cfg_where_key(c, "data", "features", w, sizeof w), c->target);
    for (int i = 0; i < c->nlog; i++) {
        int f = cfg_column(c, c->log_names[i]);
        if (f < 0 || f >= c->nfeat)
            return err_set(err, E_CONFIG, "%s: [data] log_features: \"%.60s\" is not one of the features; list "
                           "feature columns only (the target takes target_transform)",
                           cfg_where_key(c, "data", "log_features", w, sizeof w), c->log_names[i]);
    }
    for (int i = 0; i < c->ncat; i++) {
        int f = cfg_column(c, c->cat_names[i]);
        if (f < 0 || f >= c->nfeat)
            return err_set(err, E_CONFIG, "%s: [data] categorical: \"%.60s\" is not one of the features; list "
                           "feature columns only", cfg_where_key(c, "data", "categorical", w, sizeof w), c->cat_names[i]);
        for (int j = 0; j < c->nlog; j++)
            if (!strcmp(c->log_names[j], c->cat_names[i]))
                return err_set(err, E_CONFIG, "%s: [data] log_features: \"%.60s\" is categorical; a log applies "
                               "to numbers only: remove it from one of the two lists",
                               cfg_where_key(c, "data", "log_features", w, sizeof w), c->cat_names[i]);
    }
    if (c->stream && c->ncat)
        return err_set(err, E_CONFIG, "%s: [data] categorical needs the rows in memory (the levels come from the "
                       "training rows); set [data] stream = false", cfg_where_key(c, "data", "categorical", w, sizeof w));
    if (c->stream && (c->nlog || c->target_transform != TRANSFORM_NONE))
        return err_set(err, E_CONFIG, "%s: [data] %s needs the rows in memory; set [data] stream = false",
                       cfg_where_key(c, "data", c->nlog ? "log_features" : "target_transform", w, sizeof w),
                       c->nlog ? "log_features" : "target_transform");
    for (int i = 0; c->stream && i < c->nfilter; i++)
        if (cfg_column(c, c->filter_cond[i].column) < 0)
            return err_set(err, E_CONFIG, "%s: [data] filter: \"%.60s\" is neither a feature nor the target; with "
                           "stream = true a filter can only test those columns",
                           cfg_where_key(c, "data", "filter", w, sizeof w), c->filter_cond[i].column);
    if (c->validation_fraction + c->test_fraction >= 0.95)
        return err_set(err, E_CONFIG, "%s: [data] validation_fraction + test_fraction = %g leaves too few training rows; keep the sum below 0.95",
                       cfg_where_key(c, "data", "validation_fraction", w, sizeof w),
                       c->validation_fraction + c->test_fraction);
    if (c->learning_rate <= 0)
        return err_set(err, E_CONFIG, "%s: [train] learning_rate must be above 0",
                       cfg_where_key(c, "train", "learning_rate", w, sizeof w));
    if (c->validation_fraction <= 0 && c->patience > 0)
        return err_set(err, E_CONFIG, "%s: [train] patience needs validation rows; set [data] validation_fraction above 0 or patience = 0",
                       cfg_where_key(c, "train", "patience", w, sizeof w));
    if (c->validation_fraction <= 0 && c->lr_schedule == SCHED_PLATEAU)
        return err_set(err, E_CONFIG, "%s: [train] lr_schedule = plateau needs validation rows; set [data] validation_fraction above 0",
                       cfg_where_key(c, "train", "lr_schedule", w, sizeof w));
    if (c->lr_schedule == SCHED_COSINE && c->min_lr > c->learning_rate)
        return err_set(err, E_CONFIG, "%s: [train] min_lr = %g is above learning_rate = %g; the cosine schedule falls from learning_rate to min_lr",
                       cfg_where_key(c, "train", "min_lr", w, sizeof w), c->min_lr, c->learning_rate);
    /* Every network has a float32 kernel (net_grad_block_f32); the rows must be in memory (trainer_use_f32). */
    if (c->precision == TRAIN_F32 && c->stream)
        return err_set(err, E_CONFIG, "%s: [train] precision = float32 needs the training rows in memory; set "
                       "[data] stream = false or precision = float64", cfg_where_key(c, "train", "precision", w, sizeof w));
    int nl = c->nhidden + 1;
    for (int l = 0; l < NET_MAX_LAYERS; l++) {
        int given = c->init_W[l] || c->init_b[l];
        if (given && c->init != INIT_EXPLICIT) {
            return err_set(err, E_CONFIG, "%s: [init] values are given but [model] init is not explicit; set init = explicit or remove [init]",
                           where_init(c, l, !c->init_W[l], w, sizeof w));
        }
        if (c->init == INIT_EXPLICIT && l < nl && (!c->init_W[l] || !c->init_b[l]))
            return err_set(err, E_CONFIG, "%s: [model] init = explicit needs [init] W%d and b%d (%d weight layers)",
                           cfg_where_key(c, "model", "init", w, sizeof w), l + 1, l + 1, nl);
        if (c->init == INIT_EXPLICIT && l >= nl && given) {
            return err_set(err, E_CONFIG, "%s: [init] %c%d: the network has only %d weight layers",
                           where_init(c, l, !c->init_W[l], w, sizeof w), c->init_W[l] ? 'W' : 'b', l + 1, nl);
        }
    }
    return 0;
}

int cfg_init_values(const Config *c, int layer, int is_bias, double *out, size_t count, Err *err)
{
    const char *text = is_bias ? c->init_b[layer] : c->init_W[layer];
    char where[CFG_PATH_MAX + 32];
    where_init(c, layer, is_bias, where, sizeof where);
    char key[16];
    snprintf(key, sizeof key, "%c%d", is_bias ? 'b' : 'W', layer + 1);
    if (!text)
        return err_set(err, E_CONFIG, "%s: [init] %s is missing", where, key);
    size_t n = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',' || *p == '[' || *p == ']' || *p == ';')
            p++;
        if (!*p)
            break;
        char *end;
        errno = 0;
        double d = strtod(p, &end);
        if (end != p && (errno == ERANGE || isinf(d)))
            return err_set(err, E_CONFIG, "%s: [init] %s: \"%.*s\" is beyond what float64 holds (nonzero "
                           "magnitudes from about 2.2e-308 to 1.8e308)", where, key, (int)(end - p < 40 ? end - p : 40), p);
        if (end == p || !isfinite(d))
            return err_set(err, E_CONFIG, "%s: [init] %s: \"%.20s\" is not a number", where, key, p);
        if (n < count)
            out[n] = d;
        n++;
        p = end;
    }
    if (n != count)
        return err_set(err, E_CONFIG, "%s: [init] %s has %zu values; the network needs %zu%s", where, key, n, count,
                       is_bias ? " (one per unit of the layer)" : " (row-major, row i = the weights into unit i)");
    return 0;
}

char *cfg_text_new(const Config *c)
{
    Sbuf b = { 0 };
    char val[CFG_TEXT_MAX];
    const char *cur = "";
    int bad = 0;
    for (int k = 0; k < NKEYS; k++) {
        if (strcmp(cur, KEYS[k].section)) {
            cur = KEYS[k].section;
            bad |= sb_printf(&b, "%s[%s]\n", k ? "\n" : "", cur);
        }
        value_text(c, &KEYS[k], val, sizeof val);
        bad |= !put_value(&b, KEYS[k].name, val, key_is_list(&KEYS[k]));
    }
    if (c->init == INIT_EXPLICIT) {
        bad |= sb_printf(&b, "\n[init]\n");
        for (int l = 0; l < NET_MAX_LAYERS; l++) {
            char key[8];
            snprintf(key, sizeof key, "W%d", l + 1);
            if (c->init_W[l])
                bad |= !put_value(&b, key, c->init_W[l], 1);
            key[0] = 'b';
            if (c->init_b[l])
                bad |= !put_value(&b, key, c->init_b[l], 1);
        }
    }
    if (bad) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

void cfg_help(FILE *out)
{
    const char *cur = "";
    fprintf(out, "Config keys (INI). Any key can be overridden with --set section.key=value.\n"
                 "A line starting with ; or # is a comment; after a value, only \" ;\" starts one.\n");
    for (int k = 0; k < NKEYS; k++) {
        const KeyDef *kd = &KEYS[k];
        if (strcmp(cur, kd->section)) {
            cur = kd->section;
            fprintf(out, "\n[%s]\n", cur);
        }
        const char *type = "";
        char range[96] = "";
        switch (kd->type) {
        case T_INT: type = "integer"; snprintf(range, sizeof range, ", %.0f..%.0f", kd->min, kd->max); break;
        case T_U64: type = "integer"; break;
        case T_DOUBLE: type = "number"; snprintf(range, sizeof range, ", %g..%g", kd->min, kd->max); break;
        case T_BOOL: type = "true|false"; break;
        case T_STR: type = "text"; break;
        case T_PATH: type = "path"; break;
        case T_ENUM: type = kd->choices; break;
        case T_LIST: type = "comma list"; break;
        case T_INTLIST: type = "comma list of integers"; break;
        }
        fprintf(out, "  %-20s %s%s; default \"%s\"%s\n      %s\n", kd->name, type, range, kd->def,
                kd->resume_safe ? "; may change on --resume" : "", kd->help);
    }
    fprintf(out, "\n[init]  (with [model] init = explicit)\n"
                 "  W1, b1, W2, b2, ...  comma lists of numbers; W<l> is row-major (units, inputs),\n"
                 "      row i = the weights into unit i; b<l> has one value per unit\n");
}

void cfg_free(Config *c)
{
    if (!c)
        return;
    for (int l = 0; l < NET_MAX_LAYERS; l++) {
        free(c->init_W[l]);
        free(c->init_b[l]);
    }
    memset(c, 0, sizeof *c);
}

Config *cfg_new(void)
{
    Config *c = malloc(sizeof *c);
    if (c)
        cfg_defaults(c);
    return c;
}

void cfg_delete(Config *c)
{
    cfg_free(c);
    free(c);
}

int cfg_key_is_resume_safe(const char *section, const char *name)
{
    int k = cfg_find_key(section, name);
    return k >= 0 && KEYS[k].resume_safe;
}

const char *cfg_key_default(const char *section, const char *name)
{
    int k = cfg_find_key(section, name);
    return k >= 0 ? KEYS[k].def : NULL;
}
