/* checkpoint: checkpoint files and `inspect` (see checkpoint.h); the
 * module's other parts are ckptwalk.c (the checksum walker), ckptid.c (what
 * identifies the data and the config) and ckptdir.c (a run's checkpoint
 * directory). Owns the checkpoint layout;
 * does not own model.h5/curves.h5 (h5model.c), the crash-safe replacement
 * (atomic.c) nor when checkpoints are written (run.c).
 *
 * Layout (all numbers little-endian; strings variable-length UTF-8):
 *   /          attrs format = "housenet-checkpoint", version = 1 (int32),
 *                    checksum (uint64, see below)
 *   /model     as in model.h5: attrs layers, activations; W<l>, b<l>
 *   /norm      as in model.h5: attrs kind, target_kind, y_shift, y_scale,
 *              target_name; x_shift, x_scale, feature_names
 *   /config    string scalar: the resolved config text
 *   /state     one scalar attr per TrainState field (int64 or float64)
 *   /optim     attrs kind (string), t (int64); state float64 (nbufs, nparams)
 *   /curves    epoch int64 (n); one float64 (n) per column, creation order
 *   /best      attrs epoch (int64, -1 = none), val_loss; params float64 (nparams)
 *   /rollback  (mid-epoch checkpoints only) as /state, one attr per TrainState
 *              field, plus t (int64); values float64 (1 + nbufs, nparams):
 *              the params, then the optimizer buffers, at the epoch's start
 *   /data      attrs fingerprint (uint64), rows_read (int64),
 *              rows (int64, 3), split_hash (uint64, 3): train, val, test
 * Flat arrays (optim/state rows, best/params) use the params layout: for
 * l = 1..L, W<l> row-major then b<l>.
 *
 * Checksum: 64-bit FNV-1a over the whole content in a fixed order, so that
 * any changed byte of data is caught even where HDF5 still reads the file.
 * Objects are visited depth first, links in name order, starting at "/";
 * for each: its absolute path and a NUL, then each attribute in name order
 * (name, NUL, values), then a dataset's values. Values are the stored bytes
 * of numbers, and each string's UTF-8 bytes followed by a NUL. The root's
 * checksum attribute itself is left out. One walker (ckpt_walk, ckptwalk.c)
 * computes it when saving, when loading and for `inspect`, which also prints
 * as it walks.
 *
 * The file is built in memory with the core driver and written with
 * atomic_write_file(), as h5model.c does and for the same reasons (see its
 * header). The HDF5 plumbing (CHECK_H5, the in-memory file and its image,
 * attribute writing) is io/h5util.c's and the readers of attributes,
 * strings and objects io/h5io.c's; the small writer here takes a context,
 * and the walker is ckptwalk.c. */
#include "checkpoint.h"

#define H5U_SRC "io/checkpoint.c"
#define H5U_PATH_PREC -1
#include "h5util.h"

#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "ckptwalk.h"
#include "colname.h"
#include "h5io.h"
#include "h5modelpart.h"


/* ---- writing ------------------------------------------------------------ */

/* An in-memory file being built, with the types and property lists every
 * object shares. Times are not tracked, so equal content gives equal bytes. */
typedef struct Writer {
    hid_t f;
    hid_t str;       /* variable-length UTF-8 string */
    hid_t gcpl;      /* groups */
    hid_t gcpl_ord;  /* groups whose links keep creation order (/curves) */
    hid_t dcpl;      /* datasets */
    hid_t dxpl;      /* transfers */
    const char *path;
    Err *err;
} Writer;

static void writer_close(Writer *w, int *rcp)
{
    int rc = *rcp;
    const char *path = w->path, *where = "";
    Err *err = w->err;
    CLOSE_H5(w->dxpl, H5Pclose);
    CLOSE_H5(w->dcpl, H5Pclose);
    CLOSE_H5(w->gcpl_ord, H5Pclose);
    CLOSE_H5(w->gcpl, H5Pclose);
    CLOSE_H5(w->str, H5Tclose);
    CLOSE_H5(w->f, H5Fclose);
    *rcp = rc;
}

