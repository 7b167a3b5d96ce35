/* fuzz_config: libFuzzer target for the INI config of io/config.c
 * (README, Development).
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

/* The resolved text of c reads back into an equal config. */
static void check_round_trip(const Config *c)
{
    char *text = cfg_text_new(c);
    if (!text)
        fail("cfg_text_new", "NULL", NULL);
    Config back;
    Err err = { 0 };
    cfg_defaults(&back);
    int rc = cfg_load_text(&back, text, "model.h5:/config", &err);
    if (rc != 0)
        fail("cfg_load_text", err.msg, text);
    char *again = cfg_text_new(&back);
    if (!again || strcmp(text, again) != 0)
        fail("cfg_text_new", "the text read back writes a different text", text);
    free(again);
    free(text);
    cfg_free(&back);
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
