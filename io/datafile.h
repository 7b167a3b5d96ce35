/* datafile: what the data-file commands do -- describing a data file
 * (`housenet inspect FILE`: a CSV file or an HDF5 table, rows, and per
 * column its type, missing count, min, mean and max) and converting a CSV
 * file into the HDF5 columns layout, streaming (`housenet convert IN.csv
 * OUT.h5`). Their command lines are io/cmd/cmd_data.c's. */
#ifndef HOUSENET_DATAFILE_H
#define HOUSENET_DATAFILE_H

#include <stddef.h>
#include <stdio.h>

#include "csvread.h"
#include "err.h"

/* Describes FILE on out: a CSV file or an HDF5 table (table: its group or
 * dataset, NULL to find it; E_USAGE for a CSV file) as `file`, `format`,
 * `rows` and `columns` lines and one line per column (name, type, missing
 * count, min, mean, max, a note); a model or checkpoint file by what it
 * holds (ckpt_describe). csv: delimiter and NA tokens of a CSV file. */
int datafile_inspect(const char *path, const char *table, const CsvOptions *csv, FILE *out, Err *err);

/* What datafile_convert did. */
typedef struct ConvertReport {
    size_t rows;               /* data rows written */
    int ncols;                 /* columns in the CSV file */
    CsvColumnInfo *cols;       /* owned, (ncols): csv_inspect's description; the
                                  columns with is_numeric == 0 were stored as text */
    int written;               /* columns written: all of them */
    int text;                  /* of them stored as strings */
    int compressed;            /* 1: shuffle + deflate; 0: the library cannot deflate */
} ConvertReport;

/* Converts the CSV file in into the HDF5 file out: every numeric column
 * (as csv_inspect judges it, with csv's delimiter and NA tokens) becomes
 * a float64 dataset of group `table` (NULL: "table"), values bit-identical
 * to csv_read_columns' (a missing cell is NaN); text columns are skipped
 * (listed in rep). Two streaming passes over in -- csv_inspect, then
 * csv_stream_* a chunk of h5_table_chunk_rows() rows at a time into
 * h5_table_writer_* -- so memory does not grow with the file. out is
 * replaced atomically: on any failure it is untouched and no temporary
 * file is left. compress: shuffle + deflate (h5_table_writer_open).
 * Errors as csv_stream_next and h5_table_writer_*; E_USAGE
 * when in is an HDF5 file name, E_DATA when no column is numeric. rep is
 * the caller's (datafile_report_free) whatever the result. */
int datafile_convert(const char *in, const char *out, const char *table, const CsvOptions *csv, int compress,
                     ConvertReport *rep, Err *err);
/* NULL-safe; leaves *rep zeroed. */
void datafile_report_free(ConvertReport *rep);

#endif