static int writer_open(Writer *w, const char *path, Err *err)
{
    const char *where = "";
    int rc = 0;
    w->f = w->str = w->gcpl = w->gcpl_ord = w->dcpl = w->dxpl = H5I_INVALID_HID;
    w->path = path;
    w->err = err;
    TRY(h5u_mem_create(path, &w->f, err));
    CHECK_H5(w->str = H5Tcopy(H5T_C_S1));
    CHECK_H5(H5Tset_size(w->str, H5T_VARIABLE));
    CHECK_H5(H5Tset_cset(w->str, H5T_CSET_UTF8));
    CHECK_H5(w->gcpl = H5Pcreate(H5P_GROUP_CREATE));
    CHECK_H5(H5Pset_obj_track_times(w->gcpl, 0));
    CHECK_H5(w->gcpl_ord = H5Pcopy(w->gcpl));
    CHECK_H5(H5Pset_link_creation_order(w->gcpl_ord, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
    CHECK_H5(w->dcpl = H5Pcreate(H5P_DATASET_CREATE));
    CHECK_H5(H5Pset_obj_track_times(w->dcpl, 0));
    CHECK_H5(w->dxpl = ckpt_xfer_new());
done:
    if (rc)
        writer_close(w, &rc);
    return rc;
}

static int w_group(Writer *w, const char *obj, int ordered)
{
    const char *path = w->path, *where = obj;
    Err *err = w->err;
    hid_t g = H5I_INVALID_HID;
    int rc = 0;
    CHECK_H5(g = H5Gcreate2(w->f, obj, H5P_DEFAULT, ordered ? w->gcpl_ord : w->gcpl, H5P_DEFAULT));
done:
    CLOSE_H5(g, H5Gclose);
    return rc;
}

/* Attribute obj@name: a scalar when n == 0, else n values of mtype at buf
 * (strings: an array of char *, ftype = mtype = w->str). */
static int w_attr(Writer *w, const char *obj, const char *name, hid_t ftype, hid_t mtype,
                  hsize_t n, const void *buf)
{
    return h5u_write_attr(w->f, obj, name, ftype, mtype, n, buf, w->path, w->err);
}

static int w_attr_str(Writer *w, const char *obj, const char *name, const char *s)
{
    return w_attr(w, obj, name, w->str, w->str, 0, &s);
}

static int w_attr_i64(Writer *w, const char *obj, const char *name, int64_t v)
{
    return w_attr(w, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 0, &v);
}

static int w_attr_f64(Writer *w, const char *obj, const char *name, double v)
{
    return w_attr(w, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &v);
}

/* Contiguous dataset obj of rank 0 (scalar), 1 or 2; buf in mtype. */
static int w_dset(Writer *w, const char *obj, hid_t ftype, hid_t mtype, int rank,
                  const hsize_t *dims, const void *buf)
{
    const char *path = w->path, *where = obj;
    Err *err = w->err;
    hid_t sp = H5I_INVALID_HID, d = H5I_INVALID_HID;
    hsize_t npoints = 1;
    int rc = 0;
    for (int i = 0; i < rank; i++)
        npoints *= dims[i];
    CHECK_H5(sp = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR));
    CHECK_H5(d = H5Dcreate2(w->f, obj, ftype, sp, H5P_DEFAULT, w->dcpl, H5P_DEFAULT));
    if (npoints)
        CHECK_H5(H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, w->dxpl, buf));
done:
    CLOSE_H5(d, H5Dclose);
    CLOSE_H5(sp, H5Sclose);
    return rc;
}

static int w_dset_f64(Writer *w, const char *obj, int rank, const hsize_t *dims, const double *buf)
{
    return w_dset(w, obj, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, rank, dims, buf);
}

/* ---- reading ------------------------------------------------------------ */

/* The readers are h5io's (io/h5io.h); before each, a check that obj is
 * there, whose message says what a missing object means here. */

/* E_PARSE naming the first missing link of obj (an absolute path). */
static int need_obj(hid_t f, const char *obj, const char *path, Err *err)
{
    char missing[H5IO_OBJ_MAX];
    int rc = h5io_missing_link(f, obj, missing, path, err);
    if (rc == 0 && missing[0])
        rc = err_set(err, E_PARSE, "%s: %s: missing (not a complete housenet checkpoint)", path, missing);
    return rc;
}

/* Numeric attribute obj@name of class cls holding exactly n values (n = 1:
 * a scalar or one value) into buf as mtype. */
