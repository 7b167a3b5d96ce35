/* test_checkpoint: io/checkpoint.c -- round trips of every piece, damage
 * caught by format, truncation and checksum, refusals (non-finite values,
 * another network), a failed write keeping the previous file, the config
 * comparison, listing and pruning, `inspect`; and, through run_train and the
 * real files, resumes that end bit-identical to an uninterrupted run. Every
 * test runs in a fresh temporary directory and ends with no HDF5 id open. */
#define _GNU_SOURCE /* nftw */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cmd.h"
#include "h5model.h"
#include "rng.h"
#include "run.h"

typedef struct Fixture {
    char dir[TU_DIR_MAX]; /* first: tu_tmpdir_new's */
    char path[128];
} Fixture;

static int setup(void **state)
{
    Fixture *fx = tu_tmpdir_new(sizeof *fx, "test_checkpoint");
    if (!fx)
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/ckpt.h5", fx->dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    tu_tmpdir_free(*state);
    /* No test may leave an HDF5 file, group, dataset or attribute open. */
    return h5_open_objects() == 0 ? 0 : -1;
}

static void assert_contains(const char *s, const char *part)
{
    if (!strstr(s, part))
        fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

/* ---- a checkpoint's pieces, filled with seeded values ------------------ */

static const char *const COLS[] = { "train_loss", "val_loss", "learning_rate" };
static const char *const FEATS[] = { "size", "rooms", ("fl\xc3\xa4" "che") };

typedef struct Pieces {
    Net net;
    Optim opt;
    TrainState st;
    Curves curves;
    double *best;
    Ckpt c;
} Pieces;

/* A 3 -> hidden -> 1 network with an optimizer of nbufs state buffers, a
 * state, curves of nrows rows and the rest, all from seed. */
static void pieces_make(Pieces *p, const int *hidden, int nhidden, int nbufs, size_t nrows, uint64_t seed)
{
    Err err = { 0 };
    memset(p, 0, sizeof *p);
    assert_int_equal(net_init(&p->net, 3, hidden, nhidden, 1, ACT_TANH, ACT_LINEAR, &err), 0);
    net_init_uniform(&p->net, seed, 2.0);
    assert_int_equal(optim_init(&p->opt, OPT_SGD, p->net.nparams, &err), 0);
    /* Optimizers with state are being added; fake their buffers here. */
    p->opt.nbufs = nbufs;
    Rng r = rng_stream(seed, 99);
    for (int b = 0; b < nbufs; b++) {
        p->opt.buf[b] = malloc(p->net.nparams * sizeof(double));
        assert_non_null(p->opt.buf[b]);
        for (size_t k = 0; k < p->net.nparams; k++)
            p->opt.buf[b][k] = rng_uniform(&r) - 0.5;
    }
    p->opt.t = 1234;
    int nf;
    const TrainStateField *f = train_state_fields(&nf);
    for (int i = 0; i < nf; i++) {
        char *q = (char *)&p->st + f[i].offset;
        if (f[i].type == TSF_I64)
            *(int64_t *)q = 1000 + i;
        else
            *(double *)q = rng_uniform(&r);
    }
    assert_int_equal(curves_init(&p->curves, COLS, 3, &err), 0);
    for (size_t i = 0; i < nrows; i++) {
        double v[3] = { rng_uniform(&r), rng_uniform(&r), 0.01 };
        assert_int_equal(curves_push(&p->curves, (int64_t)i, v, &err), 0);
    }
    p->best = malloc(p->net.nparams * sizeof(double));
    assert_non_null(p->best);
    for (size_t k = 0; k < p->net.nparams; k++)
        p->best[k] = rng_uniform(&r);

    Ckpt *c = &p->c;
    c->net = &p->net;
    c->opt = &p->opt;
    c->st = &p->st;
    c->curves = &p->curves;
    c->best = (CkptBest){ 7, 0.125, p->best };
    assert_int_equal(norm_alloc(&c->norm, 3, &err), 0);
    c->norm.kind = NORM_ZSCORE;
    c->norm.target_kind = NORM_MINMAX;
    for (int i = 0; i < 3; i++) {
        c->norm.x_shift[i] = rng_uniform(&r);
        c->norm.x_scale[i] = 1 + rng_uniform(&r);
    }
    c->norm.y_shift = 3.5;
    c->norm.y_scale = 0.25;
    c->feat_names = FEATS;
    c->target_name = "price";
    c->config_text = "[train]\nepochs = 3\nseed = 42\n";
    c->data = (CkptDataId){ 0xfeedfacecafebeefULL, 100, { 70, 20, 10 }, { 1, 2, 0xffffffffffffffffULL } };
}

static void pieces_free(Pieces *p)
{
    norm_free(&p->c.norm);
    curves_free(&p->curves);
    optim_free(&p->opt);
    net_free(&p->net);
    free(p->best);
}

/* Empty objects with p's shapes, ready for ckpt_load. */
static void pieces_blank_like(Pieces *q, const Pieces *p)
{
    Err err = { 0 };
    memset(q, 0, sizeof *q);
    int hidden[NET_MAX_LAYERS];
    for (int l = 1; l < p->net.nlayers; l++)
        hidden[l - 1] = p->net.width[l];
    assert_int_equal(net_init(&q->net, 3, hidden, p->net.nlayers - 1, 1, ACT_TANH, ACT_LINEAR, &err), 0);
    assert_int_equal(optim_init(&q->opt, OPT_SGD, q->net.nparams, &err), 0);
    q->opt.nbufs = p->opt.nbufs;
    for (int b = 0; b < q->opt.nbufs; b++)
        assert_non_null(q->opt.buf[b] = calloc(q->net.nparams, sizeof(double)));
    assert_int_equal(curves_init(&q->curves, COLS, 3, &err), 0);
    assert_non_null(q->best = calloc(q->net.nparams, sizeof(double)));
    q->c.net = &q->net;
    q->c.opt = &q->opt;
    q->c.st = &q->st;
    q->c.curves = &q->curves;
    q->c.best.params = q->best;
}

static void save_ok(const char *path, const Pieces *p)
{
    Err err = { 0 };
    if (ckpt_save(path, &p->c, &err))
        fail_msg("save: %s", err.msg);
}

static int load_into(const char *path, const Pieces *like, Pieces *q, Err *err)
{
    pieces_blank_like(q, like);
    return ckpt_load(path, &q->c, err);
}

static void blank_free(Pieces *q)
{
    ckpt_release(&q->c);
    pieces_free(q);
}

static size_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (size_t)st.st_size;
}

