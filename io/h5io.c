/* h5io: the small writers and readers under model.h5, curves.h5 and the
 * shared model part (see h5io.h). Every HDF5 call goes through CHECK_H5
 * (or CLOSE_H5 under `done:`; both in io/h5util.h). */
#include "h5io.h"

#define H5U_SRC "io/h5io.c"
#define H5U_PATH_PREC -1
#include "h5util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A new variable-length UTF-8 string type (h5py reads it as str). */
int h5io_str_type_new(hid_t *out, const char *path, Err *err)
{
    const char *where = "string type";
    hid_t t = H5I_INVALID_HID;
    int rc = 0;
    CHECK_H5(t = H5Tcopy(H5T_C_S1));
    CHECK_H5(H5Tset_size(t, H5T_VARIABLE));
    CHECK_H5(H5Tset_cset(t, H5T_CSET_UTF8));
    *out = t;
    t = H5I_INVALID_HID;
done:
    CLOSE_H5(t, H5Tclose);
    return rc;
}

/* Dataset obj of rank 0 (scalar), 1 or 2; buf in mtype. extendible (rank 1
 * only): chunked by H5IO_CHUNK with an unlimited maximum, so that h5py
 * users can append rows. */
int h5io_write_dset(hid_t file, const char *obj, hid_t ftype, hid_t mtype, int rank,
                      const hsize_t *dims, int extendible, const void *buf, const char *path,
                      Err *err)
{
    const char *where = obj;
    const hsize_t maxdims[1] = {H5S_UNLIMITED};
    const hsize_t chunk[1] = {H5IO_CHUNK};
    hid_t sp = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, d = H5I_INVALID_HID;
    hid_t dxpl = H5I_INVALID_HID;
    int rc = 0;
    hsize_t npoints = 1;
    for (int i = 0; i < rank; i++)
        npoints *= dims[i];

    CHECK_H5(sp = rank ? H5Screate_simple(rank, dims, extendible ? maxdims : NULL)
                      : H5Screate(H5S_SCALAR));
    CHECK_H5(dcpl = H5Pcreate(H5P_DATASET_CREATE));
    CHECK_H5(H5Pset_obj_track_times(dcpl, 0)); /* equal content, equal bytes */
    if (extendible)
        CHECK_H5(H5Pset_chunk(dcpl, 1, chunk));
    CHECK_H5(d = H5Dcreate2(file, obj, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT));
    /* The default transfer callocs a 1 MiB conversion buffer per write:
     * most of the cost of saving a small model. Larger writes are
     * converted in pieces of this size. */
    CHECK_H5(dxpl = H5Pcreate(H5P_DATASET_XFER));
    CHECK_H5(H5Pset_buffer(dxpl, 64 * 1024, NULL, NULL));
    if (npoints)
        CHECK_H5(H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, dxpl, buf));
done:
    CLOSE_H5(dxpl, H5Pclose);
    CLOSE_H5(d, H5Dclose);
    CLOSE_H5(dcpl, H5Pclose);
    CLOSE_H5(sp, H5Sclose);
    return rc;
}

