/* h5util: HDF5 plumbing shared by the io/ files that use HDF5 (see
 * h5util.h). Owns the failure message and the helpers listed there; knows
 * no file layout. */
#define H5U_SRC "io/h5util.c"
#define H5U_PATH_PREC -1
#include "h5util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "train.h"

#define MEM_FILE_INCREMENT (64 * 1024) /* core driver growth step, bytes */
#define OBJ_MAX 256 /* longest object path the writers build (h5model.c, checkpoint.c) */

/* The innermost (first, walking upward) entry of the stack, on one line:
 * some descriptions embed ctime() output and its newline. */
static herr_t innermost_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    char *why = data;
    if (n == 0 && e->desc) {
        snprintf(why, H5U_WHY_MAX, "%s", e->desc);
        for (char *c = why; *c; c++)
            if ((unsigned char)*c < ' ')
                *c = ' ';
    }
    return 0;
}

void h5u_why(char *why)
{
    why[0] = '\0';
    /* Not checked: we are already reporting a failure, and an empty `why`
     * is the only consequence of this one failing too. */
    (void)H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, why);
}

int h5u_fail(Err *err, const char *src, int path_prec, const char *path, const char *where,
             const char *call, int line)
{
    char why[H5U_WHY_MAX];
    h5u_why(why);
    /* The usual way a file goes wrong, a copy or download cut short: said
     * as that, with its fix, in place of the library's words. */
    unsigned long long eof, base, stored;
    if (sscanf(why, "truncated file: eof = %llu, sblock->base_addr = %llu, stored_eof = %llu", &eof, &base,
               &stored) == 3 && eof < stored)
        return err_set(err, E_HDF5, "%.*s: the file is cut short: %llu of its %llu bytes are there; it was not "
                       "completely written or copied: copy it again from where it came", path_prec, path, eof,
                       stored);
    const char *end = call + strcspn(call, "(");
    const char *fn = end;
    while (fn > call && (isalnum((unsigned char)fn[-1]) || fn[-1] == '_'))
        fn--;
    return err_set(err, E_HDF5, "%.*s: %s%s%.*s failed%s%s%s [%s:%d]", path_prec, path, where,
                   where[0] ? ": " : "", (int)(end - fn), fn, why[0] ? " (" : "", why,
                   why[0] ? ")" : "", src, line);
}

int h5u_write_attr(hid_t file, const char *obj, const char *name, hid_t ftype, hid_t mtype,
                   hsize_t n, const void *buf, const char *path, Err *err)
{
    char where[OBJ_MAX + 64];
    snprintf(where, sizeof where, "%s attribute \"%s\"", obj, name);
    hid_t o = H5I_INVALID_HID, sp = H5I_INVALID_HID, a = H5I_INVALID_HID;
    int rc = 0;
    CHECK_H5(o = H5Oopen(file, obj, H5P_DEFAULT));
    CHECK_H5(sp = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR));
    CHECK_H5(a = H5Acreate2(o, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT));
    CHECK_H5(H5Awrite(a, mtype, buf));
done:
    CLOSE_H5(a, H5Aclose);
    CLOSE_H5(sp, H5Sclose);
    CLOSE_H5(o, H5Oclose);
    return rc;
}

int h5u_mem_create(const char *path, hid_t *out, Err *err)
{
    const char *where = "";
    hid_t fapl = H5I_INVALID_HID;
    int rc = 0;
    /* HDF5 would print its error stack on stderr; errors are values here. */
    CHECK_H5(H5Eset_auto2(H5E_DEFAULT, NULL, NULL));
    CHECK_H5(fapl = H5Pcreate(H5P_FILE_ACCESS));
    CHECK_H5(H5Pset_fapl_core(fapl, MEM_FILE_INCREMENT, 0));
    CHECK_H5(*out = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl));
done:
    CLOSE_H5(fapl, H5Pclose);
    return rc;
}

int h5u_mem_image(hid_t f, const char *what, void **buf, size_t *n, const char *path, Err *err)
{
    const char *where = "";
    ssize_t size;
    void *b = NULL;
    int rc = 0;
    CHECK_H5(H5Fflush(f, H5F_SCOPE_GLOBAL));
    CHECK_H5(size = H5Fget_file_image(f, NULL, 0));
    if (!(b = malloc(size ? (size_t)size : 1)))
        FAIL(E_NOMEM, "%s: out of memory for a %zd-byte %s image", path, size, what);
    CHECK_H5(H5Fget_file_image(f, b, (size_t)size));
    *buf = b;
    *n = (size_t)size;
    b = NULL;
done:
    free(b);
    return rc;
}