static int count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* ---- tests: round trip -------------------------------------------------- */

static void test_a_checkpoint_round_trips_every_piece_bit_for_bit(void **state)
{
    Fixture *fx = *state;
    const int hidden[] = { 4, 5 };
    Pieces p, q;
    Err err = { 0 };
    pieces_make(&p, hidden, 2, 2, 37, 11);
    save_ok(fx->path, &p);
    if (load_into(fx->path, &p, &q, &err))
        fail_msg("load: %s", err.msg);
    assert_memory_equal(q.net.params, p.net.params, p.net.nparams * sizeof(double));
    assert_int_equal(q.opt.t, p.opt.t);
    for (int b = 0; b < 2; b++)
        assert_memory_equal(q.opt.buf[b], p.opt.buf[b], p.net.nparams * sizeof(double));
    assert_memory_equal(&q.st, &p.st, sizeof p.st);
    assert_int_equal(q.curves.n, 37);
    assert_memory_equal(q.curves.epoch, p.curves.epoch, 37 * sizeof(int64_t));
    for (int j = 0; j < 3; j++)
        assert_memory_equal(q.curves.cols[j], p.curves.cols[j], 37 * sizeof(double));
    assert_int_equal(q.c.best.epoch, 7);
    assert_true(q.c.best.val_loss == 0.125);
    assert_memory_equal(q.best, p.best, p.net.nparams * sizeof(double));
    assert_int_equal(q.c.norm.kind, NORM_ZSCORE);
    assert_int_equal(q.c.norm.target_kind, NORM_MINMAX);
    assert_memory_equal(q.c.norm.x_shift, p.c.norm.x_shift, 3 * sizeof(double));
    assert_memory_equal(q.c.norm.x_scale, p.c.norm.x_scale, 3 * sizeof(double));
    assert_true(q.c.norm.y_shift == 3.5 && q.c.norm.y_scale == 0.25);
    assert_string_equal(q.c.config_text, p.c.config_text);
    assert_memory_equal(&q.c.data, &p.c.data, sizeof p.c.data);
    assert_int_equal(count_prefixed(fx->dir, "ckpt.h5.tmp"), 0);
    blank_free(&q);
    pieces_free(&p);
}

static void test_a_mid_epoch_rollback_point_round_trips_and_is_absent_otherwise(void **state)
{
    Fixture *fx = *state;
    const int hidden[] = { 3 };
    Pieces p, q;
    Err err = { 0 };
    pieces_make(&p, hidden, 1, 2, 5, 13);
    size_t n = 3 * p.net.nparams; /* params and two optimizer buffers */
    double *vals = malloc(n * sizeof(double)), *room = calloc(n, sizeof(double));
    assert_true(vals && room);
    for (size_t k = 0; k < n; k++)
        vals[k] = 0.5 + (double)k / 7.0;
    TrainState at = p.st;
    at.epoch_step = 0;
    at.lr_scale = 0.25;
    p.c.roll = (CkptRollback){ 1, at, 777, vals };
    save_ok(fx->path, &p);
    pieces_blank_like(&q, &p);
    q.c.roll.vals = room;
    if (ckpt_load(fx->path, &q.c, &err))
        fail_msg("load: %s", err.msg);
    assert_int_equal(q.c.roll.held, 1);
    assert_int_equal(q.c.roll.t, 777);
    assert_memory_equal(&q.c.roll.st, &at, sizeof at);
    assert_memory_equal(room, vals, n * sizeof(double));
    blank_free(&q);

    p.c.roll.held = 0; /* an epoch-boundary checkpoint has none */
    save_ok(fx->path, &p);
    pieces_blank_like(&q, &p);
    q.c.roll.vals = room;
    q.c.roll.held = 1;
    assert_int_equal(ckpt_load(fx->path, &q.c, &err), 0);
    assert_int_equal(q.c.roll.held, 0);
    blank_free(&q);

    vals[4] = NAN; /* never written with a non-finite value */
    p.c.roll.held = 1;
    assert_int_equal(ckpt_save(fx->path, &p.c, &err), E_NUMERIC);
    assert_non_null(strstr(err.msg, "the rollback point holds a non-finite value"));
    free(vals);
    free(room);
    pieces_free(&p);
}