/* Group obj; track_order keeps its links in creation order for readers. */
int h5io_make_group(hid_t file, const char *obj, int track_order, const char *path, Err *err)
{
    const char *where = obj;
    hid_t gcpl = H5I_INVALID_HID, g = H5I_INVALID_HID;
    int rc = 0;
    CHECK_H5(gcpl = H5Pcreate(H5P_GROUP_CREATE));
    CHECK_H5(H5Pset_obj_track_times(gcpl, 0));
    if (track_order)
        CHECK_H5(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
    CHECK_H5(g = H5Gcreate2(file, obj, H5P_DEFAULT, gcpl, H5P_DEFAULT));
done:
    CLOSE_H5(g, H5Gclose);
    CLOSE_H5(gcpl, H5Pclose);
    return rc;
}

/* Root attributes format (string) and version (int32). */
int h5io_write_header(hid_t file, const char *format, int version, hid_t str, const char *path,
                        Err *err)
{
    int rc = h5u_write_attr(file, "/", "format", str, str, 0, &format, path, err);
    if (rc == 0)
        rc = h5u_write_attr(file, "/", "version", H5T_STD_I32LE, H5T_NATIVE_INT, 0, &version, path,
                        err);
    return rc;
}

int h5io_missing_link(hid_t file, const char *obj, char *missing, const char *path, Err *err)
{
    if (strlen(obj) >= H5IO_OBJ_MAX)
        return err_set(err, E_HDF5, "%s: %s: object path too long", path, obj);
    return h5u_first_missing(file, obj, missing, path, err);
}

/* Opens obj (an absolute path) as an object of the given type; E_PARSE
 * naming the first missing link or a wrong kind of object. */
int h5io_open_obj(hid_t file, const char *obj, H5I_type_t type, hid_t *out, const char *path,
                    Err *err)
{
    const char *where = obj;
    const char *kind = type == H5I_GROUP ? "group" : "dataset";
    char prefix[H5IO_OBJ_MAX];
    hid_t o = H5I_INVALID_HID;
    H5I_type_t got;
    int rc = 0;
    size_t len = strlen(obj);
    TRY(h5io_missing_link(file, obj, prefix, path, err));
    if (prefix[0])
        FAIL(E_PARSE, "%s: %s: not found (expected a %s)", path, prefix,
             strlen(prefix) == len ? kind : "group");
    CHECK_H5(o = H5Oopen(file, obj, H5P_DEFAULT));
    CHECK_H5(got = H5Iget_type(o));
    if (got != type)
        FAIL(E_PARSE, "%s: %s: expected a %s, found a %s", path, obj, kind,
             got == H5I_GROUP ? "group" : got == H5I_DATASET ? "dataset" : "named datatype");
    *out = o;
    o = H5I_INVALID_HID;
done:
    CLOSE_H5(o, H5Oclose);
    return rc;
}

int h5io_open_attr(hid_t file, const char *obj, const char *name, hid_t *out, const char *path,
                     Err *err)
{
    const char *where = obj;
    htri_t exists;
    int rc = 0;
    CHECK_H5(exists = H5Aexists_by_name(file, obj, name, H5P_DEFAULT));
    if (!exists)
        FAIL(E_PARSE, "%s: %s: missing attribute \"%s\"", path, obj, name);
    CHECK_H5(*out = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT));
done:
    return rc;
}

/* A string attribute or dataset holding exactly want strings (want 0: a
 * single string, scalar or 1-element). id names it as `where`. */
int h5io_read_n_strings(hid_t id, const char *where, size_t want, char ***out, const char *path,
                          Err *err)
{
    size_t n = 0;
    int rc = h5u_read_strings(id, where, out, &n, path, err);
    if (rc == 0 && n != (want ? want : 1)) {
        h5u_free_strings(*out, n);
        *out = NULL;
        rc = err_set(err, E_PARSE, "%s: %s: %zu strings, expected %zu", path, where, n,
                     want ? want : 1);
    }
    return rc;
}

/* String attribute obj@name into *out (a new string). */
int h5io_read_str_attr(hid_t file, const char *obj, const char *name, char **out,
                         const char *path, Err *err)
{
    char where[H5IO_OBJ_MAX + 64];
    snprintf(where, sizeof where, "%s attribute \"%s\"", obj, name);
    hid_t a = H5I_INVALID_HID;
    char **s = NULL;
    int rc = 0;
    TRY(h5io_open_attr(file, obj, name, &a, path, err));
    TRY(h5io_read_n_strings(a, where, 0, &s, path, err));
    *out = s[0];
    free(s);
done:
    CLOSE_H5(a, H5Aclose);
    return rc;
}

/* Numeric attribute obj@name of class cls with 1..cap values into buf as
 * mtype; *n gets the count (a scalar counts 1). */
int h5io_read_num_attr(hid_t file, const char *obj, const char *name, H5T_class_t cls,
                         hid_t mtype, void *buf, size_t cap, size_t *n, const char *path,
                         Err *err)
{
    char where[H5IO_OBJ_MAX + 64];
    snprintf(where, sizeof where, "%s attribute \"%s\"", obj, name);
    hid_t a = H5I_INVALID_HID, t = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    H5T_class_t got;
    hssize_t npoints;
    int rc = 0, rank;
    TRY(h5io_open_attr(file, obj, name, &a, path, err));
    CHECK_H5(t = H5Aget_type(a));
    CHECK_H5(got = H5Tget_class(t));
    if (got != cls)
        FAIL(E_PARSE, "%s: %s: expected %s values, found %s", path, where, h5u_class_name(cls),
             h5u_class_name(got));
    CHECK_H5(sp = H5Aget_space(a));
    CHECK_H5(rank = H5Sget_simple_extent_ndims(sp));
    CHECK_H5(npoints = H5Sget_simple_extent_npoints(sp));
    if (rank > 1 || npoints < 1 || (size_t)npoints > cap)
        FAIL(E_PARSE, "%s: %s: %lld values, expected %s%zu", path, where, (long long)npoints,
             cap > 1 ? "1.." : "", cap);
    CHECK_H5(H5Aread(a, mtype, buf));
    *n = (size_t)npoints;
done:
    CLOSE_H5(sp, H5Sclose);
    CLOSE_H5(t, H5Tclose);
    CLOSE_H5(a, H5Aclose);
    return rc;
}