static int r_attr(hid_t f, const char *obj, const char *name, H5T_class_t cls, hid_t mtype,
                  size_t n, void *buf, const char *path, Err *err)
{
    size_t got = 0;
    int rc = need_obj(f, obj, path, err);
    if (rc == 0)
        rc = h5io_read_num_attr(f, obj, name, cls, mtype, buf, n, &got, path, err);
    if (rc == 0 && got != n)
        rc = err_set(err, E_PARSE, "%s: %s attribute \"%s\": %zu values, expected %zu", path, obj, name, got, n);
    return rc;
}

/* String attribute obj@name into *out, a new string. */
static int r_string(hid_t f, const char *obj, const char *name, char **out, const char *path, Err *err)
{
    int rc = need_obj(f, obj, path, err);
    return rc ? rc : h5io_read_str_attr(f, obj, name, out, path, err);
}

/* Numeric dataset obj of class cls and shape dims[0..rank) into buf as
 * mtype. A wrong shape is E_STATE: the file is sound, but not this run's. */
static int r_dset(hid_t f, const char *obj, H5T_class_t cls, hid_t mtype, int rank,
                  const hsize_t *dims, void *buf, const char *path, Err *err)
{
    const char *where = obj;
    hid_t d = H5I_INVALID_HID, t = H5I_INVALID_HID, sp = H5I_INVALID_HID, dxpl = H5I_INVALID_HID;
    hsize_t got[H5S_MAX_RANK];
    char s1[96], s2[96];
    H5T_class_t gotcls;
    hsize_t npoints = 1;
    int rc = 0, gotrank;
    TRY(need_obj(f, obj, path, err));
    TRY(h5io_open_obj(f, obj, H5I_DATASET, &d, path, err));
    CHECK_H5(t = H5Dget_type(d));
    CHECK_H5(gotcls = H5Tget_class(t));
    if (gotcls != cls)
        FAIL(E_PARSE, "%s: %s: expected %s values", path, obj, cls == H5T_FLOAT ? "float" : "integer");
    CHECK_H5(sp = H5Dget_space(d));
    CHECK_H5(gotrank = H5Sget_simple_extent_dims(sp, got, NULL));
    if (gotrank != rank || (rank && memcmp(got, dims, (size_t)rank * sizeof *dims) != 0))
        FAIL(E_STATE, "%s: %s: shape %s does not fit this run's %s", path, obj,
             h5u_fmt_shape(s1, sizeof s1, gotrank, got), h5u_fmt_shape(s2, sizeof s2, rank, dims));
    for (int i = 0; i < rank; i++)
        npoints *= dims[i];
    CHECK_H5(dxpl = ckpt_xfer_new());
    if (npoints)
        CHECK_H5(H5Dread(d, mtype, H5S_ALL, H5S_ALL, dxpl, buf));
done:
    CLOSE_H5(dxpl, H5Pclose);
    CLOSE_H5(sp, H5Sclose);
    CLOSE_H5(t, H5Tclose);
    CLOSE_H5(d, H5Oclose);
    return rc;
}

/* Opens path read-only and checks the root format and version; *format
 * (optional) gets a new copy of the format string. E_IO when path cannot
 * be opened; E_PARSE when it is not HDF5 (a truncated file is reported
 * here by HDF5), has no format, or want != NULL and the format differs. */
static int open_file(const char *path, const char *want, int max_version, hid_t *out,
                     char **format, Err *err)
{
    const char *where = "";
    hid_t f = H5I_INVALID_HID;
    char *got = NULL;
    long long version = 0;
    htri_t ok;
    int rc = 0, is_h5;

    TRY(h5u_probe(path, H5U_PATH_PREC, &is_h5, err));
    if (!is_h5)
        FAIL(E_PARSE, "%s: not an HDF5 file (expected a housenet checkpoint)", path);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        /* A truncated file opens no further than this. */
        char why[H5U_WHY_MAX];
        h5u_why(why);
        FAIL(E_PARSE, "%s: damaged: HDF5 cannot open it (%s)", path, why);
    }
    where = "/";
    CHECK_H5(ok = H5Aexists(f, "format"));
    if (!ok)
        FAIL(E_PARSE, "%s: not a housenet file (no format attribute)", path);
    TRY(r_string(f, "/", "format", &got, path, err));
    if (want && strcmp(got, want) != 0)
        FAIL(E_PARSE, "%s: not a %s file (format attribute is \"%.40s\")", path, want, got);
    TRY(r_attr(f, "/", "version", H5T_INTEGER, H5T_NATIVE_LLONG, 1, &version, path, err));
    if (version < 1 || version > max_version)
        FAIL(E_PARSE, "%s: %s version %lld; this housenet reads 1 to %d", path, got, version,
             max_version);
    *out = f;
    f = H5I_INVALID_HID;
    if (format) {
        *format = got;
        got = NULL;
    }
