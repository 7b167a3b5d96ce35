/* h5modelpart: the part of the layout that model.h5, best.h5 and the
 * checkpoints share -- /model, /norm and /config (docs/formats.md) --
 * written and read by one writer and one reader (io/h5model.c). Private
 * to h5model.c and the checkpoint module: hid_t does not leave io/. */
#ifndef HOUSENET_H5MODELPART_H
#define HOUSENET_H5MODELPART_H

#include <hdf5.h>

#include "data.h"
#include "encode.h"
#include "err.h"
#include "net.h"

/* What the shared part holds; all borrowed. */
typedef struct ModelPart {
    const Net *net;                 /* layers, activations, params */
    const Norm *norm;               /* width[0] inputs */
    const char *const *feat_names;  /* width[0] names: the inputs' */
    const char *target_name;
    const char *config_text;        /* the resolved config */
    const Encoding *enc;            /* NULL, or the features' vocabularies: /categories
                                       when a feature is categorical */
    const char *const *columns;     /* with enc: its nfeat feature (column) names */
} ModelPart;

/* Writes /model, /norm and /config of p into the open (empty) file f; str
 * is a variable-length UTF-8 string type. Objects carry no times, so equal
 * content gives equal bytes. E_HDF5 naming the object. */
int h5_model_part_write(hid_t f, hid_t str, const ModelPart *p, const char *path, Err *err);

/* /model of f into *net (zeroed before the call; net_init'ed here, the
 * caller's to net_free also on failure): the layers
 * and activations, then every W and b checked against the shapes they
 * imply, before anything is allocated, and finite. E_PARSE naming the
 * object, E_HDF5, E_NOMEM. */
int h5_model_part_read_net(hid_t f, Net *net, const char *path, Err *err);

/* /norm of f for nin inputs: *nm (norm_alloc'ed here), *feat_names (nin
 * new strings) and *target_name (a new string), all the caller's to free
 * even on failure. E_PARSE naming the object, E_HDF5, E_NOMEM. */
int h5_model_part_read_norm(hid_t f, int nin, Norm *nm, char ***feat_names, char **target_name,
                            const char *path, Err *err);

/* /categories of f into *enc and *columns (enc->nfeat new strings, the
 * caller's to free with enc_free and h5u_free_strings, also on failure);
 * a file without /categories gives a zeroed enc and NULL columns. The
 * vocabularies are checked (enc_check) and must make nin inputs.
 * Errors as above. */
int h5_model_part_read_enc(hid_t f, int nin, Encoding *enc, char ***columns, const char *path, Err *err);

/* /config of f as a new string in *text. Errors as above. */
int h5_model_part_read_config(hid_t f, char **text, const char *path, Err *err);

#endif
