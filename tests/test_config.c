/* Tests of io/config.c: defaults, errors with file:line and hints, --set,
 * [init] checks and the resolved text round trip. */
#define _GNU_SOURCE /* nftw, mkdtemp */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "train.h"

static char dir[TU_DIR_MAX];

static int setup(void **state)
{
    (void)state;
    return tu_tmpdir(dir, sizeof dir, "housenet-test-config");
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_tree(dir);
    return 0;
}

/* Writes text to dir/name and returns the path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#define GOOD \
    "[data]\npath = houses.csv\nfeatures = a, b\ntarget = price\n" \
    "[model]\nhidden = 4, 3\n[train]\nepochs = 7\nlearning_rate = 0.125\n"

static void test_config_fills_defaults_and_reads_values(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    const char *p = write_file("good.ini", GOOD);
    assert_int_equal(cfg_load(&c, p, &err), 0);
    assert_int_equal(cfg_finish(&c, &err), 0);
    assert_int_equal(c.epochs, 7);
    assert_true(c.learning_rate == 0.125);
    assert_int_equal(c.batch_size, 32); /* default */
    assert_int_equal(c.nfeat, 2);
    assert_string_equal(c.feature_names[1], "b");
    assert_int_equal(c.nhidden, 2);
    assert_int_equal(c.hidden_widths[0], 4);
    assert_int_equal(c.hidden_widths[1], 3);
    assert_string_equal(c.stem, "good");
    /* A relative data path is taken from the config file's directory. */
    char want[300];
    snprintf(want, sizeof want, "%s/houses.csv", dir);
    assert_string_equal(c.data_path, want);
    cfg_free(&c);
}

static void test_config_reports_unknown_key_with_line_and_suggestion(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    const char *p = write_file("typo.ini", "[data]\npath = x.csv\n\n[train]\nepochs = 3\nlearnig_rate = 0.1\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    char want[400];
    snprintf(want, sizeof want, "%s:6: unknown key \"learnig_rate\" in [train] (did you mean \"learning_rate\"?)", p);
    assert_string_equal(err.msg, want);
    cfg_free(&c);
}

static void test_config_reports_bad_value_with_line(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    const char *p = write_file("bad.ini", "[train]\n; comment\nbatch_size = 12x\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, ":3: [train] batch_size: expected a whole number, got \"12x\""));
    cfg_free(&c);

    cfg_defaults(&c);
    p = write_file("range.ini", "[model]\nactivation = softmax\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, ":2: [model] activation: \"softmax\" is not one of sigmoid|tanh|relu|linear"));
    cfg_free(&c);

    /* a number float64 cannot hold, or not finite, is told so, with the range */
    static const char *const REAL[][2] = {
        { "train.learning_rate=1e-400", "[train] learning_rate: 1e-400 is beyond float64's range; use 0 to 1e+09" },
        { "train.learning_rate=1e400", "[train] learning_rate: 1e400 is beyond float64's range; use 0 to 1e+09" },
        { "train.learning_rate=nan", "[train] learning_rate: expected a finite number from 0 to 1e+09, got \"nan\"" },
        { "train.learning_rate=0.1x", "[train] learning_rate: expected a number from 0 to 1e+09, got \"0.1x\"" },
    };
    for (size_t i = 0; i < sizeof REAL / sizeof REAL[0]; i++) {
        cfg_defaults(&c);
        assert_int_equal(cfg_set(&c, REAL[i][0], &err), E_CONFIG);
        assert_non_null(strstr(err.msg, REAL[i][1]));
        cfg_free(&c);
    }
}