done:
    free(got);
    CLOSE_H5(f, H5Fclose);
    return rc;
}

/* Recomputes the content checksum of open checkpoint f and compares it
 * with the stored one; *stored and *computed (optional) get both. */
static int check_sum(hid_t f, const char *path, uint64_t *stored, uint64_t *computed, Err *err)
{
    uint64_t want = 0, got = 0;
    int rc = r_attr(f, "/", "checksum", H5T_INTEGER, H5T_NATIVE_UINT64, 1, &want, path, err);
    if (rc == 0)
        rc = ckpt_walk(f, path, NULL, &got, err);
    if (rc == E_HDF5) {
        /* Damage HDF5 notices while reading (a cut-off object, a bad header). */
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len, "; the file is damaged");
        rc = err->code = E_PARSE;
    }
    if (stored)
        *stored = want;
    if (computed)
        *computed = got;
    int mismatch = rc == 0 && want != got;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    mismatch = 0; /* the fuzz build lets changed bytes reach the readers behind the checksum */
#endif
    if (mismatch)
        rc = err_set(err, E_PARSE,
                     "%s: damaged: checksum mismatch (stored 0x%016llx, content 0x%016llx)", path,
                     (unsigned long long)want, (unsigned long long)got);
    return rc;
}

/* ---- save --------------------------------------------------------------- */

static int ckpt_check(const Ckpt *c, const char *path, Err *err)
{
    const Net *net = c->net;
    const Optim *o = c->opt;
    const char *fail = NULL;
    if (!net || !net->params || net->nlayers < 1 || net->nlayers > NET_MAX_LAYERS || !o || !c->st ||
        !c->curves || !c->best.params || !c->config_text || !c->feat_names || !c->target_name)
        fail = "a member is missing";
    else if (o->n != net->nparams || o->nbufs < 0 || o->nbufs > OPTIM_MAX_BUFS)
        fail = "optimizer does not fit the parameters";
    else if (c->norm.nin != net->width[0] || !c->norm.x_shift || !c->norm.x_scale)
        fail = "normalisation does not fit the inputs";
    else if (c->curves->ncols < 0 || c->curves->ncols > CURVES_MAX_COLS)
        fail = "bad curve column count";
    for (int b = 0; !fail && b < o->nbufs; b++)
        if (!o->buf[b])
            fail = "an optimizer buffer is missing";
    for (int j = 0; !fail && j < c->curves->ncols; j++) {
        const char *s = c->curves->names[j];
        if (!s || !s[0] || strchr(s, '/') || !strcmp(s, "epoch") || strlen(s) > CKPT_OBJ_MAX - 16)
            fail = "bad curve column name";
    }
    for (int i = 0; !fail && i < net->width[0]; i++)
        if (!c->feat_names[i])
            fail = "a feature name is missing";
    if (fail)
        return err_set(err, E_STATE, "%s: cannot save an inconsistent checkpoint: %s",
                       path, fail);
    if (!train_all_finite(net->params, net->nparams))
        return err_set(err, E_NUMERIC, "%s: not written: the parameters hold a non-finite value "
                       "(epoch %lld, step %lld)", path, (long long)c->st->epoch, (long long)c->st->step);
    for (int b = 0; b < o->nbufs; b++)
        if (!train_all_finite(o->buf[b], o->n))
            return err_set(err, E_NUMERIC, "%s: not written: optimizer state buffer %d holds a "
                           "non-finite value (step %lld)", path, b, (long long)c->st->step);
    if (c->roll.held && !c->roll.vals)
        return err_set(err, E_STATE, "%s: cannot save an inconsistent checkpoint: the rollback point is "
                       "missing", path);
    if (c->roll.held && !train_all_finite(c->roll.vals, (size_t)(1 + o->nbufs) * o->n))
        return err_set(err, E_NUMERIC, "%s: not written: the rollback point holds a non-finite value "
                       "(step %lld)", path, (long long)c->st->step);
    return 0;
}

static int save_model_part(Writer *w, const Ckpt *c)
{
    const ModelPart part = { c->net, &c->norm, c->feat_names, c->target_name, c->config_text, c->enc,
                             c->columns };
    return h5_model_part_write(w->f, w->str, &part, w->path, w->err);
}

