/* csvread: reading named numeric columns from a CSV file with libcsv.
 * Owns parsing, header matching, strict number conversion and the error
 * messages that point at file:line:col. Knows nothing of training. */
#ifndef HOUSENET_CSVREAD_H
#define HOUSENET_CSVREAD_H

#include <stddef.h>

#include "err.h"
#include "levels.h"
#include "table.h"

/* Missing-value tokens (a config's [data] na_values, --na-values): at most
 * CSV_NA_MAX of them, each shorter than CSV_NA_LEN bytes. */
#define CSV_NA_MAX 64
#define CSV_NA_LEN 64

/* How csv_read_columns reads a column (CsvOptions.text). A text cell is
 * stored as the code of its trimmed text among the column's levels
 * (Table.text, src/levels.h), first seen first. */
enum {
    CSV_COL_NUMBER = 0, /* every present cell a number (the default) */
    CSV_COL_TEXT = 1,   /* every present cell a level, "20" included */
    CSV_COL_AUTO = 2    /* numbers when every present cell is one, levels when none is;
                           a column that mixes them is an E_PARSE error at the first cell
                           of the minority kind, with how to declare it */
};

/* What a table reader's errors tell the user to do where the caller knows
 * better than the words for a training config (NULL members: those words):
 * evaluate, whose model keeps its [data] settings, says so. */
typedef struct ReadFix {
    const char *missing; /* a missing cell's fix, in place of CSV_MISSING_FIX */
    const char *absent;  /* added to "no column X; columns are: ..." when X is names[absent_col] */
    int absent_col;
} ReadFix;

typedef struct CsvOptions {
    char delimiter;                  /* ',' (default when 0), ';', '\t', ... */
    const char *const *na_values;    /* extra tokens that mean "missing" (besides an empty cell) */
    int n_na_values;
    int allow_missing;               /* 0: a missing cell is an error at file:line:col;
                                        1: stored as NaN and counted in Table.missing */
    int min_rows;                    /* csv_read_columns: fewer data rows is an E_DATA error;
                                        0 means 1 (the worked example has one row) */
    const unsigned char *text;       /* csv_read_columns: NULL (every column numbers) or one
                                        CSV_COL_* per requested column */
    int libcsv_only;                 /* 1: never use the quote-free fast tokenizer, always
                                        libcsv (the tests run every case both ways) */
    const ReadFix *fix;              /* csv_read_columns: NULL, or other fixes in its errors */
} CsvOptions;

/* Reads the columns named in names[0..ncols) (any order in the file, matched
 * after trimming spaces) into *out, out column c = names[c]. Each selected
 * cell must be a whole C-locale number (value identical to strtod). Errors
 * (E_IO, E_PARSE) read `path:line:col: column "name": what, hint`.
 * Details: the first non-blank record is the header; a UTF-8 BOM, CRLF or
 * LF, quoted fields ("" for a quote, line breaks inside) are handled, and
 * line numbers are physical lines. Cells are trimmed of spaces and tabs;
 * an empty cell or one equal to an opt->na_values token is missing. Columns
 * not requested are never parsed. opt may be NULL (all defaults).
 * Fails with E_IO (cannot open/read), E_PARSE (bad cell, missing cell when
 * !allow_missing, ragged row, unknown or duplicated requested column, empty
 * file, no data rows, unclosed quote), E_DATA (fewer than opt->min_rows), E_CONFIG
 * (ncols < 1, unusable delimiter), E_NOMEM. *out is owned by the caller
 * (table_free) on success and zeroed on failure. */
int csv_read_columns(const char *path, const char *const *names, int ncols,
                     const CsvOptions *opt, Table *out, Err *err);

/* A CSV file read a batch of rows at a time: memory is bounded by the batch
 * size and the 1 MiB read chunk, whatever the size of the file. */
typedef struct CsvStream CsvStream;

