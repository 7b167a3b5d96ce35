/* h5io: small writers and readers of HDF5 objects for io/h5model.c (model.h5,
 * curves.h5 and the part model.h5, best.h5 and the checkpoints share) and
 * the readers of io/checkpoint.c.
 * Private to io/. Each names path and the object in its message: E_PARSE
 * for a missing or malformed object, E_HDF5 for an HDF5 failure. */
#ifndef HOUSENET_H5IO_H
#define HOUSENET_H5IO_H

#include <hdf5.h>
#include <stddef.h>

#include "err.h"

#define H5IO_CHUNK 1024  /* rows per chunk of an extendible dataset */
#define H5IO_OBJ_MAX 256 /* longest object path built or named */

/* A new variable-length UTF-8 string type (h5py reads it as str). */
int h5io_str_type_new(hid_t *out, const char *path, Err *err);

/* Dataset obj of rank 0 (scalar), 1 or 2; buf in mtype. extendible (rank 1
 * only): chunked by H5IO_CHUNK with an unlimited maximum, so that h5py
 * users can append rows. */
int h5io_write_dset(hid_t file, const char *obj, hid_t ftype, hid_t mtype, int rank,
                      const hsize_t *dims, int extendible, const void *buf, const char *path,
                      Err *err);

/* Group obj; track_order keeps its links in creation order for readers. */
int h5io_make_group(hid_t file, const char *obj, int track_order, const char *path, Err *err);

/* Root attributes format (string) and version (int32). */
int h5io_write_header(hid_t file, const char *format, int version, hid_t str, const char *path,
                        Err *err);

/* The first link of obj (an absolute path) that file lacks into
 * missing[H5IO_OBJ_MAX], "" when obj is there; E_HDF5 when obj is longer. */
int h5io_missing_link(hid_t file, const char *obj, char *missing, const char *path, Err *err);

/* Opens obj (an absolute path) as an object of the given type; E_PARSE
 * naming the first missing link or a wrong kind of object. */
int h5io_open_obj(hid_t file, const char *obj, H5I_type_t type, hid_t *out, const char *path,
                    Err *err);

int h5io_open_attr(hid_t file, const char *obj, const char *name, hid_t *out, const char *path,
                     Err *err);

/* A string attribute or dataset holding exactly want strings (want 0: a
 * single string, scalar or 1-element). id names it as `where`. */
int h5io_read_n_strings(hid_t id, const char *where, size_t want, char ***out, const char *path,
                          Err *err);

/* String attribute obj@name into *out (a new string). */
int h5io_read_str_attr(hid_t file, const char *obj, const char *name, char **out,
                         const char *path, Err *err);

/* Numeric attribute obj@name of class cls with 1..cap values into buf as
 * mtype; *n gets the count (a scalar counts 1). */
int h5io_read_num_attr(hid_t file, const char *obj, const char *name, H5T_class_t cls,
                         hid_t mtype, void *buf, size_t cap, size_t *n, const char *path,
                         Err *err);

/* Shape of dataset obj into rank/dims (dims has H5S_MAX_RANK slots). */
int h5io_dset_shape(hid_t file, const char *obj, int *rank, hsize_t *dims, const char *path,
                      Err *err);

/* Numeric dataset obj of class cls and shape dims[0..rank) into buf as
 * mtype; buf NULL: only the checks. E_PARSE on another class or shape;
 * `from` says where the expected shape comes from. */
int h5io_read_dset(hid_t file, const char *obj, H5T_class_t cls, hid_t mtype, int rank,
                     const hsize_t *dims, const char *from, void *buf, const char *path, Err *err);

/* Opens path read-only after checking that it is readable (E_IO with
 * strerror), an HDF5 file (E_PARSE) with root attributes format == format
 * and 1 <= version <= max_version (E_PARSE). kind names the file in
 * messages ("model", "curves"). */
int h5io_open_checked(const char *path, const char *format, int max_version, const char *kind,
                        hid_t *out, Err *err);

#endif