/* Group obj with one attribute per TrainState field of *st. */
static int save_state(Writer *w, const char *obj, const TrainState *st)
{
    int nf, rc = 0;
    const TrainStateField *fields = train_state_fields(&nf);
    TRY(w_group(w, obj, 0));
    for (int i = 0; i < nf; i++) {
        const char *p = (const char *)st + fields[i].offset;
        switch (fields[i].type) {
        case TSF_I64:
            TRY(w_attr_i64(w, obj, fields[i].name, *(const int64_t *)p));
            break;
        case TSF_F64:
            TRY(w_attr_f64(w, obj, fields[i].name, *(const double *)p));
            break;
        default:
            rc = err_set(w->err, E_STATE, "%s: TrainState field %s has a type checkpoints do "
                         "not know", w->path, fields[i].name);
            goto done;
        }
    }
done:
    return rc;
}

static int save_train_part(Writer *w, const Ckpt *c, double *scratch)
{
    const Optim *o = c->opt;
    const Curves *cv = c->curves;
    const CkptDataId *d = &c->data;
    int rc = 0;
    char obj[CKPT_OBJ_MAX];

    TRY(save_state(w, "/state", c->st));

    TRY(w_group(w, "/optim", 0));
    TRY(w_attr_str(w, "/optim", "kind", optim_name(o->kind)));
    TRY(w_attr_i64(w, "/optim", "t", o->t));
    for (int b = 0; b < o->nbufs; b++)
        memcpy(scratch + (size_t)b * o->n, o->buf[b], o->n * sizeof(double));
    hsize_t odims[2] = { (hsize_t)o->nbufs, (hsize_t)o->n };
    TRY(w_dset_f64(w, "/optim/state", 2, odims, scratch));

    hsize_t n = (hsize_t)cv->n, np = (hsize_t)c->net->nparams;
    TRY(w_group(w, "/curves", 1));
    TRY(w_dset(w, "/curves/epoch", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &n, cv->epoch));
    for (int j = 0; j < cv->ncols; j++) {
        snprintf(obj, sizeof obj, "/curves/%s", cv->names[j]);
        TRY(w_dset_f64(w, obj, 1, &n, cv->cols[j]));
    }

    TRY(w_group(w, "/best", 0));
    TRY(w_attr_i64(w, "/best", "epoch", c->best.epoch));
    TRY(w_attr_f64(w, "/best", "val_loss", c->best.val_loss));
    TRY(w_dset_f64(w, "/best/params", 1, &np, c->best.params));

    if (c->roll.held) {
        hsize_t rdims[2] = { (hsize_t)(1 + o->nbufs), np };
        TRY(save_state(w, "/rollback", &c->roll.st));
        TRY(w_attr_i64(w, "/rollback", "t", c->roll.t));
        TRY(w_dset_f64(w, "/rollback/values", 2, rdims, c->roll.vals));
    }

    TRY(w_group(w, "/data", 0));
    TRY(w_attr(w, "/data", "fingerprint", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &d->fingerprint));
    TRY(w_attr(w, "/data", "rows_read", H5T_STD_I64LE, H5T_NATIVE_UINT64, 0, &d->rows_read));
    TRY(w_attr(w, "/data", "rows", H5T_STD_I64LE, H5T_NATIVE_UINT64, 3, d->rows));
    TRY(w_attr(w, "/data", "split_hash", H5T_STD_U64LE, H5T_NATIVE_UINT64, 3, d->split_hash));
done:
    return rc;
}

int ckpt_save(const char *path, const Ckpt *c, Err *err)
{
    Writer w = { H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID,
                 H5I_INVALID_HID, H5I_INVALID_HID, path, err };
    void *img = NULL;
    double *scratch = NULL;
    size_t n = 0;
    uint64_t sum = 0;
    int rc = ckpt_check(c, path, err);
    if (rc)
        return rc;
    size_t nscratch = (size_t)c->opt->nbufs * c->opt->n;
    if (!(scratch = malloc((nscratch ? nscratch : 1) * sizeof(double))))
        return err_set(err, E_NOMEM, "%s: out of memory for the optimizer state", path);
    TRY(writer_open(&w, path, err));
    int version = CKPT_VERSION;
    TRY(w_attr_str(&w, "/", "format", CKPT_FORMAT));
    TRY(w_attr(&w, "/", "version", H5T_STD_I32LE, H5T_NATIVE_INT, 0, &version));
    TRY(save_model_part(&w, c));
    TRY(save_train_part(&w, c, scratch));
    TRY(ckpt_walk(w.f, path, NULL, &sum, err));
    TRY(w_attr(&w, "/", "checksum", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &sum));
    TRY(h5u_mem_image(w.f, "checkpoint", &img, &n, path, err));
    writer_close(&w, &rc);
    if (rc == 0)
        rc = atomic_write_file(path, img, n, err);
done:
    writer_close(&w, &rc);
    free(img);
    free(scratch);
    return rc;
}