static void test_equal_content_gives_a_byte_identical_file(void **state)
{
    Fixture *fx = *state;
    const int hidden[] = { 3 };
    Pieces p;
    char other[160];
    snprintf(other, sizeof other, "%s/again.h5", fx->dir);
    pieces_make(&p, hidden, 1, 0, 5, 3);
    save_ok(fx->path, &p);
    save_ok(other, &p);
    size_t n = file_size(fx->path);
    assert_int_equal(file_size(other), n);
    char *a = malloc(n), *b = malloc(n);
    FILE *fa = fopen(fx->path, "rb"), *fb = fopen(other, "rb");
    assert_int_equal(fread(a, 1, n, fa), n);
    assert_int_equal(fread(b, 1, n, fb), n);
    fclose(fa);
    fclose(fb);
    assert_memory_equal(a, b, n);
    free(a);
    free(b);
    pieces_free(&p);
}

/* The TrainState is saved through train_state_fields(): one attribute per
 * row, so a field added to the table is saved with no change elsewhere. */
static void test_state_is_saved_field_by_field_from_the_field_table(void **state)
{
    Fixture *fx = *state;
    const int hidden[] = { 2 };
    Pieces p;
    pieces_make(&p, hidden, 1, 0, 1, 5);
    save_ok(fx->path, &p);
    hid_t f = H5Fopen(fx->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    int nf;
    const TrainStateField *fields = train_state_fields(&nf);
    for (int i = 0; i < nf; i++) {
        if (H5Aexists_by_name(f, "/state", fields[i].name, H5P_DEFAULT) <= 0)
            fail_msg("/state has no attribute %s", fields[i].name);
        hid_t a = H5Aopen_by_name(f, "/state", fields[i].name, H5P_DEFAULT, H5P_DEFAULT);
        int64_t iv = 0;
        double dv = 0;
        if (fields[i].type == TSF_I64) {
            assert_true(H5Aread(a, H5T_NATIVE_INT64, &iv) >= 0);
            assert_int_equal(iv, *(int64_t *)((char *)&p.st + fields[i].offset));
        } else {
            assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &dv) >= 0);
            assert_memory_equal(&dv, (char *)&p.st + fields[i].offset, sizeof dv);
        }
        H5Aclose(a);
    }
    H5Fclose(f);
    pieces_free(&p);
}

/* ---- tests: damage ------------------------------------------------------ */

static void flip_byte(const char *path, long offset)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char b;
    assert_int_equal(pread(fd, &b, 1, offset), 1);
    b ^= 0x10;
    assert_int_equal(pwrite(fd, &b, 1, offset), 1);
    close(fd);
}

static long data_offset(const char *path, const char *obj)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t d = H5Dopen2(f, obj, H5P_DEFAULT);
    assert_true(d >= 0);
    haddr_t off = H5Dget_offset(d);
    assert_true(off != HADDR_UNDEF);
    H5Dclose(d);
    H5Fclose(f);
    return (long)off;
}

static void test_a_flipped_byte_in_any_dataset_is_caught_by_the_checksum(void **state)
{
    Fixture *fx = *state;
    const int hidden[] = { 4 };
    const char *objs[] = { "/model/W1", "/model/b2", "/optim/state", "/curves/val_loss",
                           "/curves/epoch", "/best/params", "/norm/x_scale" };
    for (size_t i = 0; i < sizeof objs / sizeof objs[0]; i++) {
        Pieces p, q;
        Err err = { 0 };
        pieces_make(&p, hidden, 1, 1, 9, 21);
        save_ok(fx->path, &p);
        flip_byte(fx->path, data_offset(fx->path, objs[i]) + 5);
        /* HDF5 still reads the file: only the checksum can tell. */
        hid_t f = H5Fopen(fx->path, H5F_ACC_RDONLY, H5P_DEFAULT);
        assert_true(f >= 0);
        H5Fclose(f);
        int rc = load_into(fx->path, &p, &q, &err);
        if (rc != E_PARSE)
            fail_msg("%s: a flipped byte was not caught (rc %d: %s)", objs[i], rc, err.msg);
        assert_contains(err.msg, "checksum mismatch");
        assert_contains(err.msg, fx->path);
        char *text = NULL;
        assert_int_equal(ckpt_read_config(fx->path, &text, &err), E_PARSE);
        assert_null(text);
        blank_free(&q);
        pieces_free(&p);
    }
}