/* Opens path and reads its header; the columns named in names[0..ncols) are
 * matched as csv_read_columns matches them (same errors). path, names and
 * opt (NULL: defaults; min_rows is ignored) are copied. *out is the caller's
 * (csv_stream_close); NULL on failure. */
int csv_stream_open(const char *path, const char *const *names, int ncols, const CsvOptions *opt,
                    CsvStream **out, Err *err);

/* Reads the next rows, at most max (>= 1), into cols, column-major with
 * stride max: column c of the i-th row is cols[c * max + i]. *nrows gets
 * the rows written; 0 means the end of the file. Values, missing cells
 * (NaN) and error messages are exactly those of csv_read_columns; the
 * checks that need the end of the file (empty, no data rows, unclosed
 * quote) fail the call that reaches it. After an error every later call
 * fails too. */
int csv_stream_next(CsvStream *s, size_t max, double *cols, size_t *nrows, Err *err);

/* Missing cells per requested column (ncols counts into missing) among the
 * rows parsed so far: complete once csv_stream_next has returned 0 rows. */
void csv_stream_missing(const CsvStream *s, size_t *missing);

/* The levels of text column c (opt->text[c] == CSV_COL_TEXT; a stream
 * takes CSV_COL_TEXT and CSV_COL_NUMBER only): the codes
 * csv_stream_next wrote index them. It grows as rows are read; NULL for a
 * numeric column. Owned by s. */
const Levels *csv_stream_levels(const CsvStream *s, int c);

/* NULL-safe; closes the file, frees *s and sets it to NULL. */
void csv_stream_close(CsvStream **s);

/* What csv_inspect() found in one column of the file. */
typedef struct CsvColumnInfo {
    char *name;           /* owned, header name with surrounding spaces trimmed */
    int is_numeric;       /* 1 when every non-missing cell is a strict number */
    size_t missing;       /* empty cells and cells equal to one of opt->na_values */
    size_t n_numbers;     /* cells that are strict numbers */
    double min, mean, max;/* over the number cells; NaN when there are none */
    size_t text_line;     /* physical line of the first cell that is not a number, 0 if none */
    char text_example[36];/* that cell's text, cut to 32 bytes, NUL-terminated */
} CsvColumnInfo;

/* Reads every column of the file (header row required; same tokenizing,
 * trimming and number grammar as csv_read_columns) and fills a newly
 * allocated array *cols of *ncols entries, one per header field, and *nrows
 * (data rows). Missing or text cells are not errors here; an unreadable file,
 * an empty file, no data rows or a ragged row are (E_IO, E_PARSE). On error
 * *cols is NULL, *ncols and *nrows are 0. Free with csv_inspect_free(). */
int csv_inspect(const char *path, const CsvOptions *opt, CsvColumnInfo **cols,
                int *ncols, size_t *nrows, Err *err);

/* Frees what csv_inspect() returned; NULL-safe; leaves *cols NULL, *ncols 0. */
void csv_inspect_free(CsvColumnInfo **cols, int *ncols);

/* The start of a CSV file, its first n bytes at p, as both CSV readers
 * take it: *skip = the length of a UTF-8 byte-order mark to skip (0 or 3),
 * 0 returned; or the signature of a binary file that is no CSV text (HDF5,
 * a ZIP archive such as an .xlsx workbook, gzip): an error saying what the
 * file is and what to do (E_PARSE). */
int csv_file_start(const char *path, const char *p, size_t n, size_t *skip, Err *err);

/* What a "no column" error adds when the header head (nhead names) read
 * with delim is one name holding another usual delimiter: "; the header has
 * one column: is the delimiter ';'?"; "" otherwise. */
const char *csv_delim_hint(const char *const *head, int nhead, char delim);

/* The cell [*s, *e) trimmed as every reader trims a cell: moves *s forward
 * and *e back past spaces and tabs (an all-blank cell ends empty). */
static inline void csv_trim(const char **s, const char **e)
{
    const char *p = *s, *q = *e;
    while (p < q && (*p == ' ' || *p == '\t'))
        p++;
    while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
        q--;
    *s = p;
    *e = q;
}

