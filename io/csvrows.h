/* csvrows: a CSV file as records of text cells, for commands that pass
 * cells through (predict). libcsv does the tokenizing with the rules of
 * csvread.h (quotes, "" for a quote, line breaks inside quotes, CRLF or
 * LF, a UTF-8 byte-order mark, spaces around unquoted cells dropped,
 * blank lines skipped); csv_write_cell quotes a cell back when it must.
 * Knows nothing of what the cells mean. */
#ifndef HOUSENET_CSVROWS_H
#define HOUSENET_CSVROWS_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* Called once per record, the header first (record 0). cells[i] holds
 * lens[i] bytes (NUL-terminated) until fn returns; line is the physical
 * line where the record starts. Return 0 to go on, or a negative code
 * with err set to stop. */
typedef int (*CsvRowFn)(void *ctx, size_t record, size_t line, int ncells, char *const *cells,
                        const size_t *lens, Err *err);

/* Reads path ("-" for standard input) with delimiter delim (0 = ','),
 * calling fn for every record under the "C" numeric locale. Fails with
 * E_IO (cannot open or read), E_PARSE (an unclosed quote, an empty file),
 * E_CONFIG (an unusable delimiter), E_NOMEM, or fn's code. */
int csv_rows_read(const char *path, char delim, CsvRowFn fn, void *ctx, Err *err);

/* A delimiter given on the command line (csv_delimiter_from_text).
 * Returns 0 with *out, or E_USAGE with a message naming opt. */
int csv_delimiter_option(const char *s, const char *opt, char *out, Err *err);

/* Writes s[0..len) as one cell: quoted, with quotes doubled, when it holds
 * the delimiter, a quote, CR or LF, or begins or ends with a space or tab
 * (which an unquoted cell would lose). term: f is a terminal, and a byte
 * that could act on it is written as \xNN (term_write). */
void csv_write_cell(FILE *f, const char *s, size_t len, char delim, int term);

#endif
