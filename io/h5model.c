/* h5model: model.h5 and curves.h5 (see h5model.h), and the one writer and
 * reader of the part model.h5, best.h5 and the checkpoints share: /model,
 * /norm and /config (h5_model_part_*, h5modelpart.h).
 * Owns the HDF5 layout of both files; no hid_t leaves this file. Does not
 * own the crash-safe replacement (atomic.c) nor the meaning of the arrays
 * (net.h, data.h, curves.h).
 *
 * model.h5 (all numbers little-endian; strings variable-length UTF-8):
 *   /                      attrs format = "housenet-model", version = 1 (int32),
 *                                arithmetic (int32): the NET_ARITHMETIC (kern.h) of the
 *                                build that trained it (absent in older files)
 *   /model                 attrs layers (int32, nlayers+1) = width[0..nlayers],
 *                                activations (string, nlayers)
 *   /model/W<l>, l = 1..    float64 (width[l], width[l-1]), row i = weights into unit i
 *   /model/b<l>             float64 (width[l])
 *   /norm                  attrs kind, target_kind (string: none|zscore|minmax),
 *                                y_shift, y_scale (float64 scalars), target_name (string)
 *   /norm/x_shift, x_scale  float64 (width[0])
 *   /norm/feature_names     string (width[0])
 *   /config                 string scalar: the resolved config text
 *   /categories (version 2, only when a feature is categorical)
 *   /categories/columns      string (nfeat): the feature columns the model reads; the
 *                                inputs are theirs in order, one per numeric feature and
 *                                nlevels + other + missing per categorical one
 *   /categories/<f>          group per categorical feature f (0-based index among the
 *                                columns): attrs column (string), nlevels, other, missing
 *                                (int32); /categories/<f>/levels string (nlevels + rare):
 *                                the kept levels ascending, then the rare ones ascending
 *                                (they share the "other" input); absent when empty
 *   /split (optional)      attrs seed, rows_read, fingerprint (uint64), validation_fraction,
 *                                test_fraction (float64)
 *                                split = "hash" (string) when the split is [data] stream's per-row
 *                                hashed draw: the row lists are then empty (io/stream.h)
 *   /split/val_rows, test_rows  uint64 (n): data rows of the file (from 0), ascending
 *   /data (optional)       attrs missing_policy (string: error|drop|mean), rows_dropped,
 *                                cells_filled, rows_filtered (uint64; rows left out by
 *                                [data] filter, absent in older files: 0)
 *   /data/missing           uint64 (features + 1): missing cells per feature, then the target
 * A file without /split or /data (written before they existed) loads with
 * Model.data.has_split / has_data = 0.
 * curves.h5:
 *   /                      attrs format = "housenet-curves", version = 1 (int32)
 *   /curves                group, links tracked in creation order (= column order)
 *   /curves/epoch           int64 (n), chunked 1024, max shape unlimited
 *   /curves/<column>        float64 (n), chunked 1024, max shape unlimited
 *   /steps/step, epoch      int64 (nsteps): the step log ([run] log_every_steps)
 *   /steps/loss, learning_rate  float64 (nsteps)
 *   /events/epoch, step     int64 (nevents)
 *   /events/kind, message   string (nevents)
 *   (/steps and /events were added without a version change: a file
 *   without them reads as having no step rows and no events)
 *
 * Every HDF5 call goes through CHECK_H5 (or CLOSE_H5 under `done:`; both in
 * io/h5util.h); HDF5's own printing of its error stack is turned off, and the
 * innermost entry of that stack is put into our message instead.
 *
 * Files are built in memory (the core driver, no backing store) and their
 * image is written by atomic_write_file(), so HDF5 does no disk I/O when
 * saving. A full disk is then a plain write() error with errno, and cannot
 * hit HDF5 1.10's failure path where a flush failing inside H5Dclose leaves
 * the file half closed (leaked, and a crash in H5_term_library at exit). */
#include "h5model.h"
#include "h5io.h"
#include "h5modelpart.h"

#define H5U_SRC "io/h5model.c"
#define H5U_PATH_PREC -1
#include "h5util.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "kern.h"


/* ---- model.h5 ----------------------------------------------------------- */

/* A model that cannot be written as documented is the caller's bug. */
static int model_check(const Model *m, const char *path, Err *err)
{
    const Net *net = &m->net;
    const char *fail = NULL;
    char why[128];
    if (net->nlayers < 1 || net->nlayers > NET_MAX_LAYERS || !net->params) {
        snprintf(why, sizeof why, "%d weight layers, params %s", net->nlayers,
                 net->params ? "set" : "NULL");
        fail = why;
    }
    for (int l = 0; !fail && l <= net->nlayers; l++)
        if (net->width[l] < 1) {
            snprintf(why, sizeof why, "layer %d has width %d", l, net->width[l]);
            fail = why;
        }
    for (int l = 0; !fail && l < net->nlayers; l++) {
        size_t nw = (size_t)net->width[l + 1] * (size_t)net->width[l];
        Activation a;
        const char *name = act_name(net->act[l]);
        if (net->off_W[l] + nw > net->nparams ||
            net->off_b[l] + (size_t)net->width[l + 1] > net->nparams) {
            snprintf(why, sizeof why, "layer %d lies outside the %zu params", l + 1,
                     net->nparams);
            fail = why;
        } else if (!name || act_parse(name, &a) != 0 || a != net->act[l]) {
            snprintf(why, sizeof why, "layer %d has unknown activation %d", l + 1,
                     (int)net->act[l]);
            fail = why;
        }
    }
    if (!fail && (model_inputs(m) != net->width[0] || m->norm.nin != net->width[0] ||
                  (m->enc.v && m->enc.nfeat != m->nfeat))) {
        snprintf(why, sizeof why, "%d features making %d inputs and %d normalised inputs for %d inputs",
                 m->nfeat, model_inputs(m), m->norm.nin, net->width[0]);
        fail = why;
    }
    if (!fail && (!m->feat_names || !m->target_name || !m->config_text || !m->norm.x_shift ||
                  !m->norm.x_scale))
        fail = "feature names, target name, config text or normalisation missing";
    for (int i = 0; !fail && i < m->nfeat; i++)
        if (!m->feat_names[i])
            fail = "a feature name is NULL";
    const DataRecord *d = &m->data;
    if (!fail && d->has_split && ((d->nval && !d->val_rows) || (d->ntest && !d->test_rows)))
        fail = "the split record has no row arrays";
    if (!fail && d->has_data && (d->ncols != m->nfeat + 1 || !d->missing || !d->missing_policy[0]))
        fail = "the data record's missing counts do not match the features";
    if (fail)
        return err_set(err, E_STATE, "%s: cannot save an inconsistent model: %s",
                       path, fail);
    return 0;
}

