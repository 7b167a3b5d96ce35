/* ckptwalk: the checkpoint module's walker (see ckptwalk.h and the
 * checksum rule in checkpoint.c's header). */
#include "ckptwalk.h"
#include "colname.h"

#define H5U_SRC "io/ckptwalk.c"
#define H5U_PATH_PREC -1
#include "h5util.h"

#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define WALK_MAX_DEPTH 16 /* ours are 2 deep; a damaged file must not recurse forever */
/* HDF5 callocs a conversion buffer of 1 MiB for every H5Dread/H5Dwrite by
 * default: with our small datasets that memset was most of a checkpoint's
 * cost. Larger transfers are converted in pieces of this size. */
#define XFER_BUF_BYTES (64 * 1024)

hid_t ckpt_xfer_new(void)
{
    hid_t p = H5Pcreate(H5P_DATASET_XFER);
    if (p >= 0 && H5Pset_buffer(p, XFER_BUF_BYTES, NULL, NULL) < 0) {
        H5Pclose(p);
        p = H5I_INVALID_HID;
    }
    return p;
}


/* ---- the walker: checksum and listing ----------------------------------- */

typedef struct Walk {
    hid_t f;
    const char *path;   /* the file, for messages */
    Err *err;
    uint64_t hash;
    FILE *out;          /* listing for `inspect`, or NULL */
    char *config;       /* /config text seen by the listing (owned), printed last */
    hid_t dxpl;         /* transfers */
} Walk;

static void hash_bytes(Walk *k, const void *p, size_t n)
{
    k->hash = rng_fnv1a(k->hash, p, n);
}

static void hash_str(Walk *k, const char *s)
{
    hash_bytes(k, s, strlen(s) + 1);
}

static const char *type_name(H5T_class_t cls, size_t size, H5T_sign_t sign, char *buf, size_t cap)
{
    if (cls == H5T_FLOAT)
        snprintf(buf, cap, "float%zu", 8 * size);
    else if (cls == H5T_INTEGER)
        snprintf(buf, cap, "%sint%zu", sign == H5T_SGN_NONE ? "u" : "", 8 * size);
    else if (cls == H5T_STRING)
        snprintf(buf, cap, "string");
    else
        snprintf(buf, cap, "other");
    return buf;
}

/* Indices of the values to print: all when few, else the head and the tail. */
#define SHOW_ALL 8
#define SHOW_HEAD 4
#define SHOW_TAIL 2
static int shown(size_t i, size_t n)
{
    return n <= SHOW_ALL || i < SHOW_HEAD || i >= n - SHOW_TAIL;
}

static void print_sep(FILE *out, size_t i, size_t n)
{
    if (i == 0)
        return;
    fputs(n > SHOW_ALL && i == n - SHOW_TAIL ? ", ..., " : ", ", out);
}

/* Prints the numbers of id (an attribute or dataset of class cls) converted
 * for reading; unsigned 64-bit values are hashes in our files: hex. */
static int print_numbers(Walk *k, hid_t id, int is_attr, H5T_class_t cls, H5T_sign_t sign,
                         size_t size, size_t n, const char *where)
{
    const char *path = k->path;
    Err *err = k->err;
    int rc = 0;
    hid_t mt = cls == H5T_FLOAT ? H5T_NATIVE_DOUBLE
             : sign == H5T_SGN_NONE ? H5T_NATIVE_ULLONG : H5T_NATIVE_LLONG;
    void *buf = malloc(n * 8);
    if (!buf)
        FAIL(E_NOMEM, "%s: %s: out of memory", path, where);
    CHECK_H5(is_attr ? H5Aread(id, mt, buf) : H5Dread(id, mt, H5S_ALL, H5S_ALL, k->dxpl, buf));
    fputs(n > 1 ? "[" : "", k->out);
    for (size_t i = 0; i < n; i++) {
        if (!shown(i, n))
            continue;
        print_sep(k->out, i, n);
        if (cls == H5T_FLOAT)
            fprintf(k->out, "%.10g", ((double *)buf)[i]);
        else if (sign == H5T_SGN_NONE && size == 8)
            fprintf(k->out, "0x%016llx", ((unsigned long long *)buf)[i]);
        else if (sign == H5T_SGN_NONE)
            fprintf(k->out, "%llu", ((unsigned long long *)buf)[i]);
        else
            fprintf(k->out, "%lld", ((long long *)buf)[i]);
    }
    fputs(n > 1 ? "]" : "", k->out);
done:
    free(buf);
    return rc;
}

