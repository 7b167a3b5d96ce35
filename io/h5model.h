/* h5model: model.h5 and curves.h5, the HDF5 files a run leaves behind.
 * Every file carries `format` and `version` attributes on its root group;
 * the layout is documented in docs/formats.md ("Files a run writes"). Files are
 * written through atomic.h, so a crash never leaves a partial file in place.
 * No hid_t leaves this module. */
#ifndef HOUSENET_H5MODEL_H
#define HOUSENET_H5MODEL_H

#include "curves.h"
#include "err.h"
#include "model.h"

#define MODEL_FORMAT "housenet-model"
/* Version 2 adds /categories; a model without categorical features is
 * still written as version 1, which older readers take. */
#define MODEL_VERSION 2
#define MODEL_VERSION_PLAIN 1
#define CURVES_FORMAT "housenet-curves"
#define CURVES_VERSION 1

/* Writes m to path atomically (atomic.h): the file is built in memory and
 * path is replaced only once it is complete and synced. Fails, leaving
 * path untouched and no temporary file, with E_STATE when m is
 * inconsistent (shapes, names, activations), E_IO naming the path, step
 * and strerror, E_HDF5 naming the object for an HDF5 failure, E_NOMEM. */
int h5_model_save(const char *path, const Model *m, Err *err);
/* Reads path into *m (caller frees with model_free; *m is zeroed on
 * failure). Fails with E_IO when path cannot be opened, E_PARSE when it is
 * not HDF5, not a housenet model (format), too new (version) or when an
 * object is missing or of the wrong type or shape (naming the dataset or
 * attribute), E_HDF5 for an HDF5 failure, E_NOMEM. Any float type is read
 * as double; strings may be fixed or variable length. */
int h5_model_load(const char *path, Model *m, Err *err);
/* Writes the whole log to path atomically: /curves/epoch (int64) and one
 * float64 1-D dataset per column, /curves/<name>, in column order; the
 * step rows under /steps and the events under /events (always, empty
 * when there are none; docs/formats.md has the layout). Column
 * names must be unique, non-empty, without '/', and not "." or "epoch"
 * (else E_STATE). Other failures as h5_model_save. */
int h5_curves_save(const char *path, const Curves *c, Err *err);
/* Reads a curves file (caller frees with curves_free; *c is zeroed on
 * failure), with its step rows and events when the file has them. The
 * names are owned by *c (owned_names). Columns come in
 * creation order when /curves tracks it (ours do), else in name order;
 * every column must have the length of /curves/epoch. Failures as
 * h5_model_load; more than CURVES_MAX_COLS columns is E_PARSE. */
int h5_curves_load(const char *path, Curves *c, Err *err);

#endif
