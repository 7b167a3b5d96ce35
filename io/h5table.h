/* h5table: tables of numbers in HDF5 files -- read whole (h5_table_read, the
 * same Table that csv_read_columns gives), read by row range for data larger
 * than memory (h5_stream_*), described (h5_table_inspect) and written a
 * batch of rows at a time (h5_table_writer_*, used by `housenet convert`).
 *
 * Two layouts are read:
 *  - columns: a group holding one 1-D dataset per column, all of the same
 *    length (h5py: f["houses/Sale_Price"]); the columns come in the group's
 *    creation order when it tracks one, else in name order. Members that
 *    are not 1-D datasets are ignored;
 *  - matrix: one 2-D dataset (rows, columns) with a `columns` attribute of
 *    strings naming its columns.
 * `table` is the object path of the group or dataset ("houses" or
 * "/houses"). "" means: the root group when it holds 1-D datasets, else the
 * group named by the root attribute `table` (written by convert), else an
 * error that lists the tables the file holds.
 *
 * Values: any integer or IEEE float type is converted to float64 exactly;
 * a 64-bit integer without an exact float64 is an error naming the row.
 * NaN is a missing value (stored as the canonical quiet NaN, so a table's
 * bytes do not depend on the NaN payloads a writer used). Errors lead with
 * the file and the dataset: `houses.h5: /houses/Sale_Price: ...`.
 *
 * No hid_t leaves this module. HDF5 is not thread-safe here: no call may
 * run inside an OpenMP region. */
#ifndef HOUSENET_H5TABLE_H
#define HOUSENET_H5TABLE_H

#include <stddef.h>

#include "atomic.h"
#include "err.h"
#include "table.h"

typedef struct ReadFix ReadFix; /* csvread.h */

#define H5TABLE_FORMAT "housenet-table"
#define H5TABLE_VERSION 1
#define H5TABLE_CHUNK_ROWS 65536 /* rows per chunk of a written column (at most) */
#define H5TABLE_BATCH_BYTES (64u << 20) /* a chunk of every column, at most (wide tables) */
#define H5TABLE_DEFLATE 4        /* gzip level of written columns */

/* 1 when path names an HDF5 file by its extension (.h5 or .hdf5, any case). */
int h5_table_path_is_hdf5(const char *path);

/* Reads the columns named in names[0..ncols) of table into *out (column c
 * = names[c]; a name may repeat). allow_missing 0: a NaN is an E_PARSE
 * error naming the dataset and row; 1: kept as NaN and counted in
 * out->missing. Fails with E_IO (cannot open), E_PARSE (not HDF5, no such
 * table or column -- with a did-you-mean and the list of columns --, a
 * text or other non-numeric column, an inexact integer, columns of
 * different lengths, no rows), E_HDF5, E_NOMEM. *out is the caller's
 * (table_free) on success and zeroed on failure. */
/* As h5_table_read, with mode[c] (CsvOptions.text's CSV_COL_*; mode may
 * be NULL: all numbers): a string column is read as levels (TEXT, AUTO;
 * an empty string is missing), a numeric one under TEXT as the levels of
 * its values printed with %.17g ("20"), under AUTO as numbers; a string
 * column under NUMBER is the error it always was. fix (may be NULL): other
 * fixes in the errors, as CsvOptions.fix. */
int h5_table_read_typed(const char *path, const char *table, const char *const *names, int ncols,
                        int allow_missing, const unsigned char *mode, const ReadFix *fix, Table *out, Err *err);
int h5_table_read(const char *path, const char *table, const char *const *names, int ncols,
                  int allow_missing, Table *out, Err *err);
/* What h5_table_read_typed reads before it reads a value: the file, the
 * table, each column found and of a type mode allows (its metadata).
 * Failures as h5_table_read_typed's. A command's first read in a child
 * process (io/h5guard.h), which would cost a second read of the values. */
int h5_table_check_typed(const char *path, const char *table, const char *const *names, int ncols,
                         const unsigned char *mode, Err *err);

/* What h5_table_inspect() found in one column. */
typedef struct H5ColumnInfo {
    char *name;           /* owned */
    char type[16];        /* "float64", "float32", "int64", "uint8", "string", "enum", ... */
    int is_numeric;       /* an integer or float type that converts to float64 */
    size_t missing;       /* NaN values (numeric columns) */
    double min, mean, max;/* over the non-NaN values; NaN when there are none or not numeric */
} H5ColumnInfo;

typedef struct H5TableInfo {
    char *table;          /* owned: the object path, "/" or "/houses" */
    int matrix;           /* 1: a 2-D dataset with a columns attribute; 0: a group of 1-D datasets */
    size_t nrows;
    int ncols;
    H5ColumnInfo *cols;   /* owned, ncols */
} H5TableInfo;

/* Describes every column of table (found as h5_table_read finds it),
 * reading CHUNK rows at a time. Failures as h5_table_read, except that
 * non-numeric columns and inexact integers are described, not errors.
 * *out is zeroed on failure; free with h5_table_info_free(). */
int h5_table_inspect(const char *path, const char *table, H5TableInfo *out, Err *err);
/* NULL-safe; leaves *t zeroed. */
void h5_table_info_free(H5TableInfo *t);