static void test_a_truncated_checkpoint_is_reported_as_damaged(void **state)
{
    Fixture *fx = *state;
    const int hidden[] = { 8, 8 };
    Pieces p;
    pieces_make(&p, hidden, 2, 1, 50, 4);
    save_ok(fx->path, &p);
    size_t n = file_size(fx->path);
    const size_t cuts[] = { n - 1, n - 100, n / 2, 2048, 100, 0 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        Pieces q;
        Err err = { 0 };
        save_ok(fx->path, &p);
        assert_int_equal(truncate(fx->path, (off_t)cuts[i]), 0);
        int rc = load_into(fx->path, &p, &q, &err);
        if (rc != E_PARSE)
            fail_msg("cut to %zu of %zu bytes: rc %d (%s)", cuts[i], n, rc, err.msg);
        assert_contains(err.msg, fx->path);
        blank_free(&q);
    }
    pieces_free(&p);
}

static void test_a_file_of_another_format_is_refused_naming_it(void **state)
{
    Fixture *fx = *state;
    Curves c;
    Pieces p, q;
    Err err = { 0 };
    assert_int_equal(curves_init(&c, COLS, 3, &err), 0);
    assert_int_equal(h5_curves_save(fx->path, &c, &err), 0);
    curves_free(&c);
    const int hidden[] = { 2 };
    pieces_make(&p, hidden, 1, 0, 1, 1);
    assert_int_equal(load_into(fx->path, &p, &q, &err), E_PARSE);
    assert_contains(err.msg, "format attribute is \"housenet-curves\"");
    blank_free(&q);
    pieces_free(&p);
}

/* ---- tests: refusals and failures ---------------------------------------- */

static void test_non_finite_parameters_or_state_are_never_written(void **state)
{
    Fixture *fx = *state;
    const int hidden[] = { 3 };
    Pieces p;
    Err err = { 0 };
    pieces_make(&p, hidden, 1, 1, 2, 8);
    p.net.params[4] = NAN;
    assert_int_equal(ckpt_save(fx->path, &p.c, &err), E_NUMERIC);
    assert_contains(err.msg, "non-finite");
    p.net.params[4] = 0.5;
    p.opt.buf[0][2] = INFINITY;
    assert_int_equal(ckpt_save(fx->path, &p.c, &err), E_NUMERIC);
    assert_int_equal(access(fx->path, F_OK), -1);
    assert_int_equal(count_prefixed(fx->dir, "ckpt.h5"), 0);
    pieces_free(&p);
}

static void test_a_checkpoint_of_another_network_does_not_load(void **state)
{
    Fixture *fx = *state;
    const int small[] = { 3 }, big[] = { 5 };
    Pieces p, other, q;
    Err err = { 0 };
    pieces_make(&p, small, 1, 0, 1, 8);
    pieces_make(&other, big, 1, 0, 1, 8);
    save_ok(fx->path, &p);
    assert_int_equal(load_into(fx->path, &other, &q, &err), E_STATE);
    assert_contains(err.msg, "/model");
    blank_free(&q);
    /* Another optimizer state (buffers) does not fit either. */
    other.opt.nbufs = 0;
    pieces_free(&other);
    pieces_make(&other, small, 1, 2, 1, 8);
    assert_int_equal(load_into(fx->path, &other, &q, &err), E_STATE);
    assert_contains(err.msg, "/optim/state");
    blank_free(&q);
    pieces_free(&other);
    pieces_free(&p);
}

/* A write cut short by the file size limit (as on a full disk) fails with
 * the path and the reason, and the previous checkpoint loads unchanged. */
static void test_a_failed_write_keeps_the_previous_checkpoint(void **state)
{
    Fixture *fx = *state;
    const int hidden[] = { 64, 64 };
    Pieces p, q;
    Err err = { 0 };
    pieces_make(&p, hidden, 2, 1, 20, 2);
    save_ok(fx->path, &p);
    double first = p.net.params[0];
    p.net.params[0] = first + 1;
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 16 * 1024;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = ckpt_save(fx->path, &p.c, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, E_IO);
    assert_contains(err.msg, fx->path);
    assert_contains(err.msg, "File too large");
    assert_int_equal(count_prefixed(fx->dir, "ckpt.h5.tmp"), 0);
    if (load_into(fx->path, &p, &q, &err))
        fail_msg("the previous checkpoint no longer loads: %s", err.msg);
    assert_true(q.net.params[0] == first);
    blank_free(&q);
    pieces_free(&p);
}

/* ---- tests: config, directory, inspect ------------------------------------ */

