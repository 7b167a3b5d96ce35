/* csvrows: records of text cells through libcsv (see csvrows.h).
 * Owns the per-record cell buffer, physical line counting and the quoting
 * of cells on output. Line counting follows csvread.c: with CSV_REPALL_NL
 * every CR and LF outside quotes ends a record (blank lines are records of
 * no cells), CRLF counts once, and line breaks inside quoted cells count. */
#define _DEFAULT_SOURCE /* newlocale, uselocale */
#include "csvrows.h"

#include "colname.h"
#include "csvnum.h"

#include <csv.h>
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "csvread.h"

#define ROWS_CHUNK (1 << 16)
#define ROWS_OPTIONS (CSV_APPEND_NULL | CSV_REPALL_NL)

typedef struct RowReader {
    const char *path;
    CsvRowFn fn;
    void *ctx;
    Err *err;
    int code;           /* nonzero: stop */
    /* the record being read: cell i is text + off[i], len[i] bytes */
    char *text;
    size_t text_len, text_cap;
    size_t *off, *len;
    int ncells, cells_cap;
    char **cells;       /* pointers handed to fn, (cells_cap) */
    size_t record;      /* records handed to fn so far */
    size_t line;        /* physical line of the next byte */
    size_t rec_line;    /* line where the current record started */
    int pending_cr;
} RowReader;

static size_t breaks(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\n' || (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'));
    return n;
}

static void on_field(void *data, size_t len, void *ud)
{
    RowReader *r = ud;
    if (r->code)
        return;
    r->pending_cr = 0;
    if (r->ncells == 0)
        r->rec_line = r->line;
    r->line += breaks(data, len);
    if ((r->code = csv_check_record(r->path, r->rec_line, (size_t)r->ncells + 1, r->text_len + len + 1, r->err)))
        return;
    if (r->record == 0 && memchr(data, '\0', len)) {
        r->code = err_set(r->err, E_PARSE, "%.256s:%zu:%d: a column name holds a NUL byte; the header must be text",
                          r->path, r->rec_line, r->ncells + 1);
        return;
    }
    if (r->record == 0 && colname_utf8_invalid(data, len) >= 0) { /* as csvread.c's header */
        r->code = err_set(r->err, E_PARSE, "%.256s:%zu:%d: column name \"%.*s\" is not UTF-8 text; " COLNAME_UTF8_FIX,
                          r->path, r->rec_line, r->ncells + 1, (int)(len < COLNAME_SHOW ? len : COLNAME_SHOW), (const char *)data);
        return;
    }
    if (r->ncells == r->cells_cap) {
        int cap = r->cells_cap ? 2 * r->cells_cap : 32;
        size_t *o = realloc(r->off, (size_t)cap * sizeof *o);
        if (o)
            r->off = o;
        size_t *l = o ? realloc(r->len, (size_t)cap * sizeof *l) : NULL;
        if (l)
            r->len = l;
        char **c = l ? realloc(r->cells, (size_t)cap * sizeof *c) : NULL;
        if (!c) {
            r->code = err_set(r->err, E_NOMEM, "%.256s: out of memory for a record of %d cells", r->path, cap);
            return;
        }
        r->cells = c;
        r->cells_cap = cap;
    }
    if (r->text_len + len + 1 > r->text_cap) {
        size_t cap = (r->text_cap ? 2 * r->text_cap : 4096) + len + 1;
        char *t = realloc(r->text, cap);
        if (!t) {
            r->code = err_set(r->err, E_NOMEM, "%.256s: out of memory for a record", r->path);
            return;
        }
        r->text = t;
        r->text_cap = cap;
    }
    memcpy(r->text + r->text_len, data, len);
    r->text[r->text_len + len] = '\0';
    r->off[r->ncells] = r->text_len;
    r->len[r->ncells] = len;
    r->text_len += len + 1;
    r->ncells++;
}

static void on_record(int c, void *ud)
{
    RowReader *r = ud;
    if (r->code)
        return;
    if (r->ncells > 0) {
        for (int i = 0; i < r->ncells; i++)
            r->cells[i] = r->text + r->off[i];
        int rc = r->fn(r->ctx, r->record++, r->rec_line, r->ncells, r->cells, r->len, r->err);
        if (rc)
            r->code = rc;
    }
    r->ncells = 0;
    r->text_len = 0;
    csv_count_line_end(c, &r->line, &r->pending_cr);
}