/* Shape of dataset obj into rank/dims (dims has H5S_MAX_RANK slots). */
int h5io_dset_shape(hid_t file, const char *obj, int *rank, hsize_t *dims, const char *path,
                      Err *err)
{
    const char *where = obj;
    hid_t d = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    int rc = 0;
    TRY(h5io_open_obj(file, obj, H5I_DATASET, &d, path, err));
    TRY(h5u_check_stored(d, obj, path, err)); /* the caller allocates for dims */
    CHECK_H5(sp = H5Dget_space(d));
    CHECK_H5(*rank = H5Sget_simple_extent_dims(sp, dims, NULL));
done:
    CLOSE_H5(sp, H5Sclose);
    CLOSE_H5(d, H5Oclose);
    return rc;
}

/* Numeric dataset obj of class cls and shape dims[0..rank) into buf as
 * mtype; buf NULL: only the checks. E_PARSE on another class or shape;
 * `from` says where the expected shape comes from. */
int h5io_read_dset(hid_t file, const char *obj, H5T_class_t cls, hid_t mtype, int rank,
                     const hsize_t *dims, const char *from, void *buf, const char *path, Err *err)
{
    const char *where = obj;
    hid_t d = H5I_INVALID_HID, t = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    hsize_t got[H5S_MAX_RANK];
    char s1[96], s2[96];
    H5T_class_t gotcls;
    int rc = 0, gotrank;
    hsize_t npoints = 1;

    TRY(h5io_open_obj(file, obj, H5I_DATASET, &d, path, err));
    CHECK_H5(t = H5Dget_type(d));
    CHECK_H5(gotcls = H5Tget_class(t));
    if (gotcls != cls)
        FAIL(E_PARSE, "%s: %s: expected %s values, found %s", path, obj, h5u_class_name(cls),
             h5u_class_name(gotcls));
    CHECK_H5(sp = H5Dget_space(d));
    CHECK_H5(gotrank = H5Sget_simple_extent_dims(sp, got, NULL));
    if (gotrank != rank || memcmp(got, dims, (size_t)rank * sizeof *dims) != 0)
        FAIL(E_PARSE, "%s: %s: shape %s, expected %s from %s", path, obj,
             h5u_fmt_shape(s1, sizeof s1, gotrank, got), h5u_fmt_shape(s2, sizeof s2, rank, dims), from);
    for (int i = 0; i < rank; i++)
        npoints *= dims[i];
    /* also with buf NULL: read_net's shape pass comes before it allocates */
    TRY(h5u_check_stored(d, obj, path, err));
    if (buf && npoints)
        CHECK_H5(H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
done:
    CLOSE_H5(sp, H5Sclose);
    CLOSE_H5(t, H5Tclose);
    CLOSE_H5(d, H5Oclose);
    return rc;
}

/* Opens path read-only after checking that it is readable (E_IO with
 * strerror), an HDF5 file (E_PARSE) with root attributes format == format
 * and 1 <= version <= max_version (E_PARSE). kind names the file in
 * messages ("model", "curves"). */
int h5io_open_checked(const char *path, const char *format, int max_version, const char *kind,
                        hid_t *out, Err *err)
{
    const char *where = ""; /* the file itself until it is open */
    hid_t f = H5I_INVALID_HID;
    char *got = NULL;
    long long version = 0;
    size_t n;
    htri_t has_format;
    int rc = 0, is_h5;

    TRY(h5u_probe(path, H5U_PATH_PREC, &is_h5, err));
    if (!is_h5)
        FAIL(E_PARSE, "%s: not an HDF5 file (expected a housenet %s file)", path, kind);
    CHECK_H5(f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT));
    where = "/";

    CHECK_H5(has_format = H5Aexists(f, "format"));
    if (!has_format)
        FAIL(E_PARSE, "%s: not a housenet %s file (no format attribute)", path, kind);
    TRY(h5io_read_str_attr(f, "/", "format", &got, path, err));
    if (strcmp(got, format) != 0)
        FAIL(E_PARSE, "%s: not a housenet %s file (format attribute is \"%.40s\")", path, kind,
             got);
    TRY(h5io_read_num_attr(f, "/", "version", H5T_INTEGER, H5T_NATIVE_LLONG, &version, 1, &n, path,
                      err));
    if (version > max_version)
        FAIL(E_PARSE, "%s: %s version %lld is newer than this housenet (%d)", path, kind, version,
             max_version);
    if (version < 1)
        FAIL(E_PARSE, "%s: / attribute \"version\": %lld, expected 1..%d", path, version,
             max_version);
    *out = f;
    f = H5I_INVALID_HID;
done:
    free(got);
    CLOSE_H5(f, H5Fclose);
    return rc;
}
