/* datacmd: the data-file commands of the program -- `housenet inspect FILE`
 * (a CSV file or an HDF5 table: rows, and per column its type, missing
 * count, min, mean and max) and `housenet convert IN.csv OUT.h5` (a CSV
 * into the HDF5 columns layout, streaming) -- and datacmd_convert(), the
 * conversion itself, for tests and other callers. The cmd_* functions
 * parse their arguments, print results on stdout and one-line errors on
 * stderr, and return the exit status; everything below them returns
 * errors as values. */
#ifndef HOUSENET_DATACMD_H
#define HOUSENET_DATACMD_H

#include <stddef.h>

#include "csvread.h"
#include "err.h"

/* `housenet inspect FILE [--table NAME] [--delimiter C] [--na-values LIST]`;
 * argv holds the arguments after the command name. */
int cmd_inspect(int argc, char **argv);
/* `housenet convert IN.csv OUT.h5 [--table NAME] [--delimiter C]
 * [--na-values LIST] [--quiet]`. */
int cmd_convert(int argc, char **argv);

/* What datacmd_convert did. */
typedef struct ConvertReport {
    size_t rows;               /* data rows written */
    int ncols;                 /* columns in the CSV file */
    CsvColumnInfo *cols;       /* owned, (ncols): csv_inspect's description; the
                                  columns with is_numeric == 0 were skipped */
    int written;               /* numeric columns written */
    int compressed;            /* 1: shuffle + deflate; 0: the library cannot deflate */
} ConvertReport;

/* Converts the CSV file in into the HDF5 file out: every numeric column
 * (as csv_inspect judges it, with csv's delimiter and NA tokens) becomes
 * a float64 dataset of group `table` (NULL: "table"), values bit-identical
 * to csv_read_columns' (a missing cell is NaN); text columns are skipped
 * (listed in rep). Two streaming passes over in -- csv_inspect, then
 * csv_stream_* a chunk of H5TABLE_CHUNK_ROWS rows at a time into
 * h5_table_writer_* -- so memory does not grow with the file. out is
 * replaced atomically: on any failure it is untouched and no temporary
 * file is left. Errors as csv_stream_next and h5_table_writer_*; E_USAGE
 * when in is an HDF5 file name, E_DATA when no column is numeric. rep is
 * the caller's (datacmd_report_free) whatever the result. */
int datacmd_convert(const char *in, const char *out, const char *table, const CsvOptions *csv,
                    ConvertReport *rep, Err *err);
/* NULL-safe; leaves *rep zeroed. */
void datacmd_report_free(ConvertReport *rep);

#endif