int csv_rows_read(const char *path, char delim, CsvRowFn fn, void *ctx, Err *err)
{
    RowReader r = { .path = path, .fn = fn, .ctx = ctx, .err = err, .line = 1, .rec_line = 1 };
    struct csv_parser cp;
    int cp_live = 0, rc = 0, is_stdin = !strcmp(path, "-");
    FILE *f = NULL;
    char *buf = NULL;
    locale_t cloc = (locale_t)0, old = (locale_t)0;
    unsigned char d = delim ? (unsigned char)delim : ',';
    if (!csv_delimiter_ok((char)d))
        return err_set(err, E_CONFIG, "%.256s: the delimiter '%c' cannot be used; use " CSV_DELIMITER_RULE, path,
                       d == '\r' || d == '\n' ? '?' : d);
    f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        int e = errno;
        return err_set(err, E_IO, "%.256s: cannot open: %s", path, strerror(e));
    }
    if (!(buf = malloc(ROWS_CHUNK)) || csv_init(&cp, ROWS_OPTIONS) != 0) {
        rc = err_set(err, E_NOMEM, "%.256s: out of memory for the read buffer", path);
        goto done;
    }
    cp_live = 1;
    csv_set_delim(&cp, d);
    if ((cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)) == (locale_t)0) {
        rc = err_set(err, E_NOMEM, "%.256s: cannot create the C locale", path);
        goto done;
    }
    old = uselocale(cloc);
    int first = 1;
    size_t n;
    while (!r.code && (n = fread(buf, 1, ROWS_CHUNK, f)) > 0) {
        char *p = buf;
        if (first) {
            size_t skip;
            if ((r.code = csv_file_start(path, p, n, &skip, err)))
                break;
            p += skip;
            n -= skip;
        }
        first = 0;
        if (csv_parse(&cp, p, n, on_field, on_record, &r) != n && !r.code)
            r.code = err_set(err, E_NOMEM, "%.256s: %s", path, csv_strerror(csv_error(&cp)));
        if (!r.code)
            r.code = csv_check_record(path, r.ncells ? r.rec_line : r.line, (size_t)r.ncells,
                                      (r.ncells ? r.text_len : 0) + cp.entry_pos, err);
    }
    if (!r.code && ferror(f)) {
        int e = errno;
        r.code = err_set(err, E_IO, "%.256s: read error: %s", path, strerror(e));
    }
    if (!r.code) {
        csv_set_opts(&cp, ROWS_OPTIONS | CSV_STRICT | CSV_STRICT_FINI);
        if (csv_fini(&cp, on_field, on_record, &r) != 0 && !r.code)
            r.code = err_set(err, E_PARSE, "%.256s:%zu:%d: a quoted field is not closed; a '\"' inside a quoted "
                                           "value must be doubled (\"\")", path, r.line, r.ncells + 1);
    }
    if (!r.code && r.record == 0)
        r.code = err_set(err, E_PARSE, "%.256s: file is empty; expected a header row", path);
    rc = r.code;
done:
    if (cloc != (locale_t)0) {
        uselocale(old);
        freelocale(cloc);
    }
    if (cp_live)
        csv_free(&cp);
    free(buf);
    free(r.text);
    free(r.off);
    free(r.len);
    free(r.cells);
    if (f && !is_stdin)
        fclose(f);
    return rc;
}

void csv_count_line_end(int c, size_t *line, int *pending_cr)
{
    if (c == '\n') {
        if (!*pending_cr)
            (*line)++;
        *pending_cr = 0;
    } else if (c == '\r') {
        (*line)++;
        *pending_cr = 1;
    }
}

int csv_check_record(const char *path, size_t line, size_t fields, size_t bytes, Err *err)
{
    if (fields > CSV_RECORD_MAX_FIELDS)
        return err_set(err, E_PARSE, "%.256s:%zu: more than %d fields in one record (the limit); is the "
                       "delimiter right?", path, line, CSV_RECORD_MAX_FIELDS);
    if (bytes > CSV_RECORD_MAX_BYTES)
        return err_set(err, E_PARSE, "%.256s:%zu: a record longer than %d bytes (the limit); is this a CSV "
                       "file, and are its quotes closed?", path, line, CSV_RECORD_MAX_BYTES);
    return 0;
}

int csv_delimiter_ok(char c)
{
    return c != '"' && c != '\r' && c != '\n' && c != '\0' && !csv_isdigit(c) && !strchr(".+-eE", c);
}

int csv_delimiter_from_text(const char *s, char *out)
{
    static const char *const NAMES[][2] = { { "tab", "\t" }, { "\\t", "\t" }, { "comma", "," },
                                            { "semicolon", ";" }, { "pipe", "|" } };
    char unq[8];
    size_t n = strlen(s);
    if (n >= 3 && n < sizeof unq + 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
        memcpy(unq, s + 1, n - 2); /* ";" or '\t': the quotes go */
        unq[n - 2] = '\0';
        s = unq;
    }
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (!strcmp(s, NAMES[i][0]))
            s = NAMES[i][1];
    if (strlen(s) != 1 || !csv_delimiter_ok(s[0]))
        return -1;
    *out = s[0];
    return 0;
}

int csv_delimiter_option(const char *s, const char *opt, char *out, Err *err)
{
    if (csv_delimiter_from_text(s, out))
        return err_set(err, E_USAGE, "%s \"%.20s\": expected " CSV_DELIMITER_RULE, opt, s);
    return 0;
}

void csv_write_cell(FILE *f, const char *s, size_t len, char delim, int term)
{
    int quote = len > 0 && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t');
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == delim || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (quote)
        fputc('"', f);
    for (size_t i = 0, j; i < len; i = j) { /* runs without a quote, each quote doubled inside quotes */
        for (j = i; j < len && !(quote && s[j] == '"'); j++)
            ;
        if (term)
            term_write(f, s + i, j - i, 0);
        else
            fwrite(s + i, 1, j - i, f);
        if (j < len) {
            fputs("\"\"", f);
            j++;
        }
    }
    if (quote)
        fputc('"', f);
}