static void print_string(Walk *k, const char *s, const char *where)
{
    if (strlen(s) > 60 || strchr(s, '\n')) {
        fprintf(k->out, "(%zu characters%s)", strlen(s),
                strcmp(where, "/config") == 0 ? ", printed below" : "");
        if (strcmp(where, "/config") == 0 && !k->config)
            k->config = strdup(s);
    } else {
        fputc('"', k->out);
        term_write(k->out, s, strlen(s), 0);
        fputc('"', k->out);
    }
}

/* Folds the values of id (attribute or dataset) into the hash: numbers as
 * stored, strings with a NUL each; prints them too when listing. */
static int walk_values(Walk *k, hid_t id, int is_attr, const char *where)
{
    const char *path = k->path;
    Err *err = k->err;
    hid_t t = H5I_INVALID_HID, sp = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    char **vl = NULL, *fixed = NULL, tname[32];
    void *raw = NULL;
    size_t size = 0, n = 0;
    hssize_t npoints;
    hsize_t dims[H5S_MAX_RANK];
    H5T_class_t cls;
    H5T_sign_t sign = H5T_SGN_NONE;
    int rc = 0, rank, reclaim = 0, is_vl = 0;

    CHECK_H5(t = is_attr ? H5Aget_type(id) : H5Dget_type(id));
    CHECK_H5(sp = is_attr ? H5Aget_space(id) : H5Dget_space(id));
    CHECK_H5(npoints = H5Sget_simple_extent_npoints(sp));
    CHECK_H5(rank = H5Sget_simple_extent_dims(sp, dims, NULL));
    CHECK_H5(cls = H5Tget_class(t));
    if (!(size = H5Tget_size(t)))
        FAIL(E_PARSE, "%s: %s: type of size 0", path, where);
    if (cls == H5T_INTEGER)
        CHECK_H5(sign = H5Tget_sign(t));
    /* Read with the file's type, a variable-length sequence (or a compound
     * or array holding one) would hand us HDF5-allocated memory and hash
     * pointers; our files hold numbers and strings only. */
    if (cls != H5T_INTEGER && cls != H5T_FLOAT && cls != H5T_STRING)
        FAIL(E_PARSE, "%s: %s: holds %s values; the file is damaged (expected numbers or strings)", path,
             where, h5u_class_name(cls));
    TRY(h5u_check_stored(id, where, path, err)); /* before allocating for npoints */
    n = (size_t)npoints;
    if (k->out) {
        if (!is_attr) {
            fprintf(k->out, "%s (", type_name(cls, size, sign, tname, sizeof tname));
            for (int i = 0; i < rank; i++)
                fprintf(k->out, "%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
            fprintf(k->out, "%s)%s", rank == 1 ? "," : "", n ? " = " : "");
        }
    }
    if (n == 0)
        goto done;
    if (cls == H5T_STRING) {
        TRY(h5u_string_memtype(t, &mt, &is_vl, &size, where, path, err));
        if (is_vl) {
            if (!(vl = calloc(n, sizeof *vl)))
                FAIL(E_NOMEM, "%s: %s: out of memory", path, where);
            CHECK_H5(is_attr ? H5Aread(id, mt, vl) : H5Dread(id, mt, H5S_ALL, H5S_ALL, k->dxpl, vl));
            reclaim = 1;
        } else {
            if (!(fixed = calloc(n, size + 1)))
                FAIL(E_NOMEM, "%s: %s: out of memory", path, where);
            CHECK_H5(is_attr ? H5Aread(id, mt, fixed)
                             : H5Dread(id, mt, H5S_ALL, H5S_ALL, k->dxpl, fixed));
        }
        if (k->out && n > 1)
            fputs("[", k->out);
        for (size_t i = 0; i < n; i++) {
            const char *s = is_vl ? (vl[i] ? vl[i] : "") : fixed + i * (size + 1);
            hash_str(k, s);
            if (k->out && shown(i, n)) {
                print_sep(k->out, i, n);
                print_string(k, s, where);
            }
        }
        if (k->out && n > 1)
            fputs("]", k->out);
    } else {
        /* The file's own type as the memory type: the stored bytes, unconverted. */
        if (!(raw = malloc(n * size)))
            FAIL(E_NOMEM, "%s: %s: out of memory for %zu values", path, where, n);
        CHECK_H5(is_attr ? H5Aread(id, t, raw) : H5Dread(id, t, H5S_ALL, H5S_ALL, k->dxpl, raw));
        hash_bytes(k, raw, n * size);
        if (k->out && (cls == H5T_FLOAT || cls == H5T_INTEGER) && size <= 8)
            TRY(print_numbers(k, id, is_attr, cls, sign, size, n, where));
        else if (k->out)
            fprintf(k->out, "(%zu values of %zu bytes)", n, size);
    }
done:
    if (reclaim && H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, vl) < 0 && rc == 0)
        rc = h5u_fail(err, H5U_SRC, H5U_PATH_PREC, path, where, "H5Dvlen_reclaim(", __LINE__);
    free(vl);
    free(fixed);
    free(raw);
    CLOSE_H5(mt, H5Tclose);
    CLOSE_H5(sp, H5Sclose);
    CLOSE_H5(t, H5Tclose);
    return rc;
}