/* Tells HDF5 not to close itself from atexit. main calls it before any
 * HDF5 call: after a close that failed (a full disk, `ulimit -f`), HDF5
 * 1.10's exit handler flushes the half-closed file again and crashes
 * (SIGSEGV); the process is ending anyway, and the temporary file is
 * already removed. */
void h5_no_atexit(void);

/* The root group's `format` attribute into out (cap bytes; "" when there
 * is none or it is not a string). E_IO when path cannot be opened, E_PARSE
 * when it is not an HDF5 file. Lets `housenet inspect` route housenet's
 * own files (models, checkpoints) away from the table reader. */
int h5_file_format(const char *path, char *out, size_t cap, Err *err);

/* ---- reading by row range ------------------------------------------------ */

/* An open table read a row range at a time; for training on data larger
 * than memory. Holds the file open until h5_stream_close. */
typedef struct H5Stream H5Stream;

/* Opens table (as h5_table_read finds it) for reading the columns
 * names[0..n): names[0..n-1) are the features, names[n-1] the target.
 * max_rows is the most rows one h5_stream_read will ask for: every buffer
 * is sized from it here, so reads allocate nothing of ours. Failures as
 * h5_table_read; *out is NULL on failure. */
int h5_stream_open(const char *path, const char *table, const char *const *names, int n,
                   size_t max_rows, H5Stream **out, Err *err);
/* Rows in the table. */
size_t h5_stream_rows(const H5Stream *s);
/* Reads rows first_row .. first_row + nrows - 1 (nrows <= max_rows) by
 * hyperslab: the features into x, (nrows, n - 1) row-major, the target
 * into y, (nrows). Values are converted as h5_table_read converts them;
 * a missing value comes back as NaN (the caller applies the missing
 * policy). E_STATE for a range beyond the table or nrows > max_rows;
 * E_PARSE for an inexact integer; E_HDF5. */
int h5_stream_read(H5Stream *s, size_t first_row, size_t nrows, double *x, double *y, Err *err);
/* NULL-safe; closes the file and frees *s, leaving it NULL. */
void h5_stream_close(H5Stream **s);

/* ---- writing --------------------------------------------------------------- */

/* A table being written a batch of rows at a time into the columns layout:
 * root attributes format = "housenet-table", version = 1, table = the
 * group's path and source (the input's name); in the group (links tracked
 * in creation order = column order) one float64 dataset per column, shape
 * (rows,), maximum shape unlimited, chunks of h5_table_chunk_rows(n) rows,
 * with compress shuffle + deflate H5TABLE_DEFLATE when the library can
 * encode them (stock h5py reads both without plugins).
 * The file is written as path.tmp-<pid> and renamed over path only by
 * h5_table_writer_commit, so path is never a partial file. */
typedef struct H5TableWriter H5TableWriter;

/* Rows per chunk of a written table of ncols columns: H5TABLE_CHUNK_ROWS,
 * fewer for a wide table so that one chunk of every column (what a writer
 * holds in memory) stays within H5TABLE_BATCH_BYTES. */
size_t h5_table_chunk_rows(int ncols);

/* atomic_out_open(o, path, OUT_HDF5, source) (atomic.h: links followed,
 * a device, FIFO or directory refused, the input itself refused), and
 * E_USAGE when path is a housenet file of another format (a model,
 * checkpoint or curves file). On success o->tmp is created, empty. */
int h5_table_out_open(AtomicOut *o, const char *path, const char *source, Err *err);

/* Creates the temporary file with n empty columns named names[0..n) in
 * group `table` (e.g. "table"; no '/' inside). Column names must be
 * non-empty, unique, without '/' and not "." (E_PARSE naming the column).
 * E_IO naming the path, E_HDF5, E_NOMEM; *out is NULL on failure and no
 * temporary file is left. */
int h5_table_writer_open(const char *path, const char *table, const char *const *names, int n,
                         const char *source, int compress, H5TableWriter **out, Err *err);
/* As h5_table_writer_open, with text[c] = 1 (text may be NULL) making
 * column c a 1-D dataset of variable-length UTF-8 strings. */
int h5_table_writer_open_typed(const char *path, const char *table, const char *const *names,
                               const unsigned char *text, int n, const char *source, int compress,
                               H5TableWriter **out, Err *err);
/* Appends nrows rows: column c's values are cols[c * stride + i], i < nrows. */
int h5_table_writer_append(H5TableWriter *w, const double *cols, size_t stride, size_t nrows,
                           Err *err);
/* The same with text columns: their values are codes of lv[c] (a CSV
 * stream's levels, csv_stream_levels), written as the texts, a missing
 * cell (NaN) as "". E_STATE when a text column has no levels. */
int h5_table_writer_append_text(H5TableWriter *w, const double *cols, size_t stride, size_t nrows,
                                const Levels *const *lv, Err *err);
/* 1 when the columns are compressed (shuffle + deflate were available). */
int h5_table_writer_compressed(const H5TableWriter *w);
/* Closes the file and renames it over path (atomic_commit). On failure the
 * temporary file is removed and path is untouched. Call h5_table_writer_free
 * afterwards in either case. */
int h5_table_writer_commit(H5TableWriter *w, Err *err);
/* NULL-safe; closes what is open and, unless committed, removes the
 * temporary file. Frees *w and sets it to NULL. */
void h5_table_writer_free(H5TableWriter **w);

#endif