/* ---- load --------------------------------------------------------------- */

/* /model into the run's network, whose shape the file must have. */
static int load_model_part(hid_t f, Ckpt *c, const char *path, Err *err)
{
    const Net *net = c->net;
    Net got = { 0 };
    int rc = h5_model_part_read_net(f, &got, path, err);
    if (!rc && (got.nlayers != net->nlayers ||
        memcmp(got.width, net->width, ((size_t)net->nlayers + 1) * sizeof *got.width) != 0))
        rc = err_set(err, E_STATE, "%s: /model: another network shape than this run's [model] hidden", path);
    for (int l = 0; !rc && l < net->nlayers; l++)
        if (got.act[l] != net->act[l])
            rc = err_set(err, E_STATE, "%s: /model: activations differ from this run's [model] activation", path);
    if (!rc)
        memcpy(net->params, got.params, net->nparams * sizeof *net->params);
    net_free(&got);
    return rc;
}

static int load_norm(hid_t f, Ckpt *c, const char *path, Err *err)
{
    int nin = c->net->width[0];
    char *tname = NULL, **fnames = NULL;
    /* The names are not restored (the run's config names them) but are
     * part of the layout: a checkpoint without them is not one of ours. */
    int rc = h5_model_part_read_norm(f, nin, &c->norm, &fnames, &tname, path, err);
    free(tname);
    h5u_free_strings(fnames, fnames ? (size_t)nin : 0);
    return rc;
}

/* The TrainState fields of group obj into *st; extra attributes beyond
 * the fields (obj's own, such as /rollback's t) number `extra`. */
static int load_state(hid_t f, const char *obj, int extra, TrainState *st, const char *path, Err *err)
{
    const char *where = obj;
    hid_t g = H5I_INVALID_HID;
    H5O_info_t info;
    int nf, rc = 0;
    const TrainStateField *fields = train_state_fields(&nf);
    TRY(need_obj(f, obj, path, err));
    for (int i = 0; i < nf; i++) {
        char *p = (char *)st + fields[i].offset;
        if (fields[i].type != TSF_I64 && fields[i].type != TSF_F64)
            FAIL(E_STATE, "%s: TrainState field %s has a type checkpoints do not know", path,
                 fields[i].name);
        int i64 = fields[i].type == TSF_I64;
        TRY(r_attr(f, obj, fields[i].name, i64 ? H5T_INTEGER : H5T_FLOAT,
                   i64 ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, 1, p, path, err));
        /* the field table's bounds of a sound state */
        double v = i64 ? (double)*(int64_t *)p : *(double *)p;
        if (i64 ? *(int64_t *)p < fields[i].least : fields[i].finite && !isfinite(v)) {
            char want[32] = "a finite rate";
            if (i64)
                snprintf(want, sizeof want, "%lld or more", (long long)fields[i].least);
            FAIL(E_PARSE, "%s: %s attribute \"%s\" is %g; the file is damaged (expected %s)", path, obj,
                 fields[i].name, v, want);
        }
    }
    CHECK_H5(g = H5Gopen2(f, obj, H5P_DEFAULT));
    CHECK_H5(H5Oget_info2(g, &info, H5O_INFO_NUM_ATTRS));
    if (info.num_attrs != (hsize_t)(nf + extra))
        FAIL(E_STATE, "%s: %s: %llu fields, this housenet keeps %d: the checkpoint holds state "
             "it cannot restore", path, obj, (unsigned long long)info.num_attrs - (unsigned long long)extra, nf);
done:
    CLOSE_H5(g, H5Gclose);
    return rc;
}