int h5u_probe(const char *path, int path_prec, int *is_h5, Err *err)
{
    const char *where = "";
    struct stat st;
    htri_t ok;
    int rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return err_set(err, E_IO, "%.*s: cannot open: %s", path_prec, path, strerror(e));
    }
    close(fd);
    if (S_ISDIR(st.st_mode))
        return err_set(err, E_IO, "%.*s: cannot open: %s", path_prec, path, strerror(EISDIR));
    CHECK_H5(H5Eset_auto2(H5E_DEFAULT, NULL, NULL));
    CHECK_H5(ok = H5Fis_hdf5(path));
    *is_h5 = ok > 0;
done:
    return rc;
}

int h5u_first_missing(hid_t file, const char *obj, char *missing, const char *path, Err *err)
{
    const char *where = obj;
    size_t len = strlen(obj);
    htri_t ok;
    int rc = 0;
    missing[0] = '\0';
    for (size_t i = 1; i <= len; i++) {
        if (obj[i] != '/' && obj[i] != '\0')
            continue;
        memcpy(missing, obj, i);
        missing[i] = '\0';
        CHECK_H5(ok = H5Lexists(file, missing, H5P_DEFAULT));
        if (!ok)
            return 0;
    }
    missing[0] = '\0';
done:
    return rc;
}

int h5u_read_vl_strings(hid_t id, int is_attr, hid_t mt, hid_t sp, hid_t dxpl, size_t count,
                        char **s, const char *where, const char *path, Err *err)
{
    char **vl = NULL;
    int rc = 0, reclaim = 0;
    if (!(vl = calloc(count + 1, sizeof *vl)))
        FAIL(E_NOMEM, "%s: %s: out of memory", path, where);
    if (count)
        CHECK_H5(is_attr ? H5Aread(id, mt, vl) : H5Dread(id, mt, H5S_ALL, H5S_ALL, dxpl, vl));
    reclaim = 1;
    for (size_t i = 0; i < count; i++)
        if (!(s[i] = strdup(vl[i] ? vl[i] : "")))
            FAIL(E_NOMEM, "%s: %s: out of memory", path, where);
done:
    if (reclaim && H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, vl) < 0 && rc == 0)
        rc = h5u_fail(err, H5U_SRC, H5U_PATH_PREC, path, where, "H5Dvlen_reclaim(", __LINE__);
    free(vl);
    return rc;
}

const char *h5u_class_name(H5T_class_t c)
{
    switch (c) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    default: return "non-numeric";
    }
}

int h5u_string_memtype(hid_t t, hid_t *mt, int *is_vl, size_t *size, const char *where, const char *path,
                       Err *err)
{
    int rc = 0;
    htri_t vl;
    H5T_cset_t cset;
    ssize_t sz;
    *mt = H5I_INVALID_HID;
    CHECK_H5(vl = H5Tis_variable_str(t));
    CHECK_H5(cset = H5Tget_cset(t));
    CHECK_H5(sz = h5u_size_or_fail(H5Tget_size(t)));
    CHECK_H5(*mt = H5Tcopy(H5T_C_S1));
    CHECK_H5(H5Tset_cset(*mt, cset));
    if (vl) {
        CHECK_H5(H5Tset_size(*mt, H5T_VARIABLE));
    } else {
        CHECK_H5(H5Tset_size(*mt, (size_t)sz + 1));
        CHECK_H5(H5Tset_strpad(*mt, H5T_STR_NULLTERM));
    }
    *is_vl = vl > 0;
    *size = (size_t)sz;
done:
    if (rc && *mt >= 0) {
        H5Tclose(*mt);
        *mt = H5I_INVALID_HID;
    }
    return rc;
}