/* /split: how the rows were split, and the file they came from. */
static int write_split(hid_t f, const DataRecord *d, hid_t str, const char *path, Err *err)
{
    hsize_t nv = (hsize_t)d->nval, nt = (hsize_t)d->ntest;
    const char *hash = "hash";
    int rc = 0;
    TRY(h5io_make_group(f, "/split", 0, path, err));
    if (d->hashed)
        TRY(h5u_write_attr(f, "/split", "split", str, str, 0, &hash, path, err));
    TRY(h5u_write_attr(f, "/split", "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &d->seed, path, err));
    TRY(h5u_write_attr(f, "/split", "validation_fraction", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                   &d->validation_fraction, path, err));
    TRY(h5u_write_attr(f, "/split", "test_fraction", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                   &d->test_fraction, path, err));
    TRY(h5u_write_attr(f, "/split", "rows_read", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &d->rows_read,
                   path, err));
    TRY(h5u_write_attr(f, "/split", "fingerprint", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0,
                   &d->fingerprint, path, err));
    TRY(h5io_write_dset(f, "/split/val_rows", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &nv, 0, d->val_rows,
                   path, err));
    TRY(h5io_write_dset(f, "/split/test_rows", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &nt, 0,
                   d->test_rows, path, err));
done:
    return rc;
}

/* /data: missing values and what the policy did with them. */
static int write_data(hid_t f, const DataRecord *d, hid_t str, const char *path, Err *err)
{
    hsize_t nc = (hsize_t)d->ncols;
    const char *policy = d->missing_policy;
    int rc = 0;
    TRY(h5io_make_group(f, "/data", 0, path, err));
    TRY(h5u_write_attr(f, "/data", "missing_policy", str, str, 0, &policy, path, err));
    TRY(h5u_write_attr(f, "/data", "rows_dropped", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0,
                   &d->rows_dropped, path, err));
    TRY(h5u_write_attr(f, "/data", "cells_filled", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0,
                   &d->cells_filled, path, err));
    TRY(h5u_write_attr(f, "/data", "rows_filtered", H5T_STD_U64LE, H5T_NATIVE_UINT64, 0,
                   &d->rows_filtered, path, err));
    TRY(h5io_write_dset(f, "/data/missing", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &nc, 0, d->missing,
                   path, err));
done:
    return rc;
}

/* /categories: the columns and each categorical feature's vocabulary. */
static int write_categories(hid_t f, hid_t str, const Encoding *e, const char *const *columns, const char *path,
                            Err *err)
{
    hsize_t nf = (hsize_t)e->nfeat;
    char obj[H5IO_OBJ_MAX];
    const char **texts = NULL;
    int rc = 0;
    TRY(h5io_make_group(f, "/categories", 0, path, err));
    TRY(h5io_write_dset(f, "/categories/columns", str, str, 1, &nf, 0, columns, path, err));
    for (int i = 0; i < e->nfeat; i++) {
        const Vocab *v = &e->v[i];
        if (!v->is_cat)
            continue;
        snprintf(obj, sizeof obj, "/categories/%d", i);
        TRY(h5io_make_group(f, obj, 0, path, err));
        TRY(h5u_write_attr(f, obj, "column", str, str, 0, &columns[i], path, err));
        TRY(h5u_write_attr(f, obj, "nlevels", H5T_STD_I32LE, H5T_NATIVE_INT, 0, &v->nlevels, path, err));
        TRY(h5u_write_attr(f, obj, "other", H5T_STD_I32LE, H5T_NATIVE_INT, 0, &v->other, path, err));
        TRY(h5u_write_attr(f, obj, "missing", H5T_STD_I32LE, H5T_NATIVE_INT, 0, &v->missing, path, err));
        hsize_t n = (hsize_t)v->nlevels + (hsize_t)v->nrare;
        if (n == 0)
            continue;
        free(texts);
        if (!(texts = malloc((size_t)n * sizeof *texts)))
            FAIL(E_NOMEM, "%s: %s: out of memory", path, obj);
        for (int k = 0; k < v->nlevels; k++)
            texts[k] = v->levels[k];
        for (int k = 0; k < v->nrare; k++)
            texts[v->nlevels + k] = v->rare[k];
        snprintf(obj, sizeof obj, "/categories/%d/levels", i);
        TRY(h5io_write_dset(f, obj, str, str, 1, &n, 0, texts, path, err));
    }
done:
    free(texts);
    return rc;
}

int h5_model_part_write(hid_t f, hid_t str, const ModelPart *p, const char *path, Err *err)
{
    const Net *net = p->net;
    const Norm *nm = p->norm;
    const char *acts[NET_MAX_LAYERS];
    const char *kinds[2] = {norm_name(nm->kind), norm_name(nm->target_kind)};
    hsize_t nlayers1 = (hsize_t)net->nlayers + 1, nin = (hsize_t)net->width[0];
    char obj[H5IO_OBJ_MAX];
    int rc = 0;
    TRY(h5io_make_group(f, "/model", 0, path, err));
    for (int l = 0; l < net->nlayers; l++)
        acts[l] = act_name(net->act[l]);
    TRY(h5u_write_attr(f, "/model", "layers", H5T_STD_I32LE, H5T_NATIVE_INT, nlayers1, net->width,
                   path, err));
    TRY(h5u_write_attr(f, "/model", "activations", str, str, (hsize_t)net->nlayers, acts, path, err));
    for (int l = 0; l < net->nlayers; l++) {
        hsize_t dims[2] = {(hsize_t)net->width[l + 1], (hsize_t)net->width[l]};
        snprintf(obj, sizeof obj, "/model/W%d", l + 1);
        TRY(h5io_write_dset(f, obj, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, 0,
                       net_W(net, net->params, l), path, err));
        snprintf(obj, sizeof obj, "/model/b%d", l + 1);
        TRY(h5io_write_dset(f, obj, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, 0,
                       net_b(net, net->params, l), path, err));
    }

    TRY(h5io_make_group(f, "/norm", 0, path, err));
    TRY(h5u_write_attr(f, "/norm", "kind", str, str, 0, &kinds[0], path, err));
    TRY(h5u_write_attr(f, "/norm", "target_kind", str, str, 0, &kinds[1], path, err));
    TRY(h5u_write_attr(f, "/norm", "y_shift", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &nm->y_shift,
                   path, err));
    TRY(h5u_write_attr(f, "/norm", "y_scale", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &nm->y_scale,
                   path, err));
    TRY(h5u_write_attr(f, "/norm", "target_name", str, str, 0, &p->target_name, path, err));
    TRY(h5io_write_dset(f, "/norm/x_shift", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &nin, 0,
                   nm->x_shift, path, err));
    TRY(h5io_write_dset(f, "/norm/x_scale", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &nin, 0,
                   nm->x_scale, path, err));
    TRY(h5io_write_dset(f, "/norm/feature_names", str, str, 1, &nin, 0, p->feat_names, path, err));

    TRY(h5io_write_dset(f, "/config", str, str, 0, NULL, 0, &p->config_text, path, err));
    if (p->enc && enc_any(p->enc))
        TRY(write_categories(f, str, p->enc, p->columns, path, err));
done:
    return rc;
}

/* model.h5 as bytes: *img (caller frees) of *n bytes. */
static int model_image(const char *path, const Model *m, void **img, size_t *n, Err *err)
{
    const Net *net = &m->net;
    const char *where = ""; /* the file itself; helpers name their objects */
    hid_t f = H5I_INVALID_HID, str = H5I_INVALID_HID;
    int rc = 0;

    TRY(h5u_mem_create(path, &f, err));
    TRY(h5io_str_type_new(&str, path, err));
    TRY(h5io_write_header(f, MODEL_FORMAT, enc_any(&m->enc) ? MODEL_VERSION : MODEL_VERSION_PLAIN, str, path,
                          err));
    const int arithmetic = NET_ARITHMETIC;
    TRY(h5u_write_attr(f, "/", "arithmetic", H5T_STD_I32LE, H5T_NATIVE_INT, 0, &arithmetic, path, err));

    char **inputs = NULL;
    const Encoding plain = { m->nfeat, NULL }, *enc = m->enc.v ? &m->enc : &plain;
    TRY(enc_input_names_new(enc, (const char *const *)m->feat_names, &inputs, err));
    const ModelPart part = { net, &m->norm, (const char *const *)inputs, m->target_name, m->config_text, enc,
                             (const char *const *)m->feat_names };
    rc = h5_model_part_write(f, str, &part, path, err);
    h5u_free_strings(inputs, (size_t)enc_width(enc));
    if (rc)
        goto done;
    if (m->data.has_split)
        TRY(write_split(f, &m->data, str, path, err));
    if (m->data.has_data)
        TRY(write_data(f, &m->data, str, path, err));
    TRY(h5u_mem_image(f, "file", img, n, path, err));
done:
    CLOSE_H5(str, H5Tclose);
    CLOSE_H5(f, H5Fclose);
    return rc;
}

int h5_model_save(const char *path, const Model *m, Err *err)
{
    void *img = NULL;
    size_t n = 0;
    int rc = model_check(m, path, err);
    if (rc == 0)
        rc = model_image(path, m, &img, &n, err);
    if (rc == 0)
        rc = atomic_write_file(path, img, n, err);
    free(img);
    return rc;
}

/* /model into net: layers and activations first, then every W and b
 * checked against the shapes they imply. */
int h5_model_part_read_net(hid_t f, Net *net, const char *path, Err *err)
{
    const char *where = "/model";
    const char *from = "/model attribute \"layers\"";
    int w[NET_MAX_LAYERS + 1];
    Activation act[NET_MAX_LAYERS];
    char **names = NULL, obj[H5IO_OBJ_MAX];
    hid_t g = H5I_INVALID_HID, a = H5I_INVALID_HID;
    H5G_info_t info;
    size_t nw = 0;
    int rc = 0, nl = 0;

    TRY(h5io_open_obj(f, "/model", H5I_GROUP, &g, path, err));
    TRY(h5io_read_num_attr(f, "/model", "layers", H5T_INTEGER, H5T_NATIVE_INT, w, NET_MAX_LAYERS + 1,
                      &nw, path, err));
    if (nw < 2)
        FAIL(E_PARSE, "%s: %s: 1 value, expected 2..%d (inputs, hidden..., outputs)", path, from,
             NET_MAX_LAYERS + 1);
    nl = (int)nw - 1;
    for (int l = 0; l <= nl; l++)
        if (w[l] < 1)
            FAIL(E_PARSE, "%s: %s: layer %d has width %d, expected >= 1", path, from, l, w[l]);

    TRY(h5io_open_attr(f, "/model", "activations", &a, path, err));
    TRY(h5io_read_n_strings(a, "/model attribute \"activations\" (one per layer of \"layers\")", (size_t)nl,
                       &names, path, err));
    for (int l = 0; l < nl; l++)
        if (act_parse(names[l], &act[l]) != 0)
            FAIL(E_PARSE,
                 "%s: /model attribute \"activations\": unknown activation \"%.32s\" for "
                 "layer %d (expected sigmoid, tanh, relu or linear)",
                 path, names[l], l + 1);

    CHECK_H5(H5Gget_info(g, &info));
    if (info.nlinks != 2 * (hsize_t)nl)
        FAIL(E_PARSE, "%s: /model: %llu objects, expected %d (W1..W%d, b1..b%d) from %s", path,
             (unsigned long long)info.nlinks, 2 * nl, nl, nl, from);

    /* Pass 0 checks every shape against layers, so that a damaged layers
     * attribute fails here rather than as a huge allocation; net_init then
     * gives every hidden layer one activation, the file's per-layer
     * activations are set afterwards, and pass 1 reads. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            rc = net_init(net, w[0], w + 1, nl - 1, w[nl], act[0], act[nl - 1], err);
            if (rc) {
                err_prefix(err, "%s: /model: ", path);
                goto done;
            }
            for (int l = 0; l < nl; l++)
                net->act[l] = act[l];
        }
        for (int l = 0; l < nl; l++) {
            hsize_t dims[2] = {(hsize_t)w[l + 1], (hsize_t)w[l]};
            double *W = pass ? net_W(net, net->params, l) : NULL;
            double *b = pass ? net_b(net, net->params, l) : NULL;
            snprintf(obj, sizeof obj, "/model/W%d", l + 1);
            TRY(h5io_read_dset(f, obj, H5T_FLOAT, H5T_NATIVE_DOUBLE, 2, dims, from, W, path, err));
            if (W)
                TRY(h5u_check_finite(W, (size_t)(dims[0] * dims[1]), obj, path, err));
            snprintf(obj, sizeof obj, "/model/b%d", l + 1);
            TRY(h5io_read_dset(f, obj, H5T_FLOAT, H5T_NATIVE_DOUBLE, 1, dims, from, b, path, err));
            if (b)
                TRY(h5u_check_finite(b, (size_t)dims[0], obj, path, err));
        }
    }
done:
    h5u_free_strings(names, names ? (size_t)nl : 0);
    CLOSE_H5(a, H5Aclose);
    CLOSE_H5(g, H5Oclose);
    return rc;
}

int h5_model_part_read_norm(hid_t f, int nin, Norm *nm, char ***feat_names, char **target_name,
                            const char *path, Err *err)
{
    const char *where = "/norm";
    const char *from = "/model attribute \"layers\" (inputs)";
    hsize_t dims[1] = {(hsize_t)nin};
    hid_t g = H5I_INVALID_HID, d = H5I_INVALID_HID;
    char *kind = NULL, *target_kind = NULL;
    size_t n;
    int rc = 0;

    TRY(h5io_open_obj(f, "/norm", H5I_GROUP, &g, path, err));
    rc = norm_alloc(nm, nin, err);
    if (rc) {
        err_prefix(err, "%s: /norm: ", path);
        goto done;
    }
    TRY(h5io_read_str_attr(f, "/norm", "kind", &kind, path, err));
    TRY(h5io_read_str_attr(f, "/norm", "target_kind", &target_kind, path, err));
    if (norm_parse(kind, &nm->kind) != 0)
        FAIL(E_PARSE, "%s: /norm attribute \"kind\": unknown normalisation \"%.32s\"", path, kind);
    if (norm_parse(target_kind, &nm->target_kind) != 0)
        FAIL(E_PARSE, "%s: /norm attribute \"target_kind\": unknown normalisation \"%.32s\"",
             path, target_kind);
    TRY(h5io_read_num_attr(f, "/norm", "y_shift", H5T_FLOAT, H5T_NATIVE_DOUBLE, &nm->y_shift, 1,
                      &n, path, err));
    TRY(h5io_read_num_attr(f, "/norm", "y_scale", H5T_FLOAT, H5T_NATIVE_DOUBLE, &nm->y_scale, 1,
                      &n, path, err));
    TRY(h5io_read_dset(f, "/norm/x_shift", H5T_FLOAT, H5T_NATIVE_DOUBLE, 1, dims, from,
                  nm->x_shift, path, err));
    TRY(h5io_read_dset(f, "/norm/x_scale", H5T_FLOAT, H5T_NATIVE_DOUBLE, 1, dims, from,
                  nm->x_scale, path, err));
    if (norm_check(nm, err)) {
        rc = err_prefix(err, "%s: /norm: ", path);
        goto done;
    }
    TRY(h5io_read_str_attr(f, "/norm", "target_name", target_name, path, err));
    TRY(h5io_open_obj(f, "/norm/feature_names", H5I_DATASET, &d, path, err));
    TRY(h5io_read_n_strings(d, "/norm/feature_names", (size_t)nin, feat_names, path, err));
done:
    free(kind);
    free(target_kind);
    CLOSE_H5(d, H5Oclose);
    CLOSE_H5(g, H5Oclose);
    return rc;
}

/* The vocabulary of categorical feature i, group obj, into *v. */
static int read_vocab(hid_t f, const char *obj, int i, const char *column, Vocab *v, const char *path, Err *err)
{
    const char *where = obj;
    char lobj[H5IO_OBJ_MAX + 8], *col = NULL, **texts = NULL;
    hsize_t dims[H5S_MAX_RANK];
    hid_t d = H5I_INVALID_HID;
    htri_t has;
    size_t n, count = 0;
    int rc = 0, rank = 0;
    v->is_cat = 1;
    TRY(h5io_read_str_attr(f, obj, "column", &col, path, err));
    if (strcmp(col, column))
        FAIL(E_PARSE, "%s: %s attribute \"column\" is \"%.60s\", /categories/columns[%d] \"%.60s\"; the file is "
             "damaged", path, obj, col, i, column);
    TRY(h5io_read_num_attr(f, obj, "nlevels", H5T_INTEGER, H5T_NATIVE_INT, &v->nlevels, 1, &n, path, err));
    TRY(h5io_read_num_attr(f, obj, "other", H5T_INTEGER, H5T_NATIVE_INT, &v->other, 1, &n, path, err));
    TRY(h5io_read_num_attr(f, obj, "missing", H5T_INTEGER, H5T_NATIVE_INT, &v->missing, 1, &n, path, err));
    snprintf(lobj, sizeof lobj, "%s/levels", obj);
    CHECK_H5(has = H5Lexists(f, lobj, H5P_DEFAULT));
    if (has) {
        TRY(h5io_dset_shape(f, lobj, &rank, dims, path, err));
        if (rank != 1 || dims[0] > (hsize_t)ENC_MAX_LEVELS + LEVELS_MAX)
            FAIL(E_PARSE, "%s: %s: rank %d, expected a list of at most %d levels; the file is damaged", path, lobj,
                 rank, ENC_MAX_LEVELS + LEVELS_MAX);
        count = (size_t)dims[0];
        TRY(h5io_open_obj(f, lobj, H5I_DATASET, &d, path, err));
        TRY(h5io_read_n_strings(d, lobj, count, &texts, path, err));
    }
    if (v->nlevels < 0 || (size_t)v->nlevels > count)
        FAIL(E_PARSE, "%s: %s attribute \"nlevels\" %d, but %s holds %zu texts; the file is damaged", path, obj,
             v->nlevels, lobj, count);
    v->nrare = (int)(count - (size_t)v->nlevels);
    if (!(v->levels = calloc((size_t)v->nlevels + 1, sizeof *v->levels)) ||
        !(v->rare = calloc((size_t)v->nrare + 1, sizeof *v->rare))) {
        v->nlevels = v->nrare = 0;
        FAIL(E_NOMEM, "%s: %s: out of memory", path, obj);
    }
    for (size_t k = 0; k < count; k++) {
        if (k < (size_t)v->nlevels)
            v->levels[k] = texts[k];
        else
            v->rare[k - (size_t)v->nlevels] = texts[k];
        texts[k] = NULL;
    }
done:
    h5u_free_strings(texts, count);
    free(col);
    CLOSE_H5(d, H5Oclose);
    return rc;
}

int h5_model_part_read_enc(hid_t f, int nin, Encoding *enc, char ***columns, const char *path, Err *err)
{
    const char *where = "/categories";
    char obj[H5IO_OBJ_MAX];
    hsize_t dims[H5S_MAX_RANK];
    hid_t d = H5I_INVALID_HID;
    htri_t has;
    int rc = 0, rank = 0;
    memset(enc, 0, sizeof *enc);
    *columns = NULL;
    CHECK_H5(has = H5Lexists(f, "/categories", H5P_DEFAULT));
    if (!has)
        return 0;
    TRY(h5io_dset_shape(f, "/categories/columns", &rank, dims, path, err));
    if (rank != 1 || dims[0] < 1 || dims[0] > (hsize_t)nin)
        FAIL(E_PARSE, "%s: /categories/columns: rank %d, expected 1 to %d names (the inputs); the file is damaged",
             path, rank, nin);
    TRY(h5io_open_obj(f, "/categories/columns", H5I_DATASET, &d, path, err));
    TRY(h5io_read_n_strings(d, "/categories/columns", (size_t)dims[0], columns, path, err));
    enc->nfeat = (int)dims[0];
    if (!(enc->v = calloc((size_t)enc->nfeat, sizeof *enc->v)))
        FAIL(E_NOMEM, "%s: /categories: out of memory", path);
    for (int i = 0; i < enc->nfeat; i++) {
        snprintf(obj, sizeof obj, "/categories/%d", i);
        CHECK_H5(has = H5Lexists(f, obj, H5P_DEFAULT));
        if (has)
            TRY(read_vocab(f, obj, i, (*columns)[i], &enc->v[i], path, err));
    }
    if (enc_check(enc, err)) {
        rc = err_prefix(err, "%s: /categories: ", path);
        goto done;
    }
    if (enc_width(enc) != nin)
        FAIL(E_PARSE, "%s: /categories: the vocabularies make %d inputs, /model has %d; the file is damaged", path,
             enc_width(enc), nin);
done:
    CLOSE_H5(d, H5Oclose);
    return rc;
}

/* A 1-D uint64 row list obj of at most max rows into a new array. */
static int read_rows(hid_t f, const char *obj, uint64_t max, uint64_t **out, size_t *n,
                     const char *path, Err *err)
{
    hsize_t dims[H5S_MAX_RANK];
    int rc = 0, rank = 0;
    TRY(h5io_dset_shape(f, obj, &rank, dims, path, err));
    if (rank != 1 || dims[0] > max)
        FAIL(E_PARSE, "%s: %s: rank %d and %llu rows, expected 1 and at most rows_read (%llu)", path,
             obj, rank, rank == 1 ? (unsigned long long)dims[0] : 0ULL, (unsigned long long)max);
    if (!(*out = malloc((size_t)(dims[0] ? dims[0] : 1) * sizeof **out)))
        FAIL(E_NOMEM, "%s: %s: out of memory", path, obj);
    TRY(h5io_read_dset(f, obj, H5T_INTEGER, H5T_NATIVE_UINT64, 1, dims, obj, *out, path, err));
    *n = (size_t)dims[0];
    for (size_t i = 0; i < *n; i++)
        if ((*out)[i] >= max || (i && (*out)[i] <= (*out)[i - 1]))
            FAIL(E_PARSE, "%s: %s: row %llu at index %zu is %s; the file is damaged (expected ascending rows "
                 "below rows_read, %llu)", path, obj, (unsigned long long)(*out)[i], i,
                 (*out)[i] >= max ? "past the data" : "out of order", (unsigned long long)max);
done:
    return rc;
}

/* /split and /data into m->data when the file has them; m->nfeat is known. */
static int read_record(hid_t f, Model *m, const char *path, Err *err)
{
    const char *where = "/";
    DataRecord *d = &m->data;
    char *policy = NULL;
    htri_t has;
    size_t n;
    int rc = 0;

    CHECK_H5(has = H5Lexists(f, "/split", H5P_DEFAULT));
    if (has) {
        TRY(h5io_read_num_attr(f, "/split", "seed", H5T_INTEGER, H5T_NATIVE_UINT64, &d->seed, 1, &n,
                          path, err));
        TRY(h5io_read_num_attr(f, "/split", "validation_fraction", H5T_FLOAT, H5T_NATIVE_DOUBLE,
                          &d->validation_fraction, 1, &n, path, err));
        TRY(h5io_read_num_attr(f, "/split", "test_fraction", H5T_FLOAT, H5T_NATIVE_DOUBLE,
                          &d->test_fraction, 1, &n, path, err));
        if (!(d->validation_fraction >= 0.0 && d->test_fraction >= 0.0 &&
              d->validation_fraction + d->test_fraction < 1.0))
            FAIL(E_PARSE, "%s: /split attributes \"validation_fraction\" %g and \"test_fraction\" %g; the "
                 "file is damaged (expected each >= 0, their sum < 1)", path, d->validation_fraction,
                 d->test_fraction);
        TRY(h5io_read_num_attr(f, "/split", "rows_read", H5T_INTEGER, H5T_NATIVE_UINT64, &d->rows_read,
                          1, &n, path, err));
        TRY(h5io_read_num_attr(f, "/split", "fingerprint", H5T_INTEGER, H5T_NATIVE_UINT64,
                          &d->fingerprint, 1, &n, path, err));
        TRY(read_rows(f, "/split/val_rows", d->rows_read, &d->val_rows, &d->nval, path, err));
        TRY(read_rows(f, "/split/test_rows", d->rows_read, &d->test_rows, &d->ntest, path, err));
        d->has_split = 1;
        CHECK_H5(has = H5Aexists_by_name(f, "/split", "split", H5P_DEFAULT));
        if (has) {
            TRY(h5io_read_str_attr(f, "/split", "split", &policy, path, err));
            d->hashed = strcmp(policy, "hash") == 0;
            if (!d->hashed)
                FAIL(E_PARSE, "%s: /split attribute \"split\": \"%.20s\", expected hash", path, policy);
            free(policy);
            policy = NULL;
        }
    }
    CHECK_H5(has = H5Lexists(f, "/data", H5P_DEFAULT));
    if (has) {
        hsize_t dims[1] = {(hsize_t)m->nfeat + 1};
        TRY(h5io_read_str_attr(f, "/data", "missing_policy", &policy, path, err));
        if (strcmp(policy, "error") && strcmp(policy, "drop") && strcmp(policy, "mean"))
            FAIL(E_PARSE, "%s: /data attribute \"missing_policy\": \"%.20s\", expected error, drop or mean",
                 path, policy);
        snprintf(d->missing_policy, sizeof d->missing_policy, "%s", policy);
        TRY(h5io_read_num_attr(f, "/data", "rows_dropped", H5T_INTEGER, H5T_NATIVE_UINT64,
                          &d->rows_dropped, 1, &n, path, err));
        TRY(h5io_read_num_attr(f, "/data", "cells_filled", H5T_INTEGER, H5T_NATIVE_UINT64,
                          &d->cells_filled, 1, &n, path, err));
        CHECK_H5(has = H5Aexists_by_name(f, "/data", "rows_filtered", H5P_DEFAULT));
        if (has)
            TRY(h5io_read_num_attr(f, "/data", "rows_filtered", H5T_INTEGER, H5T_NATIVE_UINT64,
                              &d->rows_filtered, 1, &n, path, err));
        if (!(d->missing = malloc((size_t)dims[0] * sizeof *d->missing)))
            FAIL(E_NOMEM, "%s: /data/missing: out of memory", path);
        TRY(h5io_read_dset(f, "/data/missing", H5T_INTEGER, H5T_NATIVE_UINT64, 1, dims,
                      "/norm/feature_names and target_name", d->missing, path, err));
        d->ncols = m->nfeat + 1;
        d->has_data = 1;
    }
done:
    free(policy);
    return rc;
}

int h5_model_part_read_config(hid_t f, char **text, const char *path, Err *err)
{
    const char *where = "/config";
    hid_t d = H5I_INVALID_HID;
    char **config = NULL;
    int rc = 0;
    *text = NULL;
    TRY(h5io_open_obj(f, "/config", H5I_DATASET, &d, path, err));
    TRY(h5io_read_n_strings(d, "/config", 0, &config, path, err));
    *text = config[0];
    free(config);
done:
    CLOSE_H5(d, H5Oclose);
    return rc;
}

int h5_model_load(const char *path, Model *m, Err *err)
{
    const char *where = "";
    hid_t f = H5I_INVALID_HID;
    char **columns = NULL;
    Model t;
    int rc = 0;
    memset(&t, 0, sizeof t);
    memset(m, 0, sizeof *m);

    TRY(h5io_open_checked(path, MODEL_FORMAT, MODEL_VERSION, "model", &f, err));
    TRY(h5_model_part_read_net(f, &t.net, path, err));
    TRY(h5_model_part_read_norm(f, t.net.width[0], &t.norm, &t.feat_names, &t.target_name, path, err));
    t.nfeat = t.net.width[0];
    TRY(h5_model_part_read_enc(f, t.net.width[0], &t.enc, &columns, path, err));
    int version = 0;
    size_t nv;
    TRY(h5io_read_num_attr(f, "/", "version", H5T_INTEGER, H5T_NATIVE_INT, &version, 1, &nv, path, err));
    if (!columns && version >= MODEL_VERSION) /* version 2 is written only with /categories */
        FAIL(E_PARSE, "%s: /categories is missing from a version %d model (a categorical feature's "
             "vocabulary); the file is damaged", path, version);
    if (columns) { /* the model reads these columns; /norm names its inputs */
        h5u_free_strings(t.feat_names, (size_t)t.nfeat);
        t.feat_names = columns;
        t.nfeat = t.enc.nfeat;
        columns = NULL;
    } else {
        t.enc.nfeat = t.nfeat;
    }
    TRY(h5_model_part_read_config(f, &t.config_text, path, err));
    TRY(read_record(f, &t, path, err));
done:
    CLOSE_H5(f, H5Fclose);
    h5u_free_strings(columns, columns ? (size_t)t.enc.nfeat : 0);
    if (rc)
        model_free(&t);
    else
        *m = t;
    return rc;
}

/* ---- curves.h5 ---------------------------------------------------------- */

static int curves_check(const Curves *c, const char *path, Err *err)
{
    const char *fail = NULL, *bad = "";
    if (c->ncols < 0 || c->ncols > CURVES_MAX_COLS || (c->n > 0 && !c->epoch))
        fail = "bad column count or no epoch array";
    for (int j = 0; !fail && j < c->ncols; j++) {
        const char *s = c->names[j];
        bad = s ? s : "";
        if (!s || !s[0] || strchr(s, '/') || strcmp(s, ".") == 0 || strcmp(s, "epoch") == 0 ||
            strlen(s) > H5IO_OBJ_MAX - 16)
            fail = "column name is empty, too long, \".\", \"epoch\" or contains '/'";
        else if (c->n > 0 && !c->cols[j])
            fail = "column has no array";
        for (int k = 0; !fail && k < j; k++)
            if (strcmp(c->names[k], s) == 0)
                fail = "column name appears twice";
    }
    if (fail)
        return err_set(err, E_STATE, "%s: cannot save curves: \"%.40s\": %s",
                       path, bad, fail);
    return 0;
}

/* /steps and /events of c into f (str: a string type). */
static int write_steps_events(hid_t f, const Curves *c, hid_t str, const char *path, Err *err)
{
    hsize_t ns = (hsize_t)c->nsteps, ne = (hsize_t)c->nevents;
    int64_t *ev_epoch = NULL, *ev_step = NULL;
    const char **kinds = NULL, **msgs = NULL;
    int rc = 0;
    TRY(h5io_make_group(f, "/steps", 1, path, err));
    TRY(h5io_write_dset(f, "/steps/step", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &ns, 1, c->step_no, path, err));
    TRY(h5io_write_dset(f, "/steps/epoch", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &ns, 1, c->step_epoch, path, err));
    TRY(h5io_write_dset(f, "/steps/loss", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &ns, 1, c->step_loss, path, err));
    TRY(h5io_write_dset(f, "/steps/learning_rate", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &ns, 1, c->step_lr, path,
                   err));
    size_t n = c->nevents ? c->nevents : 1;
    ev_epoch = malloc(n * sizeof *ev_epoch);
    ev_step = malloc(n * sizeof *ev_step);
    kinds = malloc(n * sizeof *kinds);
    msgs = malloc(n * sizeof *msgs);
    if (!ev_epoch || !ev_step || !kinds || !msgs)
        FAIL(E_NOMEM, "%s: /events: out of memory", path);
    for (size_t i = 0; i < c->nevents; i++) {
        ev_epoch[i] = c->events[i].epoch;
        ev_step[i] = c->events[i].step;
        kinds[i] = c->events[i].kind;
        msgs[i] = c->events[i].msg;
    }
    TRY(h5io_make_group(f, "/events", 1, path, err));
    TRY(h5io_write_dset(f, "/events/epoch", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &ne, 1, ev_epoch, path, err));
    TRY(h5io_write_dset(f, "/events/step", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &ne, 1, ev_step, path, err));
    TRY(h5io_write_dset(f, "/events/kind", str, str, 1, &ne, 1, kinds, path, err));
    TRY(h5io_write_dset(f, "/events/message", str, str, 1, &ne, 1, msgs, path, err));
done:
    free(ev_epoch);
    free(ev_step);
    free(kinds);
    free(msgs);
    return rc;
}

/* curves.h5 as bytes: *img (caller frees) of *n bytes. */
static int curves_image(const char *path, const Curves *c, void **img, size_t *size, Err *err)
{
    const char *where = ""; /* the file itself; helpers name their objects */
    hid_t f = H5I_INVALID_HID, str = H5I_INVALID_HID;
    hsize_t n = (hsize_t)c->n;
    char obj[H5IO_OBJ_MAX];
    int rc = 0;

    TRY(h5u_mem_create(path, &f, err));
    TRY(h5io_str_type_new(&str, path, err));
    TRY(h5io_write_header(f, CURVES_FORMAT, CURVES_VERSION, str, path, err));
    TRY(h5io_make_group(f, "/curves", 1, path, err));
    TRY(h5io_write_dset(f, "/curves/epoch", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &n, 1, c->epoch,
                   path, err));
    for (int j = 0; j < c->ncols; j++) {
        snprintf(obj, sizeof obj, "/curves/%s", c->names[j]);
        TRY(h5io_write_dset(f, obj, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, 1, c->cols[j], path,
                       err));
    }
    TRY(write_steps_events(f, c, str, path, err));
    TRY(h5u_mem_image(f, "file", img, size, path, err));
done:
    CLOSE_H5(str, H5Tclose);
    CLOSE_H5(f, H5Fclose);
    return rc;
}

int h5_curves_save(const char *path, const Curves *c, Err *err)
{
    void *img = NULL;
    size_t n = 0;
    int rc = curves_check(c, path, err);
    if (rc == 0)
        rc = curves_image(path, c, &img, &n, err);
    if (rc == 0)
        rc = atomic_write_file(path, img, n, err);
    free(img);
    return rc;
}

/* Names of the float columns of /curves (every link but epoch), in
 * creation order when the group tracks it (ours do), else by name. */
static int curves_names(hid_t g, char **names, int *ncols, const char *path, Err *err)
{
    const char *where = "/curves";
    hid_t gcpl = H5I_INVALID_HID;
    unsigned order = 0;
    H5G_info_t info;
    H5_index_t index;
    char *s = NULL;
    int rc = 0, nc = 0;

    CHECK_H5(gcpl = H5Gget_create_plist(g));
    CHECK_H5(H5Pget_link_creation_order(gcpl, &order));
    index = (order & H5P_CRT_ORDER_TRACKED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    CHECK_H5(H5Gget_info(g, &info));
    for (hsize_t i = 0; i < info.nlinks; i++) {
        ssize_t len;
        CHECK_H5(len = H5Lget_name_by_idx(g, ".", index, H5_ITER_INC, i, NULL, 0, H5P_DEFAULT));
        free(s);
        if (!(s = malloc((size_t)len + 1)))
            FAIL(E_NOMEM, "%s: /curves: out of memory", path);
        CHECK_H5(H5Lget_name_by_idx(g, ".", index, H5_ITER_INC, i, s, (size_t)len + 1,
                                   H5P_DEFAULT));
        if (strcmp(s, "epoch") == 0)
            continue;
        if (len > H5IO_OBJ_MAX - 16)
            FAIL(E_PARSE, "%s: /curves: column name \"%.40s...\" is longer than %d bytes", path,
                 s, H5IO_OBJ_MAX - 16);
        if (nc == CURVES_MAX_COLS)
            FAIL(E_PARSE, "%s: /curves: more than %d columns besides epoch", path,
                 CURVES_MAX_COLS);
        names[nc++] = s;
        s = NULL;
    }
done:
    free(s);
    *ncols = nc;
    CLOSE_H5(gcpl, H5Pclose);
    return rc;
}

/* 1 when the link /name exists in f, 0 when not. */
static int has_link(hid_t f, const char *name, int *out, const char *path, Err *err)
{
    const char *where = name;
    htri_t e;
    int rc = 0;
    CHECK_H5(e = H5Lexists(f, name, H5P_DEFAULT));
    *out = e > 0;
done:
    return rc;
}

/* /steps and /events, when present, into t (its epoch rows are read). */
static int read_steps_events(hid_t f, Curves *t, const char *path, Err *err)
{
    hsize_t dims[H5S_MAX_RANK];
    hid_t d = H5I_INVALID_HID;
    const char *where = "/events";
    char **kinds = NULL, **msgs = NULL;
    int64_t *ev_epoch = NULL, *ev_step = NULL;
    size_t nk = 0, nm = 0;
    int rc = 0, rank = 0, present = 0;

    TRY(has_link(f, "/steps", &present, path, err));
    if (present) {
        TRY(h5io_dset_shape(f, "/steps/step", &rank, dims, path, err));
        if (rank != 1)
            FAIL(E_PARSE, "%s: /steps/step: rank %d, expected 1", path, rank);
        size_t n = (size_t)dims[0];
        TRY(curves_reserve_steps(t, n ? n : 1, err));
        TRY(h5io_read_dset(f, "/steps/step", H5T_INTEGER, H5T_NATIVE_INT64, 1, dims, "/steps/step", t->step_no, path, err));
        TRY(h5io_read_dset(f, "/steps/epoch", H5T_INTEGER, H5T_NATIVE_INT64, 1, dims, "/steps/step", t->step_epoch, path,
                      err));
        TRY(h5io_read_dset(f, "/steps/loss", H5T_FLOAT, H5T_NATIVE_DOUBLE, 1, dims, "/steps/step", t->step_loss, path,
                      err));
        TRY(h5io_read_dset(f, "/steps/learning_rate", H5T_FLOAT, H5T_NATIVE_DOUBLE, 1, dims, "/steps/step", t->step_lr,
                      path, err));
        t->nsteps = n;
    }
    TRY(has_link(f, "/events", &present, path, err));
    if (!present)
        goto done;
    TRY(h5io_dset_shape(f, "/events/epoch", &rank, dims, path, err));
    if (rank != 1)
        FAIL(E_PARSE, "%s: /events/epoch: rank %d, expected 1", path, rank);
    size_t n = (size_t)dims[0];
    ev_epoch = malloc((n ? n : 1) * sizeof *ev_epoch);
    ev_step = malloc((n ? n : 1) * sizeof *ev_step);
    if (!ev_epoch || !ev_step)
        FAIL(E_NOMEM, "%s: /events: out of memory", path);
    TRY(h5io_read_dset(f, "/events/epoch", H5T_INTEGER, H5T_NATIVE_INT64, 1, dims, "/events/epoch", ev_epoch, path, err));
    TRY(h5io_read_dset(f, "/events/step", H5T_INTEGER, H5T_NATIVE_INT64, 1, dims, "/events/epoch", ev_step, path, err));
    TRY(h5io_open_obj(f, "/events/kind", H5I_DATASET, &d, path, err));
    TRY(h5u_read_strings(d, "/events/kind", &kinds, &nk, path, err));
    CLOSE_H5(d, H5Oclose);
    TRY(h5io_open_obj(f, "/events/message", H5I_DATASET, &d, path, err));
    TRY(h5u_read_strings(d, "/events/message", &msgs, &nm, path, err));
    if (nk != n || nm != n)
        FAIL(E_PARSE, "%s: /events: kind has %zu and message %zu strings, epoch has %zu", path, nk, nm, n);
    for (size_t i = 0; i < n; i++)
        TRY(curves_push_event(t, ev_epoch[i], ev_step[i], kinds[i], msgs[i], err));
done:
    h5u_free_strings(kinds, nk);
    h5u_free_strings(msgs, nm);
    free(ev_epoch);
    free(ev_step);
    CLOSE_H5(d, H5Oclose);
    return rc;
}

int h5_curves_load(const char *path, Curves *c, Err *err)
{
    const char *where = "/curves";
    hid_t f = H5I_INVALID_HID, g = H5I_INVALID_HID;
    char *names[CURVES_MAX_COLS] = {0};
    char obj[H5IO_OBJ_MAX];
    hsize_t dims[H5S_MAX_RANK];
    Curves t;
    int rc = 0, ncols = 0, rank = 0;
    memset(&t, 0, sizeof t);
    memset(c, 0, sizeof *c);

    TRY(h5io_open_checked(path, CURVES_FORMAT, CURVES_VERSION, "curves", &f, err));
    TRY(h5io_open_obj(f, "/curves", H5I_GROUP, &g, path, err));
    TRY(curves_names(g, names, &ncols, path, err));
    TRY(h5io_dset_shape(f, "/curves/epoch", &rank, dims, path, err));
    if (rank != 1)
        FAIL(E_PARSE, "%s: /curves/epoch: rank %d, expected 1 (one value per epoch)", path, rank);

    TRY(curves_init(&t, (const char *const *)names, ncols, err));
    for (int j = 0; j < ncols; j++) { /* t owns the names from here */
        t.owned_names[j] = names[j];
        names[j] = NULL;
    }
    TRY(curves_reserve(&t, (size_t)dims[0], err));
    TRY(h5io_read_dset(f, "/curves/epoch", H5T_INTEGER, H5T_NATIVE_INT64, 1, dims, "/curves/epoch",
                  t.epoch, path, err));
    for (int j = 0; j < ncols; j++) {
        snprintf(obj, sizeof obj, "/curves/%s", t.names[j]);
        TRY(h5io_read_dset(f, obj, H5T_FLOAT, H5T_NATIVE_DOUBLE, 1, dims, "/curves/epoch",
                      t.cols[j], path, err));
    }
    t.n = (size_t)dims[0];
    TRY(read_steps_events(f, &t, path, err));
done:
    for (int j = 0; j < ncols; j++)
        free(names[j]);
    CLOSE_H5(g, H5Oclose);
    CLOSE_H5(f, H5Fclose);
    if (rc)
        curves_free(&t);
    else
        *c = t;
    return rc;
}