/* The attributes of object o (path opath) in name order; the root's
 * checksum is not part of the content. */
static int walk_attrs(Walk *k, hid_t o, const char *opath)
{
    const char *path = k->path, *where = opath;
    Err *err = k->err;
    hid_t a = H5I_INVALID_HID;
    H5O_info_t info;
    char name[CKPT_OBJ_MAX], awhere[2 * CKPT_OBJ_MAX];
    int rc = 0;
    CHECK_H5(H5Oget_info2(o, &info, H5O_INFO_NUM_ATTRS));
    for (hsize_t i = 0; i < info.num_attrs; i++) {
        ssize_t len;
        CHECK_H5(a = H5Aopen_by_idx(o, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT));
        CHECK_H5(len = H5Aget_name(a, sizeof name, name));
        if ((size_t)len >= sizeof name)
            FAIL(E_PARSE, "%s: %s: attribute name longer than %zu bytes", path, opath, sizeof name - 1);
        if (!(strcmp(opath, "/") == 0 && strcmp(name, "checksum") == 0)) {
            snprintf(awhere, sizeof awhere, "%s attribute \"%s\"", opath, name);
            hash_str(k, name);
            if (k->out) { /* a name from the file: escaped */
                fputs("    @", k->out);
                term_write(k->out, name, strlen(name), 0);
                fputs(" = ", k->out);
            }
            TRY(walk_values(k, a, 1, awhere));
            if (k->out)
                fputs("\n", k->out);
        }
        CLOSE_H5(a, H5Aclose);
    }
done:
    CLOSE_H5(a, H5Aclose);
    return rc;
}

/* Object opath, its attributes, its values, then its links (depth first). */
static int walk_obj(Walk *k, const char *opath, int depth)
{
    const char *path = k->path, *where = opath;
    Err *err = k->err;
    hid_t o = H5I_INVALID_HID;
    H5I_type_t type;
    H5G_info_t info;
    char name[CKPT_OBJ_MAX], child[CKPT_OBJ_MAX];
    int rc = 0;
    if (depth > WALK_MAX_DEPTH)
        FAIL(E_PARSE, "%s: %s: groups nested deeper than %d", path, opath, WALK_MAX_DEPTH);
    CHECK_H5(o = H5Oopen(k->f, opath, H5P_DEFAULT));
    CHECK_H5(type = H5Iget_type(o));
    hash_str(k, opath);
    if (k->out) { /* a path from the file: escaped, padded as %-28s */
        size_t len = strlen(opath);
        fputs("  ", k->out);
        term_write(k->out, opath, len, 0);
        fprintf(k->out, "%*s %s", len < 28 ? (int)(28 - len) : 0, "", type == H5I_GROUP ? "group" : "");
    }
    if (type == H5I_DATASET)
        TRY(walk_values(k, o, 0, opath));
    if (k->out)
        fputs("\n", k->out);
    TRY(walk_attrs(k, o, opath));
    if (type != H5I_GROUP)
        goto done;
    CHECK_H5(H5Gget_info(o, &info));
    for (hsize_t i = 0; i < info.nlinks; i++) {
        ssize_t len;
        CHECK_H5(len = H5Lget_name_by_idx(o, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name,
                                         H5P_DEFAULT));
        int w = snprintf(child, sizeof child, "%s/%s", strcmp(opath, "/") ? opath : "", name);
        if ((size_t)len >= sizeof name || w < 0 || (size_t)w >= sizeof child)
            FAIL(E_PARSE, "%s: %s: a link name is too long", path, opath);
        TRY(walk_obj(k, child, depth + 1));
    }
done:
    CLOSE_H5(o, H5Oclose);
    return rc;
}

int ckpt_walk(hid_t f, const char *path, FILE *out, uint64_t *hash, Err *err)
{
    const char *where = "";
    Walk k = { f, path, err, RNG_FNV_INIT, out, NULL, H5I_INVALID_HID };
    int rc = 0;
    CHECK_H5(k.dxpl = ckpt_xfer_new());
    TRY(walk_obj(&k, "/", 0));
    if (out && k.config) { /* the file's text: several lines, none of its bytes acting on a terminal */
        fputs("/config:\n", out);
        term_write(out, k.config, strlen(k.config), 1);
        fputs(k.config[strlen(k.config) - 1] == '\n' ? "" : "\n", out);
    }
done:
    CLOSE_H5(k.dxpl, H5Pclose);
    free(k.config);
    *hash = k.hash;
    return rc;
}

