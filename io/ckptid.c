/* ckptid: what tells a checkpoint's data and config apart from today's
 * (ckpt_data_id, ckpt_config_check; see checkpoint.h). */
#include "checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

static uint64_t dataset_hash(const Dataset *d)
{
    uint64_t h = rng_fnv1a(RNG_FNV_INIT, d->x, d->n * (size_t)d->nin * sizeof(double));
    return rng_fnv1a(h, d->y, d->n * sizeof(double));
}

CkptDataId ckpt_data_id(const Splits *sp)
{
    CkptDataId id = { sp->fingerprint, sp->rows_read, { sp->ntrain, sp->val.n, sp->test.n },
                      { dataset_hash(&sp->train), dataset_hash(&sp->val), dataset_hash(&sp->test) } };
    return id;
}

#define CFG_MAX_ENTRIES 256

typedef struct CfgEntry {
    const char *section, *key;
    char *value;
} CfgEntry;

/* Splits cfg_text_new() text (modified in place) into entries. A long list
 * goes on over indented lines after a comma; such a line is joined to its
 * entry as the config reader joins it ("a, b," + "   c" -> "a, b, c"), so
 * an item past the first line is compared too. The joined value is never
 * longer than the text it replaces (the comma and the newline and indent
 * become ", "), so it is moved down in place. */
static size_t cfg_entries(char *text, CfgEntry *e, size_t cap)
{
    const char *section = "";
    size_t n = 0;
    CfgEntry *last = NULL; /* the entry an indented line continues */
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *eq = strstr(line, " = ");
        if ((line[0] == ' ' || line[0] == '\t') && last) {
            char *item = line + strspn(line, " \t");
            size_t len = strlen(last->value);
            while (len > 0 && (last->value[len - 1] == ' ' || last->value[len - 1] == ','))
                len--;
            memcpy(last->value + len, ", ", 2);
            memmove(last->value + len + 2, item, strlen(item) + 1);
        } else if (line[0] == '[' && line[strlen(line) - 1] == ']') {
            line[strlen(line) - 1] = '\0';
            section = line + 1;
            last = NULL;
        } else if (eq && n < cap) {
            *eq = '\0';
            e[n] = (CfgEntry){ section, line, eq + 3 };
            last = &e[n++];
        } else {
            last = NULL;
        }
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

static const CfgEntry *cfg_find(const CfgEntry *e, size_t n, const CfgEntry *want)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(e[i].section, want->section) && !strcmp(e[i].key, want->key))
            return &e[i];
    return NULL;
}

int ckpt_config_check(const char *saved, const char *now, Err *err)
{
    CfgEntry *a = NULL, *b = NULL;
    char *ta = strdup(saved ? saved : ""), *tb = strdup(now ? now : "");
    char msg[ERR_MSG_MAX] = "";
    size_t used = 0, bad = 0;
    int rc = 0;
    a = calloc(CFG_MAX_ENTRIES, sizeof *a);
    b = calloc(CFG_MAX_ENTRIES, sizeof *b);
    if (!ta || !tb || !a || !b) {
        rc = err_set(err, E_NOMEM, "out of memory comparing configs");
        goto done;
    }
    size_t na = cfg_entries(ta, a, CFG_MAX_ENTRIES), nb = cfg_entries(tb, b, CFG_MAX_ENTRIES);
    /* Every key of either side: first the checkpoint's, then keys only the
     * current config has. */
    for (size_t i = 0; i < na + nb; i++) {
        const CfgEntry *x = i < na ? &a[i] : &b[i - na];
        if (i >= na && cfg_find(a, na, x))
            continue;
        const CfgEntry *was = i < na ? x : NULL;
        const CfgEntry *is = cfg_find(b, nb, x);
        if (was && is && !strcmp(was->value, is->value))
            continue;
        /* a key added after the checkpoint was written, left at its default */
        const char *def = cfg_key_default(x->section, x->key);
        if (!was && is && def && !strcmp(is->value, def))
            continue;
        if (cfg_key_is_resume_safe(x->section, x->key))
            continue;
        bad++;
        if (used < sizeof msg - 200) {
            int w = snprintf(msg + used, sizeof msg - used, "%s[%s] %s: checkpoint %s%.60s%s, now %s%.60s%s",
                             bad > 1 ? "; " : "", x->section, x->key, was ? "\"" : "", was ? was->value : "(unset)",
                             was ? "\"" : "", is ? "\"" : "", is ? is->value : "(unset)", is ? "\"" : "");
            used += w > 0 ? (size_t)w : 0;
        }
    }
    if (bad)
        rc = err_set(err, E_STATE, "%.900s", msg);
done:
    free(ta);
    free(tb);
    free(a);
    free(b);
    return rc;
}