static void test_config_check_accepts_safe_keys_and_names_the_others(void **state)
{
    (void)state;
    Err err = { 0 };
    const char *saved = "[data]\npath = a.csv\nfeatures = x, y\n\n[model]\nhidden = 2\n\n"
                        "[train]\nepochs = 10\nbatch_size = 32\nseed = 1\nthreads = 0\n\n"
                        "[run]\ndir = runs/a\ncheckpoint_every = 10\n";
    const char *safe = "[data]\npath = ../a.csv\nfeatures = x, y\n\n[model]\nhidden = 2\n\n"
                       "[train]\nepochs = 50\nbatch_size = 32\nseed = 1\nthreads = 3\n\n"
                       "[run]\ndir = runs/b\ncheckpoint_every = 1\n";
    assert_int_equal(ckpt_config_check(saved, saved, &err), 0);
    if (ckpt_config_check(saved, safe, &err))
        fail_msg("safe changes refused: %s", err.msg);
    const char *unsafe = "[data]\npath = a.csv\nfeatures = x, y\n\n[model]\nhidden = 8,8\n\n"
                         "[train]\nepochs = 10\nbatch_size = 64\nseed = 1\nthreads = 0\n\n"
                         "[run]\ndir = runs/a\ncheckpoint_every = 10\n\n[init]\nW1 = 1\n";
    assert_int_equal(ckpt_config_check(saved, unsafe, &err), E_STATE);
    assert_contains(err.msg, "[model] hidden: checkpoint \"2\", now \"8,8\"");
    assert_contains(err.msg, "[train] batch_size: checkpoint \"32\", now \"64\"");
    assert_contains(err.msg, "[init] W1: checkpoint (unset), now \"1\"");
}

static void test_config_check_accepts_a_newer_key_at_its_default(void **state)
{
    (void)state;
    Err err = { 0 };
    const char *saved = "[data]\npath = a.h5\nfeatures = x, y\n";
    const char *now = "[data]\npath = a.h5\nfeatures = x, y\nstream = false\n";
    if (ckpt_config_check(saved, now, &err))
        fail_msg("a key at its default refused: %s", err.msg);
    const char *streamed = "[data]\npath = a.h5\nfeatures = x, y\nstream = true\n";
    assert_int_equal(ckpt_config_check(saved, streamed, &err), E_STATE);
    assert_contains(err.msg, "[data] stream: checkpoint (unset), now \"true\"");
}

/* cfg_text_new breaks a long list after a comma onto indented lines: a
 * change past the first line is a change all the same, and the same list
 * laid out with other breaks (an older writer) is not one. */
static void test_config_check_compares_the_continued_lines_of_a_list(void **state)
{
    (void)state;
    Err err = { 0 };
    const char *saved = "[data]\npath = a.csv\nfeatures = Gr_Liv_Area, TotRms_AbvGrd,\n   Year_Built, Lot_Area\n"
                        "target = Sale_Price\n\n[model]\nhidden = 2\n";
    const char *same = "[data]\npath = a.csv\nfeatures = Gr_Liv_Area,\n    TotRms_AbvGrd, Year_Built,\n   Lot_Area\n"
                       "target = Sale_Price\n\n[model]\nhidden = 2\n";
    if (ckpt_config_check(saved, same, &err))
        fail_msg("the same list with other line breaks refused: %s", err.msg);
    const char *changed = "[data]\npath = a.csv\nfeatures = Gr_Liv_Area, TotRms_AbvGrd,\n   Year_Built, Garage_Cars\n"
                          "target = Sale_Price\n\n[model]\nhidden = 2\n";
    assert_int_equal(ckpt_config_check(saved, changed, &err), E_STATE);
    assert_contains(err.msg, "[data] features: checkpoint \"Gr_Liv_Area, TotRms_AbvGrd, Year_Built, Lot_Area\", "
                             "now \"Gr_Liv_Area, TotRms_AbvGrd, Year_Built, Garage_Cars\"");
}

static void touch(const char *dir, const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
}