/* /rollback, when the file has one and the caller gave room for it. */
static int load_rollback(hid_t f, Ckpt *c, const char *path, Err *err)
{
    const char *where = "/rollback";
    htri_t has;
    int rc = 0;
    c->roll.held = 0;
    CHECK_H5(has = H5Lexists(f, "/rollback", H5P_DEFAULT));
    if (!has || !c->roll.vals)
        return 0;
    hsize_t dims[2] = { (hsize_t)(1 + c->opt->nbufs), (hsize_t)c->net->nparams };
    TRY(load_state(f, "/rollback", 1, &c->roll.st, path, err));
    TRY(r_attr(f, "/rollback", "t", H5T_INTEGER, H5T_NATIVE_INT64, 1, &c->roll.t, path, err));
    TRY(r_dset(f, "/rollback/values", H5T_FLOAT, H5T_NATIVE_DOUBLE, 2, dims, c->roll.vals, path, err));
    TRY(h5u_check_finite(c->roll.vals, (size_t)(dims[0] * dims[1]), "/rollback/values", path, err));
    c->roll.held = 1;
done:
    return rc;
}

static int load_optim(hid_t f, Ckpt *c, const char *path, Err *err)
{
    Optim *o = c->opt;
    char *kind = NULL;
    double *scratch = NULL;
    int rc = 0;
    TRY(r_string(f, "/optim", "kind", &kind, path, err));
    if (strcmp(kind, optim_name(o->kind)) != 0)
        FAIL(E_STATE, "%s: /optim: optimizer \"%.32s\", this run uses \"%s\"", path, kind, optim_name(o->kind));
    if (o->n != c->net->nparams)
        FAIL(E_STATE, "%s: /optim: the run's optimizer does not fit its parameters",
             path);
    TRY(r_attr(f, "/optim", "t", H5T_INTEGER, H5T_NATIVE_INT64, 1, &o->t, path, err));
    size_t ns = (size_t)o->nbufs * o->n;
    if (!(scratch = malloc((ns ? ns : 1) * sizeof(double))))
        FAIL(E_NOMEM, "%s: out of memory for the optimizer state", path);
    hsize_t dims[2] = { (hsize_t)o->nbufs, (hsize_t)o->n };
    TRY(r_dset(f, "/optim/state", H5T_FLOAT, H5T_NATIVE_DOUBLE, 2, dims, scratch, path, err));
    TRY(h5u_check_finite(scratch, ns, "/optim/state", path, err));
    for (int b = 0; b < o->nbufs; b++)
        memcpy(o->buf[b], scratch + (size_t)b * o->n, o->n * sizeof(double));
done:
    free(kind);
    free(scratch);
    return rc;
}

static int load_curves(hid_t f, Ckpt *c, const char *path, Err *err)
{
    const char *where = "/curves";
    Curves *cv = c->curves;
    hid_t d = H5I_INVALID_HID, sp = H5I_INVALID_HID, g = H5I_INVALID_HID;
    H5G_info_t info;
    hsize_t dims[H5S_MAX_RANK];
    char obj[CKPT_OBJ_MAX];
    int rc = 0, rank;
    TRY(need_obj(f, "/curves/epoch", path, err));
    CHECK_H5(g = H5Gopen2(f, "/curves", H5P_DEFAULT));
    CHECK_H5(H5Gget_info(g, &info));
    if (info.nlinks != (hsize_t)cv->ncols + 1)
        FAIL(E_STATE, "%s: /curves: %llu columns, this housenet logs %d", path,
             (unsigned long long)info.nlinks - 1, cv->ncols);
    where = "/curves/epoch";
    CHECK_H5(d = H5Dopen2(f, "/curves/epoch", H5P_DEFAULT));
    CHECK_H5(sp = H5Dget_space(d));
    CHECK_H5(rank = H5Sget_simple_extent_dims(sp, dims, NULL));
    if (rank != 1)
        FAIL(E_PARSE, "%s: /curves/epoch: rank %d, expected 1", path, rank);
    TRY(curves_reserve(cv, (size_t)dims[0], err));
    TRY(r_dset(f, "/curves/epoch", H5T_INTEGER, H5T_NATIVE_INT64, 1, dims, cv->epoch, path, err));
    for (int j = 0; j < cv->ncols; j++) {
        snprintf(obj, sizeof obj, "/curves/%s", cv->names[j]);
        TRY(r_dset(f, obj, H5T_FLOAT, H5T_NATIVE_DOUBLE, 1, dims, cv->cols[j], path, err));
    }
    cv->n = (size_t)dims[0];
done:
    CLOSE_H5(sp, H5Sclose);
    CLOSE_H5(d, H5Dclose);
    CLOSE_H5(g, H5Gclose);
    return rc;
}