/* One cell s[0..len) as a number by the same grammar and with the same
 * value as csv_read_columns (spaces and tabs around it trimmed); reads no
 * byte past s[len - 1]. Returns CSV_NUM_OK (0) with *out, CSV_NUM_NOT when
 * the cell is not a number (empty included), CSV_NUM_RANGE when it is beyond
 * the range of a double, CSV_NUM_NOMEM when out of memory (a cell of 128
 * bytes or more needs a copy). Reads the decimal point from
 * LC_NUMERIC in rare cases (strtod): call it under the "C" locale, as
 * csv_rows_read's callbacks are. */
enum { CSV_NUM_OK = 0, CSV_NUM_NOT = -1, CSV_NUM_RANGE = -2, CSV_NUM_NOMEM = -3 };
int csv_parse_number(const char *s, size_t len, double *out);

/* The delimiter rule, for the readers, the config and the command line:
 * any one character but a quote, CR, LF, a digit or one of . + - e E
 * (those are parts of numbers). CSV_DELIMITER_RULE words it for messages. */
/* The tokens that mean "missing" unless a config or --na-values says
 * otherwise: those pandas' read_csv and R's read.csv take as missing (an
 * empty cell is missing whatever the list). As one comma list. */
#define CSV_DEFAULT_NA "NA, N/A, n/a, NaN, nan, -NaN, -nan, null, NULL, None, <NA>, #N/A, #N/A N/A, #NA, " \
                       "-1.#IND, -1.#QNAN, 1.#IND, 1.#QNAN"

/* How a missing-value error of the table readers ends (the CSV and HDF5
 * readers alike): the fix for a training config, unless a ReadFix gives
 * another (reading for a model, whose config the user does not edit). */
#define CSV_MISSING_FIX "set [data] missing = drop or mean, or fill the cell"
#define READ_FIX_MISSING(fix) ((fix) && (fix)->missing ? (fix)->missing : CSV_MISSING_FIX)
/* What a "no column" error of names[c] adds: "" or the ReadFix's words. */
#define READ_FIX_ABSENT(fix, c) ((fix) && (fix)->absent && (fix)->absent_col == (c) ? (fix)->absent : "")

/* What a "not a number" error adds when the cell reads like a missing
 * marker ("?", "-", "missing", "n/a"...) that no list declared. */
#define CSV_MISSING_HINT "; if it means missing, list it in [data] na_values (or --na-values) and set [data] " \
                         "missing = drop or mean"

#define CSV_DELIMITER_RULE "one character (e.g. , or ; or tab) other than a quote, a digit, . + - e or E"
int csv_delimiter_ok(char c);
/* The physical line count after libcsv ended a record on c (with
 * CSV_REPALL_NL): CR and LF each end a line, CRLF once (*pending_cr holds
 * "the last record ended on CR" between calls); c = -1 (end of file) or
 * another value counts nothing. Both CSV readers count lines this way. */
void csv_count_line_end(int c, size_t *line, int *pending_cr);

/* Limits on one record, so that a file without line ends (/dev/zero) or
 * with a million columns fails at once, in bounded time and memory
 * (docs/hardening.md). Both CSV readers apply them through
 * csv_check_record. */
#define CSV_RECORD_MAX_BYTES (1 << 20)
#define CSV_RECORD_MAX_FIELDS 4096
/* E_PARSE `path:line: ...` (line: where the record starts) when a record
 * of `fields` fields and `bytes` bytes so far breaks a limit; else 0. */
int csv_check_record(const char *path, size_t line, size_t fields, size_t bytes, Err *err);
/* A delimiter as written: one character csv_delimiter_ok accepts, that
 * character in double or single quotes, "\t", or a name: comma,
 * semicolon, tab, pipe. Returns 0 with *out, -1 when s is not one. */
int csv_delimiter_from_text(const char *s, char *out);

#endif