static void test_config_reads_filter_conditions_and_rejects_bad_ones(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    const char *p = write_file("filter.ini", "[data]\nfilter = Gr_Liv_Area <= 4000, Year_Built>1950 ,x!=-2.5e1\n");
    if (cfg_load(&c, p, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(c.nfilter, 3);
    assert_string_equal(c.filter_cond[0].column, "Gr_Liv_Area");
    assert_int_equal(c.filter_cond[0].op, CMP_LE);
    assert_true(c.filter_cond[0].value == 4000.0);
    assert_string_equal(c.filter_cond[1].column, "Year_Built");
    assert_int_equal(c.filter_cond[1].op, CMP_GT);
    assert_string_equal(c.filter_cond[2].column, "x");
    assert_int_equal(c.filter_cond[2].op, CMP_NE);
    assert_true(c.filter_cond[2].value == -25.0);
    /* a missing value (NaN) fails every condition, != included */
    assert_false(cmp_holds(CMP_NE, NAN, 1.0));
    assert_false(cmp_holds(CMP_LE, NAN, 1.0));
    assert_true(cmp_holds(CMP_EQ, 2.0, 2.0) && cmp_holds(CMP_GE, 2.0, 2.0) && !cmp_holds(CMP_LT, 2.0, 2.0));
    cfg_free(&c);

    static const char *const bad[] = { "Gr_Liv_Area 4000", "<= 4000", "a <= big", "a <= 1 2", "a <= inf" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "[data]\n\nfilter = %s\n", bad[i]);
        cfg_defaults(&c);
        p = write_file("badfilter.ini", text);
        assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
        char want[160];
        snprintf(want, sizeof want, ":3: [data] filter: condition \"%s\" is not `column op number`", bad[i]);
        if (!strstr(err.msg, want))
            fail_msg("got: %s", err.msg);
        cfg_free(&c);
    }
}

static void test_config_reports_unknown_section_duplicate_and_syntax(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    const char *p = write_file("sec.ini", "[trian]\nepochs = 3\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, ":1: unknown section [trian] (did you mean [train]?)"));
    cfg_free(&c);

    cfg_defaults(&c); /* named at its header, with no key below it too */
    p = write_file("empty_sec.ini", "[train]\nepochs = 3\n[Run]\n; nothing yet\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, ":3: unknown section [Run] (did you mean [run]?)"));
    cfg_free(&c);

    cfg_defaults(&c);
    p = write_file("dup.ini", "[train]\nepochs = 3\nseed = 2\nepochs = 4\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, ":4: [train] epochs is set twice (first at line 2)"));
    cfg_free(&c);

    cfg_defaults(&c);
    p = write_file("syntax.ini", "[train]\nepochs = 3\nthis line has no equals sign\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, ":3: syntax error"));
    cfg_free(&c);

    /* A syntax error is reported before the error of a later line
     * (inih goes on past it). */
    cfg_defaults(&c);
    p = write_file("first.ini", "[train]\nepochs 3\nlearnig_rate = 0.1\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, ":2: syntax error"));
    cfg_free(&c);
}

/* "~" and "~/..." in a path are the home directory, as a shell would read
 * them (no shell sees a config); "~user" is left alone; without an absolute
 * HOME such a path is an error naming the key. */
static void test_config_path_starting_with_tilde_is_in_home(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    const char *saved = getenv("HOME");
    char *old = saved ? strdup(saved) : NULL;
    setenv("HOME", "/home/analyst", 1);
    cfg_defaults(&c);
    const char *p = write_file("tilde.ini", "[data]\npath = ~/sales/houses.csv\n[run]\ndir = ~\n");
    assert_int_equal(cfg_load(&c, p, &err), 0);
    assert_string_equal(c.data_path, "/home/analyst/sales/houses.csv");
    assert_string_equal(c.run_dir, "/home/analyst");
    cfg_free(&c);

    cfg_defaults(&c);
    p = write_file("tilde_user.ini", "[data]\npath = ~bob/houses.csv\n");
    assert_int_equal(cfg_load(&c, p, &err), 0);
    char want[300];
    snprintf(want, sizeof want, "%s/~bob/houses.csv", dir);
    assert_string_equal(c.data_path, want);
    cfg_free(&c);

    unsetenv("HOME");
    cfg_defaults(&c);
    p = write_file("tilde_nohome.ini", "[data]\npath = ~/houses.csv\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, ":2: [data] path: \"~/houses.csv\" starts with ~, and HOME is no absolute path"));
    cfg_free(&c);
    if (old)
        setenv("HOME", old, 1);
    free(old);
}

/* A section header inih would take in part: without its ']' (the keys
 * below it then land in the section before), or with a key after it on its
 * line, which inih drops. */
static void test_config_refuses_a_section_header_taken_in_part(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    const char *p = write_file("open.ini", "[data]\npath = x.csv\n[train\nepochs = 3\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    char want[400];
    snprintf(want, sizeof want, "%s:3: the section header \"[train\" has no closing ']'; write [data], [model], "
             "[train], [run] or [init]", p);
    assert_string_equal(err.msg, want);
    cfg_free(&c);

    cfg_defaults(&c);
    p = write_file("inline.ini", "[data]\npath = x.csv\n  [train] epochs = 3\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    snprintf(want, sizeof want, "%s:3: \"epochs = 3\" follows the section header [train] on its line, where it "
             "would be ignored; put it on a line of its own", p);
    assert_string_equal(err.msg, want);
    cfg_free(&c);

    /* a comment after the header, and spaces, are fine */
    cfg_defaults(&c);
    p = write_file("comment.ini", "[train] ; the training\nepochs = 3\n[run]   # where\t\r\ndir = r\n");
    assert_int_equal(cfg_load(&c, p, &err), 0);
    assert_int_equal(c.epochs, 3);
    cfg_free(&c);
}

/* A '#' after a value is part of it for inih: a value it spoils is
 * refused with the line that was meant, a path that names nothing too;
 * a '#' with no space before it, or a path that exists, stays. */
static void test_config_names_a_hash_comment_after_a_value(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    char want[700];
    cfg_defaults(&c);
    const char *p = write_file("hash.ini", "[data]\npath = x.csv\n[train]\nepochs = 5  # five\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    snprintf(want, sizeof want, "%s:4: [train] epochs: expected a whole number, got \"5  # five\"; a '#' after a "
             "value is part of the value: write \"epochs = 5\" (a comment after a value starts with ';')", p);
    assert_string_equal(err.msg, want);
    cfg_free(&c);

    cfg_defaults(&c);
    p = write_file("hashdir.ini", "[data]\npath = x.csv\n[run]\ndir = runs/a # first try\n");
    assert_int_equal(cfg_load(&c, p, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, ":4: [run] dir: no file or directory \""));
    assert_non_null(strstr(err.msg, "runs/a # first try\"; a '#' after a value is part of the value: write "
                                    "\"dir = runs/a\""));
    cfg_free(&c);

    cfg_defaults(&c);
    char data[300], text[600];
    snprintf(data, sizeof data, "%s", write_file("sales #2.csv", "a,b\n1,2\n")); /* write_file's buffer is reused */
    snprintf(text, sizeof text, "[data]\npath = %s\nna_values = ?, #N/A\n[run]\ndir = r\n", data);
    assert_int_equal(cfg_load(&c, write_file("hashok.ini", text), &err), 0);
    assert_string_equal(c.data_path, data);
    cfg_free(&c);
}

static void test_config_set_overrides_and_checks_keys(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    assert_int_equal(cfg_load(&c, write_file("s.ini", GOOD), &err), 0);
    assert_int_equal(cfg_set(&c, "train.epochs=11", &err), 0);
    assert_int_equal(c.epochs, 11);
    assert_int_equal(cfg_set(&c, "data.path=other.csv", &err), 0);
    assert_string_equal(c.data_path, "other.csv"); /* --set paths: current directory */
    assert_int_equal(cfg_set(&c, "train.lr=0.1", &err), E_CONFIG);
    assert_string_equal(err.msg, "--set train.lr=0.1: unknown key \"lr\" in [train]; `housenet help config` lists every key");
    assert_int_equal(cfg_set(&c, "epochs=3", &err), E_USAGE);
    assert_int_equal(cfg_set(&c, "train.epochs=-1", &err), E_CONFIG);
    assert_non_null(strstr(err.msg, "out of range"));
    /* a list past its limit says the limit and the fix */
    assert_int_equal(cfg_set(&c, "model.hidden=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", &err), E_CONFIG);
    assert_non_null(strstr(err.msg, "[model] hidden: more than 15 items, the most it takes (docs/hardening.md, "
                                    "\"Limits\"); keep 15 or fewer"));
    cfg_free(&c);
}

static void test_config_checks_required_keys_and_init_shape(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    const char *p = write_file("req.ini", "[data]\npath = x.csv\ntarget = y\n");
    assert_int_equal(cfg_load(&c, p, &err), 0);
    assert_int_equal(cfg_finish(&c, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, "[data] features is missing"));
    cfg_free(&c);

    cfg_defaults(&c);
    p = write_file("init.ini", "[data]\npath = x.csv\nfeatures = a, b\ntarget = y\n"
                               "[model]\ninit = explicit\nhidden = 2\n"
                               "[init]\nW1 = 1, 2, 3\nb1 = 0, 0\nW2 = 1, 1\nb2 = 0\n");
    assert_int_equal(cfg_load(&c, p, &err), 0);
    assert_int_equal(cfg_finish(&c, &err), 0);
    double W1[4];
    assert_int_equal(cfg_init_values(&c, 0, 0, W1, 4, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, ":9: [init] W1 has 3 values; the network needs 4"));
    double b1[2];
    assert_int_equal(cfg_init_values(&c, 0, 1, b1, 2, &err), 0);
    double b2[1];
    assert_int_equal(cfg_init_values(&c, 1, 1, b2, 2, &err), E_CONFIG); /* a bias has no rows */
    assert_non_null(strstr(err.msg, ":12: [init] b2 has 1 values; the network needs 2 (one per unit of the layer)"));
    cfg_free(&c);

    /* a value beyond float64 is named as such, not as "not a number" */
    cfg_defaults(&c);
    p = write_file("init2.ini", "[data]\npath = x.csv\nfeatures = a, b\ntarget = y\n"
                                "[model]\ninit = explicit\nhidden = 2\n"
                                "[init]\nW1 = 1, 2, 3, -1e999\nb1 = 0, 1e-400\nW2 = 1, 1\nb2 = 0\n");
    assert_int_equal(cfg_load(&c, p, &err), 0);
    assert_int_equal(cfg_init_values(&c, 0, 0, W1, 4, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, ":9: [init] W1: \"-1e999\" is beyond what float64 holds"));
    assert_int_equal(cfg_init_values(&c, 0, 1, b1, 2, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, ":10: [init] b1: \"1e-400\" is beyond what float64 holds"));
    cfg_free(&c);
}

static void test_config_table_key_is_for_hdf5_files_only(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    const char *p = write_file("t.ini", "[data]\npath = houses.csv\ntable = houses\nfeatures = a\ntarget = price\n");
    assert_int_equal(cfg_load(&c, p, &err), 0);
    assert_int_equal(cfg_finish(&c, &err), E_CONFIG);
    char want[512];
    snprintf(want, sizeof want, "%s:3: [data] table applies to HDF5 files (.h5, .hdf5), and %s/houses.csv is not "
             "one; remove it", p, dir);
    assert_string_equal(err.msg, want);
    assert_int_equal(cfg_set(&c, "data.path=houses.H5", &err), 0);
    assert_int_equal(cfg_finish(&c, &err), 0);
    assert_string_equal(c.data_table, "houses");
    cfg_free(&c);
}

static void test_config_float32_is_for_any_network_held_in_memory(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    assert_int_equal(c.precision, TRAIN_F64);
    const char *p = write_file("f32.ini", "[data]\npath = houses.h5\nfeatures = a, b\ntarget = price\n"
                                          "[model]\nhidden = 2\n[train]\nprecision = float32\n");
    assert_int_equal(cfg_load(&c, p, &err), 0);
    assert_int_equal(cfg_finish(&c, &err), 0);
    assert_int_equal(c.precision, TRAIN_F32);
    assert_int_equal(cfg_set(&c, "model.hidden=64, 64", &err), 0);
    assert_int_equal(cfg_set(&c, "model.activation=relu", &err), 0);
    assert_int_equal(cfg_finish(&c, &err), 0);
    char want[512];
    assert_int_equal(cfg_set(&c, "data.stream=true", &err), 0);
    assert_int_equal(cfg_finish(&c, &err), E_CONFIG);
    snprintf(want, sizeof want, "%s:8: [train] precision = float32 needs the training rows in memory; set "
             "[data] stream = false or precision = float64", p);
    assert_string_equal(err.msg, want);
    assert_int_equal(cfg_set(&c, "train.precision=float64", &err), 0);
    assert_int_equal(cfg_finish(&c, &err), 0);
    assert_int_equal(cfg_set(&c, "train.precision=float16", &err), E_CONFIG);
    cfg_free(&c);
}

static void test_config_resolved_text_reads_back_the_same(void **state)
{
    (void)state;
    Config a, b;
    Err err = { 0 };
    cfg_defaults(&a);
    assert_int_equal(cfg_load(&a, write_file("rt.ini", GOOD "seed = 18446744073709551615\n"), &err), 0);
    assert_int_equal(cfg_set(&a, "data.delimiter=tab", &err), 0);
    char *text = cfg_text_new(&a);
    assert_non_null(text);
    cfg_defaults(&b);
    assert_int_equal(cfg_load(&b, write_file("rt2.ini", text), &err), 0);
    char *text2 = cfg_text_new(&b);
    /* Paths were already resolved, so compare everything but [data] path. */
    assert_int_equal(a.epochs, b.epochs);
    assert_true(a.learning_rate == b.learning_rate);
    assert_true(a.seed == b.seed);
    assert_string_equal(a.delimiter, b.delimiter);
    assert_string_equal(a.hidden, b.hidden);
    assert_string_equal(strstr(text, "[model]"), strstr(text2, "[model]"));
    free(text);
    free(text2);
    cfg_free(&a);
    cfg_free(&b);
}

static void test_config_lists_continue_on_indented_lines_and_read_back(void **state)
{
    (void)state;
    Config c, back;
    Err err = { 0 };
    cfg_defaults(&c);
    /* 40 features: far more than one 200-byte line holds */
    char text[4096] = "[data]\npath = h.csv\ntarget = price\nfeatures = f0,";
    for (int i = 1; i < 40; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s feature_number_%d,", i % 8 ? "" : "\n   ", i);
    strcat(text, "\n[train]\nepochs = 3\n");
    const char *p = write_file("long.ini", text);
    if (cfg_load(&c, p, &err) || cfg_finish(&c, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(c.nfeat, 40);
    assert_string_equal(c.feature_names[39], "feature_number_39");
    char *resolved = cfg_text_new(&c);
    assert_non_null(resolved);
    for (const char *line = resolved; *line; line += strcspn(line, "\n") + 1)
        assert_true(strcspn(line, "\n") < 200); /* inih reads it back */
    cfg_defaults(&back);
    if (cfg_load_text(&back, resolved, "resolved", &err) || cfg_finish(&back, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(back.nfeat, 40);
    assert_memory_equal(back.feature_names, c.feature_names, sizeof c.feature_names);
    free(resolved);
    cfg_free(&back);
    cfg_free(&c);
}

static void test_config_long_line_and_continued_scalar_are_errors(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    char text[512] = "[data]\nfeatures = ";
    for (int i = 0; i < 30; i++)
        strcat(text, "abcdefgh, ");
    strcat(text, "z\n");
    cfg_defaults(&c);
    assert_int_equal(cfg_load(&c, write_file("toolong.ini", text), &err), E_CONFIG);
    assert_non_null(strstr(err.msg, "toolong.ini:2: line longer than"));
    cfg_free(&c);
    cfg_defaults(&c);
    assert_int_equal(cfg_load(&c, write_file("cont.ini", "[data]\ntarget = a\n  b\n"), &err), E_CONFIG);
    assert_non_null(strstr(err.msg, "cont.ini:3: [data] target: this indented line continues its value"));
    cfg_free(&c);
}

/* Every value that loads is written back by cfg_text_new on lines inih can
 * read, so a model file's stored config always reads back; a name or path
 * too long for one line is refused when it is set instead. */
/* A --set value longer than the buffers it goes through is refused, never
 * cut: a list cut short would still parse, as other features. */
static void test_config_set_refuses_a_value_too_long_to_hold(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    static char set[6000];
    for (int total = 4150; total <= 5000; total += 850) { /* past the value's buffer; past --set's own */
        int n = snprintf(set, sizeof set, "data.features=");
        for (int f = 0; n < total; f++)
            n += snprintf(set + n, sizeof set - (size_t)n, "%sfeature_%03d_%s", f ? "," : "", f,
                          "with_a_long_name_from_a_wide_export_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        cfg_defaults(&c);
        int rc = cfg_set(&c, set, &err);
        if (rc == 0)
            fail_msg("a --set of %d characters was taken (as %.60s...)", n, c.features);
        assert_non_null(strstr(err.msg, "longer than"));
        cfg_free(&c);
    }
}

/* *back = c's resolved text (cfg_text_new) loaded again, as a model file's
 * reader does; the test fails with the reader's message if it cannot. */
static void read_back(const Config *c, Config *back)
{
    Err err = { 0 };
    char *resolved = cfg_text_new(c);
    assert_non_null(resolved);
    cfg_defaults(back);
    if (cfg_load_text(back, resolved, "resolved", &err))
        fail_msg("%s\nresolved text:\n%s", err.msg, resolved);
    free(resolved);
}

static void test_config_refuses_a_value_its_stored_text_could_not_hold(void **state)
{
    (void)state;
    Config c, back;
    Err err = { 0 };
    char name[200], text[512];
    for (int len = 185; len <= 191; len++) { /* 191: the longest line "target=..." inih reads */
        memset(name, 'n', (size_t)len);
        name[len] = '\0';
        /* "target=" + name fits inih's line; "target = " + name may not */
        snprintf(text, sizeof text, "[data]\npath = h.csv\nfeatures = a\ntarget=%s\n", name);
        cfg_defaults(&c);
        int rc = cfg_load_text(&c, text, "in", &err);
        if (rc == 0) {
            assert_int_equal(cfg_finish(&c, &err), 0);
            read_back(&c, &back);
            assert_string_equal(back.target, name);
            cfg_free(&back);
        } else {
            assert_true(len >= 190); /* "target = " + 190 + newline: 200 bytes */
            assert_int_equal(rc, E_CONFIG);
            assert_non_null(strstr(err.msg, "in:4: [data] target: "));
            assert_non_null(strstr(err.msg, "config stored in the model file"));
        }
        cfg_free(&c);
    }
    char set[1100] = "data.path=/";
    memset(set + strlen(set), 'd', 1000);
    cfg_defaults(&c);
    assert_int_equal(cfg_set(&c, set, &err), E_CONFIG);
    assert_non_null(strstr(err.msg, "[data] path: "));
    cfg_free(&c);
}

/* The resolved text never starts a continued line with an item inih reads
 * as a comment (# or ;) or the reader as a section header ([), and a value
 * with a ';' first or after a space, which inih would cut there, is
 * refused when it is set. (A '[' item first on a continued line was a
 * fuzz_config failure: the stored text did not read back.) */
static void test_config_resolved_text_keeps_items_that_look_like_comments(void **state)
{
    (void)state;
    Config c, back;
    Err err = { 0 };
    for (int shift = 0; shift < 12; shift++) { /* moves where the break falls */
        char text[4096];
        snprintf(text, sizeof text, "[data]\npath = h.csv\nfeatures = a\ntarget = y\nna_values = t%.*s, #na0, [na0,",
                 shift, "xxxxxxxxxxxx");
        for (int i = 1; i < 21; i++)
            snprintf(text + strlen(text), sizeof text - strlen(text), "%st%d, #na%d, [na%d,", i % 3 ? " " : "\n   ",
                     i, i, i);
        strcat(text, "\n");
        cfg_defaults(&c);
        if (cfg_load_text(&c, text, "in", &err) || cfg_finish(&c, &err))
            fail_msg("%s", err.msg);
        assert_int_equal(c.nna, 63);
        read_back(&c, &back);
        assert_int_equal(back.nna, c.nna);
        for (int i = 0; i < c.nna; i++)
            assert_string_equal(back.na_list[i], c.na_list[i]);
        cfg_free(&back);
        cfg_free(&c);
    }

    cfg_defaults(&c);
    assert_int_equal(cfg_set(&c, "data.target=price ;x", &err), E_CONFIG);
    assert_non_null(strstr(err.msg, "[data] target: \" ;x\": a ';' at the start or after a space starts a comment"));
    assert_int_equal(cfg_load_text(&c, "[data]\nna_values=;NA\n", "in", &err), E_CONFIG);
    assert_non_null(strstr(err.msg, "in:2: [data] na_values: \";NA\": a ';' at the start"));
    assert_int_equal(cfg_set(&c, "data.target=a\nb", &err), E_CONFIG);
    cfg_free(&c);
}

/* [init] values continued on indented lines join as lists do, so that the
 * resolved text of a model file reads back to the same text, trip after
 * trip, rather than gaining a comma at every break. */
static void test_config_init_values_read_back_to_the_same_text(void **state)
{
    (void)state;
    char text[4096] = "[data]\npath = h.csv\nfeatures = a\ntarget = y\n[model]\nhidden = 40\ninit = explicit\n"
                      "[init]\nb1 = 0\nW2 = 0\nb2 = 0\nW1 = 0.125,";
    for (int i = 1; i < 40; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s0.125,", i % 8 ? " " : "\n   ");
    strcat(text, "\n");
    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    if (cfg_load_text(&c, text, "in", &err) || cfg_finish(&c, &err))
        fail_msg("%s", err.msg);
    char *prev = cfg_text_new(&c);
    assert_non_null(prev);
    cfg_free(&c);
    for (int trip = 0; trip < 3; trip++) {
        cfg_defaults(&c);
        if (cfg_load_text(&c, prev, "resolved", &err))
            fail_msg("%s", err.msg);
        char *next = cfg_text_new(&c);
        assert_non_null(next);
        assert_string_equal(next, prev);
        free(prev);
        prev = next;
        cfg_free(&c);
    }
    free(prev);
}

/* A list broken over lines reads back to the same items and, after one
 * trip, to the same text: an item that begins a continued line is written
 * without the spaces inih drops there, whatever spaces it had. */
static void test_config_resolved_text_of_a_list_is_stable_after_one_trip(void **state)
{
    (void)state;
    for (int shift = 0; shift < 24; shift++) { /* moves where the breaks fall */
        char text[4096];
        snprintf(text, sizeof text, "[data]\npath = h.csv\ntarget = y\nfeatures = f%.*s", shift,
                 "xxxxxxxxxxxxxxxxxxxxxxxx");
        for (int i = 1; i < 60; i++)
            snprintf(text + strlen(text), sizeof text - strlen(text), "%s%sfeature%d", i % 6 ? "" : ",\n   ",
                     i % 6 == 0 ? "" : i % 2 ? ",  " : ",", i);
        strcat(text, "\n");
        char *t[3] = { NULL, NULL, NULL };
        for (int i = 0; i < 3; i++) {
            Config c;
            Err err = { 0 };
            cfg_defaults(&c);
            if (cfg_load_text(&c, i ? t[i - 1] : text, "in", &err) || cfg_finish(&c, &err))
                fail_msg("%s", err.msg);
            assert_int_equal(c.nfeat, 60);
            t[i] = cfg_text_new(&c);
            assert_non_null(t[i]);
            cfg_free(&c);
        }
        assert_string_equal(t[1], t[2]);
        for (int i = 0; i < 3; i++)
            free(t[i]);
    }
}

static void test_config_delimiter_takes_a_semicolon_names_and_quotes_in_the_file_and_by_set(void **state)
{
    (void)state;
    static const struct { const char *text; char want; } CASES[] = {
        { ";", ';' }, { "; ; a comment", ';' }, { "\";\"", ';' }, { "semicolon", ';' }, { "tab", '\t' },
        { "\"\\t\"", '\t' }, { "\\t", '\t' }, { "|", '|' }, { "pipe", '|' }, { "';'", ';' }, { "comma", ',' },
    };
    char text[256], set[64];
    Config c, back;
    Err err = { 0 };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        snprintf(text, sizeof text, "[data]\npath = h.csv\ndelimiter = %s\nfeatures = a\ntarget = y\n", CASES[i].text);
        cfg_defaults(&c);
        if (cfg_load_text(&c, text, "in", &err) || cfg_finish(&c, &err))
            fail_msg("delimiter = %s: %s", CASES[i].text, err.msg);
        if (c.delimiter[0] != CASES[i].want || c.delimiter[1])
            fail_msg("delimiter = %s read as \"%s\"", CASES[i].text, c.delimiter);
        read_back(&c, &back); /* the stored config keeps it */
        assert_int_equal(back.delimiter[0], CASES[i].want);
        cfg_free(&back);
        cfg_free(&c);
        if (strchr(CASES[i].text, ' '))
            continue;
        snprintf(set, sizeof set, "data.delimiter=%s", CASES[i].text);
        cfg_defaults(&c);
        if (cfg_set(&c, set, &err))
            fail_msg("--set %s: %s", set, err.msg);
        assert_int_equal(c.delimiter[0], CASES[i].want);
        cfg_free(&c);
    }
    cfg_defaults(&c);
    assert_int_equal(cfg_set(&c, "data.delimiter=semi", &err), E_CONFIG);
    assert_non_null(strstr(err.msg, "[data] delimiter: expected one character"));
    cfg_free(&c);
}

static void test_config_missing_tokens_default_to_pandas_and_a_list_replaces_them(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    cfg_defaults(&c);
    const char *want[] = { "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "#N/A", "<NA>", "#N/A N/A" };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        int found = 0;
        for (int i = 0; i < c.nna; i++)
            found |= !strcmp(c.na_list[i], want[w]);
        if (!found)
            fail_msg("\"%s\" is not a default missing token", want[w]);
    }
    assert_int_equal(cfg_set(&c, "data.na_values=?", &err), 0);
    assert_int_equal(c.nna, 1);
    assert_string_equal(c.na_list[0], "?");
    assert_int_equal(cfg_set(&c, "data.na_values=", &err), 0);
    assert_int_equal(c.nna, 0);
    cfg_free(&c);
}

static void test_config_transforms_name_features_and_read_back(void **state)
{
    (void)state;
    Config c, back;
    Err err = { 0 };
    cfg_defaults(&c);
    assert_int_equal(cfg_load_text(&c, "[data]\npath = h.csv\nfeatures = a, b, c\ntarget = y\n"
                                       "target_transform = log1p\nlog_features = c, a\n", "in", &err), 0);
    assert_int_equal(cfg_finish(&c, &err), 0);
    assert_int_equal(c.target_transform, TRANSFORM_LOG1P);
    assert_int_equal(c.nlog, 2);
    read_back(&c, &back);
    assert_int_equal(back.target_transform, TRANSFORM_LOG1P);
    assert_int_equal(back.nlog, 2);
    assert_string_equal(back.log_names[0], "c");
    cfg_free(&back);
    assert_int_equal(cfg_set(&c, "data.log_features=a, y", &err), 0);
    assert_int_equal(cfg_finish(&c, &err), E_CONFIG);
    /* the value came from --set, not from line 6 of the text */
    assert_string_equal(err.msg, "--set data.log_features: [data] log_features: \"y\" is not one of the features; "
                                 "list feature columns only (the target takes target_transform)");
    assert_int_equal(cfg_set(&c, "data.target_transform=sqrt", &err), E_CONFIG);
    cfg_free(&c);
}

/* A config is plain text: a control byte other than TAB (here ESC, CR
 * inside a line, DEL, a C1 control) is refused where it enters, with the
 * line and column or the byte of the --set value; a TAB and a CRLF line
 * end are text. */
static void test_config_refuses_control_bytes_but_reads_tabs_and_crlf(void **state)
{
    (void)state;
    Config c;
    Err err = { 0 };
    static const struct { const char *text, *want; } bad[] = {
        { "[data]\ntarget = p\x1B[1mrice\n", "in:2:11: a control byte (\x1B) in a config line; a config is plain text: remove it" },
        { "[data]\ntarget = a\rb\n", "in:2:11: a control byte (\r) in a config line" },
        { "[data]\r\ntarget = price\x7F\r\n", "in:2:15: a control byte (\x7F) in a config line" },
        { "; a comment \xC2\x9B" "2J\n", "in:1:13: a control byte (\xC2\x9B) in a config line" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg_defaults(&c);
        assert_int_equal(cfg_load_text(&c, bad[i].text, "in", &err), E_CONFIG);
        if (!strstr(err.msg, bad[i].want))
            fail_msg("case %zu: %s", i, err.msg);
        cfg_free(&c);
    }
    cfg_defaults(&c);
    assert_int_equal(cfg_load_text(&c, "[data]\r\nfeatures = a,\tb\r\ntarget =\tprice\r\n", "in", &err), 0);
    assert_int_equal(c.nfeat, 2);
    assert_string_equal(c.feature_names[1], "b");
    assert_string_equal(c.target, "price");
    assert_int_equal(cfg_set(&c, "data.target=p\x1B[1mrice", &err), E_CONFIG);
    assert_string_equal(err.msg, "--set data.target=p\x1B[1mrice: a control byte (\x1B) at byte 14; a config value "
                                 "is plain text: remove it");
    assert_int_equal(cfg_set(&c, "data.target=\tprice", &err), 0);
    cfg_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_fills_defaults_and_reads_values),
        cmocka_unit_test(test_config_reports_unknown_key_with_line_and_suggestion),
        cmocka_unit_test(test_config_reports_bad_value_with_line),
        cmocka_unit_test(test_config_reads_filter_conditions_and_rejects_bad_ones),
        cmocka_unit_test(test_config_reports_unknown_section_duplicate_and_syntax),
        cmocka_unit_test(test_config_refuses_a_section_header_taken_in_part),
        cmocka_unit_test(test_config_names_a_hash_comment_after_a_value),
        cmocka_unit_test(test_config_path_starting_with_tilde_is_in_home),
        cmocka_unit_test(test_config_set_overrides_and_checks_keys),
        cmocka_unit_test(test_config_checks_required_keys_and_init_shape),
        cmocka_unit_test(test_config_table_key_is_for_hdf5_files_only),
        cmocka_unit_test(test_config_float32_is_for_any_network_held_in_memory),
        cmocka_unit_test(test_config_resolved_text_reads_back_the_same),
        cmocka_unit_test(test_config_lists_continue_on_indented_lines_and_read_back),
        cmocka_unit_test(test_config_long_line_and_continued_scalar_are_errors),
        cmocka_unit_test(test_config_set_refuses_a_value_too_long_to_hold),
        cmocka_unit_test(test_config_refuses_a_value_its_stored_text_could_not_hold),
        cmocka_unit_test(test_config_resolved_text_keeps_items_that_look_like_comments),
        cmocka_unit_test(test_config_init_values_read_back_to_the_same_text),
        cmocka_unit_test(test_config_resolved_text_of_a_list_is_stable_after_one_trip),
        cmocka_unit_test(test_config_delimiter_takes_a_semicolon_names_and_quotes_in_the_file_and_by_set),
        cmocka_unit_test(test_config_missing_tokens_default_to_pandas_and_a_list_replaces_them),
        cmocka_unit_test(test_config_transforms_name_features_and_read_back),
        cmocka_unit_test(test_config_refuses_control_bytes_but_reads_tabs_and_crlf),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
