/* fuzz_config: libFuzzer target for the INI config of io/config.c
 * (docs/development.md).
 *
 * Input: config text, optionally followed by a NUL and one `--set`
 * assignment. The text goes through cfg_load_text, the assignment through
 * cfg_set (without a NUL, the whole input is also tried as an assignment
 * on fresh defaults), then cfg_finish and the [init] values. Nothing may crash, leak or hang; a failure returns a
 * negative code with a message; and a config that loads writes a text
 * (cfg_text_new) that loads again and writes the same text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail, const char *text)
{
    fprintf(stderr, "fuzz_config: %s: %s\n%s\n", what, detail, text ? text : "");
    abort();
}

static void check_err(const char *what, int rc, const Err *err)
{
    if (rc > 0)
        fail(what, "positive return code", NULL);
    if (rc < 0 && (err->code != rc || err->msg[0] == '\0'))
        fail(what, "a failure without its code and message", NULL);
}

/* A list's text may change its spaces on the way back (a continuation
 * line joins with ", "; spaces before a comma at a break go), so lists are
 * compared by their items and every other key by its line. */
static void check_same_config(const Config *a, const Config *b, const char *ta, const char *tb)
{
    int same = a->nfeat == b->nfeat && a->nna == b->nna && a->nfilter == b->nfilter && a->nhidden == b->nhidden;
    for (int i = 0; same && i < a->nfeat; i++)
        same = !strcmp(a->feature_names[i], b->feature_names[i]);
    for (int i = 0; same && i < a->nna; i++)
        same = !strcmp(a->na_list[i], b->na_list[i]);
    for (int i = 0; same && i < a->nfilter; i++)
        same = !strcmp(a->filter_cond[i].column, b->filter_cond[i].column) &&
               a->filter_cond[i].op == b->filter_cond[i].op &&
               !memcmp(&a->filter_cond[i].value, &b->filter_cond[i].value, sizeof(double));
    for (int i = 0; same && i < a->nhidden; i++)
        same = a->hidden_widths[i] == b->hidden_widths[i];
    if (!same)
        fail("cfg_load_text", "the resolved text reads back as other lists", ta);
    static const char *const lists[] = { "features =", "na_values =", "filter =", "hidden =" };
    size_t nb = strlen(tb);
    char *hay = malloc(nb + 2), *want = malloc(strlen(ta) + 3);
    if (!hay || !want)
        abort();
    snprintf(hay, nb + 2, "\n%s", tb); /* every line of tb as "\nline\n" */
    for (const char *line = ta; *line;) {
        size_t n = strcspn(line, "\n");
        int skip = line[0] == ' ' || ((line[0] == 'W' || line[0] == 'b') && line[1] >= '0' && line[1] <= '9');
        for (size_t i = 0; !skip && i < sizeof lists / sizeof lists[0]; i++)
            skip = !strncmp(line, lists[i], strlen(lists[i]));
        snprintf(want, strlen(ta) + 3, "\n%.*s\n", (int)n, line);
        if (!skip && !strstr(hay, want))
            fail("cfg_text_new", "a line of the resolved text is not in the text read back", ta);
        line += n + (line[n] == '\n');
    }
    free(hay);
    free(want);
}

/* text up to its [init] section, which is cut off (text is ours) */
static char *before_init(char *text)
{
    char *init = strstr(text, "\n[init]\n");
    if (init)
        init[1] = '\0';
    return text;
}

/* text without its spaces and tabs, nor the line breaks of a continued
 * value (a break before an indented line), in place */
static char *squeeze(char *text)
{
    char *o = text;
    for (const char *p = text; *p; p++)
        if (*p != ' ' && *p != '\t' && !(*p == '\n' && (p[1] == ' ' || p[1] == '\t')))
            *o++ = *p;
    *o = '\0';
    return text;
}

/* The resolved text of c reads back into the same config, and from then on
 * into the same text (see the comparison for what may change). */
static void check_round_trip(const Config *c)
{
    char *text[3] = { NULL, NULL, NULL };
    Config back[2];
    text[0] = cfg_text_new(c);
    for (int i = 0; i < 2; i++) {
        if (!text[i])
            fail("cfg_text_new", "NULL", NULL);
        Err err = { 0 };
        cfg_defaults(&back[i]);
        if (cfg_load_text(&back[i], text[i], "model.h5:/config", &err) != 0)
            fail("cfg_load_text", err.msg, text[i]);
        text[i + 1] = cfg_text_new(&back[i]);
    }
    check_same_config(c, &back[0], text[0], text[1]);
    /* Compared without spaces and tabs, which a list may lose around a
     * break for a few trips (join_continued drops them before a trailing
     * comma), nor its breaks, which move when a line so gets shorter, and
     * without [init], where a run of commas at a break shrinks the same
     * way: the items and numbers stay the same. */
    if (!text[2] || strcmp(squeeze(before_init(text[1])), squeeze(before_init(text[2]))) != 0)
        fail("cfg_text_new", "a text read back twice writes a different text", text[1]);
    for (int i = 0; i < 3; i++)
        free(text[i]);
    cfg_free(&back[0]);
    cfg_free(&back[1]);
}

/* What main does after the last --set, then what training reads of [init]
 * and what a model file stores. */
static void check_finish(Config *c)
{
    Err err = { 0 };
    int rc = cfg_finish(c, &err);
    check_err("cfg_finish", rc, &err);
    if (rc == 0)
        check_round_trip(c);
    double values[64];
    for (int l = 0; rc == 0 && l < NET_MAX_LAYERS; l++)
        for (int bias = 0; bias < 2; bias++)
            if (bias ? c->init_b[l] : c->init_W[l]) {
                Err e = { 0 };
                check_err("cfg_init_values", cfg_init_values(c, l, bias, values, 64, &e), &e);
            }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t tlen = strlen(text);
    const char *assignment = tlen < size ? text + tlen + 1 : NULL;

    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    int rc = cfg_load_text(&c, text, "fuzz.ini", &err);
    check_err("cfg_load_text", rc, &err);
    if (rc == 0 && assignment) {
        rc = cfg_set(&c, assignment, &err);
        check_err("cfg_set", rc, &err);
    }
    if (rc == 0)
        check_finish(&c);
    cfg_free(&c);

    if (!assignment) {
        cfg_defaults(&c);
        rc = cfg_set(&c, text, &err);
        check_err("cfg_set", rc, &err);
        if (rc == 0)
            check_finish(&c);
        cfg_free(&c);
    }
    free(text);
    return 0;
}