static int load_rest(hid_t f, Ckpt *c, const char *path, Err *err)
{
    CkptDataId *d = &c->data;
    hsize_t np = (hsize_t)c->net->nparams;
    int rc = 0;
    TRY(r_attr(f, "/best", "epoch", H5T_INTEGER, H5T_NATIVE_INT64, 1, &c->best.epoch, path, err));
    TRY(r_attr(f, "/best", "val_loss", H5T_FLOAT, H5T_NATIVE_DOUBLE, 1, &c->best.val_loss, path, err));
    TRY(r_dset(f, "/best/params", H5T_FLOAT, H5T_NATIVE_DOUBLE, 1, &np, c->best.params, path, err));
    if (c->best.epoch >= 0)
        TRY(h5u_check_finite(c->best.params, (size_t)np, "/best/params", path, err));
    TRY(r_attr(f, "/data", "fingerprint", H5T_INTEGER, H5T_NATIVE_UINT64, 1, &d->fingerprint, path, err));
    TRY(r_attr(f, "/data", "rows_read", H5T_INTEGER, H5T_NATIVE_UINT64, 1, &d->rows_read, path, err));
    TRY(r_attr(f, "/data", "rows", H5T_INTEGER, H5T_NATIVE_UINT64, 3, d->rows, path, err));
    TRY(r_attr(f, "/data", "split_hash", H5T_INTEGER, H5T_NATIVE_UINT64, 3, d->split_hash, path, err));
    TRY(h5_model_part_read_config(f, &c->config_text, path, err));
done:
    return rc;
}

int ckpt_load(const char *path, Ckpt *c, Err *err)
{
    const char *where = "";
    hid_t f = H5I_INVALID_HID;
    int rc = 0;
    memset(&c->norm, 0, sizeof c->norm);
    c->config_text = NULL;
    TRY(open_file(path, CKPT_FORMAT, CKPT_VERSION, &f, NULL, err));
    TRY(check_sum(f, path, NULL, NULL, err));
    TRY(load_model_part(f, c, path, err));
    TRY(load_norm(f, c, path, err));
    TRY(load_state(f, "/state", 0, c->st, path, err));
    TRY(load_optim(f, c, path, err));
    TRY(load_curves(f, c, path, err));
    TRY(load_rest(f, c, path, err));
    TRY(load_rollback(f, c, path, err));
done:
    CLOSE_H5(f, H5Fclose);
    if (rc)
        ckpt_release(c);
    return rc;
}

void ckpt_release(Ckpt *c)
{
    if (!c)
        return;
    norm_free(&c->norm);
    free(c->config_text);
    c->config_text = NULL;
}

int ckpt_read_config(const char *path, char **text, Err *err)
{
    const char *where = "";
    hid_t f = H5I_INVALID_HID;
    int rc = 0;
    *text = NULL;
    TRY(open_file(path, CKPT_FORMAT, CKPT_VERSION, &f, NULL, err));
    TRY(check_sum(f, path, NULL, NULL, err));
    TRY(h5_model_part_read_config(f, text, path, err));
done:
    CLOSE_H5(f, H5Fclose);
    return rc;
}

/* ---- describe ------------------------------------------------------------ */

int ckpt_describe(const char *path, FILE *out, Err *err)
{
    const char *where = "";
    hid_t f = H5I_INVALID_HID;
    char *format = NULL;
    long long version = 0;
    uint64_t stored = 0, computed = 0;
    int rc = 0, damaged = 0;
    Err sum_err = { 0 };
    TRY(open_file(path, NULL, 1 << 30, &f, &format, err));
    TRY(r_attr(f, "/", "version", H5T_INTEGER, H5T_NATIVE_LLONG, 1, &version, path, err));
    term_line(out, "%s: %s version %lld", path, format, version);
    if (!strcmp(format, CKPT_FORMAT)) {
        damaged = check_sum(f, path, &stored, &computed, &sum_err) != 0;
        if (!damaged)
            fprintf(out, "checksum 0x%016llx: ok\n", (unsigned long long)stored);
        else
            term_line(out, "checksum: %s", sum_err.msg);
    }
    TRY(ckpt_walk(f, path, out, &computed, err));
    if (damaged) {
        *err = sum_err;
        rc = sum_err.code;
    }
done:
    free(format);
    CLOSE_H5(f, H5Fclose);
    return rc;
}