int h5u_read_strings(hid_t id, const char *where, char ***out, size_t *n, const char *path, Err *err)
{
    hid_t t = H5I_INVALID_HID, sp = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    char *fixed = NULL, **s = NULL;
    size_t count = 0, size = 0;
    int rc = 0, rank, is_vl = 0;
    H5I_type_t kind;
    H5T_class_t cls;
    hssize_t npoints;

    CHECK_H5(kind = H5Iget_type(id));
    CHECK_H5(t = kind == H5I_ATTR ? H5Aget_type(id) : H5Dget_type(id));
    CHECK_H5(cls = H5Tget_class(t));
    if (cls != H5T_STRING)
        FAIL(E_PARSE, "%s: %s: expected a string, found %s values", path, where, h5u_class_name(cls));
    CHECK_H5(sp = kind == H5I_ATTR ? H5Aget_space(id) : H5Dget_space(id));
    CHECK_H5(rank = H5Sget_simple_extent_ndims(sp));
    CHECK_H5(npoints = H5Sget_simple_extent_npoints(sp));
    if (rank > 1)
        FAIL(E_PARSE, "%s: %s: expected a scalar or 1-D array of strings, found rank %d", path,
             where, rank);
    TRY(h5u_check_stored(id, where, path, err));
    count = (size_t)npoints;
    s = calloc(count + 1, sizeof *s);
    if (!s)
        FAIL(E_NOMEM, "%s: %s: out of memory", path, where);
    TRY(h5u_string_memtype(t, &mt, &is_vl, &size, where, path, err));
    if (is_vl) {
        TRY(h5u_read_vl_strings(id, kind == H5I_ATTR, mt, sp, H5P_DEFAULT, count, s, where, path, err));
    } else {
        fixed = calloc(count + 1, size + 1);
        if (!fixed)
            FAIL(E_NOMEM, "%s: %s: out of memory", path, where);
        if (count)
            CHECK_H5(kind == H5I_ATTR ? H5Aread(id, mt, fixed)
                                     : H5Dread(id, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed));
        for (size_t i = 0; i < count; i++)
            if (!(s[i] = strdup(fixed + i * (size + 1))))
                FAIL(E_NOMEM, "%s: %s: out of memory", path, where);
    }
    *out = s;
    *n = count;
    s = NULL;
done:
    h5u_free_strings(s, count);
    free(fixed);
    CLOSE_H5(mt, H5Tclose);
    CLOSE_H5(sp, H5Sclose);
    CLOSE_H5(t, H5Tclose);
    return rc;
}

int h5u_check_finite(const double *v, size_t n, const char *obj, const char *path, Err *err)
{
    if (train_all_finite(v, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return err_set(err, E_PARSE, "%s: %s: value %zu is %g; the file is damaged (expected finite values)",
                           path, obj, i, v[i]);
    return 0;
}

const char *h5u_fmt_shape(char *buf, size_t cap, int rank, const hsize_t *dims)
{
    size_t k = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < rank && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%llu", i ? ", " : "",
                              (unsigned long long)dims[i]);
    if (k < cap)
        snprintf(buf + k, cap - k, rank == 1 ? ",)" : ")");
    return buf;
}

void h5u_free_strings(char **s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

int h5u_check_stored(hid_t id, const char *where, const char *path, Err *err)
{
    hid_t sp = H5I_INVALID_HID, ty = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
    hsize_t dims[H5S_MAX_RANK];
    hssize_t points, size;
    H5I_type_t kind;
    int rc = 0, rank;
    char shape[96];
    CHECK_H5(kind = H5Iget_type(id));
    const int is_attr = kind == H5I_ATTR;
    if (!is_attr) {
        H5D_layout_t layout;
        int external;
        CHECK_H5(dcpl = H5Dget_create_plist(id));
        CHECK_H5(layout = H5Pget_layout(dcpl));
        CHECK_H5(external = H5Pget_external_count(dcpl));
        if (layout == H5D_VIRTUAL || external > 0)
            goto done;
    }
    CHECK_H5(sp = is_attr ? H5Aget_space(id) : H5Dget_space(id));
    CHECK_H5(points = H5Sget_simple_extent_npoints(sp));
    CHECK_H5(rank = H5Sget_simple_extent_dims(sp, dims, NULL));
    CHECK_H5(ty = is_attr ? H5Aget_type(id) : H5Dget_type(id));
    CHECK_H5(size = h5u_size_or_fail(H5Tget_size(ty)));
    const double declared = (double)points * (double)size;
    const hsize_t stored = is_attr ? H5Aget_storage_size(id) : H5Dget_storage_size(id); /* 0 also when unwritten */
    if (declared > 4096.0 * (double)stored + (double)(1 << 20))
        FAIL(E_PARSE, "%.*s: %s declares shape %s (%.3g bytes) but the file stores %llu bytes for it; the file is "
             "damaged or was not completely written", H5U_PATH_PREC, path, where,
             h5u_fmt_shape(shape, sizeof shape, rank, dims), declared, (unsigned long long)stored);
done:
    CLOSE_H5(ty, H5Tclose);
    CLOSE_H5(sp, H5Sclose);
    CLOSE_H5(dcpl, H5Pclose);
    return rc;
}

/* Closes an id on a path that is already failing or cannot fail usefully
 * (a read-only file); HDF5 has nothing to flush there. */
void h5u_close_quietly(hid_t id)
{
    if (id < 0)
        return;
    H5E_BEGIN_TRY
    {
        switch (H5Iget_type(id)) {
        case H5I_FILE: H5Fclose(id); break;
        case H5I_GROUP: H5Gclose(id); break;
        case H5I_DATASET: H5Dclose(id); break;
        case H5I_ATTR: H5Aclose(id); break;
        case H5I_DATATYPE: H5Tclose(id); break;
        case H5I_DATASPACE: H5Sclose(id); break;
        case H5I_GENPROP_LST: H5Pclose(id); break;
        default: break;
        }
    }
    H5E_END_TRY;
}