static void test_list_is_newest_first_and_prune_keeps_the_newest(void **state)
{
    Fixture *fx = *state;
    Err err = { 0 };
    const char *names[] = { "ckpt-e000002-s000000010.h5", "ckpt-e000010-s000000100.h5",
                            "ckpt-e000009-s000000100.h5", "ckpt-e000000-s000000000.h5",
                            "ckpt-e000011-s000000101.h5", "model.h5", "ckpt-e1-sx.h5",
                            "ckpt-e000003-s000000001.h5.damaged" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        touch(fx->dir, names[i]);
    /* A writer that is gone left a temporary file; a live one's is kept. */
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    assert_true(child > 0);
    waitpid(child, NULL, 0);
    char dead[64], live[64];
    snprintf(dead, sizeof dead, "ckpt-e000012-s000000120.h5.tmp-%ld", (long)child);
    snprintf(live, sizeof live, "ckpt-e000012-s000000120.h5.tmp-%ld", (long)getppid());
    touch(fx->dir, dead);
    touch(fx->dir, live);

    char **paths;
    size_t n;
    assert_int_equal(ckpt_list(fx->dir, &paths, &n, &err), 0);
    assert_int_equal(n, 5);
    const char *order[] = { "e000011-s000000101", "e000010-s000000100", "e000009-s000000100",
                            "e000002-s000000010", "e000000-s000000000" };
    for (size_t i = 0; i < n; i++)
        assert_contains(paths[i], order[i]);
    ckpt_list_free(paths, n);

    assert_int_equal(ckpt_prune(fx->dir, 2, &err), 0);
    assert_int_equal(ckpt_list(fx->dir, &paths, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_contains(paths[0], order[0]);
    assert_contains(paths[1], order[1]);
    ckpt_list_free(paths, n);
    char p[256];
    snprintf(p, sizeof p, "%s/%s", fx->dir, dead);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof p, "%s/%s", fx->dir, live);
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/model.h5", fx->dir);
    assert_int_equal(access(p, F_OK), 0);

    snprintf(p, sizeof p, "%s/nowhere", fx->dir);
    assert_int_equal(ckpt_list(p, &paths, &n, &err), 0);
    assert_int_equal(n, 0);
    ckpt_list_free(paths, n);

    TrainState st = { .epoch = 3, .step = 45 };
    assert_int_equal(ckpt_name("runs/x", &st, p, sizeof p, &err), 0);
    assert_string_equal(p, "runs/x/checkpoints/ckpt-e000003-s000000045.h5");
}

/* Runs ckpt_describe into a string (caller frees). */
static char *describe(const char *path, int *rc, Err *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    *rc = ckpt_describe(path, out, err);
    fclose(out);
    return buf;
}

static void test_inspect_lists_every_piece_and_reports_damage(void **state)
{
    Fixture *fx = *state;
    const int hidden[] = { 2 };
    Pieces p;
    Err err = { 0 };
    int rc;
    pieces_make(&p, hidden, 1, 1, 12, 6);
    save_ok(fx->path, &p);
    char *s = describe(fx->path, &rc, &err);
    assert_int_equal(rc, 0);
    const char *want[] = { "housenet-checkpoint version 1", ": ok", "/model/W1", "float64 (2, 3)",
                           "@epoch = 1000", "@kind = \"sgd\"", "/optim/state", "float64 (1, 11)",
                           "/curves/epoch", "int64 (12,) = [0, 1, 2, 3, ..., 10, 11]",
                           "@fingerprint = 0xfeedfacecafebeef", "@rows = [70, 20, 10]",
                           "/config:\n[train]\nepochs = 3" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_contains(s, want[i]);
    free(s);
    flip_byte(fx->path, data_offset(fx->path, "/best/params"));
    s = describe(fx->path, &rc, &err);
    assert_int_equal(rc, E_PARSE);
    assert_contains(s, "checksum mismatch");
    free(s);
    pieces_free(&p);
}

/* ---- tests: resuming a run through its checkpoint files ------------------ */

/* `housenet train` on configs/ames.ini (a small, quick network with a
 * checkpoint every 13 steps and every epoch, all kept) into fx->dir/run, plus args, with
 * the stop flag stop (may be NULL); the progress stream goes to *log
 * (caller frees). Returns run_train's code. */
static int train_cli(const Fixture *fx, const char *run, const char *const *args, int nargs,
                     volatile sig_atomic_t *stop, char **log, Err *err)
{
    char dir[160];
    snprintf(dir, sizeof dir, "run.dir=%s/%s", fx->dir, run);
    char *argv[48] = { SOURCE_DIR "/configs/ames.ini", "--quiet", "--set", dir,
                       "--set", "model.hidden=3", "--set", "train.epochs=4",
                       "--set", "train.batch_size=50", "--set", "run.checkpoint_every_steps=13",
                       "--set", "run.keep_checkpoints=1000", "--set", "train.threads=2",
                       "--set", "run.checkpoint_every=1" };
    int argc = 18;
    for (int i = 0; i < nargs; i++)
        argv[argc++] = (char *)args[i];
    size_t len = 0;
    RunArgs a = { 0 };
    a.stop = stop;
    a.out = fopen("/dev/null", "w");
    a.progress = open_memstream(log, &len);
    assert_non_null(a.out);
    assert_non_null(a.progress);
    int rc = cmd_train_args("train", argc, argv, &a, err);
    if (rc == 0)
        rc = run_train(&a, err);
    fclose(a.out);
    fclose(a.progress);
    return rc;
}

static void train_ok(const Fixture *fx, const char *run, const char *const *args, int nargs)
{
    Err err = { 0 };
    char *log = NULL;
    if (train_cli(fx, run, args, nargs, NULL, &log, &err))
        fail_msg("%s: %s", run, err.msg);
    free(log);
}

/* The parameters of fx->dir/run/model.h5 (caller frees). */
static double *model_params(const Fixture *fx, const char *run, size_t *n)
{
    char p[200];
    snprintf(p, sizeof p, "%s/%s/model.h5", fx->dir, run);
    Model m;
    Err err = { 0 };
    if (h5_model_load(p, &m, &err))
        fail_msg("%s", err.msg);
    double *v = malloc(m.net.nparams * sizeof(double));
    memcpy(v, m.net.params, m.net.nparams * sizeof(double));
    *n = m.net.nparams;
    model_free(&m);
    return v;
}

/* Fails unless run's model.h5 and curves (epochs 0..4, losses) equal ref's. */
static void assert_same_run(const Fixture *fx, const char *run, const char *ref, const char *what)
{
    size_t n1, n2;
    double *a = model_params(fx, run, &n1), *b = model_params(fx, ref, &n2);
    if (n1 != n2 || memcmp(a, b, n1 * sizeof(double)) != 0)
        fail_msg("%s: parameters differ from the uninterrupted run", what);
    free(a);
    free(b);
    Curves ca, cb;
    Err err = { 0 };
    char p[200];
    snprintf(p, sizeof p, "%s/%s/curves.h5", fx->dir, run);
    assert_int_equal(h5_curves_load(p, &ca, &err), 0);
    snprintf(p, sizeof p, "%s/%s/curves.h5", fx->dir, ref);
    assert_int_equal(h5_curves_load(p, &cb, &err), 0);
    if (ca.n != cb.n)
        fail_msg("%s: %zu curve rows, the uninterrupted run has %zu", what, ca.n, cb.n);
    for (size_t i = 0; i < ca.n; i++)
        if (ca.epoch[i] != (int64_t)i)
            fail_msg("%s: curve row %zu is epoch %lld", what, i, (long long)ca.epoch[i]);
    for (int j = 0; j < 2; j++) /* train_loss, val_loss; the timings differ */
        if (memcmp(ca.cols[j], cb.cols[j], ca.n * sizeof(double)) != 0)
            fail_msg("%s: curve %s differs", what, ca.names[j]);
    curves_free(&ca);
    curves_free(&cb);
}

static void test_runs_resumed_from_their_checkpoint_files_end_bit_identical(void **state)
{
    Fixture *fx = *state;
    Err err = { 0 };
    train_ok(fx, "ref", NULL, 0);
    char dir[160], **paths;
    size_t n;
    snprintf(dir, sizeof dir, "%s/ref/" CKPT_SUBDIR, fx->dir);
    assert_int_equal(ckpt_list(dir, &paths, &n, &err), 0);
    /* 41 steps per epoch: the start, mid-epoch points, epoch ends, the end. */
    assert_int_equal(n, 1 + 12 + 4);
    const char *want[] = { "e000000-s000000000", "e000000-s000000013", "e000000-s000000039",
                           "e000001-s000000041", "e000001-s000000052", "e000002-s000000117",
                           "e000003-s000000123", "e000003-s000000156", "e000004-s000000164" };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        const char *path = NULL;
        for (size_t i = 0; i < n && !path; i++)
            if (strstr(paths[i], want[w]))
                path = paths[i];
        if (!path)
            fail_msg("no checkpoint %s", want[w]);
        char run[32], from[200];
        snprintf(run, sizeof run, "r%zu", w);
        snprintf(from, sizeof from, "--resume=%s", path);
        /* Another thread count than the reference's 2. */
        const char *args[] = { from, "--set", "train.threads=1" };
        train_ok(fx, run, args, 3);
        assert_same_run(fx, run, "ref", want[w]);
    }
    ckpt_list_free(paths, n);
}

/* A stop request (what SIGINT and SIGTERM set) is seen after the step in
 * progress: E_STOP naming the checkpoint, which resumes to the same end. */
static void test_a_run_stopped_by_a_request_resumes_to_the_same_end(void **state)
{
    Fixture *fx = *state;
    Err err = { 0 };
    char *log = NULL;
    train_ok(fx, "ref", NULL, 0);
    volatile sig_atomic_t stop = SIGTERM; /* already requested: stops after step 1 */
    assert_int_equal(train_cli(fx, "run", NULL, 0, &stop, &log, &err), E_STOP);
    free(log);
    assert_contains(err.msg, "stopped by SIGTERM after step 1 (epoch 1, step 1 of it); checkpoint ");
    assert_contains(err.msg, "/run/" CKPT_SUBDIR "/ckpt-e000000-s000000001.h5");
    const char *args[] = { "--resume" };
    train_ok(fx, "run", args, 1);
    assert_same_run(fx, "run", "ref", "stopped after step 1");
}

static void test_a_resume_with_more_epochs_equals_a_longer_run(void **state)
{
    Fixture *fx = *state;
    const char *five[] = { "--set", "train.epochs=5" };
    train_ok(fx, "long", five, 2);
    train_ok(fx, "short", NULL, 0);
    const char *more[] = { "--resume", "--set", "train.epochs=5", "--set", "run.checkpoint_every=1" };
    train_ok(fx, "short", more, 5);
    assert_same_run(fx, "short", "long", "resumed with epochs 4 -> 5");
}

static void test_a_resume_refuses_a_changed_model_naming_the_key_unless_forced(void **state)
{
    Fixture *fx = *state;
    Err err = { 0 };
    char *log = NULL;
    train_ok(fx, "run", NULL, 0);
    const char *args[] = { "--resume", "--set", "train.batch_size=64", "--set", "train.seed=5" };
    assert_int_equal(train_cli(fx, "run", args, 5, NULL, &log, &err), E_STATE);
    assert_contains(err.msg, "[train] batch_size: checkpoint \"50\", now \"64\"");
    assert_contains(err.msg, "[train] seed: checkpoint \"42\", now \"5\"");
    assert_contains(err.msg, "--force");
    free(log);
    const char *forced[] = { "--resume", "--force", "--set", "train.batch_size=64" };
    assert_int_equal(train_cli(fx, "run", forced, 4, NULL, &log, &err), 0);
    assert_contains(log, "warning: --force: the config differs");
    free(log);
    /* A change of the network's shape cannot be forced into the checkpoint. */
    const char *shape[] = { "--resume", "--force", "--set", "model.hidden=4" };
    assert_int_equal(train_cli(fx, "run", shape, 4, NULL, &log, &err), E_STATE);
    assert_contains(err.msg, "/model");
    free(log);
}

static void test_a_new_run_into_a_used_run_dir_is_refused_unless_forced(void **state)
{
    Fixture *fx = *state;
    Err err = { 0 };
    char *log = NULL;
    const char *longer[] = { "--set", "train.epochs=6" };
    train_ok(fx, "run", longer, 2);
    assert_int_equal(train_cli(fx, "run", NULL, 0, NULL, &log, &err), E_USAGE);
    assert_contains(err.msg, "already holds a run (model.h5, best.h5, curves.h5, ");
    assert_contains(err.msg, "--resume");
    free(log);
    const char *force[] = { "--force" };
    assert_int_equal(train_cli(fx, "run", force, 1, NULL, &log, &err), 0);
    assert_contains(log, "--force: removed the earlier run's files");
    free(log);
    /* None of the longer run's checkpoints is left for a later --resume. */
    char dir[160], **paths;
    size_t n;
    snprintf(dir, sizeof dir, "%s/run/" CKPT_SUBDIR, fx->dir);
    assert_int_equal(ckpt_list(dir, &paths, &n, &err), 0);
    assert_contains(paths[0], "e000004-s000000164");
    ckpt_list_free(paths, n);
}

static void test_a_resume_falls_back_past_a_damaged_checkpoint_with_a_warning(void **state)
{
    Fixture *fx = *state;
    Err err = { 0 };
    char *log = NULL, dir[160], **paths;
    size_t n;
    train_ok(fx, "ref", NULL, 0);
    const char *three[] = { "--set", "train.epochs=3" };
    train_ok(fx, "run", three, 2);
    snprintf(dir, sizeof dir, "%s/run/" CKPT_SUBDIR, fx->dir);
    assert_int_equal(ckpt_list(dir, &paths, &n, &err), 0);
    char newest[200];
    snprintf(newest, sizeof newest, "%s", paths[0]);
    ckpt_list_free(paths, n);
    flip_byte(newest, data_offset(newest, "/model/W1") + 3);
    const char *args[] = { "--resume", "--set", "train.epochs=4" };
    assert_int_equal(train_cli(fx, "run", args, 3, NULL, &log, &err), 0);
    assert_contains(log, "checksum mismatch");
    assert_contains(log, ".damaged; trying the previous checkpoint");
    assert_contains(log, newest);
    free(log);
    char damaged[220];
    snprintf(damaged, sizeof damaged, "%s.damaged", newest);
    assert_int_equal(access(damaged, F_OK), 0);
    assert_same_run(fx, "run", "ref", "resumed past a damaged checkpoint");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_a_checkpoint_round_trips_every_piece_bit_for_bit),
        T(test_a_mid_epoch_rollback_point_round_trips_and_is_absent_otherwise),
        T(test_equal_content_gives_a_byte_identical_file),
        T(test_state_is_saved_field_by_field_from_the_field_table),
        T(test_a_flipped_byte_in_any_dataset_is_caught_by_the_checksum),
        T(test_a_truncated_checkpoint_is_reported_as_damaged),
        T(test_a_file_of_another_format_is_refused_naming_it),
        T(test_non_finite_parameters_or_state_are_never_written),
        T(test_a_checkpoint_of_another_network_does_not_load),
        T(test_a_failed_write_keeps_the_previous_checkpoint),
        T(test_config_check_accepts_safe_keys_and_names_the_others),
        T(test_config_check_accepts_a_newer_key_at_its_default),
        T(test_config_check_compares_the_continued_lines_of_a_list),
        T(test_list_is_newest_first_and_prune_keeps_the_newest),
        T(test_inspect_lists_every_piece_and_reports_damage),
        T(test_runs_resumed_from_their_checkpoint_files_end_bit_identical),
        T(test_a_run_stopped_by_a_request_resumes_to_the_same_end),
        T(test_a_resume_with_more_epochs_equals_a_longer_run),
        T(test_a_resume_refuses_a_changed_model_naming_the_key_unless_forced),
        T(test_a_new_run_into_a_used_run_dir_is_refused_unless_forced),
        T(test_a_resume_falls_back_past_a_damaged_checkpoint_with_a_warning),
#undef T
    };
    if (H5open() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
